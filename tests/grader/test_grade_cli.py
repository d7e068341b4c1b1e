"""Does `bpcourse grade` parse its options, document the file-name pattern and refuse bad input in one line?"""

from __future__ import annotations

import argparse
from pathlib import Path

import pytest
from conftest import ROOT

from grader.grading.command import add_grade_parser, main


def test_parser_defines_the_documented_options() -> None:
    """Are SUBMISSIONS, --workspace, --assignment, --jobs and --demo all accepted?"""
    parser = argparse.ArgumentParser()
    add_grade_parser(parser.add_subparsers(dest="command"))
    args = parser.parse_args(["grade", "subs", "--workspace", "ws", "--assignment", "01_term", "--jobs", "3"])
    assert (args.submissions, args.workspace, args.assignment, args.jobs, args.demo) == (
        "subs", "ws", "01_term", 3, False
    )
    assert parser.parse_args(["grade", "--demo"]).demo


def test_help_names_the_student_id_pattern(capsys: pytest.CaptureFixture[str]) -> None:
    """Does --help say how a student id is read from an exported file name?"""
    with pytest.raises(SystemExit) as stop:
        main(["--help"])
    assert stop.value.code == 0
    assert "doejane" in capsys.readouterr().out


@pytest.mark.parametrize(
    "argv, phrase",
    [
        (["subs"], "--workspace"),
        (["nope", "--workspace", "ws"], "no such"),
        (["subs", "--workspace", str(ROOT / "grading")], "inside the course checkout"),
        (["subs", "--workspace", "w", "--jobs", "0"], "--jobs"),
    ],
)
def test_bad_input_is_one_line(argv, phrase, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Is a missing workspace, a missing folder, a workspace in the checkout or --jobs 0 refused in one line?"""
    names = {"subs": str(tmp_path), "ws": str(tmp_path / "ws"), "nope": str(tmp_path / "nope")}
    argv = [names.get(a, a) for a in argv]
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert phrase in err and "Traceback" not in err
