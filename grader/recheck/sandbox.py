"""The sandbox of the trusted re-check: a fresh, limited process that runs a student's solution cells.

nbgrader runs hidden tests in the student's own kernel, where student code can patch numpy, hook imports,
rewrite later cells or loop forever after a correct `def`. Here the student's solution cells (selected by grade
id) run in a separate `python -I -S` process (grader/sandboxed/runner.py) with CPU-time, address-space and file-size
limits, a throw-away working folder outside the checkout, an environment without the checkout on its path, Landlock
where the kernel has it (files outside that folder and the Python installation, TCP and signals refused by the
kernel itself) and an audit hook that refuses and names reads outside that folder and the Python installation,
writes outside the folder, processes, sockets and ctypes. `run_job` starts one such process on a job (cells,
calls) and returns what it reported; `grader.recheck.trusted_check` plans the calls and compares the results.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import selectors
import shutil
import signal
import subprocess
import sys
import sysconfig
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from grader.course.cells import without_magics
from grader.course.paths import repo_root
from grader.course.words import Words, phrase
from grader.recheck.limits import Limits
from grader.sandboxed import scratch_fs, zygote_client
from grader.sandboxed.zygote_client import ForkedProcess, Zygote, ZygoteUnavailable

log = logging.getLogger(__name__)
RUNNER = Path(__file__).resolve().parents[1] / "sandboxed" / "runner.py"  # run as a script, never imported here
LOG_TAIL_BYTES = 8192  # of the child's stdout/stderr, shown with `bpcourse grade --debug`
OUTPUT_GRACE_SECONDS = 2.0  # after the report closed, for the rest of the child's output

MAX_REPORT_BYTES = 32 * 1024 * 1024
SANDBOX_BYTES, SANDBOX_FILES = 64 * 1024**2, 4_000  # the child's whole writable space
CAP_CHECK_SECONDS = 0.5
WANT_LINE_BYTES = 4096  # without a tmpfs of its own (not root), how often the child's folder is measured


def _over_cap(sandbox: Path) -> bool:
    """Whether the child's folder passed its cap: on its own tmpfs the kernel enforces it (never true here)."""
    if scratch_fs.is_capped(sandbox):
        return False
    files, size = scratch_fs.folder_usage(sandbox)
    return files > SANDBOX_FILES or size > SANDBOX_BYTES


# Replaced by stand-ins inside the sandbox: plotting and widgets cost seconds of import time and the re-check only
# calls functions. The deep-learning frameworks too, unless a spec needs them (`frameworks=True`, 04f).
STUB_MODULES = ["matplotlib", "ipywidgets", "IPython.display", "bp_helpers.plotting", "bp_helpers.widgets"]
FRAMEWORK_MODULES = ["torch", "keras", "tensorflow"]


_HELPERS: dict[str, Path] = {}


def _helpers_dir() -> Path:
    """A copy of `bp_helpers` (public student helpers, no answers) the sandbox may import: one per version of the
    package, in a folder of this user's that nobody else may write (`~/.cache/bpcourse/helpers-<hash>`): a copy
    another user could have planted there first would run in every student's re-check."""
    if "dir" in _HELPERS and _HELPERS["dir"].exists():
        return _HELPERS["dir"]

    package = Path(__file__).resolve().parents[2] / "bp_helpers"  # beside grader/, as installed
    digest = hashlib.sha256()
    for path in sorted(package.rglob("*.py")):
        digest.update(str(path.relative_to(package)).encode() + path.read_bytes())
    cache = _private_folder(Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "bpcourse")
    target = cache / f"helpers-{digest.hexdigest()[:16]}"
    if not (target / "bp_helpers").is_dir():
        staging = Path(tempfile.mkdtemp(prefix="helpers-staging-", dir=cache))
        shutil.copytree(package, staging / "bp_helpers", ignore=shutil.ignore_patterns("__pycache__"))
        try:
            os.rename(staging, target)  # atomic: a concurrent worker's copy wins, this one is dropped
        except OSError:
            shutil.rmtree(staging, ignore_errors=True)
    _HELPERS["dir"] = target
    return target


def _private_folder(path: Path) -> Path:
    """`path`, created with mode 0700; if it exists but another user owns it or others may write it, a fresh
    private folder instead."""
    path.mkdir(parents=True, exist_ok=True, mode=0o700)
    info = path.stat()
    if info.st_uid != os.getuid() or info.st_mode & 0o022:
        return Path(tempfile.mkdtemp(prefix="bpcourse-"))
    return path


def _python_paths() -> list[str]:
    """sys.path for the child: the Python installation and its site-packages, nothing from the checkout."""

    repo = str(Path(repo_root()).resolve())
    prefix = str(Path(sys.prefix).resolve())
    paths = []
    for entry in sys.path:
        if not entry or not os.path.isdir(entry):
            continue
        real = os.path.realpath(entry)
        if (real == repo or real.startswith(repo + os.sep)) and not real.startswith(prefix + os.sep):
            continue
        if real not in paths:
            paths.append(real)
    return paths


def _read_roots() -> list[str]:
    roots = {sysconfig.get_paths()[k] for k in ("stdlib", "platstdlib", "purelib", "platlib")}
    roots.update(p for p in _python_paths())
    roots.update({str(_helpers_dir()), "/dev/urandom", "/dev/null", "/usr/share/zoneinfo"})
    return sorted(os.path.realpath(r) for r in roots)


def _child_env(sandbox: Path) -> dict[str, str]:
    env = {
        "PATH": "/usr/bin:/bin",
        "HOME": str(sandbox),
        "TMPDIR": str(sandbox),
        "LANG": "C.UTF-8",
        "MPLBACKEND": "Agg",
        "MPLCONFIGDIR": str(sandbox),
        "OPENBLAS_NUM_THREADS": "1",
        "OMP_NUM_THREADS": "1",
        "MKL_NUM_THREADS": "1",
    }
    for key in ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE"):  # needed for correct results on some processors
        if key in os.environ:
            env[key] = os.environ[key]
    return env


def _describe_exit(code: int | None, limits: Limits) -> Words:
    if code is None:
        return phrase("did not finish within {seconds} s (an infinite loop?)", seconds=f"{limits.wall_seconds:g}")
    if code < 0:
        sig = -code
        if sig in (signal.SIGXCPU, signal.SIGKILL):
            return phrase("was stopped after {seconds} s of CPU time (an infinite loop at top level?)",
                          seconds=f"{limits.cpu_seconds:g}")
        return phrase("was killed by signal {signal}", signal=signal.Signals(sig).name)
    return phrase("exited early (status {code}): the code ends the process itself", code=str(code))


class _CallFeed:
    """Sends the child one planned call each time it asks ("want" with the next index), and an end line after the
    last: the child never holds a later call's inputs while an earlier call runs (issue 21). A "want" out of order
    (student code writing to the report) is not answered; the protocol check flags it (grader/recheck/protocol.py).
    """

    def __init__(self, calls: list[dict]):
        self.lines = [json.dumps(call).encode() + b"\n" for call in calls] + [b'{"end": true}\n']
        self.next = 0
        self.pending = bytearray()
        self.partial = bytearray()  # the report's last incomplete line

    def read(self, chunk: bytes) -> None:
        """Look for complete "want" lines in a chunk of the report; queue the call asked for. Only a line's first
        WANT_LINE_BYTES are kept (a "want" is short): student output without newlines costs no quadratic copying."""
        head, newline, tail = chunk.rpartition(b"\n")
        if not newline:
            self.partial.extend(tail[: max(0, WANT_LINE_BYTES - len(self.partial))])
            return
        complete = (bytes(self.partial) + head).split(b"\n")
        self.partial = bytearray(tail[:WANT_LINE_BYTES])
        for line in complete:
            if b'"want"' not in line or self.next >= len(self.lines):
                continue
            try:
                event = json.loads(line)
            except ValueError:
                continue
            if isinstance(event, dict) and event.get("event") == "want" and event.get("index") == self.next:
                self.pending.extend(self.lines[self.next])
                self.next += 1


def _drain(
    report_fd: int, output_fd: int, feed_fd: int, feed: _CallFeed, deadline: float, over_cap: Callable[[], bool]
) -> tuple[bytearray, bytearray, bool, bool]:
    """Read the child's report until it closes, answering its "want" lines with the next planned call on
    `feed_fd`, keeping the tail of its other output meanwhile (for `--debug`; drained so that printing never
    blocks the child), and that output's last bytes for a moment after (the child exits right after its report).
    `over_cap()` is asked twice a second: True stops reading (the caller kills the child).
    Returns (report, output tail, whether the deadline passed first, whether the child's folder passed its cap)."""
    report, output = bytearray(), bytearray()
    report_open = True
    os.set_blocking(feed_fd, False)  # a child that asks and never reads must not block the grader
    with selectors.DefaultSelector() as sel:
        sel.register(report_fd, selectors.EVENT_READ)
        sel.register(output_fd, selectors.EVENT_READ)
        writing, checked = False, time.monotonic()
        while (left := deadline - time.monotonic()) > 0 and (report_open or output_fd in sel.get_map()):
            if time.monotonic() - checked >= CAP_CHECK_SECONDS:
                checked = time.monotonic()
                if over_cap():
                    return report, output, report_open, True
            if feed.pending and not writing and report_open:
                sel.register(feed_fd, selectors.EVENT_WRITE)
                writing = True
            for key, _ in sel.select(timeout=min(left, CAP_CHECK_SECONDS)):
                if key.fd == feed_fd:
                    try:
                        sent = os.write(feed_fd, feed.pending[: 1 << 16])
                    except BrokenPipeError:  # the child is gone: nothing more to send
                        sent = len(feed.pending)
                    except BlockingIOError:
                        sent = 0
                    del feed.pending[:sent]
                    if not feed.pending:
                        sel.unregister(feed_fd)
                        writing = False
                    continue
                chunk = os.read(key.fd, 1 << 16)
                if not chunk:
                    sel.unregister(key.fd)
                    if key.fd == report_fd:
                        report_open = False
                        if writing:
                            sel.unregister(feed_fd)
                            writing = False
                        deadline = min(deadline, time.monotonic() + OUTPUT_GRACE_SECONDS)
                elif key.fd == output_fd:
                    output = (output + chunk)[-LOG_TAIL_BYTES:]
                elif len(report) < MAX_REPORT_BYTES:
                    report.extend(chunk)
                    feed.read(chunk)
    return report, output, report_open, False


def _start_child(sandbox: Path, report_fd: int, frameworks: bool) -> tuple[ForkedProcess | subprocess.Popen, int, int]:
    """The child: forked by this run's re-check zygote when there is one (grader/sandboxed/recheck_zygote.py), else a
    new `python -I -S runner.py`. Returns it, the write end of its stdin and the read end of its stdout."""
    stdin_read, stdin_write = os.pipe()
    output_read, output_write = os.pipe()
    zygotes = zygote_client.current()
    zygote = zygotes.for_recheck(frameworks) if zygotes is not None else None
    namespace = scratch_fs.namespace_fd() if zygote is not None else None
    try:
        if zygote is not None:
            try:
                fds = [stdin_read, output_write, report_fd, *([] if namespace is None else [namespace])]
                return zygote.fork(fds), stdin_write, output_read
            except ZygoteUnavailable as why:
                log.warning("re-check zygote: %s; starting the child as a new process", why)
        process = subprocess.Popen(
            [sys.executable, "-I", "-S", str(RUNNER), str(report_fd)],
            stdin=stdin_read,
            stdout=output_write,  # drained by the caller; only its tail is kept, for --debug
            stderr=subprocess.STDOUT,
            cwd=sandbox,
            env=_child_env(sandbox),
            pass_fds=(report_fd,),
            start_new_session=True,
        )
        return process, stdin_write, output_read
    finally:
        for fd in (stdin_read, output_write, *([] if namespace is None else [namespace])):
            os.close(fd)


def start_recheck_zygote(home: Path, log_path: Path | None = None, frameworks: bool = False) -> Zygote:
    """This run's re-check zygote: the children's sys.path and stand-ins, the children's environment with `home` (a
    folder of the grader's) for HOME; `frameworks`: PyTorch and Keras imported too, for 04f."""
    env = {**_child_env(home), "KERAS_BACKEND": "torch", "KERAS_HOME": str(home / "keras")}
    program = [sys.executable, "-I", "-S", str(RUNNER.with_name("recheck_zygote.py"))]
    args = [json.dumps([str(_helpers_dir()), *_python_paths()]), json.dumps(STUB_MODULES)]
    return Zygote.start(program, [*args, *(["--frameworks"] if frameworks else [])], env, log_path)


def run_child(
    job: dict, calls: list[dict], sandbox: Path, limits: Limits, frameworks: bool = False
) -> tuple[list[str], Words | None]:
    """Run the sandbox child on `job`, sending it `calls` one at a time as it asks; return the lines it reported
    (raw: grader/recheck/trusted_check.py reads them strictly) and, if it did not finish, why."""
    read_fd, write_fd = os.pipe()
    try:
        proc, stdin_fd, stdout_fd = _start_child(sandbox, write_fd, frameworks)
    finally:
        os.close(write_fd)
    feed = _CallFeed(calls)
    feed.pending.extend(json.dumps(job).encode() + b"\n")
    deadline = time.monotonic() + limits.wall_seconds
    try:
        data, output, timed_out, overflowed = _drain(
            read_fd, stdout_fd, stdin_fd, feed, deadline, lambda: _over_cap(sandbox)
        )
    finally:
        for fd in (read_fd, stdout_fd, stdin_fd):
            os.close(fd)
    try:
        code = proc.wait(timeout=0 if timed_out else 5)
    except subprocess.TimeoutExpired:
        code = None
    if overflowed:
        timed_out = True  # killed below, like a child past its deadline
    if code is None or timed_out:
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        proc.kill()  # a forked child killed before its setsid is in the zygote's group, not its own
        proc.wait()
    lines = bytes(data).decode("utf-8", "replace").splitlines()
    log.debug("re-check child's output (its last %d bytes): %r", LOG_TAIL_BYTES, bytes(output))
    finished = code == 0 and not timed_out
    if overflowed:
        return lines, phrase("wrote more than {megabytes} MB or {files} files into its folder (stopped)",
                             megabytes=str(SANDBOX_BYTES // 1024**2), files=str(SANDBOX_FILES))
    return lines, None if finished else _describe_exit(None if timed_out else code, limits)


def run_job(
    setup: list[str],
    cells: list[tuple[str, str]],
    calls: list[dict],
    limits: Limits,
    *,
    frameworks: bool = False,
    context_sources: list[str] | None = None,
    context_names: list[str] | None = None,
    probes_source: str = "",
) -> tuple[list[str], Words | None]:
    """Run the student's `cells` [(cell id, code)] after the trusted `setup` in a fresh sandbox; make `calls`.

    Each call is {"function", "case", "args" (encoded), "kind": "call"|"value", "probe": name or None,
    "context": bool}. `context_sources` (trusted solution code) run before any student code, in a namespace of
    their own, and `context_names` of it are passed to the probes of calls with "context". `probes_source`: the
    notebook's probe file (contracts/), loaded in the child after the kit's generic probes. Returns the events
    the child reported (raw lines) and, when it did not finish, why.
    """
    sandbox = Path(tempfile.mkdtemp(prefix="bpcourse-sandbox-"))
    # inside a grading job's private mount namespace, a capped tmpfs of its own (grader/sandboxed/scratch_fs.py)
    scratch_fs.mount_capped(sandbox, SANDBOX_BYTES, SANDBOX_FILES)
    try:
        job = {
            "limits": {  # confinement.limit_resources's arguments
                "cpu_seconds": limits.cpu_seconds,
                "memory_bytes": limits.memory_bytes,
                "file_bytes": limits.file_bytes,
            },
            "sys_path": [str(_helpers_dir()), *_python_paths()],
            "read_roots": _read_roots(),
            "sandbox": str(sandbox),
            "setup": [without_magics(code) for code in setup],  # the one magic transform, done here
            "context_sources": [without_magics(code) for code in context_sources or []],
            "context_names": context_names or [],
            "probes_source": probes_source,
            "stub_modules": STUB_MODULES if frameworks else STUB_MODULES + FRAMEWORK_MODULES,
            "cells": [{"id": cid, "source": without_magics(code)} for cid, code in cells],
            "cell_seconds": limits.cell_seconds,
            "env": _child_env(sandbox),  # a child forked by the re-check zygote sets it itself
            "call_seconds": limits.call_seconds,
        }
        return run_child(job, calls, sandbox, limits, frameworks)
    finally:
        scratch_fs.unmount(sandbox)
        shutil.rmtree(sandbox, ignore_errors=True)
