"""Do 01_term's hidden tests fail each known bug with its cause named, and pass correct variants?"""

from __future__ import annotations

from harness import corpus_tests

NOTEBOOK = "01_term/01_term.ipynb"

# test cell grade id -> bug name -> (implementation, a pattern its failure message must match)
BUGGY: dict[str, dict[str, tuple[str, str]]] = {
    "term_propagate_back_test": {
        # propagate_back(local_derivatives) -> [d x_K / d x_K, ..., d x_K / d x_0]
        "forward_order": (
            "def propagate_back(ds):\n"
            "    out = [1.0]\n"
            "    for d in ds:\n"
            "        out.append(out[-1] * d)\n"
            "    return out\n",
            "multiplied in forward order",
        ),
        "list_from_input_to_output": (
            "def propagate_back(ds):\n"
            "    out = [1.0]\n"
            "    for d in reversed(ds):\n"
            "        out.append(out[-1] * d)\n"
            "    return out[::-1]\n",
            "runs from the input to the output",
        ),
        "missing_seed_one": (
            "def propagate_back(ds):\n"
            "    out, g = [], 1.0\n"
            "    for d in reversed(ds):\n"
            "        g *= d\n"
            "        out.append(g)\n"
            "    return out\n",
            "the first is not 1\\.0: include d x_K / d x_K = 1 first",
        ),
        # An off-by-one range with the 1.0 in place: the list is one short, but the seed is not what is missing.
        "slice_skips_the_first_factor": (
            "def propagate_back(ds):\n"
            "    out = [1.0]\n"
            "    for d in reversed(ds[1:]):\n"
            "        out.append(out[-1] * d)\n"
            "    return out\n",
            "your list starts with 1\\.0 but the first local derivative, local_derivatives\\[0\\] = d x_1 / d "
            "x_0, is never multiplied in\\. Check the range of your loop",
        ),
        "range_from_one_skips_the_first_factor": (
            "def propagate_back(ds):\n"
            "    out = [1.0]\n"
            "    for i in range(1, len(ds)):\n"
            "        out.append(out[-1] * ds[-i])\n"
            "    return out\n",
            "your list starts with 1\\.0 but the first local derivative, local_derivatives\\[0\\] = d x_1 / d "
            "x_0, is never multiplied in\\. Check the range of your loop",
        ),
        "slice_skips_the_last_factor": (
            "def propagate_back(ds):\n"
            "    out = [1.0]\n"
            "    for d in reversed(ds[:-1]):\n"
            "        out.append(out[-1] * d)\n"
            "    return out\n",
            "your list starts with 1\\.0 but the last local derivative, local_derivatives\\[K - 1\\] = d x_K / d "
            "x_\\{K-1\\}",
        ),
        "sums_instead_of_multiplying": (
            "def propagate_back(ds):\n"
            "    out = [1.0]\n"
            "    for d in reversed(ds):\n"
            "        out.append(out[-1] + d)\n"
            "    return out\n",
            "the chain rule multiplies them",
        ),
        "local_not_accumulated": (
            "def propagate_back(ds):\n"
            "    return [1.0] + [d for d in reversed(ds)]\n",
            "passed on alone",
        ),
        "append_before_multiply": (
            "def propagate_back(ds):\n"
            "    out, g = [1.0], 1.0\n"
            "    for d in reversed(ds):\n"
            "        out.append(g)\n"
            "        g *= d\n"
            "    return out\n",
            "off by one",
        ),
        "reverses_the_callers_list": (
            "def propagate_back(ds):\n"
            "    ds.reverse()\n"
            "    out = [1.0]\n"
            "    for d in ds:\n"
            "        out.append(out[-1] * d)\n"
            "    return out\n",
            "the list local_derivatives was modified in place: work on a copy \\(e\\.g\\. `local_derivatives = "
            "local_derivatives\\.copy\\(\\)`",
        ),
    },
    "term_chain_forward_test": {
        # chain_forward(x) -> (y, (x, a, b))
        "sin_before_square": (
            "def chain_forward(x):\n"
            "    a = 2 * x + 1\n"
            "    y = np.sin(a) ** 2\n"
            "    return y, (x, a, a**2)\n",
            "sin was applied before squaring",
        ),
        "missing_plus_one": (
            "def chain_forward(x):\n"
            "    a = 2 * x\n"
            "    b = a**2\n"
            "    return np.sin(b), (x, a, b)\n",
            "\\+ 1 of a = 2x \\+ 1 is missing",
        ),
        "caches_outputs": (
            "def chain_forward(x):\n"
            "    a = 2 * x + 1\n"
            "    b = a**2\n"
            "    y = np.sin(b)\n"
            "    return y, (a, b, y)\n",
            "cache\\[0\\] holds a where x belongs",
        ),
        "cache_in_reverse_order": (
            "def chain_forward(x):\n"
            "    a = 2 * x + 1\n"
            "    b = a**2\n"
            "    return np.sin(b), (b, a, x)\n",
            "cache\\[0\\] holds b where x belongs",
        ),
        "mutates_x": (
            "def chain_forward(x):\n"
            "    x *= 2\n"
            "    x += 1\n"
            "    b = x**2\n"
            "    return np.sin(b), (x, x, b)\n",
            "x was modified in place",
        ),
        "float32": (
            "def chain_forward(x):\n"
            "    x = np.asarray(x, dtype=np.float32)\n"
            "    a = 2 * x + 1\n"
            "    b = a**2\n"
            "    return np.sin(b), (x, a, b)\n",
            "expected float64",
        ),
    },
    "term_chain_backward_test": {
        # chain_backward(cache) -> dy/dx
        "missing_da_dx": (
            "def chain_backward(cache):\n"
            "    x, a, b = cache\n"
            "    return np.cos(b) * 2 * a\n",
            "factor da/dx = 2",
        ),
        "missing_db_da": (
            "def chain_backward(cache):\n"
            "    x, a, b = cache\n"
            "    return np.cos(b) * 2\n",
            "factor db/da = 2a",
        ),
        "cos_at_a": (
            "def chain_backward(cache):\n"
            "    x, a, b = cache\n"
            "    return np.cos(a) * 2 * a * 2\n",
            "cos\\(a\\) instead of cos\\(b\\)",
        ),
        "cos_at_output": (
            "def chain_backward(cache):\n"
            "    x, a, b = cache\n"
            "    y = np.sin(b)\n"
            "    return np.cos(y) * 2 * a * 2\n",
            "taken at the output y",
        ),
        "square_derivative_at_b": (
            "def chain_backward(cache):\n"
            "    x, a, b = cache\n"
            "    return np.cos(b) * 2 * b * 2\n",
            "2b instead of 2a",
        ),
        "sign_flipped": (
            "def chain_backward(cache):\n"
            "    x, a, b = cache\n"
            "    return -np.cos(b) * 4 * a\n",
            "sign is flipped",
        ),
        "sums_locals": (
            "def chain_backward(cache):\n"
            "    x, a, b = cache\n"
            "    return 2 + 2 * a + np.cos(b)\n",
            "the chain rule multiplies them",
        ),
        "mutates_cache": (
            "def chain_backward(cache):\n"
            "    x, a, b = cache\n"
            "    a *= 2\n"
            "    return np.cos(b) * a * 2\n",
            "cache entry a was modified in place",
        ),
    },
    "term_neuron_gradients_test": {
        # neuron_gradients(x, t, w, b) -> (dL/dw, dL/db)
        "missing_factor_two": (
            "def neuron_gradients(x, t, w, b):\n"
            "    p = 1 / (1 + np.exp(-(w * x + b)))\n"
            "    dz = (p - t) * p * (1 - p)\n"
            "    return dz * x, dz\n",
            "factor 2 from d\\(p - t\\)\\*\\*2",
        ),
        "sign_flipped": (
            "def neuron_gradients(x, t, w, b):\n"
            "    p = 1 / (1 + np.exp(-(w * x + b)))\n"
            "    dz = 2 * (t - p) * p * (1 - p)\n"
            "    return dz * x, dz\n",
            "sign is flipped",
        ),
        "missing_sigmoid_derivative": (
            "def neuron_gradients(x, t, w, b):\n"
            "    p = 1 / (1 + np.exp(-(w * x + b)))\n"
            "    dz = 2 * (p - t)\n"
            "    return dz * x, dz\n",
            "local derivative p\\(1 - p\\) is missing",
        ),
        "sigmoid_derivative_at_z": (
            "def neuron_gradients(x, t, w, b):\n"
            "    z = w * x + b\n"
            "    p = 1 / (1 + np.exp(-z))\n"
            "    dz = 2 * (p - t) * z * (1 - z)\n"
            "    return dz * x, dz\n",
            "not z\\(1 - z\\)",
        ),
        "bias_gets_x": (
            "def neuron_gradients(x, t, w, b):\n"
            "    p = 1 / (1 + np.exp(-(w * x + b)))\n"
            "    dz = 2 * (p - t) * p * (1 - p)\n"
            "    return dz * x, dz * x\n",
            "db has a factor x",
        ),
        "weight_misses_x": (
            "def neuron_gradients(x, t, w, b):\n"
            "    p = 1 / (1 + np.exp(-(w * x + b)))\n"
            "    dz = 2 * (p - t) * p * (1 - p)\n"
            "    return dz, dz\n",
            "dw lacks the factor x",
        ),
    },
}

CORRECT: dict[str, dict[str, str]] = {
    "term_propagate_back_test": {
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
        "index_loop_into_array": (
            "import numpy as np\n"
            "def propagate_back(ds):\n"
            "    k = len(ds)\n"
            "    out = np.ones(k + 1)\n"
            "    for i in range(1, k + 1):\n"
            "        out[i] = out[i - 1] * ds[k - i]\n"
            "    return out\n"
        ),
    },
    "term_chain_forward_test": {
        "square_and_copy": (
            "def chain_forward(x):\n"
            "    a = np.multiply(x, 2.0) + 1.0\n"
            "    b = np.square(a)\n"
            "    return np.sin(b), (x, a, b)\n"
        ),
        "in_place_on_a_copy": (
            "def chain_forward(x):\n"
            "    a = np.array(x, dtype=np.float64, copy=True)\n"
            "    a *= 2.0\n"
            "    a += 1.0\n"
            "    b = a * a\n"
            "    return np.sin(b), [x, a, b]\n"
        ),
    },
    "term_chain_backward_test": {
        "closed_form_from_x": (
            "def chain_backward(cache):\n"
            "    x = cache[0]\n"
            "    return 4.0 * (2.0 * x + 1.0) * np.cos((2.0 * x + 1.0) ** 2)\n"
        ),
        "via_propagate_back": (
            "def chain_backward(cache):\n"
            "    x, a, b = cache\n"
            "    return propagate_back([2.0, 2.0 * a, np.cos(b)])[-1]\n"
        ),
        "upstream_signal_loop": (
            "def chain_backward(cache):\n"
            "    x, a, b = cache\n"
            "    signal = np.ones_like(x, dtype=np.float64)\n"
            "    for local in (np.cos(b), 2.0 * a, 2.0):\n"
            "        signal = signal * local\n"
            "    return signal\n"
        ),
    },
    "term_neuron_gradients_test": {
        "tanh_form_of_sigmoid": (
            "def neuron_gradients(x, t, w, b):\n"
            "    p = 0.5 * (1.0 + np.tanh(0.5 * (w * x + b)))\n"
            "    dL_dp = 2.0 * (p - t)\n"
            "    dp_dz = p - p * p\n"
            "    return dL_dp * dp_dz * x, dL_dp * dp_dz\n"
        ),
        "exp_form_of_derivative": (
            "import math\n"
            "def neuron_gradients(x, t, w, b):\n"
            "    e = math.exp(-(w * x + b))\n"
            "    p = 1.0 / (1.0 + e)\n"
            "    dz = 2.0 * (p - t) * e / (1.0 + e) ** 2\n"
            "    return (x * dz, dz)\n"
        ),
    },
}


(
    test_hidden_test_names_the_bug,
    test_hidden_test_passes_a_correct_variant,
    test_every_test_cell_has_three_bugs_and_two_correct_variants,
) = corpus_tests(NOTEBOOK, BUGGY, CORRECT)
