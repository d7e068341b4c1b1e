"""Do Korean labels render in the course's plots and explorers, rather than as empty boxes (tofu)?"""

from __future__ import annotations

import subprocess
import sys
import warnings

import numpy as np
import pytest
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.font_manager import FontProperties, findfont
from matplotlib.ft2font import FT2Font

from bp_helpers.fonts import KOREAN_FAMILY, korean_font_files, use_korean_font

KOREAN = "역전파 순전파 손실 기울기"


def _render(text: str) -> np.ndarray:
    """`text` drawn alone on a small Agg figure, as grey pixels; a missing glyph raises (warnings are errors)."""
    fig = Figure(figsize=(3, 0.8), dpi=80)
    FigureCanvasAgg(fig)
    fig.text(0.05, 0.3, text, fontsize=20)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # matplotlib warns "Glyph ... missing from font(s)" when it draws tofu
        fig.canvas.draw()
    return np.asarray(fig.canvas.buffer_rgba())[..., 0].copy()


def test_the_bundled_font_has_every_hangul_syllable_the_course_uses() -> None:
    """Does the registered NanumGothic's character map hold the code points of the course's Korean words?"""
    (regular, *_) = korean_font_files()
    charmap = FT2Font(str(regular)).get_charmap()
    assert all(ord(ch) in charmap for ch in KOREAN.replace(" ", ""))


def test_matplotlib_picks_the_korean_font_and_draws_distinct_glyphs() -> None:
    """After `use_korean_font()`, is NanumGothic found, and do different syllables draw as different shapes?"""
    use_korean_font()
    assert KOREAN_FAMILY in findfont(FontProperties(family=KOREAN_FAMILY), fallback_to_default=False)
    glyphs = [_render(ch) for ch in "역전파손"]
    ink = [int((g < 128).sum()) for g in glyphs]
    assert min(ink) > 20, f"a syllable drew (almost) no ink: {ink}"
    # tofu is one box for every missing character: real glyphs differ from each other
    for i in range(len(glyphs)):
        for j in range(i + 1, len(glyphs)):
            assert (glyphs[i] != glyphs[j]).sum() > 20, "two different syllables drew the same shape (tofu boxes)"
    mixed = _render("loss (손실)")  # Latin keeps DejaVu Sans, Hangul falls back within one string
    assert (mixed < 128).sum() > (_render("loss ()") < 128).sum() + 40


def test_importing_the_plots_or_the_explorers_registers_the_font() -> None:
    """In a fresh interpreter, does importing bp_helpers.plotting (or the widgets) alone make Korean render?"""
    code = (
        "import warnings; warnings.simplefilter('error')\n"
        "import {module}\n"
        "from matplotlib.figure import Figure\n"
        "from matplotlib.backends.backend_agg import FigureCanvasAgg\n"
        "fig = Figure(); FigureCanvasAgg(fig); fig.suptitle('경사 하강법'); fig.canvas.draw(); print('ok')\n"
    )
    for module in ("bp_helpers.plotting", "bp_helpers.widgets"):
        done = subprocess.run([sys.executable, "-c", code.format(module=module)], capture_output=True, text=True)
        assert done.returncode == 0 and "ok" in done.stdout, f"{module}: {done.stderr[-600:]}"


def test_without_the_font_korean_would_be_tofu() -> None:
    """Is the check above able to fail: does DejaVu Sans alone draw Hangul as missing glyphs?"""
    fig = Figure(figsize=(3, 0.8), dpi=80)
    FigureCanvasAgg(fig)
    fig.text(0.05, 0.3, "역", fontsize=20, fontfamily="DejaVu Sans")
    with pytest.warns(UserWarning, match="missing from font"):
        fig.canvas.draw()


def test_bold_korean_labels_find_a_bold_face_without_a_warning(caplog: pytest.LogCaptureFixture) -> None:
    """Does a bold label (the explorers use some) find NanumGothic's bold face, without a logged warning?"""
    use_korean_font()
    with caplog.at_level("WARNING", logger="matplotlib.font_manager"):
        path = findfont(FontProperties(family=KOREAN_FAMILY, weight="bold"), fallback_to_default=False)
    assert path.endswith("NanumGothicBold.ttf")
    assert "Failed to find font weight" not in caplog.text
