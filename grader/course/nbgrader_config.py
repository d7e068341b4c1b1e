"""The project's nbgrader configuration: `solutions/` is the source, `course/` the release, and every
grading workspace (submitted, autograded, feedback, gradebook) lives in a folder outside the checkout."""

from __future__ import annotations

import os
import sys
from pathlib import Path

from traitlets.config import Config

from grader.course.paths import COURSE_DIRNAME, SOLUTIONS_DIRNAME

COURSE_ID = "backprop-course"


def ensure_alembic_on_path() -> None:
    """Put this interpreter's `bin/` first on PATH.

    nbgrader runs the `alembic` executable found on PATH whenever it opens a gradebook; in a venv that
    is not activated (`.venv/bin/bpcourse ...`) it would not be found, or an unrelated one would be.
    """
    bindir = str(Path(sys.executable).parent)
    parts = os.environ.get("PATH", "").split(os.pathsep)
    if not parts or parts[0] != bindir:
        os.environ["PATH"] = os.pathsep.join([bindir, *[p for p in parts if p != bindir]])


def course_config(root: Path, *, release_dir: Path | None = None, db_path: Path | None = None) -> Config:
    """nbgrader settings for a course whose source lives in `root/solutions`.

    Args:
        root: nbgrader's course root: the checkout for a release, the workspace for grading.
        release_dir: where generated student notebooks go (default `root/course`).
        db_path: the gradebook's sqlite file (default `root/gradebook.db`).
    """
    ensure_alembic_on_path()
    config = Config()
    config.CourseDirectory.course_id = COURSE_ID
    config.CourseDirectory.root = str(root)
    config.CourseDirectory.source_directory = SOLUTIONS_DIRNAME
    # An absolute path survives nbgrader's os.path.join(root, ...) unchanged.
    config.CourseDirectory.release_directory = str(release_dir) if release_dir else COURSE_DIRNAME
    config.CourseDirectory.db_url = f"sqlite:///{db_path or (root / 'gradebook.db')}"
    return config
