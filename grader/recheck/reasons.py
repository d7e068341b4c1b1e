"""Why a re-checked call failed, as a record: code decides on its `kind` and fields, never on its words.

The words a person reads are rendered from the record once, by `str(failure)` (the summary, the feedback, the
CSV); nothing parses them back (issue 24: a reworded message must never change a grade).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum


class Why(Enum):
    """The kinds of failure of one checked name."""

    NOT_DEFINED = "not defined"  # the student's cells do not define the graded function; `detail`: why, if known
    NOT_SET = "not set"  # a graded value (not a function) was never assigned
    WRONG_ON_INVALID = "wrong on invalid input"  # did not raise what it must; `detail`: what it did and must do
    TIMED_OUT = "timed out"  # past its CPU-time limit
    CONTRACT = "contract"  # raised the course's ContractError; `detail`: its message, when it is the course's
    FLOATING_POINT = "floating point"  # overflow, 0/0 or log(0)
    NOT_IMPLEMENTED = "not implemented"
    RAISED = "raised"  # any other exception; `detail`: its type's name
    MUTATED = "mutated"  # changed its arguments in place; `detail`: which ("#1, #3")
    UNREADABLE = "unreadable"  # returned data the grader cannot decode
    NOT_A_PAIR = "not a pair"  # a forward function that must return (out, cache) did not
    WRONG_VALUE = "wrong value"  # `detail`: the comparison's sentence (grader/recheck/compare.py)
    GRADER_ERROR = "grader error"  # the grader failed to compare; `detail`: its exception type
    NO_ANSWER = "no answer"  # the child stopped before answering; `detail`: how it stopped
    TAMPERED = "tampered"  # the child's report broke the protocol; `detail`: the protocol's name for it
    CHANGED_BETWEEN_CALLS = "changed between calls"  # a result kept between calls (a module-level buffer)
    CELL_FAILED = "cell failed"  # the solution cell that defines it failed; `detail`: "(ID) what happened"


@dataclass(frozen=True)
class Failure:
    """One checked name's failure: `call` is the call as shown ('relu_forward(array(4, 3))', or the bare name for
    NOT_DEFINED, NOT_SET and CELL_FAILED); `detail` as `Why` says."""

    kind: Why
    call: str
    detail: str = ""

    def __str__(self) -> str:
        return _RENDER[self.kind](self.call, self.detail)


_RENDER = {
    Why.NOT_DEFINED: lambda call, d: (
        f"{call} is not defined: {d}"
        if d
        else f"{call} is not defined by the solution cells (was it renamed or deleted?)"
    ),
    Why.NOT_SET: lambda call, _: f"{call} is not set by the solution cells (was it renamed or deleted?)",
    Why.WRONG_ON_INVALID: lambda call, d: f"{call} {d}",
    Why.TIMED_OUT: lambda call, _: f"{call} did not finish within its CPU-time limit (an infinite loop?)",
    Why.CONTRACT: lambda call, d: f"{call}: {d}" if d else f"{call} breaks its documented contract",
    Why.FLOATING_POINT: lambda call, _: (
        f"{call} hit a floating-point error (overflow, 0/0 or log(0)): a numerically unstable formula"
    ),
    Why.NOT_IMPLEMENTED: lambda call, _: (
        f"{call} raised NotImplementedError: it, or a function it calls, is not implemented yet"
    ),
    Why.RAISED: lambda call, d: f"{call} raised {d}",
    Why.MUTATED: lambda call, d: (
        f"{call} changed its argument {d} in place: inputs must be left unchanged (work on a copy)"
    ),
    Why.UNREADABLE: lambda call, _: f"{call} returned data that cannot be read",
    Why.NOT_A_PAIR: lambda call, _: f"{call} did not return a pair (out, cache)",
    Why.WRONG_VALUE: lambda _, d: d,
    Why.GRADER_ERROR: lambda call, d: f"{call}: the grader could not compare its result ({d})",
    Why.NO_ANSWER: lambda call, d: f"{call} gave no answer: the check {d}",
    Why.TAMPERED: lambda _, d: f"the re-check's report was tampered with ({d})",
    Why.CHANGED_BETWEEN_CALLS: lambda call, _: (
        f"the result of {call} changed when it was called again: it keeps an array or dict between calls (a "
        "module-level buffer or a mutable default argument); return a new one each call"
    ),
    Why.CELL_FAILED: lambda _, d: f"its solution cell {d}",
}
