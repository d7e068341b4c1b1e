"""Issue 24 item 1: does each notebook's re-check contract live with the course, and does editing one leave every
other notebook's saved grades valid?

Fast: fingerprints are hashes of files; no notebook is run.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from conftest import ROOT

from grader.course import paths
from grader.grading import journal, workspace
from grader.grading.records import Settings
from grader.grading.submissions import Submission
from grader.recheck import specs


@pytest.fixture
def scratch_contracts(tmp_path: Path, monkeypatch) -> Path:
    """A copy of contracts/ the test may edit, in place of the checkout's."""
    copy = tmp_path / "contracts"
    shutil.copytree(ROOT / "contracts", copy)
    monkeypatch.setattr(paths, "contracts_dir", lambda: copy)
    monkeypatch.setattr(specs, "contracts_dir", lambda: copy)
    monkeypatch.setattr(workspace, "contracts_dir", lambda: copy)
    return copy


def _fingerprint(tmp_path: Path, assignment: str, notebook: str) -> str:
    submitted = tmp_path / f"{notebook}.ipynb"
    submitted.write_text("{}", encoding="utf-8")
    sub = Submission(student="amy", assignment=assignment, path=submitted, notebook=notebook)
    return journal.job_fingerprint(sub, journal.job_basis(sub, tmp_path / "workspace", Settings()))


def test_every_solution_notebook_has_a_contract_and_no_contract_is_orphaned() -> None:
    """contracts/<assignment>/<notebook>.py for every solutions/<assignment>/<notebook>.ipynb, and no other."""
    solutions = {p.relative_to(ROOT / "solutions").with_suffix("") for p in (ROOT / "solutions").glob("*/*.ipynb")}
    contracts = {p.relative_to(ROOT / "contracts").with_suffix("") for p in (ROOT / "contracts").glob("*/*.py")}
    assert solutions == contracts


def test_editing_one_contract_leaves_the_others_grades_valid(tmp_path: Path, scratch_contracts: Path) -> None:
    """A tightened tolerance in 03's contract makes 03's saved grades stale (they are graded again) and no other's."""
    before = {nb: _fingerprint(tmp_path, a, nb) for a, nb in [("01_term", "01_term"), ("03_purpose", "03_purpose")]}
    digests = {a: workspace.source_digest(a) for a in ("01_term", "03_purpose")}
    contract = scratch_contracts / "03_purpose" / "03_purpose.py"
    contract.write_text(contract.read_text(encoding="utf-8") + "\n# a tolerance tightened\n", encoding="utf-8")
    after = {nb: _fingerprint(tmp_path, a, nb) for a, nb in [("01_term", "01_term"), ("03_purpose", "03_purpose")]}
    assert after["01_term"] == before["01_term"]
    assert after["03_purpose"] != before["03_purpose"]
    assert workspace.source_digest("01_term") == digests["01_term"]
    assert workspace.source_digest("03_purpose") != digests["03_purpose"]


def test_two_notebooks_may_each_have_a_function_of_the_same_name_with_its_own_contract(
    scratch_contracts: Path,
) -> None:
    """Keys are per notebook: a `softmax` in a new notebook's contract does not change 02b's `softmax`."""
    own = scratch_contracts / "06_square" / "06_square.py"
    own.parent.mkdir()
    own.write_text(
        "from grader.recheck.specs import Spec\n\nSPECS = {'softmax': Spec(lambda rng: [(1.0,)], tol=0.5)}\n",
        encoding="utf-8",
    )
    assert specs.contract_for("06_square", "06_square")["softmax"].tol == 0.5
    assert specs.contract_for("02_definition", "02b_loss")["softmax"].tol != 0.5


def test_a_contract_without_specs_is_refused_with_its_path(scratch_contracts: Path) -> None:
    broken = scratch_contracts / "06_square" / "06_square.py"
    broken.parent.mkdir()
    broken.write_text("SPECS = {'square_it': 3}\n", encoding="utf-8")
    from grader.errors import CourseError

    with pytest.raises(CourseError, match="06_square.py must define SPECS"):
        specs.contract_for("06_square", "06_square")
