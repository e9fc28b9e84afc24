from django.contrib import admin
from django.urls import include, path
from django.views.generic import RedirectView


urlpatterns = [
    # A person who opens the server's address lands on the API's front page.
    path("", RedirectView.as_view(url="/api/v1/", permanent=False)),
    path("admin/", admin.site.urls),
    path("api/", include("api.urls")),
]

# An unexpected error is never a stack trace: a lost database is a 503 JSON, the API's errors are JSON.
# (GET /healthz is answered by factbase.middleware.HealthCheckMiddleware, before any URL is resolved.)
handler500 = "factbase.views.server_error"
