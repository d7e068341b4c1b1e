"""Each exercise's verdict, decided by the grader: the kernel's test result counts only where the trusted re-check
agrees, and every word of a cause is the grader's (a hidden test's message only if it reads as the course's own).
"""

from __future__ import annotations

import logging
import re

import nbformat
from nbformat import NotebookNode
from nbgrader.utils import determine_grade

from grader.course.cells import is_test_cell, nbgrader_meta
from grader.grading.messages import Catalogue, printable, safe_identifier
from grader.grading.records import ExerciseResult, Kind, Recheck
from grader.grading.sources import Exercise, SourceInfo
from grader.recheck.specs import check_keys
from grader.recheck.trusted_check import TrustedResult

log = logging.getLogger(__name__)
CAUSE_KEY = "bpcourse_cause"  # a failed test cell's cause, kept in its metadata until the outputs are stripped
_CELL_FRAME = re.compile(r"Cell In\[(\d+)\], line (\d+)")
_ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")
_TIMEOUTS = ("CellTimeoutError", "KeyboardInterrupt")
_RAISED = re.compile(r"(?P<type>\w+) raised(?P<where> \(cell \d+, line \d+\))?(?: while the test ran)?")


def _frames(output: dict) -> list[tuple[str, str]]:
    """(execution count, line) of every notebook-cell frame of an error output's traceback."""
    return _CELL_FRAME.findall(_ANSI.sub("", "\n".join(map(str, output.get("traceback") or []))))


def _student_location(output: dict, test_count: int | None, counts: dict[int, int]) -> str:
    """Where in the student's cells an exception was raised, as " (cell N, line M)": the deepest traceback frame in
    a cell other than the test cell. Only the two numbers are taken from the traceback."""
    for count, line in reversed(_frames(output)):
        if int(count) != test_count and int(count) in counts:
            return f" (cell {counts[int(count)] + 1}, line {int(line)})"
    return ""


def _error_cause(output: dict, cell, catalogue: Catalogue, counts: dict[int, int]) -> str:
    ename = safe_identifier(output.get("ename"), "an exception")
    evalue = str(output.get("evalue", "")).strip()
    if ename == "NotImplementedError" and not evalue:
        return "not implemented yet (the cell still raises NotImplementedError)"
    if ename in _TIMEOUTS:
        return "the test did not finish within the time limit (an infinite loop?)"
    if ename == "NotRun":
        return evalue  # the grader's own words (grader/grading/autograde.py)
    if ename == "AssertionError":
        said = catalogue.sanitize(evalue) if evalue else None
        if said:
            return f"AssertionError: {said}"
        if evalue:
            log.debug("a failed check's message is not in the catalogue: %r", printable(evalue))
        return "AssertionError: a check failed (its message is not one of the course's, so it is not shown)"
    where = _student_location(output, cell.get("execution_count"), counts)
    return f"{ename} raised{where or ' while the test ran'}"


def failure_cause(cell, catalogue: Catalogue, counts: dict[int, int]) -> str:
    """Why a test cell failed in nbgrader's kernel, in words the grader vouches for (grader/grading/messages.py);
    any other exception by its type and the student's line."""
    outputs = cell.get("outputs", [])
    # The error first: a warning printed to stderr before it (torch's, say) must not hide the named cause (issue 26).
    for output in outputs:
        if output.get("output_type") == "error":
            return _error_cause(output, cell, catalogue, counts)
    if any(o.get("output_type") == "stream" and o.get("name") == "stderr" for o in outputs):
        return "the test wrote to stderr"
    return ""


def syntax_errors(executed: NotebookNode) -> dict[str, str]:
    """Per solution-cell grade id: "SyntaxError in cell N, line M" when the student's cell does not parse."""
    found = {}
    for i, cell in enumerate(executed.cells):
        gid = nbgrader_meta(cell).get("grade_id")
        for output in cell.get("outputs", []) if cell.cell_type == "code" and gid else []:
            if output.get("output_type") == "error" and output.get("ename") in ("SyntaxError", "IndentationError"):
                frames = _frames(output)
                line = f", line {int(frames[-1][1])}" if frames else ""
                found[gid] = f"{output['ename']} in cell {i + 1}{line}"
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
    ex: Exercise, cell, trusted: TrustedResult, catalogue: Catalogue, counts: dict[int, int], review: list[str]
) -> ExerciseResult:
    """One exercise's points: the kernel's result counts only where the trusted re-check agrees, since the kernel
    ran student code and can be made to pass anything. An exercise the re-check could not judge keeps the kernel's
    points and is flagged for a person."""
    nb_points = float(determine_grade(cell)[0] or 0.0) if cell is not None else 0.0
    cause = failure_cause(cell, catalogue, counts) if cell is not None else "the test cell did not run"
    keys = check_keys(ex)
    failures = [trusted.failures[k] for k in keys if k in trusted.failures]
    unchecked = [k for k in keys if k in trusted.not_checked or k not in trusted.checked]
    if failures:
        cause = _with_call(cause, failures[0])
        if nb_points > 0:
            review.append(f"{ex.grade_id}: nbgrader passed it but the trusted re-check did not: {failures[0]}")
            cause = f"the trusted re-check failed: {failures[0]}"
        return ExerciseResult(ex.grade_id, ex.points, 0.0, Kind.AUTO, nb_points, Recheck.FAILED, cause or failures[0])
    if keys and not unchecked:
        return ExerciseResult(ex.grade_id, ex.points, nb_points, Kind.AUTO, nb_points, Recheck.AGREES, cause)
    if nb_points > 0:
        why = trusted.not_checked.get(unchecked[0], "no re-check") if unchecked else "no graded function"
        review.append(f"{ex.grade_id}: not re-checked ({why}); its points are the kernel's alone")
    return ExerciseResult(ex.grade_id, ex.points, nb_points, Kind.AUTO, nb_points, Recheck.NOT_CHECKED, cause)


def _with_call(cause: str, failure: str) -> str:
    """An exception the kernel's test met, told with the re-check's call when it raised the same type there: the
    function and its inputs' shapes (the grader's inputs), and the student's cell and line, e.g.
    "relu_forward(array(4, 3)) raised KeyError (cell 5, line 3)"."""
    raised = _RAISED.fullmatch(cause)
    if raised and failure.endswith(f" raised {raised['type']}"):
        return failure + (raised["where"] or "")
    return cause


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


def manual_exercises(source: SourceInfo, nb: NotebookNode) -> list[ExerciseResult]:
    """The written answers, unscored: awaiting a person, or not answered yet."""
    answered = written_answers(nb)
    return [
        ExerciseResult(
            gid,
            pts,
            None,
            Kind.MANUAL,
            cause="awaiting manual grading"
            if answered.get(gid)
            else "not answered yet (the cell still says YOUR ANSWER HERE)",
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
