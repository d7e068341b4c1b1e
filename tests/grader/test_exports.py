"""Issue 29 item 4: grades an LMS imports. Fast: a gradebook is built with nbgrader's own API (two assignments;
amy graded in both, with a hand override and a late penalty; bo graded in one; cy enrolled, nothing handed in),
then exported three ways.

The Canvas and Moodle files are checked against each LMS's documented import columns (Canvas: Student, ID, SIS User
ID, SIS Login ID, Section, then one column per assignment, and a Points Possible row; Moodle: an identifier column
to map, and one column per grade item)."""

from __future__ import annotations

import csv
import shutil
from pathlib import Path

import pytest
from nbgrader.api import Gradebook

from grader.cli import main as bpcourse
from grader.course.nbgrader_config import COURSE_ID, ensure_alembic_on_path
from grader.errors import CourseError
from grader.grading import exports
from grader.grading.exports import Enrolled, Format

ROSTER = "student,name,email,lms_id,sis_user_id,section,id_number\n" \
         "amy,Amy Kim,amy@uni.example,1001,S-1,A,K001\n" \
         "bo,=HYPERLINK(\"x\"),bo@uni.example,1002,S-2,A,K002\n" \
         ",Cy Park,cy@uni.example,1003,S-3,B,K003\n"


@pytest.fixture(scope="module")
def gradebook(tmp_path_factory) -> Path:
    """The class's gradebook, built once (nbgrader's migrations take seconds); each test gets a copy."""
    ws = tmp_path_factory.mktemp("gradebook")
    ensure_alembic_on_path()
    with Gradebook(f"sqlite:///{ws / 'gradebook.db'}", COURSE_ID) as gb:
        for assignment, cells in (("01_term", {"t1": 2, "t2": 3}), ("02_definition", {"d1": 4})):
            gb.add_assignment(assignment)
            gb.add_notebook(assignment, assignment)
            for cell, points in cells.items():
                gb.add_grade_cell(cell, assignment, assignment, max_score=points, cell_type="code")
        for student in ("amy", "bo"):
            gb.add_student(student)
        for assignment, student, scores in (("01_term", "amy", {"t1": 2, "t2": 1}), ("01_term", "bo", {"t1": 0,
                                            "t2": 3}), ("02_definition", "amy", {"d1": 4})):
            gb.add_submission(assignment, student)
            for cell, score in scores.items():
                gb.find_grade(cell, assignment, assignment, student).auto_score = score
        gb.find_grade("t2", "01_term", "01_term", "amy").manual_score = 2.5  # formgrader's override wins
        gb.find_submission("02_definition", "amy").notebooks[0].late_submission_penalty = 1.0
        gb.db.commit()
    return ws / "gradebook.db"


@pytest.fixture
def workspace(gradebook: Path, tmp_path: Path) -> Path:
    ws = tmp_path / "ws"
    ws.mkdir()
    shutil.copyfile(gradebook, ws / "gradebook.db")
    return ws


def _rows(path: Path) -> list[list[str]]:
    with path.open(encoding="utf-8", newline="") as f:
        return list(csv.reader(f))


def _roster(tmp_path: Path) -> list[Enrolled]:
    (tmp_path / "roster.csv").write_text(ROSTER, encoding="utf-8")
    return exports.read_roster(tmp_path / "roster.csv")


def test_canvas_file_has_canvas_columns_points_possible_and_blanks_for_no_submission(workspace, tmp_path) -> None:
    out = tmp_path / "canvas.csv"
    exports.write_export(workspace, Format.CANVAS, out, _roster(tmp_path), {"01_term": "Step 1 (4321)"})
    rows = _rows(out)
    assert rows[0] == ["Student", "ID", "SIS User ID", "SIS Login ID", "Section", "Step 1 (4321)", "02_definition"]
    assert rows[1] == ["Points Possible", "", "", "", "", "5", "4"]
    body = {r[1]: r for r in rows[2:]}
    assert body["1001"] == ["Amy Kim", "1001", "S-1", "", "A", "4.5", "3"]  # 2 + 2.5 (override); 4 - 1 (late)
    assert body["1002"][5:] == ["3", ""]  # bo handed in nothing for 02: no grade written, not 0
    assert body["1002"][0].startswith("'=")  # a formula in a roster name is neutralised
    assert body["1003"][0] == "Cy Park" and body["1003"][5:] == ["", ""]  # enrolled, nothing handed in


def test_moodle_file_maps_by_id_number_and_the_table_says_not_submitted(workspace, tmp_path) -> None:
    roster = _roster(tmp_path)
    exports.write_export(workspace, Format.MOODLE, tmp_path / "moodle.csv", roster)
    rows = _rows(tmp_path / "moodle.csv")
    assert rows[0] == ["ID number", "Email address", "Full name", "01_term", "02_definition"]
    assert ["K002", "bo@uni.example"] == rows[2][:2] and rows[2][3:] == ["3", ""]
    exports.write_export(workspace, Format.TABLE, tmp_path / "table.csv", roster)
    table = {r[0]: r for r in _rows(tmp_path / "table.csv")[1:]}
    assert table["bo"][3:] == ["3", "5", exports.NOT_SUBMITTED, "4", "3", "9"]
    assert table["amy"][-2:] == ["7.5", "9"]


def test_the_roster_fills_nbgrader_student_table(workspace, tmp_path) -> None:
    exports.write_export(workspace, Format.TABLE, tmp_path / "t.csv", _roster(tmp_path))
    with Gradebook(f"sqlite:///{workspace / 'gradebook.db'}", COURSE_ID) as gb:
        amy = gb.find_student("amy")
        assert (amy.first_name, amy.email, amy.lms_user_id) == ("Amy Kim", "amy@uni.example", "1001")


def test_a_bad_roster_is_refused_with_the_reason(tmp_path) -> None:
    (tmp_path / "r.csv").write_text("login,name\nx,y\n", encoding="utf-8")
    with pytest.raises(CourseError, match="unknown column.*login"):
        exports.read_roster(tmp_path / "r.csv")
    (tmp_path / "r.csv").write_text("student,name\n,nobody\n", encoding="utf-8")
    with pytest.raises(CourseError, match="neither `student` nor `lms_id`"):
        exports.read_roster(tmp_path / "r.csv")


def test_the_cli_writes_the_file(workspace, tmp_path, capsys) -> None:
    (tmp_path / "roster.csv").write_text(ROSTER, encoding="utf-8")
    code = bpcourse(["export", "--workspace", str(workspace), "--format", "canvas", "--out", str(tmp_path / "c.csv"),
                     "--roster", str(tmp_path / "roster.csv"), "--column", "01_term=Step 1 (4321)"])
    assert code == 0 and "3 student(s)" in capsys.readouterr().out
    assert _rows(tmp_path / "c.csv")[0][5] == "Step 1 (4321)"
