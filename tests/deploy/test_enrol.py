"""Issue 29 item 7: deploy/enrol.py, a class enrolled from a roster. Fast: a dry run plans the commands (no root, no
account made); the real run is the hub test's way of making its users in CI."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest
from conftest import ROOT


def _enrol():
    spec = importlib.util.spec_from_file_location("enrol", ROOT / "deploy" / "enrol.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_a_dry_run_plans_new_accounts_in_the_class_group(tmp_path: Path, capsys) -> None:
    roster = tmp_path / "roster.csv"
    roster.write_text("student,name\nbpzz-amy,Amy\nroot,Root\n", encoding="utf-8")
    assert _enrol().main([str(roster), "--instructors", "bpzz-prof", "--passwords", str(tmp_path / "p.csv"),
                          "--dry-run"]) == 0
    out = capsys.readouterr().out
    assert "useradd --create-home --shell /bin/bash --groups bpcourse-students bpzz-amy" in out
    assert "chmod 0700 ~bpzz-amy" in out
    assert "usermod --append --groups bpcourse-students root" in out  # an existing account joins the group
    assert "--groups bpcourse-instructors bpzz-prof" in out
    assert "2 new account(s)" in out and not (tmp_path / "p.csv").exists()


def test_a_name_linux_cannot_take_is_refused_with_its_line(tmp_path: Path) -> None:
    roster = tmp_path / "roster.csv"
    roster.write_text("student\nok-name\nJane Doe\n", encoding="utf-8")
    with pytest.raises(SystemExit, match="line 3: 'Jane Doe' is not a Linux user name"):
        _enrol().main([str(roster), "--dry-run"])
