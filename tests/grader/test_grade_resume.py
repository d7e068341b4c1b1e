"""Does a grading run killed half-way keep the grades it made, and end, once restarted, as an uninterrupted run?"""

from __future__ import annotations

import io
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from conftest import ROOT

from grader.grading import demo_class
from grader.grading.grade import run_grade
from grader.grading.workspace import prepare_workspace, state_dir

pytestmark = pytest.mark.slow

STUDENTS = {k: demo_class.STUDENTS[k] for k in ("alice", "bob", "carol", "dave")}


def test_killed_run_resumes_to_the_same_result(tmp_path: Path) -> None:
    """After SIGKILL mid-run, does a second run reuse the finished notebooks and write the same CSV as a run that
    was never interrupted?"""
    killed_ws, clean_ws = tmp_path / "killed", tmp_path / "clean"
    prepare_workspace(killed_ws)
    submissions = demo_class.build_class(tmp_path / "class", killed_ws / "release", STUDENTS, ["01_term"])
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "grader.grading.command",
            str(submissions),
            "--workspace",
            str(killed_ws),
            "--jobs",
            "1",
            "--quiet",
            "--assignment",
            "01_term",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env=env,
        start_new_session=True,
    )
    journals = state_dir(killed_ws) / "results"
    deadline = time.monotonic() + 240
    while time.monotonic() < deadline and len(list(journals.rglob("*.json"))) < 1:
        time.sleep(0.2)
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    assert _left_running(killed_ws) == [], "a job of the stopped run outlived it"
    kept = len(list(journals.rglob("*.json")))
    assert 1 <= kept < len(STUDENTS), "the run should have been stopped half-way"

    resumed = run_grade(submissions, killed_ws, "01_term", jobs=2, progress=False, out=io.StringIO())
    assert resumed.reused == kept
    assert resumed.graded == len(STUDENTS) - kept

    run_grade(submissions, clean_ws, "01_term", jobs=2, progress=False, out=io.StringIO())
    assert (killed_ws / "class-grades.csv").read_text() == (clean_ws / "class-grades.csv").read_text()

    again = run_grade(submissions, killed_ws, "01_term", jobs=2, progress=False, out=io.StringIO())
    assert again.graded == 0 and again.reused == len(STUDENTS)


def _left_running(workspace: Path, wait: float = 10.0) -> list[int]:
    """Processes of a grading run on `workspace` still alive after `wait` seconds (its jobs, kernels, sandboxes)."""
    deadline = time.monotonic() + wait
    while True:
        alive = []
        for proc in Path("/proc").iterdir():
            try:
                if proc.name.isdigit() and str(workspace) in (proc / "cmdline").read_bytes().decode(errors="replace"):
                    alive.append(int(proc.name))
            except OSError:
                continue
        if not alive or time.monotonic() > deadline:
            return alive
        time.sleep(0.2)


def test_kernel_that_fails_to_start_is_started_again(tmp_path: Path, monkeypatch) -> None:
    """When the kernel dies before its first reply (no student code ran: a busy machine), is the notebook run again
    in a fresh kernel rather than scored 0?"""
    from nbgrader.preprocessors import Execute

    original = Execute.preprocess
    failed = []

    def first_start_fails(self, nb, resources=None, *args, **kwargs):
        if not failed:  # the workers are forked from this process, with this patch and its state
            failed.append(1)
            raise RuntimeError("Kernel died before replying to kernel_info")
        return original(self, nb, resources, *args, **kwargs)

    monkeypatch.setattr(Execute, "preprocess", first_start_fails)
    workspace = tmp_path / "ws"
    prepare_workspace(workspace)
    alice = {"alice": demo_class.STUDENTS["alice"]}
    submissions = demo_class.build_class(tmp_path / "class", workspace / "release", alice, ["01_term"])
    summary = run_grade(submissions, workspace, "01_term", jobs=1, progress=False, out=io.StringIO())
    (result,) = summary.results
    assert not result.review, result.review
    assert result.score == sum(e.points or 0 for e in result.exercises) > 0


def test_unreadable_grade_record_is_reported_not_dropped(tmp_path: Path) -> None:
    """Is a damaged journal entry of an earlier run kept in the class results as a row that needs review (a
    renamed field must never silently remove a grade from the CSV)?"""
    from grader.grading.journal import class_results

    record = state_dir(tmp_path) / "results" / "01_term" / "amy" / "01_term.json"
    record.parent.mkdir(parents=True)
    record.write_text('{"student": "amy", "renamed_field": 1}', encoding="utf-8")
    results = class_results(tmp_path, [])
    assert [(r.student, r.assignment, r.notebook) for r in results] == [("amy", "01_term", "01_term")]
    assert "cannot be read" in results[0].review[0]
