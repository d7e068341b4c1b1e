"""Do 02a_feedforward's hidden tests fail each known bug with its cause named, and pass correct variants?"""

from __future__ import annotations

from harness import corpus_tests

NOTEBOOK = "02_definition/02a_feedforward.ipynb"

# test cell -> {bug name: (implementation, text its failure message must contain)}
BUGGY = {
    "ff_sigmoid_test": {
        "naive_formula_overflows": (
            "def sigmoid_forward(z):\n"
            "    return 1.0 / (1.0 + np.exp(-z)), z\n",
            # said once: numpy's "overflow encountered in exp" used to be followed by "overflow in exp" again
            r"^(?!.*overflow.*overflow)sigmoid_forward\(z\) for z = \+-1000 overflows in exp: "
            r"exp\(t\) is inf for t > 709",
        ),
        "where_evaluates_both_branches": (
            "def sigmoid_forward(z):\n"
            "    return np.where(z >= 0, 1.0 / (1.0 + np.exp(-z)), np.exp(z) / (1.0 + np.exp(z))), z\n",
            "np.where evaluates both branches",
        ),
        "wrong_sign": (
            "def sigmoid_forward(z):\n"
            "    e = np.exp(-np.abs(z))\n"
            "    return np.where(z >= 0, e / (1.0 + e), 1.0 / (1.0 + e)), z\n",
            r"sigmoid\(-z\)",
        ),
        "float32": (
            "def sigmoid_forward(z):\n"
            "    e = np.exp(-np.abs(z.astype(np.float32)))\n"
            "    return np.where(z >= 0, 1 / (1 + e), e / (1 + e)), z\n",
            "float32",
        ),
        "caches_the_output": (
            "def sigmoid_forward(z):\n"
            "    e = np.exp(-np.abs(z))\n"
            "    out = np.where(z >= 0, 1.0 / (1.0 + e), e / (1.0 + e))\n"
            "    return out, out\n",
            "holds the output",
        ),
        "works_in_place": (
            "def sigmoid_forward(z):\n"
            "    cache = z.copy()\n"
            "    out = z\n"
            "    np.clip(out, -500, 500, out=out)\n"
            "    out *= -1\n"
            "    np.exp(out, out=out)\n"
            "    out += 1\n"
            "    np.reciprocal(out, out=out)\n"
            "    return out, cache\n",
            r"sigmoid_forward's input z was modified in place: work on a copy \(e\.g\. `z = z\.copy\(\)`",
        ),
    },
    "ff_relu_test": {
        "np_max_reduces": (
            "def relu_forward(z):\n"
            "    return np.max(z, 0), z\n",
            r"np\.maximum",
        ),
        "zeroes_the_input_in_place": (
            "def relu_forward(z):\n"
            "    z[z < 0] = 0.0\n"
            "    return z, z\n",
            # the hint names relu_forward's own parameter z (it used to say `x.copy()`)
            r"relu_forward's input z was modified in place: work on a copy \(e\.g\. `z = z\.copy\(\)`",
        ),
        "caches_the_output": (
            "def relu_forward(z):\n"
            "    out = np.maximum(z, 0.0)\n"
            "    return out, out\n",
            "holds the output",
        ),
        "leaky": (
            "def relu_forward(z):\n"
            "    return np.where(z > 0, z, 0.01 * z), z\n",
            "leaky ReLU",
        ),
    },
    "ff_tanh_test": {
        "exp_formula_overflows": (
            "def tanh_forward(z):\n"
            "    return (np.exp(z) - np.exp(-z)) / (np.exp(z) + np.exp(-z)), z\n",
            "overflow in exp",
        ),
        "identity_without_the_2z": (
            "def tanh_forward(z):\n"
            "    return 2.0 / (1.0 + np.exp(-z)) - 1.0, z\n",
            r"tanh\(z\) = 2 sigmoid\(2 z\) - 1",
        ),
        "float32": (
            "def tanh_forward(z):\n"
            "    return np.tanh(z.astype(np.float32)), z\n",
            "float32",
        ),
        "caches_the_output": (
            "def tanh_forward(z):\n"
            "    out = np.tanh(z)\n"
            "    return out, out\n",
            "holds the output",
        ),
    },
    "ff_dense_test": {
        "W_transposed": (
            "def dense_forward(x, W, b):\n"
            "    return x @ W.T + b, (x, W, b)\n",
            "no transpose",
        ),
        "missing_bias": (
            "def dense_forward(x, W, b):\n"
            "    return x @ W, (x, W, b)\n",
            "bias is missing",
        ),
        "float32": (
            "def dense_forward(x, W, b):\n"
            "    return (x.astype(np.float32) @ W.astype(np.float32) + b).astype(np.float32), (x, W, b)\n",
            "float32",
        ),
        "incomplete_cache": (
            "def dense_forward(x, W, b):\n"
            "    return x @ W + b, (x, W)\n",
            r"cache must be the tuple \(x, W, b\)",
        ),
        "bias_as_column": (
            "def dense_forward(x, W, b):\n"
            "    return x @ W + b.reshape(-1, 1), (x, W, b)\n",
            "broadcasts over the N rows",
        ),
    },
    "ff_mlp_test": {
        # mlp_forward itself is right: the transposed W of dense_forward used to surface as a raw numpy ValueError
        "dense_forward_transposes_W": (
            "def dense_forward(x, W, b):\n"
            "    return x @ W.T + b, (x, W, b)\n",
            r"mlp_forward failed inside dense_forward with a shape error: check dense_forward first",
        ),
        "activation_on_the_last_layer": (
            "def mlp_forward(x, params, activation='relu'):\n"
            "    acts = {'relu': relu_forward, 'sigmoid': sigmoid_forward, 'tanh': tanh_forward}\n"
            "    if activation not in acts:\n"
            "        raise ValueError(activation)\n"
            "    h, caches = x, []\n"
            "    for layer in range(1, len(params) // 2 + 1):\n"
            "        z, dc = dense_forward(h, params[f'W{layer}'], params[f'b{layer}'])\n"
            "        h, ac = acts[activation](z)\n"
            "        caches.append((dc, activation, ac))\n"
            "    caches[-1] = (caches[-1][0], None, None)\n"
            "    return h, caches\n",
            "applied to the last layer too",
        ),
        "always_two_layers": (
            "def mlp_forward(x, params, activation='relu'):\n"
            "    acts = {'relu': relu_forward, 'sigmoid': sigmoid_forward, 'tanh': tanh_forward}\n"
            "    if activation not in acts:\n"
            "        raise ValueError(activation)\n"
            "    z1, c1 = dense_forward(x, params['W1'], params['b1'])\n"
            "    h1, a1 = acts[activation](z1)\n"
            "    scores, c2 = dense_forward(h1, params['W2'], params['b2'])\n"
            "    return scores, [(c1, activation, a1), (c2, None, None)]\n",
            "run every layer",
        ),
        "ignores_the_activation_argument": (
            "def mlp_forward(x, params, activation='relu'):\n"
            "    if activation not in ('relu', 'sigmoid', 'tanh'):\n"
            "        raise ValueError(activation)\n"
            "    L = len(params) // 2\n"
            "    h, caches = x, []\n"
            "    for layer in range(1, L + 1):\n"
            "        z, dc = dense_forward(h, params[f'W{layer}'], params[f'b{layer}'])\n"
            "        if layer < L:\n"
            "            h, ac = relu_forward(z)\n"
            "            caches.append((dc, activation, ac))\n"
            "        else:\n"
            "            h = z\n"
            "            caches.append((dc, None, None))\n"
            "    return h, caches\n",
            "argument is ignored",
        ),
        "caches_the_activation_output": (
            "def mlp_forward(x, params, activation='relu'):\n"
            "    acts = {'relu': relu_forward, 'sigmoid': sigmoid_forward, 'tanh': tanh_forward}\n"
            "    if activation not in acts:\n"
            "        raise ValueError(activation)\n"
            "    L = len(params) // 2\n"
            "    h, caches = x, []\n"
            "    for layer in range(1, L + 1):\n"
            "        z, dc = dense_forward(h, params[f'W{layer}'], params[f'b{layer}'])\n"
            "        if layer < L:\n"
            "            h, _ = acts[activation](z)\n"
            "            caches.append((dc, activation, h))\n"
            "        else:\n"
            "            h = z\n"
            "            caches.append((dc, None, None))\n"
            "    return h, caches\n",
            "holds the activation's output",
        ),
        "last_cache_keeps_an_activation": (
            "def mlp_forward(x, params, activation='relu'):\n"
            "    acts = {'relu': relu_forward, 'sigmoid': sigmoid_forward, 'tanh': tanh_forward}\n"
            "    if activation not in acts:\n"
            "        raise ValueError(activation)\n"
            "    L = len(params) // 2\n"
            "    h, caches = x, []\n"
            "    for layer in range(1, L + 1):\n"
            "        z, dc = dense_forward(h, params[f'W{layer}'], params[f'b{layer}'])\n"
            "        if layer < L:\n"
            "            h, ac = acts[activation](z)\n"
            "        else:\n"
            "            h, ac = z, z\n"
            "        caches.append((dc, activation, ac))\n"
            "    return h, caches\n",
            r"\(dense_cache, None, None\)",
        ),
        "unknown_activation_falls_back_to_relu": (
            "def mlp_forward(x, params, activation='relu'):\n"
            "    acts = {'relu': relu_forward, 'sigmoid': sigmoid_forward, 'tanh': tanh_forward}\n"
            "    L = len(params) // 2\n"
            "    h, caches = x, []\n"
            "    for layer in range(1, L + 1):\n"
            "        z, dc = dense_forward(h, params[f'W{layer}'], params[f'b{layer}'])\n"
            "        if layer < L:\n"
            "            h, ac = acts.get(activation, relu_forward)(z)\n"
            "            caches.append((dc, activation, ac))\n"
            "        else:\n"
            "            h = z\n"
            "            caches.append((dc, None, None))\n"
            "    return h, caches\n",
            "must raise ValueError",
        ),
    },
}

# test cell -> {variant name: a correct implementation written another way}
CORRECT = {
    "ff_sigmoid_test": {
        "masks": (
            "def sigmoid_forward(z):\n"
            "    out = np.empty_like(z, dtype=np.float64)\n"
            "    pos = z >= 0\n"
            "    out[pos] = 1.0 / (1.0 + np.exp(-z[pos]))\n"
            "    e = np.exp(z[~pos])\n"
            "    out[~pos] = e / (1.0 + e)\n"
            "    return out, z\n"
        ),
        "via_tanh": (
            "def sigmoid_forward(z):\n"
            "    return 0.5 * (1.0 + np.tanh(0.5 * z)), z\n"
        ),
        "scalar_loop": (
            "import math\n"
            "def sigmoid_forward(z):\n"
            "    out = np.zeros(z.shape)\n"
            "    for i in np.ndindex(z.shape):\n"
            "        t = float(z[i])\n"
            "        out[i] = 1 / (1 + math.exp(-t)) if t >= 0 else math.exp(t) / (1 + math.exp(t))\n"
            "    return out, z\n"
        ),
    },
    "ff_relu_test": {
        "mask_product": "def relu_forward(z):\n    return z * (z > 0), z\n",
        "where_copy": "def relu_forward(z):\n    out = z.copy()\n    out[out < 0] = 0.0\n    return out, z\n",
    },
    "ff_tanh_test": {
        "stable_exp": (
            "def tanh_forward(z):\n"
            "    e = np.exp(-2.0 * np.abs(z))\n"
            "    return np.sign(z) * (1.0 - e) / (1.0 + e), z\n"
        ),
        "two_sigmoid_2z_minus_1": (
            "def tanh_forward(z):\n"
            "    s, _ = sigmoid_forward(2.0 * z)\n"
            "    return 2.0 * s - 1.0, z\n"
        ),
    },
    "ff_dense_test": {
        "einsum": (
            "def dense_forward(x, W, b):\n"
            "    return np.einsum('nd,dm->nm', x, W) + b[None, :], (x, W, b)\n"
        ),
        "loops": (
            "def dense_forward(x, W, b):\n"
            "    N, D = x.shape\n"
            "    M = W.shape[1]\n"
            "    out = np.zeros((N, M))\n"
            "    for n in range(N):\n"
            "        for m in range(M):\n"
            "            out[n, m] = sum(x[n, d] * W[d, m] for d in range(D)) + b[m]\n"
            "    return out, (x, W, b)\n"
        ),
    },
    "ff_mlp_test": {
        "recursive": (
            "def mlp_forward(x, params, activation='relu'):\n"
            "    acts = {'relu': relu_forward, 'sigmoid': sigmoid_forward, 'tanh': tanh_forward}\n"
            "    if activation not in acts:\n"
            "        raise ValueError(f'unknown activation {activation}')\n"
            "    def run(h, layer, L):\n"
            "        z, dc = dense_forward(h, params['W%d' % layer], params['b%d' % layer])\n"
            "        if layer == L:\n"
            "            return z, [(dc, None, None)]\n"
            "        a, ac = acts[activation](z)\n"
            "        scores, rest = run(a, layer + 1, L)\n"
            "        return scores, [(dc, activation, ac)] + rest\n"
            "    return run(x, 1, len(params) // 2)\n"
        ),
        "while_loop_over_keys": (
            "def mlp_forward(x, params, activation='relu'):\n"
            "    if activation == 'relu':\n"
            "        act = relu_forward\n"
            "    elif activation == 'sigmoid':\n"
            "        act = sigmoid_forward\n"
            "    elif activation == 'tanh':\n"
            "        act = tanh_forward\n"
            "    else:\n"
            "        raise ValueError(activation)\n"
            "    caches, layer, h = [], 1, x\n"
            "    while f'W{layer}' in params:\n"
            "        h, dc = dense_forward(h, params[f'W{layer}'], params[f'b{layer}'])\n"
            "        if f'W{layer + 1}' in params:\n"
            "            h, ac = act(h)\n"
            "            caches.append((dc, activation, ac))\n"
            "        else:\n"
            "            caches.append((dc, None, None))\n"
            "        layer += 1\n"
            "    return h, caches\n"
        ),
    },
}


(
    test_hidden_test_names_the_bug,
    test_hidden_test_passes_a_correct_variant,
    test_every_test_cell_is_covered,
) = corpus_tests(NOTEBOOK, BUGGY, CORRECT)
