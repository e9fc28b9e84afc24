"""``GET /api/v1/claims/facets/``: the facets of the claims that the list's filters select, as Datasette
users know them, each under a time limit.

``?facet=speaker&facet=status`` (repeat it, or separate names by commas; none: every facet) with any
filter of the claims list (and ``q``) answers::

    {"facets": {"speaker": {"results": [{"value": 1, "label": "Kassym-Yomart Tokayev", "count": 3,
                                         "url": ".../claims/?speaker=1"}, ...],
                            "truncated": false, "timed_out": false}, ...}}

- ``results``: the ``facet_size`` most frequent values (10 by default, 1 to 100), by count, ties by value;
  ``value`` is what the list's filter takes (an actor's or outlet's id, a status, a kind, a tag's slug, a
  year), ``label`` a name for people, ``url`` the claims list with the request's filters and this value's.
  A year's URL bounds ``stated_after`` / ``stated_before`` to the year (within the request's own bounds).
- the bucket without a value (Datasette's null facet): the claims without an outlet, a date or a tag have
  ``value`` null, a ``label`` saying so ("No outlet", "Undated", "No tag") and a URL filtered with
  ``has_outlet=false``, ``has_date=false``, ``has_tag=false``; it is ranked by its count like any value.
- ``truncated``: more values exist than shown.
- ``timed_out``: the facet's statement took longer than ``API_FACET_TIME_LIMIT_MS`` and the database
  stopped it: ``results`` is then empty (a facet is one statement: there is nothing partial to show),
  ``truncated`` false. The other facets are computed all the same, and the answer is a 200.

Each facet is one SQL statement (``factbase.facets.claim_facet``), whatever ``facet_size``. The filters are
the list's own filterset, through the view's filter backends: a filter added to the list works here too.
The answer carries an ``ETag``; ``If-None-Match`` naming it answers 304.
"""

from __future__ import annotations

from datetime import date

from django.http import QueryDict
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, OpenApiResponse, extend_schema, extend_schema_field
from rest_framework import serializers, status
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response
from rest_framework.reverse import reverse
from rest_framework.settings import api_settings

from api.conditional import etag_for, not_modified
from api.filters import allowed_params
from api.numbers import ASCII_SPACE, iso_date, whole_number
from factbase.facets import CLAIM_FACETS, claim_facet
from factbase.plumbing.plans import custom_plans
from factbase.plumbing.timelimit import run_limited, time_limit_ms

FACET_PARAM = "facet"
FACET_SIZE_PARAM = "facet_size"
DEFAULT_FACET_SIZE = 10
MAX_FACET_SIZE = 100
#: the filter that selects the claims without a value, for each facet that has such a bucket
NONE_FILTERS = {"outlet": "has_outlet", "tag": "has_tag", "year": "has_date"}
#: parameters of the request that are not filters, left out of the URLs of the values
NOT_FILTERS = (FACET_PARAM, FACET_SIZE_PARAM, "format")


def facet_names(request) -> list[str]:
    """The facets asked for, in the order asked, each once; none asked: every facet."""
    names = []
    for value in request.query_params.getlist(FACET_PARAM):
        names += [name.strip(ASCII_SPACE) for name in value.split(",") if name.strip(ASCII_SPACE)]
    unknown = [name for name in names if name not in CLAIM_FACETS]
    if unknown:
        raise ValidationError({FACET_PARAM: [
            f"“{unknown[0][:50]}” is not a facet. Choose from: {', '.join(CLAIM_FACETS)}."
        ]})
    return list(dict.fromkeys(names)) or list(CLAIM_FACETS)


def facet_size(request) -> int:
    values = request.query_params.getlist(FACET_SIZE_PARAM)
    if not values or values[-1] == "":
        return DEFAULT_FACET_SIZE
    value = whole_number(values[-1].strip(ASCII_SPACE))
    if value is None or not 1 <= value <= MAX_FACET_SIZE:
        raise ValidationError({FACET_SIZE_PARAM: [
            f"Give a whole number from 1 to {MAX_FACET_SIZE}, in the digits 0-9 (the default is "
            f"{DEFAULT_FACET_SIZE})."
        ]})
    return value


def _filters_of(request) -> QueryDict:
    """The request's filters (every parameter but the facets' own), empty ones left out."""
    query = QueryDict(mutable=True)
    for name in request.query_params:
        if name not in NOT_FILTERS:
            values = [value for value in request.query_params.getlist(name) if value != ""]
            if values:
                query.setlist(name, values)
    return query


def value_filters(filters: QueryDict, name: str, value) -> QueryDict:
    """``filters`` narrowed to the claims whose facet ``name`` has ``value``."""
    query = filters.copy()
    if value is None:
        query.setlist(NONE_FILTERS[name], ["false"])
    elif name == "year":
        first, last = date(value, 1, 1), date(value, 12, 31)
        after, before = iso_date(query.get("stated_after", "")), iso_date(query.get("stated_before", ""))
        query.setlist("stated_after", [max(first, after or first).isoformat()])
        query.setlist("stated_before", [min(last, before or last).isoformat()])
    elif name == "tag":
        slugs = [slug for item in query.getlist("tag") for slug in item.split(",")]
        query.setlist("tag", slugs + ([value] if value not in slugs else []))
    else:
        query.setlist(name, [str(value)])
    return query


# --- the schema of the answer -----------------------------------------------------------------------

@extend_schema_field({"oneOf": [{"type": "integer"}, {"type": "string"}], "nullable": True,
                      "description": "What the list's filter for this facet takes: an id (speaker, outlet), a "
                                     "status, a kind, a tag's slug, a year; null for the claims without one.",
                      "example": 3})
class FacetValueField(serializers.Field):
    pass


class FacetValueSerializer(serializers.Serializer):
    value = FacetValueField()
    label = serializers.CharField(help_text="A name for people: an actor's or outlet's name, a status's or kind's "
                                            "label, a tag's name, a year; for null: No outlet, No tag, Undated.")
    count = serializers.IntegerField(min_value=1, help_text="How many of the selected claims have this value.")
    url = serializers.URLField(help_text="The claims list with the request's filters and this value's.")


class FacetSerializer(serializers.Serializer):
    results = FacetValueSerializer(many=True, help_text="The most frequent values, by count (ties by value).")
    truncated = serializers.BooleanField(help_text="More values exist than `facet_size` shows.")
    timed_out = serializers.BooleanField(help_text=f"The facet took longer than the time limit "
                                                   f"(`DJANGO_API_FACET_TIME_LIMIT_MS`, {time_limit_ms()} ms by "
                                                   f"default) and was stopped: `results` is empty.")


FacetsSerializer = type("FacetsSerializer", (serializers.Serializer,), {
    name: FacetSerializer(required=False, help_text=f"The claims by {name}, when asked for.") for name in CLAIM_FACETS
})


class ClaimFacetsSerializer(serializers.Serializer):
    facets = FacetsSerializer(help_text="Each facet asked for, in the order asked.")


FACETS_EXAMPLE = {"facets": {
    "speaker": {"results": [
        {"value": 3, "label": "Jennifer Brick Murtazashvili", "count": 4,
         "url": "http://127.0.0.1:8000/api/v1/claims/?speaker=3"},
        {"value": 1, "label": "Kassym-Yomart Tokayev", "count": 3,
         "url": "http://127.0.0.1:8000/api/v1/claims/?speaker=1"},
    ], "truncated": True, "timed_out": False},
    "outlet": {"results": [
        {"value": None, "label": "No outlet", "count": 11,
         "url": "http://127.0.0.1:8000/api/v1/claims/?has_outlet=false"},
    ], "truncated": True, "timed_out": False},
    "year": {"results": [], "truncated": False, "timed_out": True},
}}


FACETS_DESCRIPTION = (
    "The claims that the filters select (any filter of the claims list, `q` included), counted by the value of "
    "each facet asked for (`speaker`, `outlet`, `status`, `kind`, `tag`, `year`; none asked: all of them), as "
    "Datasette's facets: the `facet_size` most frequent values, by count (ties by value), each with `value` "
    "(what the list's filter takes: an id, a status, a kind, a tag's slug, a year), `label` (a name for "
    "people), `count` and `url` (the claims list with the request's filters and this value's; a year's URL "
    "bounds `stated_after`/`stated_before` to it). Claims without an outlet, a date or a tag count in a bucket "
    "whose `value` is null (label \"No outlet\", \"Undated\", \"No tag\"; URL with `has_outlet=false`, "
    "`has_date=false`, `has_tag=false`), ranked by its count like any value. `truncated`: there are more "
    "values than shown.\n\nEach facet is one SQL statement, stopped by the database past the time limit "
    "(`DJANGO_API_FACET_TIME_LIMIT_MS`, 200 ms by default): it then says `\"timed_out\": true` with empty "
    "`results`, the other facets are computed all the same, and the answer is still a 200. The answer "
    "carries an `ETag`; send it back in `If-None-Match` for a 304."
)


class FacetsMixin:
    """For the claims viewset: ``GET claims/facets/``."""

    def allowed_query_params(self, filterset_class) -> dict[str, bool] | None:
        """For the facets: the list's filters (no page) and the facets' own; None for the other actions (a list's)."""
        if getattr(self, "action", None) == "facets":
            return {**allowed_params(filterset_class, paginated=False), FACET_PARAM: True, FACET_SIZE_PARAM: False}
        return None

    @extend_schema(
        summary="Count claims by speaker, outlet, status, kind, tag or year (facets)",
        description=FACETS_DESCRIPTION,
        parameters=[
            OpenApiParameter(
                FACET_PARAM, {"type": "array", "items": {"type": "string", "enum": list(CLAIM_FACETS)}},
                OpenApiParameter.QUERY, required=False, explode=True, style="form",
                description="A facet to compute; repeat it (or separate names by commas) for several. Left out: "
                            "every facet. An unknown name is refused with 400.",
                examples=[OpenApiExample("Speaker and status", value=["speaker", "status"])],
            ),
            OpenApiParameter(
                FACET_SIZE_PARAM, {"type": "integer", "minimum": 1, "maximum": MAX_FACET_SIZE},
                OpenApiParameter.QUERY, required=False,
                description=f"How many values each facet shows at most, the most frequent first: 1 to "
                            f"{MAX_FACET_SIZE} (default {DEFAULT_FACET_SIZE}); `truncated` says when there are more.",
                examples=[OpenApiExample("Five", value=5)],
            ),
            OpenApiParameter(
                "If-None-Match", OpenApiTypes.STR, OpenApiParameter.HEADER, required=False,
                description="The ETag of the answer you hold: 304 Not Modified while it has not changed.",
                examples=[OpenApiExample("An ETag", value='"3f2a9c0e1b7d4a6f8e5c2b1a0d9e8f7c6b5a4d3e"')],
            ),
        ],
        responses={
            200: OpenApiResponse(ClaimFacetsSerializer, description="The facets asked for.",
                                 examples=[OpenApiExample("Facets of the seed", value=FACETS_EXAMPLE)]),
            304: OpenApiResponse(description="Not modified: the answer named by If-None-Match is current."),
        },
        filters=True,
    )
    @action(detail=False, methods=["get"], url_path="facets", pagination_class=None,
            renderer_classes=api_settings.DEFAULT_RENDERER_CLASSES)
    def facets(self, request, *args, **kwargs):
        queryset = self.get_queryset()
        for backend in self.filter_backends:  # the list's filters, and its refusal of unknown parameters
            queryset = backend().filter_queryset(request, queryset, self)
        names, size = facet_names(request), facet_size(request)
        filters = _filters_of(request)
        list_url = reverse(f"{self.basename}-list", request=request).split("?", 1)[0]
        body = {}
        for name in names:
            with custom_plans(queryset.db):  # an aggregate's plan depends on the filters' values (a search's word)
                values, timed_out = run_limited(queryset.db, lambda name=name: claim_facet(queryset, name, size + 1))
            values = values or []
            body[name] = {
                "results": [
                    {"value": item.value, "label": item.label, "count": item.count,
                     "url": f"{list_url}?{value_filters(filters, name, item.value).urlencode()}"}
                    for item in values[:size]
                ],
                "truncated": len(values) > size,
                "timed_out": timed_out,
            }
        data = {"facets": body}
        etag = etag_for(data)
        if not_modified(request, etag):
            return Response(status=status.HTTP_304_NOT_MODIFIED, headers={"ETag": etag})
        return Response(data, headers={"ETag": etag})
