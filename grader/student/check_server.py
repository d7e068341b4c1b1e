"""A warm `bpcourse check`: a server of the student's own that has imported the grader and keeps a kernel zygote, so
that a check costs the notebook's own run, not a new Python's start and imports (issue 27 item 3).

The first `bpcourse check` starts it (detached in a session of its own, its log beside its socket) and every later one
asks it; when it cannot be reached or started, the check runs in the command's own process as before. It is the
user's own:
  - its socket lies in a folder only that user may enter ($XDG_RUNTIME_DIR/bpcourse, else /tmp/bpcourse-<uid>), used
    only if it is a real folder owned by the user with mode 0700;
  - it answers only connections of the same user (SO_PEERCRED);
  - its name is a digest of the Python, the course checkout, the grader's code and the user's cache folder: an edited
    grader or another checkout gets a server of its own, and the old one leaves once idle.
Each check runs in a process forked for it, so nothing of one check reaches the next; a client that goes away
(Ctrl-C) ends its check, and the kernel with it. The server leaves after BPCOURSE_CHECK_IDLE seconds (900) without a
check. BPCOURSE_CHECK_SERVER=0 turns it off.

Protocol: the client sends one JSON line ({"notebook": absolute path, "shown": the path as typed, "lang": its
BPCOURSE_LANG or null}); the check
answers with JSON lines: {"out": text} (the first line, before the check starts), {"cell": i, "cells": n} as cells
start, then {"out": the report, "status": exit status} or {"error": a CourseError's message}.
"""

from __future__ import annotations

import hashlib
import json
import os
import select
import socket
import stat
import subprocess
import sys
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from grader.errors import CourseError

IDLE_SECONDS = 900.0
START_SECONDS = 30.0  # the server imports the grader and prepares the workspace before it listens
REQUEST_SECONDS = 10.0
MAX_REQUEST_BYTES = 64 * 1024


@dataclass(frozen=True)
class Answer:
    """What a check served by the server printed (after its first line) and its exit status."""

    out: str
    status: int


def enabled() -> bool:
    return os.environ.get("BPCOURSE_CHECK_SERVER", "1") != "0" and hasattr(socket, "AF_UNIX")


def _private_folder() -> Path | None:
    """The user's own folder for the socket: made 0700 if missing; None if it exists and is not the user's alone."""
    runtime = os.environ.get("XDG_RUNTIME_DIR")
    folder = Path(runtime) / "bpcourse" if runtime else Path(f"/tmp/bpcourse-{os.getuid()}")  # noqa: S108
    try:
        folder.mkdir(mode=0o700, exist_ok=True)
        info = os.lstat(folder)
    except OSError:
        return None
    if not stat.S_ISDIR(info.st_mode) or info.st_uid != os.getuid() or stat.S_IMODE(info.st_mode) != 0o700:
        return None
    return folder


def socket_path() -> Path | None:
    """Where this user's server for this checkout, grader and cache folder listens (None: no private folder)."""
    from grader.course.paths import repo_root
    from grader.grading.records import grader_code_digest

    folder = _private_folder()
    if folder is None:
        return None
    cache = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    key = "\0".join([sys.executable, str(repo_root()), grader_code_digest(), cache])
    return folder / f"check-{hashlib.sha256(key.encode()).hexdigest()[:16]}.sock"


# ---- the client: `bpcourse check`


def ask(notebook: Path, progress: Callable[[int, int], None], show: Callable[[str], None]) -> Answer | None:
    """Have this user's server check `notebook` (starting the server if none listens): `show` gets the first line,
    `progress` the cells as they start. None when no server can be reached: the caller checks in its own process.
    Raises CourseError with the server's message for a file that is no notebook of the course."""
    path = socket_path()
    if path is None:
        return None
    connection = _connect(path) or _start_and_connect(path)
    if connection is None:
        return None
    with connection:
        request = {"notebook": str(notebook.resolve()), "shown": str(notebook), "lang": os.environ.get("BPCOURSE_LANG")}
        connection.sendall((json.dumps(request) + "\n").encode())
        for message in _lines(connection):
            if "cell" in message:
                progress(int(message["cell"]), int(message["cells"]))
            elif "error" in message:
                raise CourseError(str(message["error"]))
            elif "status" in message:
                return Answer(str(message["out"]), int(message["status"]))
            elif "out" in message:
                show(str(message["out"]))
    return None  # the check's process ended without an answer: check here instead


def _lines(connection: socket.socket):
    buffer = b""
    while True:
        chunk = connection.recv(65536)
        if not chunk:
            return
        buffer += chunk
        while b"\n" in buffer:
            line, buffer = buffer.split(b"\n", 1)
            yield json.loads(line)


def _connect(path: Path) -> socket.socket | None:
    connection = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        connection.connect(str(path))
    except OSError:
        connection.close()
        return None
    return connection


def _start_and_connect(path: Path) -> socket.socket | None:
    """Start the server (one at a time: a lock beside the socket) and connect once it listens."""
    import fcntl

    with open(path.with_suffix(".lock"), "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        connection = _connect(path)
        if connection is not None:  # another check started it meanwhile
            return connection
        path.unlink(missing_ok=True)  # a socket left by a server that died
        from grader.course.paths import repo_root

        env = dict(os.environ, BPCOURSE_ROOT=str(repo_root()))  # the course `bpcourse --course DIR` chose
        with open(path.with_suffix(".log"), "ab") as log:
            subprocess.Popen(
                [sys.executable, "-m", "grader.student.check_server", str(path)],
                stdin=subprocess.DEVNULL, stdout=log, stderr=log, start_new_session=True, env=env,
            )
        until = time.monotonic() + START_SECONDS
        while time.monotonic() < until:
            connection = _connect(path)
            if connection is not None:
                return connection
            time.sleep(0.05)
    return None


# ---- the server


def serve(path: Path) -> None:
    """Listen on `path` and fork a process per check until idle for BPCOURSE_CHECK_IDLE seconds."""
    from grader.grading.kernel_forks import forking_kernels
    from grader.grading.workspace import state_dir
    from grader.student import check

    workspace = check.prepared_check_workspace()
    idle = float(os.environ.get("BPCOURSE_CHECK_IDLE", IDLE_SECONDS))
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    listener.bind(str(path))
    os.chmod(path, 0o600)
    listener.listen(8)
    checks: set[int] = set()
    last = time.monotonic()
    try:
        with forking_kernels(state_dir(workspace) / "mplconfig", path.with_suffix(".zygote.log")):
            while checks or time.monotonic() - last < idle:
                ready = select.select([listener], [], [], 1.0)[0]
                checks -= _reaped(checks)
                if checks:
                    last = time.monotonic()
                if ready:
                    connection, _ = listener.accept()
                    request = _request(connection) if _same_user(connection) else None
                    pid = _fork_check(connection, listener, request) if request is not None else 0
                    connection.close()
                    checks |= {pid} if pid else set()
                    last = time.monotonic()
    finally:
        listener.close()
        path.unlink(missing_ok=True)


def _same_user(connection: socket.socket) -> bool:
    credentials = connection.getsockopt(socket.SOL_SOCKET, socket.SO_PEERCRED, 12)
    _pid, uid, _gid = (int.from_bytes(credentials[i : i + 4], sys.byteorder) for i in (0, 4, 8))
    return uid == os.getuid()


def _reaped(pids: set[int]) -> set[int]:
    done = set()
    for pid in pids:
        try:
            finished, _ = os.waitpid(pid, os.WNOHANG)
        except ChildProcessError:
            finished = pid
        if finished:
            done.add(pid)
    return done


def _request(connection: socket.socket) -> dict | None:
    """The check asked for (None: no readable request within REQUEST_SECONDS), with the caches of its notebook's
    assignment warmed here first (grader/student/check.py `warm_caches`): every later check of it forks warm."""
    from grader.student import check

    connection.settimeout(REQUEST_SECONDS)
    try:
        request = json.loads(connection.makefile("rb").readline(MAX_REQUEST_BYTES))
        notebook = Path(str(request["notebook"]))
    except (OSError, ValueError, KeyError, TypeError):
        return None
    connection.settimeout(None)
    try:
        check.warm_caches(notebook)
    except Exception:  # noqa: BLE001 - not a notebook of the course, say: the check itself says why
        traceback.print_exc()
    return request


def _fork_check(connection: socket.socket, listener: socket.socket, request: dict) -> int:
    pid = os.fork()
    if pid == 0:  # the check's own process: never returns into the server's loop
        status = 1
        try:
            listener.close()
            _check_one(connection, request)
            status = 0
        except BaseException:  # noqa: BLE001 - to the server's log
            traceback.print_exc()
        finally:
            os._exit(status)
    return pid


def _check_one(connection: socket.socket, request: dict) -> None:
    import io

    from bp_helpers.i18n import course_lang
    from grader.course.words import error_words
    from grader.student import check

    def send(message: dict) -> None:
        try:
            connection.sendall((json.dumps(message) + "\n").encode())
        except OSError:  # the student's command is gone (Ctrl-C): so is this check; its kernel follows (lifeline)
            os._exit(1)

    if request.get("lang"):
        os.environ["BPCOURSE_LANG"] = str(request["lang"])
    else:
        os.environ.pop("BPCOURSE_LANG", None)
    notebook = Path(request["notebook"])
    try:
        send({"out": check.header_line(notebook, str(request.get("shown") or notebook))})
        report = check.run_check(notebook, progress=lambda index, count: send({"cell": index, "cells": count}))
    except CourseError as err:  # in the student's language, as the command's own process would say it
        send({"error": error_words(err, course_lang())})
        return
    out = io.StringIO()
    check.print_report(report, out)
    send({"out": out.getvalue(), "status": 1 if report.failed else 0})


def main() -> None:
    serve(Path(sys.argv[1]))


if __name__ == "__main__":
    main()
