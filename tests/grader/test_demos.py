"""Which given cells may a grading run leave out (grader/course/demos.py)? Each rule is shown to keep a cell that
a later graded cell could depend on, beside the demo it would be without that dependency."""

from __future__ import annotations

import re

import nbformat
import pytest
from conftest import SOLUTION_NOTEBOOKS, notebook_id

from grader.course.cells import is_test_cell
from grader.course.demos import demo_cells
from grader.grading.changes import SKIP_TAG, leave_out_demos

SOLUTION = 'def f(x):\n    return 2 * x\n'


def _notebook(given: str, test: str, before: str = "") -> nbformat.NotebookNode:
    """[setup (locked), solution defining f, given cell (plain), test]: the given cell is cell 2."""
    cells = [
        nbformat.v4.new_code_cell("import random\nimport numpy as np\n" + before),
        nbformat.v4.new_code_cell(SOLUTION),
        nbformat.v4.new_code_cell(given),
        nbformat.v4.new_code_cell(test),
    ]
    cells[0].metadata["nbgrader"] = {"locked": True, "grade_id": "setup", "grade": False, "solution": False}
    cells[1].metadata["nbgrader"] = {"solution": True, "grade_id": "f", "grade": False, "locked": False}
    cells[3].metadata["nbgrader"] = {"grade": True, "grade_id": "f_test", "points": 1, "solution": False,
                                     "locked": True}
    return nbformat.v4.new_notebook(cells=cells)


@pytest.mark.parametrize(
    ("given", "test", "before", "demo"),
    [
        ("print(f(3))\n", "assert f(2) == 4\n", "", True),  # calls the student's function: a demo
        ("x = f(3)\n", "assert x == 6\n", "", False),  # binds a name the test reads
        ("x = f(3)\n", "x = f(2)\nassert x == 4\n", "", True),  # the test binds x itself first
        ("x = f(3)\n", "y = [x for x in range(3)]\n", "", True),  # x of a comprehension is its own
        ("x = f(3)\n", "x = x + 1\n", "", False),  # read before the test's own assignment
        # the global generators' state: no test depends on it (test_no_test_cell_depends_on_the_global_generators)
        ("random.seed(0)\nprint(f(1))\n", "assert f(2) == 4\n", "", True),
        ("import sys\nsys.setrecursionlimit(50)\n", "assert f(2) == 4\n", "", False),  # shared interpreter state
        ("import warnings\nwarnings.filterwarnings('ignore')\n", "assert f(2) == 4\n", "", False),  # a test's stderr
        ("import matplotlib\nmatplotlib.use('Agg')\n", "assert f(2) == 4\n", "", False),
        ("f.cache = {}\n", "assert f(2) == 4\n", "", False),  # an attribute of something it did not make
        ("data[0] = 5\n", "assert data[0] == 1\n", "data = [1]\n", False),  # an item of the notebook's data
        ("data.append(5)\n", "assert data == [1]\n", "data = [1]\n", False),  # reads data a test reads
        ("print(len(data))\n", "assert f(2) == 4\n", "data = [1]\n", True),  # data no later cell reads
        ("mine = {}\nmine['a'] = f(1)\n", "assert f(2) == 4\n", "", True),  # its own dict
        ("global g\ng = 1\n", "assert f(2) == 4\n", "", False),
        ("del f\n", "assert True\n", "", False),
        ("def helper():\n    return f(1)\n", "assert helper() == 2\n", "", False),  # defines what a test calls
        ("%matplotlib inline\nprint(f(2))\n", "assert f(2) == 4\n", "", True),  # a magic is not Python
    ],
)
def test_a_given_cell_is_a_demo_only_when_nothing_later_depends_on_it(given, test, before, demo) -> None:
    assert (2 in demo_cells(_notebook(given, test, before))) is demo


PATCH_AND_RESTORE = "saved = f.__code__\nf.__code__ = (lambda x: 0).__code__\nprint(f(3))\nf.__code__ = saved\n"


@pytest.mark.parametrize(
    ("given", "test", "demo"),
    [
        (PATCH_AND_RESTORE, "assert f(2) == 4\n", True),  # the author's word: it puts back what it changed
        (PATCH_AND_RESTORE, "assert saved is not None\n", False),  # a test reads a name it binds: still kept
        ("import sys\nsys.setrecursionlimit(50)\nx = 1\n", "assert x == 1\n", False),
    ],
)
def test_an_author_tagged_cell_may_change_and_restore_state_but_nothing_else(given, test, demo) -> None:
    """A cell tagged `demo-restores-state` in the solution is a demo although it changes shared state (its author
    vouches that it puts it back); without the tag the same cell is kept; the tag waives no other rule."""
    from grader.course.demos import RESTORES_STATE

    nb = _notebook(given, test)
    assert 2 not in demo_cells(nb)
    nb.cells[2].metadata["tags"] = [RESTORES_STATE]
    assert (2 in demo_cells(nb)) is demo


def test_a_demo_read_only_by_a_later_demo_is_left_out_with_it() -> None:
    nb = _notebook("xs = [f(i) for i in range(3)]\n", "assert f(2) == 4\n")
    nb.cells.insert(3, nbformat.v4.new_code_cell("print(xs)\n"))
    assert demo_cells(nb) == [2, 3]
    nb.cells[4].source = "assert len(xs) == 3\n"  # now a test reads it: both kept
    assert demo_cells(nb) == []


def test_cells_with_nbgrader_metadata_are_never_demos() -> None:
    nb = _notebook("print(f(3))\n", "assert f(2) == 4\n")
    nb.cells[2].metadata["nbgrader"] = {"locked": True, "grade_id": "given", "grade": False, "solution": False}
    assert demo_cells(nb) == []


def test_the_students_skip_tags_are_removed_and_the_releases_demos_tagged() -> None:
    """A student's skip tag on a test cell would leave the test out of nbclient's run; it is removed, and only a
    cell whose code is a demo of the release, to the character, is tagged (an edited demo runs)."""
    nb = _notebook("print(f(3))\n", "assert f(2) == 4\n")
    demos = frozenset(nb.cells[i].source for i in demo_cells(nb))
    nb.cells[3].metadata["tags"] = [SKIP_TAG, "mine"]
    nb.cells.append(nbformat.v4.new_code_cell("print(f(3))  # edited\n"))
    assert leave_out_demos(nb, demos) == 1
    assert nb.cells[3].metadata["tags"] == ["mine"]
    assert nb.cells[2].metadata["tags"] == [SKIP_TAG]
    assert SKIP_TAG not in nb.cells[4].metadata.get("tags", [])


# a call of the global generators (module random, numpy's legacy np.random.*) or of a constructor that draws from them
GLOBAL_RANDOM = re.compile(
    r"(?<![\w.])random\.(?!default_rng|seed)\w+\(|np\.random\.(?!default_rng|seed)\w+\(|\b(?:MLP|Neuron|Layer)\("
)


@pytest.mark.parametrize("path", SOLUTION_NOTEBOOKS, ids=notebook_id)
def test_no_test_cell_depends_on_the_global_generators(path) -> None:
    """What lets a demo seed the global random generators (and be left out): every test cell that draws from them
    seeds them itself first, so no verdict depends on what an earlier cell drew."""
    for cell in nbformat.read(path, as_version=4).cells:
        found = GLOBAL_RANDOM.search(cell.source) if is_test_cell(cell) else None
        if found:
            seeded = re.search(r"\bseed\(", cell.source[: found.start()])
            assert seeded, (cell.metadata["nbgrader"]["grade_id"], found.group())


FRAMEWORK = re.compile(r"^\s*(?:import|from)\s+(?:torch|keras|tensorflow|jax)\b|\boptional_torch\(\)", re.M)
GRADES_FRAMEWORKS = {"04f_frameworks"}  # the notebook whose exercises are written in PyTorch and Keras


@pytest.mark.parametrize("path", [p for p in SOLUTION_NOTEBOOKS if p.stem not in GRADES_FRAMEWORKS], ids=notebook_id)
def test_frameworks_are_imported_only_where_grading_leaves_them_out(path) -> None:
    """Importing torch costs a grading run a few CPU seconds: outside the notebook that grades PyTorch and Keras,
    only demo cells may import a framework (04e's setup imported torch for its comparisons alone)."""
    nb = nbformat.read(path, as_version=4)
    demos = set(demo_cells(nb))
    importing = [i for i, c in enumerate(nb.cells) if c.cell_type == "code" and FRAMEWORK.search(c.source)]
    assert set(importing) <= demos, [(i, nb.cells[i].source[:60]) for i in importing if i not in demos]
