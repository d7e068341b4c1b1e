"""A submission and whose it is: the layouts of the input (an nbgrader tree, a flat folder, Canvas, Moodle and
Blackboard exports), each recognised by its own fixed parts, anchored at the start of a name.

An LMS name is read from its start, by the parts the LMS writes, and never past them into the part the student
chose (a Blackboard file named `x_alice_attempt_..._01_term.ipynb` by mallory stays mallory's):
  * Canvas: `login[_LATE]_<userid>_<fileid>_<file>`: the login has no `_`; the user id keys the roster; the
    file id (Canvas's number of the upload, growing with time) orders one student's files;
  * Moodle files: `Full Name_<id>_assignsubmission_<plugin>_<file>`, Moodle folders per student
    `Full Name_<id>_assignsubmission_<plugin>_/...` (anything below it is that student's): the id keys the roster;
  * Blackboard: `<assignment>_<user>_attempt_<YYYY-MM-DD-HH-MM-SS>[_<file>]`: the first `_attempt_<stamp>` after
    a user name with no `_`; the user name keys the roster; `.txt` receipts are the LMS's own files;
  * an nbgrader tree `<student>/<assignment>/*.ipynb`: the folder's name keys the roster;
  * a flat folder: `<student>__<anything>.ipynb`, else `<student>_<anything>.ipynb`, else `<student>.ipynb`.
Names are cleaned by grader/grading/names.py; ids are given by the roster (grader/grading/roster.py).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime
from enum import Enum
from pathlib import Path

from grader.course.words import Words, phrase
from grader.grading.names import MAX_ID_CHARS, clean_name, id_problems, safe_id, shown


class Layout(str, Enum):
    """The layouts `--layout` names; AUTO picks the one whose rule takes every notebook (grader/grading/intake.py)."""

    AUTO = "auto"
    NBGRADER = "nbgrader"
    FLAT = "flat"
    CANVAS = "canvas"
    MOODLE = "moodle"
    BLACKBOARD = "blackboard"

    def __str__(self) -> str:
        return self.value


CANVAS = re.compile(r"^(?P<name>[^_]+)(?P<late>_LATE)?_(?P<uid>\d+)_(?P<sub>\d+)_(?P<file>.+)$")
MOODLE_FILE = re.compile(r"^(?P<name>[^_/]+)_(?P<uid>\d+)_assignsubmission_(?P<plugin>[a-z]+)_(?P<file>.+)$")
MOODLE_FOLDER = re.compile(r"^(?P<name>[^_/]+)_(?P<uid>\d+)_assignsubmission_(?P<plugin>[a-z]+)_?$")
BLACKBOARD = re.compile(
    r"^(?P<assignment>.+?)_(?P<name>[^_]+)_attempt_(?P<stamp>\d{4}-\d\d-\d\d-\d\d-\d\d-\d\d)(?:_(?P<file>.+))?$"
)


@dataclass(frozen=True)
class Identity:
    """Who a file belongs to, read by one layout's rule.

    `key` identifies the person across runs (`canvas:12345`, `moodle:12345`, `blackboard:doejane`,
    `nbgrader:amy`, `flat:amy`); `name` the person part of the name; `submitted_as` the name as submitted (with
    the LMS user id); `file` the part the student chose (matched to a notebook); `late` the LMS's own late marker;
    `attempt` Blackboard's attempt time (naive, the LMS's clock); `order` the LMS's own order of submissions
    (Canvas's file id)."""

    key: str
    name: str
    submitted_as: str
    layout: Layout
    file: str
    late: bool | None = None
    attempt: datetime | None = None
    order: int = 0


def canvas(parts: tuple[str, ...]) -> Identity | None:
    match = CANVAS.match(parts[-1]) if len(parts) == 1 else None
    if not match:
        return None
    uid = match["uid"]
    return Identity(f"canvas:{uid}", match["name"], f"{match['name']}_{uid}", Layout.CANVAS, match["file"],
                    late=bool(match["late"]), order=int(match["sub"]))


def moodle(parts: tuple[str, ...]) -> Identity | None:
    folder = MOODLE_FOLDER.match(parts[0]) if len(parts) > 1 else None
    match = folder or (MOODLE_FILE.match(parts[0]) if len(parts) == 1 else None)
    if not match:
        return None
    file = parts[-1] if folder else match["file"]
    return Identity(f"moodle:{match['uid']}", match["name"], f"{match['name']}_{match['uid']}", Layout.MOODLE, file)


def blackboard(parts: tuple[str, ...]) -> Identity | None:
    match = BLACKBOARD.match(parts[-1].removesuffix(".txt")) if len(parts) == 1 else None
    if not match:
        return None
    attempt = datetime.strptime(match["stamp"], "%Y-%m-%d-%H-%M-%S")
    return Identity(f"blackboard:{match['name']}", match["name"], match["name"], Layout.BLACKBOARD,
                    match["file"] or parts[-1], attempt=attempt)


def nbgrader_tree(parts: tuple[str, ...], assignments: list[str]) -> Identity | None:
    """`<student>/<assignment>/<notebook>.ipynb` (or the student or assignment folder itself, when it is a link)."""
    notebook = len(parts) == 3 and parts[1] in assignments and parts[2].endswith(".ipynb")
    linked = len(parts) == 2 and parts[1] in assignments or len(parts) == 1 and not parts[0].endswith(".ipynb")
    if notebook or linked:
        return Identity(f"nbgrader:{parts[0]}", parts[0], parts[0], Layout.NBGRADER, parts[-1])
    return None


def flat(parts: tuple[str, ...]) -> Identity:
    """The plain rule of a flat folder, on the file's own name (any depth)."""
    stem = parts[-1].removesuffix(".ipynb")
    if "__" in stem:
        raw = stem.split("__", 1)[0]
    elif "_" in stem:
        raw = stem.split("_", 1)[0]
    else:
        raw = stem
    return Identity(f"flat:{raw}", raw, raw, Layout.FLAT, parts[-1])


def identify(layout: Layout, parts: tuple[str, ...], assignments: list[str]) -> Identity | None:
    """The identity `layout`'s rule reads in a path inside the input (its parts), or None: the rule does not take
    it (it is reported)."""
    if layout is Layout.CANVAS:
        return canvas(parts)
    if layout is Layout.MOODLE:
        return moodle(parts)
    if layout is Layout.BLACKBOARD:
        return blackboard(parts)
    if layout is Layout.NBGRADER:
        return nbgrader_tree(parts, assignments)
    return flat(parts)


def identity_from_filename(name: str) -> Identity:
    """The identity in one exported file name, by the LMS rules first, then the flat rule (for a single file)."""
    parts = (name.rsplit("/", 1)[-1],)
    return canvas(parts) or moodle(parts) or blackboard(parts) or flat(parts)


def student_id_from_filename(name: str) -> str:
    """The student id (before the roster) in an exported file name."""
    return safe_id(identity_from_filename(Path(name).name).name)


@dataclass
class Submission:
    """One notebook to grade. `problem` is set when it cannot be graded at all (named in the report); `review`
    holds needs-review reasons that do not stop grading (an id collision); `submitted_as` is the student's name as
    submitted (cleaned for reading, see names.py); `size` is the file's size in bytes (None when it was not a
    regular file); `origin` the file's path inside the input (shown); `submitted_at` when it was submitted (from
    a source the student cannot write, see lateness.py), `late_by` seconds past the due date (None: not late or
    unknown), `late` whether it counts as late; `others` the other files of this student and notebook that were
    not graded, each with why; `key` the roster key of the person."""

    student: str
    assignment: str | None
    path: Path
    notebook: str | None = None  # the source notebook's name (stem) it is graded against
    problem: str | None = None
    submitted_as: str = ""
    review: list[str | Words] = field(default_factory=list)  # `Words`: said to the student in their language too
    size: int | None = None
    key: str = ""
    origin: str = ""
    submitted_at: datetime | None = None
    late: bool = False
    late_by: float | None = None
    order: tuple = ()
    others: list[Words] = field(default_factory=list)


def make_submission(who: Identity, assignment, path: Path, notebook=None, problem=None, size=None) -> Submission:
    """A Submission for `who` (its id is given later by the roster); a name that cannot be an id as it is is
    flagged."""
    submitted_as = clean_name(who.submitted_as).text
    sub = Submission(safe_id(who.name), assignment, path, notebook, problem, submitted_as, size=size, key=who.key)
    reasons = [_name_problem_words(reason) for reason in id_problems(who.name)]
    if reasons:
        problems = reasons[-1]
        for reason in reversed(reasons[:-1]):
            problems = phrase("{first} and {rest}", first=reason, rest=problems)
        sub.review.append(phrase("the submitted name '{name}' holds {problems}: graded as {student}; check who this is",
                                 name=shown(who.submitted_as), problems=problems, student=repr(sub.student)))
    return sub


_NAME_PROBLEMS = {  # names.id_problems' words, as words of the catalog (a student reads the note too)
    "undecodable bytes": phrase("undecodable bytes"),
    "lone surrogates": phrase("lone surrogates"),
    "control characters": phrase("control characters"),
    "a path separator": phrase("a path separator"),
    "'..'": phrase("'..'"),
    "nothing left after cleaning": phrase("nothing left after cleaning"),
    f"more than {MAX_ID_CHARS} characters": phrase("more than {count} characters", count=str(MAX_ID_CHARS)),
}


def _name_problem_words(reason: str) -> str | Words:
    return _NAME_PROBLEMS.get(reason, reason)


@dataclass
class Found:
    """A file (or refused entry) taken by a layout's rule, before it is given an assignment; `parts` its path in
    the input, `mtime` its modification time as collected (aware, UTC) or the zip entry's time."""

    path: Path
    who: Identity
    problem: str | None = None
    size: int | None = None
    parts: tuple[str, ...] = ()
    mtime: datetime | None = None
