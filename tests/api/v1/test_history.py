"""GET /{resource}/{id}/history/: every recorded change, by whom, from what to what."""

import pytest

from factbase import services

from .helpers import url, walk


def test_a_claims_history_lists_every_change_newest_first(editor_client, editor, claim):
    editor_client.patch(url("claims", claim.pk), {"speaker_role": "Former minister"})
    editor_client.post(url("claims", claim.pk, "status"), {"status": "verified", "note": "Checked."})
    tag = services.tag_create(name="Energy", slug="energy")
    editor_client.patch(url("claims", claim.pk), {"tags": [tag.pk]})

    body = editor_client.get(url("claims", claim.pk, "history")).json()
    records = body["results"]
    # the tags' PATCH is one change (not a save and then a change of tags)
    assert [r["type"] for r in records] == ["changed", "changed", "changed", "created"]
    dates = [r["date"] for r in records]
    assert dates == sorted(dates, reverse=True)

    tags_change, status_change, role_change, created = records
    assert tags_change["changes"] == [{"field": "tags", "old": [], "new": [tag.pk]}]
    assert tags_change["user"] == "editor"
    assert {"field": "status", "old": "unverified", "new": "verified"} in status_change["changes"]
    assert {"field": "status_note", "old": "", "new": "Checked."} in status_change["changes"]
    assert any(c["field"] == "verified_at" and c["old"] is None and c["new"] for c in status_change["changes"])
    assert any(c["field"] == "verified_by" and c["new"] == editor.pk for c in status_change["changes"])
    assert status_change["reason"] == "Status set to verified: Checked."
    assert role_change["changes"] == [{"field": "speaker_role", "old": "Minister of Energy", "new": "Former minister"}]
    assert role_change["user"] == "editor"
    assert created["user"] is None  # the fixture wrote it without a user
    fields = {c["field"]: c for c in created["changes"]}
    assert fields["text"]["old"] is None and fields["text"]["new"] == claim.text
    assert fields["stated_on"]["new"] == "2022-01-07" and fields["speaker"]["new"] == claim.speaker_id
    assert "updated_at" not in fields and "created_at" not in fields


def test_the_history_is_paged(anon_client, editor, actor):
    for i in range(6):
        services.actor_update(actor=actor, user=editor, data={"description": f"v{i}"})
    forward, backward, pages = walk(anon_client, f"{url('actors', actor.pk, 'history')}?page_size=2", key="history_id")
    assert len(forward) == 7 and len(set(forward)) == 7 and backward == forward and pages == 4
    last = anon_client.get(f"{url('actors', actor.pk, 'history')}?page_size=2").json()["results"][1]
    assert last["changes"] == [{"field": "description", "old": "v3", "new": "v4"}]  # across the page's edge


def test_a_deleted_records_history_can_still_be_read(editor_client, actor):
    pk = actor.pk
    editor_client.delete(url("actors", pk))
    records = editor_client.get(url("actors", pk, "history")).json()["results"]
    assert [r["type"] for r in records] == ["deleted", "created"]
    assert records[0]["user"] == "editor"


@pytest.mark.parametrize("resource", ["claims", "actors", "outlets", "sources", "reviews", "tags"])
def test_every_resource_has_a_history_and_unknown_ids_are_404(anon_client, seed, resource):
    pk = anon_client.get(url(resource)).json()["results"][0]["id"]
    response = anon_client.get(url(resource, pk, "history"))
    assert response.status_code == 200 and response.json()["results"][-1]["type"] == "created"
    assert anon_client.get(url(resource, 424242, "history")).status_code == 404
    assert anon_client.get(url(resource, pk, "history"), {"bogus": 1}).status_code == 400
    assert anon_client.post(url(resource, pk, "history")).status_code in (401, 405)
