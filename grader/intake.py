"""Finding the submissions to grade: an nbgrader tree, a flat folder or a zip of notebooks (an LMS export).

Accepted layouts for SUBMISSIONS:
  * nbgrader's tree `<student>/<assignment>/*.ipynb` (e.g. a workspace's `submitted/`, or the workspace itself);
  * a flat folder of `.ipynb` files, or a `.zip` of them (any folders inside the zip are ignored).

Student ids of flat files come from the file name, by this pattern (documented in `bpcourse grade --help`):
  * `<student>__<anything>.ipynb` (two underscores) - the student is everything before `__`;
  * otherwise `<student>_<anything>.ipynb` - everything before the first `_`
    (Canvas: `doejane_12345_678_01_term.ipynb` -> `doejane`; Moodle: `Jane Doe_12345_assignsubmission_file_..`
    -> `Jane-Doe`);
  * a name with no `_` at all is the student id itself (`doejane.ipynb`).
Characters other than letters, digits, `.`, `_` and `-` become `-`. The assignment of a flat file is `--assignment`
when given, else the one whose graded cells the notebook carries (a notebook that cannot be read then goes to the
only assignment there is, or is reported as unassignable).
"""

from __future__ import annotations

import json
import re
import shutil
import tempfile
import zipfile
from dataclasses import dataclass
from pathlib import Path

from grader.errors import CourseError

MAX_ZIP_MEMBER_BYTES = 50 * 1024 * 1024
MAX_ZIP_MEMBERS = 10_000
EXTRACTED: list[Path] = []  # folders a zip was unpacked into; `cleanup()` removes them once graded


def cleanup() -> None:
    while EXTRACTED:
        shutil.rmtree(EXTRACTED.pop(), ignore_errors=True)


@dataclass
class Submission:
    """One notebook to grade. `problem` is set when it cannot be graded at all (named in the report)."""

    student: str
    assignment: str | None
    path: Path
    notebook: str | None = None  # the source notebook's name (stem) it is graded against
    problem: str | None = None


def student_id_from_filename(name: str) -> str:
    """The student id in an exported file name (see the module docstring)."""
    stem = Path(name).stem
    if "__" in stem:
        raw = stem.split("__", 1)[0]
    elif "_" in stem:
        raw = stem.split("_", 1)[0]
    else:
        raw = stem
    return safe_id(raw)


def safe_id(raw: str) -> str:
    cleaned = re.sub(r"[^A-Za-z0-9._-]+", "-", raw.strip()).strip("-._")
    return cleaned or "unknown"


def _graded_ids(path: Path) -> set[str]:
    """Grade ids found in a notebook's JSON, tolerating damage (an unreadable file gives an empty set)."""
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
        return {
            c["metadata"]["nbgrader"]["grade_id"]
            for c in raw.get("cells", [])
            if isinstance(c, dict) and "grade_id" in c.get("metadata", {}).get("nbgrader", {})
        }
    except Exception:
        return set()


def guess_assignment(path: Path, source_ids: dict[tuple[str, str], set[str]]) -> tuple[str, str] | None:
    """(assignment, notebook) whose source shares the most grade ids with the notebook at `path`."""
    ids = _graded_ids(path)
    best = max(source_ids.items(), key=lambda item: len(item[1] & ids), default=None)
    if best is None or not best[1] & ids:
        return None
    return best[0]


def _extract_zip(archive: Path, into: Path) -> Path:
    try:
        with zipfile.ZipFile(archive) as zf:
            members = [m for m in zf.infolist() if not m.is_dir()]
            if len(members) > MAX_ZIP_MEMBERS:
                raise CourseError(f"{archive} holds {len(members)} files: too many for a class export.")
            for member in members:
                name = Path(member.filename).name
                if not name.endswith(".ipynb") or name.startswith((".", "__MACOSX")):
                    continue
                if member.file_size > MAX_ZIP_MEMBER_BYTES:
                    (into / name).write_text("", encoding="utf-8")  # graded as an empty notebook: reported
                    continue
                target = into / name
                if target.exists():
                    target = into / f"{target.stem}__dup{len(list(into.iterdir()))}.ipynb"
                with zf.open(member) as src, open(target, "wb") as dst:
                    shutil.copyfileobj(src, dst)
    except zipfile.BadZipFile:
        raise CourseError(f"{archive} is not a valid zip file: download the export again.") from None
    return into


def _is_tree(folder: Path, assignments: list[str]) -> bool:
    return any((d / a).is_dir() for d in folder.iterdir() if d.is_dir() for a in assignments)


def collect(
    submissions: Path,
    assignments: list[str],
    source_ids: dict[tuple[str, str], set[str]],
    only: str | None = None,
) -> list[Submission]:
    """Every notebook under `submissions`, with its student and assignment.

    Args:
        submissions: a tree, a flat folder or a zip (see the module docstring).
        assignments: the assignment ids the workspace knows.
        source_ids: (assignment, notebook stem) -> grade ids of its source notebook.
        only: grade this assignment only (`--assignment`).
    """
    if not submissions.exists():
        raise CourseError(f"{submissions}: no such file or folder; give the submissions folder or zip.")
    if only is not None and only not in assignments:
        raise CourseError(f"unknown assignment {only!r}: the workspace has {', '.join(assignments) or 'none'}.")
    if submissions.is_file():
        if submissions.suffix == ".zip":
            folder = Path(tempfile.mkdtemp(prefix="bpcourse-intake-"))
            EXTRACTED.append(folder)
            folder = _extract_zip(submissions, folder)
            return _collect_flat(folder, assignments, source_ids, only)
        if submissions.suffix == ".ipynb":
            return _collect_flat_files([submissions], assignments, source_ids, only)
        raise CourseError(f"{submissions} is neither a folder, a .zip nor a .ipynb.")
    if (submissions / "submitted").is_dir():
        submissions = submissions / "submitted"
    if _is_tree(submissions, assignments):
        return _collect_tree(submissions, assignments, source_ids, only)
    return _collect_flat(submissions, assignments, source_ids, only)


def _notebook_of(
    assignment: str, path: Path, source_ids, problem_if_none: bool = True
) -> tuple[str | None, str | None]:
    names = sorted(nb for (a, nb) in source_ids if a == assignment)
    if path.stem in names:
        return path.stem, None
    guess = guess_assignment(path, {k: v for k, v in source_ids.items() if k[0] == assignment})
    if guess:
        return guess[1], None
    if len(names) == 1:
        return names[0], None
    return None, f"{path.name} matches no notebook of {assignment}"


def _collect_tree(root: Path, assignments, source_ids, only) -> list[Submission]:
    found = []
    for student_dir in sorted(d for d in root.iterdir() if d.is_dir() and not d.name.startswith(".")):
        for assignment in assignments:
            if only and assignment != only:
                continue
            folder = student_dir / assignment
            if not folder.is_dir():
                continue
            notebooks = sorted(folder.glob("*.ipynb"))
            if not notebooks:
                found.append(Submission(student_dir.name, assignment, folder, None, "no notebook in the submission"))
            for path in notebooks:
                notebook, problem = _notebook_of(assignment, path, source_ids)
                found.append(Submission(safe_id(student_dir.name), assignment, path, notebook, problem))
    return found


def _collect_flat(folder: Path, assignments, source_ids, only) -> list[Submission]:
    files = sorted(p for p in folder.rglob("*.ipynb") if not any(part.startswith(".") for part in p.parts))
    if not files:
        raise CourseError(f"{folder} holds no .ipynb notebooks (and is not a <student>/<assignment>/ tree).")
    return _collect_flat_files(files, assignments, source_ids, only)


def _collect_flat_files(files: list[Path], assignments, source_ids, only) -> list[Submission]:
    found = []
    for path in files:
        student = student_id_from_filename(path.name)
        if only:
            assignment = only
        else:
            guess = guess_assignment(path, source_ids)
            assignment = guess[0] if guess else (assignments[0] if len(assignments) == 1 else None)
        if assignment is None:
            found.append(
                Submission(
                    student,
                    None,
                    path,
                    None,
                    "belongs to no known assignment (unreadable?): give --assignment to grade it as one",
                )
            )
            continue
        notebook, problem = _notebook_of(assignment, path, source_ids)
        found.append(Submission(student, assignment, path, notebook, problem))
    return found
