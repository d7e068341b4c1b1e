"""Do 04e_engine's hidden tests fail each classic engine bug with its cause named, and pass correct variants?

The solution cells run first (harness.run_test_cell), so a variant may redefine a whole function or class, or patch
one method of the solution's class (`Value.tanh = ...`), as a student's later cell would.
"""

from __future__ import annotations

from harness import corpus_tests

NOTEBOOK = "04_usage/04e_engine.ipynb"


def _value_op(name: str, forward: str, backward: str, args: str = "self") -> str:
    """Source that replaces Value.<name> with a one-input operation: forward value, then the _backward body."""
    return (
        f"def _op({args}):\n"
        f"    out = Value({forward}, (self,), {name!r})\n"
        "    def _backward():\n"
        f"        {backward}\n"
        "    out._backward = _backward\n"
        "    return out\n"
        f"Value.{name} = _op\n"
    )


MUL_ASSIGN = (
    "def _mul(self, other):\n"
    "    other = Value.lift(other)\n"
    "    out = Value(self.data * other.data, (self, other), '*')\n"
    "    def _backward():\n"
    "        self.grad = other.data * out.grad\n"
    "        other.grad = self.data * out.grad\n"
    "    out._backward = _backward\n"
    "    return out\n"
    "Value.__mul__ = _mul\n"
)
ADD_ASSIGN = (
    "def _add(self, other):\n"
    "    other = Value.lift(other)\n"
    "    out = Value(self.data + other.data, (self, other), '+')\n"
    "    def _backward():\n"
    "        self.grad = out.grad\n"
    "        other.grad = out.grad\n"
    "    out._backward = _backward\n"
    "    return out\n"
    "Value.__add__ = _add\n"
)
EXP_ASSIGN = _value_op("exp", "math.exp(self.data)", "self.grad = out.data * out.grad")

TOPO_RECURSIVE = (
    "def topological_order(root):\n"
    "    order, seen = [], set()\n"
    "    def visit(node):\n"
    "        if id(node) not in seen:\n"
    "            seen.add(id(node))\n"
    "            for parent in node._prev:\n"
    "                visit(parent)\n"
    "            order.append(node)\n"
    "    visit(root)\n"
    "    return order\n"
)
TOPO_NO_VISITED = (
    "def topological_order(root):\n"
    "    order, stack = [], [(root, False)]\n"
    "    while stack:\n"
    "        node, done = stack.pop()\n"
    "        if done:\n"
    "            order.append(node)\n"
    "            continue\n"
    "        stack.append((node, True))\n"
    "        stack.extend((p, False) for p in node._prev)\n"
    "    return order\n"
)
TOPO_PREORDER = (
    "def topological_order(root):\n"
    "    order, seen, stack = [], set(), [root]\n"
    "    while stack:\n"
    "        node = stack.pop()\n"
    "        if id(node) in seen:\n"
    "            continue\n"
    "        seen.add(id(node))\n"
    "        order.append(node)\n"
    "        stack.extend(node._prev)\n"
    "    return order[::-1]\n"
)
TOPO_BFS = (
    "from collections import deque\n"
    "def topological_order(root):\n"
    "    order, seen, queue = [], {id(root)}, deque([root])\n"
    "    while queue:\n"
    "        node = queue.popleft()\n"
    "        order.append(node)\n"
    "        for p in node._prev:\n"
    "            if id(p) not in seen:\n"
    "                seen.add(id(p))\n"
    "                queue.append(p)\n"
    "    return order[::-1]\n"
)
TOPO_ITERATOR_STACK = (
    "def topological_order(root):\n"
    "    order, seen = [], {id(root)}\n"
    "    stack = [(root, iter(root._prev))]\n"
    "    while stack:\n"
    "        node, parents = stack[-1]\n"
    "        for parent in parents:\n"
    "            if id(parent) not in seen:\n"
    "                seen.add(id(parent))\n"
    "                stack.append((parent, iter(parent._prev)))\n"
    "                break\n"
    "        else:\n"
    "            stack.pop()\n"
    "            order.append(node)\n"
    "    return order\n"
)
TOPO_KAHN = (
    "def topological_order(root):\n"
    "    nodes, seen, stack = [], {id(root)}, [root]\n"
    "    while stack:\n"
    "        node = stack.pop()\n"
    "        nodes.append(node)\n"
    "        for p in node._prev:\n"
    "            if id(p) not in seen:\n"
    "                seen.add(id(p))\n"
    "                stack.append(p)\n"
    "    users = {id(n): 0 for n in nodes}\n"
    "    for n in nodes:\n"
    "        for p in n._prev:\n"
    "            users[id(p)] += 1\n"
    "    ready, backwards = [root], []\n"
    "    while ready:\n"
    "        node = ready.pop()\n"
    "        backwards.append(node)\n"
    "        for p in node._prev:\n"
    "            users[id(p)] -= 1\n"
    "            if users[id(p)] == 0:\n"
    "                ready.append(p)\n"
    "    return backwards[::-1]\n"
)


def _backward_method(body: str) -> str:
    return "def _backward_all(self):\n" + body + "Value.backward = _backward_all\n"


def _zero_grad_method(body: str) -> str:
    return "def _zero(self):\n" + body + "Value.zero_grad = _zero\n"


VALUE_KAHN_BACKWARD = _backward_method(
    "    " + TOPO_KAHN.replace("\n", "\n    ").replace("def topological_order(root)", "def order_of(root)").rstrip()
    + "\n    self.grad = 1.0\n"
    "    for node in reversed(order_of(self)):\n"
    "        node._backward()\n"
)

# A second, complete Value written another way: local derivatives stored with the node, one generic _backward.
VALUE_LOCAL_GRADS = '''
class Value:
    def __init__(self, data, _children=(), _op="", _local=()):
        self.data = float(data)
        self.grad = 0.0
        self._prev = tuple(_children)
        self._op = _op
        self._local = tuple(_local)
        self._backward = self._push

    def _push(self):
        for parent, local in zip(self._prev, self._local):
            parent.grad += local * self.grad

    @staticmethod
    def lift(other):
        return other if isinstance(other, Value) else Value(other)

    def __add__(self, other):
        other = Value.lift(other)
        return Value(self.data + other.data, (self, other), "+", (1.0, 1.0))

    def __mul__(self, other):
        other = Value.lift(other)
        return Value(self.data * other.data, (self, other), "*", (other.data, self.data))

    def __pow__(self, p):
        return Value(self.data**p, (self,), "**", (p * self.data ** (p - 1),))

    def exp(self):
        e = math.exp(self.data)
        return Value(e, (self,), "exp", (e,))

    def log(self):
        return Value(math.log(self.data), (self,), "log", (1.0 / self.data,))

    def tanh(self):
        t = math.tanh(self.data)
        return Value(t, (self,), "tanh", (1.0 - t * t,))

    def sigmoid(self):
        s = 0.5 * (1.0 + math.tanh(0.5 * self.data))
        return Value(s, (self,), "sigmoid", (s * (1.0 - s),))

    def relu(self):
        return Value(max(self.data, 0.0), (self,), "relu", (1.0 if self.data > 0 else 0.0,))

    def backward(self):
        self.grad = 1.0
        for node in reversed(topological_order(self)):
            node._backward()

    def zero_grad(self):
        for node in topological_order(self):
            node.grad = 0.0

    def __neg__(self):
        return self * -1.0

    def __radd__(self, other):
        return self + other

    def __sub__(self, other):
        return self + (-Value.lift(other))

    def __rsub__(self, other):
        return Value.lift(other) + (-self)

    def __rmul__(self, other):
        return self * other

    def __truediv__(self, other):
        return self * Value.lift(other) ** -1

    def __rtruediv__(self, other):
        return Value.lift(other) * self**-1
'''

VALUE_INPUT_FORMULAS = (  # derivatives written with the input (correctly), not the stored output
    _value_op("tanh", "math.tanh(self.data)", "self.grad += (1 - math.tanh(self.data) ** 2) * out.grad")
    + _value_op("sigmoid", "1 / (1 + math.exp(-self.data))",
                "self.grad += math.exp(-self.data) / (1 + math.exp(-self.data)) ** 2 * out.grad")
    + _value_op("exp", "math.exp(self.data)", "self.grad += math.exp(self.data) * out.grad")
    + _value_op("relu", "self.data if self.data > 0 else 0.0", "self.grad += out.grad if self.data > 0 else 0.0")
)


def _tensor_method(name: str, source: str) -> str:
    return source + f"Tensor.{name} = _method\n"


TENSOR_ADD_NO_UNBROADCAST = _tensor_method("__add__", (
    "def _method(self, other):\n"
    "    other = Tensor.lift(other)\n"
    "    out = Tensor(self.data + other.data, (self, other), '+')\n"
    "    def _backward():\n"
    "        self.grad += out.grad\n"
    "        other.grad += out.grad\n"
    "    out._backward = _backward\n"
    "    return out\n"
))
TENSOR_ADD_REBINDS = _tensor_method("__add__", (
    "def _method(self, other):\n"
    "    other = Tensor.lift(other)\n"
    "    out = Tensor(self.data + other.data, (self, other), '+')\n"
    "    def _backward():\n"
    "        self.grad = self.grad + out.grad\n"
    "        other.grad = other.grad + out.grad\n"
    "    out._backward = _backward\n"
    "    return out\n"
))
TENSOR_MUL_ASSIGN = _tensor_method("__mul__", (
    "def _method(self, other):\n"
    "    other = Tensor.lift(other)\n"
    "    out = Tensor(self.data * other.data, (self, other), '*')\n"
    "    def _backward():\n"
    "        self.grad = unbroadcast(other.data * out.grad, self.shape)\n"
    "        other.grad = unbroadcast(self.data * out.grad, other.shape)\n"
    "    out._backward = _backward\n"
    "    return out\n"
))
TENSOR_TANH_INPUT = _tensor_method("tanh", (
    "def _method(self):\n"
    "    out = Tensor(np.tanh(self.data), (self,), 'tanh')\n"
    "    def _backward():\n"
    "        self.grad += (1 - self.data ** 2) * out.grad\n"
    "    out._backward = _backward\n"
    "    return out\n"
))
TENSOR_MEAN_NO_DIVIDE = _tensor_method("mean", (
    "def _method(self, axis=None):\n"
    "    out = Tensor(self.data.mean(axis=axis), (self,), 'mean')\n"
    "    def _backward():\n"
    "        g = out.grad if axis is None else np.expand_dims(out.grad, axis)\n"
    "        self.grad += np.broadcast_to(g, self.shape)\n"
    "    out._backward = _backward\n"
    "    return out\n"
))
TENSOR_MATMUL_NO_TRANSPOSE = _tensor_method("__matmul__", (
    "def _method(self, other):\n"
    "    other = Tensor.lift(other)\n"
    "    out = Tensor(self.data @ other.data, (self, other), '@')\n"
    "    def _backward():\n"
    "        self.grad += out.grad @ other.data\n"
    "        other.grad += self.data @ out.grad\n"
    "    out._backward = _backward\n"
    "    return out\n"
))
# the whole class another way: reductions through np.sum(keepdims) and explicit repeat, tanh from the input
TENSOR_OTHER_WAY = (
    _tensor_method("sum", (
        "def _method(self, axis=None):\n"
        "    out = Tensor(np.sum(self.data, axis=axis), (self,), 'sum')\n"
        "    def _backward():\n"
        "        shape = [1 if axis is None or k == axis else n for k, n in enumerate(self.shape)]\n"
        "        self.grad += np.reshape(out.grad, shape) * np.ones(self.shape)\n"
        "    out._backward = _backward\n"
        "    return out\n"))
    + _tensor_method("mean", (
        "def _method(self, axis=None):\n"
        "    out = Tensor(np.mean(self.data, axis=axis), (self,), 'mean')\n"
        "    def _backward():\n"
        "        count = self.data.size // out.data.size\n"
        "        shape = [1 if axis is None or k == axis else n for k, n in enumerate(self.shape)]\n"
        "        self.grad += np.reshape(out.grad / count, shape) * np.ones(self.shape)\n"
        "    out._backward = _backward\n"
        "    return out\n"))
    + _tensor_method("tanh", (
        "def _method(self):\n"
        "    out = Tensor(np.tanh(self.data), (self,), 'tanh')\n"
        "    def _backward():\n"
        "        self.grad += out.grad / np.cosh(self.data) ** 2\n"
        "    out._backward = _backward\n"
        "    return out\n"))
    + _tensor_method("relu", (
        "def _method(self):\n"
        "    out = Tensor(self.data * (self.data > 0), (self,), 'relu')\n"
        "    def _backward():\n"
        "        self.grad += np.where(self.data > 0, out.grad, 0.0)\n"
        "    out._backward = _backward\n"
        "    return out\n"))
)
TENSOR_MUL_VIA_EINSUM = _tensor_method("__matmul__", (
    "def _method(self, other):\n"
    "    other = Tensor.lift(other)\n"
    "    out = Tensor(np.einsum('nd,dm->nm', self.data, other.data), (self, other), '@')\n"
    "    def _backward():\n"
    "        self.grad += np.einsum('nm,dm->nd', out.grad, other.data)\n"
    "        other.grad += np.einsum('nd,nm->dm', self.data, out.grad)\n"
    "    out._backward = _backward\n"
    "    return out\n"
))


def _softmax_ce(forward: str, backward: str) -> str:
    return _tensor_method("softmax_cross_entropy", (
        "def _method(self, y):\n"
        "    y = np.asarray(y)\n"
        "    n = self.shape[0]\n"
        f"{forward}"
        "    out = Tensor(-log_probs[np.arange(n), y].mean(), (self,), 'softmax-CE')\n"
        "    def _backward():\n"
        "        probs = np.exp(log_probs)\n"
        "        onehot = np.eye(self.shape[1])[y]\n"
        f"        {backward}\n"
        "    out._backward = _backward\n"
        "    return out\n"))


STABLE = (
    "    shifted = self.data - self.data.max(axis=1, keepdims=True)\n"
    "    log_probs = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))\n"
)
LOGSUMEXP = (
    "    m = self.data.max(axis=1, keepdims=True)\n"
    "    log_probs = self.data - (m + np.log(np.sum(np.exp(self.data - m), axis=1, keepdims=True)))\n"
)
NAIVE = "    log_probs = np.log(np.exp(self.data) / np.exp(self.data).sum(axis=1, keepdims=True))\n"

ENGINE_MLP = (
    "def engine_mlp_gradients(x, y, params, activation='tanh'):\n"
    "    tensors = {name: Tensor(value) for name, value in params.items()}\n"
    "    n_layers = len(params) // 2\n"
    "    h = Tensor(x)\n"
    "    for layer in range(1, n_layers + 1):\n"
    "        h = h @ tensors[f'W{layer}'] + tensors[f'b{layer}']\n"
    "        {activation_line}\n"
    "    loss = h.softmax_cross_entropy(y)\n"
    "    loss.backward()\n"
    "    return float(loss.data), {name: t.grad for name, t in tensors.items()}\n"
)

MANUAL = (
    "def manual_gradients(a, b, c, f):\n"
    "    d = a * b + c\n"
    "    return {{'L': 1.0, 'g': 1.0, 'd': {d}, 'f': d, 'e': {e}, 'c': {c}, 'b': {b}, 'a': {a}}}\n"
)
MANUAL_RIGHT = {"d": "f", "e": "f", "c": "f", "b": "a * f", "a": "b * f + 1.0"}


def _manual(**wrong: str) -> str:
    """manual_gradients with some nodes' formulas replaced (the rest right)."""
    return MANUAL.format(**{**MANUAL_RIGHT, **wrong})


NN_PATCH_ZERO_GRAD_FIRST_LAYER = (
    "def _zero_first(self):\n"
    "    for p in self.layers[0].parameters():\n"
    "        p.grad = 0.0\n"
    "MLP.zero_grad = _zero_first\n"
)
NN_ZERO_GRAD_BY_WALK = (  # correct: the same parameters reached through the structure instead of parameters()
    "def _zero_walk(self):\n"
    "    for layer in self.layers:\n"
    "        for neuron in layer.neurons:\n"
    "            for p in neuron.w + [neuron.b]:\n"
    "                p.grad = 0.0\n"
    "MLP.zero_grad = _zero_walk\n"
)
NN_NEURON_LOOP = (  # correct: the dot product as an explicit loop from the bias, relu written as max
    "def _call(self, x):\n"
    "    act = self.b\n"
    "    for wi, xi in zip(self.w, x):\n"
    "        act = act + wi * xi\n"
    "    return act.relu() if self.nonlin else act\n"
    "Neuron.__call__ = _call\n"
    "def _params(self):\n"
    "    out = []\n"
    "    for layer in self.layers:\n"
    "        out.extend(layer.parameters())\n"
    "    return out\n"
    "MLP.parameters = _params\n"
)

SIGMOID_FN = (
    "class Sigmoid(Function):\n"
    "    @staticmethod\n"
    "    def forward(ctx, x):\n"
    "        s = 0.5 * (1.0 + np.tanh(0.5 * x))\n"
    "{save}"
    "        return s\n"
    "    @staticmethod\n"
    "    def backward(ctx, grad):\n"
    "{backward}"
)


def _sigmoid_fn(save: str, backward: str) -> str:
    return SIGMOID_FN.format(save=save, backward=backward)


SAVE_S = "        ctx.save_for_backward(s)\n"
READ_S = "        (s,) = ctx.saved_tensors\n"

LAYERNORM_FN = (
    "class LayerNorm(Function):\n"
    "    eps = 1e-5\n"
    "    @staticmethod\n"
    "    def forward(ctx, x, gamma, beta):\n"
    "        mu = x.mean(axis={axis}, keepdims=True)\n"
    "        inv_std = {inv_std}\n"
    "        x_hat = (x - mu) * inv_std\n"
    "        ctx.save_for_backward(x, x_hat, gamma, inv_std)\n"
    "        return gamma * x_hat + beta\n"
    "    @staticmethod\n"
    "    def backward(ctx, grad):\n"
    "        x, x_hat, gamma, inv_std = ctx.saved_tensors\n"
    "        d = x_hat.shape[1]\n"
    "        dx_hat = grad * gamma\n"
    "        dx = {dx}\n"
    "        return dx, {dgamma}, grad.sum(axis=0)\n"
)
LAYERNORM_RIGHT = {
    "axis": "1",
    "inv_std": "1.0 / np.sqrt(x.var(axis=1, keepdims=True) + LayerNorm.eps)",
    "dx": "inv_std / d * (d * dx_hat - dx_hat.sum(axis=1, keepdims=True) "
          "- x_hat * (dx_hat * x_hat).sum(axis=1, keepdims=True))",
    "dgamma": "(grad * x_hat).sum(axis=0)",
}


def _layernorm(**wrong: str) -> str:
    return LAYERNORM_FN.format(**{**LAYERNORM_RIGHT, **wrong})


BUGGY: dict[str, dict[str, tuple[str, str]]] = {
    "eng_topo_test": {
        "recursive_dfs": (TOPO_RECURSIVE, "recursion error on a long chain"),
        "no_visited_set": (TOPO_NO_VISITED, "more than once|listed once"),
        "preorder_reversed": (TOPO_PREORDER, "not a topological order"),
        "bfs_reversed": (TOPO_BFS, "not a topological order"),  # reversed BFS: a reversed order without a sort
    },
    "eng_value_ops_test": {
        "mul_assigns": (MUL_ASSIGN, "`=` instead of `\\+=`"),
        "tanh_at_input": (
            _value_op("tanh", "math.tanh(self.data)", "self.grad += (1 - self.data ** 2) * out.grad"),
            "tanh' computed from the input",
        ),
        "sigmoid_at_input": (
            _value_op("sigmoid", "1 / (1 + math.exp(-self.data))",
                      "self.grad += self.data * (1 - self.data) * out.grad"),
            "sigmoid' computed from the input",
        ),
        "pow_not_lowered": (
            _value_op("__pow__", "self.data ** p", "self.grad += p * self.data ** p * out.grad", "self, p"),
            "exponent is not lowered",
        ),
        "exp_forgets_upstream": (
            _value_op("exp", "math.exp(self.data)", "self.grad += out.data"),
            "forgets the upstream gradient",
        ),
        "log_times_input": (
            _value_op("log", "math.log(self.data)", "self.grad += self.data * out.grad"),
            "1/a",
        ),
    },
    "eng_value_backward_test": {
        "missing_seed": (
            _backward_method("    for node in reversed(topological_order(self)):\n        node._backward()\n"),
            "missing seed 1",
        ),
        "creation_order": (
            _backward_method("    self.grad = 1.0\n    for node in topological_order(self):\n"
                             "        node._backward()\n"),
            "wrong order",
        ),
        "bfs_order": (
            TOPO_BFS.replace("def topological_order", "def bfs_order").replace("return order[::-1]", "return order")
            + _backward_method("    self.grad = 1.0\n    for node in bfs_order(self):\n        node._backward()\n"),
            "wrong order",
        ),
        "reversed_preorder": (
            TOPO_PREORDER.replace("def topological_order", "def preorder").replace("return order[::-1]", "return order")
            + _backward_method("    self.grad = 1.0\n    for node in preorder(self):\n        node._backward()\n"),
            "wrong order",
        ),
        "assign_everywhere": (ADD_ASSIGN + MUL_ASSIGN + EXP_ASSIGN, "`=` instead of `\\+=`"),
        "recursive_build_topo": (
            TOPO_RECURSIVE.replace("def topological_order", "def build_topo")
            + _backward_method("    self.grad = 1.0\n    for node in reversed(build_topo(self)):\n"
                               "        node._backward()\n"),
            "recursion error on a long chain",
        ),
        "zero_grad_only_self": (_zero_grad_method("    self.grad = 0.0\n"), "grads not zeroed"),
        "zero_grad_only_leaves": (
            _zero_grad_method("    for node in topological_order(self):\n        if not node._prev:\n"
                              "            node.grad = 0.0\n"),
            "grads not zeroed",
        ),
        "zero_grad_does_nothing": (_zero_grad_method("    pass\n"), "grads not zeroed"),
        # issue 26: a given reflected operator edited the wrong way round
        "rsub_reversed": ("Value.__rsub__ = lambda self, other: self - other\n", "2.0 - x is computed as x - 2.0"),
    },
    "eng_unbroadcast_test": {
        "averages": (
            "def unbroadcast(grad, shape):\n"
            "    grad = np.asarray(grad, dtype=np.float64)\n"
            "    while grad.ndim > len(shape):\n"
            "        grad = grad.mean(axis=0)\n"
            "    for axis, size in enumerate(shape):\n"
            "        if size == 1 and grad.shape[axis] != 1:\n"
            "            grad = grad.mean(axis=axis, keepdims=True)\n"
            "    return grad\n",
            "averages",
        ),
        "leading_axes_only": (
            "def unbroadcast(grad, shape):\n"
            "    while grad.ndim > len(shape):\n"
            "        grad = grad.sum(axis=0)\n"
            "    return grad\n",
            "broadcasting not summed",
        ),
        "no_keepdims": (
            "def unbroadcast(grad, shape):\n"
            "    while grad.ndim > len(shape):\n"
            "        grad = grad.sum(axis=0)\n"
            "    for axis, size in reversed(list(enumerate(shape))):\n"
            "        if size == 1 and grad.shape[axis] != 1:\n"
            "            grad = grad.sum(axis=axis)\n"
            "    return grad\n",
            "broadcasting not summed",
        ),
        "unchanged": ("def unbroadcast(grad, shape):\n    return grad\n", "broadcasting not summed"),
    },
    "eng_tensor_ops_test": {
        "add_not_unbroadcast": (TENSOR_ADD_NO_UNBROADCAST, "broadcasting not summed"),
        "add_rebinds_grad": (TENSOR_ADD_REBINDS, "broadcasting not summed"),
        "mul_assigns": (TENSOR_MUL_ASSIGN, "`=` instead of `\\+=`"),
        "tanh_at_input": (TENSOR_TANH_INPUT, "tanh' computed from the input"),
        "mean_not_divided": (TENSOR_MEAN_NO_DIVIDE, "divide by the number of entries"),
        "matmul_no_transpose": (TENSOR_MATMUL_NO_TRANSPOSE, "a.grad = out.grad @ b.T"),
        "rsub_reversed": ("Tensor.__rsub__ = lambda self, other: self - other\n", "2.0 - Z is computed as Z - 2.0"),
    },
    "eng_tensor_softmax_ce_test": {
        "missing_one_over_n": (_softmax_ce(STABLE, "self.grad += (probs - onehot) * out.grad"), "missing 1/N"),
        "onehot_not_subtracted": (_softmax_ce(STABLE, "self.grad += probs / n * out.grad"), "one-hot labels"),
        "assigns": (_softmax_ce(STABLE, "self.grad = (probs - onehot) / n * out.grad"), "`=` instead of `\\+=`"),
        "unstable": (_softmax_ce(NAIVE, "self.grad += (probs - onehot) / n * out.grad"), "nan or inf"),
        "forgets_upstream": (_softmax_ce(STABLE, "self.grad += (probs - onehot) / n"), "upstream gradient"),
    },
    "eng_mlp_test": {
        "activation_on_last_layer": (
            ENGINE_MLP.replace("{activation_line}", "h = h.relu() if activation == 'relu' else h.tanh()"),
            "against mlp_backward|loss",
        ),
        "activation_ignored": (
            ENGINE_MLP.replace("{activation_line}", "h = h.tanh() if layer < n_layers else h"),
            "against mlp_backward|loss",
        ),
        "grads_pile_up_across_calls": (
            "_KEPT = {}\n"
            "def engine_mlp_gradients(x, y, params, activation='tanh'):\n"
            "    tensors = {}\n"
            "    for name, value in params.items():  # Tensors kept between calls, their .grad never cleared\n"
            "        kept = _KEPT.setdefault((name, value.shape), Tensor(value))\n"
            "        kept.data = np.array(value, dtype=np.float64)\n"
            "        tensors[name] = kept\n"
            "    n_layers = len(params) // 2\n"
            "    h = Tensor(x)\n"
            "    for layer in range(1, n_layers + 1):\n"
            "        h = h @ tensors[f'W{layer}'] + tensors[f'b{layer}']\n"
            "        if layer < n_layers:\n"
            "            h = h.relu() if activation == 'relu' else h.tanh()\n"
            "    loss = h.softmax_cross_entropy(y)\n"
            "    loss.backward()\n"
            "    return float(loss.data), {name: np.array(t.grad) for name, t in tensors.items()}\n",
            "call it twice: the gradients doubled",
        ),
        "grads_of_copies": (
            ENGINE_MLP.replace("{activation_line}", "h = (h.relu() if activation == 'relu' else h.tanh()) "
                               "if layer < n_layers else h")
            .replace("{name: t.grad for name, t in tensors.items()}",
                     "{name: Tensor(v).grad for name, v in params.items()}"),
            "against mlp_backward",
        ),
    },
    "eng_manual_test": {
        "fan_out_lost": (_manual(a="b * f"), "node a is wrong.*node used twice"),
        "product_rule_swapped": (_manual(d="a * b + c", b="b * f"), "node d is wrong.*product rule"),
        "upstream_missing": (_manual(e="1.0", c="1.0", b="a"), "node e is wrong.*upstream gradient is missing"),
    },
    "eng_nn_test": {
        "parameters_missing_biases": ("Neuron.parameters = lambda self: list(self.w)\n", "missing biases"),
        "parameters_copies": (
            "Layer.parameters = lambda self: [Value(p.data) for n in self.neurons for p in n.parameters()]\n",
            "copies",
        ),
        "zero_grad_does_nothing": ("Module.zero_grad = lambda self: None\n", "zero_grad not reaching every parameter"),
        "zero_grad_first_layer_only": (NN_PATCH_ZERO_GRAD_FIRST_LAYER, "zero_grad not reaching every parameter"),
        "relu_on_last_layer": (
            "_init = MLP.__init__\n"
            "def _all_relu(self, nin, nouts):\n"
            "    _init(self, nin, nouts)\n"
            "    for layer in self.layers:\n"
            "        for n in layer.neurons:\n"
            "            n.nonlin = True\n"
            "MLP.__init__ = _all_relu\n",
            "relu on every layer but the last",
        ),
        # a wrong backward() fails this exercise too: named as backward's, not as parameters() copies (issue 26)
        "backward_in_creation_order": (
            _backward_method(
                "    self.grad = 1.0\n    for node in topological_order(self):\n        node._backward()\n"),
            "Value.backward\\(\\) itself is wrong",
        ),
        # the parts on their own: MLP's own code is right, so only the probe's parts report sees these (issue 26)
        "layer_parameters_weights_only": (  # MLP.parameters walks the neurons itself, so MLP's count is right
            "Layer.parameters = lambda self: [w for n in self.neurons for w in n.w]\n"
            "MLP.parameters = lambda self: [p for l in self.layers for n in l.neurons for p in n.w + [n.b]]\n",
            "Layer\\(3, 2\\).parameters\\(\\) has 6 entries.*missing biases",
        ),
        "neuron_relu_always": (  # MLP.__call__ computes each layer itself, so MLP's outputs are right
            "_neuron_call = Neuron.__call__\n"
            "Neuron.__call__ = lambda self, x: _neuron_call(self, x).relu()\n"
            "def _mlp_call(self, x):\n"
            "    for layer in self.layers:\n"
            "        x = [sum((w * xi for w, xi in zip(n.w, x)), n.b) for n in layer.neurons]\n"
            "        x = [v.relu() for v in x] if layer.neurons[0].nonlin else x\n"
            "    return x[0] if len(x) == 1 else x\n"
            "MLP.__call__ = _mlp_call\n",
            "relu applied where nonlin=False",
        ),
    },
    "eng_function_test": {
        "derivative_at_input": (
            _sigmoid_fn("        ctx.save_for_backward(x)\n",
                        "        (x,) = ctx.saved_tensors\n        return grad * x * (1 - x)\n"),
            "derivative at the input",
        ),
        "forgets_upstream": (_sigmoid_fn(SAVE_S, READ_S + "        return s * (1 - s)\n"), "upstream gradient"),
        "local_is_s": (_sigmoid_fn(SAVE_S, READ_S + "        return grad * s\n"), "not s"),
        "state_on_the_class": (
            _sigmoid_fn("        Sigmoid.saved = s\n",
                        "        s = Sigmoid.saved\n        return grad * s * (1 - s)\n"),
            "state kept on the class",
        ),
    },
    "eng_layernorm_test": {
        "no_mean_terms": (_layernorm(dx="dx_hat * inv_std"), "depend on every entry of the row"),
        "no_variance_term": (
            _layernorm(dx="inv_std / d * (d * dx_hat - dx_hat.sum(axis=1, keepdims=True))"), "variance's term"),
        "eps_outside_sqrt": (
            _layernorm(inv_std="1.0 / (np.sqrt(x.var(axis=1, keepdims=True)) + LayerNorm.eps)"), "eps in the wrong"),
        "columns_normalised": (
            _layernorm(axis="0", inv_std="1.0 / np.sqrt(x.var(axis=0, keepdims=True) + LayerNorm.eps)"),
            "normalises each column|normalise over axis=1"),
        "dgamma_of_x": (_layernorm(dgamma="grad * x"), "not of dout \\* x"),
        # issue 26: named, not a bare relative error
        "gamma_missing_in_dx": (
            _layernorm(dx="inv_std / d * (d * grad - grad.sum(axis=1, keepdims=True) "
                          "- x_hat * (grad * x_hat).sum(axis=1, keepdims=True))"),
            "gamma is missing",
        ),
        "factor_d_too_many": (
            _layernorm(dx="inv_std * (d * dx_hat - dx_hat.sum(axis=1, keepdims=True) "
                          "- x_hat * (dx_hat * x_hat).sum(axis=1, keepdims=True))"),
            "a factor D too many",
        ),
        "state_on_the_class": (
            LAYERNORM_FN.format(**LAYERNORM_RIGHT)
            .replace("ctx.save_for_backward(x, x_hat, gamma, inv_std)", "LayerNorm.saved = (x, x_hat, gamma, inv_std)")
            .replace("x, x_hat, gamma, inv_std = ctx.saved_tensors", "x, x_hat, gamma, inv_std = LayerNorm.saved"),
            "state kept on the class",
        ),
    },
}

CORRECT: dict[str, dict[str, str]] = {
    "eng_topo_test": {"iterator_stack": TOPO_ITERATOR_STACK, "kahn": TOPO_KAHN},
    "eng_value_ops_test": {"local_grads_stored": VALUE_LOCAL_GRADS, "input_formulas": VALUE_INPUT_FORMULAS},
    "eng_value_backward_test": {
        "kahn_inside_backward": VALUE_KAHN_BACKWARD,
        "local_grads_stored": VALUE_LOCAL_GRADS + TOPO_ITERATOR_STACK,
    },
    "eng_unbroadcast_test": {
        "tuple_of_axes": (
            "def unbroadcast(grad, shape):\n"
            "    grad = np.asarray(grad, dtype=np.float64)\n"
            "    extra = grad.ndim - len(shape)\n"
            "    axes = tuple(range(extra)) + tuple(extra + k for k, n in enumerate(shape) if n == 1)\n"
            "    return grad.sum(axis=axes).reshape(shape) if axes else grad.copy()\n"
        ),
        "reshape_then_sum": (
            "def unbroadcast(grad, shape):\n"
            "    grad = np.array(grad, dtype=np.float64)\n"
            "    padded = (1,) * (grad.ndim - len(shape)) + tuple(shape)\n"
            "    for axis, n in enumerate(padded):\n"
            "        if n == 1:\n"
            "            grad = grad.sum(axis=axis, keepdims=True)\n"
            "    return grad.reshape(shape)\n"
        ),
    },
    "eng_tensor_ops_test": {"reductions_other_way": TENSOR_OTHER_WAY, "einsum_matmul": TENSOR_MUL_VIA_EINSUM},
    "eng_tensor_softmax_ce_test": {
        "onehot_matrix": _softmax_ce(STABLE, "self.grad += (probs - onehot) * (out.grad / n)"),
        "logsumexp": _softmax_ce(LOGSUMEXP, "self.grad = self.grad + (probs - onehot) / n * out.grad"),
    },
    "eng_mlp_test": {
        "layer_list": (
            "def engine_mlp_gradients(x, y, params, activation='tanh'):\n"
            "    n_layers = len(params) // 2\n"
            "    layers = [(Tensor(params[f'W{k}']), Tensor(params[f'b{k}'])) for k in range(1, n_layers + 1)]\n"
            "    h = Tensor(x)\n"
            "    for k, (W, b) in enumerate(layers, start=1):\n"
            "        h = h @ W + b\n"
            "        if k < n_layers:\n"
            "            h = getattr(h, activation)()\n"
            "    loss = h.softmax_cross_entropy(y)\n"
            "    loss.backward()\n"
            "    grads = {}\n"
            "    for k, (W, b) in enumerate(layers, start=1):\n"
            "        grads[f'W{k}'], grads[f'b{k}'] = W.grad.copy(), b.grad.copy()\n"
            "    return loss.data.item(), grads\n"
        ),
        "bias_first": ENGINE_MLP.replace("h = h @ tensors[f'W{layer}'] + tensors[f'b{layer}']",
                                         "h = tensors[f'b{layer}'] + h @ tensors[f'W{layer}']")
        .replace("{activation_line}",
                 "h = (h.relu() if activation == 'relu' else h.tanh()) if layer < n_layers else h"),
    },
    "eng_manual_test": {
        "closed_form": (
            "def manual_gradients(a, b, c, f):\n"
            "    return {'L': 1, 'g': 1, 'd': f, 'e': f, 'c': f, 'f': a * b + c, 'b': a * f, 'a': 1 + b * f}\n"
        ),
        "numpy_floats": (
            "def manual_gradients(a, b, c, f):\n"
            "    g = np.float64(1.0)\n"
            "    d_bar = g * f\n"
            "    return dict(L=np.float64(1.0), g=g, d=d_bar, e=d_bar, c=d_bar, f=g * (a * b + c), b=d_bar * a,\n"
            "                a=d_bar * b + g)\n"
        ),
    },
    "eng_nn_test": {"zero_grad_by_walk": NN_ZERO_GRAD_BY_WALK, "neuron_loop": NN_NEURON_LOOP},
    "eng_function_test": {
        "save_input_recompute": _sigmoid_fn(
            "        ctx.save_for_backward(x)\n",
            "        (x,) = ctx.saved_tensors\n        s = np.exp(-np.logaddexp(0.0, -x))\n"
            "        return grad * s * (1.0 - s)\n"),
        "attribute_on_ctx_tuple": (
            "class Sigmoid(Function):\n"
            "    @staticmethod\n"
            "    def forward(ctx, x):\n"
            "        ctx.s = np.exp(-np.logaddexp(0.0, -x))\n"
            "        return ctx.s\n"
            "    @staticmethod\n"
            "    def backward(ctx, grad):\n"
            "        return (grad * ctx.s * (1.0 - ctx.s),)\n"
        ),
    },
    "eng_layernorm_test": {
        "per_entry_dgamma": _layernorm(dgamma="grad * x_hat"),  # (N, D): apply sums it over the rows
        "chain_through_mean_and_variance": (
            "class LayerNorm(Function):\n"
            "    eps = 1e-5\n"
            "    @staticmethod\n"
            "    def forward(ctx, x, gamma, beta):\n"
            "        mu = x.mean(axis=1, keepdims=True)\n"
            "        var = ((x - mu) ** 2).mean(axis=1, keepdims=True)\n"
            "        ctx.save_for_backward(x, gamma, mu, var, LayerNorm.eps)\n"
            "        return gamma * (x - mu) / np.sqrt(var + LayerNorm.eps) + beta\n"
            "    @staticmethod\n"
            "    def backward(ctx, grad):\n"
            "        x, gamma, mu, var, eps = ctx.saved_tensors\n"
            "        d = x.shape[1]\n"
            "        std = np.sqrt(var + eps)\n"
            "        dxhat = grad * gamma\n"
            "        dvar = (dxhat * (x - mu) * -0.5 * std ** -3).sum(axis=1, keepdims=True)\n"
            "        dmu = (-dxhat / std).sum(axis=1, keepdims=True)\n"
            "        dmu = dmu + dvar * (-2 * (x - mu)).mean(axis=1, keepdims=True)\n"
            "        dx = dxhat / std + dvar * 2 * (x - mu) / d + dmu / d\n"
            "        return dx, (grad * (x - mu) / std).sum(axis=0), grad.sum(axis=0)\n"
        ),
    },
}


(
    test_hidden_test_names_the_bug,
    test_hidden_test_passes_a_correct_variant,
    test_every_test_cell_is_covered,
) = corpus_tests(NOTEBOOK, BUGGY, CORRECT)
