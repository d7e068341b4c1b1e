"""Do 04b_training's hidden tests fail each classic training-loop bug with its cause named, and pass correct variants?

04b loads mlp_forward and friends from 04a_backprop.ipynb in its own folder, so these tests run from
solutions/04_usage.
"""

from __future__ import annotations

import pytest
from harness import ROOT, corpus_tests, run_test_cell

NOTEBOOK = "04_usage/04b_training.ipynb"


@pytest.fixture(autouse=True)
def _in_assignment_folder(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(ROOT / "solutions" / "04_usage")


# A correct train, written as a template: each bug replaces one marked line or block.
TRAIN = """
def train(X, y, params, lr, epochs, batch_size=None, activation="relu", seed=0, progress=True):
    n = X.shape[0]
    rng = np.random.default_rng(seed)  # RNG
    history = {"loss": [], "accuracy": []}
    for _ in range(epochs):
        if batch_size is None:
            batches = [np.arange(n)]
        else:
            order = rng.permutation(n)  # ORDER
            batches = [order[s:s + batch_size] for s in range(0, n, batch_size)]  # BATCHES
        total, correct = 0.0, 0
        for batch in batches:
            scores, caches = mlp_forward(X[batch], params, activation=activation)
            loss, cache = softmax_cross_entropy_forward(scores, y[batch])
            grads = mlp_backward(softmax_cross_entropy_backward(cache), caches)
            params = sgd_step(params, grads, lr)  # STEP
            total += loss * len(batch)  # TOTAL
            correct += int(np.sum(scores.argmax(axis=1) == y[batch]))
        history["loss"].append(total / n)  # RECORD
        history["accuracy"].append(correct / n)  # ACCURACY
    return params, history
"""


def _train_with(marker: str, replacement: str) -> str:
    """TRAIN with the line ending in `# marker` replaced by `replacement` (same indentation)."""
    lines = TRAIN.splitlines()
    for i, line in enumerate(lines):
        if line.rstrip().endswith(f"# {marker}"):
            indent = line[: len(line) - len(line.lstrip())]
            lines[i] = "\n".join(indent + part for part in replacement.splitlines())
            return "\n".join(lines) + "\n"
    raise KeyError(marker)


BUGGY: dict[str, dict[str, tuple[str, str]]] = {
    "train_sgd_step_test": {
        "ascent": (
            "def sgd_step(params, grads, lr):\n"
            "    return {k: v + lr * grads[k] for k, v in params.items()}\n",
            "wrong sign",
        ),
        "mutates_and_returns_params": (
            "def sgd_step(params, grads, lr):\n"
            "    for k in params:\n"
            "        params[k] -= lr * grads[k]\n"
            "    return params\n",
            "return a new dict",
        ),
        "shares_arrays": (
            "def sgd_step(params, grads, lr):\n"
            "    new = dict(params)\n"
            "    for k in new:\n"
            "        new[k] -= lr * grads[k]\n"
            "    return new\n",
            "modified in place",
        ),
        "weights_only": (
            "def sgd_step(params, grads, lr):\n"
            "    return {k: v - lr * grads[k] if k.startswith('W') else v for k, v in params.items()}\n",
            "biases are not updated",
        ),
        "no_learning_rate": (
            "def sgd_step(params, grads, lr):\n"
            "    return {k: v - grads[k] for k, v in params.items()}\n",
            "learning rate is not applied",
        ),
        "float32": (
            "def sgd_step(params, grads, lr):\n"
            "    return {k: (v - lr * grads[k]).astype(np.float32) for k, v in params.items()}\n",
            "float32",
        ),
    },
    "train_train_test": {
        "mutates_initial_params": (
            _train_with("STEP", "for k in params:\n    params[k] -= lr * grads[k]"),
            r"initial params\['W1'\] was modified in place",
        ),
        "no_shuffle": (_train_with("ORDER", "order = np.arange(n)"), "not shuffled"),
        "reseeded_each_epoch": (
            _train_with("ORDER", "order = np.random.default_rng(seed).permutation(n)"),
            "same permutation",
        ),
        "drops_last_batch": (
            _train_with(
                "BATCHES", "batches = [order[s:s + batch_size] for s in range(0, n - batch_size + 1, batch_size)]"
            ),
            "last, smaller batch is dropped",
        ),
        "unweighted_batch_mean": (
            _train_with("TOTAL", "total += loss * n / len(range(0, n, batch_size or n))"),
            "without weights",
        ),
        "history_after_update": (
            _train_with(
                "RECORD",
                "s_all, _ = mlp_forward(X, params, activation=activation)\n"
                "history['loss'].append(softmax_cross_entropy_forward(s_all, y)[0])",
            ),
            "after each epoch's update",
        ),
        "ignores_batch_size": (
            _train_with("BATCHES", "batches = [np.arange(n)]"),
            "batch_size is ignored",
        ),
        "accuracy_in_percent": (_train_with("ACCURACY", "history['accuracy'].append(100 * correct / n)"), "fraction"),
    },
}

CORRECT: dict[str, dict[str, str]] = {
    "train_sgd_step_test": {
        "loop": (
            "def sgd_step(params, grads, lr):\n"
            "    new = {}\n"
            "    for name in params:\n"
            "        new[name] = params[name].copy()\n"
            "        new[name] -= lr * grads[name]\n"
            "    return new\n"
        ),
        "subtract": (
            "def sgd_step(params, grads, lr):\n"
            "    return {k: np.subtract(params[k], np.multiply(lr, grads[k])) for k in grads}\n"
        ),
    },
    "train_train_test": {
        "template": TRAIN,
        "split_and_average": (
            "def train(X, y, params, lr, epochs, batch_size=None, activation='relu', seed=0, progress=True):\n"
            "    rng = np.random.default_rng(seed)\n"
            "    n = len(X)\n"
            "    history = {'loss': [], 'accuracy': []}\n"
            "    for epoch in range(epochs):\n"
            "        if batch_size is None:\n"
            "            parts = [np.arange(n)]\n"
            "        else:\n"
            "            parts = np.split(rng.permutation(n), range(batch_size, n, batch_size))\n"
            "        losses, sizes, hits = [], [], []\n"
            "        for idx in parts:\n"
            "            scores, caches = mlp_forward(X[idx], params, activation)\n"
            "            loss, cache = softmax_cross_entropy_forward(scores, y[idx])\n"
            "            params = sgd_step(params, mlp_backward(softmax_cross_entropy_backward(cache), caches), lr)\n"
            "            losses.append(loss)\n"
            "            sizes.append(len(idx))\n"
            "            hits.extend(scores.argmax(axis=1) == y[idx])\n"
            "        history['loss'].append(float(np.average(losses, weights=sizes)))\n"
            "        history['accuracy'].append(float(np.mean(hits)))\n"
            "    return params, history\n"
        ),
        "while_loop_with_tqdm": (
            "def train(X, y, params, lr, epochs, batch_size=None, activation='relu', seed=0, progress=True):\n"
            "    from tqdm.auto import tqdm\n"
            "    rng = np.random.default_rng(seed)\n"
            "    n = X.shape[0]\n"
            "    size = n if batch_size is None else batch_size\n"
            "    history = {'loss': [], 'accuracy': []}\n"
            "    for _ in tqdm(range(epochs), disable=not progress):\n"
            "        order = np.arange(n) if batch_size is None else rng.permutation(n)\n"
            "        start, loss_sum, right = 0, 0.0, 0\n"
            "        while start < n:\n"
            "            idx = order[start:start + size]\n"
            "            start += size\n"
            "            scores, caches = mlp_forward(X[idx], params, activation=activation)\n"
            "            loss, cache = softmax_cross_entropy_forward(scores, y[idx])\n"
            "            grads = mlp_backward(softmax_cross_entropy_backward(cache), caches)\n"
            "            params = {k: params[k] - lr * grads[k] for k in params}\n"
            "            loss_sum += loss * idx.size\n"
            "            right += int((scores.argmax(axis=1) == y[idx]).sum())\n"
            "        history['loss'].append(loss_sum / n)\n"
            "        history['accuracy'].append(right / n)\n"
            "    return params, history\n"
        ),
    },
}


(
    test_hidden_test_names_the_bug,
    test_hidden_test_passes_a_correct_variant,
    test_every_test_cell_is_covered,
) = corpus_tests(NOTEBOOK, BUGGY, CORRECT)


def test_train_is_graded_apart_from_part_1() -> None:
    """Does a correct train pass even when part 1's mlp_backward is broken (the hidden tests swap in references)?"""
    broken_part1 = "def mlp_backward(dscores, caches):\n    raise NotImplementedError\n"
    printed = run_test_cell(NOTEBOOK, "train_train_test", broken_part1 + TRAIN)
    assert "visible test is skipped" in printed and "hidden tests passed" in printed
