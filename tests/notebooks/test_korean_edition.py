"""The Korean edition (issue 25): catalogs of the English release's prose, course-ko/ built only from complete ones.

Fast: no notebook runs. A fully "translated" catalog is made here on the real 01_term release (each block prefixed
with Korean) to show the release keeps every code cell, grade id and key but the language bit-identical.
"""

from __future__ import annotations

import re
from pathlib import Path

import nbformat
import pytest
from conftest import ROOT

from grader.course.release import KOREAN_DIRNAME, release_korean
from grader.course.translation import (
    I18N_DIRNAME,
    blocks_of,
    catalog_path,
    gaps,
    read_catalog,
    split_blocks,
    update_catalog,
)

COURSE = ROOT / "course"
KOREAN_NOTEBOOKS = sorted((ROOT / KOREAN_DIRNAME).glob("*/*.ipynb"))
SPANS = re.compile(r"\$\$.*?\$\$|\$[^$]+\$|`[^`]+`", re.DOTALL)
REL = "01_term/01_term.ipynb"


def _filled(tmp_path: Path, rel: str = REL) -> tuple[Path, Path]:
    """A scratch course/ with one notebook and an i18n/ whose catalog translates every block (prefix '번역: ')."""
    course, i18n = tmp_path / "course", tmp_path / I18N_DIRNAME
    (course / Path(rel).parent).mkdir(parents=True)
    (course / rel).write_bytes((COURSE / rel).read_bytes())
    catalog = update_catalog(nbformat.read(course / rel, as_version=4), rel, catalog_path(i18n, rel))
    for message in catalog:
        if message.id:
            message.string = "번역: " + message.id
    from babel.messages.pofile import write_po
    with catalog_path(i18n, rel).open("wb") as handle:
        write_po(handle, catalog, width=0)
    return course, i18n


def test_split_blocks_keeps_display_math_whole() -> None:
    source = "Para one\nstill one.\n\n$$a\n\nb$$\n\n- item\n- item"
    assert split_blocks(source) == ["Para one\nstill one.", "$$a\n\nb$$", "- item\n- item"]


def test_korean_release_changes_prose_only(tmp_path: Path) -> None:
    """Code cells, nbgrader metadata and every other key bit-identical; markdown prose translated; lang = ko."""
    course, _ = _filled(tmp_path)
    [written] = release_korean(course, tmp_path / KOREAN_DIRNAME)
    en, ko = nbformat.read(course / REL, as_version=4), nbformat.read(written, as_version=4)
    assert ko.metadata.pop("bpcourse") == {"lang": "ko"} and ko.metadata == en.metadata
    assert len(en.cells) == len(ko.cells)
    for e, k in zip(en.cells, ko.cells, strict=True):
        assert (e.cell_type, e.get("id"), e.metadata) == (k.cell_type, k.get("id"), k.metadata)
        if e.cell_type == "code" or "nbgrader" in e.metadata:
            assert e.source == k.source
    assert sum("번역: " in c.source for c in ko.cells) == len({b.cell_index for b in blocks_of(en)})


def test_changed_english_sentence_names_the_cell(tmp_path: Path) -> None:
    """An English sentence changed without its translation: the notebook is not released in Korean, and the gap
    names the notebook and the cell; after `update` the old translation is fuzzy, still not released."""
    course, i18n = _filled(tmp_path)
    nb = nbformat.read(course / REL, as_version=4)
    index = next(i for i, c in enumerate(nb.cells) if c.cell_type == "markdown" and "chain rule" in c.source)
    nb.cells[index].source = nb.cells[index].source.replace("chain rule", "chain  rule", 1)
    nbformat.write(nb, course / REL)
    found = gaps(nb, REL, read_catalog(catalog_path(i18n, REL)))
    assert [(g.location, g.cell_index, g.reason) for g in found] == [
        (f"{REL}#{nb.cells[index].id}", index, "no catalog entry")]
    assert release_korean(course, tmp_path / KOREAN_DIRNAME) == []
    update_catalog(nb, REL, catalog_path(i18n, REL))
    assert [g.reason for g in gaps(nb, REL, read_catalog(catalog_path(i18n, REL)))] == ["fuzzy"]
    assert release_korean(course, tmp_path / KOREAN_DIRNAME) == []


def test_course_ko_is_fresh(tmp_path: Path) -> None:
    """course-ko/ is what `bpcourse release` builds from course/ and i18n/ now (never edited by hand)."""
    built = release_korean(COURSE, tmp_path / KOREAN_DIRNAME)
    assert [p.relative_to(tmp_path / KOREAN_DIRNAME) for p in built] == [
        p.relative_to(ROOT / KOREAN_DIRNAME) for p in KOREAN_NOTEBOOKS]
    for made, committed in zip(built, KOREAN_NOTEBOOKS, strict=True):
        assert made.read_bytes() == committed.read_bytes(), committed


@pytest.mark.parametrize("path", KOREAN_NOTEBOOKS, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_released_korean_notebook_keeps_latex_and_code_spans(path: Path) -> None:
    """Every message of a released Korean notebook is translated, with the same LaTeX and code spans."""
    rel = f"{path.parent.name}/{path.name}"
    catalog = read_catalog(catalog_path(ROOT / I18N_DIRNAME, rel))
    en = nbformat.read(COURSE / rel, as_version=4)
    assert not gaps(en, rel, catalog)
    pairs = [(b, catalog.get(b.text).string) for b in blocks_of(en)]
    bad = [f"{rel} cell {b.cell_index}: {sorted(set(SPANS.findall(b.text)) ^ set(SPANS.findall(ko)))}"
           for b, ko in pairs if sorted(SPANS.findall(b.text)) != sorted(SPANS.findall(ko))]
    assert not bad, "\n".join(bad)


def _started_catalogs() -> list[str]:
    """Notebooks whose Korean catalog has at least one translation: once started, a catalog must stay current."""
    found = []
    for path in sorted((ROOT / I18N_DIRNAME / "ko").glob("*/*.po")):
        catalog = read_catalog(path)
        if any(m.id and m.string for m in catalog):
            found.append(f"{path.parent.name}/{path.stem}.ipynb")
    return found


@pytest.mark.parametrize("rel", _started_catalogs())
def test_translated_notebook_has_no_gap(rel: str) -> None:
    """An English sentence changed (or added) without its Korean fails here, naming the notebook and the cell;
    `bpcourse translations update` then marks it fuzzy for the translator."""
    en = nbformat.read(COURSE / rel, as_version=4)
    found = gaps(en, rel, read_catalog(catalog_path(ROOT / I18N_DIRNAME, rel)))
    assert not found, "\n".join(f"{g.location} (cell {g.cell_index}): {g.reason}: {g.english!r}" for g in found)
