"""Actors, outlets, sources, reviews and tags: list, detail, create, update, partial update, delete."""

import pytest

from factbase import services
from factbase.models import Actor, Outlet, Review, Source, Tag

from .helpers import url


@pytest.fixture
def outlet(db):
    return services.outlet_create(name="Khabar 24", kind="broadcaster", url="https://24.kz/")


@pytest.fixture
def tag(db):
    return services.tag_create(name="Energy", slug="energy")


@pytest.fixture
def review(claim, actor, source):
    return services.review_create(claim=claim, reviewer=actor, source=source, rating="unsupported",
                                  rating_text="there is no evidence", summary="Nothing supports it.",
                                  reviewed_on="2022-01-09")


def test_an_actor_reads_in_full(anon_client, actor):
    body = anon_client.get(url("actors", actor.pk)).json()
    assert {k: body[k] for k in ("name", "kind", "aliases", "description", "wikidata_id")} == {
        "name": "Jane Minister", "kind": "person", "aliases": ["J. Minister"], "description": "", "wikidata_id": ""}
    assert body["url"].endswith(url("actors", actor.pk))


def test_an_outlet_reads_with_its_website(anon_client, outlet):
    body = anon_client.get(url("outlets", outlet.pk)).json()
    assert body["website"] == "https://24.kz/" and body["kind"] == "broadcaster"
    assert body["url"].endswith(url("outlets", outlet.pk))


def test_a_source_reads_with_its_text_but_lists_without(anon_client, source, outlet):
    services.source_update(source=source, data={"outlet": outlet, "authors": ["A. Writer"]})
    body = anon_client.get(url("sources", source.pk)).json()
    assert body["text"] == source.text and body["document_url"] == "https://example.org/fuel"
    assert body["display_title"] == body["title"] == "Fuel prices frozen"
    assert body["outlet"]["name"] == "Khabar 24" and body["authors"] == ["A. Writer"]
    assert body["language"] == "en" and body["published_on"] == "2022-01-08"
    listed = anon_client.get(url("sources")).json()["results"][0]
    assert "text" not in listed and listed["id"] == source.pk


def test_a_source_without_title_has_a_display_title(anon_client, db):
    source = services.source_create(text="Some text.", published_on="2022-01-08")
    body = anon_client.get(url("sources", source.pk)).json()
    assert body["title"] == "" and body["display_title"] == "Untitled source of 2022-01-08"


def test_a_review_reads_with_its_claim_reviewer_rating_wording_summary_and_date(anon_client, review, claim, actor):
    body = anon_client.get(url("reviews", review.pk)).json()
    assert body["claim"]["id"] == claim.pk and body["claim"]["text"] == claim.text
    assert body["claim"]["kind"] == "direct_quote"
    assert body["reviewer"]["name"] == actor.name and body["source"]["title"] == "Fuel prices frozen"
    assert body["rating"] == "unsupported" and body["rating_text"] == "there is no evidence"
    assert body["summary"] == "Nothing supports it." and body["reviewed_on"] == "2022-01-09"


def test_a_tag_reads_with_its_slug(anon_client, tag):
    assert anon_client.get(url("tags", tag.pk)).json()["slug"] == "energy"


CREATE = {
    "actors": ({"name": "NATO", "kind": "organization", "aliases": ["North Atlantic Treaty Organization"],
                "wikidata_id": "Q7184"}, Actor),
    "outlets": ({"name": "Facebook", "kind": "social_network", "website": "https://facebook.com/"}, Outlet),
    "sources": ({"title": "A transcript", "document_url": "https://example.org/t", "authors": ["A", "B"],
                 "language": "pt-BR", "published_on": "2022-02-01", "text": "Hello."}, Source),
    "tags": ({"name": "Kazakhstan", "slug": "kazakhstan"}, Tag),
}


@pytest.mark.parametrize("resource", list(CREATE))
def test_create_read_update_delete(editor_client, resource):
    data, model = CREATE[resource]
    response = editor_client.post(url(resource), data)
    assert response.status_code == 201, response.json()
    body = response.json()
    for key, value in data.items():
        assert body[key] == value
    pk = body["id"]
    assert editor_client.get(url(resource, pk)).json() == body
    changed = {**data, "description" if resource != "sources" else "title": "Changed"}
    response = editor_client.put(url(resource, pk), changed)
    assert response.status_code == 200, response.json()
    response = editor_client.patch(url(resource, pk), {"name" if resource != "sources" else "title": "Patched"})
    assert response.status_code == 200, response.json()
    assert model.objects.get(pk=pk).history.count() == 3
    assert editor_client.delete(url(resource, pk)).status_code == 204
    assert not model.objects.filter(pk=pk).exists()


def test_create_update_delete_a_review(editor_client, claim, actor):
    response = editor_client.post(url("reviews"), {"claim": claim.pk, "reviewer": actor.pk, "rating": "false",
                                                   "rating_text": "wrong", "reviewed_on": "2022-01-10"})
    assert response.status_code == 201, response.json()
    pk = response.json()["id"]
    response = editor_client.patch(url("reviews", pk), {"rating": "mostly_false"})
    assert response.json()["rating"] == "mostly_false"
    assert editor_client.delete(url("reviews", pk)).status_code == 204
    assert not Review.objects.exists()


def test_a_review_needs_a_reviewer_or_a_source(editor_client, claim):
    response = editor_client.post(url("reviews"), {"claim": claim.pk, "rating": "false"})
    assert response.status_code == 400
    assert "non_field_errors" in response.json()


@pytest.mark.parametrize("resource,data,field", [
    ("actors", {"name": "Jane Minister", "kind": "person"}, "non_field_errors"),  # the same name and kind
    ("actors", {"name": "X", "wikidata_id": "123"}, "non_field_errors"),
    ("actors", {"name": "X", "aliases": ["a", "A"]}, "aliases"),
    ("actors", {"name": "X", "aliases": [" a"]}, "aliases"),
    ("actors", {"name": "X", "aliases": "a"}, "aliases"),
    ("actors", {"name": "", "kind": "person"}, "name"),
    ("actors", {"name": "X", "kind": "animal"}, "kind"),
    ("outlets", {"name": "Khabar 24"}, "name"),
    ("outlets", {"name": "Y", "website": "not a url"}, "website"),
    ("sources", {"title": ""}, "non_field_errors"),
    ("sources", {"title": "T", "language": "English"}, "language"),
    ("sources", {"title": "T", "document_url": "https://example.org/fuel"}, "non_field_errors"),
    ("tags", {"name": "T", "slug": "not a slug"}, "slug"),
    ("tags", {"name": "Energy", "slug": "other"}, "name"),
])
def test_invalid_writes_are_400s_naming_the_field(editor_client, actor, outlet, source, tag, resource, data, field):
    response = editor_client.post(url(resource), data)
    assert response.status_code == 400, response.content
    assert field in response.json(), response.json()


def test_two_actors_without_wikidata_id_are_fine(editor_client, actor):
    response = editor_client.post(url("actors"), {"name": "Someone else", "kind": "person"})
    assert response.status_code == 201, response.json()


@pytest.mark.parametrize("resource", ["actors", "outlets", "sources"])
def test_deleting_a_record_that_claims_point_to_is_a_409(editor_client, claim, actor, source, outlet, resource):
    services.claim_update(claim=claim, data={"outlet": outlet})
    pk = {"actors": actor.pk, "outlets": outlet.pk, "sources": source.pk}[resource]
    response = editor_client.delete(url(resource, pk))
    assert response.status_code == 409
    body = response.json()
    assert "cannot be deleted" in body["detail"]
    assert body["blocking"]


def test_deleting_a_tag_untags_its_claims(editor_client, claim, tag):
    claim.tags.add(tag)
    assert editor_client.delete(url("tags", tag.pk)).status_code == 204
    assert not claim.tags.exists()


def test_changing_a_source_text_that_drops_a_quote_is_refused(editor_client, claim, source):
    response = editor_client.patch(url("sources", source.pk), {"text": "Nothing of the sort."})
    assert response.status_code == 400
    assert "text" in response.json()
    source.refresh_from_db()
    assert "fuel prices" in source.text


@pytest.mark.parametrize("resource", ["claims", "actors", "outlets", "sources", "reviews", "tags"])
def test_unknown_and_malformed_ids_are_404(anon_client, db, resource):
    for pk in ("424242", "abc", "0", "-1", "99999999999999999999999", "1.0"):
        response = anon_client.get(f"{url(resource)}{pk}/")
        assert response.status_code == 404, pk
        assert response.json()["detail"]
