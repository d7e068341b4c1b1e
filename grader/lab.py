"""Opening JupyterLab on a folder of the student's (for `bpcourse start` and `bpcourse explore`)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from grader.nbgrader_config import ensure_alembic_on_path


def open_lab(root: Path, *, open_path: str | None = None, no_browser: bool = False) -> int:
    """Run JupyterLab on `root` until the user stops it; return its exit status.

    Args:
        root: the folder JupyterLab shows (its file browser's top).
        open_path: a notebook under `root` to open first, e.g. "explore.ipynb".
        no_browser: start the server without opening a browser (print its URL only).
    """
    ensure_alembic_on_path()  # kernels and nbgrader's lab extension run from this environment
    command = [sys.executable, "-m", "jupyterlab", f"--ServerApp.root_dir={root}"]
    if open_path:
        command.append(f"--LabApp.default_url=/lab/tree/{open_path}")
    if no_browser:
        command.append("--no-browser")
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        command.append("--allow-root")  # containers and CI machines often run as root; Jupyter refuses otherwise
    try:
        return subprocess.call(command, cwd=root)
    except KeyboardInterrupt:
        return 0
