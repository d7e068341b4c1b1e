"""Does intake find every submission of an nbgrader tree, a flat LMS folder and a zip, with the right student ids?"""

from __future__ import annotations

import json
import os
import stat
import zipfile
from pathlib import Path

import pytest

from grader.errors import CourseError
from grader.grading import zips
from grader.grading.intake import cleanup, collect, flag_oversized
from grader.grading.names import shown
from grader.grading.records import Settings
from grader.grading.submissions import identity_from_filename, student_id_from_filename

SOURCE_IDS = {("01_term", "01_term"): {"a_test", "a_sol"}, ("02_definition", "02a_feedforward"): {"b_test"}}
ASSIGNMENTS = ["01_term", "02_definition"]


def _found(intake) -> list:
    return intake.found


def _notebook(path: Path, grade_ids: list[str]) -> Path:
    cells = [
        {
            "cell_type": "code",
            "metadata": {"nbgrader": {"grade_id": g}},
            "source": "",
            "outputs": [],
            "execution_count": None,
        }
        for g in grade_ids
    ]
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({"cells": cells, "metadata": {}, "nbformat": 4, "nbformat_minor": 5}))
    return path


@pytest.mark.parametrize(
    "name, student",
    [
        ("doejane_01_term.ipynb", "doejane"),
        ("doejane_12345_678_01_term.ipynb", "doejane"),  # Canvas
        ("Jane Doe_12345_assignsubmission_file_01_term.ipynb", "Jane-Doe"),  # Moodle
        ("jane_doe__01_term.ipynb", "jane_doe"),  # explicit separator
        ("doejane.ipynb", "doejane"),
        ("../../etc__x.ipynb", "etc"),
    ],
)
def test_student_id_from_file_name(name: str, student: str) -> None:
    """Is the student id taken from an exported file name by the documented pattern?"""
    assert student_id_from_filename(name) == student


def test_tree(tmp_path: Path) -> None:
    """Are an nbgrader tree's students, assignments and notebooks found (`submitted/` inside a course root)?"""
    (tmp_path / "nbgrader_config.py").write_text("c = get_config()\n")
    _notebook(tmp_path / "submitted" / "amy" / "01_term" / "01_term.ipynb", ["a_test"])
    _notebook(tmp_path / "submitted" / "bo" / "02_definition" / "02a_feedforward.ipynb", ["b_test"])
    found = _found(collect(tmp_path, ASSIGNMENTS, SOURCE_IDS))
    assert [(s.student, s.assignment, s.notebook, s.problem) for s in found] == [
        ("amy", "01_term", "01_term", None),
        ("bo", "02_definition", "02a_feedforward", None),
    ]


def test_flat_folder_assigns_by_graded_cells(tmp_path: Path) -> None:
    """Does a flat folder's notebook go to the assignment whose graded cells it carries, and a broken one get a
    problem instead of a guess?"""
    _notebook(tmp_path / "amy_hw1.ipynb", ["a_test", "a_sol"])
    _notebook(tmp_path / "bo_whatever.ipynb", ["b_test"])
    (tmp_path / "cy_broken.ipynb").write_text("{not json")
    found = {s.student: s for s in _found(collect(tmp_path, ASSIGNMENTS, SOURCE_IDS))}
    assert (found["amy"].assignment, found["amy"].notebook) == ("01_term", "01_term")
    assert (found["bo"].assignment, found["bo"].notebook) == ("02_definition", "02a_feedforward")
    assert found["cy"].assignment is None and found["cy"].problem


def test_zip_with_assignment(tmp_path: Path) -> None:
    """Is a zip export read, with --assignment deciding for every notebook (even a broken one)?"""
    archive = tmp_path / "export.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        zf.write(_notebook(tmp_path / "x" / "amy_01.ipynb", ["a_test"]), "folder/amy_01.ipynb")
        zf.writestr("bo_01.ipynb", "")
        zf.writestr("readme.txt", "not a notebook")
    found = {s.student: s for s in _found(collect(archive, ASSIGNMENTS, SOURCE_IDS, only="01_term"))}
    assert set(found) == {"amy", "bo"}
    assert all(s.assignment == "01_term" and s.notebook == "01_term" for s in found.values())
    unpacked = found["amy"].path.parent
    cleanup()
    assert not unpacked.exists()


def test_bad_inputs(tmp_path: Path) -> None:
    """Are a missing path, an unknown assignment and an empty folder refused with a message?"""
    with pytest.raises(CourseError, match="no such"):
        _found(collect(tmp_path / "nope", ASSIGNMENTS, SOURCE_IDS))
    with pytest.raises(CourseError, match="unknown assignment"):
        _found(collect(tmp_path, ASSIGNMENTS, SOURCE_IDS, only="09_x"))
    with pytest.raises(CourseError, match="no .ipynb"):
        _found(collect(tmp_path, ASSIGNMENTS, SOURCE_IDS))


# ------------------------------------------------------------------------------------------- identity (issue 11)


@pytest.mark.parametrize(
    "name, student, submitted_as",
    [
        ("doejane_12345_678_my__work.ipynb", "doejane", "doejane_12345"),  # Canvas, `__` in the student's file
        ("doejane_LATE_12345_678_01_term-1.ipynb", "doejane", "doejane_12345"),  # Canvas, late and resubmitted
        ("Jane Doe_12345_assignsubmission_file_01_term.ipynb", "Jane-Doe", "Jane Doe_12345"),  # Moodle
        ("Participant_4711_assignsubmission_file_01_term.ipynb", "Participant", "Participant_4711"),  # Moodle, blind
        ("01_term_doejane_attempt_2026-11-30-10-15-00_01_term.ipynb", "doejane", "doejane"),  # Blackboard
        ("jane_doe__01_term.ipynb", "jane_doe", "jane_doe"),
    ],
)
def test_lms_naming_schemes(name: str, student: str, submitted_as: str) -> None:
    """Are Canvas, Moodle and Blackboard export names read by their own scheme (the name and the LMS user id),
    before the plain `__` and `_` patterns?"""
    who = identity_from_filename(name)
    assert (student_id_from_filename(name), who.submitted_as) == (student, submitted_as)


def test_moodle_folder_per_student(tmp_path: Path) -> None:
    """Does Moodle's folder per student (`Jane Doe_12345_assignsubmission_file_/`) give the id, in a folder and in
    a zip, and are Blackboard's `.txt` receipts the LMS's own files (not reported)?"""
    moodle = tmp_path / "moodle"
    _notebook(moodle / "Jane Doe_12345_assignsubmission_file_" / "01_term.ipynb", ["a_test"])
    _notebook(moodle / "Max Roe_678_assignsubmission_file" / "work" / "hw.ipynb", ["a_test"])
    intake = collect(moodle, ASSIGNMENTS, SOURCE_IDS)
    found = {s.student: s for s in intake.found}
    assert set(found) == {"Jane-Doe", "Max-Roe"} and intake.layout == "moodle" and not intake.left
    assert found["Jane-Doe"].submitted_as == "Jane Doe_12345" and not found["Jane-Doe"].review
    blackboard = tmp_path / "blackboard"
    _notebook(blackboard / "01_term_doejane_attempt_2026-11-30-10-15-00_01_term.ipynb", ["a_test"])
    (blackboard / "01_term_doejane_attempt_2026-11-30-10-15-00.txt").write_text("Name: Jane Doe (doejane)\n")
    intake = collect(blackboard, ASSIGNMENTS, SOURCE_IDS)
    assert [s.student for s in intake.found] == ["doejane"] and not intake.left
    archive = tmp_path.parent / "moodle.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        zf.write(
            moodle / "Jane Doe_12345_assignsubmission_file_" / "01_term.ipynb",
            "Jane Doe_12345_assignsubmission_file_/01_term.ipynb",
        )
    assert [s.student for s in _found(collect(archive, ASSIGNMENTS, SOURCE_IDS))] == ["Jane-Doe"]
    cleanup()


def test_collision_keeps_both_and_flags_both(tmp_path: Path) -> None:
    """Do `ann lee/` and `ann-lee/` (one id once cleaned) stay two students, both flagged, each with its name?"""
    _notebook(tmp_path / "ann lee" / "01_term" / "01_term.ipynb", ["a_test"])
    _notebook(tmp_path / "ann-lee" / "01_term" / "01_term.ipynb", ["a_test"])
    _notebook(tmp_path / "bo" / "01_term" / "01_term.ipynb", ["a_test"])
    found = _found(collect(tmp_path, ASSIGNMENTS, SOURCE_IDS))
    ann = [s for s in found if s.student.startswith("ann-lee")]
    assert len({s.student for s in ann}) == 2 and all(s.student != "ann-lee" for s in ann)
    assert {s.submitted_as for s in ann} == {"ann lee", "ann-lee"}
    assert all(len(s.review) == 1 and "kept apart" in s.review[0] and "'ann lee'" in s.review[0] for s in ann)
    assert [s.review for s in found if s.student == "bo"] == [[]]
    assert _found(collect(tmp_path, ASSIGNMENTS, SOURCE_IDS))[0].student == ann[0].student  # the same ids every run


def test_canvas_namesakes_and_late_resubmission(tmp_path: Path) -> None:
    """Are two Canvas users with one name kept apart, and one user's on-time and late files kept together?"""
    _notebook(tmp_path / "doejane_111_1_01_term.ipynb", ["a_test"])
    _notebook(tmp_path / "doejane_LATE_111_2_01_term.ipynb", ["a_test"])
    _notebook(tmp_path / "doejane_222_3_01_term.ipynb", ["a_test"])
    found = _found(collect(tmp_path, ASSIGNMENTS, SOURCE_IDS))
    ids = {s.submitted_as: s.student for s in found}
    assert set(ids) == {"doejane_111", "doejane_222"} and ids["doejane_111"] != ids["doejane_222"]
    assert len({s.student for s in found}) == 2 and all(s.review for s in found)


@pytest.mark.parametrize(
    "name, words",
    [
        ("ann\\lee__01_term.ipynb", "a path separator"),
        ("a..b__01_term.ipynb", "'..'"),
        ("bo\x07\x1b[31m__01_term.ipynb", "control characters"),
        ("张伟__01_term.ipynb", "nothing left after cleaning"),
    ],
)
def test_odd_names_are_flagged(tmp_path: Path, name: str, words: str) -> None:
    """Is a submitted name with a path separator, `..`, control characters or nothing left after cleaning flagged
    (and never echoed raw), rather than silently renamed?"""
    _notebook(tmp_path / name, ["a_test"])
    (sub,) = _found(collect(tmp_path, ASSIGNMENTS, SOURCE_IDS))
    assert "/" not in sub.student and "\\" not in sub.student and sub.submitted_as == shown(name.split("__")[0])
    assert len(sub.review) == 1 and words in sub.review[0]
    assert not any(ord(c) < 32 for c in sub.review[0])


# --------------------------------------------------------------------------------------------- links (issue 17)


def test_flat_links_and_special_files_are_refused(tmp_path: Path) -> None:
    """Is a symlinked notebook (to the instructor's solution) or a FIFO in a flat folder refused and flagged, never
    read (collect does not block on the FIFO)?"""
    solution = _notebook(tmp_path / "outside" / "01_term.ipynb", ["a_test", "a_sol"])
    flat = tmp_path / "flat"
    _notebook(flat / "amy__01_term.ipynb", ["a_test"])
    (flat / "s__01_term.ipynb").symlink_to(solution)
    os.mkfifo(flat / "f__01_term.ipynb")
    (flat / "d__linked").symlink_to(solution.parent, target_is_directory=True)
    found = {s.student: s for s in _found(collect(flat, ASSIGNMENTS, SOURCE_IDS))}
    assert found["amy"].problem is None
    assert found["s"].problem == "a link, not a notebook" and found["s"].notebook is None
    assert "FIFO" in str(found["f"].problem)
    assert "a link, not a folder" in str(found["d"].problem)


def test_tree_links_are_refused(tmp_path: Path) -> None:
    """In an nbgrader tree, are a symlinked notebook, a symlinked assignment folder and a symlinked student folder
    each refused and flagged?"""
    solution = _notebook(tmp_path / "outside" / "01_term" / "01_term.ipynb", ["a_test"])
    tree = tmp_path / "submitted"
    _notebook(tree / "amy" / "01_term" / "01_term.ipynb", ["a_test"])
    (tree / "bo" / "01_term").mkdir(parents=True)
    (tree / "bo" / "01_term" / "01_term.ipynb").symlink_to(solution)
    (tree / "cy").mkdir()
    (tree / "cy" / "01_term").symlink_to(solution.parent, target_is_directory=True)
    (tree / "dee").symlink_to(tmp_path / "outside", target_is_directory=True)
    found = {s.student: s for s in _found(collect(tree, ASSIGNMENTS, SOURCE_IDS))}
    assert found["amy"].problem is None
    assert found["bo"].problem == "a link, not a notebook"
    assert "a link, not a folder" in str(found["cy"].problem)
    assert "a link, not a folder" in str(found["dee"].problem)


def test_stage_never_follows_a_link(tmp_path: Path) -> None:
    """Does staging refuse a source that became a link, and replace (never write through) a link at the target?"""
    from grader.grading.grade import _stage
    from grader.grading.submissions import Submission

    secret = tmp_path / "secret.txt"
    secret.write_text("instructor's")
    source = _notebook(tmp_path / "in" / "amy__01_term.ipynb", ["a_test"])
    workspace = tmp_path / "ws"
    target = workspace / "submitted" / "amy" / "01_term" / "01_term.ipynb"
    target.parent.mkdir(parents=True)
    target.symlink_to(secret)
    staged = _stage(Submission("amy", "01_term", source, "01_term"), workspace)
    assert staged == target and not target.is_symlink() and target.read_bytes() == source.read_bytes()
    assert secret.read_text() == "instructor's"
    assert _stage(Submission("amy", "01_term", target, "01_term"), workspace) == target  # its own tree: kept
    link = tmp_path / "in" / "bo__01_term.ipynb"
    link.symlink_to(secret)
    with pytest.raises(CourseError):
        _stage(Submission("bo", "01_term", link, "01_term"), workspace)
    assert not (workspace / "submitted" / "bo").exists()


# ---------------------------------------------------------------------------------------------- zips (issue 11)


def test_zip_traversal_and_link_entries_are_refused(tmp_path: Path) -> None:
    """Are zip entries with `..`, an absolute path or a symlink's attributes refused and reported, while the good
    entries are graded and nothing is written outside the unpacking folder?"""
    archive = tmp_path / "export.zip"
    good = json.dumps({"cells": [], "metadata": {}, "nbformat": 4, "nbformat_minor": 5})
    link = zipfile.ZipInfo("cy__01_term.ipynb")
    link.create_system = 3
    link.external_attr = (stat.S_IFLNK | 0o777) << 16
    with zipfile.ZipFile(archive, "w") as zf:
        zf.writestr("amy__01_term.ipynb", good)
        zf.writestr("../../bo__01_term.ipynb", good)
        zf.writestr("/tmp/dee__01_term.ipynb", good)
        zf.writestr("sub\\..\\..\\eve__01_term.ipynb", good)
        zf.writestr(link, "/work/main/solutions/01_term/01_term.ipynb")
    found = {s.student: s for s in _found(collect(archive, ASSIGNMENTS, SOURCE_IDS, only="01_term"))}
    assert found["amy"].problem is None
    for student in ("bo", "dee", "eve"):
        assert "points outside the export" in str(found[student].problem), student
    assert "a link, not a notebook" in str(found["cy"].problem)
    assert not (tmp_path.parent / "bo__01_term.ipynb").exists()
    cleanup()


def test_zip_bomb_is_refused_whole(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Is a zip whose compression ratio or declared total size is past the limits refused whole, with a message?"""
    archive = tmp_path / "bomb.zip"
    with zipfile.ZipFile(archive, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("amy__01_term.ipynb", b"0" * (8 * 1024**2))  # 8 MB of one byte: a ratio near 1000
    with pytest.raises(CourseError, match="zip bomb"):
        _found(collect(archive, ASSIGNMENTS, SOURCE_IDS, only="01_term"))
    plain = tmp_path / "plain.zip"
    with zipfile.ZipFile(plain, "w") as zf:  # stored, ratio 1, but more bytes than the (lowered) total limit
        zf.writestr("amy__01_term.ipynb", b"{}" * 1000)
    monkeypatch.setattr(zips, "MAX_ZIP_TOTAL_BYTES", 1000)
    with pytest.raises(CourseError, match="zip bomb"):
        _found(collect(plain, ASSIGNMENTS, SOURCE_IDS, only="01_term"))
    cleanup()


def test_zip_entry_over_the_member_limit_is_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Is an entry larger than a zip entry may hold reported, not unpacked (and not graded as an empty notebook)?"""
    monkeypatch.setattr(zips, "MAX_ZIP_MEMBER_BYTES", 100)
    archive = tmp_path / "export.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        zf.writestr("amy__01_term.ipynb", b" " * 200)
    (sub,) = _found(collect(archive, ASSIGNMENTS, SOURCE_IDS, only="01_term"))
    assert "over the" in str(sub.problem) and not sub.path.exists()
    cleanup()


# --------------------------------------------------------------------------------------------- sizes (issue 17)


def test_oversized_notebook_is_flagged_not_run(tmp_path: Path) -> None:
    """Is a notebook over `max_notebook_bytes` given a problem (so it is never run), and the default 20 MB?"""
    _notebook(tmp_path / "amy__01_term.ipynb", ["a_test"])
    big = _notebook(tmp_path / "bo__01_term.ipynb", ["a_test"])
    big.write_text(big.read_text() + " " * 5000)
    found = {s.student: s for s in _found(collect(tmp_path, ASSIGNMENTS, SOURCE_IDS))}
    flag_oversized(list(found.values()), 3000)
    assert found["amy"].problem is None
    assert "over the" in str(found["bo"].problem) and "not run" in str(found["bo"].problem)
    assert Settings().max_notebook_bytes == 20 * 1024**2


def test_zip_damaged_entry_is_refused_alone(tmp_path: Path) -> None:
    """Is an entry that fails its CRC check reported on its own, while the other entries are still graded?"""
    archive = tmp_path / "export.zip"
    with zipfile.ZipFile(archive, "w") as zf:  # stored: the entry's bytes sit right after its local header
        zf.writestr("amy__01_term.ipynb", b"A" * 100)
        zf.writestr("bo__01_term.ipynb", b"{}")
    data = bytearray(archive.read_bytes())
    data[30 + len("amy__01_term.ipynb") + 10] ^= 0xFF
    archive.write_bytes(bytes(data))
    found = {s.student: s for s in _found(collect(archive, ASSIGNMENTS, SOURCE_IDS, only="01_term"))}
    assert "could not be unpacked" in str(found["amy"].problem) and found["bo"].problem is None
    cleanup()


def test_ids_differing_only_in_case_are_kept_apart(tmp_path: Path) -> None:
    """Are `Ann/` and `ann/` (one folder on macOS or Windows) kept apart and flagged, not merged?"""
    _notebook(tmp_path / "Ann" / "01_term" / "01_term.ipynb", ["a_test"])
    _notebook(tmp_path / "ann" / "01_term" / "01_term.ipynb", ["a_test"])
    found = _found(collect(tmp_path, ASSIGNMENTS, SOURCE_IDS))
    assert len({s.student.casefold() for s in found}) == 2 and all("kept apart" in s.review[0] for s in found)
