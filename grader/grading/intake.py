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
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import stat
import tempfile
import unicodedata
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

from grader.errors import CourseError
from grader.grading.records import Settings

MAX_ZIP_MEMBER_BYTES = 50 * 1024 * 1024  # a single notebook in a zip; larger ones are refused, not unpacked
MAX_ZIP_MEMBERS = 10_000
MAX_ZIP_TOTAL_BYTES = 1024**3  # the declared uncompressed size of the whole zip
MAX_ZIP_RATIO = 100  # uncompressed / compressed, for the whole zip and for any member over 1 MB
GUESS_READ_BYTES = Settings.max_notebook_bytes  # a larger notebook is not opened to guess its assignment
EXTRACTED: list[Path] = []  # folders a zip was unpacked into; `cleanup()` removes them once graded

LINK = "a link, not a notebook"
LINKED_FOLDER = "a link, not a folder of notebooks: refused, never read (copy the folder itself)"
CANVAS = re.compile(r"^(?P<name>[^_]+)(?:_LATE)?_(?P<uid>\d+)_\d+_.+$")
MOODLE_FILE = re.compile(r"^(?P<name>[^_]+)_(?P<uid>\d+)_assignsubmission_[a-z]+_.+$")
MOODLE_FOLDER = re.compile(r"^(?P<name>[^_]+)_(?P<uid>\d+)_assignsubmission_[a-z]+_?$")
BLACKBOARD = re.compile(r"^.*_(?P<name>[^_]+)_attempt_\d{4}(?:-\d\d){5}(?:_.*)?$")


def cleanup() -> None:
    while EXTRACTED:
        shutil.rmtree(EXTRACTED.pop(), ignore_errors=True)


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


@dataclass
class Found:
    """A file (or refused entry) found at intake, before it is given an assignment."""

    path: Path
    who: Identity
    problem: str | None = None
    size: int | None = None


# ------------------------------------------------------------------------------------------------- identity


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


def _submission(who: Identity, assignment, path: Path, notebook=None, problem=None, size=None) -> Submission:
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


# ------------------------------------------------------------------------------------------ files, no links


def kind_of(mode: int) -> str | None:
    """None for a regular file, else why it is refused (the words of the needs-review flag)."""
    if stat.S_ISREG(mode):
        return None
    if stat.S_ISLNK(mode):
        return LINK
    if stat.S_ISFIFO(mode):
        return "a FIFO (named pipe), not a notebook"
    if stat.S_ISSOCK(mode):
        return "a socket, not a notebook"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device file, not a notebook"
    if stat.S_ISDIR(mode):
        return "a folder, not a notebook"
    return "not a regular file"


def open_regular(path: Path) -> int:
    """A read-only descriptor of `path`, opened without following a link; OSError (ELOOP for a link) or
    CourseError when it is anything but a regular file. Never blocks on a FIFO."""
    flags = os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0)
    fd = os.open(path, flags)
    problem = kind_of(os.fstat(fd).st_mode)
    if problem:
        os.close(fd)
        raise CourseError(f"{path.name}: {problem}")
    os.set_blocking(fd, True)
    return fd


def read_regular(path: Path, limit: int) -> bytes | None:
    """The bytes of a regular file of at most `limit` bytes (never following a link); None otherwise."""
    try:
        fd = open_regular(path)
    except (OSError, CourseError):
        return None
    with os.fdopen(fd, "rb") as f:
        data = f.read(limit + 1)
    return data if len(data) <= limit else None


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


# ------------------------------------------------------------------------------------------------ zips


def _entry_refusal(member: zipfile.ZipInfo) -> str | None:
    """Why a zip entry is refused: an absolute path or `..` (traversal), or a link or other special file."""
    name = member.filename
    parts = re.split(r"[/\\]", name)
    if name.startswith(("/", "\\")) or re.match(r"^[A-Za-z]:", name) or ".." in parts:
        return f"zip entry {shown(name)} points outside the export (absolute path or '..'): refused"
    mode = member.external_attr >> 16
    if stat.S_IFMT(mode) and not stat.S_ISREG(mode):
        return f"zip entry {shown(name)} is {kind_of(mode) or 'not a regular file'}: refused"
    return None


def check_zip_bomb(archive: Path, members: list[zipfile.ZipInfo]) -> None:
    """Refuse the whole zip (CourseError) when it declares too many files, too many bytes, or a compression ratio
    no class export has (a zip bomb)."""
    if len(members) > MAX_ZIP_MEMBERS:
        raise CourseError(f"{archive} holds {len(members)} files: too many for a class export.")
    total = sum(m.file_size for m in members)
    packed = sum(m.compress_size for m in members) or 1
    ratios = [m.file_size / max(m.compress_size, 1) for m in members if m.file_size > 1024**2]
    if total > MAX_ZIP_TOTAL_BYTES or total / packed > MAX_ZIP_RATIO or any(r > MAX_ZIP_RATIO for r in ratios):
        raise CourseError(
            f"{archive} unpacks to {total / 1024**2:.0f} MB ({total / packed:.0f} times its packed size): refused "
            f"as a zip bomb (limits {MAX_ZIP_TOTAL_BYTES // 1024**2} MB, ratio {MAX_ZIP_RATIO}); unpack it yourself "
            "and check it, or ask for the export again."
        )


def _zip_identity(name: str) -> Identity:
    parts = [p for p in re.split(r"[/\\]", name) if p]
    for folder in parts[:-1]:
        who = identity_from_folder(folder)
        if who:
            return who
    return identity_from_filename(parts[-1] if parts else name)


def _wanted(name: str) -> bool:
    """A notebook entry, outside hidden and `__MACOSX` folders (`..` is not hidden: it is refused, and reported)."""
    parts = [p for p in re.split(r"[/\\]", name) if p not in ("", ".", "..")]
    hidden = any(p.startswith(".") or p == "__MACOSX" for p in parts)
    return bool(parts) and parts[-1].endswith(".ipynb") and not hidden


def _extract_zip(archive: Path, into: Path) -> list[Found]:
    """Unpack the notebooks of a zip, each into its own folder `into/<n>/<file name>`; refused entries come back
    with their problem. Never writes outside `into`, never creates a link, never unpacks past the limits."""
    found = []
    try:
        with zipfile.ZipFile(archive) as zf:
            members = [m for m in zf.infolist() if not m.is_dir()]
            check_zip_bomb(archive, members)
            for n, member in enumerate(sorted(members, key=lambda m: m.filename)):
                refusal = _entry_refusal(member)
                if not _wanted(member.filename) and not (refusal and "link" in refusal):
                    continue
                who = _zip_identity(member.filename)
                target = into / f"{n:05d}" / Path(re.split(r"[/\\]", member.filename)[-1] or "entry.ipynb").name
                if refusal is None and member.file_size > MAX_ZIP_MEMBER_BYTES:
                    mb, most = member.file_size / 1024**2, MAX_ZIP_MEMBER_BYTES // 1024**2
                    refusal = f"zip entry of {mb:.0f} MB, over the {most} MB an entry may hold: refused"
                if refusal is None:
                    refusal = _unpack(zf, member, target)
                found.append(Found(target, who, refusal, None if refusal else target.stat().st_size))
    except zipfile.BadZipFile:
        raise CourseError(f"{archive} is not a valid zip file: download the export again.") from None
    return found


def _unpack(zf: zipfile.ZipFile, member: zipfile.ZipInfo, target: Path) -> str | None:
    """Copy one entry into a new regular file, stopping past its declared size (a lying header)."""
    target.parent.mkdir(parents=True, exist_ok=True)
    limit = min(member.file_size, MAX_ZIP_MEMBER_BYTES)
    written = 0
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW
    try:
        with zf.open(member) as src, os.fdopen(os.open(target, flags, 0o600), "wb") as dst:
            while chunk := src.read(1024 * 1024):
                written += len(chunk)
                if written > limit:
                    return f"zip entry {shown(member.filename)} unpacks past its declared size: refused"
                dst.write(chunk)
    except (RuntimeError, NotImplementedError, zipfile.BadZipFile, EOFError, OSError) as err:
        # encrypted, an unknown compression method, a bad CRC or a damaged stream: this entry only
        return f"zip entry {shown(member.filename)} could not be unpacked ({type(err).__name__}): refused"
    return None


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
            found.append(_submission(who, only, student_dir, problem=LINKED_FOLDER))
            continue
        for assignment in assignments:
            if only and assignment != only:
                continue
            found.extend(_tree_assignment(student_dir / assignment, assignment, who, source_ids))
    return found


def _tree_assignment(folder: Path, assignment: str, who: Identity, source_ids) -> list[Submission]:
    if folder.is_symlink():
        return [_submission(who, assignment, folder, problem=LINKED_FOLDER)] if os.path.isdir(folder) else []
    if not folder.is_dir():
        return []
    entries = sorted(p for p in folder.iterdir() if p.name.endswith(".ipynb") and not p.name.startswith("."))
    if not entries:
        return [_submission(who, assignment, folder, problem="no notebook in the submission")]
    found = []
    for path in entries:
        item = _examine(path, who)
        if item.problem:
            found.append(_submission(who, assignment, path, problem=item.problem))
            continue
        notebook, problem = _notebook_of(assignment, path, source_ids)
        found.append(_submission(who, assignment, path, notebook, problem, item.size))
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
            found.append(_submission(item.who, only or single, item.path, problem=item.problem))
            continue
        if only:
            assignment = only
        else:
            guess = guess_assignment(item.path, source_ids)
            assignment = guess[0] if guess else single
        if assignment is None:
            problem = "belongs to no known assignment (unreadable?): give --assignment to grade it as one"
            found.append(_submission(item.who, None, item.path, None, problem, item.size))
            continue
        notebook, problem = _notebook_of(assignment, item.path, source_ids)
        found.append(_submission(item.who, assignment, item.path, notebook, problem, item.size))
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
