"""Issue 29 item 6: does a student's feedback page name each exercise by the heading the notebook shows above it,
not by its grade id (`term_propagate_back`), is an nbgrader region marker never taken for a heading, and are
integrity flags kept for the instructor's eyes?"""

from __future__ import annotations

import shutil
from pathlib import Path

from conftest import ROOT

from grader.course.sources import read_source
from grader.grading.records import ExerciseResult, JobResult, Kind
from grader.grading.report import write_feedback


def test_feedback_names_exercises_by_their_headings(tmp_path: Path) -> None:
    source = tmp_path / "source" / "01_term"
    source.mkdir(parents=True)
    shutil.copy(ROOT / "solutions" / "01_term" / "01_term.ipynb", source)
    result = JobResult("amy", "01_term", "01_term", "fp", exercises=[
        ExerciseResult("term_propagate_back_test", 2, 0.0, Kind.AUTO, cause="propagate_back raised KeyError"),
        ExerciseResult("term_neuron_derivation", 3, None, Kind.MANUAL),
    ])
    page = write_feedback(tmp_path, result).read_text(encoding="utf-8")
    assert "Exercise 1 · `propagate_back` (2 points)" in page, page
    assert "term_propagate_back" not in page
    titles = read_source("01_term", source / "01_term.ipynb").titles
    assert titles["term_neuron_derivation"] == "4. Your derivation: one neuron"  # not its own "### END SOLUTION"


def test_integrity_flags_stay_off_the_students_page(tmp_path: Path) -> None:
    source = tmp_path / "source" / "01_term"
    source.mkdir(parents=True)
    shutil.copy(ROOT / "solutions" / "01_term" / "01_term.ipynb", source)
    result = JobResult("amy", "01_term", "01_term", "fp", review=["test cell term_chain_forward_test edited"])
    result.flag_integrity("code tried to read /etc/passwd (refused)")
    page = write_feedback(tmp_path, result).read_text(encoding="utf-8")
    assert "/etc/passwd" not in page and "your instructor has the details" in page
    assert "term_chain_forward_test edited" in page  # a flag the student can act on is still shown
    assert result.review == ["test cell term_chain_forward_test edited", "code tried to read /etc/passwd (refused)"]
