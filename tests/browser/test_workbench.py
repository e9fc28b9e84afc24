"""The editor's workbench in a real browser (issue #15 item 1): the seed source's page with its 18 claims
highlighted, a claim made from a selected passage, the quote found as it is typed on the add form, and a
passage that is already a claim flagged."""

import re

import pytest

from factbase.models import Actor, Claim, Source

try:
    from playwright.sync_api import expect
except ImportError:  # the ``browser`` fixture skips (or fails) with the reason
    expect = None

from tests.browser.test_admin import contrast, pick

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# In the seed source's text, said by Casey Michel (his piece in Foreign Policy), and no claim yet.
NEW_QUOTE = "But in a week with unprecedented events, attention must be paid."
# From the plain text into Murtazashvili's claim "I think the question is, did Tokayev not trust the army?".
OVERLAPPING = "spurred the decision. I think the question is"
MURTAZASHVILI_QUESTION = "I think the question is, did Tokayev not trust the army?"
NOT_IN_SOURCE = "Kazakhstan will leave the CSTO before the end of the month."

# Select the first occurrence of a passage in the rendered text, across the pieces it is cut into.
SELECT_JS = """([rootId, needle]) => {
    const root = document.getElementById(rootId);
    const walker = document.createTreeWalker(root, NodeFilter.SHOW_TEXT);
    const nodes = [];
    let all = "", node;
    while ((node = walker.nextNode())) { nodes.push([node, all.length]); all += node.data; }
    const at = all.indexOf(needle);
    if (at < 0) { return false; }
    const place = offset => {
        for (let i = nodes.length - 1; i >= 0; i--) {
            if (nodes[i][1] <= offset) { return [nodes[i][0], offset - nodes[i][1]]; }
        }
    };
    const range = document.createRange();
    range.setStart(...place(at));
    range.setEnd(...place(at + needle.length));
    const selection = window.getSelection();
    selection.removeAllRanges();
    selection.addRange(range);
    range.startContainer.parentElement.scrollIntoView({block: "center"});
    return true;
}"""


def open_workbench(tab):
    source = Source.objects.get()
    tab.goto(f"/admin/factbase/source/{source.pk}/change/")
    expect(tab.page.locator("#factbase-source-text")).to_be_visible()
    return source


def select(page, needle, root="factbase-source-text"):
    assert page.evaluate(SELECT_JS, [root, needle]), f"{needle!r} is not in the text"


def test_the_seed_source_page_shows_its_18_claims_highlighted_and_listed(open_tab, seeded):
    tab = open_tab()
    page = tab.page
    tab.login(*seeded["editor"])
    source = open_workbench(tab)
    marks = page.locator("#factbase-source-text mark.factbase-claim")
    ids = {i for value in marks.evaluate_all("ms => ms.map(m => m.dataset.claims)") for i in value.split()}
    assert ids == {str(pk) for pk in Claim.objects.filter(source=source).values_list("pk", flat=True)}
    assert len(ids) == 18
    expect(page.locator(".factbase-claims-table tbody tr")).to_have_count(18)
    expect(page.locator("#factbase-claims-heading")).to_have_text("Claims in this source (18)")

    # A claim's highlight says who said it and its status, and links to it.
    claim = Claim.objects.get(text=MURTAZASHVILI_QUESTION)
    mark = page.locator(f'#factbase-source-text mark[data-claims="{claim.pk}"]')
    expect(mark).to_have_attribute("title", f"Claim #{claim.pk} by Jennifer Brick Murtazashvili (unverified)")
    expect(mark.locator("a")).to_have_attribute("href", f"/admin/factbase/claim/{claim.pk}/change/")
    assert source.text[claim.span_start:claim.span_end] == mark.text_content()
    # Two claims of the seed overlap: the shared words are highlighted once, naming both.
    expect(page.locator("#factbase-source-text mark.factbase-overlap")).to_have_count(1)
    # The text box to edit the text is there, folded away.
    expect(page.locator("textarea#id_text")).to_be_hidden()
    tab.shot("workbench-01-source-with-its-claims")

    mark.hover()
    tab.shot("workbench-02-hover-a-claim", full_page=False)
    mark.locator("a").click()
    page.wait_for_url(re.compile(rf"/admin/factbase/claim/{claim.pk}/change/"))


@pytest.mark.parametrize("theme", ["light", "dark"])
def test_the_highlights_are_readable_in_the_light_and_the_dark_theme(open_tab, seeded, theme):
    tab = open_tab(color_scheme=theme)
    tab.login(*seeded["editor"])
    open_workbench(tab)
    marks = tab.page.locator("#factbase-source-text mark.factbase-claim a")
    for i in range(marks.count()):
        assert contrast(marks.nth(i).locator("xpath=..")) >= 7
    assert contrast(tab.page.locator("#factbase-source-text")) >= 7
    tab.shot(f"workbench-03-{theme}-theme", locator=tab.page.locator("#workbench"))


def test_an_editor_makes_a_claim_from_a_selected_passage(open_tab, seeded):
    tab = open_tab()
    page = tab.page
    tab.login(*seeded["editor"])
    source = open_workbench(tab)
    expect(page.locator("#factbase-selection-bar")).to_be_hidden()

    select(page, NEW_QUOTE)
    start = source.text.index(NEW_QUOTE)
    expect(page.locator("#factbase-selection-bar")).to_be_visible()
    expect(page.locator("#factbase-selection-info")).to_have_text(
        f"Characters {start} to {start + len(NEW_QUOTE)} selected.")
    expect(page.locator("#factbase-selection-overlap")).to_be_hidden()
    tab.shot("workbench-04-passage-selected", full_page=False)
    page.click("#factbase-new-claim")

    # The add form, filled in: the source, the passage, a paraphrase (no quotation marks around it).
    page.wait_for_url(re.compile(r"/admin/factbase/claim/add/\?"))
    expect(page.locator(".field-source .select2-selection")).to_contain_text(str(source))
    expect(page.locator("#id_text")).to_have_value(NEW_QUOTE)
    expect(page.locator("#id_span_exact")).to_have_value(NEW_QUOTE)
    expect(page.locator("#id_kind")).to_have_value("paraphrase")
    expect(page.locator("#id_span_hint")).to_have_value(str(start))
    # Beside the fields: the source's text, the passage found in it.
    found = page.locator("#factbase-panel-text mark.factbase-found")
    expect(found).to_have_count(1)
    expect(found).to_have_text(NEW_QUOTE)
    expect(page.locator("#factbase-panel-status")).to_have_text(
        f"Found in the source text at characters {start} to {start + len(NEW_QUOTE)}.")
    expect(page.locator("#factbase-panel-overlap")).to_be_hidden()

    # Casey Michel's own words: the editor makes it a direct quote and names him.
    page.select_option("#id_kind", "direct_quote")
    pick(page, "speaker", "Michel", "Casey Michel")
    expect(found).to_have_text(NEW_QUOTE)
    tab.shot("workbench-05-claim-form-from-the-passage")
    page.click("input[name=_continue]")

    expect(page.locator(".messagelist .success")).to_contain_text("was added successfully")
    claim = Claim.objects.get(text=NEW_QUOTE)
    assert claim.speaker == Actor.objects.get(name="Casey Michel") and claim.source == source
    assert claim.kind == Claim.Kind.DIRECT_QUOTE
    assert (claim.span_start, claim.span_end) == (start, start + len(NEW_QUOTE))
    assert source.text[claim.span_start:claim.span_end] == NEW_QUOTE
    # Back on the workbench, the new claim is highlighted too.
    open_workbench(tab)
    expect(page.locator(f'#factbase-source-text mark[data-claims="{claim.pk}"]')).to_have_text(NEW_QUOTE)
    expect(page.locator(".factbase-claims-table tbody tr")).to_have_count(19)
    tab.shot("workbench-06-new-claim-highlighted")


def test_a_passage_that_is_already_a_claim_is_flagged_on_the_workbench_and_on_the_form(open_tab, seeded):
    tab = open_tab()
    page = tab.page
    tab.login(*seeded["editor"])
    open_workbench(tab)
    claim = Claim.objects.get(text=MURTAZASHVILI_QUESTION)
    message = f"This passage is already claim #{claim.pk}, by Jennifer Brick Murtazashvili."

    select(page, OVERLAPPING)
    expect(page.locator("#factbase-selection-overlap")).to_have_text(message)
    tab.shot("workbench-07-overlap-flagged", full_page=False)
    page.click("#factbase-new-claim")

    page.wait_for_url(re.compile(r"/admin/factbase/claim/add/\?"))
    expect(page.locator("#id_span_exact")).to_have_value(OVERLAPPING)
    expect(page.locator("#factbase-panel-overlap")).to_have_text(message)
    tab.shot("workbench-08-overlap-on-the-add-form")


def test_the_add_form_finds_the_typed_quote_in_the_source_or_says_it_is_not_there(open_tab, seeded):
    tab = open_tab()
    page = tab.page
    tab.login(*seeded["editor"])
    source = Source.objects.get()
    tab.goto("/admin/factbase/claim/add/")
    expect(page.locator("#factbase-panel-status")).to_have_text("Pick the source to see its text here.")
    expect(page.locator(".field-source_context")).to_have_count(0)

    pick(page, "source", "unprecedented", str(source))
    # The text is shown once the source is picked, its claims highlighted.
    expect(page.locator("#factbase-panel-text mark.factbase-claim").first).to_be_visible()
    expect(page.locator("#factbase-panel-status")).to_contain_text("Type the quote")
    page.select_option("#id_kind", "direct_quote")

    # Typed with typographic differences and other case: found all the same.
    page.locator("#id_text").press_sequentially("attention MUST be paid", delay=10)
    found = page.locator("#factbase-panel-text mark.factbase-found")
    expect(found).to_have_text("attention must be paid")
    start = source.text.index("attention must be paid")
    expect(page.locator("#factbase-panel-status")).to_have_text(
        f"Found in the source text at characters {start} to {start + len('attention must be paid')}.")
    assert found.evaluate("m => m.closest('#factbase-panel-text').scrollTop") > 0  # scrolled to it
    tab.shot("workbench-09-typed-quote-found")

    page.fill("#id_text", NOT_IN_SOURCE)
    expect(page.locator("#factbase-panel-status")).to_contain_text("is not found in the source text")
    expect(found).to_have_count(0)
    tab.shot("workbench-10-typed-quote-not-found")

    # A phrase that occurs many times: every occurrence, the first chosen; a click chooses another.
    page.fill("#id_text", "Kazakhstan")
    expect(page.locator("#factbase-panel-status")).to_contain_text(re.compile(r"Found \d+ times"))
    count = source.text.count("Kazakhstan")
    assert count > 3
    expect(page.locator("#factbase-panel-text mark.factbase-found-chosen")).to_have_count(1)
    third = page.locator("#factbase-panel-text mark.factbase-found[data-occurrence='2']").first
    third.click()
    expect(third).to_have_class(re.compile("factbase-found-chosen"))
    expect(page.locator("#id_span_hint")).to_have_value(str(int(third.get_attribute("data-start"))))
    tab.shot("workbench-11-several-occurrences")

    # A quote inside another claim's span is flagged.
    page.fill("#id_text", "did Tokayev not trust the army")
    claim = Claim.objects.get(text=MURTAZASHVILI_QUESTION)
    expect(page.locator("#factbase-panel-overlap")).to_have_text(
        f"This passage is already claim #{claim.pk}, by Jennifer Brick Murtazashvili.")


def test_the_change_form_shows_the_claim_in_its_source_without_flagging_itself(open_tab, seeded):
    tab = open_tab()
    page = tab.page
    tab.login(*seeded["editor"])
    claim = Claim.objects.get(text=MURTAZASHVILI_QUESTION)
    tab.goto(f"/admin/factbase/claim/{claim.pk}/change/")
    found = page.locator("#factbase-panel-text mark.factbase-found")
    expect(found).to_have_text(MURTAZASHVILI_QUESTION)
    expect(page.locator("#factbase-panel-overlap")).to_be_hidden()
    expect(page.locator(f'#factbase-panel-text mark[data-claims~="{claim.pk}"]')).to_have_count(0)
    tab.shot("workbench-12-claim-change-form")
