"""Finding and syncing: the claims filters ``outlet_name``, ``uid``, ``rating`` and ``has_review``, and on every
list ``updated_after`` / ``updated_before`` and ``ordering=updated_at`` / ``-updated_at`` (keyset)."""

from __future__ import annotations

import csv
import io
import uuid
from datetime import datetime, timedelta, timezone

import pytest

from factbase import services
from factbase.models import Actor, Claim, Outlet, Review, Source, Tag

from .helpers import ids, url, walk

pytestmark = pytest.mark.django_db

MODELS = {"claims": Claim, "actors": Actor, "outlets": Outlet, "sources": Source, "reviews": Review, "tags": Tag}
BASE = datetime(2024, 5, 1, 12, 0, tzinfo=timezone.utc)


def test_outlet_name_matches_part_of_the_name_in_any_case_or_form(anon_client, seed):
    outlet = Outlet.objects.get(name="Atlantic Council event")
    expected = sorted(Claim.objects.filter(outlet=outlet).values_list("id", flat=True))
    assert expected
    for value in ("atlantic", "COUNCIL EV", "ＡＴＬＡＮＴＩＣ"):
        assert sorted(ids(anon_client.get(url("claims"), {"outlet_name": value}))) == expected
    assert ids(anon_client.get(url("claims"), {"outlet_name": "no such outlet"})) == []
    # With another filter, both apply.
    speaker = Claim.objects.filter(outlet=outlet).first().speaker
    both = ids(anon_client.get(url("claims"), {"outlet_name": "atlantic", "speaker": speaker.pk}))
    assert both and set(both) <= set(expected)
    assert all(Claim.objects.get(pk=pk).speaker_id == speaker.pk for pk in both)


def test_uid_is_repeatable_and_a_bad_one_is_400(anon_client, seed):
    first, second = Claim.objects.order_by("id")[:2]
    assert ids(anon_client.get(url("claims"), {"uid": str(first.uid)})) == [first.pk]
    assert sorted(ids(anon_client.get(f"{url('claims')}?uid={first.uid}&uid={second.uid}"))) == [first.pk, second.pk]
    assert ids(anon_client.get(url("claims"), {"uid": str(uuid.uuid4())})) == []
    for bad in ("not-a-uuid", "١" * 32, f"{first.uid}x"):
        response = anon_client.get(url("claims"), {"uid": bad})
        assert response.status_code == 400 and "uid" in response.json(), bad


def test_rating_and_has_review(anon_client, actor, source, claim):
    other = services.claim_create(speaker=actor, source=source, kind=Claim.Kind.PARAPHRASE, text="Another")
    third = services.claim_create(speaker=actor, source=source, kind=Claim.Kind.PARAPHRASE, text="A third")
    services.review_create(claim=claim, reviewer=actor, source=source, rating="false")
    services.review_create(claim=claim, reviewer=actor, source=source, rating="mixed")  # two reviews: listed once
    services.review_create(claim=other, reviewer=actor, source=source, rating="true")
    assert ids(anon_client.get(url("claims"), {"rating": "false"})) == [claim.pk]
    assert sorted(ids(anon_client.get(f"{url('claims')}?rating=false&rating=true"))) == sorted([claim.pk, other.pk])
    assert ids(anon_client.get(url("claims"), {"rating": "mostly_true"})) == []
    assert sorted(ids(anon_client.get(url("claims"), {"has_review": "true"}))) == sorted([claim.pk, other.pk])
    assert ids(anon_client.get(url("claims"), {"has_review": "false"})) == [third.pk]
    assert ids(anon_client.get(url("claims"), {"has_review": "False", "rating": "true"})) == []
    for params, field in (({"rating": "wrong"}, "rating"), ({"has_review": "maybe"}, "has_review"),
                          ({"has_review": "yes"}, "has_review")):
        response = anon_client.get(url("claims"), params)
        assert response.status_code == 400 and field in response.json(), params
    response = anon_client.get(f"{url('claims')}?has_review=true&has_review=false")
    assert response.status_code == 400 and "has_review" in response.json()


@pytest.fixture
def dated(seed):
    """Every record of each resource changed at a known moment: an hour apart, in id order."""
    for model in MODELS.values():
        for i, pk in enumerate(model.objects.order_by("id").values_list("id", flat=True)):
            model.objects.filter(pk=pk).update(updated_at=BASE + timedelta(hours=i % 3))
    return seed


@pytest.mark.parametrize("resource", MODELS)
def test_updated_after_and_before_on_every_list(anon_client, dated, resource):
    model = MODELS[resource]

    def matching(**lookup):
        return sorted(model.objects.filter(**lookup).values_list("id", flat=True))

    def listed(**params):
        response = anon_client.get(url(resource), {**params, "page_size": 500})
        return sorted(ids(response))

    one = BASE + timedelta(hours=1)
    assert listed(updated_after="2024-05-01T13:00:00Z") == matching(updated_at__gte=one)
    assert listed(updated_before="2024-05-01T13:00:00Z") == matching(updated_at__lte=one)
    # The same moment written with an offset, with its "+" encoded, or sent raw (it arrives as a space).
    assert listed(updated_after="2024-05-01T15:00:00+02:00") == matching(updated_at__gte=one)
    assert sorted(ids(anon_client.get(f"{url(resource)}?updated_after=2024-05-01T15:00:00%2B02:00&page_size=500"))) \
        == matching(updated_at__gte=one)
    assert sorted(ids(anon_client.get(f"{url(resource)}?updated_after=2024-05-01T15:00:00+02:00&page_size=500"))) \
        == matching(updated_at__gte=one)
    assert listed(updated_after="2024-05-01T13:00:00Z", updated_before="2024-05-01T13:00:00Z") == matching(
        updated_at=one)
    assert listed(updated_after="2030-01-01T00:00:00Z") == []
    assert len(matching(updated_at__gte=one)) not in (0, model.objects.count()) or model.objects.count() < 3
    for bad in ("2024-05-01T13:00:00", "2024-05-01", "yesterday", "2024-05-01T25:00:00Z", "２０２４-05-01T13:00:00Z"):
        response = anon_client.get(url(resource), {"updated_after": bad})
        assert response.status_code == 400 and "updated_after" in response.json(), bad


@pytest.mark.parametrize("resource", MODELS)
@pytest.mark.parametrize("ordering", ["updated_at", "-updated_at"])
def test_ordering_by_updated_at_pages_every_record_once(anon_client, dated, resource, ordering):
    model = MODELS[resource]
    descending = ordering.startswith("-")
    expected = [pk for _, pk in sorted(model.objects.values_list("updated_at", "id"), reverse=descending)]
    forward, backward, pages = walk(anon_client, f"{url(resource)}?ordering={ordering}&page_size=2")
    assert forward == expected
    assert backward == expected
    assert pages == max(1, -(-len(expected) // 2))


def test_what_changed_since_a_visit(anon_client, seed):
    """A client's sync: ordering=updated_at with updated_after the last updated_at it saw."""
    rows = anon_client.get(url("claims"), {"ordering": "updated_at", "page_size": 500}).json()["results"]
    last_seen = rows[-1]["updated_at"]
    claim = Claim.objects.get(pk=rows[0]["id"])
    services.claim_update(claim=claim, data={"speaker_role": "Changed since"})
    changed = anon_client.get(url("claims"), {"ordering": "updated_at", "updated_after": last_seen}).json()["results"]
    assert changed[-1]["id"] == claim.pk and changed[-1]["speaker_role"] == "Changed since"


def test_exports_take_the_new_filters(anon_client, seed):
    reviewed = sorted(Claim.objects.filter(reviews__isnull=False).distinct().values_list("id", flat=True))
    response = anon_client.get(url("claims") + "export.csv", {"has_review": "true"})
    assert response.status_code == 200
    body = b"".join(response.streaming_content).decode()
    rows = list(csv.DictReader(io.StringIO(body.lstrip("\ufeff"))))
    assert len(rows) == len(reviewed) >= 1
    response = anon_client.get(url("claims") + "export.ndjson", {"outlet_name": "atlantic",
                                                                  "updated_after": "2000-01-01T00:00:00Z"})
    assert response.status_code == 200
    lines = [line for line in b"".join(response.streaming_content).decode().splitlines() if line.strip()]
    assert len(lines) == Claim.objects.filter(outlet__name="Atlantic Council event").count()
    response = anon_client.get(url("claims") + "export.json", {"uid": "bad"})
    assert response.status_code == 400 and "uid" in response.json()
    response = anon_client.get(url("reviews") + "claimreview.jsonld", {"updated_before": "2000-01-01T00:00:00Z"})
    assert response.status_code == 200


@pytest.mark.postgres_only
@pytest.mark.parametrize("resource", MODELS)
@pytest.mark.parametrize("query", ["ordering=updated_at", "ordering=-updated_at",
                                   "ordering=updated_at&updated_after=2024-05-01T13:00:00Z"])
def test_each_table_has_an_index_for_updated_at(anon_client, dated, resource, query):
    """The page is read from the ``(updated_at, id)`` index (forwards or backwards), not sorted. (The tables are
    small here, so sequential scans are turned off to ask whether the index serves the query at all; the claims
    table at 60,000 rows is in test_query_plans.py.)"""
    import json

    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    if connection.vendor != "postgresql":
        pytest.skip("EXPLAIN of PostgreSQL's planner")
    table = MODELS[resource]._meta.db_table
    with CaptureQueriesContext(connection) as ctx:
        assert anon_client.get(f"{url(resource)}?{query}&page_size=2").status_code == 200
    sql = next(q["sql"] for q in ctx.captured_queries if f'FROM "{table}"' in q["sql"] and "LIMIT" in q["sql"])
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute("EXPLAIN (FORMAT JSON) " + sql)
        plan = cursor.fetchone()[0]
    text = json.dumps(plan)
    assert f"{MODELS[resource]._meta.model_name}_updated_at_id" in text, text
    assert '"Sort"' not in text, text


def test_the_new_filters_and_orderings_cost_the_same_queries_for_1_and_60_rows(anon_client, actor, source):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    outlet = services.outlet_create(name="Khabar 24")
    tag = services.tag_create(name="Energy", slug="energy")
    claims = [services.claim_create(speaker=actor, source=source, outlet=outlet, kind=Claim.Kind.PARAPHRASE,
                                    text=f"Claim {i}", tags=[tag]) for i in range(61)]
    for claim in claims:
        services.review_create(claim=claim, reviewer=actor, source=source, rating="mixed")
    uids = "&".join(f"uid={claim.uid}" for claim in claims)
    cases = {
        "claims": ["outlet_name=khabar", "rating=mixed", "has_review=true", uids,
                   "ordering=updated_at&updated_after=2000-01-01T00:00:00Z", "ordering=-updated_at"],
        "reviews": ["ordering=-updated_at&updated_before=2999-01-01T00:00:00Z"],
        "tags": ["ordering=updated_at"], "actors": ["ordering=updated_at"], "sources": ["ordering=updated_at"],
        "outlets": ["ordering=updated_at"],
    }
    for resource, queries_ in cases.items():
        for query in queries_:
            counts = []
            for size in (1, 60):
                with CaptureQueriesContext(connection) as ctx:
                    response = anon_client.get(f"{url(resource)}?{query}&page_size={size}")
                assert response.status_code == 200
                assert len(response.json()["results"]) == min(size, MODELS[resource].objects.count())
                counts.append(len(ctx))
                # (a record's claim_count is a COUNT( inside the page's statement; the list itself is not counted)
                assert not any(q["sql"].upper().lstrip().startswith("SELECT COUNT(") for q in ctx.captured_queries)
            assert counts[0] == counts[1], (resource, query, counts)
