"""The editor's workbench: a source's text cut into what the admin shows, and a passage made a claim.

Pure functions over a text and the spans of its claims (no database), used by the source's admin
page (``admin/factbase/source/change_form.html``) and its JSON views:

- ``paragraphs``: where the text's paragraphs are (a blank line separates two; a single line break
  stays inside a paragraph);
- ``segments``: each paragraph cut at every claim's span edge, each piece with the claims that
  cover it (none, one, or several where spans overlap), so that overlapping spans render as
  consecutive pieces, each highlighted for all the claims it belongs to;
- ``passage``: what the claim add form is filled in with for a selected passage: its text, its kind
  (a direct quote when it is inside quotation marks, which are then left out of the claim's text),
  and where it is (``span_hint``, so that a passage that occurs twice is found where it was chosen);
- ``overlapping``: the claims whose span a passage overlaps.

Offsets are Python string offsets (code points) into the text as stored, as the claims' spans are.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

# A paragraph break: white space holding at least two line breaks (a blank line).
_PARAGRAPH_BREAK = re.compile(r"[^\S\n]*\n(?:[^\S\n]*\n)+\s*")

# Opening and closing quotation marks (the plain ones open and close alike).
OPENING_QUOTES = "\"“„«‹'‘‚「『"
CLOSING_QUOTES = "\"”“»›'’」』"
_ALL_QUOTES = set(OPENING_QUOTES) | set(CLOSING_QUOTES)
_QUOTE_PAIRS = {'"': '"', "“": "”", "„": "“", "«": "»", "‹": "›", "'": "'", "‘": "’", "‚": "‘",
                "「": "」", "『": "』"}
# What may stand between a quote's last word and its closing mark, or follow the closing mark,
# without making the passage more than the quote: punctuation.
_TRAILING_PUNCTUATION = ".,;:!?…"


@dataclass(frozen=True)
class ClaimSpan:
    """A claim as the workbench shows it: its span and what its highlight says."""

    id: int
    start: int
    end: int
    status: str
    speaker: str
    kind: str = ""
    text: str = ""


@dataclass
class Segment:
    """A piece of a paragraph: ``text[start:end]``, covered by ``claims`` (innermost last)."""

    start: int
    end: int
    text: str
    claims: list[ClaimSpan] = field(default_factory=list)

    @property
    def top(self) -> ClaimSpan | None:
        """The claim whose highlight this piece shows and links to: the innermost (latest start,
        then shortest) of the claims that cover it."""
        return self.claims[-1] if self.claims else None

    @property
    def claim_ids(self) -> str:
        return " ".join(str(claim.id) for claim in self.claims)

    @property
    def title(self) -> str:
        return "; ".join(f"Claim #{claim.id} by {claim.speaker} ({claim.status})" for claim in self.claims)


@dataclass
class Paragraph:
    start: int
    end: int
    segments: list[Segment]


def paragraphs(text: str) -> list[tuple[int, int]]:
    """The ``(start, end)`` of each paragraph of ``text``: the text between blank lines, its
    surrounding white space left out. An empty or blank text has none."""
    result = []
    position = 0
    for match in _PARAGRAPH_BREAK.finditer(text):
        result.append((position, match.start()))
        position = match.end()
    result.append((position, len(text)))
    cleaned = []
    for start, end in result:
        while start < end and text[start].isspace():
            start += 1
        while end > start and text[end - 1].isspace():
            end -= 1
        if start < end:
            cleaned.append((start, end))
    return cleaned


def _order(claim: ClaimSpan):
    # Outer first: the earlier start, then the longer span; the id settles ties.
    return (claim.start, -claim.end, claim.id)


def segments(text: str, claims: Iterable[ClaimSpan]) -> list[Paragraph]:
    """The text's paragraphs, each cut at every edge of a claim's span that falls inside it.

    Claims without a span inside the text are left out. A piece covered by several claims lists them
    outer first (the earlier start, then the longer span), so the last is the innermost."""
    placed = sorted((c for c in claims if c.start is not None and c.end is not None
                     and 0 <= c.start < c.end <= len(text)), key=_order)
    edges = sorted({edge for claim in placed for edge in (claim.start, claim.end)})
    result = []
    for p_start, p_end in paragraphs(text):
        cuts = [p_start] + [e for e in edges if p_start < e < p_end] + [p_end]
        pieces = []
        for start, end in zip(cuts, cuts[1:]):
            covering = [claim for claim in placed if claim.start <= start and end <= claim.end]
            pieces.append(Segment(start, end, text[start:end], covering))
        result.append(Paragraph(p_start, p_end, pieces))
    return result


def overlapping(claims: Iterable[ClaimSpan], start: int, end: int, *, exclude: int | None = None) -> list[ClaimSpan]:
    """The claims whose span shares at least one character with ``[start, end)``, in text order."""
    return sorted((c for c in claims if c.id != exclude and c.start is not None and c.start < end and start < c.end),
                  key=_order)


def overlap_message(claims: Sequence[ClaimSpan]) -> str:
    """"This passage is already claim #10, by Jennifer Brick Murtazashvili" (and the others)."""
    if not claims:
        return ""
    each = [f"claim #{c.id}, by {c.speaker}" for c in claims]
    if len(each) == 1:
        return f"This passage is already {each[0]}."
    return f"This passage overlaps {', '.join(each[:-1])} and {each[-1]}."


class PassageError(ValueError):
    """Offsets that do not select a passage of the text; ``field`` names the wrong one."""

    def __init__(self, field: str, message: str):
        super().__init__(message)
        self.field = field
        self.message = message


def _strip(text: str, start: int, end: int) -> tuple[int, int]:
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    return start, end


def _quoted(text: str, start: int, end: int) -> tuple[int, int] | None:
    """The inside of the quotation that ``text[start:end]`` (trimmed) is, or None.

    The passage is a quotation when it holds its own opening and closing marks (“We will win.”), or
    when it is enclosed by them (the editor selected the words between them), punctuation allowed
    after the closing mark (“We will win,” he said), and no double quotation mark inside.
    """
    if text[start] in OPENING_QUOTES:
        opening, inner_start = text[start], start + 1
    elif start > 0 and text[start - 1] in OPENING_QUOTES:
        opening, inner_start = text[start - 1], start
    else:
        return None
    closing = {_QUOTE_PAIRS.get(opening, opening)}
    if opening in "“\"":
        closing |= {"”", "“", '"'}  # typeset, or typed plain at one end
    k = end
    while k > inner_start and text[k - 1] in _TRAILING_PUNCTUATION:
        k -= 1
    if k > inner_start and text[k - 1] in closing:
        inner_end = k - 1  # the closing mark is selected
    else:
        j = end
        while j < len(text) and text[j] in _TRAILING_PUNCTUATION:
            j += 1
        if not (j < len(text) and text[j] in closing):
            return None
        inner_end = end  # the words before the closing mark are selected
    inner_start, inner_end = _strip(text, inner_start, inner_end)
    while inner_end > inner_start and text[inner_end - 1] == ",":
        inner_end -= 1  # “We will win,” he said: the comma is the reporting sentence's
    if inner_start >= inner_end or any(ch in "\"“”„«»‹›" for ch in text[inner_start:inner_end]):
        return None
    return inner_start, inner_end


def passage(text: str, start: int, end: int) -> dict[str, Any]:
    """What the claim add form starts from for the passage ``text[start:end]`` a user selected.

    The selection is trimmed of white space. Inside quotation marks it is a direct quote, whose
    text is the words between the marks (a claim's text is what was said; the marks are the
    article's typography); anything else is a paraphrase, whose text starts as the passage itself
    (the editor rewords it) and whose ``span_exact`` is the passage. ``span_hint`` is where the
    claim's words begin, so that the claim is located there even if they occur earlier too.
    """
    if not isinstance(start, int) or not 0 <= start <= len(text):
        raise PassageError("start", f"Give a start between 0 and {len(text)}.")
    if not isinstance(end, int) or not start < end <= len(text):
        raise PassageError("end", f"Give an end after the start and at most {len(text)}.")
    start, end = _strip(text, start, end)
    if start >= end:
        raise PassageError("end", "The passage is only white space.")
    quoted = _quoted(text, start, end)
    if quoted is not None:
        q_start, q_end = quoted
        words = text[q_start:q_end]
        return {"kind": "direct_quote", "text": words, "span_exact": words, "span_hint": q_start,
                "start": q_start, "end": q_end}
    words = text[start:end]
    return {"kind": "paraphrase", "text": words, "span_exact": words, "span_hint": start, "start": start, "end": end}
