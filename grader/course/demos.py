"""Demo cells: the given cells a grading run may leave out, because no grade can depend on them (issue 27).

A course notebook shows as much as it tests: plots, widgets, a small training run on the student's functions. A
grading run pays for every one of them in every student's notebook (04e's moons demo alone is a few CPU seconds), and
an endless loop in a student's function costs a full cell limit again in each demo that calls it. A demo is a plain
given code cell of the solution notebook (no nbgrader metadata) that, read statically:
  - binds no name a later cell that is not a demo reads (functions, data, imports alike; the tests included);
  - reads no data of the notebook that a later kept cell reads (it could change it: `model.train()`, `xs.append`):
    only functions, classes and modules the notebook binds by `def`, `class` or `import`, never by assignment;
  - changes no state in place: no assignment to an attribute or an item (`Value.__radd__ = ...`, `d[k] = ...`) of a
    name it did not bind, no `global`, `del`, augmented assignment of an outer name, and no call that sets shared
    state (`STATE_SETTERS`: `setrecursionlimit`, warnings filters, `matplotlib.use`, `setattr`, `exec`...; seeding
    the global random generators is allowed, see there).
A demo that changes shared state and puts it back before it ends (04e's timing demo patches `Tensor.__init__` inside a
`with` block) is beyond what reading can tell: its author tags it `RESTORES_STATE` in the solution notebook, which
waives the last rule only; the first two still hold, and every solution notebook is graded in the tests (full marks
with its demos left out).
Which cells are demos is read from the source notebook only; in a submission a cell is left out when its code is, to
the character, a demo of the release (a student who edits a demo has it run). The grader marks those cells with
nbclient's skip tag after removing any skip tag the student put on a cell (grader/grading/changes.py).
"""

from __future__ import annotations

import ast
from functools import cache

import nbformat

from grader.course.cells import nbgrader_meta, parse

RESTORES_STATE = "demo-restores-state"  # a cell tag of the solution's author: see the module's docstring

# Calls that change state shared with later cells, whatever they are called on. Seeding the global random generators
# is not among them: no graded cell depends on their state (each seeds its own or uses a local generator, which
# tests/grader/test_demos.py holds every test cell to), so a demo may seed them for its own plot.
STATE_SETTERS = frozenset({
    "setrecursionlimit", "setattr", "delattr", "exec", "eval", "__import__", "set_printoptions", "seterr",
    "seterrcall", "setdefaultencoding", "chdir", "putenv",
    # warnings and logging: a later test's output (a warning on stderr fails a test) would change
    "filterwarnings", "simplefilter", "resetwarnings", "warnings_to_stdout", "captureWarnings", "basicConfig",
    "setLevel", "disable",
    # libraries' global settings
    "set_option", "rc", "use", "set_default_dtype", "set_num_threads", "set_flush_denormal",
})


def _bound(tree: ast.Module) -> tuple[set[str], set[str]]:
    """(names a cell binds, of those the ones bound by def, class or import: callables and modules)."""
    bound, callables = set(), set()
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            bound.add(node.name)
            callables.add(node.name)
        elif isinstance(node, ast.Import | ast.ImportFrom):
            for alias in node.names:
                name = (alias.asname or alias.name).split(".")[0]
                bound.add(name)
                callables.add(name)
        elif isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store | ast.Del):
            bound.add(node.id)
        elif isinstance(node, ast.arg):
            bound.add(node.arg)
    return bound, callables


def _free(tree: ast.Module) -> set[str]:
    """The names a cell reads from before it: statement by statement, a name read that no earlier statement of the
    cell bound and that the statement does not bind for itself first (a loop's or comprehension's variable, a
    function's argument: its own assignment targets are stored after its value is read)."""
    free: set[str] = set()
    bound: set[str] = set()
    for statement in tree.body:
        reads = {n.id for n in ast.walk(statement) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load)}
        own_targets = statement.targets if isinstance(statement, ast.Assign) else (
            [statement.target] if isinstance(statement, ast.AugAssign | ast.AnnAssign) else [])
        after = {n.id for t in own_targets for n in ast.walk(t) if isinstance(n, ast.Name)}
        binds = _bound(ast.Module(body=[statement], type_ignores=[]))[0]
        free |= reads - bound - (binds - after)
        bound |= binds
    return free


def _changes_shared_state(tree: ast.Module, own: set[str]) -> bool:
    """Does the cell change something it did not create (in place, or through a call that sets shared state)?"""
    for node in ast.walk(tree):
        if isinstance(node, ast.Global | ast.Nonlocal | ast.Delete):
            return True
        targets = node.targets if isinstance(node, ast.Assign) else [node.target] if isinstance(
            node, ast.AugAssign | ast.AnnAssign) else []
        for target in targets:
            root = target
            while isinstance(root, ast.Attribute | ast.Subscript):
                root = root.value
            if root is not target and not (isinstance(root, ast.Name) and root.id in own):
                return True  # an attribute or item of something the cell did not make
            if isinstance(node, ast.AugAssign) and isinstance(target, ast.Name) and target.id not in own:
                return True
        if isinstance(node, ast.Call):
            func = node.func
            name = func.attr if isinstance(func, ast.Attribute) else func.id if isinstance(func, ast.Name) else ""
            if name in STATE_SETTERS:
                return True
    return False


def demo_cells(nb: nbformat.NotebookNode) -> list[int]:
    """The indices of the demo cells of a source notebook (see the module's docstring), in order."""
    cells = [(i, c, parse(c.source)) for i, c in enumerate(nb.cells) if c.cell_type == "code"]
    data = set()  # names the notebook binds by assignment anywhere: data a demo must not touch
    for _, _, tree in cells:
        if tree is not None:
            bound, callables = _bound(tree)
            data |= bound - callables
    needed: set[str] = set()  # names read by the kept cells after the one being decided
    demos = []
    for i, cell, tree in reversed(cells):
        restores = RESTORES_STATE in cell.get("metadata", {}).get("tags", [])
        if tree is not None and not nbgrader_meta(cell) and _is_demo(tree, needed, data, restores):
            demos.append(i)
            continue
        if tree is None:
            return sorted(demos)  # a cell that does not parse: nothing before it is left out
        needed |= _free(tree)
    return sorted(demos)


def _is_demo(tree: ast.Module, needed: set[str], data: set[str], restores: bool = False) -> bool:
    bound, _ = _bound(tree)
    if bound & needed:
        return False
    return not (_free(tree) & data & needed) and (restores or not _changes_shared_state(tree, bound))


@cache
def demo_sources(path: str) -> frozenset[str]:
    """The code of the demo cells of the source notebook at `path`: what a submission's cell must equal to be left
    out of grading."""
    nb = nbformat.read(path, as_version=4)
    return frozenset(nb.cells[i].source for i in demo_cells(nb))
