"""Do the visible tests a student sees (the release's test cells) catch what the exercise text states?"""

from __future__ import annotations

import contextlib
import io
import re

import nbformat
import pytest
from conftest import ROOT

NOTEBOOK = "02_definition/02a_feedforward.ipynb"


def _run_visible_test(test_grade_id: str, implementation: str, notebook: str = NOTEBOOK) -> str:
    """Run the solution's cells before `test_grade_id`, then `implementation`, then the release's (visible) test."""
    def graded_cells(folder: str) -> list[tuple[str, str]]:
        nb = nbformat.read(ROOT / folder / notebook, as_version=4)
        return [(c.metadata["nbgrader"]["grade_id"], c.source) for c in nb.cells
                if c.cell_type == "code" and "grade_id" in c.metadata.get("nbgrader", {})]

    visible = dict(graded_cells("course"))[test_grade_id]
    assert "HIDDEN" not in visible
    namespace: dict = {"__name__": "__main__"}
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        for grade_id, source in graded_cells("solutions"):
            if grade_id == test_grade_id:
                break
            if not grade_id.endswith("_test"):
                exec(compile(source, f"<{grade_id}>", "exec"), namespace)
        exec(compile(implementation, "<student>", "exec"), namespace)
        exec(compile(visible, f"<{test_grade_id} (visible)>", "exec"), namespace)
    return out.getvalue()


MLP = """
def mlp_forward(x, params, activation="relu"):
    forwards = {{"relu": relu_forward, "sigmoid": sigmoid_forward, "tanh": tanh_forward}}
    num_layers = len(params) // 2
    h, caches = x, []
    for layer in range(1, num_layers + 1):
        z, dense_cache = dense_forward(h, params[f"W{{layer}}"], params[f"b{{layer}}"])
        if layer < num_layers:
            h, activation_cache = forwards[activation](z)
            caches.append((dense_cache, {second}, activation_cache))
        else:
            h = z
            caches.append((dense_cache, None, None))
    return h, caches
"""


def test_the_exercise_states_the_cache_layout() -> None:
    """Does the release's mlp_forward exercise say the second element of each cache is the activation's name?"""
    nb = nbformat.read(ROOT / "course" / NOTEBOOK, as_version=4)
    text = next(c.source for c in nb.cells if c.cell_type == "markdown" and "mlp_forward(x, params" in c.source)
    assert "(dense_cache, activation, activation_cache)" in text and "(dense_cache, None, None)" in text
    assert re.search(r"second element of each hidden layer's\s+cache is the activation's name", text)


@pytest.mark.parametrize(("second", "says"), [
    ("forwards[activation]", "store the activation's name"),  # the function instead of its name
    ("activation.upper()", "the activation's name ('relu' here)"),
    ("activation_cache", "the activation's name"),  # a two-slot mix-up
])
def test_the_visible_mlp_test_checks_the_activation_name_in_the_cache(second: str, says: str) -> None:
    """Does the visible ff_mlp test fail a cache whose second element is not the activation's name, and say so?"""
    with pytest.raises(AssertionError, match=re.escape(says)):
        _run_visible_test("ff_mlp_test", MLP.format(second=second))


def test_the_visible_mlp_test_passes_the_stated_layout() -> None:
    """Does the visible ff_mlp test pass an mlp_forward that follows the stated layout?"""
    assert "visible tests passed" in _run_visible_test("ff_mlp_test", MLP.format(second="activation"))


def test_the_visible_mlp_test_sends_a_shape_error_of_dense_forward_to_dense_forward() -> None:
    """Does the visible ff_mlp test, when a transposed W in dense_forward makes mlp_forward raise numpy's shape error,
    say that the error comes from dense_forward (not show a bare ValueError: matmul ...)?"""
    transposed = "def dense_forward(x, W, b):\n    return x @ W.T + b, (x, W, b)\n"
    with pytest.raises(AssertionError, match="mlp_forward failed inside dense_forward with a shape error"):
        _run_visible_test("ff_mlp_test", transposed)


def test_the_visible_mlp_test_leaves_other_value_errors_alone() -> None:
    """Is a ValueError raised by mlp_forward's own code (not inside dense_forward) left as it is, not blamed on
    dense_forward?"""
    own_error = "def mlp_forward(x, params, activation='relu'):\n    raise ValueError('mine')\n"
    with pytest.raises(ValueError, match="mine"):
        _run_visible_test("ff_mlp_test", own_error)


TERM = "01_term/01_term.ipynb"


@pytest.mark.parametrize(("loop", "says"), [
    ("for d in reversed(ds[1:])", "your list starts with 1.0 but a local derivative is never multiplied in"),
    ("for d in reversed(ds[:-1])", "your list starts with 1.0 but a local derivative is never multiplied in"),
])
def test_the_visible_propagate_back_test_tells_a_skipped_factor_from_a_missing_seed(loop: str, says: str) -> None:
    """Does the visible propagate_back test, for a list one short that starts with the 1.0 (an off-by-one loop),
    point at the loop's range rather than tell the student to add the 1.0 they already have?"""
    source = f"def propagate_back(ds):\n    out = [1.0]\n    {loop}:\n        out.append(out[-1] * d)\n    return out\n"
    with pytest.raises(AssertionError, match=re.escape(says)) as raised:
        _run_visible_test("term_propagate_back_test", source, TERM)
    assert "include d x_K / d x_K = 1" not in str(raised.value)


def test_the_visible_propagate_back_test_asks_for_the_missing_seed() -> None:
    """Does the visible propagate_back test still ask for d x_K / d x_K = 1 when the list lacks it?"""
    source = (
        "def propagate_back(ds):\n    out, g = [], 1.0\n    for d in reversed(ds):\n        g *= d\n"
        "        out.append(g)\n    return out\n"
    )
    with pytest.raises(AssertionError, match=re.escape("include d x_K / d x_K = 1 first")):
        _run_visible_test("term_propagate_back_test", source, TERM)
