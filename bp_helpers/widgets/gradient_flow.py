"""Explorer 8 (04_usage): gradient flow (기울기 흐름) through a deep network, with and without residual connections.

Choose the depth, the activation and the initial weight scale (weights drawn with standard deviation
scale / sqrt(width)): the panel draws ||dL/dW_l|| for every layer l on a log scale, for the plain network and for
the same network with residual connections (잔차 연결). Sigmoid loses about a factor 4 per layer (its derivative is at
most 1/4); tanh keeps its gradients at scale 1 (Xavier) and explodes above it; ReLU needs sqrt(2) (He). The residual
network's identity path carries the gradient down whatever the scale.

The measurement itself is the notebook's `layer_gradient_norms(depth, activation, init_scale, residual=...)`, passed
in: nothing here computes a backward pass.
"""

from __future__ import annotations

from collections.abc import Callable

import ipywidgets as widgets
import numpy as np

from bp_helpers.i18n import _
from bp_helpers.widgets._base import Explorer, Frame, View, slider

ACTIVATIONS = ("sigmoid", "tanh", "relu")
MAX_DEPTH = 50


def _decades(values: np.ndarray) -> tuple[float, float]:
    """Log-axis limits in whole decades around the finite, positive values (at least 5 decades tall)."""
    ok = values[np.isfinite(values) & (values > 0)]
    if ok.size == 0:
        return 1e-3, 1e1
    lo, hi = np.floor(np.log10(ok.min())), np.ceil(np.log10(ok.max()))
    if hi - lo < 4:
        mid = (hi + lo) / 2
        lo, hi = np.floor(mid - 2), np.ceil(mid + 2)
    headroom = max(1.0, np.ceil(0.2 * (hi - lo)))  # room above the highest curve for the legend
    return float(10.0**lo), float(10.0 ** (hi + headroom))


class GradientFlowView(View):
    """`render(depth, activation, init_scale, residual)` -> Frame with ||dL/dW_l|| per layer l."""

    def __init__(self, layer_gradient_norms: Callable):
        super().__init__(7.2, 3.6)
        self.measure = layer_gradient_norms
        self.ax = self.fig.add_axes((0.1, 0.14, 0.86, 0.74))
        self.ax.set_yscale("log")
        self.ax.set_xlabel("layer l (1 = next to the input)")
        self.ax.set_ylabel("‖∂L/∂W_l‖")
        (self.plain_line,) = self.ax.plot([], [], "o-", ms=3, lw=1.2, color="tab:blue", label="plain")
        (self.residual_line,) = self.ax.plot([], [], "s-", ms=3, lw=1.2, color="tab:orange", label="residual")
        self.title = self.ax.set_title("", fontsize=10)
        self.ax.legend(loc="upper left", fontsize=8, ncol=2)
        # layers: 0, the log y-axis (its ticks follow the decades shown); 1, the x-axis (its ticks follow the
        # depth); 2, the curves and title. A move that keeps an axis's limits takes that axis from the view's
        # memo, instead of invalidating and redrawing the whole figure. The frame (spines) is drawn after the axes'
        # ticks, as matplotlib orders them.
        self.set_layers([[self.ax.yaxis], [self.ax.xaxis, *self.ax.spines.values()],
                         [self.plain_line, self.residual_line, self.title]])
        self._limits: tuple | None = None

    def render(self, depth: int = 20, activation: str = "tanh", init_scale: float = 1.0,
               residual: bool = True) -> Frame:
        if activation not in ACTIVATIONS:
            raise ValueError(f"unknown activation {activation!r}: choose one of {', '.join(ACTIVATIONS)}")
        depth = int(depth)
        with np.errstate(all="ignore"):
            plain = np.asarray(self.measure(depth, activation, float(init_scale)), dtype=np.float64)
            res = (np.asarray(self.measure(depth, activation, float(init_scale), residual=True), dtype=np.float64)
                   if residual else np.full(depth, np.nan))
        layers = np.arange(1, depth + 1)
        self.plain_line.set_data(layers, plain)
        self.residual_line.set_data(layers, res)
        self.residual_line.set_visible(bool(residual))
        limits = (depth, *_decades(np.concatenate([plain, res])))
        if limits != self._limits:
            self.ax.set_xlim(0.5, depth + 0.5)
            self.ax.set_ylim(limits[1], limits[2])
            self._limits = limits
            self.layer_keys[:2] = [limits[1:], limits[0]]
        ratio = float(plain[0] / plain[-1]) if plain[-1] > 0 else float("inf")
        self.title.set_text(_("{activation}, depth {depth}, std = {scale:.2f}/√width: first/last layer = {ratio:.1e}",
                              activation=activation, depth=depth, scale=init_scale, ratio=ratio))
        numbers = {
            "first layer": float(plain[0]),
            "last layer": float(plain[-1]),
            "first / last": ratio,
            "residual first / last": float(res[0] / res[-1]) if residual and res[-1] > 0 else float("nan"),
            "(1/4)^(depth-1)": 0.25 ** (depth - 1),
            "plain": plain,
            "residual": res,
        }
        return Frame(self.fig, numbers, self)


def gradient_flow_explorer(layer_gradient_norms: Callable) -> Explorer:
    """Depth, activation and initial-scale sliders; the gradient norm of every layer, plain and residual.

    Args:
        layer_gradient_norms: the notebook's `layer_gradient_norms(depth, activation, init_scale, residual=False)`,
            returning ||dL/dW_l|| for l = 1..depth as an array of shape (depth,).
    Returns:
        an ipywidgets container.
    """
    if not callable(layer_gradient_norms):
        raise ValueError("gradient_flow_explorer needs the notebook's layer_gradient_norms: run its cell first, "
                         "then call gradient_flow_explorer(layer_gradient_norms).")
    view = GradientFlowView(layer_gradient_norms)
    controls = {
        "depth": slider(widgets.IntSlider, "depth", min=2, max=MAX_DEPTH, value=20),
        "activation": widgets.Dropdown(options=list(ACTIVATIONS), value="tanh", description="activation",
                                       layout=widgets.Layout(width="200px")),
        "init_scale": slider(widgets.FloatLogSlider, "init scale (× 1/√width)", base=10, min=-0.6, max=0.6,
                             step=0.01, value=1.0, readout_format=".2f"),
        "residual": widgets.Checkbox(value=True, description="with residual connections", indent=False),
    }
    return Explorer(view, controls, lambda: {k: c.value for k, c in controls.items()},
                    layout_rows=[["depth", "activation"], ["init_scale", "residual"]],
                    title="Gradient flow (기울기 흐름): ‖∂L/∂W_l‖ layer by layer",
                    number_keys=["first layer", "last layer", "first / last", "residual first / last",
                                 "(1/4)^(depth-1)"])
