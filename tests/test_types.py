"""Issue 24 item 5: mypy finds no error in grader/ and bp_helpers/ (its settings: [tool.mypy] in pyproject.toml)."""

from __future__ import annotations

import subprocess
import sys

import pytest
from conftest import ROOT


@pytest.mark.slow  # about 9 s without a cache: a fresh one each run, so a stale cache cannot hide an error
def test_mypy_finds_no_error(tmp_path) -> None:
    checked = subprocess.run(
        [sys.executable, "-m", "mypy", "--cache-dir", str(tmp_path / "cache")],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    assert checked.returncode == 0, checked.stdout[-6000:] + checked.stderr[-2000:]
    assert "Success: no issues found" in checked.stdout
