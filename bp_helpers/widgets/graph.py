"""Explorer 5 (04_usage): a small network drawn as a computational graph (계산 그래프), run with YOUR layers.

x (1, 2) -> dense (W1, b1) -> activation -> dense (W2, b2) -> score s -> MSE against a target t.
Step forward, then backward: each node shows its value (blue) and, once the backward pass reaches it, the
gradient of the loss with respect to it (red); the weights show their gradients on the edges. Pick a weight
and slide its change Δ: the right panel compares the actual change in loss with the gradient's prediction
dL/dw · Δ (they agree for small Δ; the gap grows like Δ²).

Nothing here implements a graded function: the forward and backward passes are the ones passed in.
"""

from __future__ import annotations

import types
from collections.abc import Callable, Mapping

import ipywidgets as widgets
import numpy as np
from matplotlib.patches import Circle
from matplotlib.text import Text

from bp_helpers.i18n import _, label
from bp_helpers.widgets._base import Explorer, Frame, Unfinished, View, error_html, missing_functions, slider

X = np.array([[0.5, -1.0]])
TARGET = np.array([[1.5]])
START = {
    "W1": np.array([[0.8, -0.5], [0.3, 0.9]]),
    "b1": np.array([0.1, -0.2]),
    "W2": np.array([[1.2], [-0.7]]),
    "b2": np.array([0.05]),
}
WEIGHTS = [f"W1[{i},{j}]" for i in range(2) for j in range(2)] + ["b1[0]", "b1[1]", "W2[0,0]", "W2[1,0]", "b2[0]"]
STAGES = ["(nothing yet)", "forward: input x", "forward: z = x W1 + b1", "forward: h = activation(z)",
          "forward: s = h W2 + b2", "forward: loss L", "backward: dL/ds", "backward: dL/dh, dL/dW2, dL/db2",
          "backward: dL/dz", "backward: dL/dx, dL/dW1, dL/db1"]
POS = {"x0": (0.0, 1.0), "x1": (0.0, -1.0), "z0": (1.7, 1.0), "z1": (1.7, -1.0), "h0": (2.9, 1.0),
       "h1": (2.9, -1.0), "s": (4.3, 0.0), "L": (5.4, 0.0)}


def _key(weight: str) -> tuple[str, tuple[int, ...]]:
    name, index = weight.split("[")
    return name, tuple(int(i) for i in index.rstrip("]").split(","))


class GraphView(View):
    """`render(stage, weight, delta)` -> Frame with the graph, the loss along one weight, and the numbers."""

    def __init__(self, functions: Mapping[str, Callable], activation: str = "tanh"):
        super().__init__(8.4, 3.9)
        self.f = functions
        self.activation = activation
        self.params = {k: v.copy() for k, v in START.items()}
        ax = self.ax = self.fig.add_axes((0.0, 0.0, 0.62, 0.92))
        ax.set_xlim(-0.7, 5.9)
        ax.set_ylim(-1.9, 1.8)
        ax.axis("off")
        self.stage_text = ax.text(-0.6, 1.7, "", fontsize=10, va="top", fontweight="bold")
        self.edges: dict[str, tuple[tuple[float, float], tuple[float, float]]] = {}
        self.edge_texts: dict[str, Text] = {}
        for i in range(2):
            for j in range(2):
                self._edge(f"x{i}", f"z{j}", f"W1[{i},{j}]", 0.5 if i == j else 0.36)
            self._edge(f"z{i}", f"h{i}", None, 0.5)
            self._edge(f"h{i}", "s", f"W2[{i},0]", 0.5)
        self._edge("s", "L", None, 0.5)
        names = {"x0": "$x_1$", "x1": "$x_2$", "z0": "$z_1$", "z1": "$z_2$", "h0": "$h_1$", "h1": "$h_2$",
                 "s": "$s$", "L": "$L$"}
        self.values, self.grads = {}, {}
        for node, (px, py) in POS.items():
            ax.add_patch(Circle((px, py), 0.26, color="tab:blue", alpha=0.15, zorder=1))
            ax.text(px, py, names[node], ha="center", va="center", fontsize=11, zorder=3)
            self.values[node] = ax.text(px, py + 0.34, "", ha="center", color="tab:blue", fontsize=9)
            self.grads[node] = ax.text(px, py - 0.34, "", ha="center", va="top", color="tab:red", fontsize=9)
        ax.text(POS["L"][0], POS["L"][1] - 0.9, f"target t = {TARGET[0, 0]:g}", ha="center", fontsize=8)
        ax.text(0.5 * (POS["z0"][0] + POS["h0"][0]), 1.25, activation, ha="center", fontsize=8, color="0.4")
        self.bias_text = ax.text(-0.6, -1.85, "", fontsize=8, color="0.2")
        (self.highlight,) = ax.plot([], [], color="tab:orange", lw=4, alpha=0.6, zorder=0)

        self.ax_w = self.fig.add_axes((0.66, 0.14, 0.32, 0.72))
        self.ax_w.set_ylabel("loss L (손실)", labelpad=0)
        (self.curve,) = self.ax_w.plot([], [], color="0.3", lw=1.5, label="actual L")
        (self.tangent,) = self.ax_w.plot([], [], color="tab:red", lw=1.2, label="gradient's prediction")
        (self.actual_pt,) = self.ax_w.plot([], [], "o", color="0.2", ms=5)
        (self.pred_pt,) = self.ax_w.plot([], [], "o", color="tab:red", ms=5)
        (self.base_pt,) = self.ax_w.plot([], [], "s", color="tab:blue", ms=5)
        legend = self.ax_w.legend(loc="upper center", fontsize=7, frameon=False)
        # y given: where matplotlib puts a title over an axes with its ticks below, so it skips measuring the tick
        # labels on every redraw to place it
        self.w_title = self.ax_w.set_title("", fontsize=9, y=1.0)
        self._graph_texts = ([self.stage_text, self.bias_text] + list(self.values.values())
                             + list(self.grads.values()) + list(self.edge_texts.values()))
        # layer 0, what picking a weight changes: the loss panel (its limits, ticks and labels), the loss along that
        # weight (drawn over the frame, as it always was) and the weight's edge highlighted; layers 1 and 2 are
        # composited over it from transparent images drawn once: the legend (the same for every weight), then the
        # graph's ~30 number labels (the same for every weight at one step; the highlight lies under them);
        # layer 3 what Δ moves
        self.set_layers([[self.ax_w, self.curve, self.highlight], [legend], self._graph_texts,
                         [self.tangent, self.actual_pt, self.pred_pt, self.base_pt, self.w_title]],
                        composited={1, 2})
        self.layer_keys[1] = "legend"
        self._weight: str | None = None

    def _edge(self, a: str, b: str, weight: str | None, where: float) -> None:
        (ax0, ay0), (bx, by) = POS[a], POS[b]
        self.ax.annotate("", xy=(bx - 0.27, by), xytext=(ax0 + 0.27, ay0) if ay0 == by else (ax0 + 0.25, ay0),
                         arrowprops={"arrowstyle": "->", "color": "0.55", "lw": 0.8, "shrinkA": 0, "shrinkB": 0})
        if weight is not None:
            tx, ty = ax0 + where * (bx - ax0), ay0 + where * (by - ay0)
            self.edges[weight] = ((ax0, ay0), (bx, by))
            self.edge_texts[weight] = self.ax.text(tx, ty, "", ha="center", va="center", fontsize=7, color="0.15",
                                                   bbox={"fc": "white", "ec": "none", "alpha": 0.75, "pad": 0.5})

    # --- the passes, with the functions passed in -------------------------------------------------------------
    def forward(self, params):
        f = self.f
        z, c1 = f["dense_forward"](X, params["W1"], params["b1"])
        h, ca = f[f"{self.activation}_forward"](z)
        s, c2 = f["dense_forward"](h, params["W2"], params["b2"])
        loss, cl = f["mse_forward"](s, TARGET)
        return {"z": z, "h": h, "s": s, "L": float(loss)}, (c1, ca, c2, cl)

    def backward(self, caches):
        f = self.f
        c1, ca, c2, cl = caches
        ds = f["mse_backward"](cl)
        dh, dW2, db2 = f["dense_backward"](ds, c2)
        dz = f[f"{self.activation}_backward"](dh, ca)
        dx, dW1, db1 = f["dense_backward"](dz, c1)
        return {"s": ds, "h": dh, "z": dz, "x": dx, "W1": dW1, "b1": db1, "W2": dW2, "b2": db2}

    def loss_at(self, weight: str, value: float) -> float:
        name, index = _key(weight)
        params = {k: v.copy() for k, v in self.params.items()}
        params[name][index] = value
        return self.forward(params)[0]["L"]

    def render(self, stage: int = 9, weight: str = "W2[0,0]", delta: float = 0.3) -> Frame:
        stage = int(stage)
        if weight not in WEIGHTS:
            raise ValueError(f"unknown weight {weight!r}: choose one of {', '.join(WEIGHTS)}")
        vals, caches = self.forward(self.params)
        self.layer_keys[2] = stage  # the graph's labels depend on it only (the parameters are fixed)
        grads = self.backward(caches)
        self.stage_text.set_text(_("step {stage}/{last}: {what}", stage=stage, last=len(STAGES) - 1,
                                   what=label(STAGES[stage])))
        show_v = {"x": stage >= 1, "z": stage >= 2, "h": stage >= 3, "s": stage >= 4, "L": stage >= 5}
        show_g = {"L": stage >= 6, "s": stage >= 6, "h": stage >= 7, "z": stage >= 8, "x": stage >= 9}
        node_val = {"x0": X[0, 0], "x1": X[0, 1], "z0": vals["z"][0, 0], "z1": vals["z"][0, 1],
                    "h0": vals["h"][0, 0], "h1": vals["h"][0, 1], "s": vals["s"][0, 0], "L": vals["L"]}
        node_grad = {"x0": grads["x"][0, 0], "x1": grads["x"][0, 1], "z0": grads["z"][0, 0],
                     "z1": grads["z"][0, 1], "h0": grads["h"][0, 0], "h1": grads["h"][0, 1],
                     "s": grads["s"][0, 0], "L": 1.0}
        for node in POS:
            kind = node[0] if node not in ("s", "L") else node
            self.values[node].set_text(f"{node_val[node]:.3f}" if show_v[kind] else "")
            self.grads[node].set_text(f"∂L: {node_grad[node]:.3f}" if show_g[kind] else "")
        for w, text in self.edge_texts.items():
            name, index = _key(w)
            shown = f"{self.params[name][index]:.2f}"
            if (name == "W2" and stage >= 7) or (name == "W1" and stage >= 9):
                shown += f"\n∂L {grads[name][index]:.3f}"
            text.set_text(shown)
        bias = f"b1 = {np.round(self.params['b1'], 2).tolist()}, b2 = {np.round(self.params['b2'], 2).tolist()}"
        if stage >= 9:
            bias += f";  ∂L/∂b1 = {np.round(grads['b1'], 3).tolist()}, ∂L/∂b2 = {np.round(grads['b2'], 3).tolist()}"
        self.bias_text.set_text(bias)
        if weight in self.edges:
            (ax0, ay0), (bx, by) = self.edges[weight]
            self.highlight.set_data([ax0 + 0.27, bx - 0.27], [ay0, by])
        else:
            self.highlight.set_data([], [])

        name, index = _key(weight)
        w0 = float(self.params[name][index])
        slope = float(grads[name][index])
        base = vals["L"]
        actual = self.loss_at(weight, w0 + delta) - base
        predicted = slope * delta
        if weight != self._weight:
            ws = np.linspace(w0 - 1.0, w0 + 1.0, 41)
            ls = np.array([self.loss_at(weight, w) for w in ws])
            self.curve.set_data(ws, ls)
            self.ax_w.set_xlim(ws[0], ws[-1])
            pad = 0.1 * (ls.max() - ls.min() + 1e-6)
            self.ax_w.set_ylim(min(ls.min(), base - abs(slope)) - pad, max(ls.max(), base + abs(slope)) + pad)
            self.ax_w.set_xlabel(_("weight {name}", name=weight), labelpad=0)
            self._weight = weight
            self.layer_keys[0] = weight
        self.tangent.set_data([w0 - 1.0, w0 + 1.0], [base - slope, base + slope])
        self.base_pt.set_data([w0], [base])
        self.actual_pt.set_data([w0 + delta], [base + actual])
        self.pred_pt.set_data([w0 + delta], [base + predicted])
        self.w_title.set_text(_("Δ = {delta:+.2f}: actual ΔL {actual:+.4f}, predicted {predicted:+.4f}", delta=delta,
                                actual=actual, predicted=predicted))
        h = 1e-6
        numeric = (self.loss_at(weight, w0 + h) - self.loss_at(weight, w0 - h)) / (2 * h)
        numbers = {"loss": base, "dL/dw": slope, "delta": float(delta), "actual change": actual,
                   "predicted change": predicted, "numerical dL/dw": numeric, "gradients": grads, "values": vals}
        return Frame(self.fig, numbers, self)


def computational_graph_explorer(functions: Mapping | None = None, *, activation: str = "tanh",
                                 **implementations: Callable) -> Explorer | Unfinished:
    """A small network as a graph: step forward then backward with YOUR layer functions.

    Args:
        functions: where to find your implementations, usually `globals()` of the notebook; it needs
            dense_forward, dense_backward, <activation>_forward, <activation>_backward, mse_forward, mse_backward.
        activation: "tanh" (default), "sigmoid" or "relu".
        **implementations: the same functions by name, overriding `functions`.
    Returns:
        an ipywidgets container; while some of those functions are not defined, a note saying which to write first.
    """
    names = ["dense_forward", "dense_backward", f"{activation}_forward", f"{activation}_backward", "mse_forward",
             "mse_backward"]
    missing = missing_functions(functions, implementations, names)
    if missing:
        return Unfinished(missing)
    fns = {**dict(functions or {}), **{k: v for k, v in implementations.items() if v is not None}}
    fns = {name: fns[name] for name in names}
    view = GraphView(fns, activation)
    controls = {
        "stage": slider(widgets.IntSlider, "step", min=0, max=len(STAGES) - 1, value=0, width="300px"),
        "weight": widgets.Dropdown(options=WEIGHTS, value="W2[0,0]", description="weight",
                                   layout=widgets.Layout(width="200px")),
        "delta": slider(widgets.FloatSlider, "change Δ", min=-1.0, max=1.0, step=0.01, value=0.3),
    }
    back = widgets.Button(description="◀ step back", layout=widgets.Layout(width="110px"))
    step = widgets.Button(description="step ▶", button_style="primary", layout=widgets.Layout(width="110px"))
    reset = widgets.Button(description="reset", layout=widgets.Layout(width="80px"))

    def move(by: int) -> None:
        s = controls["stage"]
        s.value = min(max(s.value + by, s.min), s.max)

    back.on_click(lambda _b: move(-1))
    step.on_click(lambda _b: move(+1))
    reset.on_click(lambda _b: setattr(controls["stage"], "value", 0))
    box = Explorer(view, controls, lambda: {k: c.value for k, c in controls.items()},
                   layout_rows=[["stage"], ["weight", "delta"]],
                   extra=[widgets.HBox([back, step, reset])],
                   title="Computational graph (계산 그래프): forward, then backward",
                   number_keys=["loss", "dL/dw", "delta", "actual change", "predicted change", "numerical dL/dw"])
    box.buttons = {"back": back, "step": step, "reset": reset}
    return box


# --- your own engine's graph (04e) --------------------------------------------------------------------------------

MAX_VALUE_NODES = 40  # beyond this the drawing is unreadable


def _node_name(node) -> str:
    label = getattr(node, "label", "")
    op = getattr(node, "_op", "")
    return str(label) if label else (op if op else "leaf")


def _levels(order: list) -> dict[int, int]:
    """Depth of each node (by id): 0 for the inputs, else 1 + the deepest of its inputs (order is topological)."""
    level: dict[int, int] = {}
    for node in order:
        level[id(node)] = 1 + max((level[id(p)] for p in node._prev if id(p) in level), default=-1)
    return level


class ValueGraphView(View):
    """`render(step)`: the graph of a scalar engine's output, after `step` nodes of its backward pass.

    The backward pass is the engine's own: grads are zeroed, the output seeded with 1, and the `_backward()` of the
    first `step` nodes of the reversed topological order are called, in that order. The node just processed is
    highlighted (orange), with the edges to the inputs it has just added into.
    """

    def __init__(self, root, topological_order: Callable):
        order = list(topological_order(root))
        if not order or order[-1] is not root:
            raise ValueError("topological_order(root) should end with root itself: check your topological_order.")
        if len(order) > MAX_VALUE_NODES:
            raise ValueError(f"the graph has {len(order)} nodes; the explorer draws at most {MAX_VALUE_NODES}: "
                             "build a smaller expression.")
        for node in order:
            if not np.isscalar(node.data) and np.ndim(node.data) != 0:
                raise ValueError("the explorer draws scalar graphs (Value); this node holds an array.")
        self.root, self.order = root, order
        self.reverse = list(reversed(order))
        level = _levels(order)
        depth = max(level.values())
        by_level: dict[int, list] = {}
        for node in order:
            by_level.setdefault(level[id(node)], []).append(node)
        width = max(6.0, 1.5 * (depth + 1) + 1.0)
        height = max(3.2, 1.0 * max(len(v) for v in by_level.values()) + 1.4)
        super().__init__(width, height)
        ax = self.ax = self.fig.add_axes((0.0, 0.0, 1.0, 1.0))
        self.pos: dict[int, tuple[float, float]] = {}
        for lvl, nodes in by_level.items():
            for k, node in enumerate(nodes):
                self.pos[id(node)] = (float(lvl), (len(nodes) - 1) / 2.0 - k)
        ys = [p[1] for p in self.pos.values()]
        ax.set_xlim(-0.6, depth + 0.6)
        ax.set_ylim(min(ys) - 0.9, max(ys) + 0.9)
        ax.axis("off")
        for node in order:
            for parent in node._prev:
                (x0, y0), (x1, y1) = self.pos[id(parent)], self.pos[id(node)]
                ax.annotate("", xy=(x1 - 0.2, y1), xytext=(x0 + 0.2, y0),
                            arrowprops={"arrowstyle": "->", "color": "0.6", "lw": 0.8})
        self.grad_texts, self.circles = {}, {}
        for node in order:
            px, py = self.pos[id(node)]
            self.circles[id(node)] = Circle((px, py), 0.19, color="tab:blue", alpha=0.15, zorder=1)
            ax.add_patch(self.circles[id(node)])
            ax.text(px, py, _node_name(node), ha="center", va="center", fontsize=8, zorder=3)
            ax.text(px, py + 0.25, f"{float(node.data):.3g}", ha="center", color="tab:blue", fontsize=8)
            self.grad_texts[id(node)] = ax.text(px, py - 0.25, "", ha="center", va="top", color="tab:red", fontsize=8)
        self.marker = Circle((0, 0), 0.22, fill=False, color="tab:orange", lw=3, zorder=4, visible=False)
        ax.add_patch(self.marker)
        (self.edges_hl,) = ax.plot([], [], color="tab:orange", lw=3, alpha=0.6, zorder=0)
        self.title = ax.text(-0.55, max(ys) + 0.8, "", fontsize=9, va="top", fontweight="bold")
        self.set_dynamic([self.marker, self.edges_hl, self.title, *self.grad_texts.values()])

    def render(self, step: int = 0) -> Frame:
        step = int(min(max(int(step), 0), len(self.order)))
        for node in self.order:
            node.grad = 0.0
        self.root.grad = 1.0
        for node in self.reverse[:step]:
            node._backward()
        for node in self.order:
            self.grad_texts[id(node)].set_text(f"∂ {float(node.grad):.3g}")
        if step == 0:
            self.marker.set_visible(False)
            self.edges_hl.set_data([], [])
            self.title.set_text(_("seed: output grad = 1; {count} nodes to process, in reverse topological order",
                                  count=len(self.order)))
            current = None
        else:
            current = self.reverse[step - 1]
            px, py = self.pos[id(current)]
            self.marker.center = (px, py)
            self.marker.set_visible(True)
            xs, ys = [], []
            for parent in current._prev:
                qx, qy = self.pos[id(parent)]
                xs += [qx, px, np.nan]
                ys += [qy, py, np.nan]
            self.edges_hl.set_data(xs, ys)
            self.title.set_text(_("step {step}/{count}: {node}._backward() added into its {inputs} input(s)",
                                  step=step, count=len(self.order), node=_node_name(current),
                                  inputs=len(current._prev)))
        numbers = {"step": step, "nodes": len(self.order),
                   "processed": _node_name(current) if current is not None else "(seed only)",
                   "grads": [float(node.grad) for node in self.order]}
        return Frame(self.fig, numbers, self)


def value_graph_explorer(root, topological_order: Callable) -> Explorer | widgets.HTML:
    """Draw YOUR scalar engine's graph of `root` with values and gradients; step through its backward pass.

    Args:
        root: the output Value of an expression (at most 40 nodes), or a function of no arguments that builds and
            returns it (so that a `Value` not written yet is named here rather than raising in the cell); nodes
            need .data, .grad, ._prev, ._backward and optionally ._op and .label (the name drawn).
        topological_order: your function (04e): root -> list of nodes, inputs first, root last.
    Returns:
        an ipywidgets container. Its step buttons re-run your backward pass up to the chosen node, so the graph's
        .grad values are left as the last step shown. While `Value` or `topological_order` is not written yet, a
        one-line note naming what to write first.
    """
    try:
        if isinstance(root, types.FunctionType):
            root = root()
        view = ValueGraphView(root, topological_order)
    except (NotImplementedError, NameError) as err:  # the student's engine, unfinished: named, not a traceback
        return widgets.HTML(error_html(err))
    n = len(view.order)
    stage = slider(widgets.IntSlider, "nodes processed", min=0, max=n, value=0, width="300px")
    back = widgets.Button(description="◀ step back", layout=widgets.Layout(width="110px"))
    step = widgets.Button(description="step ▶", button_style="primary", layout=widgets.Layout(width="110px"))
    reset = widgets.Button(description="reset", layout=widgets.Layout(width="80px"))

    def move(by: int) -> None:
        stage.value = min(max(stage.value + by, stage.min), stage.max)

    back.on_click(lambda _b: move(-1))
    step.on_click(lambda _b: move(+1))
    reset.on_click(lambda _b: setattr(stage, "value", 0))
    box = Explorer(view, {"step": stage}, lambda: {"step": stage.value}, extra=[widgets.HBox([back, step, reset])],
                   title="Your engine's backward pass, one node at a time (위상 정렬의 역순)",
                   number_keys=["step", "nodes", "processed"])
    box.buttons = {"back": back, "step": step, "reset": reset}
    return box
