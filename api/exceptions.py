"""One place that turns every refusal into a JSON answer with the right status.

- ``django.core.exceptions.ValidationError`` from the services (``full_clean``, rules spanning rows):
  400, keyed by the API's field names (``non_field_errors`` for the record as a whole);
- ``PermissionDenied`` (Django's or DRF's): 403; ``NotAuthenticated``: 401 with ``WWW-Authenticate``;
- ``services.DeleteProtected``: 409, with what blocks the delete;
- ``IntegrityError`` (a concurrent write won a uniqueness race): 409;
- a deadlock or serialization failure (two writes at once; PostgreSQL rolled this one back): 409, to send again;
- ``PreconditionFailed`` (``If-Match`` no longer matches): 412;
- a lost database or cache (``OperationalError``, ``InterfaceError``, Redis's connection errors): 503
  with ``Retry-After``; the next request connects again by itself;
- ``SuspiciousOperation`` met in a view (too many query parameters, ...): 400 naming the problem;
- the rest of DRF's exceptions (404, 405, 415, 429 with ``Retry-After``, ...) as DRF answers them.

Every body is JSON: ``{"detail": "..."}`` or ``{"field": ["problem", ...]}``. An error in an item of a
list is keyed by the item's index as a string (``{"aliases": {"1": ["..."]}}``): DRF keys it by an
integer, which JSON objects cannot have (the renderer refused it: a 500); and any text that quotes the
client's input is made valid UTF-8 (a lone surrogate becomes "?").
"""

from __future__ import annotations

from django.core.exceptions import NON_FIELD_ERRORS, SuspiciousOperation
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import IntegrityError
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.settings import api_settings
from rest_framework.views import exception_handler as drf_exception_handler

from factbase.plumbing.middleware import (
    RETRY_AFTER_SECONDS,
    SERVICE_UNAVAILABLE_DETAIL,
    UNAVAILABLE_ERRORS,
    log_unavailable,
)
from factbase.services import DeleteProtected


class PreconditionFailed(exceptions.APIException):
    status_code = status.HTTP_412_PRECONDITION_FAILED
    default_detail = "The record changed since you read it (If-Match does not match its ETag). Read it again."
    default_code = "precondition_failed"


class BadRequest(exceptions.APIException):
    status_code = status.HTTP_400_BAD_REQUEST
    default_detail = "Bad request."
    default_code = "bad_request"


class Conflict(exceptions.APIException):
    status_code = status.HTTP_409_CONFLICT
    default_detail = "The change conflicts with the current state of the records."
    default_code = "conflict"


def validation_error_from_django(exc: DjangoValidationError, field_names: dict[str, str] | None = None):
    """A DRF ``ValidationError`` keyed by API field names (``field_names`` maps model -> API names)."""
    field_names = field_names or {}
    if hasattr(exc, "error_dict"):
        detail = {}
        for field, messages in exc.message_dict.items():
            key = api_settings.NON_FIELD_ERRORS_KEY if field == NON_FIELD_ERRORS else field_names.get(field, field)
            detail.setdefault(key, []).extend(messages)
        return exceptions.ValidationError(detail)
    return exceptions.ValidationError({api_settings.NON_FIELD_ERRORS_KEY: exc.messages})


#: PostgreSQL's deadlock_detected and serialization_failure
CONCURRENT_WRITE_STATES = ("40P01", "40001")


def exception_handler(exc, context):
    if isinstance(exc, DjangoValidationError):
        exc = validation_error_from_django(exc)
    elif isinstance(exc, DeleteProtected):
        blocking = {str(name): count for name, count in exc.blocking.items()}
        return Response({"detail": str(exc.message), "blocking": blocking}, status=status.HTTP_409_CONFLICT)
    elif getattr(exc.__cause__, "sqlstate", None) in CONCURRENT_WRITE_STATES:
        # Two writes waited for each other (PostgreSQL chose this one to give way), or met in a way a
        # serializable transaction cannot allow: nothing was written; the same request may be sent again.
        exc = Conflict("The change met another one made at the same time and was not written; send it again.")
    elif isinstance(exc, UNAVAILABLE_ERRORS):
        log_unavailable(context["request"], exc)
        return Response({"detail": SERVICE_UNAVAILABLE_DETAIL}, status=status.HTTP_503_SERVICE_UNAVAILABLE,
                        headers={"Retry-After": str(RETRY_AFTER_SECONDS), "Cache-Control": "no-store"})
    elif isinstance(exc, IntegrityError):
        exc = Conflict("The change conflicts with another record (a uniqueness or reference rule); "
                       "read the records again and retry.")
    elif isinstance(exc, SuspiciousOperation):
        from factbase.plumbing.error_views import bad_request_detail

        exc = BadRequest(bad_request_detail(exc))
    response = drf_exception_handler(exc, context)
    if response is not None and response.data is not None:
        response.data = json_safe(response.data)
    return response


def json_safe(value):
    """An error body as JSON can hold it: every key a string, every string valid UTF-8 (DRF's ``ErrorDetail``
    kept, with its code)."""
    if isinstance(value, dict):
        return {str(key): json_safe(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [json_safe(item) for item in value]
    if isinstance(value, str):
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            text = value.encode("utf-8", "replace").decode("utf-8")
            return exceptions.ErrorDetail(text, code=getattr(value, "code", None))
    return value
