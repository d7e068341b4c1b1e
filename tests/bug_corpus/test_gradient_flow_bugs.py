"""Do 04c_gradient_flow's hidden tests fail each classic initialisation bug with its cause named, and pass correct
variants?"""

from __future__ import annotations

from harness import corpus_tests

NOTEBOOK = "04_usage/04c_gradient_flow.ipynb"

# test cell -> {bug name: (implementation, regex the failure message must match)}
BUGGY: dict[str, dict[str, tuple[str, str]]] = {
    "gf_init_std_test": {
        "fans_swapped": (
            "def init_std(fan_in, fan_out, activation):\n"
            "    if activation == 'relu':\n"
            "        return math.sqrt(2 / fan_out)\n"
            "    if activation in ('tanh', 'sigmoid', 'linear'):\n"
            "        return math.sqrt(2 / (fan_in + fan_out))\n"
            "    raise ValueError(activation)\n",
            "fan-in and fan-out are swapped",
        ),
        "variance_not_std": (
            "def init_std(fan_in, fan_out, activation):\n"
            "    if activation == 'relu':\n"
            "        return 2 / fan_in\n"
            "    if activation in ('tanh', 'sigmoid', 'linear'):\n"
            "        return 2 / (fan_in + fan_out)\n"
            "    raise ValueError(activation)\n",
            "variance where a standard deviation is needed",
        ),
        "he_missing_factor_two": (
            "def init_std(fan_in, fan_out, activation):\n"
            "    if activation == 'relu':\n"
            "        return math.sqrt(1 / fan_in)\n"
            "    if activation in ('tanh', 'sigmoid', 'linear'):\n"
            "        return math.sqrt(2 / (fan_in + fan_out))\n"
            "    raise ValueError(activation)\n",
            "He's factor 2 is missing",
        ),
        "he_for_tanh": (
            "def init_std(fan_in, fan_out, activation):\n"
            "    if activation in ('relu', 'tanh'):\n"
            "        return math.sqrt(2 / fan_in)\n"
            "    if activation in ('sigmoid', 'linear'):\n"
            "        return math.sqrt(2 / (fan_in + fan_out))\n"
            "    raise ValueError(activation)\n",
            "He's rule for tanh",
        ),
        "lecun_for_tanh": (  # issue 26: named, where the visible test met it first with a bare relative error
            "def init_std(fan_in, fan_out, activation):\n"
            "    if activation == 'relu':\n"
            "        return math.sqrt(2 / fan_in)\n"
            "    if activation in ('tanh', 'sigmoid', 'linear'):\n"
            "        return math.sqrt(1 / fan_in)\n"
            "    raise ValueError(activation)\n",
            "LeCun's rule",
        ),
        "glorot_uniform_limit": (
            "def init_std(fan_in, fan_out, activation):\n"
            "    if activation == 'relu':\n"
            "        return math.sqrt(2 / fan_in)\n"
            "    if activation in ('tanh', 'sigmoid', 'linear'):\n"
            "        return math.sqrt(6 / (fan_in + fan_out))\n"
            "    raise ValueError(activation)\n",
            "LIMIT of Glorot's uniform",
        ),
        "no_error_for_unknown_activation": (
            "def init_std(fan_in, fan_out, activation):\n"
            "    if activation == 'relu':\n"
            "        return math.sqrt(2 / fan_in)\n"
            "    return math.sqrt(2 / (fan_in + fan_out))\n",
            "must raise ValueError",
        ),
        "returns_an_array": (
            "def init_std(fan_in, fan_out, activation):\n"
            "    if activation not in ('relu', 'tanh', 'sigmoid', 'linear'):\n"
            "        raise ValueError(activation)\n"
            "    n = fan_in if activation == 'relu' else (fan_in + fan_out) / 2\n"
            "    return np.sqrt(np.full((fan_in, fan_out), 1.0 / n))\n",
            "must be one number",
        ),
    },
}

CORRECT: dict[str, dict[str, str]] = {
    "gf_init_std_test": {
        "variance_then_sqrt": (
            "def init_std(fan_in, fan_out, activation):\n"
            "    if activation == 'relu':\n"
            "        variance = 2.0 / fan_in\n"
            "    elif activation in {'tanh', 'sigmoid', 'linear'}:\n"
            "        variance = 2.0 / (fan_in + fan_out)\n"
            "    else:\n"
            "        raise ValueError(f'no rule for {activation}')\n"
            "    return float(np.sqrt(variance))\n"
        ),
        "gain_table": (
            "_FAN = {'relu': lambda i, o: i / 2, 'tanh': lambda i, o: (i + o) / 2,\n"
            "        'sigmoid': lambda i, o: (i + o) / 2, 'linear': lambda i, o: (i + o) / 2}\n"
            "def init_std(fan_in, fan_out, activation):\n"
            "    try:\n"
            "        fan = _FAN[activation](fan_in, fan_out)\n"
            "    except KeyError:\n"
            "        raise ValueError(activation) from None\n"
            "    return fan ** -0.5\n"
        ),
    },
}


(
    test_hidden_test_names_the_bug,
    test_hidden_test_passes_a_correct_variant,
    test_every_test_cell_is_covered,
) = corpus_tests(NOTEBOOK, BUGGY, CORRECT)
