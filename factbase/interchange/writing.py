"""Writing records: a claim and its related records (model instances) as a record of the format
(``claim_record``), in either spelling (``respelled``), as an NDJSON line or a CSV row.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from typing import Any

import orjson

from factbase.interchange.format import (
    CSV_COLUMNS,
    CSV_COLUMNS_V2,
    CSV_SUSPECT_STARTS,
    V2_KEYS,
    csv_escape_cell,
    join_list,
)


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
    suspect = CSV_SUSPECT_STARTS
    writer.writerows([csv_escape_cell(cell) if cell.startswith(suspect) else cell for cell in row] for row in rows)
    return out.getvalue()
