"""Does grader/grading/sanitize.py make a student's notebook render inert, and leave ordinary work as it was?

The oracle is independent of the sanitizer's own check: the notebook is rendered by nbconvert's HTMLExporter (what
formgrader and generate_feedback use) and the page is searched with BeautifulSoup for anything that can run or
load: script-bearing elements, `on...` attributes, `javascript:`/non-image `data:` URLs, remote images.
"""

from __future__ import annotations

import base64
import copy
import re
from pathlib import Path

import bs4
import nbformat
import pytest
from conftest import RELEASE_NOTEBOOKS, SOLUTION_NOTEBOOKS, notebook_id
from nbconvert import HTMLExporter

from grader.course.nbgrader_config import (
    HIDDEN_TESTS_PREPROCESSOR,
    INERT_PREPROCESSOR,
    config_file_text,
    course_config,
)
from grader.grading.sanitize import inert_markdown, safe_name, sanitize_notebook

PNG = base64.b64encode(  # a 1x1 pixel
    bytes.fromhex(
        "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
        "1f15c4890000000d49444154789c6360000002000154a24f5d0000000049454e44ae426082"
    )
).decode()
SVG = base64.b64encode(b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"><script>1</script></svg>').decode()

PAYLOADS = {
    "script": "<script>document.title='XSS'</script>",
    "img-onerror": 'My answer <img src=x onerror="document.title=\'XSS\'"> ends here.',
    "svg-onload": "<svg onload=\"document.title='XSS'\"><circle r=1></circle></svg>",
    "javascript-html-link": "<a href=\"javascript:document.title='XSS'\">see</a>",
    "javascript-markdown-link": "[see](javascript:document.title='XSS')",
    "javascript-entity-link": "[see](JaVa&#115;cript&#58;document.title='XSS')",
    "javascript-autolink": "<javascript:document.title='XSS'>",
    "javascript-reference": "[see][r]\n\n[r]: javascript:document.title='XSS'",
    "iframe": "<iframe srcdoc=\"<script>parent.document.title='XSS'</script>\"></iframe>",
    "object": '<object data="data:text/html,<script>alert(1)</script>"></object>',
    "style-tag": "<style>body{background:url(javascript:alert(1))}</style>",
    "form": '<form action="/api/terminals" method="post"><button>grade</button></form>',
    "meta-refresh": '<meta http-equiv="refresh" content="0;url=javascript:alert(1)">',
    "remote-image": "![x](http://127.0.0.1:9/steal.png)",
    "data-html-image": "![x](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
    "quote-in-attribute": '<img src="attachment:a.png" alt="a>b" onerror="alert(1)">',
    "tag-in-math": "$<img src=x onerror=alert(1)>$",
    "uppercase": '<IMG SRC=x ONERROR="alert(1)">',
    "missing-attachment": "![x](attachment:nothing.png)",
}

# Harmless to nbconvert itself, which escapes LaTeX and refuses the page for a missing attachment (formgrader then
# cannot show the submission): made inert for every other renderer, and so the page renders.
NOT_LIVE_IN_NBCONVERT = {"tag-in-math", "missing-attachment"}

ORDINARY = [
    "The chain rule: $\\frac{\\partial L}{\\partial x} = "
    "\\frac{\\partial L}{\\partial y}\\frac{\\partial y}{\\partial x}$.",
    "$$\\begin{aligned} a &= b + c \\\\ d &< e \\end{aligned}$$",
    "For $0 < \\alpha < 1$ and $i<j$, $x>y$: $\\sum_{i=1}^{n} x_i^2$.",
    "> a quote\n\n- item **bold** *it*\n- `code <activation>`\n\n1. one\n2. two",
    "| a | b |\n|:--|--:|\n| 1 | 2 |",
    "```python\nif x < 2 and y > 1:\n    pass\n```",
    "A [link](https://en.wikipedia.org/wiki/Backpropagation) and <https://example.org>, H<sub>2</sub>O, x<sup>2</sup>.",
    "# Heading 역전파\n\nKorean text 순전파 and <b>bold</b><br>next line",
    "<details><summary>hint</summary>use the chain rule</details>",
]


def render(nb: nbformat.NotebookNode, **config) -> str:
    """The notebook as nbconvert's HTMLExporter renders it (sanitize_html off: the notebook alone must be inert)."""
    exporter = HTMLExporter(**config)
    return exporter.from_notebook_node(copy.deepcopy(nb))[0]


def live_markup(page: str) -> list[str]:
    """What in an HTML page can run script, submit, or make a request outside the page: (tag, attribute) names."""
    soup = bs4.BeautifulSoup(page, "html.parser")
    bad = []
    body = soup.find(id="notebook-container") or soup.body or soup
    for tag in body.find_all(True):
        if tag.name in ("script", "iframe", "svg", "object", "embed", "style", "link", "meta", "form", "base", "math"):
            if tag.name == "script" and tag.get("type") in ("math/tex", "math/tex; mode=display"):
                continue
            bad.append(tag.name)
        for name, value in tag.attrs.items():
            value = " ".join(value) if isinstance(value, list) else str(value)
            url = re.sub(r"[\x00-\x20]", "", value).lower()
            if name.startswith("on") or name in ("srcdoc", "formaction", "style"):
                bad.append(f"{tag.name} {name}")
            elif name == "href" and url.startswith(("javascript:", "vbscript:", "data:")):
                bad.append(f"{tag.name} href={value[:30]}")
            elif name == "src" and not url.startswith(("data:image/png", "data:image/jpeg", "data:image/gif")):
                bad.append(f"{tag.name} src={value[:30]}")
    return bad


def markdown_notebook(*sources: str, attachments: dict | None = None) -> nbformat.NotebookNode:
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_markdown_cell(s) for s in sources]
    if attachments:
        nb.cells[0].attachments = attachments
    return nb


@pytest.mark.parametrize("name", sorted(PAYLOADS))
def test_each_payload_renders_inert_and_readable(name: str) -> None:
    """Does a written answer carrying the payload render with nothing live, its words still on the page?"""
    nb = markdown_notebook(PAYLOADS[name] + "\n\nMy derivation: $y = wx + b$.")
    live = name not in NOT_LIVE_IN_NBCONVERT
    if live:
        assert live_markup(render(nb)), "the payload was not live to start with"
    report = sanitize_notebook(nb)
    page = render(nb)
    assert live_markup(page) == [], (nb.cells[0].source, live_markup(page))
    assert report.changes or not live, "a change was made but not reported"
    text = bs4.BeautifulSoup(page, "html.parser").get_text()
    assert "My derivation: $y = wx + b$." in text


@pytest.mark.parametrize("name", ["script", "img-onerror", "javascript-html-link"])
def test_escaped_markup_is_shown_as_text(name: str) -> None:
    """Does the instructor see what the student wrote (the whole tag as text, its refused attribute included),
    rather than nothing or a silently trimmed tag?"""
    nb = markdown_notebook(PAYLOADS[name])
    sanitize_notebook(nb)
    shown = bs4.BeautifulSoup(render(nb), "html.parser").get_text()
    tag = re.match(r".*?(<[a-z]+ ?[^>]*>)", PAYLOADS[name])[1]
    assert tag in shown, (tag, shown[-300:])


@pytest.mark.parametrize("source", ORDINARY)
def test_ordinary_markdown_and_latex_unchanged(source: str) -> None:
    """Is an ordinary derivation (LaTeX with & and <, tables, code, https links, allowed tags) left as written?"""
    assert inert_markdown(source) == source


@pytest.mark.parametrize("path", SOLUTION_NOTEBOOKS + RELEASE_NOTEBOOKS, ids=notebook_id)
def test_course_notebooks_unchanged(path) -> None:
    """Does every course notebook (solutions and releases) come through the sanitizer byte for byte?"""
    nb = nbformat.read(path, as_version=4)
    before = nbformat.writes(nb)
    assert sanitize_notebook(nb).changes == []
    assert nbformat.writes(nb) == before


def test_raster_attachments_kept_svg_and_odd_names_dropped() -> None:
    """Is a PNG attachment kept and shown, while an SVG, a non-image, bad base64 and a name with markup are dropped?"""
    attachments = {
        "plot.png": {"image/png": PNG},
        "evil.svg": {"image/svg+xml": SVG},
        "both.png": {"image/svg+xml": SVG, "image/png": PNG},
        "page.html": {"text/html": base64.b64encode(b"<script>alert(1)</script>").decode()},
        "broken.png": {"image/png": "not base64 <script>"},
        '"><img src=x onerror=alert(1)>.png': {"image/png": PNG},
    }
    nb = markdown_notebook("![plot](attachment:plot.png) ![b](attachment:both.png)", attachments=attachments)
    sanitize_notebook(nb)
    assert nb.cells[0].attachments == {"plot.png": {"image/png": PNG}, "both.png": {"image/png": PNG}}
    page = render(nb)
    assert f"data:image/png;base64,{PNG}" in page and live_markup(page) == []


def test_outputs_become_text_and_images() -> None:
    """Are HTML, JavaScript, SVG, markdown and widget outputs reduced to text, while text and PNG stay?"""
    nb = nbformat.v4.new_notebook()
    cell = nbformat.v4.new_code_cell("show()")
    out = nbformat.v4.new_output
    cell.outputs = [
        out("display_data", data={"text/html": "<b>loss</b> <img src=x onerror=alert(1)><script>alert(2)</script>"}),
        out("display_data", data={"application/javascript": "document.title='XSS'", "text/plain": "<JS>"}),
        out("display_data", data={"image/svg+xml": "<svg onload=alert(1)></svg>"}),
        out("display_data", data={"text/markdown": "[x](javascript:alert(1))"}),
        out("display_data", data={"application/vnd.jupyter.widget-view+json": {"model_id": "1"}, "text/plain": "W"}),
        out("display_data", data={"image/png": PNG, "text/plain": "<Figure>"}, metadata={"isolated": True}),
        out("stream", name="stdout", text="<script>alert(3)</script>\n"),
    ]
    nb.cells = [cell]
    live = render(nb)
    assert live_markup(live), "the outputs were not live to start with"
    sanitize_notebook(nb)
    kinds = [set(o.get("data", {})) for o in nb.cells[0].outputs]
    assert all(k <= {"text/plain", "image/png"} for k in kinds), kinds
    assert nb.cells[0].outputs[0].data["text/plain"].startswith("loss ")
    assert nb.cells[0].outputs[5].data["image/png"] == PNG and nb.cells[0].outputs[5].metadata == {}
    page = render(nb)
    assert live_markup(page) == [] and "<script>alert(3)</script>" in bs4.BeautifulSoup(page, "html.parser").get_text()


def test_metadata_kept_to_jupyters_and_nbgraders_keys() -> None:
    """Are a title, widget state, tags and grade ids carrying markup, and a bad cell id removed; nbgrader's own kept?"""
    nb = markdown_notebook("answer", "other", "third")
    nb.metadata.update(
        title="</title><script>alert(1)</script>",
        widgets={"application/vnd.jupyter.widget-state+json": {"state": {}}},
        kernelspec={"name": "python3", "display_name": 'Python 3"><script>', "language": "python"},
    )
    nbgrader = {"grade": True, "solution": True, "locked": False, "grade_id": "term_answer", "points": 2,
                "schema_version": 3, "checksum": "ab12", "cell_type": "markdown"}
    nb.cells[0].metadata = {"nbgrader": dict(nbgrader), "tags": ["ok-tag", '"><svg onload=alert(1)>'], "x": {"y": 1}}
    nb.cells[1].metadata = {"nbgrader": {"grade": True, "grade_id": '"><img src=x onerror=alert(1)>', "points": 1}}
    nb.cells[2]["id"] = '"><img src=x onerror=alert(1)>'
    sanitize_notebook(nb)
    assert nb.metadata == {"kernelspec": {"name": "python3", "display_name": "python3", "language": "python"}}
    assert nb.cells[0].metadata == {"nbgrader": nbgrader, "tags": ["ok-tag"]}
    assert nb.cells[1].metadata == {}
    assert re.fullmatch(r"[A-Za-z0-9_-]+", nb.cells[2].id)
    nbformat.validate(nb)


def test_safe_names() -> None:
    """Are only plain names (letters, digits, `.`, `_`, `-`) accepted for attachments, tags and grade ids?"""
    assert safe_name("fig_1.png") and safe_name("term-answer")
    for bad in ("", "../x.png", "a b", "x<y", 'a"b', ".hidden", "a/b", None, 3):
        assert not safe_name(bad), bad


def test_workspace_config_sanitizes_what_nbconvert_renders() -> None:
    """Does the workspace's nbgrader_config.py turn on nbconvert's sanitizing and the course's preprocessor, so a
    notebook stored unsanitized (plain `nbgrader autograde`) renders inert through it as well?"""
    config = course_config(Path("/tmp/ws"))
    text = config_file_text(config)
    assert "c.HTMLExporter.sanitize_html = True" in text
    # the inert preprocessor first, then the one that keeps hidden tests off feedback pages (issue 29)
    assert f"c.HTMLExporter.preprocessors = [{INERT_PREPROCESSOR!r}, {HIDDEN_TESTS_PREPROCESSOR!r}]" in text
    nb = markdown_notebook(*(PAYLOADS[k] for k in ("img-onerror", "svg-onload", "javascript-markdown-link")))
    assert live_markup(render(nb))
    assert live_markup(render(nb, config=config)) == []


def test_an_older_notebook_stays_valid() -> None:
    """Does a notebook of format 4.4 (no cell ids) come out valid, with no ids added?"""
    nb = markdown_notebook(PAYLOADS["img-onerror"])
    nb.nbformat_minor = 4
    del nb.cells[0]["id"]
    sanitize_notebook(nb)
    assert "id" not in nb.cells[0]
    nbformat.validate(nb)


def test_a_heading_cannot_take_a_formgrader_inputs_id() -> None:
    """Formgrader finds a written answer's score input by its grade id (`$("#" + id)`): does a heading named like it
    lose that id, so the score still goes to the right cell?"""
    nb = markdown_notebook("# term_answer\n\nsee below", "# term_answer-comment", "answer")
    nb.cells[2].metadata["nbgrader"] = {"grade": True, "solution": True, "grade_id": "term_answer", "points": 1}
    assert 'id="term_answer"' in render(nb)
    sanitize_notebook(nb)
    page = render(nb)
    assert 'id="term_answer"' not in page and 'id="term_answer-comment"' not in page
    assert "term_answer" in bs4.BeautifulSoup(page, "html.parser").get_text()
