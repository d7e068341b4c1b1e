"""Do the forward functions that later notebooks give in locked cells behave exactly like step 2's solutions?

Step 4 and step 5 give students the step-2 functions (as CS231n gives earlier layers); those copies
must not drift from the one graded in 02_definition.
"""

from __future__ import annotations

import numpy as np
import pytest

from grader.course.reference import load_solution_functions

STEP2 = ("02_definition/02a_feedforward.ipynb", "02_definition/02b_loss.ipynb")
LATER = (
    "04_usage/04a_backprop.ipynb",
    "04_usage/04d_jacobians.ipynb",
    "04_usage/04e_engine.ipynb",
    "04_usage/04f_frameworks.ipynb",
    "05_comparison/05_comparison.ipynb",
)


def _inputs(name: str, rng: np.random.Generator) -> list[tuple]:
    """Arguments that exercise one step-2 function (float64, non-square, N >= 2)."""
    x, W, b = rng.normal(size=(4, 3)), rng.normal(size=(3, 5)), rng.normal(size=5)
    params = {"W1": rng.normal(size=(3, 6)), "b1": rng.normal(size=6), "W2": rng.normal(size=(6, 2)),
              "b2": rng.normal(size=2)}
    return {
        "sigmoid_forward": [(rng.normal(size=(4, 3)) * 5,)],
        "relu_forward": [(rng.normal(size=(4, 3)),)],
        "tanh_forward": [(rng.normal(size=(4, 3)) * 3,)],
        "dense_forward": [(x, W, b)],
        "mlp_forward": [(x, params), (x, params, "tanh"), (x, params, "sigmoid")],
        "mse_forward": [(rng.normal(size=(4, 2)), rng.normal(size=(4, 2)))],
        "softmax": [(rng.normal(size=(4, 3)) * 10,)],
        "softmax_cross_entropy_forward": [(rng.normal(size=(4, 3)), np.array([0, 2, 1, 2]))],
    }[name]


def _first(result):
    """The output part of a `(out, cache)` pair, or the result itself."""
    return result[0] if isinstance(result, tuple) else result


@pytest.fixture(scope="module")
def step2() -> dict:
    functions: dict = {}
    for notebook in STEP2:
        functions.update(load_solution_functions(notebook))
    return functions


@pytest.mark.slow
@pytest.mark.parametrize("notebook", LATER)
def test_given_forward_functions_match_step_2(step2: dict, notebook: str) -> None:
    """Does every step-2 function this notebook defines give step 2's output on the same inputs?"""
    given = load_solution_functions(notebook)
    shared = sorted(set(given) & set(step2) & {
        "sigmoid_forward", "relu_forward", "tanh_forward", "dense_forward", "mlp_forward", "mse_forward",
        "softmax", "softmax_cross_entropy_forward"})
    if notebook.startswith("04_usage/04a"):
        assert {"dense_forward", "mlp_forward", "softmax_cross_entropy_forward"} <= set(shared)
    for name in shared:
        for args in _inputs(name, np.random.default_rng(0)):
            want = _first(step2[name](*args))
            try:
                got = _first(given[name](*args))
            except (KeyError, ValueError):
                # A given MLP may support fewer activations (05 uses relu and tanh); fewer is not drift.
                assert name == "mlp_forward" and len(args) == 3, f"{notebook}: {name} failed on valid input"
                continue
            np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-14, err_msg=f"{notebook}: {name}{len(args)}")
