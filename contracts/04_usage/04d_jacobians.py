"""The re-check contract of solutions/04_usage/04d_jacobians.ipynb:
which inputs each graded name is called on and how its result is compared.

Loaded by grader/recheck/specs.py (`contract_for`); keys are the graded names of this notebook's test cells
("name", or "name:grade_id" for a class tested by several cells). See grader/recheck/specs.py for `Spec`.
"""

from __future__ import annotations

import numpy as np

from grader.recheck import cases
from grader.recheck.specs import Spec


def bce_backward_cases(rng):
    out = []
    for shape in ((6, 1), (5,)):
        y = rng.integers(0, 2, size=shape).astype(np.float64)
        y.flat[0], y.flat[1] = 1.0, 0.0
        out.append(((rng.uniform(0.05, 0.95, size=shape), y),))
    return out


def layernorm_forward_cases(rng):
    """Non-square (N, D), rows with their own offsets, and an eps large enough that its place matters."""
    out = []
    for (n, d), eps in (((4, 6), 1e-5), ((5, 3), 0.5)):
        x = rng.normal(size=(n, d)) * 2.0 + rng.normal(size=(n, 1))
        out.append((x, rng.normal(size=d), rng.normal(size=d), eps))
    return out


def layernorm_backward_cases(rng):
    """(dout, cache) with the cache (x_hat, gamma, inv_std) the contract fixes, built from a forward pass done here
    (only plumbing, no answers)."""
    out = []
    for (n, d), eps in (((4, 6), 1e-5), ((6, 3), 0.3)):
        x = rng.normal(size=(n, d)) * 1.5 + rng.normal(size=(n, 1))
        inv_std = 1.0 / np.sqrt(x.var(axis=1, keepdims=True) + eps)
        x_hat = (x - x.mean(axis=1, keepdims=True)) * inv_std
        out.append((rng.normal(size=(n, d)), (x_hat, rng.normal(size=d), inv_std)))
    return out


SPECS: dict[str, Spec] = {
    "softmax_jacobian": Spec(lambda rng: [(cases.probability_vector(rng, 4),), (cases.probability_vector(rng, 7),)]),
    "unbroadcast": Spec(cases.unbroadcast_cases, tol=1e-12),  # 04d and 04e share the contract,
    "binary_cross_entropy_backward": Spec(bce_backward_cases),
    "layernorm_forward": Spec(layernorm_forward_cases),  # the whole (out, cache): the cache is the contract,
    "layernorm_backward": Spec(layernorm_backward_cases),
}
