"""A Korean notebook is graded as the English one: the grader identifies it by its grade ids (issue 25)."""

from __future__ import annotations

from pathlib import Path

import nbformat
import pytest
from conftest import ROOT

from grader.student.check import run_check


def _solution_filled(korean: Path, solution: Path, out: Path) -> Path:
    """The Korean release with each solution cell's source taken from the instructor notebook (by grade id)."""
    by_id = {c.metadata["nbgrader"]["grade_id"]: c.source
             for c in nbformat.read(solution, as_version=4).cells if c.metadata.get("nbgrader", {}).get("solution")}
    nb = nbformat.read(korean, as_version=4)
    for cell in nb.cells:
        grade_id = cell.metadata.get("nbgrader", {}).get("grade_id")
        if cell.cell_type == "code" and grade_id in by_id:
            cell.source = by_id[grade_id]
    nbformat.write(nb, out)
    return out


@pytest.mark.slow
def test_korean_01_term_solution_gets_full_marks(tmp_path: Path) -> None:
    korean = ROOT / "course-ko" / "01_term" / "01_term.ipynb"
    nb = _solution_filled(korean, ROOT / "solutions" / "01_term" / "01_term.ipynb", tmp_path / "01_term.ipynb")
    assert nbformat.read(nb, as_version=4).metadata["bpcourse"]["lang"] == "ko"
    report = run_check(nb)
    auto = [e for e in report.result.exercises if e.kind == "auto"]
    assert auto and not report.failed, [(e.grade_id, e.points, e.max_points) for e in report.failed]
    assert sum(e.points for e in auto) == sum(e.max_points for e in auto)
