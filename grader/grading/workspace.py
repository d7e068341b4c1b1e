"""A grading workspace: nbgrader's course root for one class, in a folder outside the checkout.

It holds `source/` (a copy of `solutions/`), `release/`, `submitted/`, `autograded/`, `feedback/`,
the gradebook and an `nbgrader_config.py`, so an instructor can also run plain `nbgrader` commands
(formgrader, export) inside it. `prepare_workspace` prepares one, for `bpcourse grade` and for plain nbgrader alike
(the tests' and the benchmark's baseline): it also keeps `.bpcourse/` (the journal, source digests) and the guarded
kernel's spec, which plain nbgrader never reads.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

from nbgrader.api import Gradebook
from traitlets.config import Config

from bp_helpers.i18n import LANGUAGES, course_lang
from grader.course.nbgrader_config import COURSE_ID, config_file_text, course_config, ensure_alembic_on_path, sqlite_url
from grader.course.paths import assignments, contracts_dir, repo_root, solutions_dir
from grader.course.release import generate_assignment
from grader.errors import CourseError


def _nbgrader(workspace: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """Run an nbgrader command in the workspace (it reads the workspace's nbgrader_config.py)."""
    ensure_alembic_on_path()
    return subprocess.run([sys.executable, "-m", "nbgrader", *args], cwd=workspace, capture_output=True, text=True)


def autograde(workspace: Path, assignment: str, student: str) -> subprocess.CompletedProcess[str]:
    """Run plain `nbgrader autograde` on `submitted/<student>/<assignment>/` (no trusted re-check)."""
    return _nbgrader(workspace, "autograde", assignment, "--student", student, "--force")


def autograded_scores(workspace: Path, assignment: str) -> dict[str, tuple[float, float]]:
    """Per student: (autograded score, autograded maximum) from the gradebook."""

    ensure_alembic_on_path()
    scores = {}
    with Gradebook(db_url(workspace.resolve()), COURSE_ID) as gradebook:
        for submission in gradebook.assignment_submissions(assignment):
            scores[submission.student_id] = (
                float(submission.code_score),
                float(gradebook.find_assignment(assignment).max_code_score),
            )
    return scores


# --------------------------------------------------------------------------------------------- bpcourse grade

KERNEL_NAME = "bpcourse-guarded"
STATE_DIRNAME = ".bpcourse"


def state_dir(workspace: Path) -> Path:
    return workspace / STATE_DIRNAME


def _tree_digest(folder: Path) -> str:
    """The digest of what prepare_workspace copies of `folder`: hidden files and folders (a `.hypothesis/` cache the
    04e notebook leaves, `.ipynb_checkpoints/`) and `__pycache__` are neither copied nor read (an unreadable cache
    stopped the instructor's grading)."""
    h = hashlib.sha256()
    for path in sorted(folder.rglob("*")):
        parts = path.relative_to(folder).parts
        if not path.is_file() or "__pycache__" in parts or any(part.startswith(".") for part in parts):
            continue
        h.update(str(path.relative_to(folder)).encode())
        h.update(path.read_bytes())
    return h.hexdigest()


def source_digest(assignment: str) -> str:
    """The digest of one assignment's source and contracts (solutions/<assignment>, contracts/<assignment>): equal
    digests, equal grading."""
    contracts = contracts_dir() / assignment
    own = _tree_digest(contracts) if contracts.is_dir() else ""
    return _tree_digest(solutions_dir() / assignment) + own


EDITION_FILE = "edition"  # .bpcourse/edition: the language the class was released in ("en", "ko")


def record_edition(workspace: Path, lang: str | None = None) -> str:
    """Keep the language of the edition the class was released in: `lang` when given (`bpcourse grade --lang`),
    else the one already recorded, else the course's (`BPCOURSE_LANG`, else English), recorded once. Returns it."""
    path = state_dir(workspace) / EDITION_FILE
    if lang is None:
        recorded = edition_lang(workspace)
        if path.is_file():
            return recorded
        lang = recorded
    if lang not in LANGUAGES:
        raise CourseError(f"--lang {lang}: the course has {', '.join(LANGUAGES)}.")
    if not path.is_file() or path.read_text(encoding="utf-8").strip() != lang:
        path.write_text(lang + "\n", encoding="utf-8")
    return lang


def edition_lang(workspace: Path) -> str:
    """The language of the edition the class was released in (`record_edition`): what a student reads of a result
    whose notebook was never read (a refused file, the grader's own failure) is said in it. Unrecorded, or a value
    the course has no catalog for: the course's language (`BPCOURSE_LANG`, else English)."""
    try:
        lang = (state_dir(workspace) / EDITION_FILE).read_text(encoding="utf-8").strip()
    except OSError:
        return course_lang()
    return lang if lang in LANGUAGES else course_lang()


def prepare_workspace(workspace: Path, lang: str | None = None) -> list[str]:
    """Create or refresh the grading workspace; run generate_assignment only for changed sources (in-process). The
    class's edition is recorded there (`record_edition`: `lang`, else the one recorded, else the course's)."""
    workspace = _outside_checkout(workspace)
    state = state_dir(workspace)
    state.mkdir(parents=True, exist_ok=True)
    record_edition(workspace, lang)
    write_config(workspace)
    ids = assignments(solutions_dir())
    if not ids:
        raise CourseError(f"no assignments under {solutions_dir()}: nothing to grade against.")
    for assignment in ids:
        digest = _tree_digest(solutions_dir() / assignment)
        stamp = state / f"source-{assignment}.sha256"
        if stamp.exists() and stamp.read_text() == digest and (workspace / "release" / assignment).is_dir():
            continue
        target = workspace / "source" / assignment
        if target.exists():
            shutil.rmtree(target)
        shutil.copytree(solutions_dir() / assignment, target, ignore=shutil.ignore_patterns(".*", "__pycache__"))
        _generate(workspace, assignment)
        stamp.write_text(digest)
    write_kernelspec(workspace)
    return ids


def grading_config(workspace: Path) -> Config:
    """nbgrader's settings for a grading workspace: `source/` and `release/` under it, its own gradebook."""
    return course_config(workspace, source_dir="source", release_dir="release", db_path=workspace / "gradebook.db")


def write_config(workspace: Path) -> None:
    """The workspace's nbgrader_config.py (for plain nbgrader commands there), rewritten only when it changed."""
    text = config_file_text(grading_config(workspace))
    path = workspace / "nbgrader_config.py"
    if not path.exists() or path.read_text(encoding="utf-8") != text:
        path.write_text(text, encoding="utf-8")


def _outside_checkout(workspace: Path) -> Path:
    """The workspace's resolved path; `CourseError` when it is inside the checkout (grades and student work must
    never be committed)."""
    workspace = workspace.resolve()
    if workspace == repo_root() or repo_root() in workspace.parents:
        raise CourseError(
            f"{workspace} is inside the course checkout: name a workspace folder outside it, so that "
            "student work and grades are never committed."
        )
    return workspace


def db_url(workspace: Path) -> str:
    """The workspace's gradebook, as nbgrader's `Gradebook` wants it."""
    return sqlite_url(workspace / "gradebook.db")


def _generate(workspace: Path, assignment: str) -> None:

    config = grading_config(workspace)
    config.GenerateAssignment.force = True
    try:
        generate_assignment(config, assignment)
    except CourseError as err:
        raise CourseError(f"nbgrader generate_assignment {assignment} failed: {err}") from None


def write_kernelspec(workspace: Path) -> None:
    """The guarded kernel's spec (grader/sandboxed/kernel_guard.py; each job sets its configuration in the environment),
    and a matplotlib font list built once, outside any kernel, that each job's kernel gets a copy of."""
    state = state_dir(workspace)
    mpl = state / "mplconfig"
    mpl.mkdir(exist_ok=True)
    spec_dir = state / "jupyter" / "kernels" / KERNEL_NAME
    spec_dir.mkdir(parents=True, exist_ok=True)
    spec = {
        "argv": [sys.executable, "-m", "grader.sandboxed.kernel_guard", "-f", "{connection_file}"],
        "display_name": "Python 3 (bpcourse grading)",
        "language": "python",
        "env": {},
    }
    text = json.dumps(spec, indent=1)
    path = spec_dir / "kernel.json"
    if not path.exists() or path.read_text() != text:
        path.write_text(text)
    if not any(mpl.glob("fontlist*.json")):
        env = dict(os.environ, MPLCONFIGDIR=str(mpl), MPLBACKEND="Agg")
        subprocess.run([sys.executable, "-c", "import matplotlib.pyplot"], env=env, capture_output=True, check=False)


def kernel_deny_list(workspace: Path, origins: list[str]) -> tuple[str, ...]:
    """Folders no grant of the kernel may cover, wherever they lie: the answers, the grades, the submissions."""
    return (
        str(solutions_dir()),
        str(workspace),
        str(repo_root() / "tests"),  # the bug corpus holds right implementations
        str(repo_root() / ".git"),  # history holds the solutions too
        *origins,
    )
