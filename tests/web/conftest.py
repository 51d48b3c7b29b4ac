"""Fixtures of the browser tests: one Chromium for the whole session (Debian's ``/usr/bin/chromium``, driven by
Playwright; Playwright's own browser download is not used), and per test the dashboard served by uvicorn over
the ``flow`` fixture (SQLite and PostgreSQL) with the data of ``webtools.populate``.

Without ``/usr/bin/chromium`` the tests are skipped with a reason (``.ci/run`` installs it before the suite).
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, Page, sync_playwright
from webtools import CHROMIUM, Site, populate, served

from admission_flow.api import create_app
from admission_flow.flow import AdmissionFlow
from admission_flow.testing.scenario import add_sample_orgs


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    if not CHROMIUM.exists():
        pytest.skip(f"{CHROMIUM} is missing: apt-get install -y chromium (as .ci/run does)")
    with sync_playwright() as playwright:
        # --no-sandbox: CI runs as root, where Chromium refuses its sandbox.
        launched = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=["--no-sandbox"])
        yield launched
        launched.close()


@pytest.fixture
def site(flow: AdmissionFlow) -> Iterator[Site]:
    add_sample_orgs(flow)
    populate(flow)
    with served(create_app(flow)) as base_url:
        yield Site(flow, base_url)


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    """A fresh browser context (no cookies) with a desktop-size window."""
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="vi-VN")
    made = context.new_page()
    yield made
    context.close()


@pytest.fixture
def browser_page_phone(browser: Browser) -> Iterator[Page]:
    """A fresh browser context the size of a phone (375 × 812 CSS pixels, as an iPhone X)."""
    context = browser.new_context(viewport={"width": 375, "height": 812}, locale="vi-VN", is_mobile=True)
    made = context.new_page()
    yield made
    context.close()
