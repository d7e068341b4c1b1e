"""The re-check contract of solutions/04_usage/04f_frameworks.ipynb:
which inputs each graded name is called on and how its result is compared.

Loaded by grader/recheck/specs.py (`contract_for`); keys are the graded names of this notebook's test cells
("name", or "name:grade_id" for a class tested by several cells). See grader/recheck/specs.py for `Spec`.
"""

from __future__ import annotations

from grader.recheck import cases
from grader.recheck.cases import random_params
from grader.recheck.specs import Spec

ACTIVATIONS = ("relu", "tanh", "sigmoid")


def torch_cases(rng):
    """An input batch with C = 4 classes and a 3-layer network, once per activation."""
    x, y = rng.normal(size=(7, 3)), rng.integers(0, 4, size=7)
    params = {k: v * 2.0 for k, v in random_params(rng, [3, 5, 6, 4]).items()}
    return [(x, y, params, activation) for activation in ACTIVATIONS]


def keras_model_cases(rng):
    return [
        (random_params(rng, [3, 5, 2]), "relu", rng.normal(size=(4, 3))),
        (random_params(rng, [2, 6, 4, 3]), "tanh", rng.normal(size=(5, 2))),
    ]


def keras_step_cases(rng):
    out = []
    # N = 40 > 32, Keras' default batch size: one full-batch step differs from two mini-batch steps
    for sizes, n, activation in (([3, 5, 2], 40, "relu"), ([2, 4, 3, 3], 5, "tanh")):
        x, y = rng.normal(size=(n, sizes[0])), rng.integers(0, sizes[-1], size=n)
        out.append((random_params(rng, sizes), activation, x, y, float(rng.uniform(0.05, 0.5))))
    return out


SPECS: dict[str, Spec] = {
    "to_torch_params": Spec(
        lambda rng: [(cases.random_params(rng, [3, 5, 4, 2]),)], probe="torch_params", frameworks=True, tol=1e-12
    ),
    "torch_mlp_loss": Spec(torch_cases, probe="torch_loss", frameworks=True, tol=1e-9),
    "torch_gradients": Spec(torch_cases, probe="call_twice", frameworks=True, tol=1e-8),
    "linear_weight_grad": Spec(lambda rng: [(rng.normal(size=(4, 3)), rng.normal(size=(4, 5)))]),
    "build_keras_mlp": Spec(keras_model_cases, probe="keras_model", frameworks=True, error="norm", tol=1e-8),
    # Keras' optimizer step: compared as steps (new - params) over each array, to 1e-5 as the hidden test does
    "keras_sgd_step": Spec(keras_step_cases, probe="keras_step", frameworks=True, error="norm", tol=1e-5),
}
