"""Claims read as JSON written by the database (``api.readers``), and the SQL of what no column holds.

``ClaimSerializer`` declares a claim's representation; ``api.sqljson`` compiles it. Three of its values are
not columns, and their SQL is here, each beside the Python it equals:

- ``span`` (``Claim.span``): null, or ``{"start", "end", "exact"}`` from the three span columns;
- a brief source's ``display_title`` (``Source.title_of``): its title, else its URL, else "Untitled source of
  <date>", else "Untitled source";
- ``relations`` (``ClaimRelationsField``, ``selectors.relations_by_claim``): the claim's relations from both
  sides in the order they were made, a directed type seen from the related claim by its inverse.

The lists a claim embeds are in the order ``selectors.claim_list`` prefetches them in (tags by name then
id, reviews as ``selectors.CLAIM_REVIEW_ORDER``), read from its ``Prefetch`` objects.
"""

from __future__ import annotations

from django.db.models import Prefetch

from api.readers import DatabaseReader
from api.sqljson import Compiler, json_literal, literal, register, string_case
from api.v1.serializers import BriefClaimSerializer, ClaimRelationsField, SpanSerializer
from factbase import selectors
from factbase.models import Claim, ClaimRelation, Source
from factbase.models.relation import INVERSE


def _prefetch_orderings(queryset, model) -> dict:
    orderings = {}
    for lookup in queryset._prefetch_related_lookups:
        if isinstance(lookup, Prefetch) and lookup.queryset is not None:
            orderings[(model, lookup.prefetch_to)] = tuple(lookup.queryset.query.order_by)
    return orderings


class ClaimReader(DatabaseReader):
    orderings = _prefetch_orderings(selectors.claim_list(), Claim)


@register((Claim, "span"))
def span_sql(compiler: Compiler, field, model, alias: str) -> str:
    d = compiler.dialect
    columns = {"start": d.integer, "end": d.integer, "exact": d.string}
    if list(SpanSerializer().fields) != list(columns):
        raise AssertionError("SpanSerializer's fields changed: change span_sql too")
    parts = []
    for name, write in columns.items():
        parts.append(json_literal(("{" if not parts else ",") + f'"{name}":'))
        parts.append(write(compiler.column(alias, model, f"span_{name}")))
    start = compiler.column(alias, model, "span_start")
    return f"(CASE WHEN {start} IS NULL THEN 'null' ELSE {' || '.join(parts)} || '}}' END)"


@register((Source, "display_title"))
def display_title_sql(compiler: Compiler, field, model, alias: str) -> str:
    title, url, published_on = (compiler.column(alias, model, name) for name in ("title", "url", "published_on"))
    text = (f"(CASE WHEN COALESCE({title}, '') <> '' THEN {title} WHEN COALESCE({url}, '') <> '' THEN {url} "
            f"WHEN {published_on} IS NOT NULL THEN {literal('Untitled source of ')} || "
            f"{compiler.dialect.date_text(published_on)} ELSE {literal('Untitled source')} END)")
    return compiler.dialect.string(text)


@register(ClaimRelationsField)
def relations_sql(compiler: Compiler, field, model, alias: str) -> str:
    q = compiler.q
    relation, other = compiler.alias(), compiler.alias()
    claim_id = f"{relation}.{q(ClaimRelation._meta.get_field('claim').column)}"
    related_id = f"{relation}.{q(ClaimRelation._meta.get_field('related_claim').column)}"
    own_id = compiler.column(alias, model, "id")
    kind = f"{relation}.{q(ClaimRelation._meta.get_field('type').column)}"
    shown = f"(CASE WHEN {claim_id} = {own_id} THEN {kind} ELSE {string_case(compiler, kind, dict(INVERSE))} END)"
    brief = compiler.object(BriefClaimSerializer(context=field.context), other)
    item = f"('{{\"type\":' || {compiler.dialect.string(shown)} || ',\"claim\":' || {brief} || '}}')"
    tables = (f"{q(ClaimRelation._meta.db_table)} {relation} JOIN {q(Claim._meta.db_table)} {other} ON "
              f"{other}.{q('id')} = (CASE WHEN {claim_id} = {own_id} THEN {related_id} ELSE {claim_id} END)")
    where = f"({claim_id} = {own_id} OR {related_id} = {own_id})"
    return compiler.dialect.aggregate(item, tables, where, compiler.order_sql(ClaimRelation, ("id",), relation))
