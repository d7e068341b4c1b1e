"""Shared fixtures: the checkout's notebooks, and a scratch folder outside the checkout."""

from __future__ import annotations

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SOLUTION_NOTEBOOKS = sorted((ROOT / "solutions").glob("*/*.ipynb"))
RELEASE_NOTEBOOKS = sorted((ROOT / "course").glob("*/*.ipynb"))


def notebook_id(path: Path) -> str:
    return f"{path.parent.name}/{path.name}"


@pytest.fixture
def workspace(tmp_path: Path) -> Path:
    """An empty folder outside the checkout for grading workspaces and student copies."""
    return tmp_path
