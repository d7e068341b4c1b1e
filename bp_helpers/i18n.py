"""The helpers' words in the student's language: gettext catalogs, read with Python's own gettext.

The course's language is `BPCOURSE_LANG` (`bpcourse start --lang ko` sets it for JupyterLab and so for every
kernel; `en` when unset or unknown). Three gettext domains, each `bp_helpers/locale/<lang>/LC_MESSAGES/<domain>.po`
compiled to `.mo` by Babel (`python -m bp_helpers.i18n compile`; a test checks each `.mo` is fresh):

- `bp_helpers`: the helpers' own sentences (the hints of `bp_helpers.testing`), templates with `{named}` fields,
  marked `_("...")` in the code (`python -m bp_helpers.i18n extract` collects them);
- `plots`: the titles, legends and axis labels that notebooks pass to `bp_helpers.plotting` (they stay English in
  the notebooks' code cells, which both editions share, and are looked up here when a plot is drawn);
- `tests`: the messages of the notebooks' test cells (`assert ..., _("...", got=...)`, visible and hidden tests of
  solutions/*.ipynb), read through the same `_()` (the code cells stay the same in both editions, so the message is
  translated when the test fails); `python -m bp_helpers.i18n extract` collects them from the notebooks.

A message without a translation falls back to English (a helper never fails for want of one); the notebooks'
parity tests (tests/grader/test_i18n.py) are what keep the Korean edition free of English.
"""

from __future__ import annotations

import gettext
import os
import sys
from dataclasses import dataclass
from functools import cache
from pathlib import Path

LANG_VARIABLE = "BPCOURSE_LANG"
LANGUAGES = ("en", "ko")
LOCALE_DIR = Path(__file__).resolve().parent / "locale"
DOMAINS = ("bp_helpers", "plots", "tests")
MESSAGE_DOMAINS = ("bp_helpers", "tests")  # what `_()` reads, in this order


def course_lang() -> str:
    """The student's language: `BPCOURSE_LANG` when it names one of LANGUAGES, else English."""
    lang = os.environ.get(LANG_VARIABLE, "en").strip().lower()
    return lang if lang in LANGUAGES else "en"


@cache
def _translations(domain: str, lang: str) -> gettext.NullTranslations:
    return gettext.translation(domain, LOCALE_DIR, languages=[lang], fallback=True)


@cache
def _messages(lang: str) -> gettext.NullTranslations:
    """The helpers' catalog with the test cells' behind it: one lookup for `_()` wherever it is called."""
    first, *rest = (gettext.translation(d, LOCALE_DIR, languages=[lang], fallback=True) for d in MESSAGE_DOMAINS)
    for other in rest:
        first.add_fallback(other)
    return first


def _(message: str, /, **fields: object) -> str:
    """`message` (a template with `{named}` fields) in the course's language, its fields filled in."""
    text = _messages(course_lang()).gettext(message)
    return text.format(**fields) if fields else text


def translate(lang: str, message: str, /, **fields: object) -> str:
    """`message` (a `_()` template of the helpers or the test cells) in `lang`, its fields filled in: what `_()` says
    where the course's language is `lang` (the grader renders a helper's English message in a student's language)."""
    text = _messages(lang).gettext(message)
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
                     keywords: dict | None = None, also: tuple[tuple[Path, dict], ...] = (),
                     more: tuple[tuple[str, str, int], ...] = ()) -> Path:
    """Update the `domain` catalog of `lang` in `package`/locale with every marked message of the package's Python
    files (`_("...")` by default; new ones empty, changed ones fuzzy), of each (folder, keywords) of `also`, and the
    (message, file, line) of `more`. The grader's own words use it too (grader/course/words.py: `say(lang, "...")`,
    the probes' ContractError and the checks' labels)."""
    from babel.messages.catalog import Catalog
    from babel.messages.extract import extract_from_dir

    template = Catalog(project="backprop-course", domain=domain, fuzzy=False)
    for folder, marks in ((package, keywords or {"_": None}), *also):
        for filename, lineno, message, comments, _context in extract_from_dir(
            folder, method_map=[("**.py", "python")], keywords=marks
        ):
            template.add(message, locations=[(f"{folder.name}/{filename}", lineno)], auto_comments=comments)
    for message, filename, lineno in more:
        template.add(message, locations=[(filename, lineno)])
    return _merge(template, package / "locale" / lang / "LC_MESSAGES" / f"{domain}.po", lang)


SOLUTIONS_DIR = LOCALE_DIR.parents[1] / "solutions"  # the course's one source, in a checkout (not in the wheel)


@dataclass(frozen=True)
class TestMessage:
    """One `_("...")` template of a notebook's test cell: where it is (notebook, grade id, line in the cell)."""

    notebook: str  # path relative to the checkout, "solutions/01_term/01_term.ipynb"
    cell: str  # the test cell's nbgrader grade id
    lineno: int
    text: str


def test_cell_messages(solutions: Path = SOLUTIONS_DIR) -> list[TestMessage]:
    """Every marked message of the test cells (graded code, not a solution) of `solutions`/*/*.ipynb, in order:
    the first argument of each `_("...")` call, nested ones too (read with `ast`: Babel's Python extractor misses a
    `_()` inside a conditional argument of another)."""
    import ast
    import json

    found = []
    for path in sorted(solutions.glob("*/*.ipynb")):
        notebook = path.relative_to(solutions.parent).as_posix()
        for cell in json.loads(path.read_text(encoding="utf-8"))["cells"]:
            meta = cell.get("metadata", {}).get("nbgrader", {})
            if cell["cell_type"] != "code" or not meta.get("grade") or meta.get("solution"):
                continue
            # IPython magics are not Python: blank them as the grader's parser does (line numbers kept)
            lines = "".join(cell["source"]).splitlines()
            tree = ast.parse("\n".join("pass" if ln.lstrip().startswith(("%", "!")) else ln for ln in lines))
            templates = [(n.lineno, n.col_offset, n.args[0].value) for n in ast.walk(tree)
                         if isinstance(n, ast.Call) and isinstance(n.func, ast.Name) and n.func.id == "_" and n.args
                         and isinstance(n.args[0], ast.Constant) and isinstance(n.args[0].value, str)]
            for lineno, _col, text in sorted(templates):
                found.append(TestMessage(notebook, meta.get("grade_id", "?"), lineno, text))
    return found


def extract_test_messages(lang: str, solutions: Path = SOLUTIONS_DIR) -> Path:
    """Update the `tests` catalog of `lang` with every message of the notebooks' test cells (new ones empty,
    changed ones fuzzy with the old translation as a suggestion, as gettext's msgmerge does)."""
    from babel.messages.catalog import Catalog

    template = Catalog(project="backprop-course", domain="tests", fuzzy=False)
    for m in test_cell_messages(solutions):
        template.add(m.text, locations=[(f"{m.notebook}:{m.cell}", m.lineno)])
    return _merge(template, po_path("tests", lang), lang)


def _merge(template, po: Path, lang: str) -> Path:
    """Write `po` as the catalog of `lang` for `template`'s messages, keeping what it had (msgmerge's rules)."""
    from babel.messages.catalog import Catalog
    from babel.messages.pofile import read_po, write_po

    if po.is_file():
        with po.open("rb") as fh:
            catalog = read_po(fh, locale=lang)
        catalog.update(template, update_creation_date=False)
    else:
        catalog = Catalog(locale=lang, project="backprop-course", domain=template.domain, fuzzy=False)
        catalog.update(template)
    po.parent.mkdir(parents=True, exist_ok=True)
    with po.open("wb") as fh:
        write_po(fh, catalog, width=0)
    return po


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if args[:1] == ["extract"]:
        lang = args[1] if len(args) > 1 else "ko"
        print(extract_messages(lang))
        print(extract_test_messages(lang))
    elif args[:1] == ["compile"]:
        for mo in compile_all():
            print(mo)
    else:
        print("usage: python -m bp_helpers.i18n extract [LANG] | compile")
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
