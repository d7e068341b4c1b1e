"""Does correct work keep its marks when the machine is saturated (cell limits count CPU seconds, not wall)?"""

from __future__ import annotations

import io
import os
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import ROOT

from grader.grading import demo_class
from grader.grading.grade import run_grade

pytestmark = pytest.mark.slow

# The solutions that once failed on a loaded machine (torch's import, step 5's cost experiment), and step 1.
NOTEBOOKS = ["01_term/01_term.ipynb", *sorted(
    str(p.relative_to(ROOT / "solutions")) for p in (ROOT / "solutions").glob("*/*frameworks*.ipynb")
), "05_comparison/05_comparison.ipynb"]


def test_solutions_keep_full_marks_on_a_saturated_machine(tmp_path: Path) -> None:
    """With two busy loops per core running, does every solution still earn every autograded point, unflagged?"""
    pytest.importorskip("torch")
    submissions = tmp_path / "submitted"
    for rel in NOTEBOOKS:
        path = ROOT / "solutions" / rel
        demo_class.write_notebook(path.read_text(encoding="utf-8"), submissions / "sol" / path.parent.name / path.name)
    loops = [
        subprocess.Popen([sys.executable, "-c", "while True: pass"]) for _ in range(2 * (os.cpu_count() or 1))
    ]
    try:
        summary = run_grade(submissions, tmp_path / "workspace", jobs=2, progress=False, out=io.StringIO())
    finally:
        for loop in loops:
            loop.kill()
            loop.wait()
    assert len(summary.results) == len(NOTEBOOKS)
    for result in summary.results:
        assert result.score == result.auto_max, (result.notebook, [e for e in result.exercises if e.cause])
        assert not result.review, (result.notebook, result.review)
