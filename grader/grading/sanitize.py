"""What a student wrote, made inert before the workspace stores it for a person to open.

nbgrader's formgrader renders `autograded/<student>/<assignment>/<notebook>.ipynb` as HTML on the instructor's own
Jupyter origin, and `nbgrader generate_feedback` renders the same file for the student: a written answer holding
`<img src=x onerror=...>` would run there as the instructor (open a terminal, change grades). `sanitize_notebook` is
called on every notebook before `autograded/` is written (grader/grading/journal.py), after nbgrader has recorded its
scores, and leaves only what renders inert:

- markdown cells: unchanged when nbconvert's own renderer (the one formgrader uses) turns them into HTML with only
  allowed tags, attributes and URLs, which every ordinary derivation does (LaTeX, tables, code, links);
  otherwise each HTML tag goes through bleach's allow-list (a forbidden tag's `<` is escaped, so it shows as
  text), markdown links stop being links, and if nbconvert still renders something forbidden the cell's text is
  shown verbatim as a code block. The text always stays readable.
- raw cells: every tag through the same allow-list.
- attachments: only PNG, JPEG, GIF and WebP (never SVG), as valid base64, under plain file names.
- outputs: text, PNG and JPEG only; HTML and markdown become their text, JavaScript, SVG, LaTeX and widget views
  are dropped (named in a text line); no output metadata.
- metadata: an allow-list of the keys Jupyter and nbgrader use, with their types; no widget state, no title.
- cell ids and names (attachments, tags, grade ids): letters, digits, `.`, `_`, `-` only.

A second, independent layer is the workspace's nbgrader_config.py (grader/course/nbgrader_config.py), which makes
formgrader and generate_feedback sanitize the HTML they render.
"""

from __future__ import annotations

import base64
import binascii
import re
from dataclasses import dataclass, field
from html.parser import HTMLParser

import bleach
import nbformat
from nbconvert.filters.markdown_mistune import IPythonRenderer, MarkdownWithMath
from nbconvert.preprocessors import Preprocessor
from nbformat import NotebookNode

# --------------------------------------------------------------------------------------------- the allow-lists

# Tags a student may write; no `class`, `id` or `style` (they could dress text up as the formgrader's own buttons).
TAGS = frozenset(
    "a abbr b blockquote br code del details div em h1 h2 h3 h4 h5 h6 hr i img kbd li ol p pre s span strong sub "
    "summary sup table tbody td th thead tr u ul".split()
)
ATTRIBUTES = {"a": ["href", "title"], "abbr": ["title"], "img": ["src", "alt", "title", "width", "height"],
              "td": ["colspan", "rowspan", "align"], "th": ["colspan", "rowspan", "align"]}
# What nbconvert's markdown renderer itself adds around them (code highlighting, heading anchors, task lists, tables).
RENDERED_TAGS = TAGS | {"input", "dl", "dt", "dd"}
LINK_SCHEMES = frozenset({"http", "https", "mailto"})
# Images only from the notebook itself: a remote image would be a request leaving the instructor's page.
IMAGE_TYPES = frozenset({"image/png", "image/jpeg", "image/gif", "image/webp"})
OUTPUT_IMAGE_TYPES = frozenset({"image/png", "image/jpeg"})
SAFE_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,127}")
# A `<` an HTML parser reads as the start of a tag, end tag, comment or declaration (HTML5 tokenizer, data state).
TAG_START = re.compile(r"<(?=[A-Za-z/!?])")
TAG_NAME = re.compile(r"</?([A-Za-z][A-Za-z0-9]*)")
# Where nbconvert's renderer sees LaTeX (its MathInlineParser's delimiters): inside, a `<` is text to TeX.
MATH = re.compile(
    r"(?s)(?<!\\)\$\$.*?(?<!\\)\$\$|\\\[.*?\\\]|\\\(.*?\\\)|\\begin\{([a-z]*\*?)\}.*?\\end\{\1\}|(?<![\\$])\$[^$]+?(?<!\\)\$"
)
MARKDOWN_LINK = re.compile(r"\]([(:])")  # `[text](url)`, `![alt](url)`, `[ref]: url`


@dataclass(frozen=True)
class Change:
    """One thing `sanitize_notebook` made inert: the cell's index (None for the notebook's metadata) and what."""

    cell: int | None
    what: str


@dataclass
class Sanitized:
    """What `sanitize_notebook` changed; empty when the notebook was inert already (a course notebook is)."""

    changes: list[Change] = field(default_factory=list)

    def note(self, cell: int | None, what: str) -> None:
        self.changes.append(Change(cell, what))


def safe_name(name: object) -> bool:
    """Is `name` a plain file or id name (letters, digits, `.`, `_`, `-`; no path, no markup)?"""
    return isinstance(name, str) and SAFE_NAME.fullmatch(name) is not None and ".." not in name


# --------------------------------------------------------------------------------------------- URLs and tags


def url_allowed(url: str, *, image: bool) -> bool:
    """May an `href` (image=False) or `src` (image=True) hold `url`? Read as a browser reads it: leading spaces and
    control characters dropped, tabs and newlines removed, the scheme in any case."""
    cleaned = re.sub(r"[\t\n\r]", "", url).lstrip("\x00\x01\x02\x03\x04\x05\x06\x07\x08\x0b\x0c\x0e\x0f\x10\x11"
                                                  "\x12\x13\x14\x15\x16\x17\x18\x19\x1a\x1b\x1c\x1d\x1e\x1f ")
    scheme = re.match(r"([A-Za-z][A-Za-z0-9+.-]*):", cleaned)
    if image:
        if cleaned.lower().startswith("attachment:"):
            return safe_name(cleaned[len("attachment:"):])
        match = re.fullmatch(r"data:(image/[a-z]+);base64,([A-Za-z0-9+/=]+)", cleaned)
        return match is not None and match[1] in IMAGE_TYPES
    return scheme is None or scheme[1].lower() in LINK_SCHEMES


def _attribute_allowed(tag: str, name: str, value: str) -> bool:
    if name not in ATTRIBUTES.get(tag, []):
        return False
    if name in ("href", "src"):
        return url_allowed(value, image=name == "src")
    return True


CLEANER = bleach.sanitizer.Cleaner(
    tags=TAGS, attributes=_attribute_allowed, protocols={"http", "https", "mailto", "attachment", "data"},
    strip=False, strip_comments=True,
)


def _allowed_tag(segment: str) -> str | None:
    """`segment` (from a `<` to the next `>`) as bleach's allow-list keeps it, or None if no such tag is allowed."""
    name = TAG_NAME.match(segment)
    if name is None or name[1].lower() not in TAGS:
        return None  # a forbidden element, a comment, a declaration
    tag = name[1].lower()
    if segment.startswith("</"):
        return f"</{tag}>" if re.fullmatch(r"</[A-Za-z0-9]+\s*>", segment) else None
    cleaned = CLEANER.clean(segment)
    if not cleaned.startswith(f"<{tag}"):
        return None  # bleach read no whole tag in it (a `>` inside a quoted value, say)
    if _attribute_names(cleaned) != _attribute_names(segment):
        return None  # an attribute was refused: the whole tag is shown as text, so the reader sees what was there
    return cleaned.removesuffix(f"</{tag}>")


class _Attributes(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.names: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.names += [name for name, _ in attrs]


def _attribute_names(tag: str) -> list[str]:
    """The attribute names of the first tag in `tag`, as read by Python's HTML parser."""
    parser = _Attributes()
    parser.feed(tag)
    parser.close()
    return sorted(parser.names)


def inert_markup(text: str, math: bool = False) -> str:
    """`text` with every HTML tag through the allow-list: an allowed tag keeps its allowed attributes, any other
    tag-like `<` is escaped (`&lt;`: the reader sees what was written). Whatever a renderer takes for HTML in the
    result, it holds only allowed tags. In LaTeX (`math`), a space after the `<` does the same and TeX draws it alike.
    """
    out, at = [], 0
    for start in TAG_START.finditer(text):
        if start.start() < at:
            continue
        end = text.find(">", start.start())
        kept = _allowed_tag(text[start.start(): end + 1]) if end >= 0 and not math else None
        out.append(text[at: start.start()])
        if kept is not None:
            out.append(kept)
            at = end + 1
        else:
            out.append("< " if math else "&lt;")
            at = start.start() + 1
    out.append(text[at:])
    return "".join(out)


# --------------------------------------------------------------------------------------------- markdown


class _RenderedHTML(HTMLParser):
    """Collects what nbconvert's rendering of a cell holds that is not allowed."""

    def __init__(self, reserved_ids: frozenset[str]) -> None:
        super().__init__(convert_charrefs=True)
        self.forbidden: list[str] = []
        self.reserved_ids = reserved_ids

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag not in RENDERED_TAGS:
            self.forbidden.append(f"<{tag}>")
        for name, value in attrs:
            value = value or ""
            if name in ("href", "src"):
                ok = url_allowed(value, image=name == "src")
            elif name == "class":
                ok = True  # code highlighting, heading anchors
            elif name == "id":  # a heading's anchor, unless it would take the id of a formgrader input
                ok = re.fullmatch(r"h[1-6]", tag) is not None and value not in self.reserved_ids
            elif name == "style":
                ok = re.fullmatch(r"text-align:\s*(left|right|center);?", value) is not None  # table columns
            elif tag == "input":
                ok = name in ("type", "disabled", "checked") and value in ("", "checkbox", "disabled", "checked")
            else:
                ok = name in ATTRIBUTES.get(tag, [])
            if not ok:
                self.forbidden.append(f"<{tag} {name}>")

    def handle_comment(self, data: str) -> None:
        self.forbidden.append("<!--")

    def handle_decl(self, decl: str) -> None:
        self.forbidden.append("<!")

    def handle_pi(self, data: str) -> None:
        self.forbidden.append("<?")

    def unknown_decl(self, data: str) -> None:
        self.forbidden.append("<![")


def forbidden_in_rendering(
    source: str, attachments: dict | None = None, reserved_ids: frozenset[str] = frozenset()
) -> list[str]:
    """What nbconvert's markdown renderer (formgrader's and generate_feedback's) makes of `source` that is not
    allowed: tags, attributes, URLs, and an `id` in `reserved_ids` (formgrader finds its score and comment inputs by
    id: a heading named like one would take its place). Empty when the cell renders inert."""
    try:
        rendered = MarkdownWithMath(renderer=IPythonRenderer(escape=False, attachments=attachments or {})).render(
            source
        )
    except Exception as err:  # noqa: BLE001 - e.g. a missing attachment: formgrader would fail on the page
        return [f"the renderer failed ({type(err).__name__})"]
    parser = _RenderedHTML(reserved_ids)
    parser.feed(rendered)
    parser.close()
    return parser.forbidden


def _outside_math(text: str, transform) -> str:
    """`transform` applied to the text outside LaTeX; LaTeX through `inert_markup(math=True)`."""
    out, at = [], 0
    for m in MATH.finditer(text):
        out += [transform(text[at: m.start()]), inert_markup(m[0], math=True)]
        at = m.end()
    out.append(transform(text[at:]))
    return "".join(out)


def _as_code_block(text: str) -> str:
    """`text` verbatim in a fenced code block (which every markdown renderer escapes), with a note why."""
    longest = max((len(run) for run in re.findall(r"`+", text)), default=0)
    fence = "`" * max(3, longest + 1)
    return (
        "*(shown as plain text by the grader: this cell held markup that could run in the instructor's browser)*\n\n"
        f"{fence}text\n{text}\n{fence}\n"
    )


def inert_markdown(source: str, attachments: dict | None = None, reserved_ids: frozenset[str] = frozenset()) -> str:
    """A markdown cell's source that nbconvert renders inert; `source` itself when it already does."""
    if not forbidden_in_rendering(source, attachments, reserved_ids):
        return source
    tags_escaped = _outside_math(source, lambda part: MARKDOWN_LINK.sub(r"]\\\1", inert_markup(part)))
    if not forbidden_in_rendering(tags_escaped, attachments, reserved_ids):
        return tags_escaped
    block = _as_code_block(source)
    if not forbidden_in_rendering(block, attachments, reserved_ids):
        return block
    return "*(the grader removed this cell's text: it could not be shown safely)*"


# --------------------------------------------------------------------------------------------- attachments, outputs


def _valid_base64(data: object) -> str | None:
    """`data` as one line of base64 if it is valid base64, else None."""
    if isinstance(data, list):
        data = "".join(map(str, data))
    if not isinstance(data, str):
        return None
    text = re.sub(r"\s+", "", data)
    try:
        base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        return None
    return text


def inert_attachments(attachments: dict) -> dict:
    """Only raster images (PNG, JPEG, GIF, WebP: never SVG, which can carry script) under plain names."""
    kept = {}
    for name, bundle in attachments.items():
        if not safe_name(name) or not isinstance(bundle, dict):
            continue
        images = {mime: data for mime, data in bundle.items() if mime in IMAGE_TYPES}
        images = {mime: text for mime, data in images.items() if (text := _valid_base64(data)) is not None}
        if images:
            kept[name] = images
    return kept


class _Text(HTMLParser):
    """The text of an HTML fragment, without script and style contents."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.skip = 0

    def handle_starttag(self, tag, attrs) -> None:
        self.skip += tag in ("script", "style")

    def handle_endtag(self, tag) -> None:
        self.skip -= tag in ("script", "style") and self.skip > 0

    def handle_data(self, data: str) -> None:
        if not self.skip:
            self.parts.append(data)


def html_text(fragment: str) -> str:
    parser = _Text()
    parser.feed(fragment)
    parser.close()
    return "".join(parser.parts)


def _text(value: object) -> str:
    return "".join(map(str, value)) if isinstance(value, list) else str(value)


def inert_output(output: dict) -> NotebookNode:
    """One output as text (and PNG/JPEG images): what a browser can only display."""
    kind = output.get("output_type")
    if kind == "stream":
        name = output.get("name") if output.get("name") in ("stdout", "stderr") else "stdout"
        return nbformat.v4.new_output("stream", name=name, text=_text(output.get("text", "")))
    if kind == "error":
        return nbformat.v4.new_output(
            "error", ename=_text(output.get("ename", "")), evalue=_text(output.get("evalue", "")),
            traceback=[_text(line) for line in output.get("traceback", []) if isinstance(line, str)],
        )
    data_field = output.get("data")
    bundle: dict = data_field if isinstance(data_field, dict) else {}
    data = {mime: text for mime in OUTPUT_IMAGE_TYPES & bundle.keys() if (text := _valid_base64(bundle[mime]))}
    dropped = sorted(set(bundle) - OUTPUT_IMAGE_TYPES - {"text/plain"})
    if "text/plain" in bundle:
        data["text/plain"] = _text(bundle["text/plain"])
    elif "text/html" in bundle or "text/markdown" in bundle:
        data["text/plain"] = html_text(_text(bundle.get("text/html", bundle.get("text/markdown", ""))))
    if dropped:
        note = f"[{', '.join(dropped)} output shown as text or removed by the grader]"
        data["text/plain"] = f"{data.get('text/plain', '')}\n{note}".lstrip("\n")
    if kind == "execute_result":
        count = output.get("execution_count")
        count = count if isinstance(count, int) else None
        return nbformat.v4.new_output("execute_result", data=data, execution_count=count)
    return nbformat.v4.new_output("display_data", data=data)


# --------------------------------------------------------------------------------------------- metadata

NBGRADER_TYPES: dict[str, type | tuple[type, ...]] = {
    "grade_id": str, "cell_type": str, "checksum": str, "grade": bool, "solution": bool, "locked": bool, "task": bool,
    "points": (int, float), "schema_version": int,
}


def _nbgrader_meta(meta: object) -> dict | None:
    """nbgrader's cell metadata with its own keys and types only, or None if its grade id is not a plain name."""
    if not isinstance(meta, dict):
        return None
    kept: dict[str, object] = {
        k: v for k, v in meta.items() if k in NBGRADER_TYPES and isinstance(v, NBGRADER_TYPES[k])
    }
    if "grade_id" in kept and not safe_name(kept["grade_id"]):
        return None  # formgrader writes the grade id into the page unescaped
    if kept.get("cell_type") not in (None, "code", "markdown"):
        del kept["cell_type"]
    checksum = kept.get("checksum")
    if isinstance(checksum, str) and not re.fullmatch(r"[0-9a-f]{1,128}", checksum):
        del kept["checksum"]
    return kept


def inert_cell_metadata(meta: dict, cell_type: str) -> dict:
    """A cell's metadata reduced to the keys Jupyter and nbgrader use, each with its type."""
    kept: dict = {}
    nbgrader_meta = _nbgrader_meta(meta.get("nbgrader"))
    if nbgrader_meta:
        kept["nbgrader"] = nbgrader_meta
    for key in ("editable", "deletable", "collapsed"):
        if isinstance(meta.get(key), bool):
            kept[key] = meta[key]
    if meta.get("scrolled") in (True, False, "auto"):
        kept["scrolled"] = meta["scrolled"]
    jupyter = meta.get("jupyter")
    if isinstance(jupyter, dict):
        flags = {k: v for k, v in jupyter.items() if k in ("source_hidden", "outputs_hidden") and isinstance(v, bool)}
        if flags:
            kept["jupyter"] = flags
    tags = meta.get("tags")
    if isinstance(tags, list) and (names := [t for t in tags if safe_name(t)]):
        kept["tags"] = names
    mimetype = meta.get("raw_mimetype") if cell_type == "raw" else None
    if isinstance(mimetype, str) and re.fullmatch(r"[a-z]+/[a-z0-9.+-]+", mimetype):
        kept["raw_mimetype"] = mimetype
    return kept


PLAIN = re.compile(r"[A-Za-z0-9 ._+()/-]{0,100}")


def inert_notebook_metadata(meta: dict) -> dict:
    """The notebook's metadata reduced to its kernel and language, as plain words (no title, no widget state)."""
    kept: dict = {}
    for key, fields in (("kernelspec", ("name", "display_name", "language")),
                        ("language_info", ("name", "version", "file_extension", "mimetype", "nbconvert_exporter",
                                           "pygments_lexer"))):
        value = meta.get(key)
        if isinstance(value, dict):
            kept[key] = {f: value[f] for f in fields if isinstance(value.get(f), str) and PLAIN.fullmatch(value[f])}
    if "kernelspec" in kept and "name" in kept["kernelspec"]:  # nbformat requires both names
        kept["kernelspec"].setdefault("display_name", kept["kernelspec"]["name"])
    else:
        kept.pop("kernelspec", None)
    if "name" not in kept.get("language_info", {"name": ""}):
        del kept["language_info"]
    return kept


# --------------------------------------------------------------------------------------------- the notebook


def _formgrader_ids(nb: NotebookNode) -> frozenset[str]:
    """The element ids formgrader's page gives its own inputs and panels for this notebook."""
    ids = {"notebook", "notebook-container", "statusmessage"}
    for cell in nb.cells:
        meta = (cell.get("metadata") or {}).get("nbgrader")
        gid = meta.get("grade_id") if isinstance(meta, dict) else None
        if isinstance(gid, str):
            ids |= {gid, f"{gid}-comment", f"{gid}_extra_credit"}
    return frozenset(ids)


def _sanitize_cell(cell: NotebookNode, index: int, report: Sanitized, reserved_ids: frozenset[str]) -> NotebookNode:
    cell_type = cell.get("cell_type") if cell.get("cell_type") in ("code", "markdown", "raw") else "raw"
    source = _text(cell.get("source", ""))
    if cell_type == "markdown":
        attachments = inert_attachments(cell.get("attachments") or {})
        if attachments != (cell.get("attachments") or {}):
            report.note(index, "attachments other than raster images under plain names removed")
        new = nbformat.v4.new_markdown_cell(inert_markdown(source, attachments, reserved_ids))
        if attachments:
            new.attachments = attachments
    elif cell_type == "raw":
        new = nbformat.v4.new_raw_cell(inert_markup(source))
    else:
        new = nbformat.v4.new_code_cell(source)  # shown highlighted, escaped
        count = cell.get("execution_count")
        new.execution_count = count if isinstance(count, int) else None
        new.outputs = [inert_output(o) for o in cell.get("outputs", []) if isinstance(o, dict)]
        if new.outputs != cell.get("outputs", []):
            report.note(index, "outputs reduced to text and images")
    if cell_type != "code" and new.source != source:
        report.note(index, f"{cell_type} cell: markup made inert")
    new.metadata = inert_cell_metadata(cell.get("metadata") or {}, str(cell_type))
    if new.metadata != cell.get("metadata"):
        report.note(index, "metadata reduced to Jupyter's and nbgrader's keys")
    cell_id = cell.get("id")
    if isinstance(cell_id, str) and re.fullmatch(r"[A-Za-z0-9_-]{1,64}", cell_id):
        new.id = cell_id
    else:
        report.note(index, "cell id replaced")
    return new


def sanitize_notebook(nb: NotebookNode) -> Sanitized:
    """Make `nb` (nbformat 4, changed in place) render inert wherever a person opens it: formgrader, nbgrader's
    feedback, JupyterLab. Returns what was changed; a course notebook as released comes back unchanged."""
    report = Sanitized()
    reserved_ids = _formgrader_ids(nb)
    nb.cells = [_sanitize_cell(cell, i, report, reserved_ids) for i, cell in enumerate(nb.cells)]
    if nb.get("nbformat_minor", 5) < 5:  # cell ids came with nbformat 4.5: an older notebook must have none
        for cell in nb.cells:
            cell.pop("id", None)
    metadata = inert_notebook_metadata(nb.get("metadata") or {})
    if metadata != nb.get("metadata"):
        report.note(None, "notebook metadata reduced to kernel and language")
    nb.metadata = metadata
    return report


class InertNotebook(Preprocessor):
    """`sanitize_notebook` as an nbconvert preprocessor: the workspace's nbgrader_config.py puts it before every
    HTMLExporter's own steps (formgrader, generate_feedback), so a notebook stored by plain `nbgrader autograde` or
    an older grader renders inert too. (nbconvert's SanitizeHTML would bleach the markdown source, turning the `&`
    and `<` of LaTeX into entities the page then shows; and nbgrader's formgrade template renders markdown without
    looking at `HTMLExporter.sanitize_html`.)"""

    def preprocess(self, nb: NotebookNode, resources: dict) -> tuple[NotebookNode, dict]:
        sanitize_notebook(nb)
        return nb, resources
