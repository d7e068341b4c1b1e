"""Finding the submissions to grade: an nbgrader tree, a flat folder or a zip of notebooks (an LMS export).

Accepted layouts for SUBMISSIONS:
  * nbgrader's tree `<student>/<assignment>/*.ipynb` (e.g. a workspace's `submitted/`, or the workspace itself);
  * a flat folder of `.ipynb` files (subfolders included), or a `.zip` of them.

Student ids of flat files come from the file name (documented in `bpcourse grade --help`), first by the LMS
export schemes, then by the plain patterns:
  * Canvas: `doejane_12345_678_my__work.ipynb`, `doejane_LATE_12345_678_...` -> `doejane` (submitted as
    `doejane_12345`: the name and the Canvas user id);
  * Moodle: `Jane Doe_12345_assignsubmission_file_01_term.ipynb`, or Moodle's folder per student
    `Jane Doe_12345_assignsubmission_file_/01_term.ipynb` -> `Jane-Doe` (submitted as `Jane Doe_12345`);
  * Blackboard: `01_term_doejane_attempt_2026-11-30-10-15-00_01_term.ipynb` -> `doejane` (its `.txt` receipts
    are not notebooks and are ignored);
  * `<student>__<anything>.ipynb` (two underscores) - the student is everything before `__`;
  * otherwise `<student>_<anything>.ipynb` - everything before the first `_`;
  * a name with no `_` at all is the student id itself (`doejane.ipynb`).
Characters other than letters, digits, `.`, `_` and `-` become `-`. The name as submitted is kept beside the id
(`Submission.submitted_as`, the CSV's `submitted_as` column). Two different submitted names that clean to one id
(`ann lee/` and `ann-lee/`) are never merged: each gets the id plus a short digest of its submitted name, and both
are flagged. A submitted name with a path separator, `..`, a control character, or nothing left after cleaning is
flagged too.

Every file is taken without following links: a symlink, FIFO, socket or device file (or a symlinked student or
assignment folder of a tree) is refused and flagged, never read. Zip entries with an absolute path or `..`, and
link entries, are refused and reported; a zip whose declared sizes or compression ratio are past the limits (a zip
bomb) is refused whole.

The assignment of a flat file is `--assignment` when given, else the one whose graded cells the notebook carries
(a notebook that cannot be read then goes to the only assignment there is, or is reported as unassignable).

Ids: grader/grading/submissions.py; reading without links: safe_files.py; zips: zips.py.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from pathlib import Path

from grader.errors import CourseError
from grader.grading.records import Settings
from grader.grading.safe_files import kind_of, read_regular
from grader.grading.submissions import (
    Found,
    Identity,
    Submission,
    identity_from_filename,
    identity_from_folder,
    keep_apart,
    make_submission,
)
from grader.grading.zips import _extract_zip

GUESS_READ_BYTES = Settings.max_notebook_bytes  # a larger notebook is not opened to guess its assignment
EXTRACTED: list[Path] = []  # folders a zip was unpacked into; `cleanup()` removes them once graded

LINKED_FOLDER = "a link, not a folder of notebooks: refused, never read (copy the folder itself)"


def cleanup() -> None:
    while EXTRACTED:
        shutil.rmtree(EXTRACTED.pop(), ignore_errors=True)


def _examine(path: Path, who: Identity) -> Found:
    """A file found in a folder: lstat only, so a link is named as one and never followed."""
    try:
        info = path.lstat()
    except OSError as err:
        return Found(path, who, f"unreadable ({err.strerror})")
    problem = kind_of(info.st_mode)
    return Found(path, who, problem, None if problem else info.st_size)


# ------------------------------------------------------------------------------------------ assignments


def _graded_ids(path: Path) -> set[str]:
    """Grade ids found in a notebook's JSON, tolerating damage (an unreadable, linked or too large file gives an
    empty set)."""
    data = read_regular(path, GUESS_READ_BYTES)
    if data is None:
        return set()
    try:
        raw = json.loads(data.decode("utf-8"))
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


def _notebook_of(assignment: str, path: Path, source_ids) -> tuple[str | None, str | None]:
    """The source notebook (stem) a submitted file of `assignment` is graded against, or why there is none."""
    names = sorted(nb for (a, nb) in source_ids if a == assignment)
    if path.stem in names:
        return path.stem, None
    guess = guess_assignment(path, {k: v for k, v in source_ids.items() if k[0] == assignment})
    if guess:
        return guess[1], None
    if len(names) == 1:
        return names[0], None
    return None, f"{path.name} matches no notebook of {assignment}"


# --------------------------------------------------------------------------------------------- collecting


def collect(
    submissions: Path,
    assignments: list[str],
    source_ids: dict[tuple[str, str], set[str]],
    only: str | None = None,
) -> list[Submission]:
    """Every notebook under `submissions`, with its student and assignment; refused files come back with a
    `problem`, and colliding or odd ids with `review` reasons.

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
            found = _assign(_extract_zip(submissions, folder), assignments, source_ids, only)
        elif submissions.suffix == ".ipynb":
            # the instructor's own argument may be a link; everything found inside it is taken without links
            item = _examine(submissions.resolve(), identity_from_filename(submissions.name))
            found = _assign([item], assignments, source_ids, only)
        else:
            raise CourseError(f"{submissions} is neither a folder, a .zip nor a .ipynb.")
    else:
        if (submissions / "submitted").is_dir():
            submissions = submissions / "submitted"
        if _is_tree(submissions, assignments):
            found = _collect_tree(submissions, assignments, source_ids, only)
        else:
            files = _walk_flat(submissions, submissions)
            if not files:
                raise CourseError(
                    f"{submissions} holds no .ipynb notebooks (and is not a <student>/<assignment>/ tree)."
                )
            found = _assign(files, assignments, source_ids, only)
    keep_apart(found)
    return found


def flag_oversized(found: list[Submission], limit: int) -> None:
    """Give every notebook over `limit` bytes a problem: it is reported, never run."""
    for sub in found:
        if sub.problem is None and sub.size is not None and sub.size > limit:
            sub.problem = (
                f"the notebook is {sub.size / 1024**2:.1f} MB, over the {limit / 1024**2:g} MB limit: not run "
                "(check it by hand, or raise max_notebook_bytes)"
            )


def _is_tree(folder: Path, assignments: list[str]) -> bool:
    # isdir follows links on purpose here (a stat, never a read): a tree of linked folders is still a tree, and
    # _collect_tree refuses its links
    return any(os.path.isdir(d / a) for d in folder.iterdir() if os.path.isdir(d) for a in assignments)


def _collect_tree(root: Path, assignments, source_ids, only) -> list[Submission]:
    found = []
    for student_dir in sorted(d for d in root.iterdir() if not d.name.startswith(".") and os.path.isdir(d)):
        who = Identity(student_dir.name, student_dir.name, "folder")
        if student_dir.is_symlink():
            found.append(make_submission(who, only, student_dir, problem=LINKED_FOLDER))
            continue
        for assignment in assignments:
            if only and assignment != only:
                continue
            found.extend(_tree_assignment(student_dir / assignment, assignment, who, source_ids))
    return found


def _tree_assignment(folder: Path, assignment: str, who: Identity, source_ids) -> list[Submission]:
    if folder.is_symlink():
        return [make_submission(who, assignment, folder, problem=LINKED_FOLDER)] if os.path.isdir(folder) else []
    if not folder.is_dir():
        return []
    entries = sorted(p for p in folder.iterdir() if p.name.endswith(".ipynb") and not p.name.startswith("."))
    if not entries:
        return [make_submission(who, assignment, folder, problem="no notebook in the submission")]
    found = []
    for path in entries:
        item = _examine(path, who)
        if item.problem:
            found.append(make_submission(who, assignment, path, problem=item.problem))
            continue
        notebook, problem = _notebook_of(assignment, path, source_ids)
        found.append(make_submission(who, assignment, path, notebook, problem, item.size))
    return found


def _walk_flat(root: Path, folder: Path, who: Identity | None = None) -> list[Found]:
    """Every `.ipynb` under `folder` (hidden and `__MACOSX` folders skipped), never entering a linked folder:
    a link named `*.ipynb`, or a linked folder, comes back refused."""
    found = []
    for entry in sorted(os.scandir(folder), key=lambda e: e.name):
        if entry.name.startswith(".") or entry.name == "__MACOSX":
            continue
        path = Path(entry.path)
        if entry.is_dir(follow_symlinks=False):
            found.extend(_walk_flat(root, path, who or identity_from_folder(entry.name)))
        elif entry.is_symlink() and os.path.isdir(path):
            owner = who or identity_from_folder(entry.name) or identity_from_filename(entry.name)
            found.append(Found(path, owner, LINKED_FOLDER))
        elif entry.name.endswith(".ipynb"):
            found.append(_examine(path, who or identity_from_filename(entry.name)))
    return found


def _assign(files: list[Found], assignments, source_ids, only) -> list[Submission]:
    """Submissions for flat files: the assignment from `--assignment`, else from the graded cells (refused files
    are never opened: they go to `--assignment`, the only assignment, or none)."""
    found = []
    single = assignments[0] if len(assignments) == 1 else None
    for item in files:
        if item.problem:
            found.append(make_submission(item.who, only or single, item.path, problem=item.problem))
            continue
        if only:
            assignment = only
        else:
            guess = guess_assignment(item.path, source_ids)
            assignment = guess[0] if guess else single
        if assignment is None:
            problem = "belongs to no known assignment (unreadable?): give --assignment to grade it as one"
            found.append(make_submission(item.who, None, item.path, None, problem, item.size))
            continue
        notebook, problem = _notebook_of(assignment, item.path, source_ids)
        found.append(make_submission(item.who, assignment, item.path, notebook, problem, item.size))
    return found


# ---------------------------------------------------------------------------------------------- roster


def roster_path(state: Path) -> Path:
    return state / "intake.json"


def save_roster(state: Path, found: list[Submission]) -> None:
    """Record, per student id, the names as submitted and the needs-review reasons of intake (read by the CSV);
    ids of earlier runs not seen now are kept."""
    roster = load_roster(state)
    current: dict[str, dict] = {}
    for sub in found:
        entry = current.setdefault(sub.student, {"submitted_as": [], "review": []})
        if sub.submitted_as not in entry["submitted_as"]:
            entry["submitted_as"].append(sub.submitted_as)
        entry["review"].extend(r for r in sub.review if r not in entry["review"])
    roster.update(current)
    path = roster_path(state)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(roster, indent=1, sort_keys=True), encoding="utf-8")
    os.replace(tmp, path)


def load_roster(state: Path) -> dict[str, dict]:
    """The roster `save_roster` wrote ({} when there is none or it is damaged)."""
    try:
        data = json.loads(roster_path(state).read_text(encoding="utf-8"))
        return data if isinstance(data, dict) else {}
    except (OSError, ValueError):
        return {}
