"""Assertions for the notebooks' visible and hidden tests, with failure messages a student can act on.

Every check raises `AssertionError` with a sentence that names the problem and, where a known bug
explains it, the likely fix. Arrays may have any shape unless a docstring says otherwise.
"""

from __future__ import annotations

import sys
import warnings
from collections.abc import Callable, Iterable
from typing import Any

import numpy as np

from bp_helpers.i18n import _


def _show_warning_on_stdout(message, category, filename, lineno, file=None, line=None) -> None:
    print(f"{category.__name__}: {message}", file=sys.stdout)


def warnings_to_stdout() -> None:
    """Print Python and numpy warnings on stdout instead of stderr.

    nbgrader scores any stderr output of a test cell as a failure, so a harmless overflow warning
    in an otherwise correct answer would cost its points. Students still see every warning.
    """
    warnings.showwarning = _show_warning_on_stdout


def relative_error(actual: Any, expected: Any) -> float:
    """max |a - e| / max(|a| + |e|, 1e-12), elementwise, the measure CS231n's gradient checks use.

    About 1e-7 or less means two float64 computations agree; 1e-2 or more means one is wrong.
    """
    a = np.asarray(actual, dtype=np.float64)
    e = np.asarray(expected, dtype=np.float64)
    return float(np.max(np.abs(a - e) / np.maximum(np.abs(a) + np.abs(e), 1e-12), initial=0.0))


def assert_array(actual: Any, what: str) -> np.ndarray:
    """Check that `actual` is a numpy array (not None, a list or a tuple); return it."""
    if actual is None:
        raise AssertionError(_("{what} is None: did the function forget to `return` its result?", what=what))
    if isinstance(actual, tuple):
        raise AssertionError(_("{what} is a tuple of {count} items where one array was expected.", what=what,
                               count=len(actual)))
    if not isinstance(actual, np.ndarray | np.floating | float | int):
        raise AssertionError(_("{what} is a {kind}, expected a numpy array.", what=what, kind=type(actual).__name__))
    return np.asarray(actual)


def assert_shape(actual: Any, shape: tuple[int, ...], what: str, hint: str = "") -> None:
    """Check the shape of `actual` against `shape`, saying what a wrong shape usually means."""
    got = np.shape(actual)
    if got != tuple(shape):
        extra = f" {hint}" if hint else ""
        raise AssertionError(_("{what} has shape {got}, expected {shape}.", what=what, got=got, shape=tuple(shape))
                             + extra)


def assert_float64(actual: Any, what: str) -> None:
    """Check that a result kept float64 precision (a float32 cast loses about 9 digits)."""
    dtype = np.asarray(actual).dtype
    if dtype != np.float64:
        raise AssertionError(_(
            "{what} has dtype {dtype}, expected float64: do not cast to float32 or int; "
            "gradient checks need float64's 16 digits.", what=what, dtype=dtype
        ))


def assert_close(
    actual: Any,
    expected: Any,
    what: str,
    *,
    tol: float = 1e-7,
    diagnoses: Iterable[tuple[Any, str]] = (),
) -> None:
    """Check `actual` against `expected` by relative error, naming the bug when one explains it.

    Args:
        actual: the student's result.
        expected: the reference value, same shape.
        what: how the message names the value, e.g. "dense_forward(x, W, b)[0]".
        tol: largest relative error accepted.
        diagnoses: pairs (what a known bug would return, the cause in words); the first whose value
            matches `actual` is named in the message.
    """
    actual = assert_array(actual, what)
    expected = np.asarray(expected)
    assert_shape(actual, expected.shape, what)
    if not np.all(np.isfinite(actual)) and np.all(np.isfinite(expected)):
        raise AssertionError(_(
            "{what} contains nan or inf where the answer is finite: look for overflow in exp "
            "or log(0); a numerically stable formula avoids both.", what=what
        ))
    err = relative_error(actual, expected)
    if err <= tol:
        return
    for buggy, cause in diagnoses:
        if np.shape(buggy) == actual.shape and relative_error(actual, buggy) <= max(tol, 1e-6):
            raise AssertionError(_("{what} is wrong: {cause}", what=what, cause=cause))
    raise AssertionError(_("{what} is wrong: relative error {err:.1e} against the expected value (at most {tol:.0e}).",
                           what=what, err=err, tol=tol))


def assert_unchanged(before: np.ndarray, after: np.ndarray, what: str, name: str = "") -> None:
    """Check that an input array was not modified in place by the function under test.

    Args:
        before: a copy of the input taken before the call.
        after: the input as the caller holds it after the call.
        what: how the message names the input, e.g. "relu_forward's input z".
        name: the variable the student's function holds it in (its parameter, e.g. "z"), so the hint can show the
            fix on it; without it the hint names no variable (a hint on the wrong variable misleads).
    """
    if not np.array_equal(before, after, equal_nan=True):
        if name:
            fix = _("e.g. `{name} = {name}.copy()` before changing it", name=name)
        else:
            fix = _("call .copy() on it before changing it")
        raise AssertionError(_("{what} was modified in place: work on a copy ({fix}) so callers keep their data.",
                               what=what, fix=fix))


def raised_in(error: BaseException, function_name: str) -> bool:
    """Whether `error` was raised while a function named `function_name` was running (a frame of it is on the
    error's traceback): a shape error mlp_forward got from dense_forward is a bug of dense_forward, not of the
    loop that called it, and the message should send the student there."""
    tb = error.__traceback__
    while tb is not None:
        if tb.tb_frame.f_code.co_name == function_name:
            return True
        tb = tb.tb_next
    return False


def call_quietly(fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
    """Call `fn` with numpy floating-point warnings silenced (for inputs chosen to overflow)."""
    with np.errstate(all="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return fn(*args, **kwargs)
