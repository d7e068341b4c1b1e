"""Do the explorers update in place and still draw exactly what a freshly built explorer draws?

Moving a control updates the artists that change (a menu's panel is redrawn alone, or comes from the view's memo
of what it drew before) instead of clearing axes and redrawing the whole figure. Each test here moves the
controls through a sequence that revisits menu entries, and after every move compares the explorer's picture,
pixel for pixel, with a fresh view rendered at the same settings (what the old rebuild drew); it also checks that
no figure, axes or artist is added per update and that a menu move does not redraw the whole figure.
No timings here: speed is measured by benchmarks/bench_widgets.py.
"""

from __future__ import annotations

import io

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
from PIL import Image  # noqa: E402
from test_widgets import GRAPH_NAMES, reference  # noqa: E402

from bp_helpers import widgets  # noqa: E402
from bp_helpers.widgets.descent import SURFACES, DescentView  # noqa: E402
from bp_helpers.widgets.gradient_flow import GradientFlowView  # noqa: E402
from bp_helpers.widgets.graph import WEIGHTS, GraphView  # noqa: E402
from bp_helpers.widgets.neuron import NeuronView  # noqa: E402
from bp_helpers.widgets.recurrence import RecurrentGradientView, recurrent_gradient_explorer  # noqa: E402
from bp_helpers.widgets.signal_flow import CHAINS, SignalFlowView  # noqa: E402

pytestmark = pytest.mark.slow  # about 20 s of drawing: kept out of `make test-fast`, which must stay under a minute
from bp_helpers.widgets.training import NEEDED, TrainingView  # noqa: E402


def pixels(png: bytes) -> np.ndarray:
    """A PNG's RGB pixels, shape (height, width, 3)."""
    return np.asarray(Image.open(io.BytesIO(png)).convert("RGB"))


def assert_same_picture(shown: bytes, fresh: bytes, what: str) -> None:
    a, b = pixels(shown), pixels(fresh)
    assert a.shape == b.shape, f"{what}: the figure's size changed ({a.shape} against {b.shape})"
    differ = int(np.any(a != b, axis=-1).sum())
    assert differ == 0, f"{what}: {differ} pixels differ from a freshly built explorer at the same settings"


def artists(fig) -> int:
    """How many artists the figure holds (axes, their children, recursively): constant once every entry was shown."""
    return sum(1 for _ in fig.findobj())


class DrawCounter:
    """Counts full-figure draws (`canvas.draw`) of one view's figure."""

    def __init__(self, monkeypatch, fig):
        self.count = 0
        original = fig.canvas.draw

        def counted(*args, **kwargs):
            self.count += 1
            return original(*args, **kwargs)

        monkeypatch.setattr(fig.canvas, "draw", counted)


def walk(explorer, fresh_view, moves: list[tuple[str, object]], monkeypatch, menus: tuple[str, ...]) -> None:
    """Make each move on `explorer`; after each, compare with `fresh_view()` rendered at the explorer's settings.

    Also checks: no pyplot figure appears, the figure keeps its axes, the artists stop growing once every menu
    entry was shown (a second pass over the moves adds none), and no menu move redraws the whole figure.
    """
    view, state = explorer.view, explorer._state
    fig, axes = view.fig, list(view.fig.axes)
    figures = plt.get_fignums()
    draws = DrawCounter(monkeypatch, fig)
    counts, fresh = [], {}  # fresh pictures by settings: the second pass compares with the first pass's
    for _pass in range(2):
        for name, value in moves:
            explorer.controls[name].value = value
            assert explorer.error is None, f"moving {name} to {value!r} failed: {explorer.error!r}"
            settings = state()
            key = repr(sorted(settings.items()))
            if key not in fresh:
                fresh[key] = fresh_view().render(**settings).png()
            assert_same_picture(explorer.image.value, fresh[key], f"after moving {name} to {value!r} ({settings})")
        counts.append(artists(fig))
    assert view.fig is fig and list(fig.axes) == axes, "an update made a new figure or new axes"
    assert plt.get_fignums() == figures, "an update opened a pyplot figure"
    assert counts[1] == counts[0], f"a second pass over the same settings added artists ({counts})"
    assert draws.count == 0, f"{draws.count} moves of {', '.join(menus)} redrew the whole figure"


def test_signal_flow_chain_menu_updates_in_place(monkeypatch) -> None:
    e = widgets.signal_flow_explorer()
    chains = list(CHAINS)
    moves = [("chain", chains[1]), ("x", -1.2), ("chain", chains[2]), ("x", 1.7), ("chain", chains[0]),
             ("chain", chains[1]), ("x", 0.5)]
    walk(e, SignalFlowView, moves, monkeypatch, ("chain",))
    labels = [t.get_text() for t in e.view.label_texts]
    assert labels == ["$x_0$"] + [label for label, _, _ in CHAINS[chains[1]]]


def test_neuron_activation_menu_updates_in_place(monkeypatch) -> None:
    e = widgets.neuron_explorer()
    moves = [("activation", "relu"), ("w1", 2.0), ("activation", "identity"), ("b", -1.0), ("activation", "tanh"),
             ("activation", "relu"), ("w2", 0.4), ("activation", "sigmoid")]
    walk(e, NeuronView, moves, monkeypatch, ("activation",))


def test_descent_surface_menu_updates_in_place(monkeypatch) -> None:
    e = widgets.gradient_descent_explorer()
    names = list(SURFACES)
    moves = [("surface", names[2]), ("lr", 0.05), ("surface", names[1]), ("x0", -1.0), ("surface", names[3]),
             ("y0", 0.0), ("surface", names[0]), ("surface", names[2]), ("steps", 40)]
    walk(e, DescentView, moves, monkeypatch, ("surface",))
    shown = [a for a in e.view._drawn.values() if a.get_visible()]
    assert shown == [e.view._drawn[names[2]]], "another surface's curve or contours stayed visible"


def test_graph_weight_menu_updates_in_place(monkeypatch) -> None:
    functions = reference("04_usage", GRAPH_NAMES)
    e = widgets.computational_graph_explorer(functions)
    moves = [("stage", 9), ("weight", WEIGHTS[0]), ("delta", -0.4), ("weight", WEIGHTS[5]), ("stage", 4),
             ("weight", WEIGHTS[8]), ("weight", WEIGHTS[0]), ("stage", 9), ("delta", 0.8), ("weight", WEIGHTS[5])]
    walk(e, lambda: GraphView(functions), moves, monkeypatch, ("weight",))


def test_gradient_flow_updates_in_place(monkeypatch) -> None:
    measure = reference("04_usage", ["layer_gradient_norms"])["layer_gradient_norms"]
    e = widgets.gradient_flow_explorer(measure)
    moves = [("depth", 8), ("activation", "sigmoid"), ("init_scale", 2.5), ("residual", False), ("depth", 30),
             ("activation", "tanh"), ("init_scale", 1.0), ("residual", True), ("depth", 20)]
    walk(e, lambda: GradientFlowView(measure), moves, monkeypatch, ("depth", "activation", "init_scale"))


def test_recurrent_gradients_update_in_place(monkeypatch) -> None:
    measure = reference("04_usage", ["hidden_gradient_norms"])["hidden_gradient_norms"]
    e = recurrent_gradient_explorer(measure)
    moves = [("steps", 20), ("scale", 0.8), ("input_scale", 1.0), ("max_norm", 1.0), ("steps", 60),
             ("scale", 1.3), ("input_scale", 1e-6), ("steps", 40)]
    walk(e, lambda: RecurrentGradientView(measure), moves, monkeypatch, ("steps", "scale", "input_scale"))


def test_dashboard_settings_update_in_place(monkeypatch) -> None:
    d = widgets.training_dashboard(reference("04_usage", NEEDED))
    fig, axes = d.view.fig, list(d.view.fig.axes)
    draws = DrawCounter(monkeypatch, fig)
    counts = []
    for _pass in range(2):
        for name, value in [("activation", "tanh"), ("hidden", 8), ("lr", 0.2), ("epochs", 200), ("layers", 2),
                            ("dataset", "xor"), ("hidden", 16), ("dataset", "moons"), ("epochs", 300)]:
            d.controls[name].value = value
            assert d.error is None, f"setting {name} to {value!r} failed: {d.error!r}"
            assert_same_picture(d.image.value, TrainingView().render(d.run, d.controls["epochs"].value).png(),
                                f"after setting {name} to {value!r}")
        counts.append(artists(fig))
    d.controls["speed"].value = 0  # full speed: no pacing to wait for
    d.train(blocking=True)  # a trained network: the picture changes, the figure's frame comes from the memo
    assert_same_picture(d.image.value, TrainingView().render(d.run, d.controls["epochs"].value).png(),
                        "after training")
    assert d.view.fig is fig and list(fig.axes) == axes and counts[1] == counts[0]
    # a new dataset redraws the data panel alone, new epochs the loss panel's x-axis alone; a setting that keeps
    # both (activation, hidden units, rate, layers) redraws only what training moves
    assert draws.count == 0, f"{draws.count} settings redrew the whole figure"




class TextDraws:
    """Records every Text drawn while installed (tick labels, axis labels, titles)."""

    def __init__(self, monkeypatch):
        from matplotlib.text import Text

        self.drawn: list = []
        original = Text.draw

        def counted(text, renderer):
            self.drawn.append(text)
            return original(text, renderer)

        monkeypatch.setattr(Text, "draw", counted)

    def of(self, axis) -> list:
        """The drawn texts that belong to `axis` (its tick labels and its label)."""
        own = {axis.label, *(t.label1 for t in axis.get_major_ticks()), *(t.label1 for t in axis.get_minor_ticks())}
        return [t for t in self.drawn if t in own]


def test_graph_weight_menu_keeps_the_number_labels_and_legend(monkeypatch) -> None:
    """Picking another weight at the same step draws none of the graph's number labels nor the legend's words again
    (composited layers, drawn once per step), and the picture stays within 2/255 of drawing them in place."""
    functions = reference("04_usage", GRAPH_NAMES)
    view = GraphView(functions)
    view.render(stage=9, weight=WEIGHTS[0]).png()
    kept = {view.stage_text, view.bias_text, *view.values.values(), *view.grads.values(), *view.edge_texts.values(),
            *view.ax_w.get_legend().texts}
    draws = TextDraws(monkeypatch)
    for weight in WEIGHTS[1:]:
        shown = view.render(stage=9, weight=weight).png()
    redrawn = [t for t in draws.drawn if t in kept]
    assert not redrawn, f"picking a weight redrew {len(redrawn)} labels that do not change with it"
    in_place = GraphView(functions)
    in_place.set_layers(in_place._layers)  # the same layers, none composited: every artist drawn on the canvas
    drawn_in_place = pixels(in_place.render(stage=9, weight=WEIGHTS[-1]).png()).astype(int)
    worst = int(np.abs(pixels(shown).astype(int) - drawn_in_place).max())
    assert worst <= 2, f"composited labels differ from labels drawn in place by up to {worst}/255"


def test_a_new_y_range_or_dataset_does_not_redraw_the_other_axis(monkeypatch) -> None:
    """New decades on the recurrent explorer's log y-axis (a new s) draw none of its x-axis's labels again, and a
    new dataset on the dashboard none of the loss panel's x-axis labels (that axis is a composited layer, kept by
    the longest T or the epochs)."""
    measure = reference("04_usage", ["hidden_gradient_norms"])["hidden_gradient_norms"]
    e = recurrent_gradient_explorer(measure)
    limits = e.view._limits
    draws = TextDraws(monkeypatch)
    e.controls["scale"].value = 0.6
    assert e.view._limits[1:] != limits[1:], "the move should have changed the y-axis's decades"
    assert draws.of(e.view.ax.yaxis), "the new decades were not drawn"
    assert not draws.of(e.view.ax.xaxis), "new decades redrew the x-axis, whose ticks did not change"

    d = widgets.training_dashboard(reference("04_usage", NEEDED))
    draws.drawn.clear()
    d.controls["dataset"].value = "xor"
    assert draws.of(d.view.ax_b.xaxis), "the new dataset's panel was not drawn"
    assert not draws.of(d.view.ax_l.xaxis), "a new dataset redrew the loss panel's x-axis, whose ticks did not change"
