"""Does intake find every submission of an nbgrader tree, a flat LMS folder and a zip, with the right student ids?"""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

import pytest

from grader.errors import CourseError
from grader.intake import cleanup, collect, student_id_from_filename

SOURCE_IDS = {("01_term", "01_term"): {"a_test", "a_sol"}, ("02_definition", "02a_feedforward"): {"b_test"}}
ASSIGNMENTS = ["01_term", "02_definition"]


def _notebook(path: Path, grade_ids: list[str]) -> Path:
    cells = [
        {
            "cell_type": "code",
            "metadata": {"nbgrader": {"grade_id": g}},
            "source": "",
            "outputs": [],
            "execution_count": None,
        }
        for g in grade_ids
    ]
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({"cells": cells, "metadata": {}, "nbformat": 4, "nbformat_minor": 5}))
    return path


@pytest.mark.parametrize(
    "name, student",
    [
        ("doejane_01_term.ipynb", "doejane"),
        ("doejane_12345_678_01_term.ipynb", "doejane"),  # Canvas
        ("Jane Doe_12345_assignsubmission_file_01_term.ipynb", "Jane-Doe"),  # Moodle
        ("jane_doe__01_term.ipynb", "jane_doe"),  # explicit separator
        ("doejane.ipynb", "doejane"),
        ("../../etc__x.ipynb", "etc"),
    ],
)
def test_student_id_from_file_name(name: str, student: str) -> None:
    """Is the student id taken from an exported file name by the documented pattern?"""
    assert student_id_from_filename(name) == student


def test_tree(tmp_path: Path) -> None:
    """Are an nbgrader tree's students, assignments and notebooks found (including `submitted/` inside)?"""
    _notebook(tmp_path / "submitted" / "amy" / "01_term" / "01_term.ipynb", ["a_test"])
    _notebook(tmp_path / "submitted" / "bo" / "02_definition" / "02a_feedforward.ipynb", ["b_test"])
    found = collect(tmp_path, ASSIGNMENTS, SOURCE_IDS)
    assert [(s.student, s.assignment, s.notebook, s.problem) for s in found] == [
        ("amy", "01_term", "01_term", None),
        ("bo", "02_definition", "02a_feedforward", None),
    ]


def test_flat_folder_assigns_by_graded_cells(tmp_path: Path) -> None:
    """Does a flat folder's notebook go to the assignment whose graded cells it carries, and a broken one get a
    problem instead of a guess?"""
    _notebook(tmp_path / "amy_hw1.ipynb", ["a_test", "a_sol"])
    _notebook(tmp_path / "bo_whatever.ipynb", ["b_test"])
    (tmp_path / "cy_broken.ipynb").write_text("{not json")
    found = {s.student: s for s in collect(tmp_path, ASSIGNMENTS, SOURCE_IDS)}
    assert (found["amy"].assignment, found["amy"].notebook) == ("01_term", "01_term")
    assert (found["bo"].assignment, found["bo"].notebook) == ("02_definition", "02a_feedforward")
    assert found["cy"].assignment is None and found["cy"].problem


def test_zip_with_assignment(tmp_path: Path) -> None:
    """Is a zip export read, with --assignment deciding for every notebook (even a broken one)?"""
    archive = tmp_path / "export.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        zf.write(_notebook(tmp_path / "x" / "amy_01.ipynb", ["a_test"]), "folder/amy_01.ipynb")
        zf.writestr("bo_01.ipynb", "")
        zf.writestr("readme.txt", "not a notebook")
    found = {s.student: s for s in collect(archive, ASSIGNMENTS, SOURCE_IDS, only="01_term")}
    assert set(found) == {"amy", "bo"}
    assert all(s.assignment == "01_term" and s.notebook == "01_term" for s in found.values())
    unpacked = found["amy"].path.parent
    cleanup()
    assert not unpacked.exists()


def test_bad_inputs(tmp_path: Path) -> None:
    """Are a missing path, an unknown assignment and an empty folder refused with a message?"""
    with pytest.raises(CourseError, match="no such"):
        collect(tmp_path / "nope", ASSIGNMENTS, SOURCE_IDS)
    with pytest.raises(CourseError, match="unknown assignment"):
        collect(tmp_path, ASSIGNMENTS, SOURCE_IDS, only="09_x")
    with pytest.raises(CourseError, match="no .ipynb"):
        collect(tmp_path, ASSIGNMENTS, SOURCE_IDS)
