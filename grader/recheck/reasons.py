"""Why a re-checked call failed, as a record: code decides on its `kind` and fields, never on its words.

The words a person reads are rendered from the record once, by `str(failure)` (the summary, the feedback, the
CSV); nothing parses them back (issue 24: a reworded message must never change a grade).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

from grader.course.words import ENGLISH, Words, say


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
    NOT_DEFINED, NOT_SET and CELL_FAILED); `detail` as `Why` says. Both may be `Words`, rendered in the reader's
    language."""

    kind: Why
    call: str | Words
    detail: str | Words = ""

    def __str__(self) -> str:
        return self.render(ENGLISH)

    def render(self, lang: str) -> str:
        """The failure in words, in `lang` (the student's notebook's language)."""
        return _RENDER[self.kind](lang, self.call, self.detail)


def _text(words: str | Words, lang: str) -> str:
    return words.render(lang) if isinstance(words, Words) else words


_RENDER = {
    Why.NOT_DEFINED: lambda lang, call, d: (
        say(lang, "{call} is not defined: {detail}", call=call, detail=d)
        if d
        else say(lang, "{call} is not defined by the solution cells (was it renamed or deleted?)", call=call)
    ),
    Why.NOT_SET: lambda lang, call, _: say(
        lang, "{call} is not set by the solution cells (was it renamed or deleted?)", call=call
    ),
    Why.WRONG_ON_INVALID: lambda lang, call, d: f"{_text(call, lang)} {_text(d, lang)}",
    Why.TIMED_OUT: lambda lang, call, _: say(
        lang, "{call} did not finish within its CPU-time limit (an infinite loop?)", call=call
    ),
    Why.CONTRACT: lambda lang, call, d: (
        f"{_text(call, lang)}: {_text(d, lang)}" if d else say(lang, "{call} breaks its documented contract", call=call)
    ),
    Why.FLOATING_POINT: lambda lang, call, _: say(
        lang, "{call} hit a floating-point error (overflow, 0/0 or log(0)): a numerically unstable formula", call=call
    ),
    Why.NOT_IMPLEMENTED: lambda lang, call, _: say(
        lang, "{call} raised NotImplementedError: it, or a function it calls, is not implemented yet", call=call
    ),
    Why.RAISED: lambda lang, call, d: say(lang, "{call} raised {error}", call=call, error=d),
    Why.MUTATED: lambda lang, call, d: say(
        lang, "{call} changed its argument {which} in place: inputs must be left unchanged (work on a copy)",
        call=call, which=d,
    ),
    Why.UNREADABLE: lambda lang, call, _: say(lang, "{call} returned data that cannot be read", call=call),
    Why.NOT_A_PAIR: lambda lang, call, _: say(lang, "{call} did not return a pair (out, cache)", call=call),
    Why.WRONG_VALUE: lambda lang, _, d: _text(d, lang),
    Why.GRADER_ERROR: lambda lang, call, d: say(
        lang, "{call}: the grader could not compare its result ({error})", call=call, error=d
    ),
    Why.NO_ANSWER: lambda lang, call, d: say(lang, "{call} gave no answer: the check {how}", call=call, how=d),
    Why.TAMPERED: lambda lang, _, d: say(lang, "the re-check's report was tampered with ({how})", how=d),
    Why.CHANGED_BETWEEN_CALLS: lambda lang, call, _: say(
        lang,
        "the result of {call} changed when it was called again: it keeps an array or dict between calls (a "
        "module-level buffer or a mutable default argument); return a new one each call",
        call=call,
    ),
    Why.CELL_FAILED: lambda lang, _, d: say(lang, "its solution cell {what}", what=d),
}
