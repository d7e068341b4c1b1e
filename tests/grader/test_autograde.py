"""Does real `nbgrader autograde` give the solutions full marks and the untouched release zero?

The two-sided check: it proves the tests pass on right answers and can fail on missing ones.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from conftest import ROOT

from grader.course.paths import assignments
from grader.grading.workspace import autograde, autograded_scores, prepare_workspace

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def graded(tmp_path_factory: pytest.TempPathFactory) -> Path:
    workspace = tmp_path_factory.mktemp("grading")
    ids = prepare_workspace(workspace)
    for student, origin in (("solution_student", ROOT / "solutions"), ("release_student", ROOT / "course")):
        for assignment in ids:
            shutil.copytree(origin / assignment, workspace / "submitted" / student / assignment)
            done = autograde(workspace, assignment, student)
            assert done.returncode == 0, done.stderr[-2000:]
    return workspace


@pytest.mark.parametrize("assignment", assignments(ROOT / "solutions"))
def test_solutions_score_full_marks(graded: Path, assignment: str) -> None:
    """Does every solution notebook earn every autograded point?"""
    score, max_score = autograded_scores(graded, assignment)["solution_student"]
    assert max_score > 0
    assert score == max_score


@pytest.mark.parametrize("assignment", assignments(ROOT / "solutions"))
def test_untouched_release_scores_zero(graded: Path, assignment: str) -> None:
    """Does a student notebook left as released earn no point at all?"""
    score, max_score = autograded_scores(graded, assignment)["release_student"]
    assert max_score > 0
    assert score == 0


def test_workspace_refuses_the_checkout() -> None:
    """Is a grading workspace inside the checkout refused (grades must never be committed)?"""
    from grader.errors import CourseError

    with pytest.raises(CourseError, match="outside"):
        prepare_workspace(ROOT / "grading")
