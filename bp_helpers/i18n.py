"""The helpers' words in the student's language: gettext catalogs, read with Python's own gettext.

The course's language is `BPCOURSE_LANG` (`bpcourse start --lang ko` sets it for JupyterLab and so for every
kernel; `en` when unset or unknown). Two gettext domains, each `bp_helpers/locale/<lang>/LC_MESSAGES/<domain>.po`
compiled to `.mo` by Babel (`python -m bp_helpers.i18n compile`; a test checks each `.mo` is fresh):

- `bp_helpers`: the helpers' own sentences (the hints of `bp_helpers.testing`), templates with `{named}` fields,
  marked `_("...")` in the code (`python -m bp_helpers.i18n extract` collects them);
- `plots`: the titles, legends and axis labels that notebooks pass to `bp_helpers.plotting` (they stay English in
  the notebooks' code cells, which both editions share, and are looked up here when a plot is drawn).

A message without a translation falls back to English (a helper never fails for want of one); the notebooks'
parity tests (tests/grader/test_i18n.py) are what keep the Korean edition free of English.
"""

from __future__ import annotations

import gettext
import os
import sys
from functools import cache
from pathlib import Path

LANG_VARIABLE = "BPCOURSE_LANG"
LANGUAGES = ("en", "ko")
LOCALE_DIR = Path(__file__).resolve().parent / "locale"
DOMAINS = ("bp_helpers", "plots")


def course_lang() -> str:
    """The student's language: `BPCOURSE_LANG` when it names one of LANGUAGES, else English."""
    lang = os.environ.get(LANG_VARIABLE, "en").strip().lower()
    return lang if lang in LANGUAGES else "en"


@cache
def _translations(domain: str, lang: str) -> gettext.NullTranslations:
    return gettext.translation(domain, LOCALE_DIR, languages=[lang], fallback=True)


def _(message: str, **fields: object) -> str:
    """`message` (a template with `{named}` fields) in the course's language, its fields filled in."""
    text = _translations("bp_helpers", course_lang()).gettext(message)
    return text.format(**fields) if fields else text


def label(text: str | None) -> str | None:
    """A plot's title, legend entry or axis label in the course's language (as given when it has no translation)."""
    if not text:
        return text
    return _translations("plots", course_lang()).gettext(text)


_hooked: list[bool] = []


def translate_plot_text() -> None:
    """In a translated course, draw every matplotlib text whose whole string the `plots` catalog translates in
    the course's language: titles, axis labels and legends set by the notebooks' shared (English) code cells as
    well as by bp_helpers.plotting. Installed once, when any of bp_helpers is imported (a notebook that imports only
    bp_helpers.testing draws its own plots too); nothing changes in English."""
    if course_lang() == "en" or _hooked:
        return
    try:
        from matplotlib.text import Text
    except (ImportError, AttributeError):  # no matplotlib here (the re-check's sandbox stubs it): nothing to label
        return

    original = Text.set_text

    def set_text(self, s):
        return original(self, label(s) if isinstance(s, str) else s)

    Text.set_text = set_text  # type: ignore[method-assign]  # the one hook: every label a plot sets, translated
    _hooked.append(True)


# --- for the course's maintainers: extract and compile (Babel, a dependency of the course) ----------------------


def po_path(domain: str, lang: str) -> Path:
    return LOCALE_DIR / lang / "LC_MESSAGES" / f"{domain}.po"


def compiled(po: Path) -> bytes:
    """The `.mo` bytes of a `.po` catalog (fuzzy entries left out, as msgfmt does)."""
    import io

    from babel.messages.mofile import write_mo
    from babel.messages.pofile import read_po

    with po.open("rb") as fh:
        catalog = read_po(fh)
    out = io.BytesIO()
    write_mo(out, catalog, use_fuzzy=False)
    return out.getvalue()


def compile_all(locale_dir: Path = LOCALE_DIR) -> list[Path]:
    """Write the `.mo` beside every `.po` of `locale_dir` (bp_helpers/locale by default); return them."""
    written = []
    for po in sorted(locale_dir.glob("*/LC_MESSAGES/*.po")):
        mo = po.with_suffix(".mo")
        mo.write_bytes(compiled(po))
        written.append(mo)
    return written


def extract_messages(lang: str, domain: str = "bp_helpers", package: Path = LOCALE_DIR.parent,
                     keywords: dict | None = None) -> Path:
    """Update the `domain` catalog of `lang` in `package`/locale with every marked message of the package's Python
    files (`_("...")` by default; new ones empty, changed ones fuzzy). The grader's own words use it too
    (grader/course/words.py: `say(lang, "...")`)."""
    from babel.messages.catalog import Catalog
    from babel.messages.extract import extract_from_dir
    from babel.messages.pofile import read_po, write_po

    template = Catalog(project="backprop-course", domain=domain, fuzzy=False)
    for filename, lineno, message, comments, _context in extract_from_dir(
        package, method_map=[("**.py", "python")], keywords=keywords or {"_": None}
    ):
        template.add(message, locations=[(f"{package.name}/{filename}", lineno)], auto_comments=comments)
    po = package / "locale" / lang / "LC_MESSAGES" / f"{domain}.po"
    if po.is_file():
        with po.open("rb") as fh:
            catalog = read_po(fh, locale=lang)
        catalog.update(template, update_creation_date=False)
    else:
        catalog = Catalog(locale=lang, project="backprop-course", domain=domain, fuzzy=False)
        catalog.update(template)
    po.parent.mkdir(parents=True, exist_ok=True)
    with po.open("wb") as fh:
        write_po(fh, catalog, width=0)
    return po


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if args[:1] == ["extract"]:
        print(extract_messages(args[1] if len(args) > 1 else "ko"))
    elif args[:1] == ["compile"]:
        for mo in compile_all():
            print(mo)
    else:
        print("usage: python -m bp_helpers.i18n extract [LANG] | compile")
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
