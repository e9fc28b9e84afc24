"""Real-browser tests: Playwright for Python drives Debian's Chromium, headless, against the app.

The app runs on pytest-django's live server at http://127.0.0.1:<free port>/ (a thread of this
process, on the test database: SQLite, or PostgreSQL when ``DATABASE_URL`` names one), with the seed
loaded and users in the curation groups.

- Chromium is ``/usr/bin/chromium`` (``FACTBASE_CHROMIUM`` overrides it); Playwright's own browser
  download is not used. Without Chromium or the ``playwright`` package the tests are skipped with a
  reason that says so, unless ``FACTBASE_REQUIRE_BROWSER=1`` (as in ``.ci/run``): then they fail.
- Every page is cut off from the network but the live server: a request to any other host is
  aborted and recorded (``Tab.outside_requests``), and a test fails at teardown if one was made, if
  a script on the page raised, or if the server answered a request with an error.
- Screenshots of each step go to ``artifacts/browser/<sqlite|postgresql>/<step>.png`` (the directory
  is emptied when a run first writes to it), and of every open page when a test fails (``FAILED-...``).

Playwright's sync API runs an asyncio event loop in this thread while the browser is open, and
Django refuses ORM calls from a thread with a running loop. The tests' own ORM calls are ordinary
synchronous code, so ``DJANGO_ALLOW_ASYNC_UNSAFE`` is set while (and only while) a browser is open:
one per test module, closed at the module's end, before any other test runs.
"""

from __future__ import annotations

import os
import shutil
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from django.db import connection

CHROMIUM = os.environ.get("FACTBASE_CHROMIUM", "/usr/bin/chromium")
REQUIRE_BROWSER = os.environ.get("FACTBASE_REQUIRE_BROWSER", "").strip().lower() not in ("", "0", "false", "no")
LAUNCH_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
               "--disable-sync", "--no-first-run"]
# Wide enough for the claim list's columns beside the admin's navigation and filters.
VIEWPORT = {"width": 1440, "height": 900}
ARTIFACTS = Path(__file__).resolve().parents[2] / "artifacts" / "browser"
# How long a step may wait for the page (loading, a widget's answer, a redirect).
TIMEOUT_MS = 30_000


def browser_unavailable() -> str | None:
    """Why the browser tests cannot run here, or None."""
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "playwright is not installed (pip install -r requirements-dev.txt): browser tests skipped"
    if not (os.path.isfile(CHROMIUM) and os.access(CHROMIUM, os.X_OK)):
        return f"Chromium not installed at {CHROMIUM}: browser tests skipped"
    return None


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item, call):
    report = yield
    setattr(item, f"_report_{report.when}", report)
    return report


# --- the server and its data ---------------------------------------------------------------------

def _serial_wsgi_server():
    from django.core.servers.basehttp import WSGIServer

    class SerialWSGIServer(WSGIServer):
        """Django's development server, one request at a time (and each connection closed after it)."""

        def __init__(self, *args, connections_override=None, **kwargs):
            super().__init__(*args, **kwargs)  # the live server thread itself uses the shared connection

    return SerialWSGIServer


@pytest.fixture(scope="session")
def live_server():
    """pytest-django's live server, on 127.0.0.1 (not ``localhost``, which may resolve to ::1).

    On an in-memory SQLite database the server shares the tests' one connection; Django's threaded
    server would use it from a thread per request at once (the browser's autocompletes send requests
    side by side), which Django's documentation warns may fail at random, and here once hung a run.
    There it serves one request at a time."""
    from pytest_django.live_server_helper import LiveServer

    server = LiveServer("127.0.0.1:0", start=False)  # a free port
    if server.thread.connections_override:
        server.thread.server_class = _serial_wsgi_server()
    server.start()
    yield server
    server.stop()


@pytest.fixture
def seeded(curation_groups, editor, contributor):
    """The seed dataset, and an editor and a contributor who may log in to the admin."""
    from factbase.seed import load_seed

    load_seed()
    return {"editor": ("editor", "editor-pass-123"), "contributor": ("contributor", "contributor-pass-123")}


@pytest.fixture
def editor(curation_groups, django_user_model):
    from django.contrib.auth.models import Group

    user = django_user_model.objects.create_user("editor", password="editor-pass-123", is_staff=True)
    user.groups.add(Group.objects.get(name="Editors"))
    return user


@pytest.fixture
def contributor(curation_groups, django_user_model):
    from django.contrib.auth.models import Group

    user = django_user_model.objects.create_user("contributor", password="contributor-pass-123", is_staff=True)
    user.groups.add(Group.objects.get(name="Contributors"))
    return user


# --- the browser ---------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def browser():
    reason = browser_unavailable()
    if reason is not None:
        if REQUIRE_BROWSER:
            pytest.fail(reason.replace("browser tests skipped", "the browser tests are required "
                                                                 "(FACTBASE_REQUIRE_BROWSER=1)"), pytrace=False)
        pytest.skip(reason)
    from playwright.sync_api import expect, sync_playwright

    # Generous: the machines running the suite may be busy (Redoc parses the whole schema first).
    expect.set_options(timeout=TIMEOUT_MS)

    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    playwright = sync_playwright().start()
    try:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=LAUNCH_ARGS)
        try:
            yield chromium
        finally:
            chromium.close()
    finally:
        playwright.stop()
        if previous is None:
            os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
        else:
            os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous


_cleaned: set[Path] = set()


@pytest.fixture
def artifacts_dir() -> Path:
    """``artifacts/browser/<database vendor>/``, emptied the first time a run uses it."""
    path = ARTIFACTS / connection.vendor
    if path not in _cleaned:
        shutil.rmtree(path, ignore_errors=True)
        _cleaned.add(path)
    path.mkdir(parents=True, exist_ok=True)
    return path


@dataclass
class Tab:
    """A browser page on the live server, with what happened on it."""

    page: object
    base_url: str
    artifacts: Path
    outside_requests: list[str] = field(default_factory=list)
    error_responses: list[str] = field(default_factory=list)
    script_errors: list[str] = field(default_factory=list)

    def goto(self, path: str, **kwargs):
        return self.page.goto(self.base_url + path, **kwargs)

    def shot(self, step: str, *, full_page: bool = True, locator=None, between=None) -> Path:
        """Keep a screenshot of this step as ``<artifacts>/<step>.png``: the page (``full_page``: all
        of it), one element (``locator``), or the page from the top of one element to the bottom of
        another (``between=(first, last)``)."""
        path = self.artifacts / f"{step}.png"
        if locator is not None:
            locator.screenshot(path=path)
        elif between is not None:
            first, last = between
            top = first.evaluate("e => e.getBoundingClientRect().top + window.scrollY")
            bottom = last.evaluate("e => e.getBoundingClientRect().bottom + window.scrollY")
            width = self.page.evaluate("() => document.documentElement.clientWidth")
            self.page.screenshot(path=path, full_page=True,
                                 clip={"x": 0, "y": top, "width": width, "height": bottom - top})
        else:
            self.page.screenshot(path=path, full_page=full_page)
        return path

    def login(self, username: str, password: str, *, shot: str | None = None):
        self.goto("/admin/login/?next=/admin/")
        self.page.fill("#id_username", username)
        self.page.fill("#id_password", password)
        if shot:
            self.shot(shot)
        self.page.click("#login-form input[type=submit]")
        self.page.wait_for_url(self.base_url + "/admin/")


def _wait_until_the_server_is_idle(base_url: str) -> None:
    """A request the browser sent just before its tab closed (a script's fetch) may still be served after
    the test: on SQLite the one-at-a-time server would then hold the database while the test's data is
    flushed ("database table is locked"). One more request, answered after any such one, waits it out."""
    try:
        opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
        opener.open(base_url + "/healthz", timeout=TIMEOUT_MS / 1000).close()
    except urllib.error.HTTPError:
        pass  # answered: the server is idle, whatever it said


@pytest.fixture
def open_tab(browser, live_server, artifacts_dir, request):
    """``open_tab()`` opens a new browser context (its own cookies) on the live server."""
    server = urlsplit(live_server.url)
    tabs: list[Tab] = []

    def open_tab(**context_options) -> Tab:
        context = browser.new_context(**{"viewport": VIEWPORT, **context_options})
        page = context.new_page()
        page.set_default_timeout(TIMEOUT_MS)
        tab = Tab(page=page, base_url=live_server.url, artifacts=artifacts_dir)

        def only_the_server(route):
            url = route.request.url
            parts = urlsplit(url)
            if parts.scheme in ("http", "https", "ws", "wss") and parts.netloc != server.netloc:
                tab.outside_requests.append(url)
                route.abort("blockedbyclient")
            else:
                route.continue_()

        def error_response(response):
            parts = urlsplit(response.url)
            if response.status >= 400 and parts.netloc == server.netloc:
                tab.error_responses.append(f"{response.status} {response.request.method} {response.url}")

        context.route("**/*", only_the_server)
        page.on("pageerror", lambda exc: tab.script_errors.append(f"{page.url}: {exc}"))
        page.on("response", error_response)
        tabs.append(tab)
        return tab

    yield open_tab

    report = getattr(request.node, "_report_call", None)
    for n, tab in enumerate(tabs, start=1):
        if report is not None and report.failed:
            try:
                tab.shot(f"FAILED-{request.node.name}-{n}")
            except Exception:  # the page may be gone; the test's own failure is what matters
                pass
        tab.page.context.close()
    _wait_until_the_server_is_idle(live_server.url)
    problems = [f"request to outside the server: {url}" for tab in tabs for url in tab.outside_requests]
    problems += [f"script error: {error}" for tab in tabs for error in tab.script_errors]
    problems += [f"error response: {line}" for tab in tabs for line in tab.error_responses]
    if problems and not (report is not None and report.failed):
        pytest.fail("The browser saw problems:\n" + "\n".join(problems), pytrace=False)
