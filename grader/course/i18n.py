"""The course in another language from the one source: gettext catalogs for the notebooks' prose.

`solutions/` stays the only source of code, tests and points. A translated notebook is the English release
notebook (`course/`) with the prose of its plain Markdown cells replaced, block by block, from a gettext catalog
(`locale/<lang>/LC_MESSAGES/<notebook stem>.po`, one per notebook, written and read with Babel): code cells, graded
cells (a written answer stays the student's), grade ids, points and checksums of code are untouched, so the grader
treats both editions alike. A text unit (one msgid) is one Markdown block: a paragraph, a list, a table or a
heading, as a translator sees it in Poedit; a block with no words outside LaTeX and code (a display equation) is
not a unit and passes through as it is.

`locale/<lang>/notebooks.txt` declares which notebooks are released in that language: only a notebook whose catalog
is complete may be listed (the release refuses to write one with an English unit left, and a test says which cell).

`python -m grader.course.i18n extract LANG [STEM ...]` writes or updates the catalogs of LANG from the current release
(new units empty, changed ones marked fuzzy with the old translation as a suggestion, as gettext's msgmerge does).
"""

from __future__ import annotations

import ast
import copy
import re
import sys
import tempfile
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import nbformat
from babel.messages.catalog import Catalog
from babel.messages.pofile import read_po, write_po

from grader.course.cells import nbgrader_meta, parse
from grader.errors import CourseError

ENGLISH = "en"
LANGUAGES = ("en", "ko")
LOCALE_DIRNAME = "locale"
RELEASED_LIST = "notebooks.txt"
LANG_KEY = "bpcourse"  # notebook metadata: {"bpcourse": {"lang": "ko"}}

# LaTeX and code inside prose: display math first, so that `$$` is never read as two empty `$`.
_SPAN = re.compile(r"\$\$.+?\$\$|\$[^$]+?\$|`[^`]+`|\\\(.+?\\\)", re.S)  # inline math and code may wrap a line
_WORD = re.compile(r"[A-Za-z]{2,}")


@dataclass(frozen=True)
class TextUnit:
    """One translatable block of a notebook: the index of its cell and its English text."""

    cell: int
    text: str


@dataclass(frozen=True)
class Missing:
    """A text unit with no usable translation (absent, empty or fuzzy) in a catalog."""

    notebook: str
    cell: int
    text: str

    def __str__(self) -> str:
        first = self.text.strip().splitlines()[0]
        return f"{self.notebook} cell {self.cell}: no translation for {first[:70]!r}"


def spans(text: str) -> Counter:
    """The LaTeX and code spans of `text` ($..$, $$..$$, \\(..\\), `..`), counted: what a translation keeps."""
    return Counter(_SPAN.findall(text))


def is_unit(block: str) -> bool:
    """A block is translated when it has a word outside its LaTeX and code spans; a fenced code block is code."""
    if block.lstrip().startswith("```"):
        return False
    return bool(_WORD.search(_SPAN.sub(" ", block)))


def split_blocks(source: str) -> list[str]:
    """`source` cut into blocks and the blank-line runs between them; `"".join(result) == source`.

    A fenced code block or a `$$` display that spans blank lines stays one block.
    """
    pieces: list[str] = []
    current: list[str] = []
    in_gap = False  # whether `current` is a run of blank lines (between blocks) rather than a block
    fenced = False
    for line in source.splitlines(keepends=True):
        protected = fenced or (not in_gap and "".join(current).count("$$") % 2 == 1)
        gap_line = not line.strip() and not protected
        if current and gap_line != in_gap:
            pieces.append("".join(current))
            current = []
        in_gap = gap_line
        if not gap_line and line.lstrip().startswith("```"):
            fenced = not fenced
        current.append(line)
    if current:
        pieces.append("".join(current))
    return pieces


def _key(piece: str) -> str:
    """The msgid of a block: without its trailing newline (gettext tools keep the ends of msgid and msgstr alike)."""
    return piece.rstrip("\n")


def is_translated_cell(cell) -> bool:
    """Plain Markdown cells are translated; a graded one (a written answer) stays as released."""
    return cell.cell_type == "markdown" and not nbgrader_meta(cell).get("grade")


def text_units(nb: nbformat.NotebookNode) -> list[TextUnit]:
    """Every translatable block of `nb`, in order."""
    return [
        TextUnit(index, _key(piece))
        for index, cell in enumerate(nb.cells)
        if is_translated_cell(cell)
        for piece in split_blocks(cell.source)
        if piece.strip() and is_unit(piece)
    ]


def usable(catalog: Catalog, text: str) -> str | None:
    """The translation of `text` in `catalog`, or None when it has none (absent, empty or fuzzy)."""
    message = catalog.get(text)
    if message is None or message.fuzzy or not message.string:
        return None
    return str(message.string)


def missing(nb: nbformat.NotebookNode, catalog: Catalog, name: str) -> list[Missing]:
    """The units of `nb` (called `name` in messages) that `catalog` does not translate."""
    return [Missing(name, u.cell, u.text) for u in text_units(nb) if usable(catalog, u.text) is None]


def broken_spans(catalog: Catalog) -> list[str]:
    """Messages whose translation lost or changed a LaTeX or code span of the English (one line each)."""
    out = []
    for message in catalog:
        english, translated = str(message.id), str(message.string)
        if message.id and message.string and not message.fuzzy and spans(english) != spans(translated):
            lost, added = spans(english) - spans(translated), spans(translated) - spans(english)
            where = ", ".join(f"{path}:cell {line}" for path, line in message.locations) or "?"
            out.append(f"{where}: spans lost {sorted(lost)}, spans not in the English {sorted(added)}")
    return out


def translate(nb: nbformat.NotebookNode, catalog: Catalog, lang: str, name: str) -> nbformat.NotebookNode:
    """A copy of `nb` with its prose in `lang` and `metadata.bpcourse.lang` set.

    Raises `CourseError` naming every untranslated cell: a notebook is never released half in English.
    """
    gaps = missing(nb, catalog, name)
    if gaps:
        listed = "\n  ".join(str(g) for g in gaps[:20])
        raise CourseError(
            f"{len(gaps)} untranslated text unit(s) in {name} ({lang}):\n  {listed}\n"
            f"Translate them in {catalog_path(Path('.'), lang, Path(name).stem)} or remove {Path(name).stem} "
            f"from {LOCALE_DIRNAME}/{lang}/{RELEASED_LIST}."
        )
    translations = {u.text: str(usable(catalog, u.text)) for u in text_units(nb)}  # all there: no gap above
    out = copy.deepcopy(nb)
    for cell in out.cells:
        if not is_translated_cell(cell):
            continue
        pieces = split_blocks(cell.source)
        cell.source = "".join(
            translations[_key(p)] + p[len(_key(p)):] if p.strip() and is_unit(p) else p for p in pieces
        )
    out.metadata.setdefault(LANG_KEY, {})["lang"] = lang
    return out


def notebook_lang(nb: nbformat.NotebookNode) -> str:
    """The language a notebook is written in (English when it says none)."""
    return (nb.metadata.get(LANG_KEY) or {}).get("lang", ENGLISH)


def student_lang(nb: nbformat.NotebookNode) -> str:
    """The language of a handed-in notebook, from its metadata (which the student can write): one the course has,
    else English. The grader writes the student's causes, and the kernel the helpers' hints, in it."""
    lang = notebook_lang(nb)
    return lang if lang in LANGUAGES else ENGLISH


# --- plot labels: English in the shared code cells, translated when drawn (bp_helpers.i18n, domain "plots") ----

PLOT_KEYWORDS = {"title", "xlabel", "ylabel", "label"}
PLOT_CALLS = {"set_title", "set_xlabel", "set_ylabel", "title", "xlabel", "ylabel", "suptitle"}
HELPER_PLOT_LABELS = ("value (forward)", "gradient (backward)", "loss (손실)", "step", "start")  # bp_helpers.plotting's
DICT_OF_CURVES = {"plot_functions", "plot_loss_curves"}  # their first argument's keys are legend entries


def _call_name(node: ast.Call) -> str:
    return node.func.attr if isinstance(node.func, ast.Attribute) else getattr(node.func, "id", "")


def _strings(node: ast.AST | None) -> list[str]:
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return [node.value]
    if isinstance(node, ast.List | ast.Tuple):
        return [s for item in node.elts for s in _strings(item)]
    return []


def plot_strings(nb: nbformat.NotebookNode) -> list[TextUnit]:
    """The titles, axis labels and legend entries that `nb`'s code cells give matplotlib or bp_helpers.plotting
    (string literals only; math-only ones, "$x$", are left alone)."""
    found = []
    for index, cell in enumerate(nb.cells):
        tree = parse(cell.source) if cell.cell_type == "code" else None
        for node in ast.walk(tree) if tree is not None else ():
            if not isinstance(node, ast.Call):
                continue
            texts = [s for kw in node.keywords if kw.arg in PLOT_KEYWORDS | {"labels"} for s in _strings(kw.value)]
            if _call_name(node) in PLOT_CALLS and node.args:
                texts += _strings(node.args[0])
            if _call_name(node) in DICT_OF_CURVES and node.args and isinstance(node.args[0], ast.Dict):
                texts += [s for key in node.args[0].keys for s in _strings(key)]
            found += [TextUnit(index, t) for t in texts if is_unit(t)]
    return found


# --- files -------------------------------------------------------------------------------------------------------


def locale_dir(root: Path, lang: str) -> Path:
    return root / LOCALE_DIRNAME / lang


def catalog_path(root: Path, lang: str, stem: str) -> Path:
    """`locale/<lang>/LC_MESSAGES/<stem>.po`: gettext's own layout, one domain per notebook."""
    return locale_dir(root, lang) / "LC_MESSAGES" / f"{stem}.po"


def read_catalog(path: Path, lang: str) -> Catalog:
    if not path.is_file():
        return Catalog(locale=lang)
    with path.open("rb") as fh:
        return read_po(fh, locale=lang)


def released(root: Path, lang: str) -> list[str]:
    """The notebook stems declared complete in `lang` (`locale/<lang>/notebooks.txt`; `#` starts a comment)."""
    path = locale_dir(root, lang) / RELEASED_LIST
    if not path.is_file():
        return []
    lines = (line.split("#", 1)[0].strip() for line in path.read_text(encoding="utf-8").splitlines())
    return [line for line in lines if line]


def template(nb: nbformat.NotebookNode, rel: str, lang: str) -> Catalog:
    """The catalog template of one notebook: each unit once, located by its cell (`#. cell N`, N from 0 as
    nbformat counts; the `#:` location is `rel:N+1`, since gettext tools take line 0 for none)."""
    cat = Catalog(locale=lang, domain=Path(rel).stem, project="backprop-course", fuzzy=False)
    for unit in text_units(nb):
        message = cat.get(unit.text)
        if message is None:
            cat.add(unit.text, locations=[(rel, unit.cell + 1)], auto_comments=[f"cell {unit.cell}"])
        else:  # the same block twice in one notebook: one message, every place listed
            message.locations.append((rel, unit.cell + 1))
            message.auto_comments.append(f"cell {unit.cell}")
    return cat


def extract(root: Path, release_root: Path, lang: str, stems: list[str] | None = None) -> list[Path]:
    """Write or update the catalog of every release notebook in `lang` (only `stems`, when given); return the
    catalogs written."""
    written = []
    for path in sorted(release_root.glob("*/*.ipynb")):
        if stems and path.stem not in stems:
            continue
        rel = f"{path.parent.name}/{path.name}"
        tmpl = template(nbformat.read(path, as_version=4), rel, lang)
        po = catalog_path(root, lang, path.stem)
        cat = read_catalog(po, lang) if po.is_file() else tmpl
        if po.is_file():
            cat.update(tmpl, update_creation_date=False)
        po.parent.mkdir(parents=True, exist_ok=True)
        with po.open("wb") as fh:
            write_po(fh, cat, width=0, ignore_obsolete=False, omit_header=False)
        written.append(po)
    return written


def plots_catalog_path(root: Path, lang: str) -> Path:
    return root / "bp_helpers" / "locale" / lang / "LC_MESSAGES" / "plots.po"


def extract_plots(root: Path, release_root: Path, lang: str, stems: list[str]) -> Path:
    """Add the plot labels of the notebooks `stems` to the `plots` catalog of `lang` (others' entries kept)."""
    po = plots_catalog_path(root, lang)
    cat = read_catalog(po, lang)
    if not po.is_file():
        cat = Catalog(locale=lang, domain="plots", project="backprop-course", fuzzy=False)
    for text in HELPER_PLOT_LABELS:
        if cat.get(text) is None:
            cat.add(text, locations=[("bp_helpers/plotting.py", 1)])
    for path in sorted(release_root.glob("*/*.ipynb")):
        if path.stem not in stems:
            continue
        rel = f"{path.parent.name}/{path.name}"
        for unit in plot_strings(nbformat.read(path, as_version=4)):
            if cat.get(unit.text) is None:
                cat.add(unit.text, locations=[(rel, unit.cell + 1)], auto_comments=[f"cell {unit.cell}"])
    po.parent.mkdir(parents=True, exist_ok=True)
    with po.open("wb") as fh:
        write_po(fh, cat, width=0)
    return po


def translate_release(root: Path, release_root: Path, lang: str, out_root: Path) -> list[Path]:
    """Write the `lang` edition of every declared notebook of `release_root` into `out_root/<assignment>/`."""
    written = []
    stems = released(root, lang)
    notebooks = {p.stem: p for p in release_root.glob("*/*.ipynb")}
    unknown = [s for s in stems if s not in notebooks]
    if unknown:
        raise CourseError(f"{LOCALE_DIRNAME}/{lang}/{RELEASED_LIST} names no release notebook: {', '.join(unknown)}")
    for stem in stems:
        src = notebooks[stem]
        rel = f"{src.parent.name}/{src.name}"
        nb = translate(nbformat.read(src, as_version=4), read_catalog(catalog_path(root, lang, stem), lang), lang, rel)
        target = out_root / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        nbformat.write(nb, target)
        written.append(target)
    return written


def main(argv: list[str] | None = None) -> int:
    from grader.course.paths import repo_root

    args = sys.argv[1:] if argv is None else argv
    if not args or args[0] != "extract":
        print("usage: python -m grader.course.i18n extract LANG [NOTEBOOK_STEM ...]  (locale/LANG/LC_MESSAGES/*.po)")
        return 2
    lang = args[1] if len(args) > 1 else "ko"
    from grader.course.release import generate_release

    # from a fresh English release of solutions/, built aside: course/ may be older (a declared notebook whose
    # English changed cannot be released until its catalog is updated from this very extraction)
    with tempfile.TemporaryDirectory(prefix="bpcourse-extract-") as tmp:
        built = Path(tmp) / "course"
        generate_release(built)
        for po in extract(repo_root(), built, lang, args[2:]):
            print(po.relative_to(repo_root()))
        stems = args[2:] or [p.stem for p in built.glob("*/*.ipynb")]
        print(extract_plots(repo_root(), built, lang, stems).relative_to(repo_root()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
