"""Reads from the replica, writes to the primary (factbase/plumbing/db_router.py), with two database aliases.

In the tests the ``replica`` alias is a TEST MIRROR of ``default`` (tests/conftest.py): another
connection to the same test database, as a real replica is another server with the same rows. These
tests commit (``transaction=True``), so that what one connection writes the other reads.
"""

import importlib

import pytest
from django.db import connections, transaction
from django.test.utils import CaptureQueriesContext
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from factbase import services
from factbase.plumbing import db_router
from factbase.models import Actor, Tag

ROUTED = pytest.mark.django_db(transaction=True, databases=["default", "replica"])


@pytest.fixture
def with_replica(settings):
    settings.DATABASE_REPLICA_ALIAS = "replica"
    return settings


@pytest.fixture
def router():
    return db_router.PrimaryReplicaRouter()


# --- the router's decisions ------------------------------------------------------------------------

@ROUTED
def test_without_a_replica_everything_uses_the_primary(router):
    with db_router.replica_reads():
        assert router.db_for_read(Actor) == "default"
        assert router.db_for_write(Actor) == "default"


@ROUTED
def test_reads_go_to_the_replica_in_a_request_and_writes_to_the_primary(with_replica, router):
    assert router.db_for_read(Actor) == "default", "outside a request (commands, shell): the primary"
    with db_router.replica_reads() as state:
        assert router.db_for_read(Actor) == "replica"
        assert router.db_for_read(Tag) == "replica"
        assert not state.wrote
        assert router.db_for_write(Actor) == "default"
        assert state.wrote
        assert router.db_for_read(Actor) == "default", "a read after a write sees the write"
    with db_router.replica_reads():
        assert router.db_for_read(Actor) == "replica", "the next request starts afresh"


@ROUTED
def test_reads_in_a_transaction_on_the_primary_stay_there(with_replica, router):
    with db_router.replica_reads():
        with transaction.atomic():
            assert router.db_for_read(Actor) == "default"
        assert router.db_for_read(Actor) == "replica"


@ROUTED
def test_an_unsafe_request_reads_from_the_primary_throughout(with_replica, router):
    with db_router.replica_reads(allowed=False):
        assert router.db_for_read(Actor) == "default"


@ROUTED
def test_nothing_is_migrated_on_the_replica(with_replica, router):
    assert router.allow_migrate("default", "factbase") is True
    assert router.allow_migrate("replica", "factbase") is False
    assert router.allow_relation(Actor(), Tag()) is True


@ROUTED
def test_the_orm_follows_the_router(with_replica):
    actor = services.actor_create(name="Routed", kind="person")
    with db_router.replica_reads():
        read = Actor.objects.get(pk=actor.pk)
        assert read._state.db == "replica"
        actor.description = "changed"
        actor.save()
        assert Actor.objects.get(pk=actor.pk)._state.db == "default"


# --- through requests ------------------------------------------------------------------------------

@pytest.fixture
def superuser_token(django_user_model):
    user = django_user_model.objects.create_superuser("routed-admin", password="routed-pass-123")
    return Token.objects.create(user=user).key


def _queries(alias):
    return CaptureQueriesContext(connections[alias])


@ROUTED
def test_a_get_reads_from_the_replica(with_replica):
    actor = services.actor_create(name="Replica Reader", kind="person")
    client = APIClient()
    with _queries("replica") as on_replica, _queries("default") as on_primary:
        response = client.get(f"/api/v1/actors/{actor.pk}/")
    assert response.status_code == 200 and response.json()["name"] == "Replica Reader"
    assert any("factbase_actor" in q["sql"] for q in on_replica.captured_queries)
    assert not any("factbase_actor" in q["sql"] for q in on_primary.captured_queries)
    assert db_router.PIN_COOKIE not in response.cookies, "a read pins nobody to the primary"


@ROUTED
def test_a_write_and_the_reads_after_it_use_the_primary_and_pin_the_client(with_replica, superuser_token):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {superuser_token}")
    with _queries("replica") as on_replica, _queries("default") as on_primary:
        response = client.post("/api/v1/actors/", {"name": "Written", "kind": "person"})
    assert response.status_code == 201, response.content
    assert response.json()["name"] == "Written"  # read back after the write: from the primary
    assert on_replica.captured_queries == []
    assert any("INSERT" in q["sql"] and "factbase_actor" in q["sql"] for q in on_primary.captured_queries)
    # For a few seconds the client reads from the primary: it sees what it wrote whatever the lag.
    cookie = response.cookies[db_router.PIN_COOKIE]
    assert int(cookie["max-age"]) > 0 and cookie["httponly"]
    pk = response.json()["id"]
    with _queries("replica") as on_replica:
        assert client.get(f"/api/v1/actors/{pk}/").status_code == 200
    assert on_replica.captured_queries == []
    client.cookies.pop(db_router.PIN_COOKIE)
    with _queries("replica") as on_replica:
        assert client.get(f"/api/v1/actors/{pk}/").status_code == 200
    assert any("factbase_actor" in q["sql"] for q in on_replica.captured_queries)


@ROUTED
def test_the_replica_is_in_the_health_check(with_replica, client):
    body = client.get("/healthz").json()
    assert body["checks"] == {"database:default": "ok", "database:replica": "ok"}


# --- configuration ---------------------------------------------------------------------------------

def test_database_replica_url_makes_the_replica_alias(monkeypatch):
    from factbase import settings as settings_module

    monkeypatch.setenv("DATABASE_URL", "postgres://app@primary.internal:5432/factbase")
    monkeypatch.setenv("DATABASE_REPLICA_URL", "postgres://app@replica.internal:5432/factbase")
    monkeypatch.setenv("DJANGO_DB_POOL", "1")
    try:
        reloaded = importlib.reload(settings_module)
        replica = reloaded.DATABASES["replica"]
        assert reloaded.DATABASE_REPLICA_ALIAS == "replica"
        assert replica["HOST"] == "replica.internal" and reloaded.DATABASES["default"]["HOST"] == "primary.internal"
        assert replica["TEST"] == {"MIRROR": "default"}
        assert replica["CONN_HEALTH_CHECKS"] and replica["OPTIONS"]["pool"]["max_size"] >= 1
        assert reloaded.DATABASE_ROUTERS == ["factbase.plumbing.db_router.PrimaryReplicaRouter"]
    finally:
        monkeypatch.undo()
        importlib.reload(settings_module)
