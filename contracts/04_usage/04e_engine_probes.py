"""Probes of 04e_engine's re-check contract (04e_engine.py). What a probe is, what it may use (`ContractError`,
`is_unchanged`, numpy and the frameworks imported inside) and how this file is run on both sides: see
grader/sandboxed/probe_kit.py.

The probes build the grader's own graphs from the student's class and report plain numbers. They call one node's
`_backward()` alone where the hidden tests do (an operation's local rule), and the student's `backward()` where the
hidden tests do (the order, the seed, the accumulation, zero_grad).
"""

from __future__ import annotations


class _GraphNode:
    """A bare node for topological_order: its inputs only."""

    def __init__(self, *inputs):
        self._prev = inputs


def _is_topological(order, root) -> dict:
    """Properties of a returned order (each node once, every node after its inputs, all reached, root last)."""
    reachable, stack = set(), [root]
    while stack:
        node = stack.pop()
        if id(node) not in reachable:
            reachable.add(id(node))
            stack.extend(node._prev)
    if not isinstance(order, list):
        return {"list": False, "once": False, "complete": False, "inputs_first": False, "root_last": False}
    ids = [id(n) for n in order]
    position = {i: k for k, i in enumerate(ids)}
    inputs_first = all(
        id(p) in position and id(n) in position and position[id(p)] < position[id(n)] for n in order for p in n._prev
    )
    return {
        "list": True,
        "once": len(ids) == len(set(ids)),
        "complete": set(ids) == reachable,
        "inputs_first": inputs_first,
        "root_last": bool(order) and order[-1] is root,
    }


def topo_check(topological_order, seed: int, chain_length: int):
    """topological_order on the grader's graphs: shortcut paths both ways round, a diamond ladder, a random DAG
    (from `seed`) and a chain of `chain_length` nodes; reports the properties of each order, plain booleans."""
    import random

    rnd = random.Random(seed)
    graphs = {}
    x = _GraphNode()
    a = _GraphNode(x)
    c = _GraphNode(_GraphNode(a))
    graphs["shortcut first"], graphs["shortcut last"] = _GraphNode(a, c), _GraphNode(c, a)
    node = _GraphNode()
    for _ in range(rnd.randint(8, 12)):
        node = _GraphNode(_GraphNode(node), _GraphNode(node))
    graphs["diamond ladder"] = node
    nodes = [_GraphNode() for _ in range(3)]
    for _ in range(rnd.randint(15, 25)):
        nodes.append(_GraphNode(*rnd.sample(nodes, k=min(len(nodes), rnd.randint(1, 3)))))
    graphs["random DAG"] = _GraphNode(*nodes[-4:])
    report = {name: _is_topological(topological_order(root), root) for name, root in graphs.items()}
    chain = first = _GraphNode()
    for _ in range(chain_length - 1):
        chain = _GraphNode(chain)
    try:
        order = topological_order(chain)
        report["long chain"] = "ok" if len(order) == chain_length and order[0] is first else "wrong"
    except RecursionError:
        report["long chain"] = "RecursionError"
    return report


def _one_node(cls, op, values, upstream, before):
    """One operation on fresh leaves holding `before` in .grad; out.grad = upstream (a number, or a function of
    out's shape giving an array); ONE out._backward() call. Returns [out.data, input grads...] as float64 arrays."""
    import numpy as np

    leaves = [cls(v) for v in values]
    for leaf, pre in zip(leaves, before, strict=True):
        leaf.grad = np.array(pre, dtype=np.float64) if np.ndim(pre) else float(pre)
    out = op(*leaves)
    if not isinstance(out, cls):
        raise ContractError(
            "an operation returned a {kind}, expected a {expected}", kind=type(out).__name__, expected=cls.__name__
        )
    out.grad = np.array(upstream(np.shape(out.data)), dtype=np.float64) if callable(upstream) else float(upstream)
    out._backward()
    return [np.asarray(out.data, dtype=np.float64)] + [np.asarray(leaf.grad, dtype=np.float64) for leaf in leaves]


def value_ops(Value, a: float, b: float, upstream: float, before: float):
    """Each local rule of Value on its own node: the value and the inputs' accumulated gradients (a, b > 0.3)."""
    unary = {
        "a ** 3": lambda u: u**3,
        "a ** 0.5": lambda u: u**0.5,
        "a ** -1.5": lambda u: u**-1.5,
        "exp": lambda u: u.exp(),
        "log": lambda u: u.log(),
        "tanh": lambda u: u.tanh(),
        "sigmoid": lambda u: u.sigmoid(),
        "relu": lambda u: u.relu(),
        "a * a": lambda u: u * u,
        "2.5 * a": lambda u: 2.5 * u,
    }
    table = {"a * b": _one_node(Value, lambda u, v: u * v, (a, b), upstream, (before, before))}
    for name, op in unary.items():
        table[name] = _one_node(Value, op, (a,), upstream, (before,))
        if name in ("tanh", "sigmoid", "relu", "a ** 3"):
            table[f"{name} at -b"] = _one_node(Value, op, (-b,), upstream, (before,))
    return table


def value_backward(Value, x0: float, y0: float, chain_length: int):
    """Value.backward() and zero_grad() on the grader's graphs; the gradients they leave, plain floats."""

    def run(build, *values):
        leaves = [Value(v) for v in values]
        out = build(*leaves)
        out.backward()
        return [float(out.grad)] + [float(leaf.grad) for leaf in leaves]

    report = {
        "chain": run(lambda x: (x * 2.0 + 1.0).tanh().exp() * 3.0, x0),
        "used twice": run(lambda x, y: x * y + x.exp(), x0, y0),
        "used three times": run(lambda x, y: x * y + (x * 3.0).tanh() + x.sigmoid(), x0, y0),
        "minus and divide": run(lambda x, y: (x - y) / (x + 2.0) + 1.0 / y - 2.0 * x, x0, y0),
        # every reflected operator and the negation, with a plain number on the left (issue 26)
        "reflected": run(lambda x, y: 2.0 - x + (1.5 + y) * -x + 3.0 / y + 0.5 * (2.0 - y), x0, y0),
    }
    for first in (True, False):
        x = Value(x0)
        a = x.tanh()
        c = (a * 3.0).exp()
        out = a + c if first else c + a
        out.backward()
        report[f"shortcut {'first' if first else 'last'}"] = [float(a.grad), float(x.grad)]
    x, y = Value(x0), Value(y0)
    a = x * y
    out = (a + a.tanh() * x).exp()
    out.backward()
    once = [float(v.grad) for v in (out, a, x, y)]
    out.zero_grad()
    zeroed = [float(v.grad) for v in (out, a, x, y)]
    out.backward()
    report["zero_grad"] = {"once": once, "after zero_grad": zeroed, "again": [float(v.grad) for v in (out, a, x, y)]}
    v = start = Value(1.0)
    factor = Value(1.0 + 1.0 / chain_length)
    for _ in range(chain_length):
        v = v * factor
    try:
        v.backward()
        report["long chain"] = float(start.grad)
    except RecursionError:
        report["long chain"] = "RecursionError"
    return report


def tensor_ops(Tensor, seed: int):
    """Each Tensor operation on its own node, on arrays drawn from `seed`: values and accumulated gradients."""
    import numpy as np

    rng = np.random.default_rng(seed)
    n, d, m = 4, 3, 5
    X, W, b, col = rng.normal(size=(n, d)), rng.normal(size=(d, m)), rng.normal(size=(m,)), rng.normal(size=(n, 1))
    Z = rng.uniform(0.1, 2.0, size=(n, m)) * rng.choice([-1.0, 1.0], size=(n, m))
    cases = {
        "X @ W": (lambda p, q: p @ q, (X, W)),
        "Z + b": (lambda p, q: p + q, (Z, b)),
        "Z + col": (lambda p, q: p + q, (Z, col)),
        "col * Z": (lambda p, q: p * q, (col, Z)),
        "Z * b": (lambda p, q: p * q, (Z, b)),
        "Z * 3": (lambda p: p * 3.0, (Z,)),
        "3 * Z": (lambda p: 3.0 * p, (Z,)),  # reflected: a plain number on the left (issue 26)
        "sum()": (lambda p: p.sum(), (Z,)),
        "sum(axis=0)": (lambda p: p.sum(axis=0), (Z,)),
        "sum(axis=1)": (lambda p: p.sum(axis=1), (Z,)),
        "mean()": (lambda p: p.mean(), (Z,)),
        "mean(axis=0)": (lambda p: p.mean(axis=0), (Z,)),
        "mean(axis=1)": (lambda p: p.mean(axis=1), (Z,)),
        "relu": (lambda p: p.relu(), (Z,)),
        "tanh": (lambda p: p.tanh(), (Z,)),
    }
    table = {}
    for name, (op, arrays) in cases.items():
        before = [rng.normal(size=np.shape(a)) for a in arrays]
        table[name] = _one_node(Tensor, op, arrays, lambda shape: rng.normal(size=shape), before)  # noqa: B023
    table["reflected and subtraction"] = _through_graph(
        Tensor, lambda p, q: (2.0 - p) * q + (1.0 + p) - q + (-p), (Z, rng.normal(size=(n, m))), rng.normal(size=(n, m))
    )
    return table


def _through_graph(cls, build, values, upstream):
    """A graph of several nodes (the given composite operators: reflected ones, subtraction, negation), its gradient
    passed back in the grader's own reverse topological order, so only the nodes' local rules are judged (the
    student's topological_order is judged on its own). Returns [out.data, each leaf's grad]."""
    import numpy as np

    leaves = [cls(v) for v in values]
    out = build(*leaves)
    order, seen = [], set()
    stack = [(out, False)]
    while stack:  # iterative depth-first post-order over _prev
        node, done = stack.pop()
        if done:
            order.append(node)
        elif id(node) not in seen:
            seen.add(id(node))
            stack.append((node, True))
            stack.extend((child, False) for child in getattr(node, "_prev", ()))
    for node in order:
        node.grad = np.zeros_like(np.asarray(node.data, dtype=np.float64))
    out.grad = np.array(upstream, dtype=np.float64)
    for node in reversed(order):
        node._backward()
    return [np.asarray(out.data, dtype=np.float64)] + [np.asarray(leaf.grad, dtype=np.float64) for leaf in leaves]


def tensor_softmax_ce(Tensor, logits, y, before, upstream: float):
    """The fused softmax cross-entropy node: its loss and the logits' accumulated gradient."""
    return _one_node(Tensor, lambda t: t.softmax_cross_entropy(y), (logits,), lambda _shape: upstream, (before,))


def mlp_library(MLP, seed: int):
    """04e's nn library: MLP(3, [5, 4, 2]) with the grader's parameter values set in micrograd's order (layer by
    layer, neuron by neuron, weights then bias); its outputs, the gradients of a loss, what zero_grad leaves, and the
    gradients of a second step (zero_grad, forward, backward): parameters missing, copies, gradients piling up. And
    the parts on their own (`_nn_parts`)."""
    import random

    import numpy as np

    random.seed(seed)
    rng = np.random.default_rng(seed)
    report = {"parts": _nn_parts(MLP, rng)}
    model = MLP(3, [5, 4, 2])
    params = model.parameters()
    if not isinstance(params, list):
        raise ContractError("parameters() returned a {kind}, expected a list of Values", kind=type(params).__name__)
    report.update(count=len(params), distinct=len({id(p) for p in params}))
    expected = (3 + 1) * 5 + (5 + 1) * 4 + (4 + 1) * 2
    if report["count"] != expected:
        return report  # parameters missing (or extra): nothing more can be compared
    for p, v in zip(params, rng.normal(size=expected) * 0.7, strict=True):
        p.data = float(v)
    xs = [[float(v) for v in rng.normal(size=3)] for _ in range(4)]

    def loss():
        total = 0.0
        for x in xs:
            out = model(x)
            if not (isinstance(out, list) and len(out) == 2):
                raise ContractError("MLP(3, [5, 4, 2])(x) should return a list of 2 Values")
            total = out[0] * 1.0 + out[1] * 2.0 + out[0] * out[1] + total
        return total

    first = loss()
    report["loss"] = float(first.data)
    first.backward()
    report["grads"] = np.array([float(p.grad) for p in params])
    model.zero_grad()
    report["after zero_grad"] = np.array([float(p.grad) for p in params])
    loss().backward()
    report["second step"] = np.array([float(p.grad) for p in params])
    return report


def _nn_parts(MLP, rng) -> dict:
    """The library's parts on their own, reached as the hidden test does (through an MLP's own layer and neuron, and
    its base class): a neuron's value with and without nonlinearity, the parameters of a neuron and of a layer (the
    parts' own Values, in order) and Module's. An MLP that computes its layers itself still shows a part's slip."""
    import numpy as np

    tiny = MLP(3, [2])
    try:
        layer_cls, neuron_cls = type(tiny.layers[0]), type(tiny.layers[0].neurons[0])
    except (AttributeError, IndexError, TypeError) as err:
        raise ContractError("MLP(3, [2]) should keep its layers in .layers, a layer its neurons in .neurons") from err
    module_cls = type(tiny).__bases__[0]
    parts = {"Module().parameters()": len(module_cls().parameters())}
    w, x = rng.normal(size=3), rng.normal(size=3)
    for nonlin in (True, False):
        neuron = neuron_cls(3, nonlin=nonlin)
        for p, v in zip(neuron.w, w, strict=True):
            p.data = float(v)
        own = neuron.parameters()
        parts[f"Neuron(3, nonlin={nonlin}) parameters are its own w + [b]"] = (
            len(own) == 4 and all(p is q for p, q in zip(own, [*neuron.w, neuron.b], strict=False)))
        # w . x and -w . x: one of the two is negative, where relu gives 0
        parts[f"Neuron(3, nonlin={nonlin})(x), (-x)"] = np.array([float(neuron(list(v)).data) for v in (x, -x)])
    layer = layer_cls(3, 2, nonlin=False)
    own = layer.parameters()
    neurons = [p for n in layer.neurons for p in n.parameters()]
    parts["Layer(3, 2).parameters() count"] = len(own)
    parts["Layer(3, 2) parameters are its neurons' own"] = len(own) == len(neurons) and all(
        p is q for p, q in zip(own, neurons, strict=False))
    return parts


class _Context:
    """The grader's own context for a Function: save_for_backward(*arrays), saved_tensors; any other attribute."""

    def __init__(self):
        self.saved_tensors = ()

    def save_for_backward(self, *arrays):
        self.saved_tensors = arrays


def function_op(op, x, upstream, second_input):
    """op.forward(ctx, x), then a second forward with a context of its own (what the first saved must stay on
    its context), then op.backward(ctx, upstream): [forward value, input gradient], float64 arrays."""
    import numpy as np

    ctx = _Context()
    with np.errstate(all="ignore"):
        out = np.array(op.forward(ctx, x.copy()), dtype=np.float64)
        op.forward(_Context(), second_input.copy())
    grad = op.backward(ctx, upstream.copy())
    if isinstance(grad, tuple):
        if len(grad) != 1:
            raise ContractError("backward returned {count} gradients for one input", count=len(grad))
        grad = grad[0]
    return [out, np.array(grad, dtype=np.float64)]


def function_layernorm(op, x, gamma, beta, upstream, eps: float):
    """op.forward(ctx, x, gamma, beta) with op.eps = eps (restored after), a second node's forward on other inputs,
    then op.backward(ctx, upstream) of the first (state kept on the class shows); each
    gradient summed over the axes its input was broadcast along, as Function.apply does: [out, dx, dgamma, dbeta]."""
    import numpy as np

    saved = op.eps
    op.eps = eps
    try:
        ctx = _Context()
        out = np.array(op.forward(ctx, x.copy(), gamma.copy(), beta.copy()), dtype=np.float64)
        # a second node's forward in between, with a context of its own: what the first saved must stay on its ctx
        op.forward(_Context(), 0.5 * x[::-1] + 1.0, gamma[::-1].copy(), beta.copy())
        grads = op.backward(ctx, upstream.copy())
    finally:
        op.eps = saved
    if not (isinstance(grads, tuple | list) and len(grads) == 3):
        raise ContractError("LayerNorm.backward should return (dx, dgamma, dbeta)")
    summed = []
    for g, shape in zip(grads, (x.shape, gamma.shape, beta.shape), strict=True):
        g = np.array(g, dtype=np.float64)
        while g.ndim > len(shape):
            g = g.sum(axis=0)
        summed.append(g)
    return [out, *summed]
