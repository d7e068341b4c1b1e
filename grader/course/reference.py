"""The functions an instructor notebook in `solutions/` defines (the only copy of the answers), for the explorers.

`load_solution_functions("04_usage/04a_backprop.ipynb")` executes that notebook's nbgrader setup, locked and
solution code cells (never its test cells, never its free cells) in a fresh namespace with matplotlib's Agg
backend, and returns the functions (and classes) it defined. The explorers' tests and the widgets-only view
(`bpcourse explore`) use it to run the explorers that need forward and backward passes.
"""

from __future__ import annotations

import contextlib
import io
import os
import sys
import types
from functools import cache
from pathlib import Path

import matplotlib
import matplotlib.pyplot as plt

from grader.course.cells import grade_id, is_locked_code, is_solution_code, without_magics
from grader.course.notebooks import read_notebook
from grader.course.paths import SOLUTIONS_DIRNAME, solutions_dir
from grader.errors import CourseError


def solution_path(notebook_relpath: str) -> Path:
    return solutions_dir() / notebook_relpath


def solution_cells(path: Path) -> list[tuple[str, str]]:
    """(grade_id, source) of the setup, locked and solution code cells of the solution notebook at `path`, in order."""
    return [
        (gid, cell.source)
        for cell in read_notebook(path).cells
        if (gid := grade_id(cell)) and (is_solution_code(cell) or is_locked_code(cell))
    ]


@contextlib.contextmanager
def _working_dir(folder: Path):
    """Run in the notebook's folder, as Jupyter does (a notebook may read its neighbours), then come back."""
    previous = os.getcwd()
    os.chdir(folder)
    try:
        yield
    finally:
        os.chdir(previous)


@contextlib.contextmanager
def _agg_backend():
    """Run with matplotlib's Agg backend (a solution cell that plots draws nothing on screen), then restore."""

    previous = matplotlib.get_backend()
    plt.switch_backend("Agg")
    try:
        yield
    finally:
        plt.close("all")
        if previous.lower() != "agg":
            try:
                plt.switch_backend(previous)
            except Exception:  # the previous backend cannot be restored here (no display): stay on Agg
                pass


def execute_solution_notebook(
    path: Path, module_name: str, *, strict: bool = True, failures: list[str] | None = None
) -> dict:
    """Execute a solution notebook's setup, locked and solution code cells in a fresh namespace; return it.

    Runs in the notebook's folder (04b reads its sibling 04a), with the Agg backend and printing swallowed.
    With `strict`, a failing cell raises `CourseError`; without it (the grader's use) the cell is skipped and
    named in `failures` ("cell 'grade_id': ModuleNotFoundError: ..."), so that the grader refuses to grade the
    notebook in this environment rather than against a student.
    """
    namespace: dict = {"__name__": module_name}
    out = io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(out), _agg_backend(), _working_dir(path.parent):
        for grade_id, source in solution_cells(path):
            try:
                exec(compile(without_magics(source), f"<{path.name}:{grade_id}>", "exec"), namespace)
            except Exception as err:
                if strict:
                    raise CourseError(
                        f"running cell {grade_id!r} of {path} failed: {type(err).__name__}: {err}"
                    ) from err
                if failures is not None:
                    failures.append(f"cell {grade_id!r}: {type(err).__name__}: {err}")
    return namespace


@cache
def _load(notebook_relpath: str) -> dict:
    path = solution_path(notebook_relpath)
    if not path.exists():
        raise CourseError(
            f"no solution notebook {SOLUTIONS_DIRNAME}/{notebook_relpath}: the reference implementations come from "
            "it (is this a full checkout of the course, with solutions/?)"
        )
    return execute_solution_notebook(path, f"solution_{Path(notebook_relpath).stem}")


def load_solution_functions(notebook_relpath: str) -> dict[str, object]:
    """The functions and classes that solutions/<notebook_relpath>'s setup, locked and solution cells define.

    Args:
        notebook_relpath: the notebook's path under solutions/, e.g. "04_usage/04a_backprop.ipynb".
    Returns:
        {name: function or class}, e.g. {"mlp_forward": ..., "mlp_backward": ...}, including those the notebook
        loads by executing code itself (04b takes 04a's); not what it imports from modules. A fresh dict each call
        (the executed namespace itself is cached, so a notebook runs once per process).
    """
    namespace = _load(notebook_relpath)
    return {
        name: value
        for name, value in namespace.items()
        if not name.startswith("_")
        and (isinstance(value, (types.FunctionType, type)))
        and _defined_by_notebook(value, namespace["__name__"])
    }


def _defined_by_notebook(value, namespace_name: str) -> bool:
    """Defined by the notebook's code (directly, or by code it executed itself), not imported from a module."""
    module = getattr(value, "__module__", None)
    return module == namespace_name or module not in sys.modules
