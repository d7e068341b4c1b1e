"""The kernel nbgrader's autograde runs in: an IPython kernel with limits and an audit hook.

Started through a kernelspec that `grader.grade` writes into the workspace (`python -m grader.kernel_guard -f
CONNECTION_FILE`). Before the kernel starts: resource limits (address space, file size, no core dumps) and one
thread per numeric library. After the kernel has bound its sockets and before it runs any cell: an audit hook
that refuses reading the solutions, the workspace (gradebook, sources, other students) and anything the
configuration names, writing outside the kernel's working folder and starting processes. Refusals raise
PermissionError in the student's cell and are appended to a log the grader reads (opened before student code).

Configuration: the JSON in the environment variable BPCOURSE_KERNEL_GUARD:
  {"deny_read": [folders], "allow_write": [folders], "memory_bytes": int, "file_bytes": int}
The kernel's working folder (its cwd) is always readable and writable; the log is `<cwd>.guard.log`.
"""

from __future__ import annotations

import json
import os
import sys


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
    realpath = os.path.realpath
    deny_read = [realpath(p) for p in config.get("deny_read", [])]
    allow_write = [workdir, "/dev/null", *(realpath(p) for p in config.get("allow_write", []))]
    allow_read = [workdir, *(realpath(p) for p in config.get("allow_write", []))]
    write_flags = os.O_WRONLY | os.O_RDWR | os.O_APPEND | os.O_CREAT | os.O_TRUNC
    # ctypes stays allowed here: torch loads its libraries through it (the sandbox refuses ctypes).
    forbidden_prefixes = ("subprocess.", "os.exec", "os.spawn", "os.posix_spawn", "os.fork", "pty.")
    forbidden = {"os.system", "os.forkpty"}
    path_events = {"os.listdir", "os.scandir", "glob.glob", "os.chdir"}
    change_events = {
        "os.remove",
        "os.rename",
        "os.rmdir",
        "os.chmod",
        "os.chown",
        "os.truncate",
        "os.link",
        "os.symlink",
        "shutil.rmtree",
        "shutil.move",
    }
    busy = [False]

    def deny(what: str) -> None:
        try:
            log.write(what + "\n")
            log.flush()
        except Exception:
            pass
        raise PermissionError(f"the grader does not allow this: {what}")

    def readable(real: str) -> bool:
        return _inside(real, allow_read) or not _inside(real, deny_read)

    def hook(event: str, args: tuple) -> None:
        if busy[0]:
            return
        busy[0] = True
        try:
            if event == "open":
                path, mode, flags = args
                if isinstance(path, int) or path is None:
                    return
                real = realpath(os.fsdecode(path))
                writing = (mode is not None and any(c in str(mode) for c in "wax+")) or (
                    mode is None and isinstance(flags, int) and flags & write_flags
                )
                if writing and not _inside(real, allow_write):
                    deny(f"writes {real} (outside its folder)")
                if not writing and not readable(real):
                    deny(f"reads {real} (solutions, hidden tests or grades)")
            elif event in forbidden or event.startswith(forbidden_prefixes):
                deny(f"calls {event}")
            elif event in path_events:
                if args and isinstance(args[0], str | bytes | os.PathLike):
                    real = realpath(os.fsdecode(args[0]))
                    if not readable(real):
                        deny(f"{event} {real} (solutions, hidden tests or grades)")
            elif event in change_events:
                for arg in args[:2]:
                    if isinstance(arg, str | bytes | os.PathLike):
                        real = realpath(os.fsdecode(arg))
                        if not _inside(real, allow_write):
                            deny(f"{event} {real} (outside its folder)")
        finally:
            busy[0] = False

    sys.addaudithook(hook)


def main() -> None:
    config = json.loads(os.environ.get("BPCOURSE_KERNEL_GUARD", "{}"))
    for var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ.setdefault(var, "1")
    _limit(config)
    from ipykernel.kernelapp import IPKernelApp

    workdir = os.path.realpath(os.getcwd())
    os.environ["TMPDIR"] = workdir  # tempfile's probing of /tmp, /var/tmp ... would be refused writes
    import tempfile

    tempfile.tempdir = workdir
    log = open(workdir.rstrip(os.sep) + ".guard.log", "a", encoding="utf-8")  # noqa: SIM115 - kept open on purpose
    app = IPKernelApp.instance()
    app.initialize(sys.argv[1:])
    install_hook(workdir, config, log)
    app.start()


if __name__ == "__main__":
    main()
