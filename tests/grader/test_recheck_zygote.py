"""Issue 27: re-check children forked by the re-check zygote (grader/sandboxed/recheck_zygote.py, started by
grader/grading/kernel_forks.py `forking_kernels`) are the same children as those started as a new `python -I -S`:
the same descriptors (none of the zygote's: its control socket, another child's reply socket), the job's own
environment (not the zygote's), the same isolation report, and random streams of their own. The adversarial class
(tests/grader/test_grade_adversarial.py) is graded through `run_grade`, which forks its re-check children from the
zygote, so every re-check attack there runs against forked children too.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from grader.grading import kernel_forks
from grader.grading.workspace import state_dir
from grader.recheck.limits import Limits
from grader.recheck.sandbox import run_job
from grader.sandboxed import zygote_client
from grader.sandboxed.values import decode, encode

pytestmark = pytest.mark.slow

# Trusted setup (runs before the guard): what the child holds when it starts, seen from inside.
SETUP = """
import os, random
import numpy as np
FDS = sorted(os.listdir('/proc/self/fd'))
ENV = dict(os.environ)
CWD = os.getcwd()
DRAWS = [random.random(), float(np.random.rand())]
"""
CELL = "def report():\n    return json_text\n"
CALL = {"key": "report", "function": "report", "case": 0, "args": encode(()), "kind": "call"}


def _child_report(frameworks: bool = False) -> tuple[dict, str]:
    """What a re-check child saw at its start, and its isolation event."""
    setup = SETUP + "import json\njson_text = json.dumps({'fds': FDS, 'env': ENV, 'cwd': CWD, 'draws': DRAWS})\n"
    limits = Limits().with_frameworks() if frameworks else Limits()
    lines, crash = run_job([setup], [("cell", CELL)], [CALL], limits, frameworks=frameworks)
    assert crash is None, lines
    events = [json.loads(line) for line in lines]
    answer = next(e for e in events if e.get("event") == "call")
    isolation = next(e for e in events if e.get("event") == "isolation")
    return json.loads(decode(answer["result"])), f"{isolation['status']}; {isolation['processes']}"


@pytest.fixture(scope="module")
def state(tmp_path_factory) -> Path:
    folder = state_dir(tmp_path_factory.mktemp("recheck-zygote") / "ws")
    (folder / "mplconfig").mkdir(parents=True)
    return folder


def test_a_forked_recheck_child_is_the_child_a_new_python_is(state) -> None:
    """Forked by the zygote, does the child hold exactly the descriptors, environment, working folder and isolation
    of a child started as a new Python? Fails if the forked child kept one of the zygote's descriptors, or the
    zygote's environment (its HOME, its Keras variables)."""
    started, started_isolation = _child_report()
    with kernel_forks.forking_kernels(state / "mplconfig"):
        zygotes = zygote_client.current()
        assert zygotes is not None and zygotes.rechecks is not None
        forked, forked_isolation = _child_report()
    assert len(forked["fds"]) == len(started["fds"]), (forked["fds"], started["fds"])
    assert forked["env"].keys() == started["env"].keys(), (forked["env"], started["env"])
    assert forked["env"]["HOME"] == forked["cwd"] and started["env"]["HOME"] == started["cwd"]
    assert forked_isolation == started_isolation
    assert "Landlock" in forked_isolation


def test_forked_recheck_children_draw_their_own_random_numbers(state) -> None:
    """Two children of the zygote that has imported PyTorch and Keras (and with them numpy.random and random) do
    not share their unseeded random streams. Fails without the reseed in each child."""
    with kernel_forks.forking_kernels(state / "mplconfig", frameworks=True):
        zygotes = zygote_client.current()
        assert zygotes is not None and zygotes.rechecks_frameworks is not None  # `make test` installs both
        first, _ = _child_report(frameworks=True)
        second, _ = _child_report(frameworks=True)
    assert first["draws"][0] != second["draws"][0] and first["draws"][1] != second["draws"][1]
