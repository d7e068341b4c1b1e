"""Is an assignment whose solution cannot run on the grading machine held back, never graded against a student?

The grader computes every expected value with the solution's own functions in its own process. On an instructor's
install without PyTorch and Keras (issue 29: `make release` and the hub's install bring neither), 04f's solution
cells fail there, and grading a right 04f notebook would score it against missing references. Here PyTorch and Keras
are made unimportable in the grading process (`sys.modules[name] = None`), and a class of two is graded: a right
04f notebook and a right 01_term notebook.
"""

from __future__ import annotations

import io
import shutil
import sys
from pathlib import Path

import pytest
from conftest import ROOT

from grader.course.sources import read_source
from grader.grading.command import exit_status
from grader.grading.grade import run_grade
from grader.grading.journal import journal_path
from grader.grading.workspace import prepare_workspace, state_dir
from grader.recheck.trusted_check import unfit_checks

SOLUTIONS = sorted((ROOT / "solutions").glob("*/*.ipynb"))


@pytest.mark.parametrize("path", SOLUTIONS, ids=lambda p: p.name)
def test_every_graded_function_can_be_rechecked_here(path: Path) -> None:
    """In the test environment (frameworks installed), can the re-check compute every expected value of every
    graded function from the solution: a spec for each, defined by the solution, fitting it? (A spec that does not
    fit holds back the whole assignment from grading.)"""
    assert unfit_checks(read_source(path.parent.name, path)) == {}


@pytest.mark.slow
def test_an_assignment_whose_solution_cannot_run_here_is_held_back(tmp_path: Path, monkeypatch) -> None:
    """With PyTorch and Keras missing, is the right 04f notebook flagged `grader environment` (not graded, not
    journalled, exit status 3) while its 01_term classmate is graded as usual?"""
    for framework in ("torch", "keras"):
        monkeypatch.setitem(sys.modules, framework, None)  # `import torch` raises ImportError in this process
    workspace = tmp_path / "ws"
    prepare_workspace(workspace)
    tree = tmp_path / "class"
    for student, assignment, notebook in (
        ("ann", "04_usage", "04f_frameworks"),
        ("bob", "01_term", "01_term"),
    ):
        (tree / student / assignment).mkdir(parents=True)
        shutil.copy(ROOT / "solutions" / assignment / f"{notebook}.ipynb", tree / student / assignment)
    summary = run_grade(tree, workspace, jobs=1, progress=False, out=io.StringIO(), layout="nbgrader")

    rows = {r.student: r for r in summary.results}
    ann, bob = rows["ann"], rows["bob"]
    assert ann.notebook == "04f_frameworks"
    assert any(r.startswith("grader environment:") and "torch" in r for r in ann.review), ann.review
    assert ann.grader_error == "grader environment"
    assert not (workspace / "autograded" / "ann").exists()  # no kernel ever ran it
    assert not journal_path(workspace, "04_usage", "ann", "04f_frameworks").exists()  # the next run grades it
    assert exit_status(summary) == 3
    assert bob.score == bob.auto_max > 0 and not bob.review, bob.review
    assert (state_dir(workspace) / "results" / "01_term" / "bob").is_dir()
