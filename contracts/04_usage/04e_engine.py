"""The re-check contract of solutions/04_usage/04e_engine.ipynb:
which inputs each graded name is called on and how its result is compared.

Loaded by grader/recheck/specs.py (`contract_for`); keys are the graded names of this notebook's test cells
("name", or "name:grade_id" for a class tested by several cells). See grader/recheck/specs.py for `Spec`.
"""

from __future__ import annotations

import numpy as np

from grader.recheck import cases
from grader.recheck.cases import away_from_zero, labels, random_params
from grader.recheck.specs import Spec


def engine_mlp_cases(rng):
    out = []
    for sizes, n, activation in (([3, 6, 5, 4], 7, "tanh"), ([2, 8, 3], 6, "relu")):
        out.append((rng.normal(size=(n, sizes[0])), labels(rng, n, sizes[-1]), random_params(rng, sizes), activation))
    return out


def softmax_tensor_cases(rng):
    out = []
    for n, c in ((5, 3), (3, 6)):
        logits = rng.normal(size=(n, c)) * 2
        logits[0] += 800.0  # a row that overflows exp without the shift
        out.append((logits, labels(rng, n, c), rng.normal(size=(n, c)), float(rng.uniform(0.5, 2.0))))
    return out


def manual_gradient_cases(rng):
    """Leaves (a, b, c, f) of 04e's drawn graph L = (a b + c) f + a: signs mixed, then any."""
    return [
        tuple(float(v) for v in rng.uniform(0.5, 2.0, size=4) * np.array([1, -1, 1, -1])),
        tuple(float(v) for v in rng.uniform(-2.0, 2.0, size=4)),
    ]


def function_sigmoid_cases(rng):
    """(x, upstream, a second input) for 04e's Sigmoid Function: signs mixed, |x| = 800 included."""
    x = away_from_zero(rng, (4, 3), 0.1, 3.0)
    x[0, 0], x[1, 1] = 800.0, -800.0
    return [
        (x, rng.normal(size=(4, 3)), 0.5 * x[::-1] + 1.0),
        (rng.normal(size=(5,)), rng.normal(size=(5,)), rng.normal(size=(5,))),
    ]


def function_layernorm_cases(rng):
    """(x (N, D), gamma, beta, upstream, eps) for 04e's LayerNorm Function: rows with their own offsets, and an eps
    large enough that its place matters."""
    out = []
    for (n, d), eps in (((4, 6), 1e-5), ((5, 3), 0.3)):
        x = rng.normal(size=(n, d)) * 2.0 + rng.normal(size=(n, 1))
        out.append((x, rng.normal(size=d), rng.normal(size=d), rng.normal(size=(n, d)), eps))
    return out


SPECS: dict[str, Spec] = {
    "topological_order": Spec(lambda rng: [(int(rng.integers(1 << 30)), 100_000)], probe="topo_check"),
    "Value:eng_value_ops_test": Spec(
        lambda rng: [(*(float(v) for v in rng.uniform(0.3, 2.0, size=2)), float(rng.normal()), float(rng.normal()))],
        probe="value_ops",
        tol=1e-10,
    ),
    "Value:eng_value_backward_test": Spec(
        lambda rng: [(*(float(v) for v in rng.uniform(0.4, 1.2, size=2)), 30_000)], probe="value_backward", tol=1e-9
    ),
    "manual_gradients": Spec(manual_gradient_cases, tol=1e-10),
    "MLP": Spec(lambda rng: [(int(rng.integers(1 << 30)),)], probe="mlp_library", tol=1e-9),
    "unbroadcast": Spec(cases.unbroadcast_cases, tol=1e-12),  # 04d and 04e share the contract
    "Tensor:eng_tensor_ops_test": Spec(lambda rng: [(int(rng.integers(1 << 30)),)], probe="tensor_ops", tol=1e-10),
    "Tensor:eng_tensor_softmax_ce_test": Spec(softmax_tensor_cases, probe="tensor_softmax_ce", tol=1e-9),
    "Sigmoid": Spec(function_sigmoid_cases, probe="function_op", tol=1e-10),
    "LayerNorm": Spec(function_layernorm_cases, probe="function_layernorm", tol=1e-9),
    # twice: gradients that pile up across calls (Tensors kept between calls) are wrong the second time
    "engine_mlp_gradients": Spec(engine_mlp_cases, probe="call_twice", tol=1e-10),
}
