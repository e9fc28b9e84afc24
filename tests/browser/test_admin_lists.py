"""The lists of the admin in a real browser: the claims list at 1280 pixels, its date range filter, a bulk
status change through its confirmation page, an actor's claims, and the site's icon."""

import re

import pytest

from factbase.models import Actor, Claim

try:
    from playwright.sync_api import expect
except ImportError:  # the ``browser`` fixture skips (or fails) with the reason
    expect = None

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

LAPTOP = {"width": 1280, "height": 800}
MURTAZASHVILI = "Jennifer Brick Murtazashvili"
NOTE = "Checked against the article of 2022-01-08: her words, as quoted."


def overflow(page, selector=".results") -> dict:
    """How wide the element's content is against its box (a horizontal scroll bar when wider)."""
    return page.locator(selector).evaluate("e => ({scroll: e.scrollWidth, client: e.clientWidth})")


def test_the_claims_list_fits_a_1280_pixel_screen_with_tags_reviews_and_a_date_range(open_tab, seeded):
    tab = open_tab(viewport=LAPTOP)
    page = tab.page
    tab.login(*seeded["editor"])
    tab.goto("/admin/factbase/claim/")
    rows = page.locator("#result_list tbody tr")
    expect(rows).to_have_count(Claim.objects.count())
    headers = page.locator("#result_list thead th").all_text_contents()
    assert [h.strip() for h in headers[1:]] == ["Claim", "Status", "Stated on", "Outlet / source", "Tags", "Reviews"]
    # Nothing to scroll sideways, beside the navigation and the filters.
    assert page.locator("#nav-sidebar").is_visible() and page.locator("#changelist-filter").is_visible()
    width = overflow(page)
    columns = page.locator("#result_list thead th").evaluate_all(
        "ths => ths.map(th => [th.className, Math.round(th.getBoundingClientRect().width)])")
    assert width["scroll"] <= width["client"], (width, columns)
    assert page.evaluate("() => document.documentElement.scrollWidth <= document.documentElement.clientWidth")
    # Each row: the text with its speaker, its tags, whether it has reviews.
    reviewed = Claim.objects.filter(reviews__isnull=False).distinct().get()
    row = rows.filter(has_text=reviewed.text[:60])
    expect(row.locator(".factbase-speaker")).to_contain_text(reviewed.speaker.name)
    expect(row.locator("td.field-tag_names")).to_contain_text("Kazakhstan unrest, January 2022")
    expect(row.locator("td.field-reviewed img")).to_have_attribute("alt", "Has reviews")
    expect(rows.locator("td.field-reviewed img")).to_have_count(1)  # the others have none: no mark
    tab.shot("lists-01-claims-at-1280", full_page=False)

    # The date range: Friday 2022-01-07 only, with the filter's two date fields.
    page.fill("#changelist-filter input[name=stated_on__range__gte]", "2022-01-07")
    page.fill("#changelist-filter input[name=stated_on__range__lte]", "2022-01-07")
    page.locator("#changelist-filter .admindatefilter input[type=submit]").click()
    page.wait_for_url(re.compile(r"stated_on__range__gte=2022-01-07"))
    expect(rows).to_have_count(Claim.objects.filter(stated_on="2022-01-07").count())
    assert set(rows.locator("td.field-stated").all_inner_texts()) == {"2022-01-07"}
    tab.shot("lists-02-claims-stated-on-2022-01-07")

    # A date that is not one: a message, no error page.
    tab.goto("/admin/factbase/claim/?stated_on__range__gte=2022-02-30")
    expect(page.locator(".messagelist .error")).to_contain_text("“2022-02-30” is not a date")
    expect(rows).to_have_count(Claim.objects.count())
    tab.shot("lists-03-claims-invalid-date", full_page=False)


def test_an_editor_bulk_verifies_with_a_note_through_the_confirmation_page(open_tab, seeded, editor):
    tab = open_tab(viewport=LAPTOP)
    page = tab.page
    tab.login(*seeded["editor"])
    chosen = set(Claim.objects.filter(speaker__name=MURTAZASHVILI))
    assert len(chosen) == 4 and {c.status for c in chosen} == {Claim.Status.UNVERIFIED}

    tab.goto("/admin/factbase/claim/?q=Murtazashvili")
    page.locator("#action-toggle").check()  # all the claims found
    page.select_option("select[name=action]", "mark_verified")
    tab.shot("lists-04-bulk-verify-chosen", full_page=False)
    page.click("button[name=index]")  # "Go"

    # The confirmation page: the claims, a note, Confirm or Cancel; nothing changed yet.
    expect(page.locator("h1")).to_contain_text("Mark claims as verified: are you sure?")
    expect(page.locator("#status-claims tbody tr")).to_have_count(4)
    expect(page.locator("a.cancel-link")).to_have_text("Cancel")
    assert not Claim.objects.filter(status=Claim.Status.VERIFIED).exists()
    page.fill("#id_note", NOTE)
    tab.shot("lists-05-bulk-verify-confirmation")
    page.click("#status-confirmation-form input[type=submit]")

    expect(page.locator(".messagelist .success")).to_contain_text("4 claims were marked as verified.")
    status_cells = page.locator("#result_list tbody td.field-status_set")
    expect(status_cells).to_have_count(4)
    for text in status_cells.all_inner_texts():
        assert re.fullmatch(r"Verified\s*by editor, \d{4}-\d\d-\d\d", text.strip()), text
    tab.shot("lists-06-bulk-verify-done", full_page=False)
    for claim in chosen:
        claim.refresh_from_db()
        assert claim.status == Claim.Status.VERIFIED and claim.status_note == NOTE
        assert claim.verified_by == editor and claim.status_changed_by == editor
        latest = claim.history.latest()
        assert latest.history_change_reason == NOTE and latest.history_user == editor

    # The claim's page says who verified it and when; its history, who and why for every version.
    claim = min(chosen, key=lambda c: c.pk)
    tab.goto(f"/admin/factbase/claim/{claim.pk}/change/")
    expect(page.locator(".field-status_set_by .readonly")).to_contain_text(
        re.compile(r"Verified by editor on \d{4}-\d\d-\d\d \d\d:\d\d"))
    tab.shot("lists-07-claim-status-set-by", locator=page.locator("fieldset", has_text="Attribution status"))
    tab.goto(f"/admin/factbase/claim/{claim.pk}/history/")
    versions = page.locator("#change-history tbody tr")
    expect(versions).to_have_count(claim.history.count())
    expect(versions.first).to_contain_text(NOTE)
    expect(versions.first).to_contain_text("editor")
    expect(versions.last).to_contain_text("Loaded from the seed")
    expect(versions.last).to_contain_text("no user (a command or an import)")
    tab.shot("lists-08-claim-history-users-and-reasons")


def test_an_actors_page_lists_their_claims_and_the_count_leads_to_them(open_tab, seeded):
    tab = open_tab(viewport=LAPTOP)
    page = tab.page
    tab.login(*seeded["editor"])
    actor = Actor.objects.get(name=MURTAZASHVILI)

    tab.goto("/admin/factbase/actor/?q=Murtazashvili")
    page.locator("td.field-claim_count a").click()
    page.wait_for_url(re.compile(rf"speaker__id__exact={actor.pk}"))
    expect(page.locator("#result_list tbody tr")).to_have_count(4)
    # The list says what it is filtered by, and "All" undoes it.
    expect(page.locator("#changelist-filter li.selected", has_text=MURTAZASHVILI)).to_have_count(1)
    tab.shot("lists-09-claims-of-an-actor-from-the-count", full_page=False)

    tab.goto(f"/admin/factbase/actor/{actor.pk}/change/")
    claims = page.locator("#record-claims tbody tr")
    expect(claims).to_have_count(4)
    expect(claims.first.locator(".factbase-status")).to_have_text("Unverified")
    expect(page.locator("#record-claims")).to_contain_text("These 4 claims in the claims list")
    tab.shot("lists-10-actor-page-with-claims")
    claims.first.locator("a").first.click()
    page.wait_for_url(re.compile(r"/admin/factbase/claim/\d+/change/"))


def test_the_site_icon_is_served_and_linked(open_tab, seeded):
    tab = open_tab()
    page = tab.page
    response = page.request.get(tab.base_url + "/favicon.ico")
    assert response.status == 200 and response.headers["content-type"] == "image/x-icon"
    assert response.body()[:4] == b"\x00\x00\x01\x00"  # an icon file
    tab.login(*seeded["editor"])
    href = page.locator("link[rel=icon]").get_attribute("href")
    assert href.endswith("factbase/favicon.ico")
    assert page.request.get(tab.base_url + href).status == 200
    # The API's pages too: none of them answers 404 for the icon (the conftest fails a test on any error).
    for path in ("/api/v1/", "/api/v1/docs/", "/api/v1/redoc/"):
        tab.goto(path)
