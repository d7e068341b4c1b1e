"""Reading notebooks safely, telling which assignment a notebook belongs to, and running one in a plain kernel
(the solution notebooks, for the tests and the benchmark; a student's notebook goes through grader/student/check.py)."""

from __future__ import annotations

import copy
import json
import subprocess
from dataclasses import dataclass
from pathlib import Path

import nbformat
from nbclient import NotebookClient
from nbclient.exceptions import CellTimeoutError, DeadKernelError
from tqdm.auto import tqdm

from grader.course.paths import assignments, solutions_dir
from grader.course.words import english
from grader.errors import CourseError

CELL_TIMEOUT_S = 120  # a solution notebook's slowest cell takes seconds


def read_notebook(path: Path) -> nbformat.NotebookNode:
    """Read and validate a notebook, turning every way it can be broken into a `CourseError`."""
    if not path.exists():
        raise CourseError(english("{path}: no such file; check the path (run `ls` in its folder).", path=str(path)))
    if path.is_dir():
        raise CourseError(english("{path} is a folder: give the path of one .ipynb notebook inside it.",
                                  path=str(path)))
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise CourseError(english("{path} is not a notebook (not UTF-8 text): give a .ipynb file.",
                                  path=str(path))) from None
    if not text.strip():
        raise CourseError(english(
            "{path} is empty: restore it from a backup, or start it over with `bpcourse start --fresh {path}` "
            "(which keeps this file beside the fresh copy).", path=str(path)))
    try:
        raw = json.loads(text)
    except json.JSONDecodeError as err:
        raise CourseError(english(
            "{path} is not valid JSON (line {line}, column {column}): the file is damaged; re-save it "
            "from JupyterLab, restore it from a backup, or start it over with `bpcourse start --fresh {path}`.",
            path=str(path), line=str(err.lineno), column=str(err.colno))) from None
    if not isinstance(raw, dict) or "cells" not in raw:
        raise CourseError(english("{path} is JSON but not a Jupyter notebook (no 'cells'): give a .ipynb file.",
                                  path=str(path)))
    try:
        nb = nbformat.reads(text, as_version=4)
        nbformat.validate(nb)
    except Exception as err:  # nbformat raises several types for a malformed notebook
        first_line = str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__
        raise CourseError(english("{path} is not a valid notebook ({reason}): re-save it from JupyterLab.",
                                  path=str(path), reason=first_line)) from None
    return nb


@dataclass(frozen=True)
class Structure:
    """How large a notebook is in the ways its file size does not tell."""

    cells: int
    outputs: int
    metadata_bytes: int  # the notebook's, its cells' and its outputs' metadata, as compact JSON (about)


class _Sized(int):
    """A JSON object already measured: its compact JSON size (json.loads hands it on in place of the object)."""


def _json_size(value) -> int:
    if isinstance(value, _Sized):
        return int(value)
    if isinstance(value, str):
        return len(value) + 2
    if isinstance(value, list):
        return 1 + sum(_json_size(item) + 1 for item in value)
    return len(str(value))  # a number, true, false, null


class _OverBound(Exception):
    """Raised from inside json.loads: a count passed its bound, no need to read on."""


def measure_structure(data: bytes, bounds: Structure | None = None) -> Structure:
    """Count a notebook's cells and outputs and measure its metadata, without building it: each JSON object is
    replaced by its size as soon as it is parsed, so memory stays small whatever the count (a 17 MB notebook of
    355,305 empty cells: about a second and 40 MB, where nbformat takes 10 s and over 500 MB). An object with a
    `cell_type` is a cell, one with an `output_type` an output (an object that only looks like one counts too: a
    count is never under the truth). With `bounds`, reading stops as soon as one count passes its bound, and the
    counts so far are returned. Raises ValueError (json.JSONDecodeError) if `data` is not JSON."""
    cells = outputs = metadata = 0

    def measure(pairs: list[tuple[str, object]]) -> _Sized:
        nonlocal cells, outputs, metadata
        size = 1
        for key, value in pairs:
            cells += key == "cell_type"
            outputs += key == "output_type"
            value_size = _json_size(value)
            metadata += value_size if key == "metadata" else 0
            size += len(key) + 4 + value_size
        if bounds and (cells > bounds.cells or outputs > bounds.outputs or metadata > bounds.metadata_bytes):
            raise _OverBound
        return _Sized(size)

    try:
        json.loads(data, object_pairs_hook=measure)
    except _OverBound:
        pass
    return Structure(cells, outputs, metadata)


def grade_ids(nb: nbformat.NotebookNode) -> set[str]:
    """The nbgrader grade ids of a notebook's cells: what ties a student's copy to its source."""
    return {
        cell.metadata["nbgrader"]["grade_id"]
        for cell in nb.cells
        if "nbgrader" in cell.metadata and "grade_id" in cell.metadata["nbgrader"]
    }


@dataclass(frozen=True)
class SourceNotebook:
    """The solution notebook a student's notebook was released from."""

    assignment: str
    path: Path


def find_source(nb: nbformat.NotebookNode, origin: Path) -> SourceNotebook:
    """Find the solution notebook whose graded cells match `nb`'s; `origin` is only for messages."""
    ids = grade_ids(nb)
    best: tuple[int, SourceNotebook] | None = None
    src_root = solutions_dir()
    for assignment in assignments(src_root):
        for source_path in sorted((src_root / assignment).glob("*.ipynb")):
            overlap = len(ids & grade_ids(read_notebook(source_path)))
            if overlap and (best is None or overlap > best[0]):
                best = (overlap, SourceNotebook(assignment, source_path))
    if best is None:
        known = ", ".join(assignments(src_root)) or "none"
        raise CourseError(english(
            "{origin} is not a notebook of any known assignment (its graded cells match none of: {known}); "
            "check it is a course notebook from `bpcourse start`.", origin=str(origin), known=known))
    return best[1]


def execute(nb: nbformat.NotebookNode, workdir: Path, show_progress: bool = True) -> nbformat.NotebookNode:
    """Run every cell in a fresh (plain) kernel in `workdir`, keeping going after errors."""

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
