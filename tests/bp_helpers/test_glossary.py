"""Is bp_helpers/glossary.csv one consistent glossary: one Korean term per English term, never also avoided?"""

from __future__ import annotations

import pytest

from bp_helpers import glossary


def test_every_row_is_complete() -> None:
    """Does every row have an English term, a Korean term and a definition?"""
    for term in glossary.terms():
        assert term.english and term.korean and term.definition, term


def test_english_terms_are_unique() -> None:
    """Is every English term in the glossary once?"""
    english = [term.english for term in glossary.terms()]
    assert len(english) == len(set(english)), sorted({e for e in english if english.count(e) > 1})


def test_no_term_is_both_used_and_avoided() -> None:
    """Is no Korean term the course uses also listed as a rendering to avoid (for any English term)?"""
    clash = glossary.korean_terms() & set(glossary.avoided())
    assert not clash, clash


def test_no_korean_term_names_two_english_terms() -> None:
    """Does each Korean term (main column) stand for one English term only?"""
    main = [term.korean for term in glossary.terms()]
    assert len(main) == len(set(main)), sorted({k for k in main if main.count(k) > 1})


@pytest.mark.parametrize(("english", "korean"), [
    ("forward mode", "순방향 모드"), ("gradient check", "기울기 검증"),
    ("dense (fully connected) layer", "완전 연결층"),
    ("tanh, hyperbolic tangent", "쌍곡 탄젠트"), ("epoch", "에포크"), ("optimiser", "옵티마이저"),
    ("gradient checkpointing", "그래디언트 체크포인팅"),
])
def test_issue_13_clashes_are_settled(english: str, korean: str) -> None:
    """Does the glossary settle each clash that issue 13 lists on one rendering?"""
    assert glossary.korean(english) == korean


def test_corrected_definitions() -> None:
    """Are the saddle point and the local minimum defined correctly (issue 13, correction 6)?"""
    by_english = {term.english: term for term in glossary.terms()}
    assert "neither a minimum nor a maximum" in by_english["saddle point"].definition
    assert "global" in by_english["local minimum"].definition and "not the lowest" not in (
        by_english["local minimum"].definition)


def test_markdown_table_has_one_row_per_term() -> None:
    """Does the rendered table hold every term, each with its Korean term?"""
    lines = glossary.markdown_table().splitlines()
    assert len(lines) == 2 + len(glossary.terms())
    for term, line in zip(glossary.terms(), lines[2:], strict=True):
        assert line.startswith(f"| {term.english} | {term.korean}")


def test_unknown_english_term_says_how_to_fix() -> None:
    """Does asking for a term the glossary lacks name the file to add it to?"""
    with pytest.raises(KeyError, match="glossary.csv"):
        glossary.korean("no such term")
