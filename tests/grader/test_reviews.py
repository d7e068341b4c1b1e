"""Issue 29 item 3: can an instructor clear a settled "needs review" flag, is the way said, and does a new reason
flag the notebook again? Fast: results are written as the journal keeps them; no notebook is run."""

from __future__ import annotations

import csv
import io
import json
from dataclasses import asdict
from pathlib import Path

import pytest

from grader.cli import main as bpcourse
from grader.errors import CourseError
from grader.grading import reviews
from grader.grading.grade import GradeSummary
from grader.grading.journal import journal_path
from grader.grading.records import ExerciseResult, JobResult, Kind
from grader.grading.report import print_summary, write_csv

EDITED = "test cell term_chain_forward_test edited (the original was run)"


def _results() -> list[JobResult]:
    exercise = [ExerciseResult("term_chain_forward_test", 2, 2.0, Kind.AUTO)]
    return [JobResult("amy", "01_term", "01_term", "fp", exercises=exercise, review=[EDITED]),
            JobResult("bo", "01_term", "01_term", "fp", exercises=exercise)]


def _status(workspace: Path, results: list[JobResult]) -> dict[str, str]:
    with write_csv(workspace, results).open(encoding="utf-8") as f:
        return {row["student"]: row["status"] for row in csv.DictReader(f)}


def test_a_cleared_flag_stops_counting_until_a_new_reason_comes(tmp_path: Path) -> None:
    results = _results()
    assert _status(tmp_path, results)["amy"] == f"needs review: 01_term: {EDITED}"
    assert reviews.clear(tmp_path, results, "amy/01_term", "looked: a stray space") == [("amy", "01_term", "01_term")]
    assert _status(tmp_path, results) == {"amy": "ok", "bo": "ok"}
    assert reviews.load_cleared(tmp_path)[("amy", "01_term", "01_term")].note == "looked: a stray space"
    results[0].review.append("code tried to read /etc/shadow (refused)")  # a later run finds something new
    assert _status(tmp_path, results)["amy"] == "needs review: 01_term: code tried to read /etc/shadow (refused)"


def test_a_target_with_no_flag_is_refused(tmp_path: Path) -> None:
    with pytest.raises(CourseError, match="no notebook of that name needs review"):
        reviews.clear(tmp_path, _results(), "bo/01_term", "")
    with pytest.raises(CourseError, match="write STUDENT/ASSIGNMENT"):
        reviews.clear(tmp_path, _results(), "amy", "")


def test_the_summary_says_how_to_clear_and_the_cli_clears(tmp_path: Path, capsys) -> None:
    results = _results()
    out = io.StringIO()
    print_summary(GradeSummary(results, write_csv(tmp_path, results), 0.0, 0, 2, 1), out)
    assert "bpcourse review --workspace" in out.getvalue() and "--clear STUDENT/ASSIGNMENT" in out.getvalue()
    for r in results:  # the journal, as bpcourse grade leaves it
        path = journal_path(tmp_path, r.assignment, r.student, r.notebook)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(asdict(r)), encoding="utf-8")
    (tmp_path / "gradebook.db").touch()
    assert bpcourse(["review", "--workspace", str(tmp_path), "--clear", "amy/01_term", "--note", "fine"]) == 0
    assert "cleared 1 notebook(s): amy/01_term/01_term" in capsys.readouterr().out
    with (tmp_path / "class-grades.csv").open(encoding="utf-8") as f:
        assert {row["student"]: row["status"] for row in csv.DictReader(f)}["amy"] == "ok"
