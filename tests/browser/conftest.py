"""The browser every browser test drives: Debian's chromium through Playwright (it never downloads one)."""

from __future__ import annotations

import pytest


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright
    from test_widgets_browser import CHROMIUM, CHROMIUM_ARGS

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        try:
            yield b
        finally:
            b.close()
