"""Reading student-reachable files without following links: regular files only, never a symlink, hard link, FIFO,
socket or device (a FIFO would hang the grader; a link could point at a file only the instructor may read, and a
hard link is that file itself under another name: a regular file with more than one link is refused too)."""

from __future__ import annotations

import os
import stat
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

from grader.course.words import english
from grader.errors import CourseError
from grader.grading.names import shown

LINK = english("a link, not a notebook")
HARD_LINK = english("a hard link (one of several names of one file), not a notebook: refused, never read (copy the "
                    "file)")

def kind_of(mode: int, links: int = 1) -> str | None:
    """None for a regular file with one link (`links`: st_nlink), else why it is refused (the words of the
    needs-review flag)."""
    if stat.S_ISREG(mode):
        return HARD_LINK if links > 1 else None
    if stat.S_ISLNK(mode):
        return LINK
    if stat.S_ISFIFO(mode):
        return english("a FIFO (named pipe), not a notebook")
    if stat.S_ISSOCK(mode):
        return english("a socket, not a notebook")
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return english("a device file, not a notebook")
    if stat.S_ISDIR(mode):
        return english("a folder, not a notebook")
    return english("not a regular file")


def open_regular(path: Path) -> int:
    """A read-only descriptor of `path`, opened without following a link; OSError (ELOOP for a link) or
    CourseError when it is anything but a regular file of one link. Never blocks on a FIFO."""
    flags = os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0)
    fd = os.open(path, flags)
    info = os.fstat(fd)
    problem = kind_of(info.st_mode, info.st_nlink)
    if problem:
        os.close(fd)
        raise CourseError(f"{shown(path.name)}: {problem}")
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




@dataclass
class Entry:
    """A file found in the input, before any layout's rule reads it: `parts` its path inside the input (names as
    found: undecodable bytes as surrogates), `path` where its bytes are, `problem` why it is refused (a link, a
    FIFO...), `size` in bytes, `mtime` when it was last written as collected (aware) or the zip entry's time
    (naive: the LMS's clock), `folder_link` a link in place of a folder."""

    parts: tuple[str, ...]
    path: Path
    problem: str | None = None
    size: int | None = None
    mtime: datetime | None = None
    folder_link: bool = False


def examine(path: Path, parts: tuple[str, ...]) -> Entry:
    """A file found in a folder: lstat only, so a link is named as one and never followed."""
    try:
        info = path.lstat()
    except OSError as err:
        return Entry(parts, path, f"unreadable ({err.strerror})")
    problem = kind_of(info.st_mode, info.st_nlink)
    when = datetime.fromtimestamp(info.st_mtime, timezone.utc)
    return Entry(parts, path, problem, None if problem else info.st_size, when)
