"""Does every notebook take its Korean terms from the one glossary, bp_helpers/glossary.csv?

Two rules, both checked on every cell (Markdown and code) of every solution notebook (the release is generated from
them):

- no notebook uses a rendering the glossary lists under `avoid` (the variants that once made notebooks disagree,
  e.g. 전방 모드 where the course says 순방향 모드);
- every Korean term written in parentheses after an English word, "gradient (기울기)", is a glossary term, or a
  phrase of glossary terms joined by a particle ("계산 그래프와 연쇄 법칙"). Quoted Korean (the seed's own words,
  "빠르고 확실한 학습") is a quotation, not a term, and is left alone.
"""

from __future__ import annotations

import re
from pathlib import Path

import nbformat
import pytest
from conftest import SOLUTION_NOTEBOOKS, notebook_id

from bp_helpers import glossary

HANGUL = re.compile(r"[\uac00-\ud7a3]")
# a parenthesis that follows a non-Korean character (an English word, `code`, *emphasis*): "term (용어)"
AFTER_ENGLISH = re.compile(r"(?<![\uac00-\ud7a3\s])\s*\(([^()]*)\)")
PARTICLES = {"와", "과", "대", "및", "또는"}  # what may join two glossary terms in one parenthesis


def _cells(path: Path) -> list[tuple[int, str]]:
    return [(index, cell.source) for index, cell in enumerate(nbformat.read(path, as_version=4).cells)]


def unknown_words(segment: str, known: list[str]) -> list[str]:
    """The Korean words of `segment` left over once every glossary term (longest first) is taken out."""
    rest = segment
    for term in known:
        rest = rest.replace(term, " ")
    return [word for word in rest.split() if HANGUL.search(word) and word not in PARTICLES]


def korean_segments(source: str) -> list[str]:
    """Korean terms in parentheses after an English word: each comma-, colon- or semicolon-separated part of a
    parenthesis that holds Korean and no quotation mark."""
    found = []
    for match in AFTER_ENGLISH.finditer(source):
        for part in re.split(r"[,:;]", match.group(1)):
            part = part.strip()
            if HANGUL.search(part) and not re.search("[\"'“”‘’]", part):
                found.append(part)
    return found


def avoided_uses(source: str) -> list[tuple[str, glossary.Term]]:
    """(variant, term) for every avoided rendering in `source` that starts a word."""
    return [(variant, term) for variant, term in glossary.avoided().items()
            if re.search(r"(?<![\uac00-\ud7a3])" + re.escape(variant), source)]


@pytest.mark.parametrize("path", SOLUTION_NOTEBOOKS, ids=notebook_id)
def test_notebook_uses_no_avoided_rendering(path: Path) -> None:
    """Does the notebook avoid every Korean rendering that the glossary replaces with its own term?"""
    problems = [f"cell {index}: {variant!r} where the glossary says {term.korean!r} ({term.english})"
                for index, source in _cells(path) for variant, term in avoided_uses(source)]
    assert not problems, f"{notebook_id(path)} uses renderings the glossary avoids:\n" + "\n".join(problems)


@pytest.mark.parametrize("path", SOLUTION_NOTEBOOKS, ids=notebook_id)
def test_every_korean_term_in_parentheses_is_in_the_glossary(path: Path) -> None:
    """Is every "English (한국어)" term of the notebook a glossary term (or glossary terms joined by a particle)?"""
    known = sorted(glossary.korean_terms(), key=len, reverse=True)
    problems = [f"cell {index}: ({segment}) has {words}"
                for index, source in _cells(path) for segment in korean_segments(source)
                if (words := unknown_words(segment, known))]
    assert not problems, (
        f"{notebook_id(path)} uses Korean terms that bp_helpers/glossary.csv does not hold: use the glossary's term, "
        "or add a row for a new one (English, Korean, definition):\n" + "\n".join(problems))


def test_the_checks_catch_what_they_should() -> None:
    """Do the two rules flag a variant rendering and an unknown term, and pass the glossary's own terms?"""
    known = sorted(glossary.korean_terms(), key=len, reverse=True)
    assert [v for v, _ in avoided_uses("forward-mode AD (전방 모드 자동 미분)")] == ["전방 모드"]
    assert [v for v, _ in avoided_uses("one epoch (에폭) at a time")] == ["에폭"]
    assert avoided_uses("forward mode (순방향 모드), one epoch (에포크)") == []
    assert korean_segments('gradient (기울기), a "quote" ("빠르고 확실한 학습"), 역전파 (逆傳播)') == ["기울기"]
    assert korean_segments("the loss (손실: one number)") == ["손실"]
    assert unknown_words("계산 그래프와 연쇄 법칙", known) == []
    assert unknown_words("He 초기화", known) == []
    assert unknown_words("상류 신호", known) == ["상류", "신호"]


def test_glossary_renders_in_step_1() -> None:
    """Does 01_term show the glossary from the data file (not a hand-kept copy of it)?"""
    sources = [source for _, source in _cells(next(p for p in SOLUTION_NOTEBOOKS if p.name == "01_term.ipynb"))]
    assert any("from bp_helpers.glossary import show" in s and "show()" in s for s in sources)
    hand_kept = [s for s in sources if "| backpropagation | 역전파" in s]
    assert not hand_kept, "01_term keeps a glossary table by hand: render it from bp_helpers/glossary.csv"
