"""The curation admin: pages, search and filters, saves through the services, status, history."""

import datetime
import re

import pytest
from django.contrib.admin.sites import site
from django.contrib.messages import get_messages
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from simple_history.admin import SimpleHistoryAdmin

from factbase import services
from factbase.models import Actor, Claim, Outlet, Review, Source, Tag
from factbase.seed import load_seed
from tests.conftest import SAMPLE_TEXT

MODELS = ["actor", "outlet", "source", "claim", "review", "tag"]


def admin_url(model, view, *args):
    return reverse(f"admin:factbase_{model}_{view}", args=args)


def messages_of(response):
    return [str(m) for m in get_messages(response.wsgi_request)]


def rows(response):
    """The records listed on a changelist page."""
    return list(response.context["cl"].result_list)


def claim_form(claim=None, *, reviews=(), relations=(), **changes):
    """The POST data of the claim form as the page shows it, with ``changes`` applied; ``reviews`` and
    ``relations`` are new rows of the inlines."""
    data = {
        "reviews-TOTAL_FORMS": str(len(reviews)), "reviews-INITIAL_FORMS": "0",
        "reviews-MIN_NUM_FORMS": "0", "reviews-MAX_NUM_FORMS": "1000",
        "relations_from-TOTAL_FORMS": str(len(relations)), "relations_from-INITIAL_FORMS": "0",
        "relations_from-MIN_NUM_FORMS": "0", "relations_from-MAX_NUM_FORMS": "1000",
    }
    if claim is not None:
        data.update({
            "speaker": claim.speaker_id, "speaker_role": claim.speaker_role, "kind": claim.kind,
            "text": claim.text, "stated_on": claim.stated_on.isoformat() if claim.stated_on else "",
            "stated_on_precision": claim.stated_on_precision, "outlet": claim.outlet_id or "",
            "source": claim.source_id, "tags": [t.pk for t in claim.tags.all()],
            "span_exact": claim.span_exact, "status": claim.status, "status_note": claim.status_note,
        })
        existing = list(claim.reviews.order_by("pk"))
        data["reviews-INITIAL_FORMS"] = str(len(existing))
        data["reviews-TOTAL_FORMS"] = str(len(existing) + len(reviews))
        for i, review in enumerate(existing):
            data.update({
                f"reviews-{i}-id": review.pk, f"reviews-{i}-claim": claim.pk, f"reviews-{i}-rating": review.rating,
                f"reviews-{i}-rating_text": review.rating_text, f"reviews-{i}-reviewer": review.reviewer_id or "",
                f"reviews-{i}-source": review.source_id or "", f"reviews-{i}-summary": review.summary,
                f"reviews-{i}-reviewed_on": review.reviewed_on.isoformat() if review.reviewed_on else "",
            })
        existing = list(claim.relations_from.order_by("pk"))
        data["relations_from-INITIAL_FORMS"] = str(len(existing))
        data["relations_from-TOTAL_FORMS"] = str(len(existing) + len(relations))
        for i, relation in enumerate(existing):
            data.update({f"relations_from-{i}-id": relation.pk, f"relations_from-{i}-claim": claim.pk,
                         f"relations_from-{i}-type": relation.type,
                         f"relations_from-{i}-related_claim": relation.related_claim_id})
    offset = int(data["reviews-INITIAL_FORMS"])
    for i, review in enumerate(reviews, start=offset):
        data.update({f"reviews-{i}-{key}": value for key, value in review.items()})
    offset = int(data["relations_from-INITIAL_FORMS"])
    for i, relation in enumerate(relations, start=offset):
        data.update({f"relations_from-{i}-{key}": value for key, value in relation.items()})
    data.update(changes)
    return {k: v for k, v in data.items() if v is not None}


@pytest.fixture
def editor_client(client, editor):
    client.force_login(editor)
    return client


@pytest.fixture
def contributor_client(client, contributor):
    client.force_login(contributor)
    return client


def claims_by(name):
    return set(Claim.objects.filter(speaker__name=name))


# --- every page ----------------------------------------------------------------------------------

def test_every_model_is_registered_with_history():
    for model in (Actor, Outlet, Source, Claim, Review, Tag):
        assert isinstance(site._registry[model], SimpleHistoryAdmin), model


@pytest.mark.parametrize("model", MODELS)
def test_changelist_add_change_and_history_pages_load_for_the_editor(editor_client, seed, model):
    response = editor_client.get(admin_url(model, "changelist"))
    assert response.status_code == 200
    assert response.context["cl"].result_count > 0
    assert editor_client.get(admin_url(model, "add")).status_code == 200
    obj = response.context["cl"].result_list[0]
    assert editor_client.get(admin_url(model, "change", obj.pk)).status_code == 200
    history = editor_client.get(admin_url(model, "history", obj.pk))
    assert history.status_code == 200
    assert "Changed by" in history.content.decode()


def test_site_header(editor_client):
    response = editor_client.get(reverse("admin:index"))
    assert response.status_code == 200
    assert "Factbase curation" in response.content.decode()


def test_reader_without_permissions_sees_no_claims(client, reader, seed):
    reader.is_staff = True
    reader.save()
    client.force_login(reader)
    assert client.get(admin_url("claim", "changelist")).status_code == 403


# --- claim search and filters --------------------------------------------------------------------

def test_search_by_speaker_name(editor_client, seed):
    response = editor_client.get(admin_url("claim", "changelist"), {"q": "Murtazashvili"})
    assert set(rows(response)) == claims_by("Jennifer Brick Murtazashvili")
    assert len(rows(response)) == 4
    assert "did Tokayev not trust the army?" in response.content.decode()


@pytest.mark.parametrize("query", ["Токаев", "токаев", "ТОКАЕВ", "qasym", "QASYM-JOMART", '"Jomart Toqaev"'])
def test_search_by_speaker_alias(editor_client, seed, query):
    tokayev = Actor.objects.get(name="Kassym-Yomart Tokayev")
    services.actor_update(actor=tokayev, data={"aliases": ["Tokayev", "Токаев", "Qasym-Jomart Toqaev"]})
    response = editor_client.get(admin_url("claim", "changelist"), {"q": query})
    assert set(rows(response)) == claims_by("Kassym-Yomart Tokayev")
    assert len(rows(response)) == 3


def test_search_by_claim_text(editor_client, seed):
    response = editor_client.get(admin_url("claim", "changelist"), {"q": "peacekeepers"})
    assert [c.speaker.name for c in rows(response)] == ["Nikol Pashinyan"]
    response = editor_client.get(admin_url("claim", "changelist"), {"q": "no-such-words-anywhere"})
    assert rows(response) == []


def test_filter_by_status(editor_client, editor, seed):
    verified = Claim.objects.filter(speaker__name="Antony Blinken")
    for claim in verified:
        services.claim_set_status(claim=claim, user=editor, status="verified")
    response = editor_client.get(admin_url("claim", "changelist"), {"status__exact": "verified"})
    assert set(rows(response)) == set(verified) and len(verified) == 2
    response = editor_client.get(admin_url("claim", "changelist"), {"status__exact": "unverified"})
    assert len(rows(response)) == Claim.objects.count() - 2


def test_filter_by_kind(editor_client, seed):
    response = editor_client.get(admin_url("claim", "changelist"), {"kind__exact": "direct_quote"})
    assert {c.kind for c in rows(response)} == {"direct_quote"}
    assert len(rows(response)) == 6
    response = editor_client.get(admin_url("claim", "changelist"), {"kind__exact": "paraphrase"})
    assert len(rows(response)) == 12


def test_filter_by_outlet(editor_client, seed):
    facebook = Outlet.objects.get(name="Facebook")
    response = editor_client.get(admin_url("claim", "changelist"), {"outlet__id__exact": facebook.pk})
    assert [c.text for c in rows(response)] == ["referred to foreign intervention in Kazakhstan"]
    council = Outlet.objects.get(name="Atlantic Council event")
    response = editor_client.get(admin_url("claim", "changelist"), {"outlet__id__exact": council.pk})
    assert {c.speaker.name for c in rows(response)} == {"Nargis Kassenova", "William Courtney"}


def test_filter_by_date(editor_client, seed):
    # Links of the old "By stated on" filter and date hierarchy still filter (the range filter replaced them).
    friday = {"stated_on__gte": "2022-01-07", "stated_on__lt": "2022-01-08"}
    response = editor_client.get(admin_url("claim", "changelist"), friday)
    assert len(rows(response)) == 8
    assert {c.stated_on for c in rows(response)} == {datetime.date(2022, 1, 7)}
    response = editor_client.get(admin_url("claim", "changelist"),
                                 {"stated_on__year": 2022, "stated_on__month": 1, "stated_on__day": 5})
    assert [c.speaker.name for c in rows(response)] == ["Nikol Pashinyan"]
    response = editor_client.get(admin_url("claim", "changelist"), {"stated_on__isnull": "True"})
    assert len(rows(response)) == 9 and all(c.stated_on is None for c in rows(response))


def test_filter_by_tag(editor_client, seed, claim):
    tag = Tag.objects.get(slug="kazakhstan-unrest-2022")
    response = editor_client.get(admin_url("claim", "changelist"), {"tags__id__exact": tag.pk})
    assert len(rows(response)) == 18
    assert claim not in rows(response)


def test_changelist_shows_the_columns(editor_client, seed):
    response = editor_client.get(admin_url("claim", "changelist"), {"q": "peacekeepers"})
    html = response.content.decode()
    assert "Nikol Pashinyan" in html
    assert "2022-01-05" in html
    assert "Paraphrase" in html and "Unverified" in html
    assert "Untitled source of 2022-01-08" in html


def test_changelist_shows_month_and_year_precision(editor_client, actor, source):
    services.claim_create(speaker=actor, source=source, text="prices will stay frozen",
                          stated_on=datetime.date(2021, 3, 1), stated_on_precision="month")
    services.claim_create(speaker=actor, source=source, text="the promise was empty", kind="paraphrase",
                          stated_on=datetime.date(2019, 1, 1), stated_on_precision="year")
    html = editor_client.get(admin_url("claim", "changelist")).content.decode()
    assert "2021-03 (month)" in html
    assert "2019 (year)" in html


# --- the claim page ------------------------------------------------------------------------------

def test_claim_page_highlights_the_span_in_the_source_text(editor_client, claim):
    html = editor_client.get(admin_url("claim", "change", claim.pk)).content.decode()
    assert '<mark class="factbase-span">We will not raise fuel prices this winter.</mark>' in html
    # The text around it is shown too, and the style that makes the mark readable is on the page.
    assert "The minister said: “" in html and "Critics answered" in html
    assert "factbase/admin.css" in html


def test_claim_page_cuts_long_context_and_escapes_html(editor_client, actor):
    before = "<script>alert('before')</script> " + "word " * 100
    after = " " + "more " * 100 + "<b>bold</b> & the end"
    source = services.source_create(title="Long", text=before + "“<i>sharp</i> & quoted”" + after)
    claim = services.claim_create(speaker=actor, source=source, text="<i>sharp</i> & quoted")
    html = editor_client.get(admin_url("claim", "change", claim.pk)).content.decode()
    assert '<mark class="factbase-span">&lt;i&gt;sharp&lt;/i&gt; &amp; quoted</mark>' in html
    assert "<script>alert(" not in html and "<i>sharp</i>" not in html
    context = re.search(r'<div class="factbase-source-context">(.*?)</div>', html, re.DOTALL).group(1)
    # About 300 characters each side, cut at a word, with an ellipsis where cut.
    assert context.startswith("…") and context.endswith("…")
    assert "alert" not in context and "the end" not in context
    shown_before = context[1:context.index("<mark")]
    assert 250 <= len(shown_before) <= 310 and shown_before.startswith("word")


def test_claim_page_says_when_there_is_no_span(editor_client, actor, source):
    no_text = services.source_create(title="Heard on the radio")
    claim = services.claim_create(speaker=actor, source=no_text, text="Anything at all")
    html = editor_client.get(admin_url("claim", "change", claim.pk)).content.decode()
    assert "The source&#x27;s text is not held" in html or "The source's text is not held" in html
    assert "<mark" not in html
    paraphrase = services.claim_create(speaker=actor, source=source, text="prices stay the same", kind="paraphrase")
    html = editor_client.get(admin_url("claim", "change", paraphrase.pk)).content.decode()
    assert "points to no passage of the source text" in html
    assert "<mark" not in html


def test_add_claim_with_a_quote_in_the_source_stores_its_span(editor_client, actor, source):
    data = claim_form(speaker=actor.pk, kind="direct_quote", text="Prices will stay frozen",
                      source=source.pk, stated_on="2022-01-07", stated_on_precision="day")
    response = editor_client.post(admin_url("claim", "add"), data)
    assert response.status_code == 302, response.context["errors"] if response.context else response
    claim = Claim.objects.get(text="Prices will stay frozen")
    # The first occurrence, sliced from the text as stored (three spaces and all).
    assert claim.span_exact == "prices   will stay frozen"
    assert source.text[claim.span_start:claim.span_end] == claim.span_exact
    assert claim.span_start == source.text.index("prices   will")
    assert claim.status == "unverified"
    assert claim.history.latest().history_user.username == "editor"


def test_add_claim_with_a_quote_not_in_the_source_shows_the_error(editor_client, actor, source):
    data = claim_form(speaker=actor.pk, kind="direct_quote", text="We will raise fuel prices.", source=source.pk)
    response = editor_client.post(admin_url("claim", "add"), data)
    assert response.status_code == 200
    assert "This quote does not occur in the source text" in response.content.decode()
    assert "text" in response.context["adminform"].form.errors
    assert not Claim.objects.exists()


def test_change_claim_to_a_quote_not_in_the_source_shows_the_error(editor_client, claim):
    response = editor_client.post(admin_url("claim", "change", claim.pk),
                                  claim_form(claim, text="We will raise fuel prices."))
    assert response.status_code == 200
    assert "This quote does not occur in the source text" in response.content.decode()
    claim.refresh_from_db()
    assert claim.text == "We will not raise fuel prices this winter."


def test_change_claim_relocates_the_span(editor_client, claim, source):
    data = claim_form(claim, text="the promise was empty")
    response = editor_client.post(admin_url("claim", "change", claim.pk), data)
    assert response.status_code == 302
    claim.refresh_from_db()
    assert claim.span_exact == "the promise was empty"
    assert claim.span_start == source.text.index("the promise was empty")


def test_add_claim_with_tags_and_date_rules(editor_client, actor, source):
    tag = services.tag_create(name="Fuel", slug="fuel")
    data = claim_form(speaker=actor.pk, kind="paraphrase", text="Prices stay", source=source.pk,
                      span_exact="the promise was empty", tags=[tag.pk],
                      stated_on="2022-01-15", stated_on_precision="month")
    response = editor_client.post(admin_url("claim", "add"), data)
    assert response.status_code == 200
    assert "enter the first day of the month" in response.content.decode()
    assert not Claim.objects.exists()
    data["stated_on"] = "2022-01-01"
    assert editor_client.post(admin_url("claim", "add"), data).status_code == 302
    claim = Claim.objects.get()
    assert list(claim.tags.all()) == [tag]
    assert claim.span_exact == "the promise was empty"


# --- status --------------------------------------------------------------------------------------

def status_action(client, action, claims, *, note=None, follow=True):
    """Choose a status action on the claims list for ``claims``; with ``note`` (a string), confirm it."""
    data = {"action": action, "_selected_action": [c.pk for c in claims]}
    if note is not None:
        data.update({"post": "yes", "note": note})
    return client.post(admin_url("claim", "changelist"), data, follow=follow)


def test_bulk_verify_as_editor(editor_client, editor, seed):
    chosen = list(Claim.objects.filter(speaker__name="Jennifer Brick Murtazashvili"))
    before = datetime.datetime.now(datetime.UTC)
    response = status_action(editor_client, "mark_verified", chosen, note="")
    assert response.status_code == 200
    assert "4 claims were marked as verified." in messages_of(response)
    for claim in chosen:
        claim.refresh_from_db()
        assert claim.status == "verified"
        assert claim.verified_by == editor
        assert claim.verified_at >= before
    assert Claim.objects.filter(status="verified").count() == 4


def test_bulk_dispute_and_reject(editor_client, seed):
    first, second = Claim.objects.order_by("pk")[:2]
    status_action(editor_client, "mark_disputed", [first], note="")
    status_action(editor_client, "mark_rejected", [second], note="")
    first.refresh_from_db()
    second.refresh_from_db()
    assert (first.status, second.status) == ("disputed", "rejected")
    assert first.verified_at is None and first.verified_by is None


def test_a_contributor_is_not_offered_the_status_actions_nor_delete(contributor_client, seed):
    changelist = contributor_client.get(admin_url("claim", "changelist"))
    # No action at all is left for a contributor: no action menu, no checkboxes.
    assert changelist.context["action_form"] is None
    assert 'name="action"' not in changelist.content.decode()
    # Posted anyway (an old page, a hand-made request): nothing changes.
    pks = list(Claim.objects.order_by("pk")[:3])
    for note in (None, "looks fine"):
        response = status_action(contributor_client, "mark_verified", pks, note=note)
        assert response.status_code == 200
        assert "status_confirmation" not in " ".join(t.name or "" for t in response.templates)
    assert not Claim.objects.exclude(status="unverified").exists()


def test_an_editor_is_offered_every_status_action_and_delete(editor_client, seed):
    changelist = editor_client.get(admin_url("claim", "changelist"))
    actions = dict(changelist.context["action_form"].fields["action"].choices)
    assert {"mark_verified", "mark_disputed", "mark_rejected", "mark_unverified", "delete_selected"} <= set(actions)
    assert actions["mark_unverified"] == "Send selected claims back to unverified"


def test_bulk_verify_is_all_or_nothing_and_names_every_refused_claim(editor_client, seed, monkeypatch):
    real = services.claim_set_status
    chosen = list(Claim.objects.order_by("pk")[:4])
    refused = {chosen[1].pk, chosen[3].pk}
    calls = []

    def refuse_two(**kwargs):
        calls.append(kwargs["claim"].pk)
        if kwargs["claim"].pk in refused:
            raise ValidationError({"status": f"Refused for the test (#{kwargs['claim'].pk})."})
        return real(**kwargs)

    monkeypatch.setattr(services, "claim_set_status", refuse_two)
    response = status_action(editor_client, "mark_verified", chosen, note="Checked against the article")
    assert calls == [c.pk for c in chosen]  # every claim tried, so that every refusal is reported
    assert not Claim.objects.filter(status="verified").exists()  # nothing changed
    assert any("2 claims could not be marked as verified" in m and "Nothing was changed" in m
               for m in messages_of(response))
    # The confirmation page again: each refusal beside its claim, the note kept, the refused claims out of
    # the selection, so that a second confirmation changes the others.
    assert response.templates[0].name == "admin/factbase/claim/status_confirmation.html"
    html = response.content.decode()
    for pk in refused:
        assert f"Refused: Refused for the test (#{pk})." in html
    assert response.context["form"]["note"].value() == "Checked against the article"
    assert sorted(response.context["remaining"]) == sorted({c.pk for c in chosen} - refused)
    monkeypatch.setattr(services, "claim_set_status", real)
    response = editor_client.post(admin_url("claim", "changelist"), {
        "action": "mark_verified", "_selected_action": response.context["remaining"], "post": "yes",
        "note": "Checked against the article"}, follow=True)
    assert "2 claims were marked as verified." in " ".join(messages_of(response))
    assert set(Claim.objects.filter(status="verified").values_list("pk", flat=True)) == {c.pk for c in chosen} - refused


def test_status_is_read_only_for_the_contributor(contributor_client, claim):
    response = contributor_client.get(admin_url("claim", "change", claim.pk))
    html = response.content.decode()
    assert 'name="status"' not in html and 'name="status_note"' not in html
    assert "Unverified" in html
    data = claim_form(claim, speaker_role="Energy minister", status="verified")
    assert contributor_client.post(admin_url("claim", "change", claim.pk), data).status_code == 302
    claim.refresh_from_db()
    assert claim.speaker_role == "Energy minister"  # the rest of the form was saved
    assert claim.status == "unverified" and claim.verified_at is None


def test_editor_changes_status_from_the_form(editor_client, editor, claim):
    html = editor_client.get(admin_url("claim", "change", claim.pk)).content.decode()
    assert '<select name="status"' in html
    data = claim_form(claim, status="verified", status_note="Checked against the article.")
    assert editor_client.post(admin_url("claim", "change", claim.pk), data).status_code == 302
    claim.refresh_from_db()
    assert claim.status == "verified" and claim.verified_by == editor and claim.verified_at is not None
    assert claim.status_note == "Checked against the article."
    assert claim.history.latest().history_change_reason == "Status set to verified: Checked against the article."


def test_editing_a_verified_claim_sends_it_back_to_unverified(contributor_client, editor, claim):
    services.claim_set_status(claim=claim, user=editor, status="verified")
    claim.refresh_from_db()
    data = claim_form(claim, text="prices will stay frozen")
    assert contributor_client.post(admin_url("claim", "change", claim.pk), data).status_code == 302
    claim.refresh_from_db()
    assert claim.text == "prices will stay frozen"
    assert claim.status == "unverified" and claim.verified_by is None and claim.verified_at is None
    assert "text changed after verification" in claim.status_note


def test_editing_a_verified_claim_without_attribution_change_keeps_it_verified(editor_client, editor, claim):
    tag = services.tag_create(name="Fuel", slug="fuel")
    services.claim_set_status(claim=claim, user=editor, status="verified")
    claim.refresh_from_db()
    data = claim_form(claim, tags=[tag.pk])
    assert editor_client.post(admin_url("claim", "change", claim.pk), data).status_code == 302
    claim.refresh_from_db()
    assert claim.status == "verified"
    assert list(claim.tags.all()) == [tag]


# --- reviews inline ------------------------------------------------------------------------------

def test_add_review_inline_on_the_claim_page(editor_client, claim, source):
    review = {"rating": "false", "rating_text": "not so", "source": source.pk, "summary": "Prices rose.",
              "reviewed_on": "2022-02-01", "reviewer": ""}
    response = editor_client.post(admin_url("claim", "change", claim.pk), claim_form(claim, reviews=[review]))
    assert response.status_code == 302
    saved = Review.objects.get()
    assert (saved.claim, saved.rating, saved.source) == (claim, "false", source)
    assert saved.history.latest().history_user.username == "editor"


def test_review_inline_error_is_shown_and_nothing_saved(editor_client, claim):
    review = {"rating": "false", "rating_text": "", "source": "", "summary": "Nobody said who.", "reviewer": ""}
    response = editor_client.post(admin_url("claim", "change", claim.pk),
                                  claim_form(claim, reviews=[review], speaker_role="Changed role"))
    assert response.status_code == 200
    assert "A review names its reviewer or where it was published." in response.content.decode()
    assert not Review.objects.exists()
    claim.refresh_from_db()
    assert claim.speaker_role == "Minister of Energy"


def test_change_and_delete_review_inline(editor_client, seed):
    claim = Claim.objects.get(text="referred to foreign intervention in Kazakhstan")
    review = claim.reviews.get()
    data = claim_form(claim, **{"reviews-0-rating": "misleading"})
    assert editor_client.post(admin_url("claim", "change", claim.pk), data).status_code == 302
    review.refresh_from_db()
    assert review.rating == "misleading"
    data = claim_form(claim, **{"reviews-0-DELETE": "on"})
    assert editor_client.post(admin_url("claim", "change", claim.pk), data).status_code == 302
    assert not Review.objects.filter(pk=review.pk).exists()
    assert review.history.filter(history_type="-").get().history_user.username == "editor"


# --- deleting ------------------------------------------------------------------------------------

def test_bulk_delete_of_an_actor_with_claims_is_refused(editor_client, seed):
    tokayev = Actor.objects.get(name="Kassym-Yomart Tokayev")
    unused = services.actor_create(name="Nobody", kind="person")
    data = {"action": "delete_selected", "_selected_action": [tokayev.pk, unused.pk], "post": "yes"}
    response = editor_client.post(admin_url("actor", "changelist"), data)
    assert response.status_code == 200
    html = response.content.decode()
    assert "Cannot delete" in html and "protected related objects" in html
    assert "has vowed to restore order" in html
    assert Actor.objects.filter(pk__in=[tokayev.pk, unused.pk]).count() == 2


def test_bulk_delete_refused_by_the_service_deletes_nothing(editor_client, monkeypatch):
    """A claim added between the confirmation and the deletion: the service refuses, nothing is deleted."""
    admin_ = site._registry[Actor]
    monkeypatch.setattr(type(admin_), "get_deleted_objects",
                        lambda self, objs, request: ([], {}, set(), []))
    unused = services.actor_create(name="Aaron Nobody", kind="person")  # deleted first, then restored
    load_seed()
    tokayev = Actor.objects.get(name="Kassym-Yomart Tokayev")
    assert unused.pk < tokayev.pk
    data = {"action": "delete_selected", "_selected_action": [tokayev.pk, unused.pk], "post": "yes"}
    response = editor_client.post(admin_url("actor", "changelist"), data, follow=True)
    assert response.status_code == 200
    [message] = list(get_messages(response.wsgi_request))
    assert message.level_tag == "error"
    assert "cannot be deleted while 3 claims point to it" in str(message)
    assert Actor.objects.filter(pk__in=[tokayev.pk, unused.pk]).count() == 2


UNUSED = {
    "actor": lambda: services.actor_create(name="Nobody", kind="person"),
    "outlet": lambda: services.outlet_create(name="Nowhere"),
    "source": lambda: services.source_create(title="Unused", text="A long text. " * 500),
    "tag": lambda: services.tag_create(name="Unused", slug="unused"),
}


@pytest.mark.parametrize("model", sorted(UNUSED))
def test_bulk_delete_of_unused_records(editor_client, seed, model):
    obj = UNUSED[model]()
    data = {"action": "delete_selected", "_selected_action": [obj.pk], "post": "yes"}
    response = editor_client.post(admin_url(model, "changelist"), data, follow=True)
    assert f"Successfully deleted 1 {model}." in messages_of(response)
    assert not type(obj).objects.filter(pk=obj.pk).exists()
    deleted = type(obj).history.filter(id=obj.pk, history_type="-").get()
    assert deleted.history_user.username == "editor"
    if model == "source":
        assert deleted.text == obj.text  # the history keeps what was deleted


@pytest.mark.parametrize("model", ["actor", "outlet", "source"])
def test_delete_page_of_a_record_claims_point_to(editor_client, seed, model):
    obj = {"actor": lambda: Actor.objects.get(name="Nikol Pashinyan"),
           "outlet": lambda: Outlet.objects.get(name="Facebook"),
           "source": lambda: Source.objects.get()}[model]()
    response = editor_client.get(admin_url(model, "delete", obj.pk))
    assert "Cannot delete" in response.content.decode()
    response = editor_client.post(admin_url(model, "delete", obj.pk), {"post": "yes"})
    assert response.status_code == 200
    assert type(obj).objects.filter(pk=obj.pk).exists()


def test_delete_refused_by_the_service_shows_a_message(editor_client, seed, monkeypatch):
    admin_ = site._registry[Actor]
    monkeypatch.setattr(type(admin_), "get_deleted_objects", lambda self, objs, request: ([], {}, set(), []))
    tokayev = Actor.objects.get(name="Kassym-Yomart Tokayev")
    response = editor_client.post(admin_url("actor", "delete", tokayev.pk), {"post": "yes"}, follow=True)
    assert response.status_code == 200
    assert any("cannot be deleted while 3 claims point to it" in m for m in messages_of(response))
    assert Actor.objects.filter(pk=tokayev.pk).exists()


def test_contributor_cannot_delete(contributor_client, actor):
    assert contributor_client.post(admin_url("actor", "delete", actor.pk), {"post": "yes"}).status_code == 403
    assert Actor.objects.filter(pk=actor.pk).exists()


# --- history -------------------------------------------------------------------------------------

def test_claim_history_lists_the_change_and_who_made_it(editor_client, claim):
    data = claim_form(claim, speaker_role="Energy minister")
    assert editor_client.post(admin_url("claim", "change", claim.pk), data).status_code == 302
    response = editor_client.get(admin_url("claim", "history", claim.pk))
    html = response.content.decode()
    records = list(response.context["page_obj"])
    assert records[0].history_user.username == "editor"
    assert records[0].history_type == "~"
    assert ">editor</a>" in html
    assert "speaker role" in html.lower() and "Energy minister" in html and "Minister of Energy" in html


def test_revert_to_an_old_version_goes_through_the_services(editor_client, editor, claim):
    old = claim.history.earliest()
    services.claim_set_status(claim=claim, user=editor, status="verified")
    services.claim_update(claim=claim, user=editor, data={"text": "the promise was empty", "kind": "paraphrase"})
    claim.refresh_from_db()
    assert claim.status == "unverified"
    url = admin_url("claim", "simple_history", claim.pk, old.history_id)
    page = editor_client.get(url)
    assert page.status_code == 200
    data = claim_form(old.instance, status="unverified", status_note=claim.status_note)
    data["tags"] = []
    response = editor_client.post(url, data)
    assert response.status_code == 302
    claim.refresh_from_db()
    assert claim.text == "We will not raise fuel prices this winter."
    assert claim.kind == "direct_quote"
    assert claim.span_exact == "We will not raise fuel prices this winter."
    assert claim.history.latest().history_user == editor


def test_revert_needs_the_change_permission(client, claim):
    from django.contrib.auth.models import Permission, User
    viewer = User.objects.create_user("viewer", is_staff=True)
    viewer.user_permissions.add(Permission.objects.get(codename="view_claim"))
    client.force_login(viewer)
    services.claim_update(claim=claim, data={"speaker_role": "Someone else"})
    old = claim.history.earliest()
    url = admin_url("claim", "simple_history", claim.pk, old.history_id)
    assert client.get(url).status_code == 200
    assert client.post(url, claim_form(old.instance)).status_code == 403
    claim.refresh_from_db()
    assert claim.speaker_role == "Someone else"


# --- query counts --------------------------------------------------------------------------------

def _changelist_queries(client, model):
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(admin_url(model, "changelist"))
    assert response.status_code == 200
    return len(ctx), response.context["cl"].result_count


def _more_claims(n, *, actor, source):
    tag = services.tag_create(name="Fuel", slug="fuel")
    reviewer = services.actor_create(name="A checker", kind="organization")
    for i in range(n):
        speaker = services.actor_create(name=f"Speaker {i}", kind="person", aliases=[f"S{i}"])
        outlet = services.outlet_create(name=f"Outlet {i}")
        claim = services.claim_create(speaker=speaker, source=source, outlet=outlet, text="the promise was empty",
                                      kind="paraphrase", tags=[tag], stated_on=f"2022-01-0{i % 9 + 1}",
                                      stated_on_precision="day")
        services.review_create(claim=claim, reviewer=reviewer, rating="false")
        services.source_create(title=f"Source {i}", outlet=outlet, authors=[f"Author {i}"])


@pytest.mark.parametrize("model", MODELS)
def test_changelist_query_count_does_not_grow(editor_client, claim, actor, source, model):
    services.review_create(claim=claim, reviewer=actor, rating="true")
    few, count_few = _changelist_queries(editor_client, model)
    _more_claims(15, actor=actor, source=source)
    many, count_many = _changelist_queries(editor_client, model)
    assert count_many > count_few
    assert many == few


# --- actors, sources, outlets, tags --------------------------------------------------------------

def test_actor_changelist_counts_claims_and_searches_aliases(editor_client, seed):
    response = editor_client.get(admin_url("actor", "changelist"), {"q": "murtazashvili"})
    [murtazashvili] = rows(response)
    assert murtazashvili.claim_count == 4
    link = f'<td class="field-claim_count"><a href="/admin/factbase/claim/?speaker__id__exact={murtazashvili.pk}"'
    assert link in response.content.decode()
    tokayev = Actor.objects.get(name="Kassym-Yomart Tokayev")
    services.actor_update(actor=tokayev, data={"aliases": ["Tokayev", "Токаев"]})
    response = editor_client.get(admin_url("actor", "changelist"), {"q": "токаев"})
    assert rows(response) == [tokayev]


def test_actor_aliases_are_edited_one_per_line(editor_client):
    data = {"name": "Kassym-Yomart Tokayev", "kind": "person", "aliases": "Tokayev\r\n\r\n  Токаев  \r\n",
            "description": "", "wikidata_id": "Q358371"}
    response = editor_client.post(admin_url("actor", "add"), data)
    assert response.status_code == 302
    actor = Actor.objects.get()
    assert actor.aliases == ["Tokayev", "Токаев"]
    html = editor_client.get(admin_url("actor", "change", actor.pk)).content.decode()
    assert re.search(r'<textarea name="aliases"[^>]*>\s*Tokayev\nТокаев</textarea>', html)


def test_actor_errors_are_form_errors(editor_client, actor):
    data = {"name": "Someone", "kind": "person", "aliases": "Sam\nsam", "description": "", "wikidata_id": "123"}
    response = editor_client.post(admin_url("actor", "add"), data)
    assert response.status_code == 200
    errors = response.context["adminform"].form.errors
    assert "listed twice" in str(errors["aliases"])
    assert "Q followed by digits" in response.content.decode()
    data = {"name": "Jane Minister", "kind": "person", "aliases": "", "description": "", "wikidata_id": ""}
    response = editor_client.post(admin_url("actor", "add"), data)
    assert response.status_code == 200
    assert "An actor of this kind with this name already exists." in response.content.decode()
    assert Actor.objects.count() == 1


def test_source_authors_and_text(editor_client):
    data = {"title": "An article", "url": "", "outlet": "", "authors": "Ann Writer\n\nBob Reporter\n",
            "published_on": "2022-01-08", "language": "en", "text": "He said “yes”."}
    assert editor_client.post(admin_url("source", "add"), data).status_code == 302
    source = Source.objects.get()
    assert source.authors == ["Ann Writer", "Bob Reporter"]
    html = editor_client.get(admin_url("source", "change", source.pk)).content.decode()
    assert re.search(r'<textarea name="text" cols="100" rows="30" class="vLargeTextField factbase-source-text"', html)


def test_source_text_change_that_loses_a_quote_is_a_form_error(editor_client, claim, source):
    data = {"title": source.title, "url": source.url, "outlet": "", "authors": "", "published_on": "2022-01-08",
            "language": "en", "text": "The minister said nothing at all."}
    response = editor_client.post(admin_url("source", "change", source.pk), data)
    assert response.status_code == 200
    form = response.context["adminform"].form
    assert "no longer contains what 1 claim(s) quote" in str(form.errors["text"])
    source.refresh_from_db()
    assert source.text.startswith("The minister said: “We will not raise")
    assert source.history.count() == 1


def test_emptying_a_quoted_source_text_is_a_form_error(editor_client, claim, source):
    data = {"title": source.title, "url": source.url, "outlet": "", "authors": "", "published_on": "2022-01-08",
            "language": "en", "text": ""}
    response = editor_client.post(admin_url("source", "change", source.pk), data)
    assert response.status_code == 200
    assert "cannot be emptied while 1 claim(s) quote it" in str(response.context["adminform"].form.errors["text"])
    source.refresh_from_db()
    assert source.text.startswith("The minister said: “We will not raise")


def test_a_text_past_the_limit_is_a_form_error(editor_client, source):
    from factbase.models import limits

    data = {"title": source.title, "url": source.url, "outlet": "", "authors": "", "published_on": "2022-01-08",
            "language": "en", "text": "x" * (limits.SOURCE_TEXT_MAX_LENGTH + 1)}
    response = editor_client.post(admin_url("source", "change", source.pk), data)
    assert response.status_code == 200
    assert "at most 1000000 characters" in str(response.context["adminform"].form.errors["text"])


def test_saving_a_source_unchanged_writes_no_history(editor_client, claim, source):
    data = {"title": source.title, "url": source.url, "outlet": "", "authors": "", "published_on": "2022-01-08",
            "language": "en", "text": source.text}
    assert editor_client.post(admin_url("source", "change", source.pk), data).status_code == 302
    assert source.history.count() == 1 and claim.history.count() == 1


def test_source_text_change_moves_the_spans(editor_client, claim, source):
    data = {"title": source.title, "url": source.url, "outlet": "", "authors": "", "published_on": "2022-01-08",
            "language": "en", "text": "New intro. " + source.text}
    assert editor_client.post(admin_url("source", "change", source.pk), data).status_code == 302
    claim.refresh_from_db()
    assert claim.span_start == len("New intro. ") + 20


def test_source_changelist_filters_and_counts(editor_client, seed, source):
    response = editor_client.get(admin_url("source", "changelist"), {"language": "en"})
    assert response.status_code == 200
    response = editor_client.get(admin_url("source", "changelist"), {"q": "frozen"})
    assert rows(response) == [source]
    assert rows(response)[0].claim_count == 0
    seed_source = Source.objects.exclude(pk=source.pk).get()
    response = editor_client.get(admin_url("source", "changelist"), {"q": "CSTO"})
    assert rows(response) == [seed_source] and seed_source.claims.count() == rows(response)[0].claim_count == 18


def test_outlet_and_tag_admins(editor_client, seed):
    response = editor_client.get(admin_url("outlet", "changelist"), {"kind__exact": "event"})
    [council] = rows(response)
    assert (council.name, council.claim_count) == ("Atlantic Council event", 2)
    data = {"name": "Energy", "slug": "energy", "description": ""}
    assert editor_client.post(admin_url("tag", "add"), data).status_code == 302
    assert Tag.objects.get(slug="energy").history.get().history_user.username == "editor"
    html = editor_client.get(admin_url("tag", "add")).content.decode()
    assert "prepopulated" in html  # the slug is filled from the name


def test_autocomplete_finds_speakers_by_alias(editor_client, seed):
    url = reverse("admin:autocomplete")
    response = editor_client.get(url, {"term": "pashinyan", "app_label": "factbase", "model_name": "claim",
                                       "field_name": "speaker"})
    assert response.status_code == 200
    assert [r["text"] for r in response.json()["results"]] == ["Nikol Pashinyan"]


@pytest.mark.parametrize("term", ["Untitled source of 2022-01-08", "untitled", "2022-01", "2022-01-08"])
def test_autocomplete_finds_an_untitled_source_by_the_name_it_shows(editor_client, seed, term):
    """The seed's source has no title or URL: the claim form shows it as "Untitled source of 2022-01-08",
    and typing that (or a part of it) finds it."""
    titled = services.source_create(title="Briefing transcript", text=SAMPLE_TEXT,
                                    published_on=datetime.date(2022, 1, 8))
    services.source_create(text=SAMPLE_TEXT + " Another.", published_on=datetime.date(2021, 12, 30))
    url = reverse("admin:autocomplete")
    response = editor_client.get(url, {"term": term, "app_label": "factbase", "model_name": "claim",
                                       "field_name": "source"})
    assert response.status_code == 200
    found = [r["text"] for r in response.json()["results"]]
    assert "Untitled source of 2022-01-08" in found
    assert "Untitled source of 2021-12-30" not in found or term == "untitled"
    assert str(titled) not in found  # its name is its title, which does not say this


def test_source_search_by_a_word_no_label_has_finds_nothing_more(editor_client, seed):
    response = editor_client.get(admin_url("source", "changelist"), {"q": "untitled zzzq"})
    assert rows(response) == []


def test_add_actor_from_the_claim_form_popup(editor_client):
    """The "+" next to the speaker field: the new actor, saved by the service, comes back to the claim form."""
    data = {"name": "New Speaker", "kind": "person", "aliases": "", "description": "", "wikidata_id": "",
            "_popup": "1", "_to_field": "id"}
    response = editor_client.post(admin_url("actor", "add") + "?_to_field=id&_popup=1", data)
    assert response.status_code == 200
    actor = Actor.objects.get(name="New Speaker")
    assert f"&quot;value&quot;: &quot;{actor.pk}&quot;" in response.content.decode()


# --- relations between claims, reasons for changes ---------------------------------------------------

def test_an_editor_relates_claims_inline_through_the_services_with_a_reason(editor_client, editor, claim, actor, source):
    from factbase.models import ClaimRelation

    other = services.claim_create(speaker=actor, source=source, text="prices will stay frozen")
    change = reverse("admin:factbase_claim_change", args=[claim.pk])
    page = editor_client.get(change)
    assert b"Reason for this change" in page.content and b"relations_from-TOTAL_FORMS" in page.content
    response = editor_client.post(change, claim_form(claim, relations=[{"type": "contradicts",
                                                                        "related_claim": other.pk}],
                                                     change_reason="They cannot both hold"))
    assert response.status_code == 302, response.context and response.context["errors"]
    relation = ClaimRelation.objects.get()
    assert (relation.claim, relation.type, relation.related_claim) == (claim, "contradicts", other)
    record = relation.history.get()
    assert (record.history_user, record.history_change_reason) == (editor, "They cannot both hold")
    # seen from the other claim's page, which lists it (read-only) from its side
    page = editor_client.get(reverse("admin:factbase_claim_change", args=[other.pk]))
    assert b"contradicts" in page.content and f"#{claim.pk}".encode() in page.content

    # the symmetric duplicate, entered from the other claim, is refused on its row, and nothing is saved
    response = editor_client.post(reverse("admin:factbase_claim_change", args=[other.pk]),
                                  claim_form(other, relations=[{"type": "contradicts", "related_claim": claim.pk}],
                                             speaker_role="Changed too"))
    assert response.status_code == 200
    assert "already" in str(response.context["inline_admin_formsets"][1].formset.errors)
    other.refresh_from_db()
    assert other.speaker_role == "" and ClaimRelation.objects.count() == 1


def test_a_change_in_the_admin_keeps_its_reason(editor_client, claim):
    change = reverse("admin:factbase_claim_change", args=[claim.pk])
    response = editor_client.post(change, claim_form(claim, speaker_role="Former minister",
                                                     change_reason="Resigned the week before"))
    assert response.status_code == 302
    assert claim.history.first().history_change_reason == "Resigned the week before"
    # a reason alone changes nothing, and writes nothing
    count = claim.history.count()
    assert editor_client.post(change, claim_form(Claim.objects.get(pk=claim.pk), change_reason="x")).status_code == 302
    assert claim.history.count() == count
    page = editor_client.get(reverse("admin:factbase_claim_history", args=[claim.pk]))
    assert b"Resigned the week before" in page.content
