"""A submission and whose it is: student ids from LMS export names (Canvas, Moodle, Blackboard) and plain
patterns, cleaned and checked; two submitted names that clean to one id are kept apart and flagged.

The schemes are documented in grader/grading/intake.py and `bpcourse grade --help`.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path

CANVAS = re.compile(r"^(?P<name>[^_]+)(?:_LATE)?_(?P<uid>\d+)_\d+_.+$")
MOODLE_FILE = re.compile(r"^(?P<name>[^_]+)_(?P<uid>\d+)_assignsubmission_[a-z]+_.+$")
MOODLE_FOLDER = re.compile(r"^(?P<name>[^_]+)_(?P<uid>\d+)_assignsubmission_[a-z]+_?$")
BLACKBOARD = re.compile(r"^.*_(?P<name>[^_]+)_attempt_\d{4}(?:-\d\d){5}(?:_.*)?$")


@dataclass
class Submission:
    """One notebook to grade. `problem` is set when it cannot be graded at all (named in the report); `review`
    holds needs-review reasons that do not stop grading (an id collision); `submitted_as` is the student's name as
    submitted, before cleaning; `size` is the file's size in bytes (None when it was not a regular file)."""

    student: str
    assignment: str | None
    path: Path
    notebook: str | None = None  # the source notebook's name (stem) it is graded against
    problem: str | None = None
    submitted_as: str = ""
    review: list[str] = field(default_factory=list)
    size: int | None = None


@dataclass(frozen=True)
class Identity:
    """Who a file belongs to: `name` is the person part of the submitted name, `submitted_as` the whole key (the
    name plus the LMS user id when the export has one), `scheme` which naming scheme matched."""

    name: str
    submitted_as: str
    scheme: str


def identity_from_filename(name: str) -> Identity:
    """The identity in an exported file name (see the module docstring); the LMS schemes are tried first, since
    their file part may hold `__` (`doejane_12345_678_my__work.ipynb`)."""
    stem = name.rsplit("/", 1)[-1].removesuffix(".ipynb")
    for scheme, pattern in (("canvas", CANVAS), ("moodle", MOODLE_FILE)):
        match = pattern.match(stem)
        if match:
            return Identity(match["name"], f"{match['name']}_{match['uid']}", scheme)
    match = BLACKBOARD.match(stem)
    if match:
        return Identity(match["name"], match["name"], "blackboard")
    if "__" in stem:
        raw = stem.split("__", 1)[0]
    elif "_" in stem:
        raw = stem.split("_", 1)[0]
    else:
        raw = stem
    return Identity(raw, raw, "plain")


def identity_from_folder(name: str) -> Identity | None:
    """The identity of a Moodle folder per student (`Jane Doe_12345_assignsubmission_file_`), else None."""
    match = MOODLE_FOLDER.match(name)
    return Identity(match["name"], f"{match['name']}_{match['uid']}", "moodle") if match else None


def student_id_from_filename(name: str) -> str:
    """The student id in an exported file name (see the module docstring)."""
    return safe_id(identity_from_filename(Path(name).name).name)


def safe_id(raw: str) -> str:
    """The id made of `raw`: letters, digits, `.`, `_` and `-` only (`unknown` if nothing is left)."""
    cleaned = re.sub(r"[^A-Za-z0-9._-]+", "-", raw.strip()).strip("-._")
    return cleaned or "unknown"


def shown(name: str) -> str:
    """A submitted name as a person may read it: quoted, control characters escaped, at most 80 characters."""
    text = "".join(c if unicodedata.category(c)[0] != "C" else f"\\x{ord(c):02x}" for c in name)
    return repr(text[:80])


def id_problems(name: str) -> list[str]:
    """Why a submitted name cannot become an id as it is (a path separator, `..`, control characters, nothing
    left after cleaning); empty when it is fine."""
    reasons = []
    if "/" in name or "\\" in name:
        reasons.append("a path separator")
    if ".." in name:
        reasons.append("'..'")
    if any(unicodedata.category(c) == "Cc" for c in name):
        reasons.append("control characters")
    if not re.sub(r"[^A-Za-z0-9._-]+", "-", name.strip()).strip("-._"):
        reasons.append("nothing left after cleaning")
    return reasons


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8", "surrogateescape")).hexdigest()[:6]


def make_submission(who: Identity, assignment, path: Path, notebook=None, problem=None, size=None) -> Submission:
    """A Submission for `who`: the id is the cleaned name; a name that cannot be an id as it is gets flagged."""
    sub = Submission(safe_id(who.name), assignment, path, notebook, problem, who.submitted_as, size=size)
    reasons = id_problems(who.name)
    if reasons:
        sub.review.append(
            f"the submitted name {shown(who.submitted_as)} holds {' and '.join(reasons)}: graded as "
            f"{sub.student!r}; check who this is"
        )
    return sub


def keep_apart(found: list[Submission]) -> None:
    """Give different submitted names that clean to one id distinct ids (the id plus a digest of the name) and
    flag every one of them: a grade is never merged into another student's. Ids that differ only in case collide
    too (`Ann` and `ann` are one folder on a case-insensitive file system)."""
    names: dict[str, set[str]] = {}
    for sub in found:
        names.setdefault(sub.student.casefold(), set()).add(sub.submitted_as)
    for sub in found:
        colliding = names[sub.student.casefold()]
        if len(colliding) < 2:
            continue
        old = sub.student
        sub.student = f"{old}-{_digest(sub.submitted_as)}"
        listed = ", ".join(shown(n) for n in sorted(colliding))
        sub.review.append(
            f"student id {old!r} came from {len(colliding)} different submitted names ({listed}): kept apart, this "
            f"one ({shown(sub.submitted_as)}) as {sub.student!r}; check who is who"
        )


@dataclass
class Found:
    """A file (or refused entry) found at intake, before it is given an assignment."""

    path: Path
    who: Identity
    problem: str | None = None
    size: int | None = None
