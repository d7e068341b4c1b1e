"""The adversarial corpus: bad, broken and cheating submissions built from a solution and its release notebook.

Each case is a recipe `(release, source, info, others) -> notebook or text` plus its expected outcome:
`score(info)` the autograded points it must get, and `flag` a phrase its `needs review` status must contain
(None: it must not be flagged). `info` is the source's `grader.course.sources.SourceInfo`; `others` maps other
assignments to their solution notebooks (for "a notebook of another assignment").
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import nbformat

from grader.grading import demo_class


@dataclass(frozen=True)
class Case:
    name: str
    build: Callable
    score: Callable  # SourceInfo -> expected autograded points
    flag: str | None  # phrase in the needs-review status; None: not flagged
    question: str


def _meta(cell) -> dict:
    return cell.metadata.get("nbgrader", {}) or {}


def full(info) -> float:
    return sum(e.points for e in info.exercises)


def zero(info) -> float:
    return 0.0


def all_but_first(info) -> float:
    return full(info) - info.exercises[0].points


def all_but_last(info) -> float:
    return full(info) - info.exercises[-1].points


def _first_function(info) -> str:
    return info.exercises[0].functions[0]


def _first_solution(nb):
    return next(c for c in nb.cells if c.cell_type == "code" and _meta(c).get("solution"))


def _tests(nb):
    return [c for c in nb.cells if c.cell_type == "code" and _meta(c).get("grade") and not _meta(c).get("solution")]


def _append_to_first(code: str):
    def build(release, source, info, others):
        nb = demo_class.right(release, source)
        _first_solution(nb).source += "\n" + code
        return nb

    return build


def deleted_test(release, source, info, others):
    nb = demo_class.right(release, source)
    nb.cells.remove(_tests(nb)[0])
    return nb


def duplicated_test(release, source, info, others):
    nb = demo_class.right(release, source)
    first = _tests(nb)[0]
    nb.cells.insert(nb.cells.index(first) + 1, copy.deepcopy(first))
    return nb


def edited_test(release, source, info, others):
    nb = demo_class.right(release, source)
    for cell in _tests(nb):
        cell.source = "pass  # all good"
    return nb


def edited_test_wrong_answer(release, source, info, others):
    nb = demo_class.untouched(release, source)
    for cell in _tests(nb):
        cell.source = "pass"
    return nb


def renamed_function(release, source, info, others):
    nb = demo_class.right(release, source)
    name = _first_function(info)
    cell = _first_solution(nb)
    cell.source = cell.source.replace(f"def {name}(", f"def {name}_v2(")
    return nb


def changed_points(release, source, info, others):
    nb = demo_class.untouched(release, source)
    for cell in _tests(nb):
        cell.metadata["nbgrader"]["points"] = 100
    return nb


def changed_grade_id(release, source, info, others):
    nb = demo_class.right(release, source)
    _first_solution(nb).metadata["nbgrader"]["grade_id"] = "my_own_id"
    return nb


def metadata_removed(release, source, info, others):
    nb = demo_class.right(release, source)
    for cell in nb.cells:
        cell.metadata.pop("nbgrader", None)
    return nb


def loop_in_function(release, source, info, others):
    nb = demo_class.right(release, source)
    name = _first_function(info)
    _first_solution(nb).source += f"\n\ndef {name}(*args, **kwargs):\n    while True:\n        pass\n"
    return nb


def other_assignment(release, source, info, others):
    if not others:
        return nbformat.v4.new_notebook()  # no other assignment yet: an empty notebook stands in
    return demo_class.untouched(next(iter(others.values())), None)


def nbformat_3(release, source, info, others):
    return nbformat.writes(nbformat.convert(demo_class.right(release, source), 3), version=3)


def nbformat_5(release, source, info, others):
    text = nbformat.writes(demo_class.right(release, source))
    return text.replace('"nbformat": 4', '"nbformat": 5', 1)


def stderr_warning(release, source, info, others):
    nb = demo_class.right(release, source)
    name = _first_function(info)
    _first_solution(nb).source += (
        f"\n\nimport sys as _sys\n_{name}_inner = {name}\n\n"
        f"def {name}(*args, **kwargs):\n"
        "    _sys.stderr.write('RuntimeWarning: overflow encountered in exp\\n')\n"
        f"    return _{name}_inner(*args, **kwargs)\n"
    )
    return nb


ROOT = Path(__file__).resolve().parents[3]
SOLUTIONS = ROOT / "solutions"

READ_SOLUTIONS = f"""import pathlib as _pathlib
_answers = [p.read_text() for p in _pathlib.Path({str(SOLUTIONS)!r}).glob("*/*.ipynb")]
"""

# A C-level open (ctypes): no audit event, so only the operating system (Landlock) can refuse it. If the read
# succeeds, the first graded function is replaced by a wrong one, so the score shows whether it was refused.
READ_SOLUTIONS_IN_C = """import ctypes as _ctypes
_path = """ + repr(str(SOLUTIONS / "01_term" / "01_term.ipynb")) + """.encode()
if _ctypes.CDLL(None).open(_path, 0) >= 0:
    def {name}(*args, **kwargs):
        return None
"""


def reads_solutions_in_c(release, source, info, others):
    nb = demo_class.right(release, source)
    _first_solution(nb).source += "\n" + READ_SOLUTIONS_IN_C.format(name=_first_function(info))
    return nb


def os_refuses_reads(info) -> float:
    """Full marks where the kernel is confined by Landlock; else the C-level read succeeds and costs the first
    exercise (the audit hook cannot see it)."""
    from grader.sandboxed.confinement import landlock_abi

    return full(info) if landlock_abi() >= 1 else all_but_first(info)


READ_SOURCE = """import glob
_answers = [open(p).read() for p in glob.glob("../../../../../source/*/*.ipynb")]
"""

# Issue 11/17's attacks. Each breaks the first graded function when the attack succeeds, so the score shows it.
def _break_first_if(condition: str):
    def build(release, source, info, others):
        nb = demo_class.right(release, source)
        name = _first_function(info)
        _first_solution(nb).source += f"\nif {condition}:\n    def {name}(*args, **kwargs):\n        return None\n"
        return nb

    return build


# a FIFO where the old grader's shared matplotlib folder was: every later kernel hung at `import matplotlib`
FIFO_IN_MPLCONFIG = """import os as _os
try:
    _os.mkfifo(_os.path.join(_os.environ.get("MPLCONFIGDIR", "/tmp"), "matplotlibrc"))
except OSError:
    pass
"""

# another grading workspace on the machine (an earlier term): its source/ holds every hidden test
OTHER_WORKSPACE = "/tmp/bpcourse-adversarial-old-term/source/01_term/01_term.ipynb"

READS_ELSEWHERE_IN_C = (
    "__import__('ctypes').CDLL(None).open(" + repr(OTHER_WORKSPACE) + ".encode(), 0) >= 0"
    " or __import__('ctypes').CDLL(None).open(b'/proc/1/environ', 0) >= 0"
)

READS_ELSEWHERE = """for _p in (""" + repr(OTHER_WORKSPACE) + """, "/proc/%d/environ" % __import__("os").getppid()):
    try:
        open(_p, "rb").read()
    except OSError:
        pass
"""

# the grader's environment, or the grader's descriptors, within the kernel's reach
GRADERS_ENVIRONMENT = (
    "any(k.startswith(('JUPYTER_PATH', 'VIRTUAL_ENV', 'PYTEST', 'CI')) for k in __import__('os').environ)"
)

WRITES_INHERITED_FDS = """import os as _os
for _fd in range(3, 64):
    try:
        _os.ftruncate(_fd, 0)
    except OSError:
        pass
    try:
        _os.write(_fd, b"INJECTED-BY-STUDENT \\x1b[2J good 12/12 all ok\\n")
    except OSError:
        pass
"""

LEAK_HIDDEN_TESTS = """import base64 as _b64, zlib as _zlib

def {name}(*args, **kwargs):
    _test = get_ipython().user_ns["_ih"][-1].encode()
    raise AssertionError("LEAK:" + _b64.b64encode(_zlib.compress(_test)).decode()[:380])
"""


def leaks_hidden_tests(release, source, info, others):
    nb = demo_class.right(release, source)
    _first_solution(nb).source += "\n" + LEAK_HIDDEN_TESTS.format(name=_first_function(info))
    return nb


# Issue 21's attacks: a way out of the job. A UDP listener of the test (test_grade_adversarial.py) waits on this
# port; a hook IPython runs before every cell sends that cell's source (the hidden tests) there, by sendto and by
# sendmsg (which the re-check's audit hook never refused). If a datagram could be sent at all, the first graded
# function is broken too, so the score shows it.
UDP_PORT = 47_921
UDP_LEAK = """import socket as _socket

def _udp_send(data):
    try:
        _s = _socket.socket(_socket.AF_INET, _socket.SOCK_DGRAM)
        return _s.sendto(data, ("127.0.0.1", PORT)) + _s.sendmsg([data], [], 0, ("127.0.0.1", PORT))
    except OSError:
        return 0

try:
    get_ipython().events.register("pre_run_cell", lambda info: _udp_send(info.raw_cell.encode()[:8000]))
except NameError:  # the re-check's process has no IPython
    pass
if _udp_send(b"hello from the student"):
    def {name}(*args, **kwargs):
        return None
""".replace("PORT", str(UDP_PORT))


def leaks_over_udp(release, source, info, others):
    nb = demo_class.right(release, source)
    _first_solution(nb).source += "\n" + UDP_LEAK.format(name=_first_function(info))
    return nb


# Kernel objects that outlive the job (SysV message queue and shared memory: a channel between students' kernels)
# or reach outside it (a pidfd, io_uring: 434 and 425 on every Linux architecture since 5.1). IPC_PRIVATE | IPC_CREAT.
KERNEL_INTERFACES = (
    "(lambda c: c.msgget(0, 0o1600) >= 0 or c.shmget(0, 4096, 0o1600) >= 0 or c.semget(0, 1, 0o1600) >= 0"
    " or c.syscall(434, __import__('os').getpid(), 0) >= 0 or c.syscall(425, 4, bytes(120)) >= 0)"
    "(__import__('ctypes').CDLL(None))"
)


FORGES_BOTH_JUDGES = """import os as _os, json as _json
def _swallow(lines):
    return ["try:\\n"] + ["    " + line for line in lines] + ["\\nexcept BaseException:\\n    pass\\n"]
get_ipython().input_transformers_cleanup.append(_swallow)
for _fd in range(3, 64):
    for _case in range(12):
        for _key in {keys!r}:
            try:
                _os.write(_fd, (_json.dumps({{"event": "call", "key": _key, "case": _case, "result": None,
                                             "error": {{"type": "context"}}, "mutated": []}}) + "\\n").encode())
            except OSError:
                pass
"""


def forges_both_judges(release, source, info, others):
    """Functions that return None, a kernel transformer that swallows every failing test, and forged re-check
    answers written into every descriptor: the three routes to full marks at commit 1a5de27."""
    nb = copy.deepcopy(release)
    keys = [f for ex in info.exercises for f in ex.functions]
    for cell in nb.cells:
        if cell.cell_type == "code" and _meta(cell).get("solution"):
            cell.source = cell.source.replace("raise NotImplementedError", "return None")
    _first_solution(nb).source = FORGES_BOTH_JUDGES.format(keys=keys) + "\n" + _first_solution(nb).source
    return nb


# read the solutions (refused, and named on the guard channel), then try to erase what the channel carried
TRUNCATES_GUARD_LOG = READ_SOLUTIONS.replace("_answers = ", "try:\n    _answers = ").replace(
    "\n", "\n", 1
) + """except OSError:
    pass
import os as _os
for _fd in range(3, 64):
    try:
        _os.ftruncate(_fd, 0)
        _os.lseek(_fd, 0, 0)
    except OSError:
        pass
"""

FLOODS_SCRATCH = """import os as _os
for _i in range(3000):
    with open(f"_junk_{_i}.txt", "w") as _f:
        _f.write("x")
"""

EQUALS_ANYTHING = """class _Anything(list):
    def __eq__(self, other):
        return True
    __hash__ = None

def {name}(*args, **kwargs):
    return _Anything()
"""


def equals_anything(release, source, info, others):
    nb = demo_class.right(release, source)
    _first_solution(nb).source += "\n" + EQUALS_ANYTHING.format(name=_first_function(info))
    return nb


# Issue 11: values that say "equal" to anything through numpy, state kept between calls, deep recursion. Each
# redefines one graded function in the solution cell that defines it (a later definition wins, as in a student's
# notebook), so the score shows which exercise it cost.
def _exercise_points(info, name: str) -> float:
    return sum(e.points for e in info.exercises if name in e.functions)


def all_but(name: str) -> Callable:
    """Every point but those of the exercises that use `name`."""

    def score(info) -> float:
        return full(info) - _exercise_points(info, name)

    return score


def _redefine(name: str, code: str) -> Callable:
    """A right notebook whose solution cell defining `name` ends with `code` (which redefines it)."""

    def build(release, source, info, others):
        nb = demo_class.right(release, source)
        gid = info.function_cell[name]
        cell = next(c for c in nb.cells if c.cell_type == "code" and _meta(c).get("grade_id") == gid)
        cell.source += "\n\n" + code
        return nb

    return build


# Not a list: the right values exist only when numpy asks for them (__array__), len and indexing work, == says yes.
# The grader must never run student code to compare; the re-check can only carry plain data back.
ARRAY_PROTOCOL_LAZY = """class _LazyGrads:
    def __init__(self, local_derivatives):
        self._ds = list(local_derivatives)

    def _values(self):
        grads = [1.0]
        for local in reversed(self._ds):
            grads.append(grads[-1] * local)
        return grads

    def __array__(self, dtype=None, copy=None):
        return np.asarray(self._values(), dtype=dtype)

    def __len__(self):
        return len(self._ds) + 1

    def __getitem__(self, i):
        return self._values()[i]

    def __iter__(self):
        return iter(self._values())

    def __eq__(self, other):
        return True

    __hash__ = None


def propagate_back(local_derivatives):
    return _LazyGrads(local_derivatives)
"""

# y is an object whose __array__ gives zeros of the right shape and float64 dtype, and whose == and != agree.
ARRAY_PROTOCOL_WRONG = """class _Looks:
    def __init__(self, shape):
        self.shape, self.dtype, self.ndim = shape, np.dtype(np.float64), len(shape)

    def __array__(self, dtype=None, copy=None):
        return np.zeros(self.shape, dtype=dtype or np.float64)

    def __eq__(self, other):
        return np.ones(self.shape, dtype=bool)

    def __ne__(self, other):
        return np.zeros(self.shape, dtype=bool)

    __hash__ = None


def chain_forward(x):
    a = 2.0 * x + 1.0
    b = a**2
    return _Looks(np.shape(x)), (x, a, b)
"""

# A real ndarray (isinstance passes) of wrong values (zeros) whose ==, ufuncs, allclose and friends say True.
NDARRAY_SUBCLASS = """class _Agreeable(np.ndarray):
    def __eq__(self, other):
        return np.ones(self.shape, dtype=bool)

    def __ne__(self, other):
        return np.zeros(self.shape, dtype=bool)

    __hash__ = None

    def __array_ufunc__(self, ufunc, method, *inputs, **kwargs):
        if ufunc in (np.equal, np.isclose, np.less_equal, np.isfinite, np.greater_equal):
            shape = np.broadcast_shapes(*(np.shape(i) for i in inputs))
            return np.ones(shape, dtype=bool)
        inputs = tuple(i.view(np.ndarray) if isinstance(i, _Agreeable) else i for i in inputs)
        return getattr(ufunc, method)(*inputs, **kwargs)

    def __array_function__(self, func, types, args, kwargs):
        if func in (np.allclose, np.array_equal, np.array_equiv, np.isclose, np.all):
            return True
        args = tuple(a.view(np.ndarray) if isinstance(a, _Agreeable) else a for a in args)
        return func(*args, **kwargs)

    def all(self, *args, **kwargs):
        return True

    def __bool__(self):
        return True


def chain_backward(cache):
    x = np.asarray(cache[0], dtype=np.float64)
    return np.zeros(x.shape).view(_Agreeable)
"""

OBJECT_DTYPE = """class _Yes:
    def __eq__(self, other):
        return True

    def __ne__(self, other):
        return False

    __hash__ = None


def chain_backward(cache):
    out = np.empty(np.shape(cache[0]), dtype=object)
    for i in np.ndindex(out.shape):
        out[i] = _Yes()
    return out
"""

NAN_ARRAY = """def chain_backward(cache):
    return np.full(np.shape(cache[0]), np.nan)
"""

# State kept between calls: the first answer is right, every later call returns it again.
RIGHT_FIRST_CALL_ONLY = """_first_answer = []


def propagate_back(local_derivatives):
    if not _first_answer:
        grads = [1.0]
        for local in reversed(local_derivatives):
            grads.append(grads[-1] * local)
        _first_answer.append(grads)
    return list(_first_answer[0])
"""

# State kept between calls: the first result for each shape, returned for every later input of that shape.
CACHES_BY_SHAPE = """_by_shape = {}


def chain_backward(cache):
    key = np.shape(cache[0])
    if key not in _by_shape:
        x, a, b = cache
        _by_shape[key] = np.cos(b) * 2.0 * a * 2.0
    return _by_shape[key].copy()
"""

# Right values, but the kernel ends itself when its test calls the function (the re-check's child has no ipykernel):
# a test cell cut short has no error output, which nbgrader alone would score as passed.
DIES_IN_KERNEL_TEST = """import os as _os
import sys as _sys
import time as _time

_right_chain_backward = chain_backward
_calls = []


def chain_backward(cache):
    _calls.append(1)
    if "ipykernel" in _sys.modules and len(_calls) > 1:  # the visible check has run; the hidden ones never will
        _time.sleep(0.5)
        _os._exit(0)
    return _right_chain_backward(cache)
"""

RECURSION_ERROR = """def chain_backward(cache):
    return chain_backward(cache)
"""

# The recursion limit raised so high that recursion through C (an operator calling itself) overflows the C stack
# first: the process dies of SIGSEGV, in the kernel and in the re-check's child alike.
C_STACK_OVERFLOW = """import sys as _sys

_sys.setrecursionlimit(10**6)


class _Deeper:
    def __add__(self, other):
        return self + other


def chain_backward(cache):
    return _Deeper() + 1
"""


CASES = [
    Case(
        "solution",
        lambda r, s, i, o: demo_class.right(r, s),
        full,
        None,
        "Does a right notebook earn every autograded point, unflagged?",
    ),
    Case(
        "release",
        lambda r, s, i, o: demo_class.untouched(r, s),
        zero,
        None,
        "Does the untouched release score 0, unflagged?",
    ),
    Case("wrong", lambda r, s, i, o: demo_class.wrong(r, s), zero, None, "Do wrong values score 0?"),
    Case(
        "cheat_allclose",
        lambda r, s, i, o: demo_class.cheat_allclose(r, s),
        zero,
        "trusted re-check",
        "Does patching np.allclose in a solution cell earn nothing and get flagged?",
    ),
    Case(
        "cheat_import_hook",
        lambda r, s, i, o: demo_class.cheat_import_hook(r, s),
        zero,
        "trusted re-check",
        "Does a builtins.__import__ hook that patches numpy earn nothing and get flagged?",
    ),
    Case(
        "cheat_transformer",
        lambda r, s, i, o: demo_class.cheat_transformer(r, s),
        zero,
        "trusted re-check",
        "Does an IPython input transformer that blanks later cells earn nothing and get flagged?",
    ),
    Case(
        "cheat_top_level_loop",
        lambda r, s, i, o: demo_class.cheat_loop(r, s),
        all_but_last,
        "infinite loop",
        "Does a right def followed by `while True: pass` lose that exercise and get flagged?",
    ),
    Case(
        "corrupt_json",
        lambda r, s, i, o: demo_class.corrupt_json(r, s),
        zero,
        "not valid JSON",
        "Is a truncated notebook reported, never a silent 0?",
    ),
    Case("empty_file", lambda r, s, i, o: "", zero, "empty", "Is an empty file reported?"),
    Case("other_assignment", other_assignment, zero, "not of", "Is a notebook of another assignment reported?"),
    Case(
        "nbformat_3", nbformat_3, full, "notebook format 3", "Is an nbformat 3 notebook converted, graded and flagged?"
    ),
    Case("nbformat_5", nbformat_5, zero, "unreadable", "Is a notebook of an unknown nbformat version reported?"),
    Case("deleted_test", deleted_test, full, "deleted", "Is a deleted test cell put back, run and flagged?"),
    Case("duplicated_test", duplicated_test, full, "duplicated", "Is a duplicated test cell graded once and flagged?"),
    Case("edited_test", edited_test, full, "edited", "Does an edited test cell run as the original, flagged?"),
    Case(
        "edited_test_release",
        edited_test_wrong_answer,
        zero,
        "edited",
        "Do tests replaced by `pass` still fail an unanswered notebook?",
    ),
    Case("renamed_function", renamed_function, all_but_first, "renamed", "Is a renamed function named as the cause?"),
    Case("changed_points", changed_points, zero, "metadata", "Do changed points count as the original, flagged?"),
    Case(
        "changed_grade_id",
        changed_grade_id,
        full,
        "grade id",
        "Is a solution cell with a changed grade id still found, and flagged?",
    ),
    Case(
        "metadata_removed",
        metadata_removed,
        zero,
        "no graded cell",
        "Is a notebook stripped of all nbgrader metadata reported?",
    ),
    Case(
        "loop_in_function",
        loop_in_function,
        all_but_first,
        "ran past",
        "Does an infinite loop inside a function cost that exercise only, flagged?",
    ),
    Case(
        "kernel_suicide",
        lambda r, s, i, o: demo_class.kernel_suicide(r, s),
        all_but_first,
        "kernel died",
        "Is a kernel that kills itself in the first solution cell reported, costing only that cell's exercise (the "
        "notebook runs again without it, issue 26)?",
    ),
    Case(
        "huge_output",
        _append_to_first("print('x' * 30_000_000)\nfor _i in range(20_000):\n    print(_i)"),
        full,
        None,
        "Does huge output neither break grading nor cost points?",
    ),
    Case(
        "huge_memory",
        _append_to_first("import numpy as _np\n_big = _np.ones((60_000, 60_000))"),
        full,
        "out of memory",
        "Is a huge allocation stopped by the memory limit and flagged, keeping the points?",
    ),
    Case(
        "reads_solutions",
        _append_to_first(READ_SOLUTIONS),
        full,
        "read files outside",
        "Is reading the solutions from disk refused and flagged?",
    ),
    Case(
        "reads_solutions_in_c",
        reads_solutions_in_c,
        os_refuses_reads,
        "ctypes",  # the re-check's process refuses ctypes outright, and names it
        "Is a C-level read of the solutions (ctypes, no audit event) refused by the OS, so it earns nothing?",
    ),
    Case(
        "reads_workspace_source",
        _append_to_first(READ_SOURCE),
        full,
        "read files outside",
        "Is reading the workspace's source notebooks (hidden tests) refused and flagged?",
    ),
    Case(
        "writes_outside",
        _append_to_first("open('/tmp/bpcourse-escape.txt', 'w').write('x')"),
        full,
        "change files outside",
        "Is writing outside the working folder refused and flagged?",
    ),
    Case("stderr_warning", stderr_warning, full, None, "Does a warning on stderr leave a right answer its points?"),
    Case(
        "forges_both_judges",
        forges_both_judges,
        zero,
        "protocol violated",
        "Do empty functions earn nothing when the kernel swallows failures and the re-check's report is forged?",
    ),
    Case(
        "leaks_hidden_tests",
        leaks_hidden_tests,
        all_but_first,
        None,
        "Does a function that raises the running test cell's source earn nothing, its text never shown?",
    ),
    Case(
        "fifo_in_mplconfig",
        _append_to_first(FIFO_IN_MPLCONFIG),
        full,
        None,
        "Does a FIFO left in the kernel's matplotlib folder harm nobody (each job has its own, removed after)?",
    ),
    Case(
        "forks_in_c",
        _break_first_if("__import__('ctypes').CDLL(None).fork() >= 0"),
        full,
        "ctypes",
        "Is a fork done in C (ctypes, no audit event) refused by the seccomp filter?",
    ),
    Case(
        "reads_elsewhere_in_c",
        _break_first_if(READS_ELSEWHERE_IN_C),
        full,
        "ctypes",
        "Are C-level reads of another workspace and of another process's /proc refused by the allow-list?",
    ),
    Case(
        "reads_elsewhere",
        _append_to_first(READS_ELSEWHERE),
        full,
        "read files outside",
        "Are Python reads of another workspace and of the grader's /proc/<pid>/environ refused and flagged?",
    ),
    Case(
        "sees_graders_environment",
        _break_first_if(GRADERS_ENVIRONMENT),
        full,
        None,
        "Does the kernel start with a clean environment, none of the grader's variables?",
    ),
    Case(
        "truncates_guard_log",
        _append_to_first(TRUNCATES_GUARD_LOG),
        full,
        "read files outside",
        "Is a refused read still flagged when the code then truncates and rewinds every descriptor it holds?",
    ),
    Case(
        "floods_scratch",
        _append_to_first(FLOODS_SCRATCH),
        full,
        "files",
        "Are 3,000 files left in the job's folder flagged (and removed with it)?",
    ),
    Case(
        "equals_anything",
        equals_anything,
        all_but_first,
        None,
        "Does a return value whose == says True to anything earn nothing?",
    ),
    Case(
        "writes_inherited_fds",
        _append_to_first(WRITES_INHERITED_FDS),
        zero,  # the lines written into the re-check's report pipe break its protocol: nothing is trusted
        "protocol violated",
        "Does writing into every descriptor reach neither the grader's output nor hang the batch, and earn nothing?",
    ),
    Case(
        "array_protocol_lazy",
        _redefine("propagate_back", ARRAY_PROTOCOL_LAZY),
        all_but("propagate_back"),
        "trusted re-check",
        "Does an object that yields the right values only through __array__ (== says yes) earn nothing: the grader "
        "compares plain data and never runs student code to get it?",
    ),
    Case(
        "array_protocol_wrong",
        _redefine("chain_forward", ARRAY_PROTOCOL_WRONG),
        all_but("chain_forward"),
        None,
        "Does an object whose __array__ gives wrong values of the right shape and dtype earn nothing?",
    ),
    Case(
        "ndarray_subclass_agrees",
        _redefine("chain_backward", NDARRAY_SUBCLASS),
        all_but("chain_backward"),
        None,
        "Does an ndarray subclass of wrong values whose ==, ufuncs and np.allclose say True earn nothing?",
    ),
    Case(
        "object_dtype_equals_true",
        _redefine("chain_backward", OBJECT_DTYPE),
        all_but("chain_backward"),
        None,
        "Does an object-dtype array of objects whose == is always True earn nothing?",
    ),
    Case(
        "nan_array",
        _redefine("chain_backward", NAN_ARRAY),
        all_but("chain_backward"),
        None,
        "Does an array of NaN (which compares equal to nothing, and is skipped by careless checks) earn nothing?",
    ),
    Case(
        "right_first_call_only",
        _redefine("propagate_back", RIGHT_FIRST_CALL_ONLY),
        all_but("propagate_back"),
        None,
        "Does a function that is right on its first call and repeats that answer later earn nothing?",
    ),
    Case(
        "caches_by_shape",
        _redefine("chain_backward", CACHES_BY_SHAPE),
        all_but("chain_backward"),
        "trusted re-check",
        "Does a function that returns its first result for every later input of the same shape earn nothing (the "
        "re-check calls chain_backward twice with one shape), flagged since the kernel's tests are fooled?",
    ),
    Case(
        "recursion_error",
        _redefine("chain_backward", RECURSION_ERROR),
        all_but("chain_backward"),
        None,
        "Does a function that recurses until RecursionError cost its exercise only?",
    ),
    Case(
        "c_stack_overflow",
        _redefine("chain_backward", C_STACK_OVERFLOW),
        all_but("chain_backward"),
        "kernel died",
        "Does a C stack overflow (recursion limit raised to 10**6) in a graded function, which kills the kernel and "
        "the re-check's child, cost that exercise alone (the later ones run again without its cell) and get "
        "flagged?",
    ),
    Case(
        "dies_in_kernel_test",
        _redefine("chain_backward", DIES_IN_KERNEL_TEST),
        all_but("chain_backward"),
        "kernel died",
        "Does a test cell during which the kernel died fail (not pass for lack of an error), even when the re-check "
        "is satisfied?",
    ),
    Case(
        "leaks_over_udp",
        leaks_over_udp,
        full,  # no socket but a UNIX one can be made, in the kernel or the re-check: the send fails, quietly
        None,
        "Does a pre_run_cell hook that sends each cell (the hidden tests) over UDP send nothing, and does a direct "
        "sendto or sendmsg fail?",
    ),
    Case(
        "kernel_interfaces",
        _break_first_if(KERNEL_INTERFACES),
        full,  # seccomp refuses every one in the kernel; the re-check refuses ctypes outright
        "ctypes",
        "Are SysV IPC (msgget, shmget, semget), pidfd_open and io_uring_setup refused in the kernel, leaving no "
        "object behind?",
    ),
]
