"""Each exercise's verdict, decided by the grader: the kernel's test result counts only where the trusted re-check
agrees, and every word of a cause is the grader's (a hidden test's message only if it reads as the course's own).
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass

import nbformat
from nbformat import NotebookNode
from nbgrader.utils import determine_grade

from grader.course.cells import is_test_cell, last_heading, nbgrader_meta
from grader.course.messages import Catalogue, printable, safe_identifier
from grader.course.sources import Exercise, SourceInfo
from grader.course.words import ENGLISH, Words, phrase, say
from grader.grading.records import ExerciseResult, JobResult, Kind, Recheck
from grader.recheck.reasons import Failure, Why
from grader.recheck.trusted_check import TrustedResult

log = logging.getLogger(__name__)
CAUSE_KEY = "bpcourse_cause"  # a failed test cell's cause, kept in its metadata until the outputs are stripped
_CELL_FRAME = re.compile(r"Cell In\[(\d+)\], line (\d+)")
_ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")
_TIMEOUTS = ("CellTimeoutError", "KeyboardInterrupt")


def _frames(output: dict) -> list[tuple[str, str]]:
    """(execution count, line) of every notebook-cell frame of an error output's traceback."""
    return _CELL_FRAME.findall(_ANSI.sub("", "\n".join(map(str, output.get("traceback") or []))))


@dataclass(frozen=True)
class KernelCause:
    """Why a test cell failed in nbgrader's kernel, in the grader's words (`text`). When the cause is only that an
    exception was raised, `raised` is its type's name, `where` the student's line (' (line 3 of your cell under
    ...)', or "") and `detail` what the line tells (': x is not defined'), so the re-check's call that raised the
    same can be told with them (`_with_call`) without reading the words back."""

    text: str
    raised: str | None = None
    where: str = ""
    detail: str = ""

    def __str__(self) -> str:
        return self.text


@dataclass(frozen=True)
class CellPlace:
    """Where a code cell of the executed notebook is, in words a student finds in JupyterLab (no cell index)."""

    heading: str  # the nearest markdown heading above it ("Exercise 5"), or its own first line
    lines: tuple[str, ...]  # its source, to quote the student's own line

    def describe(self, line: int, lang: str = ENGLISH) -> str:
        """' (line 3 of your cell under "Exercise 5": h = h @ W)': the student's own line, made printable."""
        code = self.lines[line - 1].strip() if 0 < line <= len(self.lines) else ""
        quoted = f": {printable(code, 80)}" if code else ""
        where = say(lang, 'line {line} of your cell under "{heading}"', line=line, heading=printable(self.heading, 60))
        return f" ({where}{quoted})"


# Every test cell starts by importing the message function (`from bp_helpers.i18n import _`): a cell is named by
# its first line after such boilerplate, which a student recognises.
BOILERPLATE = ("from bp_helpers.i18n import", "from bp_helpers.testing import")


def _first_line(source: str) -> str:
    lines = [ln.strip() for ln in source.splitlines() if ln.strip()]
    return next((ln for ln in lines if not ln.startswith(BOILERPLATE)), lines[0] if lines else "")


def _heading_above(cells: list, index: int) -> str:
    return next((h for cell in reversed(cells[:index]) if (h := last_heading(cell))), "")


def cell_label(cells: list, index: int, lang: str = ENGLISH) -> str:
    """A cell named as a student finds it, from its 0-based index: 'the cell under "Exercise 2" that starts
    "while True:"' (never a number to count)."""
    return cell_place(cells, index).render(lang)


def cell_place(cells: list, index: int) -> Words:
    """`cell_label` as a record, rendered in a language when read."""
    if not 0 <= index < len(cells):
        return phrase("a cell")
    first = printable(_first_line(cells[index].source), 60)
    heading = _heading_above(cells, index)
    if heading:
        return phrase('the cell under "{heading}" that starts "{first}"', heading=printable(heading, 60), first=first)
    return phrase('the cell that starts "{first}"', first=first)


def cell_places(cells: list) -> dict[int, CellPlace]:
    """Each executed code cell's place, by its execution count."""
    places, heading = {}, ""
    for cell in cells:
        if cell.cell_type == "markdown":
            heading = last_heading(cell) or heading
        elif cell.cell_type == "code" and isinstance(cell.get("execution_count"), int):
            lines = tuple(cell.source.splitlines())
            first = next((ln.strip() for ln in lines if ln.strip()), "")
            places[cell.execution_count] = CellPlace(heading or first, lines)
    return places


def _student_frame(output: dict, test_count: int | None, places: dict[int, CellPlace]) -> tuple[CellPlace, int] | None:
    """The deepest traceback frame in a cell other than the test cell: (its place, line). Only the two numbers are
    taken from the traceback; the words come from the notebook."""
    for count, line in reversed(_frames(output)):
        if int(count) != test_count and int(count) in places:
            return places[int(count)], int(line)
    return None


def _undefined_name(output: dict, frame: tuple[CellPlace, int] | None, lang: str) -> str:
    """': x is not defined' for a NameError whose name is on the student's own line (a name only a hidden test
    uses is never said)."""
    named = re.fullmatch(r"name '(\w+)' is not defined", str(output.get("evalue", "")).strip())
    if not named or frame is None:
        return ""
    place, line = frame
    code = place.lines[line - 1] if 0 < line <= len(place.lines) else ""
    found = re.search(rf"\b{re.escape(named[1])}\b", code)
    return say(lang, ": {name} is not defined", name=named[1]) if found else ""


def _error_cause(output: dict, cell, catalogue: Catalogue, places: dict[int, CellPlace], lang: str) -> KernelCause:
    words = _words_for(output, cell, catalogue, places, lang)
    return KernelCause(words) if words is not None else _raised(output, cell, places, lang)


def _raised(output: dict, cell, places: dict[int, CellPlace], lang: str) -> KernelCause:
    """An exception without words of the course's: its type, the student's line and what the line tells."""
    ename = safe_identifier(output.get("ename"), "an exception")
    frame = _student_frame(output, cell.get("execution_count"), places)
    where = frame[0].describe(frame[1], lang) if frame else ""
    detail = _undefined_name(output, frame, lang)
    text = say(lang, "{error} raised{where}", error=ename, where=where or say(lang, " while the test ran"))
    return KernelCause(f"{text}{detail}", ename, where, detail)


def _words_for(output: dict, cell, catalogue: Catalogue, places: dict[int, CellPlace], lang: str) -> str | None:
    """The cause of the errors the course has words for (not implemented, a timeout, a test that did not run, a
    failed check), or None for any other exception."""
    ename = safe_identifier(output.get("ename"), "an exception")
    evalue = str(output.get("evalue", "")).strip()
    if ename == "NotImplementedError" and not evalue:
        return say(lang, "not implemented yet (the cell still raises NotImplementedError)")
    if ename in _TIMEOUTS:  # interrupted: the traceback's deepest student frame is where the loop was
        frame = _student_frame(output, cell.get("execution_count"), places)
        if frame:
            where = frame[0].describe(frame[1], lang)
            return say(lang, "the test did not finish within the time limit: your code was still running{where}",
                       where=where)
        return say(lang, "the test did not finish within the time limit (an infinite loop?)")
    if ename == "NotRun":
        return evalue  # the grader's own words (grader/grading/autograde.py)
    if ename == "AssertionError":
        said = catalogue.sanitize(evalue) if evalue else None
        if said:
            return f"AssertionError: {said}"
        if evalue:
            log.debug("a failed check's message is not in the catalogue: %r", printable(evalue))
        return say(lang, "AssertionError: a check failed (its message is not one of the course's, so it is not shown)")
    return None


def failure_cause(cell, catalogue: Catalogue, places: dict[int, CellPlace], lang: str = ENGLISH) -> KernelCause:
    """Why a test cell failed in nbgrader's kernel, in words the grader vouches for (grader/course/messages.py);
    any other exception by its type and the student's line."""
    outputs = cell.get("outputs", [])
    # The error first: a warning printed to stderr before it (torch's, say) must not hide the named cause (issue 26).
    for output in outputs:
        if output.get("output_type") == "error":
            return _error_cause(output, cell, catalogue, places, lang)
    if any(o.get("output_type") == "stream" and o.get("name") == "stderr" for o in outputs):
        return KernelCause(say(lang, "the test wrote to stderr"))
    return KernelCause("")


def syntax_errors(executed: NotebookNode) -> dict[str, str]:
    """Per solution-cell grade id: 'SyntaxError (line 3 of your cell under "Exercise 2": ...)' when the student's cell
    does not parse."""
    found: dict[str, str] = {}
    places = cell_places(executed.cells)
    for cell in executed.cells:
        gid = nbgrader_meta(cell).get("grade_id")
        for output in cell.get("outputs", []) if cell.cell_type == "code" and gid else []:
            if output.get("output_type") == "error" and output.get("ename") in ("SyntaxError", "IndentationError"):
                frames = _frames(output)
                place = places.get(cell.get("execution_count"))
                where = place.describe(int(frames[-1][1])) if frames and place else ""
                found[str(gid)] = f"{output['ename']}{where}"
    return found


def written_answers(nb: NotebookNode) -> dict[str, bool]:
    """Per written-answer grade id: whether the student wrote something in place of nbgrader's placeholder."""
    answers: dict[str, bool] = {}
    for cell in nb.cells:
        gid = nbgrader_meta(cell).get("grade_id")
        if gid and cell.cell_type == "markdown" and gid not in answers:
            answers[gid] = bool(cell.source.replace("YOUR ANSWER HERE", "").strip())
    return answers


def verdict(
    ex: Exercise,
    keys: list[str],
    cell,
    trusted: TrustedResult,
    catalogue: Catalogue,
    places: dict[int, CellPlace],
    result: JobResult,
) -> ExerciseResult:
    """One exercise's points: the kernel's result counts only where the trusted re-check agrees, since the kernel
    ran student code and can be made to pass anything. An exercise the re-check could not judge keeps the kernel's
    points and is flagged for a person (`result`'s review). `keys`: the exercise's checks in its notebook's
    contract."""
    lang = result.lang
    nb_points = float(determine_grade(cell)[0] or 0.0) if cell is not None else 0.0
    if cell is None:
        kernel = KernelCause(say(lang, "the test cell did not run"))
    else:
        kernel = failure_cause(cell, catalogue, places, lang)
    failures = [trusted.failures[k] for k in keys if k in trusted.failures]
    unchecked = [k for k in keys if k in trusted.not_checked or k not in trusted.checked]
    if failures:
        # a function missing because its cell stopped (a failed import): the re-check knows why; the kernel's
        # NameError does not
        known = failures[0].kind is Why.NOT_DEFINED and failures[0].detail
        cause = failures[0].render(lang) if known else _with_call(kernel, failures[0], lang)
        if nb_points > 0:
            # a kernel that passed what the re-check fails: a forged pass, or a test fooled: the instructor's to judge
            result.flag_integrity(f"{ex.grade_id}: nbgrader passed it but the trusted re-check did not: {failures[0]}")
            cause = say(lang, "the trusted re-check failed: {why}", why=failures[0].render(lang))
        return ExerciseResult(
            ex.grade_id, ex.points, 0.0, Kind.AUTO, nb_points, Recheck.FAILED, cause or failures[0].render(lang)
        )
    if keys and not unchecked:
        return ExerciseResult(ex.grade_id, ex.points, nb_points, Kind.AUTO, nb_points, Recheck.AGREES, kernel.text)
    if nb_points > 0:
        why = (trusted.not_checked.get(unchecked[0], phrase("no re-check")) if unchecked else
               phrase("no graded function"))
        result.add_review(phrase("{grade_id}: not re-checked ({why}); its points are the kernel's alone",
                                 grade_id=ex.grade_id, why=why))
    return ExerciseResult(ex.grade_id, ex.points, nb_points, Kind.AUTO, nb_points, Recheck.NOT_CHECKED, kernel.text)


def _with_call(kernel: KernelCause, failure: Failure, lang: str) -> str:
    """An exception the kernel's test met, told with the re-check's call when it raised the same type there: the
    function and its inputs' shapes (the grader's inputs), and the student's cell and line, e.g.
    'relu_forward(array(4, 3)) raised KeyError (line 3 of your cell under "Exercise 2": return cache[k])'."""
    if kernel.raised and failure.kind is Why.RAISED and failure.detail == kernel.raised:
        return failure.render(lang) + kernel.where + kernel.detail
    return kernel.text


def all_failed(source: SourceInfo, reason: str) -> list[ExerciseResult]:
    """Every exercise of `source` at 0 points with one reason (a notebook that could not be graded)."""
    exercises = [
        ExerciseResult(ex.grade_id, ex.points, 0.0, Kind.AUTO, None, Recheck.NOT_CHECKED, reason)
        for ex in source.exercises
    ]
    exercises += [
        ExerciseResult(gid, pts, 0.0, Kind.MANUAL, None, Recheck.NOT_CHECKED, reason)
        for gid, pts in source.manual.items()
    ]
    return exercises


def manual_exercises(source: SourceInfo, nb: NotebookNode, lang: str = ENGLISH) -> list[ExerciseResult]:
    """The written answers, unscored: awaiting a person, or not answered yet (in the notebook's language)."""
    answered = written_answers(nb)
    return [
        ExerciseResult(
            gid,
            pts,
            None,
            Kind.MANUAL,
            cause=say(lang, "awaiting manual grading")
            if answered.get(gid)
            else say(lang, "not answered yet (the cell still says YOUR ANSWER HERE)"),
            answered=bool(answered.get(gid)),
        )
        for gid, pts in source.manual.items()
    ]


def strip_student_outputs(nb: NotebookNode) -> None:
    """Keep no output of the student's code in the notebook the workspace stores (nbgrader's feedback is made
    from it): any output may carry what the kernel saw, hidden tests included. A failed test cell keeps one error
    output whose text is the grader's (its cause), so nbgrader still scores it 0."""
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        errors = [o for o in cell.get("outputs", []) if o.get("output_type") == "error"]
        cell.outputs = []
        if is_test_cell(cell) and errors:
            cause = cell.metadata.get(CAUSE_KEY, "the test failed")
            cell.outputs = [nbformat.v4.new_output("error", ename="TestFailed", evalue=cause, traceback=[cause])]
        cell.metadata.pop(CAUSE_KEY, None)
