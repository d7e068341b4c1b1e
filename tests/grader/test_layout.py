"""Does every grader module import on its own (no import cycles, no module relying on another's side effects)?"""

from __future__ import annotations

import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor

from conftest import ROOT

MODULES = sorted(
    ".".join(p.relative_to(ROOT).with_suffix("").parts)
    for p in (ROOT / "grader").rglob("*.py")
    if p.stem != "__init__" and p.name != "runner.py"  # the re-check child's script runs alone (python -I -S)
)


def _imports_alone(module: str) -> tuple[str, str]:
    done = subprocess.run([sys.executable, "-c", f"import {module}"], capture_output=True, text=True, cwd=ROOT)
    return module, done.stderr.strip().splitlines()[-1] if done.returncode else ""


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
