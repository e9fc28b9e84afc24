"""The URLs: the API under /api/, the admin under /admin/, the favicon, and the error views of last resort."""

from django.contrib import admin
from django.urls import include, path
from django.views.decorators.http import require_safe
from django.views.generic import RedirectView

from factbase.plumbing.error_views import favicon


urlpatterns = [
    # A person who opens the server's address lands on the API's front page.
    path("", RedirectView.as_view(url="/api/v1/", permanent=False)),
    path("favicon.ico", require_safe(favicon), name="favicon"),
    path("admin/", admin.site.urls),
    path("api/", include("api.urls")),
]

# An unexpected error is never a stack trace: a lost database is a 503 JSON, and every error under /api/ is
# JSON, also those answered outside DRF's views (factbase/plumbing/error_views.py; CSRF failures:
# settings.CSRF_FAILURE_VIEW).
# (GET /healthz is answered by factbase.plumbing.middleware.HealthCheckMiddleware, before any URL is resolved.)
handler400 = "factbase.plumbing.error_views.bad_request"
handler403 = "factbase.plumbing.error_views.permission_denied"
handler404 = "factbase.plumbing.error_views.page_not_found"
handler500 = "factbase.plumbing.error_views.server_error"
