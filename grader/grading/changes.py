"""What a student changed in the cells nbgrader owns, putting nbgrader's metadata back, and finding their code.

nbgrader trusts a notebook's cell metadata; a student can edit it. The grader compares each graded cell with the
source (and the release the student was given), flags every change for a person, and restores the source's
metadata before nbgrader sees the notebook.
"""

from __future__ import annotations

import copy
import difflib

from nbformat import NotebookNode

from grader.course.cells import is_test_cell, nbgrader_meta
from grader.course.messages import safe_identifier
from grader.course.sources import SourceInfo, defined_names
from grader.course.words import Words, phrase

StudentCell = tuple[str, str]  # (grade id, or "cell N" for a moved definition; the cell's code)
_OWNED_KEYS = ("points", "grade", "solution", "locked")


def _by_grade_id(nb: NotebookNode | None) -> dict[str, NotebookNode]:
    """The first cell of each grade id."""
    cells: dict[str, NotebookNode] = {}
    for cell in nb.cells if nb is not None else []:
        gid = nbgrader_meta(cell).get("grade_id")
        if gid is not None:
            cells.setdefault(gid, cell)
    return cells


def _cell_change(cell, original, released_source: str, gid: str) -> Words | None:
    """Why one graded cell needs review (an edited locked cell, changed metadata), or None."""
    if nbgrader_meta(original).get("locked") and cell.source.strip() not in (
        released_source.strip(),
        original.source.strip(),
    ):
        if is_test_cell(original):
            return phrase("test cell {gid} edited (the original was run)", gid=gid)
        return phrase("locked cell {gid} edited (the original was run)", gid=gid)
    for key in _OWNED_KEYS:
        if key in nbgrader_meta(original) and nbgrader_meta(cell).get(key) != nbgrader_meta(original).get(key):
            return phrase("cell metadata of {gid} changed ({key}; the original counts)", gid=gid, key=key)
    return None


def inspect_changes(nb: NotebookNode, source_nb: NotebookNode, release_nb: NotebookNode | None) -> list[Words]:
    """What the student changed in the cells nbgrader owns (each a needs-review reason); locked cells are
    compared with the release version the student was given."""
    source_cells = _by_grade_id(source_nb)
    released = {gid: cell.source for gid, cell in _by_grade_id(release_nb).items()}
    seen: dict[str, int] = {}
    reasons: list[Words] = []
    for cell in nb.cells:
        gid = nbgrader_meta(cell).get("grade_id")
        if gid is None:
            continue
        seen[gid] = seen.get(gid, 0) + 1
        original = source_cells.get(gid)
        if original is None:
            unknown = safe_identifier(gid, "(not a plain name)")
            reasons.append(phrase("cell metadata changed: unknown grade id {gid} (ignored)", gid=repr(unknown)))
        elif seen[gid] == 2:
            reasons.append(phrase("cell {gid} duplicated (the first copy counts)", gid=gid))
        elif seen[gid] == 1:
            change = _cell_change(cell, original, released.get(gid, original.source), gid)
            reasons += [change] if change else []
    for gid, original in source_cells.items():
        if gid in seen:
            continue
        if is_test_cell(original):
            reasons.append(phrase("test cell {gid} deleted (put back and run)", gid=gid))
        elif nbgrader_meta(original).get("solution"):
            reasons.append(phrase("solution cell {gid} missing (deleted, or its grade id changed)", gid=gid))
    return reasons


def restore_metadata(nb: NotebookNode, source_nb: NotebookNode) -> None:
    """Give every known graded cell its source metadata; drop nbgrader metadata with unknown grade ids."""
    source_meta = {gid: nbgrader_meta(cell) for gid, cell in _by_grade_id(source_nb).items()}
    seen: set[str] = set()
    for cell in nb.cells:
        gid = nbgrader_meta(cell).get("grade_id")
        if "nbgrader" in cell.metadata and (gid not in source_meta or gid in seen):
            del cell.metadata["nbgrader"]  # unknown, or a later copy of a duplicated cell: runs, not graded
            continue
        if gid is None:
            continue  # a plain cell: nothing of nbgrader's to restore
        seen.add(gid)
        if gid in source_meta:
            cell.metadata["nbgrader"] = copy.deepcopy(source_meta[gid])
            if cell.cell_type != source_meta[gid].get("cell_type", cell.cell_type):
                del cell.metadata["nbgrader"]


SKIP_TAG = "skip-execution"  # nbclient's tag for a cell it does not run (set on nbgrader's Execute in autograde.py)


def leave_out_demos(nb: NotebookNode, demos: frozenset[str]) -> int:
    """Remove every skip tag the student put on a cell (a grading run runs their notebook whole: a skipped test cell
    would not run), then tag the cells whose code is, to the character, a demo of the release
    (grader/course/demos.py), which no grade depends on. Returns how many are left out."""
    left_out = 0
    for cell in nb.cells:
        tags = cell.metadata.get("tags")
        if isinstance(tags, list) and SKIP_TAG in tags:
            cell.metadata["tags"] = [t for t in tags if t != SKIP_TAG]
        if cell.cell_type == "code" and not nbgrader_meta(cell) and cell.source in demos:
            cell.metadata.setdefault("tags", []).append(SKIP_TAG)
            left_out += 1
    return left_out


def _moved_definition(nb: NotebookNode, name: str) -> int | None:
    """The index of the last unlocked code cell that defines `name`, if any."""
    for i in range(len(nb.cells) - 1, -1, -1):
        cell = nb.cells[i]
        if cell.cell_type == "code" and not nbgrader_meta(cell).get("locked") and name in defined_names(cell.source):
            return i
    return None


def student_solution_cells(nb: NotebookNode, source: SourceInfo) -> tuple[list[StudentCell], list[Words]]:
    """The student's code to re-check: their solution cells by grade id, plus any other cell that is now the only
    definition of a graded function (a solution cell whose grade id was changed). Returns (cells, notes)."""
    by_index: dict[int, StudentCell] = {}
    for i, cell in enumerate(nb.cells):
        gid = nbgrader_meta(cell).get("grade_id")
        if cell.cell_type == "code" and gid in source.solution_cells and gid not in {g for g, _ in by_index.values()}:
            by_index[i] = (gid, cell.source)
    defined = {n for _, code in by_index.values() for n in defined_names(code)}
    notes: list[Words] = []
    for name in source.function_cell:
        index = None if name in defined else _moved_definition(nb, name)
        if index is not None and index not in by_index:
            by_index[index] = (f"cell {index + 1}", nb.cells[index].source)
            notes.append(phrase("{name} was found outside its solution cell (cell {number})", name=name,
                                number=str(index + 1)))
    return [by_index[i] for i in sorted(by_index)], notes


def missing_function_reason(name: str, student_cells: list[StudentCell]) -> Words:
    """Why a graded function is missing, with the closest name the student did define."""
    defined = [n for _, code in student_cells for n in defined_names(code)]
    close = difflib.get_close_matches(name, defined, n=1, cutoff=0.6)
    if close:
        return phrase("function {name} is not defined by the solution cells (found {close}: renamed?)", name=name,
                      close=close[0])
    return phrase("function {name} is not defined by the solution cells (renamed or deleted?)", name=name)
