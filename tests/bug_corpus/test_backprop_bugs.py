"""Do 04a_backprop's hidden tests fail each classic backprop bug with its cause named, and pass correct variants?"""

from __future__ import annotations

from harness import corpus_tests

NOTEBOOK = "04_usage/04a_backprop.ipynb"

# test cell -> {bug name: (implementation, regex the failure message must match)}
BUGGY: dict[str, dict[str, tuple[str, str]]] = {
    "bp_sigmoid_backward_test": {
        "output_formula_on_input": (
            "def sigmoid_backward(dout, cache):\n"
            "    return dout * cache * (1 - cache)\n",
            "needs the OUTPUT s = sigmoid",
        ),
        "derivative_at_output": (
            "def sigmoid_backward(dout, cache):\n"
            "    s = sigmoid_forward(cache)[0]\n"
            "    t = sigmoid_forward(s)[0]\n"
            "    return dout * t * (1 - t)\n",
            "derivative at the activation's OUTPUT",
        ),
        "wrong_sign": (
            "def sigmoid_backward(dout, cache):\n"
            "    s = 1 / (1 + np.exp(-cache))\n"
            "    return -dout * s * (1 - s)\n",
            "wrong sign",
        ),
        "float32": (
            "def sigmoid_backward(dout, cache):\n"
            "    s = (1 / (1 + np.exp(-cache))).astype(np.float32)\n"
            "    return (dout * s * (1 - s)).astype(np.float32)\n",
            "float32",
        ),
        "forgets_dout": (
            "def sigmoid_backward(dout, cache):\n"
            "    s = 1 / (1 + np.exp(-cache))\n"
            "    return s * (1 - s)\n",
            "forgets the upstream gradient",
        ),
    },
    "bp_relu_backward_test": {
        "mutates_dout": (
            "def relu_backward(dout, cache):\n"
            "    dout[cache <= 0] = 0\n"
            "    return dout\n",
            "dout was modified in place",
        ),
        "inverted_mask": (
            "def relu_backward(dout, cache):\n"
            "    return dout * (cache < 0)\n",
            "mask is inverted",
        ),
        "times_input": (
            "def relu_backward(dout, cache):\n"
            "    return dout * cache\n",
            "multiplies dout by z",
        ),
        "shared_buffer": (
            "_BUFFER = {}\n"
            "def relu_backward(dout, cache):\n"
            "    out = _BUFFER.setdefault(dout.shape, np.empty(dout.shape))\n"
            "    np.multiply(dout, cache > 0, out=out)\n"
            "    return out\n",
            "shared between calls",
        ),
    },
    "bp_tanh_backward_test": {
        "output_formula_on_input": (
            "def tanh_backward(dout, cache):\n"
            "    return dout * (1 - cache ** 2)\n",
            "needs the OUTPUT a = tanh",
        ),
        "derivative_at_output": (
            "def tanh_backward(dout, cache):\n"
            "    a = np.tanh(cache)\n"
            "    return dout * (1 - np.tanh(a) ** 2)\n",
            "derivative at the activation's OUTPUT",
        ),
        "mutates_cache": (
            "def tanh_backward(dout, cache):\n"
            "    np.tanh(cache, out=cache)\n"
            "    return dout * (1 - cache ** 2)\n",
            "cache z was modified in place",
        ),
        "not_squared": (
            "def tanh_backward(dout, cache):\n"
            "    return dout * (1 - np.tanh(cache))\n",
            "squared",
        ),
    },
    "bp_dense_backward_test": {
        "missing_transpose_dx": (
            "def dense_backward(dout, cache):\n"
            "    x, W, b = cache\n"
            "    return dout @ W, x.T @ dout, dout.sum(axis=0)\n",
            "missing transpose",
        ),
        "dW_transposed": (
            "def dense_backward(dout, cache):\n"
            "    x, W, b = cache\n"
            "    return dout @ W.T, dout.T @ x, dout.sum(axis=0)\n",
            r"did you write dout\.T @ x",
        ),
        "bias_not_summed": (
            "def dense_backward(dout, cache):\n"
            "    x, W, b = cache\n"
            "    return dout @ W.T, x.T @ dout, dout\n",
            "summed over the batch",
        ),
        "bias_averaged": (
            "def dense_backward(dout, cache):\n"
            "    x, W, b = cache\n"
            "    return dout @ W.T, x.T @ dout, dout.mean(axis=0)\n",
            "averaged over the batch",
        ),
        "extra_one_over_n": (
            "def dense_backward(dout, cache):\n"
            "    x, W, b = cache\n"
            "    return dout @ W.T, x.T @ dout / x.shape[0], dout.sum(axis=0)\n",
            "doubles the 1/N",
        ),
        "float32": (
            "def dense_backward(dout, cache):\n"
            "    x, W, b = cache\n"
            "    f = np.float32\n"
            "    return (dout.astype(f) @ W.T.astype(f), x.T.astype(f) @ dout.astype(f), dout.sum(axis=0).astype(f))\n",
            "float32",
        ),
        "mutates_dout": (
            "def dense_backward(dout, cache):\n"
            "    x, W, b = cache\n"
            "    db = dout.sum(axis=0)\n"
            "    dout -= 0.0 * dout + 1e-3\n"
            "    return dout @ W.T, x.T @ dout, db\n",
            "dout was modified in place",
        ),
    },
    "bp_mse_backward_test": {
        "missing_one_over_size": (
            "def mse_backward(cache):\n"
            "    pred, target = cache\n"
            "    return 2 * (pred - target)\n",
            "1/S is missing",
        ),
        "divides_by_n_only": (
            "def mse_backward(cache):\n"
            "    pred, target = cache\n"
            "    return 2 * (pred - target) / pred.shape[0]\n",
            "divides by N",
        ),
        "doubled_one_over_size": (
            "def mse_backward(cache):\n"
            "    pred, target = cache\n"
            "    return 2 * (pred - target) / pred.size / pred.size\n",
            "applied twice",
        ),
        "wrong_sign": (
            "def mse_backward(cache):\n"
            "    pred, target = cache\n"
            "    return 2 * (target - pred) / pred.size\n",
            "wrong sign",
        ),
        "mutates_cache": (
            "def mse_backward(cache):\n"
            "    pred, target = cache\n"
            "    pred -= target\n"
            "    return 2 * pred / pred.size\n",
            "pred \\(in the cache\\) was modified in place",
        ),
    },
    "bp_softmax_ce_backward_test": {
        "mutates_probs": (
            "def softmax_cross_entropy_backward(cache):\n"
            "    probs, y = cache\n"
            "    n = probs.shape[0]\n"
            "    probs[np.arange(n), y] -= 1\n"
            "    probs /= n\n"
            "    return probs\n",
            r"probs \(in the cache",
        ),
        "missing_one_over_n": (
            "def softmax_cross_entropy_backward(cache):\n"
            "    probs, y = cache\n"
            "    d = probs.copy()\n"
            "    d[np.arange(len(y)), y] -= 1\n"
            "    return d\n",
            "1/N is missing",
        ),
        "doubled_one_over_n": (
            "def softmax_cross_entropy_backward(cache):\n"
            "    probs, y = cache\n"
            "    d = probs.copy()\n"
            "    d[np.arange(len(y)), y] -= 1\n"
            "    return d / len(y) / len(y)\n",
            "applied twice",
        ),
        "wrong_sign": (
            "def softmax_cross_entropy_backward(cache):\n"
            "    probs, y = cache\n"
            "    return (np.eye(probs.shape[1])[y] - probs) / len(y)\n",
            "wrong sign",
        ),
        "float32": (
            "def softmax_cross_entropy_backward(cache):\n"
            "    probs, y = cache\n"
            "    return ((probs - np.eye(probs.shape[1])[y]) / len(y)).astype(np.float32)\n",
            "float32",
        ),
    },
    "bp_mlp_backward_test": {
        "always_relu": (
            "def mlp_backward(dscores, caches):\n"
            "    grads, dout = {}, dscores\n"
            "    for i in reversed(range(len(caches))):\n"
            "        dense_cache, name, z = caches[i]\n"
            "        if name is not None:\n"
            "            dout = relu_backward(dout, z)\n"
            "        dout, grads[f'W{i + 1}'], grads[f'b{i + 1}'] = dense_backward(dout, dense_cache)\n"
            "    return grads\n",
            "ReLU's derivative for a tanh network",
        ),
        "skips_activations": (
            "def mlp_backward(dscores, caches):\n"
            "    grads, dout = {}, dscores\n"
            "    for i in reversed(range(len(caches))):\n"
            "        dense_cache, name, z = caches[i]\n"
            "        dout, grads[f'W{i + 1}'], grads[f'b{i + 1}'] = dense_backward(dout, dense_cache)\n"
            "    return grads\n",
            "activations' backward passes are skipped",
        ),
        "zero_based_keys": (
            "def mlp_backward(dscores, caches):\n"
            "    grads, dout = {}, dscores\n"
            "    back = {'relu': relu_backward, 'tanh': tanh_backward, 'sigmoid': sigmoid_backward}\n"
            "    for i in reversed(range(len(caches))):\n"
            "        dense_cache, name, z = caches[i]\n"
            "        if name is not None:\n"
            "            dout = back[name](dout, z)\n"
            "        dout, grads[f'W{i}'], grads[f'b{i}'] = dense_backward(dout, dense_cache)\n"
            "    return grads\n",
            "0-based keys",
        ),
        "mutable_default_grads": (
            "def mlp_backward(dscores, caches, grads={}):\n"
            "    dout = dscores\n"
            "    back = {'relu': relu_backward, 'tanh': tanh_backward, 'sigmoid': sigmoid_backward}\n"
            "    for i in reversed(range(len(caches))):\n"
            "        dense_cache, name, z = caches[i]\n"
            "        if name is not None:\n"
            "            dout = back[name](dout, z)\n"
            "        dout, grads[f'W{i + 1}'], grads[f'b{i + 1}'] = dense_backward(dout, dense_cache)\n"
            "    return grads\n",
            "shared between calls",
        ),
        "derivative_at_output": (
            "def mlp_backward(dscores, caches):\n"
            "    grads, dout = {}, dscores\n"
            "    back = {'relu': relu_backward, 'tanh': tanh_backward, 'sigmoid': sigmoid_backward}\n"
            "    for i in reversed(range(len(caches))):\n"
            "        dense_cache, name, z = caches[i]\n"
            "        if name is not None:\n"
            "            a = ACTIVATION_FORWARD[name](z)[0]\n"
            "            dout = back[name](dout, a)\n"
            "        dout, grads[f'W{i + 1}'], grads[f'b{i + 1}'] = dense_backward(dout, dense_cache)\n"
            "    return grads\n",
            "derivative is taken at the activation's OUTPUT",
        ),
        "global_state_from_forward": (
            "_LAST = {}\n"
            "_given_forward = mlp_forward\n"
            "def mlp_forward(x, params, activation='relu'):\n"
            "    scores, caches = _given_forward(x, params, activation)\n"
            "    _LAST['caches'] = caches\n"
            "    return scores, caches\n"
            "def mlp_backward(dscores, caches):\n"
            "    caches = _LAST['caches']\n"
            "    grads, dout = {}, dscores\n"
            "    back = {'relu': relu_backward, 'tanh': tanh_backward, 'sigmoid': sigmoid_backward}\n"
            "    for i in reversed(range(len(caches))):\n"
            "        dense_cache, name, z = caches[i]\n"
            "        if name is not None:\n"
            "            dout = back[name](dout, z)\n"
            "        dout, grads[f'W{i + 1}'], grads[f'b{i + 1}'] = dense_backward(dout, dense_cache)\n"
            "    return grads\n",
            "caches of the LAST forward pass",
        ),
        "activation_after_dense": (
            "def mlp_backward(dscores, caches):\n"
            "    grads, dout = {}, dscores\n"
            "    back = {'relu': relu_backward, 'tanh': tanh_backward, 'sigmoid': sigmoid_backward}\n"
            "    for i in reversed(range(len(caches))):\n"
            "        dense_cache, name, z = caches[i]\n"
            "        dout, grads[f'W{i + 1}'], grads[f'b{i + 1}'] = dense_backward(dout, dense_cache)\n"
            "        if name is not None:\n"
            "            dout = back[name](dout, z)\n"
            "    return grads\n",
            "activation's backward first",
        ),
        "mutates_dscores": (
            "def mlp_backward(dscores, caches):\n"
            "    grads, dout = {}, dscores\n"
            "    back = {'relu': relu_backward, 'tanh': tanh_backward, 'sigmoid': sigmoid_backward}\n"
            "    for i in reversed(range(len(caches))):\n"
            "        dense_cache, name, z = caches[i]\n"
            "        if name is not None:\n"
            "            dout = back[name](dout, z)\n"
            "        dx, grads[f'W{i + 1}'], grads[f'b{i + 1}'] = dense_backward(dout, dense_cache)\n"
            "        dout *= 0\n"
            "        dout = dx\n"
            "    return grads\n",
            "dscores was modified in place",
        ),
    },
}

CORRECT: dict[str, dict[str, str]] = {
    "bp_sigmoid_backward_test": {
        "exp_form": (
            "def sigmoid_backward(dout, cache):\n"
            "    e = np.exp(-np.abs(cache))\n"
            "    return dout * e / (1 + e) ** 2\n"
        ),
        "tanh_identity": (
            "def sigmoid_backward(dout, cache):\n"
            "    return dout * 0.25 * (1 - np.tanh(cache / 2) ** 2)\n"
        ),
    },
    "bp_relu_backward_test": {
        "where": "def relu_backward(dout, cache):\n    return np.where(cache > 0, dout, 0.0)\n",
        "copy_then_zero": (
            "def relu_backward(dout, cache):\n"
            "    dz = dout.copy()\n"
            "    dz[cache <= 0] = 0\n"
            "    return dz\n"
        ),
        "heaviside": "def relu_backward(dout, cache):\n    return dout * np.heaviside(cache, 0.0)\n",
    },
    "bp_tanh_backward_test": {
        "cosh": "def tanh_backward(dout, cache):\n    return dout / np.cosh(cache) ** 2\n",
        "sigmoid_identity": (
            "def tanh_backward(dout, cache):\n"
            "    s = 1 / (1 + np.exp(-2 * cache))\n"
            "    return dout * 4 * s * (1 - s)\n"
        ),
    },
    "bp_dense_backward_test": {
        "einsum": (
            "def dense_backward(dout, cache):\n"
            "    x, W, b = cache\n"
            "    return np.einsum('nm,dm->nd', dout, W), np.einsum('nd,nm->dm', x, dout), np.einsum('nm->m', dout)\n"
        ),
        "loop_over_batch": (
            "def dense_backward(dout, cache):\n"
            "    x, W, b = cache\n"
            "    dW, db = np.zeros_like(W), np.zeros_like(b)\n"
            "    dx = np.zeros_like(x)\n"
            "    for n in range(x.shape[0]):\n"
            "        dW += np.outer(x[n], dout[n])\n"
            "        db += dout[n]\n"
            "        dx[n] = W @ dout[n]\n"
            "    return dx, dW, db\n"
        ),
    },
    "bp_mse_backward_test": {
        "mean_form": (
            "def mse_backward(cache):\n"
            "    pred, target = cache\n"
            "    return 2 * np.subtract(pred, target) * (1.0 / np.prod(pred.shape))\n"
        ),
        "loop": (
            "def mse_backward(cache):\n"
            "    pred, target = cache\n"
            "    d = np.empty_like(pred)\n"
            "    for i in np.ndindex(pred.shape):\n"
            "        d[i] = 2 * (pred[i] - target[i]) / pred.size\n"
            "    return d\n"
        ),
    },
    "bp_softmax_ce_backward_test": {
        "eye_onehot": (
            "def softmax_cross_entropy_backward(cache):\n"
            "    probs, y = cache\n"
            "    return (probs - np.eye(probs.shape[1])[y]) / probs.shape[0]\n"
        ),
        "loop": (
            "def softmax_cross_entropy_backward(cache):\n"
            "    probs, y = cache\n"
            "    n = probs.shape[0]\n"
            "    d = probs.copy()\n"
            "    for i in range(n):\n"
            "        d[i, y[i]] -= 1.0\n"
            "    return d / n\n"
        ),
    },
    "bp_mlp_backward_test": {
        "dense_backward_every_layer": (
            "def mlp_backward(dscores, caches):\n"
            "    grads, dout = {}, dscores\n"
            "    back = {'relu': relu_backward, 'tanh': tanh_backward, 'sigmoid': sigmoid_backward}\n"
            "    for i in reversed(range(len(caches))):\n"
            "        dense_cache, name, z = caches[i]\n"
            "        if name is not None:\n"
            "            dout = back[name](dout, z)\n"
            "        dout, grads[f'W{i + 1}'], grads[f'b{i + 1}'] = dense_backward(dout, dense_cache)\n"
            "    return grads\n"
        ),
        "recursive": (
            "def mlp_backward(dscores, caches):\n"
            "    if not caches:\n"
            "        return {}\n"
            "    dense_cache, name, z = caches[-1]\n"
            "    dout = globals()[f'{name}_backward'](dscores, z) if name else dscores\n"
            "    dx, dW, db = dense_backward(dout, dense_cache)\n"
            "    L = len(caches)\n"
            "    return {**mlp_backward(dx, caches[:-1]), f'W{L}': dW, f'b{L}': db}\n"
        ),
        "sigmoid_via_exp_and_own_locals": (
            "def mlp_backward(dscores, caches):\n"
            "    grads = dict()\n"
            "    dout = dscores\n"
            "    for layer, ((x, W, b), name, z) in reversed(list(enumerate(caches, start=1))):\n"
            "        if name == 'relu':\n"
            "            dout = dout * (z > 0)\n"
            "        elif name == 'tanh':\n"
            "            dout = dout / np.cosh(z) ** 2\n"
            "        elif name == 'sigmoid':\n"
            "            s = 1 / (1 + np.exp(-z))\n"
            "            dout = dout * s * (1 - s)\n"
            "        grads['W' + str(layer)] = x.T @ dout\n"
            "        grads['b' + str(layer)] = dout.sum(0)\n"
            "        dout = dout @ W.T\n"
            "    return grads\n"
        ),
    },
}


(
    test_hidden_test_names_the_bug,
    test_hidden_test_passes_a_correct_variant,
    test_every_test_cell_is_covered,
) = corpus_tests(NOTEBOOK, BUGGY, CORRECT)
