"""Lateness, first-class: per-assignment due dates, the submission time from a source the student cannot write,
and nbgrader's own bookkeeping of both (so its late penalty applies).

Due dates: `bpcourse grade --due 01_term=2026-12-01T23:59+09:00` is stored in the workspace
(`.bpcourse/due.json`) and written to the gradebook's assignment `duedate`; an assignment without one there takes
the gradebook's (set with formgrader). A due date without a time zone is UTC.

The submission time of a file, by layout (never a `timestamp.txt`, which a student can write):
  * Blackboard: the attempt time in the LMS's name (its server's clock, read in the due date's time zone);
  * Canvas: the file's time in the export (the zip entry's time, or the file's mtime as the instructor collected
    it); the `_LATE` marker Canvas writes decides that it is late even where no time says by how much;
  * Moodle, a flat folder, an nbgrader tree: the file's modification time as collected (by the instructor's
    download, or by `nbgrader collect`), or the zip entry's time.
A naive time (a zip entry's, Blackboard's) is read in the due date's time zone.
"""

from __future__ import annotations

import json
import logging
import os
import warnings
from datetime import datetime, timezone
from pathlib import Path

from grader.course.words import ENGLISH, say
from grader.errors import CourseError
from grader.grading.submissions import Found, Layout, Submission

log = logging.getLogger(__name__)
UNKNOWN_DELAY = "late (LMS marker)"  # in English; late_by_text says it in the student's language


def due_path(state: Path) -> Path:
    return state / "due.json"


def parse_due(texts: list[str]) -> dict[str, datetime]:
    """`ASSIGNMENT=ISO-8601` pairs as aware datetimes (UTC when no zone is given); CourseError on a bad one."""
    dues = {}
    for text in texts:
        assignment, sep, when = text.partition("=")
        try:
            at = datetime.fromisoformat(when.strip())
        except ValueError:
            at = None
        if not sep or not assignment.strip() or at is None:
            raise CourseError(
                f"--due {text!r}: write ASSIGNMENT=YYYY-MM-DDTHH:MM[+HH:MM], e.g. 01_term=2026-12-01T23:59+09:00"
            )
        dues[assignment.strip()] = at if at.tzinfo else at.replace(tzinfo=timezone.utc)
    return dues


def save_due(state: Path, dues: dict[str, datetime]) -> None:
    """Add `dues` to the workspace's due dates (a later --due for one assignment replaces the earlier)."""
    if not dues:
        return
    stored = {a: d.isoformat() for a, d in load_due(state).items()} | {a: d.isoformat() for a, d in dues.items()}
    state.mkdir(parents=True, exist_ok=True)
    tmp = due_path(state).with_suffix(".tmp")
    tmp.write_text(json.dumps(stored, indent=1, sort_keys=True), encoding="utf-8")
    os.replace(tmp, due_path(state))


def load_due(state: Path) -> dict[str, datetime]:
    try:
        data = json.loads(due_path(state).read_text(encoding="utf-8"))
        return {str(a): datetime.fromisoformat(d) for a, d in data.items()}
    except (OSError, ValueError, AttributeError, TypeError):
        return {}


def due_dates(workspace: Path, state: Path) -> dict[str, datetime]:
    """Every known due date: the workspace's, else the gradebook's (naive UTC there); the workspace's are written
    to the gradebook so that nbgrader sees them too."""
    from nbgrader.api import Gradebook

    from grader.course.nbgrader_config import COURSE_ID
    from grader.grading.workspace import db_url

    dues = load_due(state)
    with Gradebook(db_url(workspace), COURSE_ID) as gb:
        for assignment, at in dues.items():
            gb.update_or_create_assignment(assignment, duedate=_naive_utc(at))
        for assignment in gb.assignments:
            if assignment.name not in dues and assignment.duedate is not None:
                dues[assignment.name] = assignment.duedate.replace(tzinfo=timezone.utc)
    return dues


def _naive_utc(at: datetime) -> datetime:
    return at.astimezone(timezone.utc).replace(tzinfo=None)


def submitted_at(item: Found, due: datetime | None) -> datetime | None:
    """When `item` was submitted, by its layout's source (see the module docstring); aware, or None."""
    at = item.who.attempt if item.who.layout is Layout.BLACKBOARD else item.mtime
    if at is None:
        return None
    return at if at.tzinfo else at.replace(tzinfo=due.tzinfo if due else timezone.utc)


def mark(sub: Submission, item: Found, due: datetime | None) -> None:
    """Set `sub`'s submission time and lateness: late past the due date, or by the LMS's own marker."""
    sub.submitted_at = submitted_at(item, due)
    past = (sub.submitted_at - due).total_seconds() if sub.submitted_at and due else None
    sub.late = bool(item.who.late) or (past is not None and past > 0)
    sub.late_by = past if past is not None and past > 0 else None


def late_by_text(sub_late: bool, late_by: float | None, lang: str = ENGLISH) -> str:
    """`3 h 12 min`-style delay for the CSV (English) and the feedback (the student's language); '' when on time."""
    if late_by is None:
        return say(lang, "late (LMS marker)") if sub_late else ""  # UNKNOWN_DELAY, in the catalog
    minutes = int(late_by // 60) + (1 if late_by % 60 else 0)
    days, rest = divmod(minutes, 24 * 60)
    hours, minutes = divmod(rest, 60)
    parts = [say(lang, "{n} d", n=days)] if days else []
    parts += [say(lang, "{n} h", n=hours)] if hours else []
    parts += [say(lang, "{n} min", n=minutes)] if minutes or not parts else []
    return " ".join(parts)


def record_times(workspace: Path, chosen: list[Submission]) -> None:
    """The submission time of every graded submission into the gradebook (nbgrader's `timestamp`), before any
    grade is recorded: nbgrader's `total_seconds_late` and late penalty follow from it."""
    from nbgrader.api import Gradebook

    from grader.course.nbgrader_config import COURSE_ID
    from grader.grading.workspace import db_url

    with warnings.catch_warnings(), Gradebook(db_url(workspace), COURSE_ID) as gb:
        warnings.simplefilter("ignore")  # SQLAlchemy's autoflush warnings from inside nbgrader (as journal.py)
        for sub in chosen:
            if sub.assignment is None or sub.submitted_at is None:
                continue
            gb.update_or_create_student(sub.student)
            gb.update_or_create_submission(sub.assignment, sub.student, timestamp=_naive_utc(sub.submitted_at))


def apply_late_penalty(workspace: Path, student: str, assignment: str, notebook: str) -> None:
    """nbgrader's AssignLatePenalties on a recorded notebook (its LateSubmissionPlugin as the workspace's
    nbgrader_config.py sets it: by default no penalty, the lateness is only recorded and shown)."""
    import nbformat
    from nbgrader.preprocessors import AssignLatePenalties
    from traitlets.config.loader import PyFileConfigLoader

    from grader.grading.workspace import db_url

    try:
        config = PyFileConfigLoader("nbgrader_config.py", path=str(workspace)).load_config()
    except Exception:  # noqa: BLE001 - no readable config: nbgrader's defaults
        config = None
    resources = {"nbgrader": {"db_url": db_url(workspace), "assignment": assignment, "notebook": notebook,
                              "student": student}}
    try:
        AssignLatePenalties(config=config).preprocess(nbformat.v4.new_notebook(), resources)
    except Exception as err:  # noqa: BLE001 - the lateness is still in the CSV and the feedback
        log.warning("nbgrader's late penalty could not be applied to %s/%s (%s)", student, assignment, err)
