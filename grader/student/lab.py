"""Opening JupyterLab on a folder of the student's (for `bpcourse start` and `bpcourse explore`).

A student's JupyterLab is a student's: nbgrader is installed in the course's environment (instructors grade
with it), but its JupyterLab extension (the Nbgrader menu, Create Assignment, Formgrader, and a Validate button
that runs only the visible tests, not the same check as `bpcourse check`) and its server extensions (which log
"No nbgrader_config.py file found" on every start) are switched off for this server only; so is JupyterLab's
news and update pop-up. Nothing is written to the student's own Jupyter settings: the page config lives in
`.bpcourse/jupyter-config/` of the student's folder, added to the config path of this one server.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

# JupyterLab plugins a student never needs: nbgrader's whole lab extension, and the news/update notices.
DISABLED_LAB_EXTENSIONS = ("@jupyter/nbgrader", "@jupyterlab/apputils-extension:announcements")
# nbgrader's server extensions (enabled for the whole environment by nbgrader's own config).
DISABLED_SERVER_EXTENSIONS = (
    "nbgrader.server_extensions.formgrader",
    "nbgrader.server_extensions.validate_assignment",
    "nbgrader.server_extensions.assignment_list",
    "nbgrader.server_extensions.course_list",
)
CONFIG_DIRNAME = ".bpcourse/jupyter-config"


def student_config_dir(root: Path) -> Path:
    """Write the student server's page config under `root` (each start, so it follows the course) and return it."""
    folder = root / CONFIG_DIRNAME
    (folder / "labconfig").mkdir(parents=True, exist_ok=True)
    page_config = {"disabledExtensions": {name: True for name in DISABLED_LAB_EXTENSIONS}}
    (folder / "labconfig" / "page_config.json").write_text(json.dumps(page_config, indent=2) + "\n")
    return folder


def lab_command(root: Path, *, open_path: str | None = None, no_browser: bool = False) -> list[str]:
    """The command that runs a student's JupyterLab on `root` (see `lab_environment` for its environment)."""
    command = [
        sys.executable, "-m", "jupyterlab", f"--ServerApp.root_dir={root}",
        *(f"--ServerApp.jpserver_extensions={name}=False" for name in DISABLED_SERVER_EXTENSIONS),
        "--LabApp.news_url=",
        "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate",
    ]
    if open_path:
        command.append(f"--LabApp.default_url=/lab/tree/{open_path}")
    if no_browser:
        command.append("--no-browser")
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        command.append("--allow-root")  # containers and CI machines often run as root; Jupyter refuses otherwise
    return command


def lab_environment(root: Path, base: dict[str, str] | None = None) -> dict[str, str]:
    """`base` (default: this process's environment) with the student page config first on Jupyter's config path,
    and this interpreter's bin/ first on PATH (kernels run from the course's environment)."""
    env = dict(os.environ if base is None else base)
    extra = env.get("JUPYTER_CONFIG_PATH", "")
    env["JUPYTER_CONFIG_PATH"] = os.pathsep.join(p for p in (str(student_config_dir(root)), extra) if p)
    bindir = str(Path(sys.executable).parent)
    parts = [p for p in env.get("PATH", "").split(os.pathsep) if p and p != bindir]
    env["PATH"] = os.pathsep.join([bindir, *parts])
    return env


def open_lab(root: Path, *, open_path: str | None = None, no_browser: bool = False) -> int:
    """Run JupyterLab on `root` until the user stops it; return its exit status.

    Args:
        root: the folder JupyterLab shows (its file browser's top).
        open_path: a notebook under `root` to open first, e.g. "explore.ipynb".
        no_browser: start the server without opening a browser (print its URL only).
    """
    command = lab_command(root, open_path=open_path, no_browser=no_browser)
    try:
        return subprocess.call(command, cwd=root, env=lab_environment(root))
    except KeyboardInterrupt:
        return 0
