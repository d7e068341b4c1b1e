"""The re-check contract of solutions/04_usage/04g_layers.ipynb:
which inputs each graded name is called on and how its result is compared.

Loaded by grader/recheck/specs.py (`contract_for`); keys are the graded names of this notebook's test cells
("name", or "name:grade_id" for a class tested by several cells). See grader/recheck/specs.py for `Spec`.
"""

from __future__ import annotations

import numpy as np

from grader.recheck.specs import Spec


def batchnorm_forward_cases(rng):
    """(x, gamma, beta, bn_param, x_test): a train step from given running averages (momentum and eps chosen so that
    each matters), then a test batch of another size (test mode must not use the batch's statistics)."""
    out = []
    for (n, d), eps, momentum in (((5, 3), 1e-5, 0.9), ((4, 6), 0.3, 0.7)):
        x = rng.normal(size=(n, d)) * 2.0 + rng.normal(size=d) * 3
        bn_param = {
            "mode": "train",
            "eps": eps,
            "momentum": momentum,
            "running_mean": rng.normal(size=d),
            "running_var": rng.uniform(0.5, 2.0, size=d),
        }
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
        (
            rng.normal(size=(3, 4)),
            rng.normal(size=(3, 4)) * 0.3,
            {"learning_rate": 0.02, "decay_rate": 0.9, "epsilon": 0.05, "cache": rng.uniform(0.0, 0.2, size=(3, 4))},
        ),
        (rng.normal(size=5), rng.normal(size=5), None),
    ]


def adam_cases(rng):
    """A state after two steps (bias correction at t = 3), beta1 != beta2 far apart, a large epsilon; and defaults."""
    return [
        (
            rng.normal(size=(3, 4)),
            rng.normal(size=(3, 4)) * 0.3,
            {
                "learning_rate": 0.01,
                "beta1": 0.8,
                "beta2": 0.95,
                "epsilon": 0.02,
                "m": rng.normal(size=(3, 4)) * 0.1,
                "v": rng.uniform(0.0, 0.05, size=(3, 4)),
                "t": 2,
            },
        ),
        (rng.normal(size=5), rng.normal(size=5), None),
    ]


def _rnn_weights(rng, d: int, h: int):
    return rng.normal(size=(d, h)) * 0.4, rng.normal(size=(h, h)) * 0.5, rng.normal(size=h) * 0.2


def rnn_step_forward_cases(rng):
    return [
        (rng.normal(size=(n, d)), rng.normal(size=(n, h)) * 0.5, *_rnn_weights(rng, d, h))
        for n, d, h in ((3, 4, 5), (2, 6, 3))
    ]


def _rnn_step_cache(x, prev_h, wx, wh, b):
    return x, prev_h, wx, wh, np.tanh(x @ wx + prev_h @ wh + b)


def rnn_step_backward_cases(rng):
    return [
        (
            rng.normal(size=(n, h)),
            _rnn_step_cache(rng.normal(size=(n, d)), rng.normal(size=(n, h)) * 0.5, *_rnn_weights(rng, d, h)),
        )
        for n, d, h in ((3, 4, 5), (2, 6, 3))
    ]


def rnn_forward_cases(rng):
    return [
        (rng.normal(size=(n, t, d)), rng.normal(size=(n, h)) * 0.5, *_rnn_weights(rng, d, h))
        for n, t, d, h in ((2, 4, 3, 5), (3, 3, 5, 2))
    ]


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
    ((2, 3, 5, 5), (4, 3, 3, 3), 1, 1),
    ((2, 2, 7, 5), (3, 2, 3, 3), 2, 1),
    ((3, 2, 4, 6), (2, 2, 2, 3), 2, 0),
)


def conv_forward_cases(rng):
    return [
        (rng.normal(size=xs), rng.normal(size=ws), rng.normal(size=ws[0]), {"stride": s, "pad": p})
        for xs, ws, s, p in CONV_SHAPES
    ]


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
        out.append(
            (rng.normal(size=shape), (_distinct(rng, (n, c, h, w)), {"pool_height": ph, "pool_width": pw, "stride": s}))
        )
    ties = np.zeros((1, 2, 2, 4))
    ties[:, :, :, 2:] = rng.normal(size=(1, 2, 2, 2))
    out.append((rng.normal(size=(1, 2, 1, 2)), (ties, {"pool_height": 2, "pool_width": 2, "stride": 2})))
    return out


SPECS: dict[str, Spec] = {
    "batchnorm_forward": Spec(batchnorm_forward_cases, probe="batchnorm_train_then_test"),
    "batchnorm_backward": Spec(batchnorm_backward_cases),
    "batchnorm_backward_alt": Spec(batchnorm_backward_cases),
    "dropout_forward": Spec(dropout_forward_cases),
    "dropout_backward": Spec(dropout_backward_cases),
    # a step, then the default config twice: state kept between calls outside the config shows (issue 26)
    "sgd_momentum": Spec(momentum_cases, probe="step_then_default_twice"),
    "rmsprop": Spec(rmsprop_cases, probe="step_then_default_twice"),
    "adam": Spec(adam_cases, probe="step_then_default_twice"),
    "rnn_step_forward": Spec(rnn_step_forward_cases),
    "rnn_step_backward": Spec(rnn_step_backward_cases),
    "rnn_forward": Spec(rnn_forward_cases),
    "rnn_backward": Spec(rnn_backward_cases),
    "clip_grad_norm": Spec(clip_cases),
    "conv2d_forward": Spec(conv_forward_cases),
    "conv2d_backward": Spec(conv_backward_cases),
    "maxpool_forward": Spec(maxpool_forward_cases),
    "maxpool_backward": Spec(maxpool_backward_cases),
}
