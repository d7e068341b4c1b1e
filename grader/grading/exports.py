"""Grades an LMS imports: per-assignment totals from the gradebook, for Canvas, Moodle or a plain table (issue 29).

Every score is read from nbgrader's gradebook, the one source of truth (autograded points, a person's overrides and
hand grades, nbgrader's late penalty). Names, e-mails and LMS ids come from a roster file the instructor gives
(`Enrolled`), never from what a student wrote; a Canvas or Moodle user id the intake read from the LMS's own file
names (the grader's roster keys `canvas:ID`, `moodle:ID`) fills the id where the roster file has none. The roster
also fills nbgrader's own student table, so `nbgrader export` has names too. A student who handed in nothing for
an assignment is marked as such (an empty cell in an LMS file: no grade is written; `not submitted` in the table),
never as 0.

Column formats followed:
- Canvas's gradebook import: `Student, ID, SIS User ID, SIS Login ID, Section`, then one column per assignment (a
  column named as an existing Canvas assignment updates it, e.g. `Step 1 (4321)`, given with `--column`; another
  name creates one), and a `Points Possible` row first.
- Moodle's grade import (Grades > Import > CSV file): one row per user with an identifier column to map (`ID number`
  or `Email address`) and one column per grade item.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass, field
from enum import Enum
from pathlib import Path

from nbgrader.api import Gradebook, MissingEntry

from grader.course.nbgrader_config import COURSE_ID, ensure_alembic_on_path
from grader.errors import CourseError
from grader.grading.names import shown
from grader.grading.report import csv_text
from grader.grading.roster import load_roster
from grader.grading.workspace import db_url, state_dir

ROSTER_COLUMNS = ("student", "name", "email", "lms_id", "sis_user_id", "sis_login_id", "section", "id_number")
NOT_SUBMITTED = "not submitted"


class Format(str, Enum):
    CANVAS = "canvas"
    MOODLE = "moodle"
    TABLE = "table"


@dataclass(frozen=True)
class Enrolled:
    """One line of the instructor's roster. `student` is the grader's student id (the nbgrader folder, or the id the
    intake gave); it may be left empty when `lms_id` names the person (a Canvas or Moodle user id)."""

    student: str = ""
    name: str = ""
    email: str = ""
    lms_id: str = ""
    sis_user_id: str = ""
    sis_login_id: str = ""
    section: str = ""
    id_number: str = ""


@dataclass
class ClassScores:
    """Per assignment its points possible; per student, per assignment, the score (None: nothing handed in)."""

    possible: dict[str, float] = field(default_factory=dict)
    scores: dict[str, dict[str, float | None]] = field(default_factory=dict)


def read_roster(path: Path) -> list[Enrolled]:
    """The instructor's roster CSV (a header row naming some of ROSTER_COLUMNS; `student` or `lms_id` on each line)."""
    try:
        with path.open(encoding="utf-8-sig", newline="") as f:
            rows = list(csv.DictReader(f))
    except (OSError, UnicodeDecodeError, csv.Error) as err:
        raise CourseError(f"{path}: the roster cannot be read ({type(err).__name__}); give a UTF-8 CSV file.") from None
    unknown = sorted(set(rows[0]) - set(ROSTER_COLUMNS)) if rows else []
    if not rows or unknown or not {"student", "lms_id"} & set(rows[0]):
        raise CourseError(
            f"{path}: a roster needs a header of {', '.join(ROSTER_COLUMNS)} (`student` or `lms_id` at least)"
            + (f"; unknown column(s): {', '.join(unknown)}" if unknown else "")
        )
    people = [Enrolled(**{k: (v or "").strip() for k, v in row.items() if k in ROSTER_COLUMNS}) for row in rows]
    nameless = [i + 2 for i, p in enumerate(people) if not (p.student or p.lms_id)]
    if nameless:
        raise CourseError(f"{path}: line(s) {nameless[:5]} give neither `student` nor `lms_id`.")
    return people


def class_scores(workspace: Path) -> ClassScores:
    """Every assignment's points possible and every student's score (after nbgrader's late penalty), from the
    gradebook."""
    found = ClassScores()
    with Gradebook(db_url(workspace), COURSE_ID) as gb:
        students = [s.id for s in gb.students]
        for assignment in sorted(gb.assignments, key=lambda a: a.name):
            found.possible[assignment.name] = float(assignment.max_score)
            for student in students:
                try:
                    sub = gb.find_submission(assignment.name, student)
                except MissingEntry:
                    found.scores.setdefault(student, {})[assignment.name] = None
                    continue
                score = float(sub.score) - float(sub.late_submission_penalty or 0.0)
                found.scores.setdefault(student, {})[assignment.name] = max(score, 0.0)
    return found


def match(roster: list[Enrolled], workspace: Path) -> dict[str, Enrolled]:
    """Each roster line by the grader's student id: its `student`, or the id the intake gave the LMS user `lms_id`
    (roster keys `canvas:ID` / `moodle:ID`); a line that matches nobody keeps its own key (`lms:ID`), so a student
    who never handed anything in still has a row."""
    by_lms: dict[str, str] = {}
    for key, known in load_roster(state_dir(workspace)).people.items():
        kind, _, lms = key.partition(":")
        if kind in ("canvas", "moodle") and lms:
            by_lms[lms] = known.id
    matched: dict[str, Enrolled] = {}
    for line in roster:
        student = line.student or by_lms.get(line.lms_id) or f"lms:{line.lms_id}"
        lms_id = line.lms_id or next((k for k, v in by_lms.items() if v == student), "")
        matched[student] = Enrolled(student, line.name, line.email, lms_id, line.sis_user_id,
                                    line.sis_login_id, line.section, line.id_number)
    return matched


def fill_nbgrader_roster(workspace: Path, people: dict[str, Enrolled]) -> None:
    """nbgrader's student table from the roster: `nbgrader export` and formgrader then show names and e-mails."""
    with Gradebook(db_url(workspace), COURSE_ID) as gb:
        for student, p in people.items():
            if not student.startswith("lms:"):
                gb.update_or_create_student(student, first_name=p.name or None, last_name=None,
                                            email=p.email or None, lms_user_id=p.lms_id or None)


@dataclass
class Export:
    """What `write_export` wrote and what the instructor should know."""

    path: Path
    rows: int
    not_in_roster: list[str] = field(default_factory=list)  # graded students the roster does not list


def _cell(score: float | None, missing: str) -> str:
    return missing if score is None else f"{score:g}"


def write_export(
    workspace: Path,
    fmt: Format,
    out: Path,
    roster: list[Enrolled] | None = None,
    columns: dict[str, str] | None = None,
) -> Export:
    """Write the `fmt` file of the class's per-assignment totals to `out`; `columns` renames assignment columns
    (a Canvas assignment's own name and id, say)."""
    ensure_alembic_on_path()  # nbgrader runs `alembic` when it opens a gradebook
    scores = class_scores(workspace)
    people = match(roster or [], workspace)
    if roster:
        fill_nbgrader_roster(workspace, people)
    students = sorted(set(scores.scores) | set(people))
    assignments = list(scores.possible)
    names = [(columns or {}).get(a, a) for a in assignments]
    with out.open("w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f)
        write_rows = {Format.CANVAS: _canvas, Format.MOODLE: _moodle, Format.TABLE: _table}[fmt]
        write_rows(writer, students, people, scores, assignments, names)
    graded_alone = sorted(s for s in scores.scores if roster and s not in people)
    return Export(out, len(students), graded_alone)


def _who(people: dict[str, Enrolled], student: str) -> Enrolled:
    return people.get(student) or Enrolled(student)


def _text(value: str) -> str:
    return csv_text(shown(value, None))


def _canvas(writer, students, people, scores: ClassScores, assignments, names) -> None:
    writer.writerow(["Student", "ID", "SIS User ID", "SIS Login ID", "Section", *[_text(n) for n in names]])
    writer.writerow(["Points Possible", "", "", "", "", *(f"{scores.possible[a]:g}" for a in assignments)])
    for student in students:
        p, row = _who(people, student), scores.scores.get(student, {})
        writer.writerow([_text(p.name or student), _text(p.lms_id), _text(p.sis_user_id), _text(p.sis_login_id),
                         _text(p.section), *(_cell(row.get(a), "") for a in assignments)])


def _moodle(writer, students, people, scores: ClassScores, assignments, names) -> None:
    writer.writerow(["ID number", "Email address", "Full name", *[_text(n) for n in names]])
    for student in students:
        p, row = _who(people, student), scores.scores.get(student, {})
        writer.writerow([_text(p.id_number or p.lms_id), _text(p.email), _text(p.name or student),
                         *(_cell(row.get(a), "") for a in assignments)])


def _table(writer, students, people, scores: ClassScores, assignments, names) -> None:
    header = ["student", "name", "email"]
    for name in names:
        header += [_text(name), _text(f"{name} possible")]
    writer.writerow([*header, "total", "possible"])
    for student in students:
        p, row = _who(people, student), scores.scores.get(student, {})
        cells: list[str] = []
        for a in assignments:
            cells += [_cell(row.get(a), NOT_SUBMITTED), f"{scores.possible[a]:g}"]
        total = sum(v for v in row.values() if v is not None)
        writer.writerow([_text(student), _text(p.name), _text(p.email), *cells, f"{total:g}",
                         f"{sum(scores.possible.values()):g}"])
