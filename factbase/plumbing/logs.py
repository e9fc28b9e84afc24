"""Structured logs: one JSON object a line in production, and every line carries its request's id.

``DJANGO_LOG_FORMAT=json`` (the default when ``DJANGO_DEBUG=0``) or ``text``. gunicorn's own logs go
through the same formatter (``deploy/gunicorn.conf.py``): an access-log line becomes an object with
``method``, ``path``, ``status``, ``duration_ms``, ``request_id``, ...

This module imports nothing from Django, so that gunicorn's master process can load it.
"""

from __future__ import annotations

import contextvars
import datetime
import json
import logging
from collections.abc import Mapping

#: the id of the request being served in this thread (set by ``factbase.plumbing.middleware.RequestIDMiddleware``)
request_id_var: contextvars.ContextVar[str | None] = contextvars.ContextVar("factbase_request_id", default=None)

# The attributes every LogRecord has; anything else on a record came from ``extra=``.
_STANDARD = set(logging.LogRecord("", 0, "", 0, "", (), None).__dict__) | {"message", "asctime", "request_id"}
# Extras that are not worth a field (Django's ``request`` and ``server_time``) or that could carry secrets.
_SKIPPED_EXTRAS = {"request", "server_time", "credentials", "password", "token", "authorization"}

# gunicorn's access-log atoms (``%(h)s`` etc.) -> field names
_ACCESS_FIELDS = {
    "h": "remote_addr", "m": "method", "U": "path", "q": "query", "H": "protocol", "s": "status",
    "B": "bytes", "a": "user_agent", "f": "referer",
}


def current_request_id() -> str | None:
    return request_id_var.get()


def _record_request_id(record: logging.LogRecord) -> str | None:
    """The id of the request a record was written in: the one being served, or (for the lines Django
    writes once the response has left the middleware, e.g. "Not Found: ...") the record's request's."""
    request_id = getattr(record, "request_id", None)
    if request_id and request_id != "-":
        return request_id
    return current_request_id() or getattr(getattr(record, "request", None), "request_id", None)


class RequestIDFilter(logging.Filter):
    """Puts ``request_id`` on every record ("-" outside a request), for the text format's ``%(request_id)s``."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = _record_request_id(record) or "-"
        return True


class JSONFormatter(logging.Formatter):
    """One JSON object a record: time (UTC, ISO 8601), level, logger, message, request_id, exception."""

    def format(self, record: logging.LogRecord) -> str:
        data: dict = {
            "time": datetime.datetime.fromtimestamp(record.created, tz=datetime.timezone.utc)
            .isoformat(timespec="milliseconds").replace("+00:00", "Z"),
            "level": record.levelname,
            "logger": record.name,
        }
        request_id = _record_request_id(record)
        if record.name == "gunicorn.access" and isinstance(record.args, Mapping):
            data.update(self._access_fields(record.args))
            request_id = request_id or _atom(record.args, "{x-request-id}o")
            data["message"] = f'{data.get("method")} {data.get("path")} {data.get("status")}'
        else:
            data["message"] = record.getMessage()
        if request_id:
            data["request_id"] = request_id
        for key, value in record.__dict__.items():
            if key not in _STANDARD and key not in _SKIPPED_EXTRAS and not key.startswith("_") and key not in data:
                data[key] = value
        if record.exc_info:
            data["exception"] = self.formatException(record.exc_info)
        if record.stack_info:
            data["stack"] = self.formatStack(record.stack_info)
        return json.dumps(data, default=str, ensure_ascii=False)

    @staticmethod
    def _access_fields(atoms: Mapping) -> dict:
        fields = {}
        for atom, name in _ACCESS_FIELDS.items():
            value = _atom(atoms, atom)
            if value is not None:
                fields[name] = value
        for name in ("status", "bytes"):
            if name in fields:
                try:
                    fields[name] = int(fields[name])
                except (TypeError, ValueError):
                    pass
        duration = _atom(atoms, "M")  # milliseconds (gunicorn's %(M)s)
        if duration is not None:
            try:
                fields["duration_ms"] = int(duration)
            except (TypeError, ValueError):
                pass
        return fields


def _atom(atoms: Mapping, key: str):
    try:
        value = atoms[key]
    except KeyError:
        return None
    return None if value in (None, "-", "") else value
