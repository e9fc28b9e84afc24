"""Keyset pagination: every row once, in order, both ways, across ties and unknown dates."""

import base64
import json
from datetime import date

import pytest

from factbase import services
from factbase.models import Claim

from .helpers import ids, url, walk

UNDATED = date.min

# Dates with ties (three on one day, two on another) and unknown dates among them.
DATES = [None, "2022-01-07", "2022-01-07", None, "2021-03-01", "2022-01-07", "2022-01-05", "2022-01-05",
         None, "2020-01-01", "2022-01-08", None]


@pytest.fixture
def dated_claims(actor, source):
    claims = []
    for i, stated in enumerate(DATES):
        claims.append(services.claim_create(
            speaker=actor, source=source, kind=Claim.Kind.PARAPHRASE, text=f"paraphrase number {i}",
            stated_on=stated, stated_on_precision="day" if stated else "",
        ))
    return claims


def expected(ordering):
    rows = list(Claim.objects.all())
    descending = ordering.startswith("-")
    field = ordering.lstrip("-")
    if field == "stated_on":
        key = lambda c: (c.stated_on or UNDATED, c.id)  # noqa: E731
    else:
        key = lambda c: (c.created_at, c.id)  # noqa: E731
    return [c.id for c in sorted(rows, key=key, reverse=descending)]


@pytest.mark.parametrize("page_size", [1, 2, 3])
@pytest.mark.parametrize("ordering", ["-stated_on", "stated_on", "created_at", "-created_at"])
def test_walking_the_pages_visits_every_claim_once_in_order_both_ways(anon_client, dated_claims, ordering, page_size):
    forward, backward, pages = walk(anon_client, f"{url('claims')}?ordering={ordering}&page_size={page_size}")
    assert forward == expected(ordering)
    assert backward == forward
    assert pages == -(-len(DATES) // page_size)


def test_the_default_order_is_newest_first_with_undated_claims_last(anon_client, dated_claims):
    body = anon_client.get(url("claims"), {"page_size": 500}).json()
    dates = [row["stated_on"] for row in body["results"]]
    known = [d for d in dates if d is not None]
    assert known == sorted(known, reverse=True)
    assert dates[len(known):] == [None] * dates.count(None)
    assert dates.count(None) == 4


def test_ties_on_a_day_are_ordered_by_id_in_the_same_direction(anon_client, dated_claims):
    on_the_day = ids(anon_client.get(url("claims"), {"stated_after": "2022-01-07", "stated_before": "2022-01-07"}))
    assert on_the_day == sorted(on_the_day, reverse=True) and len(on_the_day) == 3
    ascending = ids(anon_client.get(url("claims"), {"ordering": "stated_on", "stated_after": "2022-01-07",
                                                   "stated_before": "2022-01-07"}))
    assert ascending == sorted(on_the_day)


def test_the_first_page_has_no_previous_and_the_last_no_next(anon_client, dated_claims):
    first = anon_client.get(url("claims"), {"page_size": 5}).json()
    assert first["previous"] is None and first["next"]
    everything = anon_client.get(url("claims"), {"page_size": 500}).json()
    assert everything["previous"] is None and everything["next"] is None
    assert len(everything["results"]) == len(DATES)


def test_a_row_added_before_the_cursor_does_not_shift_the_next_page(anon_client, dated_claims, actor, source):
    first = anon_client.get(url("claims"), {"page_size": 4}).json()
    services.claim_create(speaker=actor, source=source, kind=Claim.Kind.PARAPHRASE, text="a newer one",
                          stated_on="2030-01-01", stated_on_precision="day")
    second = anon_client.get(first["next"]).json()
    assert ids_of(second) == expected("-stated_on")[5:9]  # the new claim is first; page 2 is unchanged


def ids_of(body):
    return [row["id"] for row in body["results"]]


def test_an_empty_page_after_deletions_still_leads_back(anon_client, dated_claims):
    first = anon_client.get(url("claims"), {"page_size": 11}).json()
    last_id = expected("-stated_on")[-1]
    Claim.objects.filter(pk=last_id).delete()
    page = anon_client.get(first["next"]).json()
    assert page["results"] == [] and page["next"] is None and page["previous"]
    back = anon_client.get(page["previous"]).json()
    assert ids_of(back) == expected("-stated_on")[-11:]


# (An empty page_size, "?page_size=", is one left out, as every empty query parameter: test_no_server_errors.py.)
@pytest.mark.parametrize("value", ["0", "-1", "501", "abc", "1.5", " "])
def test_a_page_size_out_of_range_is_refused_not_clamped(anon_client, seed, value):
    response = anon_client.get(url("claims"), {"page_size": value})
    assert response.status_code == 400
    assert "page_size" in response.json()


def test_page_size_500_is_allowed(anon_client, seed):
    body = anon_client.get(url("claims"), {"page_size": 500}).json()
    assert len(body["results"]) == 18


def _token(payload):
    return base64.urlsafe_b64encode(json.dumps(payload).encode()).decode().rstrip("=")


@pytest.mark.parametrize("cursor", [
    "not a cursor", "!!!!", _token([1, 2]), _token({"o": "-stated_on", "v": ["x", 1]}),
    _token({"o": "-stated_on", "v": ["2022-01-01"]}), _token({"o": "-stated_on", "v": ["2022-01-01", "1"]}),
    _token({"o": "-stated_on", "v": ["2022-01-01", 2**70]}), _token({"o": "-stated_on", "v": ["2022-01-01", 1], "r": 7}),
    _token({"o": "-stated_on", "v": [None, 1]}), base64.urlsafe_b64encode(b"\xff\xfe").decode(),
])
def test_a_malformed_cursor_is_refused(anon_client, seed, cursor):
    response = anon_client.get(url("claims"), {"cursor": cursor})
    assert response.status_code == 400
    assert "cursor" in response.json()


def test_a_cursor_of_another_ordering_is_refused(anon_client, seed):
    next_link = anon_client.get(url("claims"), {"page_size": 2, "ordering": "created_at"}).json()["next"]
    cursor = next_link.split("cursor=")[1].split("&")[0]
    response = anon_client.get(url("claims"), {"cursor": cursor, "ordering": "-stated_on"})
    assert response.status_code == 400
    assert "another ordering" in response.json()["cursor"][0]


@pytest.mark.parametrize("resource,orderings", [
    ("actors", ["name", "-name"]), ("outlets", ["name", "-name"]), ("tags", ["name", "-name"]),
    ("sources", ["-published_on", "published_on"]), ("reviews", ["-reviewed_on", "reviewed_on"]),
])
def test_every_list_pages_by_keyset(anon_client, seed, resource, orderings):
    for ordering in orderings:
        everything = ids(anon_client.get(url(resource), {"ordering": ordering, "page_size": 500}))
        forward, backward, _ = walk(anon_client, f"{url(resource)}?ordering={ordering}&page_size=2")
        assert forward == everything and backward == everything
    assert anon_client.get(url(resource), {"ordering": "stated_on"}).status_code == 400


def test_actors_are_listed_by_name(anon_client, seed):
    names = [row["name"] for row in anon_client.get(url("actors"), {"page_size": 500}).json()["results"]]
    assert names == sorted(names)
