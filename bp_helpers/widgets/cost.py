"""Explorer 7 (05_comparison): the measured cost of a gradient against the number of parameters.

Each method maps a problem of a given size to the gradient of one scalar function (the notebook wires YOUR
finite differences, forward mode and backprop to the same function). Slide the size: the explorer times every
method at each size up to it (median of repeats, cached), draws time against the parameter count P on log-log
axes, and checks that the gradients agree. Finite differences and forward mode need about n evaluations of f,
backprop (reverse mode) about one forward and one backward pass, whatever n is.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping

import ipywidgets as widgets
import numpy as np

from bp_helpers.fonts import KOREAN_FAMILY
from bp_helpers.i18n import _, label
from bp_helpers.widgets._base import Explorer, Frame, Unfinished, View, from_namespace, is_namespace

SIZES = (1, 2, 4, 8, 16, 32, 64, 128)
SLOW_SECONDS = 0.5  # a method that took longer than this at one size is not timed at larger sizes
COLORS = ("tab:red", "tab:purple", "tab:blue", "tab:green", "tab:orange")


def time_call(fn: Callable[[], object], min_total: float = 0.02, max_repeats: int = 25) -> float:
    """Median seconds per call of fn(), repeated until min_total seconds or max_repeats calls (once if slow)."""
    times: list[float] = []
    total = 0.0
    while len(times) < 3 or (total < min_total and len(times) < max_repeats):
        start = time.perf_counter()
        fn()
        elapsed = time.perf_counter() - start
        times.append(elapsed)
        total += elapsed
        if elapsed > 0.2:
            break
    return float(np.median(times))


def random_vector(size: int, seed: int = 0) -> np.ndarray:
    """The default problem: a seeded float64 vector of `size` parameters in [-1, 1]."""
    return np.random.default_rng(seed + size).uniform(-1.0, 1.0, size)


class CostView(View):
    """`render(size)` -> Frame with every method's measured time at each size up to `size`, and their agreement."""

    def __init__(self, methods: Mapping[str, Callable], make_problem: Callable | None = None, sizes=SIZES,
                 reference: str | None = None):
        super().__init__(7.8, 3.4)
        if not methods:
            raise ValueError("give at least one method: {name: function mapping a problem to its gradient}")
        self.methods = dict(methods)
        self.sizes = tuple(sizes)
        self.make_problem = make_problem or random_vector
        self.reference = reference or list(self.methods)[-1]
        if self.reference not in self.methods:
            raise ValueError(f"reference {self.reference!r} is not one of the methods {list(self.methods)}")
        self.problems = {size: self.make_problem(size) for size in self.sizes}
        self.times: dict[tuple[str, int], float] = {}
        self.grads: dict[tuple[str, int], np.ndarray] = {}
        # the parameter count of each size: the length of the reference gradient (also warms the reference up)
        self.counts = {size: self._gradient(self.reference, size).size for size in self.sizes}
        self.ax = self.fig.add_axes((0.1, 0.15, 0.52, 0.72))
        self.ax.set_xscale("log")
        self.ax.set_yscale("log")
        lo, hi = min(self.counts.values()), max(self.counts.values())
        self.ax.set_xlim(lo * 0.8, hi * 1.25)
        self.ax.set_ylim(1e-6, 10.0)
        self.ax.set_xlabel("number of parameters P (매개변수 수)")
        self.ax.set_ylabel("seconds per gradient (초)")
        self.ax.grid(True, which="major", color="0.9")
        self.lines = {}
        for i, name in enumerate(self.methods):
            (line,) = self.ax.plot([], [], "o-", color=COLORS[i % len(COLORS)], ms=4, label=name)
            self.lines[name] = line
        self.ax.legend(loc="upper left", fontsize=8, frameon=False)
        (self.marker,) = self.ax.plot([], [], color="0.5", lw=1, ls="--")
        # monospace for the columns, with NanumGothic for the Hangul of a Korean method name (DejaVu Sans Mono has none)
        self.table = self.fig.text(0.65, 0.85, "", va="top", fontsize=9, family=["DejaVu Sans Mono", KOREAN_FAMILY])
        self.title = self.ax.set_title("", fontsize=10)
        self.set_dynamic(list(self.lines.values()) + [self.marker, self.table, self.title])

    def _gradient(self, name: str, size: int) -> np.ndarray:
        key = (name, size)
        if key not in self.grads:
            self.grads[key] = np.asarray(self.methods[name](self.problems[size]), dtype=np.float64).reshape(-1)
        return self.grads[key]

    def measure(self, name: str, size: int) -> float | None:
        key = (name, size)
        if key not in self.times:
            smaller = [m for m in self.sizes if m < size and (name, m) in self.times]
            if smaller and self.times[(name, smaller[-1])] > SLOW_SECONDS:
                return None  # too slow at a smaller size already: skip
            self._gradient(name, size)
            fn, problem = self.methods[name], self.problems[size]
            self.times[key] = time_call(lambda: fn(problem))
        return self.times[key]

    def render(self, size: int = 16) -> Frame:
        if size not in self.sizes:
            raise ValueError(f"size must be one of {self.sizes}, got {size}")
        upto = [m for m in self.sizes if m <= size]
        count = self.counts[size]
        numbers: dict = {"size": size, "P": count}
        for name, line in self.lines.items():
            measured = [(self.counts[m], self.measure(name, m)) for m in upto]
            pts = [(p, t) for p, t in measured if t is not None]
            line.set_data([p for p, _ in pts], [t for _, t in pts])
            numbers[f"{name} seconds"] = self.times.get((name, size), float("nan"))
        ref = self.grads.get((self.reference, size))
        rows = [_("P = {count} parameters", count=count), ""]
        ref_t = self.times.get((self.reference, size))
        for name in self.methods:
            t = self.times.get((name, size))
            grad = self.grads.get((name, size))
            diff = float(np.max(np.abs(grad - ref))) if grad is not None and t is not None else float("nan")
            numbers[f"{name} max difference"] = diff
            # the name on a line of its own: a Korean name is wider than the table's monospace columns
            rows.append(label(name) or name)
            rows.append(f"    {t * 1e3:8.3f} ms" if t is not None else "    " + _("too slow"))
            if name != self.reference and t is not None and ref_t is not None:
                numbers[f"{name} / {self.reference}"] = t / ref_t
                rows.append("    " + _("x{ratio:,.0f} time, diff {diff:.1e}", ratio=t / ref_t, diff=diff))
        self.table.set_text("\n".join(rows))
        self.marker.set_data([count, count], [1e-6, 10.0])
        self.title.set_text(_("measured cost of one gradient, up to P = {count}", count=count))
        return Frame(self.fig, numbers, self)


# What 05_comparison's explorer runs: the student's two gradient methods and the notebook's MLP problem.
MLP_FUNCTIONS = ["finite_difference_gradient", "forward_mode_gradient", "backprop_gradient", "mlp_loss_flat",
                 "make_problem"]


def mlp_methods(functions: Mapping[str, Callable]) -> dict:
    """The explorer's arguments for 05_comparison's MLP problem, from functions named as in MLP_FUNCTIONS.

    A problem is `make_problem(hidden_width)` = (theta, x, y, shapes); each method returns the gradient at theta.
    """
    fd, fm, bp, loss = (functions["finite_difference_gradient"], functions["forward_mode_gradient"],
                        functions["backprop_gradient"], functions["mlp_loss_flat"])
    methods = {
        "finite differences": lambda p: fd(lambda th: loss(th, *p[1:]), p[0]),
        "forward mode (Dual)": lambda p: fm(lambda th: loss(th, *p[1:]), p[0]),
        "backprop": lambda p: bp(*p),
    }
    return {"methods": methods, "make_problem": functions["make_problem"], "sizes": (1, 2, 4, 8, 16, 32, 64),
            "size_label": "hidden width", "start": 8}


def cost_comparison_explorer(methods: Mapping[str, Callable], make_problem: Callable | None = None, sizes=SIZES,
                             size_label: str = "parameters", reference: str | None = None,
                             start: int | None = None) -> Explorer | Unfinished:
    """A parameter-count slider; the measured time of each gradient method (e.g. finite differences, forward mode
    and backprop), all computing the gradient of the same scalar function.

    Args:
        methods: {name: gradient function}; each maps a problem (what `make_problem(size)` returns) to the
            gradient, an array of P parameters. The last one is the reference the others are compared with.
        make_problem: size -> problem (default: a seeded vector of `size` parameters, so each method maps x (n,)
            to the gradient at x).
        sizes: the values the slider offers (parameter counts, or e.g. hidden widths).
        size_label: the slider's label.
        reference: the method the others are compared with (default: the last one).
        start: the slider's first value (default: the middle size).
        Or, in place of all these, the notebook's `globals()`: 05_comparison's functions (MLP_FUNCTIONS) on its
        MLP problem.
    Returns:
        an ipywidgets container; while `globals()` lacks one of those functions, a note saying which to write first.
    """
    if is_namespace(methods):
        found = from_namespace(methods, MLP_FUNCTIONS)
        if isinstance(found, Unfinished):
            return found
        return cost_comparison_explorer(**mlp_methods(found))
    view = CostView(methods, make_problem, sizes, reference=reference)
    first = start if start in view.sizes else view.sizes[len(view.sizes) // 2]
    controls = {
        "size": widgets.SelectionSlider(options=list(view.sizes), value=first, description=size_label,
                                        continuous_update=False, style={"description_width": "initial"},
                                        layout=widgets.Layout(width="380px")),
    }
    keys = ["P"] + [f"{name} seconds" for name in view.methods]
    return Explorer(view, controls, lambda: {"size": controls["size"].value},
                    title="Cost of a gradient: finite differences, forward mode, backprop (역전파)", number_keys=keys)
