"""An instructor's clearing of "needs review" flags (issue 29): `bpcourse review --clear STUDENT/ASSIGNMENT`.

A cleared flag is kept in the workspace (`.bpcourse/reviewed.json`) with the exact reasons it cleared, the
instructor's note and the time. A reason cleared there no longer makes the student's status `needs review`; a new
reason (a later regrade that flags something else) does, until it is cleared in its turn. The grades themselves are
never changed by clearing (change points in formgrader).
"""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass
from datetime import datetime, timezone
from pathlib import Path

from grader.errors import CourseError
from grader.grading.records import JobResult
from grader.grading.workspace import state_dir

Key = tuple[str, str, str]  # (student, assignment, notebook)


@dataclass(frozen=True)
class Cleared:
    """Reasons an instructor looked at and cleared for one notebook, with why and when."""

    reasons: tuple[str, ...]
    note: str
    at: str


def _path(workspace: Path) -> Path:
    return state_dir(workspace) / "reviewed.json"


def load_cleared(workspace: Path) -> dict[Key, Cleared]:
    path = _path(workspace)
    if not path.is_file():
        return {}
    entries = json.loads(path.read_text(encoding="utf-8"))
    return {(e["student"], e["assignment"], e["notebook"]): Cleared(tuple(e["reasons"]), e["note"], e["at"])
            for e in entries}


def _save(workspace: Path, cleared: dict[Key, Cleared]) -> None:
    entries = [{"student": s, "assignment": a, "notebook": n, **asdict(c)} for (s, a, n), c in sorted(cleared.items())]
    _path(workspace).parent.mkdir(parents=True, exist_ok=True)
    tmp = _path(workspace).with_suffix(".tmp")
    tmp.write_text(json.dumps(entries, indent=1), encoding="utf-8")
    os.replace(tmp, _path(workspace))


def open_reasons(result: JobResult, cleared: dict[Key, Cleared]) -> list[str]:
    """The result's needs-review reasons that no clearing covers."""
    done = cleared.get((result.student, result.assignment, result.notebook))
    return [r for r in result.review if done is None or r not in done.reasons]


def clear(workspace: Path, results: list[JobResult], target: str, note: str) -> list[Key]:
    """Clear every open reason of the results `target` names ("student/assignment" or "student/assignment/notebook");
    return the notebooks cleared. Refuses a target that names no flagged notebook."""
    parts = target.strip("/").split("/")
    if len(parts) not in (2, 3) or not all(parts):
        raise CourseError(f"--clear {target!r}: write STUDENT/ASSIGNMENT or STUDENT/ASSIGNMENT/NOTEBOOK.")
    cleared = load_cleared(workspace)
    chosen = [r for r in results if [r.student, r.assignment, r.notebook][: len(parts)] == parts and r.review]
    if not chosen:
        raise CourseError(f"--clear {target!r}: no notebook of that name needs review (see class-grades.csv).")
    at = datetime.now(timezone.utc).isoformat(timespec="seconds")
    for r in chosen:
        cleared[(r.student, r.assignment, r.notebook)] = Cleared(tuple(r.review), note, at)
    _save(workspace, cleared)
    return [(r.student, r.assignment, r.notebook) for r in chosen]
