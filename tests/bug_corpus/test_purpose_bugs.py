"""Do 03_purpose's hidden tests fail each known bug with its cause named, and pass correct variants?"""

from __future__ import annotations

from harness import corpus_tests

NOTEBOOK = "03_purpose/03_purpose.ipynb"

# test cell grade id -> bug name -> (buggy source, a pattern its failure message must match)
BUGGY: dict[str, dict[str, tuple[str, str]]] = {
    "purpose_orders_test": {
        # The derivation check: orders of the truncation error and the cubic's constant.
        "orders_forward_as_second_order": (
            "forward_order, central_order, central_cubic_constant = 2, 2, 1.0\n",
            "forward_order = 2",
        ),
        "orders_central_as_first_order": (
            "forward_order, central_order, central_cubic_constant = 1, 1, 1.0\n",
            "central_order = 1",
        ),
        "orders_constant_is_third_derivative": (
            "forward_order, central_order, central_cubic_constant = 1, 2, 6.0\n",
            "is f'''\\(x\\) itself",
        ),
        "orders_constant_one_sixth": (
            "forward_order, central_order, central_cubic_constant = 1, 2, 1 / 6\n",
            "expand \\(x \\+ h\\)\\*\\*3",
        ),
    },
    "purpose_numerical_gradient_test": {
        # numerical_gradient
        "ng_forward_difference": (
            "def numerical_gradient(f, x, h=1e-5):\n"
            "    x = np.array(x, dtype=np.float64)\n"
            "    grad = np.zeros_like(x)\n"
            "    f0 = f(x)\n"
            "    for i in np.ndindex(x.shape):\n"
            "        old = x[i]\n"
            "        x[i] = old + h\n"
            "        grad[i] = (f(x) - f0) / h\n"
            "        x[i] = old\n"
            "    return grad\n",
            "forward difference",
        ),
        "ng_mutates_x_not_restored": (
            "def numerical_gradient(f, x, h=1e-5):\n"
            "    grad = np.zeros_like(x)\n"
            "    for i in np.ndindex(x.shape):\n"
            "        old = x[i]\n"
            "        x[i] = old + h\n"
            "        fp = f(x)\n"
            "        x[i] = old - h\n"
            "        grad[i] = (fp - f(x)) / (2 * h)\n"
            "    return grad\n",
            "changed the caller's x",
        ),
        "ng_restores_by_arithmetic": (
            "def numerical_gradient(f, x, h=1e-5):\n"
            "    grad = np.zeros_like(x)\n"
            "    for i in np.ndindex(x.shape):\n"
            "        x[i] += h\n"
            "        fp = f(x)\n"
            "        x[i] -= 2 * h\n"
            "        fm = f(x)\n"
            "        x[i] += h\n"
            "        grad[i] = (fp - fm) / (2 * h)\n"
            "    return grad\n",
            "put the old value back by assignment",
        ),
        "ng_copy_never_restored": (
            "def numerical_gradient(f, x, h=1e-5):\n"
            "    x = x.copy()\n"
            "    grad = np.zeros_like(x)\n"
            "    for i in np.ndindex(x.shape):\n"
            "        old = x[i]\n"
            "        x[i] = old + h\n"
            "        fp = f(x)\n"
            "        x[i] = old - h\n"
            "        grad[i] = (fp - f(x)) / (2 * h)\n"
            "    return grad\n",
            "earlier entries still shifted",
        ),
        "ng_flattened_result": (
            "def numerical_gradient(f, x, h=1e-5):\n"
            "    x = np.array(x, dtype=np.float64)\n"
            "    flat = x.reshape(-1)\n"
            "    grad = np.zeros(x.size)\n"
            "    for i in range(x.size):\n"
            "        old = flat[i]\n"
            "        flat[i] = old + h\n"
            "        fp = f(x)\n"
            "        flat[i] = old - h\n"
            "        fm = f(x)\n"
            "        flat[i] = old\n"
            "        grad[i] = (fp - fm) / (2 * h)\n"
            "    return grad\n",
            "flattened",
        ),
        "ng_missing_factor_two": (
            "def numerical_gradient(f, x, h=1e-5):\n"
            "    grad = np.zeros_like(x)\n"
            "    for i in np.ndindex(x.shape):\n"
            "        e = np.zeros_like(x)\n"
            "        e[i] = h\n"
            "        grad[i] = (f(x + e) - f(x - e)) / h\n"
            "    return grad\n",
            "divide f\\(x \\+ h\\) - f\\(x - h\\) by 2h",
        ),
        "ng_fixed_step_too_large": (
            "def numerical_gradient(f, x, h=1e-5):\n"
            "    step = 1e-2\n"
            "    grad = np.zeros_like(x)\n"
            "    for i in np.ndindex(x.shape):\n"
            "        e = np.zeros_like(x)\n"
            "        e[i] = step\n"
            "        grad[i] = (f(x + e) - f(x - e)) / (2 * step)\n"
            "    return grad\n",
            "too large",
        ),
        "ng_fixed_step_too_small": (
            "def numerical_gradient(f, x, h=1e-5):\n"
            "    step = 1e-11\n"
            "    grad = np.zeros_like(x)\n"
            "    for i in np.ndindex(x.shape):\n"
            "        e = np.zeros_like(x)\n"
            "        e[i] = step\n"
            "        grad[i] = (f(x + e) - f(x - e)) / (2 * step)\n"
            "    return grad\n",
            "round-off",
        ),
        "ng_ignores_h": (
            "def numerical_gradient(f, x, h=1e-5):\n"
            "    step = 1e-5\n"
            "    grad = np.zeros_like(x)\n"
            "    for i in np.ndindex(x.shape):\n"
            "        e = np.zeros_like(x)\n"
            "        e[i] = step\n"
            "        grad[i] = (f(x + e) - f(x - e)) / (2 * step)\n"
            "    return grad\n",
            "ignores its h argument",
        ),
        "ng_default_step_too_small": (
            "def numerical_gradient(f, x, h=1e-10):\n"
            "    grad = np.zeros_like(x)\n"
            "    for i in np.ndindex(x.shape):\n"
            "        e = np.zeros_like(x)\n"
            "        e[i] = h\n"
            "        grad[i] = (f(x + e) - f(x - e)) / (2 * h)\n"
            "    return grad\n",
            "default step",
        ),
    },
    "purpose_gradient_descent_test": {
        # gradient_descent
        "gd_ascent": (
            "def gradient_descent(grad_fn, x0, lr, steps):\n"
            "    xs = [np.array(x0, dtype=float)]\n"
            "    for _ in range(steps):\n"
            "        xs.append(xs[-1] + lr * grad_fn(xs[-1]))\n"
            "    return np.array(xs)\n",
            "uphill",
        ),
        "gd_mutates_x0": (
            "def gradient_descent(grad_fn, x0, lr, steps):\n"
            "    x = x0\n"
            "    xs = [x.copy()]\n"
            "    for _ in range(steps):\n"
            "        x -= lr * grad_fn(x)\n"
            "        xs.append(x.copy())\n"
            "    return np.array(xs)\n",
            "changed x0 in place",
        ),
        "gd_missing_x0": (
            "def gradient_descent(grad_fn, x0, lr, steps):\n"
            "    x, xs = np.array(x0, dtype=float), []\n"
            "    for _ in range(steps):\n"
            "        x = x - lr * grad_fn(x)\n"
            "        xs.append(x)\n"
            "    return np.array(xs)\n",
            "missing x0",
        ),
        "gd_one_update_short": (
            "def gradient_descent(grad_fn, x0, lr, steps):\n"
            "    xs = [np.array(x0, dtype=float)]\n"
            "    for _ in range(steps - 1):\n"
            "        xs.append(xs[-1] - lr * grad_fn(xs[-1]))\n"
            "    return np.array(xs)\n",
            "one update short",
        ),
        "gd_ignores_lr": (
            "def gradient_descent(grad_fn, x0, lr, steps):\n"
            "    xs = [np.array(x0, dtype=float)]\n"
            "    for _ in range(steps):\n"
            "        xs.append(xs[-1] - grad_fn(xs[-1]))\n"
            "    return np.array(xs)\n",
            "ignores lr",
        ),
        "gd_fixed_lr": (
            "def gradient_descent(grad_fn, x0, lr, steps):\n"
            "    xs = [np.array(x0, dtype=float)]\n"
            "    for _ in range(steps):\n"
            "        xs.append(xs[-1] - 0.1 * grad_fn(xs[-1]))\n"
            "    return np.array(xs)\n",
            "with the lr you are given",
        ),
        "gd_appends_same_array": (
            "def gradient_descent(grad_fn, x0, lr, steps):\n"
            "    x = x0.copy()\n"
            "    xs = [x]\n"
            "    for _ in range(steps):\n"
            "        x -= lr * grad_fn(x)\n"
            "        xs.append(x)\n"
            "    return np.array(xs)\n",
            "same point",
        ),
        "gd_gradient_at_x0_only": (
            "def gradient_descent(grad_fn, x0, lr, steps):\n"
            "    g = grad_fn(x0)\n"
            "    xs = [np.array(x0, dtype=float)]\n"
            "    for _ in range(steps):\n"
            "        xs.append(xs[-1] - lr * g)\n"
            "    return np.array(xs)\n",
            "grad_fn\\(x0\\) at every step",
        ),
    },
    "purpose_lr_limit_test": {
        # largest_stable_learning_rate
        "lr_limit_two_over_a": (
            "def largest_stable_learning_rate(a):\n    return 2.0 / a\n",
            "gradient is 2 a w",
        ),
        "lr_limit_one_step": (
            "def largest_stable_learning_rate(a):\n    return 1.0 / (2 * a)\n",
            "lands on the minimum in one step",
        ),
        "lr_limit_grows_with_a": (
            "def largest_stable_learning_rate(a):\n    return a\n",
            "steeper",
        ),
    },
}

CORRECT: dict[str, dict[str, str]] = {
    "purpose_orders_test": {
        "orders_as_floats": (
            "forward_order, central_order, central_cubic_constant = 1.0, 2.0, 1\n"
        ),
        "orders_as_numpy": (
            "forward_order = np.int64(1)\ncentral_order = np.int64(2)\ncentral_cubic_constant = np.float64(6 / 6)\n"
        ),
    },
    "purpose_numerical_gradient_test": {
        "ng_flat_view_with_unit_vectors": (
            "def numerical_gradient(f, x, h=1e-5):\n"
            "    x = np.asarray(x, dtype=np.float64)\n"
            "    grad = np.empty(x.size)\n"
            "    for k in range(x.size):\n"
            "        e = np.zeros(x.size)\n"
            "        e[k] = h\n"
            "        e = e.reshape(x.shape)\n"
            "        grad[k] = (f(x + e) - f(x - e)) / (2 * h)\n"
            "    return grad.reshape(x.shape)\n"
        ),
        "ng_in_place_with_nditer": (
            "def numerical_gradient(f, x, h=1e-5):\n"
            "    grad = np.zeros_like(x, dtype=np.float64)\n"
            "    it = np.nditer(x, flags=['multi_index'])\n"
            "    while not it.finished:\n"
            "        i = it.multi_index\n"
            "        saved = x[i]\n"
            "        x[i] = saved + h\n"
            "        up = f(x)\n"
            "        x[i] = saved - h\n"
            "        down = f(x)\n"
            "        x[i] = saved\n"
            "        grad[i] = (up - down) / (2 * h)\n"
            "        it.iternext()\n"
            "    return grad\n"
        ),
    },
    "purpose_gradient_descent_test": {
        "gd_preallocated": (
            "def gradient_descent(grad_fn, x0, lr, steps):\n"
            "    x0 = np.asarray(x0, dtype=np.float64)\n"
            "    out = np.empty((steps + 1,) + x0.shape)\n"
            "    out[0] = x0\n"
            "    for t in range(steps):\n"
            "        out[t + 1] = out[t] - lr * grad_fn(out[t].copy())\n"
            "    return out\n"
        ),
        "gd_in_place_with_copies": (
            "def gradient_descent(grad_fn, x0, lr, steps):\n"
            "    x = x0.astype(np.float64, copy=True)\n"
            "    xs = [x.copy()]\n"
            "    for _ in range(steps):\n"
            "        x -= lr * grad_fn(x)\n"
            "        xs.append(x.copy())\n"
            "    return np.stack(xs)\n"
        ),
    },
    "purpose_lr_limit_test": {
        "lr_limit_as_ratio": (
            "def largest_stable_learning_rate(a):\n    return 2 / (2 * a)\n"
        ),
        "lr_limit_reciprocal": (
            "def largest_stable_learning_rate(a):\n    return float(np.reciprocal(float(a)))\n"
        ),
    },
}


(
    test_hidden_test_names_the_bug,
    test_hidden_test_passes_a_correct_variant,
    test_every_exercise_has_three_bugs_and_two_correct_variants,
) = corpus_tests(NOTEBOOK, BUGGY, CORRECT)
