"""A review as schema.org ClaimReview (JSON-LD, ``claim_review_jsonld``), safe to embed in an HTML page.
"""

from __future__ import annotations

from typing import Any

import orjson


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
