"""The editor's path through the admin, in a real browser: search, the span in its source, a new claim
entered with the autocomplete widgets, the status action (allowed and refused), the history."""

import re

import pytest

from factbase.models import Actor, Claim, Source

try:
    from playwright.sync_api import expect
except ImportError:  # the ``browser`` fixture skips (or fails) with the reason
    expect = None

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

MURTAZASHVILI = "Jennifer Brick Murtazashvili"
SPAN_CLAIM = "I think the question is, did Tokayev not trust the army?"
# In the seed source's text, said by Casey Michel (his piece in Foreign Policy), and no claim yet.
NEW_QUOTE = "But in a week with unprecedented events, attention must be paid."
NOT_IN_SOURCE = "Kazakhstan will leave the CSTO before the end of the month."
VERIFY_CLAIM = "We should not call all these people protesters"


def pick(page, field, typed, option):
    """Choose ``option`` in the autocomplete widget (select2) of ``field`` by typing ``typed``."""
    page.locator(f".field-{field} .select2-selection").click()
    page.locator(".select2-container--open .select2-search__field").press_sequentially(typed, delay=20)
    page.locator(".select2-container--open .select2-results__option", has_text=option).first.click()
    expect(page.locator(f".field-{field} .select2-selection")).to_contain_text(option)


def contrast(locator) -> float:
    """The WCAG contrast ratio of the element's text colour against its own background colour."""
    return locator.evaluate("""element => {
        const style = getComputedStyle(element);
        const rgb = value => value.match(/[\\d.]+/g).slice(0, 3).map(Number);
        const luminance = ([r, g, b]) => {
            const [R, G, B] = [r, g, b].map(c => {
                c /= 255;
                return c <= 0.03928 ? c / 12.92 : Math.pow((c + 0.055) / 1.055, 2.4);
            });
            return 0.2126 * R + 0.7152 * G + 0.0722 * B;
        };
        const [a, b] = [luminance(rgb(style.color)), luminance(rgb(style.backgroundColor))];
        return (Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05);
    }""")


def claim_form(tab, *, text):
    """Fill the add-claim form for Casey Michel, in the seed source, with the autocomplete widgets."""
    page = tab.page
    tab.goto("/admin/factbase/claim/add/")
    pick(page, "speaker", "Michel", "Casey Michel")
    page.fill("#id_speaker_role", "Journalist")
    page.select_option("#id_kind", "direct_quote")
    page.fill("#id_text", text)
    page.fill("#id_stated_on", "2022-01-07")
    page.select_option("#id_stated_on_precision", "day")
    pick(page, "outlet", "Foreign", "Foreign Policy")
    # The source has no title; its autocomplete searches titles, URLs and the text.
    pick(page, "source", "unprecedented", str(Source.objects.get()))
    pick(page, "tags", "unrest", "Kazakhstan unrest, January 2022")


def test_an_editor_finds_a_claim_by_its_speaker_and_sees_its_span_in_the_source(open_tab, seeded):
    tab = open_tab(viewport={"width": 1280, "height": 800})  # a laptop's screen
    page = tab.page
    tab.login(*seeded["editor"], shot="admin-01-login")
    expect(page.locator("#site-name")).to_contain_text("Factbase curation")
    tab.shot("admin-02-index")

    tab.goto("/admin/factbase/claim/")
    page.fill("#searchbar", "Murtazashvili")
    page.press("#searchbar", "Enter")
    rows = page.locator("#result_list tbody tr")
    expect(rows).to_have_count(Claim.objects.filter(speaker__name=MURTAZASHVILI).count())
    assert {t.split(",")[0] for t in rows.locator(".factbase-speaker").all_inner_texts()} == {f"— {MURTAZASHVILI}"}
    # The status column is in view, beside the navigation and the filters, without scrolling sideways.
    results, status = page.locator(".results").bounding_box(), page.locator("th.column-status_set").bounding_box()
    assert status["x"] + status["width"] <= results["x"] + results["width"]
    tab.shot("admin-03-claims-found-by-speaker")

    claim = Claim.objects.get(text=SPAN_CLAIM)
    rows.filter(has_text=SPAN_CLAIM).locator("th a").click()
    page.wait_for_url(re.compile(rf"/admin/factbase/claim/{claim.pk}/change/"))
    mark = page.locator(".field-source_context mark.factbase-span")
    expect(mark).to_have_count(1)
    expect(mark).to_be_visible()
    assert mark.text_content() == claim.span_exact == claim.source.text[claim.span_start:claim.span_end]
    assert SPAN_CLAIM in mark.text_content()
    expect(page.locator(".factbase-span-position")).to_contain_text(
        f"Characters {claim.span_start} to {claim.span_end} of {len(claim.source.text)}.")
    tab.shot("admin-04-claim-span-highlighted")


@pytest.mark.parametrize("theme", ["light", "dark"])
def test_the_highlighted_span_is_readable_in_the_light_and_the_dark_theme(open_tab, seeded, theme):
    tab = open_tab(color_scheme=theme)  # the admin follows the system's theme
    tab.login(*seeded["editor"])
    claim = Claim.objects.get(text=SPAN_CLAIM)
    tab.goto(f"/admin/factbase/claim/{claim.pk}/change/")
    context = tab.page.locator(".factbase-source-context")
    mark = context.locator("mark.factbase-span")
    expect(mark).to_be_visible()
    # WCAG AA asks 4.5 for body text; the highlight and its surroundings do better.
    assert contrast(mark) >= 7
    assert contrast(context) >= 7
    tab.shot(f"admin-05-span-in-the-{theme}-theme", locator=tab.page.locator(".field-source_context"))


def test_an_editor_adds_a_direct_quote_with_the_autocomplete_widgets(open_tab, seeded):
    tab = open_tab()
    page = tab.page
    tab.login(*seeded["editor"])
    before = Claim.objects.count()

    claim_form(tab, text=NEW_QUOTE)
    tab.shot("admin-06-new-claim-filled-in")
    page.click("input[name=_continue]")  # "Save and continue editing"

    expect(page.locator(".messagelist .success")).to_contain_text("was added successfully")
    assert Claim.objects.count() == before + 1
    claim = Claim.objects.get(text=NEW_QUOTE)
    assert claim.speaker == Actor.objects.get(name="Casey Michel")
    assert claim.outlet.name == "Foreign Policy" and claim.source == Source.objects.get()
    assert [t.name for t in claim.tags.all()] == ["Kazakhstan unrest, January 2022"]
    assert claim.status == Claim.Status.UNVERIFIED
    # The span was found in the source, and the page shows it there.
    assert claim.source.text[claim.span_start:claim.span_end] == claim.span_exact == NEW_QUOTE
    page.wait_for_url(re.compile(rf"/admin/factbase/claim/{claim.pk}/change/"))
    mark = page.locator(".field-source_context mark.factbase-span")
    expect(mark).to_be_visible()
    expect(mark).to_have_text(NEW_QUOTE)
    tab.shot("admin-07-new-claim-saved-with-its-span")


def test_a_direct_quote_that_is_not_in_the_source_is_refused_and_nothing_is_saved(open_tab, seeded):
    tab = open_tab()
    page = tab.page
    tab.login(*seeded["editor"])
    before = Claim.objects.count()

    claim_form(tab, text=NOT_IN_SOURCE)
    page.click("input[name=_save]")

    expect(page.locator(".errornote")).to_be_visible()
    error = page.locator(".field-text .errorlist")
    expect(error).to_be_visible()
    expect(error).to_contain_text("This quote does not occur in the source text")
    # The form comes back as it was filled in, and nothing was saved.
    expect(page.locator("#id_text")).to_have_value(NOT_IN_SOURCE)
    expect(page.locator(".field-speaker .select2-selection")).to_contain_text("Casey Michel")
    assert Claim.objects.count() == before
    assert not Claim.objects.filter(text=NOT_IN_SOURCE).exists()
    tab.shot("admin-08-quote-not-in-the-source-refused")


def test_an_editor_verifies_a_claim_with_the_bulk_action_and_its_history_shows_the_change(
        open_tab, seeded, editor):
    tab = open_tab()
    page = tab.page
    tab.login(*seeded["editor"])
    claim = Claim.objects.get(text=VERIFY_CLAIM)
    assert claim.status == Claim.Status.UNVERIFIED

    tab.goto("/admin/factbase/claim/?q=Kassenova")
    row = page.locator("#result_list tbody tr", has_text=VERIFY_CLAIM)
    row.locator("input.action-select").check()
    page.select_option("select[name=action]", "mark_verified")
    tab.shot("admin-09-bulk-verify-chosen")
    page.click("button[name=index]")  # "Go"
    # It asks first (tests/browser/test_admin_lists.py follows that page with a note).
    expect(page.locator("h1")).to_have_text("Mark claims as verified: are you sure?")
    page.click("#status-confirmation-form input[type=submit]")

    expect(page.locator(".messagelist .success")).to_have_text("1 claim was marked as verified.")
    expect(page.locator("#result_list tbody tr", has_text=VERIFY_CLAIM).locator("td.field-status_set")).to_contain_text(
        "Verified by editor")
    claim.refresh_from_db()
    assert claim.status == Claim.Status.VERIFIED
    assert claim.verified_by == editor and claim.verified_at is not None
    tab.shot("admin-10-bulk-verify-done")

    tab.goto(f"/admin/factbase/claim/{claim.pk}/change/")
    page.click("a.historylink")
    page.wait_for_url(re.compile(rf"/admin/factbase/claim/{claim.pk}/history/"))
    history = page.locator("#change-history tbody tr")
    expect(history).to_have_count(claim.history.count())  # every recorded version, the latest first
    latest = history.first
    expect(latest).to_contain_text("Changed")
    expect(latest).to_contain_text("editor")
    expect(latest.locator("li", has_text="Status")).to_contain_text(re.compile(r"unverified\s*→\s*verified"))
    tab.shot("admin-11-claim-history")


def test_a_contributor_may_not_verify_claims(open_tab, seeded):
    tab = open_tab()
    page = tab.page
    tab.login(*seeded["contributor"])
    claim = Claim.objects.get(text=VERIFY_CLAIM)

    tab.goto("/admin/factbase/claim/?q=Kassenova")
    # No status action is offered (nor delete, which contributors may not do): no action menu at all.
    expect(page.locator("#result_list tbody tr", has_text=VERIFY_CLAIM)).to_have_count(1)
    expect(page.locator("select[name=action]")).to_have_count(0)
    expect(page.locator("#result_list tbody tr", has_text=VERIFY_CLAIM).locator("td.field-status_set")).to_have_text(
        "Unverified")
    claim.refresh_from_db()
    assert claim.status == Claim.Status.UNVERIFIED and claim.verified_by is None
    tab.shot("admin-12-contributor-refused-bulk-verify")
