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
