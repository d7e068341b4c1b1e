"""The re-check contract of solutions/02_definition/02b_loss.ipynb:
which inputs each graded name is called on and how its result is compared.

Loaded by grader/recheck/specs.py (`contract_for`); keys are the graded names of this notebook's test cells
("name", or "name:grade_id" for a class tested by several cells). See grader/recheck/specs.py for `Spec`.
"""

from __future__ import annotations

import numpy as np

from grader.recheck.cases import Invalid, labels, probs
from grader.recheck.specs import Spec


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


SPECS: dict[str, Spec] = {
    "mse_forward": Spec(lambda rng: [(rng.normal(size=(4, 3)), rng.normal(size=(4, 3)))]),
    "binary_cross_entropy_forward": Spec(bce_cases),
    "softmax": Spec(softmax_cases),
    "softmax_cross_entropy_forward": Spec(softmax_ce_cases),
    "chance_level_loss": Spec(lambda rng: [(int(rng.integers(2, 12)),), (3,)]),
}
