"""Inputs for the trusted re-check, keyed by the contract's names (course-design.md): functions, classes, values.

A spec says how to build arguments from a seeded generator, and what part of the result to compare. It holds
no answers: the expected values come from calling the solution notebook's own function (or probe, see
grader/recheck/probes.py) on the same inputs. A name without a spec (or whose spec does not fit the solution's
signature) is not re-checked; the grade summary names it. Inputs follow the hidden tests' rules: float64,
non-square shapes with distinct sizes, N >= 2, values away from kinks (|z| >= 0.1 for relu).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from grader.recheck.runner import TestFunction


@dataclass(frozen=True)
class Invalid:
    """A case the solution rejects by raising (a 2-D label array, an unknown activation): the student's function
    must raise the same exception type."""

    args: tuple[Any, ...]


@dataclass(frozen=True)
class Spec:
    """How to re-check one graded name.

    cases: seeded generator -> list of positional-argument tuples (plain data, arrays, TestFunction), or
        `Invalid(args)` for inputs the solution rejects.
    compare: "all" (the whole result), "first" (item 0 of an (out, cache) pair).
    tol: largest relative error accepted, entry by entry (error="entrywise") or ||a - e|| / ||e|| over each
        array (error="norm", for float32-rounded framework results whose small entries carry no precision).
    atol: when set, the largest absolute difference accepted instead (numbers a student derives, e.g. an order);
        a dict gives one per key of a dict result.
    kind: "call" (a function or class, called on each case) or "value" (a variable the solution cell sets;
        cases is [()]).
    probe: name of a function of grader/recheck/probes.py called as probe(obj, *args) instead of obj(*args).
    context: solution functions the probe receives after obj (probe(obj, {name: function}, *args)): they run
        in a sandbox of their own, so they are never in reach of the student's other graded functions.
    frameworks: needs the real torch and keras in the sandbox (slower to start: about 3 s of imports).
    """

    cases: Callable[[np.random.Generator], list[tuple[Any, ...]]]
    compare: str = "all"
    tol: float = 1e-6
    error: str = "entrywise"
    atol: float | dict[str, float] | None = None
    kind: str = "call"
    probe: str | None = None
    context: tuple[str, ...] = ()
    frameworks: bool = False


def _away_from_zero(rng: np.random.Generator, shape: tuple[int, ...], low: float = 0.1, high: float = 2.0):
    return rng.uniform(low, high, size=shape) * rng.choice([-1.0, 1.0], size=shape)


def _dense(rng: np.random.Generator, n: int, d: int, m: int):
    return rng.normal(size=(n, d)), rng.normal(size=(d, m)) * 0.5, rng.normal(size=(m,))


def _params(rng: np.random.Generator, sizes: list[int]) -> dict[str, np.ndarray]:
    params = {}
    for i, (a, b) in enumerate(zip(sizes[:-1], sizes[1:], strict=True), start=1):
        params[f"W{i}"] = rng.normal(size=(a, b)) / np.sqrt(a)
        params[f"b{i}"] = rng.normal(size=(b,)) * 0.1
    return params


def _chain_cache(x):
    """The cache (x, a, b) of 01_term's chain x -> a = 2x + 1 -> b = a**2 -> y = sin(b), as its docstring says."""
    a = 2.0 * x + 1.0
    return ((x, a, a**2),)


def _activation_cases(rng):
    extreme = _away_from_zero(rng, (2, 3))
    extreme[0, :2], extreme[1, :2] = (800.0, -800.0), (-750.0, 750.0)  # exp overflows in a naive formula
    return [(_away_from_zero(rng, (3, 5)),), (_away_from_zero(rng, (4, 2)) * 3,), (extreme,)]


def _activation_backward_cases(rng):
    return [  # two calls of the same shape: a buffer reused between calls changes the first result
        (rng.normal(size=(3, 5)), _away_from_zero(rng, (3, 5))),
        (rng.normal(size=(4, 2)), _away_from_zero(rng, (4, 2))),
        (rng.normal(size=(3, 5)), _away_from_zero(rng, (3, 5))),
    ]


def _mlp_caches(rng: np.random.Generator, sizes: list[int], n: int, activation: str):
    """Caches shaped as the contract says, built from a forward pass done here (only plumbing, no answers)."""
    params = _params(rng, sizes)
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


def _mlp_backward_cases(rng):
    out = []  # the deeper network first: a dict kept between calls then shows its stale W3
    for sizes, n, act in (([2, 6, 4, 3], 5, "tanh"), ([3, 5, 2], 4, "relu")):
        caches, scores = _mlp_caches(rng, sizes, n, act)
        out.append((rng.normal(size=scores.shape), caches))
    return out


def _probs(rng, shape):
    p = rng.uniform(0.05, 0.95, size=shape)
    return p


def _labels(rng, n, c):
    return rng.integers(0, c, size=n)


def _softmax_cases(rng):
    offsets = np.array([[1000.0], [-1000.0], [0.0]])  # each row needs its own max: exp(+-1000) over/underflows
    return [(rng.normal(size=(4, 3)) * 3,), (rng.normal(size=(2, 5)) + 500.0,), (rng.normal(size=(3, 4)) + offsets,)]


def _softmax_ce_cases(rng):
    far = rng.normal(size=(3, 4))
    far[np.arange(3), [1, 3, 0]] -= 800.0  # the true class far below: softmax underflows to 0, log-sum-exp does not
    return [
        (rng.normal(size=(5, 3)), _labels(rng, 5, 3)),
        (rng.normal(size=(3, 4)) * 2, _labels(rng, 3, 4)),
        (far, np.array([1, 3, 0])),
        Invalid((rng.normal(size=(3, 4)), np.eye(4)[[0, 2, 1]])),  # one-hot rows instead of labels
    ]


def _bce_cases(rng):
    p, y = _probs(rng, (6, 1)), rng.integers(0, 2, size=(6, 1)).astype(np.float64)
    edge_y = np.array([1.0, 0.0, 1.0, 0.0, 1.0])
    edge_p = np.array([1.0, 0.0, 0.0, 1.0, 1e-9])  # right and confidently wrong at exactly 0 and 1, and a tiny p
    return [(p, y), (edge_p, edge_y)]


def _softmax_ce_backward_cases(rng):
    out = []
    for n, c in ((4, 3), (5, 6)):
        z = rng.normal(size=(n, c))
        probs = np.exp(z - z.max(axis=1, keepdims=True))
        probs /= probs.sum(axis=1, keepdims=True)
        out.append(((probs, _labels(rng, n, c)),))
    return out


def _sgd_case(rng, sizes):
    params = _params(rng, sizes)
    grads = {k: rng.normal(size=v.shape) for k, v in params.items()}
    return (params, grads, float(rng.uniform(0.01, 0.5)))


def _loglog_case(rng):
    sizes = np.array([10.0, 30.0, 100.0, 300.0, 1000.0])
    return (sizes, 0.01 * sizes ** float(rng.uniform(0.8, 2.2)) * rng.uniform(0.9, 1.1, size=5))


def _cost_rows(rng):
    rows = []
    for i, p in enumerate((10, 40, 160, 640)):
        forward = 1e-4 * p**0.9 * float(rng.uniform(0.9, 1.1))
        row = {"P": p, "forward": forward, "backprop": forward * float(rng.uniform(2.0, 3.0))}
        if i < 3:
            row["finite_differences"] = forward * p * float(rng.uniform(1.8, 2.2))
            row["forward_mode"] = forward * p * float(rng.uniform(1.0, 1.5))
        rows.append(row)
    return rows


def _train_cases(rng):
    """The hidden test's three runs (full batch; shuffled mini-batches with a last, smaller batch; relu), on
    inputs and seeds of this student's own."""
    X, y = rng.normal(size=(10, 3)), rng.integers(0, 4, size=10)
    params = _params(rng, [3, 5, 4])
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


def _torch_cases(rng):
    """An input batch with C = 4 classes and a 3-layer network, once per activation."""
    x, y = rng.normal(size=(7, 3)), rng.integers(0, 4, size=7)
    params = {k: v * 2.0 for k, v in _params(rng, [3, 5, 6, 4]).items()}
    return [(x, y, params, activation) for activation in ACTIVATIONS]


def _keras_model_cases(rng):
    return [
        (_params(rng, [3, 5, 2]), "relu", rng.normal(size=(4, 3))),
        (_params(rng, [2, 6, 4, 3]), "tanh", rng.normal(size=(5, 2))),
    ]


def _keras_step_cases(rng):
    out = []
    # N = 40 > 32, Keras' default batch size: one full-batch step differs from two mini-batch steps
    for sizes, n, activation in (([3, 5, 2], 40, "relu"), ([2, 4, 3, 3], 5, "tanh")):
        x, y = rng.normal(size=(n, sizes[0])), rng.integers(0, sizes[-1], size=n)
        out.append((_params(rng, sizes), activation, x, y, float(rng.uniform(0.05, 0.5))))
    return out


def _dual_arithmetic_cases(rng):
    u, v = rng.uniform(0.5, 2.0, size=5), rng.uniform(0.5, 2.0, size=5)
    return [(u, rng.normal(size=5), v, rng.normal(size=5), rng.normal(size=(2, 3)), rng.normal(size=(2, 3)))]


def _dual_function_cases(rng):
    return [(rng.uniform(0.3, 1.8, size=(2, 3)), rng.normal(size=(2, 3)))]


def _init_std_cases(rng):
    """Distinct fan-in and fan-out (so a swap shows), every activation, and an unknown one the solution rejects."""
    out = []
    for activation in ("relu", "tanh", "sigmoid", "linear"):
        fan_in, fan_out = (int(v) for v in rng.choice(np.arange(3, 300), size=2, replace=False))
        out.append((fan_in, fan_out, activation))
    out.append((int(rng.integers(150, 300)), int(rng.integers(3, 100)), "relu"))  # fan_in > fan_out for He
    out.append(Invalid((5, 4, "swish")))
    return out


def _probability_vector(rng, c: int):
    z = rng.normal(size=c) * 1.5
    p = np.exp(z - z.max())
    return p / p.sum()


def _unbroadcast_cases(rng):
    """Every kind of broadcast: added leading axes, stretched size-1 axes, both, a scalar, none."""
    pairs = [((4, 3), (3,)), ((4, 3), (4, 1)), ((2, 4, 3), (1, 3)), ((2, 4, 3), (4, 1)), ((4, 3), ()), ((3, 5), (3, 5))]
    pairs += [((4, 3, 5), shape) for shape in ((5,), (3, 1), (1, 5), (4, 1, 5), (), (4, 3, 5), (1, 1, 1))]
    return [(rng.normal(size=dout_shape), shape) for dout_shape, shape in pairs]


def _bce_backward_cases(rng):
    out = []
    for shape in ((6, 1), (5,)):
        y = rng.integers(0, 2, size=shape).astype(np.float64)
        y.flat[0], y.flat[1] = 1.0, 0.0
        out.append(((rng.uniform(0.05, 0.95, size=shape), y),))
    return out


def _layernorm_forward_cases(rng):
    """Non-square (N, D), rows with their own offsets, and an eps large enough that its place matters."""
    out = []
    for (n, d), eps in (((4, 6), 1e-5), ((5, 3), 0.5)):
        x = rng.normal(size=(n, d)) * 2.0 + rng.normal(size=(n, 1))
        out.append((x, rng.normal(size=d), rng.normal(size=d), eps))
    return out


def _layernorm_backward_cases(rng):
    """(dout, cache) with the cache (x_hat, gamma, inv_std) the contract fixes, built from a forward pass done here
    (only plumbing, no answers)."""
    out = []
    for (n, d), eps in (((4, 6), 1e-5), ((6, 3), 0.3)):
        x = rng.normal(size=(n, d)) * 1.5 + rng.normal(size=(n, 1))
        inv_std = 1.0 / np.sqrt(x.var(axis=1, keepdims=True) + eps)
        x_hat = (x - x.mean(axis=1, keepdims=True)) * inv_std
        out.append((rng.normal(size=(n, d)), (x_hat, rng.normal(size=d), inv_std)))
    return out


def _value():
    return lambda rng: [()]


def _engine_mlp_cases(rng):
    out = []
    for sizes, n, activation in (([3, 6, 5, 4], 7, "tanh"), ([2, 8, 3], 6, "relu")):
        out.append((rng.normal(size=(n, sizes[0])), _labels(rng, n, sizes[-1]), _params(rng, sizes), activation))
    return out


def _softmax_tensor_cases(rng):
    out = []
    for n, c in ((5, 3), (3, 6)):
        logits = rng.normal(size=(n, c)) * 2
        logits[0] += 800.0  # a row that overflows exp without the shift
        out.append((logits, _labels(rng, n, c), rng.normal(size=(n, c)), float(rng.uniform(0.5, 2.0))))
    return out


SPECS: dict[str, Spec] = {
    # 01_term
    "propagate_back": Spec(
        lambda rng: [(list(rng.uniform(0.5, 2.0, size=5)),), (list(rng.uniform(-2, 2, size=3)),), ([],)]
    ),
    "chain_forward": Spec(lambda rng: [(float(rng.uniform(0.2, 1.5)),), (rng.uniform(-1.5, 1.5, size=(3, 2)),)]),
    "chain_backward": Spec(  # the shape (2, 3) twice: a result kept between calls (by shape, say) shows
        lambda rng: [_chain_cache(float(rng.uniform(0.2, 1.5)))]
        + [_chain_cache(rng.uniform(-1.5, 1.5, size=(2, 3))) for _ in range(2)]
    ),
    "neuron_gradients": Spec(lambda rng: [tuple(float(v) for v in rng.uniform(-1.5, 1.5, size=4)) for _ in range(3)]),
    # 02_definition
    # forward passes: the whole (out, cache) pair, since the cache is the contract step 4's backward relies on
    "sigmoid_forward": Spec(_activation_cases),
    "relu_forward": Spec(_activation_cases),
    "tanh_forward": Spec(_activation_cases),
    "dense_forward": Spec(lambda rng: [_dense(rng, 4, 3, 5), _dense(rng, 2, 6, 3)]),
    "mlp_forward": Spec(
        lambda rng: [
            (rng.normal(size=(4, 3)), _params(rng, [3, 5, 2])),
            (rng.normal(size=(5, 2)), _params(rng, [2, 6, 4, 3]), "tanh"),
            (rng.normal(size=(5, 2)), _params(rng, [2, 6, 4, 3]), "sigmoid"),
            Invalid((rng.normal(size=(3, 2)), _params(rng, [2, 4, 3]), "swish")),
        ]
    ),
    "mse_forward": Spec(lambda rng: [(rng.normal(size=(4, 3)), rng.normal(size=(4, 3)))]),
    "binary_cross_entropy_forward": Spec(_bce_cases),
    "softmax": Spec(_softmax_cases),
    "softmax_cross_entropy_forward": Spec(_softmax_ce_cases),
    "chance_level_loss": Spec(lambda rng: [(int(rng.integers(2, 12)),), (3,)]),
    # 03_purpose
    "forward_order": Spec(_value(), kind="value", atol=0.2),  # the hidden test's bound on the measured order
    "central_order": Spec(_value(), kind="value", atol=0.2),
    "central_cubic_constant": Spec(_value(), kind="value", atol=1e-3),
    "largest_stable_learning_rate": Spec(lambda rng: [(float(rng.uniform(0.2, 5.0)),), (1.0,)]),
    # finite differences: the same formula and step on both sides agree to round-off, so a tight tolerance also
    # catches a changed default step or an ignored h
    "numerical_gradient": Spec(
        lambda rng: [
            (TestFunction("smooth_scalar"), rng.normal(size=(3, 2))),
            (TestFunction("sum_of_squares"), rng.normal(size=(4,))),
            (TestFunction("smooth_scalar"), rng.normal(size=(2, 3)), float(rng.uniform(0.02, 0.1))),
        ],
        tol=1e-7,
    ),
    "gradient_descent": Spec(
        lambda rng: [(TestFunction("quadratic_bowl_grad"), rng.normal(size=(3,)), float(rng.uniform(0.02, 0.3)), 7)],
        tol=1e-6,
    ),
    # 04_usage
    "sigmoid_backward": Spec(_activation_backward_cases),
    "relu_backward": Spec(_activation_backward_cases),
    "tanh_backward": Spec(_activation_backward_cases),
    "dense_backward": Spec(
        lambda rng: [(rng.normal(size=(4, 5)), _dense(rng, 4, 3, 5)), (rng.normal(size=(2, 3)), _dense(rng, 2, 6, 3))]
    ),
    "mse_backward": Spec(lambda rng: [((rng.normal(size=(4, 3)), rng.normal(size=(4, 3))),)]),
    "softmax_cross_entropy_backward": Spec(_softmax_ce_backward_cases),
    "mlp_backward": Spec(_mlp_backward_cases),
    "sgd_step": Spec(lambda rng: [_sgd_case(rng, [3, 4, 2]), _sgd_case(rng, [2, 5, 3, 2])]),
    "linear_weight_grad": Spec(lambda rng: [(rng.normal(size=(4, 3)), rng.normal(size=(4, 5)))]),
    "train": Spec(_train_cases, probe="train_alone", context=TRAIN_CONTEXT, tol=1e-8),
    "to_torch_params": Spec(
        lambda rng: [(_params(rng, [3, 5, 4, 2]),)], probe="torch_params", frameworks=True, tol=1e-12
    ),
    "torch_mlp_loss": Spec(_torch_cases, probe="torch_loss", frameworks=True, tol=1e-9),
    "torch_gradients": Spec(_torch_cases, probe="call_twice", frameworks=True, tol=1e-8),
    "build_keras_mlp": Spec(_keras_model_cases, probe="keras_model", frameworks=True, error="norm", tol=1e-8),
    # Keras' optimizer step: compared as steps (new - params) over each array, to 1e-5 as the hidden test does
    "keras_sgd_step": Spec(_keras_step_cases, probe="keras_step", frameworks=True, error="norm", tol=1e-5),
    # 04c_gradient_flow
    "init_std": Spec(_init_std_cases),
    # 04d_jacobians
    "softmax_jacobian": Spec(lambda rng: [(_probability_vector(rng, 4),), (_probability_vector(rng, 7),)]),
    "unbroadcast": Spec(_unbroadcast_cases, tol=1e-12),  # 04d and 04e share the contract
    "binary_cross_entropy_backward": Spec(_bce_backward_cases),
    "layernorm_forward": Spec(_layernorm_forward_cases),  # the whole (out, cache): the cache is the contract
    "layernorm_backward": Spec(_layernorm_backward_cases),
    # 04e_engine: the student's classes on the grader's graphs (grader/recheck/probes.py)
    "topological_order": Spec(lambda rng: [(int(rng.integers(1 << 30)), 100_000)], probe="topo_check"),
    "Value:eng_value_ops_test": Spec(
        lambda rng: [(*(float(v) for v in rng.uniform(0.3, 2.0, size=2)), float(rng.normal()), float(rng.normal()))],
        probe="value_ops",
        tol=1e-10,
    ),
    "Value:eng_value_backward_test": Spec(
        lambda rng: [(*(float(v) for v in rng.uniform(0.4, 1.2, size=2)), 30_000)], probe="value_backward", tol=1e-9
    ),
    "Tensor:eng_tensor_ops_test": Spec(lambda rng: [(int(rng.integers(1 << 30)),)], probe="tensor_ops", tol=1e-10),
    "Tensor:eng_tensor_softmax_ce_test": Spec(_softmax_tensor_cases, probe="tensor_softmax_ce", tol=1e-9),
    "engine_mlp_gradients": Spec(_engine_mlp_cases, tol=1e-10),
    # 05_comparison
    "fit_loglog_slope": Spec(lambda rng: [_loglog_case(rng)]),
    "cost_summary": Spec(lambda rng: [(_cost_rows(rng),)]),
    # complex steps: the same formula on both sides agrees to rounding, so a tight tolerance also catches a needlessly
    # large default step (h = 1e-5 is off by about 1e-11); the explicit h of the second case catches an ignored h
    "complex_step_gradient": Spec(
        lambda rng: [
            (TestFunction("analytic_scalar"), rng.uniform(-1.5, 1.5, size=(3, 2))),
            (TestFunction("dual_cubic_sum"), rng.uniform(0.4, 1.6, size=(4,)), float(rng.uniform(0.05, 0.2))),
        ],
        tol=1e-12,
    ),
    "Dual:cmp_dual_arith_test": Spec(_dual_arithmetic_cases, probe="dual_arithmetic", tol=1e-10),
    "Dual:cmp_dual_funcs_test": Spec(_dual_function_cases, probe="dual_functions", tol=1e-10),
    # one pass per input: the count of calls of f may differ by one (a first call for the value)
    "forward_mode_gradient": Spec(
        lambda rng: [(TestFunction("dual_cubic_sum"), rng.uniform(0.4, 1.6, size=(3, 4)))],
        probe="counting_calls",
        tol=1e-9,
        atol={"calls": 1},
    ),
}


def seed_for(student: str, assignment: str, function: str) -> int:
    """A seed per student, assignment and function: stable across runs, different between students."""
    import hashlib

    digest = hashlib.sha256(f"{student}\0{assignment}\0{function}".encode()).digest()
    return int.from_bytes(digest[:4], "little")


def spec_key(grade_id: str, name: str) -> str:
    """The check of `name` in the test cell `grade_id`: "name:grade_id" when that test has a spec of its own (a
    class tested by several cells, e.g. Dual's arithmetic and its functions), else the name."""
    own = f"{name}:{grade_id}"
    return own if own in SPECS else name


def object_name(key: str) -> str:
    """The function, class or value a check key is about: "Dual:cmp_dual_arith_test" -> "Dual"."""
    return key.split(":", 1)[0]


def check_keys(exercise) -> list[str]:
    """The checks of one exercise (grader.grading.sources.Exercise), as keys of SPECS or plain names."""
    return [spec_key(exercise.grade_id, name) for name in exercise.functions]
