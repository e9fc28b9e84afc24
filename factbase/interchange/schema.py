"""The record as a schema (OpenAPI 3.0's dialect of JSON Schema), for the API's documentation: each key,
its type and its longest text, in either spelling (``record_schema``).
"""

from __future__ import annotations

from factbase.interchange.format import (
    ACTOR_KINDS,
    CLAIM_KINDS,
    MAX_LENGTHS,
    OUTLET_KINDS,
    PRECISIONS,
    RATINGS,
    RELATION_SHOWN_TYPES,
    RELATIONS_MAX_COUNT,
    STATUSES,
    V2_KEYS,
)
from factbase.models.limits import NAMES_MAX_COUNT, SOURCE_TEXT_MAX_LENGTH


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
