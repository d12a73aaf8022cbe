"""Headless Chromium (Debian's, through Playwright) for the browser tests of tests/e2e: one
per module, a fresh context per test, at desktop (``page``) or phone (``phone``) size.

Screenshots of each main page go to test-artifacts/ for people to look at.
"""
import os
import shutil

import pytest

from tests.helpers import ARTIFACTS, CHROMIUM, CHROMIUM_FLAGS, DESKTOP, PHONE
from tests.services import require


@pytest.fixture(scope="module")
def browser():
    require(os.path.exists(CHROMIUM) and shutil.which("chromium") is not None,
            "Chromium (/usr/bin/chromium)")
    from playwright.sync_api import sync_playwright

    ARTIFACTS.mkdir(exist_ok=True)
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS)
        yield chromium
        chromium.close()


def _page(browser, viewport):
    context = browser.new_context(viewport=viewport, locale="en-GB")
    page = context.new_page()
    page.set_default_timeout(15_000)
    return context, page


@pytest.fixture
def page(browser):
    context, page = _page(browser, DESKTOP)
    yield page
    context.close()


@pytest.fixture
def phone(browser):
    context, page = _page(browser, PHONE)
    yield page
    context.close()
