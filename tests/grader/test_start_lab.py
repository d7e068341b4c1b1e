"""Does `bpcourse start` open JupyterLab on the student's copy of the course?"""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow


def test_start_serves_the_course_in_jupyterlab(tmp_path: Path) -> None:
    """Does the server it starts list the copied notebooks through Jupyter's contents API?"""
    dest = tmp_path / "my-course"
    log = tmp_path / "lab.log"
    with log.open("w") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "grader.cli", "start", str(dest), "--no-browser"],
            stdout=out, stderr=subprocess.STDOUT, start_new_session=True,
            env={**os.environ, "JUPYTER_PORT": "0"},
        )
    try:
        url = None
        deadline = time.monotonic() + 90
        while url is None and time.monotonic() < deadline and proc.poll() is None:
            time.sleep(0.5)
            found = re.search(r"http://127\.0\.0\.1:(\d+)/lab\?token=([0-9a-f]+)", log.read_text())
            url = found and found.groups()
        assert url, f"JupyterLab did not start:\n{log.read_text()[-2000:]}"
        port, token = url
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/api/contents/01_term?token={token}", timeout=30) as r:
            listing = json.load(r)
        assert "01_term.ipynb" in {item["name"] for item in listing["content"]}
        # a student's server: nbgrader's instructor extensions are off, so they neither load nor log
        assert "No nbgrader_config.py file found" not in log.read_text()
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/formgrader?token={token}", timeout=30)
            raise AssertionError("the formgrader answers in the student's JupyterLab")
        except urllib.error.HTTPError as err:
            assert err.code == 404
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
