"""Do two versions of the explorers draw the same pixels? Dump each explorer's picture after a fixed sequence of
control moves, then compare two dumps (say, before and after a change to the widgets' update path).

    .venv/bin/python benchmarks/widget_pixels.py dump new.npz
    PYTHONPATH=/path/to/old/tree .venv/bin/python benchmarks/widget_pixels.py dump old.npz   # an older bp_helpers
    .venv/bin/python benchmarks/widget_pixels.py compare old.npz new.npz

The sequence: every menu entry and both checkbox states in turn, two points of every slider, and after each menu
move one slider move (so every entry is drawn both on arrival and after a slider). Set BPCOURSE_LANG=ko for the
Korean edition. Prints, per explorer, the largest number of pixels that differ in one frame and by how much.
"""

from __future__ import annotations

import argparse
import io
import sys

import matplotlib
import numpy as np

matplotlib.use("Agg")

from PIL import Image  # noqa: E402

SIMPLE = ["signal flow", "neuron", "loss", "gradient descent", "computational graph", "gradient flow",
          "recurrent gradients", "training dashboard"]


def sequence(controls: dict) -> list[tuple[str, object]]:
    """The moves: (control name, value), in order."""
    moves: list[tuple[str, object]] = []
    sliders = [(n, c) for n, c in controls.items() if not getattr(c, "options", None) and
               not isinstance(c.value, bool) and n != "speed"]
    for name, c in controls.items():
        if name == "speed":
            continue
        if getattr(c, "options", None):
            options = [o[1] if isinstance(o, tuple) else o for o in c.options]
            values = options[1:] + options[:1]
        elif isinstance(c.value, bool):
            values = [not c.value, c.value]
        else:
            values = [c.min + (c.max - c.min) * f for f in (0.3, 0.8)]
            values = [int(round(v)) if isinstance(c.value, int) else v for v in values]
        for value in values:
            moves.append((name, value))
            other = next((s for s in sliders if s[0] != name), None)
            if getattr(c, "options", None) and other is not None:
                o = other[1]
                moves.append((other[0], int(o.min + 0.6 * (o.max - o.min)) if isinstance(o.value, int)
                              else o.min + 0.6 * (o.max - o.min)))
    return moves


def frames(explorer) -> np.ndarray:
    """The explorer's pictures (RGB) at its start and after each move, shape (moves + 1, height, width, 3)."""
    def grab() -> np.ndarray:
        return np.asarray(Image.open(io.BytesIO(explorer.image.value)).convert("RGB"))

    shots = [grab()]
    for name, value in sequence(explorer.controls):
        explorer.controls[name].value = value
        shots.append(grab())
    return np.stack(shots)


def dump(path: str) -> None:
    import bp_helpers
    from grader.student.explore import build

    print(f"bp_helpers from {bp_helpers.__file__}", file=sys.stderr)
    np.savez_compressed(path, **{name: frames(build(name)) for name in SIMPLE})


def compare(old: str, new: str) -> bool:
    a, b = np.load(old), np.load(new)
    same = True
    for name in a.files:
        x, y = a[name], b[name]
        if x.shape != y.shape:
            print(f"{name:<22} frames or size differ: {x.shape} against {y.shape}")
            same = False
            continue
        diff = np.abs(x.astype(int) - y.astype(int))
        pixels = int((diff.sum(axis=-1) > 0).sum(axis=(1, 2)).max())
        print(f"{name:<22} {len(x):3d} frames; at most {pixels} pixels differ in a frame, by at most "
              f"{int(diff.max())}/255")
        same &= pixels == 0
    return same


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("dump").add_argument("out")
    both = sub.add_parser("compare")
    both.add_argument("old")
    both.add_argument("new")
    args = parser.parse_args()
    if args.command == "dump":
        dump(args.out)
    else:
        print("identical" if compare(args.old, args.new) else "NOT IDENTICAL")


if __name__ == "__main__":
    main()
