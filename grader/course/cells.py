"""What a notebook cell is to nbgrader, and the one way cell code is read as Python (IPython magics dropped).

Built on nbgrader.utils (`is_grade`, `is_solution`, `is_locked`): every other module asks here.
"""

from __future__ import annotations

import ast
import re

from nbgrader.utils import is_grade, is_locked, is_solution


def nbgrader_meta(cell) -> dict:
    """The cell's nbgrader metadata ({} for a plain cell)."""
    return cell.metadata.get("nbgrader", {}) or {}


def grade_id(cell) -> str | None:
    return nbgrader_meta(cell).get("grade_id")


def is_test_cell(cell) -> bool:
    """An autograded test cell: graded code that is not a solution."""
    return cell.cell_type == "code" and is_grade(cell) and not is_solution(cell)


def is_manual_cell(cell) -> bool:
    """A written answer graded by a person: graded markdown that is a solution."""
    return cell.cell_type == "markdown" and is_grade(cell) and is_solution(cell)


def is_solution_code(cell) -> bool:
    return cell.cell_type == "code" and is_solution(cell)


def is_locked_code(cell) -> bool:
    """A locked code cell that is not a test (setup, given code, demos)."""
    return cell.cell_type == "code" and is_locked(cell) and not is_grade(cell)


def without_magics(source: str) -> str:
    """Cell code as plain Python: IPython's line magics and shell escapes become `pass` (line numbers kept)."""
    return "\n".join("pass" if line.lstrip().startswith(("%", "!")) else line for line in source.splitlines())


def parse(source: str) -> ast.Module | None:
    """The syntax tree of a cell's code, or None when it does not parse."""
    try:
        return ast.parse(without_magics(source))
    except SyntaxError:
        return None


def last_heading(cell) -> str:
    """A markdown cell's last heading ("Exercise 2 · ..."), or "": how a student names the cells below it."""
    titles = [ln.lstrip("#").strip() for ln in cell.source.splitlines() if ln.startswith("#")]
    titles = [t for t in titles if not _MARKER.fullmatch(t)]
    return titles[-1] if cell.cell_type == "markdown" and titles else ""


_MARKER = re.compile(r"(BEGIN|END) [A-Z ]+")  # nbgrader's and the course's region markers: ### END SOLUTION
