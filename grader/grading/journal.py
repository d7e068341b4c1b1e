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
from grader.grading.records import JobResult, Settings
from grader.grading.report import write_feedback
from grader.grading.sanitize import sanitize_notebook
from grader.grading.submissions import Submission
from grader.grading.verdicts import all_failed
from grader.grading.worker import sources_of
from grader.grading.workspace import db_url, state_dir

log = logging.getLogger(__name__)


def job_fingerprint(sub: Submission, workspace: Path, settings: Settings) -> str:
    h = hashlib.sha256()
    h.update(settings.key().encode())
    h.update(f"{sub.student}\0{sub.assignment}\0{sub.notebook}".encode())
    h.update(sub.path.read_bytes() if sub.path.is_file() else b"<missing>")
    source = workspace / "source" / str(sub.assignment) / f"{sub.notebook}.ipynb"
    h.update(source.read_bytes() if source.exists() else b"")
    return h.hexdigest()


def journal_path(workspace: Path, assignment: str, student: str, notebook: str) -> Path:
    return state_dir(workspace) / "results" / assignment / student / f"{notebook}.json"


def _write_json_atomic(path: Path, data) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(data, indent=1), encoding="utf-8")
    os.replace(tmp, path)


def record(workspace: Path, result: JobResult, executed_text: str | None) -> None:
    """Write one result into the gradebook (serially, parent only), autograded/, feedback/ and the journal."""

    url = db_url(workspace)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # SQLAlchemy's autoflush warnings from inside nbgrader
        _record_grades(workspace, url, result, executed_text)
    write_feedback(workspace, result)
    _write_json_atomic(journal_path(workspace, result.assignment, result.student, result.notebook), asdict(result))


def _record_grades(workspace: Path, url: str, result: JobResult, executed_text: str | None) -> None:

    with Gradebook(url, COURSE_ID) as gb:
        gb.update_or_create_student(result.student)
        gb.update_or_create_submission(result.assignment, result.student)
    if executed_text is not None:
        executed = nbformat.reads(executed_text, as_version=4)
        resources = {
            "nbgrader": {
                "db_url": url,
                "assignment": result.assignment,
                "notebook": result.notebook,
                "student": result.student,
            }
        }
        SaveAutoGrades().preprocess(executed, resources)
        # Inert rendering (issue 21): formgrader and generate_feedback render this file on the instructor's origin;
        # nothing of the student's may run there. After SaveAutoGrades: the scores come from the notebook as run.
        sanitize_notebook(executed)
        out = workspace / "autograded" / result.student / result.assignment / f"{result.notebook}.ipynb"
        out.parent.mkdir(parents=True, exist_ok=True)
        nbformat.write(executed, out)
    with Gradebook(url, COURSE_ID) as gb:
        for ex in result.exercises:
            grade = gb.find_grade(ex.grade_id, result.notebook, result.assignment, result.student)
            if ex.kind == "auto":
                disagreement = ex.nbgrader_points is not None and ex.nbgrader_points != ex.points
                grade.auto_score = ex.points
                grade.needs_manual_grade = bool(disagreement or executed_text is None)
            elif executed_text is None:
                grade.auto_score = 0.0
                grade.needs_manual_grade = True
        gb.db.commit()


def problem_result(sub: Submission, workspace: Path, fingerprint: str) -> JobResult | None:
    """A result for a submission that cannot be handed to a worker at all (no matching notebook, etc.)."""
    if sub.assignment is None:
        return JobResult(sub.student, "?", sub.path.stem, fingerprint, review=[f"{sub.path.name}: {sub.problem}"])

    sources = sources_of(workspace, sub.assignment)
    source = sources.get(str(sub.notebook)) or next(iter(sources.values()))
    result = JobResult(sub.student, sub.assignment, source.name, fingerprint, review=[str(sub.problem)])
    result.exercises = all_failed(source, str(sub.problem))
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
