"""Time what a student waits for when the command line only has to answer: help and argument errors.

    .venv/bin/python benchmarks/bench_cli.py [--runs 7]

Each case runs the installed `bpcourse` as a new process (as a student types it) several times and prints the
median, the fastest and the slowest wall-clock time. The course's budget is 0.5 s for each of these.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time
from pathlib import Path

BPCOURSE = Path(sys.executable).parent / "bpcourse"
BUDGET = 0.5

CASES = {
    "bpcourse --help": ["--help"],
    "bpcourse check --help": ["check", "--help"],
    "bpcourse start --help": ["start", "--help"],
    "bpcourse grade --help": ["grade", "--help"],
    "bpcourse (no command: usage error)": [],
    "bpcourse check (missing NOTEBOOK)": ["check"],
    "bpcourse start --no-such-option": ["start", "--no-such-option"],
    "bpcourse check notes.py (not a notebook)": ["check", __file__],
}


def time_once(args: list[str]) -> float:
    command = [str(BPCOURSE)] if BPCOURSE.exists() else [sys.executable, "-m", "grader.cli"]
    start = time.perf_counter()
    subprocess.run([*command, *args], capture_output=True)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7, help="runs per case (default 7)")
    runs = parser.parse_args().runs
    time_once(["--help"])  # warm the file cache once, as a student's second command would find it
    print(f"{'case':<44} {'median':>8} {'min':>7} {'max':>7}  ({runs} runs each, budget {BUDGET} s)")
    for name, args in CASES.items():
        times = [time_once(args) for _ in range(runs)]
        median = statistics.median(times)
        flag = "" if median <= BUDGET else "  over budget"
        print(f"{name:<44} {median:7.3f}s {min(times):6.3f}s {max(times):6.3f}s{flag}")


if __name__ == "__main__":
    main()
