"""The published site as a reader sees it, in headless Chromium.

Uses the site in ``_build/html`` (``make book`` or CI's build), building it with the
quick budget first if it is not there. Needs Debian's ``chromium`` and
``chromium-driver`` (``.ci/run`` installs them).
"""

from __future__ import annotations

import json
import re
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urlparse

import pytest
import yaml
from sitekit import (
    SITE,
    full_page_screenshot,
    needs_chromium,
    open_page,
    severe_console_messages,
)

ROOT = Path(__file__).resolve().parent.parent
CONFIG = yaml.safe_load((ROOT / "_config.yml").read_text())
TOC = yaml.safe_load((ROOT / "_toc.yml").read_text())

pytestmark = needs_chromium


def pages() -> list[str]:
    entries = [TOC["root"]]
    for part in TOC["parts"]:
        entries += [chapter["file"] for chapter in part["chapters"]]
    return entries


CHAPTERS = [p for p in pages() if (ROOT / f"{p}.ipynb").exists()]
SHOTS = SITE / "_screenshots"


class LinkParser(HTMLParser):
    def __init__(self):
        super().__init__()
        self.links: list[str] = []
        self.ids: set[str] = set()
        self.assets: list[str] = []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if "id" in attrs:
            self.ids.add(attrs["id"])
        if tag == "a" and attrs.get("href"):
            self.links.append(attrs["href"])
        if tag == "script" and attrs.get("src"):
            self.assets.append(attrs["src"])
        if (
            tag == "link"
            and attrs.get("rel") in ("stylesheet", "preload")
            and attrs.get("href")
        ):
            self.assets.append(attrs["href"])
        if tag == "img" and attrs.get("src"):
            self.assets.append(attrs["src"])


def parse(path: Path) -> LinkParser:
    parser = LinkParser()
    parser.feed(path.read_text(encoding="utf-8"))
    return parser


@pytest.mark.parametrize("page", pages())
def test_page_loads_without_console_errors(base_url, browser, page):
    open_page(browser, base_url, page)
    assert browser.title, "page has no title"
    errors = severe_console_messages(browser)
    assert not errors, errors
    name = page.split("/")[-1]
    full_page_screenshot(browser, SHOTS / f"{name}-desktop.png")
    open_page(browser, base_url, page, width=390, height=844)
    full_page_screenshot(browser, SHOTS / f"{name}-phone.png")
    width = browser.execute_script("return document.documentElement.scrollWidth")
    assert width <= 390 + 1, f"the page scrolls sideways on a phone ({width}px wide)"


@pytest.mark.parametrize("page", pages())
def test_page_works_offline(site, page):
    """Every script, stylesheet and image comes from the site itself, not a CDN."""
    external = [
        a
        for a in parse(site / f"{page}.html").assets
        if urlparse(a).scheme in ("http", "https")
    ]
    assert not external, external


@pytest.mark.parametrize("page", pages())
def test_internal_links_resolve(site, page):
    path = site / f"{page}.html"
    for href in parse(path).links:
        url = urlparse(href)
        if url.scheme or href.startswith("mailto:"):
            continue
        target = (path.parent / unquote(url.path)).resolve() if url.path else path
        assert target.exists(), f"{href} -> {target} is missing"
        if url.fragment and target.suffix == ".html":
            assert url.fragment in parse(target).ids, (
                f"{href}: no anchor #{url.fragment}"
            )


@pytest.mark.parametrize("page", CHAPTERS)
def test_chapter_typesets_math_and_shows_figures(base_url, browser, page):
    open_page(browser, base_url, page)
    typeset = browser.execute_script(
        "return document.querySelectorAll('mjx-container').length"
    )
    raw_math = browser.execute_script(
        "return document.querySelectorAll('.math:not(:has(mjx-container))').length"
    )
    assert typeset > 0 and raw_math == 0, f"{typeset} typeset, {raw_math} left raw"
    sizes = browser.execute_script(
        "return Array.from(document.querySelectorAll('.cell_output img'))"
        ".map(i => i.complete ? i.naturalWidth : 0)"
    )
    assert sizes and all(w > 0 for w in sizes), f"figures: {sizes}"


@pytest.mark.parametrize("page", CHAPTERS)
def test_colab_button_opens_this_chapter(site, page):
    repository = urlparse(CONFIG["repository"]["url"]).path.strip("/")
    expected = (
        f"https://colab.research.google.com/github/{repository}/blob/"
        f"{CONFIG['repository']['branch']}/{page}.ipynb"
    )
    assert expected in parse(site / f"{page}.html").links


@pytest.mark.parametrize("page", CHAPTERS)
def test_widget_cells_have_a_static_stand_in(site, page):
    """Widgets are live only with a kernel: the page says so where a panel would be."""
    notebook = json.loads((ROOT / f"{page}.ipynb").read_text())
    panels = sum(
        "_panel(" in "".join(c["source"])
        for c in notebook["cells"]
        if c["cell_type"] == "code"
        and "remove-cell" not in c["metadata"].get("tags", [])
    )
    text = (site / f"{page}.html").read_text(encoding="utf-8")
    assert text.count("live in Colab or JupyterLab") >= panels
    assert not re.search(r"application/vnd\.jupyter\.widget-view", text)
