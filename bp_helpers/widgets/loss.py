"""Explorer 3 (02_definition): one prediction against MSE and binary cross-entropy, the gradient as the tangent.

Slide the prediction p for a target y: each panel draws the loss (손실) as a function of p, the current point,
and the tangent line whose slope is d loss / d p (기울기). Cross-entropy's slope grows without bound as p moves
to the wrong end, MSE's stays bounded: the reason classifiers use cross-entropy.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

import ipywidgets as widgets
import numpy as np

from bp_helpers.i18n import _
from bp_helpers.widgets._base import Explorer, Frame, Unfinished, View, slider, student_functions

EPS = 1e-12


def _demo_mse(p: float, y: float) -> float:
    return (p - y) ** 2


def _demo_bce(p: float, y: float) -> float:
    p = min(max(p, EPS), 1 - EPS)
    return -(y * np.log(p) + (1 - y) * np.log(1 - p))


def _demo_mse_slope(p: float, y: float) -> float:
    return 2 * (p - y)


def _demo_bce_slope(p: float, y: float) -> float:
    return (p - y) / (p * (1 - p))


def _scalar_loss(forward: Callable) -> Callable[[float, float], float]:
    """Wrap a notebook's `*_forward(pred, target) -> (loss, cache)` as a function of two floats."""
    def loss(p: float, y: float) -> float:
        out = forward(np.array([[p]], dtype=np.float64), np.array([[y]], dtype=np.float64))
        return float(out[0] if isinstance(out, tuple) else out)
    return loss


def _central_slope(loss: Callable[[float, float], float], p: float, y: float, h: float = 1e-6) -> float:
    return (loss(p + h, y) - loss(p - h, y)) / (2 * h)


class LossView(View):
    """`render(p, y)` -> Frame with both losses, their slopes, and the tangents drawn."""

    GRID = np.linspace(0.005, 0.995, 199)

    def __init__(self, mse_forward: Callable | None = None, binary_cross_entropy_forward: Callable | None = None):
        super().__init__(7.6, 3.2)
        self.student = mse_forward is not None or binary_cross_entropy_forward is not None
        self.mse = _scalar_loss(mse_forward) if mse_forward else _demo_mse
        self.bce = _scalar_loss(binary_cross_entropy_forward) if binary_cross_entropy_forward else _demo_bce
        self.mse_slope = (lambda p, y: _central_slope(self.mse, p, y)) if mse_forward else _demo_mse_slope
        self.bce_slope = ((lambda p, y: _central_slope(self.bce, p, y)) if binary_cross_entropy_forward
                          else _demo_bce_slope)
        self.axes, self.curves, self.tangents, self.points, self.labels = [], [], [], [], []
        for i, name in enumerate(["mean squared error", "binary cross-entropy"]):
            ax = self.fig.add_axes((0.07 + 0.5 * i, 0.16, 0.4, 0.72))
            ax.set_title(name, fontsize=10)
            ax.set_xlabel("prediction $p$")
            ax.set_xlim(0, 1)
            (curve,) = ax.plot([], [], color="0.3", lw=1.5)
            (tangent,) = ax.plot([], [], color="tab:red", lw=1.5)
            (point,) = ax.plot([], [], "o", color="tab:blue")
            label = ax.text(0.5, 0.93, "", transform=ax.transAxes, ha="center", va="top", fontsize=9,
                            color="tab:red")
            self.axes.append(ax)
            self.curves.append(curve)
            self.tangents.append(tangent)
            self.points.append(point)
            self.labels.append(label)
        self.axes[0].set_ylim(-0.05, 1.1)
        self.axes[1].set_ylim(-0.2, 5.5)
        self.set_dynamic(self.curves + self.tangents + self.points + self.labels)
        self._y: float | None = None

    def render(self, p: float = 0.3, y: float = 1.0) -> Frame:
        if not 0.0 < p < 1.0:
            raise ValueError(f"the prediction p must lie strictly between 0 and 1, got {p}")
        if y != self._y:
            self.curves[0].set_data(self.GRID, [self.mse(g, y) for g in self.GRID])
            self.curves[1].set_data(self.GRID, [self.bce(g, y) for g in self.GRID])
            self._y = y
        numbers = {}
        for i, (name, loss, slope) in enumerate([("mse", self.mse, self.mse_slope), ("bce", self.bce, self.bce_slope)]):
            value, grad = float(loss(p, y)), float(slope(p, y))
            half = 0.15
            self.tangents[i].set_data([p - half, p + half], [value - half * grad, value + half * grad])
            self.points[i].set_data([p], [value])
            self.labels[i].set_text(_("loss {value:.3f},  slope d loss/dp = {slope:.3f}", value=value, slope=grad))
            numbers[name] = value
            numbers[f"d{name}/dp"] = grad
        return Frame(self.fig, numbers, self)


def loss_explorer(mse_forward: Callable | Mapping | None = None,
                  binary_cross_entropy_forward: Callable | None = None) -> Explorer | Unfinished:
    """A prediction slider against MSE and binary cross-entropy, with the gradient drawn as the tangent.

    Args:
        mse_forward, binary_cross_entropy_forward: optional, your functions from 02_definition; when given, the
            curves are drawn with them and the tangent's slope is their central difference. Or the notebook's
            `globals()` in place of the first, to take both from there.
    Returns:
        an ipywidgets container; while `globals()` lacks one of them, a note saying which to write first.
    """
    found = student_functions(mse_forward, ["mse_forward", "binary_cross_entropy_forward"])
    if isinstance(found, Unfinished):
        return found
    view = LossView(found["mse_forward"], found.get("binary_cross_entropy_forward", binary_cross_entropy_forward))
    controls = {
        "p": slider(widgets.FloatSlider, "prediction $p$", min=0.01, max=0.99, step=0.01, value=0.3),
        "y": widgets.ToggleButtons(options=[("target y = 0", 0.0), ("target y = 1", 1.0)], value=1.0,
                                   style={"button_width": "110px"}),
    }
    return Explorer(view, controls, lambda: {k: c.value for k, c in controls.items()},
                    title="Loss functions (손실 함수) and their gradients (기울기)")
