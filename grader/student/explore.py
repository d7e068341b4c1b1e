"""`bpcourse explore`: the explorers without code, for self-learners.

Voila is not part of the course's environment, so the widgets-only view is a notebook of widgets alone: each
code cell is one collapsed line (`from grader.student.explore import show; show("...")`); the notebook is written into
the student's folder (never over an existing file) and opened in JupyterLab; Run > Run All Cells brings every
explorer up.

Explorers 1-4 draw fixed demo functions; the others run forward and backward passes, which come from the instructor
notebooks in `solutions/` (`grader.course.reference`): in a checkout without them, those cells say so.
"""

from __future__ import annotations

import argparse
import html
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from grader.errors import CourseError

if TYPE_CHECKING:
    import nbformat

NOTEBOOK_NAME = "explore.ipynb"

# name -> (which step it belongs to, one sentence for the heading)
EXPLORERS: dict[str, tuple[str, str]] = {
    "signal flow": ("01_term", "Slide the input of a chain: values flow forward, local derivatives multiply backward."),
    "neuron": ("02_definition", "Weights, bias and activation of one neuron, over the input line and plane."),
    "loss": ("02_definition", "A prediction against MSE and cross-entropy; the gradient is the tangent's slope."),
    "gradient descent": ("03_purpose", "Learning rate, start and steps on 1-D and 2-D surfaces; too large diverges."),
    "computational graph": ("04_usage", "Step a small network forward then backward; compare ΔL with the gradient."),
    "training dashboard": ("04_usage", "Train a network on toy data and watch the boundary and the losses move."),
    "cost comparison": ("05_comparison", "Measured cost of finite differences, forward mode and backprop against P."),
    "gradient flow": ("04_usage", "Depth, activation and initial scale: the gradient norm of every layer, plain and "
                      "with residual connections."),
    "recurrent gradients": ("04_usage", "The spectral norm of an RNN's recurrent weight, the sequence length and the "
                            "input scale: vanishing and exploding gradients through time."),
}


def functions_for(assignment: str, names: list[str]) -> dict[str, Callable]:
    """The named reference functions, from the solution notebooks of `assignment` in order (first found wins)."""
    from grader.course.paths import SOLUTIONS_DIRNAME, solutions_dir
    from grader.course.reference import load_solution_functions

    folder = solutions_dir() / assignment
    found: dict[str, Callable] = {}
    errors = []
    for path in sorted(folder.glob("*.ipynb")):
        if all(name in found for name in names):
            break
        try:
            functions = load_solution_functions(f"{assignment}/{path.name}")
        except CourseError as err:
            errors.append(str(err))
            continue
        for name in names:
            function = functions.get(name)
            if name not in found and callable(function):
                found[name] = function
    missing = [name for name in names if name not in found]
    if missing:
        detail = f" ({'; '.join(errors)})" if errors else ""
        raise CourseError(
            f"this explorer runs {', '.join(missing)} from {SOLUTIONS_DIRNAME}/{assignment}/, which this checkout "
            f"does not have{detail}: open the explorer from your own notebook instead, passing your functions."
        )
    return found


def build(name: str):
    """The explorer called `name` (see EXPLORERS), wired to the reference implementations where it needs them."""
    from bp_helpers import widgets as w

    if name == "signal flow":
        return w.signal_flow_explorer()
    if name == "neuron":
        return w.neuron_explorer()
    if name == "loss":
        return w.loss_explorer()
    if name == "gradient descent":
        return w.gradient_descent_explorer()
    if name == "computational graph":
        return w.computational_graph_explorer(functions_for("04_usage", [
            "dense_forward", "dense_backward", "tanh_forward", "tanh_backward", "mse_forward", "mse_backward"]))
    if name == "training dashboard":
        from bp_helpers.widgets.training import NEEDED

        return w.training_dashboard(functions_for("04_usage", NEEDED))
    if name == "gradient flow":
        return w.gradient_flow_explorer(functions_for("04_usage", ["layer_gradient_norms"])["layer_gradient_norms"])
    if name == "recurrent gradients":
        from bp_helpers.widgets.recurrence import recurrent_gradient_explorer

        measure = functions_for("04_usage", ["hidden_gradient_norms"])["hidden_gradient_norms"]
        return recurrent_gradient_explorer(measure)
    if name == "cost comparison":
        from bp_helpers.widgets.cost import MLP_FUNCTIONS, mlp_methods

        return w.cost_comparison_explorer(**mlp_methods(functions_for("05_comparison", MLP_FUNCTIONS)))
    raise CourseError(f"no explorer called {name!r}: choose one of {', '.join(EXPLORERS)}")


def show(name: str):
    """`build(name)`, or a short note in place of the widget when it cannot be built here."""
    try:
        return build(name)
    except CourseError as err:
        import ipywidgets

        return ipywidgets.HTML(f"<p style='color:#a40'>{html.escape(str(err))}</p>")


def explore_notebook() -> nbformat.NotebookNode:
    """The widgets-only notebook: a heading per explorer and a one-line cell with its input collapsed."""
    import nbformat  # here, not at the top: `bpcourse --help` imports this module and must stay quick

    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nb.cells.append(nbformat.v4.new_markdown_cell(
        "# Backpropagation explorers (역전파 탐색기)\n\n"
        "Run every cell (**Run > Run All Cells**), then move the controls. Each explorer belongs to one step of the "
        "course; the notebooks themselves (`bpcourse start`) explain what you see and let you write the code."))
    for i, (name, (step, blurb)) in enumerate(EXPLORERS.items(), start=1):
        nb.cells.append(nbformat.v4.new_markdown_cell(f"## {i}. {name.capitalize()} ({step})\n\n{blurb}"))
        # one line, as a collapsed input still shows its first line
        cell = nbformat.v4.new_code_cell(f"from grader.student.explore import show; show({name!r})")
        cell.metadata["jupyter"] = {"source_hidden": True}
        cell.metadata["tags"] = ["hide-input"]
        nb.cells.append(cell)
    for index, cell in enumerate(nb.cells):
        cell["id"] = f"explore-{index:02d}"  # stable ids: the same course writes the same file
    return nb


def write_explore_notebook(dest: Path) -> tuple[Path, str]:
    """Write explore.ipynb into `dest`, never over an existing file.

    Returns:
        (the notebook to open, what happened: "added", "up to date" or "kept yours; the new version is beside it").
    """
    if dest.exists() and not dest.is_dir():
        raise CourseError(f"{dest} is a file: name a folder for the explorers (or omit it).")
    import nbformat

    dest.mkdir(parents=True, exist_ok=True)
    text = nbformat.writes(explore_notebook())
    target = dest / NOTEBOOK_NAME
    if not target.exists():
        target.write_text(text, encoding="utf-8")
        return target, "added"
    if target.read_text(encoding="utf-8") == text:
        return target, "up to date"
    import hashlib

    beside = target.with_name(f"explore.course-update-{hashlib.sha256(text.encode()).hexdigest()[:8]}.ipynb")
    if not beside.exists():
        beside.write_text(text, encoding="utf-8")
    return beside, f"kept your {NOTEBOOK_NAME}; the new version is {beside.name}"


def _cmd_explore(args: argparse.Namespace) -> int:
    from grader.student.lab import open_lab

    dest = Path(args.dir).resolve()
    path, what = write_explore_notebook(dest)
    print(f"explorers: {path} ({what})")
    if args.no_lab:
        return 0
    print("opening JupyterLab on the explorers (Run > Run All Cells; stop it with Ctrl+C) ...")
    return open_lab(dest, open_path=path.name, no_browser=args.no_browser)


def add_explore_parser(subparsers) -> argparse.ArgumentParser:
    """Add `bpcourse explore` to the CLI's subparsers (grader/cli.py's build_parser calls this)."""
    from grader.cli import DEFAULT_STUDENT_DIR

    p = subparsers.add_parser(
        "explore",
        help="open the interactive explorers alone, without code",
        description="Write explore.ipynb, a notebook of the explorers without code, into DIR (an existing "
        "file is never overwritten: a newer version arrives beside it) and open it in JupyterLab.",
    )
    p.add_argument("dir", nargs="?", default=DEFAULT_STUDENT_DIR,
                   help=f"the folder for explore.ipynb (default: ./{DEFAULT_STUDENT_DIR})")
    p.add_argument("--no-lab", action="store_true", help="write the notebook only; do not open JupyterLab")
    p.add_argument("--no-browser", action="store_true", help="start JupyterLab without opening a browser")
    p.set_defaults(func=_cmd_explore)
    return p
