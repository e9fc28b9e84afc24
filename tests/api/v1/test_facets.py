"""GET /api/v1/claims/facets/ and ?count=true on every list: right numbers, URLs that give them back, bad
input refused, constant queries, and a statement past the time limit answered as timed out (200)."""

import json
from collections import Counter

import pytest
from django.db import connection
from django.db.models.expressions import RawSQL
from django.test.utils import CaptureQueriesContext

from api import facets as api_facets
from api import filters as api_filters
from api import pagination
from api.v1 import views
from factbase import services
from factbase.models import Claim

from .helpers import BASE, url

FACETS = f"{BASE}claims/facets/"
ALL = ["speaker", "outlet", "status", "kind", "tag", "year"]
#: a condition that takes seconds to decide (a recursive CTE of millions of rows, evaluated once)
SLOW = RawSQL("(WITH RECURSIVE r(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM r WHERE n < 20000000) "
              "SELECT count(*) FROM r)", [])


def facets(client, **params):
    response = client.get(FACETS, params)
    assert response.status_code == 200, response.content
    return response.json()["facets"]


def claim_value(claim, name):
    if name == "speaker":
        return claim.speaker_id
    if name == "outlet":
        return claim.outlet_id
    if name == "year":
        return claim.stated_on.year if claim.stated_on else None
    return getattr(claim, name)


def expected_counts(claims, name) -> Counter:
    if name == "tag":
        counts = Counter()
        for claim in claims:
            slugs = [tag.slug for tag in claim.tags.all()]
            counts.update(slugs or [None])
        return counts
    return Counter(claim_value(claim, name) for claim in claims)


@pytest.fixture
def varied(seed, actor, source):
    """The seed, and claims with another status, kind, outlet, year and tags than its own."""
    outlet = services.outlet_create(name="Khabar 24", kind="broadcaster")
    tag = services.tag_create(name="Fuel", slug="fuel")
    other = services.tag_create(name="Winter", slug="winter")
    made = []
    for i, (stated_on, precision) in enumerate([("2021-03-04", "day"), ("2021-05-01", "month"), ("2019-01-01", "year"),
                                                (None, "")]):
        claim = services.claim_create(speaker=actor, source=source, kind=Claim.Kind.PARAPHRASE, text=f"Fuel {i}",
                                      stated_on=stated_on, stated_on_precision=precision,
                                      outlet=outlet if i % 2 else None, tags=[[], [tag, other], [tag], [tag, other]][i])
        made.append(claim)
    return made


def test_every_facet_counts_the_claims_by_value_most_frequent_first(anon_client, varied):
    body = facets(anon_client)
    assert list(body) == ALL  # no facet asked for: every facet, in this order
    claims = list(Claim.objects.prefetch_related("tags"))
    for name in ALL:
        facet = body[name]
        assert facet["timed_out"] is False
        expected = expected_counts(claims, name)
        shown = {row["value"]: row["count"] for row in facet["results"]}
        assert facet["truncated"] == (len(expected) > 10), name
        assert len(facet["results"]) == min(10, len(expected))
        assert all(expected[value] == count for value, count in shown.items()), (name, shown, expected)
        counts = [row["count"] for row in facet["results"]]
        assert counts == sorted(counts, reverse=True), name
        # The values shown are the most frequent ones.
        assert min(counts) >= max([c for v, c in expected.items() if v not in shown] or [0]), name


def test_values_have_labels_for_people_and_the_null_bucket_is_labelled(anon_client, varied, actor):
    body = facets(anon_client, facet_size=100)
    speaker = next(r for r in body["speaker"]["results"] if r["value"] == actor.pk)
    assert speaker["label"] == "Jane Minister"
    assert {r["label"] for r in body["status"]["results"]} == {"Unverified"}
    assert {(r["value"], r["label"]) for r in body["kind"]["results"]} == {
        ("paraphrase", "Paraphrase"), ("direct_quote", "Direct quote")}
    assert ("fuel", "Fuel") in {(r["value"], r["label"]) for r in body["tag"]["results"]}
    assert (None, "No tag") in {(r["value"], r["label"]) for r in body["tag"]["results"]}
    assert (None, "No outlet") in {(r["value"], r["label"]) for r in body["outlet"]["results"]}
    years = {r["value"]: r["label"] for r in body["year"]["results"]}
    assert years[2021] == "2021" and years[2022] == "2022" and years[None] == "Undated"


def test_each_value_url_lists_exactly_the_claims_it_counts(anon_client, varied):
    """The url of every value (the null buckets', a year's, a tag's) gives back as many claims as its count."""
    for params in ({}, {"kind": "paraphrase"}, {"tag": "fuel"}, {"stated_after": "2021-04-01"}, {"q": "fuel"}):
        body = facets(anon_client, facet_size=100, **params)
        for name in ALL:
            for row in body[name]["results"]:
                response = anon_client.get(row["url"] + "&count=true&page_size=500")
                assert response.status_code == 200, (row, response.content)
                assert response.json()["count"] == row["count"], (params, name, row)
                assert len(response.json()["results"]) == row["count"]


def test_value_urls_keep_the_request_filters_and_narrow_them(anon_client, varied):
    body = facets(anon_client, facet=["tag", "year", "speaker"], tag="fuel", stated_after="2021-04-01", kind="paraphrase")
    winter = next(r for r in body["tag"]["results"] if r["value"] == "winter")
    assert "tag=fuel&tag=winter" in winter["url"] and "kind=paraphrase" in winter["url"]
    year = next(r for r in body["year"]["results"] if r["value"] == 2021)
    # The year's bounds, within the request's own.
    assert "stated_after=2021-04-01" in year["url"] and "stated_before=2021-12-31" in year["url"]
    assert all("facet" not in r["url"] for r in body["speaker"]["results"])


def test_facets_follow_every_filter_of_the_list(anon_client, varied, actor):
    body = facets(anon_client, speaker=actor.pk, facet=["status", "speaker", "outlet"])
    assert body["speaker"]["results"] == [{
        "value": actor.pk, "label": "Jane Minister", "count": 4,
        "url": f"http://testserver{BASE}claims/?speaker={actor.pk}",
    }]
    assert sum(r["count"] for r in body["outlet"]["results"]) == 4
    searched = facets(anon_client, q="tokayev", facet="speaker")
    assert sum(r["count"] for r in searched["speaker"]["results"]) == Counter(
        r["id"] for r in anon_client.get(url("claims"), {"q": "tokayev", "page_size": 500}).json()["results"]).total()


def test_a_filter_added_to_the_list_works_with_the_facets_unchanged(anon_client, varied, monkeypatch):
    """Facets filter through the list's own filterset: a new filter needs no change here."""
    class WithTextFilter(api_filters.ClaimFilterSet):
        text_starts = api_filters.filters.CharFilter(field_name="text", lookup_expr="startswith")

    monkeypatch.setattr(views.ClaimViewSet, "filterset_class", WithTextFilter)
    body = facets(anon_client, text_starts="Fuel", facet="kind")
    assert body["kind"]["results"][0]["count"] == 4 and "text_starts=Fuel" in body["kind"]["results"][0]["url"]


def test_a_search_that_can_find_nothing_has_empty_facets(anon_client, seed):
    body = facets(anon_client, q="😀 the", outlet=[1, 1])  # no word to search for (an emoji, a stop word)
    assert all(facet["results"] == [] and not facet["truncated"] for facet in body.values())


def test_facet_names_can_repeat_or_be_comma_separated_and_come_in_the_order_asked(anon_client, seed):
    assert list(facets(anon_client, facet=["year", "speaker", "year"])) == ["year", "speaker"]
    assert list(facets(anon_client, facet="status,kind")) == ["status", "kind"]


def test_facet_size_bounds_the_values_and_truncated_says_there_are_more(anon_client, seed):
    body = facets(anon_client, facet="speaker", facet_size=1)
    assert len(body["speaker"]["results"]) == 1 and body["speaker"]["truncated"] is True
    body = facets(anon_client, facet="speaker", facet_size=100)
    assert body["speaker"]["truncated"] is False and len(body["speaker"]["results"]) > 1


@pytest.mark.parametrize("params, field", [
    ({"facet": "colour"}, "facet"), ({"facet": "speaker,colour"}, "facet"),
    ({"facet_size": "0"}, "facet_size"), ({"facet_size": "101"}, "facet_size"), ({"facet_size": "ten"}, "facet_size"),
    ({"facet_size": "²"}, "facet_size"), ({"facet_size": "-1"}, "facet_size"), ({"facet_size": ["3", "4"]}, "facet_size"),
    ({"page_size": "3"}, "page_size"), ({"cursor": "x"}, "cursor"), ({"colour": "red"}, "colour"),
    ({"speaker": "x"}, "speaker"), ({"has_outlet": "maybe"}, "has_outlet"), ({"format": "csv"}, "format"),
])
def test_bad_parameters_are_refused_with_400_naming_them(anon_client, seed, params, field):
    response = anon_client.get(FACETS, params)
    assert response.status_code == 400, response.content
    assert field in response.json()
    if field == "facet":
        assert "speaker, outlet, status, kind, tag, year" in response.json()["facet"][0]


def test_the_answer_has_an_etag_and_a_conditional_get_answers_304(anon_client, seed):
    first = anon_client.get(FACETS, {"facet": "speaker"})
    assert first.status_code == 200 and first["ETag"]
    again = anon_client.get(FACETS, {"facet": "speaker"}, HTTP_IF_NONE_MATCH=first["ETag"])
    assert again.status_code == 304 and again["ETag"] == first["ETag"]
    other = anon_client.get(FACETS, {"facet": "status"}, HTTP_IF_NONE_MATCH=first["ETag"])
    assert other.status_code == 200


#: the list's count (a record's claim_count is a COUNT( too, inside the page's own statement)
COUNTING = 'COUNT(*) AS "__COUNT"'


def statements(queries, needle):
    return [q["sql"] for q in queries if needle in q["sql"].upper()]


def test_each_facet_is_one_statement_whatever_the_facet_size(anon_client, varied):
    counts = set()
    for size in (1, 100):
        with CaptureQueriesContext(connection) as queries:
            facets(anon_client, facet_size=size)
        assert len(statements(queries, "GROUP BY")) == 6
        assert len(statements(queries, f"LIMIT {size + 1}")) == 6
        counts.add(len(queries))
    assert len(counts) == 1, counts


def test_a_facet_past_the_time_limit_says_timed_out_and_the_others_are_computed(anon_client, varied, settings,
                                                                               monkeypatch):
    settings.API_FACET_TIME_LIMIT_MS = 50
    real = api_facets.claim_facet

    def slow_speaker(queryset, name, limit):
        if name == "speaker":  # a statement that takes seconds, for this facet only
            queryset = queryset.alias(slow=SLOW).filter(slow__gt=0)
        return real(queryset, name, limit)

    monkeypatch.setattr(api_facets, "claim_facet", slow_speaker)
    response = anon_client.get(FACETS, {"facet": ["speaker", "status", "kind"]})
    assert response.status_code == 200
    body = response.json()["facets"]
    assert body["speaker"] == {"results": [], "truncated": False, "timed_out": True}
    # The statements after the one stopped ran (on PostgreSQL, in the same transaction: not left aborted).
    assert body["status"]["timed_out"] is False and body["status"]["results"][0]["count"] == Claim.objects.count()
    assert body["kind"]["timed_out"] is False
    assert Claim.objects.count() == 22


# --- ?count=true on every list ---------------------------------------------------------------------------

LISTS = {"claims": {"kind": "paraphrase"}, "actors": {"q": "a"}, "outlets": {"q": "o"}, "sources": {"q": "e"},
         "reviews": {"rating": "unsupported"}, "tags": {"q": "a"}}


@pytest.mark.parametrize("resource", list(LISTS))
def test_count_true_adds_the_number_of_matching_records_on_every_page(anon_client, varied, resource):
    for params in ({}, LISTS[resource]):
        every = anon_client.get(url(resource), {**params, "page_size": 500}).json()["results"]
        first = anon_client.get(url(resource), {**params, "page_size": 1, "count": "true"})
        assert first.status_code == 200
        body = first.json()
        assert list(body) == ["count", "next", "previous", "results"]
        assert body["count"] == len(every), (resource, params)
        if body["next"]:
            assert "count=true" in body["next"]
            assert anon_client.get(body["next"]).json()["count"] == len(every)  # all pages, not what is left
        without = anon_client.get(url(resource), {**params, "count": "false"}).json()
        assert "count" not in without and "count" not in anon_client.get(url(resource), params).json()


def test_count_is_refused_unless_true_or_false(anon_client, seed):
    for value in ("yes", "1", "True", "maybe"):
        response = anon_client.get(url("claims"), {"count": value})
        assert response.status_code == 400 and "count" in response.json(), value
    assert anon_client.get(url("claims"), {"count": ["true", "true"]}).status_code == 400


def test_count_on_a_history_list(anon_client, claim):
    response = anon_client.get(url("claims", claim.pk, "history"), {"count": "true"})
    assert response.status_code == 200 and response.json()["count"] == 1


@pytest.mark.parametrize("resource", list(LISTS))
def test_count_is_one_more_statement_only_when_asked_for(anon_client, varied, resource):
    with CaptureQueriesContext(connection) as plain:
        anon_client.get(url(resource), {"page_size": 5})
    assert not statements(plain, COUNTING)
    for size in (1, 100):
        with CaptureQueriesContext(connection) as counted:
            anon_client.get(url(resource), {"page_size": size, "count": "true"})
        assert len(statements(counted, COUNTING)) == 1
        # The statement itself; on PostgreSQL also its savepoint in the test's transaction, its limit, and the
        # savepoint's rollback and release (outside a transaction, as a request runs: BEGIN, the limit, the
        # statement, ROLLBACK).
        assert len(counted) == len(plain) + (5 if connection.vendor == "postgresql" else 1)


def test_a_count_past_the_time_limit_is_null_and_the_page_still_comes(anon_client, varied, settings, monkeypatch):
    settings.API_FACET_TIME_LIMIT_MS = 50
    monkeypatch.setattr(pagination, "count_query", lambda queryset: queryset.order_by().alias(slow=SLOW).filter(slow__gt=0))
    response = anon_client.get(url("claims"), {"count": "true", "page_size": 3})
    assert response.status_code == 200
    body = response.json()
    assert body["count"] is None and len(body["results"]) == 3 and body["next"]
    assert Claim.objects.count() == 22  # not left aborted


# --- the schema ----------------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def schema(django_db_blocker):
    from rest_framework.test import APIClient

    with django_db_blocker.unblock():
        response = APIClient().get(f"{BASE}schema/", {"format": "json"})
    return json.loads(response.content)


def test_the_schema_describes_the_facets_and_count(schema):
    operation = schema["paths"]["/api/v1/claims/facets/"]["get"]
    parameters = {p["name"]: p for p in operation["parameters"]}
    assert parameters["facet"]["schema"]["items"]["enum"] == ALL
    assert parameters["facet_size"]["schema"]["maximum"] == 100
    assert {"speaker", "q", "stated_after", "has_outlet", "tag"} <= set(parameters)  # the list's filters
    assert not {"cursor", "page_size", "count"} & set(parameters)
    ok = operation["responses"]["200"]
    assert "ETag" in ok["headers"] and "304" in operation["responses"] and "400" in operation["responses"]
    example = next(iter(ok["content"]["application/json"]["examples"].values()))["value"]
    assert example["facets"]["speaker"]["results"][0]["label"]
    for path, item in schema["paths"].items():
        if "get" in item and path.endswith("/") and "{id}/" not in path.replace("{id}/history/", "") \
                and path not in ("/api/v1/", "/api/v1/claims/facets/") and not path.startswith("/api/v1/auth"):
            names = {p["name"] for p in item["get"].get("parameters", [])}
            assert "count" in names, path
            body = item["get"]["responses"]["200"]["content"]["application/json"]["schema"]
            ref = body["$ref"].rsplit("/", 1)[1]
            assert "count" in schema["components"]["schemas"][ref]["properties"], path


@pytest.mark.django_db(transaction=True, databases=["default", "replica"])
def test_count_and_facets_run_on_the_connection_the_list_reads_from(settings):
    """With a replica, a GET reads there (factbase/plumbing/db_router.py): the count and the facets too, with their
    time limit set on that connection, not on the primary."""
    from django.db import connections
    from rest_framework.test import APIClient

    actor = services.actor_create(name="Replica Speaker", kind="person")
    source = services.source_create(title="Replica source", text="Some words.")
    services.claim_create(speaker=actor, source=source, kind=Claim.Kind.PARAPHRASE, text="Routed claim")
    settings.DATABASE_REPLICA_ALIAS = "replica"
    client = APIClient()
    for path, params, needle in ((url("claims"), {"count": "true"}, COUNTING), (FACETS, {"facet": "speaker"}, "GROUP BY")):
        with CaptureQueriesContext(connections["replica"]) as replica, \
                CaptureQueriesContext(connections["default"]) as primary:
            response = client.get(path, params)
        assert response.status_code == 200, response.content
        assert statements(replica, needle) and not statements(primary, needle), path
        if connection.vendor == "postgresql":
            assert statements(replica, "STATEMENT_TIMEOUT") and not statements(primary, "STATEMENT_TIMEOUT")
    assert response.json()["facets"]["speaker"]["results"][0]["label"] == "Replica Speaker"
