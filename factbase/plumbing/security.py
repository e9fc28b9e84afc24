"""The login lockout's glue (django-axes): the client's address, and the 429 answer.

A login to the admin, or a request for an API token, that fails ``AXES_FAILURE_LIMIT`` times for one
username from one address locks that pair out for ``AXES_COOLOFF_TIME``: the answer is 429 with
``Retry-After`` (JSON under ``/api/``), and the password is not even checked meanwhile.
"""

from __future__ import annotations

from django.conf import settings
from django.http import HttpResponse, JsonResponse
from django.utils.html import escape


def client_ip(request) -> str | None:
    """The client's address as the API's throttles see it: ``REMOTE_ADDR``, or with ``NUM_PROXIES``
    proxies in front, the address the outermost of them put in ``X-Forwarded-For``."""
    request = getattr(request, "_request", request)  # a DRF Request wraps Django's
    remote_addr = request.META.get("REMOTE_ADDR")
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR")
    proxies = getattr(settings, "NUM_PROXIES", 0) or 0
    if proxies <= 0 or not forwarded:
        return remote_addr
    addresses = [part.strip() for part in forwarded.split(",") if part.strip()]
    if not addresses:
        return remote_addr
    return addresses[-min(proxies, len(addresses))]


def lockout_seconds() -> int:
    cooloff = settings.AXES_COOLOFF_TIME
    return int(cooloff.total_seconds()) if cooloff else 3600


def lockout_response(request, original_response=None, credentials=None):
    request = getattr(request, "_request", request)
    message = ("Too many failed logins for this account from this address. "
               f"Try again in {max(1, lockout_seconds() // 60)} minutes.")
    if request.path.startswith("/api/"):
        response = JsonResponse({"detail": message}, status=429)
    else:
        response = HttpResponse(
            "<!doctype html><title>Too many failed logins</title>"
            f"<h1>Too many failed logins</h1><p>{escape(message)}</p>",
            status=429, content_type="text/html; charset=utf-8",
        )
    response["Retry-After"] = str(lockout_seconds())
    return response
