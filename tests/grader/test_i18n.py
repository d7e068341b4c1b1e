"""Is the Korean edition (course-ko/) the English release with only its prose translated, and is none of it left
in English? (Issue 25; the machinery is grader/course/i18n.py.)

All fast: they read course/, course-ko/ and the catalogs, and translate in memory.
"""

from __future__ import annotations

import copy
import os
from pathlib import Path

import nbformat
import pytest
from conftest import ROOT

from grader.course import i18n
from grader.errors import CourseError

LANG = "ko"
DECLARED = i18n.released(ROOT, LANG)
RELEASE = {p.stem: p for p in (ROOT / "course").glob("*/*.ipynb")}


def _rel(stem: str) -> str:
    return f"{RELEASE[stem].parent.name}/{RELEASE[stem].name}"


def _catalog(stem: str):
    return i18n.read_catalog(i18n.catalog_path(ROOT, LANG, stem), LANG)


def _english(stem: str) -> nbformat.NotebookNode:
    return nbformat.read(RELEASE[stem], as_version=4)


def _korean(stem: str) -> nbformat.NotebookNode:
    return nbformat.read(ROOT / "course-ko" / _rel(stem), as_version=4)


def test_some_notebooks_are_declared() -> None:
    """The declared list is read (an empty list would make every test below pass on nothing)."""
    assert "01_term" in DECLARED, DECLARED


@pytest.mark.parametrize("stem", DECLARED)
def test_every_english_unit_has_its_translation(stem: str) -> None:
    """Every text unit of the current English release has a reviewed (non-fuzzy, non-empty) Korean translation:
    an English sentence added or changed without its Korean fails here, with the notebook and cell named."""
    gaps = i18n.missing(_english(stem), _catalog(stem), _rel(stem))
    assert not gaps, (
        f"{len(gaps)} English text unit(s) without Korean (run `python -m grader.course.i18n extract ko {stem}`, "
        f"translate in {i18n.catalog_path(Path('.'), LANG, stem)}):\n" + "\n".join(map(str, gaps))
    )


@pytest.mark.parametrize("stem", DECLARED)
def test_latex_and_code_spans_survive_translation(stem: str) -> None:
    """Each translation keeps every $..$, $$..$$ and `..` span of its English, unchanged."""
    assert not i18n.broken_spans(_catalog(stem))


@pytest.mark.parametrize("stem", DECLARED)
def test_korean_edition_is_fresh_and_marked(stem: str) -> None:
    """course-ko/ holds exactly the translation of course/ by the catalog (run `bpcourse release`), marked ko."""
    expected = i18n.translate(_english(stem), _catalog(stem), LANG, _rel(stem))
    assert _korean(stem) == expected, f"course-ko/{_rel(stem)} is stale: run `bpcourse release`"
    assert i18n.notebook_lang(_korean(stem)) == LANG


def test_only_declared_notebooks_are_released_in_korean() -> None:
    """course-ko/ has the declared notebooks and nothing else (no half-translated notebook)."""
    released = sorted(p.stem for p in (ROOT / "course-ko").glob("*/*.ipynb"))
    assert released == sorted(DECLARED)


@pytest.mark.parametrize("stem", DECLARED)
def test_code_and_grading_are_bit_identical(stem: str) -> None:
    """Code cells, graded cells, grade ids, points and checksums are the same in both editions; only plain
    Markdown differs, and every plain Markdown cell with words in it does differ (no English cell left)."""
    english, korean = _english(stem), _korean(stem)
    assert len(english.cells) == len(korean.cells)
    for index, (en, ko) in enumerate(zip(english.cells, korean.cells, strict=True)):
        if i18n.is_translated_cell(en):
            assert en.metadata == ko.metadata, f"cell {index}"
            has_words = any(u.cell == index for u in i18n.text_units(english))
            assert (en.source != ko.source) == has_words, f"cell {index}"
        else:
            assert en == ko, f"{stem} cell {index} ({en.cell_type}) differs between the editions"


def test_a_changed_english_sentence_names_its_notebook_and_cell() -> None:
    """Adding a sentence to an English paragraph, or a new paragraph, is reported with the cell it is in."""
    nb = _english("01_term")
    changed = copy.deepcopy(nb)
    cell = next(i for i, c in enumerate(changed.cells) if i18n.is_translated_cell(c) and i > 2)
    changed.cells[cell].source += " A new sentence."
    changed.cells[0].source += "\n\nA new paragraph."
    gaps = [str(g) for g in i18n.missing(changed, _catalog("01_term"), _rel("01_term"))]
    assert len(gaps) == 2, gaps
    assert gaps[0].startswith("01_term/01_term.ipynb cell 0: ") and "A new paragraph." in gaps[0]
    assert gaps[1].startswith(f"01_term/01_term.ipynb cell {cell}: ")
    with pytest.raises(CourseError, match="cell 0"):
        i18n.translate(changed, _catalog("01_term"), LANG, _rel("01_term"))


def test_fuzzy_and_empty_translations_count_as_missing() -> None:
    """A fuzzy translation (the English changed under it) or an empty one is never released."""
    nb = _english("01_term")
    for mark in ("fuzzy", "empty"):
        catalog = _catalog("01_term")
        unit = i18n.text_units(nb)[3]
        message = catalog.get(unit.text)
        if mark == "fuzzy":
            message.flags.add("fuzzy")
        else:
            message.string = ""
        assert [g.cell for g in i18n.missing(nb, catalog, "x")] == [unit.cell], mark


def test_a_lost_span_is_reported() -> None:
    """A translation that drops or alters a LaTeX or code span is flagged."""
    catalog = _catalog("01_term")
    message = next(m for m in catalog if m.id and "`propagate_back`" in m.id and "$" in m.id)
    message.string = message.string.replace("`propagate_back`", "propagate_back")
    assert len(i18n.broken_spans(catalog)) == 1


@pytest.mark.parametrize("path", sorted((ROOT / "course").glob("*/*.ipynb")), ids=lambda p: p.stem)
def test_blocks_rejoin_to_the_cell(path: Path) -> None:
    """Cutting a cell into blocks loses nothing (the translation puts the blocks back in place)."""
    for cell in nbformat.read(path, as_version=4).cells:
        assert "".join(i18n.split_blocks(cell.source)) == cell.source


def test_display_math_and_code_are_not_units() -> None:
    assert not i18n.is_unit("$$x_0 \\xrightarrow{f_0} x_1$$")
    assert not i18n.is_unit("```python\n```")
    assert i18n.is_unit("Take a chain of $K$ steps")
    assert i18n.split_blocks("a\n\n$$x\n\ny$$\n\nb") == ["a\n", "\n", "$$x\n\ny$$\n", "\n", "b"]


def test_start_in_korean_gives_the_korean_notebooks(tmp_path, capsys, monkeypatch) -> None:
    """`bpcourse start --lang ko` delivers course-ko/'s notebooks, English ones for the rest (said so), and sets
    BPCOURSE_LANG for the student's kernels; `--fresh` renews a notebook in Korean too."""
    from grader.cli import main

    monkeypatch.setenv("BPCOURSE_LANG", "en")  # restored (unset) after the test: start sets it for the Lab
    dest = tmp_path / "course"
    assert main(["start", "--lang", "ko", "--no-lab", str(dest)]) == 0
    korean = nbformat.read(dest / _rel("01_term"), as_version=4)
    assert i18n.notebook_lang(korean) == "ko" and korean == _korean("01_term")
    english = [stem for stem in sorted(RELEASE) if stem not in DECLARED]
    for stem in english:
        assert (dest / _rel(stem)).read_bytes() == RELEASE[stem].read_bytes()
    said = capsys.readouterr().out
    from grader.course.words import say

    untranslated = say("ko", "in English until translated: {names}", names="").strip()
    assert (untranslated in said) == bool(english), said
    assert say("ko", "your course folder: {folder}", folder=dest) in said, said  # start speaks the course's language
    for stem in DECLARED:
        assert i18n.notebook_lang(nbformat.read(dest / _rel(stem), as_version=4)) == "ko", stem
    assert os.environ["BPCOURSE_LANG"] == "ko"
    (dest / _rel("01_term")).write_text("", encoding="utf-8")
    assert main(["start", "--lang", "ko", "--no-lab", "--fresh", "01_term", str(dest)]) == 0
    assert nbformat.read(dest / _rel("01_term"), as_version=4) == _korean("01_term")


@pytest.mark.parametrize("stem", DECLARED)
def test_every_plot_label_has_its_translation(stem: str) -> None:
    """Each title, axis label and legend entry the notebook's code gives a plot is in the `plots` catalog, translated
    (`python -m grader.course.i18n extract ko STEM`, then `python -m bp_helpers.i18n compile`)."""
    catalog = i18n.read_catalog(i18n.plots_catalog_path(ROOT, LANG), LANG)
    gaps = [f"{_rel(stem)} cell {u.cell}: {u.text!r}" for u in i18n.plot_strings(_english(stem))
            if i18n.usable(catalog, u.text) is None]
    assert not gaps, "plot labels without Korean:\n" + "\n".join(gaps)


def test_plots_are_labelled_in_korean_in_the_korean_course() -> None:
    """With BPCOURSE_LANG=ko, 01_term's own plot call draws a Korean title and legend (a kernel of its own: the
    translation hook is process-wide); in English the same call is untouched."""
    import subprocess
    import sys

    code = (
        "import numpy as np; from bp_helpers.plotting import plot_functions; "
        "ax = plot_functions({'dy/dx (your chain_backward)': np.cos}, x_range=(-1.5, 1.0), "
        "title='the chain and its derivative (합성 함수와 도함수; derivative scaled by 1/10)'); "
        "print(ax.get_title()); print(ax.get_legend().get_texts()[0].get_text()); print(ax.get_xlabel())"
    )
    korean = ["합성 함수와 도함수 (도함수는 1/10로 축소)", "dy/dx (여러분의 chain_backward)", "x"]
    for lang, expected in [("ko", korean),
                           ("en", ["the chain and its derivative (합성 함수와 도함수; derivative scaled by 1/10)",
                                   "dy/dx (your chain_backward)", "x"])]:
        env = {**os.environ, "BPCOURSE_LANG": lang, "MPLBACKEND": "Agg"}
        done = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True)
        assert done.stdout.splitlines() == expected, (lang, done.stdout, done.stderr)


def test_a_notebook_that_imports_only_the_test_helpers_still_draws_korean_labels() -> None:
    """04c imports bp_helpers.testing, never bp_helpers.plotting, and draws its own figures: are their labels
    Korean in the Korean course (the hook is installed by importing any of bp_helpers)?"""
    import subprocess
    import sys

    code = ("import bp_helpers.testing; import matplotlib.pyplot as plt; "
            "fig, ax = plt.subplots(); ax.set_xlabel('depth L'); print(ax.get_xlabel())")
    env = {**os.environ, "BPCOURSE_LANG": "ko", "MPLBACKEND": "Agg"}
    done = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "깊이 L", (done.stdout, done.stderr)


def test_a_notebook_the_edition_lacks_is_delivered_in_english(tmp_path) -> None:
    """With every notebook translated, the fallback still holds: an edition folder without 01_term gives the
    English 01_term and the Korean rest."""
    import shutil

    from grader.student.start import copy_course

    edition = tmp_path / "course-ko"
    shutil.copytree(ROOT / "course-ko", edition)
    (edition / _rel("01_term")).unlink()
    copy_course(ROOT / "course", tmp_path / "mine", edition)
    assert (tmp_path / "mine" / _rel("01_term")).read_bytes() == RELEASE["01_term"].read_bytes()
    assert i18n.notebook_lang(nbformat.read(tmp_path / "mine" / _rel("02b_loss"), as_version=4)) == "ko"
