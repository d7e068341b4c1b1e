"""Do 01_term's hidden tests fail each known bug with its cause named, and pass correct variants?"""

from __future__ import annotations

import re

import pytest
from harness import run_test_cell

NOTEBOOK = "01_term/01_term.ipynb"

# (test cell grade id, bug name) -> (implementation, words the failure message must contain)
BUGGY = {
    # propagate_back(local_derivatives) -> [d x_K / d x_K, ..., d x_K / d x_0]
    ("term_propagate_back_test", "forward_order"): (
        "def propagate_back(ds):\n"
        "    out = [1.0]\n"
        "    for d in ds:\n"
        "        out.append(out[-1] * d)\n"
        "    return out\n",
        "multiplied in forward order",
    ),
    ("term_propagate_back_test", "list_from_input_to_output"): (
        "def propagate_back(ds):\n"
        "    out = [1.0]\n"
        "    for d in reversed(ds):\n"
        "        out.append(out[-1] * d)\n"
        "    return out[::-1]\n",
        "runs from the input to the output",
    ),
    ("term_propagate_back_test", "missing_seed_one"): (
        "def propagate_back(ds):\n"
        "    out, g = [], 1.0\n"
        "    for d in reversed(ds):\n"
        "        g *= d\n"
        "        out.append(g)\n"
        "    return out\n",
        "the first is not 1.0: include d x_K / d x_K = 1 first",
    ),
    # An off-by-one range with the 1.0 in place: the list is one short, but the seed is not what is missing.
    ("term_propagate_back_test", "slice_skips_the_first_factor"): (
        "def propagate_back(ds):\n"
        "    out = [1.0]\n"
        "    for d in reversed(ds[1:]):\n"
        "        out.append(out[-1] * d)\n"
        "    return out\n",
        "your list starts with 1.0 but the first local derivative, local_derivatives[0] = d x_1 / d x_0, is never "
        "multiplied in. Check the range of your loop",
    ),
    ("term_propagate_back_test", "range_from_one_skips_the_first_factor"): (
        "def propagate_back(ds):\n"
        "    out = [1.0]\n"
        "    for i in range(1, len(ds)):\n"
        "        out.append(out[-1] * ds[-i])\n"
        "    return out\n",
        "your list starts with 1.0 but the first local derivative, local_derivatives[0] = d x_1 / d x_0, is never "
        "multiplied in. Check the range of your loop",
    ),
    ("term_propagate_back_test", "slice_skips_the_last_factor"): (
        "def propagate_back(ds):\n"
        "    out = [1.0]\n"
        "    for d in reversed(ds[:-1]):\n"
        "        out.append(out[-1] * d)\n"
        "    return out\n",
        "your list starts with 1.0 but the last local derivative, local_derivatives[K - 1] = d x_K / d x_{K-1}",
    ),
    ("term_propagate_back_test", "sums_instead_of_multiplying"): (
        "def propagate_back(ds):\n"
        "    out = [1.0]\n"
        "    for d in reversed(ds):\n"
        "        out.append(out[-1] + d)\n"
        "    return out\n",
        "the chain rule multiplies them",
    ),
    ("term_propagate_back_test", "local_not_accumulated"): (
        "def propagate_back(ds):\n"
        "    return [1.0] + [d for d in reversed(ds)]\n",
        "passed on alone",
    ),
    ("term_propagate_back_test", "append_before_multiply"): (
        "def propagate_back(ds):\n"
        "    out, g = [1.0], 1.0\n"
        "    for d in reversed(ds):\n"
        "        out.append(g)\n"
        "        g *= d\n"
        "    return out\n",
        "off by one",
    ),
    ("term_propagate_back_test", "reverses_the_callers_list"): (
        "def propagate_back(ds):\n"
        "    ds.reverse()\n"
        "    out = [1.0]\n"
        "    for d in ds:\n"
        "        out.append(out[-1] * d)\n"
        "    return out\n",
        "the list local_derivatives was modified in place: work on a copy "
        "(e.g. `local_derivatives = local_derivatives.copy()`",
    ),
    # chain_forward(x) -> (y, (x, a, b))
    ("term_chain_forward_test", "sin_before_square"): (
        "def chain_forward(x):\n"
        "    a = 2 * x + 1\n"
        "    y = np.sin(a) ** 2\n"
        "    return y, (x, a, a**2)\n",
        "sin was applied before squaring",
    ),
    ("term_chain_forward_test", "missing_plus_one"): (
        "def chain_forward(x):\n"
        "    a = 2 * x\n"
        "    b = a**2\n"
        "    return np.sin(b), (x, a, b)\n",
        "+ 1 of a = 2x + 1 is missing",
    ),
    ("term_chain_forward_test", "caches_outputs"): (
        "def chain_forward(x):\n"
        "    a = 2 * x + 1\n"
        "    b = a**2\n"
        "    y = np.sin(b)\n"
        "    return y, (a, b, y)\n",
        "cache[0] holds a where x belongs",
    ),
    ("term_chain_forward_test", "cache_in_reverse_order"): (
        "def chain_forward(x):\n"
        "    a = 2 * x + 1\n"
        "    b = a**2\n"
        "    return np.sin(b), (b, a, x)\n",
        "cache[0] holds b where x belongs",
    ),
    ("term_chain_forward_test", "mutates_x"): (
        "def chain_forward(x):\n"
        "    x *= 2\n"
        "    x += 1\n"
        "    b = x**2\n"
        "    return np.sin(b), (x, x, b)\n",
        "x was modified in place",
    ),
    ("term_chain_forward_test", "float32"): (
        "def chain_forward(x):\n"
        "    x = np.asarray(x, dtype=np.float32)\n"
        "    a = 2 * x + 1\n"
        "    b = a**2\n"
        "    return np.sin(b), (x, a, b)\n",
        "expected float64",
    ),
    # chain_backward(cache) -> dy/dx
    ("term_chain_backward_test", "missing_da_dx"): (
        "def chain_backward(cache):\n"
        "    x, a, b = cache\n"
        "    return np.cos(b) * 2 * a\n",
        "factor da/dx = 2",
    ),
    ("term_chain_backward_test", "missing_db_da"): (
        "def chain_backward(cache):\n"
        "    x, a, b = cache\n"
        "    return np.cos(b) * 2\n",
        "factor db/da = 2a",
    ),
    ("term_chain_backward_test", "cos_at_a"): (
        "def chain_backward(cache):\n"
        "    x, a, b = cache\n"
        "    return np.cos(a) * 2 * a * 2\n",
        "cos(a) instead of cos(b)",
    ),
    ("term_chain_backward_test", "cos_at_output"): (
        "def chain_backward(cache):\n"
        "    x, a, b = cache\n"
        "    y = np.sin(b)\n"
        "    return np.cos(y) * 2 * a * 2\n",
        "taken at the output y",
    ),
    ("term_chain_backward_test", "square_derivative_at_b"): (
        "def chain_backward(cache):\n"
        "    x, a, b = cache\n"
        "    return np.cos(b) * 2 * b * 2\n",
        "2b instead of 2a",
    ),
    ("term_chain_backward_test", "sign_flipped"): (
        "def chain_backward(cache):\n"
        "    x, a, b = cache\n"
        "    return -np.cos(b) * 4 * a\n",
        "sign is flipped",
    ),
    ("term_chain_backward_test", "sums_locals"): (
        "def chain_backward(cache):\n"
        "    x, a, b = cache\n"
        "    return 2 + 2 * a + np.cos(b)\n",
        "the chain rule multiplies them",
    ),
    ("term_chain_backward_test", "mutates_cache"): (
        "def chain_backward(cache):\n"
        "    x, a, b = cache\n"
        "    a *= 2\n"
        "    return np.cos(b) * a * 2\n",
        "cache entry a was modified in place",
    ),
    # neuron_gradients(x, t, w, b) -> (dL/dw, dL/db)
    ("term_neuron_gradients_test", "missing_factor_two"): (
        "def neuron_gradients(x, t, w, b):\n"
        "    p = 1 / (1 + np.exp(-(w * x + b)))\n"
        "    dz = (p - t) * p * (1 - p)\n"
        "    return dz * x, dz\n",
        "factor 2 from d(p - t)**2",
    ),
    ("term_neuron_gradients_test", "sign_flipped"): (
        "def neuron_gradients(x, t, w, b):\n"
        "    p = 1 / (1 + np.exp(-(w * x + b)))\n"
        "    dz = 2 * (t - p) * p * (1 - p)\n"
        "    return dz * x, dz\n",
        "sign is flipped",
    ),
    ("term_neuron_gradients_test", "missing_sigmoid_derivative"): (
        "def neuron_gradients(x, t, w, b):\n"
        "    p = 1 / (1 + np.exp(-(w * x + b)))\n"
        "    dz = 2 * (p - t)\n"
        "    return dz * x, dz\n",
        "local derivative p(1 - p) is missing",
    ),
    ("term_neuron_gradients_test", "sigmoid_derivative_at_z"): (
        "def neuron_gradients(x, t, w, b):\n"
        "    z = w * x + b\n"
        "    p = 1 / (1 + np.exp(-z))\n"
        "    dz = 2 * (p - t) * z * (1 - z)\n"
        "    return dz * x, dz\n",
        "not z(1 - z)",
    ),
    ("term_neuron_gradients_test", "bias_gets_x"): (
        "def neuron_gradients(x, t, w, b):\n"
        "    p = 1 / (1 + np.exp(-(w * x + b)))\n"
        "    dz = 2 * (p - t) * p * (1 - p)\n"
        "    return dz * x, dz * x\n",
        "db has a factor x",
    ),
    ("term_neuron_gradients_test", "weight_misses_x"): (
        "def neuron_gradients(x, t, w, b):\n"
        "    p = 1 / (1 + np.exp(-(w * x + b)))\n"
        "    dz = 2 * (p - t) * p * (1 - p)\n"
        "    return dz, dz\n",
        "dw lacks the factor x",
    ),
}

CORRECT = {
    ("term_propagate_back_test", "cumprod"): (
        "import numpy as np\n"
        "def propagate_back(ds):\n"
        "    return [1.0] + list(np.cumprod(ds[::-1]))\n"
    ),
    ("term_propagate_back_test", "recursive"): (
        "def propagate_back(ds):\n"
        "    if not ds:\n"
        "        return [1.0]\n"
        "    rest = propagate_back(ds[1:])\n"
        "    return rest + [rest[-1] * ds[0]]\n"
    ),
    ("term_propagate_back_test", "index_loop_into_array"): (
        "import numpy as np\n"
        "def propagate_back(ds):\n"
        "    k = len(ds)\n"
        "    out = np.ones(k + 1)\n"
        "    for i in range(1, k + 1):\n"
        "        out[i] = out[i - 1] * ds[k - i]\n"
        "    return out\n"
    ),
    ("term_chain_forward_test", "square_and_copy"): (
        "def chain_forward(x):\n"
        "    a = np.multiply(x, 2.0) + 1.0\n"
        "    b = np.square(a)\n"
        "    return np.sin(b), (x, a, b)\n"
    ),
    ("term_chain_forward_test", "in_place_on_a_copy"): (
        "def chain_forward(x):\n"
        "    a = np.array(x, dtype=np.float64, copy=True)\n"
        "    a *= 2.0\n"
        "    a += 1.0\n"
        "    b = a * a\n"
        "    return np.sin(b), [x, a, b]\n"
    ),
    ("term_chain_backward_test", "closed_form_from_x"): (
        "def chain_backward(cache):\n"
        "    x = cache[0]\n"
        "    return 4.0 * (2.0 * x + 1.0) * np.cos((2.0 * x + 1.0) ** 2)\n"
    ),
    ("term_chain_backward_test", "via_propagate_back"): (
        "def chain_backward(cache):\n"
        "    x, a, b = cache\n"
        "    return propagate_back([2.0, 2.0 * a, np.cos(b)])[-1]\n"
    ),
    ("term_chain_backward_test", "upstream_signal_loop"): (
        "def chain_backward(cache):\n"
        "    x, a, b = cache\n"
        "    signal = np.ones_like(x, dtype=np.float64)\n"
        "    for local in (np.cos(b), 2.0 * a, 2.0):\n"
        "        signal = signal * local\n"
        "    return signal\n"
    ),
    ("term_neuron_gradients_test", "tanh_form_of_sigmoid"): (
        "def neuron_gradients(x, t, w, b):\n"
        "    p = 0.5 * (1.0 + np.tanh(0.5 * (w * x + b)))\n"
        "    dL_dp = 2.0 * (p - t)\n"
        "    dp_dz = p - p * p\n"
        "    return dL_dp * dp_dz * x, dL_dp * dp_dz\n"
    ),
    ("term_neuron_gradients_test", "exp_form_of_derivative"): (
        "import math\n"
        "def neuron_gradients(x, t, w, b):\n"
        "    e = math.exp(-(w * x + b))\n"
        "    p = 1.0 / (1.0 + e)\n"
        "    dz = 2.0 * (p - t) * e / (1.0 + e) ** 2\n"
        "    return (x * dz, dz)\n"
    ),
}


@pytest.mark.parametrize("key", sorted(BUGGY), ids=lambda k: f"{k[0].removesuffix('_test')}-{k[1]}")
def test_hidden_test_names_the_bug(key: tuple[str, str]) -> None:
    """Does the hidden test of this exercise fail this bug, with its cause in the message?"""
    source, cause = BUGGY[key]
    with pytest.raises(AssertionError, match=re.escape(cause)):
        run_test_cell(NOTEBOOK, key[0], source)


@pytest.mark.parametrize("key", sorted(CORRECT), ids=lambda k: f"{k[0].removesuffix('_test')}-{k[1]}")
def test_hidden_test_passes_a_correct_variant(key: tuple[str, str]) -> None:
    """Does the hidden test of this exercise pass a correct implementation written another way?"""
    run_test_cell(NOTEBOOK, key[0], CORRECT[key])


def test_every_exercise_has_enough_bugs_and_variants() -> None:
    """Does every graded function have at least three named bugs and two correct variants?"""
    for test_id in {k[0] for k in BUGGY} | {k[0] for k in CORRECT}:
        assert sum(k[0] == test_id for k in BUGGY) >= 3, test_id
        assert sum(k[0] == test_id for k in CORRECT) >= 2, test_id
