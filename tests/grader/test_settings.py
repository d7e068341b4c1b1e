"""Does every grading setting take effect? One `Settings` reaches the guarded kernel (its memory and file limits),
the re-check's child (its limits) and the job runner (its deadline); each is changed here and its effect seen.
(The cell CPU limit and the notebook budgets: test_grade_budget.py; the largest notebook: test_grade_intake.py.)"""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest
from conftest import ROOT

from grader.grading.grade import run_grade
from grader.grading.records import Settings
from grader.recheck.limits import Limits
from grader.student.check import run_check

pytestmark = pytest.mark.slow

SOURCE = ROOT / "solutions" / "01_term" / "01_term.ipynb"
WRITES_3_MB = "open('big.bin', 'wb').write(b'x' * 3_000_000)\n"  # before the def: the cell stops if it fails
ALLOCATES_2_GB = "\n_big = np.empty(250_000_000)  # address space only, never touched\ndel _big\n"


def _edited(folder: Path, edits: dict[str, tuple[str, str]]) -> Path:
    """01_term's solution with text put before and after the code of some solution cells (by grade id)."""
    nb = json.loads(SOURCE.read_text(encoding="utf-8"))
    for cell in nb["cells"]:
        before, after = edits.get(cell["metadata"].get("nbgrader", {}).get("grade_id"), ("", ""))
        cell["source"] = before + "".join(cell["source"]) + after
    path = folder / "01_term" / "01_term.ipynb"
    path.parent.mkdir(parents=True)
    path.write_text(json.dumps(nb), encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def notebook(tmp_path_factory) -> Path:
    edits = {"term_propagate_back": (WRITES_3_MB, ""), "term_chain_forward": ("", ALLOCATES_2_GB)}
    return _edited(tmp_path_factory.mktemp("settings"), edits)


def test_defaults_let_the_notebook_pass(notebook: Path) -> None:
    """With the default settings, a 3 MB file and 2 GB of address space are allowed: full marks, nothing flagged
    (so the failures below are the settings' doing)."""
    result = run_check(notebook, Settings()).result
    assert [e.points for e in result.exercises if e.kind == "auto"] == [2, 2, 3, 2] and not result.review


def test_kernel_and_recheck_limits_take_effect(notebook: Path) -> None:
    """Do kernel_memory_bytes, kernel_file_bytes and recheck (the sandbox's limits) each change what happens?"""
    settings = Settings(
        kernel_memory_bytes=int(2.5 * 1024**3),  # the kernel's own ~1 GB and 2 GB more do not fit
        kernel_file_bytes=1024**2,  # the 3 MB file cannot be written: propagate_back is never defined
        recheck=Limits(memory_bytes=40 * 1024**2),  # numpy cannot even load: the re-check cannot start
    )
    result = run_check(notebook, settings).result
    points = {e.grade_id: e.points for e in result.exercises}
    assert points["term_propagate_back_test"] == 0, result.exercises  # kernel_file_bytes
    assert any("ran out of memory (MemoryError)" in r for r in result.review), result.review  # kernel_memory_bytes
    assert any("re-check could not start" in r for r in result.review), result.review  # recheck


def test_job_deadline_takes_effect(tmp_path: Path) -> None:
    """Does job_seconds stop a job that runs longer (reported for that notebook, the batch finished)?"""
    submissions = tmp_path / "submitted" / "amy"
    _edited(submissions, {"term_propagate_back": ("import time\ntime.sleep(30)\n", "")})
    settings = Settings(job_seconds=8)
    summary = run_grade(
        tmp_path / "submitted", tmp_path / "ws", jobs=1, progress=False, settings=settings, out=io.StringIO()
    )
    (result,) = summary.results
    assert any("did not finish within 8 s" in r for r in result.review), result.review
    assert result.score == 0
