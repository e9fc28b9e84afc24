"""The change feed, GET /api/v1/changes/: every create, change and delete of every resource, oldest first, each
seen exactly once by a client that follows ``next``, even when a long transaction commits after later ones."""

from __future__ import annotations

import threading

import pytest
from django.apps import apps
from django.db import connection, connections, transaction
from django.test.utils import CaptureQueriesContext

from api.changes import ChangeFeedView
from api.v1.urls import router
from factbase import services
from factbase.models import Actor, Change, Claim

from .helpers import url

FEED = url("changes")

# Committed writes: on PostgreSQL the feed lists only the changes of finished transactions, and a test's own
# transaction (pytest-django's usual wrapping) would still be running.
pytestmark = pytest.mark.django_db(transaction=True)


def feed(client, start=FEED, **params):
    """Every change from ``start`` on, following ``next`` until a page comes back empty; and the last ``next``."""
    seen, page_url = [], start
    for _ in range(1000):
        response = client.get(page_url, params) if page_url == FEED else client.get(page_url)
        assert response.status_code == 200, response.content
        body = response.json()
        seen += body["results"]
        if not body["results"]:
            return seen, page_url
        assert body["next"], "next is never null once the feed has a change"
        page_url = body["next"]
    raise AssertionError("the pages never end")


def test_every_create_change_and_delete_in_order_with_what_it_changed(curation_groups, anon_client, editor, claim):
    tag = services.tag_create(name="Energy", slug="energy", user=editor)
    services.claim_update(claim=claim, user=editor, data={"speaker_role": "Former minister", "tags": [tag]})
    services.tag_delete(tag=tag, user=editor)  # the claim loses its tag: a change in the claim's history too

    changes, _ = feed(anon_client, page_size=2)
    summary = [(c["resource"], c["object_id"], c["type"]) for c in changes]
    assert summary == [
        ("actors", claim.speaker_id, "created"), ("sources", claim.source_id, "created"),
        ("claims", claim.pk, "created"), ("tags", tag.pk, "created"), ("claims", claim.pk, "changed"),
        ("tags", tag.pk, "deleted"), ("claims", claim.pk, "changed"),
    ]
    assert [c["id"] for c in changes] == sorted(c["id"] for c in changes)
    edit = changes[4]
    assert edit["user"] == "editor"
    assert edit["url"].endswith(f"/api/v1/claims/{claim.pk}/")
    assert edit["history_url"].endswith(f"/api/v1/claims/{claim.pk}/history/")
    assert {c["field"]: (c["old"], c["new"]) for c in edit["changes"]} == {
        "speaker_role": ("Minister of Energy", "Former minister"), "tags": ([], [tag.pk])}
    # As the record's own history gives the same version.
    history = anon_client.get(url("claims", claim.pk, "history")).json()["results"]
    same = next(version for version in history if version["history_id"] == edit["history_id"])
    assert same["changes"] == edit["changes"] and same["date"] == edit["date"]
    untagged = changes[6]
    assert untagged["changes"] == [{"field": "tags", "old": [tag.pk], "new": []}]
    deleted = changes[5]
    assert deleted["changes"] == [] and deleted["url"].endswith(f"/api/v1/tags/{tag.pk}/")
    assert anon_client.get(deleted["url"]).status_code == 404


def test_next_is_where_to_poll_and_new_changes_come_after(anon_client, actor):
    changes, last = feed(anon_client)
    assert [c["object_id"] for c in changes] == [actor.pk]
    again, last = feed(anon_client, last)
    assert again == []
    other = services.actor_create(name="Someone Else")
    services.actor_update(actor=actor, data={"description": "Minister."})
    services.actor_delete(actor=other)
    later, last = feed(anon_client, last)
    assert [(c["object_id"], c["type"]) for c in later] == [(other.pk, "created"), (actor.pk, "changed"),
                                                           (other.pk, "deleted")]
    assert feed(anon_client, last)[0] == []


def test_after_starts_after_a_change_and_resource_narrows(anon_client, claim):
    services.actor_update(actor=claim.speaker, data={"description": "Minister."})
    everything, _ = feed(anon_client)
    after, _ = feed(anon_client, after=everything[1]["id"])
    assert after == everything[2:]
    claims_only, _ = feed(anon_client, resource="claims")
    assert [c["resource"] for c in claims_only] == ["claims"]
    both, _ = feed(anon_client, FEED + "?resource=claims&resource=actors")
    assert {c["resource"] for c in both} == {"claims", "actors"}
    assert len(both) == 3


@pytest.mark.parametrize("query, field", [
    ("after=0", "after"), ("after=99999", "after"), ("after=x", "after"), ("resource=people", "resource"),
    ("cursor=abc", "cursor"), ("after=1&cursor=eyJvIjoiZmVlZCIsInYiOlswLDFdfQ", "after"),
    ("ordering=id", "ordering"), ("after=1&after=2", "after"), ("page_size=0", "page_size"),
    ("cursor=eyJvIjoiLXN0YXRlZF9vbiIsInYiOlswLDFdfQ", "cursor"),
])
def test_bad_parameters_are_400_naming_them(anon_client, actor, query, field):
    response = anon_client.get(f"{FEED}?{query}")
    assert response.status_code == 400, response.content
    assert field in response.json()


def test_every_model_with_a_history_is_in_the_feed():
    """A new resource with a history must join the feed (one line in its migration: factbase/changes.py) and
    have a resource name in the API (its viewset in the router)."""
    with_history = {m._meta.model_name for m in apps.get_app_config("factbase").get_models()
                    if hasattr(m._meta, "simple_history_manager_attribute")}
    resources = ChangeFeedView(router=router).resources()
    assert set(resources) == with_history
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SELECT tgname FROM pg_trigger WHERE NOT tgisinternal")
        else:
            cursor.execute("SELECT name FROM sqlite_master WHERE type = 'trigger'")
        triggers = {row[0] for row in cursor.fetchall()}
    assert {f"factbase_change_{name}" for name in with_history} <= triggers


def test_bulk_writes_are_in_the_feed(anon_client, seed):
    """The seed is loaded by the importer (COPY on PostgreSQL, bulk inserts on SQLite): each record once."""
    changes, _ = feed(anon_client, page_size=500)
    created = {(c["resource"], c["object_id"]) for c in changes if c["type"] == "created"}
    assert len(created) == len(changes) == sum(seed.values())
    assert sum(1 for resource, _ in created if resource == "claims") == Claim.objects.count()
    assert sum(1 for resource, _ in created if resource == "actors") == Actor.objects.count()


def test_a_page_costs_the_same_queries_whatever_its_size(curation_groups, anon_client, editor_client, actor, source):
    tag = services.tag_create(name="Energy", slug="energy")
    for i in range(30):
        claim = services.claim_create(speaker=actor, source=source, kind=Claim.Kind.PARAPHRASE, text=f"Claim {i}",
                                      tags=[tag])
        services.claim_update(claim=claim, data={"speaker_role": f"Role {i}"})
    doomed = services.claim_create(speaker=actor, source=source, kind=Claim.Kind.PARAPHRASE, text="Doomed")
    services.claim_delete(claim=doomed)
    for client in (anon_client, editor_client):
        counts = {}
        for size in (2, 40):
            with CaptureQueriesContext(connection) as queries:
                response = client.get(FEED, {"resource": "claims", "page_size": size})
            assert response.status_code == 200 and len(response.json()["results"]) == size
            counts[size] = len(queries)
            assert not any("COUNT(" in q["sql"].upper() for q in queries.captured_queries)
        assert counts[2] == counts[40], counts
    # A page of every resource: a few queries a resource, whatever the page's size.
    with CaptureQueriesContext(connection) as queries:
        assert anon_client.get(FEED, {"page_size": 200}).status_code == 200
    assert len(queries) <= 2 + 4 * 6


# --- two real transactions (PostgreSQL) ------------------------------------------------------------

@pytest.mark.postgres_only
def test_a_long_transaction_committing_after_a_later_one_is_seen_exactly_once(anon_client):
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL's concurrent connections")
    services.actor_create(name="Before")
    seen, position = feed(anon_client)
    assert [c["object_id"] for c in seen] == [Actor.objects.get(name="Before").pk]

    t1_began, t1_may_write, t1_wrote, t1_may_commit = (threading.Event() for _ in range(4))
    errors = []

    def long_transaction():
        try:
            with transaction.atomic():
                services.outlet_create(name="Long, first write")  # takes its transaction id now
                t1_began.set()
                assert t1_may_write.wait(30)
                services.actor_create(name="Long, written after Short committed")  # a greater id than Short's
                t1_wrote.set()
                assert t1_may_commit.wait(30)
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)
        finally:
            connections.close_all()

    t1 = threading.Thread(target=long_transaction)
    t1.start()
    try:
        assert t1_began.wait(30)
        short = services.actor_create(name="Short")  # T2: begins after T1, commits at once
        t1_may_write.set()
        assert t1_wrote.wait(30)
        # T1 is still open: neither its changes nor T2's (which began after T1) are listed yet; T2's change is
        # held back, since T1 could still commit changes that sort before it.
        waiting, position = feed(anon_client, position)
        assert waiting == []
        assert Change.objects.filter(model="actor", history_id=short.history.get().history_id).exists()
    finally:
        t1_may_commit.set()
        t1.join(30)
    assert not errors, errors
    after, position = feed(anon_client, position)
    assert [c["resource"] for c in after] == ["outlets", "actors", "actors"]
    assert {"field": "name", "old": None, "new": "Long, first write"} in after[0]["changes"]
    by_actor = [Actor.objects.get(pk=c["object_id"]).name for c in after if c["resource"] == "actors"]
    assert by_actor == ["Long, written after Short committed", "Short"]  # T1's changes, then T2's
    every = [c["id"] for c in seen + waiting + after]
    assert len(every) == len(set(every)) == Change.objects.count()
    assert feed(anon_client, position)[0] == []


@pytest.mark.postgres_only
def test_a_later_transaction_writing_a_lower_id_is_not_skipped(anon_client):
    """Ordering by id alone loses this change: T_high (the greater transaction id) writes a lower change id and
    stays open while T_low writes a higher one and commits; a reader lists T_low's change; then T_high commits.
    In (txid, id) order T_high's change comes after everything listed, so following ``next`` finds it."""
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL's concurrent connections")
    high_began, high_wrote, high_may_commit = (threading.Event() for _ in range(3))
    errors = []

    def high():
        try:
            assert high_began.wait(30)
            with transaction.atomic():
                services.actor_create(name="High, the lower change id")
                high_wrote.set()
                assert high_may_commit.wait(30)
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)
        finally:
            connections.close_all()

    thread = threading.Thread(target=high)
    thread.start()
    try:
        with transaction.atomic():  # T_low: its transaction id first, its write after T_high's
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_current_xact_id()")
            high_began.set()
            assert high_wrote.wait(30)
            low = services.actor_create(name="Low, the higher change id")
        first, position = feed(anon_client)
        assert [c["object_id"] for c in first] == [low.pk]
    finally:
        high_may_commit.set()
        thread.join(30)
    assert not errors, errors
    high_change = Change.objects.get(model="actor", history_id=Actor.objects.get(name__startswith="High")
                                     .history.get().history_id)
    assert high_change.id < Change.objects.get(history_id=low.history.get().history_id).id  # the trap is set
    after, _ = feed(anon_client, position)
    assert [c["id"] for c in after] == [high_change.id]


def test_the_schema_documents_the_feed_the_policy_and_the_sync_parameters(anon_client):
    schema = anon_client.get(url("schema"), {"format": "json"}).json()
    operation = schema["paths"]["/api/v1/changes/"]["get"]
    parameters = {p["name"]: p for p in operation["parameters"]}
    assert set(parameters) == {"resource", "after", "cursor", "page_size", "count"}
    assert parameters["resource"]["schema"]["type"] == "array" and parameters["resource"]["examples"]
    assert parameters["after"]["examples"] and parameters["cursor"]["example"]
    # The cursor of the example is one the feed takes.
    assert anon_client.get(FEED, {"cursor": parameters["cursor"]["example"]}).status_code == 200
    assert "DJANGO_API_HISTORY_ACCESS" in operation["description"]
    assert {"400", "401", "403"} <= set(operation["responses"])
    page = operation["responses"]["200"]["content"]["application/json"]
    assert page["examples"], "an example page of the feed"
    ref = page["schema"]["$ref"].rsplit("/", 1)[1]
    item = schema["components"]["schemas"][ref]["properties"]["results"]["items"]["$ref"].rsplit("/", 1)[1]
    assert set(schema["components"]["schemas"][item]["properties"]) == {
        "id", "resource", "object_id", "url", "history_url", "history_id", "type", "date", "user", "reason", "changes"}
    for resource in MODELS_WITH_LISTS:
        get = schema["paths"][f"/api/v1/{resource}/"]["get"]
        names = {p["name"]: p for p in get["parameters"]}
        assert {"updated_after", "updated_before"} <= set(names), resource
        assert names["updated_after"]["schema"]["format"] == "date-time" and names["updated_after"]["example"]
        assert {"updated_at", "-updated_at"} <= set(names["ordering"]["schema"]["enum"]), resource
        history = schema["paths"][f"/api/v1/{resource}/{{id}}/history/"]["get"]
        assert "DJANGO_API_HISTORY_ACCESS" in history["description"] and "403" in history["responses"]
    claims = {p["name"]: p for p in schema["paths"]["/api/v1/claims/"]["get"]["parameters"]}
    assert claims["uid"]["schema"]["items"]["format"] == "uuid"
    assert claims["has_review"]["schema"]["type"] == "boolean"
    assert set(claims["rating"]["schema"]["items"]["enum"]) >= {"false", "true", "unsupported"}


MODELS_WITH_LISTS = ["claims", "actors", "outlets", "sources", "reviews", "tags"]


@pytest.mark.postgres_only
def test_a_long_transaction_in_another_database_does_not_hold_the_feed_back(anon_client):
    """Transaction ids are the server's, but a transaction connected to another database cannot write here: the
    feed's horizon leaves it out (``selectors.FEED_HORIZON_SQL``), where ``pg_snapshot_xmin`` alone would wait
    for it."""
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL")
    import psycopg

    params = {k: v for k, v in connection.get_connection_params().items() if k in ("host", "port", "user", "password")}
    with psycopg.connect(dbname="postgres", **params) as other:
        with other.cursor() as cursor:
            cursor.execute("SELECT pg_current_xact_id()")  # holds a transaction id, open until the block ends
            actor = services.actor_create(name="Written while another database's transaction runs")
            with connection.cursor() as ours:
                ours.execute("SELECT pg_snapshot_xmin(pg_current_snapshot())::text::bigint")
                xmin = ours.fetchone()[0]
            assert xmin <= Change.objects.get().txid  # the cluster's xmin alone would hold it back
            changes, _ = feed(anon_client)
            assert [c["object_id"] for c in changes] == [actor.pk]
        other.rollback()
