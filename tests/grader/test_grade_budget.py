"""Do the time limits take effect and name the cell: a cell's CPU seconds, a notebook's CPU and wall budgets?"""

from __future__ import annotations

import io

import nbformat
import pytest
from conftest import ROOT

from grader.grading import demo_class
from grader.grading.grade import run_grade
from grader.grading.records import Settings

pytestmark = pytest.mark.slow

SOURCE = ROOT / "solutions" / "01_term" / "01_term.ipynb"

# Each runs after the last test cell, so the points stand and only the flag tells the limit worked.
TAILS = {
    "sleeper": ["import time\ntime.sleep(6)"] * 4,  # waits without computing: 24 s against a 12 s budget
    "spinner": ["while True:\n    pass"],  # one endless cell against a 2 s CPU limit per cell
    "burner": ["import time\n_t = time.process_time()\nwhile time.process_time() - _t < 1.5:\n    pass"] * 8,
}
# (settings, students): the CPU budget is tried alone, with room on the wall clock
RUNS = [
    (Settings(cell_cpu_seconds=2.0, notebook_seconds=12.0), ["sleeper", "spinner"]),
    (Settings(cell_cpu_seconds=2.0, notebook_seconds=120.0, notebook_cpu_seconds=8), ["burner"]),
]


def _with_tail(cells: list[str]) -> str:
    nb = nbformat.read(SOURCE, as_version=4)
    for code in cells:
        nb.cells.append(nbformat.v4.new_code_cell(code))
    return nbformat.writes(nb)


@pytest.fixture(scope="module")
def results(tmp_path_factory: pytest.TempPathFactory) -> dict:
    base = tmp_path_factory.mktemp("budget")
    found = {}
    for i, (settings, students) in enumerate(RUNS):
        for student in students:
            path = base / f"run{i}" / student / "01_term" / "01_term.ipynb"
            demo_class.write_notebook(_with_tail(TAILS[student]), path)
        summary = run_grade(base / f"run{i}", base / "ws", jobs=2, progress=False, settings=settings, out=io.StringIO())
        found.update({r.student: r for r in summary.results})
    return found


@pytest.mark.parametrize(
    ("student", "phrase"),
    [
        ("sleeper", "ran past its time budget of 12 s at the cell under"),
        ("spinner", "ran past its CPU-time limit of 2 s"),
        ("burner", "used up its CPU budget of 8 s at the cell under"),
    ],
)
def test_limit_stops_and_names_the_cell(results: dict, student: str, phrase: str) -> None:
    """Is the notebook stopped at its limit and flagged with the cell, its graded work keeping its points?"""
    result = results[student]
    assert any(phrase in r for r in result.review), result.review
    assert result.score == result.auto_max, result.exercises
