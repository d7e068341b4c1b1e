"""The re-check contract of solutions/02_definition/02a_feedforward.ipynb:
which inputs each graded name is called on and how its result is compared.

Loaded by grader/recheck/specs.py (`contract_for`); keys are the graded names of this notebook's test cells
("name", or "name:grade_id" for a class tested by several cells). See grader/recheck/specs.py for `Spec`.
"""

from __future__ import annotations

from grader.recheck import cases
from grader.recheck.cases import Invalid, away_from_zero
from grader.recheck.specs import Spec


def activation_cases(rng):
    extreme = away_from_zero(rng, (2, 3))
    extreme[0, :2], extreme[1, :2] = (800.0, -800.0), (-750.0, 750.0)  # exp overflows in a naive formula
    return [(away_from_zero(rng, (3, 5)),), (away_from_zero(rng, (4, 2)) * 3,), (extreme,)]


SPECS: dict[str, Spec] = {
    # forward passes: the whole (out, cache) pair, since the cache is the contract step 4's backward relies on
    "sigmoid_forward": Spec(activation_cases),
    "relu_forward": Spec(activation_cases),
    "tanh_forward": Spec(activation_cases),
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
