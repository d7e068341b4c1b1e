"""Do 02b_loss's hidden tests fail each known bug with its cause named, and pass correct variants?"""

from __future__ import annotations

from harness import corpus_tests

NOTEBOOK = "02_definition/02b_loss.ipynb"

# test cell -> {bug name: (implementation, text its failure message must contain)}
BUGGY = {
    "loss_mse_test": {
        "sum_instead_of_mean": (
            "def mse_forward(pred, target):\n"
            "    return np.sum((pred - target) ** 2), (pred, target)\n",
            "summed, not averaged",
        ),
        "divides_by_N_only": (
            "def mse_forward(pred, target):\n"
            "    return np.sum((pred - target) ** 2) / pred.shape[0], (pred, target)\n",
            r"divided by N \(rows\) only",
        ),
        "mean_over_axis_0": (
            "def mse_forward(pred, target):\n"
            "    return np.mean((pred - target) ** 2, axis=0), (pred, target)\n",
            "The loss is one number",
        ),
        "half_factor": (
            "def mse_forward(pred, target):\n"
            "    return 0.5 * np.mean((pred - target) ** 2), (pred, target)\n",
            "factor 1/2",
        ),
        "float32": (
            "def mse_forward(pred, target):\n"
            "    d = (pred - target).astype(np.float32)\n"
            "    return np.mean(d * d), (pred, target)\n",
            "float32",
        ),
        "subtracts_in_place": (
            "def mse_forward(pred, target):\n"
            "    cache = (pred.copy(), target)\n"
            "    pred -= target\n"
            "    return np.mean(pred ** 2), cache\n",
            "modified in place",
        ),
    },
    "loss_bce_test": {
        "no_clip_log0": (
            "def binary_cross_entropy_forward(p, y):\n"
            "    return -np.mean(y * np.log(p) + (1 - y) * np.log(1 - p)), (p, y)\n",
            r"log\(0\)",
        ),
        "sum_instead_of_mean": (
            "def binary_cross_entropy_forward(p, y):\n"
            "    q = np.clip(p, 1e-12, 1 - 1e-12)\n"
            "    return -np.sum(y * np.log(q) + (1 - y) * np.log(1 - q)), (p, y)\n",
            "summed, not averaged",
        ),
        "missing_negative_class_term": (
            "def binary_cross_entropy_forward(p, y):\n"
            "    q = np.clip(p, 1e-12, 1 - 1e-12)\n"
            "    return -np.mean(y * np.log(q)), (p, y)\n",
            r"\(1 - y\) log\(1 - p\) term is missing",
        ),
        "clips_in_place": (
            "def binary_cross_entropy_forward(p, y):\n"
            "    cache = (p.copy(), y)\n"
            "    np.clip(p, 1e-12, 1 - 1e-12, out=p)\n"
            "    return -np.mean(y * np.log(p) + (1 - y) * np.log(1 - p)), cache\n",
            "modified in place",
        ),
        "keras_epsilon": (
            "def binary_cross_entropy_forward(p, y):\n"
            "    q = np.clip(p, 1e-7, 1 - 1e-7)\n"
            "    return -np.mean(y * np.log(q) + (1 - y) * np.log(1 - q)), (p, y)\n",
            "clipped at 1e-07",
        ),
        "float32": (
            "def binary_cross_entropy_forward(p, y):\n"
            "    q = np.clip(p, 1e-12, 1 - 1e-12).astype(np.float32)\n"
            "    t = y.astype(np.float32)\n"
            "    return -np.mean(t * np.log(q) + (1 - t) * np.log(1 - q)), (p, y)\n",
            "float32",
        ),
    },
    "loss_softmax_test": {
        "no_max_subtraction": (
            "def softmax(z):\n"
            "    e = np.exp(z)\n"
            "    return e / e.sum(axis=1, keepdims=True)\n",
            # said once: numpy's "overflow encountered in exp" used to be followed by "overflow in exp" again
            r"^(?!.*overflow.*overflow)softmax\(z \+1000\) overflows in exp\. .*subtract each row's max",
        ),
        "shifts_only_rows_that_could_overflow": (  # right at z + 1000; at z - 1000 every exp underflows: 0 / 0
            "def softmax(z):\n"
            "    m = np.maximum(z.max(axis=1, keepdims=True), 0.0)\n"
            "    e = np.exp(z - m)\n"
            "    return e / e.sum(axis=1, keepdims=True)\n",
            r"softmax\(z -1000\) hits a floating-point error \(invalid value encountered in divide\): every exp in a "
            r"row underflowed to 0, and 0 / 0 is nan\. .*subtract each row's max",
        ),
        "wrong_axis": (
            "def softmax(z):\n"
            "    e = np.exp(z - z.max(axis=0, keepdims=True))\n"
            "    return e / e.sum(axis=0, keepdims=True)\n",
            "columns sum to 1",
        ),
        "missing_keepdims": (
            "def softmax(z):\n"
            "    e = np.exp(z - z.max(axis=1))\n"
            "    return e / e.sum(axis=1)\n",
            "keepdims=True",
        ),
        "global_max": (
            "def softmax(z):\n"
            "    e = np.exp(z - np.max(z))\n"
            "    return e / e.sum(axis=1, keepdims=True)\n",
            "EACH row's own max",
        ),
        "shifts_in_place": (
            "def softmax(z):\n"
            "    z -= z.max(axis=1, keepdims=True)\n"
            "    e = np.exp(z)\n"
            "    return e / e.sum(axis=1, keepdims=True)\n",
            "modified in place",
        ),
        "float32": (
            "def softmax(z):\n"
            "    e = np.exp((z - z.max(axis=1, keepdims=True)).astype(np.float32))\n"
            "    return e / e.sum(axis=1, keepdims=True)\n",
            "float32",
        ),
    },
    "loss_softmax_ce_test": {
        "log_of_softmax_underflows": (
            "def softmax_cross_entropy_forward(logits, y):\n"
            "    if np.ndim(y) != 1:\n"
            "        raise ValueError('y must be int labels (N,)')\n"
            "    probs = softmax(logits)\n"
            "    return -np.mean(np.log(probs[np.arange(len(y)), y])), (probs, y)\n",
            r"log\(0\)",
        ),
        "epsilon_caps_the_loss": (
            "def softmax_cross_entropy_forward(logits, y):\n"
            "    if np.ndim(y) != 1:\n"
            "        raise ValueError('y must be int labels (N,)')\n"
            "    probs = softmax(logits)\n"
            "    return -np.mean(np.log(probs[np.arange(len(y)), y] + 1e-12)), (probs, y)\n",
            "caps -log p",
        ),
        "sum_instead_of_mean": (
            "def softmax_cross_entropy_forward(logits, y):\n"
            "    if np.ndim(y) != 1:\n"
            "        raise ValueError('y must be int labels (N,)')\n"
            "    s = logits - logits.max(axis=1, keepdims=True)\n"
            "    lp = s - np.log(np.exp(s).sum(axis=1, keepdims=True))\n"
            "    return -np.sum(lp[np.arange(len(y)), y]), (softmax(logits), y)\n",
            "summed over the examples",
        ),
        "column_block_indexing": (
            "def softmax_cross_entropy_forward(logits, y):\n"
            "    if np.ndim(y) != 1:\n"
            "        raise ValueError('y must be int labels (N,)')\n"
            "    s = logits - logits.max(axis=1, keepdims=True)\n"
            "    lp = s - np.log(np.exp(s).sum(axis=1, keepdims=True))\n"
            "    return -np.mean(lp[:, y]), (softmax(logits), y)\n",
            r"\(N, N\) block",
        ),
        "assumes_one_hot_labels": (
            "def softmax_cross_entropy_forward(logits, y):\n"
            "    s = logits - logits.max(axis=1, keepdims=True)\n"
            "    lp = s - np.log(np.exp(s).sum(axis=1, keepdims=True))\n"
            "    return -np.sum(y * lp) / logits.shape[0], (softmax(logits), y)\n",
            "not one-hot",
        ),
        "no_check_for_2d_labels": (
            "def softmax_cross_entropy_forward(logits, y):\n"
            "    s = logits - logits.max(axis=1, keepdims=True)\n"
            "    lp = s - np.log(np.exp(s).sum(axis=1, keepdims=True))\n"
            "    return -np.mean(lp[np.arange(logits.shape[0]), y]), (softmax(logits), y)\n",
            r"check y\.ndim",
        ),
        "normalised_over_the_batch": (
            "def softmax_cross_entropy_forward(logits, y):\n"
            "    if np.ndim(y) != 1:\n"
            "        raise ValueError('y must be int labels (N,)')\n"
            "    s = logits - logits.max(axis=0, keepdims=True)\n"
            "    lp = s - np.log(np.exp(s).sum(axis=0, keepdims=True))\n"
            "    return -np.mean(lp[np.arange(len(y)), y]), (softmax(logits), y)\n",
            "wrong axis",
        ),
        "shifts_logits_in_place": (
            "def softmax_cross_entropy_forward(logits, y):\n"
            "    if np.ndim(y) != 1:\n"
            "        raise ValueError('y must be int labels (N,)')\n"
            "    logits -= logits.max(axis=1, keepdims=True)\n"
            "    lp = logits - np.log(np.exp(logits).sum(axis=1, keepdims=True))\n"
            "    return -np.mean(lp[np.arange(len(y)), y]), (np.exp(lp), y)\n",
            "modified in place",
        ),
        "caches_the_logits": (
            "def softmax_cross_entropy_forward(logits, y):\n"
            "    if np.ndim(y) != 1:\n"
            "        raise ValueError('y must be int labels (N,)')\n"
            "    s = logits - logits.max(axis=1, keepdims=True)\n"
            "    lp = s - np.log(np.exp(s).sum(axis=1, keepdims=True))\n"
            "    return -np.mean(lp[np.arange(len(y)), y]), (logits, y)\n",
            "holds the logits",
        ),
        "float32": (
            "def softmax_cross_entropy_forward(logits, y):\n"
            "    if np.ndim(y) != 1:\n"
            "        raise ValueError('y must be int labels (N,)')\n"
            "    s = (logits - logits.max(axis=1, keepdims=True)).astype(np.float32)\n"
            "    lp = s - np.log(np.exp(s).sum(axis=1, keepdims=True))\n"
            "    return -np.mean(lp[np.arange(len(y)), y]), (softmax(logits), y)\n",
            "float32",
        ),
    },
    "loss_chance_test": {
        "probability_not_loss": (
            "def chance_level_loss(num_classes):\n"
            "    return 1.0 / num_classes\n",
            "probability",
        ),
        "log10": (
            "def chance_level_loss(num_classes):\n"
            "    return float(np.log10(num_classes))\n",
            "log10",
        ),
        "wrong_sign": (
            "def chance_level_loss(num_classes):\n"
            "    return float(np.log(1.0 / num_classes))\n",
            "is wrong: the sign is flipped",
        ),
    },
}

# test cell -> {variant name: a correct implementation written another way}
CORRECT = {
    "loss_mse_test": {
        "loop": (
            "def mse_forward(pred, target):\n"
            "    total = 0.0\n"
            "    for a, b in zip(pred.ravel(), target.ravel()):\n"
            "        total += (a - b) ** 2\n"
            "    return total / pred.size, (pred, target)\n"
        ),
        "square_sum_over_size": (
            "def mse_forward(pred, target):\n"
            "    return np.square(pred - target).sum() / pred.size, (pred, target)\n"
        ),
    },
    "loss_bce_test": {
        "where_by_label": (
            "def binary_cross_entropy_forward(p, y):\n"
            "    q = np.clip(p, 1e-12, 1 - 1e-12)\n"
            "    return -np.mean(np.where(y == 1, np.log(q), np.log(1 - q))), (p, y)\n"
        ),
        "scalar_loop": (
            "import math\n"
            "def binary_cross_entropy_forward(p, y):\n"
            "    total = 0.0\n"
            "    for pi, yi in zip(p.ravel(), y.ravel()):\n"
            "        q = min(max(float(pi), 1e-12), 1 - 1e-12)\n"
            "        total -= yi * math.log(q) + (1 - yi) * math.log(1 - q)\n"
            "    return np.float64(total / p.size), (p, y)\n"
        ),
        "log1p": (
            "def binary_cross_entropy_forward(p, y):\n"
            "    q = np.minimum(np.maximum(p, 1e-12), 1 - 1e-12)\n"
            "    return -(y * np.log(q) + (1 - y) * np.log1p(-q)).mean(), (p, y)\n"
        ),
    },
    "loss_softmax_test": {
        "row_loop": (
            "def softmax(z):\n"
            "    out = np.empty_like(z)\n"
            "    for i, row in enumerate(z):\n"
            "        e = np.exp(row - row.max())\n"
            "        out[i] = e / e.sum()\n"
            "    return out\n"
        ),
        "exp_of_log_softmax": (
            "def softmax(z):\n"
            "    m = np.max(z, axis=1)[:, None]\n"
            "    lse = m + np.log(np.sum(np.exp(z - m), axis=1))[:, None]\n"
            "    return np.exp(z - lse)\n"
        ),
    },
    "loss_softmax_ce_test": {
        "example_loop": (
            "import math\n"
            "def softmax_cross_entropy_forward(logits, y):\n"
            "    y = np.asarray(y)\n"
            "    if y.ndim != 1:\n"
            "        raise ValueError(f'expected int labels (N,), got {y.shape}: use y.argmax(axis=1)')\n"
            "    total = 0.0\n"
            "    for row, label in zip(logits, y):\n"
            "        m = max(row)\n"
            "        total += m + math.log(sum(math.exp(v - m) for v in row)) - row[label]\n"
            "    return np.float64(total / len(y)), (softmax(logits), y)\n"
        ),
        "logaddexp_reduce": (
            "def softmax_cross_entropy_forward(logits, y):\n"
            "    if len(np.shape(y)) != 1:\n"
            "        raise ValueError('y must be integer labels of shape (N,), not one-hot rows')\n"
            "    lse = np.logaddexp.reduce(logits, axis=1)\n"
            "    picked = np.take_along_axis(logits, y[:, None], axis=1)[:, 0]\n"
            "    return np.mean(lse - picked), (np.exp(logits - lse[:, None]), y)\n"
        ),
    },
    "loss_chance_test": {
        "minus_log_probability": (
            "import math\n"
            "def chance_level_loss(num_classes):\n"
            "    return -math.log(1.0 / num_classes)\n"
        ),
        "via_the_loss_itself": (
            "def chance_level_loss(num_classes):\n"
            "    return float(softmax_cross_entropy_forward(np.zeros((1, num_classes)), np.array([0]))[0])\n"
        ),
    },
}


(
    test_hidden_test_names_the_bug,
    test_hidden_test_passes_a_correct_variant,
    test_every_test_cell_is_covered,
) = corpus_tests(NOTEBOOK, BUGGY, CORRECT)
