"""Time every control of every explorer, from a value change (or a click) to the new figure being in the widget.

    nice .venv/bin/python benchmarks/bench_widgets.py [--rounds 30] [--repeats 3]

Each explorer is built afresh (`--repeats` times), then every control is moved in turn through its values (a
menu through all its entries, a slider through five points, a button clicked over and over); each move is timed
from setting the value to the new PNG being in the image widget (the observers run synchronously, so that is the
assignment, or the click). A menu entry's first visit on an explorer is also reported on its own ("first"):
views keep what a menu entry draws, so a second visit may be quicker than the first.

Prints p50 and p90 per control (ms), the worst control, and the load average beside the figures (the machine
is shared: run it under `nice` and read the figures with the load). Target: p90 <= 50 ms for every control,
menus included; the training dashboard redraws >= 5 times a second while it trains. The cost comparison's
first visit of a size measures the methods (seconds, by design); its later visits are timed.
The explorers that run forward and backward passes take them from solutions/ (grader.course.reference).
"""

from __future__ import annotations

import argparse
import itertools
import os
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import matplotlib

matplotlib.use("Agg")

from bp_helpers import widgets  # noqa: E402
from bp_helpers.widgets.recurrence import recurrent_gradient_explorer  # noqa: E402
from grader.errors import CourseError  # noqa: E402
from grader.student.explore import functions_for  # noqa: E402

TARGET_MS = 50.0
GRAPH_NAMES = ["dense_forward", "dense_backward", "tanh_forward", "tanh_backward", "mse_forward", "mse_backward"]


@dataclass
class ControlTimes:
    """Seconds per move of one control, over every repeat: `moves` all of them, `first` a menu entry's first visit."""

    explorer: str
    control: str
    moves: list[float] = field(default_factory=list)
    first: list[float] = field(default_factory=list)

    @property
    def p50(self) -> float:
        return statistics.median(self.moves) * 1e3

    @property
    def p90(self) -> float:
        return percentile(self.moves, 0.9) * 1e3


def percentile(times: list[float], q: float) -> float:
    """The q-quantile of `times` (nearest rank below, as the issue's figures were taken)."""
    ordered = sorted(times)
    return ordered[int(q * (len(ordered) - 1))]


def load() -> str:
    one, five, _ = os.getloadavg()
    return f"load {one:.2f} (1 min) {five:.2f} (5 min)"


def is_menu(control) -> bool:
    return bool(getattr(control, "options", None))


def values_for(control) -> list:
    """What to move a control through: every entry of a menu, both states of a checkbox, five slider points."""
    if is_menu(control):
        return [o[1] if isinstance(o, tuple) else o for o in control.options]
    if isinstance(control.value, bool):
        return [not control.value, control.value]
    lo, hi = control.min, control.max
    if type(control).__name__ == "FloatLogSlider":
        lo, hi = control.base ** control.min, control.base ** control.max
    span = hi - lo
    values = [lo + span * f for f in (0.2, 0.45, 0.7, 0.35, 0.6)]
    return [int(round(v)) for v in values] if isinstance(control.value, int) else values


def time_controls(explorer, label: str, rounds: int, results: dict, skip: tuple[str, ...] = ()) -> None:
    """Move each control of `explorer` `rounds` times (a move that does not change the value is skipped)."""
    for name, control in explorer.controls.items():
        if name in skip:
            continue
        entry = results.setdefault((label, name), ControlTimes(label, name))
        seen = {control.value}
        for value in itertools.islice(itertools.cycle(values_for(control)), rounds):
            if control.value == value:
                continue
            start = time.perf_counter()
            control.value = value
            took = time.perf_counter() - start
            entry.moves.append(took)
            if is_menu(control) and value not in seen:
                entry.first.append(took)
                seen.add(value)


def time_buttons(explorer, label: str, rounds: int, results: dict, stage) -> None:
    """Click each step button `rounds` times (a click that does not move the stage is skipped)."""
    buttons = explorer.buttons
    order = [("step", buttons["step"])] * 3 + [("back", buttons["back"])] * 2 + [("reset", buttons["reset"])]
    for name, button in itertools.islice(itertools.cycle(order), rounds * 3):
        before = stage.value
        start = time.perf_counter()
        button.click()
        took = time.perf_counter() - start
        if stage.value != before:
            results.setdefault((label, f"{name} button"), ControlTimes(label, f"{name} button")).moves.append(took)


def simple(label: str, make: Callable, rounds: int, repeats: int, results: dict) -> None:
    for _ in range(repeats):
        explorer = make()
        time_controls(explorer, label, rounds, results)
        if hasattr(explorer, "buttons"):
            time_buttons(explorer, label, rounds, results, explorer.controls.get("stage") or
                         explorer.controls["step"])


def value_graph():
    """Explorer 5 on the course's own Value engine (04e): a small expression."""
    found = functions_for("04_usage", ["Value", "topological_order"])
    value = found["Value"]
    a, b, c = value(2.0), value(-3.0), value(10.0)
    return widgets.value_graph_explorer(lambda: (a * b + c) * a, found["topological_order"])


def dashboard(rounds: int, repeats: int, results: dict) -> bool:
    """Each setting of the training dashboard (a new, untrained network drawn), then its redraws while training."""
    from bp_helpers.widgets.training import NEEDED

    functions = functions_for("04_usage", NEEDED)
    for _ in range(repeats):
        time_controls(widgets.training_dashboard(functions), "6 training dashboard", max(rounds // 3, 5), results)
    dash = widgets.training_dashboard(functions)
    dash.controls["dataset"].value = "spirals (3 classes)"
    dash.controls["layers"].value = 2
    dash.controls["hidden"].value = 64
    dash.controls["epochs"].value = 3000
    dash.controls["speed"].value = 0  # full speed: the redraws compete with training for the CPU
    renders = dash.renders
    start = time.perf_counter()
    dash.train_button.click()
    while dash.training and time.perf_counter() - start < 4.0:
        time.sleep(0.01)
    stop = time.perf_counter()
    dash.stop_button.click()
    dash.join()
    stopped = time.perf_counter() - stop  # from Stop to the training thread gone
    elapsed = stop - start
    rate = (dash.renders - renders) / elapsed
    during = dash.render_times[renders:]
    verdict = "ok" if rate >= 5 else "UNDER 5/s"
    print(f"  6 training dashboard: {rate:.1f} redraws/s while training ({dash.run.epoch / elapsed:.0f} epochs/s, "
          f"redraw p50 {statistics.median(during) * 1e3:.1f} ms), Stop to stopped {stopped * 1e3:.0f} ms  {verdict}")
    return rate >= 5


def cost(rounds: int, results: dict) -> None:
    from bp_helpers.widgets.cost import MLP_FUNCTIONS, mlp_methods

    explorer = widgets.cost_comparison_explorer(**mlp_methods(functions_for("05_comparison", MLP_FUNCTIONS)))
    for size in explorer.view.sizes:  # measure once (that is the explorer's work), then time the redraws
        explorer.controls["size"].value = size
    time_controls(explorer, "7 cost comparison", min(rounds, 10), results)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=30, help="moves per control and explorer (default 30)")
    parser.add_argument("--repeats", type=int, default=3, help="fresh explorers per control (default 3)")
    args = parser.parse_args()
    print(f"start: {load()}")
    results: dict[tuple[str, str], ControlTimes] = {}
    explorers: list[tuple[str, Callable]] = [
        ("1 signal flow", widgets.signal_flow_explorer),
        ("2 neuron", widgets.neuron_explorer),
        ("3 loss", widgets.loss_explorer),
        ("4 gradient descent", widgets.gradient_descent_explorer),
        ("5 computational graph", lambda: widgets.computational_graph_explorer(functions_for("04_usage",
                                                                                             GRAPH_NAMES))),
        ("5e value graph", value_graph),
        ("8 gradient flow", lambda: widgets.gradient_flow_explorer(
            functions_for("04_usage", ["layer_gradient_norms"])["layer_gradient_norms"])),
        ("9 recurrent gradients", lambda: recurrent_gradient_explorer(
            functions_for("04_usage", ["hidden_gradient_norms"])["hidden_gradient_norms"])),
    ]
    ok = True
    for label, make in explorers:
        try:
            simple(label, make, args.rounds, args.repeats, results)
        except CourseError as err:
            print(f"  {label}: skipped: {err}")
    try:
        ok &= dashboard(args.rounds, args.repeats, results)
    except CourseError as err:
        print(f"  6 training dashboard: skipped: {err}")
    try:
        cost(args.rounds, results)
    except CourseError as err:
        print(f"  7 cost comparison: skipped: {err}")

    print(f"\n{'explorer':<24}{'control':<20}{'n':>5}{'p50 ms':>9}{'p90 ms':>9}   first visits of menu entries")
    for entry in results.values():
        first = (f"   n={len(entry.first)} p50 {statistics.median(entry.first) * 1e3:.1f} max "
                 f"{max(entry.first) * 1e3:.1f}") if entry.first else ""
        over = "  OVER" if entry.p90 > TARGET_MS else ""
        print(f"{entry.explorer:<24}{entry.control:<20}{len(entry.moves):>5}{entry.p50:>9.1f}{entry.p90:>9.1f}"
              f"{over}{first}")
    worst = max(results.values(), key=lambda e: e.p90)
    ok &= worst.p90 <= TARGET_MS
    print(f"\nworst p90: {worst.p90:.1f} ms ({worst.explorer}, {worst.control}); end: {load()}")
    print("all targets met" if ok else "SOME TARGETS MISSED")


if __name__ == "__main__":
    main()
