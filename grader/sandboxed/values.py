"""The plain data both sides of the re-check share: values as JSON (arrays as flat lists with shape and dtype;
never pickle), the grader's test functions, and `invoke`, which calls a function the same way on both sides.

Imported by the grader (grader/recheck/trusted_check.py) and, as a top-level module, by the re-check child
(grader/sandboxed/runner.py), which runs without `site`: this module imports nothing but the standard library and
numpy.
"""

from __future__ import annotations

import json
import math
import sys
from typing import Any, Literal, TypedDict

MAX_ELEMENTS = 2_000_000  # a larger result is reported as too large, not sent

# Test functions passed as arguments (numerical_gradient(f, x), gradient_descent(grad_fn, ...)). The grader
# executes this same text to compute its reference values: one definition for both sides.
TEST_FUNCTIONS_SOURCE = """
import numpy as np

def sum_of_squares(x):
    return float(np.sum(np.asarray(x) ** 2))

def smooth_scalar(x):
    x = np.asarray(x)
    return float(np.sum(np.sin(x) * x) + 0.5 * np.sum(x) ** 2)

def quadratic_bowl_grad(x):
    x = np.asarray(x, dtype=np.float64)
    return 2.0 * (x - 1.5) * (1.0 + np.arange(x.size).reshape(x.shape) * 0.25)

def polynomial(x):
    return x * x * 3.0 + x * 2.0 + 1.0

def dual_cubic_sum(z):  # works on arrays and on the course's Dual (uses *, + and .sum() only)
    return (z * z * z + z * 4.0).sum()

def cubic_product(x):
    return x * x * x + x * 4.0

def analytic_scalar(x):  # complex-safe (no float(), abs or conj): the complex step calls it on complex arrays
    x = np.asarray(x)
    return np.sum(np.sin(x) * np.exp(0.3 * x)) + 0.5 * np.sum(x) ** 2
"""


def _numpy():
    import numpy

    return numpy


def encode(value, depth=0):
    """Python/numpy value -> JSON-able data (tuples, dicts, arrays and callables tagged)."""
    if depth > 20:
        return {"__obj__": "nested too deep"}
    np = sys.modules.get("numpy")
    if value is None or isinstance(value, bool | str):
        return value
    if isinstance(value, int):
        if abs(value) < 2**53:
            return value
        return float(value) if abs(value) < 2**1023 else {"__obj__": "too large an int"}  # beyond a float64
    if isinstance(value, float):
        return value
    if np is not None and isinstance(value, np.ndarray | np.generic):
        arr = np.asarray(value)
        if arr.size > MAX_ELEMENTS:
            return {"__toolarge__": list(arr.shape)}
        if arr.dtype.kind not in "biuf":
            return {"__obj__": f"array of dtype {arr.dtype}"}
        return {"__nd__": arr.ravel().tolist(), "shape": list(arr.shape), "dtype": str(arr.dtype)}
    if isinstance(value, tuple):
        return {"__tuple__": [encode(v, depth + 1) for v in value]}
    if isinstance(value, list):
        return [encode(v, depth + 1) for v in value]
    if isinstance(value, dict):
        return {"__dict__": [[str(k), encode(v, depth + 1)] for k, v in value.items()]}
    if isinstance(value, TestFunction):
        return {"__fn__": value.name}
    return {"__obj__": type(value).__name__}


class TestFunction:
    """A reference to one of TEST_FUNCTIONS_SOURCE's functions, by name."""

    def __init__(self, name):
        self.name = name

    def __repr__(self):
        return self.name


def decode(data, functions=None):
    """Inverse of `encode`. `functions` maps test-function names to callables (None: keep TestFunction)."""
    np = _numpy()
    if isinstance(data, list):
        return [decode(v, functions) for v in data]
    if not isinstance(data, dict):
        return data
    if "__nd__" in data:
        dtype = np.dtype(data["dtype"]) if data.get("dtype") in _DTYPES else np.float64
        shape = tuple(int(s) for s in data["shape"])
        flat = np.asarray(data["__nd__"], dtype=dtype)
        if flat.size != math.prod(shape):
            raise ValueError("array data does not match its shape")
        return flat.reshape(shape)
    if "__tuple__" in data:
        return tuple(decode(v, functions) for v in data["__tuple__"])
    if "__dict__" in data:
        return {k: decode(v, functions) for k, v in data["__dict__"]}
    if "__fn__" in data:
        return functions[data["__fn__"]] if functions is not None else TestFunction(data["__fn__"])
    return Opaque(data.get("__obj__") or f"too large ({data.get('__toolarge__')})")


_DTYPES = {"float64", "float32", "float16", "int64", "int32", "int16", "int8", "uint8", "bool"}


class Opaque:
    """A result the format cannot carry (an object, a too large array): compared as wrong, named."""

    def __init__(self, what):
        self.what = what

    def __repr__(self):
        return f"<{self.what}>"


# Floating-point errors raise during a re-checked call, on both sides: an overflow in exp or a log(0) that the
# solution avoids is a numerically unstable formula, even when the value happens to come out right.
FP_ERRORS = {"divide": "raise", "over": "raise", "invalid": "raise", "under": "ignore"}


def _snapshot(value) -> str:
    return json.dumps(encode(value), sort_keys=True)


def invoke(obj, args, kind="call", probe=None, extra=()):
    """Call `obj(*args)` (or `probe(obj, *extra, *args)`; a "value" is returned as is) the same way on both sides.

    Returns (value, mutated): the indices of the arguments the call changed in place.
    """
    if kind == "value":
        return obj, []
    np = _numpy()
    before = [_snapshot(a) for a in args]
    with np.errstate(**FP_ERRORS):
        value = probe(obj, *extra, *args) if probe is not None else obj(*args)
    return value, [i for i, a in enumerate(args) if _snapshot(a) != before[i]]


# The child's report (grader/sandboxed/runner.py), one JSON object per line; read strictly by recheck/protocol.py.
class _ErrorType(TypedDict):
    type: str


class ErrorInfo(_ErrorType, total=False):
    """An exception, as the parent may learn it: its type's name only (a ContractError's course message too)."""

    timeout: bool
    message: str
    template: str  # a ContractError's template and fields (its message is them filled in)
    fields: dict[str, str]


class CellEvent(TypedDict):
    event: Literal["cell"]
    id: str
    error: ErrorInfo | None


class _CallAnswer(TypedDict):
    event: Literal["call"]
    key: str
    case: int
    result: Any
    error: ErrorInfo | None
    mutated: list[int]


class CallEvent(_CallAnswer, total=False):
    """The answer to one planned call: the raw result (`encode`d) or the error; the arguments it changed; `missing`
    when the student's namespace has no such name."""

    missing: bool


class ChangedEvent(TypedDict):
    event: Literal["changed"]
    key: str
    case: int
