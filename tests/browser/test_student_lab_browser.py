"""Is the JupyterLab that `bpcourse start` opens a student's: no nbgrader instructor UI, no news pop-up, and
Korean that renders as letters, not boxes?

One server for the module, started exactly as `bpcourse start` starts it (grader.student.lab's command and environment),
on a fresh copy of the course, with a free port and a random token on 127.0.0.1 (stopped at the end).
Skips where /usr/bin/chromium or the playwright package is missing (CI installs both and fails on a skip).
"""

from __future__ import annotations

import secrets
import subprocess
import urllib.error
import urllib.request

import pytest
from test_widgets_browser import _free_port, _stop, save_screenshot, wait_for_lab

from grader.course.paths import course_dir, edition_dir
from grader.student.lab import lab_command, lab_environment
from grader.student.start import copy_course

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def student_lab(tmp_path_factory):
    """`bpcourse start`'s JupyterLab on a copy of the course; yields (base URL, token, server log path)."""
    root = tmp_path_factory.mktemp("student")
    copy_course(course_dir(), root)
    copy_course(course_dir(), root / "ko", edition_dir("ko"))  # the Korean edition, as `bpcourse start --lang ko`
    port, token = _free_port(), secrets.token_hex(16)
    command = lab_command(root, no_browser=True) + [
        "--ServerApp.ip=127.0.0.1", f"--ServerApp.port={port}", "--ServerApp.port_retries=0",
        f"--IdentityProvider.token={token}",
    ]
    # A user settings folder of its own, empty: what a student sees on a first start.
    env = lab_environment(root)
    env.update(JUPYTER_CONFIG_DIR=str(root / ".jupyter-config"), JUPYTER_RUNTIME_DIR=str(root / ".rt"),
               JUPYTERLAB_SETTINGS_DIR=str(root / ".lab-settings"), JUPYTERLAB_WORKSPACES_DIR=str(root / ".ws"))
    log_path = root / "server.log"
    log = open(log_path, "w")  # noqa: SIM115 (closed below)
    server = subprocess.Popen(command, cwd=root, env=env, stdout=log, stderr=subprocess.STDOUT,
                              start_new_session=True)
    try:
        wait_for_lab(server, port, token, log)
        yield f"http://127.0.0.1:{port}", token, log_path
    finally:
        _stop(server)
        log.close()


def test_no_instructor_ui_and_no_news_popup(browser, student_lab) -> None:
    """Does the student's JupyterLab show no Nbgrader menu, no Create Assignment, no formgrader, no news pop-up?"""
    base, token, log_path = student_lab
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    page.goto(f"{base}/lab/workspaces/ui/tree/01_term/01_term.ipynb?reset&token={token}")
    page.wait_for_selector(".jp-NotebookPanel:visible .jp-Cell", timeout=90_000)
    page.wait_for_selector(".lm-MenuBar-itemLabel:text-is('Kernel')", timeout=30_000)
    page.wait_for_timeout(4000)  # the news question and nbgrader's menu both arrive a moment after start-up
    menus = page.locator(".lm-MenuBar-itemLabel").all_inner_texts()
    assert "File" in menus and not any("nbgrader" in m.lower() for m in menus), menus
    # Create Assignment lives in the right sidebar (a tab titled so), Validate in the notebook toolbar
    assert page.locator("[title*='Create Assignment' i], [data-id*='create-assignment' i]").count() == 0
    assert page.locator(".jp-NotebookPanel:visible .jp-Toolbar :text-is('Validate')").count() == 0
    toasts = " ".join(page.locator(".Toastify__toast, .jp-Notification-Toast").all_inner_texts())
    assert "news" not in toasts.lower() and "newer version" not in toasts.lower(), toasts
    disabled = page.evaluate("JSON.parse(document.getElementById('jupyter-config-data').textContent)"
                             ".disabledExtensions")
    assert "@jupyter/nbgrader" in disabled and "@jupyterlab/apputils-extension:announcements" in disabled
    save_screenshot(page, "student-lab.png")
    page.close()
    with pytest.raises(urllib.error.HTTPError) as err:  # the formgrader's server side is off too
        urllib.request.urlopen(f"{base}/formgrader?token={token}", timeout=10)
    assert err.value.code == 404
    log = log_path.read_text()
    assert "No nbgrader_config.py file found" not in log and "nbgrader" not in log.lower(), log[-2000:]


# Draws each character of `chars` alone in the heading's own font on a canvas; returns their pixels as strings.
GLYPHS_JS = """([selector, chars]) => {
  const font = getComputedStyle(document.querySelector(selector)).font;
  return chars.map(ch => {
    const canvas = document.createElement('canvas');
    canvas.width = 64; canvas.height = 64;
    const ctx = canvas.getContext('2d');
    ctx.font = font.replace(/\\d+(\\.\\d+)?px/, '40px');
    ctx.fillStyle = 'black';
    ctx.fillText(ch, 4, 48);
    return Array.from(ctx.getImageData(0, 0, 64, 64).data.filter((_, i) => i % 4 === 3)).join(',');
  });
}"""


def test_a_korean_heading_renders_as_letters_not_boxes(browser, student_lab) -> None:
    """In 01_term's first heading, do Hangul syllables draw as distinct glyphs, unlike an unassigned code point?"""
    base, token, _ = student_lab
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    page.goto(f"{base}/lab/workspaces/korean/tree/01_term/01_term.ipynb?reset&token={token}")
    heading = page.locator(".jp-NotebookPanel:visible .jp-RenderedMarkdown h1").first
    heading.wait_for(state="visible", timeout=90_000)
    assert "일반 명사" in heading.inner_text()
    page.evaluate("document.fonts.ready")
    selector = ".jp-NotebookPanel:not(.lm-mod-hidden) .jp-RenderedMarkdown h1"
    # U+0378 and U+0379 are unassigned: every font draws them as its missing-glyph box (tofu) or not at all
    chars = ["\u0378", "\u0379", "일", "반", "명", "사"]
    missing, also_missing, *syllables = page.evaluate(GLYPHS_JS, [selector, chars])
    assert missing == also_missing, "two missing glyphs should draw alike: this check could not tell tofu apart"
    for pixels in syllables:
        assert pixels != missing, "a Hangul syllable drew as the missing-glyph box: no Korean font in the browser"
        assert sum(v > 0 for v in map(int, pixels.split(","))) > 40, "a Hangul syllable drew no ink"
    assert len(set(syllables)) == len(syllables), "different syllables drew the same shape (boxes)"
    heading.screenshot(path=str(save_screenshot(page, "student-lab-korean.png").with_name("korean-heading.png")))
    page.close()


def test_the_korean_edition_opens_in_korean(browser, student_lab) -> None:
    """Does the Korean edition's 01_term (course-ko/) open with its prose in Korean, drawn as Hangul letters?"""
    base, token, _ = student_lab
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    page.goto(f"{base}/lab/workspaces/ko/tree/ko/01_term/01_term.ipynb?reset&token={token}")
    heading = page.locator(".jp-NotebookPanel:visible .jp-RenderedMarkdown h1").first
    heading.wait_for(state="visible", timeout=90_000)
    assert heading.inner_text().startswith("1단계 · 일반 명사"), heading.inner_text()
    paragraph = page.locator(".jp-NotebookPanel:visible .jp-RenderedMarkdown p").first
    assert "신경망을 만나기 전에" in paragraph.inner_text(), paragraph.inner_text()
    page.evaluate("document.fonts.ready")
    selector = ".jp-NotebookPanel:not(.lm-mod-hidden) .jp-RenderedMarkdown p"
    chars = ["\u0378", "\u0379", "신", "경", "망", "역", "전", "파"]
    missing, also_missing, *syllables = page.evaluate(GLYPHS_JS, [selector, chars])
    assert missing == also_missing, "two missing glyphs should draw alike: this check could not tell tofu apart"
    for pixels in syllables:
        assert pixels != missing, "a Hangul syllable drew as the missing-glyph box: no Korean font in the browser"
        assert sum(v > 0 for v in map(int, pixels.split(","))) > 40, "a Hangul syllable drew no ink"
    assert len(set(syllables)) == len(syllables), "different syllables drew the same shape (boxes)"
    save_screenshot(page, "student-lab-korean-edition.png")
    page.close()


def _run_cell(page, cell) -> None:
    """Select a (non-collapsed) code cell by its prompt and run it with Shift+Enter."""
    cell.scroll_into_view_if_needed()
    cell.locator(".jp-InputPrompt").click()
    page.keyboard.press("Escape")
    page.keyboard.press("Shift+Enter")


def test_an_explorer_before_the_exercise_is_done_shows_its_own_note(browser, student_lab) -> None:
    """Run alone in a fresh kernel, then after the exercise's stub cell, does 01_term's explorer cell show a worded
    note (which function to write, `bpcourse explore`) and no traceback or broken image?"""
    base, token, _ = student_lab
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    page.goto(f"{base}/lab/workspaces/unfinished/tree/01_term/01_term.ipynb?reset&token={token}")
    page.wait_for_selector(".jp-NotebookPanel:visible .jp-CodeCell .jp-InputPrompt", timeout=90_000)
    page.wait_for_selector("text=Python 3 (ipykernel) | Idle", timeout=90_000)
    cells = page.locator(".jp-NotebookPanel:visible .jp-CodeCell")
    explorer = cells.filter(has_text="signal_flow_explorer(globals())")
    stub = cells.filter(has_text="def propagate_back(local_derivatives)")
    outputs = explorer.locator(".jp-OutputArea-output")

    _run_cell(page, explorer)  # propagate_back not defined yet: its cell has not run
    outputs.filter(has_text="bpcourse explore").first.wait_for(timeout=60_000)
    text = outputs.first.inner_text()
    assert "Write propagate_back first" in text, text
    assert "NameError" not in text and "Traceback" not in text, text

    _run_cell(page, stub)  # the release's stub: raises NotImplementedError
    _run_cell(page, explorer)
    outputs.filter(has_text="not implemented yet").first.wait_for(timeout=60_000)
    text = outputs.first.inner_text()
    assert "propagate_back" in text and "bpcourse explore" in text and "Traceback" not in text, text
    assert explorer.locator("img:visible").count() == 0, "an empty figure shows (a broken-image icon)"
    save_screenshot(page, "student-lab-unfinished-explorer.png")
    page.close()
