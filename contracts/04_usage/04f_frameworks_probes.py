"""Probes of 04f_frameworks's re-check contract (04f_frameworks.py). What a probe is, what it may use (`ContractError`,
`is_unchanged`, numpy and the frameworks imported inside) and how this file is run on both sides: see
grader/sandboxed/probe_kit.py.
"""

from __future__ import annotations


def torch_params(to_torch_params, params: dict):
    """What autograd needs of each tensor (values, dtype, leaf, requires_grad), and that the values are copies."""
    import numpy as np
    import torch

    before = {k: v.copy() for k, v in params.items()}
    tparams = to_torch_params(params)
    if not isinstance(tparams, dict):
        raise ContractError(
            "to_torch_params returned a {kind}, expected a dict of tensors", kind=type(tparams).__name__
        )
    described = {}
    for name, t in tparams.items():
        if not isinstance(t, torch.Tensor):
            raise ContractError(
                "to_torch_params(...)[{name}] is a {kind}, expected a torch.Tensor", name=repr(name),
                kind=type(t).__name__,
            )
        described[name] = {
            "value": t.detach().cpu().numpy().astype(np.float64),
            "dtype": str(t.dtype),
            "requires_grad": bool(t.requires_grad),
            "is_leaf": bool(t.is_leaf),
        }
    unchanged = is_unchanged(before, params)
    with torch.no_grad():
        for t in tparams.values():
            if t.is_floating_point():
                t.add_(1.0)
    return {"tensors": described, "params_unchanged": unchanged, "copies": is_unchanged(before, params)}


def _leaf_tensors(params: dict) -> dict:
    import torch

    return {k: torch.tensor(v, dtype=torch.float64, requires_grad=True) for k, v in params.items()}


def torch_loss(torch_mlp_loss, x, y, params: dict, activation: str):
    """The loss tensor's value, shape and dtype, and the gradients its backward() leaves on the parameters."""
    import torch

    tparams = _leaf_tensors(params)
    loss = torch_mlp_loss(x, y, tparams, activation=activation)
    if not isinstance(loss, torch.Tensor):
        raise ContractError("torch_mlp_loss returned a {kind}, expected a torch tensor", kind=type(loss).__name__)
    if loss.grad_fn is None:
        raise ContractError("the loss is detached from the graph (no grad_fn): compute it with torch operations")
    described = {"loss": float(loss.detach().reshape(-1)[0]), "shape": list(loss.shape), "dtype": str(loss.dtype)}
    loss.backward()
    described["grads"] = {k: None if t.grad is None else t.grad.numpy().copy() for k, t in tparams.items()}
    return described


def keras_model(build_keras_mlp, params: dict, activation: str, x):
    """The model's weights (in order) and its scores on x."""
    import keras
    import numpy as np

    model = build_keras_mlp(params, activation=activation)
    if not isinstance(model, keras.Model):
        raise ContractError("build_keras_mlp returned a {kind}, expected a keras.Model", kind=type(model).__name__)
    return {
        "weights": [np.asarray(w, dtype=np.float64) for w in model.get_weights()],
        "scores": np.asarray(keras.ops.convert_to_numpy(model(x)), dtype=np.float64),
    }


def keras_step(keras_sgd_step, params: dict, activation: str, x, y, lr: float):
    """One keras_sgd_step on a model built here from params; returns the step taken, new - params, per weight."""
    import keras
    import numpy as np

    n_layers = len(params) // 2
    layers = [keras.Input(shape=(params["W1"].shape[0],))]
    for layer in range(1, n_layers + 1):
        hidden = layer < n_layers
        layers.append(keras.layers.Dense(params[f"W{layer}"].shape[1], activation=activation if hidden else None))
    model = keras.Sequential(layers)
    model.set_weights([params[f"{kind}{layer}"] for layer in range(1, n_layers + 1) for kind in ("W", "b")])
    new = keras_sgd_step(model, x, y, lr)
    if not isinstance(new, dict):
        raise ContractError("keras_sgd_step returned a {kind}, expected a dict of weights", kind=type(new).__name__)
    if set(new) != set(params):
        raise ContractError(
            "keras_sgd_step returned the keys {keys}, expected {expected}", keys=sorted(new), expected=sorted(params)
        )
    returned = {k: np.array(new[k], dtype=np.float64, copy=True) for k in params}
    model.set_weights([np.zeros_like(w) for w in model.get_weights()])  # returned copies must not follow the model
    follows = any(not np.array_equal(np.asarray(new[k], dtype=np.float64), returned[k]) for k in params)
    if follows:
        raise ContractError(
            "the returned weights change when the model's weights change: return copies (numpy arrays "
            "that do not share memory with the model), e.g. from model.get_weights()"
        )
    return {k: returned[k] - params[k] for k in params}
