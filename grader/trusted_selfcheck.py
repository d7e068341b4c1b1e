"""The grader's trusted re-check for `bpcourse check`, so that a self-learner's verdict equals the grader's.

`bpcourse check` runs a notebook with every test in a kernel (grader.selfcheck). `apply_trusted_check` then runs
the same re-check `bpcourse grade` runs (grader.trusted_check: the student's solution cells in a limited process, their
functions compared with the solution notebook's) and turns a pass that the re-check refutes into a fail with the
re-check's reason. Wiring (grader/cli.py, `_cmd_check`): `verdicts = apply_trusted_check(path, verdicts)`.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from grader.grade_sources import read_source
from grader.notebooks import find_source, read_notebook
from grader.trusted_check import trusted_check
from grader.trusted_specs import check_keys

SELF_CHECK_ID = "self-check"


def apply_trusted_check(path: Path, verdicts: list) -> list:
    """`verdicts` (grader.selfcheck.Verdict) with the trusted re-check applied, as `bpcourse grade` applies it."""
    import nbformat

    from grader.grade_worker import restore_metadata, student_solution_cells

    student = read_notebook(path)
    source = find_source(student, path)
    info = read_source(source.assignment, source.path)
    restore_metadata(student, nbformat.read(source.path, as_version=4))
    cells, _ = student_solution_cells(student, info)
    result = trusted_check(info, cells, SELF_CHECK_ID)
    failing = {
        ex.grade_id.removesuffix("_test"): result.failures[key]
        for ex in info.exercises
        for key in check_keys(ex)
        if key in result.failures
    }
    out = []
    for verdict in verdicts:
        reason = failing.get(verdict.exercise)
        if verdict.status == "pass" and reason:
            verdict = replace(verdict, points=0.0, status="fail", reason=f"the trusted re-check failed: {reason}")
        out.append(verdict)
    return out
