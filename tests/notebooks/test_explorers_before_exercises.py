"""Issue 26, item 6: run on the released notebook before any exercise is written, does every cell the course gives
(explorers, plots, "see it" cells) say in one line which function to write first, with no traceback?

Each released notebook (course/) runs whole in one kernel, as a student's "Run All" would, errors allowed (the
unwritten exercises' visible tests fail on the way). Which cells are given is read from the notebook's nbgrader
metadata: every code cell that is neither a solution nor a test cell. None of them may show an error. A given cell
that runs inside `with write_first():` prints exactly one line naming a function the notebook asks the student to
write; an explorer cell shows its explorer or a note naming what to write first.
"""

from __future__ import annotations

import re
from pathlib import Path

import nbformat
import pytest
from conftest import ROOT
from nbclient import NotebookClient

pytestmark = pytest.mark.slow

RELEASED = sorted((ROOT / "course").glob("*/*.ipynb"))
HINT = re.compile(r"^Write `([\w.]+)` first: ", re.MULTILINE)


def is_given(cell) -> bool:
    """A code cell the course wrote (not the student's solution cell, not a test cell)."""
    meta = cell.metadata.get("nbgrader", {})
    return cell.cell_type == "code" and not meta.get("solution") and not meta.get("grade")


def is_explorer(cell) -> bool:
    return cell.cell_type == "code" and re.search(r"\b\w+_explorer\(", cell.source) is not None


def student_functions(nb) -> set[str]:
    """Names the student writes: the functions, classes and methods defined in the notebook's solution cells."""
    sources = (c.source for c in nb.cells if c.metadata.get("nbgrader", {}).get("solution"))
    return {name for source in sources for name in re.findall(r"^\s*(?:def|class) (\w+)", source, re.MULTILINE)}


def outputs_text(cell) -> str:
    parts = []
    for output in cell.outputs:
        parts.append(output.get("text", ""))
        for value in output.get("data", {}).values():
            parts.append(value if isinstance(value, str) else str(value))
    return "\n".join(parts)


def widget_text(nb) -> str:
    """The widgets' saved state (an explorer's note lives in an HTML widget's value)."""
    state = nb.metadata.get("widgets", {}).get("application/vnd.jupyter.widget-state+json", {}).get("state", {})
    return "\n".join(str(m.get("state", {}).get("value", "")) for m in state.values())


@pytest.mark.parametrize("path", RELEASED, ids=lambda p: p.stem)
def test_given_cells_before_the_exercises_name_what_to_write(path: Path) -> None:
    nb = nbformat.read(path, as_version=4)
    NotebookClient(nb, timeout=120, kernel_name="python3", allow_errors=True,
                   resources={"metadata": {"path": str(path.parent)}}).execute()
    written_by_student = student_functions(nb)
    for index, cell in enumerate(nb.cells):
        if not is_given(cell):
            continue
        where = (path.stem, index, cell.source[:80])
        errors = [f"{o.ename}: {o.evalue}" for o in cell.outputs if o.output_type == "error"]
        assert not errors, (*where, errors)
        said = outputs_text(cell)
        if "write_first()" in cell.source:
            hints = HINT.findall(said)
            assert len(hints) == 1, (*where, said[:300])
            assert hints[0].split(".")[-1] in written_by_student or hints[0].split(".")[0] in written_by_student, (
                *where, hints[0], sorted(written_by_student))
        if is_explorer(cell):
            said += widget_text(nb)
            assert re.search(r"[Ww]rite|not implemented yet|Explorer\(", said), (*where, said[:300])
