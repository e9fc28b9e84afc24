"""Orderings: for each resource, the keyset orderings the API offers (``ORDERINGS``), as sort keys
(``SortKey``) ending in the primary key (a total order), built on ``date_sort_key`` where a date may be
unknown; and a search's ``relevance``.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import F

from factbase.models.base import date_sort_key


@dataclass(frozen=True)
class SortKey:
    """One key of a keyset ordering: an annotation name, its expression, its direction and type."""

    name: str
    expression: object
    descending: bool
    kind: str  # "date", "datetime", "int", "float" or "str": how a cursor stores the value


def _id(descending: bool) -> SortKey:
    return SortKey("_key_id", F("id"), descending, "int")


def _ordering(field: str, expression, kind: str) -> dict[str, list[SortKey]]:
    return {
        field: [SortKey(f"_key_{field}", expression, False, kind), _id(False)],
        f"-{field}": [SortKey(f"_key_{field}", expression, True, kind), _id(True)],
    }


def _by_date(field: str) -> dict[str, list[SortKey]]:
    return _ordering(field, date_sort_key(field), "date")


def _by_created() -> dict[str, list[SortKey]]:
    return _ordering("created_at", F("created_at"), "datetime")


def _by_name() -> dict[str, list[SortKey]]:
    return _ordering("name", F("name"), "str")


def _by_updated() -> dict[str, list[SortKey]]:
    """Last changed first or last: every resource has it (an ``(updated_at, id)`` index each, migration 0011),
    so that a client can fetch what changed since its last visit (with ``updated_after``)."""
    return _ordering("updated_at", F("updated_at"), "datetime")


RELEVANCE = "relevance"
RELEVANCE_KEYS = [SortKey("_key_search_rank", F("search_rank"), True, "float"), _id(True)]

# name -> keys; the first entry of each is the resource's default ordering.
ORDERINGS: dict[str, dict[str, list[SortKey]]] = {
    "claim": {**{"-stated_on": _by_date("stated_on")["-stated_on"]}, **_by_date("stated_on"), **_by_created(),
              **_by_updated()},
    "actor": {**_by_name(), **_by_updated()},
    "outlet": {**_by_name(), **_by_updated()},
    "tag": {**_by_name(), **_by_updated()},
    "source": {**{"-published_on": _by_date("published_on")["-published_on"]}, **_by_date("published_on"),
               **_by_updated()},
    "review": {**{"-reviewed_on": _by_date("reviewed_on")["-reviewed_on"]}, **_by_date("reviewed_on"),
               **_by_updated()},
    "claim_relation": {**{"-created_at": _by_created()["-created_at"]}, **_by_created(), **_by_updated()},
}
