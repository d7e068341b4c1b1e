"""Shared fixtures: the checkout's notebooks, and a scratch folder outside the checkout."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

# `bpcourse check` run by the tests starts the user's check server (grader/student/check_server.py) where it can: here
# each one leaves after 20 idle seconds, not 15 minutes, so none outlives the test run for long.
os.environ.setdefault("BPCOURSE_CHECK_IDLE", "20")

ROOT = Path(__file__).resolve().parent.parent
SOLUTION_NOTEBOOKS = sorted((ROOT / "solutions").glob("*/*.ipynb"))
RELEASE_NOTEBOOKS = sorted((ROOT / "course").glob("*/*.ipynb"))
KOREAN_NOTEBOOKS = sorted((ROOT / "course-ko").glob("*/*.ipynb"))  # the Korean edition (grader/course/i18n.py)


def notebook_id(path: Path) -> str:
    return f"{path.parent.name}/{path.name}"


@pytest.fixture
def workspace(tmp_path: Path) -> Path:
    """An empty folder outside the checkout for grading workspaces and student copies."""
    return tmp_path


@pytest.fixture(scope="module")
def browser():
    """Debian's chromium driven by Playwright (it never downloads a browser), for tests/browser/."""
    from playwright.sync_api import sync_playwright
    from test_widgets_browser import CHROMIUM, CHROMIUM_ARGS

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        try:
            yield b
        finally:
            b.close()


def pytest_collection_modifyitems(items) -> None:
    """The bug corpus's per-entry tests (one known bug or correct variant each, parametrized) form the `corpus` tier:
    `make test` runs them, `make test-fast` leaves them out (the corpus's own coverage checks, unparametrized, stay)."""
    for item in items:
        if "bug_corpus" in item.path.parts and getattr(item, "callspec", None) is not None:
            item.add_marker(pytest.mark.corpus)
