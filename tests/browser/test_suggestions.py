"""Suggested claims in a real browser: an editor opens a source's suggestions, accepts one, and finds the new
claim. The extractor is replaced by one that knows the test's text (tests/suggestion_fakes.py), so the steps
hold whatever its rules become; the seed source's page is shown as the extractor of the day sees it."""

import pytest

from factbase import services
from factbase.models import Claim, Source
from tests.suggestion_fakes import PARAPHRASE, PUBLISHED_ON, QUOTE, TEXT, fake_extractor  # noqa: F401 - fixture

try:
    from playwright.sync_api import expect
except ImportError:  # the ``browser`` fixture skips (or fails) with the reason
    expect = None

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def row_of(page, content):
    """The row of the suggestion whose content (highlighted) is ``content``: the text around another may hold it."""
    return page.locator("tr.factbase-suggestion").filter(has=page.locator("mark.factbase-span", has_text=content))


def test_an_editor_accepts_a_suggested_claim(open_tab, seeded, fake_extractor):
    jane = services.actor_create(name="Jane Doe", kind="person")
    source = services.source_create(title="Springfield votes", published_on=PUBLISHED_ON, language="en", text=TEXT)
    tab = open_tab()
    page = tab.page
    tab.login(*seeded["editor"])

    # From the source's page, its suggested claims.
    tab.goto(f"/admin/factbase/source/{source.pk}/change/")
    page.locator("a.factbase-suggestions-link").click()
    page.wait_for_url(f"**/admin/factbase/source/{source.pk}/suggestions/")
    expect(page.locator("#factbase-suggestions h2")).to_have_text("Suggested claims (3)")
    quote_row = row_of(page, QUOTE)
    expect(quote_row.locator("mark.factbase-span")).to_have_text(QUOTE)
    expect(quote_row.locator(".factbase-suggestion-speaker a")).to_have_text("Jane Doe")
    expect(quote_row.locator(".factbase-suggestion-details")).to_contain_text("2022-01-07 (day)")
    expect(row_of(page, PARAPHRASE)).to_contain_text("new actor: John Roe")
    tab.shot("suggestions-01-list")

    # Accept the quote: the claim is made, and the suggestion leaves the list.
    quote_row.locator("button.factbase-accept").click()
    expect(page.locator(".messagelist .success")).to_contain_text("was made from the suggestion")
    expect(page.locator("#factbase-suggestions h2")).to_have_text("Suggested claims (2)")
    expect(row_of(page, QUOTE)).to_have_count(0)
    tab.shot("suggestions-02-accepted")
    claim = Claim.objects.get(text=QUOTE)
    assert (claim.speaker, claim.status, claim.source) == (jane, "unverified", source)

    # The new claim, from the message's link: its span in the source, its history's reason.
    page.locator(".messagelist .success a").click()
    page.wait_for_url(f"**/admin/factbase/claim/{claim.pk}/change/")
    expect(page.locator("#id_text")).to_have_value(QUOTE)
    expect(page.locator(".factbase-source-context mark.factbase-span")).to_have_text(QUOTE)
    tab.shot("suggestions-03-claim")
    tab.goto(f"/admin/factbase/claim/{claim.pk}/history/")
    expect(page.locator("#change-history")).to_contain_text("Accepted suggestion: “said” by Jane Doe (extractor)")
    tab.shot("suggestions-04-history")


def test_the_seed_source_has_a_suggestions_page(open_tab, seeded):
    source = Source.objects.get(published_on="2022-01-08", title="")
    tab = open_tab()
    page = tab.page
    tab.login(*seeded["editor"])
    tab.goto(f"/admin/factbase/source/{source.pk}/suggestions/")
    expect(page.locator("#factbase-suggestions h2")).to_contain_text("Suggested claims")
    tab.shot("suggestions-05-seed-source")
