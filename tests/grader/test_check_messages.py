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
    assert first.points == 0 and first.cause.startswith("SyntaxError (line ") and "return )" in first.cause, first.cause
    assert "of your cell under" in first.cause
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
    inputs' shapes, the exercise's heading and the student's own line (issue 26: no cell index a student would have
    to count), and nothing of the exception's own text (the key 'oops' is computed: it is not on the line)?"""
    raising = lambda src: src.replace("    ### BEGIN SOLUTION\n", "    ### BEGIN SOLUTION\n    {}['o' + 'ops']\n", 1)  # noqa: E731
    report = run_check(_solution_with(tmp_path, raising, "term_chain_forward"))
    cause = _by_id(report)["term_chain_forward_test"].cause
    call = r"chain_forward\((array\(\d+,?\)|-?[\d.e-]+)\)"
    where = r' \(line 11 of your cell under "[^"]+": \{\}\[\'o\' \+ \'ops\'\]\)'
    assert re.fullmatch(call + r" raised KeyError" + where, cause), cause
    assert "cell 10" not in cause
    assert "oops" not in cause
    assert _by_id(report)["term_propagate_back_test"].points == 2


def test_a_crash_costs_only_the_exercise_whose_cell_ran_into_it(tmp_path: Path) -> None:
    """Issue 26 item 3: does os._exit in the chain_backward cell fail that exercise alone, naming the cell that ended
    the process, while the exercises before it and after it keep their points (the kernel runs the notebook again
    without that cell; the re-check runs its cells again without it)?"""
    report = run_check(_solution_with(tmp_path, lambda src: src + "\nimport os\nos._exit(3)\n", "term_chain_backward"))
    exercises = _by_id(report)
    assert exercises["term_propagate_back_test"].points == 2 and exercises["term_chain_forward_test"].points == 2
    assert exercises["term_chain_backward_test"].points == 0
    assert exercises["term_neuron_gradients_test"].points == exercises["term_neuron_gradients_test"].max_points, (
        [(e.grade_id, e.points, e.cause) for e in exercises.values()], report.result.review)
    cause = exercises["term_chain_backward_test"].cause  # named by heading and first line, not by a number
    assert 'that starts "def chain_backward' in cause and "ended the" in cause, cause
    assert any('died while running the cell under "' in r for r in report.result.review), report.result.review


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


def test_a_name_error_says_which_name_from_the_students_line(tmp_path: Path) -> None:
    """Issue 26: does a NameError in the student's function say which name is not defined (read from the student's
    own line), with the exercise's heading instead of a cell index?"""
    def misspelt(src: str) -> str:
        return src.replace("    ### BEGIN SOLUTION\n", "    ### BEGIN SOLUTION\n    scale = sclae_factor\n", 1)

    report = run_check(_solution_with(tmp_path, misspelt, "term_chain_forward"))
    cause = _by_id(report)["term_chain_forward_test"].cause
    assert "raised NameError" in cause and cause.endswith(": sclae_factor is not defined"), cause
    assert 'of your cell under "' in cause and "scale = sclae_factor" in cause, cause


def test_an_infinite_loop_is_named_at_the_students_line(tmp_path: Path) -> None:
    """Issue 26 item 8: does a loop that never ends, inside the student's function, fail that exercise with the
    student's own line (the loop), not a test cell's number?"""
    def looping(src: str) -> str:
        return src.replace("    ### BEGIN SOLUTION\n", "    ### BEGIN SOLUTION\n    while True:\n        pass\n", 1)

    from grader.grading.records import Settings

    # 3 CPU seconds a cell (not 10): three cells call the loop, and the test should not spend 30 s on them
    report = run_check(_solution_with(tmp_path, looping, "term_chain_forward"), Settings(cell_cpu_seconds=3.0))
    cause = _by_id(report)["term_chain_forward_test"].cause
    assert "did not finish" in cause and "your code was still running" in cause, cause
    assert "pass" in cause or "while True" in cause, cause
    assert _by_id(report)["term_propagate_back_test"].points == 2
