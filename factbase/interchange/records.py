"""A record once checked: the parsed claim (``ClaimRecord``) and the related records it names by natural
keys (``ActorRef``, ``OutletRef``, ``SourceRef``, ``TagRef``, ``ReviewRecord``), and the ``Problem`` that says
why a record was refused (``RecordError`` carries them).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import date
from typing import Any


@dataclass(frozen=True)
class Problem:
    """Why a record was refused: where (file and line), which field (a path such as
    ``speaker.name`` or ``reviews[0].rating``; empty for the record as a whole), and what is wrong."""

    line: int
    field: str
    message: str
    file: str = ""

    def __str__(self):
        where = f"{self.file}:{self.line}" if self.file else f"line {self.line}"
        return f"{where}: {self.field}: {self.message}" if self.field else f"{where}: {self.message}"


class RecordError(Exception):
    """A record that cannot be read: ``problems`` lists (field, message) pairs."""

    def __init__(self, problems: list[tuple[str, str]]):
        super().__init__("; ".join(f"{f}: {m}" if f else m for f, m in problems))
        self.problems = problems


# --- parsed records ------------------------------------------------------------------------------

@dataclass
class ActorRef:
    name: str | None
    kind: str | None
    stated: dict[str, Any]  # the fields the record gives (name, kind, aliases, description, wikidata_id)


@dataclass
class OutletRef:
    name: str
    stated: dict[str, Any]


@dataclass
class SourceRef:
    url: str
    title: str
    published_on: date | None
    stated: dict[str, Any]  # its fields as given; "outlet" as an OutletRef or None

    @property
    def key(self) -> tuple:
        """A source with a URL is known by it; one without, by its title and publication date."""
        return ("url", self.url) if self.url else ("title", self.title, self.published_on)

    def describe(self) -> str:
        if self.url:
            return self.url
        title = f"“{self.title}”" if self.title else "untitled"
        return f"{title} of {self.published_on.isoformat()}" if self.published_on else title


@dataclass
class TagRef:
    slug: str
    stated: dict[str, Any]


@dataclass
class ReviewRecord:
    rating: str
    rating_text: str
    summary: str
    reviewed_on: date | None
    reviewer: ActorRef | None
    source: SourceRef | None


@dataclass
class ClaimRecord:
    text: str
    kind: str
    speaker: ActorRef
    source: SourceRef
    uid: uuid.UUID | None = None
    speaker_role: str = ""
    stated_on: date | None = None
    stated_on_precision: str = ""
    stated: str | None = None  # a date expression, resolved against the source's date by the importer
    outlet: OutletRef | None = None
    passage: str = ""  # a paraphrase's passage in the source ("" for a direct quote)
    span_hint: int | None = None  # where the span was: picks among repeated phrases
    status: str | None = None  # None: not stated
    status_note: str | None = None
    tags: list[TagRef] | None = None
    reviews: list[ReviewRecord] | None = None
    relations: list[tuple[str, uuid.UUID]] | None = None  # (type as this claim sees it, the other claim's uid)
    line: int = 0
    related_problems: list[tuple[str, str]] = field(default_factory=list)

def shown_text(text: str, limit: int = 60) -> str:
    """A text of a record as a message shows it: at most ``limit`` characters, and those that a
    terminal would not show as themselves (NUL, other controls, lone surrogates, ...) escaped."""
    text = text[:limit]
    if text.isprintable():
        return text
    return "".join(char if char.isprintable() else ascii(char)[1:-1] for char in text)
