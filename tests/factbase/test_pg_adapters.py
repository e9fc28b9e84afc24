"""The faster timestamptz loader (factbase/plumbing/pg_adapters.py) reads every value as Django's own loader does."""

from datetime import datetime, timezone

import pytest
from django.db import connection

from factbase.plumbing import pg_adapters
from factbase.models import Actor

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif("connection.vendor != 'postgresql'", reason="a psycopg loader: PostgreSQL only"),
]

TEXTS = [
    "2022-01-07 00:00:00+00",
    "2022-01-07 23:59:59.999999+00",
    "2022-01-07 12:30:05.5+00",
    "0001-01-01 00:00:00+00",
    "9999-12-31 23:59:59.999999+00",
    "2021-03-28 01:30:00+00",  # the hour Europe's clocks skip
    "2022-01-07 12:30:05+05:30",  # a session in another time zone: left to Django's loader
    "2022-01-07 12:30:05-08",
]


def loaders():
    from psycopg.postgres import types
    from psycopg.pq import Format

    connection.ensure_connection()
    raw = connection.connection
    fast = raw.adapters.get_loader(types["timestamptz"].oid, Format.TEXT)
    return fast, fast.__mro__[1], raw


def test_a_new_connection_reads_timestamptz_with_the_fast_loader():
    fast, django_loader, _ = loaders()
    assert getattr(fast, "fast", False), fast
    assert django_loader.__module__ == "django.db.backends.postgresql.psycopg_any"
    assert fast.timezone is django_loader.timezone is connection.timezone


def test_every_value_is_the_one_djangos_loader_gives():
    fast, django_loader, raw = loaders()
    for text in TEXTS:
        ours = fast(0, raw).load(text.encode())
        theirs = django_loader(0, raw).load(text.encode())
        assert ours == theirs and ours.tzinfo is theirs.tzinfo, text
        assert ours.isoformat() == theirs.isoformat(), text


def test_a_value_it_cannot_read_fails_as_djangos_does():
    from psycopg import DataError

    fast, django_loader, raw = loaders()
    for text in ("infinity", "-infinity", "0044-03-15 12:00:00+00 BC"):
        with pytest.raises(DataError) as theirs:
            django_loader(0, raw).load(text.encode())
        with pytest.raises(DataError) as ours:
            fast(0, raw).load(text.encode())
        assert str(ours.value) == str(theirs.value)


def test_records_written_and_read_back_keep_their_times():
    when = datetime(2022, 1, 7, 13, 45, 12, 123456, tzinfo=timezone.utc)
    actor = Actor.objects.create(name="Kassym-Jomart Tokayev", kind="person")
    Actor.objects.filter(pk=actor.pk).update(created_at=when)
    created_at = Actor.objects.values_list("created_at", flat=True).get(pk=actor.pk)
    assert created_at == when and created_at.tzinfo is timezone.utc


def test_not_installed_where_the_session_is_not_in_utc(monkeypatch):
    """A connection whose session time zone is not UTC keeps Django's loader."""
    from psycopg.postgres import types
    from psycopg.pq import Format

    _, django_loader, raw = loaders()
    oid = types["timestamptz"].oid
    raw.adapters.register_loader(oid, django_loader)
    try:
        monkeypatch.setattr(type(raw.info), "parameter_status",
                            lambda self, name: "Asia/Almaty" if name == "TimeZone" else "ISO, MDY")
        pg_adapters.install(sender=None, connection=connection)
        assert raw.adapters.get_loader(oid, Format.TEXT) is django_loader
        monkeypatch.undo()
        pg_adapters.install(sender=None, connection=connection)
        assert getattr(raw.adapters.get_loader(oid, Format.TEXT), "fast", False)
    finally:
        monkeypatch.undo()
