"""Conditional requests on single records (RFC 9110).

The ETag is a hash of the record's representation as the API returns it, so it changes with
anything a reader would see change: its own fields, its tags, the name of an actor it embeds.

- ``GET``/``HEAD`` carry ``ETag``; ``If-None-Match`` naming it answers 304 without a body.
- ``PUT``, ``PATCH`` and ``DELETE`` honour ``If-Match``: when it names no current ETag (nor ``*``),
  the write is refused with 412, so a client cannot overwrite a change it has not seen.
"""

from __future__ import annotations

import hashlib
import json

import orjson
from django.utils.http import parse_etags, quote_etag
from drf_orjson_renderer.renderers import ORJSONRenderer

from api.exceptions import PreconditionFailed


def etag_for(data) -> str:
    """A strong ETag (quoted) for a representation: a hash of the bytes the JSON renderer writes for it (a
    reader's pre-built JSON, ``orjson.Fragment``, is those bytes)."""
    try:
        body = orjson.dumps(data, default=ORJSONRenderer.default, option=ORJSONRenderer.options)
    except TypeError:  # orjson.JSONEncodeError: a value it refuses (a lone surrogate)
        body = json.dumps(data, default=str, ensure_ascii=False).encode("utf-8", "surrogatepass")
    return quote_etag(hashlib.sha256(body).hexdigest()[:40])


def _weak_match(etag: str, candidates: list[str]) -> bool:
    plain = etag.removeprefix("W/")
    return any(candidate == "*" or candidate.removeprefix("W/") == plain for candidate in candidates)


def not_modified(request, etag: str) -> bool:
    """Whether ``If-None-Match`` names ``etag`` (weak comparison), so a GET may answer 304."""
    header = request.headers.get("If-None-Match")
    return bool(header) and _weak_match(etag, parse_etags(header))


def check_if_match(request, etag: str) -> None:
    """Raise ``PreconditionFailed`` (412) unless ``If-Match`` is absent, ``*``, or names ``etag``."""
    header = request.headers.get("If-Match")
    if header is None:
        return
    candidates = parse_etags(header)
    # Strong comparison: a weak validator never matches If-Match.
    if "*" in candidates or etag in candidates:
        return
    raise PreconditionFailed()
