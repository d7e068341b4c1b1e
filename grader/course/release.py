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

from grader.course.i18n import LANGUAGES, translate_release
from grader.course.model_answers import use_in
from grader.course.nbgrader_config import course_config
from grader.course.paths import SOLUTIONS_DIRNAME, assignments, course_dir, edition_dir, repo_root, solutions_dir
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


def generate_translations(built: Path) -> dict[str, Path]:
    """Beside the English release `built`, write each translated edition (its declared notebooks) into
    `built.parent/<lang>`; return the folders by language."""
    root = repo_root()
    editions = {}
    for lang in LANGUAGES[1:]:
        out = built.parent / lang
        out.mkdir()
        for path in translate_release(root, built, lang, out):
            canonicalize(path)
            path.chmod(0o644)
        editions[lang] = out
    return editions


def _swap_in(built: Path, target: Path) -> None:
    """Replace every assignment folder of `target` with those of `built`."""
    target.mkdir(exist_ok=True)
    for stale in [p for p in target.iterdir() if p.is_dir()]:
        shutil.rmtree(stale)
    for assignment_dir in sorted(p for p in built.iterdir() if p.is_dir()):
        shutil.copytree(assignment_dir, target / assignment_dir.name)


def release() -> list[Path]:
    """Regenerate `course/` and each translated edition (`course-ko/`) in place: build everything in a temporary
    folder, then swap each assignment in.

    Building aside first means a failed release (an untranslated unit, say) leaves the committed folders untouched.
    """
    if not assignments(solutions_dir()):
        raise CourseError(f"no assignments under {solutions_dir()}: nothing to release.")
    with tempfile.TemporaryDirectory(prefix="bpcourse-release-") as tmp:
        built = Path(tmp) / "course"
        generate_release(built)
        editions = generate_translations(built)
        _swap_in(built, course_dir())
        for lang, folder in editions.items():
            _swap_in(folder, edition_dir(lang))
    return sorted(course_dir().glob("*/*.ipynb")) + [
        p for lang in LANGUAGES[1:] for p in sorted(edition_dir(lang).glob("*/*.ipynb"))
    ]
