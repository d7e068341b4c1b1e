"""`bpcourse start`: give a student their own copy of the course without ever overwriting their work.

The student's folder keeps, under `.bpcourse/delivered/`, the release version each notebook was last
delivered as. That is how an update tells "the course changed" (deliver the new version beside the
student's copy) from "the student edited it" (leave it alone).

`bpcourse start --fresh NOTEBOOK` (`fresh_copy`) is the way back from an emptied or damaged notebook: the
course's notebook takes its place and the old file stays beside it as NAME.before-fresh-<date>-<time>.ipynb.
"""

from __future__ import annotations

import hashlib
import shutil
import time
from dataclasses import dataclass, field
from pathlib import Path

from grader.course.words import english, say
from grader.errors import CourseError

DELIVERED_DIRNAME = ".bpcourse/delivered"


@dataclass
class CopyReport:
    """What `copy_course` did, notebook by notebook (paths relative to the student's folder)."""

    added: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    kept_student_edits: list[str] = field(default_factory=list)
    updates_beside: list[tuple[str, str]] = field(default_factory=list)  # (student's copy, new version)

    def lines(self, lang: str = "en") -> list[str]:
        """One line per notebook that changed, and a count of those that did not, in `lang`."""
        out = [say(lang, "added       {path}", path=p) for p in self.added]
        out += [say(lang, "kept        {path} (your edits; the course has not changed it)", path=p)
                for p in self.kept_student_edits]
        out += [say(lang, "updated     {new} (a newer course version; your {mine} is untouched)", new=new, mine=mine)
                for mine, new in self.updates_beside]
        if self.unchanged:
            out.append(say(lang, "up to date  {count} notebook(s)", count=len(self.unchanged)))
        return out


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def update_name(rel: Path, release_file: Path) -> Path:
    """`01_term/01_term.ipynb` -> `01_term/01_term.course-update-<8 hex>.ipynb` (same content, same name)."""
    return rel.with_name(f"{rel.stem}.course-update-{_digest(release_file)[:8]}{rel.suffix}")


def edition_file(release_root: Path, rel: Path, edition: Path | None) -> Path:
    """The file a student gets for `rel`: the translated edition's (`course-ko/`) when it has one, else English."""
    if edition is not None and (edition / rel).is_file():
        return edition / rel
    return release_root / rel


def copy_course(release_root: Path, dest: Path, edition: Path | None = None) -> CopyReport:
    """Copy every file of the release into `dest`, never overwriting a file that exists there.

    Args:
        release_root: the generated student release (`course/`), one folder per assignment.
        dest: the student's working folder; created if missing.
        edition: a translated release (`course-ko/`) whose notebooks replace their English ones (None: English).
    """
    if dest.exists() and not dest.is_dir():
        raise CourseError(english("{dest} is a file: name a folder for your copy of the course (or omit it).",
                                  dest=str(dest)))
    report = CopyReport()
    delivered_root = dest / DELIVERED_DIRNAME
    for original in sorted(p for p in release_root.rglob("*") if p.is_file()):
        rel = original.relative_to(release_root)
        if any(part.startswith(".") for part in rel.parts):
            continue
        src = edition_file(release_root, rel, edition)
        target, delivered = dest / rel, delivered_root / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        if not target.exists():
            shutil.copyfile(src, target)
            report.added.append(str(rel))
        elif _digest(target) == _digest(src):
            report.unchanged.append(str(rel))
        elif delivered.exists() and _digest(delivered) == _digest(src):
            report.kept_student_edits.append(str(rel))
            continue  # the course has not changed since delivery; the difference is the student's work
        else:
            beside = dest / update_name(rel, src)
            if not beside.exists():
                shutil.copyfile(src, beside)
            report.updates_beside.append((str(rel), str(beside.relative_to(dest))))
        delivered.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(src, delivered)
    return report


@dataclass
class FreshCopy:
    """What `fresh_copy` did: the notebook now fresh, and where the file it replaced was kept (None: no file)."""

    notebook: Path
    kept_as: Path | None


def _release_notebook(release_root: Path, name: str) -> Path:
    """The release notebook called `name` (`01_term.ipynb`, `01_term` or `01_term/01_term.ipynb`)."""
    wanted = Path(name)
    candidates = sorted(p for p in release_root.rglob("*.ipynb") if not any(
        part.startswith(".") for part in p.relative_to(release_root).parts))
    for match in (
        lambda p: p.relative_to(release_root) == wanted,
        lambda p: p.name == wanted.name,
        lambda p: p.stem == wanted.name,
    ):
        found = [p for p in candidates if match(p)]
        if len(found) == 1:
            return found[0]
    names = ", ".join(p.name for p in candidates) or "none"
    raise CourseError(english("{name} is not a course notebook: give one of {names} (or its path in your folder).",
                               name=name, names=names))


def _kept_name(path: Path) -> Path:
    """A free name beside `path` for the file a fresh copy replaces: NAME.before-fresh-<date>-<time>[-n].ipynb."""
    stamp = time.strftime("%Y%m%d-%H%M%S")
    for n in range(1000):
        suffix = f"-{n}" if n else ""
        candidate = path.with_name(f"{path.stem}.before-fresh-{stamp}{suffix}{path.suffix}")
        if not candidate.exists():
            return candidate
    raise CourseError(english("too many earlier copies beside {path}: move some away and try again.", path=str(path)))


def fresh_copy(release_root: Path, dest: Path, notebook: str, edition: Path | None = None) -> FreshCopy:
    """Replace one notebook with a fresh copy of the course's, keeping the old file beside it (never deleted).

    Args:
        release_root: the generated student release (`course/`).
        dest: the student's course folder.
        notebook: the notebook to renew: its path (as `bpcourse check` takes it), a path inside `dest`
            (`01_term/01_term.ipynb`) or a course notebook's name (`01_term.ipynb`, `01_term`).
    """
    given = Path(notebook)
    if given.is_dir():
        raise CourseError(english("{path} is a folder: give the path of one .ipynb notebook inside it.",
                                  path=str(given)))
    original = _release_notebook(release_root, given.name if given.is_file() else notebook)
    rel = original.relative_to(release_root)
    src = edition_file(release_root, rel, edition)
    target = given if given.is_file() else dest / rel
    kept = None
    if target.exists():
        kept = _kept_name(target)
        target.rename(kept)  # a rename in the same folder: the student's file is moved, never copied over
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(src, target)
    if target.resolve() == (dest / rel).resolve():
        delivered = dest / DELIVERED_DIRNAME / rel
        delivered.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(src, delivered)
    return FreshCopy(target, kept)
