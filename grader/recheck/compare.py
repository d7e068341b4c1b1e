"""How the grader compares a student's result with the solution's, and names a call, in its own words.

Values arrive as plain data (grader/sandboxed/values.py); nothing of the student's text is used but a class name that is
a plain identifier.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from grader.course.messages import safe_identifier
from grader.course.words import Words, phrase
from grader.recheck.specs import Spec
from grader.sandboxed.values import Opaque


def _relative_error(a: np.ndarray, e: np.ndarray) -> float:
    return float(np.max(np.abs(a - e) / np.maximum(np.abs(a) + np.abs(e), 1e-12), initial=0.0))


def compare(
    actual: Any, expected: Any, tol: float, where: str | Words = "the result", *, error: str = "entrywise", atol=None
) -> Words | None:
    """None when `actual` matches `expected` (structure, shapes, values), else what differs (`Words`: rendered in
    the reader's language).

    Numbers and arrays match when their relative error is at most `tol`: entry by entry (error="entrywise") or
    ||actual - expected|| / ||expected|| (error="norm"); or, with `atol`, when no entry differs by more than it
    (a dict of them applies per key of a dict). A float64 result must not come back as float32 or float16.
    """
    if isinstance(actual, Opaque):
        return phrase("{where} is {what}, which cannot be checked", where=where, what=_opaque(actual.what))
    if isinstance(expected, str) or expected is None:
        if type(actual) is type(expected) and actual == expected:  # never an array's elementwise ==
            return None
        got = phrase("a different string") if isinstance(actual, str) else _kind(actual)
        return phrase("{where} is {got}, expected {want}", where=where, got=got, want=repr(expected))
    if isinstance(expected, dict):
        return _compare_dict(actual, expected, tol, where, error, atol)
    if isinstance(expected, list | tuple):
        return _compare_sequence(actual, expected, tol, where, error, atol)
    return _compare_numbers(actual, expected, tol, where, error, atol)


def _compare_dict(actual: Any, expected: dict, tol: float, where: str | Words, error: str, atol) -> Words | None:
    if not isinstance(actual, dict):
        return phrase("{where} is {got}, expected a dict", where=where, got=_kind(actual))
    if set(actual) != set(expected):
        missing = str(sorted(set(expected) - set(actual)))
        extra = str(len(set(actual) - set(expected)))
        return phrase("{where} lacks the keys {missing} and has {extra} unexpected ones; expected {keys}", where=where,
                      missing=missing, extra=extra, keys=str(sorted(expected)))
    for key in expected:
        own = atol.get(key) if isinstance(atol, dict) else atol
        reason = compare(actual[key], expected[key], tol, _item(where, repr(key)), error=error, atol=own)
        if reason:
            return reason
    return None


def _compare_sequence(
    actual: Any, expected: list | tuple, tol: float, where: str | Words, error: str, atol
) -> Words | None:
    if not isinstance(actual, list | tuple | np.ndarray) or getattr(actual, "ndim", 1) == 0:
        return phrase("{where} is {got}, expected a sequence of {n}", where=where, got=_kind(actual),
                      n=str(len(expected)))
    if isinstance(actual, np.ndarray) and all(np.ndim(e) == 0 for e in expected):
        actual = list(actual.ravel()) if actual.ndim == 1 else actual
    if len(actual) != len(expected):
        return phrase("{where} has {n} items, expected {want}", where=where, n=str(len(actual)),
                      want=str(len(expected)))
    for i, (a, e) in enumerate(zip(actual, expected, strict=True)):
        reason = compare(a, e, tol, _item(where, str(i)), error=error, atol=atol)
        if reason:
            return reason
    return None


def _compare_numbers(actual: Any, expected: Any, tol: float, where: str | Words, error: str, atol) -> Words | None:
    try:
        e = np.asarray(expected, dtype=np.float64)
    except (TypeError, ValueError):
        return None  # an object the format cannot carry on the reference side: nothing to compare
    if isinstance(actual, dict | str) or actual is None:
        return phrase("{where} is {got}, expected a number or an array", where=where, got=_kind(actual))
    try:
        a = np.asarray(actual, dtype=np.float64)
    except (TypeError, ValueError):
        return phrase("{where} is not numeric", where=where)
    wants_float64 = isinstance(expected, float) or getattr(expected, "dtype", None) == np.float64
    if wants_float64 and getattr(actual, "dtype", None) is not None and actual.dtype.kind == "f":
        if actual.dtype.itemsize < 8:
            return phrase("{where} has dtype {dtype}, expected float64 (keep float64 all the way through)",
                          where=where, dtype=str(actual.dtype))
    if a.shape != e.shape and not (a.size == 1 and e.size == 1):
        return phrase("{where} has shape {shape}, expected {want}", where=where, shape=str(a.shape),
                      want=str(e.shape))
    a, e = a.reshape(e.shape), e
    if np.all(np.isfinite(e)) and not np.all(np.isfinite(a)):
        return phrase("{where} contains nan or inf", where=where)
    a, e = np.nan_to_num(a), np.nan_to_num(e)
    if atol is not None:
        diff = float(np.max(np.abs(a - e), initial=0.0))
        if diff <= atol:
            return None
        return phrase("{where} is {got}, expected {want} (to within {atol})", where=where, got=_short(a),
                      want=_short(e), atol=f"{atol:g}")
    with np.errstate(all="ignore"):  # inf - inf is NaN: fails below, never raises
        err = _norm_relative_error(a, e) if error == "norm" else _relative_error(a, e)
    if not err <= tol:  # NaN included
        return phrase("{where} differs from the expected value (relative error {error})", where=where,
                      error=f"{err:.1e}")
    return None


def _item(where: str | Words, index: str) -> Words:
    """An entry of what `where` names: `where[0]`, `where['W1']`."""
    return phrase("{where}[{index}]", where=where, index=index)


def _kind(value: Any) -> str | Words:
    """What a value is, in words: "a 0-d array (a single number)", "an array of shape (2, 3)", "a list", "None"."""
    if value is None:
        return "None"
    if isinstance(value, np.ndarray):
        if value.ndim == 0:
            return phrase("a 0-d array (a single number)")
        return phrase("an array of shape {shape}", shape=str(value.shape))
    name = safe_identifier(type(value).__name__, "value")
    return phrase("an {name}", name=name) if name[0] in "aeiou" else phrase("a {name}", name=name)


def _opaque(what: str) -> Words:
    """How to name an object the format could not carry, without the student's words (a class name only)."""
    what = str(what)
    if what.startswith("array of dtype"):
        return phrase("an array of a dtype that is not numeric")
    if what.startswith("too large") or what == "nested too deep":
        return phrase("too large to check")
    return phrase("an object of type {name}", name=safe_identifier(what, "unknown"))


def _short(value: np.ndarray) -> str | Words:
    return f"{float(value):.6g}" if value.size == 1 else phrase("an array of shape {shape}", shape=str(value.shape))


def _norm_relative_error(a: np.ndarray, e: np.ndarray) -> float:
    return float(np.linalg.norm(a - e) / max(float(np.linalg.norm(e)), 1e-300))


def signature(name: str, args: tuple, spec: Spec | None = None) -> str | Words:
    """How a planned call is shown: `relu_forward(array(4, 3))`, the inputs by shape; a class or function checked
    through a probe by the probe's name (`Tensor's check "tensor ops"`), never the seed or numbers it was given,
    which read like a repr of the student's objects (issue 26)."""
    if spec is not None and spec.kind == "value":
        return name
    if spec is not None and spec.probe:
        # the check's label is the probe's name as words, translated in the grader's catalog (contract_words.py)
        return phrase('{name}\'s check "{probe}"', name=name, probe=Words(spec.probe.replace("_", " ")))

    def short(v):
        if isinstance(v, np.ndarray):
            return f"array{v.shape}"
        if isinstance(v, list):
            return f"[{len(v)} values]"
        if isinstance(v, dict):
            return "{" + ", ".join(map(str, v)) + "}"
        if isinstance(v, tuple):
            return "(" + ", ".join(short(x) for x in v) + ")"
        if isinstance(v, float):
            return f"{v:.4g}"
        return repr(v) if not callable(v) else getattr(v, "__name__", "f")

    return f"{name}({', '.join(short(a) for a in args)})"
