"""A public copy of the course for students: the released notebooks and the helpers, and nothing that grades.

`bpcourse release --public DIR` writes DIR from the checkout: `course/`, `course-ko/`, `bp_helpers/` and the
`bpcourse` package (so `make start` and `pip install DIR` work: students on laptops or behind an LMS get
`bp_helpers` from it), the READMEs, the licence and the build files. Never `solutions/`, `contracts/`, `tests/`
(the bug corpus holds correct variants: answers; contracts/ holds the re-check's inputs and probes), `benchmarks/`,
`deploy/`, `docs/` or the re-check's input helpers (`grader/recheck/cases.py`); every notebook copied is checked
to hold no solution region and no hidden test (`leaks`), and the copy is refused whole if one does.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import nbformat

from grader.errors import CourseError

PUBLIC = ("README.md", "README.ko.md", "LICENSE", "pyproject.toml", "constraints.txt", "Makefile",
          "bp_helpers", "grader", "course", "course-ko")
# The re-check's input helpers stay private with contracts/: they say how the hidden checks exercise a student's code.
PRIVATE_FILES = ("cases.py",)
# What marks instructor-only content in a notebook (nbgrader's regions, the course's model answers).
MARKERS = ("BEGIN SOLUTION", "END SOLUTION", "BEGIN HIDDEN TESTS", "END HIDDEN TESTS", "BEGIN MODEL ANSWERS")
NOTICE = """# backprop-course: the student copy

This is the public copy of backprop-course: the student notebooks (`course/`, Korean: `course-ko/`) and the
helpers they import (`bp_helpers`). Open the course with `make start` (`make start COURSE_LANG=ko` in Korean), or
install the helpers into an environment of your own with `pip install .` and open `course/` in JupyterLab.
Solutions and the grader's hidden tests are not part of it: your instructor grades your work.

"""


def leaks(notebook: Path) -> list[str]:
    """The instructor-only markers a notebook still holds (in any cell), or [] when it is fit to publish."""
    nb = nbformat.read(notebook, as_version=4)
    return sorted({m for cell in nb.cells for m in MARKERS if m in cell.source})


def write_public_copy(root: Path, target: Path) -> list[Path]:
    """Copy the public part of the checkout `root` into the new folder `target`; return the notebooks copied."""
    if target.exists() and any(target.iterdir()):
        raise CourseError(f"{target}: not empty; give a new folder for the public copy (nothing was written).")
    if target.resolve().is_relative_to(root.resolve()):
        raise CourseError(f"{target}: inside the checkout; give a folder outside it.")
    found = {name: root / name for name in PUBLIC if (root / name).exists()}
    notebooks = [p for name in ("course", "course-ko") if name in found for p in sorted(found[name].rglob("*.ipynb"))]
    leaking = {str(p.relative_to(root)): m for p in notebooks if (m := leaks(p))}
    if leaking:
        raise CourseError(f"not published: {leaking} (run `bpcourse release` and check solutions/ markers).")
    target.mkdir(parents=True, exist_ok=True)
    ignore = shutil.ignore_patterns(".*", "__pycache__", "*.egg-info", "*.pyc", *PRIVATE_FILES)
    for name, path in found.items():
        if path.is_dir():
            shutil.copytree(path, target / name, ignore=ignore)
        else:
            shutil.copy2(path, target / name)
    readme = target / "README.md"
    readme.write_text(NOTICE + (readme.read_text(encoding="utf-8") if readme.exists() else ""), encoding="utf-8")
    return [target / p.relative_to(root) for p in notebooks]
