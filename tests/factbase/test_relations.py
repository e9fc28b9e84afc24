"""Relations between claims: the rules (database constraints, ``clean()``, services) and their history."""

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from factbase import services
from factbase.models import Claim, ClaimRelation, Review

pytestmark = pytest.mark.django_db


@pytest.fixture
def claims(actor, source):
    texts = ["We will not raise fuel prices this winter.", "prices will stay frozen", "The minister said"]
    return [services.claim_create(speaker=actor, source=source, text=text) for text in texts]


def test_a_relation_is_created_with_its_history_and_reason(claims, editor):
    a, b, _ = claims
    relation = services.claim_relation_create(claim=a, related_claim=b, type="responds_to", user=editor,
                                              reason="Answer in the same press conference")
    record = relation.history.get()
    assert (record.history_type, record.history_user, record.history_change_reason) == (
        "+", editor, "Answer in the same press conference")


@pytest.mark.parametrize("relation_type", ["same_statement", "contradicts"])
def test_a_symmetric_relation_is_recorded_once_either_way_round(claims, relation_type):
    a, b, _ = claims
    services.claim_relation_create(claim=a, related_claim=b, type=relation_type)
    with pytest.raises(ValidationError) as refused:
        services.claim_relation_create(claim=b, related_claim=a, type=relation_type)
    assert "already" in refused.value.message_dict["related_claim"][0]
    with pytest.raises(ValidationError):
        services.claim_relation_create(claim=a, related_claim=b, type=relation_type)
    assert ClaimRelation.objects.count() == 1


def test_a_directed_relation_may_go_both_ways_but_not_twice(claims):
    a, b, _ = claims
    services.claim_relation_create(claim=a, related_claim=b, type="responds_to")
    services.claim_relation_create(claim=b, related_claim=a, type="responds_to")  # a dialogue
    with pytest.raises(ValidationError) as refused:
        services.claim_relation_create(claim=a, related_claim=b, type="responds_to")
    assert list(refused.value.message_dict) == ["related_claim"]
    services.claim_relation_create(claim=a, related_claim=b, type="contradicts")  # another type
    assert ClaimRelation.objects.count() == 3


def test_a_claim_cannot_be_related_to_itself(claims):
    with pytest.raises(ValidationError) as refused:
        services.claim_relation_create(claim=claims[0], related_claim=claims[0], type="repeats")
    assert "itself" in refused.value.message_dict["related_claim"][0]
    assert not ClaimRelation.objects.exists()


def test_an_unknown_type_is_refused(claims):
    with pytest.raises(ValidationError) as refused:
        services.claim_relation_create(claim=claims[0], related_claim=claims[1], type="agrees_with")
    assert "type" in refused.value.message_dict


def test_the_database_refuses_what_the_services_refuse(claims):
    """Written without the services (a bulk tool, a raw insert): the constraints still hold."""
    a, b, _ = claims
    for kwargs in ({"claim": a, "related_claim": a, "type": "repeats"}, {"claim": a, "related_claim": b, "type": "x"}):
        with pytest.raises(IntegrityError), transaction.atomic():
            ClaimRelation.objects.bulk_create([ClaimRelation(**kwargs)])
    ClaimRelation.objects.bulk_create([ClaimRelation(claim=a, related_claim=b, type="same_statement")])
    with pytest.raises(IntegrityError), transaction.atomic():
        ClaimRelation.objects.bulk_create([ClaimRelation(claim=b, related_claim=a, type="same_statement")])
    with pytest.raises(IntegrityError), transaction.atomic():
        ClaimRelation.objects.bulk_create([ClaimRelation(claim=a, related_claim=b, type="same_statement")])


def test_update_keeps_the_rules_and_a_write_that_changes_nothing_writes_nothing(claims, editor):
    a, b, c = claims
    services.claim_relation_create(claim=a, related_claim=b, type="contradicts")
    relation = services.claim_relation_create(claim=c, related_claim=b, type="repeats")
    with pytest.raises(ValidationError):
        services.claim_relation_update(claim_relation=relation, data={"claim": a, "type": "contradicts"})
    with pytest.raises(ValidationError):
        services.claim_relation_update(claim_relation=relation, data={"claim": b})
    services.claim_relation_update(claim_relation=relation, data={"type": "repeats"}, reason="no-op", user=editor)
    assert relation.history.count() == 1
    services.claim_relation_update(claim_relation=relation, data={"type": "corrects"}, reason="It corrects it",
                                   user=editor)
    relation.refresh_from_db()
    assert relation.type == "corrects"
    assert relation.history.first().history_change_reason == "It corrects it"


def test_deleting_a_claim_deletes_its_relations_with_a_history_record(claims, editor):
    a, b, c = claims
    one = services.claim_relation_create(claim=a, related_claim=b, type="same_statement")
    two = services.claim_relation_create(claim=c, related_claim=a, type="repeats")
    kept = services.claim_relation_create(claim=b, related_claim=c, type="contradicts")
    services.claim_delete(claim=a, user=editor, reason="Duplicate entry")
    assert list(ClaimRelation.objects.all()) == [kept]
    for relation in (one, two):
        deleted = ClaimRelation.history.filter(id=relation.pk, history_type="-").get()
        assert deleted.history_user == editor
        assert deleted.history_change_reason == f"Claim #{a.pk} deleted: Duplicate entry"
    assert Claim.history.filter(id=a.pk, history_type="-").get().history_change_reason == "Duplicate entry"


def test_a_claim_that_reviews_protect_keeps_its_relations(claims, actor):
    a, b, _ = claims
    services.claim_relation_create(claim=a, related_claim=b, type="same_statement")
    Review.objects.create(claim=a, reviewer=actor, rating="false")
    with pytest.raises(services.DeleteProtected):
        services.claim_delete(claim=a)
    assert ClaimRelation.objects.count() == 1
    assert not ClaimRelation.history.filter(history_type="-").exists()


def test_every_service_takes_a_bounded_reason(claims, editor):
    a, *_ = claims
    services.claim_update(claim=a, data={"speaker_role": "Minister"}, user=editor, reason="Role from the article")
    assert a.history.first().history_change_reason == "Role from the article"
    with pytest.raises(ValidationError) as refused:
        services.claim_update(claim=a, data={"speaker_role": "x"}, user=editor, reason="x" * 2001)
    assert "change_reason" in refused.value.message_dict
    a.refresh_from_db()
    assert a.speaker_role == "Minister"
    services.claim_set_status(claim=a, user=editor, status="verified", reason="Checked on the video")
    assert a.history.first().history_change_reason == "Checked on the video"
    # A reason alone changes nothing: nothing is written.
    count = a.history.count()
    services.claim_update(claim=a, data={"speaker_role": "Minister"}, user=editor, reason="again")
    assert a.history.count() == count


def test_check_integrity_holds_relations_to_their_history(claims, editor):
    from factbase.integrity import check_integrity

    a, b, _ = claims
    relation = services.claim_relation_create(claim=a, related_claim=b, type="repeats", user=editor)
    services.claim_delete(claim=claims[2], user=editor)
    [result] = check_integrity(["history"])
    assert result.ok, result.examples
    ClaimRelation.objects.filter(pk=relation.pk).update(type="corrects")  # behind the services' back
    [result] = check_integrity(["history"])
    assert f"claim relation #{relation.pk}: its latest version in the history is not the record as it is" in (
        result.examples)


def test_a_reason_at_its_limit_may_be_added_to(claims, editor):
    """The services add to a given reason (a claim sent back to unverified says why): only what the user
    gave is held to the limit."""
    a, *_ = claims
    services.claim_set_status(claim=a, user=editor, status="verified", note="n" * 2000)  # "Status set to ...: n..."
    services.claim_update(claim=a, data={"speaker_role": "Minister"}, user=editor, reason="r" * 2000)
    record = a.history.first()
    assert record.history_change_reason.startswith("r" * 2000) and "Back to unverified" in record.history_change_reason
