"""The kernel zygote: a process that has imported what every grading kernel imports and forks a kernel per job.

Started once per grading run (grader/grading/kernel_forks.py: `python -m grader.sandboxed.kernel_zygote FD`, with an
environment holding none of the grader's variables), it imports ipykernel, IPython, numpy, matplotlib and
libseccomp, and then only forks. Each forked child becomes a kernel exactly as an exec'd one does
(grader/sandboxed/kernel_guard.py `serve_forked`: every inherited descriptor closed, a clean environment, resource
limits, seccomp, Landlock, the audit hook) before any student code runs; what it saves is the new Python and its
imports, about a second of CPU a job.

Protocol, on the control socket (a SOCK_SEQPACKET socketpair end, its descriptor number in argv[1]; only the
grading processes hold the other end): one message b"fork" per kernel, carrying two or three descriptors:
  - the read end of a pipe that holds the request (JSON: the kernel's argv, the variables passed to it, its working
    folder). Only the forked child reads it: the zygote never holds a job's data, so no kernel can find another
    job's configuration in the memory it inherits;
  - when the job's process has a mount namespace of its own (its folders on their own tmpfs,
    grader/sandboxed/scratch_fs.py), that namespace, which the child joins before anything else;
  - a reply socket: the zygote writes the child's pid on it, and later `exit <status>` when it has reaped the child.
    It is also the job's lifeline: when the grading process that asked ends (done, or killed past its deadline),
    the socket reads EOF and the zygote kills that kernel.
The zygote exits, killing and reaping any kernel left, when the control socket closes; it dies with its parent.
It stays single-threaded (os.fork copies only the calling thread: a lock another thread held would stay locked in
the child), and checks that it is before every fork.
"""

from __future__ import annotations

import importlib
import json
import os
import select
import signal
import socket
import sys
import traceback
from dataclasses import dataclass

from grader.sandboxed import kernel_guard, scratch_fs
from grader.sandboxed.confinement import die_with_parent

# What every kernel imports before its first cell, and libseccomp (whose loading runs ldconfig: a confined child
# could not). bp_helpers is left out: it is the course's, read from the checkout by each kernel as before.
PRELOADED = (
    "numpy",
    "matplotlib",
    "matplotlib.pyplot",
    "matplotlib_inline.backend_inline",
    "IPython",
    "ipykernel.ipkernel",
    "ipykernel.kernelapp",
    "numpy.random",
    "pyseccomp",
)
MAX_REQUEST_BYTES = 1024 * 1024


@dataclass
class _Child:
    pidfd: int  # readable once the child has exited
    reply: socket.socket  # the job's lifeline; the exit status is written on it


def _preload() -> None:
    for name in PRELOADED:
        try:
            importlib.import_module(name)
        except Exception:  # noqa: BLE001, S112 - a kernel without it imports nothing more at its start
            continue


def _single_threaded() -> bool:
    return len(os.listdir("/proc/self/task")) == 1


def _become_kernel(request_fd: int, namespace_fd: int | None, zygote_cwd: str) -> None:
    """In the forked child: join the job's mount namespace (where its folders are its own tmpfs), read its request,
    then serve as its kernel."""
    os.setsid()  # a process group of its own, as jupyter_client starts kernels: the job signals the group
    die_with_parent()  # the zygote
    if namespace_fd is not None:
        scratch_fs.join_namespace(namespace_fd)
        os.close(namespace_fd)
    signal.signal(signal.SIGINT, signal.default_int_handler)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    with os.fdopen(request_fd, "rb") as pipe:
        request = json.loads(pipe.read(MAX_REQUEST_BYTES))
    os.chdir(request["cwd"])
    if sys.path and sys.path[0] == zygote_cwd:  # `python -m` puts its working folder first: the kernel's is the job's
        sys.path[0] = os.getcwd()
    _reseed()
    kernel_guard.serve_forked(list(request["argv"]), dict(request["env"]))


def _reseed() -> None:
    """Fresh seeds from the OS: a fork copies the zygote's random generators, and every kernel would draw alike."""
    import random

    random.seed()
    numpy = sys.modules.get("numpy")
    if numpy is not None:
        numpy.random.seed()


def _fork(request_fd: int, namespace_fd: int | None, zygote_cwd: str) -> int:
    pid = os.fork()
    if pid == 0:  # the child never returns into the zygote's loop
        status = 1
        try:
            _become_kernel(request_fd, namespace_fd, zygote_cwd)
            status = 0
        except SystemExit as stop:
            status = stop.code if isinstance(stop.code, int) else 0
        except BaseException:  # noqa: BLE001 - to the kernel's log, which its stderr is by now
            traceback.print_exc()
        finally:
            sys.stdout.flush()
            sys.stderr.flush()
            os._exit(status)
    return pid


def _take_request(ctrl: socket.socket, children: dict[int, _Child], zygote_cwd: str) -> bool:
    """Serve one message of the control socket; False when it is closed."""
    try:
        message, fds, _, _ = socket.recv_fds(ctrl, 64, 3)
    except OSError:
        return False
    if not message:
        return False
    if message != b"fork" or len(fds) not in (2, 3):
        for fd in fds:
            os.close(fd)
        return True
    request_fd, reply_fd, *namespace = fds
    reply = socket.socket(fileno=reply_fd)
    pid = _fork(request_fd, namespace[0] if namespace else None, zygote_cwd) if _single_threaded() else 0
    for fd in (request_fd, *namespace):
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


def serve(ctrl: socket.socket) -> None:
    """Fork kernels on request until the control socket closes; kill a kernel whose job ended; reap every child."""
    zygote_cwd = os.getcwd()
    children: dict[int, _Child] = {}
    while True:
        watched: list = [ctrl, *(c.pidfd for c in children.values()), *(c.reply for c in children.values())]
        ready = set(select.select(watched, [], [])[0])
        for pid, child in list(children.items()):
            if child.reply in ready and not child.reply.recv(64):  # the job's process is gone
                os.kill(pid, signal.SIGKILL)
            if child.pidfd in ready:
                _reap(pid, children.pop(pid))
        if ctrl in ready and not _take_request(ctrl, children, zygote_cwd):
            break
    for pid, child in children.items():
        os.kill(pid, signal.SIGKILL)
        _reap(pid, child)


def main() -> None:
    die_with_parent()
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # a Ctrl-C at the grader's terminal: the grader stops the zygote
    ctrl = socket.socket(fileno=int(sys.argv[1]))
    _preload()
    serve(ctrl)


if __name__ == "__main__":
    main()
