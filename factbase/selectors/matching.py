"""Text matching and the claim filters: names compared in the one normalisation (``name_matches``),
other text ignoring case on both databases (``text_contains``), and claims filtered by their speaker's or
outlet's name, their reviews and their date.

SQLite's case folding (``SQLITE_CASEFOLD``) is registered on each connection with the claim search's
function, by ``search.register_sqlite_functions``.
"""

from __future__ import annotations

import re
from datetime import date

from django.db import connection
from django.db.models import Exists, F, Func, OuterRef, Q, QuerySet, TextField
from django.db.models.functions import Cast
from django.db.models.lookups import Contains

from factbase.models import Actor, Claim, Outlet, Review
from factbase.models.base import UNDATED_SORTS_AS, FoldedNamesField, date_sort_key, folded_contains


UNDATED = date.fromisoformat(UNDATED_SORTS_AS)
SQLITE_CASEFOLD = "factbase_casefold"  # a SQL function registered on every SQLite connection


def is_postgresql() -> bool:
    return connection.vendor == "postgresql"


def text_contains(field: str, value: str) -> Q:
    """``field`` contains ``value``, ignoring case (all of Unicode, on both databases).

    On PostgreSQL ``icontains`` compares ``UPPER()`` forms, which the server does for all of Unicode.
    SQLite's ``LIKE`` only folds ASCII, so there both sides are case-folded first.
    """
    if is_postgresql():
        return Q(**{f"{field}__icontains": value})
    folded = Func(F(field), function=SQLITE_CASEFOLD, output_field=TextField())
    return Q(Contains(folded, value.casefold()))


def name_matches(value: str, prefix: str = "") -> Q:
    """A record one of whose names (an actor's name or aliases, an outlet's name, a tag's name or slug,
    a source's title or URL) contains ``value``, both in the one normalisation of
    ``provenance.normalize``: ``ＴＯＫＡＹＥＶ``, ``tokayev`` and ``Tokayev`` find the same actor."""
    return folded_contains(value, prefix)


def actor_name_matches(value: str, prefix: str = "") -> Q:
    """An actor whose name or one of whose aliases contains ``value`` (see ``name_matches``)."""
    return name_matches(value, prefix)


def field_matches(model, path: str, value: str) -> Q:
    """``value`` in the field at ``path`` from ``model`` (``"speaker__aliases"``): by ``name_matches``
    when the field is one of the record's names, else by ``text_contains``."""
    *relations, name = path.split("__")
    target = model
    for relation in relations:
        target = target._meta.get_field(relation).related_model
    folded = next((f for f in target._meta.concrete_fields if isinstance(f, FoldedNamesField)), None)
    if folded is not None and name in folded.of:
        return name_matches(value, "".join(f"{relation}__" for relation in relations))
    return text_contains(path, value)


def source_label_matches(word: str) -> Q | None:
    """A source with neither title nor URL whose label (``Source.title_of``: "Untitled source of
    2022-01-08", or "Untitled source") contains ``word``, ignoring case: the admin finds a source by
    what it shows of it (a source with a title or a URL is labelled by it, and found by searching it).
    None: no such source's label can contain it."""
    word = word.casefold()
    untitled = Q(title="", url="")
    if word in "untitled source":
        return untitled
    if word in "untitled source of":
        return untitled & Q(published_on__isnull=False)
    if re.fullmatch(r"[\d-]+", word):  # a part of the date, as the label writes it (ISO 8601)
        return untitled & Q(Contains(Cast("published_on", TextField()), word))
    return None


SPEAKER_NAME_ID_LIMIT = 500


def claims_by_speaker_name(queryset: QuerySet[Claim], value: str) -> QuerySet[Claim]:
    """Claims whose speaker's name or an alias contains ``value``, any case.

    The matching actors are looked up first (one query on the small actors table), and their ids
    given to the claims query: the planner then reads their claims through the ``(speaker, date,
    id)`` index. Given only a subquery, PostgreSQL cannot know that a name matches one actor, and
    walks all claims in date order testing each speaker (seconds at a million claims). A name so
    common that it matches more than ``SPEAKER_NAME_ID_LIMIT`` actors stays a subquery: for such a
    name the walk in date order finds a page quickly.
    """
    actors = Actor.objects.filter(actor_name_matches(value)).values_list("id", flat=True)
    ids = list(actors[: SPEAKER_NAME_ID_LIMIT + 1])
    if len(ids) > SPEAKER_NAME_ID_LIMIT:
        return queryset.filter(speaker_id__in=actors)
    return queryset.filter(speaker_id__in=ids)


def claims_by_outlet_name(queryset: QuerySet[Claim], value: str) -> QuerySet[Claim]:
    """Claims made in an outlet whose name contains ``value`` (``name_matches``): the outlets are looked up
    first, and their ids given to the claims query (served by the ``(outlet, date, id)`` index), as
    ``claims_by_speaker_name`` does."""
    outlets = Outlet.objects.filter(name_matches(value)).values_list("id", flat=True)
    ids = list(outlets[: SPEAKER_NAME_ID_LIMIT + 1])
    if len(ids) > SPEAKER_NAME_ID_LIMIT:
        return queryset.filter(outlet_id__in=outlets)
    return queryset.filter(outlet_id__in=ids)


def claims_reviewed(queryset: QuerySet[Claim], *, ratings=None, negated: bool = False) -> QuerySet[Claim]:
    """Claims with a review (of one of ``ratings``, when given); ``negated``: claims without one."""
    reviews = Review.objects.filter(claim_id=OuterRef("pk"))
    if ratings:
        reviews = reviews.filter(rating__in=list(ratings))
    return queryset.filter(~Exists(reviews) if negated else Exists(reviews))


def claims_stated(queryset: QuerySet[Claim], *, after=None, before=None) -> QuerySet[Claim]:
    """Claims stated on or after / on or before a date; undated claims are left out.

    The bounds are put on the same expression the date orderings sort by (``date_sort_key``), so the
    index that serves the order serves the range too.
    """
    queryset = queryset.alias(_stated_key=date_sort_key("stated_on")).filter(stated_on__isnull=False)
    if after is not None:
        queryset = queryset.filter(_stated_key__gte=after)
    if before is not None:
        queryset = queryset.filter(_stated_key__lte=before, _stated_key__gt=UNDATED)
    return queryset
