"""The middleware that makes the app fit to run on many machines behind a load balancer.

In ``settings.MIDDLEWARE`` order:

- ``RequestIDMiddleware``: every response carries ``X-Request-ID`` (a sane incoming one is kept, else
  a new one is made), and every log line written during the request carries it too;
- ``HealthCheckMiddleware``: ``GET /healthz`` answers 200 when the database (and the replica and
  Redis, when configured) answers, else 503; before host validation, the HTTPS redirect, sessions,
  authentication and the API's throttles, so a load balancer's or Docker's probe always reaches it;
- ``RequestSizeLimitMiddleware``: a body larger than ``DATA_UPLOAD_MAX_MEMORY_SIZE``
  (``DJANGO_DATA_UPLOAD_MAX_MEMORY_SIZE``) is refused with 413 and a JSON body, before it is read; a
  body sent without a length (``Transfer-Encoding: chunked``) is read here, up to that limit, when the
  server hands it over whole (gunicorn: ``wsgi.input_terminated``), and refused with 411 when it cannot
  (Django would read such a body as empty: a write that silently did nothing);
- ``ReplicaRoutingMiddleware``: lets a safe request read from the replica (``factbase.plumbing.db_router``);
- ``ServiceUnavailableMiddleware``: a view that meets a lost database (or Redis) answers 503 with a
  JSON body and ``Retry-After``, not a stack trace; the next request connects again by itself.
"""

from __future__ import annotations

import io
import logging
import re
import uuid

from django.conf import settings
from django.core.cache import caches
from django.core.exceptions import RequestDataTooBig
from django.core.handlers.wsgi import LimitedStream
from django.db import connections
from django.db.utils import InterfaceError, OperationalError
from django.http import HttpResponseNotAllowed, JsonResponse

from factbase.plumbing import db_router
from factbase.plumbing.logs import request_id_var

logger = logging.getLogger("factbase.request")

REQUEST_ID_HEADER = "X-Request-ID"
# An incoming id is kept when it is short and plain (UUIDs, hex, a load balancer's "Root=1-..." ids).
_SANE_REQUEST_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:=+/-]{0,199}")

#: seconds a client is told to wait when the database or the cache is unavailable
RETRY_AFTER_SECONDS = 5
SERVICE_UNAVAILABLE_DETAIL = "The service is temporarily unavailable (its database cannot be reached). Try again shortly."


def _unavailable_errors() -> tuple[type[BaseException], ...]:
    errors: list[type[BaseException]] = [OperationalError, InterfaceError]
    try:
        from redis import exceptions as redis_exceptions
    except ImportError:  # pragma: no cover - redis is a runtime dependency
        pass
    else:
        errors += [redis_exceptions.ConnectionError, redis_exceptions.TimeoutError]
    return tuple(errors)


#: what "the database (or the cache) went away" looks like from inside a request
UNAVAILABLE_ERRORS = _unavailable_errors()


def service_unavailable_response(exc: BaseException | None = None) -> JsonResponse:
    response = JsonResponse({"detail": SERVICE_UNAVAILABLE_DETAIL}, status=503)
    response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    response["Cache-Control"] = "no-store"
    return response


def log_unavailable(request, exc: BaseException) -> None:
    # One line, no stack trace: the error's class and message (psycopg's never hold the password).
    first_line = (str(exc).strip().splitlines() or [""])[0]
    logger.error("Service unavailable: %s: %s", type(exc).__name__, first_line,
                 extra={"method": request.method, "path": request.path, "status_code": 503})


class RequestIDMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        incoming = request.META.get("HTTP_X_REQUEST_ID", "")
        request_id = incoming if _SANE_REQUEST_ID.fullmatch(incoming) else uuid.uuid4().hex
        request.request_id = request_id
        token = request_id_var.set(request_id)
        try:
            response = self.get_response(request)
        finally:
            request_id_var.reset(token)
        response[REQUEST_ID_HEADER] = request_id
        return response


class HealthCheckMiddleware:
    PATHS = ("/healthz", "/healthz/")

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.path_info not in self.PATHS:
            return self.get_response(request)
        if request.method not in ("GET", "HEAD"):
            return HttpResponseNotAllowed(["GET", "HEAD"])
        response = health_response()
        if request.method == "HEAD":
            response.content = b""  # the status says it all; a HEAD answer has no body
        return response


def health_response() -> JsonResponse:
    checks = {}
    aliases = ["default"]
    replica = db_router.replica_alias()
    if replica:
        aliases.append(replica)
    for alias in aliases:
        checks[f"database:{alias}"] = _check_database(alias)
    if getattr(settings, "REDIS_URL", ""):
        checks["cache"] = _check_cache()
    healthy = all(value == "ok" for value in checks.values())
    response = JsonResponse({"status": "ok" if healthy else "unavailable", "checks": checks},
                            status=200 if healthy else 503)
    response["Cache-Control"] = "no-store"
    if not healthy:
        response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    return response


def _check_database(alias: str) -> str:
    connection = connections[alias]
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception as exc:  # noqa: BLE001 - any failure means "not healthy"
        logger.warning("Health check: database %r unavailable: %s", alias, type(exc).__name__)
        if not connection.in_atomic_block:
            connection.close_if_unusable_or_obsolete()
        return "unavailable"
    return "ok"


def _check_cache() -> str:
    try:
        caches["default"].get("factbase:healthz")
    except Exception as exc:  # noqa: BLE001
        logger.warning("Health check: cache unavailable: %s", type(exc).__name__)
        return "unavailable"
    return "ok"


class RequestSizeLimitMiddleware:
    #: how much of a body without a length is read at a time
    CHUNK_SIZE = 64 * 1024

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        if has_body_of_unknown_length(request):
            refusal = self.read_body_of_unknown_length(request, limit)
            if refusal is not None:
                return refusal
        elif limit is not None:
            try:
                length = int(request.META.get("CONTENT_LENGTH") or 0)
            except ValueError:
                length = 0
            if length > limit:
                return request_too_large_response(limit)
        return self.get_response(request)

    def process_exception(self, request, exception):
        if isinstance(exception, RequestDataTooBig):
            return request_too_large_response(settings.DATA_UPLOAD_MAX_MEMORY_SIZE)
        return None

    def read_body_of_unknown_length(self, request, limit: int | None) -> JsonResponse | None:
        """Read a body sent without ``Content-Length`` (chunked), so the request carries it as if it had
        one; or the refusal: 411 when the server does not mark where the body ends, 413 past ``limit``."""
        if not request.META.get("wsgi.input_terminated"):
            # A server that does not decode chunked bodies (Django's runserver): reading would block, or
            # read the encoding itself. The client can send the body again with its length.
            return length_required_response()
        stream = request.META["wsgi.input"]
        chunks, size = [], 0
        while True:
            chunk = stream.read(self.CHUNK_SIZE)
            if not chunk:
                break
            size += len(chunk)
            if limit is not None and size > limit:
                return request_too_large_response(limit)
            chunks.append(chunk)
        body = b"".join(chunks)
        request.META["CONTENT_LENGTH"] = str(len(body))
        request._stream = LimitedStream(io.BytesIO(body), len(body))
        return None


def has_body_of_unknown_length(request) -> bool:
    """Whether the request has a body that no ``Content-Length`` measures (``Transfer-Encoding: chunked``)."""
    encoding = request.META.get("HTTP_TRANSFER_ENCODING", "").strip().lower()
    return bool(encoding) and encoding != "identity" and not request.META.get("CONTENT_LENGTH")


def request_too_large_response(limit: int | None) -> JsonResponse:
    return JsonResponse({"detail": f"The request body is too large: at most {limit} bytes are accepted."},
                        status=413)


def length_required_response() -> JsonResponse:
    return JsonResponse({"detail": "A request body must come with a Content-Length header on this server "
                                   "(a chunked body, without one, cannot be read here)."}, status=411)


class ReplicaRoutingMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if db_router.replica_alias() is None:
            return self.get_response(request)
        safe = request.method in ("GET", "HEAD", "OPTIONS")
        pinned = db_router.PIN_COOKIE in request.COOKIES
        with db_router.replica_reads(allowed=safe and not pinned) as state:
            response = self.get_response(request)
        if state.wrote or not safe:
            seconds = settings.DATABASE_REPLICA_PIN_SECONDS
            if seconds > 0:
                response.set_cookie(db_router.PIN_COOKIE, "1", max_age=seconds, httponly=True,
                                    secure=settings.SESSION_COOKIE_SECURE, samesite="Lax")
        return response


class ServiceUnavailableMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if isinstance(exception, UNAVAILABLE_ERRORS):
            log_unavailable(request, exception)
            return service_unavailable_response(exception)
        return None
