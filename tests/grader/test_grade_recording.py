"""The grader's bookkeeping, without grading (issue 28, items 4 to 6; issue 21, item 4): student text made valid
Unicode, comparisons that name a value of the wrong kind instead of raising, a bound on a notebook's structure, and
a recording failure that flags one result instead of stopping the class. The whole class, graded, is in
tests/grader/test_grade_records.py."""

from __future__ import annotations

import errno
import json
from dataclasses import asdict
from pathlib import Path

import nbformat
import numpy as np
import pytest
from conftest import RELEASE_NOTEBOOKS, SOLUTION_NOTEBOOKS
from nbgrader.utils import compute_checksum

from grader.course.notebooks import Structure, measure_structure
from grader.grading import grade
from grader.grading.command import exit_status
from grader.grading.records import ExerciseResult, GradedNotebook, JobResult, Kind, Settings
from grader.grading.submissions import Submission
from grader.grading.valid_text import make_valid, valid
from grader.recheck import trusted_check
from grader.recheck.compare import compare
from grader.recheck.specs import contract_for
from grader.sandboxed.values import Opaque, decode, encode

# --- valid Unicode -------------------------------------------------------------------------------------------------


def test_lone_surrogates_are_replaced_everywhere_and_counted() -> None:
    """Is every lone surrogate of a notebook (in a source, an output, a metadata key) replaced by U+FFFD and
    counted, a valid pair (an emoji) and Korean text kept, so that nbgrader's checksum and UTF-8 accept it?"""
    nb = nbformat.v4.new_notebook()
    answer = nbformat.v4.new_markdown_cell("chain rule \ud800 연쇄 법칙 \U0001f600")
    answer.metadata["nbgrader"] = {"grade": True, "solution": True, "grade_id": "a", "points": 1}
    code = nbformat.v4.new_code_cell("x = 1")
    code.outputs = [nbformat.v4.new_output("stream", name="stdout", text="\udfff")]
    code.metadata["\udc80key"] = ["ok", ("\ud801",)]
    nb.cells = [answer, code]
    with pytest.raises(UnicodeEncodeError):
        compute_checksum(answer)

    fixed, count = make_valid(nb)
    assert fixed is nb and count == 4
    assert answer.source == "chain rule \ufffd 연쇄 법칙 \U0001f600"
    assert code.metadata == {"\ufffdkey": ["ok", ("\ufffd",)]}
    compute_checksum(answer)
    nbformat.writes(nb).encode("utf-8")
    assert make_valid(nb)[1] == 0


def test_valid_returns_the_same_text_when_nothing_is_wrong() -> None:
    """Is valid text returned as it is (the same object: no copy of a large notebook's strings)?"""
    text = "역전파 backpropagation " * 100
    assert valid(text) is text


def test_results_sent_back_are_made_valid() -> None:
    """Is a result's text made valid too, dataclasses and their lists included?"""
    result = JobResult("s", "01_term", "01_term", "f", review=["\ud800"])
    result.exercises = [ExerciseResult("g", 1.0, 0.0, Kind.AUTO, cause="x \udfff")]
    assert make_valid(result)[1] == 2
    json.dumps(asdict(result), ensure_ascii=False).encode("utf-8")


# --- comparisons: a value of the wrong kind is a named failure -----------------------------------------------------

EXPECTED = {
    "list": [1.0, 2.0, 3.0],
    "float": 2.5,
    "array": np.ones((2, 3)),
    "tuple": (np.ones(2), (1.0, np.ones(2))),
    "dict": {"W": np.ones((2, 2)), "b": np.zeros(2)},
    "str": "relu",
    "None": None,
}
WRONG = {
    "0-d array": np.asarray(1.0),
    "object dtype": np.array([object(), 1], dtype=object),
    "ragged list": [[1.0], [1.0, 2.0]],
    "huge int": 10**400,
    "NaN": float("nan"),
    "string": "x",
    "None": None,
    "bool array": np.array([True, False, True]),
    "empty array": np.zeros(0),
}


MISMATCHED = [(w, e) for w in WRONG for e in EXPECTED if (w, e) not in {("None", "None"), ("string", "str")}]


@pytest.mark.parametrize(("wrong", "expected"), MISMATCHED, ids=[f"{w}-for-{e}" for w, e in MISMATCHED])
def test_a_value_of_the_wrong_kind_is_a_named_failure(wrong: str, expected: str) -> None:
    """Does every value of the wrong kind, carried as the re-check carries it (JSON), fail the comparison with a
    sentence, never raise (which failed the whole notebook)?"""
    got = decode(json.loads(json.dumps(encode(WRONG[wrong]))))
    reason = compare(got, EXPECTED[expected], 1e-6, "f(x)'s result")
    assert reason is not None and str(reason).startswith("f(x)'s result"), reason


def test_zero_d_array_for_a_list_is_named() -> None:
    """Is a 0-d array where a list of gradients is expected (case 8 of issue 28) named as such?"""
    reason = compare(np.asarray(6.0), [1.0, 2.0, 6.0], 1e-6, "propagate_back([2 values])'s result")
    assert str(reason) == (
        "propagate_back([2 values])'s result is a 0-d array (a single number), expected a sequence of 3")


def test_huge_int_is_carried_as_too_large() -> None:
    """Is an int beyond float64 carried as 'too large' (it raised OverflowError while being sent)?"""
    assert isinstance(decode(encode(10**400)), Opaque)
    assert "too large" in str(compare(decode(encode(10**400)), 1.0, 1e-6))


def test_overflowing_difference_fails() -> None:
    """Does a difference that overflows (inf - inf, a NaN relative error) fail, never pass?"""
    assert compare(np.array([1e308, 1e308]), np.array([-1e308, 1e308]), 1e-6) is not None


def test_the_graders_own_comparison_error_fails_that_check_alone(monkeypatch) -> None:
    """Does an exception while the grader judges one answer (a bug of its own) fail that check with a named cause
    and list it as the grader's error, instead of failing the notebook?"""

    def broken(*args):
        raise TypeError("len() of unsized object")

    monkeypatch.setattr(trusted_check, "_judge", broken)
    result = trusted_check.TrustedResult()
    want = trusted_check._Expected(([2.0, 3.0],), [1.0, 3.0, 6.0])
    spec = contract_for("01_term", "01_term")["propagate_back"]
    reason = trusted_check._judge_safely("propagate_back", spec, want, {}, None, result)
    assert str(reason) == "propagate_back([2 values]): the grader could not compare its result (TypeError)"
    assert [str(error) for error in result.grader_errors] == [str(reason)]  # Words: English for the instructor


# --- bounds on structure -------------------------------------------------------------------------------------------


def _notebook_bytes(cells: int, outputs_per_cell: int = 0, metadata: dict | None = None) -> bytes:
    nb = nbformat.v4.new_notebook(metadata=metadata or {})
    for i in range(cells):
        cell = nbformat.v4.new_code_cell(f"x = {i}")
        cell.outputs = [nbformat.v4.new_output("stream", name="stdout", text="1\n")] * outputs_per_cell
        nb.cells.append(cell)
    return nbformat.writes(nb).encode()


def test_structure_is_measured() -> None:
    """Are a notebook's cells, outputs and metadata counted (the metadata about as compact JSON), and does reading
    stop once a count passes its bound?"""
    data = _notebook_bytes(5, 2, {"widgets": {"state": "x" * 1000}})
    shape = measure_structure(data)
    assert (shape.cells, shape.outputs) == (5, 10)
    assert 1000 < shape.metadata_bytes < 1300
    assert measure_structure(data, Structure(2, 100, 10_000)).cells == 3


@pytest.mark.parametrize(
    ("shape", "words"),
    [
        (Structure(11, 0, 0), "more than 10 cells (Settings.max_cells)"),
        (Structure(1, 11, 0), "more than 10 outputs (Settings.max_outputs)"),
        (Structure(1, 0, 101), "more than 100 bytes of metadata (Settings.max_metadata_bytes)"),
    ],
)
def test_over_a_bound_is_a_problem(shape: Structure, words: str) -> None:
    """Is a notebook over each bound given a problem that names it (and one within every bound none)?"""
    settings = Settings(max_cells=10, max_outputs=10, max_metadata_bytes=100)
    assert words in grade.structure_problem(shape, settings)
    assert grade.structure_problem(Structure(10, 10, 100), settings) is None


def test_flag_structure_flags_only_the_notebook_over_its_bound(tmp_path: Path) -> None:
    """Does the parent flag, when it reads them, the notebook over a bound and leave the others alone?"""
    small, large = tmp_path / "small.ipynb", tmp_path / "large.ipynb"
    small.write_bytes(_notebook_bytes(3))
    large.write_bytes(_notebook_bytes(30))
    found = [Submission("a", "01_term", small, "01_term"), Submission("b", "01_term", large, "01_term")]
    grade.flag_structure(found, Settings(max_cells=10))
    assert found[0].problem is None
    assert "more than 10 cells" in found[1].problem


def test_default_bounds_are_far_above_the_courses_notebooks() -> None:
    """Are the default bounds ten times what any course notebook has, and above the 10,000 cells that
    tests/grader/test_grade_many_cells.py grades?"""
    defaults = Settings()
    assert defaults.max_cells > 10_000 + 100
    for path in [*SOLUTION_NOTEBOOKS, *RELEASE_NOTEBOOKS]:
        shape = measure_structure(path.read_bytes())
        assert 10 * shape.cells < defaults.max_cells and 10 * shape.metadata_bytes < defaults.max_metadata_bytes
        assert 10 * max(shape.outputs, 100) < defaults.max_outputs


# --- recording: one result's failure is that result's --------------------------------------------------------------


def test_a_full_disk_while_recording_flags_that_result_alone(monkeypatch, tmp_path: Path) -> None:
    """Does an OSError(ENOSPC) while recording one result flag it (the errno named, no file name), mark it as the
    grader's failure (not journalled, graded again), and let the next result be recorded?"""
    recorded = []

    def record(workspace, result, graded):
        if result.student == "victim":
            raise OSError(errno.ENOSPC, "No space left on device", str(tmp_path / "feedback" / "victim"))
        recorded.append(result.student)

    monkeypatch.setattr(grade, "record", record)
    recorder = grade._Recorder(tmp_path)
    victim, classmate = JobResult("victim", "01_term", "01_term", "f"), JobResult("alice", "01_term", "01_term", "f")
    recorder.record(victim, GradedNotebook(victim))
    recorder.record(classmate, GradedNotebook(classmate))
    assert recorded == ["alice"] and not classmate.review
    assert victim.review == [
        "its result could not be recorded (ENOSPC: No space left on device): it is graded again on the next run"
    ]
    assert victim.grader_error and str(tmp_path) not in victim.review[0]


def test_a_result_the_grader_failed_on_is_never_reused(tmp_path: Path) -> None:
    """Is a journal entry of a result the grader failed on (`grader_error`) graded again, while a final one with the
    same fingerprint is reused?"""
    sub = Submission("carol", "01_term", tmp_path / "01_term.ipynb", "01_term")
    entry = grade.journal_path(tmp_path, "01_term", "carol", "01_term")
    entry.parent.mkdir(parents=True)
    final = JobResult("carol", "01_term", "01_term", "fp")
    entry.write_text(json.dumps(asdict(final)))
    assert grade._journalled(tmp_path, sub) == final
    final.grader_error = "TypeError: len() of unsized object"
    entry.write_text(json.dumps(asdict(final)))
    assert grade._journalled(tmp_path, sub) is None


def test_exit_status_says_the_grader_failed() -> None:
    """Does `bpcourse grade` exit with 3 when the grader failed on a notebook, 1 when one needs review, else 0?"""
    flagged = JobResult("a", "01_term", "01_term", "f", review=["why"])
    summary = grade.GradeSummary([flagged], Path("x.csv"), 1.0, 0, 1, 1)
    assert exit_status(summary) == 1
    summary.failures = ["a/01_term/01_term: not recorded (ENOSPC: No space left on device)"]
    assert exit_status(summary) == 3
    assert exit_status(grade.GradeSummary([], Path("x.csv"), 1.0, 0, 0, 1)) == 0


class _Bar:
    def update(self, n: int) -> None:
        pass


def _finish_one(monkeypatch, tmp_path: Path, problem_result, graded, error):
    """Call the parent's finish for one job, recording nothing; returns the row it made."""
    monkeypatch.setattr(grade, "record", lambda workspace, result, graded: None)
    monkeypatch.setattr(grade, "problem_result", problem_result)
    sub = Submission("dave", "01_term", tmp_path / "01_term.ipynb", "01_term")
    job = grade.GradingJob("dave", "01_term", "01_term", str(sub.path), "fp")
    results: list[JobResult] = []
    grade._finisher(grade._Recorder(tmp_path), [(sub, job)], results, _Bar(), {})(job, graded, error)
    return results


def test_a_job_the_grader_failed_on_is_flagged_and_provisional(monkeypatch, tmp_path: Path) -> None:
    """Is a job that raised in its worker a flagged row whose result is the grader's error (graded again by the
    next run), never a final zero?"""

    def problem_result(sub, workspace, fingerprint, reason=None):
        return JobResult(sub.student, "01_term", "01_term", fingerprint, review=[reason])

    [row] = _finish_one(monkeypatch, tmp_path, problem_result, None, "TypeError: len() of unsized object")
    assert row.grader_error == "TypeError: len() of unsized object"
    assert row.review == [
        "the grader failed on this notebook (TypeError: len() of unsized object): it is graded again on the next run"
    ]


def test_finish_never_raises(monkeypatch, tmp_path: Path) -> None:
    """When even the failed job's row cannot be made (its source unreadable), is there still a flagged row, and no
    exception to stop the executor?"""

    def problem_result(sub, workspace, fingerprint, reason=None):
        raise FileNotFoundError(errno.ENOENT, "gone")

    [row] = _finish_one(monkeypatch, tmp_path, problem_result, None, "its grading process died (2 times)")
    assert row.student == "dave" and row.grader_error == "unreadable result (ENOENT: No such file or directory)"
    assert row.review and "graded again" in row.review[0]
