"""The built documentation site in a real browser, opened from disk with the network cut off.

Chromium (Debian's, as the browser tests of tests/browser/ use it) opens ``site/index.html`` as a
``file://`` page, with every request to anything but a file aborted and recorded: the pages, the
navigation, the screenshots and the search must all work so, with no request leaving the machine and
no script error. Skipped without Chromium or playwright, unless ``FACTBASE_REQUIRE_BROWSER=1`` (CI).
Screenshots go to ``artifacts/browser/docs/``.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

pytestmark = pytest.mark.browser

CHROMIUM = os.environ.get("FACTBASE_CHROMIUM", "/usr/bin/chromium")
REQUIRE_BROWSER = os.environ.get("FACTBASE_REQUIRE_BROWSER", "").strip().lower() not in ("", "0", "false", "no")
ARTIFACTS = Path(__file__).resolve().parents[2] / "artifacts" / "browser" / "docs"


@pytest.fixture
def tab():
    why = None
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        why = "playwright is not installed (pip install -r requirements-dev.txt): browser tests skipped"
    if why is None and not (os.path.isfile(CHROMIUM) and os.access(CHROMIUM, os.X_OK)):
        why = f"Chromium not installed at {CHROMIUM}: browser tests skipped"
    if why:
        if REQUIRE_BROWSER:
            pytest.fail(why.replace("skipped", "required (FACTBASE_REQUIRE_BROWSER=1)"))
        pytest.skip(why)
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox", "--disable-gpu"])
        try:
            context = browser.new_context(viewport={"width": 1280, "height": 900})
            context.set_default_timeout(30_000)
            outside: list[str] = []

            def only_files(route):
                if route.request.url.startswith("file://"):
                    route.continue_()
                else:
                    outside.append(route.request.url)
                    route.abort()

            context.route("**/*", only_files)
            page = context.new_page()
            errors: list[str] = []
            page.on("pageerror", lambda error: errors.append(str(error)))
            page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
            yield page
            assert outside == [], "requests that left the machine"
            assert errors == [], "script errors"
        finally:
            browser.close()


def test_the_site_works_from_disk_with_no_network(site, tab):
    tab.goto((site / "index.html").as_uri())
    assert tab.locator("h1").first.inner_text().startswith("Factbase")
    tab.screenshot(path=ARTIFACTS / "index.png")

    tab.get_by_role("link", name="The basics").first.click()
    tab.wait_for_load_state()
    assert tab.url.endswith("/api.html")
    assert tab.locator("h1").first.inner_text().startswith("Using the API")

    # The search runs in a worker, which file:// pages get through the vendored iframe-worker shim.
    toggle = tab.locator("label.md-header__button[for=__search]").first
    if toggle.is_visible():
        toggle.click()
    search = tab.locator("input.md-search__input")
    search.click()
    search.press_sequentially("interchange", delay=20)
    tab.locator(".md-search-result__item").first.wait_for()
    titles = tab.locator(".md-search-result__item h1").all_inner_texts()
    assert any("interchange format" in title for title in titles), titles
    tab.screenshot(path=ARTIFACTS / "search.png")

    tab.goto((site / "workbench.html").as_uri())
    images = tab.evaluate("Array.from(document.images).map(image => [image.src.split('/').pop(), image.naturalWidth])")
    assert len(images) == len(list((site / "images").glob("*.png"))), images
    assert all(width > 0 for _, width in images), images
    tab.screenshot(path=ARTIFACTS / "workbench.png", full_page=False)
