"""Error pages of last resort (``handler500``): never a stack trace, JSON for the API.

A view's lost database is answered by ``ServiceUnavailableMiddleware``; this catches the rest, e.g.
a middleware (sessions, authentication) that met the lost database: 503 JSON with ``Retry-After``.
Any other unexpected error is a 500, JSON under ``/api/``, Django's plain page elsewhere.
"""

import sys

from django.http import JsonResponse
from django.views import defaults

from factbase.middleware import UNAVAILABLE_ERRORS, log_unavailable, service_unavailable_response


def server_error(request, *args, **kwargs):
    exc = sys.exc_info()[1]
    if isinstance(exc, UNAVAILABLE_ERRORS):
        log_unavailable(request, exc)
        return service_unavailable_response(exc)
    if request.path.startswith("/api/"):
        return JsonResponse({"detail": "A server error occurred. It has been logged."}, status=500)
    return defaults.server_error(request, *args, **kwargs)
