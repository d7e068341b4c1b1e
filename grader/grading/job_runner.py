"""Run grading jobs in parallel, one forked process per job, so that the batch always finishes.

Each job runs in a process of its own (forked from the parent, which has read the sources and executed the
solutions once: the children inherit that), which sends back one result through a pipe only it holds. A job whose
process dies, or runs past `deadline` seconds (a hung kernel, a channel the student's code broke), is stopped
with everything it started (its process group) and tried once more in a fresh process; a second failure is
reported for that notebook alone. Every other student still gets a grade.
"""

from __future__ import annotations

import logging
import multiprocessing
import multiprocessing.connection
import os
import signal
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from multiprocessing.connection import Connection
from typing import Any, cast

from grader.course.words import english, words_of
from grader.sandboxed import scratch_fs
from grader.sandboxed.confinement import die_with_parent

log = logging.getLogger(__name__)


@dataclass
class _Forked:
    """A job's process, forked with os.fork: multiprocessing.Process refuses to start children from a daemonic
    process, and a Dask worker (run by its nanny) is one."""

    pid: int

    def join(self, timeout: float) -> None:
        """Reap the process, waiting at most `timeout` seconds (a process stopped with SIGKILL goes at once)."""
        until = time.monotonic() + timeout
        while True:
            try:
                done, _ = os.waitpid(self.pid, os.WNOHANG)
            except ChildProcessError:  # reaped already
                return
            if done or time.monotonic() > until:
                return
            time.sleep(0.01)


def _fork(work: Callable[[Any], Any], job: Any, send: Connection, receive: Connection) -> _Forked:
    pid = os.fork()
    if pid == 0:  # the child never returns into the parent's code, whatever happens in it
        try:
            _child(work, job, send, receive)
        finally:
            os._exit(1)
    return _Forked(pid)


@dataclass
class _Running:
    process: _Forked
    job: Any
    started: float


def _child(work: Callable[[Any], Any], job: Any, conn, other_end) -> None:
    os.setpgid(0, 0)  # one group: the parent can stop this job with all it started
    scratch_fs.enter_private_mounts()  # where allowed, the job's folders get a capped tmpfs of their own
    die_with_parent()  # a stopped `bpcourse grade` leaves no job running (nor blocked on a pipe nobody reads)
    other_end.close()  # the parent's end: were it open here too, a send to a dead parent would block forever
    try:
        outcome = (True, work(job))
    except BaseException as err:  # noqa: BLE001 - report, never hang the parent
        outcome = (False, f"{type(err).__name__}: {err}")
    try:
        conn.send(outcome)
    finally:
        conn.close()
        os._exit(0)



def _stop(process: _Forked) -> None:
    for target in (-process.pid, process.pid):  # the group first: the job's kernel and sandbox go with it
        try:
            os.kill(target, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass
    process.join(5)


def run_jobs(
    jobs: list,
    work: Callable[[Any], Any],
    finish: Callable[[Any, Any, str | None], None],
    *,
    workers: int,
    deadline: float,
    attempts: int = 2,
    prepare: Callable[[Any], None] | None = None,
) -> None:
    """Call `finish(job, result, None)` for every job `work(job)` completes, or `finish(job, None, why)` for one
    that failed `attempts` times (raised, died, or ran past `deadline` seconds). `prepare(job)` runs here just
    before the job's process is forked (what it caches, the process inherits); if it raises, the job's process
    does that work itself."""
    pending = deque(jobs)
    tries: dict[int, int] = {}
    running: dict[Connection, _Running] = {}
    while pending or running:
        _start(pending, running, workers, work, prepare)
        ended = []
        for ready in multiprocessing.connection.wait(list(running), timeout=0.5):
            conn = cast(Connection, ready)  # wait() returns the objects it was given: our receiving ends
            entry = running.pop(conn)
            try:
                ok, value = conn.recv()
            except (EOFError, OSError):
                ok, value = False, None
            conn.close()
            entry.process.join(5)
            ended.append((entry.job, ok, value))
        # The freed workers start their next jobs before this process records the results (the gradebook, the
        # feedback): a worker never waits for the recording of the job it has just finished.
        _start(pending, running, workers, work, prepare)
        for job, ok, value in ended:
            if ok:
                finish(job, value, None)
            elif value is not None:  # the job raised: a bug of the grader's, not worth a second try
                finish(job, None, value)
            else:
                _retry(job, english("its grading process died"), pending, tries, attempts, finish)
        now = time.monotonic()
        for conn, entry in list(running.items()):
            if now - entry.started > deadline:
                del running[conn]
                _stop(entry.process)
                conn.close()
                why = english("its grading did not finish within {seconds} s and was stopped", seconds=f"{deadline:g}")
                _retry(entry.job, why, pending, tries, attempts, finish)


def _start(
    pending: deque, running: dict[Connection, _Running], workers: int, work: Callable[[Any], Any],
    prepare: Callable[[Any], None] | None,
) -> None:
    """Fork a process for each pending job while fewer than `workers` run."""
    while pending and len(running) < workers:
        job = pending.popleft()
        _prepared(prepare, job)
        receive, send = multiprocessing.Pipe(duplex=False)
        process = _fork(work, job, send, receive)
        send.close()
        running[receive] = _Running(process, job, time.monotonic())


def _prepared(prepare: Callable[[Any], None] | None, job: Any) -> None:
    if prepare is None:
        return
    try:
        prepare(job)
    except Exception:  # noqa: BLE001 - the job's process does the same work, and reports what fails there
        log.debug("preparing a job in the parent failed", exc_info=True)


def _retry(job, why: str, pending: deque, tries: dict[int, int], attempts: int, finish) -> None:
    tries[id(job)] = tries.get(id(job), 0) + 1
    if tries[id(job)] < attempts:
        pending.append(job)
    else:
        finish(job, None, english("{why} ({count} times)", why=words_of(why), count=str(tries[id(job)])))
