"""Writing many rows at once, for ``services``' ``*_create_many`` (imports). Rows only: every rule is
checked by the caller (each record validated) and by the database (constraints, foreign keys).

On PostgreSQL rows go in with ``COPY``, their primary keys taken from the table's sequence first;
Django's ``bulk_create`` would spend most of an import preparing each value of each row in Python
(``COPY`` with psycopg's C adapters costs a fraction). Elsewhere (SQLite), ``bulk_create``.

The history of each record (django-simple-history's tables) is written the same way, as the
library's own ``bulk_history_create`` would write it.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from operator import attrgetter

from django.db import connection, models
from django.utils import timezone

BATCH_SIZE = 1000


def _postgresql() -> bool:
    return connection.vendor == "postgresql"


def _reserve_ids(model: type[models.Model], count: int) -> list[int]:
    """``count`` new primary keys from the table's sequence (as one text: cheaper to read than rows)."""
    table, column = model._meta.db_table, model._meta.pk.column
    with connection.cursor() as cursor:
        cursor.execute("SELECT string_agg(nextval(pg_get_serial_sequence(%s, %s))::text, ',') "
                       "FROM generate_series(1, %s)", [table, column, count])
        return list(map(int, cursor.fetchone()[0].split(",")))


def _converter(field: models.Field):
    """How a value of ``field`` goes into COPY's text: psycopg adapts most; JSON is written as text."""
    if isinstance(field, models.JSONField):
        encoder = field.encoder

        def to_json(value):
            return None if value is None else json.dumps(value, cls=encoder)
        return to_json
    return None


def _copy(model: type[models.Model], columns: Sequence[str], rows: Iterable[Sequence]) -> None:
    quoted = ", ".join(f'"{column}"' for column in columns)
    # psycopg's own cursor (for copy()), its errors turned into Django's (IntegrityError, ...) as a query's are.
    with connection.cursor() as cursor, connection.wrap_database_errors:
        with cursor.cursor.copy(f'COPY "{model._meta.db_table}" ({quoted}) FROM STDIN') as copy:
            for row in rows:
                copy.write_row(row)


def insert_rows(model: type[models.Model], fields: Sequence[models.Field], rows: list[Sequence], *,
                keys: bool = True) -> list[int] | None:
    """Insert rows (the values of ``fields`` in order, no primary key); returns their new primary keys
    (with ``keys=False`` the database numbers them and nothing is returned)."""
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
    if not keys:
        _copy(model, columns, rows)
        return None
    ids = _reserve_ids(model, len(rows))
    _copy(model, [model._meta.pk.column, *columns], ([pk, *row] for pk, row in zip(ids, rows)))
    return ids


def insert_instances(model: type[models.Model], instances: list[models.Model]) -> None:
    """Insert unsaved instances (their ``auto_now`` dates set now); each gets its primary key."""
    if not instances:
        return
    if not _postgresql():
        model._default_manager.bulk_create(instances, batch_size=BATCH_SIZE)
        return
    now = timezone.now()
    fields = [field for field in model._meta.local_concrete_fields if not field.primary_key]
    stamped = [field.attname for field in fields if getattr(field, "auto_now", False) or getattr(field, "auto_now_add",
                                                                                                   False)]
    values = attrgetter(*(field.attname for field in fields))
    rows = []
    for instance in instances:
        for name in stamped:
            setattr(instance, name, now)
        rows.append(values(instance))
    for instance, pk in zip(instances, insert_rows(model, fields, rows)):
        instance.pk = pk
        instance._state.adding = False
        instance._state.db = connection.alias


def insert_history(model: type[models.Model], instances: list[models.Model], *, user, reason: str,
                   history_type: str = "+", keys: bool = False) -> list[int] | None:
    """Write a history record ("created") of each saved instance, as simple-history's
    ``bulk_history_create`` does; with ``keys``, returns the history records' ids, in order."""
    history_model = model.history.model
    if not instances:
        return [] if keys else None
    if not _postgresql():
        records = model.history.bulk_history_create(instances, batch_size=BATCH_SIZE, default_user=user,
                                                    default_change_reason=reason or "")
        return [record.pk for record in records] if keys else None
    tracked = history_model.tracked_fields
    fields = [history_model._meta.get_field(field.name) for field in tracked]
    meta = [history_model._meta.get_field(name) for name in
            ("history_date", "history_change_reason", "history_type", "history_user")]
    values = attrgetter(*(field.attname for field in tracked))
    extra = (timezone.now(), reason or "", history_type, getattr(user, "pk", None))
    rows = [values(instance) + extra for instance in instances]
    return insert_rows(history_model, [*fields, *meta], rows, keys=keys)
