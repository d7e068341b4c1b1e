"""Inputs for the trusted re-check, keyed by the contract's function names (course-design.md).

A spec says how to build arguments from a seeded generator, and what part of the result to compare. It holds
no answers: the expected values come from calling the solution notebook's own function on the same inputs.
A function without a spec (or whose spec does not fit the solution's signature) is not re-checked; the grade
summary names it. Inputs follow the hidden tests' rules: float64, non-square shapes with distinct sizes,
N >= 2, values away from kinks (|z| >= 0.1 for relu).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from grader.sandbox_runner import TestFunction


@dataclass(frozen=True)
class Spec:
    """How to re-check one function.

    cases: seeded generator -> list of positional-argument tuples (plain data, arrays, TestFunction).
    compare: "all" (the whole result), "first" (item 0 of an (out, cache) pair).
    tol: largest relative error accepted (bp_helpers.testing.relative_error).
    """

    cases: Callable[[np.random.Generator], list[tuple[Any, ...]]]
    compare: str = "all"
    tol: float = 1e-6


def _away_from_zero(rng: np.random.Generator, shape: tuple[int, ...], low: float = 0.1, high: float = 2.0):
    return rng.uniform(low, high, size=shape) * rng.choice([-1.0, 1.0], size=shape)


def _dense(rng: np.random.Generator, n: int, d: int, m: int):
    return rng.normal(size=(n, d)), rng.normal(size=(d, m)) * 0.5, rng.normal(size=(m,))


def _params(rng: np.random.Generator, sizes: list[int]) -> dict[str, np.ndarray]:
    params = {}
    for i, (a, b) in enumerate(zip(sizes[:-1], sizes[1:], strict=True), start=1):
        params[f"W{i}"] = rng.normal(size=(a, b)) / np.sqrt(a)
        params[f"b{i}"] = rng.normal(size=(b,)) * 0.1
    return params


def _chain_cache(x):
    """The cache (x, a, b) of 01_term's chain x -> a = 2x + 1 -> b = a**2 -> y = sin(b), as its docstring says."""
    a = 2.0 * x + 1.0
    return ((x, a, a**2),)


def _activation_cases(rng):
    return [(_away_from_zero(rng, (3, 5)),), (_away_from_zero(rng, (4, 2)) * 3,)]


def _activation_backward_cases(rng):
    return [
        (rng.normal(size=(3, 5)), _away_from_zero(rng, (3, 5))),
        (rng.normal(size=(4, 2)), _away_from_zero(rng, (4, 2))),
    ]


def _mlp_caches(rng: np.random.Generator, sizes: list[int], n: int, activation: str):
    """Caches shaped as the contract says, built from a forward pass done here (only plumbing, no answers)."""
    params = _params(rng, sizes)
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


def _mlp_backward_cases(rng):
    out = []
    for sizes, n, act in (([3, 5, 2], 4, "relu"), ([2, 6, 4, 3], 5, "tanh")):
        caches, scores = _mlp_caches(rng, sizes, n, act)
        out.append((rng.normal(size=scores.shape), caches))
    return out


def _probs(rng, shape):
    p = rng.uniform(0.05, 0.95, size=shape)
    return p


def _labels(rng, n, c):
    return rng.integers(0, c, size=n)


def _softmax_ce_backward_cases(rng):
    out = []
    for n, c in ((4, 3), (5, 6)):
        z = rng.normal(size=(n, c))
        probs = np.exp(z - z.max(axis=1, keepdims=True))
        probs /= probs.sum(axis=1, keepdims=True)
        out.append(((probs, _labels(rng, n, c)),))
    return out


def _sgd_case(rng, sizes):
    params = _params(rng, sizes)
    grads = {k: rng.normal(size=v.shape) for k, v in params.items()}
    return (params, grads, float(rng.uniform(0.01, 0.5)))


def _loglog_case(rng):
    sizes = np.array([10.0, 30.0, 100.0, 300.0, 1000.0])
    return (sizes, 0.01 * sizes ** float(rng.uniform(0.8, 2.2)) * rng.uniform(0.9, 1.1, size=5))


def _cost_rows(rng):
    rows = []
    for i, p in enumerate((10, 40, 160, 640)):
        forward = 1e-4 * p**0.9 * float(rng.uniform(0.9, 1.1))
        row = {"P": p, "forward": forward, "backprop": forward * float(rng.uniform(2.0, 3.0))}
        if i < 3:
            row["finite_differences"] = forward * p * float(rng.uniform(1.8, 2.2))
            row["forward_mode"] = forward * p * float(rng.uniform(1.0, 1.5))
        rows.append(row)
    return rows


SPECS: dict[str, Spec] = {
    # 01_term
    "propagate_back": Spec(
        lambda rng: [(list(rng.uniform(0.5, 2.0, size=5)),), (list(rng.uniform(-2, 2, size=3)),), ([],)]
    ),
    "chain_forward": Spec(lambda rng: [(float(rng.uniform(0.2, 1.5)),), (rng.uniform(-1.5, 1.5, size=(3, 2)),)]),
    "chain_backward": Spec(
        lambda rng: [_chain_cache(float(rng.uniform(0.2, 1.5))), _chain_cache(rng.uniform(-1.5, 1.5, size=(2, 3)))]
    ),
    "neuron_gradients": Spec(lambda rng: [tuple(float(v) for v in rng.uniform(-1.5, 1.5, size=4)) for _ in range(3)]),
    # 02_definition
    "sigmoid_forward": Spec(_activation_cases, compare="first"),
    "relu_forward": Spec(_activation_cases, compare="first"),
    "tanh_forward": Spec(_activation_cases, compare="first"),
    "dense_forward": Spec(lambda rng: [_dense(rng, 4, 3, 5), _dense(rng, 2, 6, 3)], compare="first"),
    "mlp_forward": Spec(
        lambda rng: [
            (rng.normal(size=(4, 3)), _params(rng, [3, 5, 2])),
            (rng.normal(size=(5, 2)), _params(rng, [2, 6, 4, 3]), "tanh"),
        ],
        compare="first",
    ),
    "mse_forward": Spec(lambda rng: [(rng.normal(size=(4, 3)), rng.normal(size=(4, 3)))], compare="first"),
    "binary_cross_entropy_forward": Spec(
        lambda rng: [(_probs(rng, (6, 1)), rng.integers(0, 2, size=(6, 1)).astype(np.float64))], compare="first"
    ),
    "softmax": Spec(lambda rng: [(rng.normal(size=(4, 3)) * 3,), (rng.normal(size=(2, 5)) + 500.0,)]),
    "softmax_cross_entropy_forward": Spec(
        lambda rng: [(rng.normal(size=(5, 3)), _labels(rng, 5, 3)), (rng.normal(size=(3, 4)) * 2, _labels(rng, 3, 4))],
        compare="first",
    ),
    "chance_level_loss": Spec(lambda rng: [(int(rng.integers(2, 12)),), (3,)]),
    # 03_purpose
    "largest_stable_learning_rate": Spec(lambda rng: [(float(rng.uniform(0.2, 5.0)),), (1.0,)]),
    "numerical_gradient": Spec(
        lambda rng: [
            (TestFunction("smooth_scalar"), rng.normal(size=(3, 2))),
            (TestFunction("sum_of_squares"), rng.normal(size=(4,))),
        ],
        tol=1e-5,
    ),
    "gradient_descent": Spec(
        lambda rng: [(TestFunction("quadratic_bowl_grad"), rng.normal(size=(3,)), 0.1, 7)], tol=1e-6
    ),
    # 04_usage
    "sigmoid_backward": Spec(_activation_backward_cases),
    "relu_backward": Spec(_activation_backward_cases),
    "tanh_backward": Spec(_activation_backward_cases),
    "dense_backward": Spec(
        lambda rng: [(rng.normal(size=(4, 5)), _dense(rng, 4, 3, 5)), (rng.normal(size=(2, 3)), _dense(rng, 2, 6, 3))]
    ),
    "mse_backward": Spec(lambda rng: [((rng.normal(size=(4, 3)), rng.normal(size=(4, 3))),)]),
    "softmax_cross_entropy_backward": Spec(_softmax_ce_backward_cases),
    "mlp_backward": Spec(_mlp_backward_cases),
    "sgd_step": Spec(lambda rng: [_sgd_case(rng, [3, 4, 2]), _sgd_case(rng, [2, 5, 3, 2])]),
    "linear_weight_grad": Spec(lambda rng: [(rng.normal(size=(4, 3)), rng.normal(size=(4, 5)))]),
    # 05_comparison
    "best_step": Spec(
        lambda rng: [
            ("forward", float(rng.uniform(0.5, 3)), float(rng.uniform(0.5, 3))),
            ("central", float(rng.uniform(0.5, 3)), float(rng.uniform(0.5, 3))),
        ]
    ),
    "fit_loglog_slope": Spec(lambda rng: [_loglog_case(rng)]),
    "cost_summary": Spec(lambda rng: [(_cost_rows(rng),)]),
    "finite_difference_gradient": Spec(
        lambda rng: [(TestFunction("smooth_scalar"), rng.normal(size=(3, 2)), 1e-5)], tol=1e-5
    ),
    "forward_mode_gradient": Spec(lambda rng: [(TestFunction("polynomial"), float(rng.uniform(-2, 2)))], tol=1e-6),
}


def seed_for(student: str, assignment: str, function: str) -> int:
    """A seed per student, assignment and function: stable across runs, different between students."""
    import hashlib

    digest = hashlib.sha256(f"{student}\0{assignment}\0{function}".encode()).digest()
    return int.from_bytes(digest[:4], "little")
