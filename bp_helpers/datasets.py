"""Seeded toy datasets made with numpy alone (no downloads), in one registry.

Every generator returns `(X, y)`: X float64 of shape (n, 2), y int64 of shape (n,) with labels 0..k-1.
The same name, n, noise and seed always give the same arrays.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

Dataset = tuple[np.ndarray, np.ndarray]


def _split_counts(n: int, k: int) -> list[int]:
    """n points over k classes as evenly as possible."""
    return [n // k + (1 if i < n % k else 0) for i in range(k)]


def xor(n: int, noise: float, rng: np.random.Generator) -> Dataset:
    """Four Gaussian blobs at the corners of a square; label = x1 * x2 < 0 (not linearly separable)."""
    X = rng.uniform(-1.0, 1.0, size=(n, 2))
    X += np.sign(X) * 0.1  # a margin around the axes keeps the classes apart when noise is small
    y = (X[:, 0] * X[:, 1] < 0).astype(np.int64)
    return X + noise * rng.standard_normal((n, 2)), y


def moons(n: int, noise: float, rng: np.random.Generator) -> Dataset:
    """Two interleaving half circles."""
    n0, n1 = _split_counts(n, 2)
    t0, t1 = rng.uniform(0, np.pi, n0), rng.uniform(0, np.pi, n1)
    upper = np.column_stack([np.cos(t0), np.sin(t0)])
    lower = np.column_stack([1 - np.cos(t1), 0.5 - np.sin(t1)])
    X = np.vstack([upper, lower]) + noise * rng.standard_normal((n, 2))
    y = np.concatenate([np.zeros(n0, np.int64), np.ones(n1, np.int64)])
    return X, y


def circles(n: int, noise: float, rng: np.random.Generator) -> Dataset:
    """A small circle (label 1) inside a large one (label 0)."""
    n0, n1 = _split_counts(n, 2)
    t0, t1 = rng.uniform(0, 2 * np.pi, n0), rng.uniform(0, 2 * np.pi, n1)
    outer = np.column_stack([np.cos(t0), np.sin(t0)])
    inner = 0.5 * np.column_stack([np.cos(t1), np.sin(t1)])
    X = np.vstack([outer, inner]) + noise * rng.standard_normal((n, 2))
    y = np.concatenate([np.zeros(n0, np.int64), np.ones(n1, np.int64)])
    return X, y


def spirals(n: int, noise: float, rng: np.random.Generator, classes: int = 2) -> Dataset:
    """`classes` interleaved spiral arms (CS231n's spiral data)."""
    Xs, ys = [], []
    for label, count in enumerate(_split_counts(n, classes)):
        r = np.linspace(0.05, 1.0, count)
        theta = np.linspace(label * 2 * np.pi / classes, label * 2 * np.pi / classes + 1.5 * np.pi, count)
        theta = theta + noise * rng.standard_normal(count)
        Xs.append(np.column_stack([r * np.sin(theta), r * np.cos(theta)]))
        ys.append(np.full(count, label, np.int64))
    return np.vstack(Xs), np.concatenate(ys)


def blobs(n: int, noise: float, rng: np.random.Generator, classes: int = 2) -> Dataset:
    """`classes` Gaussian blobs with centres on a circle of radius 2."""
    Xs, ys = [], []
    for label, count in enumerate(_split_counts(n, classes)):
        angle = 2 * np.pi * label / classes
        centre = 2.0 * np.array([np.cos(angle), np.sin(angle)])
        Xs.append(centre + noise * rng.standard_normal((count, 2)))
        ys.append(np.full(count, label, np.int64))
    return np.vstack(Xs), np.concatenate(ys)


DATASETS: dict[str, Callable[..., Dataset]] = {
    "xor": xor,
    "moons": moons,
    "circles": circles,
    "spirals": spirals,
    "blobs": blobs,
}

DEFAULT_NOISE = {"xor": 0.05, "moons": 0.1, "circles": 0.05, "spirals": 0.2, "blobs": 0.5}


def load(name: str, n: int = 200, noise: float | None = None, seed: int = 0, **kwargs) -> Dataset:
    """Make a dataset from the registry.

    Args:
        name: one of DATASETS ("xor", "moons", "circles", "spirals", "blobs").
        n: number of points, at least 2.
        noise: standard deviation of the Gaussian noise (default: a value that keeps the task learnable).
        seed: the same seed always gives the same data.
        **kwargs: extra options of one dataset, e.g. `classes=3` for "spirals" and "blobs".
    Returns:
        X of shape (n, 2), float64, and y of shape (n,), int64, shuffled.
    """
    if name not in DATASETS:
        raise ValueError(f"unknown dataset {name!r}: choose one of {', '.join(DATASETS)}")
    if n < 2:
        raise ValueError(f"n must be at least 2, got {n}")
    rng = np.random.default_rng(seed)
    X, y = DATASETS[name](n, DEFAULT_NOISE[name] if noise is None else noise, rng, **kwargs)
    order = rng.permutation(n)
    return X[order].astype(np.float64), y[order]


def train_val_split(X: np.ndarray, y: np.ndarray, val_fraction: float = 0.3, seed: int = 0):
    """Shuffle and split into (X_train, y_train, X_val, y_val); X (n, D), y (n,)."""
    if not 0 < val_fraction < 1:
        raise ValueError(f"val_fraction must be between 0 and 1, got {val_fraction}")
    order = np.random.default_rng(seed).permutation(len(X))
    n_val = max(1, int(round(val_fraction * len(X))))
    val, train = order[:n_val], order[n_val:]
    return X[train], y[train], X[val], y[val]
