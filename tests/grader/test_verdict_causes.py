"""Fast checks of how a failed test cell's cause is read from its outputs (grader/grading/verdicts.py)."""

from __future__ import annotations

import nbformat
from conftest import ROOT

from grader.grading.sources import catalogue_of, read_source
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
    cause = failure_cause(cell, catalogue_of(source), {})
    assert cause == f"AssertionError: {FLOAT32}", cause


def test_stderr_alone_is_still_named() -> None:
    source = read_source("01_term", ROOT / "solutions" / "01_term" / "01_term.ipynb")
    cell = nbformat.v4.new_code_cell("check()")
    cell.outputs = [nbformat.v4.new_output("stream", name="stderr", text="warning\n")]
    assert failure_cause(cell, catalogue_of(source), {}) == "the test wrote to stderr"


def test_a_probed_call_is_shown_by_its_check_not_by_its_seed() -> None:
    """Issue 26 item 2: a class checked through a probe was shown as "Tensor(197818196)", which reads like a repr of
    the student's object; is it shown by the check's name, and a plain call still by its inputs' shapes?"""
    import numpy as np

    from grader.recheck.compare import signature
    from grader.recheck.specs import course_specs

    SPECS = course_specs()

    shown = signature("Tensor", (197818196,), SPECS["Tensor:eng_tensor_ops_test"])
    assert shown == 'Tensor\'s check "tensor ops"', shown
    assert signature("relu_forward", (np.zeros((4, 3)),), SPECS["relu_forward"]) == "relu_forward(array(4, 3))"
