"""The built site as a reader meets it: served over HTTP on 127.0.0.1 (as GitHub Pages
serves it; Chromium fetches no wasm or model from a file:// page) and opened in headless
Chromium. Shared by the site's tests and ``benchmarks/page_speed.py``.

Needs Debian's ``chromium`` and ``chromium-driver`` (``.ci/run`` installs them).
"""

from __future__ import annotations

import base64
import functools
import gzip
import os
import shutil
import subprocess
import sys
import threading
from contextlib import contextmanager
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import unquote, urlparse

import pytest

ROOT = Path(__file__).resolve().parent.parent
SITE = ROOT / "_build" / "html"
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
CHROMEDRIVER = shutil.which("chromedriver")
needs_chromium = pytest.mark.skipif(
    not (CHROMIUM and CHROMEDRIVER),
    reason="needs Debian's chromium and chromium-driver",
)


def build_site_if_missing() -> Path:
    """``_build/html``, built at the quick budget (as ``make book`` would) if absent."""
    if not (SITE / "index.html").exists():
        env = {
            **os.environ,
            "GANBOOK_BUDGET": os.environ.get("GANBOOK_BUDGET", "quick"),
            "TQDM_DISABLE": "1",
            "GANBOOK_PAGE_ASSETS": str(ROOT / "_build" / "page-assets"),
        }
        if not (ROOT / "node_modules" / ".installed").exists():
            subprocess.run(
                ["npm", "ci", "--no-audit", "--no-fund"], check=True, cwd=ROOT
            )
            (ROOT / "node_modules" / ".installed").touch()
        jupyter_book = Path(sys.executable).parent / "jupyter-book"
        subprocess.run(
            [str(jupyter_book), "build", str(ROOT), "-W", "-n", "--keep-going"],
            check=True,
            env=env,
            cwd=ROOT,
        )
    return SITE


class _QuietHandler(SimpleHTTPRequestHandler):
    extensions_map = {
        **SimpleHTTPRequestHandler.extensions_map,
        ".mjs": "text/javascript",
        ".js": "text/javascript",
        ".wasm": "application/wasm",
        ".onnx": "application/octet-stream",
        ".json": "application/json",
    }

    def log_message(self, *args) -> None:  # keep test output readable
        pass


@contextmanager
def serve(folder: Path):
    """Serve ``folder`` on 127.0.0.1 (a free port); yields the base URL."""
    handler = functools.partial(_QuietHandler, directory=str(folder))
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()


@contextmanager
def chromium():
    """A headless Chromium driven by Selenium, logging the console."""
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in (
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--disable-dev-shm-usage",
    ):
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    driver.set_page_load_timeout(60)
    driver.set_script_timeout(60)
    try:
        yield driver
    finally:
        driver.quit()


def open_page(browser, base_url: str, page: str, width: int = 1280, height: int = 900):
    """Open ``page`` (a path without .html) and wait for MathJax and the live panels."""
    browser.set_window_size(width, height)
    browser.get(f"{base_url}{page}.html")
    browser.execute_async_script("""
        const done = arguments[arguments.length - 1];
        const math = (window.MathJax && MathJax.startup && MathJax.startup.promise)
            || Promise.resolve();
        const live = (window.ganbookLive && window.ganbookLive.ready)
            || Promise.resolve();
        Promise.all([math, live]).then(() => done(true), () => done(false));
    """)
    return browser


def full_page_screenshot(browser, path: Path) -> None:
    """The whole page, not just the window, so figures far down can be looked at."""
    shot = browser.execute_cdp_cmd(
        "Page.captureScreenshot", {"captureBeyondViewport": True, "format": "png"}
    )
    path.write_bytes(base64.b64decode(shot["data"]))


def severe_console_messages(browser) -> list[str]:
    return [e["message"] for e in browser.get_log("browser") if e["level"] == "SEVERE"]


def outside_requests(browser, base_url: str) -> list[str]:
    """Every resource the page fetched from anywhere but the site."""
    names = browser.execute_script(
        "return performance.getEntriesByType('resource').map(e => e.name)"
    )
    return [
        name
        for name in names
        if not name.startswith(base_url) and not name.startswith("data:")
    ]


# GitHub Pages gzips text; images, fonts, wasm and models go as they are.
TEXT_TYPES = (".html", ".js", ".mjs", ".css", ".json", ".svg", ".txt", ".map")
RUNTIME = "/_static/ort/"


def page_weight(browser, base_url: str) -> dict:
    """What the open page fetched on its first load, read from the browser's resource
    timing and measured on the site's files: ``bytes`` as files, ``gzip_bytes`` as a
    host that compresses text sends them. The in-browser runtime and ``.onnx`` models
    are left out: they load only when a reader first touches their control."""
    names = browser.execute_script(
        "return [performance.getEntriesByType('navigation')[0],"
        " ...performance.getEntriesByType('resource')].map(e => e.name)"
    )
    files, plain, packed = set(), 0, 0
    for name in names:
        if not name.startswith(base_url):
            continue
        path = unquote(urlparse(name).path)
        if RUNTIME in path or path.endswith(".onnx"):
            continue
        file = SITE / path.lstrip("/")
        if path.endswith("/") or file.is_dir():
            file = file / "index.html"
        if file in files or not file.is_file():
            continue
        files.add(file)
        data = file.read_bytes()
        plain += len(data)
        packed += (
            len(gzip.compress(data, 6)) if file.suffix in TEXT_TYPES else len(data)
        )
    return {"bytes": plain, "gzip_bytes": packed, "requests": len(files)}
