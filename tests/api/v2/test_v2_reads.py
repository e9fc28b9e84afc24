"""v2's claims are read by the reader (as v1's are), give what v2's serializer gives, and every list of v2
costs the queries v1's costs, for a page of 1 and of 100 rows, in JSON and CSV."""

import json

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from api.v1.readers import ClaimReader
from api.v1 import views as v1_views
from api.v2 import views as v2_views
from factbase import services
from factbase.models import Claim

RESOURCES = ["claims", "actors", "outlets", "sources", "reviews", "tags"]


@pytest.fixture
def many(seed, actor, source):
    tags = [services.tag_create(name=f"Tag {i}", slug=f"tag-{i}") for i in range(101)]
    titled = services.source_create(title="Titled", url="https://example.org/t", text="Some words.")
    for i in range(101):
        services.actor_create(name=f"Actor {i}")
        services.outlet_create(name=f"Outlet {i}")
        src = services.source_create(title=f"Source {i}" if i % 2 else "", text="Some words.",
                                     published_on="2022-01-01")
        claim = services.claim_create(speaker=actor, source=src if i % 3 else titled, kind=Claim.Kind.PARAPHRASE,
                                      text=f"Claim {i}", tags=tags[i % 5: i % 5 + 3])
        services.review_create(claim=claim, reviewer=actor, source=source, rating="mixed")


def v2_claim_viewset():
    return v2_views.v2_view(v1_views.ClaimViewSet)


def both_ways(client, monkeypatch, url):
    served = client.get(url)
    with monkeypatch.context() as patch:
        patch.setattr(v2_claim_viewset(), "reader_class", None)
        generic = client.get(url)
    assert served.status_code == generic.status_code == 200
    assert served.content == generic.content
    assert served.headers.get("ETag") == generic.headers.get("ETag")
    return served


def test_v2_claims_read_by_the_reader_are_what_the_serializer_gives(anon_client, monkeypatch, many):
    url, pages = "/api/v2/claims/?page_size=50", 0
    while url:
        body = json.loads(both_ways(anon_client, monkeypatch, url).content)
        url, pages = body["next"], pages + 1
    assert pages == 3  # 18 + 101 claims
    for pk in Claim.objects.values_list("pk", flat=True)[:40]:
        both_ways(anon_client, monkeypatch, f"/api/v2/claims/{pk}/")
    titles = {(c["source"]["title"], c["source"]["display_title"])
              for c in anon_client.get("/api/v2/claims/", {"page_size": 200}).json()["results"]}
    assert ("", "Untitled source of 2022-01-01") in titles and ("Titled", "Titled") in titles


def test_the_reader_serves_v2(anon_client, monkeypatch, many):
    """The comparison above would pass with the reader never used in v2: it is, compiling v2's serializer."""
    calls = []
    read = ClaimReader.read

    def spy(self, queryset, keys=()):
        calls.append(self.serializer_class.__module__)
        return read(self, queryset, keys)

    monkeypatch.setattr(ClaimReader, "read", spy)
    assert anon_client.get("/api/v2/claims/").status_code == 200
    assert anon_client.get("/api/v1/claims/").status_code == 200
    assert calls == ["api.v2.serializers", "api.v1.serializers"]


def test_every_v2_list_costs_what_the_v1_list_costs(anon_client, many):
    for resource in RESOURCES:
        counts = {}
        for version in ("v1", "v2"):
            for fmt in ("json", "csv"):
                for size in (1, 100):
                    with CaptureQueriesContext(connection) as queries:
                        response = anon_client.get(f"/api/{version}/{resource}/", {"page_size": size, "format": fmt})
                    assert response.status_code == 200
                    counts[version, fmt, size] = len(queries)
                    assert not any(q["sql"].upper().lstrip().startswith("SELECT COUNT(") for q in queries.captured_queries)
        for fmt in ("json", "csv"):
            assert counts["v2", fmt, 1] == counts["v2", fmt, 100] == counts["v1", fmt, 1] == counts["v1", fmt, 100], (
                resource, counts)
    pk = Claim.objects.first().pk
    for version in ("v1", "v2"):
        with CaptureQueriesContext(connection) as queries:
            assert anon_client.get(f"/api/{version}/claims/{pk}/").status_code == 200
        assert len(queries) == 1, version  # the claim with its tags, reviews and relations, written by the database
