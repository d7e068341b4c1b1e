"""The parent side's record of `bpcourse grade`: the gradebook, the autograded notebooks, the feedback and the journal.

Only the parent process writes here, one result at a time, so the one nbgrader gradebook stays consistent. The
journal (`.bpcourse/results/<assignment>/<student>/<notebook>.json`, written last and atomically) makes a killed run
resumable: a job whose fingerprint (submission, source, grader settings and code) is unchanged is not graded again.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import warnings
from dataclasses import asdict
from pathlib import Path

import nbformat
from nbgrader.api import Gradebook
from nbgrader.preprocessors import SaveAutoGrades

from grader.course.nbgrader_config import COURSE_ID
from grader.course.words import Words, in_lang, phrase, words_of
from grader.grading.records import Basis, GradedNotebook, JobResult, Settings
from grader.grading.regrade import source_cells
from grader.grading.report import write_feedback
from grader.grading.submissions import Submission
from grader.grading.verdicts import all_failed
from grader.grading.worker import sources_of
from grader.grading.workspace import db_url, edition_lang, state_dir
from grader.recheck.specs import contract_path, probes_path

log = logging.getLogger(__name__)


def job_basis(sub: Submission, workspace: Path, settings: Settings) -> Basis:
    """What this job's grade is made from (grader/grading/regrade.py): the submitted file, the source notebook's
    cells as the workspace has them, this notebook's own re-check contract and probes (no other's), the grader and
    settings."""
    submitted = sub.path.read_bytes() if sub.path.is_file() else b"<missing>"
    source = workspace / "source" / str(sub.assignment) / f"{sub.notebook}.ipynb"
    contract = hashlib.sha256()
    assignment, notebook = str(sub.assignment), str(sub.notebook)
    for path in (contract_path(assignment, notebook), probes_path(assignment, notebook)):
        contract.update(path.read_bytes() if path.is_file() else b"<none>")
        contract.update(b"\0")
    return Basis(
        submission=hashlib.sha256(submitted).hexdigest(),
        source=source_cells(source),
        contract=contract.hexdigest(),
        grader=hashlib.sha256(settings.key().encode()).hexdigest(),
    )


def job_fingerprint(sub: Submission, basis: Basis) -> str:
    """One digest of who, which notebook, and the basis: equal fingerprints, equal grades (the journal's key)."""
    h = hashlib.sha256()
    h.update(f"{sub.student}\0{sub.assignment}\0{sub.notebook}\0".encode())
    h.update(basis.key())
    return h.hexdigest()


def journal_path(workspace: Path, assignment: str, student: str, notebook: str) -> Path:
    return state_dir(workspace) / "results" / assignment / student / f"{notebook}.json"


def _write_atomic(path: Path, text: str) -> None:
    """Write `text` to `path` whole or not at all (a full disk leaves the old file, and no partial one)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    try:
        tmp.write_text(text, encoding="utf-8")
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


def record(workspace: Path, result: JobResult, graded: GradedNotebook | None = None) -> None:
    """Write one result into the gradebook (serially, parent only), autograded/, feedback/ and the journal.

    Raises whatever writing raises (a full disk, a gradebook error): the caller flags that result alone. The journal
    entry, written last, exists only for a result recorded whole."""

    url = db_url(workspace)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # SQLAlchemy's autoflush warnings from inside nbgrader
        _record_grades(workspace, url, result, graded)
    write_feedback(workspace, result)
    entry = json.dumps(asdict(result), indent=1)  # ASCII: any character is escaped
    _write_atomic(journal_path(workspace, result.assignment, result.student, result.notebook), entry)


def _record_grades(workspace: Path, url: str, result: JobResult, graded: GradedNotebook | None) -> None:

    executed_text = graded.executed if graded is not None else None
    with Gradebook(url, COURSE_ID) as gb:
        gb.update_or_create_student(result.student)
        gb.update_or_create_submission(result.assignment, result.student)
    if graded is not None and executed_text is not None:
        # SaveAutoGrades reads only the grade, solution and task cells: the worker sends them alone, so the parent
        # never parses a whole notebook (an older worker's result without them: the whole notebook)
        scored = nbformat.reads(graded.scored or executed_text, as_version=4)
        resources = {
            "nbgrader": {
                "db_url": url,
                "assignment": result.assignment,
                "notebook": result.notebook,
                "student": result.student,
            }
        }
        SaveAutoGrades().preprocess(scored, resources)
        out = workspace / "autograded" / result.student / result.assignment / f"{result.notebook}.ipynb"
        _write_atomic(out, executed_text + "\n")  # nbformat JSON from the worker's nbformat.writes, as nbformat.write
    with Gradebook(url, COURSE_ID) as gb:
        for ex in result.exercises:
            grade = gb.find_grade(ex.grade_id, result.notebook, result.assignment, result.student)
            if ex.kind == "auto":
                disagreement = ex.nbgrader_points is not None and ex.nbgrader_points != ex.points
                grade.auto_score = ex.points
                grade.needs_manual_grade = bool(disagreement or executed_text is None or result.grader_error)
            elif executed_text is None:
                grade.auto_score = 0.0
                grade.needs_manual_grade = True
        gb.db.commit()


def problem_result(sub: Submission, workspace: Path, fingerprint: str, reason: str | Words | None = None) -> JobResult:
    """A result for a submission that cannot be handed to a worker at all (no matching notebook, etc.), or that the
    grader failed on: every exercise 0 with `reason` (default: the submission's problem). Its notebook was never read,
    so the student's language is the class's edition (`edition_lang`): `reason` is English in `review`, and in that
    language as every exercise's cause and in `said` when it is (or keeps) `Words`."""
    reason = words_of((sub.problem or "") if reason is None else reason)
    lang = edition_lang(workspace)
    if sub.assignment is None:
        result = JobResult(sub.student, "?", sub.path.stem, fingerprint, lang=lang)
        result.add_review(phrase("{file}: {reason}", file=sub.path.name, reason=reason)
                          if isinstance(reason, Words) else f"{sub.path.name}: {reason}")
        return result

    sources = sources_of(workspace, sub.assignment)
    source = sources.get(str(sub.notebook)) or next(iter(sources.values()))
    result = JobResult(sub.student, sub.assignment, source.name, fingerprint, lang=lang)
    result.add_review(reason)
    result.exercises = all_failed(source, in_lang(reason, lang))
    return result


def class_results(workspace: Path, current: list[JobResult]) -> list[JobResult]:
    """Every graded notebook of the class: this run's results, and earlier runs' journals (other assignments)."""
    merged = {(r.student, r.assignment, r.notebook): r for r in current}
    for path in sorted((state_dir(workspace) / "results").glob("*/*/*.json")):
        key = (path.parent.name, path.parent.parent.name, path.stem)
        if key in merged:
            continue
        try:
            merged[key] = JobResult.from_dict(json.loads(path.read_text(encoding="utf-8")))
        except Exception as err:  # a damaged or older record: reported in the CSV, never dropped
            log.warning("the grade record %s cannot be read (%s)", path, type(err).__name__)
            unreadable = JobResult(key[0], key[1], key[2], "")
            unreadable.review.append(
                f"its grade record cannot be read ({type(err).__name__}): grade {key[1]} again to replace it"
            )
            merged[key] = unreadable
    return sorted(merged.values(), key=lambda r: (r.student, r.assignment, r.notebook))
