"""CompiledQuery: the rows values_list() gives, from SQL compiled once a connection."""

import pytest
from django.db import connection, connections
from django.test.utils import CaptureQueriesContext

from api.compiled import CompiledQuery
from factbase.models import Claim

pytestmark = pytest.mark.django_db

COLUMNS = ("id", "uid", "stated_on", "created_at", "speaker__name", "source__published_on")


def by_id(pk):
    return Claim.objects.filter(pk=pk).order_by().values_list(*COLUMNS)


def by_ids(ids):
    return Claim.objects.filter(pk__in=ids).order_by("id").values_list(*COLUMNS)


def test_the_rows_are_those_of_values_list(seed):
    one, many = CompiledQuery("test-one", by_id), CompiledQuery("test-many", by_ids)
    ids = list(Claim.objects.order_by("id").values_list("id", flat=True))
    for pk in ids[:5]:
        assert one.run("default", pk) == list(by_id(pk))
    assert many.run("default", ids[:7]) == list(by_ids(ids[:7]))
    assert many.run("default", ids[3:10]) == list(by_ids(ids[3:10]))  # the same length: the same SQL
    assert many.run("default", ids[:2]) == list(by_ids(ids[:2]))  # another length: compiled again
    assert one.run("default", 10**9) == []
    # converted as the ORM converts them (on SQLite dates and UUIDs are text until converted)
    row = one.run("default", ids[0])[0]
    assert row == list(by_id(ids[0]))[0]
    assert type(row[1]).__name__ == "UUID" and type(row[3]).__name__ == "datetime"


def test_compiled_once_a_connection_then_one_query_a_run(seed):
    query = CompiledQuery("test-once", by_id)
    pk = Claim.objects.values_list("id", flat=True).first()
    query.run("default", pk)
    cached = connections["default"].__dict__["_factbase_compiled"][("test-once", (None,))]
    assert cached is not None
    with CaptureQueriesContext(connection) as queries:
        assert query.run("default", pk)[0][0] == pk
    assert len(queries) == 1
    assert connections["default"].__dict__["_factbase_compiled"][("test-once", (None,))] is cached


def test_a_value_the_orm_rewrites_runs_through_the_orm(seed):
    shifted = CompiledQuery("test-shifted", lambda pk: Claim.objects.filter(pk=pk + 1).values_list("id"))
    pk = Claim.objects.order_by("id").values_list("id", flat=True).first()
    assert shifted.run("default", pk) == [(pk + 1,)]
    assert connections["default"].__dict__["_factbase_compiled"][("test-shifted", (None,))] is None
    assert shifted.run("default", pk + 1) == [(pk + 2,)]


def test_a_connection_keeps_a_bounded_number_of_forms(seed, monkeypatch):
    monkeypatch.setattr("api.compiled.MAX_FORMS", 3)
    connections["default"].__dict__.pop("_factbase_compiled", None)
    many = CompiledQuery("test-bounded", by_ids)
    ids = list(Claim.objects.order_by("id").values_list("id", flat=True))
    for length in range(1, 8):
        assert many.run("default", ids[:length]) == list(by_ids(ids[:length]))
    assert len(connections["default"].__dict__["_factbase_compiled"]) == 3
