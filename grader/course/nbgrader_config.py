"""The project's nbgrader configuration: `solutions/` is the source, `course/` the release, and every
grading workspace (submitted, autograded, feedback, gradebook) lives in a folder outside the checkout."""

from __future__ import annotations

import os
import sys
from pathlib import Path

from traitlets.config import Config

from grader.course.paths import COURSE_DIRNAME, SOLUTIONS_DIRNAME

COURSE_ID = "backprop-course"
INERT_PREPROCESSOR = "grader.grading.sanitize.InertNotebook"  # by name: nbconvert imports it where it renders
HIDDEN_TESTS_PREPROCESSOR = "grader.grading.hidden_tests.WithoutHiddenTests"  # feedback pages show no hidden test


def ensure_alembic_on_path() -> None:
    """Put this interpreter's `bin/` first on PATH.

    nbgrader runs the `alembic` executable found on PATH whenever it opens a gradebook; in a venv that
    is not activated (`.venv/bin/bpcourse ...`) it would not be found, or an unrelated one would be.
    """
    bindir = str(Path(sys.executable).parent)
    parts = os.environ.get("PATH", "").split(os.pathsep)
    if not parts or parts[0] != bindir:
        os.environ["PATH"] = os.pathsep.join([bindir, *[p for p in parts if p != bindir]])


def sqlite_url(database: Path) -> str:
    """An sqlite database file as the URL nbgrader's gradebook takes (sqlite:////abs/path)."""
    return f"sqlite:///{database}"


def course_config(
    root: Path,
    *,
    source_dir: str = SOLUTIONS_DIRNAME,
    release_dir: Path | str = COURSE_DIRNAME,
    db_path: Path | None = None,
) -> Config:
    """nbgrader's settings for this course, built here only (the release, a grading workspace, its config file).

    Args:
        root: nbgrader's course root: the checkout for a release, the workspace for grading.
        source_dir: the instructor notebooks, under `root` (`solutions` in the checkout, `source` in a workspace).
        release_dir: where generated student notebooks go, under `root` or absolute (an absolute path survives
            nbgrader's os.path.join(root, ...) unchanged).
        db_path: the gradebook's sqlite file (default `root/gradebook.db`).
    """
    ensure_alembic_on_path()
    config = Config()
    config.CourseDirectory.course_id = COURSE_ID
    config.CourseDirectory.root = str(root)
    config.CourseDirectory.source_directory = source_dir
    config.CourseDirectory.release_directory = str(release_dir)
    config.CourseDirectory.db_url = sqlite_url(db_path or (Path(root) / "gradebook.db"))
    # nbgrader's defaults, and every hidden file or folder (04e's .hypothesis/ cache): never copied into a release
    config.CourseDirectory.ignore = [".ipynb_checkpoints", "*.pyc", "__pycache__", "feedback", ".*"]
    # Inert rendering (issue 21): every page nbconvert makes of a student's notebook (formgrader's submission page,
    # generate_feedback) runs no script of theirs. nbconvert's own sanitizing cleans outputs and raw cells; the
    # formgrade template renders markdown without it, so the course's preprocessor makes the notebook inert first.
    config.HTMLExporter.sanitize_html = True
    config.HTMLExporter.preprocessors = [INERT_PREPROCESSOR, HIDDEN_TESTS_PREPROCESSOR]
    return config


def config_file_text(config: Config) -> str:
    """`config` as an nbgrader_config.py, for plain `nbgrader` commands run in a workspace; with the course's
    generate preprocessors (the model answers never reach a generated student version)."""
    lines = ["# Written by bpcourse: the grading workspace of backprop-course.", "c = get_config()  # noqa: F821"]
    lines += [f"c.CourseDirectory.{key} = {value!r}" for key, value in sorted(config.CourseDirectory.items())]
    lines += [f"c.HTMLExporter.{key} = {value!r}" for key, value in sorted(config.HTMLExporter.items())]
    lines += [
        "from grader.course.model_answers import generate_preprocessors  # noqa: E402",
        "c.GenerateAssignment.preprocessors = generate_preprocessors()",
    ]
    return "\n".join(lines) + "\n"
