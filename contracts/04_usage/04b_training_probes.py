"""Probes of 04b_training's re-check contract (04b_training.py). What a probe is, what it may use (`ContractError`,
`is_unchanged`, numpy and the frameworks imported inside) and how this file is run on both sides: see
grader/sandboxed/probe_kit.py.
"""

from __future__ import annotations


def train_alone(train, part1: dict, X, y, params: dict, kwargs: dict):
    """Run `train` with the forward, backward and update functions it calls swapped for `part1`'s, as the hidden
    test does (a mistake in part 1 or in sgd_step costs no points for train); restore them afterwards.

    part1: {"mlp_forward": ..., "mlp_backward": ..., "softmax_cross_entropy_forward": ...,
            "softmax_cross_entropy_backward": ..., "sgd_step": ...}: the solution's own functions.
    Returns {"params": {...}, "loss": [epochs], "accuracy": [epochs], "inputs_unchanged": bool}.
    """
    import numpy as np

    namespace = getattr(train, "__globals__", None)
    if namespace is None:
        raise ContractError("train is not a Python function")
    saved = {name: namespace.get(name) for name in part1}
    before = {k: v.copy() for k, v in params.items()}
    X_before, y_before = X.copy(), y.copy()
    namespace.update(part1)
    try:
        result = train(X, y, params, progress=False, **kwargs)
    finally:
        namespace.update(saved)
    if not (isinstance(result, tuple) and len(result) == 2):
        raise ContractError("train returned a {kind}, expected a tuple (params, history)", kind=type(result).__name__)
    trained, history = result
    if not isinstance(trained, dict) or not isinstance(history, dict):
        raise ContractError("train must return (params, history), both dicts")
    if not {"loss", "accuracy"} <= set(history):
        raise ContractError("history has the keys {keys}, expected 'loss' and 'accuracy'", keys=sorted(history))
    unchanged = is_unchanged(before, params) and np.array_equal(X_before, X) and np.array_equal(y_before, y)
    return {
        "params": {k: np.asarray(v, dtype=np.float64) for k, v in trained.items()},
        "loss": [float(v) for v in history["loss"]],
        "accuracy": [float(v) for v in history["accuracy"]],
        "inputs_unchanged": bool(unchanged),
    }
