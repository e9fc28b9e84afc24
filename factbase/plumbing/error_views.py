"""Error pages of last resort: never a stack trace, and JSON for everything under ``/api/``.

DRF's views answer their own errors in JSON. These answer what happens outside them, which Django
would answer with an HTML page:

- ``server_error`` (``handler500``): a middleware (sessions, authentication) that met the lost database
  is a 503 JSON with ``Retry-After``; any other unexpected error a 500, JSON under ``/api/``;
- ``bad_request`` (``handler400``): a ``Host`` the server does not answer to, too many query parameters
  (Django's ``SuspiciousOperation``);
- ``permission_denied`` (``handler403``) and ``page_not_found`` (``handler404``);
- ``csrf_failure`` (``CSRF_FAILURE_VIEW``): an unsafe request of a logged-in session without its CSRF
  token, refused by Django's middleware before any view (DRF's views check CSRF themselves, and answer
  in JSON already).

Outside ``/api/`` (the admin), Django's own pages answer.
"""

import sys
from pathlib import Path

from django.core.exceptions import DisallowedHost, SuspiciousOperation, TooManyFieldsSent, TooManyFilesSent
from django.http import HttpResponse, JsonResponse
from django.utils.cache import patch_cache_control
from django.views import csrf, defaults

from factbase.plumbing.middleware import UNAVAILABLE_ERRORS, log_unavailable, service_unavailable_response


def is_api(request) -> bool:
    """Whether the request is for the API (``/api`` and everything under ``/api/``)."""
    path = request.path_info
    return path == "/api" or path.startswith("/api/")


def bad_request_detail(exception) -> str:
    """What is wrong with a request Django found suspicious, in words a client can act on."""
    from django.conf import settings

    if isinstance(exception, DisallowedHost):
        return "The Host header names a host this server does not answer to."
    if isinstance(exception, TooManyFieldsSent):
        return (f"Too many query parameters or form fields: at most {settings.DATA_UPLOAD_MAX_NUMBER_FIELDS} "
                f"are accepted.")
    if isinstance(exception, TooManyFilesSent):
        return "Too many files in the request."
    return "Bad request: the request is malformed."


def server_error(request, *args, **kwargs):
    exc = sys.exc_info()[1]
    if isinstance(exc, UNAVAILABLE_ERRORS):
        log_unavailable(request, exc)
        return service_unavailable_response(exc)
    if is_api(request):
        return JsonResponse({"detail": "A server error occurred. It has been logged."}, status=500)
    return defaults.server_error(request, *args, **kwargs)


def bad_request(request, exception, *args, **kwargs):
    if is_api(request):
        detail = bad_request_detail(exception) if isinstance(exception, SuspiciousOperation) else "Bad request."
        return JsonResponse({"detail": detail}, status=400)
    return defaults.bad_request(request, exception, *args, **kwargs)


def permission_denied(request, exception, *args, **kwargs):
    if is_api(request):
        return JsonResponse({"detail": "You do not have permission to perform this action."}, status=403)
    return defaults.permission_denied(request, exception, *args, **kwargs)


def page_not_found(request, exception, *args, **kwargs):
    if is_api(request):
        return JsonResponse({"detail": "Not found. The API's versions are listed at /api/."}, status=404)
    return defaults.page_not_found(request, exception, *args, **kwargs)


def csrf_failure(request, reason="", *args, **kwargs):
    if is_api(request):
        # The words of DRF's own CSRF refusal, so that a client meets one message whichever view refused.
        return JsonResponse({"detail": f"CSRF Failed: {reason} Send the X-CSRFToken header with the csrftoken "
                                       f"cookie's value, or authenticate with a token."}, status=403)
    return csrf.csrf_failure(request, reason, *args, **kwargs)


FAVICON = Path(__file__).resolve().parent.parent / "static" / "factbase" / "favicon.ico"


def favicon(request):
    """``/favicon.ico``, which browsers ask for on every page (the admin's and the API docs' pages link the
    same file under /static/ too): the file itself, cached for a day, not a 404."""
    response = HttpResponse(FAVICON.read_bytes(), content_type="image/x-icon")
    patch_cache_control(response, public=True, max_age=86400)
    return response
