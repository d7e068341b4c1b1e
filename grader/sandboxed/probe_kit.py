"""The probe kit of the trusted re-check: what every notebook's probes share, and how a probe file is loaded.

A class (`Dual`), a function that returns framework objects (tensors, a Keras model) or one that calls other
notebooks' functions (`train`) cannot be compared by calling it once and sending the result back. A probe takes
the graded object and the grader's inputs, exercises it the way the hidden test does, and returns plain data
(numbers, numpy arrays, lists, dicts) that `grader.recheck.compare` can compare. The generic probes are here; a
notebook's own live with its contract, in contracts/<assignment>/<notebook>_probes.py (course content, outside the
engine: editing one regrades that notebook alone).

One definition for both sides: `probe_namespace` loads a probe file's text the same way in the grader's process (on
the solution's object: the expected value) and in the sandbox child (on the student's). Runs inside the sandbox
(grader/sandboxed/): standard library only, no import from grader/.
"""

from __future__ import annotations


class ContractError(Exception):
    """The graded object breaks its documented contract; the message says how, in the student's terms: a template
    with `{named}` fields (the probe's literal text) and the fields as text, so the grader renders it in the student's
    language (grader/recheck/contract_words.py); `str()` is the English."""

    def __init__(self, template: str, **fields: object) -> None:
        self.template = template
        self.fields = {name: str(value) for name, value in fields.items()}
        super().__init__(template.format(**self.fields) if fields else template)


def call_twice(fn, *args):
    """fn(*args) twice, both results: catches state kept between calls (a .grad that accumulates)."""
    return [fn(*args), fn(*args)]


def counting_calls(fn, f, *args):
    """fn(counted f, *args), and how many times fn called f (forward mode makes one pass per input)."""
    calls = []

    def counted(z):
        calls.append(1)
        return f(z)

    return {"result": fn(counted, *args), "calls": len(calls)}


def is_unchanged(before: dict, after: dict) -> bool:
    """Are the arrays of `after` equal to the copies in `before` (a probe's check that its arguments were left
    alone)?"""
    import numpy as np

    return all(np.array_equal(before[k], after[k]) for k in before)


def probe_namespace(source: str, filename: str = "<trusted probes>") -> dict:
    """The probes a contract may name: this kit's generic ones, then those a notebook's probe file `source` defines
    (its names win). A probe file may use `ContractError` and `is_unchanged` without importing them (it is executed
    here, never imported: the child cannot import the course's files)."""
    namespace = {"__name__": "trusted_probes", "ContractError": ContractError, "is_unchanged": is_unchanged}
    namespace.update(call_twice=call_twice, counting_calls=counting_calls)
    exec(compile(source, filename, "exec"), namespace)
    return namespace
