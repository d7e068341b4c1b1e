"""No hidden test on a page a student can be sent (issue 29, item 1).

nbgrader's autograde puts the source's test cells, hidden tests and their seeds included, into the notebook it stores
in `autograded/`; `nbgrader generate_feedback` renders that notebook as the student's feedback page, and
`nbgrader release_feedback` ships the page. Two independent layers keep the hidden part out:
- the notebook this grader stores (`pipeline._graded`) has every hidden-test region removed from its test cells;
- the workspace's nbgrader_config.py runs `WithoutHiddenTests` in every HTMLExporter (generate_feedback, formgrader),
  so a notebook stored by plain `nbgrader autograde` (hidden lines in its sources and in its tracebacks) or by an
  older grader renders without them too.
"""

from __future__ import annotations

import nbformat
from nbconvert.preprocessors import Preprocessor
from nbformat import NotebookNode
from nbgrader.preprocessors import ClearHiddenTests

from grader.course.cells import is_test_cell

HIDDEN_NOTE = "# (the hidden tests of this cell are not shown)"
FAILED_NOTE = "a hidden test failed"
GRADERS_OUTPUT = "TestFailed"  # the error output the grader writes itself (verdicts.strip_student_outputs): its cause


def _without_hidden_region(cell: NotebookNode, index: int) -> bool:
    """Remove the hidden-test region(s) of a test cell with nbgrader's own preprocessor; True when one was there.
    Unbalanced delimiters (nbgrader refuses them) hide the whole source."""
    before = cell.source
    try:
        ClearHiddenTests(enforce_metadata=False).preprocess_cell(cell, {}, index)
    except RuntimeError:
        cell.source = ""
    if cell.source == before:
        return False
    cell.source = f"{cell.source.rstrip()}\n{HIDDEN_NOTE}".lstrip("\n")
    return True


def _neutral_outputs(cell: NotebookNode) -> None:
    """The outputs of a cell that had hidden tests: the grader's own cause is kept; anything else (a traceback
    quotes the hidden line that failed, a print may show a seed) becomes one neutral error, or nothing."""
    errors = [o for o in cell.get("outputs", []) if o.get("output_type") == "error"]
    if errors and all(o.get("ename") == GRADERS_OUTPUT for o in errors):
        cell.outputs = errors
    elif errors:
        cell.outputs = [nbformat.v4.new_output("error", ename="AssertionError", evalue=FAILED_NOTE, traceback=[])]
    else:
        cell.outputs = []


def strip_hidden_tests(nb: NotebookNode) -> int:
    """Remove every hidden-test region (### BEGIN/END HIDDEN TESTS) from the test cells of `nb`, in place, and make
    those cells' outputs neutral. Returns how many cells had one."""
    stripped = 0
    for index, cell in enumerate(nb.cells):
        if is_test_cell(cell) and _without_hidden_region(cell, index):
            _neutral_outputs(cell)
            stripped += 1
    return stripped


class WithoutHiddenTests(Preprocessor):
    """`strip_hidden_tests` as an nbconvert preprocessor, named in the workspace's nbgrader_config.py."""

    def preprocess(self, nb: NotebookNode, resources: dict) -> tuple[NotebookNode, dict]:
        strip_hidden_tests(nb)
        return nb, resources
