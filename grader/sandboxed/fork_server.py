"""The loop every zygote runs: fork a child per request on a control socket, reap it, kill it when its job ends.

A zygote (grader/sandboxed/kernel_zygote.py for kernels, grader/sandboxed/recheck_zygote.py for re-check children)
imports what its children need once, then calls `serve(control, become, counts)`. Standard library only: the
re-check zygote runs as an isolated script (`python -I -S`) and imports this file as its sibling.

Protocol, on the control socket (a SOCK_SEQPACKET socketpair end; only grading processes hold the other end): one
message b"fork" per child, carrying descriptors: first a reply socket, then the child's own (`counts` says how many
a zygote accepts). The zygote forks, hands the child its descriptors (`become(fds)`, which never returns), closes
them itself, and writes the child's pid on the reply socket, and later `exit <status>` when it has reaped the child.
The reply socket is also the job's lifeline: when the grading process that asked ends (done, or killed past its
deadline), the socket reads EOF and the zygote kills that child. The zygote never reads a job's data: whatever a
child needs arrives on its own descriptors, so no later child finds a classmate's job in the memory it inherits.
The zygote stays single-threaded (os.fork copies only the calling thread: a lock another thread held would stay
locked in the child), and checks that it is before every fork.
"""

from __future__ import annotations

import os
import select
import signal
import socket
import sys
import traceback
from collections.abc import Callable
from dataclasses import dataclass

MAX_FDS = 8


@dataclass
class _Child:
    pidfd: int  # readable once the child has exited
    reply: socket.socket  # the job's lifeline; the exit status is written on it


def single_threaded() -> bool:
    return len(os.listdir("/proc/self/task")) == 1


def reseed() -> None:
    """Fresh seeds from the OS: a fork copies the zygote's random generators, and every child would draw alike."""
    import random

    random.seed()
    numpy = sys.modules.get("numpy")
    if numpy is not None:
        numpy.random.seed()


def _fork(become: Callable[[list[int]], None], fds: list[int]) -> int:
    pid = os.fork()
    if pid == 0:  # the child never returns into the zygote's loop
        status = 1
        try:
            become(fds)
            status = 0
        except SystemExit as stop:
            status = stop.code if isinstance(stop.code, int) else 0
        except BaseException:  # noqa: BLE001 - to the child's log, which its stderr is by now
            traceback.print_exc()
        finally:
            for stream in (sys.stdout, sys.stderr):
                try:
                    stream.flush()
                except BaseException:  # noqa: BLE001, S110 - a closed stream: nothing to keep
                    pass
            os._exit(status)
    return pid


def _take_request(
    ctrl: socket.socket, children: dict[int, _Child], become: Callable[[list[int]], None], counts: tuple[int, ...]
) -> bool:
    """Serve one message of the control socket; False when it is closed."""
    try:
        message, fds, _, _ = socket.recv_fds(ctrl, 64, MAX_FDS)
    except OSError:
        return False
    if not message:
        return False
    if message != b"fork" or len(fds) - 1 not in counts:
        for fd in fds:
            os.close(fd)
        return True
    reply_fd, *own = fds
    reply = socket.socket(fileno=reply_fd)
    pid = _fork(become, own) if single_threaded() else 0
    for fd in own:
        os.close(fd)
    try:
        reply.sendall(f"{pid}\n".encode())
    except OSError:
        if pid:
            os.kill(pid, signal.SIGKILL)
    if not pid:
        reply.close()
        return True
    children[pid] = _Child(os.pidfd_open(pid), reply)
    return True


def _reap(pid: int, child: _Child) -> None:
    _, status = os.waitpid(pid, 0)
    os.close(child.pidfd)
    try:
        child.reply.sendall(f"exit {os.waitstatus_to_exitcode(status)}\n".encode())
    except OSError:
        pass
    child.reply.close()


def serve(ctrl: socket.socket, become: Callable[[list[int]], None], counts: tuple[int, ...]) -> None:
    """Fork children on request until the control socket closes; kill a child whose job ended; reap every child."""
    children: dict[int, _Child] = {}
    while True:
        watched: list = [ctrl, *(c.pidfd for c in children.values()), *(c.reply for c in children.values())]
        ready = set(select.select(watched, [], [])[0])
        for pid, child in list(children.items()):
            if child.reply in ready and not child.reply.recv(64):  # the job's process is gone
                os.kill(pid, signal.SIGKILL)
            if child.pidfd in ready:
                _reap(pid, children.pop(pid))
        if ctrl in ready and not _take_request(ctrl, children, become, counts):
            break
    for pid, child in children.items():
        os.kill(pid, signal.SIGKILL)
        _reap(pid, child)
