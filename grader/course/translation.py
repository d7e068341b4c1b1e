"""Korean edition (issue 25): gettext catalogs of the markdown cells of the English release, via Babel.

One message per markdown block (a paragraph, a list, a table, a heading, a fenced block); a block that is pure display
LaTeX (`$$...$$` alone) is not a message: it is kept as written. Each message's location is
`<assignment>/<notebook>.ipynb#<cell id>` with the cell's index as the line, so Poedit and a failing test name the
cell. Catalogs live in `i18n/ko/<assignment>/<notebook>.po`, beside the code they translate, one per notebook so that
a notebook is released in Korean only once its own catalog is complete.

The messages are read from `course/` (the English release, generated from `solutions/`): the Korean edition is built
from that release, so its catalog holds exactly the text a student reads (no model answers, no hidden solutions).
Cells with nbgrader metadata (a written answer's cell) are left alone: nbgrader checks their source.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import nbformat
from babel.messages.catalog import Catalog
from babel.messages.pofile import read_po, write_po

LANG = "ko"
I18N_DIRNAME = "i18n"
PURE_MATH = re.compile(r"^\$\$.*\$\$$", re.DOTALL)


@dataclass(frozen=True)
class Block:
    """One translatable block of a markdown cell."""

    cell_index: int
    cell_id: str
    text: str


def split_blocks(source: str) -> list[str]:
    """A markdown cell's blocks: runs of lines separated by blank lines, a fenced (```) or display-math ($$) block
    kept whole even across blank lines. Joining the result with blank lines gives the source back (trailing spaces
    of blank lines aside)."""
    blocks, current, fence = [], [], None
    for line in source.split("\n"):
        stripped = line.strip()
        if fence is None and not stripped:
            if current:
                blocks.append("\n".join(current))
                current = []
            continue
        current.append(line)
        if stripped.startswith("```"):
            fence = None if fence == "```" else "```"
        elif stripped.count("$$") % 2 == 1 and fence in (None, "$$"):
            fence = None if fence == "$$" else "$$"
    if current:
        blocks.append("\n".join(current))
    return blocks


def translatable(text: str) -> bool:
    """False for a block that is display LaTeX alone: it reads the same in every language."""
    return not PURE_MATH.match(text.strip())


def _is_prose(cell) -> bool:
    return cell.cell_type == "markdown" and "nbgrader" not in cell.metadata


def blocks_of(nb: nbformat.NotebookNode) -> list[Block]:
    """Every translatable block of a notebook's prose cells, in order."""
    return [Block(index, cell.get("id", ""), text)
            for index, cell in enumerate(nb.cells) if _is_prose(cell)
            for text in split_blocks(cell.source) if translatable(text)]


def location(rel: str, block: Block) -> tuple[str, int]:
    """`(01_term/01_term.ipynb#<cell id>, cell index)`: the message's place, as Poedit shows it."""
    return (f"{rel}#{block.cell_id}", block.cell_index)


def catalog_path(i18n_root: Path, rel: str, lang: str = LANG) -> Path:
    """`i18n/ko/01_term/01_term.po` for `01_term/01_term.ipynb`."""
    return i18n_root / lang / Path(rel).with_suffix(".po")


def read_catalog(path: Path) -> Catalog | None:
    if not path.exists():
        return None
    with path.open("rb") as handle:
        return read_po(handle, locale=LANG)


def update_catalog(nb: nbformat.NotebookNode, rel: str, path: Path) -> Catalog:
    """Write the catalog of one notebook: its blocks as messages, earlier translations kept; a message whose English
    changed gets the old translation marked fuzzy (Babel's update matches it), a dropped one becomes obsolete."""
    template = Catalog(locale=LANG, project="backprop-course", domain=Path(rel).stem)
    for block in blocks_of(nb):
        template.add(block.text, locations=[location(rel, block)])
    catalog = read_catalog(path) or Catalog(locale=LANG, project="backprop-course", domain=Path(rel).stem)
    template.creation_date = catalog.creation_date  # no header churn: an unchanged notebook gives the same file
    catalog.update(template, no_fuzzy_matching=False)
    catalog.obsolete.clear()  # a changed sentence's old translation is in its fuzzy entry already
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("wb") as handle:
        write_po(handle, catalog, width=0, sort_output=False, include_previous=True)
    return catalog


@dataclass(frozen=True)
class Gap:
    """Why a notebook's catalog is not complete: the cell and the English block lacking a translation."""

    location: str
    cell_index: int
    reason: str  # "untranslated", "fuzzy" or "no catalog entry"
    english: str


def gaps(nb: nbformat.NotebookNode, rel: str, catalog: Catalog | None) -> list[Gap]:
    """Every block of `nb` the catalog does not translate for release (missing, empty or fuzzy)."""
    found = []
    for block in blocks_of(nb):
        where = location(rel, block)
        message = catalog.get(block.text) if catalog else None
        reason = ("no catalog entry" if message is None else "untranslated" if not message.string
                  else "fuzzy" if message.fuzzy else None)
        if reason:
            found.append(Gap(where[0], where[1], reason, block.text[:60]))
    return found


def translate(nb: nbformat.NotebookNode, catalog: Catalog, lang: str = LANG) -> nbformat.NotebookNode:
    """A copy of `nb` with each prose block replaced by its translation and `metadata.bpcourse.lang` set; every
    other cell and key untouched. Call only when `gaps` is empty."""
    out = nbformat.from_dict(nb)
    for cell in out.cells:
        if _is_prose(cell):
            cell.source = "\n\n".join(catalog.get(text).string if translatable(text) else text
                                      for text in split_blocks(cell.source))
    out.metadata.setdefault("bpcourse", {})["lang"] = lang
    return out


def update_all(course: Path, i18n_root: Path) -> list[Path]:
    """`bpcourse translations update`: refresh every notebook's catalog from the English release `course`."""
    written = []
    for path in sorted(course.glob("*/*.ipynb")):
        rel = f"{path.parent.name}/{path.name}"
        update_catalog(nbformat.read(path, as_version=4), rel, catalog_path(i18n_root, rel))
        written.append(catalog_path(i18n_root, rel))
    return written
