"""Benchmark: what the grading kernel's isolation costs per notebook, side by side with a plain kernel.

    python benchmarks/bench_isolation.py [--runs 5]

Starts a kernel and runs one cell (`import numpy`) the way nbgrader's Execute does, alternately with the plain
`python3` kernel and with the grading kernel (grader/sandboxed/kernel_guard.py: closed descriptors, a clean
environment by re-exec, seccomp, Landlock, the guard channel, the job's own folders). Prints the median of each and
the difference: the isolation's cost for one notebook. Runs in a temporary grading workspace.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from grader.grading.job_kernel import GradingKernelManager, GuardChannel, JobFolders, kernel_config  # noqa: E402
from grader.grading.records import Settings  # noqa: E402
from grader.grading.workspace import KERNEL_NAME, state_dir, write_kernelspec  # noqa: E402


def _run_one(kernel: str, workdir: Path, manager=GradingKernelManager) -> float:
    import nbformat
    from nbclient import NotebookClient

    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("import numpy")])
    started = time.perf_counter()
    NotebookClient(
        nb,
        kernel_name=kernel,
        kernel_manager_class=manager,
        resources={"metadata": {"path": str(workdir)}},
        shutdown_kernel="immediate",
    ).execute()
    return time.perf_counter() - started


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    workspace = Path(tempfile.mkdtemp(prefix="bpcourse-bench-isolation-"))
    state_dir(workspace).mkdir()
    write_kernelspec(workspace)
    os.environ["JUPYTER_PATH"] = str(state_dir(workspace) / "jupyter")
    plain, guarded = [], []
    for _ in range(args.runs):
        folders = JobFolders.create(state_dir(workspace) / "scratch", "bench", state_dir(workspace) / "mplconfig")
        plain.append(_run_one("python3", folders.work))
        config = kernel_config(Settings(), folders, [str(Path(__file__).resolve().parent.parent / "bp_helpers")], [])
        channel = GuardChannel(folders.private / "channel")
        guarded.append(_run_one(KERNEL_NAME, folders.work, GradingKernelManager.for_job(config)))
        lines, _ = channel.close()
        folders.remove()
    print(f"kernel start + one cell, median of {args.runs}:")
    print(f"  plain python3 kernel:   {statistics.median(plain):.3f} s")
    confined = lines[0] if lines else "no channel line"
    print(f"  grading kernel:         {statistics.median(guarded):.3f} s   ({confined})")
    print(f"  isolation cost per notebook: {statistics.median(guarded) - statistics.median(plain):+.3f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
