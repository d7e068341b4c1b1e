"""The grader's words to a student, in the language of the student's notebook (issue 25): `say(lang, "...")`.

What a student reads of a grade (the causes of `bpcourse check` and of the feedback page, the report's frame) is
written through `say`, a template with `{named}` fields looked up in the gettext catalog
grader/locale/<lang>/LC_MESSAGES/grader.po (an untranslated one stays English). The instructor's summary and CSV stay
English. For maintainers:

    python -m grader.course.words extract ko    # every say(lang, "..."), phrase("..."), probe ContractError("...")
                                                # and check label (probe="train_alone": "train alone")
    python -m grader.course.words compile       # the .mo beside each .po (a test checks they are fresh)
"""

from __future__ import annotations

import gettext
import sys
from dataclasses import dataclass
from functools import cache
from pathlib import Path

DOMAIN = "grader"
PACKAGE = Path(__file__).resolve().parents[1]
LOCALE_DIR = PACKAGE / "locale"
ENGLISH = "en"
# the calls whose literal template the extractor collects
KEYWORDS = {"say": (2,), "phrase": (1,), "english": (1,)}


@cache
def _translations(lang: str) -> gettext.NullTranslations:
    return gettext.translation(DOMAIN, LOCALE_DIR, languages=[lang], fallback=True)


def say(lang: str, message: str, /, **fields: object) -> str:
    """`message` (a template with `{named}` fields) in `lang` (English when it has no translation), filled in; a
    field that is `Words` is rendered in `lang` too."""
    text = message if lang == ENGLISH else _translations(lang).gettext(message)
    if not fields:
        return text
    return text.format(**{k: v.render(lang) if isinstance(v, Words) else v for k, v in fields.items()})


@dataclass(frozen=True)
class Words:
    """A sentence of the catalog and its fields, kept as a record and rendered in a language only when a person reads
    it (a re-check's comparison is made before anyone knows who reads it: the student in their language, the
    instructor's summary in English). Fields are plain text (numbers, shapes, names) or other `Words`."""

    template: str
    fields: tuple[tuple[str, str | Words], ...] = ()

    def render(self, lang: str) -> str:
        return say(lang, self.template, **dict(self.fields))

    def __str__(self) -> str:
        return self.render(ENGLISH)


def phrase(template: str, /, **fields: str | Words) -> Words:
    """`Words` of a catalog template (extracted like `say`'s) and its fields."""
    return Words(template, tuple(fields.items()))


class English(str):
    """A sentence as the instructor reads it (plain English text: the CSV, the review list, the intake report and the
    tests compare it as before) that keeps its `Words`, for a student who reads another language (`words_of`)."""

    words: Words

    def __new__(cls, words: Words) -> English:
        text = super().__new__(cls, words.render(ENGLISH))
        text.words = words
        return text

    def __reduce__(self):  # copied or pickled with its words (str's own would rebuild it from the text alone)
        return English, (self.words,)


def english(template: str, /, **fields: str | Words) -> English:
    """`phrase(template, **fields)` as `English` text (the template is extracted like `phrase`'s)."""
    return English(phrase(template, **fields))


def words_of(text: str | Words) -> str | Words:
    """The `Words` an `English` text keeps, else `text` itself."""
    return text.words if isinstance(text, English) else text


def in_lang(text: str | Words, lang: str) -> str:
    """`text` rendered in `lang` when it is (or keeps) `Words`; plain text as it is."""
    text = words_of(text)
    return text.render(lang) if isinstance(text, Words) else text


def error_words(err: Exception, lang: str) -> str:
    """A `CourseError`'s message in `lang` when it was raised with `english(...)`, else as it is."""
    return in_lang(err.args[0], lang) if len(err.args) == 1 and isinstance(err.args[0], str) else str(err)


def check_label_sites() -> list[tuple[str, Path, int]]:
    """Every label of a check made through a probe, where a contract names the probe: (label, file, line). The label
    is the probe's name as words (`probe="train_alone"`: "train alone"), as recheck/compare.signature shows it, a
    message of this catalog."""
    import ast

    from grader.course.paths import contracts_dir

    sites = []
    for path in sorted(contracts_dir().glob("*/*.py")):
        if path.stem.endswith("_probes"):
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if (isinstance(node, ast.keyword) and node.arg == "probe" and isinstance(node.value, ast.Constant)
                    and isinstance(node.value.value, str)):
                sites.append((node.value.value.replace("_", " "), path, node.value.lineno))
    return sites


@cache
def check_labels() -> frozenset[str]:
    return frozenset(label for label, _, _ in check_label_sites())


def main(argv: list[str] | None = None) -> int:
    from bp_helpers.i18n import compile_all, extract_messages

    args = sys.argv[1:] if argv is None else argv
    if args[:1] == ["extract"]:
        from grader.course.paths import contracts_dir
        probes = (contracts_dir(), {"ContractError": None})  # the probes' sentences (grader/recheck/contract_words.py)
        labels = tuple((label, f"{path.parent.parent.name}/{path.relative_to(path.parents[1]).as_posix()}", line)
                       for label, path, line in check_label_sites())  # the checks' labels, where a contract names them
        print(extract_messages(args[1] if len(args) > 1 else "ko", DOMAIN, PACKAGE, KEYWORDS, also=(probes,),
                               more=labels))
    elif args[:1] == ["compile"]:
        for mo in compile_all(LOCALE_DIR):
            print(mo)
    else:
        print("usage: python -m grader.course.words extract [LANG] | compile")
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
