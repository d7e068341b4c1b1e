"""The kernel nbgrader's autograde runs in: an IPython kernel with limits, Landlock and an audit hook.

Started through a kernelspec that `grader.workspace` writes into the workspace (`python -m grader.kernel_guard -f
CONNECTION_FILE`). Before the kernel starts (before any thread): resource limits (address space, file size, no
core dumps), one thread per numeric library, and Landlock where the Linux kernel has it, so that the kernel
itself refuses reading the denied folders (C extensions included), writing outside the working folder, TCP other
than binding the kernel's own ports, and signals to other processes. The first line of the log says whether it
did. After the kernel has bound its sockets and before it runs any cell: an audit hook that refuses reading the
solutions, the workspace (gradebook, sources, other students) and anything the configuration names, writing
outside the kernel's working folder and starting processes. Refusals raise PermissionError in the student's cell
and are appended to a log the grader reads (opened before student code).

Configuration: the JSON in the environment variable BPCOURSE_KERNEL_GUARD:
  {"deny_read": [folders], "allow_write": [folders], "memory_bytes": int, "file_bytes": int}
The kernel's working folder (its cwd) is always readable and writable; the log is `<cwd>.guard.log`.
"""

from __future__ import annotations

import json
import os
import sys

ISOLATION_PREFIX = "# isolation "  # the log's first line: how the kernel was confined (not a refusal)


def _inside(path: str, roots: list[str]) -> bool:
    return any(path == r or path.startswith(r.rstrip(os.sep) + os.sep) for r in roots)


def _limit(config: dict) -> None:
    import resource

    memory = int(config.get("memory_bytes", 0))
    if memory:
        resource.setrlimit(resource.RLIMIT_AS, (memory, memory))
    size = int(config.get("file_bytes", 0))
    if size:
        resource.setrlimit(resource.RLIMIT_FSIZE, (size, size))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))


def install_hook(workdir: str, config: dict, log) -> None:
    """The audit hook: no reads of the denied folders (except the working folder inside them), writes only in the
    working folder and `allow_write`, no processes. Refusals are logged, then raised in the student's cell."""
    from grader.sandbox_runner import CHANGE_EVENTS, PROCESS_PREFIXES, install_audit_guard

    realpath = os.path.realpath
    deny_read = [realpath(p) for p in config.get("deny_read", [])]
    allow_write = [workdir, "/dev/null", *(realpath(p) for p in config.get("allow_write", []))]
    allow_read = [workdir, *(realpath(p) for p in config.get("allow_write", []))]

    def deny(what: str) -> None:
        try:
            log.write(what + "\n")
            log.flush()
        except Exception:
            pass
        raise PermissionError(f"the grader does not allow this: {what}")

    install_audit_guard(
        lambda path: _inside(path, allow_read) or not _inside(path, deny_read),
        lambda path: _inside(path, allow_write),
        deny,
        forbidden={"os.system", "os.forkpty"},
        forbidden_prefixes=PROCESS_PREFIXES,  # ctypes stays allowed here: torch loads its libraries through it
        # torch makes cache folders (/tmp/torchinductor_<user>) and copes with a refusal: Landlock refuses them
        # quietly; flagging them would flag every 04f notebook
        change_events=CHANGE_EVENTS - {"os.mkdir", "os.utime"},
        read_why="solutions, hidden tests or grades",
    )


def readable_complement(deny: list[str]) -> list[str]:
    """Paths whose subtrees together hold everything but the `deny` subtrees: Landlock only grants, so a deny list
    becomes the siblings of every denied path and of each of its ancestors (the ancestors themselves stay
    unlisted: their other entries are granted one by one)."""
    deny = [os.path.realpath(d) for d in deny]
    blocked = set()  # the denied paths and all their ancestors
    for path in deny:
        while path not in blocked:
            blocked.add(path)
            path = os.path.dirname(path)
    granted = []
    for folder in sorted(blocked):
        if folder in deny:
            continue
        try:
            entries = os.listdir(folder)
        except OSError:
            continue
        granted += [os.path.join(folder, e) for e in sorted(entries) if os.path.join(folder, e) not in blocked]
    return granted


def _connection_ports(argv: list[str]) -> tuple[str | None, list[int]]:
    """The connection file named by `-f FILE` and the kernel's five TCP ports in it."""
    path = argv[argv.index("-f") + 1] if "-f" in argv[:-1] else None
    try:
        info = json.loads(open(path, encoding="utf-8").read()) if path else {}  # noqa: SIM115
    except (OSError, ValueError):
        return path, []
    return path, [
        int(info[k]) for k in ("shell_port", "iopub_port", "stdin_port", "control_port", "hb_port") if info.get(k)
    ]


def _restrict(config: dict, workdir: str, argv: list[str]) -> str:
    from grader.sandbox_runner import restrict_with_landlock

    connection_file, ports = _connection_ports(argv)
    reads = readable_complement(config.get("deny_read", []))
    writes = [workdir, "/dev/null", *config.get("allow_write", [])]
    # port 0: an ephemeral port, for the IOPub pipe ipykernel binds on 127.0.0.1 (subprocess output)
    return restrict_with_landlock([*reads, *filter(None, [connection_file])], writes, bind_ports=[*ports, 0])


def main() -> None:
    config = json.loads(os.environ.get("BPCOURSE_KERNEL_GUARD", "{}"))
    for var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ.setdefault(var, "1")
    _limit(config)
    from ipykernel.kernelapp import IPKernelApp

    workdir = os.path.realpath(os.getcwd())
    os.environ["TMPDIR"] = workdir  # tempfile's probing of /tmp, /var/tmp ... would be refused writes
    os.environ["IPYTHONDIR"] = os.path.join(workdir, ".ipython")  # IPython's profile, written at start, stays here
    import tempfile

    tempfile.tempdir = workdir
    log = open(workdir.rstrip(os.sep) + ".guard.log", "a", encoding="utf-8")  # noqa: SIM115 - kept open on purpose
    log.write(f"{ISOLATION_PREFIX}{_restrict(config, workdir, sys.argv[1:])}\n")
    log.flush()
    app = IPKernelApp.instance()
    app.initialize(sys.argv[1:])
    install_hook(workdir, config, log)
    app.start()


if __name__ == "__main__":
    main()
