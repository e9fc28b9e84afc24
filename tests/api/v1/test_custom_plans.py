"""custom_plans(): a search is planned with its word even when statements are prepared (server-side binding)."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from factbase.plumbing import plans

pytestmark = [pytest.mark.django_db]


def current_mode():
    with connection.cursor() as cursor:
        cursor.execute("SHOW plan_cache_mode")
        return cursor.fetchone()[0]


@pytest.mark.skipif(connection.vendor != "postgresql", reason="plan_cache_mode is PostgreSQL's")
def test_a_block_is_planned_with_its_values_and_the_setting_is_put_back(monkeypatch):
    monkeypatch.setattr(plans, "prepares_statements", lambda using: True)
    assert current_mode() == "auto"
    with plans.custom_plans():
        assert current_mode() == "force_custom_plan"
    assert current_mode() == "auto"
    with pytest.raises(ZeroDivisionError), plans.custom_plans():
        1 / 0
    assert current_mode() == "auto"  # also after an error


def test_without_prepared_statements_nothing_is_sent():
    if connection.vendor == "postgresql":
        assert not plans.prepares_statements("default")  # the tests run without server-side binding
    with CaptureQueriesContext(connection) as queries, plans.custom_plans():
        pass
    assert len(queries) == 0


def test_a_search_asks_for_custom_plans(anon_client, monkeypatch, seed):
    monkeypatch.setattr(plans, "prepares_statements", lambda using: connection.vendor == "postgresql")
    with CaptureQueriesContext(connection) as queries:
        response = anon_client.get("/api/v1/claims/", {"q": "nosuchwordanywhere"})
    assert response.status_code == 200 and response.json()["results"] == []
    sent = [q["sql"] for q in queries.captured_queries]
    if connection.vendor == "postgresql":
        assert sent[0] == "SET plan_cache_mode = force_custom_plan" and sent[-1] == "RESET plan_cache_mode"
    else:
        assert not any("plan_cache_mode" in sql for sql in sent)
    with CaptureQueriesContext(connection) as queries:
        assert anon_client.get("/api/v1/claims/").status_code == 200
    assert not any("plan_cache_mode" in q["sql"] for q in queries.captured_queries)  # only a search
