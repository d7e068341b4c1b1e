"""Do 01_term's hidden tests fail each known bug with its cause named, and pass correct variants?"""

from __future__ import annotations

import pytest
from harness import run_test_cell

NOTEBOOK = "01_term/01_term.ipynb"

BUGGY = {
    "forward_order": (
        "def propagate_back(ds):\n"
        "    out = [1.0]\n"
        "    for d in ds:\n"
        "        out.append(out[-1] * d)\n"
        "    return out\n",
        "expected",
    ),
    "missing_seed_one": (
        "def propagate_back(ds):\n"
        "    out, g = [], 1.0\n"
        "    for d in reversed(ds):\n"
        "        g *= d\n"
        "        out.append(g)\n"
        "    return out\n",
        "include d x_K / d x_K = 1",
    ),
    "sums_instead_of_multiplying": (
        "def propagate_back(ds):\n"
        "    out = [1.0]\n"
        "    for d in reversed(ds):\n"
        "        out.append(out[-1] + d)\n"
        "    return out\n",
        "multiply by the local derivatives",
    ),
}

CORRECT = {
    "cumprod": (
        "import numpy as np\n"
        "def propagate_back(ds):\n"
        "    return [1.0] + list(np.cumprod(ds[::-1]))\n"
    ),
    "recursive": (
        "def propagate_back(ds):\n"
        "    if not ds:\n"
        "        return [1.0]\n"
        "    rest = propagate_back(ds[1:])\n"
        "    return rest + [rest[-1] * ds[0]]\n"
    ),
}


@pytest.mark.parametrize("name", sorted(BUGGY))
def test_hidden_test_names_the_bug(name: str) -> None:
    """Does the propagate_back test fail this bug with its cause in the message?"""
    source, cause = BUGGY[name]
    with pytest.raises(AssertionError, match=cause):
        run_test_cell(NOTEBOOK, "term_propagate_back_test", source)


@pytest.mark.parametrize("name", sorted(CORRECT))
def test_hidden_test_passes_a_correct_variant(name: str) -> None:
    """Does the propagate_back test pass a correct implementation written another way?"""
    run_test_cell(NOTEBOOK, "term_propagate_back_test", CORRECT[name])
