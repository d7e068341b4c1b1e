"""A grading job's writable folders on a tmpfs of their own: a hard cap on bytes and files while the job runs, on no
file system that the workspace or a classmate's job shares (issue 21, item 4).

A job's forked process (grader/grading/job_runner.py) calls `enter_private_mounts()` once, before the job: where it
may (CAP_SYS_ADMIN, i.e. the grader runs as root, as on a grading server or in CI) the process gets a mount namespace
of its own with private propagation. From then on `mount_capped(folder, ...)` puts a size- and inode-limited tmpfs on
`folder`: seen by this process and what it starts (the kernel, the re-check child), by nobody else, and gone with the
job's last process even if the job is killed. A notebook that fills its folder gets ENOSPC in its own tmpfs; the
workspace's disk, where every result is recorded, never fills.

Where it may not (an instructor's own account, a Dask worker that runs jobs in its threads), nothing is mounted and
the folders stay on the workspace's file system under the running watchdog (job_kernel.Watchdog: the kernel is
stopped once its folder passes the cap, checked twice a second) and the per-file size limit: a soft cap, said by
`isolation_note()`.
"""

from __future__ import annotations

import ctypes
import os
from pathlib import Path

_CLONE_NEWNS = 0x00020000
_MS_NOSUID, _MS_NODEV, _MS_REC, _MS_PRIVATE = 0x2, 0x4, 0x4000, 0x40000
_MNT_DETACH = 0x2
_state = {"private": False, "why": "not tried"}


def _libc() -> ctypes.CDLL:
    return ctypes.CDLL(None, use_errno=True)


def enter_private_mounts() -> bool:
    """Give this (single-threaded, freshly forked) process a mount namespace of its own whose mounts never propagate
    back. True when it did; otherwise the reason is kept for `isolation_note()`."""
    if _state["private"]:
        return True
    if os.geteuid() != 0:
        _state["why"] = "the grader does not run as root"
        return False
    libc = _libc()
    if libc.unshare(_CLONE_NEWNS) != 0:
        _state["why"] = f"unshare: {os.strerror(ctypes.get_errno())}"
        return False
    # Without this, a tmpfs mounted here would propagate to the parent's namespace (/ is shared under systemd).
    if libc.mount(b"none", b"/", None, _MS_REC | _MS_PRIVATE, None) != 0:
        _state["why"] = f"making / private: {os.strerror(ctypes.get_errno())}"
        return False
    _state["private"] = True
    return True


def mount_capped(folder: Path, max_bytes: int, max_files: int) -> bool:
    """Mount an empty tmpfs of at most `max_bytes` and `max_files` inodes, mode 0700, on the empty `folder`. False
    (nothing mounted) outside a private mount namespace or when the kernel refuses."""
    if not _state["private"]:
        return False
    options = f"size={max_bytes},nr_inodes={max_files},mode=0700".encode()
    flags = _MS_NOSUID | _MS_NODEV
    return _libc().mount(b"bpcourse-job", str(folder).encode(), b"tmpfs", flags, options) == 0


def unmount(folder: Path) -> None:
    """Detach the tmpfs on `folder` (its files go with it), if this process mounted one."""
    if _state["private"]:
        _libc().umount2(str(folder).encode(), _MNT_DETACH)


def is_capped(folder: Path) -> bool:
    """Whether `folder` is itself a mount point (its own file system) in this process's view."""
    try:
        return os.stat(folder).st_dev != os.stat(Path(folder).parent).st_dev
    except OSError:
        return False


def namespace_fd() -> int | None:
    """A descriptor of this process's own mount namespace (a kernel forked elsewhere joins it with `join_namespace`,
    to see the job's tmpfs), or None when the process has none of its own."""
    return os.open("/proc/self/ns/mnt", os.O_RDONLY | os.O_CLOEXEC) if _state["private"] else None


def join_namespace(fd: int) -> None:
    """Enter the mount namespace `fd` names (a single-threaded process with CAP_SYS_ADMIN); OSError if refused."""
    if _libc().setns(fd, _CLONE_NEWNS) != 0:
        errno = ctypes.get_errno()
        raise OSError(errno, f"setns: {os.strerror(errno)}")


def isolation_note() -> str:
    """How jobs' folders are capped here, for the isolation line of the summary."""
    if _state["private"]:
        return "job folders: own tmpfs (hard cap)"
    return f"job folders: watchdog only ({_state['why']})"


def folder_usage(root: Path) -> tuple[int, int]:
    """(files, bytes) under `root`."""
    files, size = 0, 0
    for dirpath, _, names in os.walk(root):
        for name in names:
            files += 1
            try:
                size += os.lstat(os.path.join(dirpath, name)).st_size
            except OSError:
                pass
    return files, size
