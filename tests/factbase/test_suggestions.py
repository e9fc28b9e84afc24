"""Suggested claims (factbase/suggestions.py) and the services that accept and dismiss them."""

from datetime import date

import pytest
from django.contrib.auth.models import Permission, User
from django.core.exceptions import PermissionDenied, ValidationError

from factbase import attribution, services, suggestions
from factbase.attribution import Attribution
from factbase.models import Actor, Claim, Outlet, SuggestionDismissal
from tests.suggestion_fakes import (  # noqa: F401 - fixtures
    ANONYMOUS, PARAPHRASE, QUOTE, TEXT, fake_extractor, span, suggest_source,
)

pytestmark = pytest.mark.django_db


def by_content(found):
    return {s.content.exact: s for s in found}


def history_reason(claim):
    return claim.history.order_by("-history_id").first().history_change_reason


def row_counts():
    return {model.__name__: model.objects.count() for model in (Actor, Outlet, Claim, SuggestionDismissal)} | {
        "claim history": Claim.history.model.objects.count(), "actor history": Actor.history.model.objects.count()}


# --- what is suggested ------------------------------------------------------------------------------

def test_a_source_s_suggestions_carry_span_speaker_role_outlet_and_resolved_date(fake_extractor, suggest_source):
    jane = services.actor_create(name="Jane Doe", kind="person")
    channel = services.outlet_create(name="Channel 5", kind="broadcaster")
    found = by_content(suggestions.suggestions_for_source(suggest_source))
    assert set(found) == {QUOTE, PARAPHRASE, ANONYMOUS}

    quote = found[QUOTE]
    assert TEXT[quote.content.start:quote.content.end] == QUOTE
    assert (quote.kind, quote.cue, quote.speaker_mention, quote.actor, quote.role) == (
        "direct_quote", "said", "Jane Doe", jane, "mayor of Springfield")
    assert (quote.date_phrase, quote.stated_on, quote.stated_on_precision) == ("on Friday", date(2022, 1, 7), "day")

    paraphrase = found[PARAPHRASE]
    assert paraphrase.kind == "paraphrase"
    assert paraphrase.actor is None and paraphrase.new_actor_name == "John Roe"  # proposed as a new actor
    assert (paraphrase.outlet_name, paraphrase.outlet) == ("Channel 5", channel)
    assert paraphrase.stated_on == date(2022, 1, 4)

    anonymous = found[ANONYMOUS]
    assert anonymous.actor is None and anonymous.speaker_mention == "a resident"
    assert anonymous.speaker_name == ""  # not a name: no actor is proposed


def test_keys_are_stable_and_differ_between_suggestions(fake_extractor, suggest_source):
    first = [s.key for s in suggestions.suggestions_for_source(suggest_source)]
    again = [s.key for s in suggestions.suggestions_for_source(suggest_source)]
    assert first == again and len(set(first)) == 3


def test_a_speaker_is_matched_by_alias_and_by_surname_but_not_when_ambiguous(fake_extractor, suggest_source):
    jane = services.actor_create(name="Jane Q. Doe", kind="person", aliases=["Jane Doe"])
    assert by_content(suggestions.suggestions_for_source(suggest_source))[QUOTE].actor == jane
    index = suggestions.ActorIndex([jane])
    assert index.match("", "Doe") == jane  # a surname alone
    assert index.match("DOE’s") == jane  # folded, the possessive dropped
    other = services.actor_create(name="Richard Doe", kind="person")
    assert suggestions.ActorIndex([jane, other]).match("Doe") is None  # two people of that surname
    assert suggestions.ActorIndex([jane, other]).match("John Doe") is None  # a full name is not a surname


def test_the_gazetteer_passes_the_actors_names_and_aliases_to_the_extractor(fake_extractor, suggest_source):
    services.actor_create(name="Jane Q. Doe", kind="person", aliases=["Jane Doe"])
    suggestions.suggestions_for_source(suggest_source)
    assert set(fake_extractor[-1]) == {"Jane Q. Doe", "Jane Doe"}


def test_beyond_the_limit_the_gazetteer_is_the_source_s_speakers_and_names_in_the_text(
        fake_extractor, suggest_source, monkeypatch):
    monkeypatch.setattr(suggestions, "GAZETTEER_ALL_ACTORS", 2)
    jane = services.actor_create(name="Jane Doe", kind="person")
    speaker = services.actor_create(name="Someone Quoted", kind="person", aliases=["Q"])
    services.actor_create(name="Not In The Text", kind="person")
    services.claim_create(speaker=speaker, source=suggest_source, text="Critics were not convinced.",
                          kind="paraphrase", span_exact="Critics were not convinced.")
    index = suggestions.gazetteer(TEXT, source=suggest_source)
    assert {a.name for a in index.actors} == {"Jane Doe", "Someone Quoted"}
    assert index.match("Jane Doe") == jane


def test_a_source_without_text_has_no_suggestions(fake_extractor, db):
    source = services.source_create(title="No text here", published_on="2022-01-08")
    assert suggestions.suggestions_for_source(source) == []


def test_an_unresolvable_date_or_no_publication_date_gives_no_date(fake_extractor, db):
    source = services.source_create(title="Undated", text=TEXT)
    found = by_content(suggestions.suggestions_for_source(source))
    assert found[QUOTE].date_phrase == "on Friday" and found[QUOTE].stated_on is None
    assert found[QUOTE].stated_on_precision == ""


def test_what_is_already_a_claim_is_not_suggested_again_and_a_small_overlap_is_listed(
        fake_extractor, suggest_source):
    jane = services.actor_create(name="Jane Doe", kind="person")
    services.claim_create(speaker=jane, source=suggest_source, text="We will win this election")  # same words
    found = by_content(suggestions.suggestions_for_source(suggest_source))
    assert QUOTE not in found
    everything = by_content(suggestions.suggestions_for_source(suggest_source, include_recorded=True))
    assert [c.text for c in everything[QUOTE].overlaps] == ["We will win this election"]

    # A paraphrase whose passage only touches the suggested paraphrase: still suggested, the claim listed.
    touching = services.claim_create(speaker=jane, source=suggest_source, kind="paraphrase",
                                     text="Critics doubted it.", span_exact="not convinced. The city")
    found = by_content(suggestions.suggestions_for_source(suggest_source))
    assert [c.pk for c in found[PARAPHRASE].overlaps] == [touching.pk]


# --- accepting ------------------------------------------------------------------------------------

def test_accepting_creates_an_unverified_claim_with_the_suggestion_as_its_history_reason(
        fake_extractor, suggest_source, editor):
    jane = services.actor_create(name="Jane Doe", kind="person")
    key = by_content(suggestions.suggestions_for_source(suggest_source))[QUOTE].key
    claim = services.suggestion_accept(source=suggest_source, key=key, user=editor)
    assert (claim.speaker, claim.text, claim.kind, claim.status) == (jane, QUOTE, "direct_quote", "unverified")
    assert (claim.speaker_role, claim.stated_on, claim.stated_on_precision) == ("mayor of Springfield",
                                                                               date(2022, 1, 7), "day")
    assert TEXT[claim.span_start:claim.span_end] == QUOTE
    assert history_reason(claim) == "Accepted suggestion: “said” by Jane Doe (extractor)"
    assert claim.history.first().history_user == editor
    # Accepted, it is no longer suggested.
    assert QUOTE not in by_content(suggestions.suggestions_for_source(suggest_source))


def test_accepting_creates_the_new_speaker_and_outlet_and_keeps_the_editor_s_reason(
        fake_extractor, suggest_source, editor):
    key = by_content(suggestions.suggestions_for_source(suggest_source))[PARAPHRASE].key
    claim = services.suggestion_accept(source=suggest_source, key=key, user=editor, reason="Checked the video.")
    assert claim.speaker.name == "John Roe" and claim.speaker.kind == "person"
    assert claim.outlet.name == "Channel 5"
    assert (claim.kind, claim.span_exact) == ("paraphrase", PARAPHRASE)
    assert history_reason(claim) == "Accepted suggestion: “told” by John Roe (extractor); Checked the video."
    assert claim.speaker.history.first().history_user == editor


def test_accepting_with_corrections(fake_extractor, suggest_source, editor):
    someone = services.actor_create(name="Pat Resident", kind="person")
    key = by_content(suggestions.suggestions_for_source(suggest_source))[ANONYMOUS].key
    claim = services.suggestion_accept(source=suggest_source, key=key, user=editor,
                                       data={"speaker": someone, "speaker_role": "resident", "stated_on": "2022-01-06"})
    assert (claim.speaker, claim.speaker_role, claim.stated_on, claim.stated_on_precision) == (
        someone, "resident", date(2022, 1, 6), "day")
    jane = services.actor_create(name="Jane Doe", kind="person")
    key = by_content(suggestions.suggestions_for_source(suggest_source))[QUOTE].key
    claim = services.suggestion_accept(source=suggest_source, key=key, user=editor,
                                       data={"speaker_name": "Jane Roe", "outlet": None, "stated_on": None})
    assert claim.speaker.name == "Jane Roe" and claim.speaker != jane  # the name given, not the matched actor
    assert (claim.outlet, claim.stated_on, claim.stated_on_precision) == (None, None, "")
    with pytest.raises(ValidationError) as refused:
        services.suggestion_accept(source=suggest_source, key="x", user=editor, data={"status": "verified"})
    assert "status" in refused.value.message_dict


def test_a_suggestion_without_a_speaker_needs_one(monkeypatch, db, editor):
    source = services.source_create(title="Anonymous", text=TEXT)
    monkeypatch.setattr(attribution, "extract",
                        lambda text, names=(): [Attribution(content=span(TEXT, ANONYMOUS), kind="direct_quote")])
    key = suggestions.suggestions_for_source(source)[0].key
    with pytest.raises(ValidationError) as refused:
        services.suggestion_accept(source=source, key=key, user=editor)
    assert "speaker" in refused.value.message_dict
    claim = services.suggestion_accept(source=source, key=key, user=editor, data={"speaker_name": "A Resident"})
    assert claim.speaker.name == "A Resident"
    assert history_reason(claim) == "Accepted suggestion: no cue by an unnamed speaker (extractor)"


def test_a_stale_key_is_refused_by_name(fake_extractor, suggest_source, editor):
    with pytest.raises(ValidationError) as refused:
        services.suggestion_accept(source=suggest_source, key="0123456789abcdef0123", user=editor)
    assert "key" in refused.value.message_dict
    key = by_content(suggestions.suggestions_for_source(suggest_source))[QUOTE].key
    services.suggestion_accept(source=suggest_source, key=key, user=editor)
    with pytest.raises(ValidationError) as again:  # accepted already
        services.suggestion_accept(source=suggest_source, key=key, user=editor)
    assert "key" in again.value.message_dict
    # The text edited before the paraphrase: the span moved, and the old key names nothing.
    old = by_content(suggestions.suggestions_for_source(suggest_source))[PARAPHRASE].key
    services.source_update(source=suggest_source, data={"text": TEXT.replace("Critics", "The critics")}, user=editor)
    with pytest.raises(ValidationError) as stale:
        services.suggestion_accept(source=suggest_source, key=old, user=editor)
    assert "key" in stale.value.message_dict


def test_a_failed_claim_leaves_nothing_written(fake_extractor, suggest_source, editor):
    key = by_content(suggestions.suggestions_for_source(suggest_source))[PARAPHRASE].key
    before = row_counts()
    with pytest.raises(ValidationError) as refused:  # a month's date must be its first day
        services.suggestion_accept(source=suggest_source, key=key, user=editor,
                                   data={"stated_on": "2022-01-07", "stated_on_precision": "month"})
    assert "stated_on" in refused.value.message_dict
    assert row_counts() == before  # neither John Roe nor Channel 5 was created


def test_who_may_not_add_claims_may_not_accept_or_dismiss(fake_extractor, suggest_source, reader):
    key = by_content(suggestions.suggestions_for_source(suggest_source))[QUOTE].key
    before = row_counts()
    with pytest.raises(PermissionDenied):
        services.suggestion_accept(source=suggest_source, key=key, user=reader)
    with pytest.raises(PermissionDenied):
        services.suggestion_dismiss(source=suggest_source, key=key, user=reader)
    assert row_counts() == before


def test_creating_a_new_speaker_needs_the_add_actor_permission(fake_extractor, suggest_source):
    user = User.objects.create_user("claims-only")
    user.user_permissions.add(Permission.objects.get(codename="add_claim"))
    user = User.objects.get(pk=user.pk)
    key = by_content(suggestions.suggestions_for_source(suggest_source))[PARAPHRASE].key
    with pytest.raises(PermissionDenied):
        services.suggestion_accept(source=suggest_source, key=key, user=user)
    services.actor_create(name="John Roe", kind="person")  # an actor of that exact name is used, not duplicated
    services.outlet_create(name="Channel 5")
    claim = services.suggestion_accept(source=suggest_source, key=key, user=user)
    assert Actor.objects.filter(name="John Roe").count() == 1 and claim.speaker.name == "John Roe"


# --- dismissing -----------------------------------------------------------------------------------

def test_a_dismissed_suggestion_is_not_proposed_again(fake_extractor, suggest_source, contributor):
    key = by_content(suggestions.suggestions_for_source(suggest_source))[QUOTE].key
    dismissal = services.suggestion_dismiss(source=suggest_source, key=key, user=contributor, reason="Not a claim.")
    assert (dismissal.user, dismissal.content, dismissal.reason) == (contributor, QUOTE, "Not a claim.")
    assert QUOTE not in by_content(suggestions.suggestions_for_source(suggest_source))
    with pytest.raises(ValidationError) as again:
        services.suggestion_dismiss(source=suggest_source, key=key, user=contributor)
    assert "key" in again.value.message_dict
    with pytest.raises(ValidationError):
        services.suggestion_accept(source=suggest_source, key=key, user=contributor)
    # The same words, moved by an edit of the text, stay dismissed.
    services.source_update(source=suggest_source, data={"text": TEXT + "\n"}, user=contributor)
    assert QUOTE not in by_content(suggestions.suggestions_for_source(suggest_source))


def test_a_dismissal_goes_with_its_source(fake_extractor, suggest_source, editor):
    key = suggestions.suggestions_for_source(suggest_source)[0].key
    services.suggestion_dismiss(source=suggest_source, key=key, user=editor)
    services.source_delete(source=suggest_source, user=editor)
    assert SuggestionDismissal.objects.count() == 0


# --- with the real extractor ---------------------------------------------------------------------

def test_an_obvious_quote_is_suggested_and_accepted_end_to_end(editor):
    source = services.source_create(title="Obvious", published_on="2022-01-08", text='"We will win," said Jane Doe.')
    found = suggestions.suggestions_for_source(source)
    assert [(s.content.exact.strip(" ,"), s.kind) for s in found] == [("We will win", "direct_quote")]
    assert "Jane Doe" in found[0].speaker_name
    claim = services.suggestion_accept(source=source, key=found[0].key, user=editor)
    assert claim.speaker.name == found[0].speaker_name and claim.text.startswith("We will win")
    assert suggestions.suggestions_for_source(source) == []
