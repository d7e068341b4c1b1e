"""Explorer (04g_layers): vanishing and exploding gradients through time (시간에 따른 역전파) in a tanh RNN.

Choose the spectral norm s of the recurrent weight W_h (W_h = s Q with Q orthogonal, so every singular value and
every eigenvalue modulus is s), the longest sequence T and the input scale: the panel draws ||dL/dh_0|| for L =
<g, h_T> against T on a log scale, with the prediction s^T of tanh's linear range as a dashed line, and the clipping
threshold as a dotted one. Small inputs keep the states near 0, where tanh' = 1, and the gradient follows s^T;
large inputs saturate tanh and the gradient vanishes even for s > 1.

The measurement itself is the notebook's `hidden_gradient_norms(T, scale, input_scale=...)`, passed in: it runs the
student's rnn_forward and rnn_backward. Nothing here computes a backward pass.
"""

from __future__ import annotations

from collections.abc import Callable

import ipywidgets as widgets
import numpy as np

from bp_helpers.i18n import _
from bp_helpers.widgets._base import Explorer, Frame, View, slider
from bp_helpers.widgets.gradient_flow import _decades

MAX_STEPS = 60


class RecurrentGradientView(View):
    """`render(steps, scale, input_scale, max_norm)` -> Frame with ||dL/dh_0|| for T = 1..steps."""

    def __init__(self, hidden_gradient_norms: Callable):
        super().__init__(7.2, 3.6)
        self.measure = hidden_gradient_norms
        self.ax = self.fig.add_axes((0.1, 0.14, 0.86, 0.74))
        self.ax.set_yscale("log")
        self.ax.set_xlabel("sequence length T")
        self.ax.set_ylabel("‖∂L/∂h_0‖")
        (self.measured,) = self.ax.plot([], [], "o-", ms=3, lw=1.2, color="tab:blue", label="your rnn_backward")
        (self.predicted,) = self.ax.plot([], [], "--", lw=1.0, color="tab:gray", label="s^T × ‖∂L/∂h_0‖ at T = 1 / s")
        (self.clip_line,) = self.ax.plot([], [], ":", lw=1.2, color="tab:red", label="clipping threshold")
        self.title = self.ax.set_title("", fontsize=10)
        self.ax.legend(loc="upper left", fontsize=8, ncol=3)
        # layers: 0, the log y-axis (its ticks follow the decades shown); 1, the x-axis (its ticks follow the
        # longest T), composited over layer 0 from a transparent image kept by T, so new decades (a new s or input
        # scale) redraw the y-axis alone; 2, the curves and title. A move that keeps an axis's limits takes that
        # axis from the view's memo, instead of invalidating and redrawing the whole figure. The frame (spines) is
        # drawn after the axes' ticks, as matplotlib orders them.
        self.set_layers([[self.ax.yaxis], [self.ax.xaxis, *self.ax.spines.values()],
                         [self.measured, self.predicted, self.clip_line, self.title]], composited={1})
        self._limits: tuple | None = None

    def render(self, steps: int = 40, scale: float = 1.1, input_scale: float = 1e-6, max_norm: float = 10.0) -> Frame:
        steps = int(steps)
        with np.errstate(all="ignore"):
            norms = np.asarray(self.measure(steps, float(scale), input_scale=float(input_scale)), dtype=np.float64)
        lengths = np.arange(1, steps + 1)
        predicted = norms[0] / scale * scale ** lengths.astype(np.float64)
        self.measured.set_data(lengths, norms)
        self.predicted.set_data(lengths, predicted)
        self.clip_line.set_data([0.5, steps + 0.5], [max_norm, max_norm])
        limits = (steps, *_decades(np.concatenate([norms, predicted, [max_norm]])))
        if limits != self._limits:
            self.ax.set_xlim(0.5, steps + 0.5)
            self.ax.set_ylim(limits[1], limits[2])
            self._limits = limits
            self.layer_keys[:2] = [limits[1:], limits[0]]
        growth = float(norms[-1] / norms[-2]) if steps > 1 and norms[-2] > 0 else float("nan")
        self.title.set_text(_("spectral norm s = {scale:.2f}, input scale {input_scale:.0e}: factor per step "
                              "{growth:.3f}", scale=scale, input_scale=input_scale, growth=growth))
        numbers = {
            "‖∂L/∂h_0‖ at T = 1": float(norms[0]),
            f"at T = {steps}": float(norms[-1]),
            "factor per step": growth,
            "s": float(scale),
            "clipped at T": float(min(norms[-1], max_norm)),
            "norms": norms,
        }
        return Frame(self.fig, numbers, self)


def recurrent_gradient_explorer(hidden_gradient_norms: Callable) -> Explorer:
    """Spectral-norm, length, input-scale and clipping sliders; ||dL/dh_0|| against the sequence length.

    Args:
        hidden_gradient_norms: the notebook's `hidden_gradient_norms(T, scale, input_scale=...)`, returning
            ||dL/dh_0|| for sequence lengths 1..T as an array of shape (T,).
    Returns:
        an ipywidgets container.
    """
    if not callable(hidden_gradient_norms):
        raise ValueError("recurrent_gradient_explorer needs the notebook's hidden_gradient_norms: run its cell "
                         "first, then call recurrent_gradient_explorer(hidden_gradient_norms).")
    view = RecurrentGradientView(hidden_gradient_norms)
    controls = {
        "steps": slider(widgets.IntSlider, "longest T", min=2, max=MAX_STEPS, value=40),
        "scale": slider(widgets.FloatSlider, "spectral norm s of W_h", min=0.5, max=1.5, step=0.01, value=1.1),
        "input_scale": slider(widgets.FloatLogSlider, "input scale", base=10, min=-6, max=1, step=0.1, value=1e-6,
                              readout_format=".0e"),
        "max_norm": slider(widgets.FloatLogSlider, "clip at", base=10, min=-1, max=3, step=0.1, value=10.0,
                           readout_format=".1f"),
    }
    return Explorer(view, controls, lambda: {k: c.value for k, c in controls.items()},
                    layout_rows=[["steps", "scale"], ["input_scale", "max_norm"]],
                    title="Backpropagation through time (시간에 따른 역전파): ‖∂L/∂h_0‖ against T",
                    number_keys=["‖∂L/∂h_0‖ at T = 1", "factor per step", "s", "clipped at T"])
