"""Routes of API version 1, mounted at /api/v1/ in the ``v1`` namespace (see api/urls.py)."""

from django.urls import path
from rest_framework.routers import SimpleRouter

from api.docs import RedocView, SchemaView, SwaggerView
from api.v1 import auth, exports, views

router = SimpleRouter()
router.register("claims", views.ClaimViewSet, basename="claim")
router.register("actors", views.ActorViewSet, basename="actor")
router.register("outlets", views.OutletViewSet, basename="outlet")
router.register("sources", views.SourceViewSet, basename="source")
router.register("reviews", views.ReviewViewSet, basename="review")
router.register("tags", views.TagViewSet, basename="tag")
router.register("claim-relations", views.ClaimRelationViewSet, basename="claim-relation")

urlpatterns = [
    path("", views.ApiRootView.as_view(), name="api-root"),
    *router.urls,
    # Streaming exports (api/v1/exports.py): every record that matches the list's filters, without pages.
    path("claims/export.ndjson", exports.ClaimExportNDJSONView.as_view(), name="claim-export-ndjson"),
    path("claims/export.json", exports.ClaimExportJSONView.as_view(), name="claim-export-json"),
    path("claims/export.csv", exports.ClaimExportCSVView.as_view(), name="claim-export-csv"),
    path("reviews/claimreview.jsonld", exports.ClaimReviewFeedView.as_view(), name="review-claimreview-feed"),
    # The change feed (api/changes.py): every resource of the router with a history is in it.
    path("changes/", views.ChangeFeedView.as_view(router=router), name="change-list"),
    path("auth/token/", auth.AuthTokenView.as_view(), name="auth-token"),
    # The schema view must be told its version: with every endpoint in a version namespace, a schema
    # made without one comes out empty.
    # Their errors are JSON, as everywhere under /api/ (api.docs.JSONErrorsMixin).
    path("schema/", SchemaView.as_view(api_version="v1"), name="schema"),
    path("docs/", SwaggerView.as_view(url_name="schema", template_name="api/swagger_ui.html"), name="docs"),
    path("redoc/", RedocView.as_view(url_name="schema", template_name="api/redoc.html"), name="redoc"),
]
