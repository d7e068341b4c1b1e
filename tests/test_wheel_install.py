"""Issue 24 item 8: does the course work installed from a wheel, not only as an editable checkout?

A wheel is built from the checkout and installed (without its dependencies, which the test's environment already
has: a `.pth` line makes them visible, and no `.pth` file inside it runs, so the checkout's editable install stays
out) into a fresh virtual environment. From a folder outside the checkout, with no BPCOURSE_ROOT:
- the helpers the notebooks import and the grader come from that environment, package data included;
- `bpcourse start` without the course says to give --course, and with `--course CHECKOUT` copies the notebooks;
- `bpcourse --course CHECKOUT check` grades a notebook with the hidden tests and the sandboxed re-check, whose child
  runs the installed grader/sandboxed/ files.
"""

from __future__ import annotations

import os
import subprocess
import sys
import sysconfig
import venv
from pathlib import Path

import pytest
from conftest import ROOT


def _run(args: list[str], cwd: Path, **kw) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k not in ("BPCOURSE_ROOT", "PYTHONPATH")}
    return subprocess.run(args, cwd=cwd, env=env, capture_output=True, text=True, timeout=600, **kw)


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The bin/ folder of a fresh environment with the course installed from its wheel."""
    tmp = tmp_path_factory.mktemp("wheel")
    source = tmp / "source"  # a clean copy: building never writes into the checkout
    files = subprocess.run(["git", "ls-files", "-co", "--exclude-standard"], cwd=ROOT, capture_output=True,
                           text=True, check=True).stdout.split("\n")
    for name in filter(None, files):
        if (ROOT / name).is_file():
            (source / name).parent.mkdir(parents=True, exist_ok=True)
            (source / name).write_bytes((ROOT / name).read_bytes())
    built = _run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q", "-w",
                  str(tmp / "dist"), str(source)], tmp)
    assert built.returncode == 0, built.stderr[-3000:]
    env_dir = tmp / "env"
    venv.EnvBuilder(with_pip=True).create(env_dir)
    site = Path(next(env_dir.glob("lib/python3*/site-packages")))
    (site / "dependencies.pth").write_text(sysconfig.get_paths()["purelib"] + "\n", encoding="utf-8")
    wheel = next((tmp / "dist").glob("backprop_course-*.whl"))
    pip = _run([str(env_dir / "bin" / "python"), "-m", "pip", "install", "--no-deps", "--no-index", "-q",
                str(wheel)], tmp)
    assert pip.returncode == 0, pip.stderr[-3000:]
    return env_dir / "bin"


@pytest.mark.slow  # a wheel, a fresh environment and one `bpcourse check`: 10 to 40 s
def test_the_installed_wheel_works_outside_the_checkout(installed: Path, tmp_path: Path) -> None:
    probe = ("import grader, bp_helpers\n"
             "from bp_helpers.glossary import terms\n"
             "print(grader.__file__); print(bp_helpers.__file__); print(len(terms()))")
    where = _run([str(installed / "python"), "-c", probe], tmp_path)
    assert where.returncode == 0, where.stderr[-3000:]
    grader_file, helpers_file, terms = where.stdout.split()
    env = installed.parent
    assert Path(grader_file).is_relative_to(env) and Path(helpers_file).is_relative_to(env), where.stdout
    assert int(terms) > 20  # the glossary is package data of the wheel

    without = _run([str(installed / "bpcourse"), "start", "--no-lab", str(tmp_path / "mine")], tmp_path)
    assert without.returncode == 2 and "--course" in without.stderr, without.stderr

    started = _run([str(installed / "bpcourse"), "--course", str(ROOT), "start", "--no-lab",
                    str(tmp_path / "mine")], tmp_path)
    assert started.returncode == 0, started.stderr[-3000:]
    copied = sorted((tmp_path / "mine").glob("*/*.ipynb"))
    assert len(copied) == len(list((ROOT / "course").rglob("*.ipynb"))) > 10

    notebook = tmp_path / "mine" / "01_term" / "01_term.ipynb"
    checked = _run([str(installed / "bpcourse"), "--course", str(ROOT), "check", "--quiet", str(notebook)],
                   tmp_path)
    # the released notebook, unsolved: every autograded exercise fails, each with the grader's own cause
    assert checked.returncode == 1, checked.stdout[-3000:] + checked.stderr[-3000:]
    assert "not implemented yet" in checked.stdout or "NotImplementedError" in checked.stdout, checked.stdout
