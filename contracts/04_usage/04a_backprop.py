"""The re-check contract of solutions/04_usage/04a_backprop.ipynb:
which inputs each graded name is called on and how its result is compared.

Loaded by grader/recheck/specs.py (`contract_for`); keys are the graded names of this notebook's test cells
("name", or "name:grade_id" for a class tested by several cells). See grader/recheck/specs.py for `Spec`.
"""

from __future__ import annotations

import numpy as np

from grader.recheck import cases
from grader.recheck.cases import away_from_zero, labels, random_params
from grader.recheck.specs import Spec


def activation_backward_cases(rng):
    return [  # two calls of the same shape: a buffer reused between calls changes the first result
        (rng.normal(size=(3, 5)), away_from_zero(rng, (3, 5))),
        (rng.normal(size=(4, 2)), away_from_zero(rng, (4, 2))),
        (rng.normal(size=(3, 5)), away_from_zero(rng, (3, 5))),
    ]


def mlp_caches(rng: np.random.Generator, sizes: list[int], n: int, activation: str):
    """Caches shaped as the contract says, built from a forward pass done here (only plumbing, no answers)."""
    params = random_params(rng, sizes)
    x = rng.normal(size=(n, sizes[0]))
    caches, h = [], x
    layers = len(sizes) - 1
    for i in range(1, layers + 1):
        w, b = params[f"W{i}"], params[f"b{i}"]
        z = h @ w + b
        if i < layers:
            z = np.where(np.abs(z) < 0.1, 0.1, z)  # keep relu away from its kink
            caches.append(((h, w, b), activation, z))
            h = (
                np.maximum(z, 0)
                if activation == "relu"
                else np.tanh(z)
                if activation == "tanh"
                else 1 / (1 + np.exp(-z))
            )
        else:
            caches.append(((h, w, b), None, None))
    return caches, z


def mlp_backward_cases(rng):
    out = []  # the deeper network first: a dict kept between calls then shows its stale W3
    for sizes, n, act in (([2, 6, 4, 3], 5, "tanh"), ([3, 5, 2], 4, "relu")):
        caches, scores = mlp_caches(rng, sizes, n, act)
        out.append((rng.normal(size=scores.shape), caches))
    return out


def softmax_ce_backward_cases(rng):
    out = []
    for n, c in ((4, 3), (5, 6)):
        z = rng.normal(size=(n, c))
        probs = np.exp(z - z.max(axis=1, keepdims=True))
        probs /= probs.sum(axis=1, keepdims=True)
        out.append(((probs, labels(rng, n, c)),))
    return out


SPECS: dict[str, Spec] = {
    "sigmoid_backward": Spec(activation_backward_cases),
    "relu_backward": Spec(activation_backward_cases),
    "tanh_backward": Spec(activation_backward_cases),
    "dense_backward": Spec(
        lambda rng: [
            (rng.normal(size=(4, 5)), cases.dense(rng, 4, 3, 5)),
            (rng.normal(size=(2, 3)), cases.dense(rng, 2, 6, 3)),
        ]
    ),
    "mse_backward": Spec(lambda rng: [((rng.normal(size=(4, 3)), rng.normal(size=(4, 3))),)]),
    "softmax_cross_entropy_backward": Spec(softmax_ce_backward_cases),
    "mlp_backward": Spec(mlp_backward_cases),
}
