"""Issue 26, item 4: does some hidden test call every method of every graded class?

A method no hidden test calls is one a student can get wrong for free in nbgrader's grade (a `__rsub__` computing
`self - other` scored full marks). `test_method_coverage.py` asks the same of the trusted re-check; this file asks it
of the notebooks' own hidden tests (### BEGIN/END HIDDEN TESTS of the test cells), and derives both lists from the
solution notebooks:
- the graded classes: every class of a solution cell whose body holds a student's part (### BEGIN SOLUTION), so a
  class given whole (04e's `Function`, `Context`) is not one; its methods: every function of its own body but
  `__init__` (every construction calls it) and `__repr__`/`__str__` (display only);
- the calls: the notebook's nbgrader cells run in order, the test cells' visible parts uncounted and their hidden
  parts counted. A call counts when the caller is not the graded classes' own code: the hidden test itself, or
  given code such as `Function.apply` calling `LayerNorm.forward`. A call made only by the solution's other methods
  (its `__sub__` calling `__neg__`) does not: a student's `__sub__` need not call their `__neg__`, which would then
  go unchecked.
"""

from __future__ import annotations

import ast
import functools
import inspect
import sys
from dataclasses import dataclass, field
from types import CodeType

import nbformat
import pytest
from conftest import SOLUTION_NOTEBOOKS, notebook_id
from nbgrader.preprocessors import ClearHiddenTests

from grader.course.cells import grade_id, is_solution_code, is_test_cell, parse

NOT_GRADED = {"__init__", "__repr__", "__str__"}


@dataclass(frozen=True)
class GradedClass:
    """A class of a solution cell with a student's part in its body, and the methods a hidden test must call."""

    name: str
    methods: tuple[str, ...]


def graded_classes(nb: nbformat.NotebookNode) -> list[GradedClass]:
    """The graded classes of a solution notebook, read from its solution cells' source."""
    found = []
    for cell in nb.cells:
        tree = parse(cell.source) if is_solution_code(cell) else None
        for node in tree.body if tree else ():
            if not isinstance(node, ast.ClassDef) or "BEGIN SOLUTION" not in ast.get_source_segment(cell.source, node):
                continue
            methods = [f.name for f in node.body if isinstance(f, ast.FunctionDef) and f.name not in NOT_GRADED
                       and not any(isinstance(d, ast.Name) and d.id == "property" for d in f.decorator_list)]
            found.append(GradedClass(node.name, tuple(methods)))
    return found


def split_hidden(source: str) -> tuple[str, str, str]:
    """A test cell's source as (before, hidden, after) around nbgrader's hidden-test delimiters."""
    delimiters = ClearHiddenTests()
    begin, end = delimiters.begin_test_delimeter, delimiters.end_test_delimeter
    lines = source.splitlines(keepends=True)
    first = next((k for k, line in enumerate(lines) if begin in line), len(lines))
    last = next((k for k, line in enumerate(lines) if end in line), len(lines))
    return "".join(lines[:first]), "".join(lines[first + 1:last]), "".join(lines[last + 1:])


def _codes(code: CodeType) -> set[CodeType]:
    """A function's code and every code nested in it (closures, lambdas, generator expressions)."""
    nested = {c for const in code.co_consts if isinstance(const, CodeType) for c in _codes(const)}
    return {code} | nested


@dataclass
class CallLog:
    """Calls of the graded classes' methods made from outside their own code while `counting` is on."""

    counting: bool = False
    own_code: set[CodeType] = field(default_factory=set)
    calls: dict[tuple[str, str], int] = field(default_factory=dict)

    def wrap(self, cls: type, methods: tuple[str, ...]) -> None:
        """Replace each of `cls`'s own methods by a counting wrapper (static and class methods kept as such)."""
        for attr in methods:
            member = vars(cls)[attr]
            raw = member.__func__ if isinstance(member, staticmethod | classmethod) else member
            assert inspect.isfunction(raw), f"{cls.__name__}.{attr} is not a function"
            self.own_code |= _codes(raw.__code__)
            self.calls[cls.__name__, attr] = 0

            def counted(*args, _raw=raw, _key=(cls.__name__, attr), **kwargs):
                # the caller's frame: the wrapper itself is frame 0
                if self.counting and sys._getframe(1).f_code not in self.own_code:
                    self.calls[_key] += 1
                return _raw(*args, **kwargs)

            wrapped = functools.wraps(raw)(counted)
            setattr(cls, attr, type(member)(wrapped) if isinstance(member, staticmethod | classmethod) else wrapped)

    def never_called(self) -> list[str]:
        return [f"{cls}.{attr}" for (cls, attr), count in self.calls.items() if count == 0]


def run_counting(nb: nbformat.NotebookNode, classes: list[GradedClass]) -> CallLog:
    """Run the notebook's nbgrader code cells in order, wrapping each graded class once its cell has defined it, and
    counting the calls made by the hidden parts of the test cells."""
    log, namespace, pending = CallLog(), {"__name__": "__main__"}, {c.name: c for c in classes}
    for cell in nb.cells:
        if cell.cell_type != "code" or grade_id(cell) is None:
            continue
        name = f"<{grade_id(cell)}>"
        if not is_test_cell(cell):
            exec(compile(cell.source, name, "exec"), namespace)
            for cls_name in [n for n in pending if n in namespace]:
                log.wrap(namespace[cls_name], pending.pop(cls_name).methods)
            continue
        before, hidden, after = split_hidden(cell.source)
        exec(compile(before, name, "exec"), namespace)
        log.counting = True
        try:
            exec(compile(hidden, name, "exec"), namespace)
        finally:
            log.counting = False
        exec(compile(after, name, "exec"), namespace)
    assert not pending, f"graded classes never defined: {sorted(pending)}"
    return log


WITH_CLASSES = [p for p in SOLUTION_NOTEBOOKS if graded_classes(nbformat.read(p, as_version=4))]


def test_some_notebooks_have_graded_classes() -> None:
    """The walk finds the classes it is meant for (04e's engine, 05's Dual), so the test below is not vacuous."""
    names = {c.name for p in WITH_CLASSES for c in graded_classes(nbformat.read(p, as_version=4))}
    assert {"Value", "Tensor", "MLP", "LayerNorm", "Dual"} <= names
    assert "Function" not in names  # given whole: no student part


@pytest.mark.slow  # runs each notebook's graded cells: about 2.6 s a notebook
@pytest.mark.parametrize("path", WITH_CLASSES, ids=notebook_id)
def test_every_method_of_a_graded_class_is_called_by_a_hidden_test(path, monkeypatch) -> None:
    import matplotlib

    matplotlib.use("Agg")
    monkeypatch.chdir(path.parent)  # where the notebook runs: a cell may read a file beside it
    nb = nbformat.read(path, as_version=4)
    log = run_counting(nb, graded_classes(nb))
    assert log.calls, "no method was wrapped"
    never = log.never_called()
    assert not never, (f"{notebook_id(path)}: no hidden test calls {never} (directly, or through given code): a "
                       "student's mistake there would score full marks")
