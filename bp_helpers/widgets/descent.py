"""Explorer 4 (03_purpose): gradient descent (경사 하강법) on fixed 1-D and 2-D loss surfaces.

Choose a surface, the learning rate (학습률), the start point and the number of steps: the left panel draws the
path on the surface, the right one how far the loss is above its minimum after each step (log scale). A rate
that is too large overshoots and diverges; on the saddle, a start on the ridge stalls where the gradient is 0.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

import ipywidgets as widgets
import numpy as np
from matplotlib.artist import Artist

from bp_helpers.i18n import _
from bp_helpers.widgets._base import Explorer, Frame, Unfinished, View, slider, student_functions


@dataclass(frozen=True)
class Surface:
    f: Callable  # f(x) for x of shape (D,) or a grid (D, ...)
    grad: Callable  # gradient of f at x of shape (D,)
    dim: int
    f_min: float  # the lowest value of f, for the "gap to the minimum" panel
    box: tuple  # (lo, hi) of the view, and of the start sliders
    ylim: tuple = (0.0, 1.0)  # 1-D only: the loss axis


def _two_valleys(x):
    return x[0] ** 4 - 3 * x[0] ** 2 + x[0]


SURFACES: dict[str, Surface] = {
    "1-D bowl: x²": Surface(lambda x: x[0] ** 2, lambda x: 2 * x, 1, 0.0, (-2.5, 2.5), (-0.5, 6.5)),
    "1-D two valleys: x⁴ − 3x² + x": Surface(
        _two_valleys, lambda x: 4 * x**3 - 6 * x + 1, 1, float(_two_valleys(np.array([-1.3008]))),
        (-2.5, 2.5), (-4.5, 8.0)),
    "2-D narrow valley: (x² + 10y²)/2": Surface(
        lambda x: 0.5 * (x[0] ** 2 + 10 * x[1] ** 2), lambda x: np.array([1.0, 10.0]) * x, 2, 0.0, (-2.5, 2.5)),
    "2-D saddle: x² − y² + y⁴/4": Surface(
        lambda x: x[0] ** 2 - x[1] ** 2 + 0.25 * x[1] ** 4, lambda x: np.array([2 * x[0], -2 * x[1] + x[1] ** 3]),
        2, -1.0, (-2.5, 2.5)),
}
MAX_STEPS = 100
BLOW_UP = 1e6  # a coordinate beyond this counts as diverged; the demo loop stops there


def _demo_descent(grad_fn, x0, lr, steps):
    """The path for the picture (the graded `gradient_descent` is the student's, passed in to replace this)."""
    path = np.full((steps + 1, *np.shape(x0)), np.nan)
    path[0] = x0
    for t in range(steps):
        path[t + 1] = path[t] - lr * grad_fn(path[t])
        if not np.all(np.abs(path[t + 1]) < BLOW_UP):
            break
    return path


class DescentView(View):
    """`render(surface, lr, x0, y0, steps)` -> Frame with the path and the loss after each step."""

    def __init__(self, gradient_descent: Callable | None = None):
        super().__init__(7.6, 3.5)
        self.descend = gradient_descent or _demo_descent
        self.ax = self.fig.add_axes((0.07, 0.14, 0.42, 0.76))
        self.ax_gap = self.fig.add_axes((0.6, 0.14, 0.37, 0.76))
        self.ax_gap.set_yscale("log")
        self.ax_gap.set_ylim(1e-10, 1e8)
        self.ax_gap.set_xlim(0, MAX_STEPS)
        self.ax_gap.set_xlabel("step (단계)")
        self.ax_gap.set_title("loss − minimum (손실 − 최솟값)", fontsize=10)
        (self.gap_line,) = self.ax_gap.plot([], [], ".-", color="tab:red", ms=3, lw=1)
        ax = self.ax
        (self.path_line,) = ax.plot([], [], "o-", color="tab:red", ms=3, lw=1)
        (self.start,) = ax.plot([], [], "s", color="tab:green", ms=7)
        self.status = ax.text(0.5, 0.04, "", transform=ax.transAxes, ha="center", fontsize=10, color="tab:red",
                              fontweight="bold")
        self._drawn: dict[str, Artist] = {}  # each surface's curve or contours, made on its first visit
        # layer 0, the surface panel as a whole (its contours or curve, limits, ticks, title): picking a surface
        # redraws that panel alone; layer 1 is what the sliders move
        self.set_layers([[ax], [self.path_line, self.start, self.status, self.gap_line]])
        self._surface: str | None = None

    def _show_surface(self, name: str) -> None:
        """Show surface `name` in the left panel: its contours (2-D) or curve (1-D), made once, others hidden."""
        s = SURFACES[name]
        ax = self.ax
        lo, hi = s.box
        if name not in self._drawn:
            if s.dim == 1:
                grid = np.linspace(lo, hi, 300)
                (self._drawn[name],) = ax.plot(grid, s.f(grid[None, :]), color="0.3")
            else:
                g = np.linspace(lo, hi, 120)
                g0, g1 = np.meshgrid(g, g)
                self._drawn[name] = ax.contour(g0, g1, s.f(np.stack([g0, g1])), levels=18, cmap="viridis",
                                               linewidths=0.7)
        for shown, artist in self._drawn.items():
            artist.set_visible(shown == name)
        ax.set_ylim(*(s.ylim if s.dim == 1 else (lo, hi)))
        ax.set_xlabel("x")
        ax.set_ylabel("" if s.dim == 1 else "y", labelpad=0)  # a 1-D surface's loss axis has no label
        ax.set_xlim(lo, hi)
        ax.set_title(name, fontsize=10)
        self.layer_keys[0] = name
        self._surface = name

    def render(self, surface: str = next(iter(SURFACES)), lr: float = 0.1, x0: float = 2.0, y0: float = 1.0,
               steps: int = 20) -> Frame:
        if surface not in SURFACES:
            raise ValueError(f"unknown surface {surface!r}: choose one of {', '.join(SURFACES)}")
        if surface != self._surface:
            self._show_surface(surface)
        s = SURFACES[surface]
        start = np.array([x0], dtype=np.float64) if s.dim == 1 else np.array([x0, y0], dtype=np.float64)
        with np.errstate(all="ignore"):
            path = np.asarray(self.descend(s.grad, start.copy(), lr, int(steps)), dtype=np.float64)
            path = path.reshape(len(path), s.dim)
            finite = np.all(np.isfinite(path), axis=1) & np.all(np.abs(path) < BLOW_UP, axis=1)
            losses = np.array([s.f(p) if ok else np.inf for p, ok in zip(path, finite, strict=False)], dtype=np.float64)
        shown = path[finite]
        if s.dim == 1:
            self.path_line.set_data(shown[:, 0], losses[finite])
            self.start.set_data(start[:1], [s.f(start)])
        else:
            self.path_line.set_data(shown[:, 0], shown[:, 1])
            self.start.set_data(start[:1], start[1:])
        gap = np.maximum(losses[finite] - s.f_min, 1e-12)
        self.gap_line.set_data(np.flatnonzero(finite), gap)
        diverged = (not bool(finite.all())) or bool(len(losses) > 2 and losses[-1] > 10 * max(losses[0], 1.0))
        lo, hi = s.box
        left_view = bool(np.any(np.abs(shown) > max(abs(lo), abs(hi))))
        self.status.set_text(_("diverged: the learning rate is too large") if diverged
                             else (_("left the view") if left_view else ""))
        final = path[-1]
        numbers = {
            "final x": [float(v) for v in final],
            "final loss": float(losses[-1]),
            "gradient at end": float(np.linalg.norm(s.grad(final))) if finite[-1] else float("inf"),
            "diverged": diverged,
            "path": path,
        }
        return Frame(self.fig, numbers, self)


def gradient_descent_explorer(gradient_descent: Callable | Mapping | None = None) -> Explorer | Unfinished:
    """Learning rate, start point and steps; the descent path on a 1-D or 2-D loss surface.

    Args:
        gradient_descent: optional, your `gradient_descent(grad_fn, x0, lr, steps) -> trajectory` from 03_purpose;
            when given, the paths drawn are the ones your function returns. Or the notebook's `globals()`.
    Returns:
        an ipywidgets container; while `globals()` has no `gradient_descent` yet, a note saying to write it first.
    """
    found = student_functions(gradient_descent, ["gradient_descent"])
    if isinstance(found, Unfinished):
        return found
    view = DescentView(found["gradient_descent"])
    controls = {
        "surface": widgets.Dropdown(options=list(SURFACES), description="surface",
                                    layout=widgets.Layout(width="330px")),
        "lr": slider(widgets.FloatLogSlider, "learning rate", base=10, min=-3, max=0.5, step=0.05, value=0.1,
                     readout_format=".3f"),
        "steps": slider(widgets.IntSlider, "steps", min=1, max=MAX_STEPS, value=20),
        "x0": slider(widgets.FloatSlider, "start x", min=-2.4, max=2.4, step=0.05, value=2.0),
        "y0": slider(widgets.FloatSlider, "start y (2-D)", min=-2.4, max=2.4, step=0.05, value=1.0),
    }
    return Explorer(view, controls, lambda: {k: c.value for k, c in controls.items()},
                    layout_rows=[["surface", "lr"], ["steps", "x0", "y0"]],
                    title="Gradient descent (경사 하강법): x ← x − learning rate × gradient",
                    number_keys=["final x", "final loss", "gradient at end", "diverged"])
