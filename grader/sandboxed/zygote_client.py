"""The grading side of a zygote (grader/sandboxed/fork_server.py): start it, ask it for a child, stop it.

`Zygote.start` starts a zygote process with the environment it is given (none of the grader's variables) and one
end of a SOCK_SEQPACKET socketpair; `Zygote.fork(fds)` sends b"fork" with a fresh reply socket and the child's
descriptors, and returns a `ForkedProcess`: Popen's interface (poll, wait, send_signal, kill, terminate, pid) for a
process that is not this one's child, watched through a pidfd, its exit status read from the reply socket. The
reply socket is the job's lifeline: the zygote kills the child when it closes (this process ended).
Used by grader/grading/kernel_forks.py (kernels) and grader/recheck/sandbox.py (re-check children).
"""

from __future__ import annotations

import os
import select
import signal
import socket
import subprocess
from dataclasses import dataclass
from pathlib import Path

ANSWER_SECONDS = 60.0  # a zygote still importing answers its first request late


class ZygoteUnavailable(Exception):
    """The zygote did not fork a child: the caller starts the process the usual way."""


class ForkedProcess:
    """A child the zygote forked, with Popen's interface; `returncode` as Popen's (-N: killed by signal N)."""

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
                raise subprocess.TimeoutExpired(f"forked process {self.pid}", timeout or 0)
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


class Zygote:
    """A zygote's process and this side of its control socket."""

    def __init__(self, process: subprocess.Popen, control: socket.socket) -> None:
        self.process = process
        self._control = control

    @classmethod
    def start(cls, program: list[str], args: list[str], env: dict[str, str], log_path: Path | None = None):
        """Start `program` [the control socket's descriptor number] `args`, with exactly `env`, in /, its output
        appended to `log_path`."""
        ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        output = open(log_path, "ab") if log_path else subprocess.DEVNULL  # noqa: SIM115 - the child keeps it
        try:
            process = subprocess.Popen(
                [*program, str(theirs.fileno()), *args], env=env, cwd="/", pass_fds=[theirs.fileno()],
                stdin=subprocess.DEVNULL, stdout=output, stderr=output,
            )
        finally:
            theirs.close()
            if log_path:
                output.close()  # type: ignore[union-attr]
        return cls(process, ours)

    def fork(self, fds: list[int]) -> ForkedProcess:
        """A child forked with `fds` (the caller closes its own copies); ZygoteUnavailable if the zygote did not
        answer with a pid."""
        mine, theirs = socket.socketpair()
        try:
            socket.send_fds(self._control, [b"fork"], [theirs.fileno(), *fds])
        except OSError as err:
            mine.close()
            raise ZygoteUnavailable(f"the zygote cannot be reached ({err})") from None
        finally:
            theirs.close()
        mine.settimeout(ANSWER_SECONDS)
        try:
            pid = int(mine.recv(32).split(b"\n")[0] or b"0")
        except (OSError, ValueError):
            pid = 0
        if not pid:
            mine.close()
            raise ZygoteUnavailable("the zygote did not fork")
        return ForkedProcess(pid, mine)

    def cpu_seconds(self) -> float:
        """CPU seconds of the zygote and of the children it has reaped (benchmarks count its children this way)."""
        return reaped_cpu_seconds(self.process.pid)

    def stop(self) -> None:
        """Tell the zygote to end (it kills and reaps any child left)."""
        self._control.close()

    def close(self) -> None:
        """Stop the zygote and reap it, so its CPU time counts as this process's children's."""
        self._control.close()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()



def reaped_cpu_seconds(pid: int) -> float:
    """CPU seconds of process `pid` and of the children it has reaped (0.0 once it is gone)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return sum(int(f) for f in fields[11:15]) / os.sysconf("SC_CLK_TCK")


@dataclass(frozen=True)
class Zygotes:
    """The zygotes of a grading run (grader/grading/kernel_forks.py `forking_kernels` starts them): kernels' and
    re-check children's, and for the notebooks that need PyTorch and Keras (04f) one of each that has imported them
    too (None when no job of the run needs them, they are not installed, or a zygote could not start)."""

    kernels: Zygote
    rechecks: Zygote | None = None
    kernels_frameworks: Zygote | None = None
    rechecks_frameworks: Zygote | None = None

    def for_kernel(self, frameworks: bool) -> Zygote:
        return (self.kernels_frameworks if frameworks else None) or self.kernels

    def for_recheck(self, frameworks: bool) -> Zygote | None:
        return self.rechecks_frameworks if frameworks else self.rechecks

    def running(self) -> list[Zygote]:
        return [z for z in (self.kernels, self.rechecks, self.kernels_frameworks, self.rechecks_frameworks) if z]

    def close(self) -> None:
        for zygote in self.running():  # all told first, then each awaited: they end side by side
            zygote.stop()
        for zygote in self.running():
            zygote.close()


_current: list[Zygotes | None] = [None]


def use(zygotes: Zygotes | None) -> None:
    """The zygotes this process and the jobs it forks ask for children (None: start them as new processes)."""
    _current[0] = zygotes


def current() -> Zygotes | None:
    return _current[0]
