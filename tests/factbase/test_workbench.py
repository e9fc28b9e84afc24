"""The editor's workbench (issue #15 item 1): a source's page shows its text with its claims highlighted,
a selected passage opens a prefilled claim form, and the claim forms find the typed quote in the source."""

import re
from html import unescape

import pytest
from django.contrib.auth.models import Permission, User
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from factbase import services, workbench
from factbase.models import Actor, Claim, Source
from factbase.workbench import ClaimSpan
from tests.conftest import SAMPLE_TEXT
from tests.factbase.test_admin import admin_url, claim_form, messages_of


@pytest.fixture
def editor_client(client, editor):
    client.force_login(editor)
    return client


def json_url(source_id):
    return reverse("admin:factbase_source_workbench_json", args=[source_id])


def find_url(source_id):
    return reverse("admin:factbase_source_find_quote", args=[source_id])


def reading(html):
    """The rendered text of the workbench (the element that holds the paragraphs)."""
    return re.search(r'<div id="factbase-source-text"[^>]*>(.*?)</div>', html, re.DOTALL).group(1)


def marks(html):
    """Each ``<mark>`` of the text: (claim ids, status class, start, end, link, title, text)."""
    found = re.findall(
        r'<mark class="factbase-claim factbase-status-(\w+)( factbase-overlap)?" data-claims="([\d ]+)" '
        r'data-start="(\d+)" data-end="(\d+)" title="([^"]*)"><a href="([^"]+)" draggable="false">(.*?)</a></mark>',
        reading(html), re.DOTALL)
    return [{"status": s, "overlap": bool(o), "claims": [int(i) for i in ids.split()], "start": int(a), "end": int(b),
             "title": unescape(t), "href": h, "text": unescape(x)} for s, o, ids, a, b, t, h, x in found]


# --- the pure functions --------------------------------------------------------------------------

def test_paragraphs_are_split_on_blank_lines_and_keep_single_line_breaks():
    text = "  First line\nstill the first.\n\n \n Second.\r\n\r\nThird\n"
    assert [text[s:e] for s, e in workbench.paragraphs(text)] == ["First line\nstill the first.", "Second.", "Third"]
    assert workbench.paragraphs("") == [] and workbench.paragraphs(" \n\n ") == []


def test_overlapping_spans_are_cut_into_pieces_that_name_every_claim():
    text = "aaaa bbbb cccc dddd"
    one = ClaimSpan(1, 0, 9, "verified", "A")      # "aaaa bbbb"
    two = ClaimSpan(2, 5, 14, "disputed", "B")     # "bbbb cccc"
    three = ClaimSpan(3, 5, 9, "rejected", "C")    # "bbbb", inside both
    [paragraph] = workbench.segments(text, [two, three, one])
    pieces = [(s.text, [c.id for c in s.claims]) for s in paragraph.segments]
    assert pieces == [("aaaa ", [1]), ("bbbb", [1, 2, 3]), (" cccc", [2]), (" dddd", [])]
    assert paragraph.segments[1].top.id == 3  # the innermost is linked
    assert "".join(s.text for s in paragraph.segments) == text


def test_a_span_across_paragraphs_is_highlighted_in_both():
    text = "One two.\n\nThree four."
    [first, second] = workbench.segments(text, [ClaimSpan(1, 4, 15, "unverified", "A")])
    assert [(s.text, bool(s.claims)) for s in first.segments] == [("One ", False), ("two.", True)]
    assert [(s.text, bool(s.claims)) for s in second.segments] == [("Three", True), (" four.", False)]


@pytest.mark.parametrize(("selected", "kind", "text"), [
    ("“We will not raise fuel prices this winter.”", "direct_quote", "We will not raise fuel prices this winter."),
    ("We will not raise fuel prices this winter.", "direct_quote", "We will not raise fuel prices this winter."),
    (" “prices will stay frozen”.", "direct_quote", "prices will stay frozen"),
    ("Critics answered that the promise was empty.", "paraphrase", "Critics answered that the promise was empty."),
    ("minister said: “We will not", "paraphrase", "minister said: “We will not"),
])
def test_a_passage_inside_quotation_marks_is_a_direct_quote_without_the_marks(selected, kind, text):
    start = SAMPLE_TEXT.rindex(selected)
    chosen = workbench.passage(SAMPLE_TEXT, start, start + len(selected))
    assert (chosen["kind"], chosen["text"]) == (kind, text)
    assert SAMPLE_TEXT[chosen["start"]:chosen["end"]] == chosen["span_exact"]
    assert chosen["span_hint"] == chosen["start"]


def test_a_quote_followed_by_its_comma_leaves_the_comma_out():
    text = "“We will win,” he said."
    assert workbench.passage(text, 0, text.index(" he"))["text"] == "We will win"


@pytest.mark.parametrize(("text", "start", "end", "field"), [
    ("Hello world", -1, 3, "start"), ("Hello world", 5, 5, "end"), ("Hello world", 0, 10_000, "end"),
    ("ab   cd", 3, 4, "end"),  # only white space
])
def test_a_passage_outside_the_text_is_refused_naming_the_offset(text, start, end, field):
    with pytest.raises(workbench.PassageError) as error:
        workbench.passage(text, start, end)
    assert error.value.field == field


def test_overlap_message_names_the_claims_and_their_speakers():
    claims = [ClaimSpan(10, 0, 5, "verified", "Jennifer Brick Murtazashvili"), ClaimSpan(11, 3, 9, "unverified", "X")]
    assert workbench.overlapping(claims, 6, 8) == [claims[1]]
    assert workbench.overlapping(claims, 5, 6) == [claims[1]]
    assert workbench.overlapping(claims, 0, 3) == [claims[0]]
    assert workbench.overlapping(claims, 0, 3, exclude=10) == []
    assert workbench.overlap_message([claims[0]]) == (
        "This passage is already claim #10, by Jennifer Brick Murtazashvili.")
    assert workbench.overlap_message(claims) == ("This passage overlaps claim #10, by Jennifer Brick Murtazashvili "
                                                 "and claim #11, by X.")


# --- the source's page ---------------------------------------------------------------------------

def test_the_seed_source_page_highlights_its_18_claims_linked_with_their_speaker_and_status(editor_client, seed):
    source = Source.objects.get()
    services.claim_set_status(claim=Claim.objects.get(text__startswith="We should not call"),
                              user=User.objects.get(username="editor"), status="disputed")
    html = editor_client.get(admin_url("source", "change", source.pk)).content.decode()
    found = marks(html)
    claims = {c.pk: c for c in Claim.objects.select_related("speaker")}
    assert {i for m in found for i in m["claims"]} == set(claims) and len(claims) == 18
    for mark in found:
        assert source.text[mark["start"]:mark["end"]] == mark["text"]
        top = claims[mark["claims"][-1]]
        assert mark["href"] == admin_url("claim", "change", top.pk)
        assert mark["status"] == top.status
        for pk in mark["claims"]:
            assert f"Claim #{pk} by {claims[pk].speaker.name} ({claims[pk].status})" in mark["title"]
    disputed = [m for m in found if m["status"] == "disputed"]
    assert [m["text"] for m in disputed] == ["We should not call all these people protesters"]
    # Claims 2 and 3 of the seed overlap ("spiraling unrest"): one piece names both, linked to the inner one.
    overlaps = [m for m in found if m["overlap"]]
    assert overlaps and all(len(m["claims"]) == 2 for m in overlaps)
    # The pieces put together are the text, paragraph by paragraph.
    paragraphs = re.findall(r'<p data-start="(\d+)" data-end="(\d+)">(.*?)</p>', reading(html), re.DOTALL)
    for start, end, inner in paragraphs:
        assert unescape(re.sub(r"<[^>]+>", "", inner)) == source.text[int(start):int(end)]
    assert len(paragraphs) == len(workbench.paragraphs(source.text))
    # The list of the claims, each linked, with its speaker and status; the raw text stays editable.
    table = re.search(r'<table class="factbase-claims-table">(.*?)</table>', html, re.DOTALL).group(1)
    assert table.count("<tr data-claim=") == 18
    assert f'<a href="{admin_url("claim", "change", top.pk)}">#{top.pk}</a>' in table
    assert "Jennifer Brick Murtazashvili" in table and ">Disputed<" in table
    assert re.search(r'<textarea name="text"[^>]*>', html)
    assert 'id="factbase-new-claim"' in html and "New claim from this passage" in html
    assert '<section id="suggestions"' in html
    assert "factbase/workbench.js" in html and "factbase/workbench.css" in html


def test_the_source_text_is_escaped(editor_client, actor):
    text = "Intro <script>alert('x')</script> & more.\n\nHe said “<b>bold</b> & true”."
    source = services.source_create(title="Escapes", text=text)
    services.claim_create(speaker=actor, source=source, text="<b>bold</b> & true")
    html = editor_client.get(admin_url("source", "change", source.pk)).content.decode()
    shown = reading(html)
    assert "<script>" not in shown and "<b>" not in shown
    assert "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt; &amp; more." in shown
    [mark] = marks(html)
    assert mark["text"] == "<b>bold</b> & true"


def test_after_a_refused_text_edit_the_workbench_shows_the_stored_text(editor_client, claim, source):
    data = {"title": source.title, "url": source.url, "outlet": "", "authors": "", "published_on": "2022-01-08",
            "language": "en", "text": "The minister said nothing at all."}
    response = editor_client.post(admin_url("source", "change", source.pk), data)
    assert response.status_code == 200 and "text" in response.context["adminform"].form.errors
    html = response.content.decode()
    [mark] = marks(html)
    assert mark["text"] == "We will not raise fuel prices this winter." and mark["claims"] == [claim.pk]
    assert "said nothing at all" not in reading(html)
    assert re.search(r'<textarea name="text"[^>]*>\s*The minister said nothing at all.</textarea>', html)


def test_a_source_without_text_or_claims_says_so(editor_client):
    source = services.source_create(title="Heard on the radio")
    html = editor_client.get(admin_url("source", "change", source.pk)).content.decode()
    assert "The source&#x27;s text is not held" in html or "The source's text is not held" in html
    assert "No claims yet." in html
    # Without a text to show, the text box is not collapsed; on the add page there is no workbench.
    assert 'id="workbench"' not in editor_client.get(admin_url("source", "add")).content.decode()


def test_a_user_who_may_not_add_claims_gets_no_button(client, seed):
    viewer = User.objects.create_user("viewer", password="x", is_staff=True)
    viewer.user_permissions.add(*Permission.objects.filter(codename__in=["view_source", "view_claim"]))
    client.force_login(viewer)
    html = client.get(admin_url("source", "change", Source.objects.get().pk)).content.decode()
    assert len(marks(html)) >= 18
    assert 'id="factbase-new-claim"' not in html and "you may not add claims" in html


def _add_claims(source, speaker, count):
    words = source.text.split()
    for i in range(count):
        services.claim_create(speaker=speaker, source=source, kind="paraphrase", text=f"Claim {i}",
                              span_exact=" ".join(words[i % 50:i % 50 + 3]))


def _queries(client, url):
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200
    return len(queries)


@pytest.mark.parametrize("view", ["change", "workbench_json"])
def test_the_page_and_its_json_take_as_many_queries_for_200_claims_as_for_2(editor_client, actor, view):
    source = services.source_create(title="Long", text=" ".join(f"word{i}" for i in range(400)))
    _add_claims(source, actor, 2)
    url = admin_url("source", view, source.pk)
    few = _queries(editor_client, url)
    _add_claims(source, actor, 198)
    assert Claim.objects.filter(source=source).count() == 200
    many = _queries(editor_client, url)
    assert many == few
    if view == "change":
        assert len(marks(editor_client.get(url).content.decode())) >= 50


# --- the JSON views ------------------------------------------------------------------------------

def test_workbench_json_gives_the_text_paragraphs_and_claims(editor_client, claim, source):
    response = editor_client.get(json_url(source.pk))
    assert response.status_code == 200 and response["Content-Type"] == "application/json"
    data = response.json()
    assert data["id"] == source.pk and data["text"] == SAMPLE_TEXT and data["title"] == "Fuel prices frozen"
    assert data["url"] == admin_url("source", "change", source.pk)
    assert data["paragraphs"] == [[0, len(SAMPLE_TEXT)]]
    assert data["claims"] == [{
        "id": claim.pk, "start": claim.span_start, "end": claim.span_end, "status": "unverified",
        "kind": "direct_quote", "text": claim.text, "speaker": {"id": claim.speaker_id, "name": "Jane Minister"},
        "url": admin_url("claim", "change", claim.pk)}]


@pytest.mark.parametrize("url", [json_url, find_url])
def test_the_json_views_need_the_view_permission_and_an_existing_source(editor_client, reader, source, url):
    client = Client()
    staff = User.objects.create_user("staff", password="x", is_staff=True)  # no permission at all
    client.force_login(staff)
    response = client.get(url(source.pk) + "?q=prices")
    assert response.status_code == 403 and "detail" in response.json()
    assert editor_client.get(url(source.pk + 1000) + "?q=prices").status_code == 404
    assert editor_client.get(url("abc") + "?q=prices").json() == {"detail": "No such source."}
    client.logout()
    client.force_login(reader)  # not staff: the admin's login page
    assert client.get(url(source.pk) + "?q=prices").status_code == 302


def test_find_quote_finds_it_despite_case_quotes_and_white_space(editor_client, claim, source):
    data = editor_client.get(find_url(source.pk), {"q": "the MINISTER’S\n office"}).json()
    [found] = data["found"]
    assert found["exact"] == "the minister’s office" == SAMPLE_TEXT[found["start"]:found["end"]]
    assert data["chosen"] == 0 and found["overlaps"] == [] and found["message"] == ""
    assert data["normalized"] == "the minister's office"


def test_find_quote_says_when_it_is_not_there(editor_client, source):
    data = editor_client.get(find_url(source.pk), {"q": "We will raise fuel prices"}).json()
    assert data["found"] == [] and data["chosen"] is None and data["has_text"] is True


def test_find_quote_lists_every_occurrence_and_chooses_as_the_claim_would(editor_client, source):
    first, second = SAMPLE_TEXT.index("prices   will"), SAMPLE_TEXT.rindex("prices will")
    data = editor_client.get(find_url(source.pk), {"q": "prices will stay frozen"}).json()
    assert [(f["start"], f["exact"]) for f in data["found"]] == [(first, "prices   will stay frozen"),
                                                                 (second, "prices will stay frozen")]
    assert data["chosen"] == 0  # no hint: the first
    assert editor_client.get(find_url(source.pk), {"q": "prices will stay frozen", "near": second - 3}).json()[
        "chosen"] == 1


def test_find_quote_flags_the_claims_an_occurrence_overlaps_but_the_one_edited(editor_client, claim, source):
    data = editor_client.get(find_url(source.pk), {"q": "fuel prices"}).json()
    [found] = data["found"]
    assert [o["id"] for o in found["overlaps"]] == [claim.pk]
    assert found["message"] == f"This passage is already claim #{claim.pk}, by Jane Minister."
    assert found["overlaps"][0]["url"] == admin_url("claim", "change", claim.pk)
    data = editor_client.get(find_url(source.pk), {"q": "fuel prices", "exclude": claim.pk}).json()
    assert data["found"][0]["overlaps"] == [] and data["found"][0]["message"] == ""


@pytest.mark.parametrize(("params", "field"), [
    ({}, "q"), ({"q": "   "}, "q"), ({"q": "x" * 10_001}, "q"), ({"q": "prices", "near": "-1"}, "near"),
    ({"q": "prices", "near": "²"}, "near"), ({"q": "prices", "exclude": "one"}, "exclude"),
])
def test_find_quote_bad_input_is_a_400_naming_the_parameter(editor_client, source, params, field):
    response = editor_client.get(find_url(source.pk), params)
    assert response.status_code == 400
    assert list(response.json()) == [field]


def test_find_quote_in_a_source_without_text(editor_client):
    source = services.source_create(title="No text")
    data = editor_client.get(find_url(source.pk), {"q": "anything"}).json()
    assert data == {"query": "anything", "normalized": "anything", "has_text": False, "found": [], "chosen": None}


# --- the claim forms -----------------------------------------------------------------------------

def test_the_add_form_has_the_source_panel_instead_of_shown_once_saved(editor_client):
    html = editor_client.get(admin_url("claim", "add")).content.decode()
    assert "field-source_context" not in html  # was "Source text: Shown once the claim is saved."
    assert 'id="factbase-source-panel"' in html
    assert f'data-workbench-url="{json_url("__source__")}"' in html
    assert f'data-find-url="{find_url("__source__")}"' in html
    assert 'type="hidden" name="span_hint"' in html
    assert "factbase/workbench.js" in html


def test_the_change_form_has_the_panel_and_the_span_in_context(editor_client, claim):
    html = editor_client.get(admin_url("claim", "change", claim.pk)).content.decode()
    assert f'data-claim-id="{claim.pk}" data-span-start="{claim.span_start}"' in html
    assert '<mark class="factbase-span">' in html


def test_a_selected_passage_prefills_the_add_form(editor_client, source):
    start = SAMPLE_TEXT.rindex("“prices will stay frozen”")
    response = editor_client.get(admin_url("claim", "add"), {"source": source.pk, "passage_start": start,
                                                             "passage_end": start + len("“prices will stay frozen”")})
    form = response.context["adminform"].form
    assert form.initial["source"] == str(source.pk)
    assert form.initial["kind"] == "direct_quote"
    assert form.initial["text"] == form.initial["span_exact"] == "prices will stay frozen"
    assert form.initial["span_hint"] == start + 1
    assert "passage_start" not in form.initial


def test_the_prefilled_form_saves_the_claim_at_the_chosen_occurrence(editor_client, actor, source):
    """The phrase occurs twice; the selected (second) occurrence is the claim's span, not the first."""
    second = SAMPLE_TEXT.rindex("prices will stay frozen")
    initial = editor_client.get(admin_url("claim", "add"), {
        "source": source.pk, "passage_start": second, "passage_end": second + len("prices will stay frozen")
    }).context["adminform"].form.initial
    data = claim_form(speaker=actor.pk, source=source.pk, kind=initial["kind"], text=initial["text"],
                      span_exact=initial["span_exact"], span_hint=initial["span_hint"])
    response = editor_client.post(admin_url("claim", "add"), data)
    assert response.status_code == 302
    claim = Claim.objects.get()
    assert (claim.span_start, claim.span_exact) == (second, "prices will stay frozen")
    # Without the hint, the first occurrence (the rule of find_quote).
    data.pop("span_hint")
    editor_client.post(admin_url("claim", "add"), {**data, "speaker_role": "Spokesperson"})
    assert Claim.objects.get(speaker_role="Spokesperson").span_start == SAMPLE_TEXT.index("prices   will")


def test_a_paraphrase_passage_prefills_and_saves_with_its_passage(editor_client, actor, source):
    passage = "Critics answered that the promise was empty."
    start = SAMPLE_TEXT.index(passage)
    initial = editor_client.get(admin_url("claim", "add"), {"source": source.pk, "passage_start": start - 1,
                                                            "passage_end": start + len(passage) + 1}
                                ).context["adminform"].form.initial
    assert (initial["kind"], initial["span_exact"], initial["span_hint"]) == ("paraphrase", passage, start)
    data = claim_form(speaker=actor.pk, source=source.pk, kind="paraphrase", text="The promise was empty, critics said",
                      span_exact=initial["span_exact"], span_hint=initial["span_hint"])
    assert editor_client.post(admin_url("claim", "add"), data).status_code == 302
    claim = Claim.objects.get()
    assert (claim.kind, claim.span_start, claim.span_exact) == ("paraphrase", start, passage)


def test_a_passage_outside_the_text_leaves_the_form_empty_with_a_warning(editor_client, source):
    response = editor_client.get(admin_url("claim", "add"), {"source": source.pk, "passage_start": 5,
                                                             "passage_end": 99_999})
    assert response.status_code == 200
    assert "text" not in response.context["adminform"].form.initial
    assert any("not in the source's text" in m for m in messages_of(response))
    for source_id in ("x", "99999"):
        response = editor_client.get(admin_url("claim", "add"), {"source": source_id, "passage_start": 0,
                                                                 "passage_end": 3})
        assert response.status_code == 200
        assert any("source was not found" in m for m in messages_of(response))


def test_the_change_form_moves_the_span_to_the_occurrence_clicked(editor_client, actor, source):
    claim = services.claim_create(speaker=actor, source=source, text="prices will stay frozen")
    assert claim.span_start == SAMPLE_TEXT.index("prices   will")
    second = SAMPLE_TEXT.rindex("prices will stay frozen")
    response = editor_client.post(admin_url("claim", "change", claim.pk), claim_form(claim, span_hint=second))
    assert response.status_code == 302
    claim.refresh_from_db()
    assert (claim.span_start, claim.span_exact) == (second, "prices will stay frozen")
    assert Actor.objects.count() == 1
