"""Where grading jobs run: this machine's cores (`LocalPool`) or a Dask distributed cluster (`DaskCluster`).

Both take the same jobs and call the same `finish(job, graded, error)` in the parent, which alone writes the
gradebook, the journal and the reports. A job for Dask carries everything a worker on another machine needs:
the bytes of the student's assignment folder (regular files only) and the digest of the assignment's source. The
worker needs only the installed course package: it prepares a grading workspace of its own from it once, and
refuses a job whose source digest differs from its own (a worker on another version of the course).

The cluster is reached only over mutual TLS (grader/grading/cluster_keys.py), and what a worker sends back is plain
data: a JSON text, read with `GradedNotebook`'s own constructors. The client accepts no pickled value (Dask's
`deserializers=["msgpack"]`), so a hostile worker cannot run code in the instructor's process.
"""

from __future__ import annotations

import json
import os
import queue
import shutil
import socket
import tempfile
import threading
import threading as _threading
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path

from grader.course.words import english
from grader.grading.cluster_keys import ClusterKeys
from grader.grading.job_runner import run_jobs
from grader.grading.pipeline import grade_one
from grader.grading.records import GradedNotebook, GradingJob, JobResult, Settings
from grader.grading.safe_files import open_regular
from grader.grading.worker import WorkerContext, init_worker
from grader.grading.workspace import kernel_deny_list, prepare_workspace, source_digest, state_dir

Finish = Callable[[GradingJob, GradedNotebook | None, str | None], None]
MAX_FOLDER_BYTES = 64 * 1024**2  # the student's assignment folder sent with a job


@dataclass(frozen=True)
class LocalPool:
    """Forked processes on this machine (grader/grading/job_runner.py)."""

    work: Callable[[GradingJob], GradedNotebook]
    workers: int
    deadline: float
    prepare: Callable[[GradingJob], None] | None = None  # in this process, before a job's process is forked

    def run(self, jobs: list[GradingJob], finish: Finish) -> None:
        run_jobs(jobs, self.work, finish, workers=self.workers, deadline=self.deadline, prepare=self.prepare)


@dataclass(frozen=True)
class RemoteJob:
    """A job as it travels to a Dask worker: no path of the instructor's machine in it."""

    student: str
    assignment: str
    notebook: str
    fingerprint: str
    files: dict[str, bytes]  # the student's assignment folder: relative path -> content
    source_digest: str
    settings: Settings


def pack(job: GradingJob, source_digest: str, settings: Settings) -> RemoteJob:
    """The job with its submission folder's regular files inside it (links and special files left out)."""

    folder = Path(job.path).parent
    files, total = {}, 0
    for path in sorted(folder.rglob("*")):
        rel = path.relative_to(folder)
        if any(part.startswith(".") for part in rel.parts) or not path.is_file() or path.is_symlink():
            continue
        with os.fdopen(open_regular(path), "rb") as f:
            data = f.read(MAX_FOLDER_BYTES - total + 1)
        total += len(data)
        if total > MAX_FOLDER_BYTES:
            break
        files[str(rel)] = data
    return RemoteJob(job.student, job.assignment, job.notebook, job.fingerprint, files, source_digest, settings)


def grade_job(ctx: WorkerContext, job: GradingJob) -> GradedNotebook:
    """One job, in a forked process of its own (grader/grading/job_runner.py), on this machine or a Dask worker."""
    init_worker(ctx)
    return grade_one(job, ctx)


_WORKSPACE: dict[str, Path] = {}
_ONE_AT_A_TIME = threading.Lock()  # one job at a time per worker thread pool: the worker's workspace is shared


def warm_up() -> Path:
    """This worker's grading workspace, prepared from the installed course on first use."""

    if "path" not in _WORKSPACE:
        workspace = Path(tempfile.mkdtemp(prefix="bpcourse-dask-worker-"))
        prepare_workspace(workspace)
        _WORKSPACE["path"] = workspace
    return _WORKSPACE["path"]


def grade_remote(job: RemoteJob) -> str:
    """On a Dask worker: grade one job in this worker's own workspace; the result as plain data (`to_plain`), an
    error as `{"error": ...}` (an exception object would travel pickled, and the instructor's client reads none)."""

    try:
        return to_plain(_grade_remote(job))
    except Exception as err:  # noqa: BLE001 - reported for that notebook by the parent
        return json.dumps({"error": f"{type(err).__name__}: {err}"})


def _grade_remote(job: RemoteJob) -> GradedNotebook:
    with _ONE_AT_A_TIME:
        workspace = warm_up()
        if source_digest(job.assignment) != job.source_digest:
            raise RuntimeError(
                f"this worker's course has another version of {job.assignment}: install the instructor's version"
            )
        folder = workspace / "submitted" / job.student / job.assignment
        for rel, data in job.files.items():
            target = folder / rel
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(data)
        deny = tuple(kernel_deny_list(workspace, []))
        ctx = WorkerContext(workspace, workspace / "gradebook.db", job.settings, deny)
        (state_dir(workspace) / "scratch").mkdir(parents=True, exist_ok=True)
        try:
            path = str(folder / f"{job.notebook}.ipynb")
            local = GradingJob(job.student, job.assignment, job.notebook, path, job.fingerprint)
            graded = _in_own_process(ctx, local, job.settings.job_seconds)
            graded.result.notes.append(f"graded on Dask worker {socket.gethostname()}:{os.getpid()}")
            return graded
        finally:
            shutil.rmtree(folder, ignore_errors=True)


def _in_own_process(ctx: WorkerContext, job: GradingJob, deadline: float) -> GradedNotebook:
    """`grade_job` as the local pool runs it: forked, in a process group of its own that dies with the worker,
    stopped past `deadline` seconds and tried once more. Raises RuntimeError with why when both tries failed."""
    outcome: list[tuple[GradedNotebook | None, str | None]] = []

    def noted(job: GradingJob) -> GradedNotebook:
        graded = grade_job(ctx, job)
        graded.result.notes.append(f"in a grading process of its own ({os.getpid()})")
        return graded

    run_jobs([job], noted, lambda _job, graded, why: outcome.append((graded, why)), workers=1, deadline=deadline)
    graded, why = outcome[0]
    if graded is None:
        raise RuntimeError(why or "its grading process gave no result")
    return graded


def to_plain(graded: GradedNotebook) -> str:
    """A graded notebook as JSON text: the only form a result leaves a worker in."""
    return json.dumps({"result": asdict(graded.result), "executed": graded.executed})


def from_plain(text: object, job: GradingJob) -> GradedNotebook:
    """A worker's answer read back as data; raises ValueError (with the worker's error, if it sent one) when it is
    not a result for `job`."""
    if not isinstance(text, str):
        raise ValueError(f"the worker answered with a {type(text).__name__}, not the JSON text of a result")
    data = json.loads(text)
    if not isinstance(data, dict):
        raise ValueError("the worker's answer is not a JSON object")
    if "error" in data:
        raise ValueError(str(data["error"]))
    executed = data.get("executed")
    if executed is not None and not isinstance(executed, str):
        raise ValueError("the worker's executed notebook is not a text")
    try:
        result = JobResult.from_dict(data["result"])
    except (KeyError, TypeError) as err:
        raise ValueError(f"the worker's result has another shape ({err})") from None
    if (result.student, result.assignment, result.notebook) != (job.student, job.assignment, job.notebook):
        raise ValueError("the worker answered for another notebook")
    return GradedNotebook(result, executed)


@dataclass(frozen=True)
class DaskCluster:
    """Jobs sent to an existing Dask distributed scheduler (`tls://HOST:PORT`, mutual TLS with `keys`). A worker
    that dies loses no grade: the scheduler gives its jobs to another worker; a job past `deadline` seconds is
    reported, never waited for."""

    scheduler: str
    deadline: float
    settings: Settings
    keys: ClusterKeys

    def run(self, jobs: list[GradingJob], finish: Finish) -> None:
        from distributed import as_completed

        digests = {a: source_digest(a) for a in {job.assignment for job in jobs}}
        with connect(self.scheduler, self.keys) as client:
            futures = {}
            for job in jobs:
                remote = pack(job, digests[job.assignment], self.settings)
                future = client.submit(grade_remote, remote, pure=False, retries=1)
                futures[future] = (job, time.monotonic())
            pending = set(futures)
            for future in _until(as_completed(list(pending)), pending, futures, self.deadline, finish):
                pending.discard(future)
                job = futures[future][0]
                try:
                    payload = from_plain(future.result(), job)
                except Exception as err:  # noqa: BLE001 - the worker's error, reported for that notebook
                    finish(job, None, f"{type(err).__name__} on the cluster: {err}")
                else:
                    finish(job, payload, None)


# Results are read as plain data only: a pickled value a worker sends is refused before anything of it runs here.
CLIENT_DESERIALIZERS = ("msgpack",)


def connect(scheduler: str, keys: ClusterKeys, timeout: float = 60):
    """The instructor's Dask client: mutual TLS with `keys`, no pickled value accepted back."""
    from distributed import Client

    return Client(
        scheduler, security=keys.client_security(), timeout=timeout, deserializers=list(CLIENT_DESERIALIZERS)
    )


def _until(done, pending: set, futures: dict, deadline: float, finish: Finish):
    """The futures as they complete; a future still running past its deadline is cancelled and reported."""

    ready: queue.Queue = queue.Queue()
    _threading.Thread(target=lambda: list(map(ready.put, done)), daemon=True).start()
    while pending:
        try:
            future = ready.get(timeout=1.0)
            if future in pending:  # not one cancelled at its deadline
                yield future
        except queue.Empty:
            now = time.monotonic()
            for future in list(pending):
                job, started = futures[future]
                if now - started > deadline:
                    future.cancel()
                    pending.discard(future)
                    finish(job, None, english("its grading did not finish within {seconds} s on the cluster",
                                              seconds=f"{deadline:g}"))
