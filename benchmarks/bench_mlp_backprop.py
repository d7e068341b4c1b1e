"""Time the solution's mlp_forward + mlp_backward against PyTorch CPU autograd on the same MLP.

The numpy functions are not copied here: they are loaded by executing the nbgrader cells (setup, given and
solution cells, never the tests) of solutions/04_usage/04a_backprop.ipynb, so the benchmark always measures the
notebook's code. The network is 784-256-128-10 with ReLU, float64, batch 256, the same weights in both.

Printed figures:
  * numpy time / PyTorch time for one forward + backward (target: at most 0.85);
  * the fraction of numpy's own matmul rate reached: the time the pass's matrix products take alone (same shapes,
    same numpy) over the time of the whole pass (target: at least 80%);
  * (forward + backward) / forward cost, for both.

Usage: python benchmarks/bench_mlp_backprop.py [--rounds 15]
Without torch it prints how to install it and exits with status 2.

The course machines set OPENBLAS_CORETYPE (and OPENBLAS_L2_SIZE) to pin an older OpenBLAS kernel, which slows a
current numpy's matrix products; the script says so when they are set. To measure numpy at its own best kernel,
unset both for this command alone (never in tests or CI):
    env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE .venv/bin/python benchmarks/bench_mlp_backprop.py
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

NOTEBOOK = Path(__file__).resolve().parents[1] / "solutions" / "04_usage" / "04a_backprop.ipynb"
SIZES = (784, 256, 128, 10)
BATCH = 256
TORCH_PIN = "torch==2.13.0"


def load_solution(notebook: Path = NOTEBOOK) -> dict:
    """Execute the notebook's setup, given and solution cells (not its tests) and return their namespace."""
    os.environ.setdefault("MPLBACKEND", "Agg")
    cells = json.loads(notebook.read_text(encoding="utf-8"))["cells"]
    namespace: dict = {"__name__": "bench_solution"}
    for cell in cells:
        meta = cell.get("metadata", {}).get("nbgrader", {})
        is_test = meta.get("grade") and not meta.get("solution")
        if cell["cell_type"] != "code" or "grade_id" not in meta or is_test:
            continue
        source = "".join(cell["source"]) if isinstance(cell["source"], list) else cell["source"]
        exec(compile(source, f"<{notebook.name}:{meta['grade_id']}>", "exec"), namespace)
    return namespace


def best_time(fn: Callable[[], object], repeat: int) -> float:
    """Seconds per call: the fastest of `repeat` timed calls (after one warm-up call)."""
    fn()
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - start)
    return best


def make_network(seed: int = 0) -> tuple[dict, np.ndarray, np.ndarray]:
    """He-initialised params, a batch x and an upstream gradient dscores, all float64."""
    rng = np.random.default_rng(seed)
    params = {}
    for layer, (fan_in, fan_out) in enumerate(zip(SIZES[:-1], SIZES[1:], strict=True), start=1):
        params[f"W{layer}"] = rng.normal(size=(fan_in, fan_out)) * np.sqrt(2.0 / fan_in)
        params[f"b{layer}"] = rng.normal(size=fan_out) * 0.1
    x = rng.normal(size=(BATCH, SIZES[0]))
    dscores = rng.normal(size=(BATCH, SIZES[-1])) / BATCH
    return params, x, dscores


def matmul_only(params: dict, x: np.ndarray, dscores: np.ndarray) -> Callable[[], object]:
    """The matrix products a lean forward + backward pass needs, with nothing else: the rate to compare with.

    Forward: one product per layer. Backward: dW for every layer and dx for every layer but the first.
    """
    n_layers = len(SIZES) - 1
    Ws = [params[f"W{layer}"] for layer in range(1, n_layers + 1)]
    hs = [x]
    for W in Ws[:-1]:
        hs.append(np.maximum(hs[-1] @ W, 0.0))
    douts = [dscores]
    for W in Ws[:0:-1]:
        douts.append(douts[-1] @ W.T)
    douts = douts[::-1]  # douts[l] is the gradient at layer l's output

    def run() -> None:
        for h, W in zip(hs, Ws, strict=True):
            h @ W
        for layer in range(n_layers):
            hs[layer].T @ douts[layer]
            if layer > 0:
                douts[layer] @ Ws[layer].T

    return run


def flops() -> int:
    """Floating-point operations of the products in matmul_only (2 per multiply-add)."""
    forward = sum(2 * BATCH * a * b for a, b in zip(SIZES[:-1], SIZES[1:], strict=True))
    dx = sum(2 * BATCH * a * b for a, b in zip(SIZES[1:-1], SIZES[2:], strict=True))
    return 2 * forward + dx


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=15, help="interleaved timing rounds (default 15)")
    parser.add_argument("--repeat", type=int, default=20, help="timed calls per round (default 20)")
    args = parser.parse_args(argv)

    pinned = {k: os.environ[k] for k in ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE") if k in os.environ}
    if pinned:
        print(f"note: OpenBLAS kernel pinned by {pinned}: numpy's products run slower than its best kernel; "
              "see this script's docstring to measure without the pin")
    try:
        import torch
    except ImportError:
        print(f"PyTorch is not installed. Install the CPU build with: pip install {TORCH_PIN}\n"
              "(or `pip install -e '.[frameworks]'` in this checkout), then run this script again.")
        return 2

    solution = load_solution()
    mlp_forward, mlp_backward = solution["mlp_forward"], solution["mlp_backward"]
    params, x, dscores = make_network()

    n_layers = len(SIZES) - 1
    layers: list[torch.nn.Module] = []
    for layer in range(1, n_layers + 1):
        linear = torch.nn.Linear(SIZES[layer - 1], SIZES[layer], dtype=torch.float64)
        with torch.no_grad():
            linear.weight.copy_(torch.from_numpy(params[f"W{layer}"].T))
            linear.bias.copy_(torch.from_numpy(params[f"b{layer}"]))
        layers.append(linear)
        if layer < n_layers:
            layers.append(torch.nn.ReLU())
    model = torch.nn.Sequential(*layers)
    x_t, dscores_t = torch.from_numpy(x), torch.from_numpy(dscores)

    def numpy_forward() -> None:
        mlp_forward(x, params, activation="relu")

    def numpy_pass() -> dict:
        _, caches = mlp_forward(x, params, activation="relu")
        return mlp_backward(dscores, caches)

    def torch_forward() -> None:
        model(x_t)  # grad mode on: the forward pass records the graph, as it does in training

    def torch_pass() -> None:
        for p in model.parameters():
            p.grad = None
        model(x_t).backward(dscores_t)

    # Same gradients? (a benchmark of wrong code proves nothing)
    grads = numpy_pass()
    torch_pass()
    worst = 0.0
    for layer in range(1, n_layers + 1):
        linear = layers[2 * (layer - 1)]
        pairs = ((grads[f"W{layer}"], linear.weight.grad.numpy().T), (grads[f"b{layer}"], linear.bias.grad.numpy()))
        for mine, theirs in pairs:
            worst = max(worst, float(np.max(np.abs(mine - theirs)) / max(np.max(np.abs(theirs)), 1e-300)))

    products = matmul_only(params, x, dscores)
    timers = {"numpy fwd": numpy_forward, "numpy fwd+bwd": numpy_pass, "torch fwd": torch_forward,
              "torch fwd+bwd": torch_pass, "matmuls only": products}
    best = dict.fromkeys(timers, float("inf"))
    for _ in range(args.rounds):  # interleaved, so that a noisy neighbour slows every contender alike
        for name, fn in timers.items():
            best[name] = min(best[name], best_time(fn, args.repeat))

    rate = flops() / best["matmuls only"]
    print(f"MLP {'-'.join(map(str, SIZES))}, ReLU, float64, batch {BATCH}; numpy {np.__version__}, "
          f"torch {torch.__version__} ({torch.get_num_threads()} threads); gradients agree to {worst:.1e}")
    for name, seconds in best.items():
        print(f"  {name:<14} {seconds * 1e3:8.3f} ms")
    print(f"numpy / PyTorch time (forward + backward): {best['numpy fwd+bwd'] / best['torch fwd+bwd']:.2f}x "
          "(target <= 0.85x)")
    print(f"fraction of numpy's matmul rate reached:   {best['matmuls only'] / best['numpy fwd+bwd']:.0%} "
          f"(target >= 80%; products alone run at {rate / 1e9:.1f} GFLOP/s)")
    print(f"floor of that ratio here (numpy's products alone / PyTorch's whole pass): "
          f"{best['matmuls only'] / best['torch fwd+bwd']:.2f}x")
    print(f"(forward + backward) / forward:            numpy {best['numpy fwd+bwd'] / best['numpy fwd']:.2f}, "
          f"PyTorch {best['torch fwd+bwd'] / best['torch fwd']:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
