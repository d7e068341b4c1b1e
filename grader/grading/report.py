"""What grading hands back: the class CSV, feedback HTML per student, and the printed summary.

Feedback names, for each lost point, the cause the failing check gave (the AssertionError message of the hidden
test, or the trusted re-check's finding). It never shows test code: no cell source, no traceback, and a message
that quotes a line of a test cell is withheld.
"""

from __future__ import annotations

import csv
import html
import logging
from collections.abc import Set
from pathlib import Path
from typing import TYPE_CHECKING

import nbformat
from nbgrader.api import Gradebook

from grader.course.nbgrader_config import COURSE_ID
from grader.course.paths import edition_dir
from grader.course.sources import graded_titles
from grader.course.words import say
from grader.errors import CourseError
from grader.grading.lateness import late_by_text
from grader.grading.names import shown
from grader.grading.records import ExerciseResult
from grader.grading.reviews import load_cleared, open_reasons
from grader.grading.roster import Roster, load_roster
from grader.grading.worker import sources_of
from grader.grading.workspace import db_url, state_dir

if TYPE_CHECKING:
    from grader.grading.grade import GradeSummary

STATUS_OK = "ok"
STATUS_MANUAL = "awaiting manual grading"
REVIEW = "needs review: "
MAX_CAUSE_CHARS = 400

log = logging.getLogger(__name__)


UNANSWERED = "not answered yet"  # the English cause of an unanswered written answer, in records without `answered`


def unanswered(ex: ExerciseResult) -> bool:
    """A written answer left as the placeholder (from the record's `answered`; older records: their English cause)."""
    return ex.answered is False or (ex.answered is None and (ex.cause or "").startswith(UNANSWERED))


def status_of(results, hand_scored: Set[tuple[str, str]] = frozenset(), cleared: dict | None = None) -> str:
    """`ok`, `awaiting manual grading`, or `needs review: <reasons>` for one student's results. A written answer
    awaits a person only while the gradebook has no hand score for it (`hand_scored`: (assignment, grade id)) and it
    was answered: an unanswered one has nothing to grade (issue 29). A reason the instructor cleared (`cleared`,
    grader/grading/reviews.py) no longer counts."""
    reasons: list[str] = []
    for r in results:
        reasons.extend(f"{r.assignment}: {reason}" for reason in open_reasons(r, cleared or {}))
    if reasons:
        return REVIEW + "; ".join(reasons)
    waiting = [
        e for r in results for e in r.exercises
        if e.kind == "manual" and e.points is None and (r.assignment, e.grade_id) not in hand_scored
        and not unanswered(e)
    ]
    return STATUS_MANUAL if waiting else STATUS_OK


def _hidden_lines(workspace: Path, assignment: str) -> set[str]:
    """Every line of the assignment's test cells (never shown on a student's page)."""
    lines: set[str] = set()
    for source in sources_of(workspace, assignment).values():
        lines |= source.hidden_lines
    return lines


def safe_cause(cause: str, hidden: set[str]) -> str:
    """The cause as shown to a student: shortened, and withheld if it quotes test code."""
    text = " ".join(cause.split())
    if any(line in cause or " ".join(line.split()) in text for line in hidden):
        return "the check failed (its message quoted test code, so it is not shown; ask your instructor)"
    return text if len(text) <= MAX_CAUSE_CHARS else text[: MAX_CAUSE_CHARS - 3] + "..."


def _exercise_label(grade_id: str, titles: dict[str, str]) -> str:
    """An exercise as the student's notebook names it: the heading above its test cell (`titles`), else its id."""
    return titles.get(grade_id) or grade_id.removesuffix("_test")


def _titles_in(lang: str, result) -> dict[str, str]:
    """The exercises' headings of the release in the student's language (course-ko/...), {} in English or when
    that edition has no such notebook."""
    if lang == "en" or result.assignment == "?":
        return {}
    try:
        release = edition_dir(lang) / result.assignment / f"{result.notebook}.ipynb"
    except CourseError:  # an installation without its course
        return {}
    return graded_titles(nbformat.read(release, as_version=4)) if release.is_file() else {}


def write_feedback(workspace: Path, result) -> Path:
    """feedback/<student>/<assignment>/<notebook>.html: scores and causes, never test code."""
    hidden = _hidden_lines(workspace, result.assignment) if result.assignment != "?" else set()
    source = sources_of(workspace, result.assignment).get(result.notebook) if result.assignment != "?" else None
    lang = result.lang  # the student's notebook's language (grader/course/words.py)
    titles = _titles_in(lang, result) or (source.titles if source is not None else {})
    rows = []
    for ex in result.exercises:
        if ex.kind == "manual":
            score = say(lang, "awaiting a person") if ex.points is None else f"{ex.points:g} / {ex.max_points:g}"
            cause = "" if ex.points is None else safe_cause(ex.cause, hidden)
        else:
            score = f"{(ex.points or 0):g} / {ex.max_points:g}"
            failed = ex.cause or say(lang, "the check failed")
            cause = "" if ex.points == ex.max_points else safe_cause(failed, hidden)
        rows.append(
            f"<tr><td>{html.escape(_exercise_label(ex.grade_id, titles))}</td><td>{html.escape(score)}</td>"
            f"<td>{html.escape(cause)}</td></tr>"
        )
    shown_reasons = [r for r in result.review if r not in result.integrity]  # integrity flags: the instructor's
    notes = "".join(
        f"<li>{html.escape(shown(safe_cause(result.for_student(r), hidden), None))}</li>" for r in shown_reasons
    )
    if result.integrity:
        flagged = say(lang, "flagged for your instructor's review (your instructor has the details)")
        notes += f"<li>{flagged}</li>"
    flagged_title = say(lang, "Flagged for your instructor")
    review = f"<h2>{flagged_title}</h2><ul>{notes}</ul>" if notes else ""
    score_line = say(lang, "Autograded score: <b>{score} / {most}</b> (written answers are graded by a person and "
                     "added later).", score=format(result.score, "g"), most=format(result.max_score, "g"))
    feedback_word = say(lang, "Feedback")
    columns = "".join(f"<th>{name}</th>" for name in (say(lang, "exercise"), say(lang, "points"),
                                                        say(lang, "what to fix")))
    page = f"""<!DOCTYPE html>
<html lang="{lang}"><head><meta charset="utf-8"><title>{feedback_word}: {html.escape(result.assignment)}</title>
<style>body{{font-family:sans-serif;max-width:60em;margin:2em auto}}td,th{{border-bottom:1px solid #ccc;
padding:.3em .6em;text-align:left;vertical-align:top}}table{{border-collapse:collapse}}</style></head><body>
<h1>{html.escape(result.assignment)}: {html.escape(shown(result.student))}</h1>
{_submitted_line(workspace, result)}<p>{score_line}</p>
<table><tr>{columns}</tr>
{"".join(rows)}
</table>
{review}
</body></html>
"""
    out = workspace / "feedback" / result.student / result.assignment / f"{result.notebook}.html"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(page, encoding="utf-8")
    return out


def _submitted_line(workspace: Path, result) -> str:
    """The feedback's line on when the notebook was submitted, saying plainly when it was late ('' if unknown)."""
    person = load_roster(state_dir(workspace)).by_id(result.student)
    entry = person.submitted.get(result.assignment) if person else None
    if not entry:
        return ""
    lang, at = result.lang, html.escape(_when(entry.get("at")))
    if entry.get("late"):
        delay = html.escape(late_by_text(True, entry.get("late_by"), lang))
        if entry.get("at"):
            return "<p>" + say(lang, "<b>Late</b>: submitted {when}, {delay} after the due date.", when=at,
                               delay=delay) + "</p>\n"
        return "<p>" + say(lang, "<b>Late</b>: submitted {delay} after the due date.", delay=delay) + "</p>\n"
    return "<p>" + say(lang, "Submitted {when}.", when=at) + "</p>\n" if entry.get("at") else ""


def _when(iso: str | None) -> str:
    return iso[:16].replace("T", " ") + iso[19:] if iso and len(iso) >= 19 else (iso or "")


def _manual_scores(workspace: Path) -> dict[tuple[str, str, str], float]:
    """Every score a person gave in formgrader, from the gradebook (the one source of truth for them): written answers
    and overrides of code cells alike. (student, assignment, grade id) -> score. No gradebook yet: none (reading
    would create one, with nbgrader's migrations)."""
    if not (workspace / "gradebook.db").is_file():
        return {}
    scores = {}
    try:
        with Gradebook(db_url(workspace), COURSE_ID) as gb:
            for assignment in gb.assignments:
                for submission in gb.assignment_submissions(assignment.name):
                    for nb in submission.notebooks:
                        for grade in nb.grades:
                            if grade.manual_score is not None:
                                scores[(submission.student_id, assignment.name, grade.name)] = grade.manual_score
    except Exception as err:  # the CSV is still written; the summary says what it lacks
        log.warning("hand-given scores could not be read from the gradebook (%s: %s)", type(err).__name__, err)
        return {}
    return scores


FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def csv_text(value: str) -> str:
    """A text cell a spreadsheet will not run: a leading `=`, `+`, `-`, `@`, tab or CR gets a `'` first (OWASP's
    rule against CSV injection), and other control characters are escaped."""
    text = "".join(c if c in "\t\r" or ord(c) >= 32 and ord(c) != 127 else f"\\x{ord(c):02x}" for c in value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def write_csv(workspace: Path, results) -> Path:
    """class-grades.csv: a row per student, a column per exercise (course-wide unique grade ids), total, max,
    submitted_at, late_by and status.

    `submitted_as` is the student's name as submitted (cleaned for reading, names.shown), intake's needs-review
    reasons (an id collision, an odd name) join the status; `submitted_at` and `late_by` come from the roster
    (per assignment when the row has several). Text cells are neutralised (`csv_text`); scores, totals and maxima
    are numbers and are written as numbers."""

    manual = _manual_scores(workspace)
    roster = load_roster(state_dir(workspace))
    cleared = load_cleared(workspace)
    columns: list[str] = []
    for r in sorted(results, key=lambda r: r.assignment):
        for ex in r.exercises:
            if ex.grade_id not in columns:
                columns.append(ex.grade_id)
    by_student: dict[str, list] = {}
    for r in results:
        by_student.setdefault(r.student, []).append(r)
    path = workspace / "class-grades.csv"  # nbgrader export writes grades.csv
    header = ["student", "submitted_as", *columns, "total", "max", "submitted_at", "late_by", "status"]
    with path.open("w", newline="", encoding="utf-8", errors="replace") as f:
        writer = csv.writer(f)
        writer.writerow([csv_text(shown(c, None)) for c in header])
        for student in sorted(by_student):
            cells, total, maximum = _score_cells(student, by_student[student], manual)
            person = roster.by_id(student)
            hand = {(a, gid) for (who, a, gid) in manual if who == student}
            status = status_of(by_student[student], hand, cleared)
            still = {reason for r in by_student[student] for reason in open_reasons(r, cleared)}
            done = {reason for r in by_student[student] for reason in r.review if reason not in still}
            intake = [r for r in (person.review if person else []) if r not in status and r not in done]
            if intake:
                graded = [status.removeprefix(REVIEW)] if status.startswith(REVIEW) else []
                status = REVIEW + "; ".join(intake + graded)
            at, late = _lateness(roster, student, sorted({r.assignment for r in by_student[student]}))
            writer.writerow(
                [
                    csv_text(shown(student, None)),
                    csv_text(shown("; ".join(person.names if person else []), None)),
                    *(cells.get(c, "") for c in columns),
                    f"{total:g}",
                    f"{maximum:g}",
                    csv_text(at),
                    csv_text(late),
                    csv_text(shown(status, None)),
                ]
            )
    return path


def _lateness(roster: Roster, student: str, assignments: list[str]) -> tuple[str, str]:
    """The submitted_at and late_by cells of a row (each `assignment: value; ...` when the row has several)."""
    person = roster.by_id(student)
    entries = [(a, e) for a in assignments if person and (e := person.submitted.get(a))]
    if len(entries) == 1:
        (_, e), = entries
        return (e.get("at") or ""), late_by_text(bool(e.get("late")), e.get("late_by"))
    at = "; ".join(f"{a}: {e.get('at') or '?'}" for a, e in entries)
    late = "; ".join(f"{a}: {late_by_text(True, e.get('late_by'))}" for a, e in entries if e.get("late"))
    return at, late


def _score_cells(student: str, results, manual) -> tuple[dict[str, str], float, float]:
    """One student's score per grade id (as written in the CSV), total and maximum."""
    cells: dict[str, str] = {}
    total = maximum = 0.0
    for r in results:
        for ex in r.exercises:
            score = ex.points
            hand = manual.get((student, r.assignment, ex.grade_id))
            if hand is not None:  # formgrader's score wins, for a written answer or an override of a code cell
                score = hand
            elif ex.kind == "manual" and score is None and unanswered(ex):
                score = 0.0  # nothing to grade
            cells[ex.grade_id] = "" if score is None else f"{score:g}"
            total += score or 0.0
            maximum += ex.max_points
    return cells, total, maximum


def _short_status(results, cleared: dict) -> str:
    """The status for the printed table: the first reason only (the CSV has them all)."""
    reasons = [f"{r.assignment}: {reason}" for r in results for reason in open_reasons(r, cleared)]
    if not reasons:
        return status_of(results, cleared=cleared)
    first = reasons[0] if len(reasons[0]) <= 90 else reasons[0][:87] + "..."
    return REVIEW + first + (f" (+{len(reasons) - 1} more)" if len(reasons) > 1 else "")


def print_summary(summary: GradeSummary, out) -> None:
    results = summary.results
    workspace = Path(summary.csv).parent
    cleared = load_cleared(workspace)
    by_student: dict[str, list] = {}
    for r in results:
        by_student.setdefault(r.student, []).append(r)
    assignments = sorted({r.assignment for r in results})
    width = max([len(shown(s)) for s in by_student] + [7])
    header = f"{'student':<{width}}  " + "  ".join(f"{a[:14]:>14}" for a in assignments) + "  status"
    print(header, file=out)
    print("-" * len(header), file=out)
    for student in sorted(by_student):
        scores = []
        for a in assignments:
            mine = [r for r in by_student[student] if r.assignment == a]
            got, most = sum(r.score for r in mine), sum(r.max_score for r in mine)
            scores.append(f"{f'{got:g}/{most:g}' if mine else '-':>14}")
        status = shown(_short_status(by_student[student], cleared), None)  # never an escape sequence on the terminal
        print(f"{shown(student):<{width}}  " + "  ".join(scores) + f"  {status}", file=out)
    flagged = sum(1 for rs in by_student.values() if status_of(rs, cleared=cleared).startswith(REVIEW))
    not_checked: dict[str, str] = {}
    for r in results:
        for name, why in r.not_checked.items():
            not_checked.setdefault(name, why)
    print(
        f"\n{len(by_student)} student(s), {len(results)} notebook(s): {summary.graded} graded now with "
        f"{summary.workers} worker(s), {summary.reused} kept from an earlier run; {flagged} need review; "
        f"{summary.seconds:.1f} s",
        file=out,
    )
    for what, statuses in (
        ("nbgrader's kernel", {r.kernel_isolation for r in results}),
        ("re-check sandbox", {r.isolation for r in results}),
    ):
        for status in sorted(filter(None, statuses)):
            print(f"{what} isolation {status}", file=out)
    if not_checked:
        print("not re-checked outside the kernel (nbgrader's result alone counts):", file=out)
        for name, why in sorted(not_checked.items()):
            print(f"  {shown(name)}: {shown(why, None)}", file=out)
    print(f"grades: {summary.csv}", file=out)
    if flagged:
        print(f"needs review: read each reason in the CSV; once settled, clear it with `bpcourse review --workspace "
              f"{workspace} --clear STUDENT/ASSIGNMENT --note WHY` (a new reason flags it again)", file=out)
    print(f"feedback: {Path(summary.csv).parent / 'feedback'}/<student>/<assignment>/", file=out)
