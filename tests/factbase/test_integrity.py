"""``manage.py check_integrity``: the invariants, checked on a live database, and what it says when one
breaks. The faults are made behind the services' back (raw SQL; on PostgreSQL with the triggers off, as
an old backup or a careless script would leave the data), one of each kind."""

import json
from contextlib import contextmanager

import pytest
from django.core.management import call_command
from django.db import connection

from factbase.integrity import CHECKS, check_integrity
from factbase.models import Claim

pytestmark = pytest.mark.django_db


def run(*args):
    """The command's output and exit status."""
    from io import StringIO

    out = StringIO()
    try:
        call_command("check_integrity", *args, stdout=out)
    except SystemExit as exc:
        return out.getvalue(), exc.code
    return out.getvalue(), 0


@contextmanager
def behind_the_services_back():
    """Raw SQL, with PostgreSQL's triggers off (those that keep spans true) for the statements inside."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SET LOCAL session_replication_role = replica")
        yield cursor
        if connection.vendor == "postgresql":
            cursor.execute("SET LOCAL session_replication_role = origin")


def test_the_seed_holds_every_invariant(seed):
    out, status = run()
    assert status == 0, out
    for name in CHECKS:
        assert f"{name}: 0 problem(s)" in out
    assert "spans: 0 problem(s) in 18 record(s)" in out


def test_a_span_that_no_longer_slices_its_text_is_found(seed):
    with behind_the_services_back() as cursor:
        cursor.execute("UPDATE factbase_source SET text = 'XX' || text")
    out, status = run("spans", "--limit", "2")
    assert status == 1
    with_span = Claim.objects.filter(span_start__isnull=False).count()
    assert f"spans: {with_span} problem(s) in {with_span} record(s)" in out
    first = Claim.objects.filter(span_start__isnull=False).order_by("pk").first()
    assert f"claim #{first.pk} (source #{first.source_id})" in out
    assert f"... and {with_span - 2} more" in out


def test_a_direct_quote_without_its_span_is_found(seed):
    quote = Claim.objects.filter(kind="direct_quote", span_start__isnull=False).order_by("pk").first()
    with behind_the_services_back() as cursor:
        cursor.execute("UPDATE factbase_claim SET span_start = NULL, span_end = NULL, span_exact = '' WHERE id = %s",
                       [quote.pk])
    [result] = check_integrity(["quotes"])
    assert result.count == 1 and result.examples == [f"claim #{quote.pk} (source #{quote.source_id}) has no span"]


def test_a_verification_without_its_verifier_is_found(seed):
    claim = Claim.objects.order_by("pk").first()
    with behind_the_services_back() as cursor:
        cursor.execute("UPDATE factbase_claim SET status = 'verified', verified_at = %s, status_changed_at = %s "
                       "WHERE id = %s",
                       ["2022-01-09 10:00:00+00:00", "2022-01-09 10:00:00+00:00", claim.pk])
    [result] = check_integrity(["verification"])
    assert result.examples == [f"claim #{claim.pk} is verified without its verifier"]


def test_changes_the_history_does_not_know_are_found(seed):
    claims = list(Claim.objects.order_by("pk")[:2])
    with behind_the_services_back() as cursor:
        cursor.execute("UPDATE factbase_claim SET speaker_role = 'changed quietly' WHERE id = %s", [claims[0].pk])
        cursor.execute("DELETE FROM factbase_claim_tags WHERE claim_id = %s", [claims[1].pk])
        cursor.execute("DELETE FROM factbase_review")
        cursor.execute("DELETE FROM factbase_historicalactor WHERE id = (SELECT min(id) FROM factbase_actor)")
    [result] = check_integrity(["history"], limit=50)
    text = "\n".join(result.examples)
    assert f"claim #{claims[0].pk}: its latest version in the history is not the record as it is" in text
    assert f"claim #{claims[1].pk}: its tags are not those of its latest version in the history" in text
    assert "actor #" in text and ": no history" in text
    assert "review #" in text and "deleted, but its history does not record the deletion" in text


def test_a_deleted_record_whose_history_does_not_end_in_its_deletion_is_found(seed):
    with behind_the_services_back() as cursor:
        cursor.execute("DELETE FROM factbase_claim_tags WHERE claim_id IN (SELECT id FROM factbase_claim "
                       "WHERE id NOT IN (SELECT claim_id FROM factbase_review))")
        cursor.execute("DELETE FROM factbase_claim WHERE id = (SELECT max(id) FROM factbase_claim "
                       "WHERE id NOT IN (SELECT claim_id FROM factbase_review))")
    [result] = check_integrity(["history"], limit=100)
    assert any(example.endswith("deleted, but its history does not record the deletion") for example in result.examples)


def test_stale_folded_names_are_found(seed):
    with behind_the_services_back() as cursor:
        cursor.execute("UPDATE factbase_tag SET names_folded = 'stale'")
    [result] = check_integrity(["names"])
    assert result.count == 1 and result.examples[0].startswith("tag #")


def test_json_output_and_the_choice_of_checks(seed):
    out, status = run("spans", "verification", "--json")
    assert status == 0
    body = json.loads(out)
    assert list(body) == ["spans", "verification"]
    assert body["spans"]["problems"] == 0 and body["spans"]["checked"] == 18


def test_an_unknown_check_is_refused():
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="Unknown check"):
        call_command("check_integrity", "nope")
