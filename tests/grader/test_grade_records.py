"""Can one notebook stop, blank or shrink the class through the grader's bookkeeping (issue 28, items 1, 7 and 8;
issue 21, item 4)?

One class of 01_term, graded once: two right classmates (alice, bob) and four attacks, each named so that it sorts
before the classmates (a run that stops at the attack never grades them):
- `a-lone-surrogate`: a written answer holding the JSON escape "\\ud800" (a lone surrogate; the file is ASCII and a
  valid notebook). nbgrader's checksum raised UnicodeEncodeError while the parent recorded it: no CSV, the students
  after her never graded, and the same again on every rerun.
- `b-disk-full`: a right notebook whose recording meets a full disk (an OSError(ENOSPC) injected where the parent
  writes her feedback page): the run ended with no CSV.
- `c-many-cells`: a right notebook followed by 355,305 empty cells (17 MB, under the 20 MB limit): it ran for 88 s
  instead of 8 and took 1.4 GB of the parent's memory, unflagged.
- `carol`: right but for `propagate_back`, which returns a 0-d array: the parent's comparison raised (`len()` of an
  unsized object) and she got 0/12, the three right exercises and the written answer included, and kept it on rerun.
Every run must write a CSV with every student's row; the classmates keep full marks; each attack is flagged (carol:
she loses only the exercise she got wrong). A second run grades again only what could not be recorded.
"""

from __future__ import annotations

import csv
import errno
import io
import json

import nbformat
import pytest
from adversarial.cases import _redefine, all_but, full
from conftest import ROOT

from grader.course.cells import is_test_cell
from grader.course.demos import demo_cells
from grader.course.sources import read_source
from grader.grading import demo_class, grade, journal
from grader.grading.changes import SKIP_TAG
from grader.grading.executors import LocalPool
from grader.grading.records import Settings
from grader.grading.workspace import prepare_workspace

pytestmark = pytest.mark.slow

ASSIGNMENT = "01_term"
SOURCE = ROOT / "solutions" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb"
CLASSMATES = ("alice", "bob")
SKIPS_TESTS = "bob"  # right, and his notebook tags every test cell "skip-execution"
SURROGATE, DISK_FULL, MANY_CELLS, ZERO_D = "a-lone-surrogate", "b-disk-full", "c-many-cells", "carol"
EMPTY_CELLS = 355_305

ZERO_D_PROPAGATE_BACK = """def propagate_back(local_derivatives):
    grads = 1.0
    for local in local_derivatives:
        grads = grads * local
    return np.asarray(grads)
"""


def lone_surrogate(release, source) -> str:
    """A right notebook whose written answer holds a lone surrogate, written as the JSON escape (an ASCII file)."""
    nb = demo_class.right(release, source)
    answer = next(c for c in nb.cells if c.cell_type == "markdown" and c.metadata.get("nbgrader", {}).get("solution"))
    answer.source = "The chain rule gives \ud800 the derivative: $\\frac{dL}{dw} = \\frac{dL}{dz} x$."
    return json.dumps(nb, ensure_ascii=True, indent=1)


def many_empty_cells(release, source) -> str:
    """A right notebook followed by 355,305 empty markdown cells, written compactly (nbformat 4.4: no cell ids):
    17 MB, under the size limit."""
    nb = json.loads(nbformat.writes(demo_class.right(release, source)))
    nb["nbformat_minor"] = 4
    for cell in nb["cells"]:
        cell.pop("id", None)
    nb["cells"] += [{"cell_type": "markdown", "metadata": {}, "source": ""} for _ in range(EMPTY_CELLS)]
    return json.dumps(nb, ensure_ascii=True, separators=(",", ":"))


def _full_disk_on(student: str, write_feedback):
    """`write_feedback` that fails as a full disk does for `student`'s results."""

    def failing(workspace, result):
        if result.student == student:
            raise OSError(errno.ENOSPC, "No space left on device")
        return write_feedback(workspace, result)

    return failing


def _rows(summary) -> dict[str, dict]:
    with open(summary.csv, encoding="utf-8") as f:
        return {row["student"]: row for row in csv.DictReader(f)}


@pytest.fixture(scope="module")
def graded(tmp_path_factory: pytest.TempPathFactory) -> dict:
    base = tmp_path_factory.mktemp("records")
    workspace = base / "workspace"
    prepare_workspace(workspace)
    source = nbformat.read(SOURCE, as_version=4)
    release = demo_class.release_of(SOURCE, workspace / "release")
    info = read_source(ASSIGNMENT, SOURCE)
    notebooks = {name: demo_class.right(release, source) for name in (*CLASSMATES, DISK_FULL)}
    notebooks[SURROGATE] = lone_surrogate(release, source)
    notebooks[MANY_CELLS] = many_empty_cells(release, source)
    notebooks[ZERO_D] = _redefine("propagate_back", ZERO_D_PROPAGATE_BACK)(release, source, info, {})
    for cell in notebooks[SKIPS_TESTS].cells:  # nbclient does not run a cell with this tag
        if is_test_cell(cell):
            cell.metadata.setdefault("tags", []).append(SKIP_TAG)
    submissions = base / "submitted"
    for student, content in notebooks.items():
        demo_class.write_notebook(content, submissions / student / ASSIGNMENT / SOURCE.name)
    settings = Settings(cell_timeout=30)

    def run(out: io.StringIO):
        return grade.run_grade(submissions, workspace, jobs=2, progress=False, settings=settings, out=out)

    first_out = io.StringIO()
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(journal, "write_feedback", _full_disk_on(DISK_FULL, journal.write_feedback))
        first = run(first_out)
    first_rows = _rows(first)

    def interrupted(self, jobs, finish):
        raise KeyboardInterrupt

    (workspace / "class-grades.csv").unlink(missing_ok=True)  # the interrupted run must write its own
    with pytest.MonkeyPatch.context() as patch, pytest.raises(KeyboardInterrupt):
        patch.setattr(LocalPool, "run", interrupted)
        run(io.StringIO())
    interrupted_rows = _rows(first) if first.csv.exists() else {}

    second = run(io.StringIO())
    return {
        "info": info,
        "first": first,
        "first_rows": first_rows,
        "first_out": first_out.getvalue(),
        "interrupted_rows": interrupted_rows,
        "second": second,
        "second_rows": _rows(second),
        "workspace": workspace,
        "submission": submissions / MANY_CELLS / ASSIGNMENT / SOURCE.name,
    }


def _result(summary, student: str):
    return next(r for r in summary.results if r.student == student)


def test_many_cells_notebook_is_the_attack(graded: dict) -> None:
    """Is the many-cells notebook the attack as described: under the size limit, with that many cells (so only a
    bound on structure can stop it)?"""
    path = graded["submission"]
    assert 15 * 1024**2 < path.stat().st_size < Settings().max_notebook_bytes
    assert len(json.loads(path.read_text(encoding="utf-8"))["cells"]) > EMPTY_CELLS


@pytest.mark.parametrize("run", ["first_rows", "interrupted_rows", "second_rows"])
def test_every_run_writes_every_row(graded: dict, run: str) -> None:
    """Does every run, the one whose recording failed and the interrupted one included, write a CSV with a row for
    every student?"""
    assert set(graded[run]) == {*CLASSMATES, SURROGATE, DISK_FULL, MANY_CELLS, ZERO_D}


@pytest.mark.parametrize("run", ["first", "second"])
def test_classmates_keep_full_marks(graded: dict, run: str) -> None:
    """Do the two right classmates keep every autograded point, unflagged, whatever the others submitted?"""
    rows = graded[f"{run}_rows"]
    for student in CLASSMATES:
        result = _result(graded[run], student)
        assert result.score == full(graded["info"]), (student, result.exercises)
        assert not rows[student]["status"].startswith("needs review"), rows[student]["status"]


def test_tests_run_and_demos_do_not(graded: dict) -> None:
    """Issue 27 and a student's skip tags: in the graded copy of bob's notebook (right, every test cell tagged
    "skip-execution" by him) does every test cell run all the same, while the release's demo cells
    (grader/course/demos.py) are left out and every other code cell runs?"""
    path = graded["workspace"] / "autograded" / SKIPS_TESTS / ASSIGNMENT / SOURCE.name
    cells = nbformat.read(path, as_version=4).cells
    demos = demo_cells(nbformat.read(SOURCE, as_version=4))
    assert demos, "01_term has demo cells (its explorers)"
    ran = {i: isinstance(c.get("execution_count"), int) for i, c in enumerate(cells) if c.cell_type == "code"}
    assert all(ran[i] for i, c in enumerate(cells) if is_test_cell(c)), ran
    assert not any(ran[i] for i in demos), [(i, cells[i].source[:40]) for i in demos if ran[i]]
    assert all(ran[i] for i in ran if i not in demos), [i for i in ran if i not in demos and not ran[i]]


def test_lone_surrogate_is_graded_and_flagged(graded: dict) -> None:
    """Is the notebook with a lone surrogate graded (every point: her code is right), its autograded copy written,
    and flagged for the text that was replaced?"""
    result = _result(graded["first"], SURROGATE)
    assert result.score == full(graded["info"]), result.exercises
    status = graded["first_rows"][SURROGATE]["status"]
    assert status.startswith("needs review") and "not valid Unicode" in status, status
    written = [e for e in result.exercises if e.kind == "manual"]
    assert written and all(e.cause == "awaiting manual grading" for e in written), written
    autograded = graded["workspace"] / "autograded" / SURROGATE / ASSIGNMENT / SOURCE.name
    assert "\ufffd" in autograded.read_text(encoding="utf-8")


def test_full_disk_flags_her_alone_and_she_is_graded_again(graded: dict) -> None:
    """Does a full disk while recording one result flag that student's row (the run goes on, and says it failed),
    keep no journal entry for her, and does the next run grade her again, and her alone?"""
    status = graded["first_rows"][DISK_FULL]["status"]
    assert status.startswith("needs review") and "could not be recorded" in status and "ENOSPC" in status, status
    assert any(DISK_FULL in failure for failure in graded["first"].failures), graded["first"].failures
    assert "could not be recorded" in graded["first_out"]
    assert graded["second"].graded == 1 and not graded["second"].failures
    again = _result(graded["second"], DISK_FULL)
    assert again.score == full(graded["info"]) and not again.review, again


def test_interrupted_run_names_what_it_did_not_grade(graded: dict) -> None:
    """Does an interrupted run's CSV keep every recorded grade and name the notebook it did not grade?"""
    rows = graded["interrupted_rows"]
    assert "interrupted" in rows[DISK_FULL]["status"], rows[DISK_FULL]
    for student in CLASSMATES:
        assert rows[student]["total"] == graded["first_rows"][student]["total"]


def test_many_cells_flagged_never_run(graded: dict) -> None:
    """Is the notebook of 355,305 empty cells flagged for its structure when it is read, and never run?"""
    result = _result(graded["first"], MANY_CELLS)
    status = graded["first_rows"][MANY_CELLS]["status"]
    assert status.startswith("needs review") and "more than 20,000 cells" in status, status
    assert not result.kernel_isolation and result.seconds == 0.0, result
    assert not (graded["workspace"] / "autograded" / MANY_CELLS).exists()


@pytest.mark.parametrize("run", ["first", "second"])
def test_zero_d_array_costs_only_its_exercise(graded: dict, run: str) -> None:
    """Does carol's 0-d array from propagate_back fail that exercise alone, with a named cause, keep her three
    right exercises and her written answer, and is that grade kept (final) by the next run?"""
    result = _result(graded[run], ZERO_D)
    assert result.score == all_but("propagate_back")(graded["info"]), result.exercises
    lost = [e for e in result.exercises if e.points == 0.0]
    assert [e.grade_id for e in lost] == ["term_propagate_back_test"], lost
    assert "shape ()" in lost[0].cause or "0-d array" in lost[0].cause, lost[0].cause  # named: no value there
    written = [e for e in result.exercises if e.kind == "manual"]
    assert written and all(e.cause == "awaiting manual grading" for e in written), written
    status = graded[f"{run}_rows"][ZERO_D]["status"]
    assert status == "awaiting manual grading", status  # both judges agree: nothing for a person to review
    assert graded["second"].reused == 4  # every final grade: the classmates, carol and the lone surrogate
