"""The re-check contract of solutions/01_term/01_term.ipynb:
which inputs each graded name is called on and how its result is compared.

Loaded by grader/recheck/specs.py (`contract_for`); keys are the graded names of this notebook's test cells
("name", or "name:grade_id" for a class tested by several cells). See grader/recheck/specs.py for `Spec`.
"""

from __future__ import annotations

from grader.recheck.specs import Spec


def chain_cache(x):
    """The cache (x, a, b) of 01_term's chain x -> a = 2x + 1 -> b = a**2 -> y = sin(b), as its docstring says."""
    a = 2.0 * x + 1.0
    return ((x, a, a**2),)


SPECS: dict[str, Spec] = {
    "propagate_back": Spec(
        lambda rng: [(list(rng.uniform(0.5, 2.0, size=5)),), (list(rng.uniform(-2, 2, size=3)),), ([],)]
    ),
    "chain_forward": Spec(lambda rng: [(float(rng.uniform(0.2, 1.5)),), (rng.uniform(-1.5, 1.5, size=(3, 2)),)]),
    "chain_backward": Spec(  # the shape (2, 3) twice: a result kept between calls (by shape, say) shows
        lambda rng: (
            [chain_cache(float(rng.uniform(0.2, 1.5)))]
            + [chain_cache(rng.uniform(-1.5, 1.5, size=(2, 3))) for _ in range(2)]
        )
    ),
    "neuron_gradients": Spec(lambda rng: [tuple(float(v) for v in rng.uniform(-1.5, 1.5, size=4)) for _ in range(3)]),
}
