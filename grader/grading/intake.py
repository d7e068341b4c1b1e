"""Finding the submissions to grade, by the input's layout (rules: grader/grading/submissions.py), and accounting
for every file in it.

SUBMISSIONS is a folder, a `.zip` or one `.ipynb`. Its layout is `--layout` (nbgrader, flat, canvas, moodle,
blackboard), or with `auto` the one LMS or nbgrader-tree rule that takes every notebook in it (each rule reads fixed
parts, from the start of a name); when no such rule takes any, it is a flat folder; when one takes some notebooks
but not all, or two take all, the input is refused as ambiguous, with the choices named. A folder a student can
name means nothing special: `submitted/` is entered only at the top of an nbgrader course or workspace (a folder
holding `nbgrader_config.py` or `gradebook.db`), and a Moodle student's own subfolder is only part of her upload.

Every file is accounted for: graded, or listed with its reason (`Intake.left`, written to `intake-report.csv`):
a file no rule of the layout takes, a file that is not a notebook (a PDF in a zip), a refused link, hard link, FIFO
or zip entry, and every file of a student that was not the one graded. Hidden files and `__MACOSX` are skipped.

Several files of one student for one notebook: the latest on-time one counts, by the LMS's own order (Canvas's
file id, its number of each upload, growing with time; Blackboard's attempt time; elsewhere the time the file was
collected); a late one only when there is no on-time one. The others are listed (the graded one's needs-review
reason and the report). A refused file beside a graded notebook of the same assignment is listed the same way.
Lateness: grader/grading/lateness.py.
Ids: names.py (cleaning), roster.py (ids kept across runs).
"""

from __future__ import annotations

import csv
import json
import os
import shutil
import tempfile
from collections.abc import Mapping, Set
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from grader.course.words import Words, english, phrase, words_of
from grader.errors import CourseError
from grader.grading import lateness
from grader.grading.names import shown
from grader.grading.records import Settings
from grader.grading.roster import load_roster, save_roster
from grader.grading.safe_files import Entry, examine, read_regular
from grader.grading.submissions import Found, Layout, Submission, identify, make_submission
from grader.grading.zips import extract_zip

GUESS_READ_BYTES = Settings.max_notebook_bytes  # a larger notebook is not opened to guess its assignment
EXTRACTED: list[Path] = []  # folders a zip was unpacked into; `cleanup()` removes them once graded
LINKED_FOLDER = english("a link, not a folder of notebooks: refused, never read (copy the folder itself)")
EXCHANGE_FILES = ("timestamp.txt", "submission_secret.txt")  # nbgrader's own files beside a collected notebook
COURSE_ROOT_FILES = ("nbgrader_config.py", "gradebook.db")
SPECIFIC = (Layout.CANVAS, Layout.MOODLE, Layout.BLACKBOARD, Layout.NBGRADER)
REPORT_NAME = "intake-report.csv"


@dataclass(frozen=True)
class Left:
    """A file of the input that is not graded, and why (`file` is its path in the input, shown safely)."""

    file: str
    reason: str


@dataclass
class Intake:
    """What intake found: `found` the submissions to grade or report (one per student and notebook), `left` every
    other file with its reason, `layout` the layout read."""

    found: list[Submission]
    left: list[Left] = field(default_factory=list)
    layout: Layout = Layout.FLAT


def cleanup() -> None:
    while EXTRACTED:
        shutil.rmtree(EXTRACTED.pop(), ignore_errors=True)


def _origin(parts: tuple[str, ...]) -> str:
    return shown("/".join(parts), limit=200)


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


def _notebook_of(assignment: str, name: str, path: Path, source_ids) -> tuple[str | None, str | None]:
    """The source notebook (stem) a submitted file `name` of `assignment` is graded against, or why there is none."""
    names = sorted(nb for (a, nb) in source_ids if a == assignment)
    stem = name.removesuffix(".ipynb")
    if stem in names:
        return stem, None
    guess = guess_assignment(path, {k: v for k, v in source_ids.items() if k[0] == assignment})
    if guess:
        return guess[1], None
    if len(names) == 1:
        return names[0], None
    return None, english("'{name}' matches no notebook of {assignment}", name=shown(name), assignment=assignment)


# --------------------------------------------------------------------------------------------- walking


def _walk(root: Path, folder: Path, parts: tuple[str, ...] = ()) -> list[Entry]:
    """Every file under `folder` as an Entry (hidden files and `__MACOSX` skipped), never entering a linked folder:
    a linked folder comes back as one refused entry."""
    found = []
    for entry in sorted(os.scandir(folder), key=lambda e: e.name):
        if entry.name.startswith(".") or entry.name == "__MACOSX":
            continue
        path, here = Path(entry.path), (*parts, entry.name)
        if entry.is_dir(follow_symlinks=False):
            found.extend(_walk(root, path, here))
        elif entry.is_symlink() and os.path.isdir(path):
            found.append(Entry(here, path, LINKED_FOLDER, folder_link=True))
        else:
            found.append(examine(path, here))
    return found


def _entries(submissions: Path) -> list[Entry]:
    if submissions.is_file():
        if submissions.suffix == ".zip":
            folder = Path(tempfile.mkdtemp(prefix="bpcourse-intake-"))
            EXTRACTED.append(folder)
            return extract_zip(submissions, folder)
        if submissions.suffix == ".ipynb":
            # the instructor's own argument may be a link; everything found inside it is taken without links
            return [examine(submissions.resolve(), (submissions.name,))]
        raise CourseError(f"{submissions} is neither a folder, a .zip nor a .ipynb.")
    root = submissions
    if (root / "submitted").is_dir() and any((root / name).exists() for name in COURSE_ROOT_FILES):
        root = root / "submitted"  # an nbgrader course or workspace: its submitted/ tree
    return _walk(root, root)


def _is_notebook(entry: Entry) -> bool:
    return entry.parts[-1].endswith(".ipynb") or entry.folder_link


def choose_layout(entries: list[Entry], assignments: list[str], requested: Layout) -> Layout:
    """`requested`, or for AUTO the one specific rule that takes every notebook (else FLAT when none takes any);
    CourseError naming the choices when the input is ambiguous."""
    if requested is not Layout.AUTO:
        return requested
    notebooks = [e for e in entries if _is_notebook(e) and not e.folder_link]  # a link says nothing of a layout
    taken = {layout: sum(identify(layout, e.parts, assignments) is not None for e in notebooks) for layout in SPECIFIC}
    full = [layout for layout, n in taken.items() if notebooks and n == len(notebooks)]
    if len(full) == 1:
        return full[0]
    partial = [f"{layout}: {n} of {len(notebooks)}" for layout, n in taken.items() if 0 < n < len(notebooks)]
    if not full and not partial:
        return Layout.FLAT
    fits = ", ".join(str(layout) for layout in full) or "none"
    raise CourseError(
        f"cannot tell the layout of this input: notebooks taken by each rule - {'; '.join(partial) or fits}; every "
        f"notebook by: {fits}. Give --layout with one of nbgrader, flat, canvas, moodle, blackboard (files the "
        f"chosen rule does not take are listed in {REPORT_NAME}, not graded)."
    )


# --------------------------------------------------------------------------------------------- collecting


def collect(
    submissions: Path,
    assignments: list[str],
    source_ids: Mapping[tuple[str, str], Set[str]],
    only: str | None = None,
    *,
    layout: Layout | str = Layout.AUTO,
    state: Path | None = None,
    dues: dict[str, datetime] | None = None,
) -> Intake:
    """Every notebook under `submissions`, with its student and assignment, one per student and notebook; refused
    files come back with a `problem`, colliding or odd ids with `review` reasons, every other file in `left`.

    Args:
        submissions: a folder, a zip or a notebook (see the module docstring).
        assignments: the assignment ids the workspace knows.
        source_ids: (assignment, notebook stem) -> grade ids of its source notebook.
        only: grade this assignment only (`--assignment`).
        layout: the input's layout (`--layout`), AUTO by default.
        state: the workspace's state folder: the roster is read from it and saved back (ids kept across runs).
        dues: assignment -> due date (aware), for lateness.
    """
    if not submissions.exists():
        raise CourseError(f"{submissions}: no such file or folder; give the submissions folder or zip.")
    if only is not None and only not in assignments:
        raise CourseError(f"unknown assignment {only!r}: the workspace has {', '.join(assignments) or 'none'}.")
    entries = _entries(submissions)
    if not any(_is_notebook(e) for e in entries):
        raise CourseError(f"{submissions} holds no .ipynb notebooks.")
    chosen_layout = choose_layout(entries, assignments, Layout(layout))
    taken, left = _take(entries, chosen_layout, assignments)
    items = _assign(taken, assignments, source_ids, only, chosen_layout, dues or {})
    roster = load_roster(state)
    roster.assign([sub for sub, _ in items])
    found, passed_over = _one_each(items)
    roster.note_submitted(found)
    if state is not None:
        save_roster(state, roster)
    return Intake(found, left + passed_over, chosen_layout)


def _take(entries: list[Entry], layout: Layout, assignments: list[str]) -> tuple[list[Found], list[Left]]:
    """The notebooks `layout`'s rule takes, and every other file with its reason."""
    taken, left = [], []
    for entry in entries:
        who = identify(layout, entry.parts, assignments) if _is_notebook(entry) else None
        if who is not None:
            taken.append(Found(entry.path, who, entry.problem, entry.size, entry.parts, entry.mtime))
        elif not _is_own_file(entry, layout, assignments):
            left.append(Left(_origin(entry.parts), _why_left(entry, layout)))
    return taken, left


def _is_own_file(entry: Entry, layout: Layout, assignments: list[str]) -> bool:
    """The LMS's or nbgrader's own files, not the student's: Blackboard's receipts, nbgrader's exchange files."""
    if layout is Layout.BLACKBOARD and entry.parts[-1].endswith(".txt"):
        return identify(layout, entry.parts, assignments) is not None
    return layout is Layout.NBGRADER and len(entry.parts) == 3 and entry.parts[-1] in EXCHANGE_FILES


def _why_left(entry: Entry, layout: Layout) -> str:
    if entry.problem:
        return str(entry.problem)
    if not _is_notebook(entry):
        return "not a notebook: not graded"
    return f"its path follows no rule of the {layout} layout: not graded (is --layout right?)"


def _assign(taken: list[Found], assignments, source_ids, only, layout: Layout, dues) -> list[tuple[Submission, Found]]:
    """Submissions for the notebooks taken: the assignment from the tree's folder, else `--assignment`, else the
    graded cells (refused files are never opened: they go to `--assignment`, the only assignment, or none)."""
    out = []
    for item in taken:
        problem: str | None
        assignment = _assignment_of(item, layout, assignments, source_ids, only)
        if layout is Layout.NBGRADER and only and assignment != only:
            continue  # another assignment's folder: not asked for
        if item.problem or item.who.layout is Layout.NBGRADER and len(item.parts) < 3:
            problem = item.problem or LINKED_FOLDER
            sub = make_submission(item.who, assignment, item.path, problem=problem)
        elif assignment is None:
            problem = english("'{origin}' belongs to no known assignment (unreadable?): give --assignment to grade it "
                              "as one", origin=_origin(item.parts))
            sub = make_submission(item.who, None, item.path, None, problem, item.size)
        else:
            notebook, problem = _notebook_of(assignment, item.who.file, item.path, source_ids)
            sub = make_submission(item.who, assignment, item.path, notebook, problem, item.size)
        sub.origin = _origin(item.parts)
        lateness.mark(sub, item, dues.get(str(assignment)))
        when = sub.submitted_at.timestamp() if sub.submitted_at else float("-inf")
        # the documented rule, as a sort key (highest counts): a readable file, on time, the LMS's latest
        sub.order = (sub.problem is None, not sub.late, item.who.order, item.who.attempt or datetime.min, when,
                     sub.origin)
        out.append((sub, item))
    return out


def _assignment_of(item: Found, layout: Layout, assignments: list[str], source_ids, only) -> str | None:
    """The tree's assignment folder, else `--assignment`, else the one whose graded cells the notebook carries (a
    refused file is never opened: the only assignment there is, or None)."""
    if layout is Layout.NBGRADER and len(item.parts) > 1:
        return item.parts[1]
    single = assignments[0] if len(assignments) == 1 else None
    if only or item.problem:
        return only or single
    guess = guess_assignment(item.path, source_ids)
    return guess[0] if guess else single


def _one_each(items: list[tuple[Submission, Found]]) -> tuple[list[Submission], list[Left]]:
    """One submission per (student, assignment, notebook) by the documented rule (the module docstring); the
    others are named on the one graded and listed as left. A refused file of a student who also has a notebook
    graded for that assignment is listed and flagged on the graded one (never a second result for her)."""
    groups: dict[tuple[str, str, str], list[Submission]] = {}
    for sub, _ in items:
        groups.setdefault((sub.student, str(sub.assignment), str(sub.notebook or sub.path.name)), []).append(sub)
    found: list[Submission] = []
    left: list[Left] = []
    for key in sorted(groups):
        ranked = sorted(groups[key], key=lambda s: s.order, reverse=True)
        best = ranked[0]
        for other in ranked[1:]:
            why = (phrase("late, and an on-time file counts") if other.late and not best.late else
                   phrase("a later file counts"))
            _pass_over(best, other, why, left)
        found.append(best)
    graded = {(s.student, s.assignment): s for s in found if s.problem is None and s.notebook}
    kept = []
    for sub in found:
        owner = graded.get((sub.student, sub.assignment)) if sub.problem else None
        if owner is None:
            kept.append(sub)
        else:
            _pass_over(owner, sub, phrase("refused: {problem}", problem=words_of(sub.problem or "")), left)
    for sub in kept:
        if sub.others:
            sub.review.append(phrase(
                "{count} files for {assignment}/{notebook}: graded '{origin}' (the latest on-time one; late only when "
                "none is on time); not graded: {others}", count=str(len(sub.others) + 1),
                assignment=str(sub.assignment), notebook=str(sub.notebook), origin=sub.origin,
                others=_listed(sub.others)))
    return kept, left


def _listed(items: list[Words]) -> Words:
    """`items` joined by "; ", as one `Words` (each rendered in the reader's language)."""
    joined = items[-1]
    for item in reversed(items[:-1]):
        joined = phrase("{first}; {rest}", first=item, rest=joined)
    return joined


def _pass_over(best: Submission, other: Submission, why: Words, left: list[Left]) -> None:
    best.others.append(phrase("'{origin}' ({why})", origin=other.origin, why=why))
    left.append(Left(other.origin, f"not graded: {why}; for {best.student}'s {best.assignment} '{best.origin}' counts"))


def flag_oversized(found: list[Submission], limit: int) -> None:
    """Give every notebook over `limit` bytes a problem: it is reported, never run."""
    for sub in found:
        if sub.problem is None and sub.size is not None and sub.size > limit:
            sub.problem = english(
                "the notebook is {size} MB, over the {limit} MB limit: not run (check it by hand, or raise "
                "max_notebook_bytes)", size=f"{sub.size / 1024**2:.1f}", limit=f"{limit / 1024**2:g}"
            )


def write_intake_report(workspace: Path, intake: Intake) -> Path:
    """`intake-report.csv`: every file of the input that is not graded, with its reason (header only when none)."""
    from grader.grading.report import csv_text

    path = workspace / REPORT_NAME
    with path.open("w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f)
        writer.writerow(["file", "reason"])
        for item in intake.left:
            writer.writerow([csv_text(shown(item.file, None)), csv_text(shown(item.reason, None))])
    return path


def print_intake(intake: Intake, report: Path, out, most: int = 10) -> None:
    """The summary's lines on intake: the layout read, and the files not graded (the first `most`)."""
    print(f"layout: {intake.layout}; {len(intake.left)} file(s) not graded, listed in {report}", file=out)
    for item in intake.left[:most]:
        print(f"  {shown(item.file, 80)}: {shown(item.reason, 120)}", file=out)
    if len(intake.left) > most:
        print(f"  ... and {len(intake.left) - most} more", file=out)
