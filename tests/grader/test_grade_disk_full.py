"""Issue 21, item 4: can one notebook that fills the disk cost anyone but itself their grade?

The workspace lies on a small tmpfs (64 MB), mounted in a private mount namespace (`unshare --mount`, root only) so
nothing of the machine's is touched. One student's notebook writes 48 MB files until the disk refuses, then holds the
space for 25 s while two classmates are graded beside it (two workers). Each job's folder must be a capped tmpfs of
its own (grader/sandboxed/scratch_fs.py): the filler fills its own, is stopped and flagged; the classmates keep full
marks and the class's CSV is written. Before the job folders had their own tmpfs, the filler's files landed on the
workspace's disk and the classmates graded beside it could not be recorded.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from conftest import ROOT

pytestmark = pytest.mark.slow

FILLER = """
import os, time
_written = 0
try:
    while True:  # 48 MB files (each under the per-file limit) until the disk refuses
        with open(f"fill-{_written}.bin", "wb") as f:
            f.write(b"x" * (48 * 1024**2))
        _written += 1
except OSError:
    time.sleep(25)  # hold the space while the classmates are graded
"""

SCRIPT = textwrap.dedent(
    """
    import csv, io, json, subprocess, sys
    from pathlib import Path

    import nbformat

    from grader.grading import demo_class
    from grader.grading.grade import run_grade
    from grader.grading.records import Settings
    from grader.grading.workspace import prepare_workspace

    base, root = Path(sys.argv[1]), Path(sys.argv[2])
    subprocess.run(["mount", "-t", "tmpfs", "-o", "size=64m", "tmpfs", str(base)], check=True)
    workspace, submissions = base / "workspace", base / "submitted"
    prepare_workspace(workspace)
    source = root / "solutions" / "01_term" / "01_term.ipynb"
    for student in ("a-filler", "b-right", "c-right"):
        nb = nbformat.read(source, as_version=4)
        if student == "a-filler":
            nb.cells.append(nbformat.v4.new_code_cell(sys.argv[3]))
        demo_class.write_notebook(nb, submissions / student / "01_term" / "01_term.ipynb")
    summary = run_grade(submissions, workspace, jobs=2, progress=False, settings=Settings(cell_timeout=60),
                        out=io.StringIO())
    with open(summary.csv, encoding="utf-8") as f:
        rows = {row["student"]: row["status"] for row in csv.DictReader(f)}
    results = {r.student: [r.score, r.auto_max, r.review, r.kernel_isolation] for r in summary.results}
    print(json.dumps({"rows": rows, "results": results}))
    """
)


def _can_make_private_mounts() -> str | None:
    if os.geteuid() != 0:
        return "needs root (a private mount namespace and a tmpfs)"
    if shutil.which("unshare") is None:
        return "no unshare command"
    probe = subprocess.run(["unshare", "--mount", "--propagation", "private", "true"], capture_output=True)
    return None if probe.returncode == 0 else f"unshare --mount fails here: {probe.stderr.decode()[:200]}"


def test_a_disk_filling_notebook_costs_only_its_own_grade(tmp_path: Path) -> None:
    why = _can_make_private_mounts()
    if why:
        pytest.skip(f"tmpfs workspace: {why}")
    base = tmp_path / "small-disk"
    base.mkdir()
    run = subprocess.run(
        ["unshare", "--mount", "--propagation", "private", sys.executable, "-c", SCRIPT, str(base), str(ROOT), FILLER],
        capture_output=True,
        text=True,
        timeout=900,
        cwd=ROOT,
    )
    assert run.returncode == 0, run.stderr[-3000:]
    report = json.loads(run.stdout.strip().splitlines()[-1])
    rows, results = report["rows"], report["results"]
    for classmate in ("b-right", "c-right"):
        score, auto_max, review, _ = results[classmate]
        assert score == auto_max > 0 and not review, (classmate, results[classmate])
        assert not rows[classmate].startswith("needs review"), rows
    filler_review = results["a-filler"][2]
    assert rows["a-filler"].startswith("needs review") and filler_review, (rows, results["a-filler"])
    assert "own tmpfs" in results["b-right"][3], results["b-right"]
