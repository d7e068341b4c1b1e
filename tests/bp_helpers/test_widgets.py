"""Do the eight explorers build, redraw on every control, and show the right numbers (no browser needed)?

The explorers that run forward and backward passes get them from the instructor notebooks in solutions/
(grader.course.reference), as the widgets-only view does; where a solution notebook is missing, a minimal
stand-in defined here takes its place (a test never needs the real answers to exercise a widget).
"""

from __future__ import annotations

import json
import re
import time

import matplotlib

matplotlib.use("Agg")

import ipywidgets  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

from bp_helpers import widgets  # noqa: E402
from bp_helpers.widgets import descent, signal_flow  # noqa: E402
from bp_helpers.widgets._base import Unfinished  # noqa: E402
from bp_helpers.widgets.training import NEEDED  # noqa: E402
from grader.errors import CourseError  # noqa: E402


# --- minimal stand-ins, used only where solutions/ lacks a notebook ---------------------------------------------
def _dense_forward(x, W, b):
    return x @ W + b, (x, W, b)


def _dense_backward(dout, cache):
    x, W, _ = cache
    return dout @ W.T, x.T @ dout, dout.sum(axis=0)


def _tanh_forward(z):
    return np.tanh(z), z


def _tanh_backward(dout, z):
    return dout * (1 - np.tanh(z) ** 2)


def _relu_forward(z):
    return np.maximum(z, 0.0), z


def _relu_backward(dout, z):
    return dout * (z > 0)


def _mse_forward(pred, target):
    return float(np.mean((pred - target) ** 2)), (pred, target)


def _mse_backward(cache):
    pred, target = cache
    return 2 * (pred - target) / pred.size


def _mlp_forward(x, params, activation="relu"):
    acts = {"relu": _relu_forward, "tanh": _tanh_forward}
    layers, out, caches = len(params) // 2, x, []
    for i in range(1, layers + 1):
        out, dense_cache = _dense_forward(out, params[f"W{i}"], params[f"b{i}"])
        if i < layers:
            out, act_cache = acts[activation](out)
            caches.append((dense_cache, activation, act_cache))
        else:
            caches.append((dense_cache, None, None))
    return out, caches


def _mlp_backward(dscores, caches):
    backs = {"relu": _relu_backward, "tanh": _tanh_backward}
    grads, d = {}, dscores
    for i in range(len(caches), 0, -1):
        dense_cache, name, act_cache = caches[i - 1]
        if name is not None:
            d = backs[name](d, act_cache)
        d, grads[f"W{i}"], grads[f"b{i}"] = _dense_backward(d, dense_cache)
    return grads


def _softmax_cross_entropy_forward(logits, y):
    z = logits - logits.max(axis=1, keepdims=True)
    logp = z - np.log(np.exp(z).sum(axis=1, keepdims=True))
    return float(-logp[np.arange(len(y)), y].mean()), (np.exp(logp), y)


def _softmax_cross_entropy_backward(cache):
    probs, y = cache
    d = probs.copy()
    d[np.arange(len(y)), y] -= 1
    return d / len(y)


def _sgd_step(params, grads, lr):
    for key in params:
        params[key] -= lr * grads[key]


def _layer_gradient_norms(depth, activation="tanh", init_scale=1.0, residual=False, width=16, n=8, seed=0):
    rng = np.random.default_rng(seed)
    f = {"sigmoid": lambda z: 1 / (1 + np.exp(-z)), "tanh": np.tanh, "relu": lambda z: np.maximum(z, 0)}[activation]
    local = {"sigmoid": lambda z, a: a * (1 - a), "tanh": lambda z, a: 1 - a * a,
             "relu": lambda z, a: (z > 0) * 1.0}[activation]
    weights = rng.normal(size=(depth, width, width)) * init_scale / np.sqrt(width)
    branch = 1 / np.sqrt(depth) if residual else 1.0
    h, saved = rng.normal(size=(n, width)), []
    for W in weights:
        z = h @ W
        a = f(z)
        saved.append((h, z, a))
        h = h + branch * a if residual else a
    dh, norms = rng.normal(size=h.shape) / n, np.empty(depth)
    for layer in range(depth - 1, -1, -1):
        h_in, z, a = saved[layer]
        dz = dh * branch * local(z, a)
        norms[layer] = np.linalg.norm(h_in.T @ dz)
        dh = dh + dz @ weights[layer].T if residual else dz @ weights[layer].T
    return norms


STAND_INS = {
    "dense_forward": _dense_forward, "dense_backward": _dense_backward, "tanh_forward": _tanh_forward,
    "tanh_backward": _tanh_backward, "relu_forward": _relu_forward, "relu_backward": _relu_backward,
    "mse_forward": _mse_forward, "mse_backward": _mse_backward, "mlp_forward": _mlp_forward,
    "mlp_backward": _mlp_backward, "softmax_cross_entropy_forward": _softmax_cross_entropy_forward,
    "softmax_cross_entropy_backward": _softmax_cross_entropy_backward, "sgd_step": _sgd_step,
    "layer_gradient_norms": _layer_gradient_norms,
}

GRAPH_NAMES = ["dense_forward", "dense_backward", "tanh_forward", "tanh_backward", "mse_forward", "mse_backward"]


def reference(assignment: str, names: list[str]) -> dict:
    """The solution notebooks' functions where solutions/ has them, the stand-ins above otherwise."""
    from grader.student.explore import functions_for

    found = {}
    for name in names:
        try:
            found.update(functions_for(assignment, [name]))
        except CourseError:
            found[name] = STAND_INS[name]
    return found


def move(explorer, name: str, value):
    """Set one control and check the explorer drew a new, different figure; returns the new frame's numbers."""
    before, renders = explorer.image.value, explorer.renders
    explorer.controls[name].value = value
    assert explorer.error is None, f"moving {name} to {value!r} failed: {explorer.error!r}"
    assert explorer.renders > renders, f"moving {name} to {value!r} drew nothing"
    assert explorer.image.value != before, f"moving {name} to {value!r} left the figure unchanged"
    assert explorer.image.value[:8] == b"\x89PNG\r\n\x1a\n"
    return explorer.frame.numbers


# --- the package ----------------------------------------------------------------------------------------------
def test_package_exports_the_eight_constructors() -> None:
    """Does bp_helpers.widgets export exactly the nine explorer constructors?"""
    assert widgets.__all__ == ["signal_flow_explorer", "neuron_explorer", "loss_explorer",
                               "gradient_descent_explorer", "computational_graph_explorer", "value_graph_explorer",
                               "training_dashboard",
                               "cost_comparison_explorer", "gradient_flow_explorer"]
    for name in widgets.__all__:
        assert callable(getattr(widgets, name))


def test_no_graded_function_is_defined_in_bp_helpers() -> None:
    """Does bp_helpers stay free of the contract's graded function names (answers live in solutions/ only)?"""
    import inspect
    import pkgutil

    graded = {"propagate_back", "chain_forward", "chain_backward", "sigmoid_forward", "relu_forward", "tanh_forward",
              "dense_forward", "mlp_forward", "mse_forward", "binary_cross_entropy_forward", "softmax",
              "softmax_cross_entropy_forward", "numerical_gradient", "gradient_descent", "sigmoid_backward",
              "relu_backward", "tanh_backward", "dense_backward", "mse_backward", "softmax_cross_entropy_backward",
              "mlp_backward", "sgd_step", "train", "finite_difference_gradient", "forward_mode_gradient", "Dual",
              "init_std", "softmax_jacobian", "unbroadcast", "binary_cross_entropy_backward", "layernorm_forward",
              "layernorm_backward",
              "topological_order", "Value", "Tensor", "engine_mlp_gradients"}
    for info in pkgutil.iter_modules(widgets.__path__, "bp_helpers.widgets."):
        module = __import__(info.name, fromlist=["_"])
        defined = {n for n, v in vars(module).items() if (inspect.isfunction(v) or inspect.isclass(v))
                   and v.__module__ == module.__name__}
        assert not defined & graded, f"{info.name} defines graded function(s) {defined & graded}"


# --- 1. signal flow -------------------------------------------------------------------------------------------
def test_signal_flow_every_control_redraws_and_gradients_are_the_chain_derivative() -> None:
    """Does the backward row equal d x_K / d x_i, and the product of the local derivatives, for every chain?"""
    e = widgets.signal_flow_explorer()
    assert isinstance(e, ipywidgets.VBox)
    for chain in list(signal_flow.CHAINS)[1:] + list(signal_flow.CHAINS)[:1]:
        move(e, "chain", chain)
        for x in (-1.3, 0.7):
            n = move(e, "x", x)
            stages = signal_flow.CHAINS[chain]

            def out(v, stages=stages):
                for _, f, _ in stages:
                    v = f(v)
                return v

            h = 1e-6
            assert n["dx_K/dx_0"] == pytest.approx((out(x + h) - out(x - h)) / (2 * h), rel=1e-6, abs=1e-8)
            local = n["local_derivatives"]
            for i, g in enumerate(n["gradients"]):
                assert g == pytest.approx(np.prod(local[i:]), rel=1e-9, abs=1e-12)
            assert n["values"][-1] == pytest.approx(out(x))


def test_signal_flow_shows_whether_a_students_propagate_back_agrees() -> None:
    """With a correct propagate_back it agrees; with one that returns the list input-first it does not."""
    def correct(locals_):
        grads = [1.0]
        for d in reversed(locals_):
            grads.append(grads[-1] * d)
        return grads

    good = widgets.signal_flow_explorer(propagate_back=correct)
    assert good.frame.numbers["yours agrees"] is True
    assert "yours agrees" in good.numbers_html.value
    bad = widgets.signal_flow_explorer(propagate_back=lambda ls: correct(ls)[::-1])
    assert bad.frame.numbers["yours agrees"] is False


# --- 2. neuron ------------------------------------------------------------------------------------------------
def test_neuron_every_control_redraws_and_the_output_is_right() -> None:
    """Is the output at the probe point activation(w1 x1 + w2 x2 + b) for each activation?"""
    e = widgets.neuron_explorer()
    move(e, "w1", 2.0)
    move(e, "w2", 0.5)
    move(e, "b", -1.0)
    acts = {"sigmoid": lambda z: 1 / (1 + np.exp(-z)), "tanh": np.tanh, "relu": lambda z: max(z, 0.0),
            "identity": lambda z: z}
    for name in ["tanh", "relu", "identity", "sigmoid"]:
        n = move(e, "activation", name)
        z = 2.0 * 1.0 + 0.5 * (-0.5) - 1.0
        assert n["z at probe"] == pytest.approx(z)
        assert n["output at probe"] == pytest.approx(acts[name](z))


def test_neuron_accepts_forward_functions_that_return_a_cache() -> None:
    """Can a notebook pass its *_forward functions, which return (out, cache), as they are?"""
    e = widgets.neuron_explorer({"tanh": _tanh_forward, "relu": _relu_forward})
    n = move(e, "activation", "tanh")
    assert n["output at probe"] == pytest.approx(np.tanh(1.0 * 1.0 + (-1.0) * (-0.5)))


# --- 3. loss --------------------------------------------------------------------------------------------------
def test_loss_values_and_tangent_slopes() -> None:
    """Are MSE, cross-entropy and their slopes (the tangents) right for both targets?"""
    e = widgets.loss_explorer()
    for y in (0.0, 1.0):
        if e.controls["y"].value != y:
            move(e, "y", y)
        for p in (0.2, 0.85):
            n = move(e, "p", p)
            assert n["mse"] == pytest.approx((p - y) ** 2)
            assert n["dmse/dp"] == pytest.approx(2 * (p - y))
            bce = -(y * np.log(p) + (1 - y) * np.log(1 - p))
            assert n["bce"] == pytest.approx(bce)
            h = 1e-7
            slope = (-(y * np.log(p + h) + (1 - y) * np.log(1 - p - h)) + (y * np.log(p - h)
                     + (1 - y) * np.log(1 - p + h))) / (2 * h)
            assert n["dbce/dp"] == pytest.approx(slope, rel=1e-5)


def test_loss_with_the_notebooks_forward_functions_matches_the_demo() -> None:
    """Does the explorer draw the same numbers with the 02 solution's (or stand-in) loss functions?"""
    try:
        from grader.student.explore import functions_for

        f = functions_for("02_definition", ["mse_forward", "binary_cross_entropy_forward"])
    except CourseError:
        f = {"mse_forward": _mse_forward,
             "binary_cross_entropy_forward": lambda p, y: (float(-np.mean(y * np.log(p) + (1 - y) * np.log(1 - p))),
                                                           None)}
    demo, yours = widgets.loss_explorer(), widgets.loss_explorer(**f)
    for e in (demo, yours):
        move(e, "p", 0.6)
    for key in ("mse", "dmse/dp", "bce", "dbce/dp"):
        assert yours.frame.numbers[key] == pytest.approx(demo.frame.numbers[key], rel=1e-5)


# --- 4. gradient descent --------------------------------------------------------------------------------------
def test_descent_converges_with_a_small_rate_and_diverges_with_a_large_one() -> None:
    """On x², does a rate of 0.3 reach 0 and a rate of 1.2 visibly diverge (flag and message)?"""
    e = widgets.gradient_descent_explorer()
    n = move(e, "lr", 0.3)
    assert not n["diverged"] and abs(n["final x"][0]) < 1e-4
    n = move(e, "lr", 1.2)
    assert n["diverged"] and "diverged" in e.view.status.get_text()
    n = move(e, "steps", 5)
    assert len(n["path"]) == 6 and n["path"][1][0] == pytest.approx(2.0 - 1.2 * 4.0)
    move(e, "x0", -1.0)
    move(e, "surface", "2-D narrow valley: (x² + 10y²)/2")
    n = move(e, "y0", 0.5)  # y0 only matters in 2-D
    assert n["diverged"]  # 1.2 > 2 / 10
    move(e, "steps", 60)
    n = move(e, "lr", 0.15)
    assert not n["diverged"] and np.linalg.norm(n["final x"]) < 1e-2


def test_descent_stalls_on_the_saddle_ridge() -> None:
    """Started on the ridge y = 0 of the saddle, does descent stop at the saddle, above the minimum?"""
    e = widgets.gradient_descent_explorer()
    move(e, "surface", "2-D saddle: x² − y² + y⁴/4")
    move(e, "y0", 0.0)
    n = move(e, "steps", 80)
    assert n["gradient at end"] < 1e-6 and n["final loss"] == pytest.approx(0.0, abs=1e-9)  # minimum is -1


def test_descent_draws_the_path_of_a_passed_gradient_descent() -> None:
    """With the 03 solution's gradient_descent (or a stand-in), is the path the one it returns?"""
    try:
        from grader.student.explore import functions_for

        gd = functions_for("03_purpose", ["gradient_descent"])["gradient_descent"]
    except CourseError:
        def gd(grad_fn, x0, lr, steps):
            path = [np.array(x0, dtype=float)]
            for _ in range(steps):
                path.append(path[-1] - lr * grad_fn(path[-1]))
            return np.array(path)
    e = widgets.gradient_descent_explorer(gradient_descent=gd)
    demo = widgets.gradient_descent_explorer()
    for x in (e, demo):
        move(x, "surface", "1-D two valleys: x⁴ − 3x² + x")
        move(x, "lr", 0.02)
    assert np.allclose(e.frame.numbers["path"], demo.frame.numbers["path"])
    e.controls["lr"].value = 3.0  # overflowing values from the student's function must not break the drawing
    assert e.frame.numbers["diverged"]


def test_descent_surfaces_report_their_minimum() -> None:
    """Is each surface's f_min its true lowest value on the view (so 'loss − minimum' is right)?"""
    for name, s in descent.SURFACES.items():
        g = np.linspace(*s.box, 801)
        values = s.f(g[None, :]) if s.dim == 1 else s.f(np.stack(np.meshgrid(g, g)))
        assert float(np.min(values)) == pytest.approx(s.f_min, abs=1e-3), name


# --- 5. computational graph -----------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def graph_functions() -> dict:
    return reference("04_usage", GRAPH_NAMES)


def test_graph_steps_forward_then_backward_and_every_control_redraws(graph_functions) -> None:
    """Does every step (by slider and by button) redraw, and do gradients appear only once backward reaches them?"""
    e = widgets.computational_graph_explorer(graph_functions)
    for stage in range(1, 10):
        before = e.image.value
        e.buttons["step"].click()
        assert e.controls["stage"].value == stage and e.image.value != before
        shown = e.view.grads["x0"].get_text()
        assert (shown != "") == (stage >= 9)
    e.buttons["back"].click()
    assert e.controls["stage"].value == 8
    e.buttons["reset"].click()
    assert e.controls["stage"].value == 0 and e.view.values["L"].get_text() == ""
    move(e, "stage", 9)
    move(e, "weight", "b1[1]")
    move(e, "delta", -0.4)


def test_graph_gradient_predicts_the_change_in_loss(graph_functions) -> None:
    """For every weight: is dL/dw the numerical derivative, and actual ΔL ≈ dL/dw·Δ up to O(Δ²)?"""
    e = widgets.computational_graph_explorer(graph_functions)
    e.controls["stage"].value = 9
    from bp_helpers.widgets.graph import WEIGHTS

    for weight in WEIGHTS:
        e.controls["weight"].value = weight
        n = move(e, "delta", 0.01 if e.controls["delta"].value != 0.01 else 0.02)
        assert n["dL/dw"] == pytest.approx(n["numerical dL/dw"], rel=1e-5, abs=1e-9), weight
        assert abs(n["actual change"] - n["predicted change"]) <= 5 * n["delta"] ** 2, weight
    n = move(e, "delta", 0.5)
    assert n["actual change"] != pytest.approx(n["predicted change"], rel=1e-3)  # large steps: curvature shows


def test_graph_names_the_functions_it_is_missing() -> None:
    """Without the backward functions, does it say (in the cell, not as an exception) which ones to write first?"""
    note = widgets.computational_graph_explorer({"dense_forward": _dense_forward, "tanh_forward": _tanh_forward,
                                                 "tanh_backward": _tanh_backward, "mse_forward": _mse_forward})
    assert isinstance(note, Unfinished) and note.missing == ["dense_backward", "mse_backward"]
    assert re.search("dense_backward.*mse_backward", note.value) and "bpcourse explore" in note.value


@pytest.fixture(scope="module")
def engine() -> dict:
    return reference("04_usage", ["Value", "topological_order"])


def test_value_graph_steps_backward_one_node_at_a_time(engine) -> None:
    """Does the explorer of a student's own Value graph step through backward in reverse topological order,
    highlighting each node, and end with the gradients backward() gives?"""
    Value, topological_order = engine["Value"], engine["topological_order"]
    x, w = Value(0.5), Value(-1.5)
    out = (x * w + 0.8).tanh() * x  # x is used twice
    e = widgets.value_graph_explorer(out, topological_order)
    order = topological_order(out)
    assert e.frame.numbers["processed"] == "(seed only)" and e.frame.numbers["grads"][-1] == 1.0
    for step in range(1, len(order) + 1):
        before = e.image.value
        e.buttons["step"].click()
        assert e.controls["step"].value == step and e.image.value != before
        assert e.view.marker.get_visible() and e.view.marker.center == e.view.pos[id(order[-step])]
    shown = e.frame.numbers["grads"]
    fresh_x, fresh_w = Value(0.5), Value(-1.5)
    fresh = (fresh_x * fresh_w + 0.8).tanh() * fresh_x
    fresh.backward()
    assert shown[order.index(x)] == pytest.approx(fresh_x.grad) and x.grad == pytest.approx(fresh_x.grad)
    assert shown[order.index(w)] == pytest.approx(fresh_w.grad)
    e.buttons["back"].click()
    assert e.controls["step"].value == len(order) - 1
    e.buttons["reset"].click()
    assert e.controls["step"].value == 0 and x.grad == 0.0


def test_value_graph_refuses_a_graph_too_big_to_draw(engine) -> None:
    """Is a graph of more than 40 nodes refused with a message instead of an unreadable drawing?"""
    v = engine["Value"](1.0)
    for _ in range(50):
        v = v * 1.01
    with pytest.raises(ValueError, match="at most 40"):
        widgets.value_graph_explorer(v, engine["topological_order"])


# --- 6. training dashboard ------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def training_functions() -> dict:
    return reference("04_usage", NEEDED)


def test_dashboard_every_setting_redraws(training_functions) -> None:
    """Does changing dataset, activation, layers, hidden units, rate or epochs draw a fresh network?"""
    d = widgets.training_dashboard(training_functions)
    for name, value in [("dataset", "xor"), ("activation", "tanh"), ("layers", 2), ("hidden", 8), ("lr", 0.2),
                        ("epochs", 200), ("dataset", "spirals (3 classes)")]:
        n = move(d, name, value)
        assert n["epoch"] == 0
    assert d.progress.max == 200


def test_dashboard_trains_and_the_loss_falls(training_functions) -> None:
    """Does Train run the epochs, lower the loss, and reach a good accuracy on moons?"""
    d = widgets.training_dashboard(training_functions)
    d.controls["speed"].value = 0  # full speed
    d.controls["epochs"].value = 400
    before = d.image.value
    d.train_button.click()
    d.join(60)
    assert not d.training and d.message.value == "done"
    n = d.frame.numbers
    assert n["epoch"] == 400 and d.progress.value == 400
    assert d.run.train_loss[-1] < 0.5 * d.run.train_loss[0]
    assert n["train accuracy"] > 0.9
    assert d.image.value != before


def test_dashboard_redraws_while_training_and_stops_on_stop(training_functions) -> None:
    """While a long run trains in its thread, does the figure redraw and does Stop end it promptly?"""
    def slow_sgd_step(params, grads, lr):  # 3000 epochs take at least 6 s: Stop surely comes first
        time.sleep(0.002)
        return training_functions["sgd_step"](params, grads, lr)

    d = widgets.training_dashboard({**training_functions, "sgd_step": slow_sgd_step})
    d.controls["speed"].value = 0
    d.controls["epochs"].value = 3000
    renders = d.renders
    d.start()
    time.sleep(0.6)
    assert d.training and d.stop_button.disabled is False
    d.stop_button.click()
    d.join(10)
    assert not d.training
    assert d.renders - renders >= 3, "the dashboard did not redraw while training"
    assert 0 < d.run.epoch < 3000 and d.message.value.startswith("stopped at epoch")
    assert d.train_button.disabled is False and d.stop_button.disabled is True


def test_dashboard_watch_speed_paces_the_epochs(training_functions) -> None:
    """At the default 'watch' speed (100 epochs/s), do 100 epochs take about a second, with several redraws?"""
    d = widgets.training_dashboard(training_functions)
    assert d.controls["speed"].value == 100
    d.controls["epochs"].value = 100
    renders, start = d.renders, time.perf_counter()
    d.train()
    # paced: 100 epochs at 100 a second cannot take less than about a second (no upper bound: the machine is shared)
    assert 0.9 <= time.perf_counter() - start and d.run.epoch == 100
    assert d.renders - renders >= 5


def test_dashboard_shows_an_error_from_the_students_function(training_functions) -> None:
    """If the student's backward raises, does the dashboard say so instead of failing silently?"""
    def broken(dscores, caches):
        raise RuntimeError("shapes do not align")

    d = widgets.training_dashboard({**training_functions, "mlp_backward": broken})
    d.train()
    assert "shapes do not align" in d.message.value and not d.training


def test_unwritten_functions_are_reported_in_the_widget_not_raised(training_functions, graph_functions) -> None:
    """Before the student writes their functions (they raise NotImplementedError), do the cells still run and
    say what is missing?"""
    def todo(*args, **kwargs):
        raise NotImplementedError("mlp_forward is not implemented yet")

    d = widgets.training_dashboard({**training_functions, "mlp_forward": todo})
    assert isinstance(d.error, NotImplementedError) and "write that function first" in d.message.value
    d.train()  # Train does nothing but keep the message
    assert d.run.epoch == 0 and "not implemented yet" in d.message.value
    g = widgets.computational_graph_explorer({**graph_functions, "dense_backward": todo})
    assert isinstance(g.error, NotImplementedError) and "not implemented yet" in g.message.value
    n = widgets.neuron_explorer({"sigmoid": todo})
    assert n.error is not None and "not implemented yet" in n.message.value
    move(n, "activation", "tanh")  # the other activations still draw
    assert n.message.value == ""


# --- 7. cost comparison ---------------------------------------------------------------------------------------
def test_cost_comparison_times_each_method_and_checks_agreement() -> None:
    """Does every size redraw, with positive times and gradients that agree with the reference?"""
    def f(x):
        return float(np.sum(np.sin(x) * x))

    def finite_differences(x):
        g = np.zeros_like(x)
        for i in range(x.size):
            e = np.zeros_like(x)
            e[i] = 1e-6
            g[i] = (f(x + e) - f(x - e)) / 2e-6
        return g

    e = widgets.cost_comparison_explorer({"finite differences": finite_differences,
                                          "exact": lambda x: np.sin(x) + x * np.cos(x)},
                                         sizes=(2, 4, 8, 16, 32), start=4)
    for size in (8, 32, 2):
        n = move(e, "size", size)
        assert n["P"] == size
        assert n["finite differences seconds"] > 0 and n["exact seconds"] > 0
        assert n["finite differences max difference"] < 1e-6
    assert e.view.times[("finite differences", 32)] > e.view.times[("finite differences", 2)]


# --- 8. gradient flow ----------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def gradient_norms():
    return reference("04_usage", ["layer_gradient_norms"])["layer_gradient_norms"]


def test_gradient_flow_every_control_redraws(gradient_norms) -> None:
    """Does moving the depth, the activation, the init scale and the residual switch each draw a new figure?"""
    e = widgets.gradient_flow_explorer(gradient_norms)
    assert e.error is None and e.frame is not None
    assert move(e, "depth", 30)["plain"].shape == (30,)
    move(e, "activation", "relu")
    move(e, "init_scale", 2.0)
    numbers = move(e, "residual", False)
    assert np.all(np.isnan(numbers["residual"])) and not e.view.residual_line.get_visible()


def test_gradient_flow_shows_vanishing_sigmoid_and_the_residual_fix(gradient_norms) -> None:
    """Does a deep sigmoid network lose about 1/4 per layer, tanh at scale 1 keep its gradient, and the residual
    network carry it to layer 1?"""
    view = widgets.gradient_flow_explorer(gradient_norms).view
    sigmoid = view.render(depth=30, activation="sigmoid", init_scale=1.0, residual=True).numbers
    assert sigmoid["first / last"] < 1e-12 and sigmoid["(1/4)^(depth-1)"] == pytest.approx(0.25**29)
    assert 1e-2 < sigmoid["residual first / last"] < 1e2
    tanh = view.render(depth=30, activation="tanh", init_scale=1.0, residual=False).numbers
    assert 0.1 < tanh["first / last"] < 10
    exploding = view.render(depth=30, activation="tanh", init_scale=2.0, residual=False).numbers
    assert exploding["first / last"] > 100


def test_gradient_flow_renders_fast_enough_for_a_slider(gradient_norms) -> None:
    """Does one frame of a 50-layer network (plain and residual) draw within the explorers' budget?"""
    e = widgets.gradient_flow_explorer(gradient_norms)
    start = time.perf_counter()
    for depth in (50, 49, 48):
        e.controls["depth"].value = depth
    assert e.error is None
    assert (time.perf_counter() - start) / 3 < 1.0


def test_gradient_flow_needs_the_measurement_function() -> None:
    """Does the explorer say what to pass when it is called without the notebook's function?"""
    with pytest.raises(ValueError, match="layer_gradient_norms"):
        widgets.gradient_flow_explorer(None)


# --- the widgets-only view and the reference loader -----------------------------------------------------------
def test_explore_notebook_holds_only_hidden_one_line_cells(tmp_path) -> None:
    """Is every code cell of explore.ipynb one show(...) call with its input collapsed, one per explorer?"""
    from grader.student.explore import EXPLORERS, write_explore_notebook

    path, what = write_explore_notebook(tmp_path / "course")
    assert what == "added" and path.name == "explore.ipynb"
    nb = json.loads(path.read_text())
    code = [c for c in nb["cells"] if c["cell_type"] == "code"]
    assert len(code) == len(EXPLORERS)
    for cell, name in zip(code, EXPLORERS, strict=True):
        assert cell["metadata"]["jupyter"]["source_hidden"] is True
        assert f"show({name!r})" in "".join(cell["source"])


def test_explore_never_overwrites_a_students_file(tmp_path) -> None:
    """Is an edited explore.ipynb kept, with the course's version written beside it?"""
    from grader.student.explore import write_explore_notebook

    path, _ = write_explore_notebook(tmp_path)
    assert write_explore_notebook(tmp_path) == (path, "up to date")
    path.write_text(path.read_text().replace("Run every cell", "My notes. Run every cell"))
    beside, what = write_explore_notebook(tmp_path)
    assert beside != path and beside.name.startswith("explore.course-update-") and "kept your" in what
    assert "My notes" in path.read_text()


def test_explore_command_parses_and_writes_without_lab(tmp_path, capsys) -> None:
    """Does `bpcourse explore DIR --no-lab` (as the CLI wires it) write the notebook and exit 0?"""
    import argparse

    from grader.student.explore import add_explore_parser

    parser = argparse.ArgumentParser(prog="bpcourse")
    add_explore_parser(parser.add_subparsers(dest="command"))
    args = parser.parse_args(["explore", str(tmp_path / "me"), "--no-lab"])
    assert args.func(args) == 0
    assert (tmp_path / "me" / "explore.ipynb").exists()
    assert "explore.ipynb (added)" in capsys.readouterr().out


@pytest.mark.parametrize("name", ["signal flow", "neuron", "loss", "gradient descent"])
def test_explore_builds_the_demo_explorers(name) -> None:
    """Do the explorers that need no solutions build in the widgets-only view?"""
    from grader.student.explore import show

    assert isinstance(show(name), ipywidgets.VBox)


def test_explore_says_so_when_solutions_are_missing(tmp_path, monkeypatch) -> None:
    """In a checkout without solutions/, does the dashboard cell show a note instead of failing?"""
    from grader.student.explore import show

    monkeypatch.setenv("BPCOURSE_ROOT", str(tmp_path))
    shown = show("training dashboard")
    assert isinstance(shown, ipywidgets.HTML) and "solutions/04_usage" in shown.value


def test_reference_loader_runs_setup_locked_and_solution_cells_only(tmp_path, monkeypatch) -> None:
    """Does load_solution_functions skip test cells and free cells, and return the solution's functions?"""
    import nbformat

    from grader.course import reference as loader

    nb = nbformat.v4.new_notebook()

    def cell(source, **meta):
        c = nbformat.v4.new_code_cell(source)
        if meta:
            c.metadata["nbgrader"] = {"schema_version": 3, "grade": False, "solution": False, "locked": False,
                                      **meta}
        return c

    nb.cells = [
        cell("import numpy as np", grade_id="setup", locked=True),
        cell("def double(x):\n    return 2 * x", grade_id="sol", solution=True),
        cell("raise AssertionError('a test cell must not run')", grade_id="test", grade=True, locked=True,
             points=1),
        cell("raise AssertionError('a free cell must not run')"),
    ]
    (tmp_path / "solutions" / "99_x").mkdir(parents=True)
    nbformat.write(nb, tmp_path / "solutions" / "99_x" / "99_x.ipynb")
    monkeypatch.setenv("BPCOURSE_ROOT", str(tmp_path))
    loader._load.cache_clear()
    try:
        found = loader.load_solution_functions("99_x/99_x.ipynb")
        assert set(found) == {"double"} and found["double"](3) == 6
        with pytest.raises(CourseError, match="no solution notebook"):
            loader.load_solution_functions("99_x/missing.ipynb")
    finally:
        loader._load.cache_clear()


@pytest.mark.slow
@pytest.mark.parametrize("name", ["computational graph", "training dashboard", "cost comparison", "gradient flow"])
def test_explore_builds_the_explorers_from_the_solutions(name) -> None:
    """With solutions/ present, do the explorers that run forward/backward passes build from it?"""
    from grader.student.explore import EXPLORERS, functions_for, show

    try:
        functions_for(EXPLORERS[name][0], [])
    except CourseError:
        pytest.skip("no solutions/ in this checkout")
    shown = show(name)
    assert not isinstance(shown, ipywidgets.HTML), getattr(shown, "value", "")
    assert bytes(shown.image.value[:4]) == b"\x89PNG"


# --- before the exercises are done -------------------------------------------------------------------------------
def _fresh_globals(**names) -> dict:
    """A notebook's `globals()` as Run All leaves it before the student wrote (or ran) anything."""
    import builtins

    return {"__name__": "__main__", "__builtins__": builtins, **names}


NOT_WRITTEN = {
    "signal_flow_explorer": ["propagate_back"],
    "neuron_explorer": ["sigmoid_forward", "tanh_forward", "relu_forward"],
    "loss_explorer": ["mse_forward", "binary_cross_entropy_forward"],
    "gradient_descent_explorer": ["gradient_descent"],
    "computational_graph_explorer": ["dense_forward", "dense_backward", "tanh_forward", "tanh_backward",
                                     "mse_forward", "mse_backward"],
    "training_dashboard": ["mlp_forward", "mlp_backward", "softmax_cross_entropy_forward",
                           "softmax_cross_entropy_backward", "sgd_step"],
    "cost_comparison_explorer": ["finite_difference_gradient", "forward_mode_gradient", "backprop_gradient",
                                 "mlp_loss_flat", "make_problem"],
}


@pytest.mark.parametrize("explorer", sorted(NOT_WRITTEN))
def test_an_explorer_cell_before_its_functions_exist_says_what_to_write(explorer: str) -> None:
    """Given the notebook's globals() without the student's functions, does the cell show a note naming the
    function to write first and `bpcourse explore`, instead of raising?"""
    note = getattr(widgets, explorer)(_fresh_globals())
    assert isinstance(note, Unfinished), type(note)
    assert note.missing == NOT_WRITTEN[explorer]
    assert f"<code>{NOT_WRITTEN[explorer][0]}</code>" in note.value and "first" in note.value
    assert "bpcourse explore" in note.value and "reference functions" in note.value


def test_a_stub_function_is_named_and_no_broken_image_is_shown() -> None:
    """With the release's stub (raising NotImplementedError), does the explorer name that function, point at
    `bpcourse explore`, and keep its (empty) image hidden until a figure exists?"""
    def propagate_back(local_derivatives):
        raise NotImplementedError()

    e = widgets.signal_flow_explorer(_fresh_globals(propagate_back=propagate_back))
    assert isinstance(e.error, NotImplementedError) and e.frame is None
    assert "<code>propagate_back</code>" in e.message.value and "not implemented yet" in e.message.value
    assert "bpcourse explore" in e.message.value
    assert e.image.layout.display == "none" and not e.image.value  # an empty image shows as a broken icon
    ok = widgets.signal_flow_explorer(_fresh_globals(propagate_back=lambda ds: [1.0] * (len(ds) + 1)))
    assert ok.frame is not None and ok.image.layout.display != "none" and ok.image.value


def test_a_name_not_defined_while_drawing_says_to_run_its_cell() -> None:
    """If a function the explorer was given uses a name not defined yet, is the note worded, not a raw NameError?"""
    def propagate_back(local_derivatives):
        return helper_not_written_yet(local_derivatives)  # noqa: F821

    e = widgets.signal_flow_explorer(propagate_back)
    assert isinstance(e.error, NameError)
    assert "<code>helper_not_written_yet</code>" in e.message.value and "not defined yet" in e.message.value
    assert "bpcourse explore" in e.message.value and "NameError" not in e.message.value


@pytest.mark.parametrize("explorer", ["signal_flow_explorer", "loss_explorer", "gradient_descent_explorer"])
def test_an_explorer_given_a_mapping_that_is_not_globals_says_what_to_pass(explorer: str) -> None:
    """A {name: function} mapping where the function or `globals()` belongs is refused with what to pass, not
    drawn with a dict in place of a function."""
    with pytest.raises(TypeError, match=r"or the notebook's globals\(\), not a dict"):
        getattr(widgets, explorer)({"propagate_back": print})


@pytest.mark.parametrize("explorer", ["signal_flow_explorer", "loss_explorer", "gradient_descent_explorer"])
def test_an_explorer_given_globals_without_the_function_names_it(explorer: str) -> None:
    note = getattr(widgets, explorer)({"__builtins__": {}})
    assert isinstance(note, Unfinished) and note.missing


def test_frames_are_png_files_with_the_canvas_pixels() -> None:
    """Does the explorers' own PNG writer give a file any decoder reads back to exactly the pixels it was given?"""
    import io

    from PIL import Image

    from bp_helpers.widgets._base import png_bytes

    rgb = np.random.default_rng(0).integers(0, 256, size=(7, 13, 3), dtype=np.uint8)
    rgb[0, 0], rgb[-1, -1] = 0, 255
    decoded = Image.open(io.BytesIO(png_bytes(rgb)))
    decoded.load()  # checks every chunk's CRC and the zlib stream
    assert decoded.mode == "RGB" and decoded.size == (13, 7)
    assert np.array_equal(np.asarray(decoded), rgb)


def test_explorers_run_their_products_on_one_blas_thread(training_functions, gradient_norms) -> None:
    """Do an explorer's redraws and the dashboard's redraw after a setting run the functions passed in on one BLAS
    thread (on a busy machine BLAS's threads wait for a core on every small product), and is BLAS's own setting
    restored after each?"""
    from threadpoolctl import ThreadpoolController

    blas = ThreadpoolController().select(user_api="blas")
    seen: list[set[int]] = []

    def threads() -> set[int]:
        return {lib["num_threads"] for lib in blas.info()}

    def forward(X, params, activation="relu"):
        seen.append(threads())
        return training_functions["mlp_forward"](X, params, activation=activation)

    def measure(*args, **kwargs):
        seen.append(threads())
        return gradient_norms(*args, **kwargs)

    with blas.limit(limits=2):
        widgets.gradient_flow_explorer(measure).controls["depth"].value = 8
        d = widgets.training_dashboard({**training_functions, "mlp_forward": forward})
        d.controls["hidden"].value = 32
        after = threads()
    assert len(seen) >= 8 and all(s == {1} for s in seen), f"BLAS threads seen by the functions passed in: {seen}"
    assert after == {2}, "the explorers did not give BLAS its own setting back"
