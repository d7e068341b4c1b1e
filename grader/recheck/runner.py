"""The trusted re-check's child process: run a student's solution cells, call their functions, report JSON lines.

This file is run as a script (`python -I -S sandbox_runner.py FD`) by `grader.recheck.sandbox`: isolated mode, no
`site` processing (so the course checkout, installed in editable mode, is not importable), cwd a throw-away
folder. It must import nothing from `grader/`. The grader imports it only for `encode` / `decode`, the plain-data
format both sides share (JSON; arrays as flat lists with shape and dtype; never pickle).

Order inside the child (student code runs only after every limit and guard is in place):
  1. resource limits (CPU seconds, address space, file size, no core dumps);
  2. read the job from stdin (JSON), set `sys.path`, import numpy;
  3. stdout/stderr to /dev/null (results go to the pipe FD only); execute the setup cells (trusted, from the
     source notebook), the trusted context (solution functions a probe needs, in a namespace of their own) and
     the probes' text (grader/recheck/probes.py);
  4. restrict the process with Landlock where the kernel has it (files outside the sandbox and the Python
     installation, TCP, signals: refused by the kernel itself) and install the audit hook (no reads of other
     folders than the sandbox and the Python installation, no writes outside the sandbox, no processes, no
     sockets, no ctypes; it also names what it refused), then execute the student's solution cells, each under a
     soft time limit;
  5. call each requested function (or its probe, or read the value) on the grader's inputs; one JSON line each.
"""

from __future__ import annotations

import json
import math
import os
import sys

MAX_ELEMENTS = 2_000_000  # a larger result is reported as too large, not sent

# Test functions passed as arguments (numerical_gradient(f, x), gradient_descent(grad_fn, ...)). The grader
# executes this same text to compute its reference values: one definition for both sides.
TEST_FUNCTIONS_SOURCE = """
import numpy as np

def sum_of_squares(x):
    return float(np.sum(np.asarray(x) ** 2))

def smooth_scalar(x):
    x = np.asarray(x)
    return float(np.sum(np.sin(x) * x) + 0.5 * np.sum(x) ** 2)

def quadratic_bowl_grad(x):
    x = np.asarray(x, dtype=np.float64)
    return 2.0 * (x - 1.5) * (1.0 + np.arange(x.size).reshape(x.shape) * 0.25)

def polynomial(x):
    return x * x * 3.0 + x * 2.0 + 1.0

def dual_cubic_sum(z):  # works on arrays and on the course's Dual (uses *, + and .sum() only)
    return (z * z * z + z * 4.0).sum()

def cubic_product(x):
    return x * x * x + x * 4.0

def analytic_scalar(x):  # complex-safe (no float(), abs or conj): the complex step calls it on complex arrays
    x = np.asarray(x)
    return np.sum(np.sin(x) * np.exp(0.3 * x)) + 0.5 * np.sum(x) ** 2
"""


def _numpy():
    import numpy

    return numpy


def encode(value, depth=0):
    """Python/numpy value -> JSON-able data (tuples, dicts, arrays and callables tagged)."""
    if depth > 20:
        return {"__obj__": "nested too deep"}
    np = sys.modules.get("numpy")
    if value is None or isinstance(value, bool | str):
        return value
    if isinstance(value, int):
        return value if abs(value) < 2**53 else float(value)
    if isinstance(value, float):
        return value
    if np is not None and isinstance(value, np.ndarray | np.generic):
        arr = np.asarray(value)
        if arr.size > MAX_ELEMENTS:
            return {"__toolarge__": list(arr.shape)}
        if arr.dtype.kind not in "biuf":
            return {"__obj__": f"array of dtype {arr.dtype}"}
        return {"__nd__": arr.ravel().tolist(), "shape": list(arr.shape), "dtype": str(arr.dtype)}
    if isinstance(value, tuple):
        return {"__tuple__": [encode(v, depth + 1) for v in value]}
    if isinstance(value, list):
        return [encode(v, depth + 1) for v in value]
    if isinstance(value, dict):
        return {"__dict__": [[str(k), encode(v, depth + 1)] for k, v in value.items()]}
    if isinstance(value, TestFunction):
        return {"__fn__": value.name}
    return {"__obj__": type(value).__name__}


class TestFunction:
    """A reference to one of TEST_FUNCTIONS_SOURCE's functions, by name."""

    def __init__(self, name):
        self.name = name

    def __repr__(self):
        return self.name


def decode(data, functions=None):
    """Inverse of `encode`. `functions` maps test-function names to callables (None: keep TestFunction)."""
    np = _numpy()
    if isinstance(data, list):
        return [decode(v, functions) for v in data]
    if not isinstance(data, dict):
        return data
    if "__nd__" in data:
        dtype = np.dtype(data["dtype"]) if data.get("dtype") in _DTYPES else np.float64
        shape = tuple(int(s) for s in data["shape"])
        flat = np.asarray(data["__nd__"], dtype=dtype)
        if flat.size != math.prod(shape):
            raise ValueError("array data does not match its shape")
        return flat.reshape(shape)
    if "__tuple__" in data:
        return tuple(decode(v, functions) for v in data["__tuple__"])
    if "__dict__" in data:
        return {k: decode(v, functions) for k, v in data["__dict__"]}
    if "__fn__" in data:
        return functions[data["__fn__"]] if functions is not None else TestFunction(data["__fn__"])
    return Opaque(data.get("__obj__") or f"too large ({data.get('__toolarge__')})")


_DTYPES = {"float64", "float32", "float16", "int64", "int32", "int16", "int8", "uint8", "bool"}


class Opaque:
    """A result the format cannot carry (an object, a too large array): compared as wrong, named."""

    def __init__(self, what):
        self.what = what

    def __repr__(self):
        return f"<{self.what}>"


# Floating-point errors raise during a re-checked call, on both sides: an overflow in exp or a log(0) that the
# solution avoids is a numerically unstable formula, even when the value happens to come out right.
FP_ERRORS = {"divide": "raise", "over": "raise", "invalid": "raise", "under": "ignore"}


def _snapshot(value) -> str:
    return json.dumps(encode(value), sort_keys=True)


def invoke(obj, args, kind="call", probe=None, extra=()):
    """Call `obj(*args)` (or `probe(obj, *extra, *args)`; a "value" is returned as is) the same way on both sides.

    Returns (value, mutated): the indices of the arguments the call changed in place.
    """
    if kind == "value":
        return obj, []
    np = _numpy()
    before = [_snapshot(a) for a in args]
    with np.errstate(**FP_ERRORS):
        value = probe(obj, *extra, *args) if probe is not None else obj(*args)
    return value, [i for i, a in enumerate(args) if _snapshot(a) != before[i]]


# ----------------------------------------------------------------------------- child process only


def _limit_resources(limits):
    import resource

    cpu = int(limits["cpu_seconds"])
    resource.setrlimit(resource.RLIMIT_CPU, (cpu, cpu + 1))
    memory = int(limits["memory_bytes"])
    resource.setrlimit(resource.RLIMIT_AS, (memory, memory))
    size = int(limits["file_bytes"])
    resource.setrlimit(resource.RLIMIT_FSIZE, (size, size))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))


def _die_with_parent():
    """Be killed with the grading process that started this one (it may be stopped for running too long)."""
    import ctypes
    import signal

    ctypes.CDLL(None).prctl(1, int(signal.SIGKILL), 0, 0, 0)  # PR_SET_PDEATHSIG


def _inside(path, roots):
    return any(path == root or path.startswith(root.rstrip(os.sep) + os.sep) for root in roots)


# Landlock (Linux 5.13+): the kernel itself refuses this process and its threads any file outside the roots, TCP
# connections and signals to other processes, whatever the code does (C extensions, ctypes, torch.from_file).
# Numbers from linux/landlock.h; the syscalls are the same on x86_64 and aarch64.
_LANDLOCK_CREATE, _LANDLOCK_ADD_RULE, _LANDLOCK_RESTRICT = 444, 445, 446
_FS_RIGHTS = [
    "execute",
    "write_file",
    "read_file",
    "read_dir",
    "remove_dir",
    "remove_file",
    "make_char",
    "make_dir",
    "make_reg",
    "make_sock",
    "make_fifo",
    "make_block",
    "make_sym",
    "refer",  # ABI 2
    "truncate",  # ABI 3
    "ioctl_dev",  # ABI 5
]
_FS_RIGHTS_BY_ABI = {1: 13, 2: 14, 3: 15, 5: 16}


def landlock_abi() -> int:
    """The Landlock ABI version this Linux kernel offers (0: none, older than 5.13 or disabled)."""
    import ctypes

    libc = ctypes.CDLL(None, use_errno=True)
    libc.syscall.restype = ctypes.c_long
    return max(int(libc.syscall(_LANDLOCK_CREATE, None, ctypes.c_size_t(0), ctypes.c_uint32(1))), 0)


def restrict_with_landlock(read_roots, write_roots, bind_ports=()):
    """Allow reading only under `read_roots` and everything (but executing) only under `write_roots`; refuse TCP
    connect and bind (ABI 4+; binding to `bind_ports` stays allowed) and signals or abstract sockets outside the
    process (ABI 6+). Must run before any other thread is started: a thread keeps the rights it was created with.
    Also used by grader/grading/kernel_guard.py for the grading kernel.

    Returns a description of what is enforced, or why nothing is (an older kernel: the audit hook alone guards).
    """
    import ctypes

    class RulesetAttr(ctypes.Structure):
        _fields_ = [("fs", ctypes.c_uint64), ("net", ctypes.c_uint64), ("scoped", ctypes.c_uint64)]

    class PathBeneath(ctypes.Structure):
        _pack_ = 1
        _fields_ = [("allowed", ctypes.c_uint64), ("parent_fd", ctypes.c_int32)]

    class NetPort(ctypes.Structure):
        _fields_ = [("allowed", ctypes.c_uint64), ("port", ctypes.c_uint64)]

    bit = {name: 1 << i for i, name in enumerate(_FS_RIGHTS)}
    libc = ctypes.CDLL(None, use_errno=True)
    libc.syscall.restype = ctypes.c_long
    abi = libc.syscall(_LANDLOCK_CREATE, None, ctypes.c_size_t(0), ctypes.c_uint32(1))  # 1: ask the ABI version
    if abi < 1:
        return f"off: Landlock is not available ({os.strerror(ctypes.get_errno())}); the audit hook alone guards"
    handled = (1 << max(n for version, n in _FS_RIGHTS_BY_ABI.items() if version <= abi)) - 1
    attr = RulesetAttr(handled, 0b11 if abi >= 4 else 0, 0b11 if abi >= 6 else 0)
    size = 24 if abi >= 6 else 16 if abi >= 4 else 8
    ruleset = libc.syscall(_LANDLOCK_CREATE, ctypes.byref(attr), ctypes.c_size_t(size), ctypes.c_uint32(0))
    if ruleset < 0:
        return f"off: landlock_create_ruleset failed ({os.strerror(ctypes.get_errno())})"
    read = bit["read_file"] | bit["read_dir"]
    file_rights = bit["read_file"] | bit["write_file"] | bit["truncate"] | bit["ioctl_dev"]
    try:
        rules = [(path, read) for path in read_roots] + [(path, handled & ~bit["execute"]) for path in write_roots]
        for path, allowed in rules:
            try:
                fd = os.open(path, os.O_PATH | os.O_CLOEXEC)
            except OSError:
                continue  # a root that does not exist grants nothing
            try:
                if not os.path.isdir(path):
                    allowed &= file_rights
                rule = PathBeneath(allowed & handled, fd)
                if libc.syscall(_LANDLOCK_ADD_RULE, ruleset, 1, ctypes.byref(rule), ctypes.c_uint32(0)) < 0:
                    return f"off: landlock_add_rule({path}) failed ({os.strerror(ctypes.get_errno())})"
            finally:
                os.close(fd)
        for port in bind_ports if abi >= 4 else ():
            rule = NetPort(1, int(port))  # LANDLOCK_ACCESS_NET_BIND_TCP
            if libc.syscall(_LANDLOCK_ADD_RULE, ruleset, 2, ctypes.byref(rule), ctypes.c_uint32(0)) < 0:
                return f"off: landlock_add_rule(port {port}) failed ({os.strerror(ctypes.get_errno())})"
        if libc.prctl(38, 1, 0, 0, 0) < 0:  # PR_SET_NO_NEW_PRIVS, required by landlock_restrict_self
            return f"off: prctl(PR_SET_NO_NEW_PRIVS) failed ({os.strerror(ctypes.get_errno())})"
        if libc.syscall(_LANDLOCK_RESTRICT, ruleset, ctypes.c_uint32(0)) < 0:
            return f"off: landlock_restrict_self failed ({os.strerror(ctypes.get_errno())})"
    finally:
        os.close(ruleset)
    enforced = ["files"] + (["TCP"] if abi >= 4 else []) + (["signals"] if abi >= 6 else [])
    return f"on: Landlock ABI {abi} ({', '.join(enforced)})"


def forbid_new_processes():
    """A seccomp filter (libseccomp, through pyseccomp) that refuses fork, vfork, execve and a clone that is not a
    thread, for this process and every thread it has or starts: C code and ctypes cannot start processes either.
    clone3 answers ENOSYS, so the C library falls back to clone for threads, whose flags the filter can read.
    Returns a description of what is enforced, or why nothing is."""
    import errno

    try:
        import pyseccomp as seccomp
    except Exception as err:  # noqa: BLE001 - libseccomp missing or unloadable
        return f"off ({type(err).__name__})"
    clone_thread = 0x00010000
    try:
        f = seccomp.SyscallFilter(defaction=seccomp.ALLOW)
        for name in ("fork", "vfork", "execve", "execveat"):
            f.add_rule(seccomp.ERRNO(errno.EPERM), name)
        f.add_rule(seccomp.ERRNO(errno.ENOSYS), "clone3")
        f.add_rule(seccomp.ERRNO(errno.EPERM), "clone", seccomp.Arg(0, seccomp.MASKED_EQ, clone_thread, 0))
        f.set_attr(seccomp.Attr.CTL_TSYNC, 1)
        f.load()
    except Exception as err:  # noqa: BLE001
        return f"off ({type(err).__name__}: {err})"
    return "on (seccomp)"


# Audit events that touch paths: listing or entering a folder (reads), changing the tree (writes).
READ_EVENTS = {"os.listdir", "os.scandir", "glob.glob", "os.chdir", "shutil.copyfile", "shutil.copytree"}
CHANGE_EVENTS = {
    "os.remove",
    "os.rename",
    "os.rmdir",
    "os.mkdir",
    "os.chmod",
    "os.chown",
    "os.truncate",
    "os.link",
    "os.symlink",
    "shutil.rmtree",
    "shutil.move",
    "os.utime",
}
PROCESS_PREFIXES = ("subprocess.", "os.exec", "os.spawn", "os.posix_spawn", "os.fork", "pty.")


def install_audit_guard(
    readable,
    writable,
    deny,
    *,
    forbidden=(),
    forbidden_prefixes=(),
    change_events=CHANGE_EVENTS,
    read_why="outside its folder",
):
    """An audit hook (Python-level: C code is the business of Landlock) that calls `deny(what)` (which must raise)
    on a read of a path `readable(real path)` refuses, a write `writable(real path)` refuses, or an event in
    `forbidden` or starting with `forbidden_prefixes`; `change_events` are the audit events that change the tree.
    Used by the sandbox child and by grader/grading/kernel_guard.py."""
    realpath = os.path.realpath
    write_flags = os.O_WRONLY | os.O_RDWR | os.O_APPEND | os.O_CREAT | os.O_TRUNC
    forbidden, forbidden_prefixes = set(forbidden), tuple(forbidden_prefixes)
    busy = [False]  # the hook's own calls (realpath) raise events too

    def real(arg):
        return realpath(os.fsdecode(arg))

    def hook(event, args):
        if busy[0]:
            return
        busy[0] = True
        try:
            if event == "open":
                path, mode, flags = args
                if isinstance(path, int) or path is None:
                    return
                writing = (mode is not None and any(c in str(mode) for c in "wax+")) or (
                    mode is None and isinstance(flags, int) and flags & write_flags
                )
                if writing and not writable(real(path)):
                    deny(f"writes {real(path)} (outside its folder)")
                if not writing and not readable(real(path)):
                    deny(f"reads {real(path)} ({read_why})")
            elif event in forbidden or event.startswith(forbidden_prefixes):
                deny(f"calls {event}")
            elif event in READ_EVENTS or event in change_events:
                allowed = writable if event in change_events else readable
                why = "outside its folder" if event in change_events else read_why
                for arg in args[:2]:
                    if isinstance(arg, str | bytes | os.PathLike) and not allowed(real(arg)):
                        deny(f"{event} {real(arg)} ({why})")
        finally:
            busy[0] = False

    sys.addaudithook(hook)


def _install_guard(sandbox, read_roots, report):
    """Reads only inside the sandbox and the Python installation, writes only in the sandbox; no processes,
    sockets, signals or ctypes."""

    def deny(what):
        report({"event": "violation", "what": what})
        raise PermissionError(f"the grader's sandbox does not allow this: {what}")

    install_audit_guard(
        lambda path: _inside(path, [sandbox, *read_roots]),
        lambda path: _inside(path, [sandbox, "/dev/null"]),
        deny,
        forbidden={"os.system", "os.forkpty", "socket.connect", "socket.bind", "socket.sendto", "os.kill", "os.killpg"},
        forbidden_prefixes=(*PROCESS_PREFIXES, "ctypes."),
    )


class _SoftTimeout(BaseException):
    pass


def _with_timeout(seconds, fn, *args):
    """fn(*args), stopped after `seconds` of CPU time (ITIMER_PROF): a busy machine slows a call, not its verdict.
    A call that waits without computing is caught by the parent's wall-clock limit instead."""
    import signal

    def on_alarm(signum, frame):
        raise _SoftTimeout()

    signal.signal(signal.SIGPROF, on_alarm)
    signal.setitimer(signal.ITIMER_PROF, seconds)
    try:
        return fn(*args)
    finally:
        signal.setitimer(signal.ITIMER_PROF, 0)


def _describe(err):
    """What the parent may learn of an exception: its type's name, and for the grader's own ContractError (raised
    by a probe) its message, which the parent shows only if it reads as the course's words (grader/grading/messages.py).
    The student's exception messages never leave this process."""
    if isinstance(err, _SoftTimeout):
        return {"type": "TimeoutError", "timeout": True}
    described = {"type": type(err).__name__}
    if type(err).__name__ == "ContractError":
        described["message"] = str(err)[:600]
    return described


class _Anything:
    """Stands for a plotting or widget object: every attribute and call gives another stand-in."""

    def __init__(self, *args, **kwargs):
        pass

    def __getattr__(self, name):
        if name.startswith("__") and name.endswith("__"):
            raise AttributeError(name)
        return _Anything()

    def __call__(self, *args, **kwargs):
        return _Anything()

    def __iter__(self):
        return iter(())


class _StubFinder:
    """Import hook: plotting and widget modules become stand-ins (the re-check only calls functions)."""

    def __init__(self, prefixes):
        self.prefixes = tuple(prefixes)

    def find_spec(self, name, path=None, target=None):
        if not any(name == p or name.startswith(p + ".") for p in self.prefixes):
            return None
        import importlib.machinery

        return importlib.machinery.ModuleSpec(name, self, is_package=True)

    def create_module(self, spec):
        import types

        module = types.ModuleType(spec.name)
        module.__path__ = []
        module.__getattr__ = lambda attr: (
            _Anything() if not attr.startswith("__") else (_ for _ in ()).throw(AttributeError(attr))
        )
        return module

    def exec_module(self, module):
        pass


class _Shell:
    """A stand-in for `get_ipython()`: magics and transformer registrations do nothing here."""

    def __getattr__(self, name):
        if name in ("input_transformers_cleanup", "input_transformers_post", "ast_transformers"):
            return []
        return lambda *a, **k: None


def _transform(source):
    try:
        from IPython.core.inputtransformer2 import TransformerManager
    except Exception:
        return "\n".join("pass" if line.lstrip().startswith(("%", "!")) else line for line in source.splitlines())
    return TransformerManager().transform_cell(source)


def _load_context(job, report):
    """Execute the job's trusted context sources in a namespace of their own; return {name: object}, or None
    (reported) when some name is missing: the grader then does not judge the calls that need it."""
    if not job.get("context_names"):
        return {}
    namespace = {"__name__": "trusted_context", "get_ipython": _Shell}
    for source in job["context_sources"]:
        try:
            exec(compile(_transform(source), "<trusted context>", "exec"), namespace)
        except Exception as err:
            report({"event": "setup", "error": _describe(err), "context": True})
    missing = [name for name in job["context_names"] if name not in namespace]
    if missing:
        report({"event": "context", "missing": missing})
        return None
    return {name: namespace[name] for name in job["context_names"]}


def main(fd):
    """The child's report, one JSON line per event, in two phases. Before student code runs, trusted events:
    "setup" (a setup cell failed), "context" (a probe's solution functions are missing), "isolation"; then
    "begin". After it, answers the parent checks strictly (grader/recheck/trusted_check.py): one "cell" per cell, exactly
    one "call" per planned call, "changed", "violation", and one "done". Student code can write to this pipe too:
    whatever it adds breaks that count and flags the notebook, and it cannot make a wrong answer right, since
    calls report raw values and the parent compares them with values it computed itself."""
    out = os.fdopen(fd, "w", buffering=1, encoding="utf-8")

    def report(obj):
        out.write(json.dumps(obj) + "\n")
        out.flush()

    _die_with_parent()
    job = json.loads(sys.stdin.read())
    _limit_resources(job["limits"])
    sys.path[:] = job["sys_path"]
    os.chdir(job["sandbox"])
    _numpy()  # imported before the guard, from the Python installation
    functions = {}
    exec(compile(TEST_FUNCTIONS_SOURCE, "<grader test functions>", "exec"), functions)
    decoded = [decode(c["args"], functions) for c in job["calls"]]
    transformed = [(cell["id"], _transform(cell["source"])) for cell in job["cells"]]
    sys.meta_path.insert(0, _StubFinder(job.get("stub_modules", [])))
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 1)
    os.dup2(devnull, 2)
    sys.stdin = open(os.devnull)  # noqa: SIM115
    namespace = {"__name__": "__main__", "get_ipython": _Shell}
    for source in job["setup"]:  # trusted (the source notebook's locked cells): runs before the guard
        try:
            exec(compile(_transform(source), "<setup>", "exec"), namespace)
        except Exception as err:
            report({"event": "setup", "error": _describe(err)})
    context = _load_context(job, report)  # trusted solution code some probes receive (04b's part 1)
    probes = {"__name__": "trusted_probes"}  # grader/recheck/probes.py, the same text the grader runs
    exec(compile(job["probes_source"], "<trusted probes>", "exec"), probes)
    sandbox, read_roots = os.path.realpath(job["sandbox"]), [os.path.realpath(p) for p in job["read_roots"]]
    processes = forbid_new_processes()  # first: loading libseccomp runs ldconfig, which Landlock would refuse
    landlock = restrict_with_landlock(read_roots, [sandbox, "/dev/null"])
    report({"event": "isolation", "status": landlock, "processes": processes})
    _install_guard(sandbox, read_roots, report)  # also on with Landlock: it names what was refused
    report({"event": "begin"})

    for cell_id, source in transformed:
        error = None
        try:
            _with_timeout(job["cell_seconds"], exec, compile(source, f"<cell {cell_id}>", "exec"), namespace)
        except BaseException as err:  # noqa: BLE001 - student code may raise anything, SystemExit included
            error = _describe(err)
        report({"event": "cell", "id": cell_id, "error": error})
    kept = []  # (call, value, encoded result): a result a later call changes shares a buffer between calls
    for call, args in zip(job["calls"], decoded, strict=True):
        name = call["function"]
        obj = namespace.get(name)
        answer = {"event": "call", "key": call["key"], "case": call["case"], "result": None, "error": None}
        answer["mutated"] = []
        if name not in namespace or (call.get("kind") != "value" and not callable(obj)):
            answer["missing"] = True
        elif call.get("context") and context is None:
            answer["error"] = {"type": "GraderContextMissing"}  # the parent does not judge these calls
        else:
            try:
                probe = probes[call["probe"]] if call.get("probe") else None
                extra = (context,) if call.get("context") else ()
                value, answer["mutated"] = _with_timeout(
                    job["call_seconds"], invoke, obj, args, call.get("kind", "call"), probe, extra
                )
                answer["result"] = encode(value)
                kept.append((call, value, answer["result"]))
            except BaseException as err:  # noqa: BLE001
                answer["error"] = _describe(err)
        report(answer)
    for call, value, result in kept:
        try:
            changed = encode(value) != result
        except BaseException:  # noqa: BLE001
            changed = True
        if changed:
            report({"event": "changed", "key": call["key"], "case": call["case"]})
    report({"event": "done"})
    out.close()
    os._exit(0)  # skip interpreter teardown: student objects' __del__ and atexit handlers do not run


if __name__ == "__main__":
    main(int(sys.argv[1]))
