"""Do 04g_layers' hidden tests fail each classic bug with its cause named, and pass correct variants?"""

from __future__ import annotations

from harness import corpus_tests

NOTEBOOK = "04_usage/04g_layers.ipynb"

_BN_FORWARD = (
    "def batchnorm_forward(x, gamma, beta, bn_param):\n"
    "    mode, eps, m = bn_param['mode'], bn_param.get('eps', 1e-5), bn_param.get('momentum', 0.9)\n"
    "    rm = bn_param.get('running_mean', np.zeros(x.shape[1]))\n"
    "    rv = bn_param.get('running_var', np.ones(x.shape[1]))\n"
    "    if mode not in ('train', 'test'):\n"
    "        raise ValueError(mode)\n"
    "    if mode == 'test':\n"
    "        return gamma * (x - rm) / np.sqrt(rv + eps) + beta, None\n"
    "    mu, var = MEAN, VAR\n"
    "    bn_param['running_mean'], bn_param['running_var'] = RUNNING\n"
    "    return gamma * (x - mu) / np.sqrt(var + eps) + beta, (x, gamma, mu, var, eps)\n"
)


def _bn_forward(mean="x.mean(axis=0)", var="x.var(axis=0)",
                running="m * rm + (1 - m) * mu, m * rv + (1 - m) * var") -> str:
    return _BN_FORWARD.replace("MEAN", mean).replace("VAR", var).replace("RUNNING", running)


_BN_ALT = (
    "def batchnorm_backward_alt(dout, cache):\n"
    "    x, gamma, mu, var, eps = cache\n"
    "    N = x.shape[0]\n"
    "    r = 1.0 / np.sqrt(var + eps)\n"
    "    x_hat = (x - mu) * r\n"
    "    g = dout * gamma\n"
    "    dx = r / N * (DX)\n"
    "    return dx, (dout * x_hat).sum(axis=0), dout.sum(axis=0)\n"
)


def _bn_alt(dx: str) -> str:
    return _BN_ALT.replace("DX", dx)


_STEP_BACKWARD = (
    "def rnn_step_backward(dnext_h, cache):\n"
    "    x, prev_h, Wx, Wh, next_h = cache\n"
    "    da = DA\n"
    "    return da @ Wx.T, da @ Wh.T, x.T @ da, DWH, da.sum(axis=0)\n"
)


def _step_backward(da: str = "dnext_h * (1 - next_h**2)", dwh: str = "prev_h.T @ da") -> str:
    return _STEP_BACKWARD.replace("DA", da).replace("DWH", dwh)


_RNN_BACKWARD = (
    "def rnn_backward(dh, cache):\n"
    "    N, T, H = dh.shape\n"
    "    D = cache[0][0].shape[1]\n"
    "    dx, dWx, dWh, db = np.zeros((N, T, D)), np.zeros((D, H)), np.zeros((H, H)), np.zeros(H)\n"
    "    dprev = np.zeros((N, H))\n"
    "    for t in reversed(range(T)):\n"
    "        dx[:, t], dprev, a, b_, c = rnn_step_backward(UPSTREAM, cache[t])\n"
    "        SUM\n"
    "    return dx, dprev, dWx, dWh, db\n"
)


def _rnn_backward(upstream: str = "dh[:, t] + dprev", total: str = "dWx, dWh, db = dWx + a, dWh + b_, db + c") -> str:
    return _RNN_BACKWARD.replace("UPSTREAM", upstream).replace("SUM", total)


_CONV_BACKWARD = (
    "def conv2d_backward(dout, cache):\n"
    "    x, w, b, conv_param = cache\n"
    "    s, P = conv_param['stride'], conv_param['pad']\n"
    "    H, W = x.shape[2:]\n"
    "    HH, WW = w.shape[2:]\n"
    "    xp = np.pad(x, ((0, 0), (0, 0), (P, P), (P, P)))\n"
    "    dxp, dw = np.zeros_like(xp), np.zeros_like(w)\n"
    "    for i in range(dout.shape[2]):\n"
    "        for j in range(dout.shape[3]):\n"
    "            dw += np.einsum('nf,nchw->fchw', dout[:, :, i, j], xp[:, :, i*s:i*s+HH, j*s:j*s+WW])\n"
    "            dxp[:, :, i*s:i*s+HH, j*s:j*s+WW] += np.einsum('nf,fchw->nchw', dout[:, :, i, j], w)\n"
    "    return DX, DW, DB\n"
)


def _conv_backward(dx: str = "dxp[:, :, P:P+H, P:P+W]", dw: str = "dw", db: str = "dout.sum(axis=(0, 2, 3))") -> str:
    return _CONV_BACKWARD.replace("DX", dx).replace("DW", dw).replace("DB", db)


_CONV_FORWARD = (
    "def conv2d_forward(x, w, b, conv_param):\n"
    "    s, P = conv_param['stride'], conv_param['pad']\n"
    "    F, _, HH, WW = w.shape\n"
    "    xp = np.pad(x, ((0, 0), (0, 0), (P, P), (P, P)))\n"
    "    Ho, Wo = 1 + (xp.shape[2] - HH) // s, 1 + (xp.shape[3] - WW) // s\n"
    "    k = KERNEL\n"
    "    out = np.zeros((x.shape[0], F, Ho, Wo))\n"
    "    for i in range(Ho):\n"
    "        for j in range(Wo):\n"
    "            out[:, :, i, j] = np.einsum('nchw,fchw->nf', xp[:, :, i*s:i*s+HH, j*s:j*s+WW], k) + BIAS\n"
    "    return out, (x, w, b, conv_param)\n"
)


def _conv_forward(kernel: str = "w", bias: str = "b") -> str:
    return _CONV_FORWARD.replace("KERNEL", kernel).replace("BIAS", bias)


_POOL_BACKWARD = (
    "def maxpool_backward(dout, cache):\n"
    "    x, p = cache\n"
    "    ph, pw, s = p['pool_height'], p['pool_width'], p['stride']\n"
    "    dx = np.zeros_like(x)\n"
    "    for n in range(x.shape[0]):\n"
    "        for c in range(x.shape[1]):\n"
    "            for i in range(dout.shape[2]):\n"
    "                for j in range(dout.shape[3]):\n"
    "                    win = x[n, c, i*s:i*s+ph, j*s:j*s+pw]\n"
    "                    g = dout[n, c, i, j]\n"
    "                    ROUTE\n"
    "    return dx\n"
)


def _pool_backward(route: str) -> str:
    return _POOL_BACKWARD.replace("ROUTE", route)


_FIRST_MAX = ("a, b = np.unravel_index(np.argmax(win), win.shape)\n"
              "                    dx[n, c, i*s + a, j*s + b] += g")

# test cell -> {bug name: (implementation, regex the failure message must match)}
BUGGY: dict[str, dict[str, tuple[str, str]]] = {
    "lay_bn_forward_test": {
        "wrong_axis": (_bn_forward(mean="x.mean(axis=1, keepdims=True)", var="x.var(axis=1, keepdims=True)",
                                   running="rm, rv"), "wrong axis"),
        "unbiased_variance": (_bn_forward(var="x.var(axis=0, ddof=1)"), "unbiased variance"),
        "test_mode_uses_batch_statistics": (
            _bn_forward().replace("return gamma * (x - rm) / np.sqrt(rv + eps) + beta, None",
                                  "return gamma * (x - x.mean(0)) / np.sqrt(x.var(0) + eps) + beta, None"),
            "test mode uses the batch's statistics",
        ),
        "momentum_on_the_new_value": (_bn_forward(running="(1 - m) * rm + m * mu, (1 - m) * rv + m * var"),
                                      "momentum weighs the old running average"),
        "running_averages_not_updated": (_bn_forward(running="rm, rv"), "must update the running averages"),
    },
    "lay_bn_backward_test": {
        "missing_mean_term": (_bn_alt("N * g - x_hat * (g * x_hat).sum(axis=0)"), "term through the mean is missing"),
        "missing_variance_term": (_bn_alt("N * g - g.sum(axis=0)"), "term through the variance is missing"),
        "constants": (_bn_alt("N * g"), "treated as constants"),
        "wrong_axis": (_bn_alt("N * g - g.sum(axis=1, keepdims=True) - x_hat * (g * x_hat).sum(axis=1, keepdims=True)"),
                       "wrong axis"),
        "unbiased_variance_in_the_variance_path": (
            _bn_alt("N * g - g.sum(axis=0) - x_hat * (g * x_hat).sum(axis=0) * N / (N - 1)"), "N - 1"),
        "graph_form_forgets_the_mean_node": (
            "def batchnorm_backward(dout, cache):\n"
            "    x, gamma, mu, var, eps = cache\n"
            "    N = x.shape[0]\n"
            "    xmu, std = x - mu, np.sqrt(var + eps)\n"
            "    x_hat = xmu / std\n"
            "    dx_hat = dout * gamma\n"
            "    dvar = 0.5 * (-(dx_hat * xmu).sum(axis=0) / std**2) / std\n"
            "    dx = dx_hat / std + 2.0 * xmu * dvar / N\n"
            "    return dx, (dout * x_hat).sum(axis=0), dout.sum(axis=0)\n",
            "term through the mean is missing",
        ),
    },
    "lay_dropout_test": {
        "not_scaling": (
            "def dropout_forward(x, dropout_param):\n"
            "    p, mode = dropout_param['p'], dropout_param['mode']\n"
            "    if mode == 'test':\n"
            "        return x, (dropout_param, None)\n"
            "    mask = (np.random.default_rng(dropout_param.get('seed')).random(x.shape) < p) * 1.0\n"
            "    return x * mask, (dropout_param, mask)\n",
            "not scaled",
        ),
        "scaling_at_test_time": (
            "def dropout_forward(x, dropout_param):\n"
            "    p, mode = dropout_param['p'], dropout_param['mode']\n"
            "    if mode == 'test':\n"
            "        return x * p, (dropout_param, None)\n"
            "    mask = (np.random.default_rng(dropout_param.get('seed')).random(x.shape) < p) / p\n"
            "    return x * mask, (dropout_param, mask)\n",
            "test mode scales by p",
        ),
        "new_mask_in_backward": (
            "def dropout_backward(dout, cache):\n"
            "    dropout_param, mask = cache\n"
            "    if dropout_param['mode'] == 'test':\n"
            "        return dout\n"
            "    p = dropout_param['p']\n"
            "    return dout * (np.random.default_rng(dropout_param.get('seed')).random(dout.shape) < p) / p\n",
            "draws a new mask",
        ),
        "keeps_with_probability_1_minus_p": (
            "def dropout_forward(x, dropout_param):\n"
            "    p, mode = dropout_param['p'], dropout_param['mode']\n"
            "    if mode == 'test':\n"
            "        return x, (dropout_param, None)\n"
            "    mask = (np.random.default_rng(dropout_param.get('seed')).random(x.shape) >= p) / p\n"
            "    return x * mask, (dropout_param, mask)\n",
            "probability of KEEPING",
        ),
    },
    "lay_optim_test": {
        "adam_no_bias_correction": (
            "def adam(w, dw, config=None):\n"
            "    c = {'learning_rate': 1e-3, 'beta1': 0.9, 'beta2': 0.999, 'epsilon': 1e-8, 't': 0}\n"
            "    c.update(config or {})\n"
            "    c['t'] += 1\n"
            "    c['m'] = c['beta1'] * c.get('m', 0 * w) + (1 - c['beta1']) * dw\n"
            "    c['v'] = c['beta2'] * c.get('v', 0 * w) + (1 - c['beta2']) * dw**2\n"
            "    return w - c['learning_rate'] * c['m'] / (np.sqrt(c['v']) + c['epsilon']), c\n",
            "no bias correction",
        ),
        "adam_beta1_on_the_squared_term": (
            "def adam(w, dw, config=None):\n"
            "    c = {'learning_rate': 1e-3, 'beta1': 0.9, 'beta2': 0.999, 'epsilon': 1e-8, 't': 0}\n"
            "    c.update(config or {})\n"
            "    c['t'] += 1\n"
            "    b1, t = c['beta1'], c['t']\n"
            "    c['m'] = b1 * c.get('m', 0 * w) + (1 - b1) * dw\n"
            "    c['v'] = b1 * c.get('v', 0 * w) + (1 - b1) * dw**2\n"
            "    m_hat, v_hat = c['m'] / (1 - b1**t), c['v'] / (1 - b1**t)\n"
            "    return w - c['learning_rate'] * m_hat / (np.sqrt(v_hat) + c['epsilon']), c\n",
            "squared term uses beta1",
        ),
        "adam_epsilon_inside_the_sqrt": (
            "def adam(w, dw, config=None):\n"
            "    c = {'learning_rate': 1e-3, 'beta1': 0.9, 'beta2': 0.999, 'epsilon': 1e-8, 't': 0}\n"
            "    c.update(config or {})\n"
            "    c['t'] += 1\n"
            "    b1, b2, t = c['beta1'], c['beta2'], c['t']\n"
            "    c['m'] = b1 * c.get('m', 0 * w) + (1 - b1) * dw\n"
            "    c['v'] = b2 * c.get('v', 0 * w) + (1 - b2) * dw**2\n"
            "    m_hat, v_hat = c['m'] / (1 - b1**t), c['v'] / (1 - b2**t)\n"
            "    return w - c['learning_rate'] * m_hat / np.sqrt(v_hat + c['epsilon']), c\n",
            "epsilon is inside the square root",
        ),
        "rmsprop_epsilon_inside_the_sqrt": (
            "def rmsprop(w, dw, config=None):\n"
            "    c = {'learning_rate': 1e-2, 'decay_rate': 0.99, 'epsilon': 1e-8}\n"
            "    c.update(config or {})\n"
            "    c['cache'] = c['decay_rate'] * c.get('cache', 0 * w) + (1 - c['decay_rate']) * dw**2\n"
            "    return w - c['learning_rate'] * dw / np.sqrt(c['cache'] + c['epsilon']), c\n",
            "epsilon is inside the square root",
        ),
        "momentum_sign": (
            "def sgd_momentum(w, dw, config=None):\n"
            "    c = {'learning_rate': 1e-2, 'momentum': 0.9}\n"
            "    c.update(config or {})\n"
            "    c['velocity'] = c['momentum'] * c.get('velocity', 0 * w) + c['learning_rate'] * dw\n"
            "    return w + c['velocity'], c\n",
            "wrong sign",
        ),
        "momentum_velocity_ignored": (
            "def sgd_momentum(w, dw, config=None):\n"
            "    c = {'learning_rate': 1e-2, 'momentum': 0.9}\n"
            "    c.update(config or {})\n"
            "    c['velocity'] = c['momentum'] * c.get('velocity', 0 * w) - c['learning_rate'] * dw\n"
            "    return w - c['learning_rate'] * dw, c\n",
            "the velocity is ignored",
        ),
        "state_in_a_shared_default_config": (  # issue 26: a stateful function called twice
            "_DEFAULT = {'learning_rate': 1e-2, 'momentum': 0.9}\n"
            "def sgd_momentum(w, dw, config=None):\n"
            "    c = _DEFAULT if config is None else config\n"
            "    c.setdefault('learning_rate', 1e-2)\n"
            "    c.setdefault('momentum', 0.9)\n"
            "    c['velocity'] = c['momentum'] * c.get('velocity', 0 * w) - c['learning_rate'] * dw\n"
            "    return w + c['velocity'], c\n",
            "called twice with the default config",
        ),
    },
    "lay_rnn_step_test": {
        "missing_tanh_derivative": (_step_backward(da="dnext_h"), "tanh derivative is missing"),
        "tanh_derivative_at_the_input": (
            _step_backward(da="dnext_h * (1 - (x @ Wx + prev_h @ Wh)**2)"), "tanh derivative is taken at the input"),
        "tanh_derivative_at_the_input_from_arctanh": (
            _step_backward(da="dnext_h * (1 - np.arctanh(next_h)**2)"), "tanh derivative is taken at the input a ="),
        "dWh_from_next_h": (_step_backward(dwh="next_h.T @ da"), "dWh uses next_h"),
        "forward_without_tanh": (
            "def rnn_step_forward(x, prev_h, Wx, Wh, b):\n"
            "    next_h = x @ Wx + prev_h @ Wh + b\n"
            "    return next_h, (x, prev_h, Wx, Wh, next_h)\n",
            "tanh is missing",
        ),
    },
    "lay_rnn_test": {
        "dh_not_accumulated_across_steps": (_rnn_backward(upstream="dh[:, t]"), "not accumulated across steps"),
        "weights_not_summed_over_steps": (_rnn_backward(total="dWx, dWh, db = a, b_, c"), "not summed over the steps"),
        "only_the_last_upstream_gradient": (_rnn_backward(upstream="(dh[:, t] if t == T - 1 else 0) + dprev"),
                                            "only the last step's dh"),
        "every_step_from_h0": (
            "def rnn_forward(x, h0, Wx, Wh, b):\n"
            "    steps = [rnn_step_forward(x[:, t], h0, Wx, Wh, b) for t in range(x.shape[1])]\n"
            "    return np.stack([h for h, _ in steps], axis=1), [c for _, c in steps]\n",
            "every step starts from h0",
        ),
    },
    "lay_clip_test": {
        "clips_each_element": (
            "def clip_grad_norm(grads, max_norm):\n"
            "    return {k: np.clip(g, -max_norm, max_norm) for k, g in grads.items()}\n",
            "clips each element",
        ),
        "clips_each_array_by_its_own_norm": (
            "def clip_grad_norm(grads, max_norm):\n"
            "    return {k: g * min(1.0, max_norm / np.linalg.norm(g)) for k, g in grads.items()}\n",
            "by its own norm",
        ),
        "always_scales": (
            "def clip_grad_norm(grads, max_norm):\n"
            "    total = np.sqrt(sum(np.sum(g**2) for g in grads.values()))\n"
            "    return {k: g * max_norm / total for k, g in grads.items()}\n",
            "below max_norm",
        ),
        "clips_in_place": (
            "def clip_grad_norm(grads, max_norm):\n"
            "    total = np.sqrt(sum(np.sum(g**2) for g in grads.values()))\n"
            "    for g in grads.values():\n"
            "        g *= min(1.0, max_norm / total)\n"
            "    return grads\n",
            "modified in place",
        ),
    },
    "lay_conv_test": {
        "kernel_flipped": (_conv_forward(kernel="w[:, :, ::-1, ::-1]"), "kernel is flipped"),
        "bias_missing": (_conv_forward(bias="0.0"), "bias is missing"),
        "padding_dropped_in_backward": (_conv_backward(dx="dxp[:, :, :H, :W]"), "padding is dropped"),
        "padding_not_cropped": (_conv_backward(dx="dxp"), "crop the padding"),
        "db_not_summed_over_positions": (_conv_backward(db="dout.sum(axis=0)[:, 0, 0]"),
                                         "not summed over the positions"),
        "dw_flipped": (_conv_backward(dw="dw[:, :, ::-1, ::-1]"), "dw is flipped"),
    },
    "lay_pool_test": {
        "routed_to_every_element": (_pool_backward("dx[n, c, i*s:i*s+ph, j*s:j*s+pw] += g"), "every element"),
        "routed_to_every_tied_maximum": (
            _pool_backward("dx[n, c, i*s:i*s+ph, j*s:j*s+pw] += g * (win == win.max())"), "every tied maximum"),
        "overlapping_windows_overwrite": (
            _pool_backward("a, b = np.unravel_index(np.argmax(win), win.shape)\n"
                           "                    dx[n, c, i*s + a, j*s + b] = g"), "overwrite"),
        "average_pooling_gradient": (_pool_backward("dx[n, c, i*s:i*s+ph, j*s:j*s+pw] += g / (ph * pw)"),
                                     "average pooling|spread evenly"),
    },
}

CORRECT: dict[str, dict[str, str]] = {
    "lay_bn_forward_test": {
        "sums_by_hand": _bn_forward(mean="x.sum(axis=0) / len(x)",
                                    var="((x - x.sum(axis=0) / len(x))**2).mean(axis=0)"),
        "x_hat_first": (
            "def batchnorm_forward(x, gamma, beta, bn_param):\n"
            "    mode = bn_param['mode']\n"
            "    if mode not in ('train', 'test'):\n"
            "        raise ValueError(f'bad mode {mode}')\n"
            "    D = x.shape[1]\n"
            "    eps, m = bn_param.get('eps', 1e-5), bn_param.get('momentum', 0.9)\n"
            "    if mode == 'train':\n"
            "        mu = np.mean(x, axis=0)\n"
            "        var = np.mean((x - mu) ** 2, axis=0)\n"
            "        x_hat = (x - mu) / np.sqrt(var + eps)\n"
            "        bn_param.update(running_mean=m * bn_param.get('running_mean', np.zeros(D)) + (1 - m) * mu,\n"
            "                        running_var=m * bn_param.get('running_var', np.ones(D)) + (1 - m) * var)\n"
            "        return gamma * x_hat + beta, (x, gamma, mu, var, eps)\n"
            "    rm, rv = bn_param.get('running_mean', np.zeros(D)), bn_param.get('running_var', np.ones(D))\n"
            "    x_hat = (x - rm) / np.sqrt(rv + eps)\n"
            "    return gamma * x_hat + beta, None\n"
        ),
    },
    "lay_bn_backward_test": {
        "means_instead_of_sums": (
            "def batchnorm_backward_alt(dout, cache):\n"
            "    x, gamma, mu, var, eps = cache\n"
            "    r = 1.0 / np.sqrt(var + eps)\n"
            "    x_hat = (x - mu) * r\n"
            "    g = dout * gamma\n"
            "    dx = r * (g - g.mean(axis=0) - x_hat * (g * x_hat).mean(axis=0))\n"
            "    return dx, np.sum(dout * x_hat, axis=0), np.sum(dout, axis=0)\n"
        ),
        "graph_form_through_the_variance_node": (
            "def batchnorm_backward(dout, cache):\n"
            "    x, gamma, mu, var, eps = cache\n"
            "    N = x.shape[0]\n"
            "    xmu = x - mu\n"
            "    denom = np.sqrt(var + eps)\n"
            "    x_hat = xmu / denom\n"
            "    dx_hat = dout * gamma\n"
            "    dvar = np.sum(dx_hat * xmu, axis=0) * -0.5 * (var + eps) ** -1.5\n"
            "    dmu = -np.sum(dx_hat / denom, axis=0) - 2.0 * dvar * np.mean(xmu, axis=0)\n"
            "    dx = dx_hat / denom + dvar * 2.0 * xmu / N + dmu / N\n"
            "    return dx, np.sum(dout * x_hat, axis=0), np.sum(dout, axis=0)\n"
        ),
    },
    "lay_dropout_test": {
        "where": (
            "def dropout_forward(x, dropout_param):\n"
            "    p = dropout_param['p']\n"
            "    if dropout_param['mode'] == 'train':\n"
            "        keep = np.random.default_rng(dropout_param.get('seed')).random(x.shape) < p\n"
            "        mask = np.where(keep, 1.0 / p, 0.0)\n"
            "        return x * mask, (dropout_param, mask)\n"
            "    if dropout_param['mode'] == 'test':\n"
            "        return x.copy(), (dropout_param, None)\n"
            "    raise ValueError('mode')\n"
        ),
        "backward_by_mask_presence": (
            "def dropout_backward(dout, cache):\n"
            "    _, mask = cache\n"
            "    return dout.copy() if mask is None else np.multiply(dout, mask)\n"
        ),
    },
    "lay_optim_test": {
        "adam_new_config": (
            "def adam(w, dw, config=None):\n"
            "    c = dict(learning_rate=1e-3, beta1=0.9, beta2=0.999, epsilon=1e-8, m=np.zeros_like(w),\n"
            "             v=np.zeros_like(w), t=0)\n"
            "    c.update(config or {})\n"
            "    t = c['t'] + 1\n"
            "    m = c['beta1'] * c['m'] + (1 - c['beta1']) * dw\n"
            "    v = c['beta2'] * c['v'] + (1 - c['beta2']) * (dw * dw)\n"
            "    m_hat, v_hat = m / (1 - c['beta1'] ** t), v / (1 - c['beta2'] ** t)\n"
            "    step = c['learning_rate'] * m_hat / (np.sqrt(v_hat) + c['epsilon'])\n"
            "    return w - step, {**c, 'm': m, 'v': v, 't': t}\n"
        ),
        "momentum_and_rmsprop_without_setdefault": (
            "def sgd_momentum(w, dw, config=None):\n"
            "    c = {'learning_rate': 1e-2, 'momentum': 0.9, 'velocity': np.zeros_like(w)}\n"
            "    c.update(config or {})\n"
            "    c['velocity'] = c['momentum'] * c['velocity'] - c['learning_rate'] * dw\n"
            "    return w + c['velocity'], c\n"
            "\n"
            "def rmsprop(w, dw, config=None):\n"
            "    c = {'learning_rate': 1e-2, 'decay_rate': 0.99, 'epsilon': 1e-8, 'cache': np.zeros_like(w)}\n"
            "    c.update(config or {})\n"
            "    c['cache'] = c['decay_rate'] * c['cache'] + (1 - c['decay_rate']) * np.square(dw)\n"
            "    return w - c['learning_rate'] * dw / (np.sqrt(c['cache']) + c['epsilon']), c\n"
        ),
    },
    "lay_rnn_step_test": {
        "expanded_derivative": _step_backward(da="dnext_h - dnext_h * next_h * next_h"),
        "einsum": (
            "def rnn_step_forward(x, prev_h, Wx, Wh, b):\n"
            "    h = np.tanh(np.einsum('nd,dh->nh', x, Wx) + np.einsum('nk,kh->nh', prev_h, Wh) + b)\n"
            "    return h, (x, prev_h, Wx, Wh, h)\n"
            "\n"
            "def rnn_step_backward(dnext_h, cache):\n"
            "    x, prev_h, Wx, Wh, next_h = cache\n"
            "    da = (1 - np.square(next_h)) * dnext_h\n"
            "    return (np.einsum('nh,dh->nd', da, Wx), np.einsum('nh,kh->nk', da, Wh),\n"
            "            np.einsum('nd,nh->dh', x, da), np.einsum('nk,nh->kh', prev_h, da), np.einsum('nh->h', da))\n"
        ),
    },
    "lay_rnn_test": {
        "stack_and_own_loop": (
            "def rnn_forward(x, h0, Wx, Wh, b):\n"
            "    hs, caches, h = [], [], h0\n"
            "    for t in range(x.shape[1]):\n"
            "        h, c = rnn_step_forward(x[:, t, :], h, Wx, Wh, b)\n"
            "        hs.append(h)\n"
            "        caches.append(c)\n"
            "    return np.stack(hs, axis=1), caches\n"
        ),
        "backward_without_the_step_function": (
            "def rnn_backward(dh, cache):\n"
            "    N, T, H = dh.shape\n"
            "    grads = None\n"
            "    carry = np.zeros((N, H))\n"
            "    dxs = []\n"
            "    for t in range(T - 1, -1, -1):\n"
            "        x, prev_h, Wx, Wh, h = cache[t]\n"
            "        da = (dh[:, t] + carry) * (1 - h**2)\n"
            "        carry = da @ Wh.T\n"
            "        dxs.append(da @ Wx.T)\n"
            "        step = [x.T @ da, prev_h.T @ da, da.sum(axis=0)]\n"
            "        grads = step if grads is None else [g + s for g, s in zip(grads, step)]\n"
            "    return (np.stack(dxs[::-1], axis=1), carry, *grads)\n"
        ),
    },
    "lay_clip_test": {
        "concatenated_norm": (
            "def clip_grad_norm(grads, max_norm):\n"
            "    norm = np.linalg.norm(np.concatenate([g.ravel() for g in grads.values()]))\n"
            "    if norm <= max_norm:\n"
            "        return {k: g.copy() for k, g in grads.items()}\n"
            "    return {k: g * (max_norm / norm) for k, g in grads.items()}\n"
        ),
        "torch_style_eps": (
            "def clip_grad_norm(grads, max_norm):\n"
            "    total = sum(float((g * g).sum()) for g in grads.values()) ** 0.5\n"
            "    coef = max_norm / total\n"
            "    return {k: g * coef if coef < 1 else g for k, g in grads.items()}\n"
        ),
    },
    "lay_conv_test": {
        "six_loops": (
            "def conv2d_forward(x, w, b, conv_param):\n"
            "    s, P = conv_param['stride'], conv_param['pad']\n"
            "    N, C, H, W = x.shape\n"
            "    F, _, HH, WW = w.shape\n"
            "    xp = np.zeros((N, C, H + 2 * P, W + 2 * P))\n"
            "    xp[:, :, P:P + H, P:P + W] = x\n"
            "    Ho, Wo = (H + 2 * P - HH) // s + 1, (W + 2 * P - WW) // s + 1\n"
            "    out = np.zeros((N, F, Ho, Wo))\n"
            "    for n in range(N):\n"
            "        for f in range(F):\n"
            "            for i in range(Ho):\n"
            "                for j in range(Wo):\n"
            "                    out[n, f, i, j] = np.sum(xp[n, :, i*s:i*s+HH, j*s:j*s+WW] * w[f]) + b[f]\n"
            "    return out, (x, w, b, conv_param)\n"
        ),
        "einsum_backward": _conv_backward(),
    },
    "lay_pool_test": {
        "unravel_first_max": _pool_backward(_FIRST_MAX),
        "first_of_the_mask": _pool_backward(
            "mask = (win == win.max()).ravel()\n"
            "                    first = np.zeros_like(mask, dtype=float)\n"
            "                    first[np.flatnonzero(mask)[0]] = g\n"
            "                    dx[n, c, i*s:i*s+ph, j*s:j*s+pw] += first.reshape(win.shape)"),
    },
}

test_hidden_test_names_the_bug, test_hidden_test_passes_a_correct_variant, test_every_test_cell_has_three_bugs_and_two_correct_variants = (  # noqa: E501
    corpus_tests(NOTEBOOK, BUGGY, CORRECT)
)
