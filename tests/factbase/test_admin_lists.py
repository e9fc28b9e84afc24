"""The admin's lists and pages that fit the work (issue #15): the claims list (its columns, query count,
date range filter), a record's claims and the counts that link to them, bulk status actions with a
confirmation and a note, who set a status, the history's users and reasons, a revert that cannot restore
the status, and the site's icon."""

import datetime
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from factbase import services
from factbase.admin.record_claims import RECORD_CLAIMS_SHOWN
from factbase.models import Actor, Claim, Outlet, Source, Tag
from tests.factbase.test_admin import admin_url, claim_form, messages_of, rows, status_action

SEED_REASON = "Loaded from the seed"


@pytest.fixture
def editor_client(client, editor):
    client.force_login(editor)
    return client


@pytest.fixture
def contributor_client(client, contributor):
    client.force_login(contributor)
    return client


def changelist(client, **params):
    response = client.get(admin_url("claim", "changelist"), params)
    assert response.status_code == 200
    return response


# --- the claims list -----------------------------------------------------------------------------

def test_the_claims_list_has_six_columns_with_speaker_status_tags_and_reviews(editor_client, editor, seed):
    blinken = Claim.objects.filter(speaker__name="Antony Blinken").order_by("pk").first()
    services.claim_set_status(claim=blinken, user=editor, status="disputed", note="Not in the transcript")
    response = changelist(editor_client)
    assert list(response.context["cl"].list_display)[1:] == ["claim", "status_set", "stated", "where", "tag_names",
                                                             "reviewed"]
    html = response.content.decode()
    row = next(r for r in re.findall(r"<tr>.*?</tr>", html, re.S) if blinken.text[:40] in r)
    assert "— Antony Blinken, US Secretary of State" in row
    assert re.search(r"Disputed</span> <span class=\"factbase-status-by\">by editor, \d{4}-\d\d-\d\d</span>", row)
    assert '<span class="factbase-tag">Kazakhstan unrest, January 2022</span>' in row
    assert "in Untitled source of 2022-01-08" in row
    # The one reviewed claim of the seed has the mark; no other row has it.
    assert html.count('alt="Has reviews"') == 1 == Claim.objects.filter(reviews__isnull=False).distinct().count()
    # No date hierarchy (a scan of the whole table for its years and months).
    assert response.context["cl"].date_hierarchy is None


def test_the_claims_list_shows_the_newest_first_and_the_undated_last(editor_client, seed):
    dates = [c.stated_on for c in rows(changelist(editor_client))]
    assert dates[:9] == sorted(dates[:9], reverse=True) and dates[0] == datetime.date(2022, 1, 7)
    assert dates[9:] == [None] * 9
    html = changelist(editor_client).content.decode()
    assert re.search(r'<th scope="col" class="sortable column-stated sorted descending">', html)


def test_the_claims_list_filters_by_reviews(editor_client, seed):
    reviewed = Claim.objects.filter(reviews__isnull=False).distinct()
    assert set(rows(changelist(editor_client, reviewed="yes"))) == set(reviewed) and reviewed.count() == 1
    assert len(rows(changelist(editor_client, reviewed="no"))) == Claim.objects.count() - 1


def _claims(n, *, source):
    """``n`` claims, each with one to three tags, every other one reviewed."""
    tags = [Tag.objects.get_or_create(name=f"Topic {i}", slug=f"topic-{i}")[0] for i in range(3)]
    reviewer = Actor.objects.filter(name="A checker").first() or services.actor_create(name="A checker",
                                                                                        kind="organization")
    speaker = Actor.objects.filter(name="Speaker").first() or services.actor_create(name="Speaker", kind="person")
    outlet = Outlet.objects.filter(name="Outlet").first() or services.outlet_create(name="Outlet")
    for i in range(n):
        claim = services.claim_create(speaker=speaker, source=source, outlet=outlet, text="the promise was empty",
                                      kind="paraphrase", tags=tags[: i % 3 + 1], stated_on=f"2022-01-0{i % 9 + 1}",
                                      stated_on_precision="day")
        if i % 2:
            services.review_create(claim=claim, reviewer=reviewer, rating="false")


def _queries(client):
    with CaptureQueriesContext(connection) as ctx:
        response = changelist(client)
    return len(ctx), response


@pytest.mark.parametrize("more", [90])
def test_the_claims_list_costs_the_same_queries_for_10_and_100_rows(editor_client, editor, source, more):
    _claims(10, source=source)
    services.claim_set_status(claim=Claim.objects.first(), user=editor, status="rejected")
    few, response = _queries(editor_client)
    assert len(rows(response)) == 10
    _claims(more, source=source)
    many, response = _queries(editor_client)
    assert len(rows(response)) == 100  # one page (list_per_page)
    assert many == few, (few, many)
    print(f"claims list queries: {few} at 10 rows, {many} at 100 rows")
    html = response.content.decode()
    assert html.count('alt="Has reviews"') == 50
    assert html.count('class="factbase-tag"') == sum(i % 3 + 1 for i in range(10)) + sum(i % 3 + 1 for i in range(90))


# --- the date range filter -----------------------------------------------------------------------

def stated(response):
    return sorted({c.stated_on for c in rows(response)})


FRIDAY, WEDNESDAY = datetime.date(2022, 1, 7), datetime.date(2022, 1, 5)


def test_the_date_range_filter_from(editor_client, seed):
    response = changelist(editor_client, stated_on__range__gte="2022-01-06")
    assert stated(response) == [FRIDAY] and len(rows(response)) == 8


def test_the_date_range_filter_to(editor_client, seed):
    response = changelist(editor_client, stated_on__range__lte="2022-01-06")
    assert [c.speaker.name for c in rows(response)] == ["Nikol Pashinyan"] and stated(response) == [WEDNESDAY]


def test_the_date_range_filter_from_and_to(editor_client, seed):
    response = changelist(editor_client, stated_on__range__gte="2022-01-05", stated_on__range__lte="2022-01-07")
    assert stated(response) == [WEDNESDAY, FRIDAY] and len(rows(response)) == 9  # undated claims are left out
    assert messages_of(response) == []
    response = changelist(editor_client, stated_on__range__gte="2022-01-07", stated_on__range__lte="2022-01-07")
    assert stated(response) == [FRIDAY]


def test_the_date_range_counts_a_claim_of_month_or_year_precision_by_its_first_day(editor_client, actor, source):
    """As the API's stated_after / stated_before (the same selector)."""
    march = services.claim_create(speaker=actor, source=source, text="prices will stay frozen",
                                  stated_on=datetime.date(2021, 3, 1), stated_on_precision="month")
    assert rows(changelist(editor_client, stated_on__range__gte="2021-03-01",
                           stated_on__range__lte="2021-03-31")) == [march]
    assert rows(changelist(editor_client, stated_on__range__gte="2021-03-02")) == []


@pytest.mark.parametrize("params, named", [
    ({"stated_on__range__gte": "2022-02-30"}, "Date stated from: “2022-02-30” is not a date"),
    ({"stated_on__range__lte": "yesterday"}, "Date stated to: “yesterday” is not a date"),
    ({"stated_on__range__gte": "2022-13-01", "stated_on__range__lte": "2022-01-07"},
     "Date stated from: “2022-13-01” is not a date"),
])
def test_an_invalid_date_in_the_range_is_a_message_not_an_error(editor_client, seed, params, named):
    response = changelist(editor_client, **params)
    [message] = messages_of(response)
    assert named in message and "Enter it as YYYY-MM-DD" in message
    assert "The list is not filtered by that date." in message
    html = response.content.decode()
    assert "Enter a valid date." in html  # beside the field in the filter too
    if "stated_on__range__lte" in params and "2022-01-07" == params["stated_on__range__lte"]:
        assert stated(response)[-1] == FRIDAY  # the valid bound still applies
    else:
        assert len(rows(response)) == Claim.objects.count()


def test_a_range_from_after_to_finds_nothing_and_says_why(editor_client, seed):
    response = changelist(editor_client, stated_on__range__gte="2022-01-08", stated_on__range__lte="2022-01-05")
    assert rows(response) == []
    assert messages_of(response) == ["Date stated: the “from” date (2022-01-08) is after the “to” date (2022-01-05), "
                                     "so no claim is in that range."]


def test_the_filters_with_their_counts_shown(editor_client, seed):
    """"Show counts" (the admin's facets) asks every filter for counts: each answers, the range filter
    included, and an invalid date is reported once."""
    response = changelist(editor_client, _facets="True", stated_on__range__gte="2022-01-07", reviewed="no",
                          speaker__id__exact=Actor.objects.get(name="Antony Blinken").pk)
    assert len(rows(response)) == 2
    html = response.content.decode()
    assert "Unverified (2)" in html and "Antony Blinken (2)" in html
    response = changelist(editor_client, _facets="True", stated_on__range__lte="2022-01-32")
    assert len(messages_of(response)) == 1


def test_the_date_known_filter(editor_client, seed):
    assert len(rows(changelist(editor_client, dated="no"))) == 9
    assert all(c.stated_on for c in rows(changelist(editor_client, dated="yes")))


# --- a record's claims, and counts that link to them ---------------------------------------------

@pytest.mark.parametrize("model, lookup, name", [
    ("actor", "speaker__id__exact", "Jennifer Brick Murtazashvili"),
    ("outlet", "outlet__id__exact", "Foreign Policy"),
    ("tag", "tags__id__exact", "Kazakhstan unrest, January 2022"),
])
def test_a_record_page_lists_its_claims_linked_with_status(editor_client, editor, seed, model, lookup, name):
    record = {"actor": Actor, "outlet": Outlet, "tag": Tag}[model].objects.get(name=name)
    claims = Claim.objects.filter(**{lookup.removesuffix("__id__exact"): record})
    one = claims.order_by("pk").first()
    services.claim_set_status(claim=one, user=editor, status="rejected")
    response = editor_client.get(admin_url(model, "change", record.pk))
    html = response.content.decode()
    table = html[html.index('id="record-claims"'):]
    assert f"Claims ({claims.count()})" in table
    for claim in claims:
        assert f'href="{admin_url("claim", "change", claim.pk)}"' in table
    assert '<span class="factbase-status factbase-status-rejected">Rejected</span>' in table
    assert "Untitled source of 2022-01-08" in table
    assert f'href="/admin/factbase/claim/?{lookup}={record.pk}"' in table
    # The link leads to exactly these claims, and the list says by what it is filtered.
    listed = changelist(editor_client, **{lookup: record.pk})
    assert set(rows(listed)) == set(claims)
    filters = {spec.title: spec for spec in listed.context["cl"].filter_specs}
    assert any(choice.get("selected") and choice["display"] == name
               for spec in filters.values() for choice in spec.choices(listed.context["cl"]))


def test_a_record_page_shows_the_newest_claims_and_links_to_all(editor_client, actor, source):
    for day in range(1, RECORD_CLAIMS_SHOWN + 6):
        services.claim_create(speaker=actor, source=source, text="the promise was empty", kind="paraphrase",
                              stated_on=datetime.date(2021, 1, 1) + datetime.timedelta(days=day),
                              stated_on_precision="day")
    total = RECORD_CLAIMS_SHOWN + 5
    html = editor_client.get(admin_url("actor", "change", actor.pk)).content.decode()
    assert html.count('<td class="factbase-claim-text">') == RECORD_CLAIMS_SHOWN
    assert f"The newest {RECORD_CLAIMS_SHOWN} of {total} are shown." in html
    assert f"All {total} claims in the claims list" in html
    newest = datetime.date(2021, 1, 1) + datetime.timedelta(days=total)
    assert html.index(newest.isoformat()) < html.index((newest - datetime.timedelta(days=1)).isoformat())
    assert "2021-01-02" not in html  # the oldest are left to the list


def test_a_record_without_claims_says_so_and_the_add_page_lists_nothing(editor_client, actor):
    assert "No claims yet." in editor_client.get(admin_url("actor", "change", actor.pk)).content.decode()
    assert 'id="record-claims"' not in editor_client.get(admin_url("actor", "add")).content.decode()


@pytest.mark.parametrize("model, lookup", [("actor", "speaker__id__exact"), ("outlet", "outlet__id__exact"),
                                          ("tag", "tags__id__exact"), ("source", "source__id__exact")])
def test_counts_in_the_lists_link_to_the_filtered_claims(editor_client, seed, model, lookup):
    response = editor_client.get(admin_url(model, "changelist"))
    html = response.content.decode()
    linked = 0
    for record in rows(response):
        if record.claim_count:
            assert (f'<td class="field-claim_count"><a href="/admin/factbase/claim/?{lookup}={record.pk}" '
                    f'title="Show these claims">{record.claim_count}</a></td>') in html
            assert len(rows(changelist(editor_client, **{lookup: record.pk}))) == record.claim_count
            linked += 1
    assert linked


def test_a_bad_record_id_in_the_claims_list_is_no_server_error(editor_client, seed):
    response = editor_client.get(admin_url("claim", "changelist"), {"speaker__id__exact": "x1"})
    assert response.status_code in (200, 302)
    assert editor_client.get(admin_url("claim", "changelist"), {"speaker__id__exact": "999999"}).status_code == 200


# --- bulk status actions -------------------------------------------------------------------------

def test_a_status_action_asks_first_and_changes_nothing(editor_client, seed):
    chosen = list(Claim.objects.order_by("pk")[:3])
    response = status_action(editor_client, "mark_disputed", chosen)
    assert response.status_code == 200
    assert [t.name for t in response.templates][0] == "admin/factbase/claim/status_confirmation.html"
    html = response.content.decode()
    assert "Mark claims as disputed: are you sure?" in html
    assert "Mark these 3 claims as disputed?" in html
    for claim in chosen:
        assert f'name="_selected_action" value="{claim.pk}"' in html
        assert f'href="{admin_url("claim", "change", claim.pk)}"' in html
    assert 'name="note"' in html and 'name="post" value="yes"' in html
    assert 'value="mark_disputed"' in html
    assert 'class="button cancel-link">Cancel</a>' in html
    assert not Claim.objects.exclude(status="unverified").exists()


def test_the_cancel_link_goes_back_to_the_list_as_it_was_filtered(editor_client, seed):
    chosen = list(Claim.objects.order_by("pk")[:1])
    response = editor_client.post(admin_url("claim", "changelist") + "?status__exact=unverified&q=Tokayev",
                                  {"action": "mark_rejected", "_selected_action": [c.pk for c in chosen]})
    assert 'href="/admin/factbase/claim/?status__exact=unverified&amp;q=Tokayev" class="button cancel-link"' in \
        response.content.decode()


@pytest.mark.parametrize("action, status", [("mark_verified", "verified"), ("mark_disputed", "disputed"),
                                            ("mark_rejected", "rejected")])
def test_a_confirmed_status_action_stores_the_note_and_the_history_reason(editor_client, editor, seed, action,
                                                                           status):
    chosen = list(Claim.objects.filter(speaker__name="Jennifer Brick Murtazashvili"))
    note = f"Compared with the article: {status}."
    response = status_action(editor_client, action, chosen, note=note)
    assert f"4 claims were marked as {status}. Note: “{note}”." in messages_of(response)
    for claim in chosen:
        claim.refresh_from_db()
        assert (claim.status, claim.status_note) == (status, note)
        assert claim.status_changed_by == editor
        latest = claim.history.latest()
        assert (latest.history_change_reason, latest.history_user, latest.status) == (note, editor, status)


def test_back_to_unverified(editor_client, editor, seed):
    chosen = list(Claim.objects.order_by("pk")[:2])
    for claim in chosen:
        services.claim_set_status(claim=claim, user=editor, status="verified")
    response = status_action(editor_client, "mark_unverified", chosen, note="The source was corrected.")
    assert "2 claims were marked as unverified." in messages_of(response)[0]
    for claim in chosen:
        claim.refresh_from_db()
        assert claim.status == "unverified" and claim.verified_by is None and claim.verified_at is None
        assert claim.status_note == "The source was corrected."
        assert claim.history.latest().history_change_reason == "The source was corrected."


def test_without_a_note_the_history_says_what_was_done(editor_client, seed):
    claim = Claim.objects.order_by("pk").first()
    status_action(editor_client, "mark_rejected", [claim], note="")
    claim.refresh_from_db()
    assert claim.status == "rejected" and claim.status_note == ""
    assert claim.history.latest().history_change_reason == "Status set to rejected"


def test_claims_that_already_have_the_status_are_left_as_they_are(editor_client, editor, seed):
    first, second = Claim.objects.order_by("pk")[:2]
    services.claim_set_status(claim=first, user=editor, status="verified", note="Earlier check")
    confirm = status_action(editor_client, "mark_verified", [first, second]).content.decode()
    assert "Mark this claim as verified?" in confirm and "One already is verified and is left as it is." in confirm
    response = status_action(editor_client, "mark_verified", [first, second], note="Second check")
    assert "1 claim was marked as verified. 1 already was (left as it was)." in messages_of(response)[0]
    first.refresh_from_db()
    assert first.status_note == "Earlier check"


def test_a_note_longer_than_a_status_note_may_be_is_a_form_error(editor_client, seed):
    claim = Claim.objects.order_by("pk").first()
    response = status_action(editor_client, "mark_disputed", [claim], note="x" * 2001)
    assert response.status_code == 200
    assert "Ensure this value has at most 2000 characters" in response.content.decode()
    claim.refresh_from_db()
    assert claim.status == "unverified"


def test_more_claims_than_a_bulk_change_takes_are_refused(editor_client, seed, monkeypatch):
    from factbase.admin.claims import ClaimAdmin

    monkeypatch.setattr(ClaimAdmin, "MAX_BULK_STATUS", 2)
    chosen = list(Claim.objects.order_by("pk")[:3])
    response = status_action(editor_client, "mark_verified", chosen, note="")
    assert any("a status is set on at most 2 at a time. Nothing was changed." in m for m in messages_of(response))
    assert not Claim.objects.filter(status="verified").exists()


# --- who set the status --------------------------------------------------------------------------

@pytest.mark.parametrize("status, label", [("verified", "Verified"), ("disputed", "Disputed"),
                                           ("rejected", "Rejected"), ("unverified", "Unverified")])
def test_a_claims_page_says_who_set_its_status_and_when(editor_client, editor, claim, status, label):
    if status == "unverified":
        services.claim_set_status(claim=claim, user=editor, status="disputed")
    services.claim_set_status(claim=claim, user=editor, status=status)
    claim.refresh_from_db()
    html = editor_client.get(admin_url("claim", "change", claim.pk)).content.decode()
    when = claim.status_changed_at.strftime("%Y-%m-%d %H:%M")
    assert f"{label} by editor on {when} UTC" in html


def test_a_claim_whose_status_never_changed_says_so(editor_client, contributor_client, claim):
    for client in (editor_client, contributor_client):
        html = client.get(admin_url("claim", "change", claim.pk)).content.decode()
        assert "Unverified since it was entered (its status never changed)" in html


# --- history -------------------------------------------------------------------------------------

def test_every_seed_record_says_it_was_loaded_from_the_seed(seed):
    for model in (Actor, Outlet, Source, Claim, Tag):
        reasons = set(model.history.values_list("history_change_reason", flat=True))
        assert reasons == {SEED_REASON}, model


def test_the_history_page_shows_the_user_and_the_reason_of_every_version(editor_client, editor, seed):
    claim = Claim.objects.order_by("pk").first()
    services.claim_update(claim=claim, user=editor, data={"speaker_role": "A role"})  # no reason given
    services.claim_set_status(claim=claim, user=editor, status="disputed", note="Another wording", reason="Checked")
    html = editor_client.get(admin_url("claim", "history", claim.pk)).content.decode()
    assert "no user (a command or an import)" in html and SEED_REASON in html
    assert "no reason given" in html
    assert ">editor</a>" in html and "Checked" in html
    assert "None" not in re.sub(r"<script.*?</script>", "", html, flags=re.S)


def test_a_revert_that_cannot_restore_the_status_says_so(contributor_client, editor, claim):
    services.claim_set_status(claim=claim, user=editor, status="verified")
    verified = claim.history.latest()
    services.claim_update(claim=claim, user=editor, data={"speaker_role": "Energy minister"})
    claim.refresh_from_db()
    assert claim.status == "unverified"  # the change sent it back
    url = admin_url("claim", "simple_history", claim.pk, verified.history_id)
    page = contributor_client.get(url).content.decode()
    assert f"Verified in version {verified.history_id}, as of " in page  # the version's, not the claim's now
    response = contributor_client.post(url, claim_form(verified.instance, status=None, status_note=None),
                                       follow=True)
    assert response.status_code == 200
    [message] = list(response.context["messages"])
    assert message.level_tag == "warning"
    assert f"was reverted to version {verified.history_id}, except its status: version {verified.history_id} is " \
           "“Verified”, the claim is still “Unverified”" in str(message)
    assert "changed successfully" not in str(message)
    claim.refresh_from_db()
    assert claim.speaker_role == "Minister of Energy" and claim.status == "unverified"


def test_a_revert_that_restores_everything_says_it_succeeded(editor_client, editor, claim):
    services.claim_set_status(claim=claim, user=editor, status="verified")
    verified = claim.history.latest()
    services.claim_update(claim=claim, user=editor, data={"speaker_role": "Energy minister"})
    url = admin_url("claim", "simple_history", claim.pk, verified.history_id)
    response = editor_client.post(url, claim_form(verified.instance), follow=True)
    [message] = list(response.context["messages"])
    assert message.level_tag == "success" and "changed successfully" in str(message)
    claim.refresh_from_db()
    assert claim.speaker_role == "Minister of Energy" and claim.status == "verified"


# --- the site's icon -----------------------------------------------------------------------------

def test_favicon_is_served(client):
    response = client.get("/favicon.ico")
    assert response.status_code == 200
    assert response["Content-Type"] == "image/x-icon"
    assert response.content[:4] == b"\x00\x00\x01\x00"  # an icon file
    assert "max-age=86400" in response["Cache-Control"]
    assert client.head("/favicon.ico").status_code == 200
    assert client.post("/favicon.ico").status_code == 405


def test_the_admin_and_the_api_docs_link_the_icon(editor_client):
    from django.test import Client

    client = Client()  # signed out
    icon = 'rel="icon" href="/static/factbase/favicon.ico"'
    assert icon in client.get("/admin/login/").content.decode()
    assert icon in editor_client.get(admin_url("claim", "changelist")).content.decode()
    assert icon in client.get("/api/v1/redoc/").content.decode()
