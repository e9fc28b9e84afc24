"""Keyset (cursor) pagination over a total order: the user's sort key, then the primary key.

DRF's ``CursorPagination`` keys on one field position only, which skips or repeats rows where that
field ties (many claims share a day) and cannot step over NULLs. Here a page is found by a
comparison on every sort key, e.g. for ``-stated_on``::

    key <= K AND (key < K OR id < I)       -- key = COALESCE(stated_on, '0001-01-01')

which an index on ``(key DESC, id DESC)`` answers by seeking, so a page deep in the table costs what
the first page costs; no request counts the table. Unknown dates sort as the earliest date (see
``factbase.models.base.date_sort_key``), so there is no NULL to compare.

A cursor is an opaque, URL-safe token naming the ordering it belongs to, the direction, and the sort
key values of the row it starts after (or before). ``next`` and ``previous`` are links, ``null`` when
there is no such page.

``count=true`` adds ``count``, the exact number of matching records: one more statement (a ``COUNT``
of the filtered list, without the cursor), only when asked for, under the time limit of
``factbase.plumbing.timelimit`` (``API_FACET_TIME_LIMIT_MS``); past it ``count`` is null and the page is
served as ever.
"""

from __future__ import annotations

import base64
import binascii
import json
import math
from dataclasses import dataclass
from datetime import date, datetime, timezone as dt_timezone

from django.conf import settings
from django.db.models import F, Q
from django.utils import timezone
from rest_framework.exceptions import ValidationError
from rest_framework.pagination import BasePagination
from rest_framework.response import Response
from rest_framework.utils.urls import remove_query_param, replace_query_param

from api.numbers import ASCII_SPACE, MAX_BIGINT, iso_date, whole_number
from api.parsers import json_problem
from factbase.selectors import SortKey
from factbase.plumbing.timelimit import run_limited, time_limit_ms

CURSOR_PARAM = "cursor"
PAGE_SIZE_PARAM = "page_size"
ORDERING_PARAM = "ordering"
COUNT_PARAM = "count"


def default_page_size() -> int:
    return settings.API_PAGE_SIZE


def max_page_size() -> int:
    return settings.API_MAX_PAGE_SIZE


def count_query(queryset):
    """What ``count=true`` counts: the list's records that match its filters, on every page."""
    return queryset.order_by()


def count_asked(request) -> bool:
    """Whether ``count=true`` asks for the number of matching records (``false`` or left out: not); any
    other value is a 400 naming ``count``."""
    values = request.query_params.getlist(COUNT_PARAM)
    if not values or values[-1] == "":
        return False
    if values[-1] not in ("true", "false"):
        raise ValidationError({COUNT_PARAM: ["Give true (add the number of matching records) or false."]})
    return values[-1] == "true"


@dataclass(frozen=True)
class Cursor:
    ordering: str
    values: list
    reverse: bool = False  # False: the rows after ``values``; True: the rows before them
    inclusive: bool = False  # whether the row at ``values`` itself is included


def _encode_value(value):
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    return value


#: the longest cursor a page link can carry (a sort key of 200 characters, each up to 4 bytes of UTF-8,
#: and an id, in base64); a longer one was not made here
MAX_CURSOR_LENGTH = 2048


def _decode_value(kind: str, value):
    """A sort key's value from a cursor, as the database can compare it; ValueError when it cannot be one."""
    if kind == "int":
        if isinstance(value, bool) or not isinstance(value, int) or not -MAX_BIGINT <= value <= MAX_BIGINT:
            raise ValueError
        return value
    if kind == "float":
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
            raise ValueError
        return float(value)
    if not isinstance(value, str) or "\x00" in value:
        raise ValueError
    if kind == "date":
        parsed = iso_date(value)  # YYYY-MM-DD in 0-9, as encode_cursor writes it
        if parsed is None:
            raise ValueError
        return parsed
    if kind == "datetime":
        if not value.isascii():
            raise ValueError
        parsed = datetime.fromisoformat(value)
        if timezone.is_naive(parsed):
            return parsed.replace(tzinfo=dt_timezone.utc)
        # In UTC, as both databases compare it; a time whose UTC falls outside years 1 to 9999 (0001-01-01
        # at +05:00) exists for Python but for no database: OverflowError.
        return parsed.astimezone(dt_timezone.utc)
    return value


def encode_cursor(cursor: Cursor) -> str:
    payload = {"o": cursor.ordering, "v": [_encode_value(v) for v in cursor.values]}
    if cursor.reverse:
        payload["r"] = 1
    if cursor.inclusive:
        payload["i"] = 1
    raw = json.dumps(payload, separators=(",", ":"), ensure_ascii=False).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(token: str, ordering: str, keys: list[SortKey]) -> Cursor:
    invalid = ValidationError({CURSOR_PARAM: ["This cursor is not valid: use the next and previous links as given."]})
    if len(token) > MAX_CURSOR_LENGTH:
        raise invalid
    try:
        raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
        payload = json.loads(raw.decode())
    except (binascii.Error, ValueError, UnicodeDecodeError, RecursionError):
        raise invalid from None
    # A cursor holds an object of an ordering's name and a list of values: two levels. A lone surrogate
    # ("\ud800") decodes, but no database can compare text with it (nor can a response quote it).
    if json_problem(payload, max_depth=2, finite=True) is not None:
        raise invalid
    if not isinstance(payload, dict) or not isinstance(payload.get("v"), list) or len(payload["v"]) != len(keys):
        raise invalid
    if payload.get("o") != ordering:
        raise ValidationError({CURSOR_PARAM: [
            f"This cursor belongs to another ordering ({str(payload.get('o'))[:50]!r}); "
            f"repeat the ordering it was made with, or start again without a cursor."
        ]})
    try:
        values = [_decode_value(key.kind, value) for key, value in zip(keys, payload["v"])]
    except (TypeError, ValueError, OverflowError):
        raise invalid from None
    if payload.get("r", 0) not in (0, 1) or payload.get("i", 0) not in (0, 1):
        raise invalid
    return Cursor(ordering, values, reverse=bool(payload.get("r")), inclusive=bool(payload.get("i")))


def _keyset_condition(keys: list[SortKey], values: list, *, reverse: bool, inclusive: bool) -> Q:
    """The rows that come after ``values`` in the order of ``keys`` (before them when ``reverse``).

    Written as ``k0 <= v0 AND (k0 < v0 OR (k1 < v1 ...))`` (directions adjusted), whose first term
    an index on the keys answers with a seek.
    """
    def op(key: SortKey, strict: bool) -> str:
        descending = key.descending != reverse
        return ("lt" if descending else "gt") + ("" if strict else "e")

    last = len(keys) - 1
    condition = Q(**{f"{keys[last].name}__{op(keys[last], strict=not inclusive)}": values[last]})
    for i in range(last - 1, -1, -1):
        key, value = keys[i], values[i]
        condition = Q(**{f"{key.name}__{op(key, strict=True)}": value}) | (Q(**{key.name: value}) & condition)
    first = keys[0]
    return Q(**{f"{first.name}__{op(first, strict=False)}": values[0]}) & condition


class KeysetPagination(BasePagination):
    """Keyset pagination; the view names its orderings with ``get_orderings()`` (name -> sort keys), and may say
    how a page is read with ``page_query(ordered, limit)`` (a search's claims: ids first, ``selectors.ids_first``)."""

    def get_page_size(self, request) -> int:
        values = request.query_params.getlist(PAGE_SIZE_PARAM)
        if not values or values[-1] == "":  # an empty parameter is one left out (an HTML form sends them)
            return default_page_size()
        value = whole_number(values[-1].strip(ASCII_SPACE))  # digits 0-9 alone: "١" is not 1 here
        if value is None or not 1 <= value <= max_page_size():
            raise ValidationError({PAGE_SIZE_PARAM: [
                f"Give a whole number from 1 to {max_page_size()}, in the digits 0-9 (the default is "
                f"{default_page_size()})."
            ]})
        return value

    def get_ordering(self, request, view) -> tuple[str, list[SortKey]]:
        orderings = view.get_orderings()
        names = request.query_params.getlist(ORDERING_PARAM)
        name = names[-1] if names and names[-1] != "" else next(iter(orderings))
        if name not in orderings:
            raise ValidationError({ORDERING_PARAM: [
                f"“{name[:50]}” is not an ordering here. Choose one of: {', '.join(orderings)}."
            ]})
        return name, view.resolve_ordering(name, orderings[name])

    def paginate_queryset(self, queryset, request, view=None):
        self.request = request
        page_size = self.get_page_size(request)
        self.count_asked = count_asked(request)
        self.count = None
        matching = queryset
        ordering, keys = self.get_ordering(request, view)
        token = request.query_params.get(CURSOR_PARAM)
        cursor = decode_cursor(token, ordering, keys) if token else None
        reverse = bool(cursor and cursor.reverse)

        present = set(queryset.query.annotations)
        queryset = queryset.annotate(**{k.name: k.expression for k in keys if k.name not in present})
        if cursor is not None:
            queryset = queryset.filter(
                _keyset_condition(keys, cursor.values, reverse=reverse, inclusive=cursor.inclusive)
            )
        order = [F(k.name).desc() if k.descending != reverse else F(k.name).asc() for k in keys]
        ordered = queryset.order_by(*order)
        page_query = getattr(view, "page_query", None)
        page = page_query(ordered, page_size + 1) if page_query is not None else ordered[: page_size + 1]
        fetch_page = getattr(view, "fetch_page", None)
        rows = fetch_page(page, [k.name for k in keys]) if fetch_page is not None else list(page)
        has_more = len(rows) > page_size
        rows = rows[:page_size]
        if reverse:
            rows.reverse()

        def position(row):
            return [getattr(row, k.name) for k in keys]

        self.next_cursor = self.previous_cursor = None
        if rows:
            first, last = Cursor(ordering, position(rows[0]), reverse=True), Cursor(ordering, position(rows[-1]))
            if reverse:
                self.previous_cursor = first if has_more else None
                self.next_cursor = last
            else:
                self.next_cursor = last if has_more else None
                self.previous_cursor = first if cursor is not None else None
        elif cursor is not None:
            # An empty page (the rows were deleted meanwhile): lead back to where the cursor pointed.
            self.previous_cursor = Cursor(ordering, cursor.values, reverse=True, inclusive=True) if not reverse else None
            self.next_cursor = Cursor(ordering, cursor.values, inclusive=True) if reverse else None
        if self.count_asked:
            counted = count_query(matching)
            self.count, _ = run_limited(counted.db, counted.count)
        return rows

    def _link(self, cursor: Cursor | None):
        if cursor is None:
            return None
        url = self.request.build_absolute_uri()
        return replace_query_param(url, CURSOR_PARAM, encode_cursor(cursor))

    def links(self) -> tuple[str | None, str | None]:
        """The URLs of the next and the previous page (None: no such page), made once for the body and the header."""
        cursors = (self.next_cursor, self.previous_cursor)
        made = self.__dict__.get("_links")
        if made is None or made[0] != cursors:
            made = self._links = (cursors, (self._link(self.next_cursor), self._link(self.previous_cursor)))
        return made[1]

    def get_paginated_response(self, data):
        body = {"count": self.count} if getattr(self, "count_asked", False) else {}
        next_url, previous_url = self.links()
        return Response({
            **body,
            "next": next_url,
            "previous": previous_url,
            "results": data,
        }, headers=self.get_link_header())

    def get_link_header(self) -> dict[str, str]:
        """The next and previous pages as a ``Link`` header (RFC 8288), for the formats (CSV, JSON-LD)
        whose body has no room for them; JSON lists carry it too."""
        links = [f'<{url}>; rel="{rel}"' for rel, url in zip(("next", "prev"), self.links()) if url]
        return {"Link": ", ".join(links)} if links else {}

    def get_first_page_link(self):
        return remove_query_param(self.request.build_absolute_uri(), CURSOR_PARAM)

    # --- OpenAPI -------------------------------------------------------------------------------

    def get_paginated_response_schema(self, schema):
        return {
            "type": "object",
            "required": ["next", "previous", "results"],
            "properties": {
                "count": {
                    "type": "integer", "nullable": True, "minimum": 0,
                    "description": "Only with `count=true`: the exact number of records that match the filters "
                                   "(all pages), or null when counting took longer than the time limit "
                                   f"(`DJANGO_API_FACET_TIME_LIMIT_MS`, {time_limit_ms()} ms here).",
                    "example": 37,
                },
                "next": {
                    "type": "string", "nullable": True, "format": "uri",
                    "description": "The next page, or null on the last page.",
                    "example": "http://127.0.0.1:8000/api/v1/claims/?cursor=eyJvIjoiLXN0YXRlZF9vbiIsInYiOlsiMjAyMi0wMS0wNyIsMTJdfQ",
                },
                "previous": {
                    "type": "string", "nullable": True, "format": "uri",
                    "description": "The previous page, or null on the first page.",
                    "example": None,
                },
                "results": schema,
            },
        }

    def get_schema_operation_parameters(self, view):
        orderings = list(view.get_orderings())
        ordering_description = (
            f"Sort order; the default is `{orderings[0]}`. Rows that tie are ordered by id in the same direction, "
            f"so pages never skip or repeat a row."
        )
        extra = getattr(view, "ordering_description", "")
        if extra:
            ordering_description += " " + extra
        return [
            {
                "name": CURSOR_PARAM, "in": "query", "required": False,
                "description": "Where the page starts: copy it from a response's `next` or `previous` link. "
                               "A cursor only works with the ordering it was made with.",
                "schema": {"type": "string"},
                "example": "eyJvIjoiLXN0YXRlZF9vbiIsInYiOlsiMjAyMi0wMS0wNyIsMTJdfQ",
            },
            {
                "name": PAGE_SIZE_PARAM, "in": "query", "required": False,
                "description": f"How many rows a page holds: 1 to {max_page_size()} (default {default_page_size()}). "
                               f"A larger value is refused with 400, not reduced.",
                "schema": {"type": "integer", "minimum": 1, "maximum": max_page_size()},
                "example": 20,
            },
            {
                "name": ORDERING_PARAM, "in": "query", "required": False,
                "description": ordering_description,
                "schema": {"type": "string", "enum": orderings},
                "example": orderings[0],
            },
            {
                "name": COUNT_PARAM, "in": "query", "required": False,
                "description": "`true`: the answer adds `count`, the exact number of matching records, counted "
                               "under a time limit (null past it); `false` (the default): no count. Anything "
                               "else is refused with 400.",
                "schema": {"type": "boolean", "default": False},
                "example": True,
            },
        ]
