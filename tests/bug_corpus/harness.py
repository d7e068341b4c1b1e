"""Run a notebook's real test cell (hidden tests included) against any implementation of its function.

The bug corpus uses this to prove each hidden test fails a known bug, naming its cause, and passes
correct implementations written another way. Only the notebook's nbgrader cells before the test cell
run (setup, given and solution cells), so hidden tests must depend on nothing else.
"""

from __future__ import annotations

import contextlib
import io
from functools import cache
from pathlib import Path

import matplotlib
import nbformat

matplotlib.use("Agg")

ROOT = Path(__file__).resolve().parents[2]


@cache
def _cells(notebook: str) -> tuple[tuple[str, str, bool], ...]:
    """(grade_id, source, is_test) for every nbgrader code cell of solutions/<notebook>, in order."""
    nb = nbformat.read(ROOT / "solutions" / notebook, as_version=4)
    found = []
    for cell in nb.cells:
        meta = cell.metadata.get("nbgrader")
        if cell.cell_type == "code" and meta and "grade_id" in meta:
            found.append((meta["grade_id"], cell.source, bool(meta.get("grade")) and not meta.get("solution")))
    return tuple(found)


def test_cell_source(notebook: str, test_grade_id: str) -> str:
    """The full source (hidden tests included) of one test cell."""
    for grade_id, source, _ in _cells(notebook):
        if grade_id == test_grade_id:
            return source
    raise KeyError(f"no cell {test_grade_id!r} in solutions/{notebook}")


def run_test_cell(notebook: str, test_grade_id: str, implementation: str) -> str:
    """Exec the nbgrader cells before `test_grade_id`, then `implementation`, then the test cell.

    Args:
        notebook: path under solutions/, e.g. "01_term/01_term.ipynb".
        test_grade_id: grade id of the test cell to run.
        implementation: Python source that (re)defines the function(s) under test, as a student would.
    Returns:
        what the cells printed (stdout). Raises whatever the test cell raises (AssertionError on a bug).
    """
    namespace: dict = {"__name__": "__main__"}
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        for grade_id, source, is_test in _cells(notebook):
            if grade_id == test_grade_id:
                exec(compile(implementation, "<implementation>", "exec"), namespace)
                exec(compile(source, f"<{test_grade_id}>", "exec"), namespace)
                return out.getvalue()
            if not is_test:
                exec(compile(source, f"<{grade_id}>", "exec"), namespace)
    raise KeyError(f"no cell {test_grade_id!r} in solutions/{notebook}")


def test_cell_ids(notebook: str) -> set[str]:
    """Grade ids of every autograded test cell of solutions/<notebook>."""
    return {grade_id for grade_id, _, is_test in _cells(notebook) if is_test}


def bugs(module) -> dict:
    """A corpus module's known bugs: {test id: {name: (source, cause pattern)}}."""
    return module.BUGGY


def variants(module, rechecked: bool = False) -> dict:
    """A corpus module's correct variants: {test id: {name: source}}; `rechecked`: without the test cells whose
    variants are too slow for the re-check's tiers (the module's SLOW_VARIANTS)."""
    slow = getattr(module, "SLOW_VARIANTS", set()) if rechecked else set()
    return {test_id: table for test_id, table in module.CORRECT.items() if test_id not in slow}


def entries(table: dict, with_cause: bool):
    """(test id, name, source) of a corpus table, in the one layout every corpus file uses:
    {test id: {name: (source, cause pattern)}} for bugs (`with_cause`), {test id: {name: source}} for variants."""
    for test_id, items in table.items():
        for name, item in items.items():
            yield test_id, name, item[0] if with_cause else item


def corpus_tests(notebook: str, buggy: dict[str, dict[str, tuple[str, str]]], correct: dict[str, dict[str, str]]):
    """The three tests of a bug-corpus file, for `buggy` {test id: {bug: (source, cause regex)}} and `correct`
    {test id: {variant: source}}. Use: `test_a, test_b, test_c = corpus_tests(NOTEBOOK, BUGGY, CORRECT)`."""
    import pytest

    @pytest.mark.parametrize(("test_id", "name"), [(t, n) for t, bugs in sorted(buggy.items()) for n in sorted(bugs)])
    def test_hidden_test_names_the_bug(test_id: str, name: str) -> None:
        """Does this test cell fail this classic bug, with its cause in the message?"""
        source, cause = buggy[test_id][name]
        with pytest.raises(AssertionError, match=cause):
            run_test_cell(notebook, test_id, source)

    @pytest.mark.parametrize(("test_id", "name"), [(t, n) for t, ok in sorted(correct.items()) for n in sorted(ok)])
    def test_hidden_test_passes_a_correct_variant(test_id: str, name: str) -> None:
        """Does this test cell pass a correct implementation written another way?"""
        run_test_cell(notebook, test_id, correct[test_id][name])

    def test_every_test_cell_has_three_bugs_and_two_correct_variants() -> None:
        """Is every autograded test cell of the notebook covered by three bugs and two correct variants?"""
        assert set(buggy) == set(correct) == test_cell_ids(notebook)
        for test_id in buggy:
            assert len(buggy[test_id]) >= 3 and len(correct[test_id]) >= 2, test_id

    return (
        test_hidden_test_names_the_bug,
        test_hidden_test_passes_a_correct_variant,
        test_every_test_cell_has_three_bugs_and_two_correct_variants,
    )
