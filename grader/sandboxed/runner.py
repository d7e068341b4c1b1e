"""The trusted re-check's child process: run a student's solution cells, call their functions, report JSON lines.

This file is run as a script (`python -I -S runner.py FD`) by `grader.recheck.sandbox`: isolated mode, no `site`
processing (so the course checkout, installed in editable mode, is not importable), cwd a throw-away folder. It
imports only its siblings (`values`: the plain-data format both sides share; `confinement`: limits, Landlock,
seccomp, the audit hook), from its own folder, before any student code runs.

Order inside the child (student code runs only after every limit and guard is in place):
  1. resource limits (CPU seconds, address space, file size, no core dumps);
  2. read the job from stdin (one JSON line, without the calls), set `sys.path`, import numpy;
  3. stdout/stderr to a log file in the sandbox (results go to the pipe FD only); execute the setup cells (trusted,
     from the source notebook), the trusted context (solution functions a probe needs, in a namespace of their
     own) and the notebook's probes (probe_kit.py's, then its probe file's text from contracts/);
  4. restrict the process with Landlock where the kernel has it (files outside the sandbox and the Python
     installation, TCP, signals: refused by the kernel itself) and install the audit hook (no reads of other
     folders than the sandbox and the Python installation, no writes outside the sandbox, no processes, no
     sockets, no ctypes; it also names what it refused), then execute the student's solution cells, each under a
     soft time limit;
     the trusted texts (setup, context, probes) are dropped first: only the functions made from them stay;
  5. for each planned call: ask the parent for it ("want"), receive it on stdin, call the function (or its probe,
     or read the value) on the grader's inputs; one JSON line each. A later call's inputs are not in this process
     while an earlier call runs.
"""

from __future__ import annotations

import json
import os
import sys

# Run as a script (never imported: that would put this folder on the grader's path): its siblings, standard library
# and numpy only, are top-level modules here.
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from confinement import (  # noqa: E402
    PROCESS_PREFIXES,
    die_with_parent,
    forbid_new_processes,
    forbid_sockets,
    inside,
    install_audit_guard,
    limit_resources,
    restrict_with_landlock,
)
from probe_kit import probe_namespace  # noqa: E402
from values import (  # noqa: E402
    TEST_FUNCTIONS_SOURCE,
    CallEvent,
    CellEvent,
    ChangedEvent,
    ErrorInfo,
    _numpy,
    decode,
    encode,
    invoke,
)


def _install_guard(sandbox, read_roots, report):
    """Reads only inside the sandbox and the Python installation, writes only in the sandbox; no processes,
    sockets, signals or ctypes."""

    def deny(what):
        report({"event": "violation", "what": what})
        raise PermissionError(f"the grader's sandbox does not allow this: {what}")

    install_audit_guard(
        lambda path: inside(path, [sandbox, *read_roots]),
        lambda path: inside(path, [sandbox, "/dev/null"]),
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


def _describe(err) -> ErrorInfo:
    """What the parent may learn of an exception: its type's name, and for the grader's own ContractError (raised
    by a probe) its message, which the parent shows only if it reads as the course's words (grader/course/messages.py).
    The student's exception messages never leave this process."""
    if isinstance(err, _SoftTimeout):
        return ErrorInfo(type="TimeoutError", timeout=True)
    described = ErrorInfo(type=type(err).__name__)
    if type(err).__name__ == "ContractError":
        described["message"] = str(err)[:600]
        template, fields = getattr(err, "template", None), getattr(err, "fields", None)
        if isinstance(template, str) and isinstance(fields, dict):  # the parent renders it in the student's language
            described["template"] = template[:600]
            described["fields"] = {str(k)[:40]: str(v)[:200] for k, v in list(fields.items())[:8]}
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


def _load_context(job, report):
    """Execute the job's trusted context sources in a namespace of their own; return {name: object}, or None
    (reported) when some name is missing: the grader then does not judge the calls that need it."""
    if not job.get("context_names"):
        return {}
    namespace = {"__name__": "trusted_context", "get_ipython": _Shell}
    for source in job["context_sources"]:
        try:
            exec(compile(source, "<trusted context>", "exec"), namespace)
        except Exception as err:
            report({"event": "setup", "error": _describe(err), "context": True})
    missing = [name for name in job["context_names"] if name not in namespace]
    if missing:
        report({"event": "context", "missing": missing})
        return None
    return {name: namespace[name] for name in job["context_names"]}


def _trusted_setup(job, report):
    """Before any student code: the setup cells, the trusted context and the probes. Returns (namespace the
    student's cells run in, context or None, probes)."""
    namespace = {"__name__": "__main__", "get_ipython": _Shell}
    for source in job["setup"]:  # trusted (the source notebook's locked cells): runs before the guard
        try:
            exec(compile(source, "<setup>", "exec"), namespace)
        except Exception as err:
            report({"event": "setup", "error": _describe(err)})
    context = _load_context(job, report)  # trusted solution code some probes receive (04b's part 1)
    probes = probe_namespace(job["probes_source"])  # the kit's and the notebook's, loaded as the grader loads them
    return namespace, context, probes


def _confine(job, report):
    """seccomp, Landlock and the audit hook, in that order; reported as the last trusted event."""
    sandbox, read_roots = os.path.realpath(job["sandbox"]), [os.path.realpath(p) for p in job["read_roots"]]
    processes = forbid_new_processes()  # first: loading libseccomp runs ldconfig, which Landlock would refuse
    processes += f"; sockets {forbid_sockets()}"  # no network of any kind, from Python or C
    landlock = restrict_with_landlock(read_roots, [sandbox, "/dev/null"])
    report({"event": "isolation", "status": landlock, "processes": processes})
    _install_guard(sandbox, read_roots, report)  # also on with Landlock: it names what was refused


def _run_cells(cells, namespace, seconds, report):
    for cell_id, source in cells:
        error = None
        try:
            _with_timeout(seconds, exec, compile(source, f"<cell {cell_id}>", "exec"), namespace)
        except BaseException as err:  # noqa: BLE001 - student code may raise anything, SystemExit included
            error = _describe(err)
        report(CellEvent(event="cell", id=cell_id, error=error))


def _call(call, args, namespace, context, probes, seconds) -> tuple[CallEvent, object]:
    """One planned call's answer (raw values only), and the value it returned (None when it raised)."""
    name = call["function"]
    obj = namespace.get(name)
    answer = CallEvent(event="call", key=call["key"], case=call["case"], result=None, error=None, mutated=[])
    if name not in namespace or (call.get("kind") != "value" and not callable(obj)):
        answer["missing"] = True
        return answer, None
    if call.get("context") and context is None:
        answer["error"] = {"type": "GraderContextMissing"}  # the parent does not judge these calls
        return answer, None
    try:
        probe = probes[call["probe"]] if call.get("probe") else None
        extra = (context,) if call.get("context") else ()
        kind = call.get("kind", "call")
        value, answer["mutated"] = _with_timeout(seconds, invoke, obj, args, kind, probe, extra)
        answer["result"] = encode(value)
        return answer, value
    except BaseException as err:  # noqa: BLE001
        answer["error"] = _describe(err)
        return answer, None


def _report_changed(kept, report):
    """A result that a later call changed: it shares a buffer between calls. Compared as JSON text: NaN != NaN,
    but "NaN" == "NaN"."""
    for call, value, result in kept:
        try:
            changed = json.dumps(encode(value), sort_keys=True) != json.dumps(result, sort_keys=True)
        except BaseException:  # noqa: BLE001
            changed = True
        if changed:
            report(ChangedEvent(event="changed", key=call["key"], case=call["case"]))


def _read_line(stream) -> dict:
    """One JSON line the parent wrote on stdin (the job, then one planned call at a time)."""
    line = stream.readline()
    if not line:
        raise SystemExit("the grader closed the job pipe")
    return json.loads(line)


def _forget_trusted_sources(job) -> None:
    """Drop the trusted texts (setup cells, the solution's context code, the probes) before student code runs: the
    functions compiled from them stay, the texts do not (issue 21: nothing trusted the student can read in the heap).
    """
    for key in ("setup", "context_sources", "probes_source"):
        job.pop(key, None)
    import gc

    gc.collect()


def _planned_calls(requests, report, functions):
    """The planned calls, each received from the parent only when this process asks for it ("want"): a student
    function never finds a later call's inputs in this heap. Yields (call, decoded args) until the parent says
    there are no more."""
    index = 0
    while True:
        report({"event": "want", "index": index})
        call = _read_line(requests)
        if call.get("end"):
            return
        args = decode(call.pop("args"), functions)
        yield call, args
        index += 1


def _take_environment(env):
    """The job's environment (HOME, TMPDIR and MPLCONFIGDIR in its sandbox): an exec'd child was started with it
    already, a child forked by the re-check zygote (recheck_zygote.py) still has the zygote's."""
    os.environ.clear()
    os.environ.update(env)
    if "tempfile" in sys.modules:  # its folder is cached at first use
        sys.modules["tempfile"].tempdir = None


def main(fd):
    """The child's report, one JSON line per event, in two phases. Before student code runs, trusted events:
    "setup" (a setup cell failed), "context" (a probe's solution functions are missing), "isolation"; then
    "begin". After it, answers the parent checks strictly (grader/recheck/trusted_check.py): one "cell" per
    cell; for each planned call a "want" (the parent then sends that call, and only then) and exactly one "call";
    "changed", "violation", and one "done". Student code can write to this pipe too: whatever it adds breaks that
    count and flags the notebook, and it cannot make a wrong answer right, since calls report raw values and the
    parent compares them with values it computed itself."""
    out = os.fdopen(fd, "w", buffering=1, encoding="utf-8")

    def report(obj):
        out.write(json.dumps(obj) + "\n")
        out.flush()

    die_with_parent()
    requests = os.fdopen(os.dup(0), "rb")  # the job, then one call at a time: only what this process asked for
    job = _read_line(requests)
    _take_environment(job["env"])
    limit_resources(**job["limits"])
    sys.path[:] = job["sys_path"]
    os.chdir(job["sandbox"])
    _numpy()  # imported before the guard, from the Python installation
    functions = {}
    exec(compile(TEST_FUNCTIONS_SOURCE, "<grader test functions>", "exec"), functions)
    cells = [(cell["id"], cell["source"]) for cell in job["cells"]]  # magics already dropped (course/cells.py)
    sys.meta_path.insert(0, _StubFinder(job.get("stub_modules", [])))
    os.dup2(2, 1)  # what anything prints goes to the parent's log (--debug), never into the report
    sys.stdin = open(os.devnull)  # noqa: SIM115
    namespace, context, probes = _trusted_setup(job, report)
    _forget_trusted_sources(job)
    _confine(job, report)
    report({"event": "begin"})
    _run_cells(cells, namespace, job["cell_seconds"], report)
    kept = []  # (call, value, encoded result): a result a later call changes shares a buffer between calls
    for call, args in _planned_calls(requests, report, functions):
        answer, value = _call(call, args, namespace, context, probes, job["call_seconds"])
        del args
        report(answer)
        if answer["result"] is not None:
            kept.append((call, value, answer["result"]))
    _report_changed(kept, report)
    for stream in (sys.__stdout__, sys.__stderr__):  # what the student printed, for --debug (os._exit skips it)
        try:
            stream.flush()
        except BaseException:  # noqa: BLE001, S110 - a closed stream: nothing to keep
            pass
    report({"event": "done"})
    out.close()
    os._exit(0)  # skip interpreter teardown: student objects' __del__ and atexit handlers do not run


if __name__ == "__main__":
    main(int(sys.argv[1]))
