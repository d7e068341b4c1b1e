"""Inputs for the trusted re-check, keyed by the contract's names (course-design.md): functions, classes, values.

A spec says how to build arguments from a seeded generator, and what part of the result to compare. It holds
no answers: the expected values come from calling the solution notebook's own function (or probe, see
grader/recheck/probes.py) on the same inputs. A name without a spec (or whose spec does not fit the solution's
signature) is not re-checked; the grade summary names it. Inputs follow the hidden tests' rules: float64,
non-square shapes with distinct sizes, N >= 2, values away from kinks (|z| >= 0.1 for relu).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from grader.recheck import cases
from grader.recheck.cases import Invalid
from grader.recheck.values import TestFunction


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


SPECS: dict[str, Spec] = {
    # 01_term
    "propagate_back": Spec(
        lambda rng: [(list(rng.uniform(0.5, 2.0, size=5)),), (list(rng.uniform(-2, 2, size=3)),), ([],)]
    ),
    "chain_forward": Spec(lambda rng: [(float(rng.uniform(0.2, 1.5)),), (rng.uniform(-1.5, 1.5, size=(3, 2)),)]),
    "chain_backward": Spec(  # the shape (2, 3) twice: a result kept between calls (by shape, say) shows
        lambda rng: [cases.chain_cache(float(rng.uniform(0.2, 1.5)))]
        + [cases.chain_cache(rng.uniform(-1.5, 1.5, size=(2, 3))) for _ in range(2)]
    ),
    "neuron_gradients": Spec(lambda rng: [tuple(float(v) for v in rng.uniform(-1.5, 1.5, size=4)) for _ in range(3)]),
    # 02_definition
    # forward passes: the whole (out, cache) pair, since the cache is the contract step 4's backward relies on
    "sigmoid_forward": Spec(cases.activation_cases),
    "relu_forward": Spec(cases.activation_cases),
    "tanh_forward": Spec(cases.activation_cases),
    "dense_forward": Spec(lambda rng: [cases.dense(rng, 4, 3, 5), cases.dense(rng, 2, 6, 3)]),
    "mlp_forward": Spec(
        lambda rng: [
            (rng.normal(size=(4, 3)), cases.random_params(rng, [3, 5, 2])),
            (rng.normal(size=(5, 2)), cases.random_params(rng, [2, 6, 4, 3]), "tanh"),
            (rng.normal(size=(5, 2)), cases.random_params(rng, [2, 6, 4, 3]), "sigmoid"),
            Invalid((rng.normal(size=(3, 2)), cases.random_params(rng, [2, 4, 3]), "swish")),
        ]
    ),
    "mse_forward": Spec(lambda rng: [(rng.normal(size=(4, 3)), rng.normal(size=(4, 3)))]),
    "binary_cross_entropy_forward": Spec(cases.bce_cases),
    "softmax": Spec(cases.softmax_cases),
    "softmax_cross_entropy_forward": Spec(cases.softmax_ce_cases),
    "chance_level_loss": Spec(lambda rng: [(int(rng.integers(2, 12)),), (3,)]),
    # 03_purpose
    "forward_order": Spec(cases.value(), kind="value", atol=0.2),  # the hidden test's bound on the measured order
    "central_order": Spec(cases.value(), kind="value", atol=0.2),
    "central_cubic_constant": Spec(cases.value(), kind="value", atol=1e-3),
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
    "sigmoid_backward": Spec(cases.activation_backward_cases),
    "relu_backward": Spec(cases.activation_backward_cases),
    "tanh_backward": Spec(cases.activation_backward_cases),
    "dense_backward": Spec(
        lambda rng: [
            (rng.normal(size=(4, 5)), cases.dense(rng, 4, 3, 5)),
            (rng.normal(size=(2, 3)), cases.dense(rng, 2, 6, 3)),
        ]
    ),
    "mse_backward": Spec(lambda rng: [((rng.normal(size=(4, 3)), rng.normal(size=(4, 3))),)]),
    "softmax_cross_entropy_backward": Spec(cases.softmax_ce_backward_cases),
    "mlp_backward": Spec(cases.mlp_backward_cases),
    "sgd_step": Spec(lambda rng: [cases.sgd_case(rng, [3, 4, 2]), cases.sgd_case(rng, [2, 5, 3, 2])]),
    "linear_weight_grad": Spec(lambda rng: [(rng.normal(size=(4, 3)), rng.normal(size=(4, 5)))]),
    "train": Spec(cases.train_cases, probe="train_alone", context=cases.TRAIN_CONTEXT, tol=1e-8),
    "to_torch_params": Spec(
        lambda rng: [(cases.random_params(rng, [3, 5, 4, 2]),)], probe="torch_params", frameworks=True, tol=1e-12
    ),
    "torch_mlp_loss": Spec(cases.torch_cases, probe="torch_loss", frameworks=True, tol=1e-9),
    "torch_gradients": Spec(cases.torch_cases, probe="call_twice", frameworks=True, tol=1e-8),
    "build_keras_mlp": Spec(cases.keras_model_cases, probe="keras_model", frameworks=True, error="norm", tol=1e-8),
    # Keras' optimizer step: compared as steps (new - params) over each array, to 1e-5 as the hidden test does
    "keras_sgd_step": Spec(cases.keras_step_cases, probe="keras_step", frameworks=True, error="norm", tol=1e-5),
    # 04c_gradient_flow
    "init_std": Spec(cases.init_std_cases),
    # 04d_jacobians
    "softmax_jacobian": Spec(lambda rng: [(cases.probability_vector(rng, 4),), (cases.probability_vector(rng, 7),)]),
    "unbroadcast": Spec(cases.unbroadcast_cases, tol=1e-12),  # 04d and 04e share the contract
    "binary_cross_entropy_backward": Spec(cases.bce_backward_cases),
    "layernorm_forward": Spec(cases.layernorm_forward_cases),  # the whole (out, cache): the cache is the contract
    "layernorm_backward": Spec(cases.layernorm_backward_cases),
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
    "Tensor:eng_tensor_softmax_ce_test": Spec(cases.softmax_tensor_cases, probe="tensor_softmax_ce", tol=1e-9),
    # twice: gradients that pile up across calls (Tensors kept between calls) are wrong the second time
    "engine_mlp_gradients": Spec(cases.engine_mlp_cases, probe="call_twice", tol=1e-10),
    "manual_gradients": Spec(cases.manual_gradient_cases, tol=1e-10),
    "MLP": Spec(lambda rng: [(int(rng.integers(1 << 30)),)], probe="mlp_library", tol=1e-9),
    "Sigmoid": Spec(cases.function_sigmoid_cases, probe="function_op", tol=1e-10),
    "LayerNorm": Spec(cases.function_layernorm_cases, probe="function_layernorm", tol=1e-9),
    # 04g_layers: every cache is the contract's, so forward passes are compared whole, (out, cache)
    "batchnorm_forward": Spec(cases.batchnorm_forward_cases, probe="batchnorm_train_then_test"),
    "batchnorm_backward": Spec(cases.batchnorm_backward_cases),
    "batchnorm_backward_alt": Spec(cases.batchnorm_backward_cases),
    "dropout_forward": Spec(cases.dropout_forward_cases),
    "dropout_backward": Spec(cases.dropout_backward_cases),
    "sgd_momentum": Spec(cases.momentum_cases),
    "rmsprop": Spec(cases.rmsprop_cases),
    "adam": Spec(cases.adam_cases),
    "rnn_step_forward": Spec(cases.rnn_step_forward_cases),
    "rnn_step_backward": Spec(cases.rnn_step_backward_cases),
    "rnn_forward": Spec(cases.rnn_forward_cases),
    "rnn_backward": Spec(cases.rnn_backward_cases),
    "clip_grad_norm": Spec(cases.clip_cases),
    "conv2d_forward": Spec(cases.conv_forward_cases),
    "conv2d_backward": Spec(cases.conv_backward_cases),
    "maxpool_forward": Spec(cases.maxpool_forward_cases),
    "maxpool_backward": Spec(cases.maxpool_backward_cases),
    # 05_comparison
    "fit_loglog_slope": Spec(lambda rng: [cases.loglog_case(rng)]),
    "cost_summary": Spec(lambda rng: [(cases.cost_rows(rng),)]),
    # complex steps: the same formula on both sides agrees to rounding, so a tight tolerance also catches a needlessly
    # large default step (h = 1e-5 is off by about 1e-11); the explicit h of the second case catches an ignored h
    "complex_step_gradient": Spec(
        lambda rng: [
            (TestFunction("analytic_scalar"), rng.uniform(-1.5, 1.5, size=(3, 2))),
            (TestFunction("dual_cubic_sum"), rng.uniform(0.4, 1.6, size=(4,)), float(rng.uniform(0.05, 0.2))),
        ],
        tol=1e-12,
    ),
    "Dual:cmp_dual_arith_test": Spec(cases.dual_arithmetic_cases, probe="dual_arithmetic", tol=1e-10),
    "Dual:cmp_dual_funcs_test": Spec(cases.dual_function_cases, probe="dual_functions", tol=1e-10),
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
