"""The re-check contract of solutions/04_usage/04b_training.ipynb:
which inputs each graded name is called on and how its result is compared.

Loaded by grader/recheck/specs.py (`contract_for`); keys are the graded names of this notebook's test cells
("name", or "name:grade_id" for a class tested by several cells). See grader/recheck/specs.py for `Spec`.
"""

from __future__ import annotations

from grader.recheck.cases import random_params
from grader.recheck.specs import Spec


def sgd_case(rng, sizes):
    params = random_params(rng, sizes)
    grads = {k: rng.normal(size=v.shape) for k, v in params.items()}
    return (params, grads, float(rng.uniform(0.01, 0.5)))


def train_cases(rng):
    """The hidden test's three runs (full batch; shuffled mini-batches with a last, smaller batch; relu), on
    inputs and seeds of this student's own."""
    X, y = rng.normal(size=(10, 3)), rng.integers(0, 4, size=10)
    params = random_params(rng, [3, 5, 4])
    seeds = [int(s) for s in rng.integers(0, 1000, size=2)]
    return [
        (X, y, params, {"lr": 0.3, "epochs": 3, "activation": "tanh"}),
        (X, y, params, {"lr": 0.2, "epochs": 3, "batch_size": 4, "activation": "tanh", "seed": seeds[0]}),
        (X, y, params, {"lr": 0.1, "epochs": 2, "batch_size": 3, "activation": "relu", "seed": seeds[1]}),
    ]


# part 1 (04a) and sgd_step: what 04b's train calls, swapped for the solution's own as the hidden test does
TRAIN_CONTEXT = (
    "mlp_forward",
    "mlp_backward",
    "softmax_cross_entropy_forward",
    "softmax_cross_entropy_backward",
    "sgd_step",
)


SPECS: dict[str, Spec] = {
    "sgd_step": Spec(lambda rng: [sgd_case(rng, [3, 4, 2]), sgd_case(rng, [2, 5, 3, 2])]),
    "train": Spec(train_cases, probe="train_alone", context=TRAIN_CONTEXT, tol=1e-8),
}
