"""Does every plotting helper draw what it is given, without errors, and return its Axes?"""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

from bp_helpers import plotting  # noqa: E402
from bp_helpers.datasets import load  # noqa: E402


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


def test_plot_functions_draws_one_line_per_function() -> None:
    """Are there as many lines (besides the axes) as functions, with the right values?"""
    ax = plotting.plot_functions({"tanh": np.tanh, "square": np.square}, x_range=(-2, 2))
    lines = [line for line in ax.get_lines() if line.get_label() in ("tanh", "square")]
    assert len(lines) == 2
    x, y = lines[1].get_data()
    assert np.allclose(y, x**2)


def test_plot_loss_curves_log_scale() -> None:
    """Does a log plot of two curves use a log y axis and keep the values?"""
    ax = plotting.plot_loss_curves({"train": [1.0, 0.5, 0.25], "val": [1.0, 0.8, 0.9]}, log=True)
    assert ax.get_yscale() == "log"
    assert np.allclose(ax.get_lines()[0].get_ydata(), [1.0, 0.5, 0.25])


def test_decision_boundary_accepts_labels_and_scores() -> None:
    """Does the boundary plot work for label and score predictions alike?"""
    X, y = load("moons", n=40)
    plotting.plot_decision_boundary(lambda P: (P[:, 0] > 0.5).astype(int), X, y, resolution=20)
    ax = plotting.plot_decision_boundary(lambda P: np.column_stack([P[:, 0], -P[:, 0]]), X, y, resolution=20)
    assert len(ax.collections) >= 2


def test_paths_skip_diverged_points() -> None:
    """Do the descent-path plots draw the finite part of a diverging path without failing?"""
    plotting.plot_path_1d(np.square, [1.0, -2.0, 4.0, np.inf])
    ax = plotting.plot_path_2d(lambda a, b: a**2 + 3 * b**2, np.array([[1.0, 1.0], [0.5, -0.5], [np.nan, 0.0]]))
    red = [line for line in ax.get_lines() if line.get_color() == "tab:red"][0]
    assert len(red.get_xdata()) == 2


def test_plot_chain_writes_values_and_gradients() -> None:
    """Does the chain plot show every forward value and every gradient as text?"""
    ax = plotting.plot_chain([0.5, 2.0, 4.0], [8.0, 4.0, 1.0])
    texts = {t.get_text() for t in ax.texts}
    assert {"0.5", "2", "4", "8", "1"} <= texts


def test_two_paths_on_one_axes_name_start_once() -> None:
    """Is 'start' listed once in the legend when two descent paths share an Axes?"""
    ax = plotting.plot_path_1d(np.square, [1.0, 0.5])
    plotting.plot_path_1d(np.square, [-1.0, -0.5], ax=ax)
    assert ax.get_legend_handles_labels()[1].count("start") == 1
