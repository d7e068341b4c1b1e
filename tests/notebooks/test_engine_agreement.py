"""Does 04e's engine give the gradients of 04a's hand-written `mlp_backward` and of PyTorch, to 1e-12 in float64?

The notebook prints this agreement; here it is asserted on networks of several shapes and both activations, with the
solution notebook's own engine (its setup, locked and solution cells).
"""

from __future__ import annotations

import numpy as np
import pytest

from grader.course.reference import load_solution_functions

CASES = [([2, 16, 16, 3], 32, "tanh"), ([5, 7, 4], 9, "relu"), ([3, 6, 5, 4, 2], 6, "tanh")]


def _norm_error(actual, expected) -> float:
    return float(np.linalg.norm(np.asarray(actual) - expected) / max(np.linalg.norm(expected), 1e-300))


@pytest.fixture(scope="module")
def engine() -> dict:
    return load_solution_functions("04_usage/04e_engine.ipynb")


def _problem(engine: dict, sizes, n, seed):
    rng = np.random.default_rng(seed)
    params = {k: v + 0.1 * rng.normal(size=v.shape) for k, v in engine["init_params"](sizes, seed=seed).items()}
    return params, rng.normal(size=(n, sizes[0])), rng.integers(0, sizes[-1], size=n)


@pytest.mark.parametrize(("sizes", "n", "activation"), CASES)
def test_engine_equals_mlp_backward(engine: dict, sizes, n, activation) -> None:
    """Are the engine's loss and gradients those of 04a's forward and hand-written backward, to 1e-12?"""
    params, x, y = _problem(engine, sizes, n, seed=len(sizes))
    loss, grads = engine["engine_mlp_gradients"](x, y, params, activation)
    scores, caches = engine["mlp_forward"](x, params, activation)
    want_loss, cache = engine["softmax_cross_entropy_forward"](scores, y)
    want = engine["mlp_backward"](engine["softmax_cross_entropy_backward"](cache), caches)
    assert abs(loss - want_loss) <= 1e-12 * abs(want_loss)
    assert set(grads) == set(params)
    for name in params:
        assert _norm_error(grads[name], want[name]) < 1e-12, name


@pytest.mark.parametrize(("sizes", "n", "activation"), CASES)
def test_engine_equals_pytorch(engine: dict, sizes, n, activation) -> None:
    """Are the engine's gradients PyTorch autograd's, in float64, to 1e-12?"""
    torch = pytest.importorskip("torch")
    params, x, y = _problem(engine, sizes, n, seed=10 + len(sizes))
    _, grads = engine["engine_mlp_gradients"](x, y, params, activation)
    tparams = {k: torch.tensor(v, dtype=torch.float64, requires_grad=True) for k, v in params.items()}
    h = torch.tensor(x)
    layers = len(params) // 2
    for layer in range(1, layers + 1):
        h = h @ tparams[f"W{layer}"] + tparams[f"b{layer}"]
        if layer < layers:
            h = torch.relu(h) if activation == "relu" else torch.tanh(h)
    torch.nn.functional.cross_entropy(h, torch.tensor(y)).backward()
    for name in params:
        assert _norm_error(grads[name], tparams[name].grad.numpy()) < 1e-12, name


def test_micrograd_sanity_check(engine: dict) -> None:
    """micrograd's own test/test_engine.py::test_sanity_check on the solution's Value, against PyTorch."""
    torch = pytest.importorskip("torch")
    Value = engine["Value"]
    x = Value(-4.0)
    z = 2 * x + 2 + x
    q = z.relu() + z * x
    h = (z * z).relu()
    y = h + q + q * x
    y.backward()
    xt = torch.Tensor([-4.0]).double()
    xt.requires_grad = True
    zt = 2 * xt + 2 + xt
    qt = zt.relu() + zt * xt
    ht = (zt * zt).relu()
    yt = ht + qt + qt * xt
    yt.backward()
    assert y.data == yt.data.item()
    assert x.grad == xt.grad.item()


def test_micrograd_more_ops(engine: dict) -> None:
    """micrograd's own test/test_engine.py::test_more_ops on the solution's Value, against PyTorch, to 1e-6."""
    torch = pytest.importorskip("torch")

    def run(a, b, relu):
        c = a + b
        d = a * b + b**3
        c = c + c + 1
        c = c + 1 + c + (-a)
        d = d + d * 2 + relu(b + a)
        d = d + 3 * d + relu(b - a)
        e = c - d
        f = e**2
        g = f / 2.0
        g = g + 10.0 / f
        g.backward()
        return g

    Value = engine["Value"]
    a, b = Value(-4.0), Value(2.0)
    g = run(a, b, lambda v: v.relu())
    at, bt = (torch.tensor([v], dtype=torch.float64, requires_grad=True) for v in (-4.0, 2.0))
    gt = run(at, bt, torch.relu)
    assert abs(g.data - gt.data.item()) < 1e-6
    assert abs(a.grad - at.grad.item()) < 1e-6
    assert abs(b.grad - bt.grad.item()) < 1e-6


@pytest.mark.slow  # about 40 s of scalar Python (95 s on a loaded machine)
def test_micrograd_mlp_trains_moons_to_100_percent(engine: dict) -> None:
    """micrograd's demo with the solution's nn library: MLP(2, [16, 16, 1]) on 100 moons, hinge loss + L2, 100 steps
    of SGD with a decaying learning rate, reaches 100% training accuracy."""
    import random

    from bp_helpers.datasets import load

    X, y = load("moons", n=100, noise=0.1, seed=0)
    t = 2.0 * y - 1.0
    random.seed(1337)
    model = engine["MLP"](2, [16, 16, 1])
    for step in range(100):
        scores = [model([float(v) for v in x]) for x in X]
        data_loss = sum((1.0 - float(tn) * s).relu() for tn, s in zip(t, scores, strict=True)) * (1.0 / len(X))
        loss = data_loss + 1e-4 * sum(p * p for p in model.parameters())
        accuracy = np.mean([(s.data > 0) == (tn > 0) for s, tn in zip(scores, t, strict=True)])
        model.zero_grad()
        loss.backward()
        for p in model.parameters():
            p.data -= (1.0 - 0.9 * step / 100) * p.grad
    scores = [model([float(v) for v in x]).data for x in X]
    assert np.mean([(s > 0) == (tn > 0) for s, tn in zip(scores, t, strict=True)]) == 1.0, accuracy
