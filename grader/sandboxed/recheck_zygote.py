"""The re-check zygote: an isolated Python that has imported the re-check child's code and numpy, and forks a child
per re-check instead of a new `python -I -S runner.py` each.

Run as a script, like runner.py (`python -I -S recheck_zygote.py FD SYS_PATH_JSON STUBS_JSON [--frameworks]`, started
by grader/recheck/sandbox.py `start_recheck_zygote`): isolated mode, no `site`, its siblings and the Python
installation's packages only (SYS_PATH_JSON: the sys.path every re-check child gets). With --frameworks it has
imported PyTorch and Keras too, for 04f's re-checks, with the stand-ins of STUBS_JSON in place first (Keras imports
matplotlib and IPython.display: they are stand-ins there, as in a child that imports Keras itself).

It serves grader/sandboxed/fork_server.py's loop; a request carries three or four descriptors: the child's stdin
(the job, then one call at a time), its stdout and stderr (for --debug), its report pipe, and, when the job has a
mount namespace of its own (its sandbox folder is a tmpfs seen only there), that namespace. The forked child joins
the namespace, keeps only those descriptors (no other child's reply socket or pidfd), and runs runner.main exactly as
an exec'd child does: the job (its environment included) arrives on stdin, and every limit and guard is set before
any student code runs. The zygote itself never reads a job.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import fork_server  # noqa: E402
import runner  # noqa: E402
import scratch_fs  # noqa: E402
from confinement import die_with_parent  # noqa: E402

REPORT_FD = 3
FRAMEWORKS = ("torch", "keras")


def _become_runner(fds: list[int]) -> None:
    """In the forked child: its own session, the job's mount namespace, descriptors 0-3 its own and no other; then
    the re-check child's main."""
    stdin_fd, output_fd, report_fd, *namespace = fds
    os.setsid()  # a process group of its own: the job kills the group
    if namespace:
        scratch_fs.join_namespace(namespace[0])
    for target, fd in ((0, stdin_fd), (1, output_fd), (2, output_fd), (REPORT_FD, report_fd)):
        os.dup2(fd, target)
    for name in os.listdir("/proc/self/fd"):
        if int(name) > REPORT_FD:
            try:
                os.close(int(name))
            except OSError:  # the listing's own descriptor, closed already
                pass
    signal.signal(signal.SIGINT, signal.default_int_handler)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    fork_server.reseed()
    runner.main(REPORT_FD)


def _preload(frameworks: bool, stubs: list[str]) -> None:
    runner._numpy()  # as every child imports it, before any guard
    if not frameworks:
        return
    sys.meta_path.insert(0, runner._StubFinder(stubs))
    for name in FRAMEWORKS:
        try:
            __import__(name)
        except Exception:  # noqa: BLE001, S112 - a child that needs it imports it itself (and says why not)
            continue


def main() -> None:
    die_with_parent()
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # a Ctrl-C at the grader's terminal: the grader stops the zygote
    ctrl = socket.socket(fileno=int(sys.argv[1]))
    sys.path[:] = json.loads(sys.argv[2])
    _preload("--frameworks" in sys.argv[4:], json.loads(sys.argv[3]))
    fork_server.serve(ctrl, _become_runner, counts=(3, 4))
    os._exit(0)  # no interpreter teardown (PyTorch's takes a second): every child is reaped already


if __name__ == "__main__":
    main()
