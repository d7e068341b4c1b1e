"""Kernels forked by the kernel zygote (grader/sandboxed/kernel_zygote.py) instead of started as a new Python.

`forking_kernels` starts the zygotes once per grading run, before any job process is forked (each job process
inherits their control sockets): the kernel zygote, the re-check's (grader/sandboxed/recheck_zygote.py) and, when a
job needs PyTorch and Keras, one of each that has imported them; every `GradingKernelManager` of this process and its
forked jobs asks the kernel zygote its notebook needs. `ZygoteProvisioner` is jupyter_client's LocalProvisioner with
one change: it asks the zygote for the kernel's process, and falls back to starting `python -m
grader.sandboxed.kernel_guard` as before when there is no zygote or it does not answer. Either way the kernel
confines itself the same way before any student code runs.
"""

from __future__ import annotations

import importlib.util
import json
import logging
import os
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import cast

from jupyter_client.provisioning import LocalProvisioner

from grader.recheck.sandbox import start_recheck_zygote
from grader.sandboxed import scratch_fs, zygote_client
from grader.sandboxed.kernel_guard import PASSED_THROUGH
from grader.sandboxed.zygote_client import ForkedProcess, Zygote, Zygotes, ZygoteUnavailable

log = logging.getLogger(__name__)

KERNEL_MODULE = "grader.sandboxed.kernel_guard"
MAX_REQUEST_BYTES = 60 * 1024  # a pipe holds this much without a reader: the request is written before the fork


class KernelZygote(Zygote):
    """The kernel zygote (grader/sandboxed/kernel_zygote.py)."""

    @classmethod
    def start_for_kernels(cls, mplconfig: Path, log_path: Path | None = None, frameworks: bool = False) -> KernelZygote:
        """Start the zygote with none of the grader's variables: only what every kernel's environment holds before its
        job's own (grader/sandboxed/kernel_guard.py `clean_environment`); matplotlib reads its font list from
        `mplconfig` once, for every kernel. `frameworks`: it imports PyTorch and Keras too (on Keras's torch
        backend, as 04f's setup cell asks; Keras's own folder beside `mplconfig`, not the instructor's ~/.keras)."""
        env = {
            "PATH": "/usr/bin:/bin",
            "LANG": "C.UTF-8",
            "MPLCONFIGDIR": str(mplconfig),
            "MPLBACKEND": "module://matplotlib_inline.backend_inline",
            "OPENBLAS_NUM_THREADS": "1",
            "OMP_NUM_THREADS": "1",
            "MKL_NUM_THREADS": "1",
            "PYDEVD_DISABLE_FILE_VALIDATION": "1",
            **{k: os.environ[k] for k in ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE") if k in os.environ},
        }
        if frameworks:
            env.update(KERAS_BACKEND="torch", KERAS_HOME=str(mplconfig.parent / "keras"))
        program = [sys.executable, "-m", "grader.sandboxed.kernel_zygote"]
        return cls.start(program, ["--frameworks"] if frameworks else [], env, log_path)

    def spawn(self, argv: list[str], env: dict[str, str], cwd: str) -> ForkedProcess:
        """A kernel process for `python -m grader.sandboxed.kernel_guard *argv`, with `env`'s BPCOURSE_KERNEL_GUARD
        and passed-through variables (nothing else of this process's environment reaches the zygote), in `cwd`, in
        this process's mount namespace."""
        passed = {k: v for k, v in env.items() if k == "BPCOURSE_KERNEL_GUARD" or k in PASSED_THROUGH}
        request = json.dumps({"argv": argv, "env": passed, "cwd": cwd}).encode()
        if len(request) > MAX_REQUEST_BYTES:
            raise ZygoteUnavailable("request too large")
        read, write = os.pipe()
        namespace = scratch_fs.namespace_fd()  # the job's folders are its own tmpfs, seen in its namespace only
        try:
            os.write(write, request)
            os.close(write)
            return self.fork([read, *([] if namespace is None else [namespace])])
        finally:
            for fd in (read, *([] if namespace is None else [namespace])):
                os.close(fd)


@contextmanager
def forking_kernels(
    mplconfig: Path, log_path: Path | None = None, enabled: bool = True, frameworks: bool = False
) -> Iterator[None]:
    """Within: this process's jobs (and the processes it forks) get their kernels and their re-check children from
    zygotes started here, stopped on leaving (`frameworks`: and one of each with PyTorch and Keras imported, when
    they are installed). Call it from the main thread: a zygote dies with the thread that started it."""
    if not enabled or not hasattr(os, "pidfd_open") or zygote_client.current() is not None:
        yield
        return
    with_frameworks = frameworks and all(importlib.util.find_spec(name) for name in ("torch", "keras"))
    home = mplconfig.parent  # the grader's state folder: Keras's folder for the zygotes that import it
    zygotes = Zygotes(
        KernelZygote.start_for_kernels(mplconfig, log_path),
        start_recheck_zygote(home, log_path),
        KernelZygote.start_for_kernels(mplconfig, log_path, frameworks=True) if with_frameworks else None,
        start_recheck_zygote(home, log_path, frameworks=True) if with_frameworks else None,
    )
    zygote_client.use(zygotes)
    try:
        yield
    finally:
        zygote_client.use(None)
        zygotes.close()


def current(frameworks: bool = False) -> KernelZygote | None:
    """The zygote a kernel is asked of: the frameworks one for a notebook that needs PyTorch and Keras, if there is
    one, else the plain one."""
    zygotes = zygote_client.current()
    return None if zygotes is None else cast(KernelZygote, zygotes.for_kernel(frameworks))


def kernel_argv(cmd: list[str]) -> list[str] | None:
    """The arguments after `python -m grader.sandboxed.kernel_guard`, if `cmd` starts the guarded kernel."""
    if len(cmd) >= 3 and cmd[0] == sys.executable and cmd[1:3] == ["-m", KERNEL_MODULE]:
        return list(cmd[3:])
    return None


class ZygoteProvisioner(LocalProvisioner):
    """LocalProvisioner whose kernel process the zygote forks (see the module's docstring)."""

    zygote: KernelZygote | None = None  # set by GradingKernelManager: the plain or the frameworks zygote

    async def launch_kernel(self, cmd: list[str], **kwargs):
        argv, zygote = kernel_argv(cmd), self.zygote
        if argv is None or zygote is None:
            return await super().launch_kernel(cmd, **kwargs)
        started = time.monotonic()
        try:
            process = zygote.spawn(argv, dict(kwargs.get("env") or {}), str(kwargs.get("cwd") or os.getcwd()))
        except ZygoteUnavailable as why:
            log.warning("kernel zygote: %s; starting the kernel as a new process", why)
            return await super().launch_kernel(cmd, **kwargs)
        log.debug("kernel %d forked by the zygote in %.3f s", process.pid, time.monotonic() - started)
        self.process = process  # type: ignore[assignment]  # Popen's interface, not a Popen
        self.pid = self.pgid = process.pid  # setsid: its own group
        self.cwd = kwargs.get("cwd", Path.cwd())
        return self.connection_info
