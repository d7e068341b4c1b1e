"""The re-check contract of solutions/04_usage/04c_gradient_flow.ipynb:
which inputs each graded name is called on and how its result is compared.

Loaded by grader/recheck/specs.py (`contract_for`); keys are the graded names of this notebook's test cells
("name", or "name:grade_id" for a class tested by several cells). See grader/recheck/specs.py for `Spec`.
"""

from grader.recheck import cases  # noqa: F401 - the input generators shared by the course
from grader.recheck.cases import Invalid  # noqa: F401
from grader.recheck.specs import Spec
from grader.sandboxed.values import TestFunction  # noqa: F401

SPECS: dict[str, Spec] = {
    "init_std": Spec(cases.init_std_cases),
}
