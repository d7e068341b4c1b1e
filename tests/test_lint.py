"""Does ruff pass on the packages, the tests and every notebook?"""

from __future__ import annotations

import subprocess
import sys

from conftest import ROOT


def test_ruff_passes() -> None:
    """Is `ruff check` clean on bp_helpers, grader, tests, benchmarks, deploy, solutions and course?"""
    folders = ("bp_helpers", "grader", "tests", "benchmarks", "deploy", "solutions", "course")
    targets = [d for d in folders if (ROOT / d).is_dir()]
    done = subprocess.run(
        [sys.executable, "-m", "ruff", "check", *targets],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stdout + done.stderr
