"""Each list costs the same number of queries for a page of 1 and a page of 100, with every embed and with
fields chosen (``?fields=``/``?omit=``), in JSON and CSV, and none counts its rows."""

import re

from django.db import connection
from django.test.utils import CaptureQueriesContext

from factbase import services
from factbase.models import Claim

from .helpers import url

# Queries per page of each list, for an anonymous reader: the rows with their joins (and, for actors, outlets,
# sources and tags, their claim_count as a correlated subquery in the same query). A page of claims in JSON is
# one statement in which the database writes the claims with their tags, reviews and relations (api.readers).
EXPECTED = {"claims": 1, "actors": 1, "outlets": 1, "sources": 1, "reviews": 1, "tags": 1, "claim-relations": 1}

# (parameters, queries in JSON, queries in CSV or None where the CSV does not have those names): a claim's CSV
# has the interchange format's columns, made by the serializer (the claims, then a prefetch for their tags and
# one for their relations).
SELECTIONS = {
    "claims": [({}, 1, 3), ({"omit": "reviews"}, 1, None), ({"omit": "tags"}, 1, 2), ({"omit": "tags,reviews"}, 1, None),
               ({"omit": "tags,reviews,relations"}, 1, None), ({"fields": "id,text,speaker"}, 1, None),
               ({"fields": "reviews"}, 1, None), ({"fields": "relations"}, 1, 2), ({"fields": "text,speaker,tags"}, 1, 2),
               ({"fields": "status_changed_by,history_url"}, 1, None)],
    "actors": [({}, 1, 1), ({"omit": "claim_count"}, 1, 1), ({"fields": "id,name,claims_url"}, 1, 1)],
    "outlets": [({}, 1, 1), ({"omit": "claim_count"}, 1, 1), ({"fields": "name,claim_count"}, 1, 1)],
    "sources": [({}, 1, 1), ({"omit": "outlet,claim_count"}, 1, 1), ({"fields": "id,title,reviews_url"}, 1, 1)],
    "reviews": [({}, 1, 1), ({"fields": "id,rating"}, 1, 1), ({"omit": "claim,reviewer,source"}, 1, 1)],
    "tags": [({}, 1, 1), ({"omit": "claim_count"}, 1, 1), ({"fields": "slug,claims_url"}, 1, 1)],
    "claim-relations": [({}, 1, 1), ({"fields": "id,type"}, 1, 1)],
}
FILTERED = {"claims": {"q": "claim", "kind": "paraphrase"}, "actors": {"q": "actor"}, "outlets": {"q": "outlet"},
            "sources": {"q": "source"}, "reviews": {"rating": "mixed"}, "tags": {"q": "tag"},
            "claim-relations": {"type": "repeats"}}
COUNTS_THE_LIST = re.compile(r"\s*SELECT\s+COUNT\(", re.IGNORECASE)


def make_records(actor, source):
    tags = [services.tag_create(name=f"Tag {i}", slug=f"tag-{i}") for i in range(101)]
    outlets = [services.outlet_create(name=f"Outlet {i}") for i in range(101)]
    previous = None
    for i in range(101):
        services.actor_create(name=f"Actor {i}")
        src = services.source_create(title=f"Source {i}", text="Some words.", published_on="2022-01-01",
                                     outlet=outlets[i])
        claim = services.claim_create(speaker=actor, source=src, kind=Claim.Kind.PARAPHRASE, text=f"Claim {i}",
                                      tags=tags[i % 5: i % 5 + 3], outlet=outlets[i])
        services.review_create(claim=claim, reviewer=actor, source=source, rating="mixed")
        services.review_create(claim=claim, source=source, rating="mixed", reviewed_on="2022-01-02")
        if previous is not None:  # each claim related to the one before, so every claim of a page has relations on both sides
            services.claim_relation_create(claim=claim, related_claim=previous, type="responds_to" if i % 2 else
                                           "same_statement")
        previous = claim
    hub = Claim.objects.filter(text="Claim 0").get()
    for other in Claim.objects.exclude(pk=hub.pk):  # more than a page of 100
        services.claim_relation_create(claim=other, related_claim=hub, type="repeats")


def test_each_list_costs_the_same_queries_for_1_and_100_rows_and_never_counts(anon_client, seed, actor, source):
    make_records(actor, source)
    for resource, expected in EXPECTED.items():
        for params in ({}, FILTERED[resource]):
            for size in (1, 100):
                with CaptureQueriesContext(connection) as queries:
                    response = anon_client.get(url(resource), {**params, "page_size": size})
                assert response.status_code == 200
                body = response.json()
                assert len(body["results"]) == size
                assert len(queries) == expected, (resource, params, size, [q["sql"] for q in queries])
                assert not any(COUNTS_THE_LIST.match(q["sql"]) for q in queries.captured_queries)
            # A page deep in the list costs what the first one costs.
            with CaptureQueriesContext(connection) as queries:
                assert anon_client.get(body["next"]).status_code == 200
            assert len(queries) == expected, (resource, "next page")


def test_every_list_with_fields_chosen_costs_the_same_queries_whatever_the_page_size(anon_client, seed, actor,
                                                                                      source):
    make_records(actor, source)
    for resource, selections in SELECTIONS.items():
        for selection, in_json, in_csv in selections:
            for params in ({**selection}, {**selection, **FILTERED[resource]}):
                for size in (1, 100):
                    with CaptureQueriesContext(connection) as queries:
                        response = anon_client.get(url(resource), {**params, "page_size": size})
                    assert response.status_code == 200, response.content[:300]
                    body = response.json()
                    assert len(body["results"]) == size
                    if "fields" in selection:
                        assert all(list(record) == selection["fields"].split(",") or set(record) == set(
                            selection["fields"].split(",")) for record in body["results"])
                    if "omit" in selection:
                        assert not any(set(record) & set(selection["omit"].split(",")) for record in body["results"])
                    assert len(queries) == in_json, (resource, params, size, [q["sql"] for q in queries])
                    assert not any(COUNTS_THE_LIST.match(q["sql"]) for q in queries.captured_queries)
                    if in_csv is None:
                        continue
                    with CaptureQueriesContext(connection) as queries:
                        response = anon_client.get(url(resource), {**params, "page_size": size, "format": "csv"})
                    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
                    assert len(response.content.decode().strip().splitlines()) == size + 1  # header and rows
                    assert len(queries) == in_csv, (resource, "csv", params, size, [q["sql"] for q in queries])
                with CaptureQueriesContext(connection) as queries:
                    assert anon_client.get(body["next"]).status_code == 200
                assert len(queries) == in_json, (resource, params, "next page")


def sql_of(client, path, params):
    with CaptureQueriesContext(connection) as queries:
        assert client.get(path, params).status_code == 200
    return [q["sql"] for q in queries.captured_queries]


def test_what_is_not_shown_is_not_read(anon_client, seed):
    claim_id = Claim.objects.order_by("pk").values_list("pk", flat=True)[0]
    tables = re.compile(r'"(factbase_[a-z_]+|auth_user)"')
    for path in (url("claims"), url("claims", claim_id)):
        [only] = sql_of(anon_client, path, {"fields": "id,text"})
        assert set(tables.findall(only)) == {"factbase_claim"} and "speaker" not in only
        [one] = sql_of(anon_client, path, {"omit": "reviews,relations"})
        assert {"factbase_tag", "factbase_claim_tags"} <= set(tables.findall(one))
        assert "factbase_review" not in one and "factbase_claimrelation" not in one
        assert "auth_user" not in " ".join(sql_of(anon_client, path, {"omit": "status_changed_by"}))
        assert "auth_user" in " ".join(sql_of(anon_client, path, {}))
    for resource in ("actors", "outlets", "sources", "tags"):
        assert "COUNT(" in sql_of(anon_client, url(resource), {})[0].upper()
        assert "COUNT(" not in sql_of(anon_client, url(resource), {"omit": "claim_count"})[0].upper()
    assert "JOIN" not in sql_of(anon_client, url("sources"), {"fields": "id,title"})[0]
    assert "JOIN" not in sql_of(anon_client, url("reviews"), {"fields": "id,rating"})[0]
    assert sql_of(anon_client, url("reviews"), {})[0].count("JOIN") == 3
    for path in (url("claims"), url("claims", claim_id)):  # the serializer's path (CSV) too
        assert len(sql_of(anon_client, path, {"format": "csv", "omit": "tags,relations"})) == 1
