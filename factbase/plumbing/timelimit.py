"""One read statement under a time limit enforced by the database: counts and facets (Datasette's
``facet_time_limit_ms``), which may read a large part of a million claims.

``run_limited(alias, work, milliseconds)`` runs ``work()`` (which sends one statement, or a few, on the
connection ``alias``) and returns ``(result, False)``, or ``(None, True)`` when the database stopped it
at the limit. The statement after a stopped one works: nothing is left aborted.

- **PostgreSQL**: inside a transaction of its own, or a savepoint of the transaction that is open
  (``transaction.atomic``), ``set_config('statement_timeout', ..., true)`` (``SET LOCAL``), then the
  work. The server cancels a statement past the limit (SQLSTATE 57014, ``QueryCanceled``); the block is
  then rolled back to where it began. It is rolled back when the work succeeds, too: it only read, and
  rolling back is what undoes ``SET LOCAL`` inside a savepoint (released, its setting would outlive it
  until the outer transaction ends). ``SET LOCAL`` lasts for one transaction at most, so a pooled
  connection (``DJANGO_DB_POOL``, PgBouncer in transaction mode) never keeps the limit for the next
  request. ``alias`` is the connection the list's own query uses (the replica's, for a read that the
  router sends there: ``queryset.db``).
- **SQLite**: a progress handler (``sqlite3.Connection.set_progress_handler``) interrupts the statement
  once the limit has passed (``sqlite3.OperationalError: interrupted``), and is removed afterwards. No
  transaction is opened: on SQLite every transaction here begins with ``BEGIN IMMEDIATE``, which would
  take the write lock for a read; an interrupted ``SELECT`` aborts nothing.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TypeVar

from django.conf import settings
from django.db import DatabaseError, connections, transaction

T = TypeVar("T")

#: PostgreSQL's SQLSTATE for a statement cancelled (by statement_timeout, or by a cancel request)
QUERY_CANCELED = "57014"
#: SQLite virtual machine instructions between two looks at the clock (a few microseconds of work)
SQLITE_PROGRESS_STEPS = 1000


class _Rollback(Exception):
    """Leaves the savepoint by rolling it back (see the module's docstring)."""


def time_limit_ms() -> int:
    """The time limit of a count or a facet, in milliseconds (``API_FACET_TIME_LIMIT_MS``)."""
    return settings.API_FACET_TIME_LIMIT_MS


def _is_cancellation(exc: BaseException) -> bool:
    cause = exc.__cause__ or exc.__context__
    return getattr(cause, "sqlstate", None) == QUERY_CANCELED or getattr(exc, "sqlstate", None) == QUERY_CANCELED


def run_limited(alias: str, work: Callable[[], T], milliseconds: int | None = None) -> tuple[T | None, bool]:
    """``(work(), False)``, or ``(None, True)`` when the database stopped it after ``milliseconds``."""
    milliseconds = time_limit_ms() if milliseconds is None else milliseconds
    connection = connections[alias]
    if connection.vendor == "postgresql":
        return _run_postgresql(alias, work, milliseconds)
    if connection.vendor == "sqlite":
        return _run_sqlite(alias, work, milliseconds)
    return work(), False  # another database: no limit it can enforce here


def _run_postgresql(alias, work, milliseconds):
    connection = connections[alias]
    outcome = None
    try:
        with transaction.atomic(using=alias):
            with connection.cursor() as cursor:
                cursor.execute("SELECT set_config('statement_timeout', %s, true)", [f"{max(1, milliseconds)}ms"])
            outcome = work()
            raise _Rollback
    except _Rollback:
        return outcome, False
    except DatabaseError as exc:  # Django's OperationalError, from psycopg's QueryCanceled
        if _is_cancellation(exc):
            return None, True
        raise


def _run_sqlite(alias, work, milliseconds):
    connection = connections[alias]
    connection.ensure_connection()
    raw = connection.connection
    deadline = time.monotonic() + max(1, milliseconds) / 1000

    def past_the_limit() -> int:
        return 1 if time.monotonic() >= deadline else 0  # non-zero interrupts the statement

    raw.set_progress_handler(past_the_limit, SQLITE_PROGRESS_STEPS)
    try:
        return work(), False
    except DatabaseError as exc:
        if "interrupted" in str(exc) and time.monotonic() >= deadline:
            return None, True
        raise
    finally:
        raw.set_progress_handler(None, 0)
