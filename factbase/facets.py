"""Facets of a set of claims, as Datasette computes them: for one column (or a claim's tags, or the
year of its date), the values the claims of the set have, each with how many claims have it, the most
frequent first.

``claim_facet(queryset, name, limit)`` is ONE SQL statement over the claims of ``queryset`` (filtered
as the list is): a ``GROUP BY`` of the value, ordered by count (then by the value, so that ties come
in a stable order; the claims without a value last among equals), ``LIMIT limit``; where the value
is a related record's id, the record's name (a tag's slug and name) is joined to the few grouped rows
in the same statement. ``factbase.plumbing.timelimit.run_limited`` bounds its time.

A claim without an outlet, a date or a tag counts in a bucket of its own whose value is ``None``
(Datasette's null facet value); the API filters it with ``has_outlet=false``, ``has_date=false`` and
``has_tag=false``.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.core.exceptions import EmptyResultSet
from django.db import connections
from django.db.models import Count, F, QuerySet
from django.db.models.functions import ExtractYear

from factbase.models import Actor, Claim, Outlet, Tag

VALUE, COUNT = "facet_value", "facet_count"


@dataclass(frozen=True)
class FacetValue:
    value: object  # what the list's filter takes: an id, a status, a kind, a tag's slug, a year; None: no value
    label: str  # a human name for it
    count: int


@dataclass(frozen=True)
class ClaimFacet:
    name: str
    #: the label of the claims without a value (None: every claim has one)
    none_label: str | None = None


CLAIM_FACETS: dict[str, ClaimFacet] = {facet.name: facet for facet in (
    ClaimFacet("speaker"),
    ClaimFacet("outlet", none_label="No outlet"),
    ClaimFacet("status"),
    ClaimFacet("kind"),
    ClaimFacet("tag", none_label="No tag"),
    ClaimFacet("year", none_label="Undated"),
)}


def _grouped(queryset: QuerySet, expression, limit: int) -> QuerySet:
    """``expression`` grouped over ``queryset`` with each value's count: the most frequent first, then
    by value (no value last), ``limit`` rows."""
    return (queryset.order_by().values(**{VALUE: expression}).annotate(**{COUNT: Count("*")})
            .order_by(f"-{COUNT}", F(VALUE).asc(nulls_last=True))[:limit])


def _run(alias: str, sql: str, params) -> list[tuple]:
    with connections[alias].cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


def _named(alias: str, inner_sql: str, params, model, columns: tuple[str, ...]) -> list[tuple]:
    """The grouped rows of ``inner_sql`` (value, count) with ``columns`` of ``model``'s record whose id is the
    value, in one statement: (value, count, *columns)."""
    table = connections[alias].ops.quote_name(model._meta.db_table)
    selected = ", ".join(f"r.{connections[alias].ops.quote_name(c)}" for c in columns)
    sql = (f'SELECT t."{VALUE}", t."{COUNT}", {selected} FROM ({inner_sql}) t '
           f'LEFT JOIN {table} r ON r."id" = t."{VALUE}" '
           f'ORDER BY t."{COUNT}" DESC, CASE WHEN t."{VALUE}" IS NULL THEN 1 ELSE 0 END, t."{VALUE}"')
    return _run(alias, sql, params)


def claim_facet(queryset: QuerySet[Claim], name: str, limit: int) -> list[FacetValue]:
    """The ``limit`` most frequent values of facet ``name`` among the claims of ``queryset``: one statement,
    on the database the queryset reads from (none when the queryset can select nothing, as
    ``claim_search`` of a query without a word on SQLite)."""
    try:
        return _claim_facet(queryset, name, limit)
    except EmptyResultSet:
        return []


def _claim_facet(queryset: QuerySet[Claim], name: str, limit: int) -> list[FacetValue]:
    facet = CLAIM_FACETS[name]
    alias = queryset.db
    queryset = queryset.using(alias)
    if name in ("status", "kind"):
        labels = dict(Claim._meta.get_field(name).flatchoices)
        rows = _grouped(queryset, F(name), limit).values_list(VALUE, COUNT)
        return [FacetValue(value, str(labels.get(value, value)), count) for value, count in rows]
    if name == "year":
        rows = _grouped(queryset, ExtractYear("stated_on"), limit).values_list(VALUE, COUNT)
        return [FacetValue(None if year is None else int(year),
                           facet.none_label if year is None else str(int(year)), count) for year, count in rows]
    if name in ("speaker", "outlet"):
        inner = _grouped(queryset, F(f"{name}_id"), limit)
        sql, params = inner.query.get_compiler(using=alias).as_sql()
        model = Actor if name == "speaker" else Outlet
        return [FacetValue(value, facet.none_label if value is None else label, count)
                for value, count, label in _named(alias, sql, params, model, ("name",))]
    if name == "tag":
        # Every claim of the set with each of its tags (a claim without a tag once, with none): the set's
        # own joins (a tag filter's among them) stay inside the subquery, where they only choose claims.
        ids = queryset.order_by().values(facet_claim=F("pk"))
        ids_sql, params = ids.query.get_compiler(using=alias).as_sql()
        ops = connections[alias].ops
        through = ops.quote_name(Claim.tags.through._meta.db_table)
        inner = (f'SELECT ct."tag_id" AS "{VALUE}", COUNT(*) AS "{COUNT}" FROM ({ids_sql}) c '
                 f'LEFT JOIN {through} ct ON ct."claim_id" = c."facet_claim" GROUP BY ct."tag_id" '
                 f'ORDER BY "{COUNT}" DESC, CASE WHEN ct."tag_id" IS NULL THEN 1 ELSE 0 END, ct."tag_id" '
                 f"LIMIT {int(limit)}")
        return [FacetValue(None if tag_id is None else slug, facet.none_label if tag_id is None else label, count)
                for tag_id, count, slug, label in _named(alias, inner, params, Tag, ("slug", "name"))]
    raise KeyError(name)
