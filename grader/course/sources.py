"""The solution notebook as the grader's single source of truth: its exercises, and its own functions.

`read_source` maps each autograded test cell to the graded functions it checks; `reference_namespace`
executes the solution notebook's nbgrader cells (setup, locked and solution cells, never the tests) in the
grader's own process and returns the resulting namespace, whose functions give the expected values.
"""

from __future__ import annotations

import ast
import time
from dataclasses import dataclass, field
from pathlib import Path

import nbformat
from nbgrader.utils import is_grade

from grader.course.cells import (
    is_locked_code,
    is_manual_cell,
    is_solution_code,
    is_test_cell,
    last_heading,
    nbgrader_meta,
    parse,
)
from grader.course.messages import Catalogue
from grader.course.reference import execute_solution_notebook


def defined_names(source: str) -> list[str]:
    """Top-level functions and classes a cell defines (empty when it does not parse)."""
    tree = parse(source)
    if tree is None:
        return []
    return [n.name for n in tree.body if isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef)]


def assigned_names(source: str) -> list[str]:
    """Names a cell assigns at top level (empty when it does not parse)."""
    tree = parse(source)
    if tree is None:
        return []
    names = [t.id for n in tree.body if isinstance(n, ast.Assign) for t in n.targets if isinstance(t, ast.Name)]
    names += [n.target.id for n in tree.body if isinstance(n, ast.AnnAssign) and isinstance(n.target, ast.Name)]
    return list(dict.fromkeys(names))


def used_names(source: str) -> set[str]:
    tree = parse(source)
    if tree is None:
        return set()
    return {n.id for n in ast.walk(tree) if isinstance(n, ast.Name)}


@dataclass
class Exercise:
    """One autograded test cell of a source notebook."""

    grade_id: str
    points: float
    functions: list[str]  # graded names the test uses: functions and classes, or the values a solution cell sets


@dataclass
class SourceInfo:
    """What the grader needs to know about one solution notebook."""

    assignment: str
    path: Path
    exercises: list[Exercise]
    manual: dict[str, float]  # written answers: grade id -> points
    solution_cells: dict[str, str]  # grade id -> source (the solution version)
    setup_sources: list[str]  # locked code cells before the first solution cell (imports), in order
    function_cell: dict[str, str]  # graded name -> grade id of the solution cell defining it
    hidden_lines: set[str] = field(default_factory=set)  # lines of test cells: never shown in feedback
    code_sources: list[str] = field(default_factory=list)  # every code cell: the words its checks may say
    titles: dict[str, str] = field(default_factory=dict)  # graded cell's grade id -> the heading above it

    @property
    def name(self) -> str:
        return self.path.stem


def graded_titles(nb: nbformat.NotebookNode) -> dict[str, str]:
    """Each graded cell's grade id -> the heading above it, as the notebook words it (an answer cell's own lines are
    its answer). Read from a translated release, the headings are the student's language's."""
    titles: dict[str, str] = {}
    heading = ""
    for cell in nb.cells:
        meta = nbgrader_meta(cell)
        if is_grade(cell) and "grade_id" in meta and heading:
            titles[meta["grade_id"]] = heading
        elif not is_grade(cell):
            heading = last_heading(cell) or heading
    return titles


def read_source(assignment: str, path: Path) -> SourceInfo:
    nb = nbformat.read(path, as_version=4)
    exercises: list[Exercise] = []
    manual: dict[str, float] = {}
    solution_cells: dict[str, str] = {}
    setup: list[str] = []
    function_cell: dict[str, str] = {}
    pending: list[str] = []
    hidden: set[str] = set()
    code = [cell.source for cell in nb.cells if cell.cell_type == "code"]
    titles = graded_titles(nb)
    for cell in nb.cells:
        meta = nbgrader_meta(cell)
        if is_solution_code(cell) and "grade_id" in meta:
            solution_cells[meta["grade_id"]] = cell.source
            # a cell of answers that are values (03's orders of accuracy) is graded by the names it sets
            for name in defined_names(cell.source) or assigned_names(cell.source):
                function_cell[name] = meta["grade_id"]
                pending.append(name)
        elif is_test_cell(cell):
            used = used_names(cell.source)
            own = [n for n in pending if n in used]
            functions = own or [n for n in function_cell if n in used]
            exercises.append(Exercise(meta["grade_id"], float(meta.get("points", 0)), functions))
            pending = []
            hidden.update(line.strip() for line in cell.source.splitlines() if len(line.strip()) >= 16)
        elif is_manual_cell(cell):
            manual[meta["grade_id"]] = float(meta.get("points", 0))
        elif is_locked_code(cell) and not solution_cells:
            setup.append(cell.source)
    return SourceInfo(assignment, path, exercises, manual, solution_cells, setup, function_cell, hidden, code, titles)


_CATALOGUES: dict[str, Catalogue] = {}


def catalogue_of(source: SourceInfo) -> Catalogue:
    """The words this notebook's checks may say (grader/course/messages.py), built once per notebook file."""
    key = str(source.path)
    if key not in _CATALOGUES:
        _CATALOGUES[key] = Catalogue.build(source.code_sources, set(source.function_cell))
    return _CATALOGUES[key]


_NAMESPACES: dict[tuple[str, float], dict] = {}
_SECONDS: dict[str, float] = {}
_FAILURES: dict[str, list[str]] = {}


def reference_namespace(source: SourceInfo) -> dict:
    """Execute the solution notebook's setup and solution cells here (trusted code) and return the namespace.

    Cached per file and modification time. Printing is swallowed; plots go to the Agg backend.
    """
    key = (str(source.path), source.path.stat().st_mtime)
    if key in _NAMESPACES:
        return _NAMESPACES[key]


    started = time.monotonic()
    failures: list[str] = []
    namespace = execute_solution_notebook(source.path, "__bpcourse_reference__", strict=False, failures=failures)
    _SECONDS[str(source.path)] = time.monotonic() - started
    _FAILURES[str(source.path)] = failures
    _NAMESPACES[key] = namespace
    return namespace


def solution_failures(source: SourceInfo) -> list[str]:
    """The solution's own cells that fail in this environment (a framework not installed, say): a notebook whose
    expected values cannot all be computed here is never graded against a student."""
    reference_namespace(source)
    return _FAILURES.get(str(source.path), [])


def reference_time(source: SourceInfo) -> float:
    """Seconds the solution's own cells took here (tests excluded): what a notebook's budget is sized from."""
    reference_namespace(source)
    return _SECONDS.get(str(source.path), 0.0)
