"""Fast checks of how a failed test cell's cause is read from its outputs (grader/grading/verdicts.py)."""

from __future__ import annotations

import nbformat
from conftest import ROOT

from grader.course.sources import catalogue_of, read_source
from grader.grading.verdicts import failure_cause

FLOAT32 = ("W1 is float32, torch's default dtype: pass dtype=torch.float64, or float32 rounding (about 1e-7) will "
           "hide the 1e-10 agreement we check.")


def test_a_warning_before_the_error_does_not_hide_the_named_cause() -> None:
    """Issue 26 item 1: 04f's to_torch_params with float32 tensors: torch warns on stderr, then the test's assert
    names the bug. Is the cause the named bug, not "the test wrote to stderr"?"""
    source = read_source("04_usage", ROOT / "solutions" / "04_usage" / "04f_frameworks.ipynb")
    cell = nbformat.v4.new_code_cell("_check_to_torch_params(params)")
    cell.outputs = [
        nbformat.v4.new_output("stream", name="stderr", text="UserWarning: The given NumPy array is not writable\n"),
        nbformat.v4.new_output("error", ename="AssertionError", evalue=FLOAT32, traceback=[]),
    ]
    cause = failure_cause(cell, catalogue_of(source), {}).text
    assert cause == f"AssertionError: {FLOAT32}", cause


def test_stderr_alone_is_still_named() -> None:
    source = read_source("01_term", ROOT / "solutions" / "01_term" / "01_term.ipynb")
    cell = nbformat.v4.new_code_cell("check()")
    cell.outputs = [nbformat.v4.new_output("stream", name="stderr", text="warning\n")]
    assert failure_cause(cell, catalogue_of(source), {}).text == "the test wrote to stderr"


def test_a_probed_call_is_shown_by_its_check_not_by_its_seed() -> None:
    """Issue 26 item 2: a class checked through a probe was shown as "Tensor(197818196)", which reads like a repr of
    the student's object; is it shown by the check's name, and a plain call still by its inputs' shapes?"""
    import numpy as np

    from grader.recheck.compare import signature
    from grader.recheck.specs import course_specs

    SPECS = course_specs()

    shown = signature("Tensor", (197818196,), SPECS["Tensor:eng_tensor_ops_test"])
    assert str(shown) == 'Tensor\'s check "tensor ops"', shown
    assert signature("relu_forward", (np.zeros((4, 3)),), SPECS["relu_forward"]) == "relu_forward(array(4, 3))"


def test_decisions_read_the_reason_records_not_their_words(monkeypatch) -> None:
    """Issue 24 item 3: reasons are records, rendered at the edge. With every re-check sentence reworded, is a
    kernel exception still joined to the re-check's call that raised the same type (a decision that once parsed
    the sentences back with a regex), and the words the new ones?"""
    from grader.grading import verdicts
    from grader.grading.records import Recheck
    from grader.recheck import reasons
    from grader.recheck.reasons import Failure, Why
    from grader.recheck.trusted_check import TrustedResult

    monkeypatch.setattr(reasons, "_RENDER", {why: (lambda lang, call, d: f"REWORDED {call} / {d}") for why in Why})
    source = read_source("01_term", ROOT / "solutions" / "01_term" / "01_term.ipynb")
    exercise = source.exercises[0]
    name = exercise.functions[0]
    student = nbformat.v4.new_code_cell(f"def {name}(x):\n    return {{}}['k']")
    student.execution_count = 1
    test = nbformat.v4.new_code_cell(f"{name}([1.0])")
    test.execution_count = 2
    test.metadata["nbgrader"] = {"grade": True, "solution": False, "locked": True, "points": exercise.points,
                                 "grade_id": exercise.grade_id, "schema_version": 3}
    test.outputs = [nbformat.v4.new_output("error", ename="KeyError", evalue="'k'",
                                           traceback=["Cell In[1], line 2"])]
    failure = Failure(Why.RAISED, f"{name}([1 values])", "KeyError")
    trusted = TrustedResult(checked=[name], failures={name: failure})
    places = verdicts.cell_places([student, test])
    from grader.grading.records import JobResult

    graded = JobResult("amy", "01_term", "01_term", "fp")
    result = verdicts.verdict(exercise, [name], test, trusted, catalogue_of(source), places, graded)
    assert result.trusted is Recheck.FAILED and result.points == 0.0
    assert result.cause.startswith(f"REWORDED {name}([1 values]) / KeyError (line 2 of your cell"), result.cause
    assert "return {}['k']" in result.cause


def test_a_cell_is_named_by_its_first_line_after_the_message_import() -> None:
    """Every test cell starts with `from bp_helpers.i18n import _`: a note naming the cell quotes its first line a
    student recognises instead; a cell of imports alone keeps its first line."""
    import nbformat

    from grader.grading.verdicts import cell_label

    cells = [nbformat.v4.new_markdown_cell("## Exercise 1"),
             nbformat.v4.new_code_cell("from bp_helpers.i18n import _\n\nresult = propagate_back([2.0])\n"),
             nbformat.v4.new_code_cell("from bp_helpers.i18n import _\n")]
    assert cell_label(cells, 1) == 'the cell under "Exercise 1" that starts "result = propagate_back([2.0])"'
    assert cell_label(cells, 2) == 'the cell under "Exercise 1" that starts "from bp_helpers.i18n import _"'
