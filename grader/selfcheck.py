"""`bpcourse check`: run a student's notebook against every test of its source, hidden ones included.

Like nbgrader's autograde, the student's notebook is the skeleton: their cells stay, while every locked
cell (setup and tests) is replaced by the source version, so hidden tests run and edited tests do not
count. A test cell the student deleted is put back at the end. Each test cell is one exercise verdict.
"""

from __future__ import annotations

import copy
import subprocess
from dataclasses import dataclass
from pathlib import Path

import nbformat
from nbclient import NotebookClient
from nbclient.exceptions import CellTimeoutError, DeadKernelError
from tqdm.auto import tqdm

from grader.errors import CourseError
from grader.notebooks import SourceNotebook, find_source, read_notebook

CELL_TIMEOUT_S = 120


def _nbgrader(cell) -> dict:
    return cell.metadata.get("nbgrader", {})


def is_test_cell(cell) -> bool:
    """An autograded test cell: graded, not a solution, code."""
    meta = _nbgrader(cell)
    return cell.cell_type == "code" and meta.get("grade", False) and not meta.get("solution", False)


def is_manual_cell(cell) -> bool:
    """A written answer graded by a person (markdown, graded and a solution)."""
    meta = _nbgrader(cell)
    return meta.get("grade", False) and meta.get("solution", False) and cell.cell_type == "markdown"


def merge_with_source(student: nbformat.NotebookNode, source: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """The notebook to execute: the student's cells, with locked cells restored from the source."""
    by_id = {_nbgrader(c)["grade_id"]: c for c in source.cells if "grade_id" in _nbgrader(c)}
    merged = copy.deepcopy(student)
    seen: set[str] = set()
    for i, cell in enumerate(merged.cells):
        grade_id = _nbgrader(cell).get("grade_id")
        if grade_id in by_id and grade_id not in seen:
            seen.add(grade_id)
            original = by_id[grade_id]
            if _nbgrader(original).get("locked") or is_test_cell(original):
                merged.cells[i] = copy.deepcopy(original)
        elif grade_id in seen:
            cell.metadata.pop("nbgrader")  # a duplicated graded cell runs, but is not graded twice
    for grade_id, original in by_id.items():
        if grade_id not in seen and (is_test_cell(original) or _nbgrader(original).get("locked")):
            merged.cells.append(copy.deepcopy(original))
    for cell in merged.cells:
        if cell.cell_type == "code":
            cell.outputs, cell.execution_count = [], None
    return merged


@dataclass(frozen=True)
class Verdict:
    """The result of one graded cell."""

    exercise: str
    points: float
    max_points: float
    status: str  # "pass", "fail" or "manual"
    reason: str


def _exercise_name(grade_id: str) -> str:
    return grade_id.removesuffix("_test")


def _failure_reason(cell) -> str | None:
    """'ErrorName: message' from the cell's error output, never the code or traceback lines."""
    for output in cell.get("outputs", []):
        if output.get("output_type") == "error":
            ename, evalue = output.get("ename", "Error"), str(output.get("evalue", "")).strip()
            if ename == "NotImplementedError" and not evalue:
                return "not implemented yet (the cell still raises NotImplementedError)"
            return f"{ename}: {evalue}" if evalue else ename
    return None


def verdicts(executed: nbformat.NotebookNode) -> list[Verdict]:
    """One verdict per graded cell of an executed, merged notebook."""
    found = []
    for cell in executed.cells:
        meta = _nbgrader(cell)
        if is_test_cell(cell):
            points = float(meta.get("points", 0))
            reason = _failure_reason(cell)
            if reason is None and not cell.get("execution_count"):
                reason = "did not run: an earlier cell stopped the notebook (timeout or crashed kernel)"
            status = "fail" if reason else "pass"
            found.append(
                Verdict(_exercise_name(meta["grade_id"]), 0.0 if reason else points, points, status, reason or "")
            )
        elif is_manual_cell(cell):
            points = float(meta.get("points", 0))
            found.append(Verdict(meta["grade_id"], 0.0, points, "manual", "awaiting manual grading"))
    return found


def execute(nb: nbformat.NotebookNode, workdir: Path, show_progress: bool = True) -> nbformat.NotebookNode:
    """Run every cell in a fresh kernel in `workdir`, keeping going after errors."""
    nb = copy.deepcopy(nb)
    bar = tqdm(
        total=sum(c.cell_type == "code" for c in nb.cells),
        desc="running cells",
        unit="cell",
        disable=not show_progress,
        leave=False,
    )
    client = NotebookClient(
        nb,
        timeout=CELL_TIMEOUT_S,
        kernel_name="python3",
        allow_errors=True,
        resources={"metadata": {"path": str(workdir)}},
        on_cell_executed=lambda **_: bar.update(1),
    )
    try:
        # The kernel's own stderr (ipykernel's start-up warnings) is noise to a student; cell output is kept.
        client.execute(stderr=subprocess.DEVNULL)
    except (CellTimeoutError, DeadKernelError, RuntimeError):
        pass  # the cells that did not run are reported as such by `verdicts`
    finally:
        bar.close()
    return nb


def prepare(path: Path) -> tuple[SourceNotebook, nbformat.NotebookNode]:
    """Validate a student's notebook and merge it with its source; raises `CourseError` on bad input."""
    student = read_notebook(path)
    source = find_source(student, path)
    merged = merge_with_source(student, read_notebook(source.path))
    if not any(is_test_cell(c) for c in merged.cells):
        raise CourseError(f"{path} has no autograded tests to run.")
    return source, merged


def check_notebook(path: Path, show_progress: bool = True) -> tuple[SourceNotebook, list[Verdict]]:
    """Check a student's notebook against its source's tests; returns its source and verdicts."""
    source, merged = prepare(path)
    return source, verdicts(execute(merged, path.resolve().parent, show_progress))
