"""Records lead to one another (issue #14, item 1): a claim embeds its reviews and links to its history and
says who changed its status and when; actors, outlets, sources and tags link to their claims and count
them; sources link to the reviews they published; every record links to its history."""

import datetime

import pytest

from factbase import services
from factbase.models import Actor, Claim, Outlet, Review, Source, Tag

from .helpers import BASE, url

pytestmark = pytest.mark.django_db

RESOURCES = {"claims": Claim, "actors": Actor, "outlets": Outlet, "sources": Source, "reviews": Review, "tags": Tag}


def get(client, path, params=None):
    response = client.get(path, params or {})
    assert response.status_code == 200, response.content[:300]
    return response.json()


def every_page(client, path):
    rows = []
    while path:
        body = get(client, path)
        rows += body["results"]
        path = body["next"]
    return rows


def test_pashinyans_claim_embeds_its_review(anon_client, seed):
    claim = Claim.objects.get(text="referred to foreign intervention in Kazakhstan")
    review = claim.reviews.get()
    body = get(anon_client, url("claims", claim.pk))
    assert body["reviews"] == [{
        "id": review.pk, "url": f"http://testserver{BASE}reviews/{review.pk}/", "rating": "unsupported",
        "rating_text": "there is no evidence", "reviewer": None,
    }]
    # The same in the list.
    listed = get(anon_client, url("claims"), {"speaker_name": "pashinyan", "page_size": 100})["results"]
    assert [row["reviews"] for row in listed if row["id"] == claim.pk] == [body["reviews"]]
    assert all(row["reviews"] == [] for row in listed if row["id"] != claim.pk)


def test_a_claims_reviews_come_newest_first_unknown_date_last(anon_client, claim, actor, source):
    made = [services.review_create(claim=claim, source=source, rating=rating, reviewed_on=on, **extra)
            for rating, on, extra in [
                ("false", datetime.date(2022, 1, 9), {}), ("mixed", None, {}), ("true", datetime.date(2022, 2, 1), {}),
                ("misleading", datetime.date(2022, 1, 9), {"reviewer": actor, "rating_text": "Misleading."}),
                ("unsupported", None, {}),
            ]]
    reviews = get(anon_client, url("claims", claim.pk))["reviews"]
    assert [r["rating"] for r in reviews] == ["true", "false", "misleading", "mixed", "unsupported"]
    assert [r["id"] for r in reviews] == [made[2].pk, made[0].pk, made[3].pk, made[1].pk, made[4].pk]
    assert reviews[2]["reviewer"] == {"id": actor.pk, "url": f"http://testserver{BASE}actors/{actor.pk}/",
                                      "name": actor.name, "kind": actor.kind}
    assert reviews[2]["rating_text"] == "Misleading." and reviews[0]["reviewer"] is None
    # Following a review's url gives that review.
    assert get(anon_client, reviews[0]["url"])["claim"]["id"] == claim.pk


@pytest.mark.parametrize("resource", RESOURCES)
def test_every_record_links_to_its_history(anon_client, editor_client, seed, resource):
    record = RESOURCES[resource].objects.order_by("pk").first()
    body = get(anon_client, url(resource, record.pk))
    assert body["history_url"] == f"http://testserver{BASE}{resource}/{record.pk}/history/"
    assert body["history_url"] == body["url"] + "history/"
    history = get(anon_client, body["history_url"])
    assert history["results"][-1]["type"] == "created"
    listed = get(anon_client, url(resource), {"page_size": 1})["results"][0]
    assert listed["history_url"] == listed["url"] + "history/"


def test_a_claim_says_who_changed_its_status_and_when(anon_client, editor_client, contributor_client, claim):
    body = get(anon_client, url("claims", claim.pk))
    assert (body["status_changed_at"], body["status_changed_by"]) == (None, None)  # never changed
    for status in ("disputed", "rejected", "verified"):
        response = editor_client.post(url("claims", claim.pk, "status"), {"status": status}, format="json")
        assert response.status_code == 200
        body = get(anon_client, url("claims", claim.pk))
        assert body["status"] == status and body["status_changed_by"] == "editor"
        changed = claim.history.order_by("-history_date", "-history_id").first()
        assert body["status_changed_at"] == changed.history_date.isoformat().replace("+00:00", "Z")
    assert body["verified_at"] == body["status_changed_at"]
    # An edit that changes what was verified sends it back, and says who did.
    response = contributor_client.patch(url("claims", claim.pk), {"speaker_role": "Former minister"}, format="json")
    assert response.status_code == 200
    body = response.json()
    assert (body["status"], body["status_changed_by"], body["verified_at"]) == ("unverified", "contributor", None)
    assert body["status_changed_at"] > get(anon_client, url("claims", claim.pk))["created_at"]


def test_a_claims_status_change_fields_cannot_be_written(editor_client, claim):
    for name, value in (("status_changed_at", "2022-01-01T00:00:00Z"), ("status_changed_by", "editor"),
                        ("reviews", [1]), ("history_url", "http://example.org/")):
        response = editor_client.patch(url("claims", claim.pk), {name: value}, format="json")
        assert response.status_code == 400 and list(response.json()) == [name], response.content


@pytest.mark.parametrize("resource, param", [("actors", "speaker"), ("outlets", "outlet"), ("sources", "source"),
                                             ("tags", "tag")])
def test_claims_url_lists_the_records_claims_and_claim_count_counts_them(anon_client, seed, resource, param):
    model = RESOURCES[resource]
    records = get(anon_client, url(resource), {"page_size": 100})["results"]
    assert len(records) == model.objects.count()
    for record in records:
        key = record["slug"] if resource == "tags" else record["id"]
        assert record["claims_url"] == f"http://testserver{BASE}claims/?{param}={key}"
        claims = every_page(anon_client, record["claims_url"])
        assert record["claim_count"] == len(claims) == get(anon_client, record["url"])["claim_count"]
        field = {"actors": "speaker", "outlets": "outlet", "sources": "source"}.get(resource)
        if field:
            assert all(claim[field]["id"] == record["id"] for claim in claims)
        else:
            assert all(record["slug"] in [tag["slug"] for tag in claim["tags"]] for claim in claims)
    assert any(record["claim_count"] > 0 for record in records)


def test_tokayev_leads_to_his_claims(anon_client, seed):
    [tokayev] = get(anon_client, url("actors"), {"q": "tokayev"})["results"]
    claims = every_page(anon_client, tokayev["claims_url"])
    assert tokayev["claim_count"] == len(claims) == Claim.objects.filter(speaker__name="Kassym-Yomart Tokayev").count()
    assert tokayev["claim_count"] == 3  # in the seed
    assert {claim["speaker"]["name"] for claim in claims} == {"Kassym-Yomart Tokayev"}


def test_an_outlets_claim_count_counts_the_claims_made_on_it(anon_client, actor):
    on_air = services.outlet_create(name="Khabar 24")
    publisher = services.outlet_create(name="A newspaper")
    article = services.source_create(title="An article", outlet=publisher)
    services.claim_create(speaker=actor, source=article, text="Said on air.", kind="paraphrase", outlet=on_air)
    services.claim_create(speaker=actor, source=article, text="Said somewhere.", kind="paraphrase")
    assert get(anon_client, url("outlets", on_air.pk))["claim_count"] == 1
    assert get(anon_client, url("outlets", publisher.pk))["claim_count"] == 0  # it published the source only
    assert get(anon_client, url("sources", article.pk))["claim_count"] == 2


def test_a_source_links_to_the_reviews_published_in_it(anon_client, claim, source, actor):
    other = services.source_create(title="A fact-check")
    services.review_create(claim=claim, source=other, rating="false")
    services.review_create(claim=claim, source=other, rating="mixed")
    services.review_create(claim=claim, source=source, rating="true")
    body = get(anon_client, url("sources", other.pk))
    assert body["reviews_url"] == f"http://testserver{BASE}reviews/?source={other.pk}"
    reviews = every_page(anon_client, body["reviews_url"])
    assert sorted(r["rating"] for r in reviews) == ["false", "mixed"]
    assert body["claims_url"] == f"http://testserver{BASE}claims/?source={other.pk}"
    assert body["claim_count"] == 0


def test_counts_follow_writes_and_a_new_record_counts_none(editor_client, actor, source):
    response = editor_client.post(url("actors"), {"name": "New Speaker"}, format="json")
    assert response.status_code == 201 and response.json()["claim_count"] == 0
    speaker = Actor.objects.get(name="New Speaker")
    services.claim_create(speaker=speaker, source=source, text="One.", kind="paraphrase")
    response = editor_client.patch(url("actors", speaker.pk), {"description": "Spoke once."}, format="json")
    assert response.json()["claim_count"] == 1
    # A count sent back as it was read is accepted, as every read-only field (another value is not).
    assert editor_client.patch(url("actors", speaker.pk), {"claim_count": 1}, format="json").status_code == 200
    assert editor_client.patch(url("actors", speaker.pk), {"claim_count": 5}, format="json").status_code == 400
