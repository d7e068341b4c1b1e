"""A synthetic class built from the solution and release notebooks, and `bpcourse grade --demo`.

Each student is a recipe applied to an assignment's release notebook (what students get): right answers (the
solution cells, markers removed), partly right, wrong (numbers off), untouched, four cheats that fool plain
nbgrader, and broken submissions. Tests, the demo and the benchmark all grade classes made here.
"""

from __future__ import annotations

import copy
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

import nbformat

from grader.course.cells import grade_id, nbgrader_meta
from grader.course.paths import solutions_dir
from grader.course.sources import defined_names
from grader.grading.grade import run_grade
from grader.grading.records import Settings
from grader.grading.workspace import prepare_workspace

WRONG_WRAPPER = """

def _demo_perturb(value):
    import numpy as _np
    if isinstance(value, _np.ndarray) and value.dtype.kind == "f":
        return value * 1.5 + 0.1
    if isinstance(value, float):
        return value * 1.5 + 0.1
    if isinstance(value, tuple):
        return tuple(_demo_perturb(v) for v in value)
    if isinstance(value, list):
        return [_demo_perturb(v) for v in value]
    if isinstance(value, dict):
        return {k: _demo_perturb(v) for k, v in value.items()}
    return value


def _demo_wrong(fn):
    def wrong(*args, **kwargs):
        return _demo_perturb(fn(*args, **kwargs))
    wrong.__name__ = fn.__name__
    return wrong
"""

CHEAT_ALLCLOSE = """import numpy as np
np.allclose = lambda *args, **kwargs: True
assert_close = lambda *args, **kwargs: None
"""

CHEAT_IMPORT_HOOK = """import builtins
import numpy

_real_import = builtins.__import__


def _patched_import(name, *args, **kwargs):
    module = _real_import(name, *args, **kwargs)
    numpy.allclose = lambda *a, **k: True
    for helper in ("assert_close", "assert_shape", "assert_float64", "assert_unchanged"):
        globals()[helper] = lambda *a, **k: None
    return module


builtins.__import__ = _patched_import
import numpy  # noqa: E402,F811  (triggers the hook once)
"""

CHEAT_TRANSFORMER = """get_ipython().input_transformers_cleanup.append(lambda lines: ["pass\\n"])
"""

READ_ANSWERS = """import json
from grader.course.paths import solutions_dir

for _path in solutions_dir().glob("*/*.ipynb"):
    for _cell in json.loads(_path.read_text())["cells"]:
        if "### BEGIN SOLUTION" in "".join(_cell["source"]):
            exec("".join(_cell["source"]))
"""



def solution_text(source: str) -> str:
    """A solution cell as a student would have written it: the BEGIN/END SOLUTION marker lines removed."""
    return "\n".join(
        line for line in source.splitlines() if line.strip() not in ("### BEGIN SOLUTION", "### END SOLUTION")
    )


def _solved(release, source, which: Callable[[int, str], bool] = lambda i, gid: True):
    """The release notebook with solution cells `which(index, grade id)` replaced by the solution's."""
    answers = {
        grade_id(c): c.source for c in source.cells if nbgrader_meta(c).get("solution") and grade_id(c) is not None
    }
    nb = copy.deepcopy(release)
    k = 0
    for cell in nb.cells:
        gid = grade_id(cell)
        if gid is not None and gid in answers and nbgrader_meta(cell).get("solution"):
            if cell.cell_type == "code":
                if which(k, gid):
                    cell.source = solution_text(answers[gid])
                k += 1
            else:
                cell.source = "The derivative follows from the chain rule: $\\frac{dL}{dw} = \\frac{dL}{dz} x$."
    return nb


def _solution_code_cells(nb):
    return [c for c in nb.cells if c.cell_type == "code" and nbgrader_meta(c).get("solution")]


def right(release, source):
    return _solved(release, source)


def partly_right(release, source):
    count = len(_solution_code_cells(release))
    return _solved(release, source, lambda i, gid: i < max(1, count // 2))


def wrong(release, source):

    nb = _solved(release, source)
    for cell in _solution_code_cells(nb):
        names = defined_names(cell.source)
        if names:
            cell.source += WRONG_WRAPPER + "".join(f"\n{n} = _demo_wrong({n})" for n in names if n[0].islower())
    return nb


def untouched(release, source):
    return copy.deepcopy(release)


def _prepend_first(nb, code: str):
    cells = _solution_code_cells(nb)
    if cells:
        cells[0].source = code + "\n" + cells[0].source
    return nb


def cheat_allclose(release, source):
    return _prepend_first(wrong(release, source), CHEAT_ALLCLOSE)


def cheat_import_hook(release, source):
    return _prepend_first(wrong(release, source), CHEAT_IMPORT_HOOK)


def cheat_transformer(release, source):
    return _prepend_first(copy.deepcopy(release), CHEAT_TRANSFORMER)


def cheat_loop(release, source):
    nb = _solved(release, source)
    cells = _solution_code_cells(nb)
    cells[-1].source += "\n\nwhile True:\n    pass\n"
    return nb


def kernel_suicide(release, source):
    return _prepend_first(_solved(release, source), "import os\nos._exit(1)\n")


def reads_answers(release, source):
    return _prepend_first(copy.deepcopy(release), READ_ANSWERS)


def corrupt_json(release, source):
    return nbformat.writes(_solved(release, source))[:-200]  # a truncated file: str, written as is


# name -> (recipe, what it shows). Every student submits every assignment.
STUDENTS: dict[str, tuple[Callable, str]] = {
    "alice": (right, "right"),
    "bob": (partly_right, "partly right"),
    "carol": (wrong, "wrong values"),
    "dave": (untouched, "handed in the release untouched"),
    "erin": (cheat_allclose, "cheat: np.allclose patched in a solution cell"),
    "frank": (cheat_import_hook, "cheat: builtins.__import__ hook patching numpy"),
    "grace": (cheat_transformer, "cheat: IPython input transformer turning later cells into pass"),
    "heidi": (cheat_loop, "cheat: right answers, then `while True: pass` at top level"),
    "ivan": (corrupt_json, "broken: truncated JSON"),
    "judy": (kernel_suicide, "broken: the kernel kills itself"),
    "ken": (reads_answers, "reads the solutions from disk"),
}


def write_notebook(content, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(content, str):
        path.write_text(content, encoding="utf-8")
    else:
        nbformat.write(content, path)


def release_of(source_path: Path, release_root: Path) -> nbformat.NotebookNode:
    return nbformat.read(release_root / source_path.parent.name / source_path.name, as_version=4)


def build_class(
    out: Path,
    release_root: Path,
    students: dict[str, tuple[Callable, str]] | None = None,
    assignments: list[str] | None = None,
    copies: int = 1,
) -> Path:
    """Write `out/<student>/<assignment>/<notebook>.ipynb` for every student recipe and assignment.

    Args:
        release_root: a generated release (`<assignment>/<notebook>.ipynb`), e.g. a workspace's `release/`.
        copies: repeat the class (`alice`, `alice-2`, ...) for a bigger benchmark class.
    """

    students = students or STUDENTS
    for source_path in sorted(solutions_dir().glob("*/*.ipynb")):
        assignment = source_path.parent.name
        if assignments and assignment not in assignments:
            continue
        source = nbformat.read(source_path, as_version=4)
        release = release_of(source_path, release_root)
        for n in range(copies):
            for name, (recipe, _) in students.items():
                student = name if n == 0 else f"{name}-{n + 1}"
                write_notebook(recipe(release, source), out / student / assignment / source_path.name)
    return out


def run_demo(
    jobs: int | None = None,
    workspace: Path | None = None,
    assignment: str | None = None,
    out=None,
    progress: bool = True,
) -> int:
    """Build the demo class for one assignment (default: the first), grade it into a temporary workspace and
    print the table. `assignment="all"` takes every assignment (slower)."""
    out = out or sys.stdout
    temp = Path(tempfile.mkdtemp(prefix="bpcourse-demo-"))
    workspace = workspace or temp / "workspace"
    print("demo class (each student a recipe applied to the release notebook):", file=out)
    for name, (_, what) in STUDENTS.items():
        print(f"  {name:<6} {what}", file=out)
    known = prepare_workspace(workspace)
    chosen = known if assignment == "all" else [assignment or known[0]]
    submissions = build_class(temp / "submissions", workspace / "release", assignments=chosen)
    print(f"grading into {workspace} ...\n", file=out)
    run_grade(submissions, workspace, jobs=jobs, settings=Settings(cell_timeout=6), out=out, progress=progress)
    print(f"\n(the demo's files stay in {temp}; delete the folder when done)", file=out)
    return 0


__all__ = ["STUDENTS", "build_class", "run_demo", "solution_text"]
