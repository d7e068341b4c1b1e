"""The re-check contract of solutions/03_purpose/03_purpose.ipynb:
which inputs each graded name is called on and how its result is compared.

Loaded by grader/recheck/specs.py (`contract_for`); keys are the graded names of this notebook's test cells
("name", or "name:grade_id" for a class tested by several cells). See grader/recheck/specs.py for `Spec`.
"""

from __future__ import annotations

from grader.recheck.specs import Spec
from grader.sandboxed.values import TestFunction


def value():
    return lambda rng: [()]


SPECS: dict[str, Spec] = {
    "forward_order": Spec(value(), kind="value", atol=0.2),  # the hidden test's bound on the measured order,
    "central_order": Spec(value(), kind="value", atol=0.2),
    "central_cubic_constant": Spec(value(), kind="value", atol=1e-3),
    # finite differences: the same formula and step on both sides agree to round-off, so a tight tolerance also
    # catches a changed default step or an ignored h
    "numerical_gradient": Spec(
        lambda rng: [
            (TestFunction("smooth_scalar"), rng.normal(size=(3, 2))),
            (TestFunction("sum_of_squares"), rng.normal(size=(4,))),
            (TestFunction("smooth_scalar"), rng.normal(size=(2, 3)), float(rng.uniform(0.02, 0.1))),
        ],
        tol=1e-7,
    ),
    "gradient_descent": Spec(
        lambda rng: [(TestFunction("quadratic_bowl_grad"), rng.normal(size=(3,)), float(rng.uniform(0.02, 0.3)), 7)],
        tol=1e-6,
    ),
    "largest_stable_learning_rate": Spec(lambda rng: [(float(rng.uniform(0.2, 5.0)),), (1.0,)]),
}
