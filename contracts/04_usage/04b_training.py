"""The re-check contract of solutions/04_usage/04b_training.ipynb:
which inputs each graded name is called on and how its result is compared.

Loaded by grader/recheck/specs.py (`contract_for`); keys are the graded names of this notebook's test cells
("name", or "name:grade_id" for a class tested by several cells). See grader/recheck/specs.py for `Spec`.
"""

from grader.recheck import cases  # noqa: F401 - the input generators shared by the course
from grader.recheck.cases import Invalid  # noqa: F401
from grader.recheck.specs import Spec
from grader.sandboxed.values import TestFunction  # noqa: F401

SPECS: dict[str, Spec] = {
    "sgd_step": Spec(lambda rng: [cases.sgd_case(rng, [3, 4, 2]), cases.sgd_case(rng, [2, 5, 3, 2])]),
    "train": Spec(cases.train_cases, probe="train_alone", context=cases.TRAIN_CONTEXT, tol=1e-8),
}
