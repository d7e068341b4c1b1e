"""The re-check contract of solutions/04_usage/04f_frameworks.ipynb:
which inputs each graded name is called on and how its result is compared.

Loaded by grader/recheck/specs.py (`contract_for`); keys are the graded names of this notebook's test cells
("name", or "name:grade_id" for a class tested by several cells). See grader/recheck/specs.py for `Spec`.
"""

from grader.recheck import cases  # noqa: F401 - the input generators shared by the course
from grader.recheck.cases import Invalid  # noqa: F401
from grader.recheck.specs import Spec
from grader.sandboxed.values import TestFunction  # noqa: F401

SPECS: dict[str, Spec] = {
    "to_torch_params": Spec(
        lambda rng: [(cases.random_params(rng, [3, 5, 4, 2]),)], probe="torch_params", frameworks=True, tol=1e-12
    ),
    "torch_mlp_loss": Spec(cases.torch_cases, probe="torch_loss", frameworks=True, tol=1e-9),
    "torch_gradients": Spec(cases.torch_cases, probe="call_twice", frameworks=True, tol=1e-8),
    "linear_weight_grad": Spec(lambda rng: [(rng.normal(size=(4, 3)), rng.normal(size=(4, 5)))]),
    "build_keras_mlp": Spec(cases.keras_model_cases, probe="keras_model", frameworks=True, error="norm", tol=1e-8),
    # Keras' optimizer step: compared as steps (new - params) over each array, to 1e-5 as the hidden test does
    "keras_sgd_step": Spec(cases.keras_step_cases, probe="keras_step", frameworks=True, error="norm", tol=1e-5),
}
