"""Does every solution notebook run top to bottom with every visible and hidden test passing?"""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import SOLUTION_NOTEBOOKS, notebook_id

from grader.course.cells import is_test_cell
from grader.course.notebooks import execute, read_notebook

pytestmark = pytest.mark.slow


@pytest.mark.parametrize("path", SOLUTION_NOTEBOOKS, ids=notebook_id)
def test_solution_notebook_runs_clean(path: Path) -> None:
    """Does every cell run without an error or a missing glyph (Korean drawn as boxes), and does no test cell
    write to stderr?"""
    executed = execute(read_notebook(path), path.parent, show_progress=False)
    for index, cell in enumerate(executed.cells):
        if cell.cell_type != "code":
            continue
        errors = [o for o in cell.outputs if o.output_type == "error"]
        assert not errors, f"cell {index} raised {errors[0].ename}: {errors[0].evalue}\n{cell.source[:400]}"
        assert cell.execution_count, f"cell {index} did not run"
        tofu = [o.text for o in cell.outputs if o.output_type == "stream" and "missing from font" in o.text]
        assert not tofu, f"cell {index} drew letters its fonts lack (empty boxes): {tofu[0][:300]}"
        if is_test_cell(cell):
            stderr = [o.text for o in cell.outputs if o.output_type == "stream" and o.name == "stderr"]
            assert not stderr, f"test cell {index} wrote to stderr (nbgrader scores that 0): {stderr}"


def test_there_are_solution_notebooks() -> None:
    """Is there at least one assignment to run (so the test above cannot pass vacuously)?"""
    assert SOLUTION_NOTEBOOKS
