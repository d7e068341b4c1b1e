"""`bpcourse grade`: grade a class with real nbgrader, in parallel, re-checked outside the students' kernels.

`run_grade` collects the submissions (grader/grading/intake.py), prepares the workspace (grader/grading/workspace.py),
sorts them into problems, results kept from an earlier run and jobs (`GradingJob`), and hands the jobs to an executor
(grader/grading/executors.py: forked processes here, or a Dask cluster). Each job runs the per-notebook pipeline
(grader/grading/pipeline.py: read, identify, inspect changes, restore metadata, autograde in the guarded kernel,
re-check, merge) and sends back a `GradedNotebook`. The parent, alone, records each as it comes back
(grader/grading/journal.py: the gradebook, the autograded notebook, the feedback HTML and a journal entry), then writes
the class CSV and prints the summary (grader/grading/report.py).

The journal (`.bpcourse/results/<assignment>/<student>/<notebook>.json`, written last and atomically) makes a killed
run resumable: a job whose submission, source, grader settings and grader code are unchanged is not graded again.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import sys
import time
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path

from tqdm.auto import tqdm

from grader.errors import CourseError
from grader.grading import lateness
from grader.grading.executors import DaskCluster, LocalPool
from grader.grading.intake import cleanup, collect, flag_oversized, print_intake, write_intake_report
from grader.grading.journal import class_results, job_fingerprint, journal_path, problem_result, record
from grader.grading.names import shown
from grader.grading.pipeline import grade_one
from grader.grading.records import GradedNotebook, GradingJob, JobResult, Settings
from grader.grading.report import print_summary, write_csv
from grader.grading.safe_files import open_regular
from grader.grading.sources import catalogue_of, reference_namespace
from grader.grading.submissions import Layout, Submission
from grader.grading.worker import WorkerContext, all_source_ids, init_worker, sources_of
from grader.grading.workspace import kernel_deny_list, prepare_workspace, state_dir, write_kernelspec

log = logging.getLogger(__name__)


def _stage(sub: Submission, workspace: Path) -> Path:
    """Copy a submission into `submitted/<student>/<assignment>/<notebook>.ipynb` (nbgrader's layout).

    The bytes copied are read from a descriptor opened without following links, and must be a regular file's;
    the folders and the file written are never links either (a link found there is replaced)."""

    target = workspace / "submitted" / sub.student / str(sub.assignment) / f"{sub.notebook}.ipynb"
    try:
        fd = open_regular(sub.path)
    except OSError as err:
        raise CourseError(f"{shown(str(sub.path))}: changed while grading ({err.strerror}); grade again.") from None
    with os.fdopen(fd, "rb") as src:
        here = os.fstat(src.fileno())
        try:
            there = target.lstat()
            if (there.st_dev, there.st_ino) == (here.st_dev, here.st_ino):
                return target  # grading the workspace's own submitted/ tree
        except FileNotFoundError:
            pass
        folder = workspace
        for part in ("submitted", sub.student, str(sub.assignment)):
            folder = folder / part
            if folder.is_symlink():  # each level a real folder: a link there is removed, never followed
                folder.unlink()
            folder.mkdir(exist_ok=True)
        tmp = folder / f".{sub.notebook}.ipynb.staging"
        tmp.unlink(missing_ok=True)
        with os.fdopen(os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o644), "wb") as dst:
            shutil.copyfileobj(src, dst)
        os.replace(tmp, target)  # replaces a link at `target` itself, never what it points to
    _stage_exchange_files(sub.path.parent, target.parent)
    return target


EXCHANGE_FILES = ("timestamp.txt", "submission_secret.txt")  # nbgrader's release_feedback needs them beside it


def _stage_exchange_files(source: Path, target: Path) -> None:
    """Copy nbgrader's exchange files of a collected submission (regular files only) beside the staged notebook."""
    for name in EXCHANGE_FILES:
        if source.resolve() == target.resolve() or not (source / name).is_file():
            continue
        try:
            with os.fdopen(open_regular(source / name), "rb") as src:
                data = src.read(4096)
        except OSError:
            continue
        (target / name).unlink(missing_ok=True)
        (target / name).write_bytes(data)


def _with_intake_flags(result: JobResult, sub: Submission) -> JobResult:
    """The result with intake's needs-review reasons first (an id collision, an odd submitted name)."""
    result.review[:0] = [r for r in sub.review if r not in result.review]
    return result


def _prepare_in_parent(todo: list[tuple[Submission, GradingJob]], workspace: Path) -> None:
    """Read each source and execute each solution notebook once, here: every job's process inherits them."""
    for _, job in todo:
        source = sources_of(workspace, job.assignment)[job.notebook]
        reference_namespace(source)
        catalogue_of(source)


@dataclass
class GradeSummary:
    """What `run_grade` did: every graded notebook's result, where the CSV is, and how long it took."""

    results: list[JobResult]
    csv: Path
    seconds: float
    reused: int  # results kept from an earlier, interrupted run
    graded: int  # notebooks graded in this run
    workers: int


@dataclass
class _Plan:
    """The submissions sorted out: results already known (problems, reused) and the jobs to grade."""

    results: list[JobResult] = field(default_factory=list)
    todo: list[tuple[Submission, GradingJob]] = field(default_factory=list)
    reused: int = 0


def _latest(found: list[Submission]) -> tuple[dict[tuple[str, str, str], Submission], dict[tuple, int]]:
    """One submission per (student, assignment, notebook): the last file name wins; and how many there were."""
    latest: dict[tuple[str, str, str], Submission] = {}
    several: dict[tuple[str, str, str], int] = {}
    for sub in found:
        key = (sub.student, str(sub.assignment), str(sub.notebook or sub.path.stem))
        several[key] = several.get(key, 0) + 1
        latest[key] = sub  # sorted input: the last file name wins
    return latest, several


def _journalled(workspace: Path, sub: Submission, fingerprint: str) -> JobResult | None:
    """An earlier run's result for this very job (same fingerprint), if its journal entry can be read."""
    journal = journal_path(workspace, sub.assignment, sub.student, str(sub.notebook))
    if not journal.exists():
        return None
    try:
        previous = JobResult.from_dict(json.loads(journal.read_text(encoding="utf-8")))
    except Exception as err:  # noqa: BLE001 - a damaged entry is graded again, and said so
        log.warning("the journal entry %s cannot be read (%s): grading again", journal, type(err).__name__)
        return None
    return previous if previous.fingerprint == fingerprint else None


def _plan(found: list[Submission], workspace: Path, settings: Settings) -> _Plan:
    """Sort the submissions into problems (reported, never run), reused results and jobs."""
    plan = _Plan()
    latest, several = _latest(found)
    for key, sub in sorted(latest.items()):
        fingerprint = job_fingerprint(sub, workspace, settings)
        if sub.problem or sub.assignment is None:
            result = _with_intake_flags(problem_result(sub, workspace, fingerprint), sub)
            if result.assignment != "?":
                record(workspace, result, None)
            plan.results.append(result)
            continue
        previous = _journalled(workspace, sub, fingerprint)
        if previous is not None:
            plan.results.append(_with_intake_flags(previous, sub))
            plan.reused += 1
            continue
        staged = _stage(sub, workspace)
        job = GradingJob(sub.student, sub.assignment, sub.notebook, str(staged), fingerprint, several[key])
        plan.todo.append((sub, job))
    return plan


def _collected(submissions: Path, workspace: Path, assignment: str | None, settings: Settings, layout, due):
    """The submissions found (intake, its roster and due dates kept in the workspace), and the folders the kernels
    may never read."""
    known = prepare_workspace(workspace)
    state = state_dir(workspace)
    unknown = sorted(set(due) - set(known))
    if unknown:
        raise CourseError(f"--due names {', '.join(unknown)}: the workspace has {', '.join(known)}.")
    lateness.save_due(state, due)
    dues = lateness.due_dates(workspace, state)
    intake = collect(Path(submissions), known, all_source_ids(workspace), assignment, layout=layout, state=state,
                     dues=dues)
    found = intake.found
    origins = {str(Path(submissions).resolve())} | {str(sub.path.resolve().parent) for sub in found}
    write_kernelspec(workspace)
    flag_oversized(found, settings.max_notebook_bytes)  # flagged, never run
    lateness.record_times(workspace, found)  # nbgrader's submission timestamps, before any grade is recorded
    return intake, tuple(kernel_deny_list(workspace, sorted(origins)))


def _recorder(workspace: Path, todo, results: list[JobResult], bar):
    """The parent's `finish(job, graded, error)`: records each job's result as it comes back."""
    submission = {id(job): sub for sub, job in todo}

    def finish(job: GradingJob, graded: GradedNotebook | None, error: str | None) -> None:
        sub = submission[id(job)]
        if graded is None:
            sub.problem = f"the grader failed on this notebook ({error})"
            graded = GradedNotebook(problem_result(sub, workspace, job.fingerprint))
        result = _with_intake_flags(graded.result, sub)
        if job.several > 1:
            result.notes.append(f"{job.several} notebooks submitted for {job.assignment}: the last one was graded")
        record(workspace, result, graded.executed)
        if sub.late:
            lateness.apply_late_penalty(workspace, result.student, result.assignment, result.notebook)
        results.append(result)
        bar.update(1)

    return finish


def run_grade(
    submissions: Path,
    workspace: Path,
    assignment: str | None = None,
    jobs: int | None = None,
    *,
    progress: bool = True,
    settings: Settings | None = None,
    out=None,
    scheduler: str | None = None,
    layout: Layout | str = Layout.AUTO,
    due: list[str] | None = None,
) -> GradeSummary:
    """Grade every submission under `submissions` into `workspace`, print the summary and return it."""
    settings = settings or Settings()
    started = time.monotonic()
    workspace = Path(workspace).resolve()
    if not Path(submissions).exists():
        raise CourseError(f"{submissions}: no such file or folder; give the submissions folder or zip.")
    dues = lateness.parse_due(due or [])
    intake, deny = _collected(Path(submissions), workspace, assignment, settings, layout, dues)
    report = write_intake_report(workspace, intake)
    plan = _plan(intake.found, workspace, settings)
    (state_dir(workspace) / "scratch").mkdir(parents=True, exist_ok=True)
    snapshot = state_dir(workspace) / "gradebook-snapshot.db"
    shutil.copyfile(workspace / "gradebook.db", snapshot)
    ctx = WorkerContext(workspace, snapshot, settings, deny)
    workers = max(1, min(jobs or os.cpu_count() or 1, len(plan.todo) or 1))
    bar = tqdm(total=len(plan.todo), desc="grading", unit="nb", disable=not progress, file=sys.stderr)
    finish = _recorder(workspace, plan.todo, plan.results, bar)
    if scheduler:
        executor = DaskCluster(scheduler, settings.job_seconds, settings)
    else:
        _prepare_in_parent(plan.todo, workspace)
        executor = LocalPool(partial(_work, ctx), workers, settings.job_seconds)
    try:
        executor.run([job for _, job in plan.todo], finish)
    finally:
        bar.close()
        cleanup()  # an unpacked zip: every notebook was copied into submitted/ first
    results = sorted(plan.results, key=lambda r: (r.student, r.assignment, r.notebook))
    csv_path = write_csv(workspace, class_results(workspace, results))
    seconds = time.monotonic() - started
    summary = GradeSummary(results, csv_path, seconds, plan.reused, len(plan.todo), workers)
    print_summary(summary, out or sys.stdout)
    print_intake(intake, report, out or sys.stdout)
    return summary


def _work(ctx: WorkerContext, job: GradingJob) -> GradedNotebook:
    """One job, in its own forked process (grader/grading/job_runner.py)."""
    init_worker(ctx)
    return grade_one(job, ctx)
