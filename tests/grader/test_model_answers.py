"""Do model answers and rubrics stay with the instructors: in solutions/, never in a student notebook?

Every "Questions to think about" gets model answers (a BEGIN/END MODEL ANSWERS region, dropped by
grader.course.model_answers.ClearModelAnswers) and every written derivation a rubric (inside its nbgrader solution
region, which nbgrader replaces with "YOUR ANSWER HERE"). The release in course/ is checked line by line; a grading
workspace's own generate_assignment (plain nbgrader, reading the workspace's nbgrader_config.py) is checked too.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import nbformat
import pytest
from conftest import ROOT, SOLUTION_NOTEBOOKS, notebook_id

from grader.course.cells import is_manual_cell
from grader.course.model_answers import BEGIN, END, model_answer_lines, strip_model_answers


def _solution_region(source: str) -> str:
    """The text nbgrader hides in a written-answer cell: its BEGIN/END SOLUTION region, or all of it."""
    if "### BEGIN SOLUTION" not in source:
        return source
    return source.split("### BEGIN SOLUTION", 1)[1].split("### END SOLUTION", 1)[0]


def _hidden_lines(path: Path) -> list[str]:
    """Distinctive lines of a solution notebook that no student may see: model answers and written answers."""
    lines = []
    for cell in nbformat.read(path, as_version=4).cells:
        if cell.cell_type != "markdown":
            continue
        found = model_answer_lines(cell.source)
        if is_manual_cell(cell):
            found += _solution_region(cell.source).splitlines()
        lines += [line.strip() for line in found if len(line.strip()) >= 24]
    return lines


def test_strip_model_answers() -> None:
    """Is the region removed with its markers, the rest kept, and an open or nested region refused?"""
    source = f"Questions\n1. Why?\n### {BEGIN}\n1. Because.\n### {END}\nAfter"
    assert strip_model_answers(source) == ("Questions\n1. Why?\nAfter", True)
    assert strip_model_answers("no answers here") == ("no answers here", False)
    assert model_answer_lines(source) == ["1. Because."]
    with pytest.raises(ValueError, match="without"):
        strip_model_answers(f"### {BEGIN}\nopen")
    with pytest.raises(ValueError, match="nested"):
        strip_model_answers(f"### {BEGIN}\n### {BEGIN}\n### {END}")


@pytest.mark.parametrize("path", SOLUTION_NOTEBOOKS, ids=notebook_id)
def test_every_question_has_a_model_answer(path: Path) -> None:
    """Does each "Questions to think about" list have a numbered model answer for every question?"""
    cells = [c.source for c in nbformat.read(path, as_version=4).cells if "Questions to think about" in c.source]
    assert cells, f"{notebook_id(path)} has no 'Questions to think about'"
    for source in cells:
        questions_text = strip_model_answers(source)[0].split("Questions to think about", 1)[1]
        questions = re.findall(r"^(\d+)\. ", questions_text, flags=re.M)
        answers = re.findall(r"^(\d+)\. ", "\n".join(model_answer_lines(source)), flags=re.M)
        assert questions and answers == questions, (
            f"{notebook_id(path)}: questions {questions}, model answers {answers}: write one answer per question "
            f"between {BEGIN!r} and {END!r}")


@pytest.mark.parametrize("path", SOLUTION_NOTEBOOKS, ids=notebook_id)
def test_every_written_derivation_has_a_rubric(path: Path) -> None:
    """Does every manually graded cell hold, in its hidden region, a rubric that splits its points?"""
    for cell in nbformat.read(path, as_version=4).cells:
        if not is_manual_cell(cell):
            continue
        points = cell.metadata["nbgrader"]["points"]
        hidden = _solution_region(cell.source)
        grade_id = cell.metadata["nbgrader"]["grade_id"]
        assert "**Rubric" in hidden, f"{notebook_id(path)}: {grade_id} has no rubric in its solution region"
        rubric = hidden.split("**Rubric", 1)[1]
        assert f"({points:g} point" in rubric, f"{grade_id}: the rubric does not state its {points:g} points"
        shares = [float(s.replace("½", ".5")) for s in re.findall(r"^- ([0-9½]+):", rubric, flags=re.M)]
        assert sum(shares) == points, f"{grade_id}: the rubric's items give {sum(shares)} of {points} points"


@pytest.mark.parametrize("path", SOLUTION_NOTEBOOKS, ids=notebook_id)
def test_no_model_answer_or_rubric_reaches_the_release(path: Path) -> None:
    """Does the student notebook in course/ hold none of the model answers, rubrics or written answers?"""
    released = (ROOT / "course" / path.parent.name / path.name).read_text(encoding="utf-8")
    released_text = "\n".join(c.source for c in nbformat.reads(released, as_version=4).cells)
    for marker in (BEGIN, END, "**Rubric", "**Model answers**"):
        assert marker not in released_text, f"{notebook_id(path)}: the release contains {marker!r}"
    leaked = [line for line in _hidden_lines(path) if line in released_text]
    assert not leaked, f"{notebook_id(path)}: the release contains hidden lines {leaked[:3]}"


@pytest.mark.slow
def test_a_workspace_generates_without_model_answers(tmp_path: Path) -> None:
    """Does plain `nbgrader generate_assignment` in a grading workspace also drop the model answers?"""
    from grader.grading.workspace import _nbgrader, write_config

    workspace = tmp_path / "ws"
    shutil.copytree(ROOT / "solutions" / "01_term", workspace / "source" / "01_term")
    write_config(workspace)
    done = _nbgrader(workspace, "generate_assignment", "01_term", "--force")
    assert done.returncode == 0, done.stderr[-2000:]
    released = (workspace / "release" / "01_term" / "01_term.ipynb").read_text(encoding="utf-8")
    hidden = _hidden_lines(ROOT / "solutions" / "01_term" / "01_term.ipynb")
    assert hidden and not [line for line in hidden if line in released]
    assert BEGIN not in released and "**Rubric" not in released
