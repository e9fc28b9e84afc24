"""A text's structure as the rules read it: paragraphs, pairs of quotation marks, sentence ends."""

from __future__ import annotations

import re
from bisect import bisect_right
from dataclasses import dataclass



# --- text structure --------------------------------------------------------------------------------

_OPENERS = "\u201c\u201e\u00ab"
_CLOSERS = "\u201d\u00bb"
_MARK = re.compile(
    r"''|``|[\"\u201c\u201d\u201e\u00ab\u00bb]|(?<![\w\u2019'])\u2018|\u2019(?![\w])"
    r"|(?P<open1>(?<![\w'])'(?=[A-Z]))|(?P<close1>(?<=[\w.!?,])'(?![\w']))"
)
ABBREVIATIONS = frozenset(
    "mr mrs ms dr sen rep gov gen lt col sgt st jr sr u.s u.n u.k no vs v jan feb mar apr jun jul aug sep "
    "sept oct nov dec inc corp co ltd prof rev adm capt maj cmdr ft mt d.c e.g i.e a.m p.m".split()
)
ABBREV_RE = re.compile(r"\b(?:Mr|Mrs|Ms|Dr|Sen|Rep|Gov|Gen|Lt|Col|Sgt|St|Jr|Sr|Prof|Rev|Adm|Capt|Maj|[A-Z])\.")
WORD = re.compile(r"[\w][\w'\u2019.\-]*[\w]|[\w]")


@dataclass
class Quote:
    start: int  # the opening mark
    end: int  # after the closing mark (or the paragraph's end when it is left open)
    inner_start: int
    inner_end: int
    closed: bool


def paragraphs(text: str) -> list[tuple[int, int]]:
    return [(m.start(), m.end()) for m in re.finditer(r"[^\n]+", text)]


def find_quotes(text: str, start: int, end: int) -> list[Quote]:
    """Pairs of double quotation marks in one paragraph ('' and `` as NYT writes them; a single
    curly quote pair only when it opens at a word start and closes at a word end)."""
    quotes: list[Quote] = []
    opened: tuple[int, str] | None = None
    for m in _MARK.finditer(text, start, end):
        mark, pos = m.group(0), m.start()
        if m.group("open1"):
            mark = "\u2018"  # a straight single mark before a capital opens, as "\u2018" does
        elif m.group("close1"):
            mark = "\u2019"
        single = mark in "\u2018\u2019"
        if opened is None:
            if mark in _CLOSERS or mark == "\u2019":
                continue
            if mark in ('"', "''") and pos + len(mark) < end and text[pos + len(mark)].isspace():
                continue  # a straight mark before a space closes nothing that was opened here
            opened = (pos, mark)
            continue
        open_pos, open_mark = opened
        if single != (open_mark in "\u2018\u2019"):
            continue  # a single mark inside a double quote (or the reverse) is nested
        if mark in _OPENERS or mark == "``" or mark == "\u2018":
            if open_mark in ('"', "''") or mark == open_mark:
                # a new opening mark: the previous opening was not closed before it
                opened = (pos, mark)
            continue
        quotes.append(Quote(open_pos, pos + len(mark), open_pos + len(open_mark), pos, True))
        opened = None
    if opened is not None and opened[1] not in "\u2018\u2019":
        open_pos, open_mark = opened
        inner = open_pos + len(open_mark)
        if end - inner > 20:
            quotes.append(Quote(open_pos, end, inner, end, False))
    return quotes


_SENTENCE_END = re.compile(r"[.!?]+(?:''|[\"'\u201d\u2019)])*(?=\s+(?:''|``|[\"\u201c'\u2018(\[])*[A-Z0-9])")


def sentence_ends(text: str, start: int, end: int, quotes: list[Quote]) -> list[int]:
    """Offsets where sentences of the paragraph end (never inside a quote)."""
    ends = []
    starts = [q.start for q in quotes]
    for m in _SENTENCE_END.finditer(text, start, end):
        pos = m.end()
        k = bisect_right(starts, pos - 1) - 1
        if k >= 0 and quotes[k].start < pos < quotes[k].end:
            continue
        word = re.search(r"([\w.]+)[.!?]+[\"'\u201d\u2019)]*$", text[max(start, pos - 12):pos])
        if word and (word.group(1).lower().rstrip(".") in ABBREVIATIONS or len(word.group(1)) == 1):
            continue
        ends.append(pos)
    ends.append(end)
    return ends
