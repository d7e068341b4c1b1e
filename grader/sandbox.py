"""The trusted re-check: a student's functions, run in a fresh limited process, compared with the solution's.

nbgrader runs hidden tests in the student's own kernel, where student code can patch numpy, hook imports,
rewrite later cells or loop forever after a correct `def`. Here the student's solution cells (selected by grade
id) run in a separate `python -I -S` process (see `sandbox_runner`) with CPU-time, address-space and file-size
limits, a throw-away working folder outside the checkout, an environment without the checkout on its path and an
audit hook that refuses reads outside that folder and the Python installation, writes outside the folder,
processes, sockets and ctypes. Their functions are called on inputs chosen here and seeded per student; results
come back as JSON lines (never pickle) and are compared in this process with the solution notebook's own functions.
"""

from __future__ import annotations

import copy
import json
import os
import selectors
import shutil
import signal
import subprocess
import sys
import sysconfig
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from grader import sandbox_runner
from grader.grade_sources import SourceInfo, reference_namespace
from grader.sandbox_runner import TEST_FUNCTIONS_SOURCE, Opaque, TestFunction, decode, encode
from grader.trusted_specs import SPECS, seed_for

MAX_REPORT_BYTES = 32 * 1024 * 1024
# Replaced by stand-ins inside the sandbox: plotting, widgets and the deep-learning frameworks cost seconds of
# import time, and the re-checked functions (numpy, see trusted_specs) never depend on them. A spec for a torch or
# keras function would need these removed from the list.
STUB_MODULES = [
    "matplotlib",
    "ipywidgets",
    "IPython.display",
    "bp_helpers.plotting",
    "bp_helpers.widgets",
    "torch",
    "keras",
    "tensorflow",
]


@dataclass(frozen=True)
class Limits:
    cpu_seconds: int = 10
    memory_bytes: int = 2 * 1024**3
    file_bytes: int = 16 * 1024**2
    cell_seconds: float = 2.0
    call_seconds: float = 2.0
    wall_seconds: float = 30.0


@dataclass
class TrustedResult:
    """Per graded function: None when it agrees with the solution, else the reason in words."""

    failures: dict[str, str] = field(default_factory=dict)
    checked: list[str] = field(default_factory=list)
    not_checked: dict[str, str] = field(default_factory=dict)  # function -> why (no spec, spec does not fit)
    cell_errors: dict[str, str] = field(default_factory=dict)
    violations: list[str] = field(default_factory=list)
    crash: str | None = None
    seconds: float = 0.0


_TEST_FUNCTIONS: dict[str, Any] = {}


def _test_functions() -> dict[str, Any]:
    if not _TEST_FUNCTIONS:
        exec(compile(TEST_FUNCTIONS_SOURCE, "<grader test functions>", "exec"), _TEST_FUNCTIONS)
    return _TEST_FUNCTIONS


def _resolve(value):
    if isinstance(value, TestFunction):
        return _test_functions()[value.name]
    if isinstance(value, tuple):
        return tuple(_resolve(v) for v in value)
    if isinstance(value, list):
        return [_resolve(v) for v in value]
    if isinstance(value, dict):
        return {k: _resolve(v) for k, v in value.items()}
    return copy.deepcopy(value)


def _relative_error(a: np.ndarray, e: np.ndarray) -> float:
    return float(np.max(np.abs(a - e) / np.maximum(np.abs(a) + np.abs(e), 1e-12), initial=0.0))


def compare(actual: Any, expected: Any, tol: float, where: str = "the result") -> str | None:
    """None when `actual` matches `expected` (structure, shapes, values within `tol`), else what differs."""
    if isinstance(actual, Opaque):
        return f"{where} is {actual.what}, which cannot be checked"
    if isinstance(expected, str) or expected is None:
        return None if actual == expected else f"{where} is {actual!r}, expected {expected!r}"
    if isinstance(expected, dict):
        if not isinstance(actual, dict):
            return f"{where} is a {type(actual).__name__}, expected a dict"
        if set(actual) != set(expected):
            return f"{where} has keys {sorted(actual)}, expected {sorted(expected)}"
        for key in expected:
            reason = compare(actual[key], expected[key], tol, f"{where}[{key!r}]")
            if reason:
                return reason
        return None
    if isinstance(expected, list | tuple):
        if not isinstance(actual, list | tuple) and not isinstance(actual, np.ndarray):
            return f"{where} is a {type(actual).__name__}, expected a sequence of {len(expected)}"
        if isinstance(actual, np.ndarray) and all(np.ndim(e) == 0 for e in expected):
            actual = list(actual.ravel()) if actual.ndim == 1 else actual
        if len(actual) != len(expected):
            return f"{where} has {len(actual)} items, expected {len(expected)}"
        for i, (a, e) in enumerate(zip(actual, expected, strict=True)):
            reason = compare(a, e, tol, f"{where}[{i}]")
            if reason:
                return reason
        return None
    try:
        e = np.asarray(expected, dtype=np.float64)
    except (TypeError, ValueError):
        return None  # an object the format cannot carry on the reference side: nothing to compare
    if isinstance(actual, dict | str) or actual is None:
        return f"{where} is {type(actual).__name__}, expected a number or an array"
    try:
        a = np.asarray(actual, dtype=np.float64)
    except (TypeError, ValueError):
        return f"{where} is not numeric"
    if a.shape != e.shape and not (a.size == 1 and e.size == 1):
        return f"{where} has shape {a.shape}, expected {e.shape}"
    a, e = a.reshape(e.shape), e
    if np.all(np.isfinite(e)) and not np.all(np.isfinite(a)):
        return f"{where} contains nan or inf"
    err = _relative_error(np.nan_to_num(a), np.nan_to_num(e))
    if err > tol:
        return f"{where} differs from the expected value (relative error {err:.1e})"
    return None


_HELPERS: dict[str, Path] = {}


def _helpers_dir() -> Path:
    """A copy of `bp_helpers` (public student helpers, no answers) the sandbox may import: one per version of the
    package, shared by every worker and run (`<tmp>/bpcourse-helpers-<hash>`)."""
    if "dir" in _HELPERS and _HELPERS["dir"].exists():
        return _HELPERS["dir"]
    import hashlib

    package = Path(__file__).resolve().parent.parent / "bp_helpers"  # beside grader/, as installed
    digest = hashlib.sha256()
    for path in sorted(package.rglob("*.py")):
        digest.update(str(path.relative_to(package)).encode() + path.read_bytes())
    target = Path(tempfile.gettempdir()) / f"bpcourse-helpers-{digest.hexdigest()[:16]}"
    if not (target / "bp_helpers").is_dir():
        staging = Path(tempfile.mkdtemp(prefix="bpcourse-helpers-staging-"))
        shutil.copytree(package, staging / "bp_helpers", ignore=shutil.ignore_patterns("__pycache__"))
        try:
            os.rename(staging, target)  # atomic: a concurrent worker's copy wins, this one is dropped
        except OSError:
            shutil.rmtree(staging, ignore_errors=True)
    _HELPERS["dir"] = target
    return target


def _python_paths() -> list[str]:
    """sys.path for the child: the Python installation and its site-packages, nothing from the checkout."""
    from grader.paths import repo_root

    repo = str(Path(repo_root()).resolve())
    prefix = str(Path(sys.prefix).resolve())
    paths = []
    for entry in sys.path:
        if not entry or not os.path.isdir(entry):
            continue
        real = os.path.realpath(entry)
        if (real == repo or real.startswith(repo + os.sep)) and not real.startswith(prefix + os.sep):
            continue
        if real not in paths:
            paths.append(real)
    return paths


def _read_roots() -> list[str]:
    roots = {sysconfig.get_paths()[k] for k in ("stdlib", "platstdlib", "purelib", "platlib")}
    roots.update(p for p in _python_paths())
    roots.update({str(_helpers_dir()), "/dev/urandom", "/dev/null", "/usr/share/zoneinfo"})
    return sorted(os.path.realpath(r) for r in roots)


def _child_env(sandbox: Path) -> dict[str, str]:
    env = {
        "PATH": "/usr/bin:/bin",
        "HOME": str(sandbox),
        "TMPDIR": str(sandbox),
        "LANG": "C.UTF-8",
        "MPLBACKEND": "Agg",
        "MPLCONFIGDIR": str(sandbox),
        "OPENBLAS_NUM_THREADS": "1",
        "OMP_NUM_THREADS": "1",
        "MKL_NUM_THREADS": "1",
    }
    for key in ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE"):  # needed for correct results on some processors
        if key in os.environ:
            env[key] = os.environ[key]
    return env


def _describe_exit(code: int | None, limits: Limits) -> str:
    if code is None:
        return f"did not finish within {limits.wall_seconds:g} s (an infinite loop?)"
    if code < 0:
        sig = -code
        if sig in (signal.SIGXCPU, signal.SIGKILL):
            return f"was stopped after {limits.cpu_seconds} s of CPU time (an infinite loop at top level?)"
        return f"was killed by signal {signal.Signals(sig).name}"
    return f"exited early (status {code}): the code ends the process itself"


def run_child(job: dict, sandbox: Path, limits: Limits) -> tuple[list[dict], str | None]:
    """Run the sandbox child on `job`; return its reported events and, if it did not finish, why."""
    read_fd, write_fd = os.pipe()
    proc = subprocess.Popen(
        [sys.executable, "-I", "-S", sandbox_runner.__file__, str(write_fd)],
        stdin=subprocess.PIPE,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        cwd=sandbox,
        env=_child_env(sandbox),
        pass_fds=(write_fd,),
        start_new_session=True,
    )
    os.close(write_fd)
    try:
        proc.stdin.write(json.dumps(job).encode())
        proc.stdin.close()
    except BrokenPipeError:
        pass
    data = bytearray()
    deadline = time.monotonic() + limits.wall_seconds
    timed_out = False
    with selectors.DefaultSelector() as sel:
        sel.register(read_fd, selectors.EVENT_READ)
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                timed_out = True
                break
            if not sel.select(timeout=left):
                continue
            chunk = os.read(read_fd, 1 << 16)
            if not chunk:
                break
            if len(data) < MAX_REPORT_BYTES:
                data.extend(chunk)
    os.close(read_fd)
    try:
        code = proc.wait(timeout=0 if timed_out else 5)
    except subprocess.TimeoutExpired:
        code = None
    if code is None or timed_out:
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        proc.wait()
    events = []
    for line in bytes(data).decode("utf-8", "replace").splitlines():
        try:
            event = json.loads(line)
        except json.JSONDecodeError:
            continue
        if isinstance(event, dict):
            events.append(event)
    done = any(e.get("event") == "done" for e in events)
    return events, None if done else _describe_exit(None if timed_out else code, limits)


def _signature(name: str, args: tuple) -> str:
    def short(v):
        if isinstance(v, np.ndarray):
            return f"array{v.shape}"
        if isinstance(v, list):
            return f"[{len(v)} values]"
        if isinstance(v, dict):
            return "{" + ", ".join(v) + "}"
        if isinstance(v, tuple):
            return "(" + ", ".join(short(x) for x in v) + ")"
        if isinstance(v, float):
            return f"{v:.4g}"
        return repr(v) if not callable(v) else getattr(v, "__name__", "f")

    return f"{name}({', '.join(short(a) for a in args)})"


def trusted_check(
    source: SourceInfo,
    student_cells: list[tuple[str, str]],
    student: str,
    limits: Limits | None = None,
) -> TrustedResult:
    """Re-check every graded function of `source` on the student's solution cells `[(cell id, code), ...]`."""
    limits = limits or Limits()
    started = time.monotonic()
    result = TrustedResult()
    namespace = reference_namespace(source)
    wanted = list(dict.fromkeys(f for ex in source.exercises for f in ex.functions))
    calls, expected = [], {}
    for name in wanted:
        spec = SPECS.get(name)
        if spec is None:
            result.not_checked[name] = "no trusted input spec (grader/trusted_specs.py)"
            continue
        reference = namespace.get(name)
        if not callable(reference):
            result.not_checked[name] = "the solution notebook does not define it"
            continue
        cases = spec.cases(np.random.default_rng(seed_for(student, source.assignment, name)))
        try:
            with np.errstate(all="ignore"):
                outputs = [reference(*_resolve(args)) for args in cases]
        except Exception as err:  # the spec does not fit this solution's signature: do not judge students by it
            result.not_checked[name] = f"the spec does not fit the solution ({type(err).__name__}: {err})"
            continue
        result.checked.append(name)
        for i, (args, out) in enumerate(zip(cases, outputs, strict=True)):
            expected[(name, i)] = (args, out)
            calls.append({"function": name, "case": i, "args": encode(args)})
    if not calls:
        result.seconds = time.monotonic() - started
        return result
    sandbox = Path(tempfile.mkdtemp(prefix="bpcourse-sandbox-"))
    try:
        job = {
            "limits": {
                "cpu_seconds": limits.cpu_seconds,
                "memory_bytes": limits.memory_bytes,
                "file_bytes": limits.file_bytes,
            },
            "sys_path": [str(_helpers_dir()), *_python_paths()],
            "read_roots": _read_roots(),
            "sandbox": str(sandbox),
            "setup": source.setup_sources,
            "stub_modules": STUB_MODULES,
            "cells": [{"id": cid, "source": code} for cid, code in student_cells],
            "calls": calls,
            "cell_seconds": limits.cell_seconds,
            "call_seconds": limits.call_seconds,
        }
        events, crash = run_child(job, sandbox, limits)
    finally:
        shutil.rmtree(sandbox, ignore_errors=True)
    result.crash = crash
    answered: set[tuple[str, int]] = set()
    for event in events:
        kind = event.get("event")
        if kind == "violation":
            what = str(event.get("what"))[:300]
            if what not in result.violations:
                result.violations.append(what)
        elif kind == "cell" and event.get("error"):
            result.cell_errors[str(event.get("id"))] = str(event["error"])[:300]
        elif kind == "call":
            key = (event.get("function"), event.get("case"))
            if key not in expected or key in answered:
                continue
            answered.add(key)
            name = key[0]
            if name in result.failures:
                continue
            args, want = expected[key]
            call = _signature(name, args)
            if event.get("error") == "missing":
                result.failures[name] = f"{name} is not defined by the solution cells (was it renamed or deleted?)"
                continue
            if event.get("error"):
                result.failures[name] = f"{call} raised {str(event['error'])[:300]}"
                continue
            try:
                got = decode(event.get("result"))
            except (ValueError, TypeError, KeyError):
                result.failures[name] = f"{call} returned data that cannot be read"
                continue
            spec = SPECS[name]
            if spec.compare == "first":
                if not isinstance(got, list | tuple) or len(got) != 2:
                    result.failures[name] = f"{call} did not return a pair (out, cache)"
                    continue
                got, want = got[0], want[0]
            reason = compare(got, want, spec.tol, where=f"{call}'s result")
            if reason:
                result.failures[name] = reason
    from grader.grade_sources import defined_names

    for cell_id, code in student_cells:  # a def followed by an endless top-level loop does not count
        if result.cell_errors.get(cell_id, "").startswith("TimeoutError"):
            for name in defined_names(code):
                if name in result.checked:
                    result.failures[name] = (
                        f"its solution cell ({cell_id}) never finishes at top level (an infinite loop?)"
                    )
    for key in expected:
        if key not in answered and key[0] not in result.failures:
            result.failures[key[0]] = (
                f"{_signature(key[0], expected[key][0])} gave no answer: the check {crash or 'stopped'}"
            )
    result.seconds = time.monotonic() - started
    return result
