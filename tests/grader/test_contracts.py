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
    """contracts/<assignment>/<notebook>.py for every solutions/<assignment>/<notebook>.ipynb, and no other; a probe
    file only beside its notebook's contract."""
    solutions = {p.relative_to(ROOT / "solutions").with_suffix("") for p in (ROOT / "solutions").glob("*/*.ipynb")}
    contracts = {p.relative_to(ROOT / "contracts").with_suffix("") for p in specs.contract_files(ROOT / "contracts")}
    assert solutions == contracts
    probes = (ROOT / "contracts").glob("*/*_probes.py")
    probe_files = {p.with_name(p.stem.removesuffix(specs.PROBES_SUFFIX)) for p in probes}
    assert probe_files and {p.relative_to(ROOT / "contracts") for p in probe_files} <= contracts


def test_the_engine_holds_no_course_probe_or_input() -> None:
    """Course content lives in contracts/: the engine's probe kit and input helpers name no notebook's function."""
    kit, helpers = ROOT / "grader" / "sandboxed" / "probe_kit.py", ROOT / "grader" / "recheck" / "cases.py"
    engine = kit.read_text(encoding="utf-8") + helpers.read_text(encoding="utf-8")
    for contract in specs.contract_files(ROOT / "contracts"):
        for key in specs._load(contract):
            assert f"def {specs.object_name(key)}(" not in engine, key


def test_editing_one_probe_file_leaves_the_others_grades_valid(tmp_path: Path, scratch_contracts: Path) -> None:
    """A probe is part of its notebook's contract: editing 05's probes regrades 05 alone (not 04e, which has probes
    of its own, nor 01, which has none)."""
    notebooks = [("01_term", "01_term"), ("04_usage", "04e_engine"), ("05_comparison", "05_comparison")]
    before = {nb: _fingerprint(tmp_path, a, nb) for a, nb in notebooks}
    probes = scratch_contracts / "05_comparison" / "05_comparison_probes.py"
    probes.write_text(probes.read_text(encoding="utf-8") + "\n# a probe changed\n", encoding="utf-8")
    after = {nb: _fingerprint(tmp_path, a, nb) for a, nb in notebooks}
    assert [nb for _, nb in notebooks if after[nb] != before[nb]] == ["05_comparison"]


def test_a_new_notebooks_probe_file_is_loaded_beside_the_kits_probes(scratch_contracts: Path) -> None:
    """A scratch assignment brings its own probe with its contract; the kit's generic probes stay available."""
    folder = scratch_contracts / "06_square"
    folder.mkdir()
    (folder / "06_square_probes.py").write_text("def squared_twice(f, x):\n    return f(f(x))\n", encoding="utf-8")
    probes = specs.probes_for("06_square", "06_square")
    assert probes["squared_twice"](lambda v: v * v, 3.0) == 81.0
    assert probes["call_twice"](lambda: 1) == [1, 1]
    assert "squared_twice" not in specs.probes_for("05_comparison", "05_comparison")


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
