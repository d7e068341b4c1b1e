"""Do 04f_frameworks' hidden tests fail each known bug with its cause named, and pass correct variants?"""

from __future__ import annotations

import pytest
from harness import corpus_tests

pytest.importorskip("torch")  # the frameworks extra (torch + keras); the test command installs it

NOTEBOOK = "04_usage/04f_frameworks.ipynb"

# test cell grade id -> bug name -> (implementation, a pattern its failure message must match)
BUGGY: dict[str, dict[str, tuple[str, str]]] = {
    "fw_to_torch_params_test": {
        # ---- to_torch_params
        "to_torch_float32": (
            "def to_torch_params(params):\n"
            "    return {k: torch.tensor(v, dtype=torch.float32, requires_grad=True) for k, v in params.items()}\n",
            "float32, torch's default dtype",
        ),
        "to_torch_no_requires_grad": (
            "def to_torch_params(params):\n"
            "    return {k: torch.tensor(v, dtype=torch.float64) for k, v in params.items()}\n",
            "requires_grad=False",
        ),
        "to_torch_transposed_like_nn_linear": (
            "def to_torch_params(params):\n"
            "    return {k: torch.tensor(v.T if v.ndim == 2 else v, dtype=torch.float64, requires_grad=True)\n"
            "            for k, v in params.items()}\n",
            "is transposed",
        ),
        "to_torch_not_a_leaf": (
            "def to_torch_params(params):\n"
            "    return {k: torch.tensor(v, dtype=torch.float32, requires_grad=True).double()\n"
            "            for k, v in params.items()}\n",
            "not a leaf tensor",
        ),
        "to_torch_shares_memory": (
            "def to_torch_params(params):\n"
            "    return {k: torch.from_numpy(v).requires_grad_() for k, v in params.items()}\n",
            "shares memory",
        ),
    },
    "fw_torch_mlp_loss_test": {
        # ---- torch_mlp_loss
        "loss_summed": (
            "def torch_mlp_loss(x, y, tparams, activation='relu'):\n"
            "    act = {'relu': torch.relu, 'sigmoid': torch.sigmoid, 'tanh': torch.tanh}[activation]\n"
            "    h, L = torch.as_tensor(x, dtype=torch.float64), len(tparams) // 2\n"
            "    for l in range(1, L + 1):\n"
            "        h = h @ tparams[f'W{l}'] + tparams[f'b{l}']\n"
            "        h = act(h) if l < L else h\n"
            "    return torch.nn.functional.cross_entropy(h, torch.as_tensor(y), reduction='sum')\n",
            "summed over the batch",
        ),
        "loss_softmax_twice": (
            "def torch_mlp_loss(x, y, tparams, activation='relu'):\n"
            "    act = {'relu': torch.relu, 'sigmoid': torch.sigmoid, 'tanh': torch.tanh}[activation]\n"
            "    h, L = torch.as_tensor(x, dtype=torch.float64), len(tparams) // 2\n"
            "    for l in range(1, L + 1):\n"
            "        h = h @ tparams[f'W{l}'] + tparams[f'b{l}']\n"
            "        h = act(h) if l < L else h\n"
            "    return torch.nn.functional.cross_entropy(torch.softmax(h, dim=1), torch.as_tensor(y))\n",
            "softmax is applied before cross_entropy",
        ),
        "loss_activation_on_last_layer": (
            "def torch_mlp_loss(x, y, tparams, activation='relu'):\n"
            "    act = {'relu': torch.relu, 'sigmoid': torch.sigmoid, 'tanh': torch.tanh}[activation]\n"
            "    h = torch.as_tensor(x, dtype=torch.float64)\n"
            "    for l in range(1, len(tparams) // 2 + 1):\n"
            "        h = act(h @ tparams[f'W{l}'] + tparams[f'b{l}'])\n"
            "    return torch.nn.functional.cross_entropy(h, torch.as_tensor(y))\n",
            "also applied to the last layer",
        ),
        "loss_f_linear_transposes": (
            "def torch_mlp_loss(x, y, tparams, activation='relu'):\n"
            "    act = {'relu': torch.relu, 'sigmoid': torch.sigmoid, 'tanh': torch.tanh}[activation]\n"
            "    h, L = torch.as_tensor(x, dtype=torch.float64), len(tparams) // 2\n"
            "    for l in range(1, L + 1):\n"
            "        h = torch.nn.functional.linear(h, tparams[f'W{l}'], tparams[f'b{l}'])\n"
            "        h = act(h) if l < L else h\n"
            "    return torch.nn.functional.cross_entropy(h, torch.as_tensor(y))\n",
            "weights are used transposed",
        ),
        "loss_returns_float": (
            "def torch_mlp_loss(x, y, tparams, activation='relu'):\n"
            "    act = {'relu': torch.relu, 'sigmoid': torch.sigmoid, 'tanh': torch.tanh}[activation]\n"
            "    h, L = torch.as_tensor(x, dtype=torch.float64), len(tparams) // 2\n"
            "    for l in range(1, L + 1):\n"
            "        h = h @ tparams[f'W{l}'] + tparams[f'b{l}']\n"
            "        h = act(h) if l < L else h\n"
            "    return torch.nn.functional.cross_entropy(h, torch.as_tensor(y)).item()\n",
            "returned a Python float",
        ),
        "loss_ignores_activation": (
            "def torch_mlp_loss(x, y, tparams, activation='relu'):\n"
            "    h, L = torch.as_tensor(x, dtype=torch.float64), len(tparams) // 2\n"
            "    for l in range(1, L + 1):\n"
            "        h = h @ tparams[f'W{l}'] + tparams[f'b{l}']\n"
            "        h = torch.relu(h) if l < L else h\n"
            "    return torch.nn.functional.cross_entropy(h, torch.as_tensor(y))\n",
            "activation argument is ignored",
        ),
        "loss_float32": (
            "def torch_mlp_loss(x, y, tparams, activation='relu'):\n"
            "    act = {'relu': torch.relu, 'sigmoid': torch.sigmoid, 'tanh': torch.tanh}[activation]\n"
            "    h, L = torch.as_tensor(x, dtype=torch.float32), len(tparams) // 2\n"
            "    for l in range(1, L + 1):\n"
            "        h = h @ tparams[f'W{l}'].float() + tparams[f'b{l}'].float()\n"
            "        h = act(h) if l < L else h\n"
            "    return torch.nn.functional.cross_entropy(h, torch.as_tensor(y))\n",
            "the loss has dtype torch.float32",
        ),
    },
    "fw_torch_gradients_test": {
        # ---- torch_gradients
        "to_torch_params_wrong_underneath": (  # issue 26: named as to_torch_params's, not as a torch RuntimeError
            "def to_torch_params(params):\n"
            "    return {k: torch.tensor(v, dtype=torch.float32, requires_grad=True) for k, v in params.items()}\n",
            "torch_gradients builds on to_torch_params, which is not right yet",
        ),
        "grads_zero_grad_missing": (
            "_CACHE = {}\n"
            "def torch_gradients(x, y, params, activation='relu'):\n"
            "    for k, v in params.items():\n"
            "        if k not in _CACHE:\n"
            "            _CACHE[k] = torch.zeros(v.shape, dtype=torch.float64, requires_grad=True)\n"
            "        with torch.no_grad():\n"
            "            _CACHE[k].copy_(torch.as_tensor(v))\n"
            "    torch_mlp_loss(x, y, _CACHE, activation).backward()  # no zero_grad: .grad keeps adding up\n"
            "    return {k: t.grad.numpy().copy() for k, t in _CACHE.items()}\n",
            "call it twice: the gradients doubled; zero them at the start",
        ),
        "grads_backward_twice": (
            "def torch_gradients(x, y, params, activation='relu'):\n"
            "    tparams = to_torch_params(params)\n"
            "    loss = torch_mlp_loss(x, y, tparams, activation)\n"
            "    loss.backward(retain_graph=True)\n"
            "    loss.backward()\n"
            "    return {k: t.grad.numpy().copy() for k, t in tparams.items()}\n",
            "twice the gradient",
        ),
        "grads_read_before_backward": (
            "def torch_gradients(x, y, params, activation='relu'):\n"
            "    tparams = to_torch_params(params)\n"
            "    grads = {k: t.grad for k, t in tparams.items()}\n"
            "    torch_mlp_loss(x, y, tparams, activation).backward()\n"
            "    return grads\n",
            "read it after the backward pass",
        ),
        "grads_float32_cast_back": (
            "def torch_gradients(x, y, params, activation='relu'):\n"
            "    act = {'relu': torch.relu, 'sigmoid': torch.sigmoid, 'tanh': torch.tanh}[activation]\n"
            "    tp = {k: torch.tensor(v, dtype=torch.float32, requires_grad=True) for k, v in params.items()}\n"
            "    h, L = torch.tensor(x, dtype=torch.float32), len(tp) // 2\n"
            "    for l in range(1, L + 1):\n"
            "        h = h @ tp[f'W{l}'] + tp[f'b{l}']\n"
            "        h = act(h) if l < L else h\n"
            "    torch.nn.functional.cross_entropy(h, torch.as_tensor(y)).backward()\n"
            "    return {k: t.grad.double().numpy() for k, t in tp.items()}\n",
            "the rounding of float32",
        ),
        "grads_float32_returned": (
            "def torch_gradients(x, y, params, activation='relu'):\n"
            "    tparams = to_torch_params(params)\n"
            "    torch_mlp_loss(x, y, tparams, activation).backward()\n"
            "    return {k: t.grad.float().numpy() for k, t in tparams.items()}\n",
            "dtype float32",
        ),
        "grads_returns_tensors": (
            "def torch_gradients(x, y, params, activation='relu'):\n"
            "    tparams = to_torch_params(params)\n"
            "    torch_mlp_loss(x, y, tparams, activation).backward()\n"
            "    return {k: t.grad for k, t in tparams.items()}\n",
            "is a torch tensor",
        ),
        "grads_loss_summed": (
            "def torch_gradients(x, y, params, activation='relu'):\n"
            "    tparams = to_torch_params(params)\n"
            "    (len(x) * torch_mlp_loss(x, y, tparams, activation)).backward()\n"
            "    return {k: t.grad.numpy().copy() for k, t in tparams.items()}\n",
            "N times too large",
        ),
    },
    "fw_linear_weight_grad_test": {
        # ---- linear_weight_grad
        "linear_our_dW_layout": (
            "def linear_weight_grad(x, dz):\n    return x.T @ dz\n",
            "that is our dW",
        ),
        "linear_divided_by_n": (
            "def linear_weight_grad(x, dz):\n    return dz.T @ x / len(x)\n",
            "divided by N",
        ),
        "linear_wrong_sign": (
            "def linear_weight_grad(x, dz):\n    return -(dz.T @ x)\n",
            "is wrong: the sign is flipped",
        ),
        "linear_float32": (
            "def linear_weight_grad(x, dz):\n    return (dz.T @ x).astype(np.float32)\n",
            "dtype float32",
        ),
    },
    "fw_build_keras_mlp_test": {
        # ---- build_keras_mlp
        "keras_softmax_on_last_layer": (
            "def build_keras_mlp(params, activation='relu'):\n"
            "    L = len(params) // 2\n"
            "    layers = [keras.Input(shape=(params['W1'].shape[0],))]\n"
            "    for l in range(1, L + 1):\n"
            "        layers.append(keras.layers.Dense(params[f'W{l}'].shape[1],\n"
            "                                         activation=activation if l < L else 'softmax'))\n"
            "    model = keras.Sequential(layers)\n"
            "    model.set_weights([params[f'{k}{l}'] for l in range(1, L + 1) for k in 'Wb'])\n"
            "    return model\n",
            "last layer applies softmax",
        ),
        "keras_activation_on_last_layer": (
            "def build_keras_mlp(params, activation='relu'):\n"
            "    L = len(params) // 2\n"
            "    layers = [keras.Input(shape=(params['W1'].shape[0],))]\n"
            "    for l in range(1, L + 1):\n"
            "        layers.append(keras.layers.Dense(params[f'W{l}'].shape[1], activation=activation))\n"
            "    model = keras.Sequential(layers)\n"
            "    model.set_weights([params[f'{k}{l}'] for l in range(1, L + 1) for k in 'Wb'])\n"
            "    return model\n",
            "it must have no activation",
        ),
        "keras_transposed_kernel": (
            "def build_keras_mlp(params, activation='relu'):\n"
            "    L = len(params) // 2\n"
            "    layers = [keras.Input(shape=(params['W1'].shape[0],))]\n"
            "    for l in range(1, L + 1):\n"
            "        act = activation if l < L else None\n"
            "        layers.append(keras.layers.Dense(params[f'W{l}'].shape[1], activation=act))\n"
            "    model = keras.Sequential(layers)\n"
            "    model.set_weights([params[f'W{l}'].T if k == 'W' else params[f'b{l}'] for l in range(1, L + 1)\n"
            "                       for k in 'Wb'])\n"
            "    return model\n",
            "copy W as it is",
        ),
        "keras_weights_not_copied": (
            "def build_keras_mlp(params, activation='relu'):\n"
            "    L = len(params) // 2\n"
            "    layers = [keras.Input(shape=(params['W1'].shape[0],))]\n"
            "    for l in range(1, L + 1):\n"
            "        act = activation if l < L else None\n"
            "        layers.append(keras.layers.Dense(params[f'W{l}'].shape[1], activation=act))\n"
            "    return keras.Sequential(layers)\n",
            "random initial weights",
        ),
        "keras_no_bias": (
            "def build_keras_mlp(params, activation='relu'):\n"
            "    L = len(params) // 2\n"
            "    layers = [keras.Input(shape=(params['W1'].shape[0],))]\n"
            "    for l in range(1, L + 1):\n"
            "        layers.append(keras.layers.Dense(params[f'W{l}'].shape[1], use_bias=False,\n"
            "                                         activation=activation if l < L else None))\n"
            "    model = keras.Sequential(layers)\n"
            "    model.set_weights([params[f'W{l}'] for l in range(1, L + 1)])\n"
            "    return model\n",
            "use_bias=False",
        ),
        "keras_float32_layers": (
            "def build_keras_mlp(params, activation='relu'):\n"
            "    L = len(params) // 2\n"
            "    layers = [keras.Input(shape=(params['W1'].shape[0],))]\n"
            "    for l in range(1, L + 1):\n"
            "        layers.append(keras.layers.Dense(params[f'W{l}'].shape[1], dtype='float32',\n"
            "                                         activation=activation if l < L else None))\n"
            "    model = keras.Sequential(layers)\n"
            "    model.set_weights([params[f'{k}{l}'] for l in range(1, L + 1) for k in 'Wb'])\n"
            "    return model\n",
            "is float32",
        ),
        "keras_ignores_activation": (
            "def build_keras_mlp(params, activation='relu'):\n"
            "    L = len(params) // 2\n"
            "    layers = [keras.Input(shape=(params['W1'].shape[0],))]\n"
            "    for l in range(1, L + 1):\n"
            "        layers.append(keras.layers.Dense(params[f'W{l}'].shape[1],\n"
            "                                         activation='relu' if l < L else None))\n"
            "    model = keras.Sequential(layers)\n"
            "    model.set_weights([params[f'{k}{l}'] for l in range(1, L + 1) for k in 'Wb'])\n"
            "    return model\n",
            "activation argument is ignored",
        ),
    },
    "fw_keras_sgd_step_test": {
        # ---- keras_sgd_step
        "step_default_batch_size": (
            "def keras_sgd_step(model, x, y, lr):\n"
            "    model.compile(optimizer=keras.optimizers.SGD(learning_rate=lr),\n"
            "                  loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True))\n"
            "    model.fit(x, y, epochs=1, shuffle=False, verbose=0)\n"
            "    w = model.get_weights()\n"
            "    return {f'{k}{i // 2 + 1}': w[i + (k == 'b')] for i in range(0, len(w), 2) for k in 'Wb'}\n",
            "batch_size=len\\(x\\)",
        ),
        "step_two_epochs": (
            "def keras_sgd_step(model, x, y, lr):\n"
            "    model.compile(optimizer=keras.optimizers.SGD(learning_rate=lr),\n"
            "                  loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True))\n"
            "    model.fit(x, y, batch_size=len(x), epochs=2, verbose=0)\n"
            "    w = model.get_weights()\n"
            "    return {f'{k}{i // 2 + 1}': w[i + (k == 'b')] for i in range(0, len(w), 2) for k in 'Wb'}\n",
            "took 2 optimizer steps",
        ),
        "step_from_logits_missing": (
            "def keras_sgd_step(model, x, y, lr):\n"
            "    model.compile(optimizer=keras.optimizers.SGD(learning_rate=lr),\n"
            "                  loss=keras.losses.SparseCategoricalCrossentropy())\n"
            "    model.fit(x, y, batch_size=len(x), epochs=1, verbose=0)\n"
            "    w = model.get_weights()\n"
            "    return {f'{k}{i // 2 + 1}': w[i + (k == 'b')] for i in range(0, len(w), 2) for k in 'Wb'}\n",
            "from_logits=True",
        ),
        "step_default_learning_rate": (
            "def keras_sgd_step(model, x, y, lr):\n"
            "    model.compile(optimizer='sgd', loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True))\n"
            "    model.fit(x, y, batch_size=len(x), epochs=1, verbose=0)\n"
            "    w = model.get_weights()\n"
            "    return {f'{k}{i // 2 + 1}': w[i + (k == 'b')] for i in range(0, len(w), 2) for k in 'Wb'}\n",
            "default learning rate 0.01",
        ),
        "step_summed_loss": (
            "def keras_sgd_step(model, x, y, lr):\n"
            "    model.compile(optimizer=keras.optimizers.SGD(learning_rate=lr),\n"
            "                  loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True, reduction='sum'))\n"
            "    model.fit(x, y, batch_size=len(x), epochs=1, verbose=0)\n"
            "    w = model.get_weights()\n"
            "    return {f'{k}{i // 2 + 1}': w[i + (k == 'b')] for i in range(0, len(w), 2) for k in 'Wb'}\n",
            "N times too large",
        ),
        "step_weights_read_before_fit": (
            "def keras_sgd_step(model, x, y, lr):\n"
            "    w = model.get_weights()\n"
            "    model.compile(optimizer=keras.optimizers.SGD(learning_rate=lr),\n"
            "                  loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True))\n"
            "    model.fit(x, y, batch_size=len(x), epochs=1, verbose=0)\n"
            "    return {f'{k}{i // 2 + 1}': w[i + (k == 'b')] for i in range(0, len(w), 2) for k in 'Wb'}\n",
            "weights before the step",
        ),
        "step_returns_views_of_variables": (
            "def keras_sgd_step(model, x, y, lr):\n"
            "    model.compile(optimizer=keras.optimizers.SGD(learning_rate=lr),\n"
            "                  loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True))\n"
            "    model.fit(x, y, batch_size=len(x), epochs=1, verbose=0)\n"
            "    dense = [layer for layer in model.layers if isinstance(layer, keras.layers.Dense)]\n"
            "    new = {}\n"
            "    for l, layer in enumerate(dense, start=1):\n"
            "        new[f'W{l}'] = layer.kernel.value.detach().numpy()\n"
            "        new[f'b{l}'] = layer.bias.value.detach().numpy()\n"
            "    return new\n",
            "shares memory",
        ),
    },
}

CORRECT: dict[str, dict[str, str]] = {
    "fw_to_torch_params_test": {
        # ---- to_torch_params
        "to_torch_zeros_then_copy": (
            "def to_torch_params(params):\n"
            "    out = {}\n"
            "    for k, v in params.items():\n"
            "        t = torch.zeros(v.shape, dtype=torch.float64)\n"
            "        t.copy_(torch.from_numpy(v))\n"
            "        out[k] = t.requires_grad_(True)\n"
            "    return out\n"
        ),
        "to_torch_from_numpy_of_a_copy": (
            "def to_torch_params(params):\n"
            "    return {k: torch.from_numpy(np.array(v, dtype=np.float64)).requires_grad_()\n"
            "            for k, v in params.items()}\n"
        ),
    },
    "fw_torch_mlp_loss_test": {
        # ---- torch_mlp_loss
        "loss_manual_log_sum_exp": (
            "def torch_mlp_loss(x, y, tparams, activation='relu'):\n"
            "    act = getattr(torch, activation)\n"
            "    h, L = torch.tensor(np.asarray(x), dtype=torch.float64), len(tparams) // 2\n"
            "    for l in range(1, L + 1):\n"
            "        h = torch.addmm(tparams[f'b{l}'], h, tparams[f'W{l}'])\n"
            "        if l < L:\n"
            "            h = act(h)\n"
            "    y = torch.as_tensor(y, dtype=torch.long)\n"
            "    return (torch.logsumexp(h, dim=1) - h[torch.arange(len(y)), y]).mean()\n"
        ),
        "loss_log_softmax_nll": (
            "import torch.nn.functional as F\n"
            "def torch_mlp_loss(x, y, tparams, activation='relu'):\n"
            "    names = sorted(tparams, key=lambda k: (int(k[1:]), k[0] == 'b'))\n"
            "    h = torch.as_tensor(x, dtype=torch.float64)\n"
            "    for i in range(0, len(names), 2):\n"
            "        h = torch.matmul(h, tparams[names[i]]) + tparams[names[i + 1]]\n"
            "        if i + 2 < len(names):\n"
            "            h = {'relu': F.relu, 'sigmoid': torch.sigmoid, 'tanh': torch.tanh}[activation](h)\n"
            "    return F.nll_loss(F.log_softmax(h, dim=1), torch.as_tensor(y, dtype=torch.long))\n"
        ),
    },
    "fw_torch_gradients_test": {
        # ---- torch_gradients
        "grads_autograd_grad": (
            "def torch_gradients(x, y, params, activation='relu'):\n"
            "    tparams = to_torch_params(params)\n"
            "    names = list(tparams)\n"
            "    loss = torch_mlp_loss(x, y, tparams, activation)\n"
            "    grads = torch.autograd.grad(loss, [tparams[k] for k in names])\n"
            "    return {k: g.numpy().copy() for k, g in zip(names, grads)}\n"
        ),
        "grads_cached_tensors_with_zero_grad": (
            "_CACHE = {}\n"
            "def torch_gradients(x, y, params, activation='relu'):\n"
            "    for k, v in params.items():\n"
            "        if k not in _CACHE or _CACHE[k].shape != v.shape:\n"
            "            _CACHE[k] = torch.zeros(v.shape, dtype=torch.float64, requires_grad=True)\n"
            "        with torch.no_grad():\n"
            "            _CACHE[k].copy_(torch.as_tensor(v))\n"
            "        _CACHE[k].grad = None  # what optimizer.zero_grad() does\n"
            "    tp = {k: _CACHE[k] for k in params}\n"
            "    torch_mlp_loss(x, y, tp, activation).backward()\n"
            "    return {k: t.grad.numpy().copy() for k, t in tp.items()}\n"
        ),
    },
    "fw_linear_weight_grad_test": {
        # ---- linear_weight_grad
        "linear_transpose_of_dW": (
            "def linear_weight_grad(x, dz):\n    return (x.T @ dz).T\n"
        ),
        "linear_sum_of_outer_products": (
            "def linear_weight_grad(x, dz):\n"
            "    out = np.zeros((dz.shape[1], x.shape[1]))\n"
            "    for n in range(x.shape[0]):\n"
            "        out += np.outer(dz[n], x[n])\n"
            "    return out\n"
        ),
        "linear_einsum": (
            "def linear_weight_grad(x, dz):\n    return np.einsum('nm,nd->md', dz, x)\n"
        ),
    },
    "fw_build_keras_mlp_test": {
        # ---- build_keras_mlp
        "keras_functional_api_per_layer_weights": (
            "def build_keras_mlp(params, activation='relu'):\n"
            "    L = len(params) // 2\n"
            "    inputs = keras.Input(shape=(params['W1'].shape[0],))\n"
            "    h, dense = inputs, []\n"
            "    for l in range(1, L + 1):\n"
            "        layer = keras.layers.Dense(params[f'W{l}'].shape[1], activation=activation if l < L else None)\n"
            "        h = layer(h)\n"
            "        dense.append(layer)\n"
            "    model = keras.Model(inputs, h)\n"
            "    for l, layer in enumerate(dense, start=1):\n"
            "        layer.set_weights([params[f'W{l}'], params[f'b{l}']])\n"
            "    return model\n"
        ),
        "keras_separate_activation_layers": (
            "def build_keras_mlp(params, activation='relu'):\n"
            "    L = len(params) // 2\n"
            "    model = keras.Sequential()\n"
            "    model.add(keras.Input(shape=(params['W1'].shape[0],)))\n"
            "    for l in range(1, L + 1):\n"
            "        dense = keras.layers.Dense(params[f'W{l}'].shape[1])\n"
            "        model.add(dense)\n"
            "        dense.kernel.assign(params[f'W{l}'])\n"
            "        dense.bias.assign(params[f'b{l}'])\n"
            "        if l < L:\n"
            "            model.add(keras.layers.Activation(activation))\n"
            "    return model\n"
        ),
    },
    "fw_keras_sgd_step_test": {
        # ---- keras_sgd_step
        "step_train_on_batch": (
            "def keras_sgd_step(model, x, y, lr):\n"
            "    model.compile(optimizer=keras.optimizers.SGD(learning_rate=lr),\n"
            "                  loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True))\n"
            "    model.train_on_batch(x, y)\n"
            "    dense = [layer for layer in model.layers if isinstance(layer, keras.layers.Dense)]\n"
            "    new = {}\n"
            "    for l, layer in enumerate(dense, start=1):\n"
            "        new[f'W{l}'] = keras.ops.convert_to_numpy(layer.kernel).copy()\n"
            "        new[f'b{l}'] = keras.ops.convert_to_numpy(layer.bias).copy()\n"
            "    return new\n"
        ),
        "step_manual_torch_autograd": (
            "def keras_sgd_step(model, x, y, lr):\n"
            "    model.zero_grad()\n"
            "    logits = model(torch.as_tensor(x, dtype=torch.float64))\n"
            "    loss = torch.nn.functional.cross_entropy(logits, torch.as_tensor(y, dtype=torch.long))\n"
            "    loss.backward()\n"
            "    for v in model.trainable_weights:\n"
            "        v.assign(v.value.detach().numpy() - lr * v.value.grad.numpy())\n"
            "    w = model.get_weights()\n"
            "    return {f'{k}{i // 2 + 1}': w[i + (k == 'b')] for i in range(0, len(w), 2) for k in 'Wb'}\n"
        ),
    },
}


(
    test_hidden_test_names_the_bug,
    test_hidden_test_passes_a_correct_variant,
    test_every_exercise_has_three_bugs_and_two_correct_variants,
) = corpus_tests(NOTEBOOK, BUGGY, CORRECT)
