"""Version 1 endpoints: thin viewsets on ``api.viewsets.FactbaseViewSet``.

Each names its selector (reads), filterset, serializer and service prefix (writes); the base class
does the rest.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import transaction
from drf_spectacular.utils import OpenApiExample, extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.response import Response
from rest_framework.reverse import reverse
from rest_framework.views import APIView

from api import filters
from api.conditional import check_if_match, etag_for
from api.facets import FacetsMixin
from api.exceptions import validation_error_from_django
from api.formats import ClaimCSVMixin, ClaimReviewMixin
from api.permissions import CanSetClaimStatus
from api.v1 import serializers as v1
from api.v1.readers import ClaimReader
from api.viewsets import FactbaseViewSet
from factbase import selectors, services

RESOURCES = ["claims", "actors", "outlets", "sources", "reviews", "tags", "claim-relations"]


class V1ViewSet(FactbaseViewSet):
    history_serializer_class = v1.HistoryRecordSerializer
    revert_serializer_class = v1.RevertSerializer
    delete_serializer_class = v1.DeleteSerializer


class ClaimViewSet(FacetsMixin, ClaimCSVMixin, V1ViewSet):
    """A claim is one attributed statement: who said what, when, where, according to which source.
    `kind` says whether `text` is a direct quote (looked for in the source's text, and its `span`
    stored) or a paraphrase (whose `passage` in the source may be given). `status` is the curation
    status (did they really say it?), set with POST /claims/{id}/status/; whether it is true is the
    business of reviews. Changing what a verified claim says, who said it or when sends it back to
    unverified."""

    selector = selectors.claim_list
    serializer_class = v1.ClaimSerializer
    reader_class = ClaimReader
    embeds = {name: name for name in selectors.CLAIM_EMBEDS}
    filterset_class = filters.ClaimFilterSet
    service_prefix = "claim"
    orderings_key = "claim"
    ordering_description = (
        "An unknown date sorts as earlier than any date (last with `-stated_on`). `relevance` needs `q`: on "
        "PostgreSQL it ranks by full-text relevance (then newest id first); on SQLite, which does not rank, "
        "it orders as `-stated_on`."
    )

    def get_orderings(self):
        orderings = super().get_orderings()
        if self.action == "list":
            orderings = {**orderings, selectors.RELEVANCE: selectors.RELEVANCE_KEYS}
        return orderings

    def resolve_ordering(self, name, keys):
        if name != selectors.RELEVANCE:
            return keys
        if not self.request.query_params.get("q", "").strip():
            raise ValidationError({"ordering": ["ordering=relevance ranks a search: give q as well."]})
        if not selectors.supports_ranking():
            return selectors.ORDERINGS["claim"]["-stated_on"]  # the documented SQLite fallback
        return keys

    @extend_schema(
        request=v1.ClaimStatusSerializer, responses=v1.ClaimSerializer,
        summary="Set a claim's curation status",
        description=(
            "Verify, dispute, reject or reopen (unverified) a claim, with an optional note saying why. Needs the "
            "*verify claim* permission (the Editors group has it). Verifying records who verified it and when. "
            "With `If-Match`, refused (412) if the claim changed since it was read."
        ),
        examples=[OpenApiExample("Verify", value={"status": "verified", "note": "Checked against the source.",
                                                  "change_reason": "Checked on the broadcast's recording."},
                                 request_only=True)],
    )
    @action(detail=True, methods=["post"], url_path="status", permission_classes=[IsAuthenticated, CanSetClaimStatus])
    def set_status(self, request, *args, **kwargs):
        serializer = v1.ClaimStatusSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        with transaction.atomic():
            claim = self.get_object(lock=True)
            check_if_match(request, etag_for(self.get_serializer(claim).data))
            data = dict(serializer.validated_data)
            reason = data.pop("change_reason", None) or None
            try:
                claim = services.claim_set_status(claim=claim, user=request.user, reason=reason, **data)
            except DjangoValidationError as exc:
                raise validation_error_from_django(exc) from None
        data = self.get_serializer(self.reload(claim)).data
        return Response(data, headers={"ETag": etag_for(data)})

    def get_serializer_class(self):
        if self.action == "set_status":
            return v1.ClaimSerializer
        return super().get_serializer_class()


class ActorViewSet(V1ViewSet):
    """An actor is who can make a claim: a person, or an organization (a police force, a TV channel
    that reported, an alliance)."""

    selector = selectors.actor_list
    serializer_class = v1.ActorSerializer
    embeds = {"claim_count": "claim_count"}
    filterset_class = filters.ActorFilterSet
    service_prefix = "actor"
    orderings_key = "actor"


class OutletViewSet(V1ViewSet):
    """An outlet is where a statement was made or published: a newspaper, a broadcaster, a website, a
    social network, a press conference, an event."""

    selector = selectors.outlet_list
    serializer_class = v1.OutletSerializer
    embeds = {"claim_count": "claim_count"}
    filterset_class = filters.OutletFilterSet
    service_prefix = "outlet"
    orderings_key = "outlet"


class SourceViewSet(V1ViewSet):
    """A source is the document a claim was learned from (an article, a transcript): only what the
    document itself gives is recorded. Lists leave out the full `text`; read one source for it. When
    the text changes, each claim's span is found again in the new text, and a change that would lose
    a claim's quote (emptying the text included) is refused."""

    serializer_class = v1.SourceSerializer
    list_serializer_class = v1.SourceWithoutTextSerializer
    embeds = {name: name for name in selectors.SOURCE_EMBEDS}
    filterset_class = filters.SourceFilterSet
    service_prefix = "source"
    orderings_key = "source"
    ordering_description = "An unknown publication date sorts as earlier than any date."

    def get_queryset(self):
        selection = self.field_selection()
        with_text = self.action != "list" and (selection is None or "text" in selection)
        return selectors.source_list(with_text=with_text, **self.selector_kwargs())


class ReviewViewSet(ClaimReviewMixin, V1ViewSet):
    """A review is a verdict on whether a claim is true (after schema.org's ClaimReview): who reviewed
    it, where it was published, a rating from a fixed scale and the reviewer's own wording of it
    (`rating_text`), a summary and a date. This is veracity, kept apart from a claim's curation status."""

    selector = selectors.review_list
    serializer_class = v1.ReviewSerializer
    embeds = {name: name for name in selectors.REVIEW_EMBEDS}
    filterset_class = filters.ReviewFilterSet
    service_prefix = "review"
    orderings_key = "review"
    ordering_description = "An unknown review date sorts as earlier than any date."


class TagViewSet(V1ViewSet):
    """A tag is a topic (a crisis, a country) that groups claims. Deleting a tag untags its claims, and the
    history of each of those claims records the change (who deleted the tag, when, and its tags before and
    after)."""

    selector = selectors.tag_list
    serializer_class = v1.TagSerializer
    embeds = {"claim_count": "claim_count"}
    filterset_class = filters.TagFilterSet
    service_prefix = "tag"
    orderings_key = "tag"


class ClaimRelationViewSet(V1ViewSet):
    """A relation between two claims: `claim` is the `same_statement` as `related_claim` (one statement
    reported by another source), `contradicts` it, `responds_to` it, `corrects` it or `repeats` it. A claim
    cannot be related to itself, nor twice in the same way; `same_statement` and `contradicts` are
    symmetric, recorded once whichever way round they are written. Each claim shows its relations (in
    `relations`) from both sides. Deleting a claim deletes its relations."""

    selector = selectors.claim_relation_list
    serializer_class = v1.ClaimRelationSerializer
    filterset_class = filters.ClaimRelationFilterSet
    service_prefix = "claim_relation"
    orderings_key = "claim_relation"


class ApiRootView(APIView):
    """The resources of API version 1, and its schema and docs."""

    permission_classes = [AllowAny]

    @extend_schema(
        summary="List the resources",
        description="Links to each resource's list, and to this version's OpenAPI schema and documentation.",
        responses=inline_serializer("ApiRoot", {
            name.replace("-", "_"): serializers.URLField(help_text=f"The list of {name.replace('-', ' ')}.")
            for name in [*RESOURCES, "schema", "docs", "redoc"]
        }),
    )
    def get(self, request, *args, **kwargs):
        links = {name.replace("-", "_"): reverse(f"{name[:-1]}-list", request=request) for name in RESOURCES}
        links.update({name: reverse(name, request=request) for name in ("schema", "docs", "redoc")})
        return Response(links)
