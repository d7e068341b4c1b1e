"""Does `bpcourse grade` score the adversarial corpus as expected, in one class run?

One class: every case of tests/grader/adversarial/cases.py built from 01_term, plus, for every assignment on
disk, its solution notebook (full marks) and its untouched release (0). Graded once with two workers.
"""

from __future__ import annotations

import csv
import io
import json
import shutil
import socket
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest
from adversarial.cases import CASES, OTHER_WORKSPACE, UDP_PORT
from conftest import ROOT

from grader.course.sources import read_source
from grader.grading import demo_class
from grader.grading.grade import run_grade
from grader.grading.records import Settings
from grader.grading.workspace import prepare_workspace

pytestmark = pytest.mark.slow

CORPUS_ASSIGNMENT = "01_term"


@pytest.fixture(scope="module")
def graded(tmp_path_factory: pytest.TempPathFactory) -> dict:
    base = tmp_path_factory.mktemp("adversarial")
    workspace = base / "workspace"
    prepare_workspace(workspace)
    source_path = ROOT / "solutions" / CORPUS_ASSIGNMENT / f"{CORPUS_ASSIGNMENT}.ipynb"
    source = nbformat.read(source_path, as_version=4)
    release = demo_class.release_of(source_path, workspace / "release")
    info = read_source(CORPUS_ASSIGNMENT, source_path)
    others = {
        p.parent.name: nbformat.read(workspace / "release" / p.parent.name / p.name, as_version=4)
        for p in sorted((ROOT / "solutions").glob("*/*.ipynb"))
        if p.parent.name != CORPUS_ASSIGNMENT
    }
    other_term = Path(OTHER_WORKSPACE)  # another grading workspace on the machine, with hidden tests in it
    other_term.parent.mkdir(parents=True, exist_ok=True)
    other_term.write_text(source_path.read_text(encoding="utf-8"), encoding="utf-8")
    submissions = base / "submitted"
    for case in CASES:
        content = case.build(release, source, info, others)
        demo_class.write_notebook(content, submissions / case.name / CORPUS_ASSIGNMENT / source_path.name)
    for path in sorted((ROOT / "solutions").glob("*/*.ipynb")):
        assignment = path.parent.name
        demo_class.write_notebook(
            path.read_text(encoding="utf-8"), submissions / "zz-solution" / assignment / path.name
        )
        released = (workspace / "release" / assignment / path.name).read_text(encoding="utf-8")
        demo_class.write_notebook(released, submissions / "zz-release" / assignment / path.name)
    out = io.StringIO()
    listener = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)  # where `leaks_over_udp` sends the hidden tests
    listener.bind(("127.0.0.1", UDP_PORT))
    ipc_before = sysv_ipc_objects()
    try:
        summary = run_grade(submissions, workspace, jobs=2, progress=False, settings=Settings(cell_timeout=30), out=out)
        received = datagrams(listener)
    finally:
        shutil.rmtree(other_term.parents[2], ignore_errors=True)
        listener.close()
    by_key = {(r.student, r.assignment, r.notebook): r for r in summary.results}
    with open(summary.csv, encoding="utf-8") as f:
        rows = {row["student"]: row for row in csv.DictReader(f)}
    return {
        "summary": summary,
        "by_key": by_key,
        "rows": rows,
        "info": info,
        "workspace": workspace,
        "out": out,
        "received": received,
        "ipc": (ipc_before, sysv_ipc_objects()),
    }


def datagrams(listener: socket.socket, wait: float = 1.0) -> list[bytes]:
    """Everything queued on `listener`, waiting at most `wait` seconds for each next datagram."""
    listener.settimeout(wait)
    received = []
    try:
        while len(received) < 1000:
            received.append(listener.recv(65536))
    except TimeoutError:
        pass
    return received


def sysv_ipc_objects() -> dict[str, list[str]]:
    """The machine's SysV message queues, semaphore sets and shared memory segments (what `ipcs` lists), one line
    each without the header."""
    found = {}
    for kind in ("msg", "sem", "shm"):
        path = Path("/proc/sysvipc") / kind
        found[kind] = path.read_text().splitlines()[1:] if path.exists() else []
    return found


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_case_scores_and_flag(graded: dict, case) -> None:
    """Does each adversarial case get its expected autograded score and review flag (see its question)?"""
    result = graded["by_key"][(case.name, CORPUS_ASSIGNMENT, CORPUS_ASSIGNMENT)]
    status = graded["rows"][case.name]["status"]
    assert result.score == pytest.approx(case.score(graded["info"])), (case.question, result.exercises, status)
    if case.flag is None:
        assert not status.startswith("needs review"), (case.question, status)
    else:
        assert status.startswith("needs review") and case.flag in status, (case.question, status)


def test_nothing_leaves_over_the_network(graded: dict) -> None:
    """Does the UDP listener `leaks_over_udp` sends to (a pre_run_cell hook: every hidden test cell; sendto and
    sendmsg, in the kernel and the re-check) receive nothing at all?"""
    assert graded["received"] == [], graded["received"][:3]


def test_no_sysv_ipc_object_outlives_grading(graded: dict) -> None:
    """Does `kernel_interfaces`'s msgget, shmget and semget leave the machine's SysV IPC objects (`ipcs`, read from
    /proc/sysvipc) as they were before grading?"""
    before, after = graded["ipc"]
    assert Path("/proc/sysvipc/msg").exists(), "no /proc/sysvipc here: nothing to compare"
    assert after == before


NOTEBOOKS = [f"{p.parent.name}/{p.stem}" for p in sorted((ROOT / "solutions").glob("*/*.ipynb"))]


@pytest.mark.parametrize("notebook", NOTEBOOKS)
def test_solutions_full_marks_release_zero(graded: dict, notebook: str) -> None:
    """Does every solution notebook earn every autograded point, and every untouched release none?"""
    assignment, name = notebook.split("/")
    solution = graded["by_key"][("zz-solution", assignment, name)]
    release = graded["by_key"][("zz-release", assignment, name)]
    assert solution.auto_max > 0
    assert solution.score == solution.auto_max, [e for e in solution.exercises if e.points != e.max_points]
    assert not solution.review, solution.review
    assert release.score == 0
    assert not release.review, release.review


def test_feedback_never_shows_test_code(graded: dict) -> None:
    """Does no feedback page show a line of a hidden test, or a traceback?"""
    workspace = graded["workspace"]
    hidden = set()
    for path in sorted((workspace / "source").glob("*/*.ipynb")):
        hidden |= read_source(path.parent.name, path).hidden_lines
    pages = sorted((workspace / "feedback").rglob("*.html"))
    assert len(pages) >= len(CASES)
    for page in pages:
        text = page.read_text(encoding="utf-8")
        assert "Traceback" not in text and "BEGIN HIDDEN" not in text, page
        leaked = [line for line in hidden if line in text]
        assert not leaked, (page, leaked[:3])


def test_nothing_a_student_wrote_reaches_a_person(graded: dict) -> None:
    """Do the feedback pages, the CSV, the outputs of the stored autograded notebooks and the printed summary carry
    none of the text student code chose (a raised message with the hidden test inside, lines written into
    descriptors)? (The notebooks keep the student's code, which spells the attack.)"""
    workspace = graded["workspace"]
    for path in [*sorted((workspace / "feedback").rglob("*.html")), workspace / "class-grades.csv"]:
        text = path.read_text(encoding="utf-8")
        assert "LEAK:" not in text and "INJECTED" not in text, path
    for path in sorted((workspace / "autograded").rglob("*.ipynb")):
        outputs = json.dumps([c.get("outputs", []) for c in nbformat.read(path, as_version=4).cells])
        assert "LEAK:" not in outputs and "INJECTED" not in outputs, path
    printed = graded["out"].getvalue()
    assert "INJECTED" not in printed and "\x1b" not in printed


def test_feedback_names_the_cause(graded: dict) -> None:
    """Does the feedback of a wrong answer give the hidden check's message, in words?"""
    page = graded["workspace"] / "feedback" / "wrong" / CORPUS_ASSIGNMENT / f"{CORPUS_ASSIGNMENT}.html"
    text = page.read_text(encoding="utf-8")
    assert "AssertionError" in text or "differs from the expected value" in text


def test_gradebook_matches_csv_and_exports(graded: dict) -> None:
    """Do the gradebook's scores equal the CSV's, and does plain `nbgrader export` still work on the workspace?"""
    from grader.grading.workspace import autograded_scores

    workspace = graded["workspace"]
    scores = autograded_scores(workspace, CORPUS_ASSIGNMENT)
    for case in CASES:
        result = graded["by_key"][(case.name, CORPUS_ASSIGNMENT, CORPUS_ASSIGNMENT)]
        assert scores[case.name][0] == pytest.approx(result.score), case.name
    done = subprocess.run(
        [sys.executable, "-m", "nbgrader", "export"], cwd=workspace, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert (workspace / "grades.csv").read_text().count("\n") > len(CASES)


def test_summary_printed(graded: dict) -> None:
    """Does the run print a table and a summary line naming the CSV?"""
    text = graded["out"].getvalue()
    assert "need review" in text and "class-grades.csv" in text
    assert Path(graded["summary"].csv).exists()


# The cases `bpcourse check` is compared on: one of each kind (right, untouched, wrong, cheating, forging, leaking,
# renaming, crashing, dying mid-test). Each check runs the whole pipeline again (seconds each), so not the whole
# corpus. (The bug corpus is compared whole, in bundles: tests/bug_corpus/test_check_matches_grade.py.)
SAME_AS_CHECK = [
    "solution",
    "release",
    "wrong",
    "cheat_allclose",
    "cheat_transformer",
    "renamed_function",
    "kernel_suicide",
    "forges_both_judges",
    "leaks_hidden_tests",
    "array_protocol_lazy",
    "c_stack_overflow",
    "dies_in_kernel_test",
]


@pytest.mark.parametrize("name", SAME_AS_CHECK)
def test_check_gives_the_graders_verdicts(graded: dict, name: str, tmp_path: Path) -> None:
    """Does `bpcourse check` give every exercise the points and the message `bpcourse grade` gave it (one
    pipeline: the same merge, kernel guard, limits, re-check and messages)?"""
    from grader.student.check import run_check

    graded_result = graded["by_key"][(name, CORPUS_ASSIGNMENT, CORPUS_ASSIGNMENT)]
    submitted = graded["workspace"] / "submitted" / name / CORPUS_ASSIGNMENT / f"{CORPUS_ASSIGNMENT}.ipynb"
    copy = tmp_path / CORPUS_ASSIGNMENT / f"{CORPUS_ASSIGNMENT}.ipynb"
    copy.parent.mkdir(parents=True)
    shutil.copyfile(submitted, copy)
    checked = run_check(copy, Settings(cell_timeout=30), student=name).result
    assert [(e.grade_id, e.points, e.cause) for e in checked.exercises] == [
        (e.grade_id, e.points, e.cause) for e in graded_result.exercises
    ]


def test_unanswered_written_answer_is_named(graded: dict) -> None:
    """Is a written answer still reading YOUR ANSWER HERE reported as not answered yet, and an answered one as
    awaiting a person?"""
    for student, words in (("zz-release", "not answered yet"), ("zz-solution", "awaiting manual grading")):
        result = graded["by_key"][(student, CORPUS_ASSIGNMENT, CORPUS_ASSIGNMENT)]
        manual = [e for e in result.exercises if e.kind == "manual"]
        assert manual and all(words in e.cause for e in manual), (student, manual)
