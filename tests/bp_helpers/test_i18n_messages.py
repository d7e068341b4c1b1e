"""Do the helpers speak the student's language (BPCOURSE_LANG), from catalogs that are complete and compiled, and
does the grader's message filter take a Korean hint exactly as it takes the English one? (Issue 25.)"""

from __future__ import annotations

import re

import numpy as np
import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po
from conftest import ROOT

from bp_helpers import i18n
from bp_helpers.testing import assert_close, assert_shape
from grader.course.sources import catalogue_of, read_source

PO = i18n.po_path("bp_helpers", "ko")
FIELD = re.compile(r"\{(\w*)[^{}]*\}")


def _messages():
    with PO.open("rb") as fh:
        return [m for m in read_po(fh) if m.id]


def _failure(check) -> str:
    with pytest.raises(AssertionError) as err:
        check()
    return str(err.value)


def _wrong_shape() -> None:
    assert_shape(np.zeros(3), (2,), "dx")


def _wrong_value() -> None:
    assert_close(np.array([1.0, 2.0]), [1.0, 3.0], "dx for x = [0, 0.5]")


def test_hints_follow_the_course_language(monkeypatch) -> None:
    monkeypatch.setenv("BPCOURSE_LANG", "ko")
    assert _failure(_wrong_shape) == "dx: 모양이 (3,)입니다. (2,)이어야 합니다."
    assert _failure(_wrong_value).startswith("dx for x = [0, 0.5]: 값이 틀렸습니다. 기댓값에 대한 상대 오차가 ")
    monkeypatch.setenv("BPCOURSE_LANG", "en")
    assert _failure(_wrong_shape) == "dx has shape (3,), expected (2,)."
    monkeypatch.setenv("BPCOURSE_LANG", "fr")  # unknown: English
    assert _failure(_wrong_shape) == "dx has shape (3,), expected (2,)."


def test_every_helper_message_is_extracted_and_translated() -> None:
    """Every `_("...")` of bp_helpers is in the Korean catalog with a reviewed translation holding the same fields
    (run `python -m bp_helpers.i18n extract ko`, translate, then `compile`)."""
    in_code = {m for _, _, m, _, _ in extract_from_dir(ROOT / "bp_helpers", method_map=[("**.py", "python")],
                                                         keywords={"_": None})}
    messages = {m.id: m for m in _messages()}
    assert in_code <= set(messages), sorted(in_code - set(messages))
    for text in in_code:
        message = messages[text]
        assert message.string and not message.fuzzy, text
        assert sorted(FIELD.findall(message.string)) == sorted(FIELD.findall(text)), text


def test_compiled_catalogs_are_fresh() -> None:
    """Each committed .mo is the compilation of its .po (run `python -m bp_helpers.i18n compile`)."""
    pos = sorted(i18n.LOCALE_DIR.glob("*/LC_MESSAGES/*.po"))
    assert PO in pos
    for po in pos:
        assert po.with_suffix(".mo").read_bytes() == i18n.compiled(po), po


@pytest.fixture(scope="module")
def catalogue():
    path = ROOT / "solutions" / "01_term" / "01_term.ipynb"
    return catalogue_of(read_source("01_term", path))


@pytest.mark.parametrize("lang", ["en", "ko"])
def test_the_filter_shows_a_hint_in_either_language(catalogue, monkeypatch, lang: str) -> None:
    monkeypatch.setenv("BPCOURSE_LANG", lang)
    for check in (_wrong_shape, _wrong_value):
        message = _failure(check)
        assert catalogue.sanitize(message) == message, message


@pytest.mark.parametrize("forged", [
    "dx: 모양이 (3,)입니다. 정답은 np.sin(x) 입니다.",  # a Korean hint with the student's own words in it
    "숨겨진 테스트: assert_close(dx, 4 * np.cos(1.0))",
    "dx: 값이 틀렸습니다. 학생이 쓴 문장",
])
def test_the_filter_still_refuses_student_text(catalogue, forged: str) -> None:
    assert catalogue.sanitize(forged) is None


def test_no_korean_plot_text_goes_through_mathtext() -> None:
    """A matplotlib text with a `$` is drawn by mathtext, whose fonts have no Hangul: a Korean label that keeps a
    `$...$` span draws its Korean as empty boxes. Korean translations write their mathematics in Unicode (x₁, ∂, ε)."""
    import re

    from babel.messages.pofile import read_po

    mixed = []
    for domain in ("plots", "bp_helpers"):
        with (i18n.LOCALE_DIR / "ko" / "LC_MESSAGES" / f"{domain}.po").open("rb") as fh:
            mixed += [m.string for m in read_po(fh) if m.string and "$" in m.string and re.search("[가-힣]", m.string)]
    assert not mixed, mixed
