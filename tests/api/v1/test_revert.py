"""change_reason on every write, and POST /{resource}/{id}/revert/."""

import pytest

from factbase import services
from factbase.models import Claim, Tag

from .helpers import url


def history(client, resource, pk):
    return client.get(url(resource, pk, "history")).json()["results"]


# --- change_reason ----------------------------------------------------------------------------------

def test_every_kind_of_write_keeps_its_reason(editor_client, anon_client, actor, source):
    response = editor_client.post(url("claims"), {"speaker": actor.pk, "source": source.pk,
                                                  "text": "prices will stay frozen", "change_reason": "From the article"})
    assert response.status_code == 201, response.content
    pk = response.json()["id"]
    assert "change_reason" not in response.json()  # written, never read back as a field
    editor_client.patch(url("claims", pk), {"speaker_role": "Minister", "change_reason": "Role as the article gives it"})
    claim = Claim.objects.get(pk=pk)
    editor_client.put(url("claims", pk), {"speaker": actor.pk, "source": source.pk, "text": claim.text,
                                          "speaker_role": "Energy minister", "change_reason": "Full title"})
    editor_client.post(url("claims", pk, "status"), {"status": "disputed", "note": "Video unclear",
                                                     "change_reason": "Checked the recording"})
    reasons = [(r["type"], r["reason"]) for r in history(anon_client, "claims", pk)]
    assert reasons == [("changed", "Checked the recording"), ("changed", "Full title"),
                       ("changed", "Role as the article gives it"), ("created", "From the article")]
    # a status change without a reason keeps the automatic one
    editor_client.post(url("claims", pk, "status"), {"status": "verified"})
    assert history(anon_client, "claims", pk)[0]["reason"] == "Status set to verified"


@pytest.mark.parametrize("resource,body", [
    ("actors", {"name": "Someone", "kind": "person"}),
    ("outlets", {"name": "Some outlet"}),
    ("tags", {"name": "Topic", "slug": "topic"}),
    ("sources", {"title": "A title"}),
])
def test_every_resource_takes_a_reason_for_create_update_and_delete(editor_client, resource, body):
    response = editor_client.post(url(resource), {**body, "change_reason": "new"})
    assert response.status_code == 201, response.content
    pk = response.json()["id"]
    field = next(iter(body))
    assert editor_client.patch(url(resource, pk), {field: body[field] + "s", "change_reason": "edit"}).status_code == 200
    assert editor_client.delete(url(resource, pk), {"change_reason": "gone"}).status_code == 204
    assert [r["reason"] for r in history(editor_client, resource, pk)] == ["gone", "edit", "new"]


def test_a_reason_alone_writes_nothing(editor_client, anon_client, claim):
    before = anon_client.get(url("claims", claim.pk))
    response = editor_client.patch(url("claims", claim.pk), {"speaker_role": claim.speaker_role,
                                                             "change_reason": "Nothing really"})
    assert response.status_code == 200
    assert len(history(anon_client, "claims", claim.pk)) == 1
    assert anon_client.get(url("claims", claim.pk))["ETag"] == before["ETag"]


def test_a_huge_or_misplaced_reason_is_refused_and_nothing_is_written(editor_client, anon_client, claim, actor):
    for body in ({"speaker_role": "x", "change_reason": "r" * 2001}, {"speaker_role": "x", "change_reason": {}},
                 {"speaker_role": "x", "change_reason": None}, {"speaker_role": "x", "change_reason": ["a"]}):
        response = editor_client.patch(url("claims", claim.pk), body)
        assert response.status_code == 400 and "change_reason" in response.json(), (body, response.content)
    response = editor_client.delete(url("actors", actor.pk) + "?change_reason=" + "r" * 2001)
    assert response.status_code == 400 and "change_reason" in response.json()
    response = editor_client.delete(url("actors", actor.pk) + "?change_reason=a", {"change_reason": "b"})
    assert response.status_code == 400 and "change_reason" in response.json()
    response = editor_client.delete(url("actors", actor.pk), {"colour": "red"})
    assert response.status_code == 400 and "colour" in response.json()
    response = editor_client.delete(url("actors", actor.pk) + "?colour=red")
    assert response.status_code == 400 and "colour" in response.json()
    claim.refresh_from_db()
    assert claim.speaker_role == "Minister of Energy"
    assert len(history(anon_client, "claims", claim.pk)) == 1
    assert anon_client.get(url("actors", actor.pk)).status_code == 200


# --- revert -----------------------------------------------------------------------------------------

def test_a_claim_goes_back_to_a_version_with_its_tags_as_a_new_version(editor_client, anon_client, claim):
    energy = services.tag_create(name="Energy", slug="energy")
    winter = services.tag_create(name="Winter", slug="winter")
    services.claim_update(claim=claim, data={"tags": [energy]})
    version = history(anon_client, "claims", claim.pk)[0]["history_id"]
    original = anon_client.get(url("claims", claim.pk)).json()
    services.claim_update(claim=claim, data={"speaker_role": "Former minister", "tags": [winter],
                                             "text": "prices will stay frozen"})
    response = editor_client.post(url("claims", claim.pk, "revert"), {"history_id": version})
    assert response.status_code == 200, response.content
    body = response.json()
    for field in ("text", "speaker_role", "span", "tags", "status"):
        assert body[field] == original[field], field
    assert response["ETag"] == anon_client.get(url("claims", claim.pk))["ETag"]
    records = history(anon_client, "claims", claim.pk)
    assert len(records) == 4 and records[0]["type"] == "changed" and records[0]["user"] == "editor"
    assert records[0]["reason"] == f"Reverted to version {version}"
    # reverting to the version it is now writes nothing
    assert editor_client.post(url("claims", claim.pk, "revert"), {"history_id": version}).status_code == 200
    assert len(history(anon_client, "claims", claim.pk)) == 4


def test_a_revert_keeps_the_rules_a_quote_no_longer_in_the_source_is_refused(editor_client, claim, source):
    version = claim.history.first().history_id
    services.claim_update(claim=claim, data={"text": "prices will stay frozen"})
    services.source_update(source=source, data={"text": source.text.replace("We will not raise fuel prices this "
                                                                             "winter.", "We will see.")})
    before = Claim.objects.get(pk=claim.pk)
    count = claim.history.count()
    response = editor_client.post(url("claims", claim.pk, "revert"), {"history_id": version,
                                                                      "change_reason": "Undo"})
    assert response.status_code == 400
    assert "does not occur in the source text" in " ".join(response.json()["text"])
    after = Claim.objects.get(pk=claim.pk)
    assert (after.text, after.updated_at) == (before.text, before.updated_at) and claim.history.count() == count


def test_a_version_of_another_record_or_a_deleted_one(editor_client, claim, actor, source):
    other = services.claim_create(speaker=actor, source=source, text="prices will stay frozen")
    response = editor_client.post(url("claims", claim.pk, "revert"), {"history_id": other.history.first().history_id})
    assert response.status_code == 400 and "history_id" in response.json()
    actor_version = actor.history.first().history_id  # a history id, but of an actor
    response = editor_client.post(url("claims", claim.pk, "revert"), {"history_id": actor_version + 10_000})
    assert response.status_code == 400 and "history_id" in response.json()
    for bad in ("x", 0, -1, True, None, 1.5, "١"):
        response = editor_client.post(url("claims", claim.pk, "revert"), {"history_id": bad})
        assert response.status_code == 400 and "history_id" in response.json(), bad
    assert editor_client.post(url("claims", claim.pk, "revert"), {}).status_code == 400
    response = editor_client.post(url("claims", claim.pk, "revert"), {"history_id": 1, "colour": "red"})
    assert response.status_code == 400 and "colour" in response.json()
    version = other.history.first().history_id
    services.claim_delete(claim=other)
    assert editor_client.post(url("claims", other.pk, "revert"), {"history_id": version}).status_code == 404


def test_the_status_goes_back_only_for_a_user_allowed_to_set_it(editor_client, contributor_client, editor, claim):
    version = claim.history.first().history_id  # unverified
    services.claim_set_status(claim=claim, user=editor, status="verified", note="Checked")
    response = contributor_client.post(url("claims", claim.pk, "revert"), {"history_id": version})
    assert response.status_code == 403 and "verify claim" in response.json()["detail"]
    assert Claim.objects.get(pk=claim.pk).status == "verified"
    response = editor_client.post(url("claims", claim.pk, "revert"), {"history_id": version})
    assert response.status_code == 200 and response.json()["status"] == "unverified"
    assert response.json()["status_note"] == ""


def test_revert_needs_the_change_permission_and_honours_if_match(anon_client, reader_client, contributor_client,
                                                                 actor):
    version = actor.history.first().history_id
    services.actor_update(actor=actor, data={"description": "Changed"})
    assert anon_client.post(url("actors", actor.pk, "revert"), {"history_id": version}).status_code == 401
    assert reader_client.post(url("actors", actor.pk, "revert"), {"history_id": version}).status_code == 403
    response = contributor_client.post(url("actors", actor.pk, "revert"), {"history_id": version},
                                       HTTP_IF_MATCH='"stale"')
    assert response.status_code == 412
    etag = anon_client.get(url("actors", actor.pk))["ETag"]
    response = contributor_client.post(url("actors", actor.pk, "revert"), {"history_id": version,
                                                                           "change_reason": "Vandalism"},
                                       HTTP_IF_MATCH=etag)
    assert response.status_code == 200 and response.json()["description"] == ""
    assert history(anon_client, "actors", actor.pk)[0]["reason"] == "Vandalism"


def test_a_version_pointing_to_a_deleted_record_is_refused(editor_client, claim, actor, source):
    other_speaker = services.actor_create(name="Other speaker")
    version = claim.history.first().history_id
    services.claim_update(claim=claim, data={"speaker": other_speaker})
    version_with_other = claim.history.first().history_id
    services.claim_update(claim=claim, data={"speaker": actor})
    services.actor_delete(actor=other_speaker)
    response = editor_client.post(url("claims", claim.pk, "revert"), {"history_id": version_with_other})
    assert response.status_code == 400 and "deleted" in " ".join(response.json()["speaker"])
    tag = services.tag_create(name="Gone", slug="gone")
    services.claim_update(claim=claim, data={"tags": [tag]})
    with_tag = claim.history.first().history_id
    services.claim_update(claim=claim, data={"tags": []})
    services.tag_delete(tag=tag)
    response = editor_client.post(url("claims", claim.pk, "revert"), {"history_id": with_tag})
    assert response.status_code == 400 and "tags" in response.json()
    assert not Tag.objects.exists()
    assert editor_client.post(url("claims", claim.pk, "revert"), {"history_id": version}).status_code == 200


def test_a_relation_reverted_to_a_duplicate_is_refused(editor_client, actor, source):
    a, b, c = (services.claim_create(speaker=actor, source=source, text=text) for text in (
        "We will not raise fuel prices this winter.", "prices will stay frozen", "The minister said"))
    relation = services.claim_relation_create(claim=a, related_claim=b, type="repeats")
    version = relation.history.first().history_id
    services.claim_relation_update(claim_relation=relation, data={"related_claim": c})
    services.claim_relation_create(claim=a, related_claim=b, type="repeats")
    response = editor_client.post(url("claim-relations", relation.pk, "revert"), {"history_id": version})
    assert response.status_code == 400 and "already" in " ".join(response.json()["related_claim"])
