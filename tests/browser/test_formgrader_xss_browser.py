"""Does the formgrader page of a hostile submission run none of the student's script in the instructor's browser?

The attack (issue 21): a written answer holding `<img src=x onerror=...>` is stored in `autograded/`, and nbgrader's
formgrader, which the instructor must open to grade it ("awaiting manual grading"), renders it on the instructor's
own Jupyter origin, where a script may open a terminal as the instructor.

One class graded once by `run_grade`: `mallory` wrote every payload (`<script>`, `<img onerror>`, `<svg onload>`,
`<iframe srcdoc>`, `javascript:` links in HTML and markdown, an HTML and a JavaScript output, a raw HTML cell)
beside a derivation in LaTeX. `mallory-raw` is the same notebook stored as plain `nbgrader autograde` would store it
(not sanitized): the workspace's nbgrader_config.py alone must make its page inert. The real formgrader (a Jupyter
server with nbgrader's extension, started in the workspace as an instructor would, on 127.0.0.1) serves both; each
payload would set `document.title` and send a request to a local listener. Requests to other hosts (the page's
MathJax) are refused so the test needs no network.

Skips where /usr/bin/chromium or the playwright package is missing (CI installs both and fails on a skip).
"""

from __future__ import annotations

import io
import os
import re
import secrets
import shutil
import subprocess
import sys
import threading
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import nbformat
import pytest
from test_widgets_browser import _free_port, _stop, _wait_for_server, save_screenshot

from grader.course.nbgrader_config import COURSE_ID, ensure_alembic_on_path
from grader.grading.grade import run_grade
from grader.grading.records import Settings
from grader.grading.workspace import prepare_workspace

pytestmark = pytest.mark.slow

ASSIGNMENT = NOTEBOOK = "01_term"
WRITTEN_ANSWER = "term_neuron_derivation"  # the markdown cell a person grades
DERIVATION = (
    "By the chain rule (연쇄 법칙), with $s = wx + b$ and $L = \\tfrac{1}{2}(\\sigma(s) - t)^2$:\n\n"
    "$$\\frac{\\partial L}{\\partial w} = (\\sigma(s) - t)\\,\\sigma(s)(1 - \\sigma(s))\\,x$$\n\n"
)
READABLE = ["By the chain rule (연쇄 법칙), with", "\\frac{\\partial L}{\\partial w}"]


def _hit(name: str, port: int) -> str:
    """JavaScript that marks the page and calls the listener: what each payload would do if it ran."""
    return f"document.title='XSS-{name}';fetch('http://127.0.0.1:{port}/{name}',{{mode:'no-cors'}})"


def payload_cells(port: int) -> dict[str, str]:
    """name -> markdown carrying it (the written answer gets them all, after the derivation)."""
    return {
        "script": f"<script>{_hit('script', port)}</script>",
        "img-onerror": f'<img src="x" onerror="{_hit("img-onerror", port)}">',
        "svg-onload": f'<svg onload="{_hit("svg-onload", port)}"><circle r="1"></circle></svg>',
        "iframe": f"<iframe srcdoc=\"<script>parent.{_hit('iframe', port)}</script>\"></iframe>",
        "html-link": f'<a id="xss-html-link" href="javascript:{_hit("html-link", port)}">xss-html-link</a>',
        "markdown-link": f"[xss-markdown-link](javascript:{_hit('markdown-link', port).replace(' ', '%20')})",
    }


def hostile_notebook(release: Path, port: int) -> nbformat.NotebookNode:
    """The released 01_term with every payload where a student can put it."""
    nb = nbformat.read(release, as_version=4)
    payloads = payload_cells(port)
    for cell in nb.cells:
        if cell.metadata.get("nbgrader", {}).get("grade_id") == WRITTEN_ANSWER:
            cell.source = DERIVATION + "\n\n".join(payloads.values())
    raw = nbformat.v4.new_raw_cell(f'<img src="x" onerror="{_hit("raw-cell", port)}">')
    raw.metadata["raw_mimetype"] = "text/html"
    code = nbformat.v4.new_code_cell(
        "from IPython.display import HTML, Javascript, display\n"
        f"display(HTML('<img src=\"x\" onerror=\"{_hit('html-output', port)}\">'))\n"
        f'display(Javascript("{_hit("js-output", port)}"))'
    )
    nb.cells += [raw, code]
    return nb


class Listener(BaseHTTPRequestHandler):
    """Records every request's path: a payload that ran would call here."""

    seen: list[str] = []

    def do_GET(self) -> None:  # noqa: N802 (http.server's name)
        Listener.seen.append(self.path)
        self.send_response(204)
        self.end_headers()

    def log_message(self, *args) -> None:
        pass


@pytest.fixture(scope="module")
def listener():
    server = ThreadingHTTPServer(("127.0.0.1", 0), Listener)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server.server_address[1]
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture(scope="module")
def graded(tmp_path_factory, listener) -> Path:
    """The class graded by `run_grade`; mallory-raw's autograded notebook replaced by the unsanitized one."""
    base = tmp_path_factory.mktemp("xss")
    workspace = base / "workspace"
    prepare_workspace(workspace)
    nb = hostile_notebook(workspace / "release" / ASSIGNMENT / f"{NOTEBOOK}.ipynb", listener)
    for student in ("mallory", "mallory-raw"):
        path = base / "submitted" / student / ASSIGNMENT / f"{NOTEBOOK}.ipynb"
        path.parent.mkdir(parents=True)
        nbformat.write(nb, path)
    run_grade(base / "submitted", workspace, ASSIGNMENT, jobs=1, progress=False, settings=Settings(cell_timeout=30),
              out=io.StringIO())
    stored = workspace / "autograded" / "mallory-raw" / ASSIGNMENT / f"{NOTEBOOK}.ipynb"
    shutil.copyfile(base / "submitted" / "mallory-raw" / ASSIGNMENT / f"{NOTEBOOK}.ipynb", stored)
    return workspace


@pytest.fixture(scope="module")
def formgrader(graded: Path):
    """nbgrader's formgrader in a Jupyter server started in the workspace (its nbgrader_config.py); yields
    (base URL, token)."""
    port, token = _free_port(), secrets.token_hex(16)
    env = dict(os.environ, JUPYTER_CONFIG_DIR=str(graded / ".jupyter-config"), JUPYTER_RUNTIME_DIR=str(graded / ".rt"),
               PATH=f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}")
    command = [
        sys.executable, "-m", "jupyter_server", "--no-browser", "--ServerApp.ip=127.0.0.1", f"--ServerApp.port={port}",
        "--ServerApp.port_retries=0", f"--IdentityProvider.token={token}", f"--ServerApp.root_dir={graded}",
        '--ServerApp.jpserver_extensions={"nbgrader.server_extensions.formgrader": True}',
    ]
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        command.append("--allow-root")
    log = open(graded / "formgrader.log", "w")  # noqa: SIM115 (closed below)
    server = subprocess.Popen(command, cwd=graded, env=env, stdout=log, stderr=subprocess.STDOUT,
                              start_new_session=True)
    base = f"http://127.0.0.1:{port}"
    try:
        probe = f"{base}/formgrader/api/assignments?token={token}"
        _wait_for_server(server, lambda: urllib.request.urlopen(probe, timeout=5).close(), log, "formgrader")
        yield base, token
    finally:
        _stop(server)
        log.close()


def submission_id(workspace: Path, student: str) -> str:
    from nbgrader.api import Gradebook

    ensure_alembic_on_path()
    with Gradebook(f"sqlite:///{workspace / 'gradebook.db'}", COURSE_ID) as gb:
        return gb.find_submission_notebook(NOTEBOOK, ASSIGNMENT, student).id


@pytest.mark.parametrize("student", ["mallory", "mallory-raw"])
def test_no_student_script_runs_in_formgrader(browser, graded, formgrader, listener, student) -> None:
    """On the submission's formgrader page, does no payload run (title unchanged, nothing reaches the listener, no
    dialog), even when the instructor clicks the student's links, while the derivation stays readable?"""
    base, token = formgrader
    Listener.seen.clear()
    page = browser.new_page(viewport={"width": 1280, "height": 1000})
    requests, dialogs = [], []
    page.on("request", lambda r: requests.append(r.url))
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    page.route(re.compile(r"^https?://(?!127\.0\.0\.1[:/])"), lambda route: route.abort())  # no CDN: offline
    url = f"{base}/formgrader/submissions/{submission_id(graded, student)}/?token={token}"
    response = page.goto(url, wait_until="load", timeout=90_000)
    assert response is not None and response.ok, (response and response.status, (graded / "formgrader.log").read_text())
    page.wait_for_selector("#notebook-container .nbgrader_cell", timeout=60_000)
    for link in page.locator("#notebook-container a[href^='javascript' i]").all():
        link.click()  # what the instructor might do; only a link the sanitizer missed is found here
    page.wait_for_load_state("networkidle", timeout=30_000)
    page.wait_for_timeout(1500)  # an onerror fires once the image's 404 has come back
    title = page.title()
    save_screenshot(page, f"formgrader-{student}.png")
    text = page.inner_text("#notebook-container")
    page.close()
    ran = sorted(set(Listener.seen) | {u for u in requests if f":{listener}/" in u})
    assert ran == [], f"student script ran in the formgrader page: {ran}"
    assert "XSS" not in title and title == NOTEBOOK, title
    assert dialogs == []
    for words in READABLE:
        assert words in text, f"the derivation is no longer readable: {words!r} not on the page"
    assert "xss-markdown-link" in text and "xss-html-link" in text  # the links' words are still shown
    assert 'onerror="document.title' in text  # a refused tag is shown as text: the grader sees the attempt


def _served_page_runs(browser, html: str, listener: int) -> tuple[set[str], str]:
    """`html` served as http://127.0.0.1/page.html: (payload names that reached the listener, the page's title)."""
    Listener.seen.clear()
    page = browser.new_page()
    requests = []
    page.on("request", lambda r: requests.append(r.url))
    page.route(re.compile(r"^https?://(?!127\.0\.0\.1[:/])"), lambda route: route.abort())
    page.route("http://127.0.0.1/page.html", lambda route: route.fulfill(body=html, content_type="text/html"))
    page.goto("http://127.0.0.1/page.html", wait_until="load")
    for link in page.locator("a[href^='javascript' i]").all():
        link.click()
    page.wait_for_load_state("networkidle", timeout=30_000)
    page.wait_for_timeout(1500)
    title = page.title()
    page.close()
    ran = {u.rsplit("/", 1)[-1] for u in requests if f":{listener}/" in u} | {p.strip("/") for p in Listener.seen}
    return ran, title


def test_generated_feedback_runs_no_student_script(browser, graded, listener) -> None:
    """Does `nbgrader generate_feedback`, run in the workspace as an instructor would, make pages that run no payload,
    for the stored notebook and for the unsanitized one alike?"""
    done = subprocess.run([sys.executable, "-m", "nbgrader", "generate_feedback", ASSIGNMENT, "--force"], cwd=graded,
                          capture_output=True, text=True)
    assert done.returncode == 0, done.stderr[-2000:]
    for student in ("mallory", "mallory-raw"):
        html = (graded / "feedback" / student / ASSIGNMENT / f"{NOTEBOOK}.html").read_text(encoding="utf-8")
        ran, title = _served_page_runs(browser, html, listener)
        assert ran == set() and "XSS" not in title, (student, ran, title)
        assert READABLE[0] in html


def test_the_attack_would_run_without_sanitizing(browser, listener) -> None:
    """Control: the same notebook rendered by nbconvert as it comes (no sanitizing) and served as a page: do the
    payloads run in this browser and reach the listener? (If not, a clean result above would prove nothing.)"""
    from nbconvert import HTMLExporter

    from grader.course.paths import course_dir

    nb = hostile_notebook(course_dir() / ASSIGNMENT / f"{NOTEBOOK}.ipynb", listener)
    html, _ = HTMLExporter(template_name="classic").from_notebook_node(nb)
    ran, title = _served_page_runs(browser, html, listener)
    assert {"script", "img-onerror", "svg-onload", "iframe", "html-link", "markdown-link"} <= ran, ran
    assert title.startswith("XSS-")
