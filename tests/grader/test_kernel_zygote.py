"""Issue 27 item 2: kernels forked by the kernel zygote (grader/grading/kernel_forks.py,
grader/sandboxed/kernel_zygote.py) are confined exactly as kernels started as a new Python, and the zygote is no
way out: nothing of the grader's reaches a kernel, no kernel outlives its job, no kernel can find another job's
request in what it inherits.

Each test runs real guarded kernels through nbclient with the grading kernel manager, as autograde does (a few
seconds); the adversarial class (tests/grader/test_grade_adversarial.py) is graded through `run_grade`, which forks
its kernels from a zygote, so every isolation case there runs against forked kernels too.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import time
from pathlib import Path

import nbformat
import pytest
from jupyter_client.connect import write_connection_file
from nbclient import NotebookClient

from grader.grading import kernel_forks
from grader.grading.autograde import bp_helpers_dir
from grader.grading.job_kernel import GradingKernelManager, GuardChannel, JobFolders, kernel_config
from grader.grading.records import Settings
from grader.grading.workspace import KERNEL_NAME, state_dir, write_kernelspec
from grader.sandboxed.kernel_guard import ISOLATION_PREFIX, clean_environment

pytestmark = pytest.mark.slow

PROBE = """
import json, os, random, socket, sys
preloaded = 'torch' in sys.modules and 'keras' in sys.modules
import numpy as np
fds = {}
for fd in os.listdir('/proc/self/fd'):
    try:
        fds[fd] = os.readlink('/proc/self/fd/' + fd)
    except OSError:
        pass
try:
    open(SECRET).read()
    secret = 'read'
except OSError as err:
    secret = type(err).__name__
print(json.dumps({'ppid': os.getppid(), 'preloaded': preloaded, 'env': sorted(os.environ), 'fds': fds, 'secret': secret,
                  'draws': [random.random(), float(np.random.rand())],
                  'proc_environ': open('/proc/self/environ', 'rb').read().decode('latin-1')}))
"""


@pytest.fixture(scope="module")
def workspace(tmp_path_factory) -> Path:
    """A workspace holding only the guarded kernel's spec and matplotlib's font list, and a secret file beside it."""
    workspace = tmp_path_factory.mktemp("zygote") / "ws"
    state_dir(workspace).mkdir(parents=True)
    write_kernelspec(workspace)
    (workspace / "secret.txt").write_text("the answers")
    return workspace


@pytest.fixture
def jupyter_path(workspace, monkeypatch) -> None:
    monkeypatch.setenv("JUPYTER_PATH", str(state_dir(workspace) / "jupyter"))
    monkeypatch.setenv("BPCOURSE_GRADER_ONLY_SECRET", "grader-secret-value")  # must reach no kernel


def _run_kernel(workspace: Path, student: str, frameworks: bool = False) -> tuple[dict, list[str]]:
    """Run PROBE in a guarded kernel of its own job; its report and the guard channel's lines."""
    folders = JobFolders.create(state_dir(workspace) / "scratch", student, state_dir(workspace) / "mplconfig")
    channel = GuardChannel(folders.private / "channel")
    try:
        config = kernel_config(Settings(), folders, [str(bp_helpers_dir())], [str(workspace)])
        code = f"SECRET = {str(workspace / 'secret.txt')!r}\n{PROBE}"
        nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(code)])
        client = NotebookClient(
            nb, kernel_name=KERNEL_NAME, kernel_manager_class=GradingKernelManager.for_job(config, frameworks),
            resources={"metadata": {"path": str(folders.work)}}, timeout=60,
        )
        client.execute()
        report = json.loads(nb.cells[0].outputs[0]["text"])
    finally:
        lines, _ = channel.close()
        folders.remove()
    return report, lines


def test_a_forked_kernel_is_confined_as_a_started_one(workspace, jupyter_path) -> None:
    """Forked by the zygote (its parent is the zygote), is the kernel confined the same way as one started as a new
    Python: Landlock, seccomp and the socket filter on, the secret beside the workspace refused, only the clean
    environment (none of the grader's variables, in os.environ or /proc/self/environ), and none of the zygote's
    descriptors (its control socket) among its own?"""
    started, started_lines = _run_kernel(workspace, "ann")
    with kernel_forks.forking_kernels(state_dir(workspace) / "mplconfig"):
        zygote = kernel_forks.current()
        assert zygote is not None
        zygote_sockets = _socket_links(zygote.process.pid)
        forked, forked_lines = _run_kernel(workspace, "bob")
    assert started["ppid"] != zygote.process.pid and forked["ppid"] == zygote.process.pid
    # the clean environment and what IPython itself sets (TERM, PAGER...), the same in both; but no JPY_PARENT_PID,
    # which jupyter_client sets for the process it starts: a forked kernel's job is watched by the zygote instead
    assert set(forked["env"]) == set(started["env"]) - {"JPY_PARENT_PID"}
    assert set(clean_environment("{}", "/job")) <= set(forked["env"])
    for report, lines in ((started, started_lines), (forked, forked_lines)):
        isolation = next(line for line in lines if line.startswith(ISOLATION_PREFIX))
        assert "Landlock ABI" in isolation and "processes on" in isolation and "sockets on" in isolation, isolation
        assert report["secret"] == "PermissionError"
        assert not {"BPCOURSE_GRADER_ONLY_SECRET", "JUPYTER_PATH"} & set(report["env"]), report["env"]
        assert "grader-secret-value" not in report["proc_environ"]
    assert not zygote_sockets & set(forked["fds"].values()), (zygote_sockets, forked["fds"])


def test_a_frameworks_notebooks_kernel_comes_from_the_zygote_that_has_imported_them(workspace, jupyter_path) -> None:
    """With a run's frameworks zygote started (a run that grades 04f), a kernel for a notebook that needs PyTorch and
    Keras is forked by it (they are imported before its first cell), and every other kernel by the plain zygote,
    without them (its address-space limit is unchanged). Fails if the manager ignores the notebook's need."""
    with kernel_forks.forking_kernels(state_dir(workspace) / "mplconfig", frameworks=True):
        plain, frameworks = kernel_forks.current(False), kernel_forks.current(True)
        assert plain is not None and frameworks is not None and frameworks is not plain  # `make test` installs them
        needing, _ = _run_kernel(workspace, "ann", frameworks=True)
        other, _ = _run_kernel(workspace, "bob")
    assert needing["ppid"] == frameworks.process.pid and needing["preloaded"]
    assert other["ppid"] == plain.process.pid and not other["preloaded"]


def _socket_links(pid: int) -> set[str]:
    links = set()
    for fd in os.listdir(f"/proc/{pid}/fd"):
        link = os.readlink(f"/proc/{pid}/fd/{fd}")
        if link.startswith("socket:"):
            links.add(link)
    return links


def test_forked_kernels_draw_different_random_numbers(workspace, jupyter_path) -> None:
    """Two kernels forked from one zygote (which has imported numpy and random) do not share their unseeded
    random streams."""
    with kernel_forks.forking_kernels(state_dir(workspace) / "mplconfig"):
        first, _ = _run_kernel(workspace, "ann")
        second, _ = _run_kernel(workspace, "bob")
    assert first["draws"][0] != second["draws"][0] and first["draws"][1] != second["draws"][1]


def _spawn_request(workspace: Path, marker: str) -> tuple[list[str], dict[str, str], str, JobFolders]:
    """A kernel request as a job makes it (the connection file written, the guard channel's FIFO opened), whose
    guard configuration carries `marker`."""
    folders = JobFolders.create(state_dir(workspace) / "scratch", "cy", state_dir(workspace) / "mplconfig")
    connection = str(folders.private / "kernel.json")
    write_connection_file(connection, ip="127.0.0.1")
    os.chmod(connection, 0o644)
    config = kernel_config(Settings(), folders, [str(bp_helpers_dir()), f"/nonexistent/{marker}"], [str(workspace)])
    return ["-f", connection], {"BPCOURSE_KERNEL_GUARD": json.dumps(config)}, str(folders.work), folders


def test_a_kernel_dies_with_its_job_and_the_zygote_never_holds_a_request(workspace) -> None:
    """A job's process killed (its deadline) takes its forked kernel with it (the reply socket is its lifeline);
    and the request, which only the forked child reads, is nowhere in the zygote's memory, so no later kernel can
    find a classmate's job in what it inherits."""
    marker = f"job-marker-{os.getpid()}-{time.time_ns()}"
    argv, env, cwd, folders = _spawn_request(workspace, marker)
    channel = GuardChannel(folders.private / "channel")
    zygote = kernel_forks.KernelZygote.start_for_kernels(state_dir(workspace) / "mplconfig")
    try:
        ours, theirs = socket.socketpair()
        job = os.fork()
        if job == 0:  # the job's process: asks for the kernel, says its pid, waits to be killed
            try:
                kernel = zygote.spawn(argv, env, cwd)
                theirs.sendall(f"{kernel.pid}\n".encode())
                time.sleep(600)
            finally:
                os._exit(1)
        ours.settimeout(60)
        kernel_pid = int(ours.recv(32))
        _wait_for(lambda: _filtered(kernel_pid), 30)  # it has read its request and confined itself
        assert _filtered(kernel_pid)
        assert marker.encode() not in _memory_of(zygote.process.pid)
        os.kill(job, signal.SIGKILL)
        os.waitpid(job, 0)
        _wait_for(lambda: not _alive(kernel_pid), 30)
        assert not _alive(kernel_pid)
    finally:
        zygote.close()
        channel.close()
        folders.remove()


def _wait_for(condition, seconds: float) -> None:
    until = time.monotonic() + seconds
    while not condition() and time.monotonic() < until:
        time.sleep(0.1)


def _filtered(pid: int) -> bool:
    """Does process `pid` run under a seccomp filter?"""
    try:
        with open(f"/proc/{pid}/status", encoding="ascii") as f:
            return any(line.split() == ["Seccomp:", "2"] for line in f)
    except FileNotFoundError:
        return False


def _alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii") as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except FileNotFoundError:
        return False


def _memory_of(pid: int) -> bytes:
    """Every readable private mapping of process `pid` (read through /proc/PID/mem: the test runs as the owner)."""
    chunks = []
    with open(f"/proc/{pid}/maps", encoding="ascii") as maps, open(f"/proc/{pid}/mem", "rb", 0) as mem:
        for line in maps:
            fields = line.split()
            start, end = (int(x, 16) for x in fields[0].split("-"))
            if "r" not in fields[1] or (len(fields) > 5 and fields[5].startswith("[v")):
                continue
            try:
                mem.seek(start)
                chunks.append(mem.read(end - start))
            except (OSError, OverflowError, ValueError):
                continue
    return b"".join(chunks)
