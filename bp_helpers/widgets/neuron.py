"""Explorer 2 (02_definition): one neuron, a(w1 x1 + w2 x2 + b), over the input line and the input plane.

Move the weights (가중치) and the bias (편향) and pick the activation (활성화 함수): the left panel shows the output
along the line x2 = 0, the right one over the plane, with the line where the pre-activation z is 0.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

import ipywidgets as widgets
import numpy as np

from bp_helpers.i18n import _
from bp_helpers.widgets._base import Explorer, Frame, Unfinished, View, from_namespace, is_namespace, slider

# Demo curves for the picture; the graded *_forward functions (with their caches) are the student's to write.
DEMO_ACTIVATIONS: dict[str, Callable[[np.ndarray], np.ndarray]] = {
    "sigmoid": lambda z: 0.5 * (1.0 + np.tanh(0.5 * z)),
    "tanh": np.tanh,
    "relu": lambda z: np.maximum(z, 0.0),
    "identity": lambda z: z,
}
RANGES = {"sigmoid": (-0.1, 1.1), "tanh": (-1.15, 1.15), "relu": (-1.0, 8.0), "identity": (-8.0, 8.0)}
PROBE = (1.0, -0.5)  # the input whose z and output are printed under the figure
SPAN = 3.0


def _as_output(result):
    """Accept f(z) -> out and f(z) -> (out, cache), as the notebook's *_forward functions return."""
    return np.asarray(result[0] if isinstance(result, tuple) else result, dtype=np.float64)


class NeuronView(View):
    """`render(w1, w2, b, activation)` -> Frame with the neuron's output on the line and on the plane."""

    def __init__(self, activations: Mapping[str, Callable] | None = None):
        super().__init__(7.6, 3.4)
        self.activations = dict(DEMO_ACTIVATIONS)
        self.activations.update(activations or {})
        self.line_x = np.linspace(-SPAN, SPAN, 161)
        g = np.linspace(-SPAN, SPAN, 81)
        self.g0, self.g1 = np.meshgrid(g, g)
        self.ax_line = self.fig.add_axes((0.08, 0.15, 0.38, 0.75))
        self.ax_plane = self.fig.add_axes((0.55, 0.15, 0.4, 0.75))
        (self.curve,) = self.ax_line.plot([], [], color="tab:blue", lw=2, label="output $a(z)$")
        (self.zline,) = self.ax_line.plot([], [], "--", color="0.5", lw=1, label="$z = w_1 x_1 + b$")
        (self.probe_line,) = self.ax_line.plot([], [], "o", color="tab:red", ms=6)
        self.ax_line.axhline(0, color="0.85", lw=0.8)
        self.ax_line.axvline(0, color="0.85", lw=0.8)
        self.ax_line.set_xlim(-SPAN, SPAN)
        self.ax_line.set_xlabel("$x_1$ (with $x_2 = 0$)")
        self.ax_line.legend(loc="upper left", fontsize=8, frameon=False)
        self.image = self.ax_plane.imshow(np.zeros_like(self.g0), extent=(-SPAN, SPAN, -SPAN, SPAN), origin="lower",
                                          cmap="viridis", aspect="auto", interpolation="bilinear")
        (self.boundary,) = self.ax_plane.plot([], [], color="white", lw=1.5, label="$z = 0$")
        (self.probe_plane,) = self.ax_plane.plot([PROBE[0]], [PROBE[1]], "o", color="tab:red", ms=6)
        self.ax_plane.set_xlim(-SPAN, SPAN)
        self.ax_plane.set_ylim(-SPAN, SPAN)
        self.ax_plane.set_xlabel("$x_1$")
        self.ax_plane.set_ylabel("$x_2$", labelpad=0)
        self.title = self.ax_plane.set_title("", fontsize=9)
        # layer 0, the line panel as a whole (its y limits, ticks and the line y = 0 follow the activation): picking
        # an activation redraws that panel alone; layer 1 is what the sliders move
        self.set_layers([[self.ax_line], [self.curve, self.zline, self.probe_line, self.image, self.boundary,
                                          self.probe_plane, self.title]])
        self._activation: str | None = None

    def render(self, w1: float = 1.0, w2: float = -1.0, b: float = 0.0, activation: str = "sigmoid") -> Frame:
        if activation not in self.activations:
            raise ValueError(f"unknown activation {activation!r}: choose one of {', '.join(self.activations)}")
        act = self.activations[activation]
        if activation != self._activation:
            self.ax_line.set_ylim(*RANGES.get(activation, (-8.0, 8.0)))
            self._activation = activation
            self.layer_keys[0] = activation
        z_line = w1 * self.line_x + b
        self.curve.set_data(self.line_x, _as_output(act(z_line[:, None]))[:, 0])
        self.zline.set_data(self.line_x, z_line)
        plane = _as_output(act(w1 * self.g0 + w2 * self.g1 + b))
        self.image.set_data(plane)
        lo, hi = RANGES.get(activation, (float(plane.min()), float(plane.max())))
        self.image.set_clim(lo, hi)
        # the line w1 x1 + w2 x2 + b = 0, drawn across the box
        if abs(w2) > 1e-9:
            xs = np.array([-SPAN, SPAN])
            self.boundary.set_data(xs, -(w1 * xs + b) / w2)
        elif abs(w1) > 1e-9:
            self.boundary.set_data([-b / w1, -b / w1], [-SPAN, SPAN])
        else:
            self.boundary.set_data([], [])
        z_probe = w1 * PROBE[0] + w2 * PROBE[1] + b
        out_probe = float(_as_output(act(np.array([[z_probe]])))[0, 0])
        out_line_probe = float(_as_output(act(np.array([[w1 * PROBE[0] + b]])))[0, 0])
        self.probe_line.set_data([PROBE[0]], [out_line_probe])
        self.title.set_text(_("{activation}$(w_1 x_1 + w_2 x_2 + b)$; red dot: $x = {probe}$", activation=activation,
                              probe=PROBE))
        numbers = {"z at probe": float(z_probe), "output at probe": out_probe,
                   "output range": (float(plane.min()), float(plane.max()))}
        return Frame(self.fig, numbers, self)


def neuron_explorer(activations: Mapping[str, Callable] | None = None) -> Explorer | Unfinished:
    """Weights, bias and activation of one neuron; its output over the input line and plane.

    Args:
        activations: optional {name: function}; your own `sigmoid_forward`, `relu_forward`, `tanh_forward` may be
            passed as they are (a returned (out, cache) pair is accepted), e.g.
            `neuron_explorer({"sigmoid": sigmoid_forward, "relu": relu_forward, "tanh": tanh_forward})`, or
            the notebook's `globals()`, from which those three are taken.
    Returns:
        an ipywidgets container; while `globals()` lacks one of the three, a note saying which to write first.
    """
    if is_namespace(activations):
        found = from_namespace(activations, [f"{name}_forward" for name in ("sigmoid", "tanh", "relu")])
        if isinstance(found, Unfinished):
            return found
        activations = {name.removesuffix("_forward"): fn for name, fn in found.items()}
    view = NeuronView(activations)
    controls = {
        "w1": slider(widgets.FloatSlider, "weight $w_1$", min=-3.0, max=3.0, step=0.1, value=1.0),
        "w2": slider(widgets.FloatSlider, "weight $w_2$", min=-3.0, max=3.0, step=0.1, value=-1.0),
        "b": slider(widgets.FloatSlider, "bias $b$", min=-3.0, max=3.0, step=0.1, value=0.0),
        "activation": widgets.Dropdown(options=list(view.activations), value="sigmoid", description="activation",
                                       layout=widgets.Layout(width="220px")),
    }
    return Explorer(view, controls, lambda: {k: c.value for k, c in controls.items()},
                    layout_rows=[["w1", "w2"], ["b", "activation"]],
                    title="One neuron (뉴런): output = activation(w·x + b)",
                    number_keys=["z at probe", "output at probe"])
