"""Profile: where one grading job's seconds go, step by step (issue 27, item 1).

    python benchmarks/profile_job.py [--assignment 01_term] [--notebook NAME] [--repeat 2]

Grades the solution notebook of one assignment through `bpcourse check`'s path (the grader's own pipeline, the guarded
kernel, the re-check in its sandbox), with every step of `grader.grading.pipeline` timed: wall seconds and CPU-seconds
(this process plus the processes it has reaped: the kernel, the re-check's child). A child's CPU counts when it is
reaped: the re-check runs in a thread beside the kernel and its child usually ends while `run_autograde` runs, so both
children's CPU shows there. Kernels are forked by a kernel zygote, as `bpcourse grade` and the check server fork them
(--no-zygote: each started as a new Python; 04f's from the zygote that has imported PyTorch and Keras); their CPU
counts once the zygote has reaped them. The first run pays the
workspace and the solution's reference; later runs are warm.
"""

from __future__ import annotations

import argparse
import resource
import sys
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from grader.course.paths import solutions_dir  # noqa: E402
from grader.grading import autograde, pipeline  # noqa: E402
from grader.recheck import trusted_check  # noqa: E402
from grader.sandboxed import zygote_client  # noqa: E402
from grader.student.check import run_check  # noqa: E402

STEPS = (
    "read", "identify", "inspect_changes", "restore_metadata", "start_recheck", "run_autograde", "recheck", "merge",
)
# Inside the steps: (module, function, what it is); their time is part of the step that calls them.
INSIDE = (
    (autograde, "_sanitize", "  nbgrader's sanitize (run_autograde)"),
    (autograde, "_execute", "  kernel start + cells (run_autograde)"),
    (autograde, "_tidy_outputs", "  outputs tidied (run_autograde)"),
    (trusted_check, "run_job", "  re-check child, in its thread"),
)


def cpu_seconds() -> float:
    own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    running = zygote_client.current()
    forked = sum(z.cpu_seconds() for z in running.running()) if running else 0.0
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime + forked


def timed(name: str, step: Callable, table: dict[str, list[float]]) -> Callable:
    def wrapper(*args, **kwargs):
        wall, cpu = time.monotonic(), cpu_seconds()
        try:
            return step(*args, **kwargs)
        finally:
            entry = table.setdefault(name, [0.0, 0.0])
            entry[0] += time.monotonic() - wall
            entry[1] += cpu_seconds() - cpu

    return wrapper


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--assignment", default="01_term")
    parser.add_argument("--notebook", help="the notebook's name without .ipynb (default: the assignment's first)")
    parser.add_argument("--repeat", type=int, default=2)
    parser.add_argument("--no-zygote", action="store_true", help="start each kernel as a new Python (no kernel zygote)")
    args = parser.parse_args()
    if not args.no_zygote:  # as the check server and `bpcourse grade` run: kernels forked by a zygote
        from grader.grading.kernel_forks import forking_kernels
        from grader.grading.workspace import state_dir
        from grader.recheck.specs import needs_frameworks
        from grader.student.check import prepared_check_workspace

        frameworks = needs_frameworks(args.assignment, args.notebook or _first(args.assignment).stem)
        with forking_kernels(state_dir(prepared_check_workspace()) / "mplconfig", frameworks=frameworks):
            return profile(args)
    return profile(args)


def _first(assignment: str) -> Path:
    return sorted((solutions_dir() / assignment).glob("*.ipynb"))[0]


def profile(args: argparse.Namespace) -> int:
    path = solutions_dir() / args.assignment / f"{args.notebook}.ipynb" if args.notebook else _first(args.assignment)
    for run in range(1, args.repeat + 1):
        table: dict[str, list[float]] = {}
        originals = {name: getattr(pipeline, name) for name in STEPS}
        for name, step in originals.items():
            setattr(pipeline, name, timed(name, step, table))
        inner = {(module, name): getattr(module, name) for module, name, _ in INSIDE}
        for (module, name), function in inner.items():
            label = next(what for m, n, what in INSIDE if m is module and n == name)
            setattr(module, name, timed(label, function, table))
        try:
            wall, cpu = time.monotonic(), cpu_seconds()
            report = run_check(path)
            wall, cpu = time.monotonic() - wall, cpu_seconds() - cpu
        finally:
            for name, step in originals.items():
                setattr(pipeline, name, step)
            for (module, name), function in inner.items():
                setattr(module, name, function)
        score = sum(e.points or 0.0 for e in report.result.exercises if e.kind == "auto")
        print(f"run {run} ({'cold' if run == 1 else 'warm'}): {path.name}, {score:g} points, {wall:.2f} s wall, "
              f"{cpu:.2f} CPU-s")
        print(f"  {'step':<40}{'wall s':>9}{'CPU s':>9}")
        for name in STEPS:
            spent = table.get(name, [0.0, 0.0])
            print(f"  {name:<40}{spent[0]:9.2f}{spent[1]:9.2f}")
        for _module, _name, label in INSIDE:
            spent = table.get(label, [0.0, 0.0])
            print(f"  {label:<40}{spent[0]:9.2f}{spent[1]:9.2f}")
        inside = sum(table.get(name, [0.0])[0] for name in STEPS)
        print(f"  {'outside the steps':<40}{wall - inside:9.2f}   (workspace, staging, the solution's reference)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
