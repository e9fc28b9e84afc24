"""Reads from a PostgreSQL replica, writes to the primary (``DATABASE_REPLICA_URL``).

With ``DATABASE_REPLICA_URL`` set, settings define a second database alias, ``replica``, and set
``DATABASE_REPLICA_ALIAS = "replica"``. This router then decides, query by query:

- every write goes to the primary (``default``);
- a read goes to the replica only inside a request (``ReplicaRoutingMiddleware`` opens one with
  ``replica_reads()``) that is safe (GET, HEAD, OPTIONS), has written nothing so far, is not inside a
  transaction on the primary, and whose client did not write within the last
  ``DATABASE_REPLICA_PIN_SECONDS`` (a short-lived cookie pins it to the primary, so that an editor who
  just saved sees what they saved, whatever the replica's lag);
- once a request writes, every later read of that request goes to the primary;
- outside a request (management commands, the shell, migrations) everything uses the primary.

Nothing is migrated on the replica: it copies the primary.
"""

from __future__ import annotations

import contextlib
import contextvars
from dataclasses import dataclass

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, connections

PRIMARY = DEFAULT_DB_ALIAS
#: the cookie that pins a client to the primary for a few seconds after it wrote
PIN_COOKIE = "factbase_primary"


@dataclass
class RoutingState:
    #: whether reads may go to the replica at all (a safe request that wrote nothing)
    replica_allowed: bool = True
    #: set by the first write: later reads in the same request go to the primary
    wrote: bool = False


_state: contextvars.ContextVar[RoutingState | None] = contextvars.ContextVar("factbase_db_routing", default=None)


def replica_alias() -> str | None:
    """The replica's alias when one is configured, else ``None``."""
    alias = getattr(settings, "DATABASE_REPLICA_ALIAS", None)
    return alias if alias and alias in connections else None


@contextlib.contextmanager
def replica_reads(*, allowed: bool = True):
    """Within this block (one request), reads may go to the replica until something is written."""
    state = RoutingState(replica_allowed=allowed)
    token = _state.set(state)
    try:
        yield state
    finally:
        _state.reset(token)


def current_state() -> RoutingState | None:
    return _state.get()


class PrimaryReplicaRouter:
    """Writes, and reads that must see them, to the primary; other reads in a request to the replica."""

    def db_for_read(self, model, **hints):
        alias = replica_alias()
        state = _state.get()
        if alias is None or state is None or not state.replica_allowed or state.wrote:
            return PRIMARY
        if connections[PRIMARY].in_atomic_block:
            return PRIMARY  # a read inside a transaction on the primary must see the transaction
        return alias

    def db_for_write(self, model, **hints):
        state = _state.get()
        if state is not None:
            state.wrote = True
        return PRIMARY

    def allow_relation(self, obj1, obj2, **hints):
        # The primary and the replica hold the same rows.
        return True

    def allow_migrate(self, db, app_label, model_name=None, **hints):
        # The replica copies the primary: nothing is migrated there.
        return db != getattr(settings, "DATABASE_REPLICA_ALIAS", None)
