"""ETag, If-None-Match (304) and If-Match (412) on single records."""

import pytest

from factbase import services

from .helpers import url


def test_a_record_carries_an_etag_and_if_none_match_answers_304(anon_client, claim):
    response = anon_client.get(url("claims", claim.pk))
    etag = response["ETag"]
    assert etag.startswith('"') and etag.endswith('"')
    again = anon_client.get(url("claims", claim.pk), HTTP_IF_NONE_MATCH=etag)
    assert again.status_code == 304 and again.content == b"" and again["ETag"] == etag
    assert anon_client.get(url("claims", claim.pk), HTTP_IF_NONE_MATCH=f'W/{etag}').status_code == 304
    assert anon_client.get(url("claims", claim.pk), HTTP_IF_NONE_MATCH=f'"other", {etag}').status_code == 304
    assert anon_client.get(url("claims", claim.pk), HTTP_IF_NONE_MATCH="*").status_code == 304
    assert anon_client.get(url("claims", claim.pk), HTTP_IF_NONE_MATCH='"other"').status_code == 200
    assert anon_client.head(url("claims", claim.pk), HTTP_IF_NONE_MATCH=etag).status_code == 304


def test_the_etag_changes_with_what_a_reader_sees(anon_client, claim, actor):
    etag = anon_client.get(url("claims", claim.pk))["ETag"]
    claim.tags.add(services.tag_create(name="Energy", slug="energy"))  # not a change of the claim row
    tagged = anon_client.get(url("claims", claim.pk))["ETag"]
    assert tagged != etag
    services.actor_update(actor=actor, data={"name": "Jane Former-Minister"})  # an embedded name
    assert anon_client.get(url("claims", claim.pk), HTTP_IF_NONE_MATCH=tagged).status_code == 200


@pytest.mark.parametrize("resource", ["claims", "actors", "outlets", "sources", "reviews", "tags"])
def test_every_record_has_an_etag(anon_client, seed, resource):
    pk = anon_client.get(url(resource)).json()["results"][0]["id"]
    assert anon_client.get(url(resource, pk))["ETag"]


def test_put_patch_delete_with_a_current_if_match_succeed(editor_client, actor):
    etag = editor_client.get(url("actors", actor.pk))["ETag"]
    response = editor_client.patch(url("actors", actor.pk), {"description": "d"}, HTTP_IF_MATCH=etag)
    assert response.status_code == 200
    new_etag = response["ETag"]
    assert new_etag != etag and editor_client.get(url("actors", actor.pk))["ETag"] == new_etag
    response = editor_client.put(url("actors", actor.pk), {"name": "Jane", "kind": "person"}, HTTP_IF_MATCH=new_etag)
    assert response.status_code == 200
    assert editor_client.delete(url("actors", actor.pk), HTTP_IF_MATCH=response["ETag"]).status_code == 204


def test_a_stale_if_match_is_a_412_and_nothing_changes(editor_client, actor):
    stale = editor_client.get(url("actors", actor.pk))["ETag"]
    editor_client.patch(url("actors", actor.pk), {"description": "someone else's change"})
    for method in ("patch", "put", "delete"):
        response = getattr(editor_client, method)(url("actors", actor.pk), {"name": "Mine", "kind": "person"},
                                                  HTTP_IF_MATCH=stale)
        assert response.status_code == 412, method
        assert "changed" in response.json()["detail"]
    actor.refresh_from_db()
    assert actor.name == "Jane Minister" and actor.description == "someone else's change"


def test_if_match_star_and_weak_tags(editor_client, actor):
    etag = editor_client.get(url("actors", actor.pk))["ETag"]
    assert editor_client.patch(url("actors", actor.pk), {"description": "a"}, HTTP_IF_MATCH="*").status_code == 200
    # A weak tag never matches If-Match (strong comparison).
    etag = editor_client.get(url("actors", actor.pk))["ETag"]
    assert editor_client.patch(url("actors", actor.pk), {"description": "b"},
                               HTTP_IF_MATCH=f"W/{etag}").status_code == 412


def test_created_and_updated_records_carry_their_etag(editor_client, db):
    response = editor_client.post(url("tags"), {"name": "T", "slug": "t"})
    assert response["ETag"] == editor_client.get(response["Location"])["ETag"]


def test_the_etag_is_the_hash_of_the_bytes_served(anon_client, claim):
    """Whoever built the body (the database's JSON or the serializer's), the ETag names its bytes: the
    same representation has the same ETag on both paths, and a write's If-Match compares it."""
    import hashlib

    response = anon_client.get(url("claims", claim.pk))
    assert response["ETag"] == f'"{hashlib.sha256(response.content).hexdigest()[:40]}"'
    services.review_create(claim=claim, reviewer=claim.speaker, rating="false")  # an embedded list grows
    changed = anon_client.get(url("claims", claim.pk))
    assert changed["ETag"] != response["ETag"] and b'"rating":"false"' in changed.content
    assert changed["ETag"] == f'"{hashlib.sha256(changed.content).hexdigest()[:40]}"'
