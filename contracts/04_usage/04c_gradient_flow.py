"""The re-check contract of solutions/04_usage/04c_gradient_flow.ipynb:
which inputs each graded name is called on and how its result is compared.

Loaded by grader/recheck/specs.py (`contract_for`); keys are the graded names of this notebook's test cells
("name", or "name:grade_id" for a class tested by several cells). See grader/recheck/specs.py for `Spec`.
"""

from __future__ import annotations

import numpy as np

from grader.recheck.cases import Invalid
from grader.recheck.specs import Spec


def init_std_cases(rng):
    """Distinct fan-in and fan-out (so a swap shows), every activation, and an unknown one the solution rejects."""
    out = []
    for activation in ("relu", "tanh", "sigmoid", "linear"):
        fan_in, fan_out = (int(v) for v in rng.choice(np.arange(3, 300), size=2, replace=False))
        out.append((fan_in, fan_out, activation))
    out.append((int(rng.integers(150, 300)), int(rng.integers(3, 100)), "relu"))  # fan_in > fan_out for He
    out.append(Invalid((5, 4, "swish")))
    return out


SPECS: dict[str, Spec] = {
    "init_std": Spec(init_std_cases),
}
