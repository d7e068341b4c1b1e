"""Static plots the notebooks share: function curves, loss curves, decision boundaries, descent paths,
and a chain of nodes with its forward values and backward gradients. Every function returns its Axes.
Importing this module registers a Korean font (`bp_helpers.fonts`), so titles and labels may carry Korean."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

import matplotlib.pyplot as plt
import numpy as np

from bp_helpers.fonts import use_korean_font
from bp_helpers.i18n import translate_plot_text

use_korean_font()  # Korean labels (한국어) render in every plot, not as boxes
translate_plot_text()  # titles and labels in the course's language (BPCOURSE_LANG), from bp_helpers/locale


def _axes(ax):
    if ax is None:
        _, ax = plt.subplots(figsize=(5.5, 3.5))
    return ax


def plot_functions(functions: Mapping[str, Callable[[np.ndarray], np.ndarray]],
                   x_range: tuple[float, float] = (-5.0, 5.0), ax=None, title: str | None = None):
    """Curves of scalar numpy functions over `x_range`, one labelled line each."""
    ax = _axes(ax)
    x = np.linspace(x_range[0], x_range[1], 400)
    for label, f in functions.items():
        ax.plot(x, f(x), label=label)
    ax.axhline(0, color="0.8", lw=0.8)
    ax.axvline(0, color="0.8", lw=0.8)
    ax.legend()
    ax.set_xlabel("x")
    if title:
        ax.set_title(title)
    return ax


def plot_loss_curves(curves: Mapping[str, Sequence[float]], ax=None, log: bool = False, xlabel: str = "step",
                     title: str | None = None):
    """One line per named sequence of losses (e.g. {"train": [...], "validation": [...]})."""
    ax = _axes(ax)
    for label, values in curves.items():
        ax.plot(np.arange(len(values)), values, label=label)
    if log:
        ax.set_yscale("log")
    ax.set_xlabel(xlabel)
    ax.set_ylabel("loss (손실)")
    ax.legend()
    if title:
        ax.set_title(title)
    return ax


def plot_decision_boundary(predict: Callable[[np.ndarray], np.ndarray], X: np.ndarray, y: np.ndarray, ax=None,
                           title: str | None = None, resolution: int = 200):
    """Coloured regions of `predict` over the data's box, with the points (X (N, 2), y (N,)) on top.

    `predict` maps (M, 2) points to (M,) labels, or to (M, C) scores/probabilities (argmax is taken).
    """
    ax = _axes(ax)
    pad = 0.25 * (X.max(axis=0) - X.min(axis=0))
    lo, hi = X.min(axis=0) - pad, X.max(axis=0) + pad
    g0, g1 = np.meshgrid(np.linspace(lo[0], hi[0], resolution), np.linspace(lo[1], hi[1], resolution))
    out = np.asarray(predict(np.column_stack([g0.ravel(), g1.ravel()])))
    labels = out.argmax(axis=1) if out.ndim == 2 else out
    ax.contourf(g0, g1, labels.reshape(g0.shape), alpha=0.3, cmap="coolwarm", levels=np.arange(y.max() + 2) - 0.5)
    ax.scatter(X[:, 0], X[:, 1], c=y, cmap="coolwarm", s=12, edgecolors="k", linewidths=0.3)
    ax.set_xlim(lo[0], hi[0])
    ax.set_ylim(lo[1], hi[1])
    if title:
        ax.set_title(title)
    return ax


def _mark_start(ax, x, y) -> None:
    """A green square at a path's start, named once in the legend however many paths share the Axes."""
    named = "start" in ax.get_legend_handles_labels()[1]
    ax.plot(x, y, "s", color="tab:green", ms=7, label="_nolegend_" if named else "start")
    ax.legend()


def plot_path_1d(f: Callable[[np.ndarray], np.ndarray], xs: Sequence[float], ax=None, title: str | None = None):
    """A 1-D function with a gradient-descent path `xs` (x0 first) drawn on it."""
    ax = _axes(ax)
    path = np.asarray(xs, dtype=np.float64).ravel()
    finite = path[np.isfinite(path)]
    span = max(1.0, float(np.abs(finite).max()) * 1.2) if finite.size else 1.0
    grid = np.linspace(-span, span, 400)
    ax.plot(grid, f(grid), color="0.3")
    ax.plot(finite, f(finite), "o-", color="tab:red", ms=4, lw=1)
    if finite.size:
        _mark_start(ax, finite[:1], f(finite[:1]))
    ax.set_xlabel("x")
    if title:
        ax.set_title(title)
    return ax


def plot_path_2d(f: Callable[[np.ndarray, np.ndarray], np.ndarray], path: np.ndarray, ax=None,
                 title: str | None = None):
    """Contours of f(x1, x2) with a descent `path` of shape (T, 2) drawn on them."""
    ax = _axes(ax)
    path = np.asarray(path, dtype=np.float64)
    finite = path[np.all(np.isfinite(path), axis=1)]
    span = max(1.0, float(np.abs(finite).max()) * 1.2) if finite.size else 1.0
    g = np.linspace(-span, span, 200)
    g0, g1 = np.meshgrid(g, g)
    ax.contour(g0, g1, f(g0, g1), levels=20, cmap="viridis", linewidths=0.7)
    ax.plot(finite[:, 0], finite[:, 1], "o-", color="tab:red", ms=3, lw=1)
    if finite.size:
        _mark_start(ax, finite[:1, 0], finite[:1, 1])
    ax.set_aspect("equal")
    if title:
        ax.set_title(title)
    return ax


def plot_chain(values: Sequence[float], grads: Sequence[float], labels: Sequence[str] | None = None, ax=None,
               title: str | None = None):
    """A chain of nodes left to right: forward values above the arrows, backward gradients below.

    Args:
        values: the value of each node x_0..x_K, forward order.
        grads: d x_K / d x_i for each node, forward order (so grads[-1] == 1).
        labels: node names (default x_0..x_K).
    """
    ax = _axes(ax)
    k = len(values)
    labels = list(labels) if labels is not None else [f"$x_{i}$" for i in range(k)]
    for i in range(k):
        ax.add_patch(plt.Circle((i, 0), 0.28, color="tab:blue", alpha=0.15))
        ax.text(i, 0, labels[i], ha="center", va="center", fontsize=11)
        ax.text(i, 0.45, f"{values[i]:.3g}", ha="center", color="tab:blue")
        ax.text(i, -0.5, f"{grads[i]:.3g}", ha="center", color="tab:red")
        if i < k - 1:
            ax.annotate("", xy=(i + 0.7, 0.12), xytext=(i + 0.3, 0.12),
                        arrowprops={"arrowstyle": "->", "color": "tab:blue"})
            ax.annotate("", xy=(i + 0.3, -0.12), xytext=(i + 0.7, -0.12),
                        arrowprops={"arrowstyle": "->", "color": "tab:red"})
    ax.text(-0.6, 0.45, "value (forward)", ha="right", color="tab:blue", fontsize=9)
    ax.text(-0.6, -0.5, "gradient (backward)", ha="right", color="tab:red", fontsize=9)
    ax.set_xlim(-2.2, k - 0.4)
    ax.set_ylim(-0.9, 0.9)
    ax.set_aspect("equal")  # keeps the nodes round
    ax.axis("off")
    if title:
        ax.set_title(title)
    return ax
