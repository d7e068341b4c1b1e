"""Issue 29 item 5: does a regrade after the course changed say why and what moved, and ask before it replaces
published grades?

Fast tests check the records (grader/grading/regrade.py); one slow test grades a class of two (01_term, a right and
a partly right notebook) three times against a scratch copy of solutions/: once, then after a test cell's points
were raised (declined: the published grades are kept), then again (accepted: the scores move, old -> new).
"""

from __future__ import annotations

import io
import json
import shutil
from pathlib import Path

import nbformat
import pytest
from conftest import ROOT

from grader.grading import command, demo_class, workspace
from grader.grading.grade import run_grade
from grader.grading.journal import journal_path
from grader.grading.records import Basis
from grader.grading.regrade import OTHER_CELLS, Regrade, change, changed_cells, moved

CHANGED_TEST = "term_chain_forward_test"


def test_a_changed_cell_is_named_and_only_a_course_change_alone_is_asked_about() -> None:
    before = Basis("s1", {"a_test": "1", "b_test": "2", OTHER_CELLS: "x"}, "c", "g")
    edited = Basis("s1", {"a_test": "1", "b_test": "3", OTHER_CELLS: "x"}, "c", "g")
    assert changed_cells(before.source, edited.source) == ["b_test"]
    why = change(before, edited, "01_term/01_term")
    assert why.course_alone and why.reasons == ("the source of 01_term/01_term changed (cells: b_test)",)
    resubmitted = change(before, Basis("s2", edited.source, "c", "g"), "01_term/01_term")
    assert resubmitted.course and not resubmitted.course_alone  # new work is graded, under today's course
    settings = change(before, Basis("s1", before.source, "c", "g2"), "01_term/01_term")
    assert not settings.course and settings.reasons == ("the grader's code or settings changed",)
    contract = change(before, Basis("s1", before.source, "c2", "g"), "01_term/01_term")
    assert contract.course_alone and "re-check contract" in contract.reasons[0]
    assert change(None, edited, "01_term/01_term").reasons == ("it was graded by an older version of the grader",)


def test_only_scores_that_moved_are_listed() -> None:
    why = change(None, Basis("s"), "n")
    regrades = [Regrade("amy", "01_term", "01_term", why, 9.0, 9.0), Regrade("bo", "01_term", "01_term", why, 4, 9)]
    scores = {("amy", "01_term", "01_term"): (10.0, 10.0), ("bo", "01_term", "01_term"): (4.0, 9.0)}
    assert moved(regrades, scores) == ["  amy 01_term/01_term: 9/9 -> 10/10"]


def test_without_a_terminal_the_cli_keeps_published_grades_and_says_how(monkeypatch, capsys) -> None:
    monkeypatch.setattr("sys.stdin", io.StringIO(""))
    assert command.ask_before_regrading(["1 notebook(s) graded before are graded again, because:"]) is False
    assert "--yes" in capsys.readouterr().out


def _raise_points(notebook: Path, grade_id: str) -> None:
    nb = nbformat.read(notebook, as_version=4)
    cell = next(c for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade_id") == grade_id)
    cell.metadata["nbgrader"]["points"] += 1
    nbformat.write(nb, notebook)


@pytest.mark.slow
def test_a_changed_solution_announces_itself_and_asks_before_moving_published_grades(tmp_path, monkeypatch) -> None:
    solutions = tmp_path / "solutions"
    shutil.copytree(ROOT / "solutions" / "01_term", solutions / "01_term")
    monkeypatch.setattr(workspace, "solutions_dir", lambda: solutions)
    ws = tmp_path / "ws"
    workspace.prepare_workspace(ws)
    submissions = tmp_path / "class"
    students = {k: demo_class.STUDENTS[k] for k in ("alice", "bob")}
    demo_class.build_class(submissions, ws / "release", students, ["01_term"])

    def grade(confirm) -> tuple[dict[str, tuple[float, float]], str]:
        out = io.StringIO()
        summary = run_grade(submissions, ws, "01_term", jobs=2, progress=False, out=out, confirm=confirm)
        return {r.student: (r.score, r.auto_max) for r in summary.results}, out.getvalue()

    first, _ = grade(confirm=lambda lines: pytest.fail(f"nothing changed, yet asked: {lines}"))
    assert first["alice"][0] == first["alice"][1] > first["bob"][0], first  # every autograded point, and fewer
    entry = journal_path(ws, "01_term", "alice", "01_term").read_text(encoding="utf-8")

    _raise_points(solutions / "01_term" / "01_term.ipynb", CHANGED_TEST)
    asked: list[list[str]] = []
    kept, said = grade(confirm=lambda lines: asked.append(lines) or False)
    assert kept == first, (kept, first)
    assert journal_path(ws, "01_term", "alice", "01_term").read_text(encoding="utf-8") == entry  # not regraded
    assert len(asked) == 1 and f"the source of 01_term/01_term changed (cells: {CHANGED_TEST})" in "\n".join(asked[0])
    assert "kept 2 published grade(s)" in said and CHANGED_TEST in said, said

    now, said = grade(confirm=lambda lines: True)
    assert now["alice"] == (first["alice"][0] + 1, first["alice"][1] + 1), (now, first)
    assert now["bob"][1] == first["bob"][1] + 1
    assert "regraded 2 notebook(s)" in said and f"alice 01_term/01_term: {first['alice'][0]:g}/" in said, said
    assert f"the source of 01_term/01_term changed (cells: {CHANGED_TEST})" in said
    assert json.loads(journal_path(ws, "01_term", "alice", "01_term").read_text(encoding="utf-8"))["basis"]
