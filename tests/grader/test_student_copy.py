"""Does `bpcourse start` copy the course without ever overwriting a student's work?"""

from __future__ import annotations

from pathlib import Path

import pytest

from grader.cli import main
from grader.errors import CourseError
from grader.student.start import copy_course, fresh_copy


def _release(root: Path, text: str) -> Path:
    (root / "01_term").mkdir(parents=True, exist_ok=True)
    (root / "01_term" / "01_term.ipynb").write_text(text)
    return root


def test_first_run_adds_every_notebook(tmp_path: Path) -> None:
    """Does a first run copy every release notebook and report it as added?"""
    release = _release(tmp_path / "release", "v1")
    report = copy_course(release, tmp_path / "me")
    assert report.added == ["01_term/01_term.ipynb"]
    assert (tmp_path / "me" / "01_term" / "01_term.ipynb").read_text() == "v1"


def test_student_edit_survives_a_second_run(tmp_path: Path) -> None:
    """Is a student's edit kept when start runs again with the same course?"""
    release = _release(tmp_path / "release", "v1")
    mine = tmp_path / "me" / "01_term" / "01_term.ipynb"
    copy_course(release, tmp_path / "me")
    mine.write_text("my work")
    report = copy_course(release, tmp_path / "me")
    assert mine.read_text() == "my work"
    assert report.kept_student_edits == ["01_term/01_term.ipynb"]


def test_course_update_arrives_beside_the_students_copy(tmp_path: Path) -> None:
    """Does a changed course notebook arrive under a clear new name, leaving the student's copy alone?"""
    release = _release(tmp_path / "release", "v1")
    copy_course(release, tmp_path / "me")
    (tmp_path / "me" / "01_term" / "01_term.ipynb").write_text("my work")
    _release(release, "v2")
    report = copy_course(release, tmp_path / "me")
    assert (tmp_path / "me" / "01_term" / "01_term.ipynb").read_text() == "my work"
    ((mine, new),) = report.updates_beside
    assert mine == "01_term/01_term.ipynb"
    assert new.startswith("01_term/01_term.course-update-") and new.endswith(".ipynb")
    assert (tmp_path / "me" / new).read_text() == "v2"
    assert "updated" in "\n".join(report.lines())
    # A third run with the same course adds nothing more.
    again = copy_course(release, tmp_path / "me")
    assert again.updates_beside == [] and again.added == []


def test_new_notebook_in_an_update_is_added(tmp_path: Path) -> None:
    """Does a notebook new to the course get added on the next run?"""
    release = _release(tmp_path / "release", "v1")
    copy_course(release, tmp_path / "me")
    (release / "02_definition").mkdir()
    (release / "02_definition" / "feedforward.ipynb").write_text("new")
    report = copy_course(release, tmp_path / "me")
    assert report.added == ["02_definition/feedforward.ipynb"]


def test_destination_that_is_a_file_is_refused(tmp_path: Path) -> None:
    """Is a file given as the destination refused with a message?"""
    release = _release(tmp_path / "release", "v1")
    (tmp_path / "afile").write_text("x")
    with pytest.raises(CourseError, match="is a file"):
        copy_course(release, tmp_path / "afile")


def test_start_command_keeps_an_edit_of_the_real_course(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    """Does `bpcourse start --no-lab` on the real course keep a student's edit when run again?"""
    dest = tmp_path / "course-copy"
    assert main(["start", str(dest), "--no-lab"]) == 0
    notebook = dest / "01_term" / "01_term.ipynb"
    notebook.write_text(notebook.read_text() + " ")
    edited = notebook.read_bytes()
    assert main(["start", str(dest), "--no-lab"]) == 0
    assert notebook.read_bytes() == edited
    assert "kept" in capsys.readouterr().out


def test_fresh_copy_replaces_a_notebook_and_keeps_the_old_one_beside_it(tmp_path: Path) -> None:
    """Does `fresh_copy` put the course's notebook in place and keep the student's (emptied) file beside it?"""
    release = _release(tmp_path / "release", "v1")
    copy_course(release, tmp_path / "me")
    mine = tmp_path / "me" / "01_term" / "01_term.ipynb"
    mine.write_text("")  # emptied by accident
    done = fresh_copy(release, tmp_path / "me", "01_term.ipynb")
    assert done.notebook == tmp_path / "me" / "01_term" / "01_term.ipynb"
    assert mine.read_text() == "v1"
    assert done.kept_as is not None and done.kept_as.parent == mine.parent
    assert done.kept_as.name.startswith("01_term.before-fresh-") and done.kept_as.suffix == ".ipynb"
    assert done.kept_as.read_text() == ""
    # A second fresh copy keeps the first one's file too: nothing is ever lost.
    mine.write_text("second try")
    again = fresh_copy(release, tmp_path / "me", str(mine))
    assert again.kept_as != done.kept_as and again.kept_as.read_text() == "second try"
    assert done.kept_as.read_text() == ""
    # Later runs of start see the fresh copy as delivered, not as the student's edit.
    assert copy_course(release, tmp_path / "me").unchanged == ["01_term/01_term.ipynb"]


def test_fresh_copy_of_an_unknown_notebook_names_the_course_notebooks(tmp_path: Path) -> None:
    """Is a name that no course notebook has refused with the names to choose from?"""
    release = _release(tmp_path / "release", "v1")
    with pytest.raises(CourseError, match="not a course notebook: give one of 01_term.ipynb"):
        fresh_copy(release, tmp_path / "me", "02z_nothing.ipynb")


def test_start_fresh_on_the_real_course(tmp_path: Path, capsys: pytest.CaptureFixture,
                                        monkeypatch: pytest.MonkeyPatch) -> None:
    """Does `bpcourse start --fresh PATH --no-lab` restore an emptied notebook, in the folder that holds it?"""
    dest = tmp_path / "my-backprop-course"
    assert main(["start", str(dest), "--no-lab"]) == 0
    notebook = dest / "01_term" / "01_term.ipynb"
    fresh = notebook.read_bytes()
    notebook.write_text("")
    (tmp_path / "elsewhere").mkdir()
    monkeypatch.chdir(tmp_path / "elsewhere")
    assert main(["start", "--fresh", str(notebook), "--no-lab"]) == 0  # no DIR: the notebook's course folder
    out = capsys.readouterr().out
    assert notebook.read_bytes() == fresh
    kept = [p for p in notebook.parent.iterdir() if ".before-fresh-" in p.name]
    assert len(kept) == 1 and kept[0].read_text() == ""
    assert "fresh copy" in out and kept[0].name in out
    assert not (tmp_path / "elsewhere" / "my-backprop-course").exists()  # no second course folder
def test_renamed_notebook_keeps_the_old_copy_and_adds_the_new(tmp_path: Path) -> None:
    """When the course renames a notebook (04c_frameworks -> 04f_frameworks), does a student keep the old file,
    work included, and receive the new one beside it?"""
    release = tmp_path / "release"
    (release / "04_usage").mkdir(parents=True)
    (release / "04_usage" / "04c_frameworks.ipynb").write_text("v1")
    copy_course(release, tmp_path / "me")
    old = tmp_path / "me" / "04_usage" / "04c_frameworks.ipynb"
    old.write_text("my work")
    (release / "04_usage" / "04c_frameworks.ipynb").rename(release / "04_usage" / "04f_frameworks.ipynb")
    (release / "04_usage" / "04e_engine.ipynb").write_text("engine")
    report = copy_course(release, tmp_path / "me")
    assert old.read_text() == "my work"
    assert sorted(report.added) == ["04_usage/04e_engine.ipynb", "04_usage/04f_frameworks.ipynb"]
    assert (tmp_path / "me" / "04_usage" / "04f_frameworks.ipynb").read_text() == "v1"
