"""Issue 26, item 7: one numbering. Each notebook's title names its step and letter as its file does (04f is
"Step 4f"), and no text calls a notebook or a section a "part N" (04f was titled "part 3", like 04c)."""

from __future__ import annotations

import re
from pathlib import Path

import nbformat
import pytest
from conftest import ROOT

SOLUTIONS = sorted((ROOT / "solutions").glob("*/*.ipynb"))


def expected_step(path: Path) -> str:
    """'04f_frameworks' -> '4f', '01_term' -> '1'."""
    number, letter = re.match(r"0?(\d)([a-z]?)_", path.stem).groups()
    return number + letter


@pytest.mark.parametrize("path", SOLUTIONS, ids=lambda p: p.stem)
def test_title_names_the_step_of_the_file(path: Path) -> None:
    title = nbformat.read(path, as_version=4).cells[0].source.splitlines()[0]
    assert title.startswith(f"# Step {expected_step(path)} · "), title


@pytest.mark.parametrize("path", SOLUTIONS, ids=lambda p: p.stem)
def test_no_text_says_part_n(path: Path) -> None:
    nb = nbformat.read(path, as_version=4)
    said = [
        (i, m.group(0))
        for i, cell in enumerate(nb.cells)
        for m in re.finditer(r"\b[Pp]arts? \d", cell.source)
    ]
    assert not said, said
