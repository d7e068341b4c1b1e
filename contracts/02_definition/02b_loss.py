"""The re-check contract of solutions/02_definition/02b_loss.ipynb:
which inputs each graded name is called on and how its result is compared.

Loaded by grader/recheck/specs.py (`contract_for`); keys are the graded names of this notebook's test cells
("name", or "name:grade_id" for a class tested by several cells). See grader/recheck/specs.py for `Spec`.
"""

from grader.recheck import cases  # noqa: F401 - the input generators shared by the course
from grader.recheck.cases import Invalid  # noqa: F401
from grader.recheck.specs import Spec
from grader.sandboxed.values import TestFunction  # noqa: F401

SPECS: dict[str, Spec] = {
    "mse_forward": Spec(lambda rng: [(rng.normal(size=(4, 3)), rng.normal(size=(4, 3)))]),
    "binary_cross_entropy_forward": Spec(cases.bce_cases),
    "softmax": Spec(cases.softmax_cases),
    "softmax_cross_entropy_forward": Spec(cases.softmax_ce_cases),
    "chance_level_loss": Spec(lambda rng: [(int(rng.integers(2, 12)),), (3,)]),
}
