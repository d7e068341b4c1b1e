"""The kernel zygote: a process that has imported what every grading kernel imports and forks a kernel per job.

Started once per grading run (grader/grading/kernel_forks.py: `python -m grader.sandboxed.kernel_zygote FD
[--frameworks]`, with an environment holding none of the grader's variables), it imports ipykernel, IPython, numpy,
matplotlib and libseccomp (with --frameworks: PyTorch and Keras too), and then only forks. Each forked child
becomes a kernel exactly as an exec'd one does (grader/sandboxed/kernel_guard.py `serve_forked`: every inherited
descriptor closed, a clean environment, resource limits, seccomp, Landlock, the audit hook) before any student code
runs; what it saves is the new Python and its imports, about a second of CPU a job.

It serves the loop of grader/sandboxed/fork_server.py (the control socket, the reply socket that is the job's
lifeline, single-threaded forks); a kernel's request carries one or two descriptors:
  - the read end of a pipe that holds the request (JSON: the kernel's argv, the variables passed to it, its working
    folder). Only the forked child reads it: the zygote never holds a job's data, so no kernel can find another
    job's configuration in the memory it inherits;
  - when the job's process has a mount namespace of its own (its folders on their own tmpfs,
    grader/sandboxed/scratch_fs.py), that namespace, which the child joins before anything else.
The zygote exits, killing and reaping any kernel left, when the control socket closes; it dies with its parent.
"""

from __future__ import annotations

import importlib
import json
import os
import signal
import socket
import sys

from grader.sandboxed import fork_server, kernel_guard, scratch_fs
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
# A second zygote (`--frameworks`, started when a run grades 04f) has imported PyTorch and Keras too: about 3 CPU-s
# of imports each 04f kernel no longer pays. Only that notebook's kernels come from it: the others keep the address
# space (RLIMIT_AS) they had, without the frameworks' 600 MB.
FRAMEWORKS = ("torch", "keras")
MAX_REQUEST_BYTES = 1024 * 1024
_STARTED_IN = [""]  # the zygote's working folder, set by main()


def _preload(names: tuple[str, ...]) -> None:
    for name in names:
        try:
            importlib.import_module(name)
        except Exception:  # noqa: BLE001, S112 - a kernel without it imports nothing more at its start
            continue


def _become_kernel(fds: list[int]) -> None:
    """In the forked child: join the job's mount namespace (where its folders are its own tmpfs), read its request,
    then serve as its kernel."""
    request_fd, *namespace = fds
    os.setsid()  # a process group of its own, as jupyter_client starts kernels: the job signals the group
    die_with_parent()  # the zygote
    if namespace:
        scratch_fs.join_namespace(namespace[0])
        os.close(namespace[0])
    signal.signal(signal.SIGINT, signal.default_int_handler)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    with os.fdopen(request_fd, "rb") as pipe:
        request = json.loads(pipe.read(MAX_REQUEST_BYTES))
    os.chdir(request["cwd"])
    if sys.path and sys.path[0] == _STARTED_IN[0]:  # `python -m` put the zygote's folder first: the job's goes there
        sys.path[0] = os.getcwd()
    fork_server.reseed()
    kernel_guard.serve_forked(list(request["argv"]), dict(request["env"]))


def main() -> None:
    die_with_parent()
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # a Ctrl-C at the grader's terminal: the grader stops the zygote
    ctrl = socket.socket(fileno=int(sys.argv[1]))
    _STARTED_IN[0] = os.getcwd()
    _preload(PRELOADED + (FRAMEWORKS if "--frameworks" in sys.argv[2:] else ()))
    fork_server.serve(ctrl, _become_kernel, counts=(1, 2))
    os._exit(0)  # no interpreter teardown (PyTorch's takes a second): every child is reaped already


if __name__ == "__main__":
    main()
