"""The re-check contract of solutions/04_usage/04d_jacobians.ipynb:
which inputs each graded name is called on and how its result is compared.

Loaded by grader/recheck/specs.py (`contract_for`); keys are the graded names of this notebook's test cells
("name", or "name:grade_id" for a class tested by several cells). See grader/recheck/specs.py for `Spec`.
"""

from grader.recheck import cases  # noqa: F401 - the input generators shared by the course
from grader.recheck.cases import Invalid  # noqa: F401
from grader.recheck.specs import Spec
from grader.sandboxed.values import TestFunction  # noqa: F401

SPECS: dict[str, Spec] = {
    "softmax_jacobian": Spec(lambda rng: [(cases.probability_vector(rng, 4),), (cases.probability_vector(rng, 7),)]),
    "unbroadcast": Spec(cases.unbroadcast_cases, tol=1e-12),  # 04d and 04e share the contract,
    "binary_cross_entropy_backward": Spec(cases.bce_backward_cases),
    "layernorm_forward": Spec(cases.layernorm_forward_cases),  # the whole (out, cache): the cache is the contract,
    "layernorm_backward": Spec(cases.layernorm_backward_cases),
}
