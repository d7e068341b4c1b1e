"""Why a notebook graded before is graded again, and what the new grade moved (issue 29 item 5).

Each journal entry keeps the `Basis` its grade was made from: digests of the submission, of each graded cell of
the source notebook (by grade id; every other cell together), of the notebook's re-check contract and of the
grader (its code and settings). A run that finds an entry whose basis differs from today's says why, cell by cell,
and, when the course itself changed (the source or the contract: grades already published would move), asks
before grading those submissions again; after the run it lists each student whose score moved, old -> new.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import nbformat

from grader.course.cells import nbgrader_meta
from grader.grading.records import Basis

OTHER_CELLS = "other cells"  # the key of every cell without a grade id (prose, set-up code), digested together


def _digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()[:16]


def source_cells(path: Path) -> dict[str, str]:
    """A digest per graded cell of the source notebook at `path` (by grade id), and one for all its other cells
    ({} when it is missing or unreadable: every cell then counts as changed)."""
    try:
        nb = nbformat.read(path, as_version=4)
    except Exception:  # noqa: BLE001 - a missing or broken source is a change like any other
        return {}
    cells: dict[str, str] = {}
    others = hashlib.sha256()
    for cell in nb.cells:
        gid = nbgrader_meta(cell).get("grade_id")
        if gid:
            cells[str(gid)] = _digest(f"{cell.cell_type}\0{cell.source}\0{nbgrader_meta(cell)}".encode())
        else:
            others.update(f"{cell.cell_type}\0{cell.source}\0".encode())
    cells[OTHER_CELLS] = others.hexdigest()[:16]
    return cells


@dataclass(frozen=True)
class Change:
    """Why one earlier grade is made again: `course` when the source or the contract changed, `resubmitted` when the
    student handed in a new version, with the words for each part. A course change alone moves a published grade
    although nobody handed in anything: that is the one an instructor is asked about."""

    course: bool
    reasons: tuple[str, ...]
    resubmitted: bool = False

    @property
    def course_alone(self) -> bool:
        return self.course and not self.resubmitted


def changed_cells(before: dict[str, str], now: dict[str, str]) -> list[str]:
    """The source's cells that differ: grade ids changed, added or removed, and `OTHER_CELLS` when the rest did."""
    return sorted(k for k in before.keys() | now.keys() if before.get(k) != now.get(k))


def change(before: Basis | None, now: Basis, notebook: str) -> Change:
    """Why a grade made on `before` is not reused today (`before` None: an entry of an older grader, which kept no
    basis)."""
    if before is None:
        return Change(False, ("it was graded by an older version of the grader",))
    reasons, course = [], False
    if before.source != now.source:
        course = True
        cells = changed_cells(before.source, now.source)
        reasons.append(f"the source of {notebook} changed (cells: {', '.join(cells)})")
    if before.contract != now.contract:
        course = True
        reasons.append(f"the re-check contract of {notebook} changed")
    if before.grader != now.grader:
        reasons.append("the grader's code or settings changed")
    if before.submission != now.submission:
        reasons.append("the student handed in a new version")
    resubmitted = before.submission != now.submission
    return Change(course, tuple(reasons) or ("its grading basis changed",), resubmitted)


@dataclass
class Regrade:
    """One earlier result that is graded again: who, why, and the score it had."""

    student: str
    assignment: str
    notebook: str
    change: Change
    old_score: float
    old_max: float


def explain(regrades: list[Regrade]) -> list[str]:
    """The lines that say why earlier grades are made again, one per reason with the students it concerns."""
    by_reason: dict[str, list[str]] = {}
    for r in regrades:
        for reason in r.change.reasons:
            by_reason.setdefault(reason, []).append(r.student)
    return [f"  {reason}: {len(who)} student(s) ({', '.join(sorted(set(who))[:8])}"
            f"{', ...' if len(set(who)) > 8 else ''})" for reason, who in sorted(by_reason.items())]


def moved(regrades: list[Regrade], scores: dict[tuple[str, str, str], tuple[float, float]]) -> list[str]:
    """Each regraded student whose score moved, 'alice 01_term/01_term: 9/9 -> 6/9'; `scores` the new ones."""
    lines = []
    for r in sorted(regrades, key=lambda r: (r.assignment, r.notebook, r.student)):
        new = scores.get((r.student, r.assignment, r.notebook))
        if new is not None and (new[0], new[1]) != (r.old_score, r.old_max):
            lines.append(f"  {r.student} {r.assignment}/{r.notebook}: {r.old_score:g}/{r.old_max:g} -> "
                         f"{new[0]:g}/{new[1]:g}")
    return lines


Confirm = Callable[[list[str]], bool]  # shown the explanation, says whether to regrade the course's changes
