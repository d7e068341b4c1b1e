"""Reading notebooks safely, and telling which assignment a notebook belongs to."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import nbformat

from grader.errors import CourseError
from grader.paths import assignments, solutions_dir


def read_notebook(path: Path) -> nbformat.NotebookNode:
    """Read and validate a notebook, turning every way it can be broken into a `CourseError`."""
    if not path.exists():
        raise CourseError(f"{path}: no such file; check the path (run `ls` in its folder).")
    if path.is_dir():
        raise CourseError(f"{path} is a folder: give the path of one .ipynb notebook inside it.")
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise CourseError(f"{path} is not a notebook (not UTF-8 text): give a .ipynb file.") from None
    if not text.strip():
        raise CourseError(
            f"{path} is empty: restore it from a backup, or start it over with `bpcourse start --fresh {path}` "
            "(which keeps this file beside the fresh copy)."
        )
    try:
        raw = json.loads(text)
    except json.JSONDecodeError as err:
        raise CourseError(
            f"{path} is not valid JSON (line {err.lineno}, column {err.colno}): the file is damaged; re-save it "
            f"from JupyterLab, restore it from a backup, or start it over with `bpcourse start --fresh {path}`."
        ) from None
    if not isinstance(raw, dict) or "cells" not in raw:
        raise CourseError(f"{path} is JSON but not a Jupyter notebook (no 'cells'): give a .ipynb file.")
    try:
        nb = nbformat.reads(text, as_version=4)
        nbformat.validate(nb)
    except Exception as err:  # nbformat raises several types for a malformed notebook
        first_line = str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__
        raise CourseError(f"{path} is not a valid notebook ({first_line}): re-save it from JupyterLab.") from None
    return nb


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
        raise CourseError(
            f"{origin} is not a notebook of any known assignment (its graded cells match none of: {known}); "
            "check it is a course notebook from `bpcourse start`."
        )
    return best[1]
