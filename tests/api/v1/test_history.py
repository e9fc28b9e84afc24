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


def test_a_deleted_records_history_can_still_be_read_by_an_editor(editor_client, actor):
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


# --- who may read a history --------------------------------------------------------------------------

@pytest.mark.parametrize("resource", ["claims", "actors", "outlets", "sources", "reviews", "tags"])
def test_a_deleted_records_history_is_read_only_with_the_view_permission(
        resource, seed, anon_client, reader_client, contributor_client, editor_client, editor):
    """Anonymous users and users without permissions get 404 for a deleted record's history, as for an id that
    never existed (they do not learn it was there); contributors and editors (the view permission) read it."""
    from factbase import models

    model = {"claims": models.Claim, "actors": models.Actor, "outlets": models.Outlet, "sources": models.Source,
             "reviews": models.Review, "tags": models.Tag}[resource]
    instance = services.__dict__[f"{model._meta.model_name}_create"](**{
        "claims": lambda: {"speaker": models.Actor.objects.first(), "source": models.Source.objects.first(),
                           "kind": "paraphrase", "text": "To be deleted"},
        "actors": lambda: {"name": "Gone Person", "kind": "person"},
        "outlets": lambda: {"name": "Gone Daily", "kind": "newspaper"},
        "sources": lambda: {"title": "Gone article", "url": "https://example.org/gone"},
        "reviews": lambda: {"claim": models.Claim.objects.first(), "reviewer": models.Actor.objects.first(),
                            "rating": "false", "summary": "Gone"},
        "tags": lambda: {"name": "Gone", "slug": "gone"},
    }[resource]())
    pk = instance.pk
    path = url(resource, pk, "history")
    for client in (anon_client, reader_client, contributor_client, editor_client):
        assert client.get(path).status_code == 200  # while it exists: anyone
    assert editor_client.delete(url(resource, pk)).status_code == 204
    never = url(resource, 9_999_999, "history")
    for client in (anon_client, reader_client):
        response = client.get(path)
        assert response.status_code == 404 and response.json() == client.get(never).json()
        assert client.get(path, {"format": "csv"}).status_code == 404
        assert b"Gone" not in response.content and b"To be deleted" not in response.content
    for client in (contributor_client, editor_client):
        records = client.get(path).json()["results"]
        assert [r["type"] for r in records] == ["deleted", "created"] and records[0]["user"] == "editor"
    assert contributor_client.get(never).status_code == 404


def test_a_later_page_of_a_deleted_records_history_is_refused_too(anon_client, editor_client, actor):
    """A later page of a deleted record's history (by cursor) is refused as its first page is."""
    for i in range(4):
        services.actor_update(actor=actor, data={"description": f"v{i}"})
    first = editor_client.get(f"{url('actors', actor.pk, 'history')}?page_size=2").json()
    editor_client.delete(url("actors", actor.pk))
    assert first["next"]
    assert anon_client.get(first["next"]).status_code == 404
    assert editor_client.get(first["next"]).status_code == 200
