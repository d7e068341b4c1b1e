"""Does `bpcourse check` (the grader's pipeline) tell a student what to fix, in words the grader vouches for?"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import ROOT

from grader.student.check import run_check

pytestmark = pytest.mark.slow

SOURCE = ROOT / "solutions" / "01_term" / "01_term.ipynb"


def _solution_with(tmp_path: Path, edit, grade_id: str = "term_propagate_back") -> Path:
    """01_term's solution with the solution cell `grade_id` edited as a student would."""
    nb = json.loads(SOURCE.read_text(encoding="utf-8"))
    cell = next(c for c in nb["cells"] if c["metadata"].get("nbgrader", {}).get("grade_id") == grade_id)
    cell["source"] = edit("".join(cell["source"]))
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


def _by_id(report) -> dict:
    return {e.grade_id: e for e in report.result.exercises}


def test_exception_names_function_inputs_and_the_students_line(tmp_path: Path) -> None:
    """Does an exception raised inside a student's function, met in a hidden test, name the function with its
    inputs' shapes and the student's cell and line, and nothing of the exception's own text?"""
    raising = lambda src: src.replace("    ### BEGIN SOLUTION\n", "    ### BEGIN SOLUTION\n    {}['oops']\n", 1)  # noqa: E731
    report = run_check(_solution_with(tmp_path, raising, "term_chain_forward"))
    cause = _by_id(report)["term_chain_forward_test"].cause
    call = r"chain_forward\((array\(\d+,?\)|-?[\d.e-]+)\)"
    assert re.fullmatch(call + r" raised KeyError \(cell 10, line 11\)", cause), cause
    assert "oops" not in cause
    assert _by_id(report)["term_propagate_back_test"].points == 2


def test_crash_in_a_later_cell_keeps_the_earlier_exercises(tmp_path: Path) -> None:
    """Does os._exit in the chain_backward cell fail that exercise and the later ones, naming the cell that ended
    the process, while the exercises before it keep their points (in the kernel and in the re-check)?"""
    report = run_check(_solution_with(tmp_path, lambda src: src + "\nimport os\nos._exit(3)\n", "term_chain_backward"))
    exercises = _by_id(report)
    assert exercises["term_propagate_back_test"].points == 2 and exercises["term_chain_forward_test"].points == 2
    assert exercises["term_chain_backward_test"].points == 0 and exercises["term_neuron_gradients_test"].points == 0
    assert "cell 13 ended the kernel" in exercises["term_chain_backward_test"].cause
    assert any("died while running cell 13" in r for r in report.result.review), report.result.review


def test_debug_shows_the_recheck_childs_output(tmp_path: Path) -> None:
    """Does `bpcourse --debug check` show what the re-check's child printed (kept, not thrown away), on stderr only,
    and does a plain `check` show none of it?"""
    marker = "printed-by-the-student-0451"
    path = _solution_with(tmp_path, lambda src: f"print({marker!r})\n" + src)
    bpcourse = [sys.executable, "-m", "grader.cli", "check", "--quiet", str(path)]
    debug = subprocess.run([*bpcourse[:3], "--debug", *bpcourse[3:]], capture_output=True, text=True, timeout=600)
    assert "re-check child's output" in debug.stderr and marker in debug.stderr, debug.stderr[-2000:]
    assert marker not in debug.stdout and "autograded: 9/9" in debug.stdout, debug.stdout
    plain = subprocess.run(bpcourse, capture_output=True, text=True, timeout=600)
    assert marker not in plain.stderr + plain.stdout and "re-check child's output" not in plain.stderr
