"""Attributions in a news text: who said what, where and when, found by pure functions over a string.

``extract(text)`` lists the attributions a text holds, each as spans of the text (the content, the cue,
the speaker as written) with what the text tells about them (the speaker's name when the mention is a
pronoun or a title, the role, the outlet, the date phrase). Nothing here touches the database: the
gazetteer of known names is passed in, and ``factbase.suggestions`` turns attributions into suggested
claims (actors matched, dates resolved, already-recorded claims left out).

This first version finds direct quotes next to a reporting verb; its rules are replaced by the
extractor measured on PolNeAR (``make bench-extract``).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from factbase.provenance import Span

DIRECT_QUOTE = "direct_quote"
PARAPHRASE = "paraphrase"


@dataclass(frozen=True)
class Attribution:
    """One attribution: ``content`` is what was said (a quote without its quotation marks, or the reported
    statement), ``kind`` is ``"direct_quote"`` or ``"paraphrase"`` (``Claim.Kind``'s values)."""

    content: Span
    kind: str
    cue: Span | None = None
    speaker: Span | None = None
    speaker_name: str = ""
    role: str = ""
    outlet: str = ""
    date_phrase: str = ""


_QUOTE = re.compile(r"[\"\u201c\u201e\u00ab]([^\"\u201c\u201d\u201e\u00ab\u00bb]{3,}?)[\"\u201d\u00bb]")
_CUE = re.compile(r"\b(said|says|told|wrote|added|stated|according to)\b")
_NAME = re.compile(r"\b([A-Z][\w'\-]+(?:\s+[A-Z][\w'\-]+){0,3})")


def _span(text: str, start: int, end: int) -> Span:
    return Span(start, end, text[start:end])


def extract(text: str, *, names: Iterable[str] = ()) -> list[Attribution]:
    """The attributions in ``text``, in the order of their content. ``names`` are known speakers' names
    and aliases (a gazetteer), which help to recognise a speaker written in the text."""
    found = []
    for match in _QUOTE.finditer(text):
        after = text[match.end():match.end() + 80]
        cue = _CUE.search(after)
        if cue is None:
            continue
        cue_start = match.end() + cue.start()
        rest = text[cue_start + len(cue.group(0)):cue_start + len(cue.group(0)) + 60]
        name = _NAME.search(rest)
        speaker = None
        if name is not None:
            offset = cue_start + len(cue.group(0)) + name.start(1)
            speaker = _span(text, offset, offset + len(name.group(1)))
        found.append(Attribution(
            content=_span(text, match.start(1), match.end(1)), kind=DIRECT_QUOTE,
            cue=_span(text, cue_start, cue_start + len(cue.group(0))), speaker=speaker,
            speaker_name=speaker.exact if speaker else "",
        ))
    return found
