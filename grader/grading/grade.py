"""`bpcourse grade`: grade a class with real nbgrader, in parallel, re-checked outside the students' kernels.

`run_grade` collects the submissions (grader/grading/intake.py), prepares the workspace (grader/grading/workspace.py), hands each
notebook to a pool of worker processes and records each result as it comes back. Per submitted notebook (one job):
  1. a worker process (grader/grading/worker.py) reads the notebook defensively, tells which assignment it belongs
     to and what the student changed in locked cells (deleted, duplicated, edited tests; changed points or grade
     ids), then runs nbgrader's own autograde preprocessors on it (ClearOutput, DeduplicateIds,
     OverwriteKernelspec, OverwriteCells with missing cells added back, CheckCellMetadata, Execute, LimitOutput)
     in a scratch folder, in a guarded kernel (`grader.grading.kernel_guard`); test cells that never ran get an error;
     stderr-only output of a test cell that raised nothing (a numpy warning) is moved to stdout;
  2. the same worker runs the trusted re-check (`grader.recheck.trusted_check`) on the student's solution cells;
  3. the parent, alone (grader/grading/journal.py), writes the grades into the one nbgrader gradebook
     (SaveAutoGrades on the executed notebook, then the re-check's overrides: an exercise nbgrader passed but the
     re-check failed scores 0 and is marked `needs_manual_grade`), the autograded notebook, the feedback HTML and
     a journal entry.

The journal (`.bpcourse/results/<assignment>/<student>/<notebook>.json`, written last and atomically) makes a killed run
resumable: a job whose submission, source, grader settings and grader code are unchanged is not graded again.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import time
from pathlib import Path

from grader.errors import CourseError
from grader.grading.executors import DaskCluster, LocalPool
from grader.grading.intake import Submission, collect
from grader.grading.journal import class_results, job_fingerprint, journal_path, problem_result, record
from grader.grading.records import JobResult, Settings
from grader.grading.worker import WorkerContext, all_source_ids, grade_one, init_worker, sources_of
from grader.grading.workspace import kernel_deny_list, prepare_workspace, state_dir, write_kernelspec


def _stage(sub: Submission, workspace: Path) -> Path:
    """Copy a submission into `submitted/<student>/<assignment>/<notebook>.ipynb` (nbgrader's layout).

    The bytes copied are read from a descriptor opened without following links, and must be a regular file's;
    the folders and the file written are never links either (a link found there is replaced)."""
    from grader.grading.intake import open_regular

    target = workspace / "submitted" / sub.student / str(sub.assignment) / f"{sub.notebook}.ipynb"
    try:
        fd = open_regular(sub.path)
    except OSError as err:
        raise CourseError(f"{sub.path}: changed while grading ({err.strerror}); grade again.") from None
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
    from grader.grading.intake import open_regular

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


def _prepare_in_parent(todo, workspace: Path) -> None:
    """Read each source and execute each solution notebook once, here: every job's process inherits them."""
    from grader.grading.sources import catalogue_of, reference_namespace

    for _, job in todo:
        source = sources_of(workspace, job["assignment"])[job["notebook"]]
        reference_namespace(source)
        catalogue_of(source)


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
) -> dict:
    """Grade every submission under `submissions` into `workspace`; return a summary dict.

    The summary holds `results` (JobResult per graded notebook), `csv` (path), `seconds`, `reused` (jobs kept
    from an earlier, interrupted run) and `graded`.
    """
    from tqdm.auto import tqdm

    from grader.grading.report import print_summary, write_csv

    out = out or sys.stdout
    settings = settings or Settings()
    started = time.monotonic()
    workspace = Path(workspace).resolve()
    if not Path(submissions).exists():
        raise CourseError(f"{submissions}: no such file or folder; give the submissions folder or zip.")
    known = prepare_workspace(workspace)
    init_worker(WorkerContext(str(workspace), "", settings))  # the parent reads sources too
    source_ids = all_source_ids(workspace)
    found = collect(Path(submissions), known, source_ids, assignment)
    origins = {str(Path(submissions).resolve())} | {str(sub.path.resolve().parent) for sub in found}
    write_kernelspec(workspace)
    deny = kernel_deny_list(workspace, sorted(origins))

    from grader.grading.intake import flag_oversized, save_roster

    flag_oversized(found, settings.max_notebook_bytes)  # flagged, never run
    save_roster(state_dir(workspace), found)  # names as submitted and id flags, for the CSV
    latest: dict[tuple[str, str, str], Submission] = {}
    duplicates: dict[tuple[str, str, str], int] = {}
    for sub in found:
        key = (sub.student, str(sub.assignment), str(sub.notebook or sub.path.stem))
        duplicates[key] = duplicates.get(key, 0) + 1
        latest[key] = sub  # sorted input: the last file name wins

    results: list[JobResult] = []
    todo: list[tuple[Submission, dict]] = []
    reused = 0
    for key, sub in sorted(latest.items()):
        fingerprint = job_fingerprint(sub, workspace, settings)
        if sub.problem or sub.assignment is None:
            result = _with_intake_flags(problem_result(sub, workspace, fingerprint), sub)
            if result.assignment != "?":
                record(workspace, result, None)
            results.append(result)
            continue
        journal = journal_path(workspace, sub.assignment, sub.student, str(sub.notebook))
        if journal.exists():
            try:
                previous = JobResult.from_dict(json.loads(journal.read_text(encoding="utf-8")))
            except Exception:
                previous = None
            if previous is not None and previous.fingerprint == fingerprint:
                results.append(_with_intake_flags(previous, sub))
                reused += 1
                continue
        staged = _stage(sub, workspace)
        job = {
            "student": sub.student,
            "assignment": sub.assignment,
            "notebook": sub.notebook,
            "path": str(staged),
            "fingerprint": fingerprint,
            "several": duplicates[key],
        }
        todo.append((sub, job))

    (state_dir(workspace) / "scratch").mkdir(parents=True, exist_ok=True)
    snapshot = state_dir(workspace) / "gradebook-snapshot.db"
    shutil.copyfile(workspace / "gradebook.db", snapshot)
    ctx = WorkerContext(str(workspace), str(snapshot), settings, deny)
    workers = max(1, min(jobs or os.cpu_count() or 1, len(todo) or 1))
    bar = tqdm(total=len(todo), desc="grading", unit="nb", disable=not progress, file=sys.stderr)

    def finish(job: dict, payload: dict | None, error: str | None) -> None:
        sub = next(s for s, j in todo if j is job)
        if payload is None:
            sub.problem = f"the grader failed on this notebook ({error})"
            result, executed = problem_result(sub, workspace, job["fingerprint"]), None
        else:
            result, executed = JobResult.from_dict(payload["result"]), payload["executed"]
        _with_intake_flags(result, sub)
        if job.get("several", 1) > 1:
            result.notes.append(
                f"{job['several']} notebooks submitted for {job['assignment']}: the last one was graded"
            )
        record(workspace, result, executed)
        results.append(result)
        bar.update(1)

    if not scheduler:
        _prepare_in_parent(todo, workspace)

    def work(job: dict) -> dict:
        init_worker(ctx)
        return grade_one(job)

    if scheduler:
        executor = DaskCluster(scheduler, settings.job_seconds, settings)
    else:
        executor = LocalPool(work, workers, settings.job_seconds)
    try:
        executor.run([job for _, job in todo], finish)
    finally:
        bar.close()
        from grader.grading.intake import cleanup

        cleanup()  # an unpacked zip: every notebook was copied into submitted/ first
    results.sort(key=lambda r: (r.student, r.assignment, r.notebook))
    csv_path = write_csv(workspace, class_results(workspace, results))
    summary = {
        "results": results,
        "csv": csv_path,
        "seconds": time.monotonic() - started,
        "reused": reused,
        "graded": len(todo),
        "workers": workers,
    }
    print_summary(summary, out)
    return summary


# --------------------------------------------------------------------------------------------- command line

HELP = """Grade a class: every notebook under SUBMISSIONS, with nbgrader's autograde (gradebook, autograded
notebooks, feedback) in a workspace outside the checkout, in parallel, each graded function re-checked in a
separate limited process against the solution notebook's own functions. SUBMISSIONS is an nbgrader
`<student>/<assignment>/*.ipynb` tree, a flat folder of notebooks or a .zip of them (an LMS export). In a flat
folder or zip the student id is read from the file name by the Canvas, Moodle and Blackboard export schemes, else it
is the name up to `__`, else up to the first `_` (`doejane_01_term.ipynb` -> `doejane`); two submitted names that
clean to one id are kept apart and flagged. Writes class-grades.csv and feedback/<student>/<assignment>/*.html in the
workspace and prints a summary. A run that was stopped keeps every grade already made when started again."""


def add_grade_parser(subparsers) -> argparse.ArgumentParser:
    """Define `bpcourse grade` on the CLI's subparsers."""
    p = subparsers.add_parser("grade", help="(instructors) grade a class of submissions in parallel", description=HELP)
    p.add_argument("submissions", nargs="?", help="submissions: nbgrader tree, flat folder or .zip")
    p.add_argument("--workspace", help="grading workspace folder, outside the checkout (created if missing)")
    p.add_argument("--assignment", help="grade only this assignment (e.g. 01_term)")
    p.add_argument("--jobs", type=int, default=None, help="parallel workers (default: the number of cores)")
    p.add_argument(
        "--demo",
        action="store_true",
        help="grade a bundled synthetic class (11 students: right, partly right, wrong, cheating, broken) in a "
        "temporary workspace and print the table; --assignment picks the assignment (default: the first; 'all')",
    )
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.add_argument(
        "--scheduler",
        metavar="tcp://HOST:PORT",
        help="send the jobs to this Dask distributed scheduler instead of this machine's cores (pip install "
        "'backprop-course[cluster]'; see deploy/README.md)",
    )
    defaults = Settings()
    p.add_argument(
        "--cell-cpu-seconds",
        type=float,
        default=defaults.cell_cpu_seconds,
        help="CPU seconds a cell may use (default: %(default)g); a busy machine does not count against it",
    )
    p.add_argument(
        "--notebook-seconds",
        type=float,
        default=defaults.notebook_seconds,
        help="wall-clock budget of a whole notebook (default: sized from the solution's own run)",
    )
    p.add_argument(
        "--max-notebook-mb",
        type=float,
        default=defaults.max_notebook_bytes / 1024**2,
        help="a larger submitted notebook is flagged and never run (default: %(default)g)",
    )
    p.set_defaults(func=cmd_grade)
    return p


def cmd_grade(args: argparse.Namespace) -> int:
    if args.jobs is not None and args.jobs < 1:
        raise CourseError("--jobs must be at least 1.")
    if args.demo:
        from grader.grading.demo_class import run_demo

        return run_demo(
            jobs=args.jobs, workspace=Path(args.workspace) if args.workspace else None, assignment=args.assignment
        )
    if not args.submissions or not args.workspace:
        raise CourseError("give SUBMISSIONS and --workspace DIR (or --demo).")
    settings = Settings(
        cell_cpu_seconds=args.cell_cpu_seconds,
        notebook_seconds=args.notebook_seconds,
        max_notebook_bytes=int(args.max_notebook_mb * 1024**2),
    )
    summary = run_grade(
        Path(args.submissions),
        Path(args.workspace),
        args.assignment,
        args.jobs,
        progress=not args.quiet,
        settings=settings,
        scheduler=args.scheduler,
    )
    return 1 if any(r.review for r in summary["results"]) else 0


def main(argv: list[str] | None = None) -> int:
    """`python -m grader.grading.grade [grade] SUBMISSIONS --workspace DIR ...` (the same options as `bpcourse grade`)."""
    argv = list(sys.argv[1:] if argv is None else argv)
    if not argv or argv[0] != "grade":
        argv.insert(0, "grade")
    parser = argparse.ArgumentParser(prog="bpcourse")
    add_grade_parser(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(argv)
    try:
        return args.func(args)
    except CourseError as err:
        print(f"bpcourse grade: error: {err}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
