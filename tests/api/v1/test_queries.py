"""Each list costs the same number of queries for a page of 1 and a page of 100, and none counts."""

from django.db import connection
from django.test.utils import CaptureQueriesContext

from factbase import services
from factbase.models import Claim

from .helpers import url

# Queries per page of each list, for an anonymous reader: the rows with their joins, plus one per
# prefetched relation (a claim's tags, a claim's relations to other claims).
EXPECTED = {"claims": 3, "actors": 1, "outlets": 1, "sources": 1, "reviews": 1, "tags": 1, "claim-relations": 1}


def test_each_list_costs_the_same_queries_for_1_and_100_rows_and_never_counts(anon_client, seed, actor, source):
    tags = [services.tag_create(name=f"Tag {i}", slug=f"tag-{i}") for i in range(101)]
    for i in range(101):
        services.actor_create(name=f"Actor {i}")
        services.outlet_create(name=f"Outlet {i}")
        src = services.source_create(title=f"Source {i}", text="Some words.", published_on="2022-01-01")
        claim = services.claim_create(speaker=actor, source=src, kind=Claim.Kind.PARAPHRASE, text=f"Claim {i}",
                                      tags=tags[i % 5: i % 5 + 3])
        services.review_create(claim=claim, reviewer=actor, source=source, rating="mixed")
        if i:  # each claim related to the one before, so every claim of a page has relations on both sides
            services.claim_relation_create(claim=claim, related_claim=previous, type="responds_to" if i % 2 else
                                           "same_statement")
        previous = claim
    hub = Claim.objects.filter(text="Claim 0").get()
    for other in Claim.objects.exclude(pk=hub.pk):  # more than a page of 100
        services.claim_relation_create(claim=other, related_claim=hub, type="repeats")
    filtered = {"claims": {"q": "claim", "kind": "paraphrase"}, "actors": {"q": "actor"},
                "outlets": {"q": "outlet"}, "sources": {"q": "source"}, "reviews": {"rating": "mixed"},
                "tags": {"q": "tag"}, "claim-relations": {"type": "repeats", "claim": hub.pk}}

    for resource, expected in EXPECTED.items():
        for params in ({}, filtered[resource]):
            for size in (1, 100):
                with CaptureQueriesContext(connection) as queries:
                    response = anon_client.get(url(resource), {**params, "page_size": size})
                assert response.status_code == 200
                body = response.json()
                assert len(body["results"]) == size
                assert len(queries) == expected, (resource, params, size, [q["sql"] for q in queries])
                assert not any("COUNT(" in q["sql"].upper() for q in queries.captured_queries)
                # The CSV form of the same page costs the same queries.
                with CaptureQueriesContext(connection) as queries:
                    response = anon_client.get(url(resource), {**params, "page_size": size, "format": "csv"})
                assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
                assert len(response.content.decode().strip().splitlines()) == size + 1  # header and rows
                assert len(queries) == expected, (resource, "csv", params, size)
            # A page deep in the list costs what the first one costs.
            with CaptureQueriesContext(connection) as queries:
                assert anon_client.get(body["next"]).status_code == 200
            assert len(queries) == expected, (resource, "next page")
