"""The re-check contract of solutions/04_usage/04e_engine.ipynb:
which inputs each graded name is called on and how its result is compared.

Loaded by grader/recheck/specs.py (`contract_for`); keys are the graded names of this notebook's test cells
("name", or "name:grade_id" for a class tested by several cells). See grader/recheck/specs.py for `Spec`.
"""

from grader.recheck import cases  # noqa: F401 - the input generators shared by the course
from grader.recheck.cases import Invalid  # noqa: F401
from grader.recheck.specs import Spec
from grader.sandboxed.values import TestFunction  # noqa: F401

SPECS: dict[str, Spec] = {
    "topological_order": Spec(lambda rng: [(int(rng.integers(1 << 30)), 100_000)], probe="topo_check"),
    "Value:eng_value_ops_test": Spec(
        lambda rng: [(*(float(v) for v in rng.uniform(0.3, 2.0, size=2)), float(rng.normal()), float(rng.normal()))],
        probe="value_ops",
        tol=1e-10,
    ),
    "Value:eng_value_backward_test": Spec(
        lambda rng: [(*(float(v) for v in rng.uniform(0.4, 1.2, size=2)), 30_000)], probe="value_backward", tol=1e-9
    ),
    "manual_gradients": Spec(cases.manual_gradient_cases, tol=1e-10),
    "MLP": Spec(lambda rng: [(int(rng.integers(1 << 30)),)], probe="mlp_library", tol=1e-9),
    "unbroadcast": Spec(cases.unbroadcast_cases, tol=1e-12),  # 04d and 04e share the contract
    "Tensor:eng_tensor_ops_test": Spec(lambda rng: [(int(rng.integers(1 << 30)),)], probe="tensor_ops", tol=1e-10),
    "Tensor:eng_tensor_softmax_ce_test": Spec(cases.softmax_tensor_cases, probe="tensor_softmax_ce", tol=1e-9),
    "Sigmoid": Spec(cases.function_sigmoid_cases, probe="function_op", tol=1e-10),
    "LayerNorm": Spec(cases.function_layernorm_cases, probe="function_layernorm", tol=1e-9),
    # twice: gradients that pile up across calls (Tensors kept between calls) are wrong the second time
    "engine_mlp_gradients": Spec(cases.engine_mlp_cases, probe="call_twice", tol=1e-10),
}
