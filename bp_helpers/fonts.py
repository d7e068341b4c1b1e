"""Korean (한국어) in every plot: matplotlib's default font, DejaVu Sans, has no Hangul, so Korean labels
would show as empty boxes (tofu).

`use_korean_font()` registers NanumGothic, which the `koreanize-matplotlib` package ships (a dependency of the
course), and puts it after DejaVu Sans in matplotlib's font.family list: Latin text keeps its usual look and each
Hangul glyph falls back to NanumGothic (matplotlib >= 3.6 picks a font per glyph). The package itself is never
imported: importing it rewrites the global font settings, and it uses `distutils`, which Python 3.12 removed;
only its font files are read. `bp_helpers.plotting` and the explorers call this when they are imported.

Keep Korean out of `$...$` strings: mathtext sets the text around the math in its own fonts, without Hangul.
"""

from __future__ import annotations

import dataclasses
import importlib.util
from pathlib import Path

FONT_PACKAGE = "koreanize_matplotlib"
KOREAN_FAMILY = "NanumGothic"
FONT_FILES = ("NanumGothic.ttf", "NanumGothicBold.ttf")

_registered: list[Path] = []


def korean_font_files() -> list[Path]:
    """The bundled NanumGothic files (regular, bold), found without importing their package."""
    spec = importlib.util.find_spec(FONT_PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        raise ImportError(
            f"the {FONT_PACKAGE.replace('_', '-')} package is missing, so Korean plot labels would show as boxes: "
            "reinstall the course (`make start`, or `.venv/bin/pip install -e .`)."
        )
    folder = Path(next(iter(spec.submodule_search_locations))) / "fonts"
    return [folder / name for name in FONT_FILES if (folder / name).is_file()]


def use_korean_font() -> list[Path]:
    """Register NanumGothic with matplotlib and make it the fallback for Hangul; returns the files registered.

    Safe to call again (it registers once). Plots keep DejaVu Sans for Latin letters, digits and math.
    """
    import matplotlib
    from matplotlib import font_manager

    if not _registered:
        manager = font_manager.fontManager
        for path in korean_font_files():
            manager.addfont(str(path))
            _registered.append(path)
        # NanumGothicBold declares weight 600, so every bold label would log "Failed to find font weight bold";
        # it is the family's bold face: file it as 700.
        manager.ttflist = [dataclasses.replace(e, weight=700) if e.fname.endswith(FONT_FILES[1]) else e
                           for e in manager.ttflist]
        manager._findfont_cached.cache_clear()  # type: ignore[attr-defined]  # matplotlib's private cache of lookups
    # Per-glyph fallback runs over the concrete families of font.family (a generic "sans-serif" resolves to one
    # font), so name them: DejaVu Sans (matplotlib's default, every Latin glyph) first, then NanumGothic.
    families = [f for f in matplotlib.rcParams["font.family"] if f != KOREAN_FAMILY]
    if families in (["sans-serif"], ["DejaVu Sans", "sans-serif"]):
        families = ["DejaVu Sans", "sans-serif"]
    families.insert(families.index("sans-serif") if "sans-serif" in families else len(families), KOREAN_FAMILY)
    matplotlib.rcParams["font.family"] = families
    return list(_registered)
