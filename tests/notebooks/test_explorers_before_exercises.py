"""Issue 26, item 6: does every explorer cell, run on the released notebook before any exercise is written, say in
one line which function to write first, with no traceback?

Each released notebook (course/) that has an explorer cell runs, as a student's "Run All" would, up to and including
its last explorer cell (errors allowed: the unwritten exercises' visible tests fail on the way). The explorer cells'
outputs hold no error: the explorer shows (drawn with the course's reference functions where it has them), or a note
naming the function to write first.
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


def is_explorer(cell) -> bool:
    return cell.cell_type == "code" and re.search(r"\b\w+_explorer\(", cell.source) is not None


def with_explorers() -> list[Path]:
    return [p for p in RELEASED if any(is_explorer(c) for c in nbformat.read(p, as_version=4).cells)]


def outputs_text(cell) -> str:
    parts = []
    for output in cell.outputs:
        parts.append(output.get("text", ""))
        for value in output.get("data", {}).values():
            parts.append(value if isinstance(value, str) else str(value))
    return "\n".join(parts)


@pytest.mark.parametrize("path", with_explorers(), ids=lambda p: p.stem)
def test_explorer_before_the_exercises_names_what_to_write(path: Path) -> None:
    nb = nbformat.read(path, as_version=4)
    last = max(i for i, c in enumerate(nb.cells) if is_explorer(c))
    nb.cells = nb.cells[: last + 1]
    NotebookClient(nb, timeout=120, kernel_name="python3", allow_errors=True,
                   resources={"metadata": {"path": str(path.parent)}}).execute()
    for cell in (c for c in nb.cells if is_explorer(c)):
        errors = [o for o in cell.outputs if o.output_type == "error"]
        assert not errors, (path.stem, cell.source[:80], [f"{e.ename}: {e.evalue}" for e in errors])
        said = outputs_text(cell) + widget_text(nb)
        assert re.search(r"[Ww]rite|not implemented yet|Explorer\(", said), (path.stem, cell.source[:80], said[:300])


def widget_text(nb) -> str:
    """The widgets' saved state (an explorer's note lives in an HTML widget's value)."""
    state = nb.metadata.get("widgets", {}).get("application/vnd.jupyter.widget-state+json", {}).get("state", {})
    return "\n".join(str(m.get("state", {}).get("value", "")) for m in state.values())
