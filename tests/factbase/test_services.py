"""The write services: rules that span rows or depend on who asks, atomicity, and the change history."""

from datetime import date, timedelta

import pytest
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from factbase import selectors, services
from factbase.integrity import check_integrity
from factbase.models import Actor, Claim, Outlet, Review, Source, Tag
from factbase.models import limits
from factbase.services import DeleteProtected
from tests.conftest import SAMPLE_TEXT

pytestmark = pytest.mark.django_db


QUOTE = "We will not raise fuel prices this winter."  # the conftest claim's text
FIRST_FROZEN = SAMPLE_TEXT.index("prices   will stay frozen")
SECOND_FROZEN = SAMPLE_TEXT.index("prices will stay frozen")


def history_count(model):
    return model.history.model.objects.count()


def row_counts():
    """Rows and history rows of every domain model: what a failed service must leave untouched."""
    counts = {}
    for model in (Actor, Outlet, Tag, Source, Claim, Review):
        counts[model.__name__] = model.objects.count()
        counts[model.__name__ + " history"] = history_count(model)
    counts["claim tags"] = Claim.tags.through.objects.count()
    return counts


def snapshot(claim):
    claim = Claim.objects.get(pk=claim.pk)
    return {f.attname: getattr(claim, f.attname) for f in Claim._meta.concrete_fields} | {
        "tags": sorted(claim.tags.values_list("pk", flat=True))}


@pytest.fixture
def verified_claim(claim, editor):
    return services.claim_set_status(claim=claim, user=editor, status="verified")


@pytest.fixture
def other_actor(db):
    return services.actor_create(name="John Critic", kind="person")


@pytest.fixture
def outlet(db):
    return services.outlet_create(name="Khabar 24", kind="broadcaster")


@pytest.fixture
def tag(db):
    return services.tag_create(name="Fuel prices", slug="fuel-prices")


# --- claim_create --------------------------------------------------------------------------------

class TestClaimCreate:
    def test_a_direct_quote_is_stored_with_its_span(self, actor, source, editor):
        claim = services.claim_create(user=editor, speaker=actor, source=source,
                                      text='"We will not raise fuel prices this winter."')
        claim.refresh_from_db()
        assert claim.span_exact == "“We will not raise fuel prices this winter.”"
        assert source.text[claim.span_start:claim.span_end] == claim.span_exact
        assert claim.status == "unverified" and claim.verified_at is None and claim.verified_by is None

    def test_a_quote_missing_from_the_source_saves_nothing(self, actor, source, editor):
        before = row_counts()
        with pytest.raises(ValidationError) as excinfo:
            services.claim_create(user=editor, speaker=actor, source=source, text="We will raise fuel prices.")
        assert "text" in excinfo.value.message_dict
        assert "does not occur in the source text" in excinfo.value.message_dict["text"][0]
        assert row_counts() == before

    def test_the_span_hint_picks_the_second_occurrence(self, actor, source):
        first = services.claim_create(speaker=actor, source=source, text="prices will stay frozen")
        second = services.claim_create(speaker=actor, source=source, text="prices will stay frozen",
                                       span_hint=SECOND_FROZEN)
        assert (first.span_start, first.span_exact) == (FIRST_FROZEN, "prices   will stay frozen")
        assert (second.span_start, second.span_exact) == (SECOND_FROZEN, "prices will stay frozen")
        second.refresh_from_db()
        assert source.text[second.span_start:second.span_end] == second.span_exact

    def test_a_paraphrase_stores_the_passage_as_the_source_has_it(self, actor, source):
        claim = services.claim_create(speaker=actor, source=source, kind="paraphrase",
                                      text="The minister ruled out a fuel price rise.",
                                      span_exact='said: "We will not raise fuel prices this winter."')
        assert claim.span_exact == "said: “We will not raise fuel prices this winter.”"
        assert source.text[claim.span_start:claim.span_end] == claim.span_exact

    def test_a_paraphrase_passage_missing_from_the_source_saves_nothing(self, actor, source):
        before = row_counts()
        with pytest.raises(ValidationError) as excinfo:
            services.claim_create(speaker=actor, source=source, kind="paraphrase", text="Prices go up.",
                                  span_exact="prices will go up")
        assert list(excinfo.value.message_dict) == ["span_exact"]
        assert row_counts() == before

    def test_tags_are_set(self, actor, source, tag):
        claim = services.claim_create(speaker=actor, source=source, text=QUOTE, tags=[tag])
        assert list(claim.tags.all()) == [tag]

    def test_an_impossible_date_saves_nothing(self, actor, source):
        before = row_counts()
        with pytest.raises(ValidationError) as excinfo:
            services.claim_create(speaker=actor, source=source, text=QUOTE, stated_on=date(2022, 1, 7),
                                  stated_on_precision="month")
        assert "stated_on" in excinfo.value.message_dict
        assert row_counts() == before

    def test_a_failure_after_the_claim_is_written_leaves_no_claim(self, actor, source):
        """Atomicity: the tags are set after the claim row is saved; if that fails, no claim stays."""
        before = row_counts()
        unsaved_tag = Tag(name="Never saved", slug="never-saved")
        with pytest.raises(ValueError):
            services.claim_create(speaker=actor, source=source, text=QUOTE, tags=[unsaved_tag])
        assert row_counts() == before


# --- claim_set_status ----------------------------------------------------------------------------

class TestClaimSetStatus:
    def test_an_editor_verifies_a_claim(self, claim, editor):
        before = timezone.now()
        result = services.claim_set_status(claim=claim, user=editor, status="verified", note="Checked the text.")
        claim.refresh_from_db()
        assert claim.status == "verified"
        assert claim.verified_by == editor
        assert before <= claim.verified_at <= timezone.now()
        assert claim.status_note == "Checked the text."
        assert result.pk == claim.pk and result.status == "verified"

    def test_a_superuser_may_set_a_status(self, claim, superuser):
        services.claim_set_status(claim=claim, user=superuser, status="disputed")
        claim.refresh_from_db()
        assert claim.status == "disputed"

    @pytest.mark.parametrize("who", ["contributor", "reader", "anonymous", "nobody", "inactive editor"])
    def test_without_the_permission_the_status_is_refused(self, request, claim, who):
        if who == "anonymous":
            user = AnonymousUser()
        elif who == "nobody":
            user = None
        elif who == "inactive editor":
            user = request.getfixturevalue("editor")
            user.is_active = False
            user.save()
        else:
            user = request.getfixturevalue(who)
        before, history_before = snapshot(claim), claim.history.count()
        for status in ("verified", "disputed", "rejected"):
            with pytest.raises(PermissionDenied, match="verify claim"):
                services.claim_set_status(claim=claim, user=user, status=status)
        assert snapshot(claim) == before
        assert claim.history.count() == history_before

    def test_the_contributor_group_lacks_the_permission_and_the_editor_group_has_it(self, editor, contributor):
        assert services.can_set_claim_status(editor)
        assert not services.can_set_claim_status(contributor)

    @pytest.mark.parametrize("status", ["disputed", "rejected", "unverified"])
    def test_another_status_clears_the_verification(self, verified_claim, editor, status):
        assert verified_claim.verified_at is not None
        services.claim_set_status(claim=verified_claim, user=editor, status=status, note="The source misquotes.")
        verified_claim.refresh_from_db()
        assert verified_claim.status == status
        assert verified_claim.verified_at is None and verified_claim.verified_by is None
        assert verified_claim.status_note == "The source misquotes."

    def test_verifying_again_records_the_new_verifier(self, verified_claim, superuser):
        first_time = verified_claim.verified_at
        services.claim_set_status(claim=verified_claim, user=superuser, status="verified", note="Re-checked.")
        verified_claim.refresh_from_db()
        assert verified_claim.verified_by == superuser
        assert verified_claim.verified_at >= first_time

    @pytest.mark.parametrize("status", ["approved", "", "VERIFIED", None])
    def test_an_unknown_status_is_refused(self, claim, editor, status):
        before = snapshot(claim)
        with pytest.raises(ValidationError) as excinfo:
            services.claim_set_status(claim=claim, user=editor, status=status)
        assert "status" in excinfo.value.message_dict
        assert snapshot(claim) == before

    def test_the_status_change_is_in_the_history(self, claim, editor):
        count = claim.history.count()
        services.claim_set_status(claim=claim, user=editor, status="rejected", note="Not said.")
        assert claim.history.count() == count + 1
        latest = claim.history.first()
        assert latest.history_user == editor
        assert latest.status == "rejected"
        assert "rejected" in latest.history_change_reason
        assert claim.history.last().status == "unverified"


# --- claim_update --------------------------------------------------------------------------------

def _new_source():
    return services.source_create(title="A copy", url="https://example.org/copy", text=SAMPLE_TEXT)


ATTRIBUTION_CHANGES = {
    "text": lambda ctx: {"text": "the promise was empty"},
    "speaker": lambda ctx: {"speaker": ctx["other_actor"]},
    "speaker_role": lambda ctx: {"speaker_role": "Former Minister of Energy"},
    "stated_on": lambda ctx: {"stated_on": date(2022, 1, 6)},
    "kind": lambda ctx: {"kind": "paraphrase"},
    "source": lambda ctx: {"source": _new_source()},
}


class TestClaimUpdate:
    @pytest.mark.parametrize("field", list(ATTRIBUTION_CHANGES))
    def test_changing_what_was_verified_sends_the_claim_back_to_unverified(
            self, verified_claim, editor, other_actor, field):
        data = ATTRIBUTION_CHANGES[field]({"other_actor": other_actor})
        services.claim_update(claim=verified_claim, user=editor, data=data)
        claim = Claim.objects.get(pk=verified_claim.pk)
        assert claim.status == "unverified"
        assert claim.verified_at is None and claim.verified_by is None
        assert claim.status_note == f"Back to unverified: {field} changed after verification."
        assert claim.history.first().history_change_reason == claim.status_note
        for name, value in data.items():
            assert getattr(claim, name) == value

    def test_changing_only_the_precision_sends_it_back_to_unverified(self, claim, editor):
        services.claim_update(claim=claim, user=editor, data={"stated_on": date(2022, 1, 1)})
        services.claim_set_status(claim=claim, user=editor, status="verified")
        services.claim_update(claim=claim, user=editor, data={"stated_on_precision": "month"})
        claim.refresh_from_db()
        assert (claim.stated_on, claim.stated_on_precision) == (date(2022, 1, 1), "month")
        assert claim.status == "unverified" and claim.verified_at is None
        assert "stated_on_precision" in claim.status_note

    def test_removing_the_date_removes_the_precision_and_unverifies(self, verified_claim, editor):
        services.claim_update(claim=verified_claim, user=editor, data={"stated_on": None})
        claim = Claim.objects.get(pk=verified_claim.pk)
        assert (claim.stated_on, claim.stated_on_precision) == (None, "")
        assert claim.status == "unverified"
        assert "stated_on" in claim.status_note and "stated_on_precision" in claim.status_note

    def test_the_note_lists_every_changed_field(self, verified_claim, editor, other_actor):
        services.claim_update(claim=verified_claim, user=editor,
                              data={"speaker": other_actor, "speaker_role": "Critic"})
        verified_claim.refresh_from_db()
        assert verified_claim.status_note == "Back to unverified: speaker, speaker_role changed after verification."

    def test_changing_the_outlet_or_tags_keeps_it_verified(self, verified_claim, editor, outlet, tag):
        verified = (verified_claim.verified_by_id, verified_claim.verified_at)
        services.claim_update(claim=verified_claim, user=editor, data={"outlet": outlet})
        services.claim_update(claim=verified_claim, user=editor, data={"tags": [tag]})
        claim = Claim.objects.get(pk=verified_claim.pk)
        assert claim.status == "verified"
        assert (claim.verified_by_id, claim.verified_at) == verified
        assert claim.outlet == outlet and list(claim.tags.all()) == [tag]

    def test_writing_the_same_values_keeps_it_verified(self, verified_claim, editor):
        services.claim_update(claim=verified_claim, user=editor, data={
            "text": verified_claim.text, "speaker_role": verified_claim.speaker_role,
            "stated_on": verified_claim.stated_on, "speaker": verified_claim.speaker})
        verified_claim.refresh_from_db()
        assert verified_claim.status == "verified"

    def test_an_unverified_claim_stays_unverified_without_a_note(self, claim, editor):
        services.claim_update(claim=claim, user=editor, data={"speaker_role": "Minister"})
        claim.refresh_from_db()
        assert claim.speaker_role == "Minister"
        assert claim.status == "unverified" and claim.status_note == ""

    @pytest.mark.parametrize("data", [
        {"status": "verified"}, {"status": "rejected", "text": "the promise was empty"},
        {"verified_at": timezone.now()},
    ])
    def test_the_status_cannot_be_changed_here(self, claim, editor, data):
        before = snapshot(claim)
        with pytest.raises(ValidationError, match="claim_set_status") as excinfo:
            services.claim_update(claim=claim, user=editor, data=data)
        assert "status" in excinfo.value.message_dict
        assert snapshot(claim) == before

    def test_an_unknown_field_is_refused(self, claim, editor):
        with pytest.raises(ValidationError) as excinfo:
            services.claim_update(claim=claim, user=editor, data={"color": "red"})
        assert "color" in excinfo.value.message_dict

    def test_a_date_given_as_text_equal_to_the_stored_one_keeps_it_verified(self, verified_claim, editor):
        stored = verified_claim.stated_on.isoformat()
        updated = services.claim_update(claim=verified_claim, user=editor, data={"stated_on": stored})
        assert updated.status == "verified"

    def test_a_malformed_date_is_refused_by_field(self, claim, editor):
        with pytest.raises(ValidationError) as excinfo:
            services.claim_update(claim=claim, user=editor, data={"stated_on": "2022-02-30"})
        assert "stated_on" in excinfo.value.message_dict

    def test_a_text_not_in_the_source_is_refused_and_nothing_changes(self, verified_claim, editor, outlet):
        before = snapshot(verified_claim)
        history_before = history_count(Claim)
        with pytest.raises(ValidationError) as excinfo:
            services.claim_update(claim=verified_claim, user=editor,
                                  data={"text": "We will raise prices.", "outlet": outlet})
        assert "text" in excinfo.value.message_dict
        assert snapshot(verified_claim) == before
        assert history_count(Claim) == history_before

    def test_a_failure_after_the_claim_is_written_leaves_it_as_it_was(self, verified_claim, editor):
        """Atomicity: tags are set after the row is saved; when that fails the row is not changed."""
        before = snapshot(verified_claim)
        counts = row_counts()
        with pytest.raises(ValueError):
            services.claim_update(claim=verified_claim, user=editor, data={
                "speaker_role": "Someone else", "tags": [Tag(name="Unsaved", slug="unsaved")]})
        assert snapshot(verified_claim) == before
        assert row_counts() == counts

    def test_the_span_hint_moves_a_quote_to_another_occurrence(self, actor, source, editor):
        claim = services.claim_create(speaker=actor, source=source, text="prices will stay frozen")
        assert claim.span_start == FIRST_FROZEN
        services.claim_update(claim=claim, user=editor, data={"span_hint": SECOND_FROZEN})
        claim.refresh_from_db()
        assert (claim.span_start, claim.span_exact) == (SECOND_FROZEN, "prices will stay frozen")


# --- deletes -------------------------------------------------------------------------------------

class TestDelete:
    def test_an_actor_with_claims_cannot_be_deleted(self, claim, actor, source, editor):
        services.claim_create(speaker=actor, source=source, text="the promise was empty")
        before = row_counts()
        with pytest.raises(DeleteProtected) as excinfo:
            services.actor_delete(actor=actor, user=editor)
        assert "2 claims" in excinfo.value.message
        assert "2 claims" in str(excinfo.value)
        assert excinfo.value.blocking == {"claims": 2}
        assert row_counts() == before
        assert Actor.objects.filter(pk=actor.pk).exists()

    def test_an_actor_that_wrote_a_review_cannot_be_deleted(self, claim, other_actor, editor):
        services.review_create(claim=claim, reviewer=other_actor, rating="false")
        with pytest.raises(DeleteProtected) as excinfo:
            services.actor_delete(actor=other_actor, user=editor)
        assert excinfo.value.blocking == {"reviews": 1}
        assert "1 reviews" in excinfo.value.message

    def test_an_actor_without_claims_is_deleted_with_its_history(self, other_actor, editor):
        pk = other_actor.pk
        services.actor_delete(actor=other_actor, user=editor)
        assert not Actor.objects.filter(pk=pk).exists()
        deleted = Actor.history.filter(id=pk).first()
        assert deleted.history_type == "-" and deleted.history_user == editor

    def test_an_outlet_with_claims_cannot_be_deleted(self, claim, outlet, editor):
        services.claim_update(claim=claim, user=editor, data={"outlet": outlet})
        before = row_counts()
        with pytest.raises(DeleteProtected) as excinfo:
            services.outlet_delete(outlet=outlet, user=editor)
        assert "1 claims" in excinfo.value.message
        assert row_counts() == before

    def test_an_outlet_that_published_a_source_cannot_be_deleted(self, outlet, editor):
        services.source_create(title="Evening news", outlet=outlet)
        with pytest.raises(DeleteProtected) as excinfo:
            services.outlet_delete(outlet=outlet, user=editor)
        assert excinfo.value.blocking == {"sources": 1}
        assert Outlet.objects.filter(pk=outlet.pk).exists()

    def test_an_outlet_nothing_points_to_is_deleted(self, outlet, editor):
        services.outlet_delete(outlet=outlet, user=editor)
        assert not Outlet.objects.exists()

    def test_a_source_with_claims_cannot_be_deleted(self, claim, source, editor):
        before = row_counts()
        with pytest.raises(DeleteProtected) as excinfo:
            services.source_delete(source=source, user=editor)
        assert "1 claims" in excinfo.value.message
        assert excinfo.value.blocking == {"claims": 1}
        assert row_counts() == before

    def test_a_source_nothing_points_to_is_deleted(self, source, editor):
        services.source_delete(source=source, user=editor)
        assert not Source.objects.exists()
        assert Source.history.first().history_type == "-"

    def test_a_review_blocks_deleting_its_claim(self, claim, source, editor):
        review = services.review_create(user=editor, claim=claim, source=source, rating="unsupported",
                                        rating_text="there is no evidence")
        before = row_counts()
        with pytest.raises(DeleteProtected) as excinfo:
            services.claim_delete(claim=claim, user=editor)
        assert "1 reviews" in excinfo.value.message
        assert row_counts() == before
        # once the review is gone, the claim can go
        services.review_delete(review=review, user=editor)
        services.claim_delete(claim=claim, user=editor)
        assert not Claim.objects.exists()

    def test_the_source_of_a_review_cannot_be_deleted(self, claim, editor):
        published_in = services.source_create(title="Fact check")
        services.review_create(claim=claim, source=published_in, rating="false")
        with pytest.raises(DeleteProtected) as excinfo:
            services.source_delete(source=published_in, user=editor)
        assert excinfo.value.blocking == {"reviews": 1}

    def test_deleting_a_tag_untags_its_claims_and_their_history_says_so(self, claim, tag, editor, actor, source):
        other_tag = services.tag_create(name="Energy", slug="energy")
        untagged = services.claim_create(speaker=actor, source=source, text="prices will stay frozen")
        services.claim_update(claim=claim, user=editor, data={"tags": [tag, other_tag]})
        before = claim.history.count()
        updated_at = Claim.objects.get(pk=claim.pk).updated_at
        services.tag_delete(tag=tag, user=editor)
        claim.refresh_from_db()
        assert list(claim.tags.all()) == [other_tag]
        assert claim.updated_at > updated_at  # a mirror that follows changes sees the claim change
        assert claim.history.count() == before + 1
        latest = claim.history.first()
        assert latest.history_type == "~" and latest.history_user == editor
        assert latest.history_change_reason == f"Tag “{tag.name}” ({tag.slug}) deleted"
        assert [t.tag_id for t in latest.tags.all()] == [other_tag.pk]  # the tags after the change
        changes = selectors.history_changes(latest, latest.prev_record)
        assert {"field": "tags", "old": sorted([tag.pk, other_tag.pk]), "new": [other_tag.pk]} in changes
        assert untagged.history.count() == 1  # a claim without the tag is not touched
        assert check_integrity(["history"])[0].ok

    def test_deleting_a_tag_on_many_claims_records_each(self, actor, source, editor, monkeypatch):
        tag = services.tag_create(name="Fuel", slug="fuel")
        claims = [services.claim_create(speaker=actor, source=source, text="prices will stay frozen", tags=[tag])
                  for _ in range(5)]
        monkeypatch.setattr(services.records, "BULK_BATCH_SIZE", 2)  # the claims are recorded in batches
        record = services.records._record_tags_changed
        batches = []
        monkeypatch.setattr(services.records, "_record_tags_changed",
                            lambda ids, **kwargs: (batches.append(len(ids)), record(ids, **kwargs)))
        services.tag_delete(tag=tag, user=editor)
        assert batches == [2, 2, 1]  # the last batch, shorter, is recorded too
        for claim in claims:
            assert claim.history.count() == 2 and not claim.tags.exists()
        assert check_integrity(["history"])[0].ok


# --- source_update -------------------------------------------------------------------------------

class TestSourceUpdate:
    def test_inserting_text_before_a_claim_moves_its_span(self, claim, source, editor):
        old_start = claim.span_start
        inserted = "Editor’s note: this article was updated.\n\n"
        services.source_update(source=source, user=editor, data={"text": inserted + source.text})
        claim.refresh_from_db()
        source.refresh_from_db()
        assert claim.span_start == old_start + len(inserted)
        assert source.text[claim.span_start:claim.span_end] == claim.span_exact == QUOTE
        latest = claim.history.first()
        assert latest.history_user == editor
        assert latest.span_start == claim.span_start
        assert latest.history_change_reason == services.RELOCATED_REASON

    def test_a_paraphrase_passage_moves_too(self, actor, source, editor):
        claim = services.claim_create(speaker=actor, source=source, kind="paraphrase",
                                      text="Critics called the promise empty.",
                                      span_exact="the promise was empty")
        old_start = claim.span_start
        services.source_update(source=source, user=editor, data={"text": "PREFIX " + source.text})
        claim.refresh_from_db()
        assert claim.span_start == old_start + len("PREFIX ")
        assert Source.objects.get(pk=source.pk).text[claim.span_start:claim.span_end] == "the promise was empty"

    @pytest.mark.parametrize("edit, first_shift, second_shift", [
        # text inserted before both occurrences: both move by its length
        (lambda t: "An introduction of some forty characters.\n" + t, 42, 42),
        # text removed before both
        (lambda t: t.replace("The minister said: ", "", 1), -19, -19),
        # a long insertion between the two: only the second moves
        (lambda t: t.replace(", and repeated:", ", and, after a long pause of several seconds, repeated:"), 0, 40),
    ])
    def test_a_repeated_phrase_keeps_pointing_at_its_own_occurrence(
            self, actor, source, editor, edit, first_shift, second_shift):
        first = services.claim_create(speaker=actor, source=source, text="prices will stay frozen")
        second = services.claim_create(speaker=actor, source=source, text="prices will stay frozen",
                                       span_hint=SECOND_FROZEN)
        new_text = edit(source.text)
        services.source_update(source=source, user=editor, data={"text": new_text})
        first.refresh_from_db()
        second.refresh_from_db()
        assert (first.span_start, first.span_exact) == (FIRST_FROZEN + first_shift, "prices   will stay frozen")
        assert (second.span_start, second.span_exact) == (SECOND_FROZEN + second_shift, "prices will stay frozen")
        for claim in (first, second):
            assert new_text[claim.span_start:claim.span_end] == claim.span_exact

    def test_an_edit_after_a_claim_leaves_its_span(self, claim, source, editor):
        span = claim.span
        services.source_update(source=source, user=editor, data={"text": source.text + "\nA new paragraph."})
        claim.refresh_from_db()
        assert claim.span == span

    def test_removing_a_quoted_phrase_is_refused_and_nothing_is_saved(self, claim, source, editor):
        paraphrase = services.claim_create(speaker=claim.speaker, source=source, kind="paraphrase",
                                           text="Critics doubted it.", span_exact="the promise was empty")
        before = row_counts()
        spans = {c.pk: c.span for c in Claim.objects.all()}
        new_text = "A preface.\n" + source.text.replace("raise fuel prices", "raise the fuel prices")
        with pytest.raises(ValidationError) as excinfo:
            services.source_update(source=source, user=editor, data={"text": new_text, "title": "Renamed"})
        message = excinfo.value.message_dict["text"][0]
        assert f"#{claim.pk}" in message and f"#{paraphrase.pk}" not in message
        assert "1 claim" in message
        source.refresh_from_db()
        assert source.text == SAMPLE_TEXT and source.title == "Fuel prices frozen"
        assert {c.pk: c.span for c in Claim.objects.all()} == spans
        assert row_counts() == before

    def test_changing_other_fields_does_not_touch_the_claims(self, claim, source, editor):
        count = claim.history.count()
        services.source_update(source=source, user=editor, data={"title": "Fuel prices stay frozen"})
        assert claim.history.count() == count
        assert Source.objects.get(pk=source.pk).title == "Fuel prices stay frozen"
        assert source.history.first().history_user == editor

    def test_emptying_the_text_that_claims_quote_is_refused(self, claim, source, editor):
        """Losing quoted words is refused everywhere; emptying the text would lose them all."""
        paraphrase = services.claim_create(speaker=claim.speaker, source=source, kind="paraphrase",
                                           text="Critics doubted it.", span_exact="the promise was empty")
        for empty in ("", "   \n "):
            with pytest.raises(ValidationError) as excinfo:
                services.source_update(source=source, user=editor, data={"text": empty})
            message = excinfo.value.message_dict["text"][0]
            assert "cannot be emptied" in message and f"#{claim.pk}" in message and f"#{paraphrase.pk}" in message
        source.refresh_from_db()
        claim.refresh_from_db()
        assert source.text == SAMPLE_TEXT
        assert source.text[claim.span_start:claim.span_end] == claim.span_exact

    def test_a_text_without_quotes_on_it_may_be_emptied(self, actor, source, editor):
        services.claim_create(speaker=actor, source=source, kind="paraphrase", text="Prices stay as they are.")
        services.source_update(source=source, user=editor, data={"text": ""})
        assert Source.objects.get(pk=source.pk).text == ""

    def test_only_the_claims_whose_span_moved_are_written(self, claim, source, actor, editor):
        later = services.claim_create(speaker=actor, source=source, text="prices will stay frozen",
                                      span_hint=SECOND_FROZEN)
        counts = {c.pk: c.history.count() for c in (claim, later)}
        # an edit between the two quotes: the first stays where it is, the second moves
        new_text = source.text.replace("Critics answered", "Critics, at length, answered")
        services.source_update(source=source, user=editor, data={"text": new_text})
        assert claim.history.count() == counts[claim.pk]
        assert later.history.count() == counts[later.pk] + 1

    def test_a_long_text_with_many_quotes_is_normalized_once(self, actor, editor, monkeypatch):
        from factbase import provenance

        sentences = [f"Speaker number {i} said “we will act on item {i} without delay”." for i in range(40)]
        text = " ".join(sentences) * 1
        long_text = text + " " + ("Background paragraph about the economy and fuel. " * 18_000)
        source = services.source_create(title="Long", text=long_text)
        for i in range(0, 40, 2):
            services.claim_create(speaker=actor, source=source, text=f"we will act on item {i} without delay")
        calls = []
        real = provenance._normalized
        monkeypatch.setattr(provenance, "_normalized", lambda t: calls.append(len(t)) or real(t))
        provenance.normalized.cache_clear()
        services.source_update(source=source, user=editor, data={"text": "Update at the top. " + long_text})
        assert len([n for n in calls if n > 100_000]) == 1, calls  # one normalisation of the new text
        assert check_integrity(["spans"])[0].ok

    def test_relocating_does_not_unverify(self, verified_claim, source, editor):
        services.source_update(source=source, user=editor, data={"text": "Intro. " + source.text})
        verified_claim.refresh_from_db()
        assert verified_claim.status == "verified"

    def test_an_invalid_source_is_refused(self, source, editor):
        with pytest.raises(ValidationError) as excinfo:
            services.source_update(source=source, user=editor, data={"language": "English"})
        assert "language" in excinfo.value.message_dict
        assert Source.objects.get(pk=source.pk).language == "en"


# --- rules reported as validation errors, not database errors ------------------------------------

class TestValidationThroughServices:
    def test_a_duplicate_actor_is_a_validation_error(self, actor):
        before = row_counts()
        with pytest.raises(ValidationError) as excinfo:
            services.actor_create(name=actor.name, kind=actor.kind)
        assert "An actor of this kind with this name already exists." in excinfo.value.messages
        assert row_counts() == before

    def test_a_bad_wikidata_id_is_a_validation_error(self, actor):
        with pytest.raises(ValidationError) as excinfo:
            services.actor_update(actor=actor, data={"wikidata_id": "Qabc"})
        assert "A Wikidata id is Q followed by digits, e.g. Q123." in excinfo.value.messages
        actor.refresh_from_db()
        assert actor.wikidata_id == ""

    def test_a_duplicate_outlet_is_a_validation_error(self, outlet):
        with pytest.raises(ValidationError) as excinfo:
            services.outlet_create(name=outlet.name, kind="website")
        assert excinfo.value.message_dict["name"] == ["An outlet with this name already exists."]

    def test_a_review_without_reviewer_or_source_is_a_validation_error(self, claim):
        with pytest.raises(ValidationError) as excinfo:
            services.review_create(claim=claim, rating="false")
        assert "A review names its reviewer or where it was published." in excinfo.value.messages
        assert not Review.objects.exists()

    def test_a_source_with_a_taken_url_is_a_validation_error(self, source):
        with pytest.raises(ValidationError) as excinfo:
            services.source_create(title="Copy", url=source.url)
        assert "Another source has this URL." in excinfo.value.messages


# --- history -------------------------------------------------------------------------------------

class TestHistory:
    def test_every_write_records_who_made_it(self, editor):
        actor = services.actor_create(user=editor, name="A. Speaker", kind="person")
        services.actor_update(actor=actor, user=editor, data={"description": "Spokesperson."})
        outlet = services.outlet_create(user=editor, name="Radio One", kind="broadcaster")
        services.outlet_update(outlet=outlet, user=editor, data={"url": "https://radio.example.org"})
        tag = services.tag_create(user=editor, name="Energy", slug="energy")
        services.tag_update(tag=tag, user=editor, data={"description": "Energy policy."})
        source = services.source_create(user=editor, title="Transcript", text=SAMPLE_TEXT)
        services.source_update(source=source, user=editor, data={"title": "Transcript of the briefing"})
        claim = services.claim_create(user=editor, speaker=actor, source=source, text="the promise was empty")
        services.claim_update(claim=claim, user=editor, data={"speaker_role": "Spokesperson"})
        services.claim_set_status(claim=claim, user=editor, status="verified")
        review = services.review_create(user=editor, claim=claim, reviewer=actor, rating="mixed")
        services.review_update(review=review, user=editor, data={"summary": "Partly."})

        for instance, count in [(actor, 2), (outlet, 2), (tag, 2), (source, 2), (claim, 3), (review, 2)]:
            history = instance.history.all()
            assert history.count() == count, instance
            assert {h.history_user for h in history} == {editor}, instance
            assert instance.history.first().history_user == editor
            assert history.last().history_type == "+"

    def test_a_claim_made_or_changed_with_its_tags_is_one_change(self, editor, actor, source, tag):
        """Fields and tags written together are one record of the history, with the tags after the change
        (simple-history alone would record the tags' change as a second record)."""
        energy = services.tag_create(user=editor, name="Energy", slug="energy")
        claim = services.claim_create(user=editor, speaker=actor, source=source, text=QUOTE, tags=[tag])
        created = claim.history.get()
        assert (created.history_type, created.history_user) == ("+", editor)
        assert [t.tag for t in created.tags.all()] == [tag]

        services.claim_update(claim=claim, user=editor, data={"speaker_role": "Former minister",
                                                              "tags": [tag, energy]})
        changed, first = claim.history.all()
        assert first.pk == created.pk and changed.history_type == "~" and changed.history_user == editor
        assert changed.speaker_role == "Former minister"
        assert sorted(t.tag.slug for t in changed.tags.all()) == ["energy", "fuel-prices"]
        assert [c.field for c in changed.diff_against(first, included_fields=["speaker_role", "tags"]).changes] \
            == ["speaker_role", "tags"]

        services.claim_update(claim=claim, user=editor, data={"tags": []})
        assert claim.history.count() == 3
        assert claim.history.first().tags.count() == 0
        assert list(Claim.objects.get(pk=claim.pk).tags.all()) == []

    def test_history_keeps_the_values_before_and_after(self, claim, editor):
        services.claim_update(claim=claim, user=editor, data={"speaker_role": "Former minister"})
        latest, earlier = claim.history.all()[:2]
        assert (earlier.speaker_role, latest.speaker_role) == ("Minister of Energy", "Former minister")
        delta = latest.diff_against(earlier)
        assert [(c.field, c.old, c.new) for c in delta.changes] == [
            ("speaker_role", "Minister of Energy", "Former minister")]

    def test_an_anonymous_write_has_no_user(self, db):
        actor = services.actor_create(user=AnonymousUser(), name="Nobody", kind="person")
        assert actor.history.first().history_user is None

    def test_deletes_are_recorded(self, editor, claim, source):
        review = services.review_create(user=editor, claim=claim, source=source, rating="false")
        review_pk, claim_pk = review.pk, claim.pk
        services.review_delete(review=review, user=editor)
        assert Review.history.filter(id=review_pk).first().history_type == "-"
        services.claim_delete(claim=claim, user=editor)
        deleted = Claim.history.filter(id=claim_pk).first()
        assert (deleted.history_type, deleted.history_user) == ("-", editor)
        assert deleted.text == QUOTE, "the deleted claim can be read back"
        tag = services.tag_create(name="T", slug="t")
        tag_pk = tag.pk
        services.tag_delete(tag=tag, user=editor)
        assert Tag.history.filter(id=tag_pk).first().history_user == editor

    def test_a_refused_write_records_no_history(self, claim, contributor):
        before = row_counts()
        with pytest.raises(PermissionDenied):
            services.claim_set_status(claim=claim, user=contributor, status="verified")
        with pytest.raises(ValidationError):
            services.claim_update(claim=claim, user=contributor, data={"text": "not in the source"})
        assert row_counts() == before

    def test_setting_the_same_status_without_a_note_writes_nothing(self, verified_claim, editor):
        count = verified_claim.history.count()
        verified_at = verified_claim.verified_at
        services.claim_set_status(claim=verified_claim, user=editor, status="verified")
        assert verified_claim.history.count() == count
        verified_claim.refresh_from_db()
        assert verified_claim.verified_at == verified_at
        assert verified_at <= timezone.now() < verified_at + timedelta(minutes=5)


# --- a write that changes nothing writes nothing ---------------------------------------------------

class TestNothingChanges:
    def _unchanged(self, record, write):
        model = type(record)
        before = model.objects.get(pk=record.pk)
        count = record.history.count()
        write()
        after = model.objects.get(pk=record.pk)
        assert after.updated_at == before.updated_at
        assert record.history.count() == count

    def test_claim(self, claim, editor, tag):
        services.claim_update(claim=claim, user=editor, data={"tags": [tag]})
        self._unchanged(claim, lambda: services.claim_update(claim=claim, user=editor, data={}))
        self._unchanged(claim, lambda: services.claim_update(
            claim=claim, user=editor, data={"text": claim.text, "stated_on": "2022-01-07", "tags": [tag]}))
        self._unchanged(claim, lambda: services.claim_update(claim=claim, user=editor,
                                                             data={"span_hint": claim.span_start}))

    def test_claim_status(self, claim, editor):
        services.claim_set_status(claim=claim, user=editor, status="disputed", note="Doubtful.")
        self._unchanged(claim, lambda: services.claim_set_status(claim=claim, user=editor, status="disputed",
                                                                 note="Doubtful."))
        self._unchanged(claim, lambda: services.claim_set_status(claim=claim, user=editor, status="disputed"))

    def test_source(self, source, claim, editor):
        self._unchanged(source, lambda: services.source_update(source=source, user=editor, data={}))
        self._unchanged(source, lambda: services.source_update(source=source, user=editor,
                                                               data={"text": source.text, "published_on": "2022-01-08"}))
        self._unchanged(claim, lambda: services.source_update(source=source, user=editor, data={"text": source.text}))

    def test_actor_outlet_tag_review(self, actor, claim, editor):
        outlet = services.outlet_create(name="Khabar 24", kind="broadcaster")
        tag = services.tag_create(name="Fuel", slug="fuel")
        review = services.review_create(claim=claim, source=claim.source, rating="false")
        self._unchanged(actor, lambda: services.actor_update(actor=actor, user=editor,
                                                             data={"aliases": list(actor.aliases)}))
        self._unchanged(outlet, lambda: services.outlet_update(outlet=outlet, user=editor, data={"name": "Khabar 24"}))
        self._unchanged(tag, lambda: services.tag_update(tag=tag, user=editor, data={}))
        self._unchanged(review, lambda: services.review_update(review=review, user=editor, data={"rating": "false"}))

    def test_a_change_is_still_written(self, actor, editor):
        count = actor.history.count()
        services.actor_update(actor=actor, user=editor, data={"description": "Energy minister"})
        assert actor.history.count() == count + 1


# --- limits ------------------------------------------------------------------------------------------

class TestLimits:
    """The limits of factbase/models/limits.py are model rules: every service refuses past them."""

    def test_a_claim_text_past_the_limit(self, actor, source):
        with pytest.raises(ValidationError) as excinfo:
            services.claim_create(speaker=actor, source=source, kind="paraphrase",
                                  text="x" * (limits.CLAIM_TEXT_MAX_LENGTH + 1))
        assert "at most 10000 characters" in excinfo.value.message_dict["text"][0]
        assert not Claim.objects.exists()
        services.claim_create(speaker=actor, source=source, kind="paraphrase", text="x" * limits.CLAIM_TEXT_MAX_LENGTH)

    def test_a_passage_past_the_limit(self, actor, source):
        with pytest.raises(ValidationError) as excinfo:
            services.claim_create(speaker=actor, source=source, kind="paraphrase", text="Said something.",
                                  span_exact="y" * (limits.PASSAGE_MAX_LENGTH + 1))
        assert "at most" in excinfo.value.message_dict["span_exact"][0]

    def test_a_source_text_past_the_limit(self, source, editor):
        with pytest.raises(ValidationError) as excinfo:
            services.source_create(title="Huge", text="z" * (limits.SOURCE_TEXT_MAX_LENGTH + 1))
        assert "at most 1000000 characters" in excinfo.value.message_dict["text"][0]
        with pytest.raises(ValidationError):
            services.source_update(source=source, user=editor, data={"text": "z" * (limits.SOURCE_TEXT_MAX_LENGTH + 1)})
        assert Source.objects.get(pk=source.pk).text == SAMPLE_TEXT

    def test_names_and_lists_of_names(self, actor, editor):
        with pytest.raises(ValidationError) as excinfo:
            services.actor_update(actor=actor, user=editor, data={"aliases": ["a" * (limits.NAME_MAX_LENGTH + 1)]})
        assert "at most 200 characters" in excinfo.value.message_dict["aliases"][0]
        with pytest.raises(ValidationError) as excinfo:
            services.actor_update(actor=actor, user=editor,
                                  data={"aliases": [f"Alias {i}" for i in range(limits.NAMES_MAX_COUNT + 1)]})
        assert "at most 100 names" in excinfo.value.message_dict["aliases"][0]
        with pytest.raises(ValidationError) as excinfo:
            services.source_create(title="Many authors", authors=[f"Author {i}" for i in range(101)])
        assert "authors" in excinfo.value.message_dict
        with pytest.raises(ValidationError):
            services.actor_create(name="n" * (limits.NAME_MAX_LENGTH + 1))

    def test_notes_and_summaries(self, claim, editor):
        with pytest.raises(ValidationError) as excinfo:
            services.claim_set_status(claim=claim, user=editor, status="disputed",
                                      note="n" * (limits.NOTE_MAX_LENGTH + 1))
        assert "status_note" in excinfo.value.message_dict
        with pytest.raises(ValidationError) as excinfo:
            services.review_create(claim=claim, source=claim.source, rating="false",
                                   summary="s" * (limits.SUMMARY_MAX_LENGTH + 1))
        assert "summary" in excinfo.value.message_dict


# --- names compared in the one normalisation -------------------------------------------------------

class TestNames:
    @pytest.mark.parametrize("query", ["tokayev", "ТОКАЕВ", "Ｔｏｋａｙｅｖ", "TOKAYEV", "tokáyev"])
    def test_an_actor_is_found_by_any_form_of_its_name(self, query, source):
        import unicodedata

        services.actor_create(name="Kassym-Jomart Tokayev", aliases=["Токаев", unicodedata.normalize("NFD", "Tokáyev")])
        services.actor_create(name="Someone Else")
        found = Actor.objects.filter(selectors.name_matches(query))
        assert [a.name for a in found] == ["Kassym-Jomart Tokayev"], query

    @pytest.mark.parametrize("aliases, message", [
        (["a "], "Names may not start or end with white space"),
        ([""], "Each name must be a non-empty text."),
        ("Tokayev", "Enter a list of names."),
    ])
    def test_a_bad_list_of_names_says_what_is_wrong(self, aliases, message):
        """Not the JSON field's "Value must be valid JSON.", which replaces a message coded "invalid"."""
        with pytest.raises(ValidationError) as excinfo:
            services.actor_create(name="M", kind="person", aliases=aliases)
        assert message in excinfo.value.message_dict["aliases"][0]

    def test_aliases_that_differ_only_in_form_are_the_same_alias(self, editor):
        with pytest.raises(ValidationError) as excinfo:
            services.actor_create(name="Tokayev", aliases=["Токаев", "ТОКАЕВ"])
        assert "listed twice" in excinfo.value.message_dict["aliases"][0]

    def test_outlets_tags_and_sources_too(self, source):
        services.outlet_create(name="Khabar 24", kind="broadcaster")
        services.tag_create(name="Kazakhstan unrest", slug="kazakhstan-unrest")
        assert Outlet.objects.filter(selectors.name_matches("ＫＨＡＢＡＲ")).count() == 1
        assert Tag.objects.filter(selectors.name_matches("KAZAKHSTAN-UNREST")).count() == 1
        assert Source.objects.filter(selectors.name_matches("FUEL PRICES")).count() == 1
        assert Source.objects.filter(selectors.name_matches("example.org/FUEL")).count() == 1

    def test_a_renamed_record_is_found_by_its_new_name(self, actor, editor):
        services.actor_update(actor=actor, user=editor, data={"name": "Joan Ｓｅｃｒｅｔａｒｙ-Smith"})
        assert Actor.objects.filter(selectors.name_matches("secretary-smith")).get() == actor
        assert not Actor.objects.filter(selectors.name_matches("jane")).exists()
