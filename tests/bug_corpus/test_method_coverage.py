"""Issue 26, item 4: does the trusted re-check call every method of every graded class?

A method no hidden check calls is a method a student can get wrong for free (a `Dual.sum` returning the mean scored
full marks). For each graded class of the solutions (Value, Tensor, Dual, the MLP library, the Function subclasses,
...), every function defined in its class body is wrapped with a counter, the re-check's own cases for it are run on
the solution's class exactly as the grader computes its expected values (`trusted_check._expected`), and every method
must have been called at least once. `__repr__` is exempt: the grader never shows a student's object. So are
Tensor's given `backward` and `zero_grad`: they run the student's `topological_order` (graded on its own, through
Value) and the nbgrader hidden tests of 04e call them; the re-check passes a Tensor graph's gradient back in its own
order, so that one mistake in `topological_order` costs one exercise, not every Tensor one.
"""

from __future__ import annotations

import functools
import inspect

import numpy as np
import pytest
from conftest import ROOT

from grader.course.sources import read_source, reference_namespace
from grader.recheck.specs import check_keys, contract_for, object_name, probes_for
from grader.recheck.trusted_check import _expected

EXEMPT = {"__repr__", "__str__"}
EXEMPT_BY_CLASS = {"Tensor": {"backward", "zero_grad"}}


def graded_classes() -> list[tuple[str, str, list[str]]]:
    """(notebook path, class name, its spec keys) for every graded name of the solutions that is a class."""
    found = []
    for path in sorted((ROOT / "solutions").glob("*/*.ipynb")):
        source = read_source(path.parent.name, path)
        specs = contract_for(path.parent.name, path.stem)
        keys: dict[str, list[str]] = {}
        for exercise in source.exercises:
            for key in check_keys(exercise, specs):
                if key in specs and specs[key].kind == "call":
                    keys.setdefault(object_name(key), []).append(key)
        text = path.read_text(encoding="utf-8")
        for name, spec_keys in keys.items():
            if f"class {name}" in text:
                found.append((str(path), name, spec_keys))
    return found


def _counting(cls: type) -> dict[str, int]:
    """Wrap every function of `cls`'s own body (static methods too) to count its calls; returns the counts."""
    calls: dict[str, int] = {}
    for attr, member in list(vars(cls).items()):
        raw = member.__func__ if isinstance(member, staticmethod | classmethod) else member
        if not inspect.isfunction(raw) or attr in EXEMPT:
            continue
        calls[attr] = 0

        def counted(*args, _raw=raw, _attr=attr, **kwargs):
            calls[_attr] += 1
            return _raw(*args, **kwargs)

        wrapped = functools.wraps(raw)(counted)
        if isinstance(member, staticmethod):
            wrapped = staticmethod(wrapped)
        elif isinstance(member, classmethod):
            wrapped = classmethod(wrapped)
        setattr(cls, attr, wrapped)
    return calls


@pytest.mark.parametrize("path,name,keys", graded_classes(), ids=lambda v: v if isinstance(v, str) else "")
def test_every_method_of_a_graded_class_is_called_by_the_recheck(path: str, name: str, keys: list[str]) -> None:
    from pathlib import Path

    source = read_source(Path(path).parent.name, Path(path))
    namespace = reference_namespace(source)
    cls = namespace[name]
    saved = dict(vars(cls))
    calls = _counting(cls)
    probes = probes_for(Path(path).parent.name, Path(path).stem)
    try:
        for key in keys:
            spec = contract_for(Path(path).parent.name, Path(path).stem)[key]
            context = {n: namespace[n] for n in spec.context}
            for case in spec.cases(np.random.default_rng(7)):
                _expected(spec, cls, context, case, probes)
    finally:
        for attr, member in saved.items():
            if attr in calls:
                setattr(cls, attr, member)
    never = sorted(attr for attr, count in calls.items() if count == 0 and attr not in EXEMPT_BY_CLASS.get(name, ()))
    assert not never, f"{name}: no re-check case calls {never} (contracts/: the contract and its probes)"


def test_the_reflected_tensor_case_fails_a_wrong_rsub() -> None:
    """The re-check's Tensor case for the given composites ("reflected and subtraction") is not blind: with
    `2.0 - p` computed as `p - 2.0` (an edited `__rsub__`) its value and gradients differ from the solution's."""
    probes = probes_for("04_usage", "04e_engine")
    path = ROOT / "solutions" / "04_usage" / "04e_engine.ipynb"
    tensor = reference_namespace(read_source("04_usage", path))["Tensor"]
    right = probes["tensor_ops"](tensor, 11)["reflected and subtraction"]
    saved = tensor.__rsub__
    tensor.__rsub__ = lambda self, other: self - other
    try:
        wrong = probes["tensor_ops"](tensor, 11)["reflected and subtraction"]
    finally:
        tensor.__rsub__ = saved
    assert not np.allclose(wrong[0], right[0]) and not np.allclose(wrong[1], right[1])
