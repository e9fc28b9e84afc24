"""Writing many rows at once, for ``services``' ``*_create_many`` (imports). Rows only: every rule is
checked by the caller (each record validated) and by the database (constraints, foreign keys).

On PostgreSQL rows go in with binary ``COPY``, their primary keys taken from the table's sequence
first; Django's ``bulk_create`` would spend most of an import preparing each value of each row in
Python (``COPY`` with psycopg's C adapters costs a fraction, and the binary format a fraction of the
text one). Elsewhere (SQLite), ``bulk_create``.

A column that a row trigger fills (the claims' search vector, migrations 0004 and 0005) is computed
for a whole batch at once instead (``COMPUTED``): the rows go into a temporary staging table, and one
``INSERT ... SELECT`` computes the column as the trigger would, with the trigger off for that statement;
their history is written from the same staged rows.

``LoadingTables`` is for loads that at least double a table: its secondary indexes and foreign keys
are dropped and made again at the end, as PostgreSQL's manual advises for bulk loads.
``write_behind()`` runs the statements of each batch of claims on a thread of their own while the
caller goes on (``WriteBehind``).

The history of each record (django-simple-history's tables) is written as the library's own
``bulk_history_create`` would write it.

Everything here happens inside the caller's transaction: what a refused or interrupted import did
(triggers turned off, indexes and foreign keys dropped) is rolled back with it.
"""

from __future__ import annotations

import json
import queue
import threading
from collections.abc import Iterable, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from operator import attrgetter
from typing import Any

import psycopg
from django.db import connection, models
from django.utils import timezone
from psycopg.pq import Format as PqFormat
from psycopg.types.json import Jsonb

BATCH_SIZE = 1000
# A batch of at least this many rows of a table with a ``COMPUTED`` column goes through the staging table
# (below it, the row trigger costs less than the statements around the staging table).
SET_WISE_MIN_ROWS = 500


def _postgresql() -> bool:
    return connection.vendor == "postgresql"


def _quote(name: str) -> str:
    return connection.ops.quote_name(name)


_sequences: dict[tuple[str, str], str] = {}


def _sequence(model: type[models.Model]) -> str:
    """The name of the sequence of the model's primary key (looked up once: ``pg_get_serial_sequence``
    costs more than ``nextval`` itself when called for every row)."""
    table, column = model._meta.db_table, model._meta.pk.column
    name = _sequences.get((table, column))
    if name is None:
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_get_serial_sequence(%s, %s)", [table, column])
            name = _sequences[(table, column)] = cursor.fetchone()[0]
    return name


def _reserve_ids(model: type[models.Model], count: int) -> list[int]:
    """``count`` new primary keys from the table's sequence (as one text: cheaper to read than rows)."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT string_agg(nextval(%s::regclass)::text, ',') FROM generate_series(1, %s)",
                       [_sequence(model), count])
        return list(map(int, cursor.fetchone()[0].split(",")))


def _converter(field: models.Field):
    """How a value of ``field`` goes into COPY: psycopg adapts most; JSON with the field's own encoder."""
    if isinstance(field, models.JSONField):
        encoder = field.encoder

        def dumps(value):
            return json.dumps(value, cls=encoder)

        def to_json(value):
            return None if value is None else Jsonb(value, dumps=dumps)
        return to_json
    return None


_column_types: dict[tuple, list[int] | None] = {}


def _binary_types(table: str, columns: Sequence[str]) -> list[int] | None:
    """The types of the columns, for a binary ``COPY`` (psycopg then writes each value without looking
    up how, and PostgreSQL reads it without parsing text: a fraction of the cost); None when psycopg
    cannot write one of them in binary."""
    key = (connection.settings_dict["NAME"], table, tuple(columns))
    if key not in _column_types:
        with connection.cursor() as cursor:
            cursor.execute("SELECT attname, atttypid FROM pg_attribute WHERE attrelid = %s::regclass AND attnum > 0 "
                           "AND NOT attisdropped", [table])
            by_name = dict(cursor.fetchall())
        types = [by_name[column] for column in columns]
        try:
            for oid in types:
                connection.connection.adapters.get_dumper_by_oid(oid, PqFormat.BINARY)
        except psycopg.ProgrammingError:
            types = None
        _column_types[key] = types
    return _column_types[key]


def _copy_statement(table: str, columns: Sequence[str], binary: bool) -> str:
    columns = ", ".join(_quote(column) for column in columns)
    return f"COPY {_quote(table)} ({columns}) FROM STDIN" + (" (FORMAT BINARY)" if binary else "")


def _copy(table: str, columns: Sequence[str], rows: Iterable[Sequence]) -> None:
    writer = _write_behind
    types = _binary_types(table, columns)
    statement = _copy_statement(table, columns, types is not None)
    if writer is not None and writer.open:  # the rest of a batch being written behind
        rows = list(rows)
        writer.defer(lambda cursor: _copy_rows(cursor, statement, types, rows))
        return
    # psycopg's own cursor (for copy()), its errors turned into Django's (IntegrityError, ...) as a query's are.
    with connection.cursor() as cursor, connection.wrap_database_errors:
        _copy_rows(cursor.cursor, statement, types, rows)


def _copy_rows(cursor, statement: str, types: list[int] | None, rows: Iterable[Sequence]) -> None:
    with cursor.copy(statement) as copy:
        if types is not None:
            copy.set_types(types)
        for row in rows:
            copy.write_row(row)


# --- writing behind ------------------------------------------------------------------------------

class WriteFailed(Exception):
    """The database refused statements written behind (see ``WriteBehind``)."""


class WriteBehind:
    """The statements of a batch of claims (their insert from the staging table, their history, their
    tags; PostgreSQL) run on a thread of their own, on the transaction's own connection, while the
    caller goes on with what needs no database (checking the next records): a large import spends
    about as long in each. Anything else that uses the connection first waits for them (a query
    through Django, or a ``COPY`` of this module). Statements that only open, release or roll back a
    savepoint are queued behind them, in order. Everything still happens in the caller's
    transaction, in the same order as without.

    A batch written behind has already been checked in full: the database refusing it is not a
    record's problem to report (the import cannot fall back to checking it row by row); then
    ``WriteFailed`` is raised where the caller next uses the connection, and the import fails whole.
    Active inside ``write_behind()`` only (the importer, for large imports).
    """

    _SAVEPOINT_STATEMENTS = ("SAVEPOINT ", "RELEASE SAVEPOINT ", "ROLLBACK TO SAVEPOINT ")

    def __init__(self):
        self.work: queue.Queue = queue.Queue()
        self.open = False  # statements are queued, and others may follow them
        self.error: BaseException | None = None
        self.thread: threading.Thread | None = None

    def defer(self, item) -> None:
        if self.thread is None:
            raw = connection.connection  # psycopg's connection: Django's wrapper is this thread's
            self.thread = threading.Thread(target=self._run, args=(raw,), name="import-writer", daemon=True)
            self.thread.start()
        self.open = True
        self.work.put(item)

    def _run(self, raw) -> None:
        with raw.cursor() as cursor:
            while True:
                item = self.work.get()
                try:
                    if item is None:
                        return
                    if self.error is None:  # after a refusal the transaction is aborted: nothing more runs
                        item(cursor)
                except BaseException as exc:  # noqa: BLE001 - raised in the caller's thread, by drain()
                    self.error = exc
                finally:
                    self.work.task_done()

    def drain(self) -> None:
        """Wait until everything queued has run; raise ``WriteFailed`` if the database refused it."""
        self.work.join()
        self.open = False
        if self.error is not None:
            error, self.error = self.error, None
            raise WriteFailed(f"The database refused claims that had been checked: {error}") from error

    def guard(self, execute, sql, params, many, context):
        """Django's execute_wrapper: a statement waits for what is written behind."""
        if self.open and isinstance(sql, str) and sql.startswith(self._SAVEPOINT_STATEMENTS):
            self.defer(lambda cursor: cursor.execute(sql))
            return None
        self.drain()
        return execute(sql, params, many, context)

    def stop(self) -> None:
        if self.thread is not None:
            self.work.put(None)
            self.thread.join()
            self.thread = None


_write_behind: WriteBehind | None = None


@contextmanager
def write_behind():
    """Within: batches of claims are written behind (``WriteBehind``), on PostgreSQL. Leaving waits for
    them (and raises ``WriteFailed`` if they were refused); leaving on an error waits for them too,
    before the transaction is rolled back."""
    global _write_behind
    if not _postgresql() or _write_behind is not None:
        yield None
        return
    writer = _write_behind = WriteBehind()
    try:
        with connection.execute_wrapper(writer.guard):
            yield writer
            writer.drain()
    finally:
        _write_behind = None
        writer.work.join()  # on an error too: the connection is not rolled back under the writer
        writer.stop()


def _execute(cursor, sql: str, params=None) -> None:
    """A statement of a batch of claims: written behind when that is on, else now."""
    writer = _write_behind
    if writer is not None:
        writer.defer(lambda raw_cursor: raw_cursor.execute(sql, params))
    else:
        cursor.execute(sql, params)


# --- columns that a row trigger computes, computed set-wise ---------------------------------------

@dataclass(frozen=True)
class Computed:
    """A column that the row trigger ``trigger`` fills on insert, and how to compute it for many rows
    at once: ``expression`` over the staging rows ``s``, with ``joins`` (``{staging}`` names the
    staging table). The result must be what the trigger would have stored."""

    column: str
    trigger: str
    expression: str
    joins: str = ""


# factbase_claim.search_vector (migrations 0004 and 0005): the claim's text (weight A) and its
# speaker's name and aliases (weight B). The trigger computes
# factbase_claim_search_vector(text, speaker_id) = factbase_claim_text_vector(text) || the speaker's
# half; here each speaker's half is computed once for the batch, not once a claim. (A LEFT JOIN: a
# claim whose speaker does not exist still reaches the table, where its foreign key refuses it.)
CLAIM_SEARCH_VECTOR = Computed(
    column="search_vector",
    trigger="factbase_claim_search",
    expression="factbase_claim_text_vector(s.text) || coalesce(a.vector, ''::tsvector)",
    joins="LEFT JOIN (SELECT id, factbase_actor_search_vector(name, aliases) AS vector FROM factbase_actor "
          "WHERE id IN (SELECT DISTINCT speaker_id FROM {staging})) a ON a.id = s.speaker_id",
)
COMPUTED = {"factbase_claim": CLAIM_SEARCH_VECTOR}


def _may_compute_set_wise(table: str, computed: Computed) -> bool:
    """Whether the trigger is there and on, and this session may turn it off (it owns the table)."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pg_has_role(current_user, c.relowner, 'USAGE') FROM pg_class c "
            "JOIN pg_trigger t ON t.tgrelid = c.oid AND t.tgname = %s AND t.tgenabled <> 'D' "
            "JOIN pg_attribute a ON a.attrelid = c.oid AND a.attname = %s AND NOT a.attisdropped "
            "WHERE c.oid = %s::regclass",
            [computed.trigger, computed.column, table],
        )
        found = cursor.fetchone()
    return bool(found and found[0])


@dataclass(frozen=True)
class History:
    """The "created" history records to write with rows: who made them, and why."""

    user: Any  # a user, or None
    reason: str
    date: Any = None  # the records' date (a datetime); None: now


def _history_columns(model: type[models.Model]) -> tuple[list[models.Field], list[models.Field]]:
    """The history model's fields that copy the model's (tracked), and its own (date, reason, type, user)."""
    history_model = model.history.model
    tracked = [history_model._meta.get_field(field.name) for field in history_model.tracked_fields]
    meta = [history_model._meta.get_field(name) for name in
            ("history_date", "history_change_reason", "history_type", "history_user")]
    return tracked, meta


def _history_values(history: History, history_type: str = "+") -> tuple:
    """The values of the history records' own fields, as simple-history's ``bulk_history_create`` sets
    them (one date for a batch)."""
    return history.date or timezone.now(), history.reason or "", history_type, getattr(history.user, "pk", None)


def _copy_computing(model: type[models.Model], columns: Sequence[str], rows: Iterable[Sequence], computed: Computed,
                    history: History | None) -> list[int] | None:
    """Insert rows into the model's table, ``computed.column`` computed for all of them in one statement;
    with ``history``, their history records too, from the same staged rows (their ids returned)."""
    table = model._meta.db_table
    staging = f"{table}_staging"
    history_ids = None
    if history is not None:
        history_ids = _reserve_ids(model.history.model, len(rows))
        rows = [(*row, history_id) for row, history_id in zip(rows, history_ids)]
    with connection.cursor() as cursor:
        # Temporary: this session's only, gone at the end of the transaction (or with its savepoint).
        cursor.execute(f"CREATE TEMP TABLE IF NOT EXISTS {_quote(staging)} "
                       f"(LIKE {_quote(table)}, staged_history_id bigint) ON COMMIT DROP")
    _copy(staging, [*columns, "staged_history_id"] if history is not None else columns, rows)
    listed = ", ".join(_quote(column) for column in columns)
    selected = ", ".join(f"s.{_quote(column)}" for column in columns)
    with connection.cursor() as cursor:
        defer_again = _defer_again_statement(cursor)
        # The trigger is off for this statement only: other statements of the transaction (a claim's
        # update) keep it. ALTER TABLE takes a lock that lets others read the table, not write it,
        # until the end of the transaction; and PostgreSQL alters no table while checks of deferred
        # constraints on its rows are pending, so those run now rather than at the commit (their
        # outcome is the same), and the constraints are deferred again after. (These statements may
        # be written behind: see WriteBehind.)
        _execute(cursor, "SET CONSTRAINTS ALL IMMEDIATE")
        _execute(cursor, f"ALTER TABLE {_quote(table)} DISABLE TRIGGER {_quote(computed.trigger)}")
        _execute(cursor,
                 f"INSERT INTO {_quote(table)} ({listed}, {_quote(computed.column)}) "
                 f"SELECT {selected}, {computed.expression} FROM {_quote(staging)} s "
                 f"{computed.joins.format(staging=_quote(staging))}")
        _execute(cursor, f"ALTER TABLE {_quote(table)} ENABLE TRIGGER {_quote(computed.trigger)}")
        if history is not None:
            # As insert_history() writes them, from the rows as inserted.
            tracked, meta = _history_columns(model)
            history_table = model.history.model._meta.db_table
            _execute(cursor,
                     f"INSERT INTO {_quote(history_table)} ({_quote(model.history.model._meta.pk.column)}, "
                     f"{', '.join(_quote(f.column) for f in [*tracked, *meta])}) "
                     f"SELECT s.staged_history_id, {', '.join(f's.{_quote(f.column)}' for f in tracked)}, "
                     f"%s, %s, %s, %s FROM {_quote(staging)} s",
                     list(_history_values(history)))
        _execute(cursor, f"TRUNCATE {_quote(staging)}")
        _execute(cursor, defer_again)
    return history_ids


def _defer_again_statement(cursor) -> str:
    """What sets each constraint back to its own mode after ``SET CONSTRAINTS ALL IMMEDIATE``: the
    deferrable ones that are deferred unless told otherwise (Django's foreign keys) deferred again."""
    cursor.execute("SELECT bool_or(condeferrable AND NOT condeferred) FROM pg_constraint")
    if not cursor.fetchone()[0]:  # every deferrable constraint is initially deferred: all of them
        return "SET CONSTRAINTS ALL DEFERRED"
    cursor.execute("SELECT format('%%I.%%I', n.nspname, c.conname) FROM pg_constraint c "
                   "JOIN pg_namespace n ON n.oid = c.connamespace WHERE c.condeferred")
    names = [name for (name,) in cursor.fetchall()]
    return f"SET CONSTRAINTS {', '.join(names)} DEFERRED" if names else "SELECT 1"


def _defer_again(cursor) -> None:
    cursor.execute(_defer_again_statement(cursor))


def _computed(model: type[models.Model], count: int) -> Computed | None:
    """The column computed set-wise for a batch of ``count`` rows of the model, if any."""
    computed = COMPUTED.get(model._meta.db_table)
    if computed is not None and count >= SET_WISE_MIN_ROWS and _may_compute_set_wise(model._meta.db_table, computed):
        return computed
    return None


# --- rows and instances ---------------------------------------------------------------------------

def reserve_ids(model: type[models.Model], count: int) -> list[int] | None:
    """``count`` primary keys for rows ``insert_rows`` will insert (``ids=``); None where the database
    numbers rows as they go in (SQLite)."""
    return _reserve_ids(model, count) if _postgresql() and count else None


def insert_rows(model: type[models.Model], fields: Sequence[models.Field], rows: list[Sequence], *,
                keys: bool = True, ids: list[int] | None = None) -> list[int] | None:
    """Insert rows (the values of ``fields`` in order, no primary key); returns their new primary keys
    (with ``keys=False`` the database numbers them and nothing is returned; ``ids``: the keys to give
    them, from ``reserve_ids``)."""
    if not rows:
        return [] if keys else None
    if not _postgresql():
        instances = [model(**{field.attname: value for field, value in zip(fields, row)}) for row in rows]
        model._default_manager.bulk_create(instances, batch_size=BATCH_SIZE)
        return [instance.pk for instance in instances] if keys else None
    converters = [_converter(field) for field in fields]
    if any(converters):
        rows = [[convert(value) if convert else value for convert, value in zip(converters, row)] for row in rows]
    columns = [field.column for field in fields]
    table = model._meta.db_table
    if not keys:
        _copy(table, columns, rows)
        return None
    ids = ids[:len(rows)] if ids is not None else _reserve_ids(model, len(rows))
    _copy(table, [model._meta.pk.column, *columns], [(pk, *row) for pk, row in zip(ids, rows)])
    return ids


def insert_instances(model: type[models.Model], instances: list[models.Model], *,
                     history: History | None = None) -> list[int] | None:
    """Insert unsaved instances (their ``auto_now`` dates set now); each gets its primary key. With
    ``history``, the "created" history record of each is written too, and their ids returned, in order."""
    if not instances:
        return [] if history is not None else None
    if not _postgresql():
        model._default_manager.bulk_create(instances, batch_size=BATCH_SIZE)
    else:
        now = timezone.now()
        fields = [field for field in model._meta.local_concrete_fields if not field.primary_key]
        stamped = [field.attname for field in fields
                   if getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False)]
        values = attrgetter(*(field.attname for field in fields))
        rows = []
        for instance in instances:
            for name in stamped:
                setattr(instance, name, now)
            rows.append(values(instance))
        converters = [_converter(field) for field in fields]
        if any(converters):
            rows = [[convert(value) if convert else value for convert, value in zip(converters, row)]
                    for row in rows]
        ids = _reserve_ids(model, len(rows))
        columns = [model._meta.pk.column, *(field.column for field in fields)]
        rows = [(pk, *row) for pk, row in zip(ids, rows)]
        alias, pk_name = connection.alias, model._meta.pk.attname
        for instance, pk in zip(instances, ids):
            if model._meta.parents:
                instance.pk = pk
            else:
                instance.__dict__[pk_name] = pk  # what Model.pk's setter sets
            instance._state.adding = False
            instance._state.db = alias
        computed = _computed(model, len(rows))
        if computed is not None:
            return _copy_computing(model, columns, rows, computed, history)
        _copy(model._meta.db_table, columns, rows)
    if history is not None:
        return insert_history(model, instances, user=history.user, reason=history.reason, keys=True,
                              date=history.date)
    return None


def insert_history(model: type[models.Model], instances: list[models.Model], *, user, reason: str,
                   history_type: str = "+", keys: bool = False, date=None) -> list[int] | None:
    """Write a history record ("created") of each saved instance, as simple-history's
    ``bulk_history_create`` does; with ``keys``, returns the history records' ids, in order."""
    history_model = model.history.model
    if not instances:
        return [] if keys else None
    if not _postgresql():
        if history_type not in ("+", "~"):
            raise ValueError(f"insert_history writes creations (+) and changes (~), not {history_type!r}")
        records = model.history.bulk_history_create(instances, batch_size=BATCH_SIZE, default_user=user,
                                                    default_change_reason=reason or "", update=history_type == "~",
                                                    default_date=date)
        return [record.pk for record in records] if keys else None
    tracked, meta = _history_columns(model)
    values = attrgetter(*(field.attname for field in tracked))
    extra = _history_values(History(user, reason, date), history_type)
    rows = [values(instance) + extra for instance in instances]
    return insert_rows(history_model, [*tracked, *meta], rows, keys=keys)


# --- loads that at least double a table -----------------------------------------------------------

def table_rows_below(table: str, count: int) -> bool:
    """Whether ``table`` has fewer than ``count`` rows (counting no further than ``count``)."""
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT count(*) FROM (SELECT 1 FROM {_quote(table)} LIMIT %s) t", [count])
        return cursor.fetchone()[0] < count


class LoadingTables:
    """A load into ``tables`` (PostgreSQL) without their secondary indexes and foreign keys.

    ``begin()`` drops each table's indexes that back no constraint (but those whose first column is one
    of ``keep_leading[table]``: what the load itself finds rows by) and its foreign keys to
    ``drop_references_to`` (the tables the load writes itself; a foreign key to another table, such as
    the users', is kept, and so is its lock on that table); ``finish()`` makes them all again, each
    foreign key checking every row in one statement, and analyzes the tables ``analyze`` names
    (default: all) for the planner. All of it in the
    caller's transaction: if the load is rolled back, so is the dropping. Until the end of the
    transaction, the tables cannot be read by others (``DROP INDEX`` locks them), and the tables
    referenced cannot be written by others.

    ``possible()`` says whether this session may do it (it must own the tables).
    """

    def __init__(self, tables: Sequence[str], *, drop_references_to: Sequence[str] = (),
                 keep_leading: dict[str, Sequence[str]] | None = None, analyze: Sequence[str] | None = None):
        self.tables = list(tables)
        self.analyze = list(self.tables if analyze is None else analyze)
        self.drop_references_to = list(drop_references_to)
        self.keep_leading = keep_leading or {}
        self.indexes: list[str] = []  # definitions, to make them again
        self.foreign_keys: list[tuple[str, str, str]] = []  # (table, name, definition)
        self.begun = False

    def possible(self) -> bool:
        if not _postgresql() or not self.tables:
            return False
        with connection.cursor() as cursor:
            cursor.execute("SELECT bool_and(pg_has_role(current_user, relowner, 'USAGE')) FROM pg_class "
                           "WHERE oid = ANY(%s::regclass[])", [self.tables])
            return bool(cursor.fetchone()[0])

    def begin(self) -> None:
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT i.indexrelid::regclass::text, pg_get_indexdef(i.indexrelid), i.indrelid::regclass::text, "
                "       (SELECT attname FROM pg_attribute WHERE attrelid = i.indrelid AND attnum = i.indkey[0]) "
                "FROM pg_index i WHERE i.indrelid = ANY(%s::regclass[]) "
                "AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = i.indexrelid) ORDER BY 1",
                [self.tables],
            )
            indexes = [(name, definition) for name, definition, table, leading in cursor.fetchall()
                       if leading not in self.keep_leading.get(table.strip('"'), ())]
            foreign_keys = []
            if self.drop_references_to:
                cursor.execute(
                    "SELECT conrelid::regclass::text, conname, pg_get_constraintdef(oid) FROM pg_constraint "
                    "WHERE contype = 'f' AND conrelid = ANY(%s::regclass[]) AND confrelid = ANY(%s::regclass[]) "
                    "ORDER BY 1, 2",
                    [self.tables, self.drop_references_to],
                )
                foreign_keys = cursor.fetchall()
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")  # no table is altered with checks pending
            for table, name, _ in foreign_keys:
                cursor.execute(f"ALTER TABLE {table} DROP CONSTRAINT {_quote(name)}")
            for name, _ in indexes:
                cursor.execute(f"DROP INDEX {name}")
            _defer_again(cursor)
        self.indexes = [definition for _, definition in indexes]
        self.foreign_keys = foreign_keys
        self.begun = True

    def finish(self) -> None:
        if not self.begun:
            return
        with connection.cursor() as cursor:
            # The checks of deferred foreign keys still waiting must run first: PostgreSQL does not
            # index or alter a table with such pending events. (This is the end of the transaction.)
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            cursor.execute("SET LOCAL maintenance_work_mem = '256MB'")
            for definition in self.indexes:
                cursor.execute(definition)
            for table, name, definition in self.foreign_keys:
                cursor.execute(f"ALTER TABLE {table} ADD CONSTRAINT {_quote(name)} {definition}")
            for table in self.tables:
                if table in self.analyze:
                    cursor.execute(f"ANALYZE {_quote(table)}")
            _defer_again(cursor)
        self.begun = False
