"""Fixtures for the tests that open the built site in headless Chromium."""

from __future__ import annotations

import pytest
from sitekit import build_site_if_missing, chromium, serve


@pytest.fixture(scope="session")
def site():
    """``_build/html`` (built at the quick budget if absent)."""
    site = build_site_if_missing()
    (site / "_screenshots").mkdir(exist_ok=True)
    return site


@pytest.fixture(scope="session")
def base_url(site):
    """The site served over HTTP on 127.0.0.1, as GitHub Pages serves it."""
    with serve(site) as url:
        yield url


@pytest.fixture(scope="session")
def browser():
    with chromium() as driver:
        yield driver
