"""Is `course/` exactly what nbgrader generates from `solutions/`, and does it leak nothing?"""

from __future__ import annotations

import re
from pathlib import Path

import nbformat
import pytest
from conftest import RELEASE_NOTEBOOKS, ROOT, SOLUTION_NOTEBOOKS, notebook_id

from grader.course.release import generate_release

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def fresh_release(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("release") / "course"
    generate_release(out)
    return out


def test_release_is_fresh(fresh_release: Path) -> None:
    """Does regenerating course/ reproduce the committed files byte for byte (run `bpcourse release`)?"""
    generated = {p.relative_to(fresh_release) for p in fresh_release.rglob("*") if p.is_file()}
    committed = {p.relative_to(ROOT / "course") for p in (ROOT / "course").rglob("*") if p.is_file()}
    # caches a run of the notebooks leaves (04e's .hypothesis/, .ipynb_checkpoints/) are not the release's: untracked
    committed = {p for p in committed if not any(part.startswith(".") for part in p.parts)}
    assert generated == committed, "course/ has other files than the release: run `bpcourse release`"
    stale = [
        str(p) for p in sorted(generated) if (fresh_release / p).read_bytes() != (ROOT / "course" / p).read_bytes()
    ]
    assert not stale, f"course/ is stale for {stale}: run `bpcourse release` and commit course/"


def test_release_is_deterministic(fresh_release: Path, tmp_path: Path) -> None:
    """Do two releases give byte-identical notebooks?"""
    again = tmp_path / "course"
    generate_release(again)
    for path in fresh_release.rglob("*.ipynb"):
        assert path.read_bytes() == (again / path.relative_to(fresh_release)).read_bytes(), path


def test_every_assignment_is_released() -> None:
    """Does every solution notebook have a released counterpart?"""
    assert {notebook_id(p) for p in SOLUTION_NOTEBOOKS} == {notebook_id(p) for p in RELEASE_NOTEBOOKS}


def _code_line(line: str) -> str:
    """A line without indentation and trailing comment, as it is compared for leaks."""
    return line.split("  #")[0].strip()


def _lines(source: str, inside_solution: bool) -> list[str]:
    """The code lines inside (or outside) the BEGIN/END SOLUTION regions of a cell."""
    lines, inside = [], False
    for line in source.splitlines():
        if "### BEGIN SOLUTION" in line:
            inside = True
        elif "### END SOLUTION" in line:
            inside = False
        elif inside == inside_solution:
            lines.append(_code_line(line))
    return lines


@pytest.mark.parametrize("path", RELEASE_NOTEBOOKS, ids=notebook_id)
def test_release_leaks_nothing(path: Path) -> None:
    """Does a student notebook hold no solution code, hidden test, marker, output or execution count?"""
    text = path.read_text(encoding="utf-8")
    for marker in ("BEGIN SOLUTION", "END SOLUTION", "HIDDEN TESTS", "BEGIN MARK SCHEME"):
        assert marker not in text, f"{notebook_id(path)} contains {marker!r}"
    release = nbformat.read(path, as_version=4)
    for cell in release.cells:
        if cell.cell_type == "code":
            assert cell.outputs == [] and cell.execution_count is None, f"{notebook_id(path)} has outputs"
    solution = nbformat.read(ROOT / "solutions" / path.parent.name / path.name, as_version=4)
    released_lines = {_code_line(line) for cell in release.cells for line in cell.source.splitlines()}
    given = {line for cell in solution.cells for line in _lines(cell.source, inside_solution=False)}
    for cell in solution.cells:
        for line in _lines(cell.source, inside_solution=True):
            # Short or given lines (`return out`, code the notebook also shows) may coincide; distinctive ones not.
            if len(line) > 12 and re.search(r"[=(\[]", line) and line not in given:
                assert line not in released_lines, f"{notebook_id(path)} leaks solution line {line!r}"


@pytest.mark.parametrize("path", SOLUTION_NOTEBOOKS, ids=notebook_id)
def test_sources_are_committed_clean(path: Path) -> None:
    """Are solution notebooks committed without outputs or execution counts?"""
    nb = nbformat.read(path, as_version=4)
    dirty = [i for i, c in enumerate(nb.cells) if c.cell_type == "code" and (c.outputs or c.execution_count)]
    assert not dirty, f"{notebook_id(path)} has outputs in cells {dirty}: clear them before committing"
