"""Does the CLI give one-line errors on bad input, and help on every subcommand?"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from conftest import ROOT


def run(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "grader.cli", *args], capture_output=True, text=True, cwd=cwd)


def run_here(capsys, *args: str) -> subprocess.CompletedProcess[str]:
    """`bpcourse ARGS` in this process (its `main`, as the console script calls it): a second faster than a new
    interpreter; an exception `main` let through fails the test as a traceback would."""
    from grader.cli import main

    code = main(list(args))
    said = capsys.readouterr()
    return subprocess.CompletedProcess(["bpcourse", *args], code, said.out, said.err)


@pytest.mark.parametrize("sub", ["start", "check", "release", "grade", "export", "explore"])
def test_every_subcommand_has_help(sub: str) -> None:
    """Does `bpcourse SUB --help` describe the subcommand?"""
    done = run(sub, "--help")
    assert done.returncode == 0 and "usage: bpcourse" in done.stdout


BAD_INPUTS = {
    "missing": (None, "no such file"),
    "folder": ("<dir>", "is a folder"),
    "not_json": ("this is not json", "not valid JSON"),
    "empty": ("", "is empty"),
    "json_not_notebook": ('{"a": 1}', "not a Jupyter notebook"),
    "binary": (b"\xff\xfe\x00\x81", "not a notebook"),
    "unknown_assignment": (
        '{"cells": [], "metadata": {}, "nbformat": 4, "nbformat_minor": 5}',
        "not a notebook of any known assignment",
    ),
}


@pytest.mark.parametrize("case", sorted(BAD_INPUTS))
def test_check_bad_input_is_one_line(tmp_path: Path, case: str, capsys) -> None:
    """Does `bpcourse check` answer bad input with one line naming the problem, and no traceback?"""
    content, expected = BAD_INPUTS[case]
    path = tmp_path / "student.ipynb"
    if content == "<dir>":
        path.mkdir()
    elif isinstance(content, bytes):
        path.write_bytes(content)
    elif content is not None:
        path.write_text(content)
    done = run_here(capsys, "check", str(path))
    assert done.returncode == 2
    assert expected in done.stderr
    assert "Traceback" not in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1, done.stderr


KOREAN_BAD_INPUTS = {
    "missing": (None, "그런 파일이 없습니다", "no such file"),
    "folder": ("<dir>", "폴더입니다", "is a folder"),
    "json_not_notebook": ('{"a": 1}', "Jupyter 노트북이 아닙니다", "not a Jupyter notebook"),
    "python_file": ("print(1)", "Python 파일입니다", "is a Python file"),
}


@pytest.mark.parametrize("case", sorted(KOREAN_BAD_INPUTS))
def test_check_says_what_is_wrong_in_the_students_language(tmp_path: Path, case: str, capsys, monkeypatch) -> None:
    """Issue 25: a Korean student's `bpcourse check` (BPCOURSE_LANG=ko, as `make start COURSE_LANG=ko` sets it)
    names a broken or missing file in Korean, whether the check server or the command itself finds it."""
    content, korean, english = KOREAN_BAD_INPUTS[case]
    monkeypatch.setenv("BPCOURSE_LANG", "ko")
    path = tmp_path / ("student.py" if case == "python_file" else "student.ipynb")
    if content == "<dir>":
        path.mkdir()
    elif content is not None:
        path.write_text(content)
    done = run_here(capsys, "check", str(path))
    assert done.returncode == 2
    assert korean in done.stderr and "오류" in done.stderr and english not in done.stderr, done.stderr


def test_start_says_what_is_wrong_in_the_chosen_language(tmp_path: Path, capsys, monkeypatch) -> None:
    """`bpcourse start --lang ko` on a file where the course folder should go: the refusal in Korean."""
    monkeypatch.setenv("BPCOURSE_LANG", "en")  # `start` sets it for the course's kernels: monkeypatch restores it
    target = tmp_path / "a-file"
    target.write_text("x")
    done = run_here(capsys, "start", str(target), "--lang", "ko", "--no-lab")
    assert done.returncode == 2 and "파일입니다" in done.stderr and "is a file" not in done.stderr, done.stderr


@pytest.mark.slow
def test_check_passes_solutions_and_fails_release(tmp_path: Path) -> None:
    """Does `bpcourse check` pass a solution notebook and fail the untouched release, naming why?"""
    for folder, expected_rc, word in (("solutions", 0, "PASS"), ("course", 1, "not implemented yet")):
        done = run("check", str(ROOT / folder / "01_term" / "01_term.ipynb"), "--quiet")
        assert done.returncode == expected_rc, done.stdout + done.stderr
        assert word in done.stdout


@pytest.mark.slow
def test_check_is_not_fooled_by_a_patched_allclose(tmp_path: Path) -> None:
    """Does `bpcourse check` fail wrong answers hidden behind `np.allclose = lambda *a, **k: True`, as grade does?"""
    import nbformat

    from grader.grading.demo_class import cheat_allclose, release_of, write_notebook

    source_path = ROOT / "solutions" / "01_term" / "01_term.ipynb"
    release = release_of(source_path, ROOT / "course")
    cheat = tmp_path / "cheat.ipynb"
    write_notebook(cheat_allclose(release, nbformat.read(source_path, as_version=4)), cheat)
    done = run("check", str(cheat), "--quiet")
    assert done.returncode == 1, done.stdout + done.stderr
    assert "trusted re-check" in done.stdout


@pytest.mark.parametrize("name", ["01_term.py", "notes.txt"])
def test_check_says_a_python_file_is_not_a_notebook(tmp_path: Path, name: str) -> None:
    """Does `bpcourse check file.py` say the file is not a notebook (not that a notebook is damaged)?"""
    path = tmp_path / name
    path.write_text("def relu_forward(z):\n    return z\n")
    done = run("check", str(path))
    assert done.returncode == 2
    assert "not a notebook" in done.stderr and ".ipynb" in done.stderr
    assert "damaged" not in done.stderr and "not valid JSON" not in done.stderr
    if name.endswith(".py"):
        assert "is a Python file" in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1, done.stderr


HEAVY = ("numpy", "nbgrader", "nbformat", "nbclient", "jupyter_client", "jupyter_core", "jupyterlab", "matplotlib",
         "ipywidgets", "traitlets", "IPython")


@pytest.mark.parametrize(
    "args", [["--help"], ["check", "--help"], ["start", "--help"], ["grade", "--help"], ["check"], ["frobnicate"]]
)
def test_help_and_argument_errors_import_nothing_heavy(args: list[str]) -> None:
    """Do `bpcourse --help` and argument errors answer without importing numpy, nbgrader or Jupyter?"""
    done = subprocess.run([sys.executable, "-X", "importtime", "-m", "grader.cli", *args], capture_output=True,
                          text=True)
    assert done.returncode in (0, 2), done.stderr
    imported = {line.rsplit("|", 1)[-1].strip() for line in done.stderr.splitlines() if line.startswith("import time:")}
    heavy = sorted(m for m in imported if m.split(".")[0] in HEAVY)
    assert not heavy, f"`bpcourse {' '.join(args)}` imported {heavy[:8]}"


def test_start_help_documents_a_fresh_copy() -> None:
    """Does `bpcourse start --help` tell how to start a notebook over, and that the old file is kept?"""
    done = run("start", "--help")
    assert "--fresh NOTEBOOK" in done.stdout and "before-fresh" in done.stdout.replace("\n", " ")


def test_an_empty_notebook_points_at_start_fresh(tmp_path: Path, capsys) -> None:
    """Does `bpcourse check` on an emptied notebook name the way back: `bpcourse start --fresh` on that file?"""
    path = tmp_path / "01_term.ipynb"
    path.write_text("")
    done = run_here(capsys, "check", str(path))
    assert done.returncode == 2 and f"bpcourse start --fresh {path}" in done.stderr, done.stderr
