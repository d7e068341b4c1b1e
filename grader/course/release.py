"""`bpcourse release`: regenerate `course/` from `solutions/` with nbgrader's own generate_assignment.

nbgrader replaces solution regions with `raise NotImplementedError()` (a written answer's with "YOUR ANSWER HERE"),
drops hidden tests and outputs, locks the test cells and writes their checksums; grader.course.model_answers drops the
model answers to the questions at the end of each notebook. We then re-write every notebook in one canonical form
(outputs and execution counts stripped, nbformat's sorted JSON) so that two runs give identical bytes.
"""

from __future__ import annotations

import logging
import shutil
import tempfile
from pathlib import Path

import nbformat
from nbgrader.converters import GenerateAssignment
from nbgrader.coursedir import CourseDirectory

from grader.course.model_answers import use_in
from grader.course.nbgrader_config import course_config
from grader.course.paths import SOLUTIONS_DIRNAME, assignments, course_dir, repo_root, solutions_dir
from grader.errors import CourseError


class _ErrorCollector(logging.Handler):
    """Keeps nbgrader's error log lines so that one of them can be shown instead of its traceback."""

    def __init__(self) -> None:
        super().__init__(level=logging.ERROR)
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.extend(record.getMessage().splitlines())

    def cause(self) -> str:
        """The last line that reads like an exception ('SomeError: ...'), else the first line logged."""
        for line in reversed(self.lines):
            if "Error" in line.split(":")[0] or "Exception" in line.split(":")[0]:
                return line.strip()
        return self.lines[0].strip() if self.lines else "unknown error"


def generate_assignment(config, assignment: str) -> None:
    """Run nbgrader's GenerateAssignment on one assignment with `config` (its CourseDirectory settings).

    Raises `CourseError` with the cause nbgrader logged (not its traceback) when it fails.
    """


    config.CourseDirectory.assignment_id = assignment
    use_in(config)  # the model answers of "Questions to think about" stay in solutions/
    converter = GenerateAssignment(coursedir=CourseDirectory(config=config), config=config)
    errors = _ErrorCollector()
    converter.log.handlers = [errors]
    converter.log.propagate = False
    converter.log.setLevel(logging.ERROR)
    try:
        converter.start()
    except Exception:  # nbgrader raises NbGraderException after logging the real cause
        raise CourseError(errors.cause()) from None


def _nbgrader_generate(root: Path, out_dir: Path) -> None:
    """Run nbgrader's generate_assignment for every assignment under `root/solutions` into `out_dir`.

    `out_dir`'s parent must be a scratch folder: nbgrader's throw-away gradebook is written there.
    """
    # A release needs no gradebook, but nbgrader's no_database option still runs SaveCells (and fails),
    # so nbgrader records the assignment in a throw-away gradebook beside the output.
    config = course_config(root, release_dir=out_dir, db_path=out_dir.parent / "release-gradebook.db")
    config.GenerateAssignment.force = True
    for assignment in assignments(root / SOLUTIONS_DIRNAME):
        try:
            generate_assignment(config, assignment)
        except CourseError as err:
            raise CourseError(
                f"nbgrader could not release {assignment}: {err}. Fix solutions/{assignment} (cell metadata, "
                "BEGIN/END SOLUTION markers) and run `bpcourse release` again."
            ) from None


def canonicalize(path: Path) -> None:
    """Rewrite a notebook with no outputs or execution counts, in nbformat's stable JSON layout."""
    nb = nbformat.read(path, as_version=4)
    for cell in nb.cells:
        if cell.cell_type == "code":
            cell.outputs = []
            cell.execution_count = None
    nbformat.write(nb, path)


def generate_release(out_dir: Path) -> list[Path]:
    """Write the student release of every assignment into `out_dir/<assignment>/`; return the notebooks."""
    root = repo_root()
    out_dir = out_dir.resolve()
    out_dir.mkdir(parents=True, exist_ok=True)
    _nbgrader_generate(root, out_dir)
    written = sorted(out_dir.glob("*/*.ipynb"))
    for path in written:
        canonicalize(path)
        path.chmod(0o644)
    return written


def release() -> list[Path]:
    """Regenerate `course/` in place: build in a temporary folder, then swap each assignment in.

    Building aside first means a failed release leaves the committed `course/` untouched.
    """
    if not assignments(solutions_dir()):
        raise CourseError(f"no assignments under {solutions_dir()}: nothing to release.")
    target = course_dir()
    with tempfile.TemporaryDirectory(prefix="bpcourse-release-") as tmp:
        built = Path(tmp) / "course"
        generate_release(built)
        for stale in [p for p in target.iterdir() if p.is_dir()]:
            shutil.rmtree(stale)
        for assignment_dir in sorted(p for p in built.iterdir() if p.is_dir()):
            shutil.copytree(assignment_dir, target / assignment_dir.name)
    return sorted(target.glob("*/*.ipynb"))
