"""Does the trusted re-check see through the four cheats, and keep student code in its folder?

These call `grader.recheck.trusted_check.trusted_check` directly on 01_term's solution cells (no kernel, no nbgrader).
"""

from __future__ import annotations

import json

import nbformat
import numpy as np
import pytest
from conftest import ROOT

from grader.course.sources import defined_names, read_source
from grader.grading import demo_class
from grader.recheck.compare import compare
from grader.recheck.specs import object_name
from grader.recheck.trusted_check import trusted_check
from grader.sandboxed.values import decode, encode

SOURCE = ROOT / "solutions" / "01_term" / "01_term.ipynb"


@pytest.fixture(scope="module")
def info():
    return read_source("01_term", SOURCE)


def _cells(info, first_prefix: str = "", last_suffix: str = "", transform=lambda s: s):
    cells = [(gid, transform(demo_class.solution_text(code))) for gid, code in info.solution_cells.items()]
    cells[0] = (cells[0][0], first_prefix + cells[0][1])
    cells[-1] = (cells[-1][0], cells[-1][1] + last_suffix)
    return cells


def test_right_answers_pass(info) -> None:
    """Do the solution's own cells pass their re-check, with nothing flagged?"""
    result = trusted_check(info, _cells(info), "amy")
    assert result.checked and not result.failures and not result.violations and result.crash is None


@pytest.mark.parametrize(
    "prefix",
    [demo_class.CHEAT_ALLCLOSE, demo_class.CHEAT_IMPORT_HOOK],
    ids=["np.allclose patched", "import hook"],
)
def test_patching_numpy_does_not_help(info, prefix: str) -> None:
    """Do wrong functions fail even when the cell patches numpy or hooks imports (comparison is done here)?"""
    nb = demo_class.wrong(nbformat.read(SOURCE, as_version=4), nbformat.read(SOURCE, as_version=4))
    cells = [
        (c.metadata["nbgrader"]["grade_id"], c.source)
        for c in nb.cells
        if c.cell_type == "code" and c.metadata.get("nbgrader", {}).get("solution")
    ]
    cells[0] = (cells[0][0], prefix + cells[0][1])
    result = trusted_check(info, cells, "amy")
    assert set(result.failures) == set(result.checked)


def test_input_transformer_does_nothing_here(info) -> None:
    """Does an IPython input transformer that blanks later cells leave unimplemented functions failing?"""
    release = nbformat.read(ROOT / "course" / "01_term" / "01_term.ipynb", as_version=4)
    cells = [
        (c.metadata["nbgrader"]["grade_id"], c.source)
        for c in release.cells
        if c.cell_type == "code" and c.metadata.get("nbgrader", {}).get("solution")
    ]
    cells[0] = (cells[0][0], demo_class.CHEAT_TRANSFORMER + cells[0][1])
    result = trusted_check(info, cells, "amy")
    assert set(result.failures) == set(result.checked)


def test_top_level_loop_fails_its_cell(info) -> None:
    """Does a right def followed by `while True: pass` fail the functions of that cell only?"""
    result = trusted_check(info, _cells(info, last_suffix="\nwhile True:\n    pass\n"), "amy")
    last = info.exercises[-1].functions[0]
    assert set(result.failures) == {last} and "never finishes" in str(result.failures[last])


@pytest.mark.parametrize(
    "code, phrase",
    [
        (f"open({str(SOURCE)!r}).read()\n", "read files outside"),
        ("open('/tmp/bpcourse-sandbox-escape', 'w').write('x')\n", "change files outside"),
        ("import os\nos.system('true')\n", "start a process"),
        ("import subprocess\nsubprocess.run(['true'])\n", "start a process"),
    ],
)
def test_guard_refuses_and_reports(info, code: str, phrase: str) -> None:
    """Are reads of the solutions, writes outside the folder and new processes refused and reported?"""
    result = trusted_check(info, _cells(info, last_suffix="\n" + code), "amy")
    assert any(phrase in v for v in result.violations), result.violations


def test_process_suicide_costs_only_the_cell_that_did_it(info) -> None:
    """Is a solution cell that ends the process reported as such, failing the names it defines, while the other
    cells run again in a fresh child and keep their verdicts (issue 26)?"""
    cells = _cells(info, first_prefix="import os\nos._exit(3)\n")
    result = trusted_check(info, cells, "amy")
    assert result.crash and "exited early" in str(result.crash)
    first = set(defined_names(cells[0][1]))
    assert result.failures and {object_name(k) for k in result.failures} <= first, result.failures
    assert any(object_name(k) not in first for k in result.checked if k not in result.failures)
    assert all("ended the re-check process" in str(f) for f in result.failures.values())


def test_a_call_that_kills_the_child_costs_only_its_own_check(info) -> None:
    """A graded function that kills the re-check's child when called (a C stack overflow: SIGSEGV) fails its own
    check; the checks planned after it run in a fresh child and pass (issue 26)."""
    overflow = "import sys as _sys\n_sys.setrecursionlimit(10**6)\nclass _Deeper:\n    def __add__(self, other):\n" \
               "        return self + other\ndef chain_backward(cache):\n    return _Deeper() + 1\n"
    result = trusted_check(info, _cells(info, last_suffix="\n" + overflow), "amy")
    assert set(result.failures) == {"chain_backward"}, result.failures
    assert "neuron_gradients" in result.checked and result.crash and "SIGSEGV" in str(result.crash)


def test_inputs_are_seeded_per_student() -> None:
    """Do two students get different inputs, and the same student the same ones every run?"""
    from grader.recheck.specs import contract_for, seed_for

    spec = contract_for("01_term", "01_term")["propagate_back"]
    a1 = spec.cases(np.random.default_rng(seed_for("amy", "01_term", "propagate_back")))
    a2 = spec.cases(np.random.default_rng(seed_for("amy", "01_term", "propagate_back")))
    b = spec.cases(np.random.default_rng(seed_for("bo", "01_term", "propagate_back")))
    assert a1 == a2 and a1 != b


def test_plain_data_round_trip() -> None:
    """Do arrays, tuples and dicts travel as JSON (never pickle) and come back equal?"""
    value = ({"W1": np.arange(6.0).reshape(2, 3)}, [1.5, None, "relu"], np.float64(2.0))
    text = json.dumps(encode(value))
    back = decode(json.loads(text))
    assert compare(back, value, 1e-12) is None
    assert compare(back, ({"W1": np.zeros((2, 3))}, [1.5, None, "relu"], 2.0), 1e-6) is not None


@pytest.mark.parametrize(
    ("actual", "expected", "options", "verdict"),
    [
        (np.ones(3, dtype=np.float32), np.ones(3), {}, "dtype float32"),
        (np.ones(3), np.ones(3), {}, None),
        (np.array([1e-9, 1.0]), np.array([2e-9, 1.0]), {}, "relative error"),
        (np.array([1e-9, 1.0]), np.array([2e-9, 1.0]), {"error": "norm"}, None),
        ({"h": 1.4, "ratio": 0.5}, {"h": 1.0, "ratio": 0.5}, {"atol": {"h": 0.47, "ratio": 1e-6}}, None),
        ({"h": 1.0, "ratio": 0.51}, {"h": 1.0, "ratio": 0.5}, {"atol": {"h": 0.47, "ratio": 1e-6}}, "to within"),
        (2.0, 1.0, {"atol": 0.2}, "to within 0.2"),
    ],
    ids=["float32", "float64", "entrywise", "norm", "atol-dict-pass", "atol-dict-fail", "atol"],
)
def test_compare_tolerances(actual, expected, options: dict, verdict: str | None) -> None:
    """Do dtype, entrywise, norm and absolute tolerances judge as documented?"""
    reason = compare(actual, expected, 1e-6, **options)
    assert reason is None if verdict is None else verdict in str(reason), reason


@pytest.mark.slow
def test_kernel_refuses_reads_the_audit_hook_cannot_see() -> None:
    """Is a read done in C (torch.from_file, invisible to the audit hook) refused by Landlock where the kernel has
    it, and is the isolation reported either way?"""
    pytest.importorskip("torch")
    path = ROOT / "solutions" / "04_usage" / "04f_frameworks.ipynb"
    info = read_source("04_usage", path)
    secret = ROOT / "solutions" / "01_term" / "01_term.ipynb"
    reader = (
        "def linear_weight_grad(x, dz):\n"
        f"    torch.from_file({str(secret)!r}, size=8, dtype=torch.uint8)  # C++ open: no audit event\n"
        "    return dz.T @ x\n"
    )
    cells = [(gid, demo_class.solution_text(code)) for gid, code in info.solution_cells.items()]
    result = trusted_check(info, [*cells, ("reader", reader)], "amy")
    assert result.isolation, "the sandbox did not say how it was isolated"
    if not result.isolation.startswith("on:"):
        pytest.skip(f"Landlock is not available on this kernel: {result.isolation}")  # the audit hook alone guards
    assert "raised RuntimeError" in str(result.failures.get("linear_weight_grad", "")), result.failures


def test_deny_list_becomes_a_grant_of_everything_else(tmp_path) -> None:
    """Does the kernel's Landlock grant cover every sibling of a denied folder and of its ancestors, and nothing
    inside it?"""
    from grader.sandboxed.kernel_guard import readable_complement

    for folder in ("course/solutions/01", "course/bp_helpers", "course/.venv/lib", "other"):
        (tmp_path / folder).mkdir(parents=True)
    (tmp_path / "course" / "README.md").write_text("hi")
    granted = set(readable_complement([str(tmp_path / "course" / "solutions")]))
    course = tmp_path.resolve() / "course"
    assert {str(course / "bp_helpers"), str(course / ".venv"), str(course / "README.md")} <= granted
    assert str(tmp_path.resolve() / "other") in granted
    assert not {str(course), str(course / "solutions"), str(course / "solutions" / "01")} & granted
    assert all(not p.startswith(str(course / "solutions")) for p in granted)


# ----------------------------------------------------------------------------- the report is read strictly

NONE_RETURNING = "def propagate_back(local_derivatives):\n    return None\n"


def _none_cells(info, extra: str):
    """The solution's cells, but propagate_back returns None; `extra` runs at the end of the last cell."""
    cells = _cells(info, last_suffix="\n" + extra)
    return [*cells, ("late", NONE_RETURNING)]


FORGERIES = {
    # write well-formed answers straight into the report pipe, before the real ones
    "forged lines": (
        "import os, json, sys\n"
        "for _fd in range(3, 64):\n"
        "    for _case in range(8):\n"
        "        try:\n"
        "            os.write(_fd, (json.dumps({'event': 'call', 'key': 'propagate_back', 'case': _case,"
        " 'result': None, 'error': {'type': 'context'}, 'mutated': []}) + '\\n').encode())\n"
        "        except OSError:\n"
        "            pass\n"
    ),
    # replace the child's own helpers so that every call reports an error text the old grader took as a pass
    "patched runner": (
        "import sys\n"
        "_m = sys.modules['__main__']\n"
        "_m._describe = lambda err: 'context'\n"
        "_m.invoke = lambda *a, **k: (_ for _ in ()).throw(RuntimeError('context'))\n"
    ),
    # an exception class whose name was the old protocol's word for "not the student's doing"
    "exception named context": "class context(Exception):\n    pass\n",
}


@pytest.mark.parametrize("how", FORGERIES, ids=list(FORGERIES))
def test_forged_reports_earn_nothing(info, how: str) -> None:
    """Does a None-returning function stay failed however the child's report is forged (lines written into the
    pipe, the runner's helpers replaced, an exception named like a protocol word), and is a tampered report
    named as such?"""
    extra = FORGERIES[how]
    if how == "exception named context":
        extra += "def propagate_back(local_derivatives):\n    raise context('context')\n"
    cells = _none_cells(info, extra) if how != "exception named context" else _cells(info, last_suffix="\n" + extra)
    result = trusted_check(info, cells, "amy")
    assert "propagate_back" in result.failures, result.failures
    if how == "forged lines":
        assert result.protocol and "protocol violated" in result.protocol


def test_student_exception_text_never_reaches_the_reason(info) -> None:
    """Is a student's exception shown by its type only, never by its message (which could carry hidden tests)?"""
    leak = "def propagate_back(local_derivatives):\n    raise AssertionError('LEAK:' + 'secret-words')\n"
    result = trusted_check(info, [*_cells(info), ("late", leak)], "amy")
    reason = str(result.failures["propagate_back"])
    assert "raised AssertionError" in reason and "LEAK" not in reason and "secret" not in reason


def test_sandbox_cannot_start_processes_through_ctypes(info) -> None:
    """Is a fork done in C (ctypes, no audit event) refused by the seccomp filter, so a child cannot outlive the
    limits?"""
    fork = (
        "import ctypes\n"
        "def propagate_back(local_derivatives):\n"
        "    if ctypes.CDLL(None).fork() == 0:\n"
        "        while True:\n"
        "            pass\n"
        "    out, g = [1.0], 1.0\n"
        "    for d in reversed(local_derivatives):\n"
        "        g *= d\n"
        "        out.append(g)\n"
        "    return out\n"
    )
    result = trusted_check(info, [*_cells(info), ("late", fork)], "amy")
    if not result.processes.startswith("on"):
        pytest.skip(f"seccomp is not available here: {result.processes}")
    # ctypes is refused by the audit hook; a fork that got through would have left a spinning child behind
    assert "propagate_back" in result.failures


def test_a_result_holding_nan_is_not_taken_for_a_changed_one() -> None:
    """Is a result that holds NaN (NaN != NaN) reported unchanged when nothing changed it, while a result a later
    call really changes is reported?"""
    from grader.recheck.limits import Limits
    from grader.recheck.sandbox import run_job

    code = (
        "import numpy as np\n"
        "_kept = np.zeros(2)\n"
        "def with_nan(x):\n    return np.array([np.nan, x])\n"
        "def shared(x):\n    _kept[:] = x\n    return _kept\n"
    )
    calls = [
        {"key": name, "function": name, "case": case, "args": encode((float(case),)), "kind": "call"}
        for name in ("with_nan", "shared")
        for case in (0, 1)
    ]
    lines, crash = run_job([], [("cell", code)], calls, Limits())
    changed = {(e["key"], e["case"]) for e in map(json.loads, lines) if e.get("event") == "changed"}
    assert crash is None and changed == {("shared", 0)}, lines


def test_a_kernel_filling_its_folder_is_stopped_while_it_runs(tmp_path) -> None:
    """Is a kernel whose folder grows past the scratch limit (files of 57 MB, each under the per-file limit, as a
    disk-filling notebook writes them) killed while it runs, with the reason named, rather than only reported
    after the job (when the workspace's disk may be full already)?"""
    import signal
    import subprocess
    import sys
    from types import SimpleNamespace

    from grader.grading.job_kernel import MAX_SCRATCH_BYTES, Budget, JobFolders, Watchdog

    folders = JobFolders.create(tmp_path / "scratch", "filler")
    kernel = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(600)"])
    watchdog = Watchdog(600, Budget(cpu_seconds=600, wall_seconds=600), folders=folders)
    watchdog.executor = SimpleNamespace(km=SimpleNamespace(provisioner=SimpleNamespace(pid=kernel.pid)))
    try:
        watchdog.attach()
        chunk = b"\0" * (57 * 1024**2)
        for i in range(MAX_SCRATCH_BYTES // len(chunk) + 1):
            (folders.work / f"fill-{i}.bin").write_bytes(chunk)
        assert kernel.wait(timeout=120) == -signal.SIGKILL
        assert "wrote more than" in str(watchdog.why_dead()), watchdog.why_dead()
    finally:
        watchdog.stop()
        kernel.kill()
        kernel.wait()
        folders.remove()


HEAP_SPY = '''
import gc, sys

def _found(markers):
    """Every marker found in a string held by any container of this process (gc.get_objects), or by a frame."""
    hits = set()
    def look(value):
        if any(value is m for m in markers):  # the spy's own list of what it looks for
            return
        if isinstance(value, str):
            hits.update(m for m in markers if m in value)
        elif isinstance(value, bytes | bytearray):
            hits.update(m for m in markers if m.encode() in value)
    for obj in gc.get_objects():
        if isinstance(obj, dict):
            for k, v in obj.items():
                look(k), look(v)
        elif isinstance(obj, list | tuple | set | frozenset):
            for v in obj:
                look(v)
    frame = sys._getframe()
    while frame is not None:
        for v in frame.f_locals.values():
            look(v)
        frame = frame.f_back
    return sorted(hits)

# joined here, so that this cell's own text (which the child holds: it is the student's) does not contain them
MARKERS = ["FUTURE" + "-INPUT", "TRUSTED" + "-CONTEXT-TEXT", "05" + ": Dual", "TRUSTED" + "-SETUP-TEXT"]
AT_TOP_LEVEL = _found(MARKERS)

def spy(x):
    return ",".join(AT_TOP_LEVEL) + "|" + ",".join(_found(MARKERS))
'''


def test_the_recheck_child_holds_nothing_trusted_that_student_code_can_find() -> None:
    """Issue 21 item 3: does a student's code, searching every object of the re-check child (gc.get_objects, its
    callers' frames) from a cell and from a graded call, find no later call's inputs, no text of the trusted
    context (the solution code some probes get), of the probes or of the setup cells?"""
    from grader.recheck.limits import Limits
    from grader.recheck.sandbox import run_job

    context = "# TRUSTED-CONTEXT-TEXT\ndef helper(x):\n    return x\n"
    setup = "# TRUSTED-SETUP-TEXT\nimport numpy as np\n"
    calls = [
        {"key": "spy", "function": "spy", "case": i, "args": encode((f"{'FUTURE-INPUT' if i else 'now'} {i}",)),
         "kind": "call"}
        for i in range(3)
    ]
    lines, crash = run_job([setup], [("cell", HEAP_SPY)], calls, Limits(), context_sources=[context],
                           context_names=["helper"])
    answers = {e["case"]: decode(e["result"]) for e in map(json.loads, lines) if e.get("event") == "call"}
    assert crash is None and set(answers) == {0, 1, 2}, lines
    assert answers[0] == "|", answers  # nothing found, neither while the cells ran nor during the first call
    # (a later call finds its own input only: it holds it as its argument)
    assert answers[1] == "|FUTURE-INPUT" and answers[2] == "|FUTURE-INPUT", answers


def test_a_call_asked_for_out_of_order_breaks_the_report(info) -> None:
    """A student cell that writes its own "want" lines into the report (to be sent the hidden inputs early) gets
    the protocol broken and the notebook flagged, never a verdict."""
    forge = (
        "import os, json\n"
        "for _fd in range(3, 64):\n"
        "    try:\n"
        "        os.write(_fd, (json.dumps({'event': 'want', 'index': 0}) + '\\n').encode())\n"
        "    except OSError:\n"
        "        pass\n"
    )
    result = trusted_check(info, _cells(info, last_suffix="\n" + forge), "amy")
    assert result.protocol and "protocol violated" in result.protocol, result
    assert set(result.failures) == set(result.checked)


def test_a_recheck_child_filling_its_folder_is_stopped_while_it_runs() -> None:
    """Issue 21 item 4: is a re-check child that writes file after file (each under the per-file limit) into its
    folder stopped once the folder passes its cap, with the reason named, where no tmpfs of its own caps it (here:
    outside a grading job's private mount namespace)? (At most 300 MB are written, so that a grader without the cap
    fails this test without filling the disk.)"""
    from grader.recheck.limits import Limits
    from grader.recheck.sandbox import SANDBOX_BYTES, run_job

    filler = (
        "import time\n"
        "for i in range(30):\n"
        "    with open(f'fill-{i}.bin', 'wb') as f:\n"
        "        f.write(b'x' * (10 * 1024**2))\n"
        "    time.sleep(0.1)\n"
        "def answer(x):\n    return x\n"
    )
    calls = [{"key": "answer", "function": "answer", "case": 0, "args": encode((1.0,)), "kind": "call"}]
    assert 30 * 10 * 1024**2 > SANDBOX_BYTES
    lines, crash = run_job([], [("cell", filler)], calls, Limits(wall_seconds=120))
    assert crash and f"more than {SANDBOX_BYTES // 1024**2} MB" in str(crash), (crash, lines[-3:])


def test_an_unwritten_function_is_named_not_implemented_yet(info) -> None:
    """Issue 26: is a function still raising NotImplementedError (the released cells, untouched) said to be not
    implemented yet, rather than only "raised NotImplementedError"?"""
    release = nbformat.read(ROOT / "course" / "01_term" / "01_term.ipynb", as_version=4)
    cells = [
        (c.metadata["nbgrader"]["grade_id"], c.source)
        for c in release.cells
        if c.cell_type == "code" and c.metadata.get("nbgrader", {}).get("solution")
    ]
    result = trusted_check(info, cells, "amy")
    reasons = [str(why) for why in result.failures.values()]
    assert reasons and all("not implemented yet" in why for why in reasons), reasons


def test_the_call_feed_answers_wants_split_across_chunks_and_only_in_order() -> None:
    """The parent's side of the "want" protocol: a want split across reads is answered once; a want for a later
    index, or one buried after a long line without newline, is not."""
    from grader.recheck.sandbox import WANT_LINE_BYTES, _CallFeed

    feed = _CallFeed([{"key": "f", "case": 0, "args": [1]}, {"key": "f", "case": 1, "args": [2]}])
    feed.read(b'{"event": "want", "ind')
    assert not feed.pending
    feed.read(b'ex": 0}\n{"event": "want", "index": 2}\n')
    assert json.loads(bytes(feed.pending)) == {"key": "f", "case": 0, "args": [1]} and feed.next == 1
    feed.pending.clear()
    feed.read(b"x" * (3 * WANT_LINE_BYTES))
    feed.read(b'{"event": "want", "index": 1}\n')  # on the same line as the junk: not a want
    assert not feed.pending
    feed.read(b'{"event": "want", "index": 1}\n')
    assert json.loads(bytes(feed.pending))["case"] == 1


def test_a_function_whose_cell_stopped_at_an_import_is_named_so(info) -> None:
    """Issue 29 item 6: a student's cell that imports a library the grader lacks, then defines the graded function:
    the function is missing because the import stopped the cell, not "renamed or deleted?"."""
    result = trusted_check(info, _cells(info, first_prefix="import a_library_nobody_has\n"), "amy")
    first = info.exercises[0].functions[0]
    reason = str(result.failures[first])
    assert "stopped with ModuleNotFoundError before defining it" in reason and "renamed" not in reason, reason
