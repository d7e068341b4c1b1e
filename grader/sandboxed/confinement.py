"""Confinement of a process that runs student code: resource limits, Landlock, seccomp and an audit hook.

Used by the re-check child (grader/sandboxed/runner.py, as a top-level module: standard library only) and by the
guarded kernel (grader/sandboxed/kernel_guard.py). Every function here is applied before any student code runs.
"""

from __future__ import annotations

import ctypes
import os
import resource
import signal
import sys


def limit_resources(cpu_seconds: int = 0, memory_bytes: int = 0, file_bytes: int = 0) -> None:
    """Hard limits of this process (0: that limit unset); never a core dump."""
    for limit, value, room in (
        (resource.RLIMIT_CPU, cpu_seconds, 1),  # the extra second: SIGXCPU first, SIGKILL after
        (resource.RLIMIT_AS, memory_bytes, 0),
        (resource.RLIMIT_FSIZE, file_bytes, 0),
    ):
        if value:
            resource.setrlimit(limit, (int(value), int(value) + room))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))


def die_with_parent() -> None:
    """Be killed with the grading process that started this one (it may be stopped for running too long); exit at
    once if it is gone already (it died before the line below: nobody waits for this process)."""
    parent = os.getppid()
    ctypes.CDLL(None).prctl(1, int(signal.SIGKILL), 0, 0, 0)  # PR_SET_PDEATHSIG
    if os.getppid() != parent:  # reparented (to init or a subreaper): the parent died meanwhile
        os._exit(1)


def inside(path: str, roots: list[str]) -> bool:
    """Is `path` one of `roots` or below one of them (paths already resolved)?"""
    return any(path == root or path.startswith(root.rstrip(os.sep) + os.sep) for root in roots)


# Landlock (Linux 5.13+): the kernel itself refuses this process and its threads any file outside the roots, TCP
# connections and signals to other processes, whatever the code does (C extensions, ctypes, torch.from_file).
# Numbers from linux/landlock.h; the syscalls are the same on x86_64 and aarch64.
_LANDLOCK_CREATE, _LANDLOCK_ADD_RULE, _LANDLOCK_RESTRICT = 444, 445, 446
_FS_RIGHTS = [
    "execute",
    "write_file",
    "read_file",
    "read_dir",
    "remove_dir",
    "remove_file",
    "make_char",
    "make_dir",
    "make_reg",
    "make_sock",
    "make_fifo",
    "make_block",
    "make_sym",
    "refer",  # ABI 2
    "truncate",  # ABI 3
    "ioctl_dev",  # ABI 5
]
_FS_RIGHTS_BY_ABI = {1: 13, 2: 14, 3: 15, 5: 16}


class _RulesetAttr(ctypes.Structure):
    _fields_ = [("fs", ctypes.c_uint64), ("net", ctypes.c_uint64), ("scoped", ctypes.c_uint64)]


class _PathBeneath(ctypes.Structure):
    _pack_ = 1
    _fields_ = [("allowed", ctypes.c_uint64), ("parent_fd", ctypes.c_int32)]


class _NetPort(ctypes.Structure):
    _fields_ = [("allowed", ctypes.c_uint64), ("port", ctypes.c_uint64)]


_BIT = {name: 1 << i for i, name in enumerate(_FS_RIGHTS)}
_READ = _BIT["read_file"] | _BIT["read_dir"]
_FILE_RIGHTS = _BIT["read_file"] | _BIT["write_file"] | _BIT["truncate"] | _BIT["ioctl_dev"]


class _Refused(Exception):
    """A Landlock call failed: nothing is enforced (the message says which call)."""


def _libc():
    libc = ctypes.CDLL(None, use_errno=True)
    libc.syscall.restype = ctypes.c_long
    return libc


def _check(result: int, what: str) -> int:
    if result < 0:
        raise _Refused(f"off: {what} failed ({os.strerror(ctypes.get_errno())})")
    return result


def landlock_abi() -> int:
    """The Landlock ABI version this Linux kernel offers (0: none, older than 5.13 or disabled)."""
    return max(int(_libc().syscall(_LANDLOCK_CREATE, None, ctypes.c_size_t(0), ctypes.c_uint32(1))), 0)


def _add_path_rule(libc, ruleset: int, path: str, allowed: int, handled: int) -> None:
    try:
        fd = os.open(path, os.O_PATH | os.O_CLOEXEC)
    except OSError:
        return  # a root that does not exist grants nothing
    try:
        if not os.path.isdir(path):
            allowed &= _FILE_RIGHTS
        rule = _PathBeneath(allowed & handled, fd)
        _check(
            libc.syscall(_LANDLOCK_ADD_RULE, ruleset, 1, ctypes.byref(rule), ctypes.c_uint32(0)),
            f"landlock_add_rule({path})",
        )
    finally:
        os.close(fd)


def _enforce(libc, ruleset: int, abi: int, handled: int, read_roots, write_roots, bind_ports) -> None:
    for path in read_roots:
        _add_path_rule(libc, ruleset, path, _READ, handled)
    for path in write_roots:
        _add_path_rule(libc, ruleset, path, handled & ~_BIT["execute"], handled)
    for port in bind_ports if abi >= 4 else ():
        rule = _NetPort(1, int(port))  # LANDLOCK_ACCESS_NET_BIND_TCP
        _check(
            libc.syscall(_LANDLOCK_ADD_RULE, ruleset, 2, ctypes.byref(rule), ctypes.c_uint32(0)),
            f"landlock_add_rule(port {port})",
        )
    _check(libc.prctl(38, 1, 0, 0, 0), "prctl(PR_SET_NO_NEW_PRIVS)")  # required by landlock_restrict_self
    _check(libc.syscall(_LANDLOCK_RESTRICT, ruleset, ctypes.c_uint32(0)), "landlock_restrict_self")


def restrict_with_landlock(read_roots, write_roots, bind_ports=()) -> str:
    """Allow reading only under `read_roots` and everything (but executing) only under `write_roots`; refuse TCP
    connect and bind (ABI 4+; binding to `bind_ports` stays allowed) and signals or abstract sockets outside the
    process (ABI 6+). Must run before any other thread is started: a thread keeps the rights it was created with.

    Returns a description of what is enforced, or why nothing is (an older kernel: the audit hook alone guards).
    """
    libc = _libc()
    abi = libc.syscall(_LANDLOCK_CREATE, None, ctypes.c_size_t(0), ctypes.c_uint32(1))  # 1: ask the ABI version
    if abi < 1:
        return f"off: Landlock is not available ({os.strerror(ctypes.get_errno())}); the audit hook alone guards"
    handled = (1 << max(n for version, n in _FS_RIGHTS_BY_ABI.items() if version <= abi)) - 1
    attr = _RulesetAttr(handled, 0b11 if abi >= 4 else 0, 0b11 if abi >= 6 else 0)
    size = 24 if abi >= 6 else 16 if abi >= 4 else 8
    try:
        ruleset = _check(
            libc.syscall(_LANDLOCK_CREATE, ctypes.byref(attr), ctypes.c_size_t(size), ctypes.c_uint32(0)),
            "landlock_create_ruleset",
        )
    except _Refused as refused:
        return str(refused)
    try:
        _enforce(libc, ruleset, abi, handled, read_roots, write_roots, bind_ports)
    except _Refused as refused:
        return str(refused)
    finally:
        os.close(ruleset)
    enforced = ["files"] + (["TCP"] if abi >= 4 else []) + (["signals"] if abi >= 6 else [])
    return f"on: Landlock ABI {abi} ({', '.join(enforced)})"


def forbid_new_processes():
    """A seccomp filter (libseccomp, through pyseccomp) that refuses fork, vfork, execve and a clone that is not a
    thread, for this process and every thread it has or starts: C code and ctypes cannot start processes either.
    clone3 answers ENOSYS, so the C library falls back to clone for threads, whose flags the filter can read.
    Returns a description of what is enforced, or why nothing is."""
    import errno

    try:
        import pyseccomp as seccomp
    except Exception as err:  # noqa: BLE001 - libseccomp missing or unloadable
        return f"off ({type(err).__name__})"
    clone_thread = 0x00010000
    try:
        f = seccomp.SyscallFilter(defaction=seccomp.ALLOW)
        for name in ("fork", "vfork", "execve", "execveat"):
            f.add_rule(seccomp.ERRNO(errno.EPERM), name)
        f.add_rule(seccomp.ERRNO(errno.ENOSYS), "clone3")
        f.add_rule(seccomp.ERRNO(errno.EPERM), "clone", seccomp.Arg(0, seccomp.MASKED_EQ, clone_thread, 0))
        for name in REFUSED_SYSCALLS:
            try:
                f.add_rule(seccomp.ERRNO(errno.EPERM), name)
            except Exception:  # noqa: BLE001, S112 - a name this architecture lacks (`ipc` is x86_32's)
                continue
        f.set_attr(seccomp.Attr.CTL_TSYNC, 1)
        f.load()
    except Exception as err:  # noqa: BLE001
        return f"off ({type(err).__name__}: {err})"
    return "on (seccomp)"


# Kernel interfaces Python, numpy, matplotlib and ipykernel never need, each a way out of the job or into another:
# SysV IPC objects outlive the process (a channel between students' kernels); io_uring does I/O the filter cannot
# see; pidfds, ptrace and process_vm_* reach other processes; bpf, perf, userfaultfd, keys, namespaces and mounts
# are the kernel's largest attack surface; personality could turn off address randomization.
REFUSED_SYSCALLS = (
    "ipc", "msgget", "msgsnd", "msgrcv", "msgctl", "semget", "semop", "semtimedop", "semctl",
    "shmget", "shmat", "shmdt", "shmctl",
    "mq_open", "mq_unlink", "mq_timedsend", "mq_timedreceive", "mq_notify", "mq_getsetattr",
    "io_uring_setup", "io_uring_enter", "io_uring_register",
    "pidfd_open", "pidfd_getfd", "pidfd_send_signal",
    "bpf", "perf_event_open", "userfaultfd", "keyctl", "add_key", "request_key",
    "mount", "umount2", "pivot_root", "unshare", "setns", "chroot", "fsopen", "fsmount", "fsconfig", "fspick",
    "move_mount", "open_tree", "mount_setattr",
    "ptrace", "process_vm_readv", "process_vm_writev", "process_madvise", "kcmp",
    "init_module", "finit_module", "delete_module", "kexec_load", "kexec_file_load", "reboot", "swapon", "swapoff",
    "acct", "quotactl", "syslog", "personality", "name_to_handle_at", "open_by_handle_at", "lookup_dcookie",
    "fanotify_init", "settimeofday", "clock_settime", "adjtimex", "clock_adjtime", "sethostname", "setdomainname",
    "vhangup", "iopl", "ioperm", "memfd_secret",
)  # fmt: skip
AF_UNIX = 1


def forbid_sockets() -> str:
    """A second seccomp filter: socket() and socketpair() only for AF_UNIX, so no network of any kind (UDP, raw,
    netlink, packet, vsock) can be opened, from Python or C. Applied once the process has opened what it needs
    (the kernel's Jupyter channels are bound by then: the sockets already open keep working; accept() makes no
    new socket). A UNIX socket reaches only paths Landlock grants or this process's own abstract ones (ABI 6)."""
    import errno

    try:
        import pyseccomp as seccomp
    except Exception as err:  # noqa: BLE001 - libseccomp missing or unloadable
        return f"off ({type(err).__name__})"
    try:
        f = seccomp.SyscallFilter(defaction=seccomp.ALLOW)
        for name in ("socket", "socketpair"):
            f.add_rule(seccomp.ERRNO(errno.EACCES), name, seccomp.Arg(0, seccomp.NE, AF_UNIX))
        f.set_attr(seccomp.Attr.CTL_TSYNC, 1)
        f.load()
    except Exception as err:  # noqa: BLE001
        return f"off ({type(err).__name__}: {err})"
    return "on (AF_UNIX only)"


# Audit events that touch paths: listing or entering a folder (reads), changing the tree (writes).
READ_EVENTS = {"os.listdir", "os.scandir", "glob.glob", "os.chdir", "shutil.copyfile", "shutil.copytree"}
CHANGE_EVENTS = {
    "os.remove",
    "os.rename",
    "os.rmdir",
    "os.mkdir",
    "os.chmod",
    "os.chown",
    "os.truncate",
    "os.link",
    "os.symlink",
    "shutil.rmtree",
    "shutil.move",
    "os.utime",
}
PROCESS_PREFIXES = ("subprocess.", "os.exec", "os.spawn", "os.posix_spawn", "os.fork", "pty.")


def install_audit_guard(
    readable,
    writable,
    deny,
    *,
    forbidden=(),
    forbidden_prefixes=(),
    change_events=CHANGE_EVENTS,
    read_why="outside its folder",
):
    """An audit hook (Python-level: C code is the business of Landlock) that calls `deny(what)` (which must raise)
    on a read of a path `readable(real path)` refuses, a write `writable(real path)` refuses, or an event in
    `forbidden` or starting with `forbidden_prefixes`; `change_events` are the audit events that change the tree.
    Used by the sandbox child and by grader/sandboxed/kernel_guard.py."""
    realpath = os.path.realpath
    write_flags = os.O_WRONLY | os.O_RDWR | os.O_APPEND | os.O_CREAT | os.O_TRUNC
    forbidden, forbidden_prefixes = set(forbidden), tuple(forbidden_prefixes)
    busy = [False]  # the hook's own calls (realpath) raise events too

    def real(arg):
        return realpath(os.fsdecode(arg))

    def hook(event, args):
        if busy[0]:
            return
        busy[0] = True
        try:
            if event == "open":
                path, mode, flags = args
                if isinstance(path, int) or path is None:
                    return
                writing = (mode is not None and any(c in str(mode) for c in "wax+")) or (
                    mode is None and isinstance(flags, int) and flags & write_flags
                )
                if writing and not writable(real(path)):
                    deny(f"writes {real(path)} (outside its folder)")
                if not writing and not readable(real(path)):
                    deny(f"reads {real(path)} ({read_why})")
            elif event in forbidden or event.startswith(forbidden_prefixes):
                deny(f"calls {event}")
            elif event in READ_EVENTS or event in change_events:
                allowed = writable if event in change_events else readable
                why = "outside its folder" if event in change_events else read_why
                for arg in args[:2]:
                    if isinstance(arg, str | bytes | os.PathLike) and not allowed(real(arg)):
                        deny(f"{event} {real(arg)} ({why})")
        finally:
            busy[0] = False

    sys.addaudithook(hook)
