"""Issue 29, item 1: can any nbgrader command an instructor runs in the workspace publish a hidden test?

One class of 01_term graded by `run_grade`: `hand` got some functions wrong (hidden tests fail) and a hand score
and comment in the gradebook afterwards, as formgrader would store them; `raw`'s stored notebook is replaced by what
plain `nbgrader autograde` stores (the source's hidden tests in its test cells, a traceback quoting a hidden line).
Then `nbgrader generate_feedback --force` and `nbgrader release_feedback`, as the deploy guide says. No file they
wrote holds a hidden-test line; the hand score and comment are on `hand`'s page. The same search finds the hidden
lines on a page rendered without the course's settings (the control: the search can fail).
"""

from __future__ import annotations

import csv
import html
import io
import re
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest
from conftest import ROOT

from grader.course.nbgrader_config import COURSE_ID
from grader.grading import demo_class
from grader.grading.grade import run_grade
from grader.grading.hidden_tests import strip_hidden_tests
from grader.grading.records import Settings
from grader.grading.workspace import prepare_workspace

ASSIGNMENT = NOTEBOOK = "01_term"
SOURCE = ROOT / "solutions" / ASSIGNMENT / f"{NOTEBOOK}.ipynb"
WRITTEN_ANSWER = "term_neuron_derivation"
OVERRIDDEN = "term_chain_forward_test"  # a code test cell the wrong notebook fails
COMMENT = "Your chain rule is right; say why the sigmoid's derivative appears."


def hidden_lines(nb: nbformat.NotebookNode) -> list[str]:
    """The lines inside ### BEGIN/END HIDDEN TESTS of `nb`'s cells, whitespace removed (pages split code into
    highlighted tokens), the trivial ones and those the visible cells also say left out."""
    lines, visible, inside = [], [], False
    for cell in nb.cells:
        for line in cell.source.splitlines():
            if "BEGIN HIDDEN TESTS" in line:
                inside = True
            elif "END HIDDEN TESTS" in line:
                inside = False
            elif inside and len(compact := "".join(line.split())) >= 16 and not compact.startswith("#"):
                lines.append(compact)
            elif not inside:
                visible.append("".join(line.split()))
    shown = "\n".join(visible)
    return [line for line in lines if line not in shown]


def page_text(text: str) -> str:
    """What a page says, tags removed, entities decoded, whitespace removed."""
    return "".join(html.unescape(re.sub(r"<[^>]+>", "", text)).split())


def leaks(text: str, hidden: list[str]) -> list[str]:
    said = page_text(text)
    return [line for line in hidden if line in said]


def test_strip_hidden_tests_removes_every_region_and_its_traceback() -> None:
    """Fast: does the source notebook, with a traceback quoting a hidden line, keep no hidden line after
    `strip_hidden_tests`, and its visible tests?"""
    nb = nbformat.read(SOURCE, as_version=4)
    hidden = hidden_lines(nb)
    assert hidden, "01_term has hidden tests"
    test_cell = next(c for c in nb.cells if "BEGIN HIDDEN TESTS" in c.source)
    test_cell.outputs = [nbformat.v4.new_output("error", ename="AssertionError", evalue="",
                                                traceback=[hidden[0]])]
    assert leaks(nbformat.writes(nb), hidden)  # the control: the search sees them
    assert strip_hidden_tests(nb) >= 1
    assert leaks(nbformat.writes(nb), hidden) == []
    assert "assert" in test_cell.source  # the visible tests stay


@pytest.mark.slow
def test_no_nbgrader_command_publishes_a_hidden_test(tmp_path: Path) -> None:
    workspace = tmp_path / "workspace"
    prepare_workspace(workspace)
    source = nbformat.read(SOURCE, as_version=4)
    release = demo_class.release_of(SOURCE, workspace / "release")
    submitted = tmp_path / "submitted"
    demo_class.write_notebook(demo_class.wrong(release, source), submitted / "hand" / ASSIGNMENT / SOURCE.name)
    demo_class.write_notebook(SOURCE.read_text(encoding="utf-8"), submitted / "raw" / ASSIGNMENT / SOURCE.name)
    summary = run_grade(submitted, workspace, ASSIGNMENT, jobs=2, progress=False,
                        settings=Settings(cell_timeout=30), out=io.StringIO())

    raw = nbformat.read(SOURCE, as_version=4)  # as plain `nbgrader autograde` stores it
    hidden = hidden_lines(raw)
    next(c for c in raw.cells if "BEGIN HIDDEN TESTS" in c.source).outputs = [
        nbformat.v4.new_output("error", ename="AssertionError", evalue="", traceback=[f"---> 9 {hidden[0]}"])
    ]
    nbformat.write(raw, workspace / "autograded" / "raw" / ASSIGNMENT / SOURCE.name)

    from nbgrader.api import Gradebook

    with Gradebook(f"sqlite:///{workspace / 'gradebook.db'}") as gb:
        gb.find_grade(WRITTEN_ANSWER, NOTEBOOK, ASSIGNMENT, "hand").manual_score = 2
        gb.find_comment(WRITTEN_ANSWER, NOTEBOOK, ASSIGNMENT, "hand").manual_comment = COMMENT
        gb.find_grade(OVERRIDDEN, NOTEBOOK, ASSIGNMENT, "hand").manual_score = 1.5  # formgrader's override
        gb.db.commit()

    # issue 29 item 3: the CSV reads every hand score from the gradebook, the override of a code cell included
    from grader.grading.report import write_csv

    with write_csv(workspace, summary.results).open(encoding="utf-8", newline="") as f:
        row = next(r for r in csv.DictReader(f) if r["student"] == "hand")
    assert (row[WRITTEN_ANSWER], row[OVERRIDDEN], row["status"]) == ("2", "1.5", "ok"), row

    exchange = tmp_path / "exchange"
    exchange.mkdir(mode=0o777)
    commands = [
        ["generate_feedback", ASSIGNMENT, "--force"],
        ["release_feedback", ASSIGNMENT, f"--Exchange.root={exchange}", f"--CourseDirectory.course_id={COURSE_ID}"],
    ]
    for command in commands:
        if command[0] == "release_feedback":  # the stamps collect keeps (deploy/jupyterhub/stamp_feedback.py)
            for student in ("hand", "raw"):
                folder = workspace / "feedback" / student / ASSIGNMENT
                (folder / "timestamp.txt").write_text("2026-12-01 10:00:00.000000 UTC")
                (folder / "submission_secret.txt").write_text(f"secret-{student}")
        done = subprocess.run([sys.executable, "-m", "nbgrader", *command], cwd=workspace, capture_output=True,
                              text=True)
        assert done.returncode == 0, (command, done.stdout[-1500:], done.stderr[-1500:])

    pages = [p for root in (workspace / "feedback", exchange) for p in root.rglob("*") if p.is_file()]
    assert any(exchange.rglob("*.html")), "release_feedback released nothing"
    found = {str(p): leaks(p.read_text(encoding="utf-8", errors="replace"), hidden) for p in pages}
    assert not any(found.values()), {p: lines[:2] for p, lines in found.items() if lines}
    hand_page = (workspace / "feedback" / "hand" / ASSIGNMENT / f"{NOTEBOOK}.html").read_text(encoding="utf-8")
    assert page_text(COMMENT) in page_text(hand_page)

    # the control: rendered without the workspace's settings, the raw notebook's page shows the hidden lines
    from nbconvert import HTMLExporter

    unguarded, _ = HTMLExporter().from_notebook_node(nbformat.read(SOURCE, as_version=4))
    assert leaks(unguarded, hidden)
