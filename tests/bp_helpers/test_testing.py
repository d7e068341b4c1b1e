"""Do the test helpers pass right answers, fail wrong ones, and name the bug?"""

from __future__ import annotations

import warnings

import numpy as np
import pytest

from bp_helpers.testing import (
    assert_close,
    assert_float64,
    assert_shape,
    assert_unchanged,
    call_quietly,
    raised_in,
    relative_error,
    warnings_to_stdout,
)


def test_relative_error_is_zero_for_equal_and_large_for_different() -> None:
    """Is the relative error 0 for equal arrays and about 1 for unrelated ones?"""
    x = np.array([1.0, -2.0, 3.0])
    assert relative_error(x, x) == 0.0
    assert relative_error(x, -x) == pytest.approx(1.0)


def test_assert_close_passes_a_right_answer() -> None:
    """Does a value equal up to rounding pass?"""
    assert_close(np.array([1.0, 2.0]) + 1e-12, np.array([1.0, 2.0]), "y")


def test_assert_close_names_the_matching_bug() -> None:
    """Does a wrong answer that matches a known bug fail with that bug's cause?"""
    expected = np.array([1.0, 2.0])
    with pytest.raises(AssertionError, match="missing 1/N"):
        assert_close(expected * 4, expected, "dW", diagnoses=[(expected * 4, "missing 1/N")])


def test_assert_close_reports_relative_error_otherwise() -> None:
    """Does an unexplained wrong answer fail with its relative error?"""
    with pytest.raises(AssertionError, match="relative error"):
        assert_close(np.array([1.0, 3.0]), np.array([1.0, 2.0]), "y")


def test_assert_close_flags_nan_and_none_and_shape() -> None:
    """Are nan, a missing return and a wrong shape each named?"""
    with pytest.raises(AssertionError, match="nan or inf"):
        assert_close(np.array([np.nan]), np.array([1.0]), "p")
    with pytest.raises(AssertionError, match="return"):
        assert_close(None, np.array([1.0]), "p")
    with pytest.raises(AssertionError, match="shape"):
        assert_close(np.zeros((2, 3)), np.zeros((3, 2)), "p")


def test_shape_dtype_and_mutation_checks() -> None:
    """Do the shape, float64 and in-place checks fail exactly when they should?"""
    assert_shape(np.zeros((2, 3)), (2, 3), "x")
    with pytest.raises(AssertionError, match="expected"):
        assert_shape(np.zeros((3,)), (3, 1), "x")
    assert_float64(np.zeros(2), "x")
    with pytest.raises(AssertionError, match="float64"):
        assert_float64(np.zeros(2, dtype=np.float32), "x")
    before = np.arange(3.0)
    assert_unchanged(before, before.copy(), "x")
    with pytest.raises(AssertionError, match="in place"):
        assert_unchanged(before, before + 1, "x")


def test_the_in_place_hint_names_the_students_variable() -> None:
    """Does assert_unchanged's hint show the fix on the variable it is given, and name none without one (a fixed
    `x.copy()` told a relu_forward(z) student to copy an x they do not have)?"""
    before = np.arange(3.0)
    with pytest.raises(AssertionError) as raised:
        assert_unchanged(before, before + 1, "relu_forward's input z", name="z")
    assert "`z = z.copy()`" in str(raised.value) and "x.copy()" not in str(raised.value)
    with pytest.raises(AssertionError) as raised:
        assert_unchanged(before, before + 1, "params['W1']")
    assert "x.copy()" not in str(raised.value) and ".copy()" in str(raised.value)


def test_warnings_go_to_stdout(capsys: pytest.CaptureFixture) -> None:
    """Does a warning print on stdout (which nbgrader does not score as a failure) and not on stderr?"""
    saved = warnings.showwarning
    try:
        warnings_to_stdout()
        with warnings.catch_warnings():
            warnings.simplefilter("always")
            np.exp(np.array([1000.0]))
        captured = capsys.readouterr()
    finally:
        warnings.showwarning = saved
    assert "overflow" in captured.out
    assert captured.err == ""


def test_call_quietly_silences_numpy() -> None:
    """Does call_quietly return the value without raising on an overflow, even with errors turned on?"""
    with np.errstate(over="raise"):
        assert call_quietly(np.exp, 1000.0) == np.inf


def test_raised_in_finds_the_function_an_error_came_from() -> None:
    """Does raised_in tell an error raised inside a called function (dense_forward under mlp_forward) from one the
    caller raised itself?"""
    def dense_forward(x):
        return x @ np.zeros((3, 2))

    def mlp_forward(x, own=False):
        if own:
            raise ValueError("the caller's own")
        return dense_forward(x)

    with pytest.raises(ValueError) as raised:
        mlp_forward(np.zeros((2, 2)))
    assert raised_in(raised.value, "dense_forward") and raised_in(raised.value, "mlp_forward")
    with pytest.raises(ValueError) as raised:
        mlp_forward(np.zeros((2, 2)), own=True)
    assert not raised_in(raised.value, "dense_forward")
