"""Does every grader module import on its own (no import cycles, no module relying on another's side effects)?"""

from __future__ import annotations

import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor

import pytest
from conftest import ROOT

MODULES = sorted(
    ".".join(p.relative_to(ROOT).with_suffix("").parts)
    for p in (ROOT / "grader").rglob("*.py")
    if p.stem != "__init__" and p.name != "runner.py"  # the re-check child's script runs alone (python -I -S)
)


def _imports_alone(module: str) -> tuple[str, str]:
    done = subprocess.run([sys.executable, "-c", f"import {module}"], capture_output=True, text=True, cwd=ROOT)
    return module, done.stderr.strip().splitlines()[-1] if done.returncode else ""


@pytest.mark.slow  # a fresh interpreter per module: half a minute
def test_every_module_imports_alone() -> None:
    """Is each module importable first, in a fresh interpreter?"""
    with ThreadPoolExecutor(4) as pool:
        failures = {m: err for m, err in pool.map(_imports_alone, MODULES) if err}
    assert not failures, failures
    assert len(MODULES) > 20


def test_source_digest_ignores_hidden_caches(tmp_path) -> None:
    """A `.hypothesis/` cache (04e's property test leaves one beside the solution, private to whoever ran it) or
    `.ipynb_checkpoints/` in solutions/<assignment> is not copied into the workspace, so it is not read either: the
    digest is the same with and without it (reading it stopped the instructor's grading on the hub)."""
    from grader.grading.workspace import _tree_digest

    (tmp_path / "a.ipynb").write_text("{}")
    before = _tree_digest(tmp_path)
    (tmp_path / ".hypothesis" / "constants").mkdir(parents=True)
    (tmp_path / ".hypothesis" / "constants" / "x").write_text("cache")
    (tmp_path / ".ipynb_checkpoints").mkdir()
    (tmp_path / ".ipynb_checkpoints" / "a-checkpoint.ipynb").write_text("{ }")
    assert _tree_digest(tmp_path) == before
    (tmp_path / "b.ipynb").write_text("{}")
    assert _tree_digest(tmp_path) != before


def _imported(path) -> set[str]:
    """Every module `path` imports (absolute names; `from . import x` as the package's), anywhere in its body."""
    import ast

    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            found.add(node.module)
    return found


# Beyond the standard library: numpy (values), pyseccomp (the seccomp filter), and ipykernel for the kernel's guard
# alone (it is the kernel's launcher: it confines the process, then starts the kernel in it).
THIRD_PARTY = {"numpy", "pyseccomp"}
THIRD_PARTY_OF = {"kernel_guard.py": {"ipykernel"}}


def test_the_sandboxed_package_imports_only_the_standard_library_and_numpy() -> None:
    """Issue 24 item 4: what runs beside student code (grader/sandboxed/) imports nothing of the grader's but its
    own modules: a solution, a contract or a hidden test can never be in reach through an import."""
    package = ROOT / "grader" / "sandboxed"
    siblings = {p.stem for p in package.glob("*.py")}
    outside = set()
    for path in package.glob("*.py"):
        allowed = set(sys.stdlib_module_names) | THIRD_PARTY | THIRD_PARTY_OF.get(path.name, set()) | siblings
        for name in _imported(path):
            own = name == "grader.sandboxed" or name.startswith("grader.sandboxed.")
            if not own and name.split(".")[0] not in allowed:
                outside.add(f"{path.name}: {name}")
    assert len(siblings) >= 5, siblings
    assert not outside, sorted(outside)


def _package_graph() -> dict[str, set[str]]:
    """grader's subpackages and the subpackages each imports (grader.cli and grader.errors left out: the CLI sits
    above every package, errors below)."""
    graph: dict[str, set[str]] = {}
    for path in (ROOT / "grader").glob("*/*.py"):
        package = path.parent.name
        for name in _imported(path):
            parts = name.split(".")
            if parts[0] == "grader" and len(parts) > 1 and parts[1] not in ("cli", "errors", package):
                graph.setdefault(package, set()).add(parts[1])
    return graph


def _cycle(graph: dict[str, set[str]]) -> list[str]:
    """One cycle of `graph` as a path, or []."""
    def walk(node: str, path: list[str]) -> list[str]:
        if node in path:
            return path[path.index(node):] + [node]
        for nxt in sorted(graph.get(node, ())):
            found = walk(nxt, path + [node])
            if found:
                return found
        return []

    return next((c for start in sorted(graph) if (c := walk(start, []))), [])


def test_no_import_cycle_between_the_graders_packages() -> None:
    """sandboxed <- course <- recheck <- grading <- student: each package imports only those below it."""
    graph = _package_graph()
    assert "grading" in graph.get("student", set()) and "recheck" in graph.get("grading", set()), graph
    assert _cycle(graph) == [], _cycle(graph)
    assert not graph.get("sandboxed"), graph.get("sandboxed")


def test_the_cycle_finder_finds_a_cycle() -> None:
    assert _cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert _cycle({"a": {"b"}, "b": set()}) == []
