"""The trusted re-check: a student's graded functions, run in the sandbox, compared with the solution's own.

`trusted_check(source, student_cells, student)` plans the calls of every graded name of one notebook
(grader/recheck/specs.py: inputs seeded per student; the probes of contracts/: how a class or a framework object
is exercised), computes the expected values here by calling the solution notebook's own functions (one source of
truth), runs the student's solution cells in a sandbox (grader/recheck/sandbox.py) and compares what comes back, as
plain data, in this process. Probes that need the solution's helper functions (04b's `train` calls part 1) run in a
sandbox of their own, so those functions are never in reach of the student's other graded functions.
"""

from __future__ import annotations

import copy
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from grader.course.messages import Catalogue, printable, safe_identifier
from grader.course.reference import solution_cells
from grader.course.sources import SourceInfo, catalogue_of, defined_names, reference_namespace
from grader.course.words import Words, phrase
from grader.recheck.cases import Invalid
from grader.recheck.compare import compare, signature
from grader.recheck.contract_words import contract_words
from grader.recheck.limits import Limits
from grader.recheck.protocol import PROTOCOL_VIOLATED, read_report
from grader.recheck.reasons import Failure, Why
from grader.recheck.sandbox import run_job
from grader.recheck.specs import Spec, check_keys, contract_for, object_name, probes_for, probes_source, seed_for
from grader.sandboxed.values import TEST_FUNCTIONS_SOURCE, TestFunction, decode, encode, invoke


@dataclass
class TrustedResult:
    """Per graded name: what failed and why, what was checked and what could not be."""

    failures: dict[str, Failure] = field(default_factory=dict)  # check key -> why it failed (a record)
    checked: list[str] = field(default_factory=list)
    # function -> why (no spec, spec does not fit): words of the catalog, English for the instructor
    not_checked: dict[str, Words] = field(default_factory=dict)
    timed_out_cells: list[str] = field(default_factory=list)
    cell_errors: dict[str, str] = field(default_factory=dict)  # student cell id -> the type of exception it raised
    violations: list[str] = field(default_factory=list)  # the grader's sentences (grader/course/messages.py)
    crash: Words | None = None
    protocol: str | None = None  # how the report broke the protocol: the notebook needs review
    grader_errors: list[Words] = field(default_factory=list)  # calls the grader failed to judge (its own bug)
    isolation: str = ""  # "on: Landlock ABI 7 (files, TCP, signals)", or "off: <why>" (the audit hook alone)
    processes: str = ""  # "on (seccomp)": no process can be started, or "off (why)"
    seconds: float = 0.0


_TEST_FUNCTIONS: dict[str, Any] = {}
MAX_LEFT_OUT_CELLS = 2  # cells that ended the child, each left out of one more run (as autograde does the kernel)


def _test_functions() -> dict[str, Any]:
    if not _TEST_FUNCTIONS:
        exec(compile(TEST_FUNCTIONS_SOURCE, "<grader test functions>", "exec"), _TEST_FUNCTIONS)
    return _TEST_FUNCTIONS


def _resolve(value):
    """The arguments as the solution receives them: the grader's test functions in place of their names, and
    copies of everything else (a call may change its arguments)."""
    if isinstance(value, TestFunction):
        return _test_functions()[value.name]
    if isinstance(value, tuple | list):
        return type(value)(map(_resolve, value))
    return {k: _resolve(v) for k, v in value.items()} if isinstance(value, dict) else copy.deepcopy(value)


@dataclass(frozen=True)
class _Expected:
    """What the solution does on one case: its result, or the exception it raises; the arguments it changes."""

    args: tuple
    value: Any = None
    raises: str | None = None
    mutated: tuple[int, ...] = ()


def _expected(spec: Spec, reference: Any, context: dict, case: Any, probes: dict[str, Any]) -> _Expected:
    """Run the solution's own object on one case, as the sandbox runs the student's (`invoke`); `probes`: the
    notebook's (grader/recheck/specs.py `probes_for`)."""
    args = case.args if isinstance(case, Invalid) else case
    probe = probes[spec.probe] if spec.probe else None
    extra = (context,) if spec.context else ()
    reference = copy.deepcopy(reference) if spec.kind == "value" else reference
    try:
        value, mutated = invoke(reference, _resolve(args), spec.kind, probe, extra)
    except Exception as err:
        if isinstance(case, Invalid):
            return _Expected(args, raises=type(err).__name__)
        raise
    if isinstance(case, Invalid):
        raise ValueError(f"the solution accepts the invalid case {signature('', args)}")
    return _Expected(args, value, mutated=tuple(mutated))


def _context_sources(source: SourceInfo, names: set[str]) -> list[str]:
    """Solution code that defines `names` for the sandbox: the setup, locked and solution cells of the sibling
    notebook that defines some of them (04b's part 1 is 04a), then this notebook's own cells that define the rest."""

    sources: list[str] = []
    missing = set(names) - set(source.function_cell)
    for sibling in sorted(Path(source.path).parent.glob("*.ipynb")):
        if not missing or sibling.resolve() == Path(source.path).resolve():
            continue
        cells = [code for _, code in solution_cells(sibling)]
        found = {n for code in cells for n in defined_names(code)} & missing
        if found:
            sources.extend(cells)
            missing -= found
    own = {source.function_cell[n] for n in names if n in source.function_cell}
    sources.extend(code for gid, code in source.solution_cells.items() if gid in own)
    return sources


@dataclass
class _Plan:
    """The calls of one sandbox run and what each should give."""

    calls: list[dict] = field(default_factory=list)
    expected: dict[tuple[str, int], _Expected] = field(default_factory=dict)
    context_names: set[str] = field(default_factory=set)
    specs: dict[str, Spec] = field(default_factory=dict)  # the notebook's contract (contracts/<assignment>/<nb>.py)


def _plan(source: SourceInfo, student: str, result: TrustedResult) -> tuple[_Plan, _Plan]:
    """Plan the calls (main run, and the run with solution context); fill result.checked / not_checked."""
    namespace = reference_namespace(source)
    specs = contract_for(source.assignment, source.path.stem)
    probes = probes_for(source.assignment, source.path.stem)
    main, with_context = _Plan(specs=specs), _Plan(specs=specs)
    wanted = list(dict.fromkeys(key for ex in source.exercises for key in check_keys(ex, specs)))
    for key in wanted:
        name, spec = object_name(key), specs.get(key)
        if spec is None:
            contract = f"contracts/{source.assignment}/{source.path.stem}.py"
            result.not_checked[key] = phrase("no trusted input spec ({contract})", contract=contract)
            continue
        if name not in namespace or (spec.kind == "call" and not callable(namespace[name])):
            result.not_checked[key] = phrase("the solution notebook does not define it")
            continue
        missing = [n for n in spec.context if not callable(namespace.get(n))]
        if missing:
            result.not_checked[key] = phrase("the solution notebook does not define {names}", names=", ".join(missing))
            continue
        context = {n: namespace[n] for n in spec.context}
        cases = spec.cases(np.random.default_rng(seed_for(student, source.assignment, key)))
        try:
            outputs = [_expected(spec, namespace[name], context, case, probes) for case in cases]
        except Exception as err:  # the spec does not fit this solution (or a framework is missing): do not judge
            result.not_checked[key] = phrase("the spec does not fit the solution ({error}: {message})",
                                             error=type(err).__name__, message=str(err))
            continue
        result.checked.append(key)
        plan = with_context if spec.context else main
        plan.context_names.update(spec.context)
        for i, out in enumerate(outputs):
            plan.expected[(key, i)] = out
            plan.calls.append(
                {
                    "key": key,
                    "function": name,
                    "case": i,
                    "args": encode(out.args),
                    "kind": spec.kind,
                    "probe": spec.probe,
                    "context": bool(spec.context),
                }
            )
    return main, with_context


def unfit_checks(source: SourceInfo) -> dict[str, str]:
    """The graded functions of `source` that the re-check cannot check here, with why (no spec, not defined by the
    solution, a spec that does not fit it, a framework missing in this environment): {} for a notebook the grader can
    grade as it should. The grader refuses to grade a notebook against its students otherwise."""
    result = TrustedResult()
    _plan(source, "__grader_environment__", result)
    return {key: str(why) for key, why in result.not_checked.items()}


def _error_type(event: dict) -> str | None:
    error = event.get("error")
    return safe_identifier(error.get("type"), "an exception") if isinstance(error, dict) else None


def _judge(key: str, spec: Spec, want: _Expected, event: dict, catalogue: Catalogue) -> Failure | None:
    """None when the child's answer to one call of check `key` agrees with the solution's, else why (a record whose
    words are the grader's): of the student's exception only its type's name is used."""
    name = object_name(key)
    call = signature(name, want.args, spec)
    if event.get("missing"):
        return Failure(Why.NOT_SET if spec.kind == "value" else Why.NOT_DEFINED, name)
    raised = _error_type(event)
    if want.raises:
        if raised == want.raises:
            return None
        if raised:
            got = phrase("raised {error}; on this invalid input it must raise {want}", error=raised, want=want.raises)
        else:
            got = phrase("returned a value; on this invalid input it must raise {want}", want=want.raises)
        return Failure(Why.WRONG_ON_INVALID, call, got)
    if raised:
        error = event["error"]
        if error.get("timeout"):
            return Failure(Why.TIMED_OUT, call)
        if raised == "ContractError":
            return Failure(Why.CONTRACT, call, contract_words(error, catalogue))
        if raised == "FloatingPointError":
            return Failure(Why.FLOATING_POINT, call)
        if raised == "NotImplementedError":
            return Failure(Why.NOT_IMPLEMENTED, call)
        return Failure(Why.RAISED, call, raised)
    changed = [i for i in event.get("mutated") or [] if i not in want.mutated]
    if changed:
        which = ", ".join(f"#{i + 1}" for i in changed)
        return Failure(Why.MUTATED, call, which)
    try:
        got = decode(event.get("result"))
    except (ValueError, TypeError, KeyError):
        return Failure(Why.UNREADABLE, call)
    expected = want.value
    if spec.compare == "first":
        if not isinstance(got, list | tuple) or len(got) != 2:
            return Failure(Why.NOT_A_PAIR, call)
        got, expected = got[0], expected[0]
    where = phrase("{name}'s value", name=name) if spec.kind == "value" else phrase("{call}'s result", call=call)
    wrong = compare(got, expected, spec.tol, where=where, error=spec.error, atol=spec.atol)
    return Failure(Why.WRONG_VALUE, call, wrong) if wrong else None


def _judge_safely(
    key: str, spec: Spec, want: _Expected, event: dict, catalogue: Catalogue, result: TrustedResult
) -> Failure | None:
    """`_judge`, where the grader's own failure to compare (an exception) fails this check alone with a named cause
    and is listed in `result.grader_errors` (the notebook is flagged and graded again on the next run)."""
    try:
        return _judge(key, spec, want, event, catalogue)
    except Exception as err:  # noqa: BLE001 - one value the grader cannot judge costs that check alone
        call = signature(object_name(key), want.args, spec)
        error = safe_identifier(type(err).__name__, "error")
        # the reason's own words, kept as Words: the review note says them in the student's language too
        result.grader_errors.append(phrase("{call}: the grader could not compare its result ({error})", call=call,
                                           error=error))
        return Failure(Why.GRADER_ERROR, call, error)


def _collect(lines: list[str], crash: Words | None, plan: _Plan, result: TrustedResult, catalogue: Catalogue) -> None:
    """Fold one sandbox run's report into `result`."""
    report = read_report(lines, set(plan.expected))
    keys = list(dict.fromkeys(k for k, _ in plan.expected))
    for event in report.trusted:
        if event.get("event") == "isolation" and not result.isolation:
            result.isolation = printable(event.get("status", ""), 200)
            result.processes = printable(event.get("processes", ""), 100)
        elif event.get("event") == "context" and event.get("missing"):
            for key in keys:  # the grader's own reference functions did not load there: not the student's doing
                result.not_checked[key] = phrase("the grader's reference functions could not be loaded in the sandbox")
                if key in result.checked:
                    result.checked.remove(key)
    if not report.begun:  # the child stopped before any student code ran: the grader's failure, not judged
        for key in keys:
            result.not_checked[key] = phrase("the re-check could not start ({why})", why=crash or phrase("no report"))
            if key in result.checked:
                result.checked.remove(key)
        return
    if crash and not result.crash:
        result.crash = crash
    result.violations.extend(r for r in report.refusals if r not in result.violations)
    for cell in report.cells:
        error = cell.get("error")
        if isinstance(error, dict) and error.get("timeout"):
            result.timed_out_cells.append(cell["id"])
        elif isinstance(error, dict):
            result.cell_errors.setdefault(str(cell["id"]), safe_identifier(error.get("type"), "an exception"))
    if report.broken:
        result.protocol = f"{PROTOCOL_VIOLATED}: {report.broken}"
        for key in keys:
            if key not in result.not_checked:
                result.failures[key] = Failure(Why.TAMPERED, object_name(key), PROTOCOL_VIOLATED)
        return
    for (key, case), want in plan.expected.items():
        if key in result.failures or key in result.not_checked:
            continue
        answer = report.answers.get((key, case))
        if answer is None:
            call = signature(object_name(key), want.args, plan.specs[key])
            result.failures[key] = Failure(Why.NO_ANSWER, call, crash or phrase("stopped"))
            continue
        reason = _judge_safely(key, plan.specs[key], want, dict(answer), catalogue, result)
        if reason:
            result.failures[key] = reason
    for key, case in report.changed:
        if key not in result.failures and key not in result.not_checked:
            call = signature(object_name(key), plan.expected[(key, case)].args, plan.specs[key])
            result.failures[key] = Failure(Why.CHANGED_BETWEEN_CALLS, call)


def _cell_that_ended(lines: list[str], crash: Words | None, plan: _Plan, cells: list[tuple[str, str]]) -> int | None:
    """The index of the student's cell during which the child died, if it died running the cells (os._exit, a
    segfault, a kill): the cells it reported finished are the ones before it."""
    if crash is None:
        return None
    report = read_report(lines, set(plan.expected))
    finished = len(report.cells)
    return finished if report.begun and not report.broken and finished < len(cells) else None


def _calls_after_a_crash(lines: list[str], crash: Words | None, plan: _Plan, cells: int) -> tuple[_Plan, _Plan] | None:
    """When the child died during a call, after every cell ran: (the calls up to and including the check it died
    in, the later calls) so that the later checks run in a fresh child and only the one that ended it fails (a
    C stack overflow in one graded function must not cost the next); None otherwise."""
    if crash is None:
        return None
    report = read_report(lines, set(plan.expected))
    if not report.begun or report.broken or len(report.cells) < cells:
        return None
    pending = [call for call in plan.calls if (call["key"], call["case"]) not in report.answers]
    later = [call for call in pending if call["key"] != pending[0]["key"]] if pending else []
    if not later:
        return None
    later_ids = {(call["key"], call["case"]) for call in later}

    def part(calls: list[dict], keep) -> _Plan:
        expected = {k: v for k, v in plan.expected.items() if keep(k)}
        return _Plan(calls=calls, expected=expected, context_names=plan.context_names, specs=plan.specs)

    done = part([c for c in plan.calls if (c["key"], c["case"]) not in later_ids], lambda k: k not in later_ids)
    return done, part(later, lambda k: k in later_ids)


def _fail_cells(cells: list[tuple[str, str]], result: TrustedResult, what: Words, replace: bool = False) -> None:
    """Fail every checked name the given cells define: "its solution cell (ID) <what>" (`replace`: over a failure
    found before)."""
    for cell_id, code in cells:
        defined = set(defined_names(code))
        for key in result.checked:
            if object_name(key) in defined and (replace or key not in result.failures):
                detail = phrase("({cell}) {what}", cell=cell_id, what=what)
                result.failures[key] = Failure(Why.CELL_FAILED, object_name(key), detail)


def trusted_check(
    source: SourceInfo,
    student_cells: list[tuple[str, str]],
    student: str,
    limits: Limits | None = None,
) -> TrustedResult:
    """Re-check every graded name of `source` on the student's solution cells `[(cell id, code), ...]`."""
    limits = limits or Limits()
    started = time.monotonic()
    result = TrustedResult()
    main, with_context = _plan(source, student, result)
    catalogue = catalogue_of(source)
    frameworks = any(main.specs[name].frameworks for name in result.checked)
    if frameworks:
        limits = limits.with_frameworks()
    for plan in (main, with_context):
        if not plan.calls:
            continue
        names = sorted(plan.context_names)
        context = _context_sources(source, set(names)) if names else None

        def run(
            cells: list[tuple[str, str]], plan=plan, names=names, context=context
        ) -> tuple[list[str], Words | None]:
            return run_job(
                source.setup_sources,
                cells,
                plan.calls,
                limits,
                frameworks=frameworks,
                context_sources=context,
                context_names=names,
                probes_source=probes_source(source.assignment, source.path.stem),
            )

        cells = list(student_cells)
        lines, crash = run(cells)
        for _ in range(MAX_LEFT_OUT_CELLS):  # the other cells still earn their verdicts: run them without it
            ended = _cell_that_ended(lines, crash, plan, cells)
            if ended is None:
                break
            assert crash is not None  # a cell ended the child only when it crashed
            _fail_cells(cells[ended : ended + 1], result, phrase("ended the re-check process (it {how})", how=crash))
            result.crash = result.crash or crash
            cells = cells[:ended] + cells[ended + 1 :]
            lines, crash = run(cells)
        for _ in range(MAX_LEFT_OUT_CELLS):  # a call that ended the child: the later calls get a child of their own
            split = _calls_after_a_crash(lines, crash, plan, len(cells))
            if split is None:
                break
            done, plan = split
            _collect(lines, crash, done, result, catalogue)
            result.crash = result.crash or crash
            lines, crash = run(cells, plan=plan)
        _collect(lines, crash, plan, result, catalogue)
    for cell_id, code in student_cells:  # a def followed by an endless top-level loop does not count
        if cell_id in result.timed_out_cells:
            endless = phrase("never finishes at top level (an infinite loop?)")
            _fail_cells([(cell_id, code)], result, endless, replace=True)
    _name_the_cells_that_stopped(student_cells, result)
    result.seconds = time.monotonic() - started
    return result


IMPORT_ERRORS = ("ImportError", "ModuleNotFoundError")


def _name_the_cells_that_stopped(student_cells: list[tuple[str, str]], result: TrustedResult) -> None:
    """A graded function missing because the student's cell that defines it stopped first (a failed import, say):
    said so, not "renamed or deleted?"."""
    for key, failure in list(result.failures.items()):
        if failure.kind is not Why.NOT_DEFINED:
            continue
        for cell_id, code in student_cells:
            error = result.cell_errors.get(cell_id)
            if error and object_name(key) in defined_names(code):
                why = (
                    phrase(
                        "its cell stopped with {error} before defining it (an import the grading machine cannot do?)",
                        error=error,
                    )
                    if error in IMPORT_ERRORS
                    else phrase("its cell stopped with {error} before defining it", error=error)
                )
                result.failures[key] = Failure(Why.NOT_DEFINED, failure.call, why)
                break
