"""What the API does with the writes that used to lose data silently: emptying a quoted text, deleting a
tag that claims carry, a write that changes nothing, a record past the size limits."""

import pytest

from factbase import services
from factbase.models import Claim, Source, Tag, limits

from .helpers import url


def test_emptying_a_quoted_text_is_refused(editor_client, claim, source):
    for text in ("", "  "):
        response = editor_client.patch(url("sources", source.pk), {"text": text}, format="json")
        assert response.status_code == 400, response.content
        assert "cannot be emptied" in response.json()["text"][0]
        assert f"#{claim.pk}" in response.json()["text"][0]
    source.refresh_from_db()
    claim.refresh_from_db()
    assert source.text[claim.span_start:claim.span_end] == claim.span_exact


def test_deleting_a_tag_is_recorded_in_the_history_of_its_claims(editor_client, claim, editor):
    tag = services.tag_create(name="Fuel", slug="fuel")
    services.claim_update(claim=claim, user=editor, data={"tags": [tag]})
    assert editor_client.delete(url("tags", tag.pk)).status_code == 204
    assert not Tag.objects.filter(pk=tag.pk).exists()
    history = editor_client.get(url("claims", claim.pk, "history")).json()["results"]
    latest = history[0]
    assert latest["type"] == "changed" and latest["user"] == "editor"
    assert latest["reason"] == "Tag “Fuel” (fuel) deleted"
    assert {"field": "tags", "old": [tag.pk], "new": []} in latest["changes"]
    assert editor_client.get(url("claims", claim.pk)).json()["tags"] == []


@pytest.mark.parametrize("resource", ["claims", "sources", "actors"])
def test_a_write_that_changes_nothing_writes_nothing(editor_client, claim, resource):
    record = {"claims": claim, "sources": claim.source, "actors": claim.speaker}[resource]
    before = editor_client.get(url(resource, record.pk))
    history = editor_client.get(url(resource, record.pk, "history")).json()["results"]
    same = {"claims": {"text": claim.text}, "sources": {"title": claim.source.title},
            "actors": {"name": claim.speaker.name}}[resource]
    for body in ({}, same):
        response = editor_client.patch(url(resource, record.pk), body, format="json", HTTP_IF_MATCH=before["ETag"])
        assert response.status_code == 200, response.content
        assert response["ETag"] == before["ETag"]
        assert response.json() == before.json()
    assert editor_client.get(url(resource, record.pk, "history")).json()["results"] == history


def test_a_change_after_a_write_that_changed_nothing_still_matches_the_etag(editor_client, claim):
    """The case of the report: PATCH {} made every other editor's If-Match fail."""
    etag = editor_client.get(url("claims", claim.pk))["ETag"]
    editor_client.patch(url("claims", claim.pk), {}, format="json")
    response = editor_client.patch(url("claims", claim.pk), {"speaker_role": "Minister"}, format="json",
                                   HTTP_IF_MATCH=etag)
    assert response.status_code == 200, response.content


@pytest.mark.parametrize("resource, field, limit, make", [
    ("claims", "text", limits.CLAIM_TEXT_MAX_LENGTH, None),
    ("claims", "passage", limits.PASSAGE_MAX_LENGTH, None),
    ("sources", "text", limits.SOURCE_TEXT_MAX_LENGTH, None),
    ("actors", "name", limits.NAME_MAX_LENGTH, None),
    ("actors", "aliases", limits.NAME_MAX_LENGTH, "item"),
    ("actors", "aliases", limits.NAMES_MAX_COUNT, "list"),
    ("sources", "authors", limits.NAMES_MAX_COUNT, "list"),
    ("reviews", "summary", limits.SUMMARY_MAX_LENGTH, None),
])
def test_a_record_past_a_limit_is_refused_naming_the_field(editor_client, claim, resource, field, limit, make, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 10_000_000
    if make == "item":
        value = ["a" * (limit + 1)]
    elif make == "list":
        value = [f"Name {i}" for i in range(limit + 1)]
    else:
        value = "w" * (limit + 1)
    body = {
        "claims": {"speaker": claim.speaker_id, "source": claim.source_id, "kind": "paraphrase", "text": "Said."},
        "sources": {"title": "Another"},
        "actors": {"name": "Someone"},
        "reviews": {"claim": claim.pk, "source": claim.source_id, "rating": "false"},
    }[resource]
    counts = (Claim.objects.count(), Source.objects.count())
    response = editor_client.post(url(resource), {**body, field: value}, format="json")
    assert response.status_code == 400, response.content[:300]
    assert field in response.json(), response.json()
    assert (Claim.objects.count(), Source.objects.count()) == counts


def test_the_limits_are_in_the_schema(anon_client, db):
    schema = anon_client.get("/api/v1/schema/?format=json").json()["components"]["schemas"]
    assert schema["ClaimRequest"]["properties"]["text"]["maxLength"] == limits.CLAIM_TEXT_MAX_LENGTH
    assert schema["ClaimRequest"]["properties"]["passage"]["maxLength"] == limits.PASSAGE_MAX_LENGTH
    assert schema["SourceRequest"]["properties"]["text"]["maxLength"] == limits.SOURCE_TEXT_MAX_LENGTH
    assert schema["ActorRequest"]["properties"]["aliases"]["maxItems"] == limits.NAMES_MAX_COUNT
    assert schema["ActorRequest"]["properties"]["aliases"]["items"]["maxLength"] == limits.NAME_MAX_LENGTH
    assert schema["ReviewRequest"]["properties"]["summary"]["maxLength"] == limits.SUMMARY_MAX_LENGTH


def test_the_docs_give_the_limits(db):
    from pathlib import Path

    page = (Path(__file__).resolve().parents[3] / "docs" / "domain.md").read_text(encoding="utf-8")
    for name in ("CLAIM_TEXT_MAX_LENGTH", "PASSAGE_MAX_LENGTH", "SOURCE_TEXT_MAX_LENGTH", "NOTE_MAX_LENGTH",
                 "SUMMARY_MAX_LENGTH", "NAME_MAX_LENGTH", "NAMES_MAX_COUNT", "CHANGE_REASON_MAX_LENGTH"):
        assert f"| `{name}` | {getattr(limits, name):,} |" in page, name


def test_a_speaker_name_in_any_unicode_form_finds_the_claims(anon_client, seed):
    plain = anon_client.get(url("claims"), {"speaker_name": "tokayev"}).json()["results"]
    assert plain
    for form in ("ＴＯＫＡＹＥＶ", "Ｔｏｋａｙｅｖ", "TOKAYEV"):
        found = anon_client.get(url("claims"), {"speaker_name": form}).json()["results"]
        assert [c["id"] for c in found] == [c["id"] for c in plain], form


def test_a_write_that_lost_a_deadlock_is_a_409_to_send_again(editor_client, claim, monkeypatch):
    """PostgreSQL breaks a deadlock by rolling one transaction back: that request answers 409, not 503."""
    import psycopg.errors
    from django.db import OperationalError

    from factbase import services as service_module

    def deadlocked(**kwargs):
        try:
            raise psycopg.errors.DeadlockDetected("deadlock detected")
        except psycopg.errors.DeadlockDetected as exc:
            raise OperationalError("deadlock detected") from exc

    monkeypatch.setattr(service_module, "claim_update", deadlocked)
    response = editor_client.patch(url("claims", claim.pk), {"speaker_role": "Minister"}, format="json")
    assert response.status_code == 409
    assert "send it again" in response.json()["detail"]
