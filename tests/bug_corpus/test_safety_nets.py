"""Issue 24 item 2: are the safety nets derived from solutions/, not listed by hand?

Every graded exercise of every notebook under solutions/ must have, without anyone adding it to a list:
- a re-check contract for each function it grades, in its notebook's own contract (contracts/<assignment>/<nb>.py);
- a bug corpus: the corpus module whose NOTEBOOK is that notebook (tests/bug_corpus/test_*_bugs.py, found by
  walking the folder), with at least 3 known bugs and 2 correct variants for the exercise's test cell.
A scratch assignment without them (written here into a temporary solutions/ folder) is caught: the check can fail.
"""

from __future__ import annotations

import importlib
from pathlib import Path
from types import ModuleType

import nbformat
from harness import ROOT, bugs, entries, variants

from grader.course.sources import read_source
from grader.recheck.specs import check_keys, contract_for

MIN_BUGS, MIN_CORRECT = 3, 2


def corpus_modules() -> dict[str, ModuleType]:
    """Each corpus module of tests/bug_corpus, by the notebook it declares (its NOTEBOOK)."""
    found = {}
    for path in sorted(Path(__file__).parent.glob("test_*_bugs.py")):
        module = importlib.import_module(path.stem)
        found[module.NOTEBOOK] = module
    return found


def _counts(table: dict, with_cause: bool) -> dict[str, int]:
    counts: dict[str, int] = {}
    for test_id, _name, _source in entries(table, with_cause=with_cause):
        counts[test_id] = counts.get(test_id, 0) + 1
    return counts


def gaps(solutions: Path, contracts: Path, modules: dict[str, ModuleType]) -> list[str]:
    """What a graded exercise under `solutions` (contracts under `contracts`) lacks, one line each."""
    missing = []
    for path in sorted(solutions.glob("*/*.ipynb")):
        rel = f"{path.parent.name}/{path.name}"
        source = read_source(path.parent.name, path)
        specs = contract_for(path.parent.name, path.stem, contracts)
        module = modules.get(rel)
        bug_counts = _counts(bugs(module), True) if module else {}
        variant_counts = _counts(variants(module), False) if module else {}
        if module is None:
            missing.append(f"{rel}: no bug corpus (a tests/bug_corpus/test_*_bugs.py whose NOTEBOOK is {rel!r})")
        for exercise in source.exercises:
            keys = check_keys(exercise, specs)
            missing += [f"{rel}: {key} has no re-check contract" for key in keys if key not in specs]
            found_bugs, found_variants = bug_counts.get(exercise.grade_id, 0), variant_counts.get(exercise.grade_id, 0)
            if module is not None and found_bugs < MIN_BUGS:
                missing.append(f"{rel}: {exercise.grade_id} has {found_bugs} bugs (< {MIN_BUGS})")
            if module is not None and found_variants < MIN_CORRECT:
                missing.append(f"{rel}: {exercise.grade_id} has {found_variants} correct variants (< {MIN_CORRECT})")
    return missing


def test_every_graded_exercise_has_its_safety_nets() -> None:
    assert gaps(ROOT / "solutions", ROOT / "contracts", corpus_modules()) == []


def test_a_new_assignment_without_them_is_caught(tmp_path: Path) -> None:
    """A scratch assignment with one graded function and no contract, no corpus: both gaps are named."""
    nb = nbformat.v4.new_notebook()
    solution = nbformat.v4.new_code_cell(
        "def square_it(x):\n    ### BEGIN SOLUTION\n    return x * x\n    ### END SOLUTION"
    )
    solution.metadata["nbgrader"] = {"grade": False, "solution": True, "locked": False, "grade_id": "sq_square",
                                     "schema_version": 3}
    test = nbformat.v4.new_code_cell("assert square_it(3) == 9")
    test.metadata["nbgrader"] = {"grade": True, "solution": False, "locked": True, "grade_id": "sq_square_test",
                                 "points": 1, "schema_version": 3}
    nb.cells = [solution, test]
    (tmp_path / "06_square").mkdir()
    nbformat.write(nb, tmp_path / "06_square" / "06_square.ipynb")
    found = gaps(tmp_path, tmp_path / "contracts", corpus_modules())
    assert any("06_square/06_square.ipynb: no bug corpus" in g for g in found), found
    assert any("square_it" in g and "no re-check contract" in g for g in found), found
