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

import errno
import json
import logging
import os
import shutil
import sys
import time
from contextlib import ExitStack
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path

from tqdm.auto import tqdm

from grader.course.demos import demo_sources
from grader.course.messages import printable, safe_identifier
from grader.course.notebooks import Structure, measure_structure
from grader.course.sources import catalogue_of, reference_namespace, reference_time, solution_failures
from grader.course.words import English, english, phrase, words_of
from grader.errors import CourseError
from grader.grading import lateness, roster
from grader.grading.cluster_keys import check_scheduler_address, load_keys
from grader.grading.executors import DaskCluster, LocalPool, grade_job
from grader.grading.intake import cleanup, collect, flag_oversized, print_intake, write_intake_report
from grader.grading.journal import class_results, job_basis, job_fingerprint, journal_path, problem_result, record
from grader.grading.kernel_forks import forking_kernels
from grader.grading.names import shown
from grader.grading.records import Basis, GradedNotebook, GradingJob, JobResult, Settings
from grader.grading.regrade import Confirm, Regrade, change, explain, moved
from grader.grading.report import print_summary, write_csv
from grader.grading.safe_files import open_regular
from grader.grading.submissions import Layout, Submission
from grader.grading.worker import WorkerContext, all_source_ids, sources_of
from grader.grading.workspace import edition_lang, kernel_deny_list, prepare_workspace, state_dir, write_kernelspec
from grader.recheck.specs import needs_frameworks
from grader.recheck.trusted_check import unfit_checks

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
    """The result with intake's needs-review reasons first (an id collision, an odd submitted name, several files for
    one notebook); a `Words` one is kept in the student's language too (`JobResult.said`)."""
    later = list(result.review)
    result.review.clear()
    for reason in sub.review:
        result.add_review(reason)
        if (private := roster.for_student(str(reason))) is not None:  # it names classmates: not on the student's page
            result.said[str(reason)] = private.render(result.lang)
    result.review += [r for r in later if r not in result.review]
    return result


def _environment_problems(todo: list[tuple[Submission, GradingJob]], workspace: Path) -> dict[tuple[str, str], str]:
    """(assignment, notebook) -> why it cannot be graded with this environment: a cell of its solution fails here,
    or a graded function cannot be re-checked (a framework not installed, a spec that does not fit), so the expected
    values cannot all be computed. Checked in the parent, which computes every expected value, before any job runs."""
    problems: dict[tuple[str, str], str] = {}
    for key in sorted({(job.assignment, job.notebook) for _, job in todo}):
        source = sources_of(workspace, key[0])[key[1]]
        failures = solution_failures(source) + [f"{name}: {why}" for name, why in unfit_checks(source).items()]
        if failures:
            problems[key] = english(
                "grader environment: {notebook} cannot be graded here ({why}); install what it needs on the grading "
                "machine (for 04f: pip install -c constraints.txt -e '.[frameworks]') and grade again",
                notebook=key[1], why=printable(failures[0], 200),
            )
    return problems


def _hold_back(plan: _Plan, workspace: Path) -> None:
    """Take out of the plan every job the environment cannot grade: each becomes its student's flagged row, not
    journalled (graded by the next run), never a grade against the student."""
    problems = _environment_problems(plan.todo, workspace)
    if not problems:
        return
    kept = []
    for sub, job in plan.todo:
        why = problems.get((job.assignment, job.notebook))
        if why is None:
            kept.append((sub, job))
        else:
            plan.results.append(_unrecorded(sub, workspace, why, "grader environment"))
    plan.todo = kept


def default_workers() -> int:
    """One job more than the cores: a job's process waits while its kernel starts and answers, and the extra job
    fills those gaps (on 2 cores, 48 notebooks: 45.9 s with 2 workers, 41.6 s with 3, 40.0 s with 4; one more than
    the cores keeps the memory of a laptop's many-core class in reach)."""
    return (os.cpu_count() or 1) + 1


def _prepare_job(workspace: Path, job: GradingJob) -> None:
    """Just before a job's process is forked, here: its source read, its solution executed, its demo cells found,
    once per notebook (cached), so that every job's process inherits them. Done job by job rather than all first,
    so this process prepares the next notebook while the first jobs run."""
    source = sources_of(workspace, job.assignment)[job.notebook]
    reference_namespace(source)
    catalogue_of(source)
    demo_sources(str(source.path))


def _longest_first(todo: list[tuple[Submission, GradingJob]], workspace: Path) -> list[GradingJob]:
    """The jobs, those whose solution took longest here first: a long job started last would end the run alone."""
    notebooks = {(job.assignment, job.notebook) for _, job in todo}
    seconds = {key: reference_time(sources_of(workspace, key[0])[key[1]]) for key in notebooks}
    return sorted((job for _, job in todo), key=lambda job: -seconds[(job.assignment, job.notebook)])


@dataclass
class GradeSummary:
    """What `run_grade` did: every graded notebook's result, where the CSV is, and how long it took."""

    results: list[JobResult]
    csv: Path
    seconds: float
    reused: int  # results kept from an earlier, interrupted run
    graded: int  # notebooks graded in this run
    workers: int
    failures: list[str] = field(default_factory=list)  # what the grader failed to do (flagged rows; exit status 3)
    interrupted: int = 0  # notebooks an interrupted run did not grade


INTERRUPTED = "interrupted"  # the grader_error of a job an interrupted run did not grade


@dataclass
class _Recorder:
    """The parent's recording of each result, one at a time, each in an error boundary of its own: an exception
    while recording one result (a full disk, the gradebook, nbgrader) flags that result alone (`grader_error`: it is
    not journalled, so the next run grades it again), and the run goes on."""

    workspace: Path
    finished: set[int] = field(default_factory=set)  # id() of each job whose result came back

    def record(self, result: JobResult, graded: GradedNotebook | None) -> bool:
        """True when the result was recorded whole."""
        try:
            record(self.workspace, result, graded)
        except Exception as err:  # noqa: BLE001 - any failure to record costs this result alone
            why = failure_words(err)
            log.debug("recording %s/%s failed", result.student, result.assignment, exc_info=True)
            result.add_review(phrase("its result could not be recorded ({why}): it is graded again on the next run",
                                     why=why))
            result.grader_error = f"not recorded ({why})"
            return False
        return True


def _late_penalty(workspace: Path, result: JobResult) -> None:
    """nbgrader's late penalty on a recorded late result; a failure flags that result alone."""
    try:
        lateness.apply_late_penalty(workspace, result.student, result.assignment, result.notebook)
    except Exception as err:  # noqa: BLE001 - the grade stands unpenalised, flagged for a person
        log.debug("late penalty for %s/%s failed", result.student, result.assignment, exc_info=True)
        result.add_review(phrase("its late penalty could not be applied ({why})", why=failure_words(err)))


def failure_words(err: BaseException) -> str:
    """An exception in the grader's words: an OSError by its errno's name and text (never its file name), any other
    by its type's name (its message may quote student text)."""
    if isinstance(err, OSError) and err.errno is not None and err.errno in errno.errorcode:
        return f"{errno.errorcode[err.errno]}: {os.strerror(err.errno)}"
    return safe_identifier(type(err).__name__, "an error")


def _unrecorded(sub: Submission, workspace: Path, reason: str, error: str) -> JobResult:
    """A flagged row, every exercise 0, for a submission the grader could not grade or record (not journalled: the
    next run grades it)."""
    try:
        result = problem_result(sub, workspace, "", reason)
    except Exception:  # noqa: BLE001 - the row stays, with no exercise
        log.debug("no exercises for %s", sub.path, exc_info=True)
        assignment, notebook = str(sub.assignment or "?"), str(sub.notebook or sub.path.stem)
        result = JobResult(sub.student, assignment, notebook, "", lang=edition_lang(workspace))
        result.add_review(words_of(reason))
    result.grader_error = error
    return _with_intake_flags(result, sub)


@dataclass
class _Plan:
    """The submissions sorted out: results already known (problems, reused) and the jobs to grade."""

    recorder: _Recorder
    results: list[JobResult] = field(default_factory=list)
    todo: list[tuple[Submission, GradingJob]] = field(default_factory=list)
    reused: int = 0
    bases: dict[int, Basis] = field(default_factory=dict)  # id(job) -> what its grade is made from
    regrades: dict[int, tuple[Regrade, JobResult]] = field(default_factory=dict)  # id(job) -> why, and the old result


def _latest(found: list[Submission]) -> tuple[dict[tuple[str, str, str], Submission], dict[tuple, int]]:
    """One submission per (student, assignment, notebook): the last file name wins; and how many there were."""
    latest: dict[tuple[str, str, str], Submission] = {}
    several: dict[tuple[str, str, str], int] = {}
    for sub in found:
        key = (sub.student, str(sub.assignment), str(sub.notebook or sub.path.stem))
        several[key] = several.get(key, 0) + 1
        latest[key] = sub  # sorted input: the last file name wins
    return latest, several


def _journalled(workspace: Path, sub: Submission) -> JobResult | None:
    """An earlier run's final result for this notebook of this student, if its journal entry can be read; a result
    the grader failed to make (`grader_error`) is never reused (None: the job is graded again)."""
    journal = journal_path(workspace, str(sub.assignment), sub.student, str(sub.notebook))
    if not journal.exists():
        return None
    try:
        previous = JobResult.from_dict(json.loads(journal.read_text(encoding="utf-8")))
    except Exception as err:  # noqa: BLE001 - a damaged entry is graded again, and said so
        log.warning("the journal entry %s cannot be read (%s): grading again", journal, type(err).__name__)
        return None
    return None if previous.grader_error else previous


def _plan_one(plan: _Plan, sub: Submission, several: int, workspace: Path, settings: Settings) -> None:
    """Sort one submission: a problem (reported, never run), a reused result or a job."""
    basis = job_basis(sub, workspace, settings)
    fingerprint = job_fingerprint(sub, basis)
    if sub.problem or sub.assignment is None or sub.notebook is None:  # no notebook: a problem was found
        result = _with_intake_flags(problem_result(sub, workspace, fingerprint), sub)
        if result.assignment != "?":
            plan.recorder.record(result, None)
        plan.results.append(result)
        return
    previous = _journalled(workspace, sub)
    if previous is not None and previous.fingerprint == fingerprint:
        plan.results.append(_with_intake_flags(previous, sub))
        plan.reused += 1
        return
    staged = _stage(sub, workspace)
    job = GradingJob(sub.student, sub.assignment, sub.notebook, str(staged), fingerprint, several)
    plan.todo.append((sub, job))
    plan.bases[id(job)] = basis
    if previous is not None:
        why = change(previous.basis, basis, f"{sub.assignment}/{sub.notebook}")
        regrade = Regrade(sub.student, sub.assignment, str(sub.notebook), why, previous.score, previous.max_score)
        plan.regrades[id(job)] = (regrade, previous)


def _confirm_regrades(plan: _Plan, confirm: Confirm | None, out) -> list[Regrade]:
    """Say why earlier grades are made again; when the course alone changed under published grades (nobody handed in
    anything new), ask `confirm` (None: go on). Declined: those jobs are not run and their published results are
    kept as they were. Returns the regrades that go ahead."""
    if not plan.regrades:
        return []
    regrades = [r for r, _ in plan.regrades.values()]
    lines = [f"{len(regrades)} notebook(s) graded before are graded again, because:", *explain(regrades)]
    print("\n".join(lines), file=out)
    asked = {i for i, (r, _) in plan.regrades.items() if r.change.course_alone}
    if asked and confirm is not None and not confirm(lines):
        kept = [(sub, job) for sub, job in plan.todo if id(job) in asked]
        plan.results += [_with_intake_flags(plan.regrades[id(job)][1], sub) for sub, job in kept]
        plan.todo = [(sub, job) for sub, job in plan.todo if id(job) not in asked]
        print(f"kept {len(kept)} published grade(s) as they were: the course's change was not applied to them",
              file=out)
        return [r for i, (r, _) in plan.regrades.items() if i not in asked]
    return regrades


def _plan(found: list[Submission], workspace: Path, settings: Settings, recorder: _Recorder) -> _Plan:
    """Sort the submissions into problems (reported, never run), reused results and jobs. A submission that cannot
    be sorted (its file changed, the disk is full while staging it) is that student's flagged row alone."""
    plan = _Plan(recorder)
    latest, several = _latest(found)
    for key, sub in sorted(latest.items()):
        try:
            _plan_one(plan, sub, several[key], workspace, settings)
        except Exception as err:  # noqa: BLE001 - one submission's failure is its own row, never the class's
            why = failure_words(err)
            log.debug("preparing %s failed", sub.path, exc_info=True)
            reason = english("it could not be prepared for grading ({why}): grade it again", why=why)
            plan.results.append(_unrecorded(sub, workspace, reason, f"not prepared ({why})"))
    return plan


def _collected(submissions: Path, workspace: Path, assignment: str | None, settings: Settings, layout, due,
               lang: str | None = None):
    """The submissions found (intake, its roster and due dates kept in the workspace), and the folders the kernels
    may never read. `lang`: the class's edition, recorded in the workspace (None: the one recorded)."""
    known = prepare_workspace(workspace, lang)
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
    flag_structure(found, settings)  # flagged, never run
    lateness.record_times(workspace, found)  # nbgrader's submission timestamps, before any grade is recorded
    return intake, tuple(kernel_deny_list(workspace, sorted(origins)))


def structure_problem(shape: Structure, settings: Settings) -> str | None:
    """Why a notebook of this structure is not run (over a bound of `settings`), or None."""
    for count, bound, what, field_name in (
        (shape.cells, settings.max_cells, phrase("cells"), "max_cells"),
        (shape.outputs, settings.max_outputs, phrase("outputs"), "max_outputs"),
        (shape.metadata_bytes, settings.max_metadata_bytes, phrase("bytes of metadata"), "max_metadata_bytes"),
    ):
        if count > bound:
            return english(
                "the notebook has more than {bound} {what} (Settings.{setting}): not run (check it by hand, or raise "
                "the bound)", bound=f"{bound:,}", what=what, setting=field_name
            )
    return None


def structure_bounds(settings: Settings) -> Structure:
    return Structure(settings.max_cells, settings.max_outputs, settings.max_metadata_bytes)


def flag_structure(found: list[Submission], settings: Settings) -> None:
    """Give every notebook over a bound on its structure (cells, outputs, metadata) a problem: it is reported, never
    run. Read here, in the parent, before any job: the file is measured, never built (measure_structure)."""
    for sub in found:
        if sub.problem is not None or sub.assignment is None:
            continue
        try:
            with os.fdopen(open_regular(sub.path), "rb") as f:
                shape = measure_structure(f.read(settings.max_notebook_bytes + 1), structure_bounds(settings))
        except (OSError, ValueError, RecursionError):
            continue  # not JSON, or gone: the job's reading step names it
        sub.problem = structure_problem(shape, settings)


def _finisher(recorder: _Recorder, todo, results: list[JobResult], bar, bases: dict[int, Basis]):
    """The parent's `finish(job, graded, error)`, called as each job comes back: never raises (an exception there
    would stop the executor, and the class with it)."""
    submission = {id(job): sub for sub, job in todo}

    def finish(job: GradingJob, graded: GradedNotebook | None, error: str | None) -> None:
        sub = submission[id(job)]
        try:
            if graded is None:
                graded = GradedNotebook(_grader_failed(sub, recorder.workspace, job, error))
            result = _with_intake_flags(graded.result, sub)
            result.basis = bases.get(id(job))
            if job.several > 1:
                result.notes.append(f"{job.several} notebooks submitted for {job.assignment}: the last one was graded")
        except Exception as err:  # noqa: BLE001 - the row stays, flagged
            why = failure_words(err)
            log.debug("the result of %s could not be read", job.path, exc_info=True)
            reason = english("its result could not be read ({why}): it is graded again on the next run", why=why)
            graded, result = None, _unrecorded(sub, recorder.workspace, reason, f"unreadable result ({why})")
        if recorder.record(result, graded) and sub.late:
            _late_penalty(recorder.workspace, result)
        results.append(result)
        recorder.finished.add(id(job))
        bar.update(1)

    return finish


def _grader_failed(sub: Submission, workspace: Path, job: GradingJob, error: str | None) -> JobResult:
    """The result of a job the grader failed on (it raised, died or ran past its deadline): every exercise 0, flagged,
    and provisional (`grader_error`: the next run grades it again). The runner's own words (a deadline, a process
    that died: `english`) reach the student in the class's language; a worker's error text as it is."""
    text = printable(str(error), 200)
    said = words_of(error) if isinstance(error, English) else text
    reason = english("the grader failed on this notebook ({error}): it is graded again on the next run", error=said)
    result = problem_result(sub, workspace, job.fingerprint, reason)
    result.grader_error = text
    return result


def _not_graded(todo, recorder: _Recorder, workspace: Path) -> list[JobResult]:
    """Rows for the jobs an interrupted run never finished (flagged, not recorded: the next run grades them)."""
    reason = english("not graded: the run was interrupted before this notebook was graded; grade again")
    return [
        _unrecorded(sub, workspace, reason, INTERRUPTED) for sub, job in todo if id(job) not in recorder.finished
    ]


def _print_failures(summary: GradeSummary, out) -> None:
    """What the grader failed to do, after the summary: the exit status says so too (grader/grading/command.py)."""
    if summary.interrupted:
        print(f"interrupted: {summary.interrupted} notebook(s) not graded; run again to grade them", file=out)
    if summary.failures:
        print(f"the grader failed on {len(summary.failures)} notebook(s) (flagged; run again):", file=out)
        for line in summary.failures:
            print(f"  {printable(line, 300)}", file=out)


def _print_moved(regrades: list[Regrade], results: list[JobResult], out) -> None:
    """After a regrade: whose score moved, old -> new (or that none did)."""
    if not regrades:
        return
    scores = {(r.student, r.assignment, r.notebook): (r.score, r.max_score) for r in results}
    lines = moved(regrades, scores)
    print(f"regraded {len(regrades)} notebook(s): {len(lines)} score(s) moved" + (":" if lines else ""), file=out)
    for line in lines:
        print(printable(line, 300), file=out)


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
    cluster_keys: Path | str | None = None,
    layout: Layout | str = Layout.AUTO,
    due: list[str] | None = None,
    confirm: Confirm | None = None,
    lang: str | None = None,
) -> GradeSummary:
    """Grade every submission under `submissions` into `workspace`, print the summary and return it. With
    `scheduler` (a `tls://` address), the jobs go to that Dask cluster, reached with the keys in `cluster_keys`.
    `confirm` is asked before published grades are made again because the course changed (None: go on). `lang`: the
    language the class was released in, recorded in the workspace (None: the one recorded there, else
    BPCOURSE_LANG's, else English): a note on a notebook the grader never read is said to the student in it."""
    settings = settings or Settings()
    keys = load_keys(cluster_keys) if scheduler and check_scheduler_address(scheduler) else None
    started = time.monotonic()
    workspace = Path(workspace).resolve()
    if not Path(submissions).exists():
        raise CourseError(f"{submissions}: no such file or folder; give the submissions folder or zip.")
    dues = lateness.parse_due(due or [])
    intake, deny = _collected(Path(submissions), workspace, assignment, settings, layout, dues, lang)
    report = write_intake_report(workspace, intake)
    recorder = _Recorder(workspace)
    plan = _plan(intake.found, workspace, settings, recorder)
    state = state_dir(workspace)
    local = not (scheduler and keys) and bool(plan.todo)
    frameworks = any(needs_frameworks(job.assignment, job.notebook) for _, job in plan.todo)
    interrupted: KeyboardInterrupt | None = None
    with ExitStack() as zygotes:
        # Started first: the zygotes import while this process executes each solution once (_hold_back).
        zygotes.enter_context(
            forking_kernels(state / "mplconfig", state / "zygote.log", settings.fork_kernels and local, frameworks)
        )
        _hold_back(plan, workspace)
        regrades = _confirm_regrades(plan, confirm, out or sys.stdout)
        (state / "scratch").mkdir(parents=True, exist_ok=True)
        snapshot = state / "gradebook-snapshot.db"
        shutil.copyfile(workspace / "gradebook.db", snapshot)
        ctx = WorkerContext(workspace, snapshot, settings, deny)
        workers = max(1, min(jobs or default_workers(), len(plan.todo) or 1))
        bar = tqdm(total=len(plan.todo), desc="grading", unit="nb", disable=not progress, file=sys.stderr)
        finish = _finisher(recorder, plan.todo, plan.results, bar, plan.bases)
        executor: LocalPool | DaskCluster
        if scheduler and keys:
            executor = DaskCluster(scheduler, settings.job_seconds, settings, keys)
        else:
            prepare = partial(_prepare_job, workspace)
            executor = LocalPool(partial(grade_job, ctx), workers, settings.job_seconds, prepare)
        try:
            executor.run(_longest_first(plan.todo, workspace), finish)
        except KeyboardInterrupt as stop:  # the CSV is still written, from what was recorded; then the stop goes on
            interrupted = stop
            plan.results += _not_graded(plan.todo, recorder, workspace)
        finally:
            bar.close()
            cleanup()  # an unpacked zip: every notebook was copied into submitted/ first
    results = sorted(plan.results, key=lambda r: (r.student, r.assignment, r.notebook))
    failures = [  # an interrupted run's ungraded jobs are counted apart, not listed as the grader's failures
        f"{r.student}/{r.assignment}/{r.notebook}: {r.grader_error}"
        for r in results
        if r.grader_error and r.grader_error != INTERRUPTED
    ]
    csv_path = workspace / "class-grades.csv"
    try:
        csv_path = write_csv(workspace, class_results(workspace, results))
    except OSError as err:  # a full disk: the printed table below is then the only record of this run
        failures.append(f"{csv_path.name} could not be written ({failure_words(err)})")
    seconds = time.monotonic() - started
    summary = GradeSummary(results, csv_path, seconds, plan.reused, len(plan.todo), workers)
    summary.failures = failures
    summary.interrupted = sum(r.grader_error == INTERRUPTED for r in results)
    print_summary(summary, out or sys.stdout)
    print_intake(intake, report, out or sys.stdout)
    _print_failures(summary, out or sys.stdout)
    _print_moved(regrades, results, out or sys.stdout)
    if interrupted is not None:
        raise interrupted
    return summary

