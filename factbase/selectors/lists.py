"""The querysets of the lists: each ``*_list`` selector with the joins and prefetches that its brief and
full representations need, so that listing a page costs the same few queries whatever its size; and what
a record's representation embeds beyond its row (claim counts, a claim's relations).
"""

from __future__ import annotations

from django.db.models import Count, IntegerField, OuterRef, Prefetch, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce

from factbase.models import Actor, Claim, ClaimRelation, Outlet, Review, Source, Tag
from factbase.models.base import date_sort_key
from factbase.models.relation import shown_type


# ``embed`` names what a selector reads beyond the record's own row: related records (joined, or
# prefetched in one query for the page) and counts (one correlated subquery, run for the rows of the page
# only). None reads all of them; a caller that shows less (the API's ``?fields=``/``?omit=``) names what it
# shows, and the rest costs nothing.

ACTOR_EMBEDS = ("claim_count",)
OUTLET_EMBEDS = ("claim_count",)
TAG_EMBEDS = ("claim_count",)
SOURCE_EMBEDS = ("outlet", "claim_count")
CLAIM_EMBEDS = ("speaker", "outlet", "source", "status_changed_by", "tags", "reviews")
REVIEW_EMBEDS = ("claim", "reviewer", "source")


def _embeds(embed, every: tuple[str, ...]) -> set[str]:
    return set(every) if embed is None else set(embed) & set(every)


def _joined(queryset: QuerySet, names) -> QuerySet:
    """``queryset`` with the relations ``names`` joined (none: none; ``select_related()`` would join them all)."""
    names = list(names)
    return queryset.select_related(*names) if names else queryset


def claim_count(field: str):
    """How many claims point to the outer record by ``field`` (``speaker``, ``outlet``, ``source``, or ``tags``):
    a correlated subquery, answered from the (speaker|outlet|source, date, id) index, or from the claims'
    tags table's index on its tag. PostgreSQL evaluates it for the rows a page returns, after its LIMIT:
    a page of 100 actors counts the claims of 100 actors (an index-only scan each, in proportion to that
    actor's claims), whatever the size of the table."""
    if field == "tags":
        rows = Claim.tags.through.objects.filter(tag_id=OuterRef("pk")).order_by().values("tag_id")
    else:
        rows = Claim.objects.filter(**{f"{field}_id": OuterRef("pk")}).order_by().values(f"{field}_id")
    counted = rows.annotate(n=Count("*")).values("n")
    return Coalesce(Subquery(counted, output_field=IntegerField()), 0)


def _counted(queryset: QuerySet, field: str, embeds: set[str]) -> QuerySet:
    return queryset.annotate(claim_count=claim_count(field)) if "claim_count" in embeds else queryset


def actor_list(*, embed=None) -> QuerySet[Actor]:
    """Actors, with ``claim_count`` (the claims they made)."""
    return _counted(Actor.objects.all(), "speaker", _embeds(embed, ACTOR_EMBEDS))


def outlet_list(*, embed=None) -> QuerySet[Outlet]:
    """Outlets, with ``claim_count``: the claims made on the outlet (``Claim.outlet``)."""
    return _counted(Outlet.objects.all(), "outlet", _embeds(embed, OUTLET_EMBEDS))


def tag_list(*, embed=None) -> QuerySet[Tag]:
    """Tags, with ``claim_count`` (the claims that have the tag)."""
    return _counted(Tag.objects.all(), "tags", _embeds(embed, TAG_EMBEDS))


def source_list(*, with_text: bool = True, embed=None) -> QuerySet[Source]:
    """Sources with their outlet and ``claim_count`` (the claims it reports); ``with_text=False`` leaves the
    (possibly long) full text unread."""
    embeds = _embeds(embed, SOURCE_EMBEDS)
    queryset = Source.objects.select_related("outlet") if "outlet" in embeds else Source.objects.all()
    queryset = _counted(queryset, "source", embeds)
    return queryset if with_text else queryset.defer("text")


#: the order of a claim's reviews: newest ``reviewed_on`` first, an unknown date last, then by id
CLAIM_REVIEW_ORDER = (date_sort_key("reviewed_on").desc(), "id")


def claim_list(*, embed=None) -> QuerySet[Claim]:
    """Claims with their speaker, outlet, source (without its full text) and the user who last changed their
    status joined, and their tags and reviews (each review with its reviewer) prefetched: three queries a
    page. ``embed``: which of ``CLAIM_EMBEDS`` to read (None: all)."""
    embeds = _embeds(embed, CLAIM_EMBEDS)
    queryset = _joined(Claim.objects.all(), (name for name in CLAIM_EMBEDS[:4] if name in embeds))
    if "source" in embeds:
        queryset = queryset.defer("source__text")
    prefetches = []
    if "tags" in embeds:
        prefetches.append(Prefetch("tags", queryset=Tag.objects.order_by("name", "id")))
    if "reviews" in embeds:
        prefetches.append(Prefetch("reviews", queryset=Review.objects.select_related("reviewer")
                                   .order_by(*CLAIM_REVIEW_ORDER)))
    return queryset.prefetch_related(*prefetches)


def claim_relation_list() -> QuerySet[ClaimRelation]:
    """Relations with both their claims: one query a page."""
    return ClaimRelation.objects.select_related("claim", "related_claim").only(
        "id", "type", "created_at", "updated_at", *(f"{side}__{name}" for side in ("claim", "related_claim")
                                                    for name in ("id", "text", "kind")))


#: what ``claim_relations`` gives of the claim on the other side of a relation (its brief form)
RELATED_CLAIM_COLUMNS = ("id", "text", "kind")


def claim_relations_query(claim_ids, also_ids=None) -> QuerySet:
    """The rows ``claim_relations`` reads (``also_ids``: the same ids again, for a compiled query, which
    takes each value once): each relation with a side among the claims, both sides' brief columns."""
    columns = [f"{side}__{name}" for side in ("claim", "related_claim") for name in RELATED_CLAIM_COLUMNS]
    return (ClaimRelation.objects.filter(Q(claim_id__in=claim_ids)
                                         | Q(related_claim_id__in=claim_ids if also_ids is None else also_ids))
            .order_by("id").values_list("type", *columns))


def relations_by_claim(rows, claim_ids) -> dict[int, list[tuple[str, int, str, str]]]:
    """Rows of ``claim_relations_query`` as each claim of ``claim_ids`` sees them: (type as seen from that
    claim, the other claim's id, text and kind), in the order the relations were made."""
    wanted = set(claim_ids)
    by_claim: dict[int, list] = {}
    for relation_type, claim_id, claim_text, claim_kind, related_id, related_text, related_kind in rows:
        if claim_id in wanted:
            by_claim.setdefault(claim_id, []).append(
                (shown_type(relation_type, from_related=False), related_id, related_text, related_kind))
        if related_id in wanted:
            by_claim.setdefault(related_id, []).append(
                (shown_type(relation_type, from_related=True), claim_id, claim_text, claim_kind))
    return by_claim


def claim_relations(claim_ids, *, using: str | None = None) -> dict[int, list[tuple[str, int, str, str]]]:
    """The relations of each of these claims, seen from it, from both sides (one query for them all): a
    symmetric type as it is, a directed one that points at the claim by its inverse (``responded_to_by``)."""
    claim_ids = list(claim_ids)
    if not claim_ids:
        return {}
    queryset = claim_relations_query(claim_ids)
    if using is not None:
        queryset = queryset.using(using)
    return relations_by_claim(queryset, claim_ids)


def claim_relation_uids(claim_ids, *, using: str | None = None) -> dict[int, list[tuple[str, object]]]:
    """The relations of each of these claims as the interchange format gives them: (type as the claim sees
    it, the other claim's uid), in the order they were made; one query for them all."""
    claim_ids = list(claim_ids)
    if not claim_ids:
        return {}
    wanted = set(claim_ids)
    queryset = (ClaimRelation.objects.filter(Q(claim_id__in=claim_ids) | Q(related_claim_id__in=claim_ids))
                .order_by("id").values_list("type", "claim_id", "claim__uid", "related_claim_id", "related_claim__uid"))
    if using is not None:
        queryset = queryset.using(using)
    by_claim: dict[int, list] = {}
    for relation_type, claim_id, claim_uid, related_id, related_uid in queryset:
        if claim_id in wanted:
            by_claim.setdefault(claim_id, []).append((shown_type(relation_type, from_related=False), related_uid))
        if related_id in wanted:
            by_claim.setdefault(related_id, []).append((shown_type(relation_type, from_related=True), claim_uid))
    return by_claim


def claims_related_to(queryset: QuerySet[Claim], claim_id: int) -> QuerySet[Claim]:
    """Claims related to claim ``claim_id``, on either side of the relation, each once."""
    relations = ClaimRelation.objects.order_by()
    return queryset.filter(Q(pk__in=relations.filter(claim_id=claim_id).values("related_claim_id"))
                           | Q(pk__in=relations.filter(related_claim_id=claim_id).values("claim_id")))


def review_list(*, embed=None) -> QuerySet[Review]:
    """Reviews with their claim, reviewer and source (without its full text): one query a page."""
    embeds = _embeds(embed, REVIEW_EMBEDS)
    queryset = _joined(Review.objects.all(), (name for name in REVIEW_EMBEDS if name in embeds))
    return queryset.defer("source__text") if "source" in embeds else queryset
