"""Does one `bpcourse grade` give a Korean notebook (course-ko/) exactly the grade of its English twin? (Issue 25.)

One shared class of the demo students, each handing in 01_term twice: in English (`alice`) and in Korean
(`alice-ko`, the same recipe applied to the Korean release notebook). It is graded once, in one workspace.
"""

from __future__ import annotations

import csv
import html
import io
import re
from pathlib import Path

import nbformat
import pytest
from conftest import ROOT

from grader.course.i18n import notebook_lang
from grader.grading import demo_class
from grader.grading.grade import run_grade
from grader.grading.records import Settings
from grader.grading.workspace import prepare_workspace

pytestmark = pytest.mark.slow

STUDENTS = {k: demo_class.STUDENTS[k] for k in ("alice", "bob", "carol", "dave", "erin")}


def test_korean_and_english_notebooks_grade_the_same(tmp_path: Path) -> None:
    workspace = tmp_path / "workspace"
    prepare_workspace(workspace)
    submissions = tmp_path / "class"
    demo_class.build_class(submissions, workspace / "release", STUDENTS, ["01_term"])
    korean = {f"{name}-ko": recipe for name, recipe in STUDENTS.items()}
    demo_class.build_class(submissions, ROOT / "course-ko", korean, ["01_term"])
    handed_in = nbformat.read(submissions / "alice-ko" / "01_term" / "01_term.ipynb", as_version=4)
    assert notebook_lang(handed_in) == "ko" and "연쇄 법칙" in "".join(c.source for c in handed_in.cells)

    summary = run_grade(submissions, workspace, "01_term", jobs=2, progress=False,
                        settings=Settings(cell_timeout=60), out=io.StringIO())
    with open(summary.csv, encoding="utf-8") as f:
        # the status names the graded tests that need review; its values come from random re-check inputs
        rows = {row["student"]: (row["total"], row["max"], row["status"].split(":")[0],
                                 sorted(set(re.findall(r"term_\w+_test", row["status"]))))
                for row in csv.DictReader(f)}
    assert len(rows) == 2 * len(STUDENTS), rows
    for name in STUDENTS:
        assert rows[f"{name}-ko"] == rows[name], (name, rows[name], rows[f"{name}-ko"])
    # the class is not all one grade: the comparison means something
    assert len({rows[name][0] for name in STUDENTS}) >= 3, rows
    # the helpers' hints in the notebook's language: a Korean twin reads in Korean what its English twin reads
    causes = {(r.student, e.grade_id): e.cause for r in summary.results for e in r.exercises}
    hinted = [(name, gid) for (name, gid), cause in causes.items()
              if name in STUDENTS and re.search(r"is wrong: relative error|has shape|was modified in place", cause)]
    assert hinted, "no English student met a helper's hint: nothing compared"
    for name, gid in hinted:
        korean = causes[(f"{name}-ko", gid)]
        assert re.search("[가-힣]", korean) and korean != causes[(name, gid)], (causes[(name, gid)], korean)
    # a test cell's own message too (tests.po), through the grading kernel and the grader's filter: erin's
    # propagate_back fails its hidden test's empty-chain check
    assert causes[("erin", "term_propagate_back_test")].startswith("AssertionError: propagate_back([]) gave ")
    assert causes[("erin-ko", "term_propagate_back_test")].startswith("AssertionError: propagate_back([])의 결과가 ")
    # the feedback page in Korean: its frame and the exercises' Korean headings (from course-ko/)
    from grader.course.sources import graded_titles

    page = (workspace / "feedback" / "bob-ko" / "01_term" / "01_term.html").read_text(encoding="utf-8")
    english = (workspace / "feedback" / "bob" / "01_term" / "01_term.html").read_text(encoding="utf-8")
    headings = graded_titles(nbformat.read(ROOT / "course-ko" / "01_term" / "01_term.ipynb", as_version=4))
    assert "자동 채점 점수" in page and 'lang="ko"' in page and "Autograded score" in english
    assert any(html.escape(h) in page for h in headings.values() if re.search("[가-힣]", h)), page[-2000:]
