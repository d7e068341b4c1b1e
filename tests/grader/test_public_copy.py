"""Issue 29 item 6: a public, solution-free copy of the course for students (`bpcourse release --public DIR`).

Checked: nothing that grades is in it (no solutions/, contracts/, tests/, no re-check inputs or probes, no
notebook with a solution region or a hidden test), and it works for a student: its own `bpcourse start --no-lab`
copies the notebooks, run from the copy with PYTHONPATH on it (as `pip install DIR` would put it)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest
from conftest import ROOT

from grader.course.public_copy import leaks, write_public_copy
from grader.errors import CourseError


@pytest.fixture(scope="module")
def copy(tmp_path_factory) -> Path:
    target = tmp_path_factory.mktemp("public") / "backprop-course"
    write_public_copy(ROOT, target)
    return target


def test_nothing_that_grades_is_published(copy: Path) -> None:
    names = {p.name for p in copy.iterdir()}
    assert {"course", "bp_helpers", "grader", "README.md", "pyproject.toml"} <= names
    assert not names & {"solutions", "contracts", "tests", "benchmarks", "deploy", "docs"}, names
    assert not (copy / "contracts").exists() and not list(copy.rglob("*_probes.py"))
    assert not (copy / "grader" / "recheck" / "cases.py").exists()
    notebooks = sorted((copy / "course").rglob("*.ipynb"))
    assert len(notebooks) == len(sorted((ROOT / "course").rglob("*.ipynb"))) > 10
    assert not [p for p in notebooks if leaks(p)]


@pytest.mark.slow  # a fresh interpreter runs the copy's bpcourse: about 12 s
def test_a_student_starts_the_course_from_it(copy: Path, tmp_path: Path) -> None:
    env = {**os.environ, "PYTHONPATH": str(copy), "BPCOURSE_ROOT": str(copy)}
    probe = "import grader, bp_helpers; print(grader.__file__, bp_helpers.__file__)"
    where = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, env=env, cwd=tmp_path,
                           check=True).stdout
    assert where.count(str(copy)) == 2, where  # the copy's own packages, not the checkout's
    done = subprocess.run([sys.executable, "-m", "grader.cli", "start", str(tmp_path / "mine"), "--no-lab"],
                          capture_output=True, text=True, cwd=tmp_path, env=env, timeout=120)
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "mine" / "01_term" / "01_term.ipynb").is_file()


def test_a_notebook_with_a_solution_left_in_is_refused(tmp_path: Path) -> None:
    root = tmp_path / "checkout"
    (root / "course" / "01_term").mkdir(parents=True)
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("### BEGIN SOLUTION\nx = 1\n### END SOLUTION")])
    nbformat.write(nb, root / "course" / "01_term" / "01_term.ipynb")
    with pytest.raises(CourseError, match="not published"):
        write_public_copy(root, tmp_path / "out")
    assert not (tmp_path / "out").exists()
