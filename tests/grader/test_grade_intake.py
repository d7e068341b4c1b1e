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
    assert len(sub.review) == 1 and words in str(sub.review[0])  # Words: its English
    assert not any(ord(c) < 32 for c in str(sub.review[0]))


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


# ------------------------------------------------------------- attacks on intake (issue 28, issue 21 items 6 and 8)


def test_moodle_student_subfolder_named_like_an_assignment_keeps_the_class(tmp_path: Path) -> None:
    """Issue 28 case 2: one Moodle student's upload holds a subfolder `01_term/`; is the export still read as
    Moodle's (every classmate found), not as an nbgrader tree holding her alone?"""
    _notebook(tmp_path / "Ann Lee_11_assignsubmission_file_" / "01_term.ipynb", ["a_test"])
    _notebook(tmp_path / "Bo Kim_12_assignsubmission_file_" / "01_term.ipynb", ["a_test"])
    _notebook(tmp_path / "Eve Park_13_assignsubmission_file_" / "01_term" / "01_term.ipynb", ["a_test"])
    intake = collect(tmp_path, ASSIGNMENTS, SOURCE_IDS)
    assert intake.layout == "moodle"
    assert sorted((s.student, s.key, s.problem) for s in intake.found) == [
        ("Ann-Lee", "moodle:11", None),
        ("Bo-Kim", "moodle:12", None),
        ("Eve-Park", "moodle:13", None),
    ]


def test_blackboard_name_is_read_from_the_start_not_from_the_students_part(tmp_path: Path) -> None:
    """Issue 28 case 3: mallory uploads a second file named `x_alice_attempt_..._01_term.ipynb`; does alice keep her
    own notebook (one file, hers), and the crafted file stay mallory's?"""
    alice = _notebook(tmp_path / "01_term_alice_attempt_2026-11-30-10-00-00_01_term.ipynb", ["a_test"])
    _notebook(tmp_path / "01_term_mallory_attempt_2026-11-30-11-00-00_01_term.ipynb", ["a_test"])
    crafted = _notebook(
        tmp_path / "01_term_mallory_attempt_2026-11-30-11-00-00_x_alice_attempt_2026-11-30-23-59-59_01_term.ipynb",
        ["a_test"],
    )
    intake = collect(tmp_path, ASSIGNMENTS, SOURCE_IDS)
    found = {s.student: s for s in intake.found}
    assert set(found) == {"alice", "mallory"} and found["alice"].path == alice and not found["alice"].others
    assert crafted.name in {Path(left.file).name for left in intake.left} | {found["mallory"].path.name}
    assert all(s.key.startswith("blackboard:") for s in intake.found)


def test_a_student_named_submitted_does_not_hide_the_class(tmp_path: Path) -> None:
    """Issue 28 case 4: grading an nbgrader `submitted/` tree in which one user is named `submitted`: is every
    student found (and `submitted/` entered only at the top of a course, by its nbgrader_config.py)?"""
    tree = tmp_path / "course" / "submitted"
    for student in ("amy", "bo", "submitted"):
        _notebook(tree / student / "01_term" / "01_term.ipynb", ["a_test"])
    assert sorted(s.student for s in _found(collect(tree, ASSIGNMENTS, SOURCE_IDS))) == ["amy", "bo", "submitted"]
    (tmp_path / "course" / "nbgrader_config.py").write_text("c = get_config()\n")
    found = _found(collect(tmp_path / "course", ASSIGNMENTS, SOURCE_IDS))
    assert sorted(s.student for s in found) == ["amy", "bo", "submitted"]


def test_canvas_namesake_in_a_later_run_is_kept_apart_and_flagged(tmp_path: Path) -> None:
    """Issue 28 case 5: two Canvas users both `doejane`, in two batches graded into one workspace: does the first
    keep her id (and so her grade), the second get another, and both get flagged?"""
    state = tmp_path / "ws" / ".bpcourse"
    first, second = tmp_path / "batch1", tmp_path / "batch2"
    _notebook(first / "doejane_111_1_01_term.ipynb", ["a_test"])
    _notebook(second / "doejane_222_2_01_term.ipynb", ["a_test"])
    (one,) = collect(first, ASSIGNMENTS, SOURCE_IDS, state=state).found
    assert (one.student, one.review) == ("doejane", [])
    (two,) = collect(second, ASSIGNMENTS, SOURCE_IDS, state=state).found
    assert two.student != "doejane" and two.student.startswith("doejane-") and "kept apart" in two.review[0]
    (again,) = collect(first, ASSIGNMENTS, SOURCE_IDS, state=state).found  # the first, graded again later
    assert again.student == "doejane" and "kept apart" in again.review[0] and "canvas:222" in again.review[0]


def test_ids_are_stable_across_runs(tmp_path: Path) -> None:
    """Is a person's id the one given in the first run, whatever arrives later (a collision flags the newcomer and
    the holder, never renames the holder)?"""
    state = tmp_path / ".bpcourse"
    _notebook(tmp_path / "in1" / "ann-lee" / "01_term" / "01_term.ipynb", ["a_test"])
    _notebook(tmp_path / "in2" / "ann lee" / "01_term" / "01_term.ipynb", ["a_test"])
    assert [s.student for s in collect(tmp_path / "in1", ASSIGNMENTS, SOURCE_IDS, state=state).found] == ["ann-lee"]
    (newcomer,) = collect(tmp_path / "in2", ASSIGNMENTS, SOURCE_IDS, state=state).found
    assert newcomer.student.startswith("ann-lee-") and newcomer.review
    assert [s.student for s in collect(tmp_path / "in1", ASSIGNMENTS, SOURCE_IDS, state=state).found] == ["ann-lee"]


def test_korean_name_in_cp949_is_flagged_and_cleaned(tmp_path: Path) -> None:
    """Issue 28 case 6 (intake side): a file name in CP949, as `unzip` writes a Windows zip (bytes that are not
    UTF-8): is it taken, flagged, and its name valid Unicode everywhere (no surrogate)?"""
    raw = "김철수".encode("cp949") + b"__01_term.ipynb"
    _notebook(Path(os.fsdecode(bytes(tmp_path) + b"/" + raw)), ["a_test"])
    (sub,) = collect(tmp_path, ASSIGNMENTS, SOURCE_IDS).found
    assert sub.problem is None and "undecodable bytes" in str(sub.review[0])
    for text in (sub.student, sub.submitted_as, sub.origin, *map(str, sub.review)):
        text.encode("utf-8")  # raises on a lone surrogate


def test_an_id_that_cleans_to_300_characters_is_capped_and_stages(tmp_path: Path) -> None:
    """Issue 28 case 10: a Moodle folder name (in a zip) of 300 characters: is the id a short readable prefix plus
    a digest, flagged, and can the notebook be staged (no `File name too long`)?"""
    from grader.grading.grade import _stage

    archive = tmp_path / "export.zip"
    long_name = "J" * 300
    with zipfile.ZipFile(archive, "w") as zf:
        zf.write(_notebook(tmp_path / "nb.ipynb", ["a_test"]), f"{long_name}_7_assignsubmission_file_/01_term.ipynb")
        zf.write(tmp_path / "nb.ipynb", "Bo Kim_8_assignsubmission_file_/01_term.ipynb")
    found = {s.key: s for s in collect(archive, ASSIGNMENTS, SOURCE_IDS).found}
    sub = found["moodle:7"]
    assert len(sub.student) <= 64 and sub.student.startswith("JJJJ") and "more than 64" in str(sub.review[0])
    (tmp_path / "ws").mkdir()
    assert _stage(sub, tmp_path / "ws").is_file()
    cleanup()


def _zip_with_false_utf8_flag(archive: Path, raw_name: bytes, good: str) -> None:
    """A zip whose entry `raw_name` (not UTF-8) carries the UTF-8 flag, as some Windows tools write it."""
    placeholder = "P" * len(raw_name)
    with zipfile.ZipFile(archive, "w") as zf:
        zf.writestr(placeholder, good)
        zf.writestr("bo__01_term.ipynb", good)
    data = bytearray(archive.read_bytes())
    for signature, flag_at in ((b"PK\x03\x04", 6), (b"PK\x01\x02", 8)):
        at = data.find(signature)
        data[at + flag_at] |= 0x00  # keep the low byte
        data[at + flag_at + 1] |= 0x08  # bit 11: the name is UTF-8
    archive.write_bytes(bytes(data).replace(placeholder.encode(), raw_name))


def test_zip_entry_flagged_utf8_that_is_not_does_not_crash(tmp_path: Path) -> None:
    """Issue 28 case 10: a zip entry flagged UTF-8 whose name is CP949: is the zip read (no UnicodeDecodeError),
    that entry flagged, and the classmate's entry graded?"""
    good = json.dumps({"cells": [], "metadata": {}, "nbformat": 4, "nbformat_minor": 5})
    archive = tmp_path / "export.zip"
    _zip_with_false_utf8_flag(archive, "김철수".encode("cp949") + b"__01_term.ipynb", good)
    with pytest.raises(UnicodeDecodeError):
        zipfile.ZipFile(archive)  # what the parent used to do
    found = {s.student: s for s in collect(archive, ASSIGNMENTS, SOURCE_IDS, only="01_term").found}
    assert found["bo"].problem is None and len(found) == 2
    (korean,) = (s for s in found.values() if s.student != "bo")
    assert korean.problem is None and "undecodable bytes" in str(korean.review[0])
    cleanup()


def test_late_canvas_file_does_not_replace_the_on_time_one(tmp_path: Path) -> None:
    """Issue 21 item 6: `doejane_LATE_12345_999_...` beside her on-time file: is the on-time file graded, the late
    one listed (in her review and the report), never silently dropped; and a late file alone marked late?"""
    on_time = _notebook(tmp_path / "doejane_12345_998_01_term.ipynb", ["a_test"])
    _notebook(tmp_path / "doejane_LATE_12345_999_01_term.ipynb", ["a_test"])
    _notebook(tmp_path / "roe_LATE_678_1000_01_term.ipynb", ["a_test"])
    intake = collect(tmp_path, ASSIGNMENTS, SOURCE_IDS)
    found = {s.student: s for s in intake.found}
    assert found["doejane"].path == on_time and not found["doejane"].late
    assert "doejane_LATE_12345_999_01_term.ipynb" in str(found["doejane"].review[0])  # Words: its English
    assert [left.file for left in intake.left] == ["doejane_LATE_12345_999_01_term.ipynb"]
    assert "late" in intake.left[0].reason
    assert found["roe"].late and found["roe"].problem is None


def test_blackboard_attempt_after_the_due_date_is_late_by_its_own_clock(tmp_path: Path) -> None:
    """Issue 21 item 6: is a Blackboard attempt's time (the LMS's, not the file's) compared with the due date, and
    the latest on-time attempt graded before a later, late one?"""
    from datetime import datetime, timedelta, timezone

    kst = timezone(timedelta(hours=9))
    due = {"01_term": datetime(2026, 12, 1, 23, 59, tzinfo=kst)}
    early = _notebook(tmp_path / "01_term_amy_attempt_2026-12-01-20-00-00_01_term.ipynb", ["a_test"])
    _notebook(tmp_path / "01_term_amy_attempt_2026-12-02-01-59-00_01_term.ipynb", ["a_test"])
    _notebook(tmp_path / "01_term_bo_attempt_2026-12-02-01-59-00_01_term.ipynb", ["a_test"])
    found = {s.student: s for s in collect(tmp_path, ASSIGNMENTS, SOURCE_IDS, dues=due).found}
    assert found["amy"].path == early and not found["amy"].late and len(found["amy"].others) == 1
    assert found["bo"].late and found["bo"].late_by == 2 * 3600
    assert found["bo"].submitted_at == datetime(2026, 12, 2, 1, 59, tzinfo=kst)


def test_hard_link_is_refused_like_a_symlink(tmp_path: Path) -> None:
    """Issue 21 item 8: a hard link in a submission to a file the instructor can read (here: a solution): refused
    and flagged, never read; and staging refuses it too (made after intake)."""
    from grader.grading.grade import _stage
    from grader.grading.submissions import Submission

    solution = _notebook(tmp_path / "outside" / "01_term.ipynb", ["a_test", "a_sol"])
    flat = tmp_path / "flat"
    _notebook(flat / "amy__01_term.ipynb", ["a_test"])
    os.link(solution, flat / "bo__01_term.ipynb")
    found = {s.student: s for s in collect(flat, ASSIGNMENTS, SOURCE_IDS).found}
    assert found["amy"].problem is None
    assert "hard link" in str(found["bo"].problem) and found["bo"].notebook is None
    os.link(solution, flat / "amy__copy.ipynb")  # beside her own notebook: listed, flagged on it, no second result
    intake = collect(flat, ASSIGNMENTS, SOURCE_IDS, only="01_term")
    (amy,) = (s for s in intake.found if s.student == "amy")
    assert amy.problem is None and amy.path.name == "amy__01_term.ipynb" and "hard link" in str(amy.review[0])
    assert {left.file for left in intake.left} == {"amy__copy.ipynb"}
    with pytest.raises(CourseError, match="hard link"):
        _stage(Submission("bo", "01_term", flat / "bo__01_term.ipynb", "01_term"), tmp_path / "ws")


def test_layout_is_chosen_by_rule_and_an_ambiguous_input_refused(tmp_path: Path) -> None:
    """Does `auto` refuse a Canvas export with one stray file (naming the --layout choices), does `--layout canvas`
    grade the Canvas files and list the stray one, and is a PDF in a zip listed with its reason?"""
    _notebook(tmp_path / "doejane_111_1_01_term.ipynb", ["a_test"])
    _notebook(tmp_path / "roe_222_2_01_term.ipynb", ["a_test"])
    _notebook(tmp_path / "stray.ipynb", ["a_test"])
    with pytest.raises(CourseError, match="--layout with one of nbgrader, flat, canvas, moodle, blackboard"):
        collect(tmp_path, ASSIGNMENTS, SOURCE_IDS)
    intake = collect(tmp_path, ASSIGNMENTS, SOURCE_IDS, layout="canvas")
    assert sorted(s.student for s in intake.found) == ["doejane", "roe"]
    assert [(left.file, "no rule" in left.reason) for left in intake.left] == [("stray.ipynb", True)]
    assert sorted(s.student for s in collect(tmp_path, ASSIGNMENTS, SOURCE_IDS, layout="flat").found) == [
        "doejane", "roe", "stray"
    ]
    archive = tmp_path.parent / "with-pdf.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        zf.write(tmp_path / "roe_222_2_01_term.ipynb", "roe_222_2_01_term.ipynb")
        zf.writestr("roe_222_3_report.pdf", b"%PDF-1.4")
    intake = collect(archive, ASSIGNMENTS, SOURCE_IDS)
    assert [s.student for s in intake.found] == ["roe"]
    pdf = ("roe_222_3_report.pdf", "not a notebook: not graded")
    assert [(left.file, left.reason) for left in intake.left] == [pdf]
    cleanup()


# ------------------------------------------------------ one small graded class: two Canvas batches, one workspace


@pytest.fixture(scope="module")
def canvas_batches(tmp_path_factory: pytest.TempPathFactory) -> dict:
    """Two Canvas batches graded into one workspace (3 notebooks graded): batch 1 has doejane (user 111, full
    marks), roe on time (full marks) and roe's late empty resubmission; batch 2 another doejane (user 222), late
    and empty. Due 2026-12-01 23:59 +09:00; file times as the instructor's download kept them."""
    import csv
    import io
    from datetime import datetime, timedelta, timezone

    from grader.grading import demo_class
    from grader.grading.grade import run_grade
    from grader.grading.workspace import prepare_workspace

    base = tmp_path_factory.mktemp("canvas")
    workspace = base / "ws"
    prepare_workspace(workspace)
    students = {k: demo_class.STUDENTS[k] for k in ("alice", "dave")}  # right, untouched
    tree = demo_class.build_class(base / "class", workspace / "release", students, ["01_term"])
    right, empty = (tree / s / "01_term" / "01_term.ipynb" for s in ("alice", "dave"))
    due = datetime(2026, 12, 1, 23, 59, tzinfo=timezone(timedelta(hours=9)))
    batches = {
        "batch1": [("doejane_111_1_01_term.ipynb", right, -86400), ("roe_333_5_01_term.ipynb", right, -3600),
                   ("roe_LATE_333_9_01_term.ipynb", empty, 7200)],
        "batch2": [("doejane_LATE_222_2_01_term.ipynb", empty, 3 * 3600)],
    }
    outs = {}  # per batch: the printed summary, then intake-report.csv
    for batch, files in batches.items():
        for name, content, offset in files:
            target = base / batch / name
            target.parent.mkdir(exist_ok=True)
            target.write_bytes(content.read_bytes())
            os.utime(target, (due.timestamp() + offset,) * 2)
        out = io.StringIO()
        run_grade(base / batch, workspace, "01_term", jobs=2, progress=False, out=out,
                  due=[f"01_term={due.isoformat()}"])
        outs[batch] = out.getvalue() + (workspace / "intake-report.csv").read_text(encoding="utf-8")
    with (workspace / "class-grades.csv").open(encoding="utf-8") as f:
        rows = {row["student"]: row for row in csv.DictReader(f)}
    return {"rows": rows, "workspace": workspace, "outs": outs}


@pytest.mark.slow
def test_graded_namesake_keeps_her_grade_and_late_work_is_marked(canvas_batches: dict) -> None:
    """Issue 28 case 5 and issue 21 item 6, graded: does the first doejane keep her full marks after the second
    (empty, late) arrives, both flagged; does roe's on-time notebook count, not her late empty one (listed in
    intake-report.csv); is the late doejane marked late in the CSV, her feedback and nbgrader's gradebook?"""
    from nbgrader.api import Gradebook

    from grader.course.nbgrader_config import COURSE_ID

    rows, workspace = canvas_batches["rows"], canvas_batches["workspace"]
    (second,) = (s for s in rows if s.startswith("doejane-"))
    first = rows["doejane"]
    # the autograded points of the solution (the written answer awaits a person): the same for both right notebooks
    assert float(first["total"]) > 0 and first["total"] == rows["roe"]["total"] and first["late_by"] == ""
    assert "kept apart" in first["status"] and "kept apart" in rows[second]["status"]
    assert rows[second]["total"] == "0" and rows[second]["late_by"] == "3 h"
    assert rows["roe"]["late_by"] == "" and "roe_LATE_333_9_01_term.ipynb" in rows["roe"]["status"]
    report = canvas_batches["outs"]["batch1"].split("file,reason")[1]  # batch 1's intake-report.csv
    assert "roe_LATE_333_9_01_term.ipynb,\"not graded: late" in report
    feedback = (workspace / "feedback" / second / "01_term" / "01_term.html").read_text(encoding="utf-8")
    assert "<b>Late</b>" in feedback and "3 h after the due date" in feedback
    # The namesake note names both people and their Canvas ids: the instructor's CSV has it, each student's page only
    # says that another submission shares the id (a classmate's name and LMS id are not the student's to read).
    assert "(canvas:222)" in first["status"] and "(canvas:111)" in rows[second]["status"]
    own = (workspace / "feedback" / "doejane" / "01_term" / "01_term.html").read_text(encoding="utf-8")
    assert "same student id as yours" in feedback  # the first doejane's page was written before the second came
    for page, other in ((own, "222"), (feedback, "111")):
        assert other not in page and "came from" not in page
    with Gradebook(f"sqlite:///{workspace / 'gradebook.db'}", COURSE_ID) as gb:
        assert gb.find_submission("01_term", second).total_seconds_late == 3 * 3600
        assert gb.find_submission("01_term", "doejane").total_seconds_late == 0
        assert gb.find_assignment("01_term").duedate is not None


def test_safe_collect_stamps_the_last_change_a_student_cannot_move_back(tmp_path: Path) -> None:
    """Issue 21 item 6 for a tree: does the hub's collect give each collected file the submission's latest ctime
    (which a student cannot set earlier), not the mtime the student set with `touch -d`?"""
    import importlib.util

    from conftest import ROOT

    spec = importlib.util.spec_from_file_location("safe_collect", ROOT / "deploy/jupyterhub/bpcourse_safe_collect.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    inbound = _notebook(tmp_path / "inbound" / "amy+01_term+x" / "01_term.ipynb", ["a_test"])
    os.utime(inbound, (0, 0))  # the student's own claim: 1970
    collected = _notebook(tmp_path / "submitted" / "amy" / "01_term" / "01_term.ipynb", ["a_test"])
    module.stamp_times(str(collected.parent), module.last_change(str(inbound.parent)))
    assert collected.stat().st_mtime == max(inbound.stat().st_ctime, inbound.parent.stat().st_ctime) > 0
