"""The re-check contract of solutions/04_usage/04a_backprop.ipynb:
which inputs each graded name is called on and how its result is compared.

Loaded by grader/recheck/specs.py (`contract_for`); keys are the graded names of this notebook's test cells
("name", or "name:grade_id" for a class tested by several cells). See grader/recheck/specs.py for `Spec`.
"""

from grader.recheck import cases  # noqa: F401 - the input generators shared by the course
from grader.recheck.cases import Invalid  # noqa: F401
from grader.recheck.specs import Spec
from grader.sandboxed.values import TestFunction  # noqa: F401

SPECS: dict[str, Spec] = {
    "sigmoid_backward": Spec(cases.activation_backward_cases),
    "relu_backward": Spec(cases.activation_backward_cases),
    "tanh_backward": Spec(cases.activation_backward_cases),
    "dense_backward": Spec(
        lambda rng: [
            (rng.normal(size=(4, 5)), cases.dense(rng, 4, 3, 5)),
            (rng.normal(size=(2, 3)), cases.dense(rng, 2, 6, 3)),
        ]
    ),
    "mse_backward": Spec(lambda rng: [((rng.normal(size=(4, 3)), rng.normal(size=(4, 3))),)]),
    "softmax_cross_entropy_backward": Spec(cases.softmax_ce_backward_cases),
    "mlp_backward": Spec(cases.mlp_backward_cases),
}
