"""One submitted notebook through the grader: a list of named steps, in the spirit of nbgrader's preprocessors.

    read -> identify -> inspect changes -> restore metadata -> start re-check -> autograde -> re-check -> merge

The re-check (a child process of its own) runs while nbgrader's kernel runs the notebook: neither reads the
other's result, and a job's time is then the longer of the two, not their sum.

Each step takes the `Grading` record and returns it; a step that finds the notebook cannot be graded stops the
list with a reason (every exercise 0). `bpcourse grade` runs `grade_one` in a process per job
(grader/grading/job_runner.py); `bpcourse check` runs the very same list (grader/student/check.py).
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import nbformat
from nbformat import NotebookNode
from nbgrader.utils import is_grade, is_solution, is_task

from grader.course.cells import is_test_cell
from grader.course.notebooks import grade_ids, read_notebook
from grader.course.sources import SourceInfo, catalogue_of, reference_namespace, reference_time
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
    """Everything known about one job so far; each step fills in its part."""

    job: GradingJob
    context: WorkerContext
    source: SourceInfo
    result: JobResult
    progress: Progress | None = None
    nb: NotebookNode | None = None  # the submitted notebook, as read
    student_cells: list[changes.StudentCell] = field(default_factory=list)
    kernel: KernelRun | None = None
    pending_recheck: Future | None = None
    trusted: TrustedResult | None = None
    stopped: bool = False
    started: float = field(default_factory=time.monotonic)

    def stop(self, reason: str) -> Grading:
        """Grade nothing more: every exercise 0 with `reason`, which also needs review."""
        self.result.review.append(reason)
        self.result.exercises = verdicts.all_failed(self.source, reason)
        self.stopped = True
        return self


Step = Callable[[Grading], Grading]


def _unreadable(err: Exception) -> str:
    """The grader's words for a notebook nbformat cannot read (never the file's own text)."""
    text = str(err)
    for words, reason in (
        ("is empty", "the file is empty"),
        ("not valid JSON", "the file is not valid JSON (damaged or cut off)"),
        ("not UTF-8", "the file is not UTF-8 text"),
        ("no 'cells'", "the file is JSON but not a Jupyter notebook"),
    ):
        if words in text:
            return f"unreadable notebook: {reason}"
    return "unreadable notebook: nbformat cannot read or validate it"


def read(g: Grading) -> Grading:
    """Read the notebook defensively; an nbformat 3 notebook is converted and flagged."""
    path = Path(g.job.path)
    try:
        version = json.loads(path.read_text(encoding="utf-8")).get("nbformat")
    except Exception:  # noqa: BLE001 - read_notebook below says what is wrong with it
        version = None
    try:
        if version == 3:  # read_notebook wants nbformat 4's 'cells'; nbformat converts a 3 itself
            g.nb = nbformat.reads(path.read_text(encoding="utf-8"), as_version=4)
            nbformat.validate(g.nb)
        else:
            g.nb = read_notebook(path)
    except Exception as err:  # noqa: BLE001 - CourseError, or anything nbformat did not anticipate
        return g.stop(_unreadable(err))
    replaced = make_valid(g.nb)[1]  # before the kernel, the re-check or nbgrader's checksum meets the text
    if replaced:
        g.result.review.append(replaced_reason(replaced))
    if version is not None and version != 4:
        g.result.review.append(f"notebook format {version} (converted to 4; check the conversion)")
    return g


def identify(g: Grading) -> Grading:
    """Is this a notebook of the assignment it was submitted for? Told by the grade ids it shares with each source."""
    ids = grade_ids(g.nb)
    overlaps = {key: len(ids & src_ids) for key, src_ids in all_source_ids(g.context.workspace).items()}
    assignment = g.job.assignment
    own = overlaps.get((assignment, g.job.notebook), 0)
    best_key, best = max(overlaps.items(), key=lambda kv: kv[1], default=(None, 0))
    if own == 0 and best > 0:
        return g.stop(f"this is a notebook of {best_key[0]} ({best_key[1]}), not of {assignment}")
    if own == 0:
        return g.stop(f"no graded cell of {assignment} in it (not a course notebook, or its cell metadata was removed)")
    if best_key and best > own and best_key[0] != assignment:
        return g.stop(f"this is mostly a notebook of {best_key[0]}, not of {assignment}")
    return g


def inspect_changes(g: Grading) -> Grading:
    """Flag what the student changed in the cells nbgrader owns."""
    source_nb = nbformat.read(g.source.path, as_version=4)
    release = g.context.workspace / "release" / g.job.assignment / f"{g.job.notebook}.ipynb"
    release_nb = nbformat.read(release, as_version=4) if release.exists() else None
    g.result.review += changes.inspect_changes(g.nb, source_nb, release_nb)
    return g


def restore_metadata(g: Grading) -> Grading:
    """Put the source's nbgrader metadata back, and find the student's code to re-check."""
    changes.restore_metadata(g.nb, nbformat.read(g.source.path, as_version=4))
    g.student_cells, notes = changes.student_solution_cells(g.nb, g.source)
    g.result.review += notes
    return g


def start_recheck(g: Grading) -> Grading:
    """Start the trusted re-check of the student's graded functions (collected by `recheck`). The solution runs here
    first, in this thread: it changes the working folder and the standard streams while it runs."""
    reference_namespace(g.source)
    catalogue_of(g.source)
    pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="recheck")
    settings = g.context.settings
    g.pending_recheck = pool.submit(trusted_check, g.source, g.student_cells, g.job.student, settings.recheck)
    pool.shutdown(wait=False)  # the thread ends with its one task
    return g


def run_autograde(g: Grading) -> Grading:
    """nbgrader's autograde in the guarded kernel."""
    g.kernel = autograde(g.nb, g.job, g.context, reference_time(g.source), g.progress)
    g.result.review += g.kernel.problems
    for refused in g.kernel.violations:
        g.result.flag_integrity(f"code {refused}")
    g.result.kernel_isolation = g.kernel.isolation
    return g


def recheck(g: Grading) -> Grading:
    """The re-check's result: the student's graded functions, run in its child, judged against the solution's own
    values."""
    g.trusted = g.pending_recheck.result()
    g.result.not_checked = g.trusted.not_checked
    g.result.isolation = g.trusted.isolation
    review = g.result.review
    for refused in g.trusted.violations:
        if f"code {refused}" not in review:
            g.result.flag_integrity(f"code {refused} (re-check)")
    review += [f"the re-check of the solution cells {g.trusted.crash}"] if g.trusted.crash else []
    if g.trusted.protocol:
        g.result.flag_integrity(g.trusted.protocol)
    if g.trusted.grader_errors:  # the grader's bug, not the student's: flagged, and graded again on the next run
        g.result.grader_error = g.trusted.grader_errors[0]
        review.append(f"{g.trusted.grader_errors[0]}: it is graded again on the next run")
    return g


def _executed_cells(executed: NotebookNode | None) -> tuple[dict[str, NotebookNode], dict[int, verdicts.CellPlace]]:
    """The first test cell of each grade id, and each execution count's place (heading, source)."""
    cells = executed.cells if executed is not None else []
    tests: dict[str, NotebookNode] = {}
    for cell in cells:
        if is_test_cell(cell):
            tests.setdefault(cell.metadata["nbgrader"]["grade_id"], cell)
    return tests, verdicts.cell_places(cells)


def merge(g: Grading) -> Grading:
    """Each exercise's verdict from both judges (grader/grading/verdicts.py), and the written answers."""
    executed = g.kernel.executed
    broken = verdicts.syntax_errors(executed) if executed is not None else {}
    function_cell = g.source.function_cell
    missing = {object_name(k): why for k, why in g.trusted.failures.items() if why.kind is Why.NOT_DEFINED}
    for name, why in sorted(missing.items()):
        if function_cell.get(name) in broken:  # a cell that does not parse is named in its exercise
            continue
        g.result.review.append(str(why) if why.detail else changes.missing_function_reason(name, g.student_cells))
    tests, places = _executed_cells(executed)
    catalogue = catalogue_of(g.source)
    specs = contract_for(g.source.assignment, g.source.path.stem)
    for ex in g.source.exercises:
        cell = tests.get(ex.grade_id)
        keys = check_keys(ex, specs)
        exercise = verdicts.verdict(ex, keys, cell, g.trusted, catalogue, places, g.result)
        unparsed = [broken[function_cell[f]] for f in ex.functions if function_cell.get(f) in broken]
        if unparsed and (exercise.points or 0.0) < exercise.max_points:
            exercise.cause = f"{unparsed[0]}: the cell never ran, so its functions are not defined; fix it first"
        if cell is not None and exercise.nbgrader_points == 0:
            cell.metadata[verdicts.CAUSE_KEY] = exercise.cause
        g.result.exercises.append(exercise)
    g.result.exercises += verdicts.manual_exercises(g.source, g.nb)
    return g


STEPS: tuple[Step, ...] = (
    read,
    identify,
    inspect_changes,
    restore_metadata,
    start_recheck,
    run_autograde,
    recheck,
    merge,
)


def grade_one(job: GradingJob, context: WorkerContext, progress: Progress | None = None) -> GradedNotebook:
    """Grade one submitted notebook through `STEPS` (in a worker process: the parent alone records the result)."""
    source = sources_of(context.workspace, job.assignment)[job.notebook]
    g = Grading(job, context, source, JobResult(job.student, job.assignment, job.notebook, job.fingerprint))
    g.progress = progress
    for step in STEPS:
        g = step(g)
        if g.stopped:
            break
    executed = g.kernel.executed if g.kernel is not None and not g.stopped else None
    if executed is not None:
        verdicts.strip_student_outputs(executed)
    g.result.seconds = time.monotonic() - g.started
    return _graded(g.result, executed)


def _graded(result: JobResult, executed: NotebookNode | None) -> GradedNotebook:
    """What goes back to the parent, in valid Unicode: the result, the executed notebook as nbformat JSON, and its
    scored cells alone (what nbgrader's SaveAutoGrades reads), so the parent never parses the whole notebook."""
    if make_valid(result)[1] and not any("not valid Unicode" in r for r in result.review):
        result.review.append(replaced_reason(1))
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
