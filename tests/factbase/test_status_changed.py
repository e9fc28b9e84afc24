"""A claim records when its status last changed and who changed it, for every status (who disputed or
rejected it, who sent it back to unverified), set by every service that changes a status, equal to what
its history says (``check_integrity``), and filled from the history for the claims there were
(migration 0009)."""

import importlib

import pytest
from django.db import IntegrityError, connection, transaction
from django.db.models import Case, Value, When
from django.utils import timezone

from factbase import services
from factbase.integrity import check_integrity
from factbase.models import Claim

pytestmark = pytest.mark.django_db

MIGRATION = importlib.import_module("factbase.migrations.0009_claim_status_changed")


def latest_status_version(claim):
    return claim.history.order_by("-history_date", "-history_id").first()


def test_a_new_claim_has_never_changed_status(claim):
    claim.refresh_from_db()
    assert claim.status_changed_at is None and claim.status_changed_by is None


@pytest.mark.parametrize("status", ["verified", "disputed", "rejected"])
def test_setting_a_status_records_who_and_when_as_the_history_does(claim, editor, status):
    before = timezone.now()
    services.claim_set_status(claim=claim, user=editor, status=status, note="Checked.")
    claim.refresh_from_db()
    assert claim.status_changed_by == editor and claim.status_changed_at >= before
    version = latest_status_version(claim)
    assert (version.status, version.history_date, version.history_user) == (status, claim.status_changed_at, editor)
    if status == "verified":
        assert claim.verified_at == claim.status_changed_at
    [result] = check_integrity(["status_changes"])
    assert result.ok, result.examples


def test_a_new_note_alone_is_not_a_status_change(claim, editor, django_user_model):
    services.claim_set_status(claim=claim, user=editor, status="disputed", note="First look.")
    claim.refresh_from_db()
    first = claim.status_changed_at
    other = django_user_model.objects.create_user("other-editor")
    other.groups.add(*editor.groups.all())
    services.claim_set_status(claim=claim, user=other, status="disputed", note="A second look.")
    claim.refresh_from_db()
    assert (claim.status_changed_at, claim.status_changed_by, claim.status_note) == (first, editor, "A second look.")
    assert check_integrity(["status_changes"])[0].ok


def test_an_edit_that_sends_a_verified_claim_back_records_who_did(claim, editor, contributor):
    services.claim_set_status(claim=claim, user=editor, status="verified")
    services.claim_update(claim=claim, user=contributor, data={"speaker_role": "Former minister"})
    claim.refresh_from_db()
    assert claim.status == "unverified" and claim.status_changed_by == contributor
    assert latest_status_version(claim).history_date == claim.status_changed_at
    # An edit that keeps the status records nothing new.
    when = claim.status_changed_at
    services.claim_update(claim=claim, user=editor, data={"speaker_role": "Minister"})
    claim.refresh_from_db()
    assert (claim.status_changed_at, claim.status_changed_by) == (when, contributor)
    assert check_integrity(["status_changes"])[0].ok


def test_claims_created_many_at_once_with_a_status_record_it(actor, source, editor):
    created, errors = services.claim_create_many(user=editor, items=[
        dict(speaker=actor, source=source, text="one", kind="paraphrase", status="rejected"),
        dict(speaker=actor, source=source, text="two", kind="paraphrase"),
    ])
    assert not errors
    rejected, unverified = (Claim.objects.get(pk=claim.pk) for claim in created)
    assert rejected.status_changed_by == editor and rejected.status_changed_at is not None
    assert unverified.status_changed_at is None and unverified.status_changed_by is None
    assert check_integrity(["status_changes"])[0].ok


def test_the_database_refuses_a_changed_status_without_its_time(claim, editor):
    with pytest.raises(IntegrityError, match="claim_status_changed_has_time"), transaction.atomic():
        Claim.objects.filter(pk=claim.pk).update(status="disputed")
    with pytest.raises(IntegrityError, match="claim_status_changed_has_time"), transaction.atomic():
        Claim.objects.filter(pk=claim.pk).update(status_changed_by=editor)
    Claim.objects.filter(pk=claim.pk).update(status="disputed", status_changed_at=timezone.now())


def test_check_integrity_finds_a_status_change_the_history_does_not_have(claim, editor):
    services.claim_set_status(claim=claim, user=editor, status="disputed")
    Claim.objects.filter(pk=claim.pk).update(status_changed_by=None)
    [result] = check_integrity(["status_changes"])
    assert result.examples == [f"claim #{claim.pk} records another status change (time or user) than the latest "
                               f"in its history"]


def test_the_migration_fills_them_from_the_history(seed, claim, editor, contributor):
    services.claim_set_status(claim=claim, user=editor, status="verified")
    services.claim_set_status(claim=claim, user=editor, status="verified", note="Again, same status.")
    services.claim_update(claim=claim, user=contributor, data={"speaker_role": "Someone else"})  # back: unverified
    other = Claim.objects.exclude(pk=claim.pk).order_by("pk").first()
    services.claim_set_status(claim=other, user=editor, status="rejected")
    expected = dict(Claim.objects.values_list("pk", "status_changed_at"))
    expected_by = dict(Claim.objects.values_list("pk", "status_changed_by_id"))
    assert expected_by[claim.pk] == contributor.pk and expected_by[other.pk] == editor.pk
    assert sum(1 for at in expected.values() if at is not None) == 2  # the seed's claims never changed
    # Wrong values everywhere (a changed status must keep a time: the constraint), then the migration's fill.
    Claim.objects.update(status_changed_by=None, status_changed_at=Case(
        When(status="unverified", then=Value(None)), default=Value(timezone.now())))
    with connection.cursor() as cursor:
        for statement in MIGRATION.FILL:
            cursor.execute(statement)
    assert dict(Claim.objects.values_list("pk", "status_changed_at")) == expected
    assert dict(Claim.objects.values_list("pk", "status_changed_by_id")) == expected_by


def test_the_admins_claim_page_shows_who_changed_the_status_and_when(client, claim, editor):
    services.claim_set_status(claim=claim, user=editor, status="disputed", note="Not in the source.")
    client.force_login(editor)
    page = client.get(f"/admin/factbase/claim/{claim.pk}/change/").content.decode()
    claim.refresh_from_db()
    assert f"Disputed by editor on {claim.status_changed_at:%Y-%m-%d %H:%M} UTC" in page  # "Status set"
    assert 'name="status_changed_at"' not in page  # shown, not editable
