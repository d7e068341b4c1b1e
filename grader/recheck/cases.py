"""Input generators of the trusted re-check, one per contract: each takes a seeded `numpy.random.Generator` and
returns the argument tuples of the calls (grader/recheck/specs.py keys them by name). Inputs follow the hidden tests'
rules: float64, non-square shapes with distinct sizes, N >= 2, values away from kinks (|z| >= 0.1 for relu).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np


@dataclass(frozen=True)
class Invalid:
    """A case the solution rejects by raising (a 2-D label array, an unknown activation): the student's function
    must raise the same exception type."""

    args: tuple[Any, ...]


def away_from_zero(rng: np.random.Generator, shape: tuple[int, ...], low: float = 0.1, high: float = 2.0):
    return rng.uniform(low, high, size=shape) * rng.choice([-1.0, 1.0], size=shape)


def dense(rng: np.random.Generator, n: int, d: int, m: int):
    return rng.normal(size=(n, d)), rng.normal(size=(d, m)) * 0.5, rng.normal(size=(m,))


def random_params(rng: np.random.Generator, sizes: list[int]) -> dict[str, np.ndarray]:
    params = {}
    for i, (a, b) in enumerate(zip(sizes[:-1], sizes[1:], strict=True), start=1):
        params[f"W{i}"] = rng.normal(size=(a, b)) / np.sqrt(a)
        params[f"b{i}"] = rng.normal(size=(b,)) * 0.1
    return params


def probs(rng, shape):
    p = rng.uniform(0.05, 0.95, size=shape)
    return p


def labels(rng, n, c):
    return rng.integers(0, c, size=n)


def probability_vector(rng, c: int):
    z = rng.normal(size=c) * 1.5
    p = np.exp(z - z.max())
    return p / p.sum()


def unbroadcast_cases(rng):
    """Every kind of broadcast: added leading axes, stretched size-1 axes, both, a scalar, none."""
    pairs = [((4, 3), (3,)), ((4, 3), (4, 1)), ((2, 4, 3), (1, 3)), ((2, 4, 3), (4, 1)), ((4, 3), ()), ((3, 5), (3, 5))]
    pairs += [((4, 3, 5), shape) for shape in ((5,), (3, 1), (1, 5), (4, 1, 5), (), (4, 3, 5), (1, 1, 1))]
    return [(rng.normal(size=dout_shape), shape) for dout_shape, shape in pairs]


# 04g_layers: every cache is built here from a forward pass (only plumbing, no answers), as the contract fixes it
