"""The re-check contract of solutions/05_comparison/05_comparison.ipynb:
which inputs each graded name is called on and how its result is compared.

Loaded by grader/recheck/specs.py (`contract_for`); keys are the graded names of this notebook's test cells
("name", or "name:grade_id" for a class tested by several cells). See grader/recheck/specs.py for `Spec`.
"""

from __future__ import annotations

import numpy as np

from grader.recheck.specs import Spec
from grader.sandboxed.values import TestFunction


def loglog_case(rng):
    sizes = np.array([10.0, 30.0, 100.0, 300.0, 1000.0])
    return (sizes, 0.01 * sizes ** float(rng.uniform(0.8, 2.2)) * rng.uniform(0.9, 1.1, size=5))


def cost_rows(rng):
    rows = []
    for i, p in enumerate((10, 40, 160, 640)):
        forward = 1e-4 * p**0.9 * float(rng.uniform(0.9, 1.1))
        row = {"P": p, "forward": forward, "backprop": forward * float(rng.uniform(2.0, 3.0))}
        if i < 3:
            row["finite_differences"] = forward * p * float(rng.uniform(1.8, 2.2))
            row["forward_mode"] = forward * p * float(rng.uniform(1.0, 1.5))
        rows.append(row)
    return rows


def dual_arithmetic_cases(rng):
    u, v = rng.uniform(0.5, 2.0, size=5), rng.uniform(0.5, 2.0, size=5)
    return [(u, rng.normal(size=5), v, rng.normal(size=5), rng.normal(size=(2, 3)), rng.normal(size=(2, 3)))]


def dual_function_cases(rng):
    return [(rng.uniform(0.3, 1.8, size=(2, 3)), rng.normal(size=(2, 3)))]


SPECS: dict[str, Spec] = {
    # complex steps: the same formula on both sides agrees to rounding, so a tight tolerance also catches a needlessly
    # large default step (h = 1e-5 is off by about 1e-11); the explicit h of the second case catches an ignored h
    "complex_step_gradient": Spec(
        lambda rng: [
            (TestFunction("analytic_scalar"), rng.uniform(-1.5, 1.5, size=(3, 2))),
            (TestFunction("dual_cubic_sum"), rng.uniform(0.4, 1.6, size=(4,)), float(rng.uniform(0.05, 0.2))),
        ],
        tol=1e-12,
    ),
    "Dual:cmp_dual_arith_test": Spec(dual_arithmetic_cases, probe="dual_arithmetic", tol=1e-10),
    "Dual:cmp_dual_funcs_test": Spec(dual_function_cases, probe="dual_functions", tol=1e-10),
    # one pass per input: the count of calls of f may differ by one (a first call for the value)
    "forward_mode_gradient": Spec(
        lambda rng: [(TestFunction("dual_cubic_sum"), rng.uniform(0.4, 1.6, size=(3, 4)))],
        probe="counting_calls",
        tol=1e-9,
        atol={"calls": 1},
    ),
    "fit_loglog_slope": Spec(lambda rng: [loglog_case(rng)]),
    "cost_summary": Spec(lambda rng: [(cost_rows(rng),)]),
}
