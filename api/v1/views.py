"""Version 1 endpoints: thin viewsets on ``api.viewsets.FactbaseViewSet``.

Each names its selector (reads), filterset, serializer and service prefix (writes); the base class
does the rest.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import transaction
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.response import Response
from rest_framework.reverse import reverse
from rest_framework.settings import api_settings
from rest_framework.views import APIView

from api import filters
from api.changes import AFTER_PARAM, RESOURCE_PARAM, ChangeFeedView as BaseChangeFeedView
from api.conditional import check_if_match, etag_for
from api.facets import FacetsMixin
from api.exceptions import validation_error_from_django
from api.formats import ClaimCSVMixin, ClaimReviewMixin
from api.permissions import CanActOnSuggestions, CanSetClaimStatus, history_access_description
from api.v1 import serializers as v1
from api.v1.readers import ClaimReader
from api.viewsets import FactbaseViewSet
from factbase import selectors, services
from factbase.plumbing.plans import custom_plans
from factbase import suggestions as suggested

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

    def list(self, request, *args, **kwargs):
        if request.query_params.get("q", "").strip():
            # A search's plan depends on the word: never a generic plan of a prepared statement.
            with custom_plans(self.get_queryset().db):
                return super().list(request, *args, **kwargs)
        return super().list(request, *args, **kwargs)

    def page_query(self, ordered, limit):
        # A search reads a page's ids first (``selectors.ids_first``): its matches may be many, ranked and sorted.
        # The reader (JSON) reads so already: the paginator's query gives it ids and sort keys alone.
        if self.request.query_params.get("q", "").strip() and self.get_reader() is None:
            return selectors.ids_first(ordered, limit, self.get_queryset())
        return super().page_query(ordered, limit)

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


SUGGESTION_KEY = OpenApiParameter(
    "key", str, OpenApiParameter.PATH, pattern="^[0-9a-f]{1,64}$",
    description="The suggestion's `key`, as GET /sources/{id}/suggestions/ lists it.",
    examples=[OpenApiExample("A key", value="3f2a9c0e1b7d4a6f8e5c")],
)


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

    def get_serializer_class(self):
        if self.action == "accept_suggestion":
            return v1.ClaimSerializer
        return super().get_serializer_class()

    # Suggested claims (factbase/suggestions.py) -----------------------------------------------------

    @extend_schema(
        responses=v1.SuggestionListSerializer, summary="List a source's suggested claims",
        description=(
            "The attributions that the extractor finds in the source's text, each proposed as a claim: the content "
            "(a span of the text), the cue, the speaker as written and the actor it matches by name and aliases (null: "
            "accepting creates one), the role, the outlet named, and the date phrase resolved against the source's "
            "publication date. Left out: what is already a claim of the source (the same words, or a span that "
            "covers at least half of the same passage) and what an editor dismissed. A source without text has "
            "none. Read access is the source's."
        ),
    )
    @action(detail=True, methods=["get"], url_path="suggestions", pagination_class=None, filter_backends=[],
            renderer_classes=api_settings.DEFAULT_RENDERER_CLASSES)
    def suggestions(self, request, *args, **kwargs):
        source = self.get_object()
        found = suggested.suggestions_for_source(source)
        data = {"count": len(found), "results": [v1.suggestion_data(s) for s in found]}
        return Response(v1.SuggestionListSerializer(data, context=self.get_serializer_context()).data)

    def _suggestion_body(self, request):
        body = v1.SuggestionActionSerializer(data=request.data if request.data not in (None, "") else {})
        body.is_valid(raise_exception=True)
        return body.validated_data.get("change_reason") or None

    @extend_schema(
        request=v1.SuggestionActionSerializer, responses={201: v1.ClaimSerializer}, parameters=[SUGGESTION_KEY],
        summary="Accept a suggested claim",
        description=(
            "Make the suggestion `key` (from GET /sources/{id}/suggestions/) an unverified claim: its content, kind, "
            "speaker (an actor created when none matched), role, date and outlet. Its history records the suggestion "
            "as the reason, then `change_reason`. Needs the *add claim* permission. A key that is not suggested now "
            "(accepted, dismissed, or the text changed) is refused (400, on `key`)."
        ),
    )
    @action(detail=True, methods=["post"], url_path=r"suggestions/(?P<key>[0-9a-f]{1,64})/accept",
            permission_classes=[IsAuthenticated, CanActOnSuggestions], filter_backends=[],
            renderer_classes=api_settings.DEFAULT_RENDERER_CLASSES)
    def accept_suggestion(self, request, key, *args, **kwargs):
        reason = self._suggestion_body(request)
        with transaction.atomic():
            source = self.get_object(lock=True)
            try:
                claim = services.suggestion_accept(source=source, key=key, user=request.user, reason=reason)
            except DjangoValidationError as exc:
                raise validation_error_from_django(exc) from None
        data = self.get_serializer(selectors.claim_list().get(pk=claim.pk)).data
        return Response(data, status=201, headers={"Location": str(data["url"]), "ETag": etag_for(data)})

    @extend_schema(
        request=v1.SuggestionActionSerializer, responses={204: None}, parameters=[SUGGESTION_KEY],
        summary="Dismiss a suggested claim",
        description=(
            "Dismiss the suggestion `key`: it, and the same words in this source, are not suggested again. Needs the "
            "*add claim* permission. A key that is not suggested now is refused (400, on `key`)."
        ),
    )
    @action(detail=True, methods=["post"], url_path=r"suggestions/(?P<key>[0-9a-f]{1,64})/dismiss",
            permission_classes=[IsAuthenticated, CanActOnSuggestions], filter_backends=[],
            renderer_classes=api_settings.DEFAULT_RENDERER_CLASSES)
    def dismiss_suggestion(self, request, key, *args, **kwargs):
        reason = self._suggestion_body(request)
        with transaction.atomic():
            source = self.get_object(lock=True)
            try:
                services.suggestion_dismiss(source=source, key=key, user=request.user, reason=reason)
            except DjangoValidationError as exc:
                raise validation_error_from_django(exc) from None
        return Response(status=204)


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


FEED_EXAMPLE = {
    "next": "http://127.0.0.1:8000/api/v1/changes/?cursor=eyJvIjoiZmVlZCIsInYiOls3NjEsOTJdfQ",
    "previous": None,
    "results": [{
        "id": 92, "resource": "claims", "object_id": 12, "url": "http://127.0.0.1:8000/api/v1/claims/12/",
        "history_url": "http://127.0.0.1:8000/api/v1/claims/12/history/", "history_id": 40, "type": "changed",
        "date": "2026-12-03T16:20:11.532817Z", "user": "editor", "reason": "Typo in the speaker's role.",
        "changes": [{"field": "speaker_role", "old": "Presdent of Kazakhstan", "new": "President of Kazakhstan"}],
    }, {
        "id": 93, "resource": "tags", "object_id": 4, "url": "http://127.0.0.1:8000/api/v1/tags/4/",
        "history_url": "http://127.0.0.1:8000/api/v1/tags/4/history/", "history_id": 9, "type": "deleted",
        "date": "2026-12-03T16:21:40.010203Z", "user": None, "reason": None, "changes": None,
    }],
}


class ChangeFeedView(BaseChangeFeedView):
    serializer_class = v1.ChangeSerializer

    @extend_schema(
        operation_id="changes_list", tags=["changes"],
        summary="Follow every change (a feed for mirrors)",
        description=(
            "Every create, change and delete of every resource, oldest first, a page at a time. Store the `next` "
            "link of the last page you read and follow it later: you see every change exactly once, including "
            "changes committed by a long transaction after later ones. `next` is never null once the feed has a "
            "change: at its end it names the same place, to poll (no change is listed until every transaction "
            "that began before it has finished, so nothing can later appear before it). Or store the `id` of the "
            "last change you applied and start again with `?after=`.\n\n"
            "Order: by transaction (the order in which transactions first wrote), then in the order each wrote. "
            "It is not exactly commit order; but for one record a later version always comes later and has the "
            "greater `history_id`. A delete is listed like any change (`type` `deleted`, `changes` empty), so a "
            "mirror can delete the record kept under its `url`.\n\n" + history_access_description()
            + " A change of a record deleted since is listed to everyone with its `resource`, `object_id`, `url`, "
            "`type` and `date`; its `changes`, `user` and `reason` are null without the view permission. Under "
            "`private`, the feed lists only the resources whose view permission the user has."
        ),
        parameters=[
            OpenApiParameter(RESOURCE_PARAM, str, OpenApiParameter.QUERY, required=False, many=True,
                             description="Only the changes of this resource, named as in its URL (`claims`, "
                                         "`actors`, `outlets`, `sources`, `reviews`, `tags`, ...); repeatable: of "
                                         "any of them. An unknown name is refused (400).",
                             examples=[OpenApiExample("Claims", value=["claims"])]),
            OpenApiParameter(AFTER_PARAM, int, OpenApiParameter.QUERY, required=False,
                             description="Start after the change with this `id` (the last one a mirror applied); "
                                         "not with `cursor`. An id the feed has not listed is refused (400).",
                             examples=[OpenApiExample("After change 92", value=92)]),
        ],
        examples=[OpenApiExample("A page of the feed", value=FEED_EXAMPLE, response_only=True)],
    )
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)


#: the API root's links: key -> (route name, what it is); /api/v2/ names the same links by its rule
ROOT_LINKS = {
    **{name.replace("-", "_"): (f"{name[:-1]}-list", f"The list of {name.replace('-', ' ')}.") for name in RESOURCES},
    "changes": ("change-list", "The change feed: every change of every resource."),
    "schema": ("schema", "This version's OpenAPI schema."),
    "docs": ("docs", "This version's documentation (Swagger UI)."),
    "redoc": ("redoc", "This version's documentation (Redoc)."),
}


class ApiRootView(APIView):
    """The resources of API version 1, and its schema and docs."""

    permission_classes = [AllowAny]

    @extend_schema(
        summary="List the resources",
        description="Links to each resource's list, the change feed, and this version's OpenAPI schema and "
                    "documentation.",
        responses=inline_serializer("ApiRoot", {
            name: serializers.URLField(help_text=text) for name, (route, text) in ROOT_LINKS.items()
        }),
    )
    def get(self, request, *args, **kwargs):
        return Response({name: reverse(route, request=request) for name, (route, text) in ROOT_LINKS.items()})
