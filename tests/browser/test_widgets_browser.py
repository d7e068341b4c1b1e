"""Do the explorers work in a real browser: JupyterLab 4, Notebook 7 and Voila in headless Debian Chromium?

One JupyterLab server for the module (127.0.0.1, a free port, a random token, a temporary root folder; stopped
at the end). Each test opens a notebook, runs its widget cell with Shift+Enter, moves a control as a person
would (a slider handle by keyboard, a button by click), and checks the figure the browser shows changed: the
image's blob URL and its pixels. Screenshots go to test-artifacts/ at the top of the checkout.

Skips, with the reason, where /usr/bin/chromium or the playwright package is missing (CI installs both and
fails when these tests skipped).
"""

from __future__ import annotations

import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import nbformat
import pytest

from grader.student.explore import write_explore_notebook

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "test-artifacts"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]

if not Path(CHROMIUM).exists():
    pytest.skip(f"{CHROMIUM} is missing (apt-get install chromium)", allow_module_level=True)
pytest.importorskip("playwright.sync_api", reason="the playwright package is missing (pip install playwright)")

pytestmark = pytest.mark.slow
OUT = ".jp-NotebookPanel:visible .jp-OutputArea-output"  # the outputs of the notebook on show

NOTEBOOKS = {
    "gradient_descent.ipynb": [
        "from bp_helpers.widgets import gradient_descent_explorer\n\ngradient_descent_explorer()",
    ],
    "signal_flow.ipynb": [
        "from bp_helpers.widgets import signal_flow_explorer\n\nsignal_flow_explorer()",
    ],
    # explorer 5 on a student's own Value graph (here the solution's engine): a step runs one node's _backward
    "value_graph.ipynb": [
        "from bp_helpers.widgets import value_graph_explorer\n"
        "from grader.student.explore import functions_for\n\n"
        "engine = functions_for('04_usage', ['Value', 'topological_order'])  # the solution's engine\n"
        "x, w = engine['Value'](0.5), engine['Value'](-1.5)\n"
        "out = (x * w + 0.8).tanh() * x  # x is used twice\n"
        "value_graph_explorer(out, engine['topological_order'])",
    ],
    # the dashboard trains in a background thread: does the browser see the redraws it sends from there?
    "training.ipynb": [
        "from bp_helpers.widgets import training_dashboard\n"
        "from bp_helpers.widgets.training import NEEDED\n"
        "from grader.student.explore import functions_for\n\n"
        "dash = training_dashboard(functions_for('04_usage', NEEDED))  # the solution's functions\n"
        "dash.controls['epochs'].value = 3000\n"
        "dash",
    ],
}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for_lab(server: subprocess.Popen, port: int, token: str, log) -> None:
    """Wait until the JupyterLab `server` started on 127.0.0.1:`port` answers its status API."""
    status = f"http://127.0.0.1:{port}/api/status?token={token}"
    _wait_for_server(server, lambda: urllib.request.urlopen(status, timeout=2).close(), log, "JupyterLab")


def _wait_for_server(server: subprocess.Popen, probe, log, name: str, timeout: float = 90.0) -> None:
    """Poll `probe()` until it stops raising OSError; fail with the server's log if it exits or times out."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            probe()
            return
        except OSError:
            if server.poll() is not None or time.monotonic() > deadline:
                log.flush()
                pytest.fail(f"{name} did not start:\n{Path(log.name).read_text()[-3000:]}")
            time.sleep(0.3)


def _stop(server: subprocess.Popen) -> None:
    """Stop a server started in its own session, with the kernels it started."""
    if server.poll() is None:
        os.killpg(server.pid, signal.SIGTERM)
        try:
            server.wait(20)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
            server.wait(5)


@pytest.fixture(scope="module")
def lab(tmp_path_factory):
    """A JupyterLab server on 127.0.0.1 serving a temporary folder with the test notebooks; yields its base URL."""
    root = tmp_path_factory.mktemp("lab")
    for name, cells in NOTEBOOKS.items():
        nb = nbformat.v4.new_notebook()
        nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
        nb.cells = [nbformat.v4.new_code_cell(source) for source in cells]
        nbformat.write(nb, root / name)
    write_explore_notebook(root)  # what `bpcourse explore` writes
    settings = root / ".lab-settings" / "@jupyterlab" / "apputils-extension"
    settings.mkdir(parents=True)
    (settings / "notification.jupyterlab-settings").write_text('{"fetchNews": "false"}')  # no news pop-up
    port, token = _free_port(), secrets.token_hex(16)
    env = dict(
        os.environ,
        JUPYTER_CONFIG_DIR=str(root / ".jupyter-config"),
        JUPYTER_RUNTIME_DIR=str(root / ".rt"),
        JUPYTERLAB_SETTINGS_DIR=str(root / ".lab-settings"),
        PATH=f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}",
    )
    command = [
        sys.executable,
        "-m",
        "jupyterlab",
        "--no-browser",
        "--ServerApp.ip=127.0.0.1",
        f"--ServerApp.port={port}",
        "--ServerApp.port_retries=0",
        f"--IdentityProvider.token={token}",
        f"--ServerApp.root_dir={root}",
        "--LabApp.news_url=",
        "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate",
    ]
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        command.append("--allow-root")
    log = open(root / "server.log", "w")  # noqa: SIM115 (closed below)
    server = subprocess.Popen(command, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        wait_for_lab(server, port, token, log)
        yield f"http://127.0.0.1:{port}", token
    finally:
        _stop(server)
        log.close()


def open_and_run(browser, lab, notebook: str, cell: int = 0):
    """Open `notebook` in JupyterLab, wait for its kernel, run one code cell; returns (page, image locator)."""
    base, token = lab
    page = browser.new_page(viewport={"width": 1280, "height": 1000})
    workspace = Path(notebook).stem.replace("_", "-")  # a workspace of its own: no other notebook is restored
    page.goto(f"{base}/lab/workspaces/{workspace}/tree/{notebook}?reset&token={token}")
    page.wait_for_selector(".jp-NotebookPanel:visible .jp-CodeCell .jp-InputPrompt", timeout=90_000)
    page.wait_for_selector("text=Python 3 (ipykernel) | Idle", timeout=90_000)
    # Select the code cell: a click on a collapsed input would expand it, and the arrow keys skip such cells, so
    # select the markdown cell above it and let Shift+Enter (render and advance) land on it.
    cells = page.locator(".jp-NotebookPanel:visible .jp-Cell")
    kinds = cells.evaluate_all("els => els.map(e => e.classList.contains('jp-CodeCell'))")
    position = [i for i, is_code in enumerate(kinds) if is_code][cell]
    code = cells.nth(position)
    if position == 0:
        code.locator(".jp-InputPrompt").click()
    else:
        cells.nth(position - 1).locator(".jp-InputPrompt").click()
        page.keyboard.press("Escape")
        page.keyboard.press("Shift+Enter")
        page.wait_for_timeout(300)
    page.keyboard.press("Shift+Enter")
    image = code.locator(".jp-OutputArea-output img.widget-image").first
    try:
        image.wait_for(state="visible", timeout=90_000)
    except Exception:
        save_screenshot(page, f"failed-{Path(notebook).stem}.png")  # what the browser showed, for the log
        raise
    return page, image


def wait_for_new_figure(page, image, old_src: str, timeout: float = 30.0) -> str:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        src = image.get_attribute("src")
        if src and src != old_src:
            return src
        page.wait_for_timeout(100)
    raise AssertionError("the figure in the browser did not change")


def save_screenshot(page, name: str) -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / name
    page.screenshot(path=str(path), full_page=True)
    return path


def move_slider(page, index: int, presses: int) -> None:
    """Press ArrowRight on the index-th slider's handle, as a keyboard user would."""
    handle = page.locator(f"{OUT} .widget-slider .noUi-handle").nth(index)
    handle.focus()
    for _ in range(presses):
        handle.press("ArrowRight")


def test_moving_the_learning_rate_slider_redraws_the_descent(browser, lab) -> None:
    """Does raising the learning rate in the browser draw a new figure, and eventually say it diverged?"""
    page, image = open_and_run(browser, lab, "gradient_descent.ipynb")
    src = image.get_attribute("src")
    pixels = image.screenshot()
    move_slider(page, 0, 3)  # the first slider is the learning rate
    wait_for_new_figure(page, image, src)
    page.wait_for_timeout(300)
    assert image.screenshot() != pixels, "the image's URL changed but its pixels did not"
    for _ in range(40):  # keep raising it until the numbers line reports divergence (rate > 1 on x²)
        move_slider(page, 0, 1)
        if "diverged</b> = True" in page.inner_html(f"{OUT}"):
            break
        page.wait_for_timeout(50)
    assert "diverged</b> = True" in page.inner_html(f"{OUT}")
    assert save_screenshot(page, "widgets-gradient-descent.png").stat().st_size > 10_000
    page.close()


def test_moving_the_input_slider_redraws_the_signal_flow(browser, lab) -> None:
    """Does moving x_0 in the browser change the figure and the numbers shown?"""
    page, image = open_and_run(browser, lab, "signal_flow.ipynb")
    src, pixels = image.get_attribute("src"), image.screenshot()
    numbers = page.inner_text(f"{OUT} .widget-html >> nth=-2")
    move_slider(page, 0, 5)
    wait_for_new_figure(page, image, src)
    page.wait_for_timeout(300)
    assert image.screenshot() != pixels
    assert page.inner_text(f"{OUT} .widget-html >> nth=-2") != numbers
    save_screenshot(page, "widgets-signal-flow.png")
    page.close()


def test_stepping_a_value_graph_backward_in_the_browser(browser, lab) -> None:
    """Does each click on "step" in the Value-graph explorer draw a new figure and name the node just processed,
    until every node has run its _backward?"""
    page, image = open_and_run(browser, lab, "value_graph.ipynb")
    assert "(seed only)" in page.inner_html(f"{OUT}")
    src = image.get_attribute("src")
    for _ in range(3):
        page.click(f"{OUT} button:has-text('step ▶')")
        src = wait_for_new_figure(page, image, src)
    numbers = page.inner_text(f"{OUT} .widget-html >> nth=-2")
    assert "step = 3" in numbers and "(seed only)" not in numbers, numbers
    save_screenshot(page, "widgets-value-graph.png")
    page.close()


def test_training_dashboard_redraws_in_the_browser_while_it_trains(browser, lab) -> None:
    """After a click on Train, do several new figures reach the browser before Stop ends the run?"""
    page, image = open_and_run(browser, lab, "training.ipynb")
    seen = {image.get_attribute("src")}
    page.click(f"{OUT} button:has-text('Train')")
    deadline = time.monotonic() + 20
    while len(seen) < 4 and time.monotonic() < deadline:
        seen.add(image.get_attribute("src"))
        page.wait_for_timeout(50)
    assert len(seen) >= 4, f"only {len(seen) - 1} new figure(s) reached the browser while training"
    page.click(f"{OUT} button:has-text('Stop')")
    page.wait_for_selector(f"{OUT} :text-matches('stopped at epoch|done')", timeout=30_000)
    save_screenshot(page, "widgets-training-dashboard.png")
    page.close()


def test_the_widgets_only_view_runs_an_explorer(browser, lab) -> None:
    """In explore.ipynb (code hidden), does the signal-flow cell bring up an explorer whose slider redraws it?"""
    page, image = open_and_run(browser, lab, "explore.ipynb", cell=0)
    assert page.locator(".jp-NotebookPanel:visible .jp-CodeCell .cm-content:visible").count() == 0, "code is shown"
    src = image.get_attribute("src")
    move_slider(page, 0, 4)
    wait_for_new_figure(page, image, src)
    save_screenshot(page, "widgets-explore-view.png")
    page.close()


def test_artifacts_folder_is_ignored_by_git() -> None:
    """Is test-artifacts/ ignored, so screenshots never land in a commit?"""
    if shutil.which("git") is None or not (ROOT / ".git").exists():
        pytest.skip("not a git checkout")
    out = subprocess.run(["git", "check-ignore", "-q", "test-artifacts/x.png"], cwd=ROOT)
    assert out.returncode == 0


def test_an_explorer_works_in_notebook_7(browser, lab) -> None:
    """In Jupyter Notebook 7 (same server, /notebooks/), does the signal-flow slider redraw the figure?"""
    base, token = lab
    page = browser.new_page(viewport={"width": 1280, "height": 1000})
    page.goto(f"{base}/notebooks/signal_flow.ipynb?token={token}")
    page.wait_for_selector(".jp-NotebookPanel .jp-CodeCell .jp-InputPrompt", timeout=90_000)
    page.wait_for_selector(".jp-NotebookPanel-toolbar :text('Python 3 (ipykernel)')", timeout=90_000)
    page.locator(".jp-NotebookPanel .jp-CodeCell .jp-InputPrompt").first.click()
    page.keyboard.press("Shift+Enter")
    image = page.locator(f"{OUT} img.widget-image").first
    try:
        image.wait_for(state="visible", timeout=90_000)
    except Exception:
        save_screenshot(page, "failed-notebook7.png")
        raise
    src, pixels = image.get_attribute("src"), image.screenshot()
    # Notebook 7 keeps arrow keys for its own commands: drag the handle with the mouse, as a person would.
    box = page.locator(f"{OUT} .widget-slider .noUi-handle").first.bounding_box()
    page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    page.mouse.down()
    page.mouse.move(box["x"] + box["width"] / 2 + 30, box["y"] + box["height"] / 2, steps=5)
    page.mouse.up()
    try:
        wait_for_new_figure(page, image, src)
    except AssertionError:
        save_screenshot(page, "failed-notebook7-slider.png")
        raise
    page.wait_for_timeout(300)
    assert image.screenshot() != pixels
    save_screenshot(page, "widgets-notebook7-signal-flow.png")
    page.close()


@pytest.fixture(scope="module")
def voila(tmp_path_factory):
    """Voila serving the signal-flow notebook on 127.0.0.1 (a free port, stopped at the end); yields its URL."""
    pytest.importorskip("voila", reason="voila is missing (pip install -e '.[test]')")
    root = tmp_path_factory.mktemp("voila")
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nb.cells = [nbformat.v4.new_code_cell(source) for source in NOTEBOOKS["signal_flow.ipynb"]]
    nbformat.write(nb, root / "signal_flow.ipynb")
    port = _free_port()
    command = [
        sys.executable,
        "-m",
        "voila",
        str(root / "signal_flow.ipynb"),
        "--no-browser",
        f"--port={port}",
        "--Voila.ip=127.0.0.1",
        f"--Voila.root_dir={root}",
    ]
    log = open(root / "voila.log", "w")  # noqa: SIM115 (closed below)
    env = dict(os.environ, PATH=f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}")
    server = subprocess.Popen(command, cwd=root, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        _wait_for_server(server, lambda: socket.create_connection(("127.0.0.1", port), timeout=2).close(), log, "Voila")
        yield f"http://127.0.0.1:{port}/"
    finally:
        _stop(server)
        log.close()


def test_an_explorer_works_in_voila(browser, voila) -> None:
    """Served by Voila (no code shown), does the signal-flow slider redraw the figure?"""
    page = browser.new_page(viewport={"width": 1280, "height": 1000})
    page.goto(voila, timeout=120_000)
    image = page.locator("img.widget-image").first
    try:
        image.wait_for(state="visible", timeout=120_000)
    except Exception:
        save_screenshot(page, "failed-voila.png")
        raise
    src, pixels = image.get_attribute("src"), image.screenshot()
    handle = page.locator(".widget-slider .noUi-handle").first
    handle.focus()
    for _ in range(5):
        handle.press("ArrowRight")
    wait_for_new_figure(page, image, src)
    page.wait_for_timeout(300)
    assert image.screenshot() != pixels
    save_screenshot(page, "widgets-voila-signal-flow.png")
    page.close()
