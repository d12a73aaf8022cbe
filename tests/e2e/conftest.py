"""Headless Chromium (Debian's, through Playwright) for the browser tests of tests/e2e.

Screenshots of each main page go to test-artifacts/ for people to look at.
"""
import os
import shutil

import pytest

from tests.helpers import ARTIFACTS
from tests.services import require

CHROMIUM = "/usr/bin/chromium"
FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
         "--disable-component-update", "--no-first-run"]


@pytest.fixture(scope="module")
def browser():
    require(os.path.exists(CHROMIUM) and shutil.which("chromium") is not None,
            "Chromium (/usr/bin/chromium)")
    from playwright.sync_api import sync_playwright

    ARTIFACTS.mkdir(exist_ok=True)
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser):
    context = browser.new_context()
    page = context.new_page()
    page.set_default_timeout(15_000)
    yield page
    context.close()
