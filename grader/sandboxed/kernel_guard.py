"""The kernel nbgrader's autograde runs in: an IPython kernel that sees only what it needs.

Started through the kernelspec `grader.grading.workspace` writes (`python -m grader.sandboxed.kernel_guard -f
CONNECTION_FILE`), in two stages, both before any student code:
  1. launch (jupyter_client's environment and file descriptors): close every inherited descriptor but the three
     standard ones (jupyter_client starts kernels with close_fds=False: the grader's pipes and logs would be
     within reach), send stdout and stderr to the job's private log, open the guard channel (a FIFO the worker
     reads) as descriptor 3, then exec this module again with a clean environment: only the variables below,
     none of the grader's (so /proc/self/environ holds nothing of the grader's either);
  2. confined: resource limits (address space, file size, no core dumps; the worker watches CPU seconds),
     a seccomp filter (no new processes, even from C; no SysV IPC, io_uring, pidfd, bpf, ptrace, mounts...:
     confinement.REFUSED_SYSCALLS), and Landlock, which grants reads only of the Python
     installation, the system libraries, a few files of /etc, this process's own /proc entry, the course's
     `bp_helpers` and the job's own folder, and writes only in the job's own folder. Then IPython starts, and an
     audit hook names what Python code tried and was refused: it writes one line per refusal to the channel.
     Once IPython has bound its Jupyter channels, a second seccomp filter allows socket() only for AF_UNIX.

Configuration: the JSON in the environment variable BPCOURSE_KERNEL_GUARD (set for each job by its kernel manager,
grader.grading.job_kernel.GradingKernelManager.for_job):
  {"job": folder of this job's kernel (work/, home/ inside), "private": folder the kernel may not read (the
   channel FIFO, the log), "read": [more folders to grant], "deny": [folders no grant may cover],
   "memory_bytes": int, "file_bytes": int}
The first line on the channel says how the kernel was confined (ISOLATION_PREFIX).
"""

from __future__ import annotations

import json
import os
import sys
import sysconfig

from grader.sandboxed.confinement import (
    CHANGE_EVENTS,
    PROCESS_PREFIXES,
    forbid_new_processes,
    forbid_sockets,
    inside,
    install_audit_guard,
    limit_resources,
    restrict_with_landlock,
)

ISOLATION_PREFIX = "# isolation "  # the channel's first line: how the kernel was confined (not a refusal)
CHANNEL_FD = 3
STAGE = "BPCOURSE_KERNEL_STAGE"
# Read-only system files a kernel needs (time zone, user and host names for the C library, fonts).
SYSTEM_FILES = [
    "/etc/localtime",
    "/etc/timezone",
    "/etc/nsswitch.conf",
    "/etc/passwd",
    "/etc/group",
    "/etc/hosts",
    "/etc/ld.so.cache",
    "/etc/fonts",
    "/etc/ssl/certs",
    "/etc/mime.types",
    "/usr",
    "/lib",
    "/lib64",
    "/sys/devices/system/cpu",
    "/dev/urandom",
    "/dev/null",
    "/dev/zero",
]
# Refusals under these are the Landlock grant working on a library's probing (fonts, CPU counts): not flagged.
QUIET_PREFIXES = ("/usr/", "/etc/", "/sys/", "/dev/", "/proc/self/", "/lib")
# The grader's variables a kernel keeps besides its configuration: correct BLAS results; jupyter's parent polling.
PASSED_THROUGH = ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE", "JPY_PARENT_PID")


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


def python_roots() -> list[str]:
    """The Python installation: prefixes, the standard library and every site-packages folder on sys.path."""
    roots = {sys.prefix, sys.base_prefix, sys.exec_prefix}
    roots |= {sysconfig.get_paths()[k] for k in ("stdlib", "platstdlib", "purelib", "platlib")}
    roots |= {p for p in sys.path if p and "site-packages" in p or "dist-packages" in p}
    return sorted(os.path.realpath(r) for r in roots if r and os.path.exists(r))


def grants(config: dict) -> list[str]:
    """Every path the kernel may read, with any grant that would cover a `deny` folder split around it."""
    wanted = [*python_roots(), *SYSTEM_FILES, *config.get("read", []), config["job"]]
    deny = [os.path.realpath(d) for d in config.get("deny", [])]
    granted: list[str] = []
    for path in dict.fromkeys(os.path.realpath(p) for p in wanted):
        covered = [d for d in deny if inside(d, [path])]
        if not covered:
            granted.append(path)
            continue
        granted += [g for g in readable_complement(covered) if inside(g, [path])]
    return granted


def _lang(config_text: str) -> str:
    """The job's language from its configuration: two lowercase letters, else English."""
    try:
        lang = json.loads(config_text).get("lang", "en")
    except (ValueError, AttributeError):
        return "en"
    return lang if isinstance(lang, str) and len(lang) == 2 and lang.isascii() and lang.islower() else "en"


def clean_environment(config_text: str, job: str) -> dict[str, str]:
    """The only variables the kernel gets: its own folders, the plotting backend, one thread per numeric library."""
    env = {
        "PATH": "/usr/bin:/bin",
        "LANG": "C.UTF-8",
        "HOME": os.path.join(job, "home"),
        "TMPDIR": os.path.join(job, "home"),
        "MPLCONFIGDIR": os.path.join(job, "home", "matplotlib"),
        "IPYTHONDIR": os.path.join(job, "home", "ipython"),
        "JUPYTER_RUNTIME_DIR": os.path.join(job, "home", "runtime"),
        "MPLBACKEND": "module://matplotlib_inline.backend_inline",
        "OPENBLAS_NUM_THREADS": "1",
        "OMP_NUM_THREADS": "1",
        "MKL_NUM_THREADS": "1",
        "PYDEVD_DISABLE_FILE_VALIDATION": "1",
        "BPCOURSE_KERNEL_GUARD": config_text,
        "BPCOURSE_LANG": _lang(config_text),  # the helpers' hints in the notebook's language
        STAGE: "confined",
    }
    for key in PASSED_THROUGH:
        if key in os.environ:
            env[key] = os.environ[key]
    return env


def _shed(config_text: str, config: dict) -> dict[str, str]:
    """Stage 1's work: stdout and stderr to the job's private log, the guard channel as descriptor 3, every other
    descriptor closed; returns the clean environment, its folders made."""
    private = config["private"]
    log = os.open(os.path.join(private, "kernel.log"), os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
    channel = os.open(os.path.join(private, "channel"), os.O_WRONLY)  # a FIFO: what is written stays written
    for fd in (1, 2):
        os.dup2(log, fd)
    os.dup2(channel, CHANNEL_FD)
    os.closerange(CHANNEL_FD + 1, os.sysconf("SC_OPEN_MAX") if hasattr(os, "sysconf") else 65536)
    os.set_inheritable(CHANNEL_FD, True)
    env = clean_environment(config_text, config["job"])
    for folder in ("HOME", "MPLCONFIGDIR", "IPYTHONDIR", "JUPYTER_RUNTIME_DIR"):
        os.makedirs(env[folder], exist_ok=True)
    return env


def _launch(config_text: str, config: dict) -> None:
    """Stage 1: shed what the grader's process handed down, then exec the confined stage."""
    env = _shed(config_text, config)
    os.execve(sys.executable, [sys.executable, "-m", "grader.sandboxed.kernel_guard", *sys.argv[1:]], env)


def _limit(config: dict) -> None:
    # No RLIMIT_CPU: with one set, Linux counts this process's CPU clock in whole ticks, and a notebook that
    # times its own code (05's cost experiment, with time.process_time) reads 0. The worker's watchdog enforces
    # the notebook's CPU budget instead (grader/grading/job_kernel.py).
    limit_resources(memory_bytes=int(config.get("memory_bytes", 0)), file_bytes=int(config.get("file_bytes", 0)))


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


def _restrict(config: dict, argv: list[str]) -> str:

    processes = forbid_new_processes()  # first: loading libseccomp runs ldconfig, which Landlock would refuse
    connection_file, ports = _connection_ports(argv)
    writes = [config["job"], "/dev/null"]
    # port 0: an ephemeral port, for the IOPub pipe ipykernel binds on 127.0.0.1 (subprocess output)
    reads = [*grants(config), f"/proc/{os.getpid()}", *filter(None, [connection_file])]
    landlock = restrict_with_landlock(reads, writes, bind_ports=[*ports, 0])
    return f"{landlock}; processes {processes}"


def install_hook(config: dict, channel) -> None:
    """The audit hook: names what Python code tried and Landlock (or, without it, this hook) refuses: reads outside
    the grants, writes outside the job's folder, new processes. One line per refusal goes to the channel."""

    job = os.path.realpath(config["job"])
    readable = [*grants(config), f"/proc/{os.getpid()}"]

    def deny(what: str) -> None:
        try:
            channel.write(what.replace("\n", " ") + "\n")
            channel.flush()
        except Exception:
            pass
        raise PermissionError(f"the grader does not allow this: {what}")

    # the grader package's own frames' source, read to format a traceback
    grader = os.path.dirname(os.path.dirname(os.path.realpath(__file__)))

    def may_read(path: str) -> bool:
        quiet = path.startswith(QUIET_PREFIXES) or inside(path, [grader])
        return inside(path, readable) or quiet and not path.startswith("/proc/")

    install_audit_guard(
        may_read,
        lambda path: inside(path, [job, "/dev/null"]),
        deny,
        forbidden={"os.system", "os.forkpty"},
        forbidden_prefixes=PROCESS_PREFIXES,  # ctypes stays allowed here: torch loads its libraries through it
        # torch makes cache folders (/tmp/torchinductor_<user>) and copes with a refusal: Landlock refuses them
        # quietly; flagging them would flag every framework notebook (04f)
        change_events=CHANGE_EVENTS - {"os.mkdir", "os.utime"},
        read_why="outside the course files",
    )


def _serve(config: dict, argv: list[str]) -> None:
    """Stage 2, confined: limits, seccomp and Landlock, then IPython (its channels bound before the socket filter),
    then the audit hook; serves until shut down."""
    _limit(config)
    import tempfile

    from ipykernel.kernelapp import IPKernelApp

    tempfile.tempdir = os.environ["TMPDIR"]
    channel = os.fdopen(CHANNEL_FD, "w", buffering=1, encoding="utf-8")
    isolation = _restrict(config, argv)
    app = IPKernelApp.instance()
    app.initialize(argv)
    # the Jupyter channels are bound now: from here on no socket but a UNIX one (no network, even from C)
    channel.write(f"{ISOLATION_PREFIX}{isolation}; sockets {forbid_sockets()}\n")
    channel.flush()
    install_hook(config, channel)
    app.start()


def serve_forked(argv: list[str], passed: dict[str, str]) -> None:
    """The kernel in a process the kernel zygote forked (grader/sandboxed/kernel_zygote.py), which has imported
    the kernel's libraries already: both stages without the exec. `passed`: the job's BPCOURSE_KERNEL_GUARD and
    the PASSED_THROUGH variables; the working folder is the job's already."""
    config_text = passed.get("BPCOURSE_KERNEL_GUARD", "{}")
    config = json.loads(config_text)
    os.environ.clear()
    os.environ.update({k: v for k, v in passed.items() if k in PASSED_THROUGH})
    env = _shed(config_text, config)
    os.environ.clear()
    os.environ.update(env)
    sys.argv = [sys.argv[0], *argv]
    _serve(config, argv)


def main() -> None:
    config_text = os.environ.get("BPCOURSE_KERNEL_GUARD", "{}")
    config = json.loads(config_text)
    if os.environ.get(STAGE) != "confined":
        _launch(config_text, config)  # does not return
    _serve(config, sys.argv[1:])


if __name__ == "__main__":
    main()
