"""Do 04d_jacobians' hidden tests fail each classic bug with its cause named, and pass correct variants?"""

from __future__ import annotations

from harness import corpus_tests

NOTEBOOK = "04_usage/04d_jacobians.ipynb"

# test cell -> {bug name: (implementation, regex the failure message must match)}
BUGGY: dict[str, dict[str, tuple[str, str]]] = {
    "jac_softmax_jacobian_test": {
        "diagonal_only": (
            "def softmax_jacobian(p):\n"
            "    return np.diag(p * (1 - p))\n",
            "off-diagonal entries -p_i p_j",
        ),
        "wrong_sign": (
            "def softmax_jacobian(p):\n"
            "    return np.outer(p, p) - np.diag(p)\n",
            "wrong sign",
        ),
        "inner_product": (
            "def softmax_jacobian(p):\n"
            "    return np.diag(p) - p @ p\n",
            "inner product",
        ),
        "elementwise_square": (
            "def softmax_jacobian(p):\n"
            "    return np.diag(p) - p * p\n",
            "elementwise",
        ),
    },
    "jac_unbroadcast_test": {
        "mean_not_sum": (
            "def unbroadcast(dout, shape):\n"
            "    while dout.ndim > len(shape):\n"
            "        dout = dout.mean(axis=0)\n"
            "    for i, s in enumerate(shape):\n"
            "        if s == 1:\n"
            "            dout = dout.mean(axis=i, keepdims=True)\n"
            "    return dout\n",
            "averages over the copies",
        ),
        "always_axis_0": (
            "def unbroadcast(dout, shape):\n"
            "    return dout.sum(axis=0)\n",
            "sums over axis 0|sum over every added leading axis",
        ),
        "drops_size_one_axes": (
            "def unbroadcast(dout, shape):\n"
            "    while dout.ndim > len(shape):\n"
            "        dout = dout.sum(axis=0)\n"
            "    for i, s in reversed(list(enumerate(shape))):\n"
            "        if s == 1 and dout.shape[i] != 1:\n"
            "            dout = dout.sum(axis=i)\n"
            "    return dout\n",
            "stretched size-1 axes were dropped",
        ),
        "leading_axes_only": (
            "def unbroadcast(dout, shape):\n"
            "    while dout.ndim > len(shape):\n"
            "        dout = dout.sum(axis=0)\n"
            "    return dout\n",
            "sum over every added leading axis and every stretched size-1 axis|sums over axis 0",
        ),
    },
    "jac_bce_backward_test": {
        "missing_mean": (
            "def binary_cross_entropy_backward(cache):\n"
            "    p, y = cache\n"
            "    return (p - y) / (p * (1 - p))\n",
            "1/S of the mean is missing",
        ),
        "wrong_sign": (
            "def binary_cross_entropy_backward(cache):\n"
            "    p, y = cache\n"
            "    return (y - p) / (p * (1 - p)) / p.size\n",
            "wrong sign",
        ),
        "missing_negative_class_term": (
            "def binary_cross_entropy_backward(cache):\n"
            "    p, y = cache\n"
            "    return -y / p / p.size\n",
            "\\(1 - y\\) log\\(1 - p\\) term is missing",
        ),
        "returns_fused_gradient": (
            "def binary_cross_entropy_backward(cache):\n"
            "    p, y = cache\n"
            "    return (p - y) / p.size\n",
            "FUSED gradient",
        ),
    },
    "jac_layernorm_forward_test": {
        "wrong_axis_batchnorm": (
            "def layernorm_forward(x, gamma, beta, eps=1e-5):\n"
            "    mu = x.mean(axis=0, keepdims=True)\n"
            "    inv_std = 1 / np.sqrt(x.var(axis=0, keepdims=True) + eps)\n"
            "    x_hat = (x - mu) * inv_std\n"
            "    return gamma * x_hat + beta, (x_hat, gamma, inv_std)\n",
            "normalises over axis 0",
        ),
        "unbiased_variance": (
            "def layernorm_forward(x, gamma, beta, eps=1e-5):\n"
            "    mu = x.mean(axis=1, keepdims=True)\n"
            "    inv_std = 1 / np.sqrt(x.var(axis=1, keepdims=True, ddof=1) + eps)\n"
            "    x_hat = (x - mu) * inv_std\n"
            "    return gamma * x_hat + beta, (x_hat, gamma, inv_std)\n",
            "ddof=1",
        ),
        "eps_outside_sqrt": (
            "def layernorm_forward(x, gamma, beta, eps=1e-5):\n"
            "    mu = x.mean(axis=1, keepdims=True)\n"
            "    std = np.sqrt(x.var(axis=1, keepdims=True)) + eps\n"
            "    x_hat = (x - mu) / std\n"
            "    return gamma * x_hat + beta, (x_hat, gamma, 1 / std)\n",
            "INSIDE the square root",
        ),
        "stores_std": (
            "def layernorm_forward(x, gamma, beta, eps=1e-5):\n"
            "    mu = x.mean(axis=1, keepdims=True)\n"
            "    std = np.sqrt(x.var(axis=1, keepdims=True) + eps)\n"
            "    x_hat = (x - mu) / std\n"
            "    return gamma * x_hat + beta, (x_hat, gamma, std)\n",
            "stores the standard deviation",
        ),
        "no_beta": (
            "def layernorm_forward(x, gamma, beta, eps=1e-5):\n"
            "    mu = x.mean(axis=1, keepdims=True)\n"
            "    inv_std = 1 / np.sqrt(x.var(axis=1, keepdims=True) + eps)\n"
            "    x_hat = (x - mu) * inv_std\n"
            "    return gamma * x_hat, (x_hat, gamma, inv_std)\n",
            "beta is not added",
        ),
    },
    "jac_layernorm_backward_test": {
        "missing_mean_term": (
            "def layernorm_backward(dout, cache):\n"
            "    x_hat, gamma, r = cache\n"
            "    D = x_hat.shape[1]\n"
            "    g = dout * gamma\n"
            "    dx = r / D * (D * g - x_hat * (g * x_hat).sum(axis=1, keepdims=True))\n"
            "    return dx, (dout * x_hat).sum(axis=0), dout.sum(axis=0)\n",
            "term through the mean is missing",
        ),
        "missing_variance_term": (
            "def layernorm_backward(dout, cache):\n"
            "    x_hat, gamma, r = cache\n"
            "    D = x_hat.shape[1]\n"
            "    g = dout * gamma\n"
            "    dx = r / D * (D * g - g.sum(axis=1, keepdims=True))\n"
            "    return dx, (dout * x_hat).sum(axis=0), dout.sum(axis=0)\n",
            "term through the variance is missing",
        ),
        "wrong_axis_in_dx": (
            "def layernorm_backward(dout, cache):\n"
            "    x_hat, gamma, r = cache\n"
            "    D = x_hat.shape[1]\n"
            "    g = dout * gamma\n"
            "    dx = r / D * (D * g - g.sum(axis=0, keepdims=True) - x_hat * (g * x_hat).sum(axis=0, keepdims=True))\n"
            "    return dx, (dout * x_hat).sum(axis=0), dout.sum(axis=0)\n",
            "wrong axis",
        ),
        "wrong_axis_in_dgamma": (
            "def layernorm_backward(dout, cache):\n"
            "    x_hat, gamma, r = cache\n"
            "    D = x_hat.shape[1]\n"
            "    g = dout * gamma\n"
            "    dx = r / D * (D * g - g.sum(axis=1, keepdims=True) - x_hat * (g * x_hat).sum(axis=1, keepdims=True))\n"
            "    return dx, (dout * x_hat).sum(axis=1), dout.sum(axis=1)\n",
            "wrong\\s+axis",
        ),
        "constants": (
            "def layernorm_backward(dout, cache):\n"
            "    x_hat, gamma, r = cache\n"
            "    return dout * gamma * r, (dout * x_hat).sum(axis=0), dout.sum(axis=0)\n",
            "treats the mean and the variance as constants",
        ),
        "dgamma_forgets_x_hat": (
            "def layernorm_backward(dout, cache):\n"
            "    x_hat, gamma, r = cache\n"
            "    D = x_hat.shape[1]\n"
            "    g = dout * gamma\n"
            "    dx = r / D * (D * g - g.sum(axis=1, keepdims=True) - x_hat * (g * x_hat).sum(axis=1, keepdims=True))\n"
            "    return dx, dout.sum(axis=0), dout.sum(axis=0)\n",
            "forgets x_hat",
        ),
    },
}

CORRECT: dict[str, dict[str, str]] = {
    "jac_softmax_jacobian_test": {
        "loops": (
            "def softmax_jacobian(p):\n"
            "    C = len(p)\n"
            "    J = np.zeros((C, C))\n"
            "    for i in range(C):\n"
            "        for j in range(C):\n"
            "            J[i, j] = p[i] * ((i == j) - p[j])\n"
            "    return J\n"
        ),
        "broadcast": (
            "def softmax_jacobian(p):\n"
            "    return p[:, None] * (np.eye(p.size) - p[None, :])\n"
        ),
    },
    "jac_unbroadcast_test": {
        "loop_over_axes": (
            "def unbroadcast(dout, shape):\n"
            "    grad = np.array(dout, dtype=float)\n"
            "    while grad.ndim > len(shape):\n"
            "        grad = grad.sum(axis=0)\n"
            "    for axis, size in enumerate(shape):\n"
            "        if size == 1:\n"
            "            grad = grad.sum(axis=axis, keepdims=True)\n"
            "    return grad\n"
        ),
        "axes_from_padded_shape": (
            "def unbroadcast(dout, shape):\n"
            "    padded = (1,) * (dout.ndim - len(shape)) + tuple(shape)\n"
            "    axes = tuple(i for i, s in enumerate(padded) if s == 1 and dout.shape[i] != 1)\n"
            "    return dout.sum(axis=axes, keepdims=True).reshape(shape)\n"
        ),
    },
    "jac_bce_backward_test": {
        "two_terms": (
            "def binary_cross_entropy_backward(cache):\n"
            "    p, y = cache\n"
            "    n = p.size\n"
            "    return (-y / p + (1 - y) / (1 - p)) / n\n"
        ),
        "mean_style": (
            "def binary_cross_entropy_backward(cache):\n"
            "    p, y = cache\n"
            "    return np.full_like(p, 1.0 / np.size(p)) * (p - y) / (p - p ** 2)\n"
        ),
    },
    "jac_layernorm_forward_test": {
        "by_hand": (
            "def layernorm_forward(x, gamma, beta, eps=1e-5):\n"
            "    D = x.shape[1]\n"
            "    mu = np.sum(x, axis=1, keepdims=True) / D\n"
            "    centred = x - mu\n"
            "    var = np.sum(centred ** 2, axis=1, keepdims=True) / D\n"
            "    inv_std = (var + eps) ** -0.5\n"
            "    x_hat = centred * inv_std\n"
            "    out = x_hat * gamma[None, :] + beta[None, :]\n"
            "    return out, (x_hat, gamma, inv_std)\n"
        ),
        "transposed_statistics": (
            "def layernorm_forward(x, gamma, beta, eps=1e-5):\n"
            "    xt = x.T\n"
            "    x_hat = ((xt - xt.mean(axis=0)) / np.sqrt(xt.var(axis=0) + eps)).T\n"
            "    inv_std = 1.0 / np.sqrt(x.var(axis=1) + eps)[:, None]\n"
            "    return gamma * x_hat + beta, (x_hat, gamma, inv_std)\n"
        ),
    },
    "jac_layernorm_backward_test": {
        "step_by_step_graph": (
            "def layernorm_backward(dout, cache):\n"
            "    x_hat, gamma, inv_std = cache\n"
            "    N, D = x_hat.shape\n"
            "    dbeta = dout.sum(axis=0)\n"
            "    dgamma = np.sum(dout * x_hat, axis=0)\n"
            "    dxhat = dout * gamma\n"
            "    centred = x_hat / inv_std\n"
            "    dvar = np.sum(dxhat * centred, axis=1, keepdims=True) * -0.5 * inv_std ** 3\n"
            "    dmu = -np.sum(dxhat * inv_std, axis=1, keepdims=True)\n"
            "    dmu = dmu - 2 * dvar * centred.mean(axis=1, keepdims=True)\n"
            "    dx = dxhat * inv_std + dvar * 2 * centred / D + dmu / D\n"
            "    return dx, dgamma, dbeta\n"
        ),
        "jacobian_per_row": (
            "def layernorm_backward(dout, cache):\n"
            "    x_hat, gamma, inv_std = cache\n"
            "    N, D = x_hat.shape\n"
            "    dx = np.empty_like(x_hat)\n"
            "    for n in range(N):\n"
            "        J = inv_std[n, 0] * (np.eye(D) - 1.0 / D - np.outer(x_hat[n], x_hat[n]) / D)\n"
            "        dx[n] = J.T @ (dout[n] * gamma)\n"
            "    return dx, (dout * x_hat).sum(0), dout.sum(0)\n"
        ),
    },
}


(
    test_hidden_test_names_the_bug,
    test_hidden_test_passes_a_correct_variant,
    test_every_test_cell_is_covered,
) = corpus_tests(NOTEBOOK, BUGGY, CORRECT)
