"""The re-check contract of solutions/05_comparison/05_comparison.ipynb:
which inputs each graded name is called on and how its result is compared.

Loaded by grader/recheck/specs.py (`contract_for`); keys are the graded names of this notebook's test cells
("name", or "name:grade_id" for a class tested by several cells). See grader/recheck/specs.py for `Spec`.
"""

from grader.recheck import cases  # noqa: F401 - the input generators shared by the course
from grader.recheck.cases import Invalid  # noqa: F401
from grader.recheck.specs import Spec
from grader.sandboxed.values import TestFunction  # noqa: F401

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
    "Dual:cmp_dual_arith_test": Spec(cases.dual_arithmetic_cases, probe="dual_arithmetic", tol=1e-10),
    "Dual:cmp_dual_funcs_test": Spec(cases.dual_function_cases, probe="dual_functions", tol=1e-10),
    # one pass per input: the count of calls of f may differ by one (a first call for the value)
    "forward_mode_gradient": Spec(
        lambda rng: [(TestFunction("dual_cubic_sum"), rng.uniform(0.4, 1.6, size=(3, 4)))],
        probe="counting_calls",
        tol=1e-9,
        atol={"calls": 1},
    ),
    "fit_loglog_slope": Spec(lambda rng: [cases.loglog_case(rng)]),
    "cost_summary": Spec(lambda rng: [(cases.cost_rows(rng),)]),
}
