"""Input generators of the trusted re-check, one per contract: each takes a seeded `numpy.random.Generator` and
returns the argument tuples of the calls (grader/recheck/specs.py keys them by name). Inputs follow the hidden tests'
rules: float64, non-square shapes with distinct sizes, N >= 2, values away from kinks (|z| >= 0.1 for relu).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np


@dataclass(frozen=True)
class Invalid:
    """A case the solution rejects by raising (a 2-D label array, an unknown activation): the student's function
    must raise the same exception type."""

    args: tuple[Any, ...]


def away_from_zero(rng: np.random.Generator, shape: tuple[int, ...], low: float = 0.1, high: float = 2.0):
    return rng.uniform(low, high, size=shape) * rng.choice([-1.0, 1.0], size=shape)


def dense(rng: np.random.Generator, n: int, d: int, m: int):
    return rng.normal(size=(n, d)), rng.normal(size=(d, m)) * 0.5, rng.normal(size=(m,))


def random_params(rng: np.random.Generator, sizes: list[int]) -> dict[str, np.ndarray]:
    params = {}
    for i, (a, b) in enumerate(zip(sizes[:-1], sizes[1:], strict=True), start=1):
        params[f"W{i}"] = rng.normal(size=(a, b)) / np.sqrt(a)
        params[f"b{i}"] = rng.normal(size=(b,)) * 0.1
    return params


def chain_cache(x):
    """The cache (x, a, b) of 01_term's chain x -> a = 2x + 1 -> b = a**2 -> y = sin(b), as its docstring says."""
    a = 2.0 * x + 1.0
    return ((x, a, a**2),)


def activation_cases(rng):
    extreme = away_from_zero(rng, (2, 3))
    extreme[0, :2], extreme[1, :2] = (800.0, -800.0), (-750.0, 750.0)  # exp overflows in a naive formula
    return [(away_from_zero(rng, (3, 5)),), (away_from_zero(rng, (4, 2)) * 3,), (extreme,)]


def activation_backward_cases(rng):
    return [  # two calls of the same shape: a buffer reused between calls changes the first result
        (rng.normal(size=(3, 5)), away_from_zero(rng, (3, 5))),
        (rng.normal(size=(4, 2)), away_from_zero(rng, (4, 2))),
        (rng.normal(size=(3, 5)), away_from_zero(rng, (3, 5))),
    ]


def mlp_caches(rng: np.random.Generator, sizes: list[int], n: int, activation: str):
    """Caches shaped as the contract says, built from a forward pass done here (only plumbing, no answers)."""
    params = random_params(rng, sizes)
    x = rng.normal(size=(n, sizes[0]))
    caches, h = [], x
    layers = len(sizes) - 1
    for i in range(1, layers + 1):
        w, b = params[f"W{i}"], params[f"b{i}"]
        z = h @ w + b
        if i < layers:
            z = np.where(np.abs(z) < 0.1, 0.1, z)  # keep relu away from its kink
            caches.append(((h, w, b), activation, z))
            h = (
                np.maximum(z, 0)
                if activation == "relu"
                else np.tanh(z)
                if activation == "tanh"
                else 1 / (1 + np.exp(-z))
            )
        else:
            caches.append(((h, w, b), None, None))
    return caches, z


def mlp_backward_cases(rng):
    out = []  # the deeper network first: a dict kept between calls then shows its stale W3
    for sizes, n, act in (([2, 6, 4, 3], 5, "tanh"), ([3, 5, 2], 4, "relu")):
        caches, scores = mlp_caches(rng, sizes, n, act)
        out.append((rng.normal(size=scores.shape), caches))
    return out


def probs(rng, shape):
    p = rng.uniform(0.05, 0.95, size=shape)
    return p


def labels(rng, n, c):
    return rng.integers(0, c, size=n)


def softmax_cases(rng):
    offsets = np.array([[1000.0], [-1000.0], [0.0]])  # each row needs its own max: exp(+-1000) over/underflows
    return [(rng.normal(size=(4, 3)) * 3,), (rng.normal(size=(2, 5)) + 500.0,), (rng.normal(size=(3, 4)) + offsets,)]


def softmax_ce_cases(rng):
    far = rng.normal(size=(3, 4))
    far[np.arange(3), [1, 3, 0]] -= 800.0  # the true class far below: softmax underflows to 0, log-sum-exp does not
    return [
        (rng.normal(size=(5, 3)), labels(rng, 5, 3)),
        (rng.normal(size=(3, 4)) * 2, labels(rng, 3, 4)),
        (far, np.array([1, 3, 0])),
        Invalid((rng.normal(size=(3, 4)), np.eye(4)[[0, 2, 1]])),  # one-hot rows instead of labels
    ]


def bce_cases(rng):
    p, y = probs(rng, (6, 1)), rng.integers(0, 2, size=(6, 1)).astype(np.float64)
    edge_y = np.array([1.0, 0.0, 1.0, 0.0, 1.0])
    edge_p = np.array([1.0, 0.0, 0.0, 1.0, 1e-9])  # right and confidently wrong at exactly 0 and 1, and a tiny p
    return [(p, y), (edge_p, edge_y)]


def softmax_ce_backward_cases(rng):
    out = []
    for n, c in ((4, 3), (5, 6)):
        z = rng.normal(size=(n, c))
        probs = np.exp(z - z.max(axis=1, keepdims=True))
        probs /= probs.sum(axis=1, keepdims=True)
        out.append(((probs, labels(rng, n, c)),))
    return out


def sgd_case(rng, sizes):
    params = random_params(rng, sizes)
    grads = {k: rng.normal(size=v.shape) for k, v in params.items()}
    return (params, grads, float(rng.uniform(0.01, 0.5)))


def loglog_case(rng):
    sizes = np.array([10.0, 30.0, 100.0, 300.0, 1000.0])
    return (sizes, 0.01 * sizes ** float(rng.uniform(0.8, 2.2)) * rng.uniform(0.9, 1.1, size=5))


def cost_rows(rng):
    rows = []
    for i, p in enumerate((10, 40, 160, 640)):
        forward = 1e-4 * p**0.9 * float(rng.uniform(0.9, 1.1))
        row = {"P": p, "forward": forward, "backprop": forward * float(rng.uniform(2.0, 3.0))}
        if i < 3:
            row["finite_differences"] = forward * p * float(rng.uniform(1.8, 2.2))
            row["forward_mode"] = forward * p * float(rng.uniform(1.0, 1.5))
        rows.append(row)
    return rows


def train_cases(rng):
    """The hidden test's three runs (full batch; shuffled mini-batches with a last, smaller batch; relu), on
    inputs and seeds of this student's own."""
    X, y = rng.normal(size=(10, 3)), rng.integers(0, 4, size=10)
    params = random_params(rng, [3, 5, 4])
    seeds = [int(s) for s in rng.integers(0, 1000, size=2)]
    return [
        (X, y, params, {"lr": 0.3, "epochs": 3, "activation": "tanh"}),
        (X, y, params, {"lr": 0.2, "epochs": 3, "batch_size": 4, "activation": "tanh", "seed": seeds[0]}),
        (X, y, params, {"lr": 0.1, "epochs": 2, "batch_size": 3, "activation": "relu", "seed": seeds[1]}),
    ]


# part 1 (04a) and sgd_step: what 04b's train calls, swapped for the solution's own as the hidden test does
TRAIN_CONTEXT = (
    "mlp_forward",
    "mlp_backward",
    "softmax_cross_entropy_forward",
    "softmax_cross_entropy_backward",
    "sgd_step",
)
ACTIVATIONS = ("relu", "tanh", "sigmoid")


def torch_cases(rng):
    """An input batch with C = 4 classes and a 3-layer network, once per activation."""
    x, y = rng.normal(size=(7, 3)), rng.integers(0, 4, size=7)
    params = {k: v * 2.0 for k, v in random_params(rng, [3, 5, 6, 4]).items()}
    return [(x, y, params, activation) for activation in ACTIVATIONS]


def keras_model_cases(rng):
    return [
        (random_params(rng, [3, 5, 2]), "relu", rng.normal(size=(4, 3))),
        (random_params(rng, [2, 6, 4, 3]), "tanh", rng.normal(size=(5, 2))),
    ]


def keras_step_cases(rng):
    out = []
    # N = 40 > 32, Keras' default batch size: one full-batch step differs from two mini-batch steps
    for sizes, n, activation in (([3, 5, 2], 40, "relu"), ([2, 4, 3, 3], 5, "tanh")):
        x, y = rng.normal(size=(n, sizes[0])), rng.integers(0, sizes[-1], size=n)
        out.append((random_params(rng, sizes), activation, x, y, float(rng.uniform(0.05, 0.5))))
    return out


def dual_arithmetic_cases(rng):
    u, v = rng.uniform(0.5, 2.0, size=5), rng.uniform(0.5, 2.0, size=5)
    return [(u, rng.normal(size=5), v, rng.normal(size=5), rng.normal(size=(2, 3)), rng.normal(size=(2, 3)))]


def dual_function_cases(rng):
    return [(rng.uniform(0.3, 1.8, size=(2, 3)), rng.normal(size=(2, 3)))]


def init_std_cases(rng):
    """Distinct fan-in and fan-out (so a swap shows), every activation, and an unknown one the solution rejects."""
    out = []
    for activation in ("relu", "tanh", "sigmoid", "linear"):
        fan_in, fan_out = (int(v) for v in rng.choice(np.arange(3, 300), size=2, replace=False))
        out.append((fan_in, fan_out, activation))
    out.append((int(rng.integers(150, 300)), int(rng.integers(3, 100)), "relu"))  # fan_in > fan_out for He
    out.append(Invalid((5, 4, "swish")))
    return out


def probability_vector(rng, c: int):
    z = rng.normal(size=c) * 1.5
    p = np.exp(z - z.max())
    return p / p.sum()


def unbroadcast_cases(rng):
    """Every kind of broadcast: added leading axes, stretched size-1 axes, both, a scalar, none."""
    pairs = [((4, 3), (3,)), ((4, 3), (4, 1)), ((2, 4, 3), (1, 3)), ((2, 4, 3), (4, 1)), ((4, 3), ()), ((3, 5), (3, 5))]
    pairs += [((4, 3, 5), shape) for shape in ((5,), (3, 1), (1, 5), (4, 1, 5), (), (4, 3, 5), (1, 1, 1))]
    return [(rng.normal(size=dout_shape), shape) for dout_shape, shape in pairs]


def bce_backward_cases(rng):
    out = []
    for shape in ((6, 1), (5,)):
        y = rng.integers(0, 2, size=shape).astype(np.float64)
        y.flat[0], y.flat[1] = 1.0, 0.0
        out.append(((rng.uniform(0.05, 0.95, size=shape), y),))
    return out


def layernorm_forward_cases(rng):
    """Non-square (N, D), rows with their own offsets, and an eps large enough that its place matters."""
    out = []
    for (n, d), eps in (((4, 6), 1e-5), ((5, 3), 0.5)):
        x = rng.normal(size=(n, d)) * 2.0 + rng.normal(size=(n, 1))
        out.append((x, rng.normal(size=d), rng.normal(size=d), eps))
    return out


def layernorm_backward_cases(rng):
    """(dout, cache) with the cache (x_hat, gamma, inv_std) the contract fixes, built from a forward pass done here
    (only plumbing, no answers)."""
    out = []
    for (n, d), eps in (((4, 6), 1e-5), ((6, 3), 0.3)):
        x = rng.normal(size=(n, d)) * 1.5 + rng.normal(size=(n, 1))
        inv_std = 1.0 / np.sqrt(x.var(axis=1, keepdims=True) + eps)
        x_hat = (x - x.mean(axis=1, keepdims=True)) * inv_std
        out.append((rng.normal(size=(n, d)), (x_hat, rng.normal(size=d), inv_std)))
    return out


def value():
    return lambda rng: [()]


def engine_mlp_cases(rng):
    out = []
    for sizes, n, activation in (([3, 6, 5, 4], 7, "tanh"), ([2, 8, 3], 6, "relu")):
        out.append((rng.normal(size=(n, sizes[0])), labels(rng, n, sizes[-1]), random_params(rng, sizes), activation))
    return out


def softmax_tensor_cases(rng):
    out = []
    for n, c in ((5, 3), (3, 6)):
        logits = rng.normal(size=(n, c)) * 2
        logits[0] += 800.0  # a row that overflows exp without the shift
        out.append((logits, labels(rng, n, c), rng.normal(size=(n, c)), float(rng.uniform(0.5, 2.0))))
    return out


def manual_gradient_cases(rng):
    """Leaves (a, b, c, f) of 04e's drawn graph L = (a b + c) f + a: signs mixed, then any."""
    return [tuple(float(v) for v in rng.uniform(0.5, 2.0, size=4) * np.array([1, -1, 1, -1])),
            tuple(float(v) for v in rng.uniform(-2.0, 2.0, size=4))]


def function_sigmoid_cases(rng):
    """(x, upstream, a second input) for 04e's Sigmoid Function: signs mixed, |x| = 800 included."""
    x = away_from_zero(rng, (4, 3), 0.1, 3.0)
    x[0, 0], x[1, 1] = 800.0, -800.0
    return [(x, rng.normal(size=(4, 3)), 0.5 * x[::-1] + 1.0), (rng.normal(size=(5,)), rng.normal(size=(5,)),
                                                                rng.normal(size=(5,)))]


def function_layernorm_cases(rng):
    """(x (N, D), gamma, beta, upstream, eps) for 04e's LayerNorm Function: rows with their own offsets, and an eps
    large enough that its place matters."""
    out = []
    for (n, d), eps in (((4, 6), 1e-5), ((5, 3), 0.3)):
        x = rng.normal(size=(n, d)) * 2.0 + rng.normal(size=(n, 1))
        out.append((x, rng.normal(size=d), rng.normal(size=d), rng.normal(size=(n, d)), eps))
    return out


# 04g_layers: every cache is built here from a forward pass (only plumbing, no answers), as the contract fixes it


def batchnorm_forward_cases(rng):
    """(x, gamma, beta, bn_param, x_test): a train step from given running averages (momentum and eps chosen so that
    each matters), then a test batch of another size (test mode must not use the batch's statistics)."""
    out = []
    for (n, d), eps, momentum in (((5, 3), 1e-5, 0.9), ((4, 6), 0.3, 0.7)):
        x = rng.normal(size=(n, d)) * 2.0 + rng.normal(size=d) * 3
        bn_param = {"mode": "train", "eps": eps, "momentum": momentum, "running_mean": rng.normal(size=d),
                    "running_var": rng.uniform(0.5, 2.0, size=d)}
        out.append((x, rng.normal(size=d), rng.normal(size=d), bn_param, rng.normal(size=(3, d)) * 2.0))
    return out


def batchnorm_backward_cases(rng):
    """(dout, cache) with the train-mode cache (x, gamma, mu, var, eps); var with ddof = 0."""
    out = []
    for (n, d), eps in (((5, 3), 1e-5), ((4, 6), 0.3)):
        x = rng.normal(size=(n, d)) * 1.5 + rng.normal(size=d)
        out.append((rng.normal(size=(n, d)), (x, rng.normal(size=d), x.mean(axis=0), x.var(axis=0), eps)))
    return out


def dropout_forward_cases(rng):
    """Seeded train-mode masks (the contract fixes how the mask is drawn from the seed), and test mode."""
    return [
        (rng.normal(size=(5, 4)), {"p": 0.6, "mode": "train", "seed": int(rng.integers(1 << 30))}),
        (rng.normal(size=(3, 2, 7)), {"p": 0.3, "mode": "train", "seed": int(rng.integers(1 << 30))}),
        (rng.normal(size=(4, 3)), {"p": 0.5, "mode": "test"}),
    ]


def dropout_backward_cases(rng):
    """A cached mask that no seed made (a backward pass that draws a mask of its own cannot match it), and test
    mode."""
    out = []
    for shape, p in (((5, 4), 0.6), ((3, 2, 7), 0.3)):
        mask = (rng.random(shape) < p) / p
        out.append((rng.normal(size=shape), ({"p": p, "mode": "train"}, mask)))
    out.append((rng.normal(size=(4, 3)), ({"p": 0.5, "mode": "test"}, None)))
    return out


def momentum_cases(rng):
    w = rng.normal(size=(3, 4))
    return [
        (w, rng.normal(size=(3, 4)), {"learning_rate": 0.05, "momentum": 0.8, "velocity": rng.normal(size=(3, 4))}),
        (rng.normal(size=5), rng.normal(size=5), None),
    ]


def rmsprop_cases(rng):
    """An epsilon large enough that its place (outside the square root) shows."""
    return [
        (rng.normal(size=(3, 4)), rng.normal(size=(3, 4)) * 0.3,
         {"learning_rate": 0.02, "decay_rate": 0.9, "epsilon": 0.05, "cache": rng.uniform(0.0, 0.2, size=(3, 4))}),
        (rng.normal(size=5), rng.normal(size=5), None),
    ]


def adam_cases(rng):
    """A state after two steps (bias correction at t = 3), beta1 != beta2 far apart, a large epsilon; and defaults."""
    return [
        (rng.normal(size=(3, 4)), rng.normal(size=(3, 4)) * 0.3,
         {"learning_rate": 0.01, "beta1": 0.8, "beta2": 0.95, "epsilon": 0.02, "m": rng.normal(size=(3, 4)) * 0.1,
          "v": rng.uniform(0.0, 0.05, size=(3, 4)), "t": 2}),
        (rng.normal(size=5), rng.normal(size=5), None),
    ]


def _rnn_weights(rng, d: int, h: int):
    return rng.normal(size=(d, h)) * 0.4, rng.normal(size=(h, h)) * 0.5, rng.normal(size=h) * 0.2


def rnn_step_forward_cases(rng):
    return [(rng.normal(size=(n, d)), rng.normal(size=(n, h)) * 0.5, *_rnn_weights(rng, d, h))
            for n, d, h in ((3, 4, 5), (2, 6, 3))]


def _rnn_step_cache(x, prev_h, wx, wh, b):
    return x, prev_h, wx, wh, np.tanh(x @ wx + prev_h @ wh + b)


def rnn_step_backward_cases(rng):
    return [(rng.normal(size=(n, h)), _rnn_step_cache(rng.normal(size=(n, d)), rng.normal(size=(n, h)) * 0.5,
                                                       *_rnn_weights(rng, d, h)))
            for n, d, h in ((3, 4, 5), (2, 6, 3))]


def rnn_forward_cases(rng):
    return [(rng.normal(size=(n, t, d)), rng.normal(size=(n, h)) * 0.5, *_rnn_weights(rng, d, h))
            for n, t, d, h in ((2, 4, 3, 5), (3, 3, 5, 2))]


def rnn_backward_cases(rng):
    """(dh, cache) with an upstream gradient at every step: the list of step caches of a forward pass done here."""
    out = []
    for n, t, d, h in ((2, 4, 3, 5), (3, 3, 5, 2)):
        x, prev = rng.normal(size=(n, t, d)), rng.normal(size=(n, h)) * 0.5
        wx, wh, b = _rnn_weights(rng, d, h)
        cache = []
        for step in range(t):
            cache.append(_rnn_step_cache(x[:, step], prev, wx, wh, b))
            prev = cache[-1][4]
        out.append((rng.normal(size=(n, t, h)), cache))
    return out


def clip_cases(rng):
    """Global norms above and below the threshold; one array much larger than the others."""
    out = []
    for max_norm in (0.5, 3.0, 100.0):
        grads = {"Wx": rng.normal(size=(3, 4)), "Wh": rng.normal(size=(4, 4)) * 2, "b": rng.normal(size=4)}
        out.append((grads, max_norm))
    return out


CONV_SHAPES = (  # (x shape, w shape, stride, pad): padding with stride 1 and 2, none, non-square filters
    ((2, 3, 5, 5), (4, 3, 3, 3), 1, 1), ((2, 2, 7, 5), (3, 2, 3, 3), 2, 1), ((3, 2, 4, 6), (2, 2, 2, 3), 2, 0))


def conv_forward_cases(rng):
    return [(rng.normal(size=xs), rng.normal(size=ws), rng.normal(size=ws[0]), {"stride": s, "pad": p})
            for xs, ws, s, p in CONV_SHAPES]


def conv_backward_cases(rng):
    out = []
    for (n, c, h, w), ws, s, p in CONV_SHAPES:
        ho, wo = 1 + (h + 2 * p - ws[2]) // s, 1 + (w + 2 * p - ws[3]) // s
        cache = (rng.normal(size=(n, c, h, w)), rng.normal(size=ws), rng.normal(size=ws[0]), {"stride": s, "pad": p})
        out.append((rng.normal(size=(n, ws[0], ho, wo)), cache))
    return out


POOL_SHAPES = (((2, 3, 4, 6), (2, 2, 2)), ((2, 2, 5, 5), (3, 3, 2)), ((1, 2, 6, 4), (2, 3, 1)))


def _distinct(rng, shape):
    """Values at least 0.09 apart: no ties, so the maximum of every window is unique."""
    return rng.permutation(int(np.prod(shape))).reshape(shape) * 0.1 + rng.uniform(0, 0.01, size=shape)


def maxpool_forward_cases(rng):
    return [(_distinct(rng, xs), {"pool_height": ph, "pool_width": pw, "stride": s}) for xs, (ph, pw, s) in POOL_SHAPES]


def maxpool_backward_cases(rng):
    """Distinct values (overlapping windows with stride 1 included), and a window of ties (the first maximum wins)."""
    out = []
    for (n, c, h, w), (ph, pw, s) in POOL_SHAPES:
        shape = (n, c, 1 + (h - ph) // s, 1 + (w - pw) // s)
        out.append((rng.normal(size=shape), (_distinct(rng, (n, c, h, w)),
                                             {"pool_height": ph, "pool_width": pw, "stride": s})))
    ties = np.zeros((1, 2, 2, 4))
    ties[:, :, :, 2:] = rng.normal(size=(1, 2, 2, 2))
    out.append((rng.normal(size=(1, 2, 1, 2)), (ties, {"pool_height": 2, "pool_width": 2, "stride": 2})))
    return out
