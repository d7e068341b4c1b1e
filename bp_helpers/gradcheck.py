"""Numerical gradients for the hidden tests (CS231n's gradient_check, in float64).

The hidden tests use them, so they live where the grading kernel may read: with the student helpers. 03_purpose
still asks students to write their own `numerical_gradient`; its re-check calls the student's function on the
grader's inputs, so importing this one instead gains nothing a student could not write.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np


def numerical_gradient_of_scalar(f: Callable[[np.ndarray], float], x: np.ndarray, h: float = 1e-6) -> np.ndarray:
    """Central-difference gradient of a scalar function.

    Args:
        f: maps an array shaped like `x` to a float.
        x: float64 array of any shape; restored exactly after each probe.
        h: step; 1e-6 balances truncation (~h^2) and round-off (~eps/h) in float64.
    Returns:
        array shaped like `x`: df/dx.
    """
    x = np.asarray(x, dtype=np.float64)
    grad = np.zeros_like(x)
    it = np.nditer(x, flags=["multi_index"])
    for _ in it:
        i = it.multi_index
        old = x[i]
        x[i] = old + h
        f_plus = float(f(x))
        x[i] = old - h
        f_minus = float(f(x))
        x[i] = old
        grad[i] = (f_plus - f_minus) / (2 * h)
    return grad


def numerical_gradient_weighted(
    f: Callable[[np.ndarray], np.ndarray], x: np.ndarray, dout: np.ndarray, h: float = 1e-6
) -> np.ndarray:
    """Gradient of sum(f(x) * dout) with respect to x: what a backward pass given upstream `dout` returns.

    Args:
        f: maps an array shaped like `x` to an array shaped like `dout`.
        x: float64 array of any shape.
        dout: upstream gradient, shaped like f(x); a random `dout` catches bugs that a ones-array hides.
    Returns:
        array shaped like `x`.
    """
    return numerical_gradient_of_scalar(lambda z: float(np.sum(f(z) * dout)), x, h)
