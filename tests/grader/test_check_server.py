"""Issue 27 item 3: `bpcourse check` served warm by a server of the student's own (grader/student/check_server.py).

The checks run as a student types them (`bpcourse check` as a new process), each test with folders of its own
(XDG_CACHE_HOME, XDG_RUNTIME_DIR) and a short idle time, so every server started here leaves on its own.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest
from conftest import ROOT

from grader.student import check_server

pytestmark = pytest.mark.slow

BPCOURSE = Path(sys.executable).parent / "bpcourse"


@pytest.fixture
def student(tmp_path) -> tuple[Path, dict[str, str]]:
    """A student's copy of 01_term and the environment of their terminal."""
    shutil.copytree(ROOT / "course" / "01_term", tmp_path / "01_term")
    runtime = tmp_path / "run"
    runtime.mkdir(mode=0o700)
    env = dict(os.environ, XDG_CACHE_HOME=str(tmp_path / "cache"), XDG_RUNTIME_DIR=str(runtime),
               BPCOURSE_CHECK_IDLE="20")
    env.pop("BPCOURSE_CHECK_SERVER", None)
    return tmp_path / "01_term" / "01_term.ipynb", env


def _check(notebook: Path, env: dict[str, str], **more: str) -> subprocess.CompletedProcess:
    return subprocess.run([str(BPCOURSE), "check", "--quiet", str(notebook)], env={**env, **more},
                          capture_output=True, text=True, timeout=300)


def _servers(path: Path) -> list[int]:
    """The processes serving on socket `path`."""
    found = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                cmdline = Path(f"/proc/{entry}/cmdline").read_bytes().split(b"\0")
            except OSError:
                continue
            if str(path).encode() in cmdline and b"grader.student.check_server" in cmdline:
                found.append(int(entry))
    return found


def _socket_of(env: dict[str, str]) -> Path:
    saved = {k: os.environ.get(k) for k in ("XDG_CACHE_HOME", "XDG_RUNTIME_DIR")}
    os.environ.update({k: env[k] for k in saved})
    try:
        path = check_server.socket_path()
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v
    assert path is not None
    return path


def test_checks_are_served_by_one_warm_server_and_say_what_an_own_process_says(student) -> None:
    """The first check starts the user's server, the second is served by the same one, and both print exactly what
    a check in the command's own process prints (BPCOURSE_CHECK_SERVER=0), exit status included."""
    notebook, env = student
    path = _socket_of(env)
    own = _check(notebook, env, BPCOURSE_CHECK_SERVER="0")
    assert not path.exists() and not _servers(path)
    first = _check(notebook, env)
    servers = _servers(path)
    second = _check(notebook, env)
    try:
        assert len(servers) == 1 and _servers(path) == servers
        for served in (first, second):
            assert (served.stdout, served.returncode) == (own.stdout, own.returncode), served.stderr
        assert "0/9" in own.stdout and own.returncode == 1
        assert stat_mode(path.parent) == 0o700 and stat_mode(path) == 0o600
    finally:
        _stop(servers)


def test_a_socket_folder_others_may_enter_is_not_used(student) -> None:
    """With the socket folder open to others (mode 0755), no server is started: the check runs in its own process."""
    notebook, env = student
    os.chmod(env["XDG_RUNTIME_DIR"], 0o755)
    (Path(env["XDG_RUNTIME_DIR"]) / "bpcourse").mkdir(mode=0o755)
    os.chmod(Path(env["XDG_RUNTIME_DIR"]) / "bpcourse", 0o755)
    done = _check(notebook, env)
    assert "0/9" in done.stdout and done.returncode == 1
    assert not list((Path(env["XDG_RUNTIME_DIR"]) / "bpcourse").iterdir())


@pytest.mark.skipif(os.geteuid() != 0, reason="needs root to connect as another user")
def test_another_user_gets_no_answer(student) -> None:
    """A connection from another user (socket and folder opened to everyone here, as a careless setup might) is
    closed unanswered: the server checks the peer's uid itself."""
    notebook, env = student
    runtime = Path(tempfile.mkdtemp(prefix="bpcourse-test-run-"))  # outside pytest's folders, which only root enters
    env = {**env, "XDG_RUNTIME_DIR": str(runtime)}
    _check(notebook, env)  # starts the server
    path = _socket_of(env)
    servers = _servers(path)
    try:
        for folder in (runtime, path.parent):
            os.chmod(folder, 0o711)
        os.chmod(path, 0o666)
        reader, writer = os.pipe()
        pid = os.fork()
        if pid == 0:
            try:
                os.setuid(65534)
                connection = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
                connection.connect(str(path))
                connection.settimeout(30)
                try:
                    connection.sendall(b'{"notebook": "%s", "lang": null}\n' % str(notebook).encode())
                    answer = connection.recv(100)
                except (BrokenPipeError, ConnectionResetError):  # closed before or after our request was read
                    answer = b""
                os.write(writer, b"answered" if answer else b"closed")
            except OSError as err:
                os.write(writer, f"could not ask: {err}".encode())
            finally:
                os._exit(0)
        os.close(writer)
        os.waitpid(pid, 0)
        assert os.read(reader, 100) == b"closed"
    finally:
        _stop(servers)
        shutil.rmtree(runtime, ignore_errors=True)


def stat_mode(path: Path) -> int:
    return os.stat(path).st_mode & 0o777


def _stop(pids: list[int]) -> None:
    for pid in pids:
        try:
            os.kill(pid, 15)
        except ProcessLookupError:
            pass
    time.sleep(0.2)
