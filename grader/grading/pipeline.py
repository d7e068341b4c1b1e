"""One submitted notebook through the grader: a list of named steps, in the spirit of nbgrader's preprocessors.

    read -> identify -> inspect changes -> restore metadata -> start re-check -> autograde -> re-check -> merge

The re-check (a child process of its own) runs while nbgrader's kernel runs the notebook: neither reads the
other's result, and a job's time is then the longer of the two, not their sum.

Each step takes the `Grading` record and what the steps before it produced, and returns what it produces (typed:
`_grade_steps` says who needs what); a step that finds the notebook cannot be graded raises `Stopped` with a reason
(every exercise 0). `bpcourse grade` runs `grade_one` in a process per job
(grader/grading/job_runner.py); `bpcourse check` runs the very same list (grader/student/check.py).
"""

from __future__ import annotations

import json
import time
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import nbformat
from nbformat import NotebookNode
from nbgrader.utils import is_grade, is_solution, is_task

from bp_helpers.i18n import course_lang
from grader.course.cells import is_test_cell
from grader.course.demos import demo_sources
from grader.course.i18n import student_lang
from grader.course.notebooks import grade_ids, read_notebook
from grader.course.sources import SourceInfo, catalogue_of, reference_namespace, reference_time
from grader.course.words import Words, phrase, say
from grader.grading import changes, verdicts
from grader.grading.autograde import KernelRun, Progress, autograde
from grader.grading.hidden_tests import strip_hidden_tests
from grader.grading.records import GradedNotebook, GradingJob, JobResult
from grader.grading.sanitize import sanitize_notebook
from grader.grading.valid_text import make_valid, replaced_reason, valid
from grader.grading.worker import WorkerContext, all_source_ids, sources_of
from grader.recheck.reasons import Why
from grader.recheck.specs import check_keys, contract_for, object_name
from grader.recheck.trusted_check import TrustedResult, trusted_check


@dataclass
class Grading:
    """What every step of one job has: the job, where it runs, its source notebook and the result being filled in.
    What a step produces (the notebook read, the student's cells, the kernel's run, the re-check) is its return
    value, passed on by `_grade_steps` to the steps that need it: no field is empty "until a step has run"."""

    job: GradingJob
    context: WorkerContext
    source: SourceInfo
    result: JobResult
    progress: Progress | None = None
    started: float = field(default_factory=time.monotonic)


class Stopped(Exception):
    """Raised by a step that finds the notebook cannot be graded: every exercise 0 with this reason, for review."""

    def __init__(self, reason: str | Words) -> None:
        super().__init__(str(reason))
        self.reason = reason  # `Words` when the student's language is known (the notebook was read)


def _unreadable(err: Exception) -> Words:
    """The grader's words for a notebook nbformat cannot read (never the file's own text)."""
    text = str(err)
    if "is empty" in text:
        return phrase("unreadable notebook: the file is empty")
    if "not valid JSON" in text:
        return phrase("unreadable notebook: the file is not valid JSON (damaged or cut off)")
    if "not UTF-8" in text:
        return phrase("unreadable notebook: the file is not UTF-8 text")
    if "no 'cells'" in text:
        return phrase("unreadable notebook: the file is JSON but not a Jupyter notebook")
    return phrase("unreadable notebook: nbformat cannot read or validate it")


def _lang_of_unreadable(raw: object) -> str:
    """The language to say why a notebook cannot be read in: its metadata's when the file is JSON that has one (a
    language the course has), else the course's (BPCOURSE_LANG), as `bpcourse check`'s first line."""
    try:
        if isinstance(raw, dict) and isinstance(raw.get("metadata"), dict):
            return student_lang(nbformat.from_dict({"metadata": raw["metadata"]}))
    except Exception:  # noqa: BLE001 - metadata of any shape: the course's language then
        pass
    return course_lang()


def read(g: Grading) -> NotebookNode:
    """Read the notebook defensively; an nbformat 3 notebook is converted and flagged."""
    path = Path(g.job.path)
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
        version = raw.get("nbformat")
    except Exception:  # noqa: BLE001 - read_notebook below says what is wrong with it
        raw, version = None, None
    try:
        if version == 3:  # read_notebook wants nbformat 4's 'cells'; nbformat converts a 3 itself
            nb = nbformat.reads(path.read_text(encoding="utf-8"), as_version=4)
            nbformat.validate(nb)
        else:
            nb = read_notebook(path)
    except Exception as err:  # noqa: BLE001 - CourseError, or anything nbformat did not anticipate
        g.result.lang = _lang_of_unreadable(raw)
        raise Stopped(_unreadable(err)) from None
    g.result.lang = student_lang(nb)
    replaced = make_valid(nb)[1]  # before the kernel, the re-check or nbgrader's checksum meets the text
    if replaced:
        g.result.add_review(replaced_reason(replaced))
    if version is not None and version != 4:
        g.result.add_review(phrase("notebook format {version} (converted to 4; check the conversion)",
                                   version=str(version)))
    return nb


def identify(g: Grading, nb: NotebookNode) -> None:
    """Is this a notebook of the assignment it was submitted for? Told by the grade ids it shares with each source."""
    ids = grade_ids(nb)
    overlaps = {key: len(ids & src_ids) for key, src_ids in all_source_ids(g.context.workspace).items()}
    assignment = g.job.assignment
    own = overlaps.get((assignment, g.job.notebook), 0)
    if own == 0 and not any(overlaps.values()):
        raise Stopped(phrase("no graded cell of {assignment} in it (not a course notebook, or its cell metadata was "
                             "removed)", assignment=assignment))
    (best_assignment, best_notebook), best = max(overlaps.items(), key=lambda kv: kv[1])
    if own == 0:
        raise Stopped(phrase("this is a notebook of {other} ({notebook}), not of {assignment}", other=best_assignment,
                             notebook=best_notebook, assignment=assignment))
    if best > own and best_assignment != assignment:
        raise Stopped(phrase("this is mostly a notebook of {other}, not of {assignment}", other=best_assignment,
                             assignment=assignment))


def inspect_changes(g: Grading, nb: NotebookNode) -> None:
    """Flag what the student changed in the cells nbgrader owns."""
    source_nb = nbformat.read(g.source.path, as_version=4)
    release = g.context.workspace / "release" / g.job.assignment / f"{g.job.notebook}.ipynb"
    release_nb = nbformat.read(release, as_version=4) if release.exists() else None
    for reason in changes.inspect_changes(nb, source_nb, release_nb):
        g.result.add_review(reason)


def restore_metadata(g: Grading, nb: NotebookNode) -> list[changes.StudentCell]:
    """Put the source's nbgrader metadata back, and find the student's code to re-check."""
    changes.restore_metadata(nb, nbformat.read(g.source.path, as_version=4))
    changes.leave_out_demos(nb, demo_sources(str(g.source.path)))
    student_cells, notes = changes.student_solution_cells(nb, g.source)
    for note in notes:
        g.result.add_review(note)
    return student_cells


def start_recheck(g: Grading, student_cells: list[changes.StudentCell]) -> Future[TrustedResult]:
    """Start the trusted re-check of the student's graded functions (collected by `recheck`). The solution runs here
    first, in this thread: it changes the working folder and the standard streams while it runs."""
    reference_namespace(g.source)
    catalogue_of(g.source)
    pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="recheck")
    settings = g.context.settings
    pending = pool.submit(trusted_check, g.source, student_cells, g.job.student, settings.recheck)
    pool.shutdown(wait=False)  # the thread ends with its one task
    return pending


def run_autograde(g: Grading, nb: NotebookNode) -> KernelRun:
    """nbgrader's autograde in the guarded kernel."""
    kernel = autograde(nb, g.job, g.context, reference_time(g.source), g.progress)
    for problem in kernel.problems:
        g.result.add_review(problem)
    for refused in kernel.violations:
        g.result.flag_integrity(f"code {refused}")
    g.result.kernel_isolation = kernel.isolation
    return kernel


def recheck(g: Grading, pending: Future[TrustedResult]) -> TrustedResult:
    """The re-check's result: the student's graded functions, run in its child, judged against the solution's own
    values."""
    trusted = pending.result()
    g.result.not_checked = {key: str(why) for key, why in trusted.not_checked.items()}  # the instructor's
    g.result.isolation = trusted.isolation
    review = g.result.review
    for refused in trusted.violations:
        if f"code {refused}" not in review:
            g.result.flag_integrity(f"code {refused} (re-check)")
    if trusted.crash:
        g.result.add_review(phrase("the re-check of the solution cells {how}", how=trusted.crash))
    if trusted.protocol:
        g.result.flag_integrity(trusted.protocol)
    if trusted.grader_errors:  # the grader's bug, not the student's: flagged, and graded again on the next run
        g.result.grader_error = str(trusted.grader_errors[0])
        g.result.add_review(phrase("{why}: it is graded again on the next run", why=trusted.grader_errors[0]))
    return trusted


def _executed_cells(executed: NotebookNode | None) -> tuple[dict[str, NotebookNode], dict[int, verdicts.CellPlace]]:
    """The first test cell of each grade id, and each execution count's place (heading, source)."""
    cells = executed.cells if executed is not None else []
    tests: dict[str, NotebookNode] = {}
    for cell in cells:
        if is_test_cell(cell):
            tests.setdefault(cell.metadata["nbgrader"]["grade_id"], cell)
    return tests, verdicts.cell_places(cells)


def merge(
    g: Grading, nb: NotebookNode, kernel: KernelRun, trusted: TrustedResult, student_cells: list[changes.StudentCell]
) -> None:
    """Each exercise's verdict from both judges (grader/grading/verdicts.py), and the written answers."""
    executed = kernel.executed
    broken = verdicts.syntax_errors(executed) if executed is not None else {}
    function_cell = g.source.function_cell
    missing = {object_name(k): why for k, why in trusted.failures.items() if why.kind is Why.NOT_DEFINED}
    for name, why in sorted(missing.items()):
        if function_cell.get(name) in broken:  # a cell that does not parse is named in its exercise
            continue
        g.result.add_review(str(why) if why.detail else changes.missing_function_reason(name, student_cells))
    tests, places = _executed_cells(executed)
    catalogue = catalogue_of(g.source)
    specs = contract_for(g.source.assignment, g.source.path.stem)
    for ex in g.source.exercises:
        cell = tests.get(ex.grade_id)
        keys = check_keys(ex, specs)
        exercise = verdicts.verdict(ex, keys, cell, trusted, catalogue, places, g.result)
        unparsed = [broken[function_cell[f]] for f in ex.functions if function_cell.get(f) in broken]
        ended = [kernel.left_out[function_cell[f]] for f in ex.functions if function_cell.get(f) in kernel.left_out]
        if unparsed and (exercise.points or 0.0) < exercise.max_points:
            exercise.cause = say(g.result.lang, "{error}: the cell never ran, so its functions are not defined; fix it "
                                 "first", error=unparsed[0])
        elif ended and (exercise.points or 0.0) < exercise.max_points:
            exercise.cause = ended[0]  # its own cell ended the kernel: that, not a NameError of the run without it
        if cell is not None and exercise.nbgrader_points == 0:
            cell.metadata[verdicts.CAUSE_KEY] = exercise.cause
        g.result.exercises.append(exercise)
    g.result.exercises += verdicts.manual_exercises(g.source, nb, g.result.lang)


def _grade_steps(g: Grading) -> NotebookNode | None:
    """The steps in order, each given what it needs; the notebook as the kernel ran it (None if it never ran)."""
    nb = read(g)
    identify(g, nb)
    inspect_changes(g, nb)
    student_cells = restore_metadata(g, nb)
    pending = start_recheck(g, student_cells)  # runs beside the kernel
    kernel = run_autograde(g, nb)
    merge(g, nb, kernel, recheck(g, pending), student_cells)
    return kernel.executed


def grade_one(job: GradingJob, context: WorkerContext, progress: Progress | None = None) -> GradedNotebook:
    """Grade one submitted notebook through its steps (in a worker process: the parent alone records the result)."""
    source = sources_of(context.workspace, job.assignment)[job.notebook]
    g = Grading(job, context, source, JobResult(job.student, job.assignment, job.notebook, job.fingerprint), progress)
    try:
        executed = _grade_steps(g)
    except Stopped as stop:  # grade nothing more: every exercise 0 with the reason, which also needs review
        g.result.add_review(stop.reason)
        g.result.exercises = verdicts.all_failed(g.source, g.result.for_student(str(stop.reason)))
        executed = None
    if executed is not None:
        verdicts.strip_student_outputs(executed)
    g.result.seconds = time.monotonic() - g.started
    return _graded(g.result, executed)


def _graded(result: JobResult, executed: NotebookNode | None) -> GradedNotebook:
    """What goes back to the parent, in valid Unicode: the result, the executed notebook as nbformat JSON, and its
    scored cells alone (what nbgrader's SaveAutoGrades reads), so the parent never parses the whole notebook."""
    if make_valid(result)[1] and not any("not valid Unicode" in r for r in result.review):
        result.add_review(replaced_reason(1))
    if executed is None:
        return GradedNotebook(result)
    # The one place the notebook stored in autograded/ is made: whatever must be done to it (sanitizing what a
    # person's browser will render) is done here, in the worker, before it is serialized.
    scored = nbformat.v4.new_notebook()
    scored.nbformat_minor = executed.get("nbformat_minor", scored.nbformat_minor)  # the same schema: ids or none
    scored.cells = [c for c in executed.cells if is_grade(c) or is_solution(c) or is_task(c)]
    scored_text = valid(nbformat.writes(scored))  # as run: SaveAutoGrades scores the test cells' own outputs
    # Inert rendering (issue 21): formgrader and generate_feedback render the stored notebook on the instructor's
    # origin; nothing of the student's may run there.
    sanitize_notebook(executed)
    # No hidden test in it (issue 29): `nbgrader generate_feedback` renders it as the page a student is sent.
    strip_hidden_tests(executed)
    return GradedNotebook(result, valid(nbformat.writes(executed)), scored_text)
