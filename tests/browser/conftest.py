"""A real browser for journey tests: Debian's Chromium driven by Playwright.

Never ``playwright install`` (it downloads a browser); the Debian ``chromium`` package is used.
Missing Chromium skips these tests with a reason, unless GOVDOC_REQUIRE_TOOLS=1 (CI).
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from typing import Any

import pytest

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """One Chromium per test module. Not per session: Playwright's sync API keeps an event loop
    running in the main thread while it is open, and later non-browser tests must not run
    inside it."""
    if not os.path.exists(CHROMIUM):
        if os.environ.get("GOVDOC_REQUIRE_TOOLS") == "1":
            pytest.fail("chromium is required (GOVDOC_REQUIRE_TOOLS=1) but not installed")
        pytest.skip("chromium (Debian package) is not installed")
    os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        yield browser
        browser.close()


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    context = browser.new_context(locale="sr-Latn-RS", viewport={"width": 1100, "height": 900})
    page = context.new_page()
    page.set_default_timeout(20_000)
    yield page
    context.close()
