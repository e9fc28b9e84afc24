"""The documentation: the MkDocs site under docs/ and the README that leads into it.

- ``mkdocs build --strict`` passes: no broken link, anchor or image, no page left out of the nav, no
  missing snippet (mkdocs.yml turns each of these into a warning, and --strict makes a warning fail).
- The built site loads nothing from another host (no web fonts, no CDN script or style), so that it
  works with no network; the browser test (test_site_browser.py) opens it from disk with every other
  request blocked.
- Every relative link of README.md leads to a file of the repository, and its #anchor to a heading.
"""

from __future__ import annotations

import html.parser
import os
import re
import subprocess
import sys
from pathlib import Path
from urllib.parse import unquote, urlsplit

from markdown.extensions.toc import slugify

ROOT = Path(__file__).resolve().parents[2]
DOCS = ROOT / "docs"

# Attributes by which a page makes the browser fetch something (a link's <a href> is only followed on a click).
FETCHING = {("script", "src"), ("link", "href"), ("img", "src"), ("img", "srcset"), ("source", "src"),
            ("source", "srcset"), ("iframe", "src"), ("video", "src"), ("video", "poster"), ("audio", "src"),
            ("embed", "src"), ("object", "data"), ("image", "href"), ("use", "href"), ("input", "src")}
CSS_URL = re.compile(r"""(?:url\(\s*['"]?|@import\s+['"])([^'")\s]+)""")


def test_the_site_builds_strict_with_every_page(site):
    pages = sorted(p.relative_to(DOCS).with_suffix(".html") for p in DOCS.rglob("*.md"))
    assert Path("index.html") in pages and Path("deployment.html") in pages
    missing = [str(p) for p in pages if not (site / p).is_file()]
    assert missing == []
    for image in (DOCS / "images").glob("*.png"):
        assert (site / "images" / image.name).is_file(), image.name


def test_a_broken_link_fails_the_build(tmp_path):
    """--strict is what catches it: a copy of the docs with one link broken does not build."""
    import shutil

    copy = tmp_path / "repo"
    shutil.copytree(DOCS, copy / "docs")
    shutil.copy(ROOT / "mkdocs.yml", copy / "mkdocs.yml")
    (copy / "bench").mkdir()
    shutil.copy(ROOT / "bench" / "README.md", copy / "bench" / "README.md")
    page = copy / "docs" / "api.md"
    page.write_text(page.read_text(encoding="utf-8") + "\nSee [nowhere](no-such-page.md).\n", encoding="utf-8")
    env = {**os.environ, "NO_MKDOCS_2_WARNING": "1"}
    done = subprocess.run([sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(tmp_path / "site")],
                          cwd=copy, env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode != 0
    assert "no-such-page.md" in done.stderr


def test_the_benchmark_page_includes_bench_readme_as_it_is(site):
    readme = (ROOT / "bench" / "README.md").read_text(encoding="utf-8")
    first_heading = re.search(r"^# (.+)$", readme, flags=re.MULTILINE).group(1)
    page = (site / "bench.html").read_text(encoding="utf-8")
    assert "--8&lt;--" not in page and "--8<--" not in page
    words = re.sub(r"[`*]", "", first_heading).split()
    assert all(word in page for word in words), first_heading


class _Fetches(html.parser.HTMLParser):
    def __init__(self):
        super().__init__()
        self.urls: list[str] = []
        self.styles: list[str] = []
        self._in_style = False

    def handle_starttag(self, tag, attrs):
        for name, value in attrs:
            if value is None:
                continue
            if (tag, name) in FETCHING or name in ("xlink:href",):
                if name == "srcset":
                    self.urls += [part.strip().split(" ")[0] for part in value.split(",") if part.strip()]
                else:
                    self.urls.append(value)
            if name == "style":
                self.styles.append(value)
        self._in_style = tag == "style"

    def handle_endtag(self, tag):
        self._in_style = False

    def handle_data(self, data):
        if self._in_style:
            self.styles.append(data)


def _elsewhere(url: str) -> bool:
    url = url.strip()
    return bool(urlsplit(url).scheme in ("http", "https") or url.startswith("//"))


def test_the_site_loads_nothing_from_another_host(site):
    html_files = sorted(site.rglob("*.html"))
    assert len(html_files) >= 20
    found = []
    for path in html_files:
        parser = _Fetches()
        parser.feed(path.read_text(encoding="utf-8"))
        found += [f"{path.name}: {url}" for url in parser.urls if _elsewhere(url)]
        found += [f"{path.name}: {url}" for style in parser.styles for url in CSS_URL.findall(style) if _elsewhere(url)]
    for path in site.rglob("*.css"):
        found += [f"{path.name}: {url}" for url in CSS_URL.findall(path.read_text(encoding="utf-8")) if _elsewhere(url)]
    assert found == []
    # The check would see one: Material's web fonts, and the offline plugin's shim, come from elsewhere.
    parser = _Fetches()
    parser.feed('<link rel="stylesheet" href="https://fonts.googleapis.com/css?family=Roboto">'
                '<script src="https://unpkg.com/iframe-worker/shim"></script>'
                '<style>@import "//cdn.example/x.css"</style>')
    assert [url for url in parser.urls if _elsewhere(url)] and any(_elsewhere(u) for s in parser.styles
                                                                    for u in CSS_URL.findall(s))


def test_the_site_needs_no_server_for_its_pages_and_search(site):
    """Pages are files (api.html, not api/), and the search index is inlined for file://."""
    index = (site / "index.html").read_text(encoding="utf-8")
    assert 'href="api.html"' in index
    assert (site / "search" / "search_index.js").is_file()
    assert 'src="assets/vendor/iframe-worker/shim.js"' in index


# --- the README -----------------------------------------------------------------------------------

def _headings(markdown_text: str) -> set[str]:
    text = re.sub(r"^```.*?^```", "", markdown_text, flags=re.MULTILINE | re.DOTALL)
    headings = re.findall(r"^#{1,6} (.+)$", text, flags=re.MULTILINE)
    return {slugify(re.sub(r"[`*]", "", heading).strip(), "-") for heading in headings}


def _relative_links(markdown_text: str) -> list[str]:
    text = re.sub(r"^```.*?^```", "", markdown_text, flags=re.MULTILINE | re.DOTALL)
    links = re.findall(r"\]\(([^)\s]+)\)", text)
    return [link for link in links if not urlsplit(link).scheme and not link.startswith("//")]


def test_the_readme_links_lead_to_files_and_headings():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    links = _relative_links(readme)
    assert len(links) >= 20
    broken = []
    for link in links:
        path, _, anchor = link.partition("#")
        target = ROOT / unquote(path) if path else ROOT / "README.md"
        if not target.is_file():
            broken.append(link)
        elif anchor and target.suffix == ".md" and anchor not in _headings(target.read_text(encoding="utf-8")):
            broken.append(link)
    assert broken == []


def test_the_readme_leads_to_every_page_of_the_site():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    linked = {link.partition("#")[0] for link in _relative_links(readme)}
    pages = {f"docs/{p.relative_to(DOCS).as_posix()}" for p in DOCS.rglob("*.md")} - {"docs/bench.md"}
    assert pages - linked == set()


def test_the_readme_stays_a_front_door():
    """What a newcomer needs: how to run, test and read; the details are in the site."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert "make run" in readme and "make test" in readme and "make docs" in readme
    for where in ("/api/v1/", "/api/v1/docs/", "/api/v1/redoc/", "/admin/"):
        assert f"http://127.0.0.1:8000{where}" in readme, where
    assert len(readme.splitlines()) < 350  # 1,413 before the site; 280 with it
