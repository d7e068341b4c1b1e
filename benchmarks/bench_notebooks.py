"""Time the execution of every solution notebook, one fresh kernel each, and print the figures.

    .venv/bin/python benchmarks/bench_notebooks.py

The course budget is 90 s for all notebooks on a 2-core machine.
"""

from __future__ import annotations

import time
from pathlib import Path

from grader.course.notebooks import execute, read_notebook

ROOT = Path(__file__).resolve().parent.parent


def main() -> None:
    total = 0.0
    for path in sorted((ROOT / "solutions").glob("*/*.ipynb")):
        start = time.perf_counter()
        executed = execute(read_notebook(path), path.parent, show_progress=False)
        seconds = time.perf_counter() - start
        total += seconds
        errors = sum(o.output_type == "error" for c in executed.cells if c.cell_type == "code" for o in c.outputs)
        print(f"{path.parent.name + '/' + path.name:<40} {seconds:6.1f} s  errors: {errors}")
    print(f"{'all solution notebooks':<40} {total:6.1f} s  (budget 90 s)")


if __name__ == "__main__":
    main()
