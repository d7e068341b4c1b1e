"""The re-check's report protocol, read strictly by the parent.

The child (grader/sandboxed/runner.py) reports trusted events before student code runs ("setup", "context",
"isolation"), then "begin"; after it, one "cell" per cell, for each planned call a "want" (numbered in order: the
parent sends a call only when asked) and exactly one "call", "changed",
"violation", and one "done". Student code can write to the same pipe: anything but exactly one well-formed answer per
planned call breaks the protocol, which fails the notebook's re-checked exercises and flags it for a person.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field

from grader.course.messages import describe_refusal, safe_identifier
from grader.sandboxed.values import CallEvent, CellEvent

PROTOCOL_VIOLATED = "re-check protocol violated"
_TRUSTED_EVENTS = {"setup", "context", "isolation"}


@dataclass
class Report:
    """One sandbox run's report, read strictly: the trusted events sent before student code ran ("begin"), the
    answers after it, and the first way the report broke the protocol (anything but exactly one well-formed answer
    per planned call)."""

    trusted: list[dict] = field(default_factory=list)  # setup / context / isolation: the child's own, before "begin"
    begun: bool = False
    cells: list[CellEvent] = field(default_factory=list)
    answers: dict[tuple[str, int], CallEvent] = field(default_factory=dict)
    changed: list[tuple[str, int]] = field(default_factory=list)
    refusals: list[str] = field(default_factory=list)
    done: bool = False
    broken: str | None = None
    wants: int = 0  # the "want" lines so far: the next must carry this index

    def breaks(self, why: str) -> None:
        self.broken = self.broken or why


def read_report(lines: list[str], planned: set[tuple[str, int]]) -> Report:
    """The report of one run; `planned`: the (key, case) of every planned call."""
    report = Report()
    for line in lines:
        try:
            event = json.loads(line)
        except ValueError:
            event = None
        kind = event.get("event") if isinstance(event, dict) else None
        if not isinstance(kind, str):
            report.breaks("a line that is not a report")
            continue
        if not report.begun:
            if kind == "begin":
                report.begun = True
            elif kind in _TRUSTED_EVENTS:
                report.trusted.append(event)
            else:
                report.breaks(f"an unexpected {kind!r} line")  # cannot happen: no student code has run yet
            continue
        if report.done:
            report.breaks("lines after the end")
        elif kind == "done":
            report.done = True
        elif kind == "cell" and isinstance(event.get("id"), str):
            report.cells.append(event)
        elif kind == "want":
            if event.get("index") != report.wants or report.wants > len(planned):
                report.breaks("a call asked for out of order")
            report.wants += 1
        elif kind == "violation":
            report.refusals.append(describe_refusal(str(event.get("what"))))
        elif kind in ("call", "changed") and (event.get("key"), event.get("case")) in planned:
            key = (event["key"], event["case"])
            if kind == "changed":
                report.changed.append(key)
            elif key in report.answers or not _well_formed(event):
                report.breaks("a call answered twice, or a malformed answer")
            else:
                report.answers[key] = event
        else:
            report.breaks(f"an unexpected {safe_identifier(kind, 'unnamed')!r} line")
    return report


def _well_formed(event: dict) -> bool:
    error, mutated = event.get("error"), event.get("mutated", [])
    return (
        (error is None or (isinstance(error, dict) and isinstance(error.get("type"), str)))
        and isinstance(mutated, list)
        and all(isinstance(i, int) for i in mutated)
    )
