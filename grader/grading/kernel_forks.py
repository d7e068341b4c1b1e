"""Kernels forked by the kernel zygote (grader/sandboxed/kernel_zygote.py) instead of started as a new Python.

`KernelZygote.start` starts the zygote once per grading run, before any job process is forked (each job process
inherits the control socket); `use(zygote)` makes it the one every `GradingKernelManager` of this process and its
forked jobs asks. `ZygoteProvisioner` is jupyter_client's LocalProvisioner with one change: it asks the zygote for the
kernel's process, and falls back to starting `python -m grader.sandboxed.kernel_guard` as before when there is no
zygote or it does not answer. Either way the kernel confines itself the same way before any student code runs.
"""

from __future__ import annotations

import json
import logging
import os
import select
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from jupyter_client.provisioning import LocalProvisioner

from grader.sandboxed import scratch_fs
from grader.sandboxed.kernel_guard import PASSED_THROUGH

log = logging.getLogger(__name__)

KERNEL_MODULE = "grader.sandboxed.kernel_guard"
MAX_REQUEST_BYTES = 60 * 1024  # a pipe holds this much without a reader: the request is written before the fork
ANSWER_SECONDS = 60.0  # a zygote still importing answers its first request late


class ZygoteUnavailable(Exception):
    """The zygote did not fork a kernel: the job starts one the usual way."""


class ForkedKernel:
    """What jupyter_client's LocalProvisioner keeps of a kernel's process (Popen's poll, wait, send_signal, kill,
    terminate, pid), for a kernel the zygote forked: not this process's child, so it is watched through a pidfd,
    and its exit status arrives on the reply socket, which this process holds open while it needs the kernel."""

    stdin = stdout = stderr = None

    def __init__(self, pid: int, reply: socket.socket) -> None:
        self.pid = pid
        self.returncode: int | None = None
        self._reply = reply
        self._pidfd = os.pidfd_open(pid)

    def poll(self) -> int | None:
        if self.returncode is None and select.select([self._pidfd], [], [], 0)[0]:
            self._ended()
        return self.returncode

    def wait(self, timeout: float | None = None) -> int:
        if self.returncode is None:
            if not select.select([self._pidfd], [], [], timeout)[0]:
                raise subprocess.TimeoutExpired(KERNEL_MODULE, timeout or 0)
            self._ended()
        assert self.returncode is not None
        return self.returncode

    def _ended(self) -> None:
        """The process has exited: its status, as the zygote reaped it (SIGKILL's if the zygote is gone)."""
        self._reply.settimeout(5)
        try:
            words = self._reply.recv(64).decode("ascii", "replace").split()
        except OSError:
            words = []
        self.returncode = int(words[1]) if len(words) == 2 and words[0] == "exit" else -signal.SIGKILL
        self._reply.close()
        os.close(self._pidfd)

    def send_signal(self, signum: int) -> None:
        if self.poll() is None:
            signal.pidfd_send_signal(self._pidfd, signum)

    def kill(self) -> None:
        self.send_signal(signal.SIGKILL)

    def terminate(self) -> None:
        self.send_signal(signal.SIGTERM)


class KernelZygote:
    """The zygote's process and this side of its control socket."""

    def __init__(self, process: subprocess.Popen, control: socket.socket) -> None:
        self.process = process
        self._control = control

    @staticmethod
    def start(mplconfig: Path, log_path: Path | None = None) -> KernelZygote:
        """Start the zygote with none of the grader's variables: only what every kernel's environment holds before its
        job's own (grader/sandboxed/kernel_guard.py `clean_environment`); matplotlib reads its font list from
        `mplconfig` once, for every kernel."""
        ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        env = {
            "PATH": "/usr/bin:/bin",
            "LANG": "C.UTF-8",
            "MPLCONFIGDIR": str(mplconfig),
            "MPLBACKEND": "module://matplotlib_inline.backend_inline",
            "OPENBLAS_NUM_THREADS": "1",
            "OMP_NUM_THREADS": "1",
            "MKL_NUM_THREADS": "1",
            "PYDEVD_DISABLE_FILE_VALIDATION": "1",
            **{k: os.environ[k] for k in ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE") if k in os.environ},
        }
        output = open(log_path, "ab") if log_path else subprocess.DEVNULL  # noqa: SIM115 - the child keeps it
        try:
            process = subprocess.Popen(
                [sys.executable, "-m", "grader.sandboxed.kernel_zygote", str(theirs.fileno())],
                env=env, cwd="/", pass_fds=[theirs.fileno()],
                stdin=subprocess.DEVNULL, stdout=output, stderr=output,
            )
        finally:
            theirs.close()
            if log_path:
                output.close()  # type: ignore[union-attr]
        return KernelZygote(process, ours)

    def spawn(self, argv: list[str], env: dict[str, str], cwd: str) -> ForkedKernel:
        """A kernel process for `python -m grader.sandboxed.kernel_guard *argv`, with `env`'s BPCOURSE_KERNEL_GUARD
        and passed-through variables (nothing else of this process's environment reaches the zygote), in `cwd`, in
        this process's mount namespace."""
        passed = {k: v for k, v in env.items() if k == "BPCOURSE_KERNEL_GUARD" or k in PASSED_THROUGH}
        request = json.dumps({"argv": argv, "env": passed, "cwd": cwd}).encode()
        if len(request) > MAX_REQUEST_BYTES:
            raise ZygoteUnavailable("request too large")
        read, write = os.pipe()
        mine, theirs = socket.socketpair()
        namespace = scratch_fs.namespace_fd()  # the job's folders are its own tmpfs, seen in its namespace only
        extra = [] if namespace is None else [namespace]
        try:
            os.write(write, request)
            os.close(write)
            socket.send_fds(self._control, [b"fork"], [read, theirs.fileno(), *extra])
        except OSError as err:
            mine.close()
            raise ZygoteUnavailable(f"the zygote cannot be reached ({err})") from None
        finally:
            for fd in (read, *extra):
                os.close(fd)
            theirs.close()
        mine.settimeout(ANSWER_SECONDS)
        try:
            pid = int(mine.recv(32).split(b"\n")[0] or b"0")
        except (OSError, ValueError):
            pid = 0
        if not pid:
            mine.close()
            raise ZygoteUnavailable("the zygote did not fork")
        return ForkedKernel(pid, mine)

    def close(self) -> None:
        """Stop the zygote (it kills and reaps any kernel left) and reap it, so its CPU time counts as this
        process's children's."""
        self._control.close()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


_current: KernelZygote | None = None


@contextmanager
def forking_kernels(mplconfig: Path, log_path: Path | None = None, enabled: bool = True) -> Iterator[None]:
    """Within: this process's jobs (and the processes it forks) get their kernels from a zygote started here,
    stopped on leaving. Call it from the main thread: the zygote dies with the thread that started it."""
    if not enabled or not hasattr(os, "pidfd_open") or _current is not None:
        yield
        return
    zygote = KernelZygote.start(mplconfig, log_path)
    use(zygote)
    try:
        yield
    finally:
        use(None)
        zygote.close()


def use(zygote: KernelZygote | None) -> None:
    """The zygote this process and the jobs it forks ask for kernels (None: start kernels the usual way)."""
    global _current
    _current = zygote


def current() -> KernelZygote | None:
    return _current


def kernel_argv(cmd: list[str]) -> list[str] | None:
    """The arguments after `python -m grader.sandboxed.kernel_guard`, if `cmd` starts the guarded kernel."""
    if len(cmd) >= 3 and cmd[0] == sys.executable and cmd[1:3] == ["-m", KERNEL_MODULE]:
        return list(cmd[3:])
    return None


class ZygoteProvisioner(LocalProvisioner):
    """LocalProvisioner whose kernel process the zygote forks (see the module's docstring)."""

    async def launch_kernel(self, cmd: list[str], **kwargs):
        argv, zygote = kernel_argv(cmd), current()
        if argv is None or zygote is None:
            return await super().launch_kernel(cmd, **kwargs)
        started = time.monotonic()
        try:
            process = zygote.spawn(argv, dict(kwargs.get("env") or {}), str(kwargs.get("cwd") or os.getcwd()))
        except ZygoteUnavailable as why:
            log.warning("kernel zygote: %s; starting the kernel as a new process", why)
            return await super().launch_kernel(cmd, **kwargs)
        log.debug("kernel %d forked by the zygote in %.3f s", process.pid, time.monotonic() - started)
        self.process = process  # type: ignore[assignment]  # Popen's interface, not a Popen
        self.pid = self.pgid = process.pid  # setsid: its own group
        self.cwd = kwargs.get("cwd", Path.cwd())
        return self.connection_info
