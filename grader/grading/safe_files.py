"""Reading student-reachable files without following links: regular files only, never a symlink, FIFO, socket or
device (a FIFO would hang the grader; a link could point at a file only the instructor may read)."""

from __future__ import annotations

import os
import stat
from pathlib import Path

from grader.errors import CourseError

LINK = "a link, not a notebook"

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


