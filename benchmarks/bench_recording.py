"""The parent's work per result, and per submission read, as a notebook grows (issue 28, item 6).

    .venv/bin/python benchmarks/bench_recording.py [--cells 0 10000 20000] [--runs 3]

Recording: `journal.record` of one 01_term result (gradebook, autograded notebook, feedback, journal entry) whose
executed notebook has N extra empty cells, as the worker sends it now (the scored cells alone for SaveAutoGrades)
and as it used to (the whole notebook, parsed and validated in the parent: `GradedNotebook.scored` left None).
Reading: the structure check of a 17 MB notebook of 355,305 empty cells (`measure_structure`) against building it
with nbformat, each in a fresh process (time and peak memory, from the process's own accounting).
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from grader.course.sources import read_source  # noqa: E402
from grader.grading import demo_class  # noqa: E402
from grader.grading.journal import record  # noqa: E402
from grader.grading.pipeline import _graded  # noqa: E402
from grader.grading.records import JobResult  # noqa: E402
from grader.grading.verdicts import all_failed  # noqa: E402
from grader.grading.workspace import prepare_workspace  # noqa: E402

SOURCE = ROOT / "solutions" / "01_term" / "01_term.ipynb"

READ = """
import json, resource, sys, time
sys.path.insert(0, {root!r})
data = open({path!r}, "rb").read()
started = time.perf_counter()
if {how!r} == "measure_structure":
    from grader.course.notebooks import measure_structure
    shape = measure_structure(data)
else:
    import nbformat
    shape = len(nbformat.reads(data.decode(), as_version=4).cells)
print(time.perf_counter() - started, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
"""


def _record_seconds(workspace: Path, extra: int, whole: bool, runs: int) -> float:
    release = demo_class.release_of(SOURCE, workspace / "release")
    nb = demo_class.right(release, nbformat.read(SOURCE, as_version=4))
    nb.cells += [nbformat.v4.new_code_cell("") for _ in range(extra)]
    result = JobResult(f"s{extra}", "01_term", "01_term", "fp")
    result.exercises = all_failed(read_source("01_term", SOURCE), "bench")
    graded = _graded(result, nb)
    if whole:
        graded.scored = None
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        record(workspace, result, graded)
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cells", type=int, nargs="+", default=[0, 10_000, 20_000])
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-recording-") as tmp:
        workspace = Path(tmp) / "workspace"
        prepare_workspace(workspace)
        print("journal.record of one result (median s): extra cells, scored cells alone, whole notebook")
        for extra in args.cells:
            now = _record_seconds(workspace, extra, False, args.runs)
            before = _record_seconds(workspace, extra, True, args.runs)
            print(f"  {extra:>7,}  {now:8.3f}  {before:8.3f}")
        attack = Path(tmp) / "many.ipynb"
        cells = ",".join(['{"cell_type":"markdown","metadata":{},"source":""}'] * 355_305)
        attack.write_text(f'{{"cells":[{cells}],"metadata":{{}},"nbformat":4,"nbformat_minor":4}}')
        print(f"reading a {attack.stat().st_size / 1024**2:.1f} MB notebook of 355,305 cells: seconds, peak MB")
        for how in ("measure_structure", "nbformat.reads"):
            code = READ.format(root=str(ROOT), path=str(attack), how=how)
            seconds, peak = subprocess.run(
                [sys.executable, "-c", code], capture_output=True, text=True, check=True
            ).stdout.split()
            print(f"  {how:<18} {float(seconds):6.2f}  {float(peak):7.0f}")


if __name__ == "__main__":
    main()
