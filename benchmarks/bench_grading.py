"""Benchmark: plain sequential `nbgrader autograde` against `bpcourse grade`, on the same synthetic class.

    python benchmarks/bench_grading.py [--students 16] [--jobs N] [--assignment A ...]

The class: every assignment in solutions/, each student a recipe from grader.grading.demo_class (right, partly right,
wrong, untouched; repeated to reach --students). Both graders start from a prepared workspace (generate_assignment
done, not timed). Plain nbgrader runs `nbgrader autograde <assignment>` once per assignment (all students in one
process: its fastest sequential use). `bpcourse grade` runs with the trusted re-check, the default worker count and
a fresh journal (`--plain-kernels-too`: and once more with every kernel started as a new Python rather than
forked by the kernel zygote, grader/grading/kernel_forks.py). Prints both times, their ratio, the CPU-seconds each
spent a notebook (this process and every process it waited for: nbgrader's kernels, bpcourse's jobs, the zygote and
its kernels, re-check children), and whether both gave the same autograded scores.
"""

from __future__ import annotations

import argparse
import io
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from grader.course.nbgrader_config import COURSE_ID, ensure_alembic_on_path  # noqa: E402
from grader.course.paths import assignments, solutions_dir  # noqa: E402
from grader.grading import demo_class  # noqa: E402
from grader.grading.grade import run_grade  # noqa: E402
from grader.grading.records import Settings  # noqa: E402
from grader.grading.workspace import db_url, prepare_workspace  # noqa: E402

HONEST = {k: demo_class.STUDENTS[k] for k in ("alice", "bob", "carol", "dave")}


def gradebook_scores(workspace: Path) -> dict[tuple[str, str, str], float]:
    from nbgrader.api import Gradebook

    scores = {}
    with Gradebook(db_url(workspace), COURSE_ID) as gb:
        for assignment in gb.assignments:
            for submission in gb.assignment_submissions(assignment.name):
                for nb in submission.notebooks:
                    scores[(submission.student_id, assignment.name, nb.name)] = float(nb.code_score)
    return scores


def cpu_seconds() -> float:
    """User + system CPU seconds of this process and of every descendant it (or they) waited for."""
    own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def started_ws(folder: Path) -> Path:
    prepare_workspace(folder)
    return folder


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--students", type=int, default=16)
    parser.add_argument("--jobs", type=int, default=None)
    parser.add_argument("--assignment", action="append", help="limit to these assignments (default: all)")
    parser.add_argument("--keep", action="store_true", help="keep the temporary folder")
    parser.add_argument("--plain-kernels-too", action="store_true",
                        help="grade the class a second time with every kernel started as a new Python (no zygote)")
    args = parser.parse_args()
    ensure_alembic_on_path()
    chosen = args.assignment or assignments(solutions_dir())
    copies = -(-args.students // len(HONEST))
    tmp = Path(tempfile.mkdtemp(prefix="bpcourse-bench-"))
    try:
        plain_ws, ours_ws = tmp / "plain", tmp / "ours"
        prepare_workspace(plain_ws)
        prepare_workspace(ours_ws)
        submissions = demo_class.build_class(tmp / "class", ours_ws / "release", HONEST, chosen, copies=copies)
        students = sorted(p.name for p in submissions.iterdir())[: args.students]
        for extra in sorted(p.name for p in submissions.iterdir())[args.students :]:
            shutil.rmtree(submissions / extra)
        notebooks = sorted(submissions.glob("*/*/*.ipynb"))
        print(
            f"class: {len(students)} students x {len(chosen)} assignments = {len(notebooks)} notebooks "
            f"({os.cpu_count()} cores)"
        )
        shutil.copytree(submissions, plain_ws / "submitted")

        started, cpu_started = time.monotonic(), cpu_seconds()
        for assignment in chosen:
            done = subprocess.run(
                [sys.executable, "-m", "nbgrader", "autograde", assignment, "--force"],
                cwd=plain_ws,
                capture_output=True,
                text=True,
            )
            if done.returncode != 0:
                print(f"nbgrader autograde {assignment} failed:\n{done.stderr[-1500:]}")
                return 1
        plain, plain_cpu = time.monotonic() - started, cpu_seconds() - cpu_started
        print(f"plain nbgrader autograde (sequential): {plain:7.1f} s  ({plain / len(notebooks):.2f} s/notebook, "
              f"{plain_cpu / len(notebooks):.2f} CPU-s/notebook)")

        started, cpu_started = time.monotonic(), cpu_seconds()
        summary = run_grade(submissions, ours_ws, jobs=args.jobs, progress=False, out=io.StringIO())
        ours, ours_cpu = time.monotonic() - started, cpu_seconds() - cpu_started
        print(
            f"bpcourse grade ({summary.workers} workers, trusted re-check): {ours:7.1f} s  "
            f"({ours / len(notebooks):.2f} s/notebook, {ours_cpu / len(notebooks):.2f} CPU-s/notebook)"
        )
        print(f"ratio: {plain / ours:.2f}x faster; CPU a notebook: {ours_cpu / plain_cpu:.2f}x nbgrader's")

        if args.plain_kernels_too:  # the same grader, each kernel started as a new Python (no zygote)
            started, cpu_started = time.monotonic(), cpu_seconds()
            run_grade(submissions, started_ws(tmp / "unforked"), jobs=args.jobs, progress=False, out=io.StringIO(),
                      settings=Settings(fork_kernels=False))
            unforked, unforked_cpu = time.monotonic() - started, cpu_seconds() - cpu_started
            print(
                f"  the same, kernels not forked:      {unforked:7.1f} s  ({unforked / len(notebooks):.2f} s/notebook, "
                f"{unforked_cpu / len(notebooks):.2f} CPU-s/notebook); forked kernels: {unforked / ours:.2f}x faster, "
                f"{ours_cpu / unforked_cpu:.2f}x the CPU"
            )

        plain_scores, our_scores = gradebook_scores(plain_ws), gradebook_scores(ours_ws)
        differ = sorted(k for k in plain_scores if abs(plain_scores[k] - our_scores.get(k, -1)) > 1e-9)
        print(
            f"same autograded scores in both gradebooks: {len(plain_scores) - len(differ)}/{len(plain_scores)}"
            + (f"; differ: {differ[:5]}" if differ else "")
        )
    finally:
        if args.keep:
            print(f"kept {tmp}")
        else:
            shutil.rmtree(tmp, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
