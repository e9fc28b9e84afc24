"""The views of the OpenAPI schema and its docs (drf-spectacular's), with their errors in JSON.

drf-spectacular's views render an error with their own first renderer: a 405 or a bad ``?format=`` on
``/schema/`` came back as YAML, on ``/docs/`` and ``/redoc/`` as an HTML page. Everything under
``/api/`` answers its errors in JSON.
"""

from drf_spectacular.views import SpectacularAPIView, SpectacularRedocView, SpectacularSwaggerView
from rest_framework.response import Response
from rest_framework.settings import api_settings


class JSONErrorsMixin:
    """An error is answered in JSON whatever the view's own renderers."""

    def finalize_response(self, request, response, *args, **kwargs):
        if isinstance(response, Response) and response.status_code >= 400:
            renderer = api_settings.DEFAULT_RENDERER_CLASSES[0]()
            request.accepted_renderer, request.accepted_media_type = renderer, renderer.media_type
        return super().finalize_response(request, response, *args, **kwargs)


class SchemaView(JSONErrorsMixin, SpectacularAPIView):
    """The OpenAPI schema (YAML, or JSON with ``?format=json``)."""


class SwaggerView(JSONErrorsMixin, SpectacularSwaggerView):
    """The Swagger UI page."""


class RedocView(JSONErrorsMixin, SpectacularRedocView):
    """The Redoc page."""
