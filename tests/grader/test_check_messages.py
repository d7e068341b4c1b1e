"""Does `bpcourse check` (the grader's pipeline) tell a student what to fix, in words the grader vouches for?"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import ROOT

from grader.student.check import run_check

pytestmark = pytest.mark.slow

SOURCE = ROOT / "solutions" / "01_term" / "01_term.ipynb"


def _solution_with(tmp_path: Path, edit) -> Path:
    nb = json.loads(SOURCE.read_text(encoding="utf-8"))
    code = [c for c in nb["cells"] if c["cell_type"] == "code"]
    first = next(c for c in code if c["metadata"].get("nbgrader", {}).get("solution"))
    first["source"] = edit("".join(first["source"]))
    path = tmp_path / "01_term" / "01_term.ipynb"
    path.parent.mkdir(parents=True)
    path.write_text(json.dumps(nb), encoding="utf-8")
    return path


def test_syntax_error_is_named_with_its_cell_and_line(tmp_path: Path) -> None:
    """Does a stray `)` fail its exercise as a SyntaxError in that cell and line, not as a NameError?"""
    report = run_check(_solution_with(tmp_path, lambda src: src.replace("return", "return )", 1)))
    first = report.result.exercises[0]
    assert first.points == 0 and first.cause.startswith("SyntaxError in cell ") and ", line " in first.cause
    assert "NameError" not in first.cause
    assert all(e.points == e.max_points for e in report.result.exercises[1:] if e.kind == "auto")


def test_unanswered_written_answer_says_so(tmp_path: Path) -> None:
    """Does a blank notebook's written answer say it is not answered yet (an answered one awaits a person)?"""
    blank = run_check(ROOT / "course" / "01_term" / "01_term.ipynb")
    assert all("not answered yet" in e.cause for e in blank.result.exercises if e.kind == "manual")
    answered = run_check(_solution_with(tmp_path, lambda src: src))
    assert all(e.cause == "awaiting manual grading" for e in answered.result.exercises if e.kind == "manual")
