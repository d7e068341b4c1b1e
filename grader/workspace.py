"""A grading workspace: nbgrader's course root for one class, in a folder outside the checkout.

It holds `source/` (a copy of `solutions/`), `release/`, `submitted/`, `autograded/`, `feedback/`,
the gradebook and an `nbgrader_config.py`, so an instructor can also run plain `nbgrader` commands
(formgrader, export) inside it.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

from grader.errors import CourseError
from grader.nbgrader_config import COURSE_ID, ensure_alembic_on_path
from grader.paths import assignments, repo_root, solutions_dir

CONFIG_TEMPLATE = """# Written by bpcourse: the grading workspace of backprop-course.
c = get_config()  # noqa: F821
c.CourseDirectory.course_id = "{course_id}"
c.CourseDirectory.root = {root!r}
c.CourseDirectory.source_directory = "source"
c.CourseDirectory.release_directory = "release"
c.CourseDirectory.db_url = "sqlite:///{root}/gradebook.db"
"""


def _nbgrader(workspace: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """Run an nbgrader command in the workspace (it reads the workspace's nbgrader_config.py)."""
    ensure_alembic_on_path()
    return subprocess.run([sys.executable, "-m", "nbgrader", *args], cwd=workspace, capture_output=True, text=True)


def init_workspace(workspace: Path) -> list[str]:
    """Create or refresh a workspace from `solutions/`; record every assignment in its gradebook.

    Returns the assignment ids. Raises `CourseError` if the folder is inside the checkout (grades and
    student work must never be committed) or nbgrader fails.
    """
    workspace = workspace.resolve()
    if workspace == repo_root() or repo_root() in workspace.parents:
        raise CourseError(
            f"{workspace} is inside the course checkout: name a workspace folder outside it, so that "
            "student work and grades are never committed."
        )
    workspace.mkdir(parents=True, exist_ok=True)
    (workspace / "nbgrader_config.py").write_text(
        CONFIG_TEMPLATE.format(course_id=COURSE_ID, root=str(workspace)), encoding="utf-8"
    )
    ids = assignments(solutions_dir())
    for assignment in ids:
        target = workspace / "source" / assignment
        if target.exists():
            shutil.rmtree(target)
        shutil.copytree(solutions_dir() / assignment, target)
        done = _nbgrader(workspace, "generate_assignment", assignment, "--force")
        if done.returncode != 0:
            raise CourseError(f"nbgrader generate_assignment {assignment} failed: {done.stderr.strip()[-500:]}")
    return ids


def autograde(workspace: Path, assignment: str, student: str) -> subprocess.CompletedProcess[str]:
    """Run plain `nbgrader autograde` on `submitted/<student>/<assignment>/` (no trusted re-check)."""
    return _nbgrader(workspace, "autograde", assignment, "--student", student, "--force")


def autograded_scores(workspace: Path, assignment: str) -> dict[str, tuple[float, float]]:
    """Per student: (autograded score, autograded maximum) from the gradebook."""
    from nbgrader.api import Gradebook

    ensure_alembic_on_path()
    scores = {}
    with Gradebook(f"sqlite:///{workspace.resolve()}/gradebook.db", COURSE_ID) as gradebook:
        for submission in gradebook.assignment_submissions(assignment):
            scores[submission.student_id] = (
                float(submission.code_score),
                float(gradebook.find_assignment(assignment).max_code_score),
            )
    return scores
