"""The re-check contract of solutions/02_definition/02a_feedforward.ipynb:
which inputs each graded name is called on and how its result is compared.

Loaded by grader/recheck/specs.py (`contract_for`); keys are the graded names of this notebook's test cells
("name", or "name:grade_id" for a class tested by several cells). See grader/recheck/specs.py for `Spec`.
"""

from grader.recheck import cases  # noqa: F401 - the input generators shared by the course
from grader.recheck.cases import Invalid  # noqa: F401
from grader.recheck.specs import Spec
from grader.sandboxed.values import TestFunction  # noqa: F401

SPECS: dict[str, Spec] = {
    # forward passes: the whole (out, cache) pair, since the cache is the contract step 4's backward relies on
    "sigmoid_forward": Spec(cases.activation_cases),
    "relu_forward": Spec(cases.activation_cases),
    "tanh_forward": Spec(cases.activation_cases),
    "dense_forward": Spec(lambda rng: [cases.dense(rng, 4, 3, 5), cases.dense(rng, 2, 6, 3)]),
    "mlp_forward": Spec(
        lambda rng: [
            (rng.normal(size=(4, 3)), cases.random_params(rng, [3, 5, 2])),
            (rng.normal(size=(5, 2)), cases.random_params(rng, [2, 6, 4, 3]), "tanh"),
            (rng.normal(size=(5, 2)), cases.random_params(rng, [2, 6, 4, 3]), "sigmoid"),
            Invalid((rng.normal(size=(3, 2)), cases.random_params(rng, [2, 4, 3]), "swish")),
        ]
    ),
}
