"""Benchmark: `bpcourse grade` on this machine's pool against a Dask cluster of 1 and of 2 workers, side by side.

    python benchmarks/bench_grading_dask.py [--students 8] [--assignment 01_term]

The class: honest demo students (right, partly right, wrong, untouched) repeated to --students, one assignment.
Each run grades it from a fresh workspace of its own (prepared, not timed). The Dask clusters are LocalClusters on
127.0.0.1, one thread per worker (as deploy/README.md says); their start-up and each worker's first workspace
(about the time of `prepare_workspace`) are timed apart from grading. Prints notebooks per minute, the overhead per
notebook against the local pool with the same worker count, and whether every run gave the same scores.
"""

from __future__ import annotations

import argparse
import io
import shutil
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from grader.grading import demo_class  # noqa: E402
from grader.grading.grade import run_grade  # noqa: E402
from grader.grading.workspace import prepare_workspace  # noqa: E402

HONEST = {k: demo_class.STUDENTS[k] for k in ("alice", "bob", "carol", "dave")}


def _scores(summary: dict) -> dict:
    return {(r.student, r.notebook): r.score for r in summary.results}


def _grade(submissions: Path, workspace: Path, assignment: str, **kwargs) -> tuple[dict, float]:
    prepare_workspace(workspace)
    started = time.monotonic()
    summary = run_grade(submissions, workspace, assignment, progress=False, out=io.StringIO(), **kwargs)
    return summary, time.monotonic() - started


def main() -> int:
    from grader.grading.cluster_keys import local_cluster, make_keys
    from grader.grading.executors import connect

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--students", type=int, default=8)
    parser.add_argument("--assignment", default="01_term")
    args = parser.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="bpcourse-bench-dask-"))
    try:
        prepare_workspace(tmp / "release-ws")
        copies = -(-args.students // len(HONEST))
        students = {f"{name}{i}": recipe for i in range(copies) for name, recipe in HONEST.items()}
        students = dict(list(students.items())[: args.students])
        submissions = demo_class.build_class(tmp / "class", tmp / "release-ws" / "release", students, [args.assignment])
        rows, scores = [], {}
        keys = make_keys(tmp / "keys")  # the cluster speaks mutual TLS only, as deploy/README.md sets it up
        for workers in (1, 2):
            local, seconds = _grade(submissions, tmp / f"local{workers}", args.assignment, jobs=workers)
            rows.append((f"local pool, {workers} worker(s)", seconds, local))
            started = time.monotonic()
            with local_cluster(keys, workers) as cluster, connect(cluster.scheduler_address, keys) as client:
                client.run(_warm_up)  # each worker prepares its workspace once
                setup = time.monotonic() - started
                remote, seconds = _grade(
                    submissions,
                    tmp / f"dask{workers}",
                    args.assignment,
                    scheduler=cluster.scheduler_address,
                    cluster_keys=keys.folder,
                )
            rows.append((f"Dask, {workers} worker(s) (+{setup:.1f} s start-up, untimed)", seconds, remote))
        n = len(students)
        print(f"{n} notebooks of {args.assignment}")
        for label, seconds, summary in rows:
            scores[label] = _scores(summary)
            print(f"  {label:<48} {seconds:7.1f} s  {60 * n / seconds:6.1f} notebooks/min")
        for workers in (1, 2):
            local = next(s for label, s, _ in rows if label.startswith(f"local pool, {workers}"))
            dask = next(s for label, s, _ in rows if label.startswith(f"Dask, {workers}"))
            print(f"  overhead per notebook on Dask, {workers} worker(s): {(dask - local) / n:+.2f} s")
        dask1 = next(s for label, s, _ in rows if label.startswith("Dask, 1"))
        dask2 = next(s for label, s, _ in rows if label.startswith("Dask, 2"))
        print(f"  Dask scaling from 1 to 2 workers: {dask1 / dask2:.2f}x")
        same = len({tuple(sorted(v.items())) for v in scores.values()}) == 1
        print(f"  same scores in every run: {same}")
        return 0 if same else 1
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def _warm_up() -> None:
    """On a worker: prepare its grading workspace before the clock starts."""
    from grader.grading.executors import warm_up

    warm_up()


if __name__ == "__main__":
    sys.exit(main())
