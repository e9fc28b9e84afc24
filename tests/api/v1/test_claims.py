"""Claims over HTTP: the representation, writes through the services, curation status."""

import pytest

from factbase.models import Claim, Outlet, Tag
from factbase import services

from .helpers import url

QUOTE = "We will not raise fuel prices this winter."


@pytest.fixture
def tag(db):
    return services.tag_create(name="Energy", slug="energy")


@pytest.fixture
def outlet(db):
    return services.outlet_create(name="Khabar 24", kind=Outlet.Kind.BROADCASTER)


def test_a_claim_reads_with_brief_related_records_and_its_span(anon_client, claim, source, actor):
    claim.tags.add(services.tag_create(name="Energy", slug="energy"))
    body = anon_client.get(url("claims", claim.pk)).json()
    assert body["id"] == claim.pk
    assert body["url"].endswith(url("claims", claim.pk))
    assert body["text"] == QUOTE and body["kind"] == "direct_quote"
    assert body["speaker"] == {"id": actor.pk, "url": f"http://testserver{url('actors', actor.pk)}",
                               "name": "Jane Minister", "kind": "person"}
    assert body["speaker_role"] == "Minister of Energy"
    assert body["stated_on"] == "2022-01-07" and body["stated_on_precision"] == "day"
    assert body["outlet"] is None
    assert body["source"] == {"id": source.pk, "url": f"http://testserver{url('sources', source.pk)}",
                              "title": "Fuel prices frozen", "display_title": "Fuel prices frozen"}
    span = body["span"]
    assert source.text[span["start"]:span["end"]] == span["exact"]
    assert span["exact"] == QUOTE
    assert body["status"] == "unverified" and body["verified_at"] is None
    assert [t["slug"] for t in body["tags"]] == ["energy"]
    assert body["created_at"] and body["updated_at"]
    assert "passage" not in body and "span_hint" not in body


def test_an_untitled_source_still_has_a_usable_title_in_brief(anon_client, actor):
    source = services.source_create(url="https://example.org/untitled", text="He said “yes”.")
    claim = services.claim_create(speaker=actor, source=source, text="yes")
    body = anon_client.get(url("claims", claim.pk)).json()
    assert body["source"]["title"] == "https://example.org/untitled"


def test_creating_a_direct_quote_finds_its_span(editor_client, actor, source, outlet, tag):
    response = editor_client.post(url("claims"), {
        "speaker": actor.pk, "source": source.pk, "text": "prices will stay frozen", "kind": "direct_quote",
        "stated_on": "2022-01", "stated_on_precision": "month", "outlet": outlet.pk, "tags": [tag.pk],
    })
    assert response.status_code == 400
    assert "stated_on" in response.json()
    response = editor_client.post(url("claims"), {
        "speaker": actor.pk, "source": source.pk, "text": "prices will stay frozen", "kind": "direct_quote",
        "stated_on": "2022-01-01", "stated_on_precision": "month", "outlet": outlet.pk, "tags": [tag.pk],
    })
    assert response.status_code == 201, response.json()
    body = response.json()
    assert response["Location"] == body["url"] and response["ETag"]
    assert body["span"]["exact"] == "prices   will stay frozen"  # the first occurrence, as stored
    assert body["outlet"]["name"] == "Khabar 24" and body["tags"][0]["slug"] == "energy"
    claim = Claim.objects.get(pk=body["id"])
    assert claim.history.first().history_user.username == "editor"


def test_a_span_hint_picks_the_other_occurrence(editor_client, actor, source):
    second = source.text.rindex("prices will stay frozen")
    response = editor_client.post(url("claims"), {
        "speaker": actor.pk, "source": source.pk, "text": "prices will stay frozen", "span_hint": second,
    })
    assert response.status_code == 201, response.json()
    assert response.json()["span"]["start"] == second


def test_a_paraphrase_takes_the_passage_that_reports_it(editor_client, actor, source):
    response = editor_client.post(url("claims"), {
        "speaker": actor.pk, "source": source.pk, "kind": "paraphrase", "text": "the promise was empty, critics said",
        "passage": "Critics answered that the promise was empty.",
    })
    assert response.status_code == 201, response.json()
    assert response.json()["span"]["exact"] == "Critics answered that the promise was empty."


def test_a_passage_not_in_the_source_is_a_400_naming_passage(editor_client, actor, source):
    response = editor_client.post(url("claims"), {
        "speaker": actor.pk, "source": source.pk, "kind": "paraphrase", "text": "x", "passage": "never written",
    })
    assert response.status_code == 400
    assert "does not occur" in response.json()["passage"][0]


def test_a_quote_not_in_the_source_is_a_400_naming_text(editor_client, actor, source):
    response = editor_client.post(url("claims"), {"speaker": actor.pk, "source": source.pk, "text": "Never said."})
    assert response.status_code == 400
    assert list(response.json()) == ["text"]
    assert not Claim.objects.exists()


def test_a_direct_quote_takes_no_passage(editor_client, actor, source):
    response = editor_client.post(url("claims"), {"speaker": actor.pk, "source": source.pk, "text": QUOTE,
                                                  "passage": QUOTE})
    assert response.status_code == 400
    assert "passage" in response.json()


@pytest.mark.parametrize("field,value", [
    ("speaker", 999999), ("speaker", "abc"), ("speaker", 1.5), ("speaker", True), ("speaker", None),
    ("speaker", 10**30), ("source", -1), ("outlet", "x"), ("tags", [999999]), ("tags", "1"),
    ("kind", "rumour"), ("stated_on", "2022-13-01"), ("stated_on_precision", "week"), ("text", ""),
    ("span_hint", -1), ("span_hint", 2**40), ("status", "verified"), ("nonsense", 1),
])
def test_invalid_input_is_a_400_naming_the_field(editor_client, actor, source, field, value):
    data = {"speaker": actor.pk, "source": source.pk, "text": QUOTE, field: value}
    response = editor_client.post(url("claims"), data)
    assert response.status_code == 400, response.content
    assert field in response.json()


def test_a_date_needs_a_precision(editor_client, actor, source):
    response = editor_client.post(url("claims"), {"speaker": actor.pk, "source": source.pk, "text": QUOTE,
                                                  "stated_on": "2022-01-07"})
    assert response.status_code == 400
    assert "stated_on_precision" in response.json()


def test_patch_changes_only_what_is_given_and_unverifies_a_verified_claim(editor_client, editor, claim):
    services.claim_set_status(claim=claim, user=editor, status="verified")
    response = editor_client.patch(url("claims", claim.pk), {"speaker_role": "Former minister"})
    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["speaker_role"] == "Former minister" and body["text"] == QUOTE
    assert body["status"] == "unverified"
    assert "speaker_role changed" in body["status_note"]


def test_put_replaces_the_claim(editor_client, claim, actor, source, tag):
    response = editor_client.put(url("claims", claim.pk), {
        "speaker": actor.pk, "source": source.pk, "text": "prices will stay frozen", "kind": "direct_quote",
        "tags": [tag.pk], "stated_on": None,
    })
    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["text"] == "prices will stay frozen" and body["stated_on"] is None
    assert body["stated_on_precision"] == "" and [t["id"] for t in body["tags"]] == [tag.pk]


def test_put_may_send_back_the_read_only_fields_it_read(editor_client, claim):
    body = editor_client.get(url("claims", claim.pk)).json()
    body.update(speaker=body["speaker"]["id"], source=body["source"]["id"], tags=[], outlet=None)
    response = editor_client.put(url("claims", claim.pk), body)
    assert response.status_code == 200, response.json()


def test_delete_removes_a_claim_without_reviews(editor_client, claim):
    assert editor_client.delete(url("claims", claim.pk)).status_code == 204
    assert not Claim.objects.filter(pk=claim.pk).exists()
    assert editor_client.get(url("claims", claim.pk)).status_code == 404


def test_delete_of_a_reviewed_claim_is_a_409(editor_client, claim, actor):
    services.review_create(claim=claim, reviewer=actor, rating="false")
    response = editor_client.delete(url("claims", claim.pk))
    assert response.status_code == 409
    assert response.json()["blocking"] == {"reviews": 1}
    assert Claim.objects.filter(pk=claim.pk).exists()


class TestStatus:
    def test_an_editor_verifies_a_claim_with_a_note(self, editor_client, claim):
        response = editor_client.post(url("claims", claim.pk, "status"), {"status": "verified", "note": "Checked."})
        assert response.status_code == 200, response.json()
        body = response.json()
        assert body["status"] == "verified" and body["verified_at"] and body["status_note"] == "Checked."
        claim.refresh_from_db()
        assert claim.verified_by.username == "editor"
        assert response["ETag"]

    def test_a_contributor_may_not(self, contributor_client, claim):
        response = contributor_client.post(url("claims", claim.pk, "status"), {"status": "verified"})
        assert response.status_code == 403
        claim.refresh_from_db()
        assert claim.status == "unverified"

    def test_anonymous_gets_401(self, anon_client, claim):
        response = anon_client.post(url("claims", claim.pk, "status"), {"status": "verified"})
        assert response.status_code == 401
        assert response["WWW-Authenticate"] == "Token"

    @pytest.mark.parametrize("data,field", [({"status": "true"}, "status"), ({}, "status"),
                                            ({"status": "verified", "x": 1}, "x"),
                                            ({"status": "verified", "note": 5 * "x" * 1000}, "note")])
    def test_a_bad_status_is_a_400(self, editor_client, claim, data, field):
        response = editor_client.post(url("claims", claim.pk, "status"), data)
        assert response.status_code == 400
        assert field in response.json()

    def test_an_unknown_claim_is_a_404(self, editor_client, db):
        assert editor_client.post(url("claims", 424242, "status"), {"status": "verified"}).status_code == 404

    def test_get_is_not_allowed(self, editor_client, claim):
        response = editor_client.get(url("claims", claim.pk, "status"))
        assert response.status_code == 405
        assert "detail" in response.json()

    def test_a_stale_if_match_is_a_412(self, editor_client, claim):
        response = editor_client.post(url("claims", claim.pk, "status"), {"status": "disputed"},
                                      HTTP_IF_MATCH='"stale"')
        assert response.status_code == 412


def test_the_status_cannot_be_set_by_editing(editor_client, claim):
    response = editor_client.patch(url("claims", claim.pk), {"status": "verified"})
    assert response.status_code == 400
    assert "status" in response.json()
    # sending back the current status is fine
    assert editor_client.patch(url("claims", claim.pk), {"status": "unverified"}).status_code == 200


def test_tags_are_written_as_ids(editor_client, claim, tag):
    response = editor_client.patch(url("claims", claim.pk), {"tags": [tag.pk]})
    assert response.status_code == 200
    assert set(claim.tags.all()) == {tag}
    response = editor_client.patch(url("claims", claim.pk), {"tags": []})
    assert response.json()["tags"] == [] and not Tag.objects.get(pk=tag.pk).claims.exists()
