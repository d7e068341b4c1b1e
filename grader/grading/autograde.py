"""nbgrader's autograde of one notebook, in the guarded kernel (grader/sandboxed/kernel_guard.py), in a job folder
of its own (grader/grading/job_kernel.py). What comes back is the executed notebook and the grader's own sentences
about the run; the kernel's outputs are read later only to lower a score (grader/grading/verdicts.py).
"""

from __future__ import annotations

import copy
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import nbformat
from nbclient.exceptions import DeadKernelError
from nbformat import NotebookNode
from nbgrader.preprocessors import (
    CheckCellMetadata,
    ClearOutput,
    DeduplicateIds,
    Execute,
    LimitOutput,
    OverwriteCells,
    OverwriteKernelspec,
)

import bp_helpers
from grader.course.cells import grade_id, is_test_cell
from grader.course.i18n import student_lang
from grader.course.messages import describe_refusal, printable
from grader.course.nbgrader_config import sqlite_url
from grader.course.words import Words, phrase, say
from grader.grading.changes import SKIP_TAG
from grader.grading.job_kernel import (
    GradingKernelManager,
    GuardChannel,
    JobFolders,
    Watchdog,
    copy_regular_files,
    kernel_config,
    notebook_budget,
)
from grader.grading.records import GradingJob, Settings
from grader.grading.verdicts import cell_label, cell_place
from grader.grading.worker import WorkerContext
from grader.grading.workspace import KERNEL_NAME, state_dir
from grader.recheck.specs import needs_frameworks
from grader.sandboxed import scratch_fs
from grader.sandboxed.kernel_guard import ISOLATION_PREFIX

MAX_STREAM_CHARS = 100_000
log = logging.getLogger(__name__)
Progress = Callable[[int, int], None]  # (index of the cell starting, cell count)


@dataclass
class KernelRun:
    """What autograde gives: the executed notebook (None when nbgrader could not run it) and the grader's words."""

    executed: NotebookNode | None
    # needs-review reasons (timeouts, a dead kernel, ...): `Words` where the student reads them too
    problems: list[str | Words] = field(default_factory=list)
    violations: list[str] = field(default_factory=list)  # refusals of the kernel's guard, in the grader's words
    isolation: str = ""  # how the kernel was isolated ("on: Landlock ABI 7 ...", or "off: why")
    ended_at: int | None = None  # the number of the cell during which the kernel died, when it did
    left_out: dict[str, str] = field(default_factory=dict)  # grade id of a cell that ended the kernel -> why
    lang: str = "en"  # the notebook's language: the words a student reads in its outputs (grader/course/words.py)


def bp_helpers_dir() -> Path:
    """The course's student helpers, the one part of the checkout the kernel may read."""
    return Path(bp_helpers.__file__).resolve().parent


def _job_folders(job: GradingJob, setup: WorkerContext) -> JobFolders:
    """The job's folders, with the files a notebook may read beside it, as in nbgrader's autograded/ folder: the
    student's files (04b reads 04a), then the source's non-notebook files on top; regular files only, no links."""
    state = state_dir(setup.workspace)
    folders = JobFolders.create(state / "scratch", job.student, state / "mplconfig")
    copy_regular_files(Path(job.path).parent, folders.work, skip_notebooks=False)
    copy_regular_files(setup.workspace / "source" / job.assignment, folders.work, skip_notebooks=True)
    return folders


def _resources(job: GradingJob, setup: WorkerContext, workdir: Path) -> dict:
    nbgrader = {"db_url": sqlite_url(setup.snapshot_db), "assignment": job.assignment}
    nbgrader |= {"notebook": job.notebook, "student": job.student}
    return {"nbgrader": nbgrader, "metadata": {"path": str(workdir)}}


def _sanitize(nb: NotebookNode, resources: dict) -> NotebookNode:
    """nbgrader's preprocessors before execution (outputs cleared, the source's cells put back where they belong)."""
    for pp in (ClearOutput(), DeduplicateIds(), OverwriteKernelspec(), OverwriteCells(add_missing_cells=True)):
        nb, resources = pp.preprocess(nb, resources)
    nb, _ = CheckCellMetadata().preprocess(nb, resources)
    return nb


def _kernel_never_started(err: Exception) -> bool:
    """nbclient's errors for a kernel that died or hung before its first reply (before any cell ran)."""
    text = str(err)
    return isinstance(err, RuntimeError) and ("kernel_info" in text or "didn't respond" in text)


def _on_cell(watchdog: Watchdog, count: int, progress: Progress | None):
    def started(cell=None, cell_index: int | None = None, **_) -> None:
        watchdog.cell_started(cell=cell, cell_index=cell_index)
        if progress is not None and cell_index is not None:
            progress(cell_index, count)

    return started


def _cut_short(nb: NotebookNode, index: int | None, lang: str) -> None:
    """The test cell that was running when execution stopped did not finish: it fails. (Cut short, it has no error
    output, and nbgrader scores a test cell without one as passed.)"""
    cell = nb.cells[index] if index is not None and 0 <= index < len(nb.cells) else None
    if cell is not None and is_test_cell(cell) and not any(o.get("output_type") == "error" for o in cell.outputs):
        why = say(lang, "the test did not finish: the kernel stopped while it ran")
        cell.outputs.append(nbformat.v4.new_output("error", ename="NotRun", evalue=why, traceback=[]))


MAX_SKIPPED_CELLS = 2  # cells that ended the kernel, each left out of one more run: later exercises still run
SKIPPED_SOURCE = "# left out by the grader: this cell ended the kernel in an earlier run\n"


def _execute(nb, resources, executor: Execute, watchdog: Watchdog, outcome: KernelRun) -> NotebookNode:
    """Run the notebook. A kernel that never answered is started once more (no cell ran: not the student's doing).
    A cell during which the kernel died (os._exit, a crash) is left out of a fresh run, so that only the exercises
    whose code ran into it lose points (issue 26); not when the watchdog stopped the notebook for its budget (a
    fresh run would spend it again), and for at most MAX_SKIPPED_CELLS cells."""
    skipped: dict[int, list] = {}  # cell index -> its outputs until the kernel died
    never_started_retry = True
    while True:
        run = copy.deepcopy(nb)  # Execute fills outputs in place: each run starts from the clean notebook
        for left_out in skipped:
            run.cells[left_out].source = SKIPPED_SOURCE
        try:
            run, _ = executor.preprocess(run, resources)
        except DeadKernelError:
            index = watchdog.cell
            where = cell_place(run.cells, index) if index is not None else phrase("the notebook")
            outcome.problems.append(watchdog.why_dead() or phrase(
                "the kernel died while running {cell} (it ended itself or ran out of memory)", cell=where))
            if index is not None and index not in skipped and watchdog.over_budget is None:
                if len(skipped) < MAX_SKIPPED_CELLS:
                    skipped[index] = list(run.cells[index].outputs)
                    continue
            outcome.ended_at = index + 1 if index is not None else None
            _cut_short(run, index, outcome.lang)
        except Exception as err:
            if never_started_retry and not skipped and _kernel_never_started(err):
                never_started_retry = False
                continue
            outcome.problems.append(watchdog.why_dead() or phrase(
                "the notebook could not be run ({error})", error=type(err).__name__))
            _cut_short(run, watchdog.cell, outcome.lang)
        return _with_skipped_cells(run, nb, skipped, outcome)


def _with_skipped_cells(run: NotebookNode, nb: NotebookNode, skipped: dict[int, list], outcome: KernelRun):
    """The cells left out of the last run as the student wrote them, with what they printed before the kernel died
    and an error saying so (a test cell among them fails: it never finished); `outcome.left_out` names each."""
    for index, outputs in skipped.items():
        cell = run.cells[index]
        cell.source = nb.cells[index].source
        why = say(outcome.lang, "{cell} ended the kernel; the grader ran the notebook again without it",
                  cell=cell_label(run.cells, index, outcome.lang))
        cell.outputs = [*outputs, nbformat.v4.new_output("error", ename="NotRun", evalue=why, traceback=[])]
        gid = grade_id(cell)
        if gid:
            outcome.left_out[gid] = why
    return run


def _guard_report(channel: GuardChannel, folders: JobFolders, run: KernelRun, student: str) -> None:
    """The guard channel's refusals and the scratch folder's state, in the grader's words."""
    lines, closed_early = channel.close()
    if closed_early and not run.problems:
        run.problems.append(phrase("the notebook's code closed the grader's guard channel"))
    scratch = folders.scratch_report()
    run.problems += [scratch] if scratch else []
    isolation = [line.removeprefix(ISOLATION_PREFIX) for line in lines if line.startswith(ISOLATION_PREFIX)]
    run.isolation = f"{isolation[0]}; {scratch_fs.isolation_note()}" if isolation else ""
    refused = [describe_refusal(line) for line in lines if line and not line.startswith(ISOLATION_PREFIX)]
    run.violations = list(dict.fromkeys(refused))
    for line in lines:
        log.debug("kernel guard of %s: %s", student, printable(line))


def _tidy_outputs(nb: NotebookNode, run: KernelRun, settings: Settings, cpu_stopped: bool) -> None:
    """Cut huge streams, name cells that ran out of memory or time, mark test cells that never ran, and keep a
    warning on stderr from costing a passing test its points."""
    timed_out, out_of_memory = [], []
    for number, cell in enumerate(nb.cells, start=1):
        if cell.cell_type != "code":
            continue
        for output in cell.outputs:  # LimitOutput counts lines; one huge line is cut here
            if output.get("output_type") == "stream" and len(output.get("text", "")) > MAX_STREAM_CHARS:
                output["text"] = output["text"][:MAX_STREAM_CHARS] + "\n... output truncated by the grader ..."
        errors = [o for o in cell.outputs if o.get("output_type") == "error"]
        names = {o.get("ename") for o in errors}
        out_of_memory += [number] if "MemoryError" in names else []
        timed_out += [number] if names & {"CellTimeoutError", "KeyboardInterrupt"} else []
        if is_test_cell(cell) and cell.get("execution_count") is None and not cell.outputs:
            if run.ended_at:
                ended = cell_label(nb.cells, run.ended_at - 1, run.lang)
                stopped = say(run.lang, "{cell} ended the kernel", cell=ended)
            else:
                stopped = say(run.lang, "an earlier cell stopped the kernel")
            why = say(run.lang, "the test did not run: {why}", why=stopped)
            cell.outputs.append({"output_type": "error", "ename": "NotRun", "evalue": why, "traceback": []})
        elif is_test_cell(cell) and not errors:
            for output in cell.outputs:
                if output.get("output_type") == "stream" and output.get("name") == "stderr":
                    output["name"] = "stdout"
    if out_of_memory:
        run.problems += [phrase("{cell}: ran out of memory (MemoryError)", cell=cell_place(nb.cells, n - 1))
                         for n in out_of_memory]
    if timed_out and not cpu_stopped:  # the watchdog stopped them for CPU time and said so already
        run.problems += [phrase("{cell}: ran past the {seconds} s limit (an infinite loop?)",
                                cell=cell_place(nb.cells, n - 1), seconds=str(settings.cell_timeout))
                         for n in timed_out]


def autograde(
    nb: NotebookNode, job: GradingJob, setup: WorkerContext, reference_seconds: float, progress: Progress | None = None
) -> KernelRun:
    """nbgrader's sanitize and autograde preprocessors on `nb` in a job folder that is removed afterwards."""
    folders = _job_folders(job, setup)
    try:
        resources = _resources(job, setup, folders.work)
        try:
            nb = _sanitize(nb, resources)
        except Exception as err:  # noqa: BLE001 - nbgrader's own refusal of the notebook, reported
            return KernelRun(None, [f"nbgrader could not prepare the notebook ({type(err).__name__})"])
        lang = student_lang(nb)
        config = kernel_config(setup.settings, folders, [str(bp_helpers_dir())], setup.deny, lang)
        channel = GuardChannel(folders.private / "channel")
        watchdog = Watchdog(
            setup.settings.cell_cpu_seconds, notebook_budget(setup.settings, reference_seconds), folders=folders
        )
        executor = Execute(
            timeout=setup.settings.cell_timeout,
            kernel_name=KERNEL_NAME,
            extra_arguments=["--HistoryManager.hist_file=:memory:", "--IPKernelApp.log_level=ERROR"],
            startup_timeout=60,
            shutdown_kernel="immediate",  # no graceful wait: the kernel holds nothing worth keeping
            skip_cells_with_tag=SKIP_TAG,  # the release's demo cells (grader/course/demos.py), no student's tag
            kernel_manager_class=GradingKernelManager.for_job(config, needs_frameworks(job.assignment, job.notebook)),
            on_cell_execute=_on_cell(watchdog, len(nb.cells), progress),
            on_notebook_start=watchdog.attach,
            on_notebook_complete=channel.notebook_finished,
        )
        watchdog.executor = executor
        watchdog.label = lambda index: cell_place(nb.cells, index)  # nb's cells: the same list nbclient runs
        run = KernelRun(None, lang=lang)
        executed = _execute(nb, resources, executor, watchdog, run)
        watchdog.stop()
        run.problems += watchdog.cpu_reports()
        executed, _ = LimitOutput().preprocess(executed, resources)
        _guard_report(channel, folders, run, job.student)
        _tidy_outputs(executed, run, setup.settings, cpu_stopped=bool(watchdog.interrupted))
        run.executed = nbformat.from_dict(executed)
        return run
    finally:
        folders.remove()

