"""`bpcourse check`: one notebook through the very pipeline `bpcourse grade` runs, so its verdict is the grader's.

The student's assignment folder is staged in a grading workspace kept in the user's cache (outside the checkout,
prepared once per course version), and `grader.grading.pipeline.grade_one` grades it as it would grade a class's
notebook: nbgrader's autograde in the guarded kernel, the trusted re-check, the same limits and the same messages.
Nothing is written into the student's folder.
"""

from __future__ import annotations

import fcntl
import hashlib
import os
import shutil
import sys
from dataclasses import dataclass
from pathlib import Path

from bp_helpers.i18n import course_lang
from grader.course.demos import demo_sources
from grader.course.i18n import student_lang
from grader.course.notebooks import find_source, read_notebook
from grader.course.paths import repo_root
from grader.course.sources import catalogue_of, reference_namespace
from grader.course.words import say
from grader.errors import CourseError
from grader.grading.job_kernel import copy_regular_files
from grader.grading.pipeline import grade_one
from grader.grading.records import ExerciseResult, GradingJob, JobResult, Settings
from grader.grading.worker import WorkerContext, init_worker, sources_of
from grader.grading.workspace import kernel_deny_list, prepare_workspace, write_kernelspec

CHECK_STUDENT = "self-check"


@dataclass(frozen=True)
class CheckReport:
    assignment: str
    notebook: str
    result: JobResult

    @property
    def failed(self) -> list[ExerciseResult]:
        return [e for e in self.result.exercises if e.kind == "auto" and (e.points or 0.0) < e.max_points]


def check_workspace() -> Path:
    """The grading workspace `check` uses: in the user's cache, one per course checkout."""

    cache = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    digest = hashlib.sha256(str(repo_root()).encode()).hexdigest()[:12]
    return cache / "bpcourse" / f"check-{digest}"


def header_line(path: Path, shown: str | None = None) -> str:
    """The line `bpcourse check` starts with, in the notebook's language as the report that follows (issue 25);
    the course's language (BPCOURSE_LANG) when the file is no readable notebook (run_check then says why). `shown`:
    the path as the student typed it, when `path` is its absolute form."""
    try:
        lang = student_lang(read_notebook(path))
    except CourseError:
        lang = course_lang()
    return say(lang, "checking {path} with every test, hidden ones included, as the grader grades it ...",
               path=shown or path)


def prepared_check_workspace() -> Path:
    """`check_workspace()`, prepared for the course as it is now (its release, the guarded kernel's spec)."""
    workspace = check_workspace()
    workspace.parent.mkdir(parents=True, exist_ok=True)
    # Two checks at once (two notebooks, two terminals) must not prepare the cached workspace together: one would
    # read the other's half-written release. The lock is the user's own, beside the workspace.
    with open(workspace.parent / f"{workspace.name}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        prepare_workspace(workspace)
        write_kernelspec(workspace)
    return workspace


def warm_caches(path: Path) -> None:
    """Read the sources of the assignment of the notebook at `path` and run its solution's reference here, once per
    version of the source: the check server does so before it forks a check, which inherits them (a check forked
    without them would compute them again, every time)."""
    source = find_source(read_notebook(path), path)
    info = sources_of(prepared_check_workspace(), source.assignment)[source.path.stem]
    reference_namespace(info)
    catalogue_of(info)
    demo_sources(str(info.path))


def run_check(path: Path, settings: Settings | None = None, progress=None, student: str = CHECK_STUDENT) -> CheckReport:
    """Grade the notebook at `path` as `bpcourse grade` would; raises CourseError on a file that is no notebook
    of the course. `progress(cell_index, cell_count)` is called as cells start. `student`: the id the re-check's
    inputs are seeded with (the grader seeds them per student)."""

    path = Path(path)
    source = find_source(read_notebook(path), path)
    workspace = prepared_check_workspace()
    staged = workspace / "submitted" / student / source.assignment
    shutil.rmtree(staged, ignore_errors=True)
    copy_regular_files(path.resolve().parent, staged, skip_notebooks=False)
    target = staged / f"{source.path.stem}.ipynb"
    shutil.copyfile(path, target)  # under the source's name, whatever the student called the file
    deny = tuple(kernel_deny_list(workspace, []))
    ctx = WorkerContext(workspace, workspace / "gradebook.db", settings or Settings(), deny)
    init_worker(ctx)
    job = GradingJob(student, source.assignment, source.path.stem, str(target), fingerprint="")
    try:
        graded = grade_one(job, ctx, progress)
    finally:
        shutil.rmtree(staged, ignore_errors=True)
    return CheckReport(source.assignment, source.path.name, graded.result)


def print_report(report: CheckReport, out=sys.stdout) -> None:
    """One line per exercise (PASS, FAIL or TODO with the cause), then the totals and the grader's notes, in the
    notebook's language."""
    lang = report.result.lang
    exercises = report.result.exercises
    width = max((len(e.grade_id.removesuffix("_test")) for e in exercises), default=8)
    failed = {id(e) for e in report.failed}
    for e in exercises:
        label = "TODO" if e.kind == "manual" else ("FAIL" if id(e) in failed else "PASS")
        points = "" if e.points is None else f"{e.points:g}/{e.max_points:g}"
        line = f"  {label}  {e.grade_id.removesuffix('_test'):<{width}}  {points or f'-/{e.max_points:g}'}"
        reason = e.cause if label != "PASS" else ""
        print(f"{line}  {reason}" if reason else line, file=out)
    auto = [e for e in exercises if e.kind == "auto"]
    manual = [e for e in exercises if e.kind == "manual"]
    score = sum(e.points or 0.0 for e in auto)
    print(
        say(lang, "autograded: {score}/{most} points, {passed}/{count} exercises pass", score=format(score, "g"),
            most=format(sum(e.max_points for e in auto), "g"), passed=len(auto) - len(report.failed), count=len(auto)),
        file=out,
    )
    if manual:
        worth = sum(e.max_points for e in manual)
        print(say(lang, "written answers: {count} (worth {worth} points) await a person", count=len(manual),
                  worth=format(worth, "g")), file=out)
    note_word = say(lang, "note")
    for note in report.result.review:
        print(f"  {note_word}: {report.result.for_student(note)}", file=out)
