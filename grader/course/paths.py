"""Where the course lives: the checkout root, `solutions/` (source) and `course/` (release)."""

from __future__ import annotations

import os
from pathlib import Path

from grader.errors import CourseError

SOLUTIONS_DIRNAME = "solutions"
CONTRACTS_DIRNAME = "contracts"  # contracts/<assignment>/<notebook>.py: each notebook's re-check contract
COURSE_DIRNAME = "course"


_CHOSEN: list[Path] = []  # the course root `bpcourse --course DIR` chose for this process (use_course)


def use_course(root: Path) -> None:
    """Make `root` (a checkout of the course: solutions/, contracts/, course/) the course of this process: what
    `bpcourse --course DIR` does; it wins over BPCOURSE_ROOT and the installed package's own location."""
    root = Path(root).expanduser().resolve()
    if not (root / COURSE_DIRNAME).is_dir():
        raise CourseError(f"--course {root}: no {COURSE_DIRNAME}/ folder there (give the course's checkout)")
    _CHOSEN[:] = [root]


def _checkout() -> Path:
    """The course root: `bpcourse --course DIR`, else `BPCOURSE_ROOT`, else the folder above this package, which is
    the checkout when the package is installed in editable mode (`pip install -e .`, as the Makefile does). An
    installed wheel has no course beside it: `repo_root` then says to give --course."""
    if _CHOSEN:
        return _CHOSEN[0]
    override = os.environ.get("BPCOURSE_ROOT")
    return Path(override) if override else Path(__file__).resolve().parents[2]


def repo_root() -> Path:
    """The checkout that holds `solutions/` and `course/` (`CourseError` when it has no course/)."""
    root = _checkout()
    if not (root / COURSE_DIRNAME).is_dir():
        raise CourseError(
            f"no course/ folder under {root}: this bpcourse is installed without its course. Give the course's "
            "checkout with `bpcourse --course DIR ...` (or set BPCOURSE_ROOT), or install it from the checkout with "
            "`pip install -e .` (the Makefile does)."
        )
    return root


def solutions_dir() -> Path:
    """`solutions/`: instructor notebooks with solutions and hidden tests (nbgrader's source). Not checked here:
    each caller says what it misses when it is not there (an installed course has no solutions)."""
    return _checkout() / SOLUTIONS_DIRNAME


def contracts_dir() -> Path:
    """`contracts/`: each solution notebook's re-check contract, beside `solutions/` and outside it so that the
    release (course/) never carries it."""
    return _checkout() / CONTRACTS_DIRNAME


def course_dir() -> Path:
    """`course/`: the student notebooks that `bpcourse release` generates (nbgrader's release)."""
    return repo_root() / COURSE_DIRNAME


def edition_dir(lang: str) -> Path:
    """The student release in `lang`: `course/` for English, `course-<lang>/` for a translation (grader.course.i18n)."""
    return course_dir() if lang == "en" else repo_root() / f"{COURSE_DIRNAME}-{lang}"


def assignments(folder: Path) -> list[str]:
    """Assignment ids (`01_term`, ...) in a source or release folder, in course order."""
    if not folder.is_dir():
        return []
    return sorted(p.name for p in folder.iterdir() if p.is_dir() and any(p.glob("*.ipynb")))
