"""Inputs for the trusted re-check, keyed by the contract's names (course-design.md): functions, classes, values.

A spec says how to build arguments from a seeded generator, and what part of the result to compare. It holds
no answers: the expected values come from calling the solution notebook's own function (or a probe: see
grader/sandboxed/probe_kit.py and contracts/<assignment>/<notebook>_probes.py) on the same inputs. A name without a
spec (or whose spec does not fit the solution's signature) is not re-checked; the grade summary names it. Inputs
follow the hidden tests' rules: float64, non-square shapes with distinct sizes, N >= 2, values away from kinks
(|z| >= 0.1 for relu).
"""

from __future__ import annotations

import hashlib
import importlib.util
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import numpy as np

from grader.course.paths import contracts_dir
from grader.errors import CourseError
from grader.sandboxed.probe_kit import probe_namespace


@dataclass(frozen=True)
class Spec:
    """How to re-check one graded name.

    cases: seeded generator -> list of positional-argument tuples (plain data, arrays, TestFunction), or
        `Invalid(args)` for inputs the solution rejects.
    compare: "all" (the whole result), "first" (item 0 of an (out, cache) pair).
    tol: largest relative error accepted, entry by entry (error="entrywise") or ||a - e|| / ||e|| over each
        array (error="norm", for float32-rounded framework results whose small entries carry no precision).
    atol: when set, the largest absolute difference accepted instead (numbers a student derives, e.g. an order);
        a dict gives one per key of a dict result.
    kind: "call" (a function or class, called on each case) or "value" (a variable the solution cell sets;
        cases is [()]).
    probe: name of a probe called as probe(obj, *args) instead of obj(*args): one of the notebook's probe file
        (contracts/<assignment>/<notebook>_probes.py) or a generic one (grader/sandboxed/probe_kit.py).
    context: solution functions the probe receives after obj (probe(obj, {name: function}, *args)): they run
        in a sandbox of their own, so they are never in reach of the student's other graded functions.
    frameworks: needs the real torch and keras in the sandbox (slower to start: about 3 s of imports).
    """

    cases: Callable[[np.random.Generator], list[tuple[Any, ...]]]
    compare: str = "all"
    tol: float = 1e-6
    error: str = "entrywise"
    atol: float | dict[str, float] | None = None
    kind: str = "call"
    probe: str | None = None
    context: tuple[str, ...] = ()
    frameworks: bool = False


PROBES_SUFFIX = "_probes"  # contracts/<assignment>/<notebook>_probes.py: the notebook's own probes, when it has any


def contract_path(assignment: str, notebook: str, contracts: Path | None = None) -> Path:
    """Where the contract of solutions/<assignment>/<notebook>.ipynb lives: contracts/<assignment>/<notebook>.py
    (`contracts`: another contracts folder than the checkout's, e.g. a scratch course in a test)."""
    return (contracts or contracts_dir()) / assignment / f"{notebook}.py"


def probes_path(assignment: str, notebook: str, contracts: Path | None = None) -> Path:
    """The notebook's probe file beside its contract (optional): contracts/<assignment>/<notebook>_probes.py."""
    return (contracts or contracts_dir()) / assignment / f"{notebook}{PROBES_SUFFIX}.py"


def contract_files(contracts: Path | None = None) -> list[Path]:
    """Every contract file of the course (probe files are not contracts)."""
    found = sorted((contracts or contracts_dir()).glob("*/*.py"))
    return [path for path in found if not path.stem.endswith(PROBES_SUFFIX)]


def probes_source(assignment: str, notebook: str, contracts: Path | None = None) -> str:
    """The text of the notebook's probe file ("" when it has none): run as is in the grader and in the sandbox."""
    path = probes_path(assignment, notebook, contracts)
    return path.read_text(encoding="utf-8") if path.is_file() else ""


@cache
def _probes(path: Path, source: str) -> dict[str, Any]:
    return probe_namespace(source, str(path))


def probes_for(assignment: str, notebook: str, contracts: Path | None = None) -> dict[str, Any]:
    """The probes the notebook's contract may name, loaded in the grader's process (the kit's and its own)."""
    return _probes(probes_path(assignment, notebook, contracts), probes_source(assignment, notebook, contracts))


@cache
def _load(path: Path) -> dict[str, Spec]:
    module_spec = importlib.util.spec_from_file_location(f"bpcourse_contract_{path.parent.name}_{path.stem}", path)
    if module_spec is None or module_spec.loader is None:
        raise CourseError(f"cannot load the re-check contract {path}")
    module = importlib.util.module_from_spec(module_spec)
    module_spec.loader.exec_module(module)
    specs = getattr(module, "SPECS", None)
    if not isinstance(specs, dict) or not all(isinstance(s, Spec) for s in specs.values()):
        raise CourseError(f"{path} must define SPECS: dict[str, Spec]")
    return specs


def contract_for(assignment: str, notebook: str, contracts: Path | None = None) -> dict[str, Spec]:
    """The specs of one solution notebook, keyed by check key; {} when it has no contract (nothing is re-checked,
    and the grade summary says so)."""
    path = contract_path(assignment, notebook, contracts)
    return _load(path) if path.is_file() else {}


def needs_frameworks(assignment: str, notebook: str) -> bool:
    """Whether the notebook's checks need PyTorch and Keras (04f): its kernel and its re-check import them."""
    return any(spec.frameworks for spec in contract_for(assignment, notebook).values())


def course_specs() -> dict[str, Spec]:
    """Every notebook's specs in one table, for tests that look a key up without its notebook (a key two
    notebooks share, e.g. unbroadcast, has the same spec in both)."""
    merged: dict[str, Spec] = {}
    for path in contract_files():
        merged.update(_load(path))
    return merged


def seed_for(student: str, assignment: str, function: str) -> int:
    """A seed per student, assignment and function: stable across runs, different between students."""

    digest = hashlib.sha256(f"{student}\0{assignment}\0{function}".encode()).digest()
    return int.from_bytes(digest[:4], "little")


def spec_key(grade_id: str, name: str, specs: Mapping[str, Spec]) -> str:
    """The check of `name` in the test cell `grade_id`: "name:grade_id" when that test has a spec of its own (a
    class tested by several cells, e.g. Dual's arithmetic and its functions), else the name. `specs`: the
    notebook's contract."""
    own = f"{name}:{grade_id}"
    return own if own in specs else name


def object_name(key: str) -> str:
    """The function, class or value a check key is about: "Dual:cmp_dual_arith_test" -> "Dual"."""
    return key.split(":", 1)[0]


def check_keys(exercise, specs: Mapping[str, Spec]) -> list[str]:
    """The checks of one exercise (grader.course.sources.Exercise), as keys of its notebook's contract `specs` or
    plain names."""
    return [spec_key(exercise.grade_id, name, specs) for name in exercise.functions]
