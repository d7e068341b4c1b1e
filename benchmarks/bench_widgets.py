"""Time each explorer from a value change to a new figure, and the training dashboard's redraws per second.

    .venv/bin/python benchmarks/bench_widgets.py [--rounds 30]

For explorers 1-5 every control is moved in turn through a few values; each move is timed from setting the
value to the new PNG being in the image widget (the observers run synchronously, so that is the assignment).
Targets: median <= 50 ms for explorers 1-5; the dashboard redraws >= 5 times a second while it trains.
The explorers that run forward and backward passes take them from solutions/ (grader.course.reference).
"""

from __future__ import annotations

import argparse
import itertools
import statistics
import time

import matplotlib

matplotlib.use("Agg")

from bp_helpers import widgets  # noqa: E402
from grader.errors import CourseError  # noqa: E402
from grader.student.explore import functions_for  # noqa: E402

GRAPH_NAMES = ["dense_forward", "dense_backward", "tanh_forward", "tanh_backward", "mse_forward", "mse_backward"]


def values_for(control):
    """A few values to cycle through for one control."""
    if hasattr(control, "options") and control.options:
        options = [o[1] if isinstance(o, tuple) else o for o in control.options]
        return options[:4]
    lo, hi = control.min, control.max
    if type(control).__name__ == "FloatLogSlider":
        lo, hi = control.base ** control.min, control.base ** control.max
    span = hi - lo
    values = [lo + span * f for f in (0.2, 0.45, 0.7, 0.35, 0.6)]
    return [int(round(v)) for v in values] if isinstance(control.value, int) else values


def time_moves(explorer, rounds: int, skip: tuple[str, ...] = ()) -> tuple[list[float], dict[str, float]]:
    """Seconds per move over `rounds` moves of each control (a move that does not change the value is skipped)."""
    everything, per_control = [], {}
    for name, control in explorer.controls.items():
        if name in skip:
            continue
        times = []
        for value in itertools.islice(itertools.cycle(values_for(control)), rounds):
            if control.value == value:
                continue
            start = time.perf_counter()
            control.value = value
            times.append(time.perf_counter() - start)
        per_control[name] = statistics.median(times) if times else float("nan")
        everything += times
    return everything, per_control


def report(label: str, times: list[float], per_control: dict[str, float], target_ms: float | None) -> bool:
    med = statistics.median(times) * 1e3
    p90 = sorted(times)[int(0.9 * (len(times) - 1))] * 1e3
    ok = target_ms is None or med <= target_ms
    verdict = "" if target_ms is None else ("  ok" if ok else f"  OVER {target_ms:g} ms")
    controls = ", ".join(f"{k} {v * 1e3:.0f}" for k, v in per_control.items())
    print(f"{label:<24} median {med:6.1f} ms  p90 {p90:6.1f} ms  n={len(times):3d}{verdict}   [{controls}]")
    return ok


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=30, help="moves per control (default 30)")
    args = parser.parse_args()
    ok = True
    print("explorer                 value change -> new figure (median, 90th percentile; per control, ms)")
    simple = [
        ("1 signal flow", widgets.signal_flow_explorer, ()),
        ("2 neuron", widgets.neuron_explorer, ()),
        ("3 loss", widgets.loss_explorer, ()),
        ("4 gradient descent", widgets.gradient_descent_explorer, ()),
    ]
    for label, make, skip in simple:
        explorer = make()
        ok &= report(label, *time_moves(explorer, args.rounds, skip), target_ms=50)
    try:
        graph = widgets.computational_graph_explorer(functions_for("04_usage", GRAPH_NAMES))
        ok &= report("5 computational graph", *time_moves(graph, args.rounds), target_ms=50)
    except CourseError as err:
        print(f"5 computational graph    skipped: {err}")

    try:
        from bp_helpers.widgets.training import NEEDED

        dash = widgets.training_dashboard(functions_for("04_usage", NEEDED))
        dash.controls["dataset"].value = "spirals (3 classes)"
        dash.controls["layers"].value = 2
        dash.controls["hidden"].value = 64
        dash.controls["epochs"].value = 3000
        dash.controls["speed"].value = 0  # full speed: the redraws compete with training for the CPU
        renders = dash.renders
        start = time.perf_counter()
        dash.start()
        while dash.training and time.perf_counter() - start < 4.0:
            time.sleep(0.01)
        dash.stop()
        dash.join()
        elapsed = time.perf_counter() - start  # the time it trained (stopped after 4 s at most)
        during = dash.render_times[renders:]
        rate = (dash.renders - renders) / elapsed
        epochs_rate = dash.run.epoch / elapsed
        good = rate >= 5
        ok &= good
        print(f"{'6 training dashboard':<24} {rate:5.1f} redraws/s while training ({epochs_rate:.0f} epochs/s, "
              f"redraw median {statistics.median(during) * 1e3:.1f} ms){'  ok' if good else '  UNDER 5/s'}")
    except CourseError as err:
        print(f"6 training dashboard     skipped: {err}")

    try:
        from bp_helpers.widgets.cost import MLP_FUNCTIONS, mlp_methods

        cost = widgets.cost_comparison_explorer(**mlp_methods(functions_for("05_comparison", MLP_FUNCTIONS)))
        for size in cost.view.sizes:  # measure once (that is the explorer's work), then time the redraws
            cost.controls["size"].value = size
        report("7 cost comparison", *time_moves(cost, min(args.rounds, 10)), target_ms=None)
        print(f"{'':<24} (after measuring every size once; the first visit of a size measures, seconds)")
    except CourseError as err:
        print(f"7 cost comparison        skipped: {err}")
    print("all targets met" if ok else "SOME TARGETS MISSED")


if __name__ == "__main__":
    main()
