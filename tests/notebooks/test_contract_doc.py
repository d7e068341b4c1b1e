"""Does docs/contract.md name every function, class and value a graded test cell of solutions/ judges?"""

from __future__ import annotations

import pytest
from conftest import ROOT, SOLUTION_NOTEBOOKS, notebook_id

from grader.course.sources import read_source

CONTRACT = ROOT / "docs" / "contract.md"


def graded_names(path) -> set[str]:
    """Every name the graded test cells of one solution notebook judge (grader.course.sources' reading)."""
    return {name for exercise in read_source(path.parent.name, path).exercises for name in exercise.functions}


@pytest.mark.parametrize("path", SOLUTION_NOTEBOOKS, ids=notebook_id)
def test_every_graded_name_is_in_the_contract(path) -> None:
    """Is each graded name of this notebook in docs/contract.md, written as code (`name`)?"""
    text = CONTRACT.read_text(encoding="utf-8")
    names = graded_names(path)
    assert names, f"{notebook_id(path)} has no graded names: the reading of the notebook is broken"
    missing = sorted(name for name in names if f"`{name}`" not in text)
    assert not missing, f"docs/contract.md lacks {missing} of {notebook_id(path)}: add a row for each"
