"""What one grading job gives nbgrader's kernel, and how the worker watches it (see grader/sandboxed/kernel_guard.py).

Per job: a folder of its own (`JobFolders`: the kernel's working folder and home, which it alone may write, and a
private folder it may not read, with the guard channel and its log), removed after the job; the kernel's
configuration (`kernel_config`: what it may read, its limits); a budget for the whole notebook (`notebook_budget`:
CPU seconds, enforced in the kernel by RLIMIT_CPU, and wall seconds, enforced here); a `Watchdog` that stops a
cell past its CPU-time limit (so a busy machine slows a cell without failing it) and a notebook past its budget;
and the `GuardChannel`, a FIFO on which the kernel's guard names every refusal.
"""

from __future__ import annotations

import json
import os
import re
import select
import shutil
import signal
import stat
import tempfile
import threading
import time
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from grader.course.words import Words, phrase
from grader.sandboxed import scratch_fs
from grader.sandboxed.scratch_fs import folder_usage

MAX_CHANNEL_BYTES = 1024 * 1024
MAX_SCRATCH_FILES = 2_000
MAX_SCRATCH_BYTES = 256 * 1024**2
SCRATCH_HEADROOM_BYTES = 64 * 1024**2  # a job's own tmpfs holds MAX_SCRATCH_BYTES plus this: the watchdog acts first
# While the kernel runs it is stopped at the byte limit, but only at ten times the file limit: a few thousand files
# left behind are flagged after the job (and cost no points), tens of thousands would exhaust the disk's inodes.
MAX_RUNNING_FILES = 10 * MAX_SCRATCH_FILES


@dataclass(frozen=True)
class JobFolders:
    root: Path  # removed after the job
    kernel: Path  # readable and writable by the kernel: work/ and home/
    work: Path  # the kernel's working folder: the student's files and the assignment's data
    home: Path
    private: Path  # never granted to the kernel: the guard channel and the kernel's own log

    @staticmethod
    def create(scratch: Path, student: str, fonts: Path | None = None) -> JobFolders:
        scratch.mkdir(parents=True, exist_ok=True)
        prefix = re.sub(r"[^A-Za-z0-9_.-]", "-", student)[:40] or "job"
        root = Path(tempfile.mkdtemp(prefix=f"{prefix}-", dir=scratch))
        # A tmpfs of its own where the job's process may mount one (grader/sandboxed/scratch_fs.py): a hard cap, off
        # the workspace's disk. The headroom is for the student's files and the assignment's data copied in.
        scratch_fs.mount_capped(root, MAX_SCRATCH_BYTES + SCRATCH_HEADROOM_BYTES, MAX_RUNNING_FILES + 1_000)
        kernel = root / "kernel"
        folders = JobFolders(root, kernel, kernel / "work", kernel / "home", root / "private")
        for folder in (folders.work, folders.home / "matplotlib", folders.private):
            folder.mkdir(parents=True, mode=0o700)
        if fonts is not None:  # matplotlib's font list, built once: a kernel would spend seconds rebuilding it
            for cache in fonts.glob("fontlist*.json"):
                shutil.copyfile(cache, folders.home / "matplotlib" / cache.name)
        return folders

    def usage(self) -> tuple[int, int]:
        """(files, bytes) under the kernel's folders now."""
        return folder_usage(self.kernel)

    def scratch_report(self) -> Words | None:
        """What the notebook left in its folders, when it is past the limits (files and bytes)."""
        files, size = self.usage()
        if files > MAX_SCRATCH_FILES or size > MAX_SCRATCH_BYTES:
            return phrase(
                "the notebook left {files} files ({mb} MB) in its folder (limits: {max_files} files, {max_mb} MB)",
                files=str(files), mb=str(size // 1024**2), max_files=str(MAX_SCRATCH_FILES),
                max_mb=str(MAX_SCRATCH_BYTES // 1024**2))
        return None

    def remove(self) -> None:
        scratch_fs.unmount(self.root)
        shutil.rmtree(self.root, ignore_errors=True)


def copy_regular_files(source: Path, target: Path, *, skip_notebooks: bool) -> None:
    """Copy the regular files under `source` into `target` (hidden files, caches, links, FIFOs, sockets and
    devices left out): a student's folder may hold anything."""
    target.mkdir(parents=True, exist_ok=True)
    for dirpath, dirnames, names in os.walk(source, followlinks=False):
        dirnames[:] = [d for d in dirnames if not d.startswith(".") and d != "__pycache__"]
        rel = Path(dirpath).relative_to(source)
        for name in names:
            path = Path(dirpath) / name
            if name.startswith(".") or (skip_notebooks and name.endswith(".ipynb")):
                continue
            if not stat.S_ISREG(os.lstat(path).st_mode):
                continue
            (target / rel).mkdir(parents=True, exist_ok=True)
            fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW)
            with os.fdopen(fd, "rb") as src, open(target / rel / name, "wb") as dst:
                shutil.copyfileobj(src, dst)


@dataclass(frozen=True)
class Budget:
    cpu_seconds: int
    wall_seconds: float


def notebook_budget(settings, reference_seconds: float) -> Budget:
    """The whole notebook's budget: the settings' when given, else sized from the solution's own run (its cells
    executed by the grader: `reference_seconds`), with room for the kernel's start and a busy machine."""
    wall = settings.notebook_seconds or max(90.0, 30.0 + 20.0 * reference_seconds)
    cpu = settings.notebook_cpu_seconds or int(max(60.0, 30.0 + 10.0 * reference_seconds))
    return Budget(cpu, wall)


def kernel_config(settings, folders: JobFolders, read: list[str], deny: Sequence[str], lang: str = "en") -> dict:
    """BPCOURSE_KERNEL_GUARD for one job (grader/sandboxed/kernel_guard.py); `lang`: the notebook's language, in
    which the helpers' hints are written (bp_helpers.i18n)."""
    return {
        "lang": lang,
        "job": str(folders.kernel),
        "private": str(folders.private),
        "read": read,
        "deny": deny,
        "memory_bytes": settings.kernel_memory_bytes,
        "file_bytes": settings.kernel_file_bytes,
    }


class GuardChannel:
    """The FIFO the kernel's guard writes its refusals to. Lines once written cannot be taken back by the
    notebook's code; a channel closed before the notebook finished is itself reported."""

    def __init__(self, path: Path) -> None:
        os.mkfifo(path, 0o600)
        self._fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK)
        self._data = bytearray()
        self._opened = False  # the kernel has written (its isolation line)
        self.eof_at: float | None = None
        self.finished_at: float | None = None
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._read, daemon=True)
        self._thread.start()

    def _read(self) -> None:
        while not self._stop.is_set():
            ready, _, _ = select.select([self._fd], [], [], 0.2)
            if not ready:
                continue
            try:
                chunk = os.read(self._fd, 65536)
            except BlockingIOError:
                continue
            if chunk:
                self._opened = True
                if len(self._data) < MAX_CHANNEL_BYTES:
                    self._data.extend(chunk)
            elif self._opened and self.eof_at is None:
                self.eof_at = time.monotonic()
            else:
                time.sleep(0.05)  # no writer yet (or any more): a FIFO reads as empty

    def notebook_finished(self, **_) -> None:
        """nbclient's on_notebook_complete hook: the last cell ran; the kernel is shut down after this."""
        self.finished_at = time.monotonic()

    def close(self) -> tuple[list[str], bool]:
        """The lines written, and whether the channel was closed while cells were still to run."""
        self._stop.set()
        self._thread.join(timeout=2)
        os.close(self._fd)
        lines = bytes(self._data).decode("utf-8", "replace").splitlines()
        early = self.eof_at is not None and self.finished_at is not None and self.eof_at < self.finished_at
        return lines, early


@dataclass
class Watchdog:
    """Stops a cell that used more than `cell_cpu` CPU seconds (SIGINT, as nbclient's timeout would) and the
    kernel when the notebook ran past its budget: `budget.wall_seconds` or `budget.cpu_seconds` (SIGKILL).
    Driven by nbclient's hooks; it reads the kernel's CPU time from /proc five times a second."""

    cell_cpu: float
    budget: Budget
    executor: object = None
    folders: JobFolders | None = None  # watched while the kernel runs: stopped the moment it holds too much
    pid: int | None = None
    cell: int | None = None
    cell_cpu_start: float = 0.0
    started: float = field(default_factory=time.monotonic)
    interrupted: list[int] = field(default_factory=list)
    over_budget: str | None = None  # "wall", "cpu" or "disk"
    over_budget_at: int | None = None
    seen_cpu: float = 0.0  # CPU seconds of this notebook's kernels so far
    cpu_before: float = 0.0  # of the kernels before the one running
    # a cell's name for the reports, from its 0-based index: autograde names it by heading and first line
    label: Callable[[int], str | Words] = field(default=lambda index: phrase("cell {number}", number=str(index + 1)))
    _stop: threading.Event = field(default_factory=threading.Event)
    _thread: threading.Thread | None = None

    def attach(self, **_) -> None:
        """on_notebook_start: the kernel runs; find its process and start watching. A notebook run again in a new
        kernel (autograde leaves out a cell that ended the first) keeps one budget: the wall clock from the first
        start, the CPU seconds of every kernel so far."""
        provisioner = getattr(getattr(self.executor, "km", None), "provisioner", None)
        first = self.pid is None
        self.pid = getattr(provisioner, "pid", None) or getattr(getattr(provisioner, "process", None), "pid", None)
        self.cpu_before = self.seen_cpu
        if first:
            self.started = time.monotonic()
        if self.pid and (self._thread is None or not self._thread.is_alive()):
            self._thread = threading.Thread(target=self._watch, daemon=True)
            self._thread.start()

    def cell_started(self, cell=None, cell_index: int | None = None, **_) -> None:
        self.cell, self.cell_cpu_start = cell_index, self.cpu()

    def cpu(self) -> float:
        """The kernel's CPU seconds so far (user + system, all threads)."""
        try:
            with open(f"/proc/{self.pid}/stat", encoding="ascii") as f:
                fields = f.read().rsplit(")", 1)[1].split()
            return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
        except (OSError, ValueError, IndexError, TypeError):
            return 0.0

    def _watch(self) -> None:
        while not self._stop.wait(0.2):
            self.seen_cpu = max(self.seen_cpu, self.cpu_before + self.cpu())
            over = "wall" if time.monotonic() - self.started > self.budget.wall_seconds else None
            over = over or ("cpu" if self.seen_cpu > self.budget.cpu_seconds else None)
            over = over or ("disk" if self._over_disk() else None)
            if over:
                self.over_budget, self.over_budget_at = over, self.cell
                self._signal(signal.SIGKILL)
                return
            cell = self.cell
            if cell is not None and cell not in self.interrupted and self.cpu() - self.cell_cpu_start > self.cell_cpu:
                self.interrupted.append(cell)
                self._signal(signal.SIGINT)

    def _over_disk(self) -> bool:
        """Does the job's folder hold more than the scratch limits? (The kernel shares the workspace's file
        system: a notebook filling it would stop every classmate's grading, so it is stopped at once.)"""
        if self.folders is None:
            return False
        files, size = self.folders.usage()
        return files > MAX_RUNNING_FILES or size > MAX_SCRATCH_BYTES

    def _signal(self, sig: int) -> None:
        if self.pid is None:  # not started, or already reaped
            return
        try:
            os.kill(self.pid, sig)
        except ProcessLookupError:
            pass

    def stop(self) -> None:
        self._stop.set()

    def why_dead(self) -> Words | None:
        """Why the kernel stopped, when it was the budget (with the cell it was running, when known)."""
        if self.over_budget is None:
            return None
        if self.over_budget_at is None:
            return self._budget_words()
        return self._budget_words(self.label(self.over_budget_at))

    def _budget_words(self, cell: str | Words | None = None) -> Words:
        """The budget the notebook ran past, in words of the catalog: one template with the cell, one without (the
        cell's place in a sentence differs between languages)."""
        wall, cpu = f"{self.budget.wall_seconds:g}", f"{self.budget.cpu_seconds}"
        mb, files = f"{MAX_SCRATCH_BYTES // 1024**2}", f"{MAX_RUNNING_FILES}"
        if self.over_budget == "wall":
            return (phrase("the notebook ran past its time budget of {seconds} s (stopped)", seconds=wall)
                    if cell is None else
                    phrase("the notebook ran past its time budget of {seconds} s at {cell} (stopped)", seconds=wall,
                           cell=cell))
        if self.over_budget == "cpu":
            return (phrase("the notebook used up its CPU budget of {seconds} s (stopped)", seconds=cpu)
                    if cell is None else
                    phrase("the notebook used up its CPU budget of {seconds} s at {cell} (stopped)", seconds=cpu,
                           cell=cell))
        return (phrase("the notebook wrote more than {mb} MB or {files} files into its folder (stopped)", mb=mb,
                       files=files)
                if cell is None else
                phrase("the notebook wrote more than {mb} MB or {files} files into its folder at {cell} (stopped)",
                       mb=mb, files=files, cell=cell))

    def cpu_reports(self) -> list[Words]:
        return [
            phrase("{cell} ran past its CPU-time limit of {seconds} s (an infinite loop?)", cell=self.label(i),
                   seconds=f"{self.cell_cpu:g}")
            for i in self.interrupted
        ]


# nbclient watches the kernel's process, not its heartbeat. A kernel whose code wrote into its own sockets can
# leave jupyter_client's heartbeat thread waiting forever on a send, and the job with it: no heartbeat channel.
from jupyter_client.asynchronous import AsyncKernelClient  # noqa: E402
from jupyter_client.manager import AsyncKernelManager  # noqa: E402
from traitlets import Type  # noqa: E402

from grader.grading import kernel_forks  # noqa: E402


class NoHeartbeatClient(AsyncKernelClient):
    def start_channels(self, shell=True, iopub=True, stdin=True, hb=True, control=True) -> None:
        super().start_channels(shell=shell, iopub=iopub, stdin=stdin, hb=False, control=control)


class GradingKernelManager(AsyncKernelManager):
    """The kernel manager of a grading job: no heartbeat channel, and the job's guard configuration handed to the
    kernel's own environment (BPCOURSE_KERNEL_GUARD), never through this process's `os.environ`, so two jobs in
    one process cannot see each other's."""

    client_factory = Type(klass=NoHeartbeatClient)
    guard_config = "{}"  # JSON of kernel_config(...); set per job by `for_job`
    frameworks = False  # the notebook imports PyTorch and Keras: its kernel is forked by the zygote that has them

    @classmethod
    def for_job(cls, config: dict, frameworks: bool = False) -> type[GradingKernelManager]:
        """A manager class that carries one job's guard configuration (nbclient makes its manager from a class)."""
        return type("JobKernelManager", (cls,), {"guard_config": json.dumps(config), "frameworks": frameworks})

    async def _async_pre_start_kernel(self, **kw):
        zygote = kernel_forks.current(self.frameworks)
        if self.provisioner is None and zygote is not None:  # fork it from the zygote
            self.kernel_id = self.kernel_id or kw.pop("kernel_id", None) or str(uuid.uuid4())
            self.provisioner = kernel_forks.ZygoteProvisioner(
                kernel_id=self.kernel_id, kernel_spec=self.kernel_spec, parent=self
            )
            self.provisioner.zygote = zygote
        env = dict(kw.pop("env", None) or os.environ)
        env["BPCOURSE_KERNEL_GUARD"] = self.guard_config
        return await super()._async_pre_start_kernel(env=env, **kw)
