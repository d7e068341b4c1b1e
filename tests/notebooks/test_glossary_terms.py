"""Does every notebook take its Korean terms from the one glossary, bp_helpers/glossary.csv?

Three rules, all checked on every cell (Markdown and code) of every solution notebook (the release is generated from
them):

- no notebook uses a rendering the glossary lists under `avoid` (the variants that once made notebooks disagree,
  e.g. 전방 모드 where the course says 순방향 모드) or under `seen` (renderings common elsewhere, e.g. 우도, that
  students are shown in the glossary but the course does not write);
- every Korean term written in parentheses after an English word, "gradient (기울기)", is a glossary term, or a
  phrase of glossary terms joined by a particle ("계산 그래프와 연쇄 법칙"). Quoted Korean (the seed's own words,
  "빠르고 확실한 학습") is a quotation, not a term, and is left alone;
- an English glossary term followed by Korean in parentheses gets its own Korean term there: "regularisation
  (규제)", never "regularisation (정규화)" (정규화 is normalisation's term, both real glossary terms).

`test_each_rule_fails_on_a_notebook_that_breaks_it` writes small notebooks that break each rule and runs the same
checks on them.
"""

from __future__ import annotations

import re
from pathlib import Path

import nbformat
import pytest
from conftest import KOREAN_NOTEBOOKS, SOLUTION_NOTEBOOKS, notebook_id

from bp_helpers import glossary

HANGUL = re.compile(r"[\uac00-\ud7a3]")
# a parenthesis that follows a non-Korean character (an English word, `code`, *emphasis*): "term (용어)"
AFTER_ENGLISH = re.compile(r"(?<![\uac00-\ud7a3\s])\s*\(([^()]*)\)")
PARTICLES = {"와", "과", "대", "및", "또는"}  # what may join two glossary terms in one parenthesis


def edition_id(path: Path) -> str:
    """`01_term/01_term.ipynb`, or `ko:01_term/01_term.ipynb` for the Korean edition's (all of whose prose is
    Korean: the rules hold there too, and an avoided rendering is as wrong in a translation)."""
    return ("ko:" if path.parent.parent.name == "course-ko" else "") + notebook_id(path)


def _cells(path: Path) -> list[tuple[int, str]]:
    return [(index, cell.source) for index, cell in enumerate(nbformat.read(path, as_version=4).cells)]


def _spelling(text: str) -> str:
    """Lower case, British and American spellings made one ("normalization" -> "normalisation")."""
    return text.lower().replace("iz", "is").replace("yz", "ys")


# The terms whose Korean issue 22 settled, each against a look-alike: an English name of one of them followed by
# Korean in parentheses must hold its own Korean ("regularisation (규제)", never "(정규화)", normalisation's term).
PAIRED = ("regularisation", "normalisation (of activations)", "layer normalisation (LayerNorm)",
          "batch normalisation (BatchNorm)", "local minimum", "local derivative", "topological order",
          "reverse topological order", "skip connection", "residual connection")


def english_keys() -> dict[str, glossary.Term]:
    """The English names of the PAIRED terms as they stand before "(한국어)", spelling made one: "layer
    normalisation (LayerNorm)" gives "layer normalisation" and "layernorm" (a parenthesis holding a capital is
    another name; one without, "(of activations)", only narrows the meaning)."""
    keys: dict[str, glossary.Term] = {}
    for term in glossary.terms():
        if term.english not in PAIRED:
            continue
        keys[_spelling(re.sub(r"\s*\([^()]*\)", "", term.english))] = term
        inner = re.search(r"\(([^()]*)\)$", term.english)
        if inner and re.search("[A-Z]", inner.group(1)):
            keys[_spelling(inner.group(1))] = term
    return keys


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


def mismatched_pairs(source: str) -> list[tuple[str, str, glossary.Term]]:
    """(English, Korean, term) for every "English (한국어)" of `source` whose English is a glossary term (the longest
    that ends the text before the parenthesis) and whose Korean holds none of that term's Korean names."""
    keys = english_keys()
    found = []
    for match in AFTER_ENGLISH.finditer(source):
        korean_part = match.group(1)
        if not HANGUL.search(korean_part) or re.search("[\"'“”‘’]", korean_part):
            continue
        before = _spelling(re.sub(r"\s+", " ", re.sub(r"[*_`]", "", source[max(0, match.start() - 80):match.start()])))
        ends = [key for key in keys if re.search(r"(?<![a-z-])" + re.escape(key) + r"$", before.rstrip())]
        if not ends:
            continue
        term = keys[max(ends, key=len)]
        if not any(name in korean_part for name in (term.korean, *term.also)):
            found.append((max(ends, key=len), korean_part, term))
    return found


def avoided_problems(path: Path) -> list[str]:
    return [f"cell {index}: {variant!r} where the glossary says {term.korean!r} ({term.english})"
            for index, source in _cells(path) for variant, term in avoided_uses(source)]


def unknown_problems(path: Path) -> list[str]:
    known = sorted(glossary.korean_terms(), key=len, reverse=True)
    return [f"cell {index}: ({segment}) has {words}"
            for index, source in _cells(path) for segment in korean_segments(source)
            if (words := unknown_words(segment, known))]


def mismatch_problems(path: Path) -> list[str]:
    return [f"cell {index}: {english} ({korean_part}) where the glossary says {term.korean!r} ({term.english})"
            for index, source in _cells(path) for english, korean_part, term in mismatched_pairs(source)]


@pytest.mark.parametrize("path", SOLUTION_NOTEBOOKS + KOREAN_NOTEBOOKS, ids=edition_id)
def test_notebook_uses_no_avoided_rendering(path: Path) -> None:
    """Does the notebook avoid every Korean rendering that the glossary replaces with its own term?"""
    problems = avoided_problems(path)
    assert not problems, f"{notebook_id(path)} uses renderings the glossary avoids:\n" + "\n".join(problems)


@pytest.mark.parametrize("path", SOLUTION_NOTEBOOKS + KOREAN_NOTEBOOKS, ids=edition_id)
def test_every_korean_term_in_parentheses_is_in_the_glossary(path: Path) -> None:
    """Is every "English (한국어)" term of the notebook a glossary term (or glossary terms joined by a particle)?"""
    problems = unknown_problems(path)
    assert not problems, (
        f"{notebook_id(path)} uses Korean terms that bp_helpers/glossary.csv does not hold: use the glossary's term, "
        "or add a row for a new one (English, Korean, definition):\n" + "\n".join(problems))


@pytest.mark.parametrize("path", SOLUTION_NOTEBOOKS + KOREAN_NOTEBOOKS, ids=edition_id)
def test_every_english_glossary_term_gets_its_own_korean(path: Path) -> None:
    """Does every "English (한국어)" whose English is a glossary term use that term's Korean (not another's)?"""
    problems = mismatch_problems(path)
    assert not problems, f"{notebook_id(path)} pairs English terms with another term's Korean:\n" + "\n".join(problems)


BROKEN = {  # rule -> (a cell that breaks it, the check that must flag it)
    "avoided rendering": ("a local minimum (지역 최솟값) of the loss", avoided_problems),
    "also-seen rendering": ("the likelihood (우도) of the data", avoided_problems),
    "old reverse order": ("visit the nodes in reverse topological order (역위상 순서)", avoided_problems),
    "unknown term": ("the backward signal (역방향 신호)", unknown_problems),
    "normalisation's term for regularisation": ("weight decay is a regularisation (정규화)", mismatch_problems),
    "American spelling too": ("weight decay is a regularization (정규화)", mismatch_problems),
    "the local minimum's old rendering": ("a **local minimum** (지역 최솟값)", avoided_problems),
}


@pytest.mark.parametrize("rule", sorted(BROKEN))
def test_each_rule_fails_on_a_notebook_that_breaks_it(tmp_path: Path, rule: str) -> None:
    """Does each rule's check flag a notebook that breaks it, and pass the same notebook with the glossary's term?"""
    cell, check = BROKEN[rule]
    bad = tmp_path / "bad.ipynb"
    nbformat.write(nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell(cell)]), bad)
    assert check(bad), f"{rule}: {cell!r} was not flagged"
    fixed = cell
    for wrong, right in (("지역 최솟값", "국소 최솟값"), ("우도", "가능도"), ("역위상 순서", "위상 정렬의 역순"),
                         ("역방향 신호", "역방향 패스"), ("정규화", "규제")):
        fixed = fixed.replace(wrong, right)
    good = tmp_path / "good.ipynb"
    nbformat.write(nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell(fixed)]), good)
    assert not check(good), f"{rule}: {fixed!r} was flagged: {check(good)}"


def test_issue_22_renderings() -> None:
    """One rendering of "local" (국소), 정규화 for normalisation only, the widely used renderings shown as "also seen"
    in the table students read, and a row for skip connection (issue 22)."""
    by_english = {term.english: term for term in glossary.terms()}
    local = [term for term in glossary.terms() if term.english.startswith("local ")]
    assert local and all(term.korean.startswith("국소 ") for term in local), [(t.english, t.korean) for t in local]
    assert not any("지역" in name for term in glossary.terms() for name in (term.korean, *term.also))
    assert [term.english for term in glossary.terms() if "정규화" in (term.korean, *term.also)] == [
        "normalisation (of activations)"]
    assert by_english["regularisation"].korean == "규제"
    assert by_english["reverse topological order"].korean == "위상 정렬의 역순"
    assert by_english["skip connection"].korean == "스킵 연결"
    seen = {"Jacobian": {"야코비안", "자코비안"}, "likelihood": {"우도"}, "maximum likelihood": {"최대 우도 추정"},
            "tanh, hyperbolic tangent": {"하이퍼볼릭 탄젠트"}, "dense (fully connected) layer": {"밀집층"},
            "central difference": {"중심 차분"}, "fan-in": {"팬인"}, "fan-out": {"팬아웃"}, "overfitting": {"과대적합"}}
    table = glossary.markdown_table()
    assert "also seen elsewhere" in table.splitlines()[0]
    for english, names in seen.items():
        assert names <= set(by_english[english].seen), english
        row = next(line for line in table.splitlines() if line.startswith(f"| {english} |"))
        assert all(name in row for name in names), row


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
