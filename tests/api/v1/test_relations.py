"""Relations between claims over the API: /claim-relations/, a claim's ``relations``, ``related_to``."""

import pytest

from factbase import services
from factbase.models import ClaimRelation

from .helpers import url


@pytest.fixture
def claims(actor, source):
    texts = ["We will not raise fuel prices this winter.", "prices will stay frozen", "The minister said"]
    return [services.claim_create(speaker=actor, source=source, text=text) for text in texts]


def relation_body(a, b, relation_type, **extra):
    return {"claim": a.pk, "related_claim": b.pk, "type": relation_type, **extra}


def test_an_editor_relates_two_claims_and_both_show_it(editor_client, anon_client, claims):
    a, b, c = claims
    response = editor_client.post(url("claim-relations"), relation_body(a, b, "responds_to",
                                                                         change_reason="Same press conference"))
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["type"] == "responds_to" and body["claim"]["id"] == a.pk and body["related_claim"]["id"] == b.pk
    assert response["Location"].endswith(url("claim-relations", body["id"]))
    assert body["claim"]["url"].endswith(url("claims", a.pk)) and body["related_claim"]["text"] == b.text
    editor_client.post(url("claim-relations"), relation_body(c, b, "same_statement"))

    seen_from_a = anon_client.get(url("claims", a.pk)).json()["relations"]
    assert seen_from_a == [{"type": "responds_to", "claim": {
        "id": b.pk, "url": f"http://testserver{url('claims', b.pk)}", "text": b.text, "kind": "direct_quote"}}]
    seen_from_b = anon_client.get(url("claims", b.pk)).json()["relations"]
    assert [(r["type"], r["claim"]["id"]) for r in seen_from_b] == [("responded_to_by", a.pk), ("same_statement", c.pk)]
    seen_from_c = anon_client.get(url("claims", c.pk)).json()["relations"]
    assert [(r["type"], r["claim"]["id"]) for r in seen_from_c] == [("same_statement", b.pk)]
    # in a list too, alike
    rows = {row["id"]: row["relations"] for row in anon_client.get(url("claims")).json()["results"]}
    assert rows[b.pk] == seen_from_b and rows[a.pk] == seen_from_a

    history = anon_client.get(url("claim-relations", body["id"], "history")).json()["results"]
    assert [(r["type"], r["user"], r["reason"]) for r in history] == [("created", "editor", "Same press conference")]


def test_a_relation_to_itself_a_duplicate_and_a_missing_claim_are_refused_by_field(editor_client, claims):
    a, b, _ = claims
    assert editor_client.post(url("claim-relations"), relation_body(a, b, "contradicts")).status_code == 201
    cases = [
        (relation_body(a, a, "repeats"), "related_claim", "itself"),
        (relation_body(b, a, "contradicts"), "related_claim", "already"),  # the symmetric duplicate
        (relation_body(a, b, "contradicts"), "related_claim", "already"),
        ({"claim": a.pk, "related_claim": 99999999, "type": "repeats"}, "related_claim", "99999999"),
        ({"claim": a.pk, "related_claim": b.pk, "type": "agrees_with"}, "type", "valid choice"),
        ({"claim": a.pk, "related_claim": "²", "type": "repeats"}, "related_claim", "id"),
        ({"claim": a.pk, "related_claim": b.pk}, "type", "required"),
    ]
    for body, field, words in cases:
        response = editor_client.post(url("claim-relations"), body)
        assert response.status_code == 400, (body, response.content)
        assert words in " ".join(response.json()[field]), (body, response.json())
    assert ClaimRelation.objects.count() == 1


def test_a_relation_is_changed_and_deleted_with_a_reason(editor_client, anon_client, claims):
    a, b, c = claims
    pk = editor_client.post(url("claim-relations"), relation_body(a, b, "repeats")).json()["id"]
    response = editor_client.patch(url("claim-relations", pk), {"type": "corrects", "change_reason": "Misread"})
    assert response.status_code == 200 and response.json()["type"] == "corrects"
    assert anon_client.get(url("claims", b.pk)).json()["relations"][0]["type"] == "corrected_by"
    response = editor_client.delete(f"{url('claim-relations', pk)}?change_reason=Not+related+after+all")
    assert response.status_code == 204
    assert anon_client.get(url("claims", b.pk)).json()["relations"] == []
    history = editor_client.get(url("claim-relations", pk, "history")).json()["results"]
    assert [(r["type"], r["reason"]) for r in history] == [
        ("deleted", "Not related after all"), ("changed", "Misread"), ("created", "")]


def test_the_list_filters_by_claim_either_side_and_by_type(anon_client, claims):
    a, b, c = claims
    services.claim_relation_create(claim=a, related_claim=b, type="repeats")
    services.claim_relation_create(claim=c, related_claim=a, type="contradicts")
    services.claim_relation_create(claim=b, related_claim=c, type="same_statement")

    def pairs(params):
        response = anon_client.get(url("claim-relations"), params)
        assert response.status_code == 200, response.content
        return [(r["claim"]["id"], r["type"], r["related_claim"]["id"]) for r in response.json()["results"]]

    assert len(pairs({})) == 3
    assert sorted(pairs({"claim": a.pk})) == sorted([(a.pk, "repeats", b.pk), (c.pk, "contradicts", a.pk)])
    assert pairs({"claim": a.pk, "type": "contradicts"}) == [(c.pk, "contradicts", a.pk)]
    assert anon_client.get(url("claim-relations"), {"claim": "x"}).status_code == 400
    assert anon_client.get(url("claim-relations"), {"type": "agrees_with"}).status_code == 400


def test_claims_related_to_a_claim_either_side(anon_client, seed, claims):
    a, b, c = claims
    services.claim_relation_create(claim=a, related_claim=b, type="repeats")
    services.claim_relation_create(claim=c, related_claim=a, type="contradicts")

    def related(pk):
        response = anon_client.get(url("claims"), {"related_to": pk})
        assert response.status_code == 200, response.content
        return sorted(row["id"] for row in response.json()["results"])

    assert related(a.pk) == sorted([b.pk, c.pk])
    assert related(b.pk) == [a.pk]
    assert related(99999999) == []
    for bad in ("x", "١", "0", "-1"):
        response = anon_client.get(url("claims"), {"related_to": bad})
        assert response.status_code == 400 and "related_to" in response.json(), bad


def test_the_same_permissions_as_claims(anon_client, reader_client, contributor_client, editor_client, claims):
    a, b, c = claims
    assert anon_client.post(url("claim-relations"), relation_body(a, b, "repeats")).status_code == 401
    assert reader_client.post(url("claim-relations"), relation_body(a, b, "repeats")).status_code == 403
    response = contributor_client.post(url("claim-relations"), relation_body(a, b, "repeats"))
    assert response.status_code == 201
    pk = response.json()["id"]
    assert contributor_client.patch(url("claim-relations", pk), {"type": "corrects"}).status_code == 200
    assert contributor_client.delete(url("claim-relations", pk)).status_code == 403
    assert editor_client.delete(url("claim-relations", pk)).status_code == 204


def test_deleting_a_claim_over_the_api_deletes_its_relations(editor_client, anon_client, claims):
    a, b, _ = claims
    pk = services.claim_relation_create(claim=a, related_claim=b, type="same_statement").pk
    assert editor_client.delete(url("claims", a.pk), {"change_reason": "Entered twice"}).status_code == 204
    assert anon_client.get(url("claims", b.pk)).json()["relations"] == []
    assert anon_client.get(url("claim-relations", pk)).status_code == 404
    history = editor_client.get(url("claim-relations", pk, "history")).json()["results"]
    assert history[0]["type"] == "deleted" and history[0]["reason"] == f"Claim #{a.pk} deleted: Entered twice"
