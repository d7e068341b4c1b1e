"""Is a notebook of 10,000 tiny code cells after a right solution graded, or stopped at its budget and flagged, in
bounded time, keeping its points (issue 11)?

Its own test, not a case of tests/grader/adversarial/cases.py: nbclient runs a cell in about 5 ms, so the 10,000
cells alone take about a minute (57 s for the whole `run_grade` on a busy 2-core machine), which the shared corpus
run, graded with a 30 s cell timeout and compared with `bpcourse check`, should not carry. It runs with the default
settings, so the notebook budget is the one a class gets (`notebook_budget`: at least 90 s of wall clock). The extra
cells come after the last test cell: whether the budget stops them (a slow machine) or they all run, every
exercise keeps its points, and the only flag allowed is the budget's.
"""

from __future__ import annotations

import io
import time

import nbformat
import pytest
from conftest import ROOT

from grader.course.sources import read_source, reference_time
from grader.grading import demo_class
from grader.grading.grade import run_grade
from grader.grading.job_kernel import notebook_budget
from grader.grading.records import Settings
from grader.grading.workspace import prepare_workspace

pytestmark = pytest.mark.slow

ASSIGNMENT = "01_term"
CELLS = 10_000
# After the budget: the re-check, the parent's recording (gradebook, feedback page of 10,000 cells), the kernel's
# start. A grader without a working budget runs on until the job deadline (600 s), and a retried job twice that.
SLACK_SECONDS = 60.0


def test_ten_thousand_cells_graded_within_budget(tmp_path) -> None:
    """Does a right notebook followed by 10,000 tiny cells keep every point, flagged at most by its budget, with
    the run ending within the budget and some slack (no hang, no retry)?"""
    workspace = tmp_path / "workspace"
    prepare_workspace(workspace)
    source_path = ROOT / "solutions" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb"
    info = read_source(ASSIGNMENT, source_path)
    release = demo_class.release_of(source_path, workspace / "release")
    nb = demo_class.right(release, nbformat.read(source_path, as_version=4))
    nb.cells += [nbformat.v4.new_code_cell(f"_tiny = {i}") for i in range(CELLS)]
    demo_class.write_notebook(nb, tmp_path / "submitted" / "many_cells" / ASSIGNMENT / source_path.name)
    settings = Settings()
    budget = notebook_budget(settings, reference_time(info)).wall_seconds

    started = time.monotonic()
    summary = run_grade(tmp_path / "submitted", workspace, jobs=1, progress=False, settings=settings, out=io.StringIO())
    seconds = time.monotonic() - started

    [result] = summary.results
    print(f"{CELLS} cells: run_grade took {seconds:.1f} s (job {result.seconds:.1f} s, budget {budget:g} s)")
    assert result.score == sum(e.points for e in info.exercises), result.exercises
    assert all("time budget" in reason for reason in result.review), result.review
    assert seconds < budget + SLACK_SECONDS, (seconds, budget, result.review)
