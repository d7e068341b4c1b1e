"""Does the trusted re-check fail every known bug of the corpus and pass every correct variant, as the hidden
tests do?

The re-check (grader/recheck/trusted_check.py) is the grader's second judge: an exercise's points need both nbgrader's
hidden test and the re-check. So each of its checks must be shown to fail a wrong answer and to pass a right one.
Each case here runs the solution notebook's own solution cells in the sandbox, then one more cell, the bug or
the variant (as a student's later cell would redefine the function), and asks the re-check about the exercise.
Every exercise of every notebook is covered (the corpus files check that each test cell has its bugs and
variants), so every check of the re-check is shown to fail a wrong answer and to pass right ones.
"""

from __future__ import annotations

import importlib
from functools import cache
from pathlib import Path

import pytest
from harness import ROOT, bugs, entries, variants

from grader.course.sources import SourceInfo, read_source
from grader.grading import demo_class
from grader.recheck.specs import check_keys, contract_for
from grader.recheck.trusted_check import trusted_check


def _corpus() -> dict[str, str]:
    """Each corpus module (tests/bug_corpus/test_*_bugs.py, found by walking the folder) -> its NOTEBOOK."""
    return {
        path.stem: importlib.import_module(path.stem).NOTEBOOK
        for path in sorted(Path(__file__).parent.glob("test_*_bugs.py"))
    }


CORPUS = _corpus()  # derived, never listed by hand (issue 24): a new corpus file is in it by being there

@cache
def _module(name: str):
    return importlib.import_module(name)


def _cases(kind: str) -> list:
    found = []
    for module_name, notebook in CORPUS.items():
        module = _module(module_name)
        table = bugs(module) if kind == "bug" else variants(module, rechecked=True)
        for test_id, name, source in entries(table, with_cause=kind == "bug"):
            # each case starts a sandboxed child: the corpus tier, left out of `make test-fast`
            marks = [pytest.mark.corpus] + ([pytest.mark.slow] if "frameworks" in notebook else [])
            found.append(pytest.param(notebook, test_id, name, source, id=f"{test_id}-{name}", marks=marks))
    return found


@cache
def _source(notebook: str) -> SourceInfo:
    path = ROOT / "solutions" / notebook
    return read_source(path.parent.name, path)


def _recheck(notebook: str, test_id: str, implementation: str) -> tuple[list[str], dict[str, str], object]:
    """The re-check's failures for the exercise `test_id` with `implementation` as the student's last cell."""
    source = _source(notebook)
    cells = [(gid, demo_class.solution_text(code)) for gid, code in source.solution_cells.items()]
    cells.append(("corpus_case", implementation))
    result = trusted_check(source, cells, "corpus")
    exercise = next(ex for ex in source.exercises if ex.grade_id == test_id)
    keys = check_keys(exercise, contract_for(source.assignment, source.path.stem))
    return keys, {k: str(result.failures[k]) for k in keys if k in result.failures}, result


@pytest.mark.parametrize(("notebook", "test_id", "name", "implementation"), _cases("bug"))
def test_recheck_fails_the_bug(notebook: str, test_id: str, name: str, implementation: str) -> None:
    """Does the re-check fail this known bug of this exercise?"""
    keys, failures, result = _recheck(notebook, test_id, implementation)
    assert keys, f"{test_id} has no graded name to re-check"
    assert not any(k in result.not_checked for k in keys), result.not_checked
    assert failures, f"the re-check passed the bug {name} of {test_id} (checked: {result.checked})"


@pytest.mark.parametrize(("notebook", "test_id", "name", "implementation"), _cases("correct"))
def test_recheck_passes_a_correct_variant(notebook: str, test_id: str, name: str, implementation: str) -> None:
    """Does the re-check pass a correct implementation written another way?"""
    keys, failures, result = _recheck(notebook, test_id, implementation)
    assert keys and all(k in result.checked for k in keys), (keys, result.not_checked)
    assert not failures, failures
    assert not result.violations and result.crash is None, (result.violations, result.crash)


@pytest.mark.corpus  # a sandboxed re-check of every notebook: the corpus tier
def test_every_graded_exercise_is_rechecked() -> None:
    """Does every autograded exercise of every solution notebook have a re-check (no name left to nbgrader alone)?"""
    for notebook in CORPUS.values():
        source = _source(notebook)
        result = trusted_check(source, [], "nobody")  # no student cells: every check fails, none is skipped
        for exercise in source.exercises:
            keys = check_keys(exercise, contract_for(source.assignment, source.path.stem))
            assert keys, f"{notebook}: {exercise.grade_id} uses no graded name"
            assert all(k in result.checked for k in keys), (notebook, exercise.grade_id, result.not_checked)
