"""Explorer 1 (01_term): a scalar chain whose values flow forward and whose gradient flows back.

Slide the input x_0: each node shows its value (forward, blue) and d x_K / d x_i (backward, red); each edge
shows its local derivative, and the backward signal is the running product of those local derivatives. The
lower panel draws the whole chain x_K(x_0) with its tangent at x_0, whose slope is the first red number.

The demo chains here are fixed illustrations, not the notebook's graded chain. By default the backward
numbers are computed independently of the running product (the complex-step derivative of the rest of the
chain, exact to rounding), so passing the student's `propagate_back` shows their product beside it.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

import ipywidgets as widgets
import numpy as np
from matplotlib.patches import Circle

from bp_helpers.widgets._base import Explorer, Frame, Unfinished, View, slider, student_functions

Stage = tuple[str, Callable, Callable]  # (label of the node it produces, f, df/dinput)

CHAINS: dict[str, list[Stage]] = {
    "x → x² → sin → exp": [
        ("$x^2$", lambda v: v * v, lambda v: 2 * v),
        ("$\\sin$", np.sin, np.cos),
        ("$\\exp$", np.exp, np.exp),
    ],
    "x → 3x+1 → tanh → square": [
        ("$3x+1$", lambda v: 3 * v + 1, lambda v: 3.0 + 0 * v),
        ("$\\tanh$", np.tanh, lambda v: 1 - np.tanh(v) ** 2),
        ("$(\\cdot)^2$", lambda v: v * v, lambda v: 2 * v),
    ],
    "x → sin → x·x → 0.5x": [
        ("$\\sin$", np.sin, np.cos),
        ("$x\\cdot x$", lambda v: v * v, lambda v: 2 * v),
        ("$0.5x$", lambda v: 0.5 * v, lambda v: 0.5 + 0 * v),
    ],
}

_STEP = 1e-20  # complex-step size: d f(x) / dx = Im f(x + i h) / h, no subtraction, so no cancellation


def _run(stages: list[Stage], x: float) -> list[float]:
    values = [float(x)]
    for _, f, _ in stages:
        values.append(float(f(values[-1])))
    return values


def _suffix_derivative(stages: list[Stage], start: int, value: float) -> float:
    """d x_K / d x_start by the complex step through stages[start:], independent of any running product."""
    v = complex(value, _STEP)
    for _, f, _ in stages[start:]:
        v = f(v)
    return float(np.imag(v) / _STEP)


class SignalFlowView(View):
    """Draws a chain; `render(chain, x)` -> Frame with values, local derivatives and gradients."""

    def __init__(self, propagate_back: Callable | None = None):
        super().__init__(7.6, 4.4)
        self.propagate_back = propagate_back
        self.ax_chain = self.fig.add_axes((0.02, 0.45, 0.96, 0.53))
        self.ax_curve = self.fig.add_axes((0.09, 0.1, 0.88, 0.3))
        self._nodes = 0  # how many nodes the drawn skeleton has
        self._chain_name: str | None = None

    def _build_skeleton(self, k: int) -> None:
        """The parts every chain of k nodes shares: circles, arrows, captions, the curve panel's frame and legend.

        Only the node labels and the curve panel (its curve, limits and ticks) differ between chains: they form
        layer 0 (key: the chain's name), so picking a chain redraws them alone; layer 1 is what x moves.
        """
        ax = self.ax_chain
        ax.clear()
        self.label_texts, self.value_texts, self.grad_texts, self.local_texts = [], [], [], []
        for i in range(k):
            ax.add_patch(Circle((i, 0), 0.3, color="tab:blue", alpha=0.15))
            self.label_texts.append(ax.text(i, 0, "", ha="center", va="center", fontsize=11))
            ax.text(i, -0.38, f"$x_{i}$", ha="center", va="top", fontsize=8, color="0.4")
            self.value_texts.append(ax.text(i, 0.42, "", ha="center", color="tab:blue", fontsize=11))
            self.grad_texts.append(ax.text(i, -0.72, "", ha="center", color="tab:red", fontsize=11))
            if i < k - 1:
                ax.annotate("", xy=(i + 0.68, 0.1), xytext=(i + 0.32, 0.1),
                            arrowprops={"arrowstyle": "->", "color": "tab:blue"})
                ax.annotate("", xy=(i + 0.32, -0.1), xytext=(i + 0.68, -0.1),
                            arrowprops={"arrowstyle": "->", "color": "tab:red"})
                self.local_texts.append(ax.text(i + 0.5, -0.3, "", ha="center", color="tab:purple", fontsize=9))
        ax.text(-0.45, 0.42, "value\n(forward)", ha="right", va="center", color="tab:blue", fontsize=9)
        ax.text(-0.45, -0.72, "$\\partial x_K/\\partial x_i$\n(backward)", ha="right", va="center",
                color="tab:red", fontsize=9)
        ax.text(k - 1.5, 0.85, "edges: local derivative $\\ell_i = \\partial x_{i+1}/\\partial x_i$",
                ha="center", color="tab:purple", fontsize=9)
        ax.set_xlim(-1.6, k - 0.5)
        ax.set_ylim(-1.0, 1.0)
        ax.axis("off")

        curve = self.ax_curve
        curve.clear()
        (self.chain_curve,) = curve.plot([], [], color="0.3", lw=1.2)
        (self.tangent,) = curve.plot([], [], color="tab:red", lw=1.2,
                                     label="tangent, slope $\\partial x_K/\\partial x_0$")
        (self.point,) = curve.plot([], [], "o", color="tab:blue")
        curve.set_xlim(-2.0, 2.0)
        curve.set_xlabel("$x_0$", labelpad=0)
        curve.set_ylabel("$x_K$")
        curve.legend(loc="upper left", fontsize=8, frameon=False)
        self._nodes = k
        self._chain_name = None
        self.set_layers([self.label_texts + [curve],
                         self.value_texts + self.grad_texts + self.local_texts + [self.tangent, self.point]])

    def _show_chain(self, name: str) -> None:
        """Set layer 0 to chain `name`: its node labels, its curve x_K(x_0) and the curve panel's y limits."""
        stages = CHAINS[name]
        if len(stages) + 1 != self._nodes:
            self._build_skeleton(len(stages) + 1)
        labels = ["$x_0$"] + [f"{label}" for label, _, _ in stages]
        for text, shown in zip(self.label_texts, labels, strict=True):
            text.set_text(shown)
        grid = np.linspace(-2.0, 2.0, 201)
        ys = grid
        for _, f, _ in stages:  # the stage functions are numpy functions: the whole grid at once
            ys = f(ys)
        self.chain_curve.set_data(grid, ys)
        pad = 0.15 * (ys.max() - ys.min() + 1e-9)
        self.ax_curve.set_ylim(ys.min() - pad, ys.max() + pad)
        self.layer_keys[0] = name
        self._chain_name = name

    def render(self, chain: str = next(iter(CHAINS)), x: float = 0.5) -> Frame:
        if chain not in CHAINS:
            raise ValueError(f"unknown chain {chain!r}: choose one of {', '.join(CHAINS)}")
        if chain != self._chain_name:
            self._show_chain(chain)
        stages = CHAINS[chain]
        values = _run(stages, x)
        local = [float(df(v)) for (_, _, df), v in zip(stages, values[:-1], strict=False)]
        grads = [_suffix_derivative(stages, i, values[i]) for i in range(len(stages))] + [1.0]
        numbers: dict[str, float | list[float]] = {"x_K": values[-1], "dx_K/dx_0": grads[0]}
        if self.propagate_back is not None:
            back = [float(g) for g in self.propagate_back(list(local))]  # output -> input, as the exercise returns
            yours = back[::-1]
            numbers["your dx_K/dx_0"] = yours[0] if yours else float("nan")
            numbers["yours agrees"] = bool(len(yours) == len(grads) and np.allclose(yours, grads, rtol=1e-6))
            shown = yours if len(yours) == len(grads) else grads
        else:
            shown = grads
        for text, v in zip(self.value_texts, values, strict=False):
            text.set_text(f"{v:.3f}")
        for text, g in zip(self.grad_texts, shown, strict=False):
            text.set_text(f"{g:.3f}")
        for text, d in zip(self.local_texts, local, strict=False):
            text.set_text(f"×{d:.3f}")
        half = 0.6
        self.tangent.set_data([x - half, x + half], [values[-1] - half * grads[0], values[-1] + half * grads[0]])
        self.point.set_data([x], [values[-1]])
        numbers.update({"values": values, "local_derivatives": local, "gradients": grads})
        return Frame(self.fig, numbers, self)


def signal_flow_explorer(propagate_back: Callable | Mapping | None = None) -> Explorer | Unfinished:
    """Slide the input of a scalar chain and watch values flow forward and gradients flow back.

    Args:
        propagate_back: optional, your `propagate_back(local_derivatives)` from 01_term, or the notebook's
            `globals()` to take it from there; when given, the red numbers are your running products, and the
            line below says whether they match the chain's derivative.
    Returns:
        an ipywidgets container (display it as the last line of a cell); while `globals()` has no
        `propagate_back` yet, a note saying to write it first.
    """
    found = student_functions(propagate_back, ["propagate_back"])
    if isinstance(found, Unfinished):
        return found
    view = SignalFlowView(found["propagate_back"])
    controls = {
        "chain": widgets.Dropdown(options=list(CHAINS), description="chain", layout=widgets.Layout(width="300px")),
        "x": slider(widgets.FloatSlider, "input $x_0$", min=-2.0, max=2.0, step=0.05, value=0.5),
    }
    keys = ["x_K", "dx_K/dx_0"] + (["your dx_K/dx_0", "yours agrees"] if found["propagate_back"] else [])
    return Explorer(view, controls, lambda: {k: c.value for k, c in controls.items()},
                    title="Signal flow: forward values, backward gradients (순전파 / 역전파)", number_keys=keys)
