"""Does grading on a Dask cluster give the same scores and statuses as this machine's pool?

A LocalCluster of two worker processes on 127.0.0.1 (one thread each, as deploy/README.md says to run them) grades
a class of right, partly right, wrong, cheating and forging notebooks; the local pool grades the same class.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest

from grader.grading import demo_class
from grader.grading.grade import run_grade
from grader.grading.records import Settings
from grader.grading.workspace import prepare_workspace

pytestmark = pytest.mark.slow
distributed = pytest.importorskip("distributed")

STUDENTS = {k: demo_class.STUDENTS[k] for k in ("alice", "bob", "carol", "dave", "erin")}


def _rows(summary: dict) -> dict[str, tuple]:
    with open(summary.csv, encoding="utf-8") as f:
        return {row["student"]: (row["total"], row["max"], row["status"]) for row in csv.DictReader(f)}


def test_dask_grades_as_the_local_pool(tmp_path: Path) -> None:
    """With two Dask workers, does every student get the local pool's score and status, from the same parent
    that writes the gradebook?"""
    local_ws, dask_ws = tmp_path / "local", tmp_path / "dask"
    prepare_workspace(local_ws)
    submissions = demo_class.build_class(tmp_path / "class", local_ws / "release", STUDENTS, ["01_term"])
    settings = Settings(cell_timeout=60)
    local = run_grade(submissions, local_ws, "01_term", jobs=2, progress=False, settings=settings, out=io.StringIO())
    with distributed.LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1", dashboard_address=None
    ) as cluster:
        remote = run_grade(
            submissions,
            dask_ws,
            "01_term",
            progress=False,
            settings=settings,
            out=io.StringIO(),
            scheduler=cluster.scheduler_address,
        )
    assert _rows(remote) == _rows(local)
    workers = {n for r in remote.results for n in r.notes if n.startswith("graded on Dask worker")}
    assert len(workers) == 2, workers  # both workers graded, none of it on this machine's pool
    assert len(_rows(local)) == len(STUDENTS)
    assert (dask_ws / "gradebook.db").exists() and sorted((dask_ws / "feedback").rglob("*.html"))
