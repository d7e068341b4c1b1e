"""A probe's ContractError in the student's language (issue 25).

A probe (contracts/<assignment>/<notebook>_probes.py) runs inside the re-check's child and raises
`ContractError(template, **fields)` with a literal English template. The child sends the template, its fields as text
and the English message (grader/sandboxed/runner.py). The child's report is untrusted: the student's code ran in that
process. So the parent renders the sentence in the reader's language only when the template is, to the character,
one a probe file raises and every field reads as the course's words (grader/course/messages.py). Otherwise the
English message goes through the same filter, and failing that the reason says only that the contract was broken.
The templates are in the grader's catalog (`python -m grader.course.words extract ko` collects them), with the label of
every check made through a probe (`words.check_labels`: `probe="train_alone"` is shown as the check "train alone").

A field that holds an exception's message (`err`: what the student's code raised inside a probe, sent as its English
text) passes the same filter; when that text is, whole, one of the course's own `_()` templates (the helpers' or the
test cells' catalogs: bp_helpers/locale) with every field again the course's words, it is rendered from that catalog
in the reader's language (`HelperWords`), its English exactly as it was said. Anything else stays as the filter let
it through (library words such as numpy's stay English).
"""

from __future__ import annotations

import ast
import re
import string
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache

from bp_helpers.i18n import LOCALE_DIR as HELPERS_LOCALE_DIR
from bp_helpers.i18n import MESSAGE_DOMAINS, translate
from grader.course.messages import Catalogue
from grader.course.paths import contracts_dir
from grader.course.words import ENGLISH, Words, phrase

RAISED_BY_PROBES = "ContractError"
MESSAGE_FIELDS = frozenset({"err"})  # a probe's fields that hold an exception's message (str(err))
_TEMPLATE_FIELD = re.compile(r"\{(\w+)(?:[:!][^{}]*)?\}")


@cache
def probe_templates() -> frozenset[str]:
    """Every template a probe file raises ContractError with (its first argument, a string literal)."""
    templates = set()
    for path in sorted(contracts_dir().glob("*/*_probes.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if (isinstance(node, ast.Call) and getattr(node.func, "id", "") == RAISED_BY_PROBES and node.args
                    and isinstance(node.args[0], ast.Constant) and isinstance(node.args[0].value, str)):
                templates.add(node.args[0].value)
    return frozenset(templates)


@dataclass(frozen=True)
class HelperWords(Words):
    """A message of the helpers' or the test cells' catalog (what `_()` says, not the grader's `say`), as an exception
    of the student's code said it in English: rendered from bp_helpers' catalogs in the reader's language, and in
    English exactly as it was said (the instructor's words are unchanged)."""

    english: str = ""

    def render(self, lang: str) -> str:
        if lang == ENGLISH:
            return self.english
        try:
            return translate(lang, self.template, **dict(self.fields))
        except (KeyError, IndexError, ValueError):  # a field with a number's format: the English as it was said
            return self.english


@cache
def _helper_templates() -> tuple[tuple[re.Pattern[str], tuple[str, ...], str], ...]:
    """Each translated `_()` template of bp_helpers/locale (the helpers' and the test cells'): a pattern its English
    rendering matches whole (a field: any text; a field named twice: the same text), its literal pieces, the template;
    the most literal first."""
    from babel.messages.pofile import read_po

    templates: set[str] = set()
    for domain in MESSAGE_DOMAINS:
        for po in sorted(HELPERS_LOCALE_DIR.glob(f"*/LC_MESSAGES/{domain}.po")):
            with po.open("rb") as fh:
                templates |= {str(m.id) for m in read_po(fh) if m.id and m.string and not m.fuzzy}
    found = []
    for template in sorted(templates, key=lambda t: (-len(_TEMPLATE_FIELD.sub("", t)), t)):
        parts, pieces, named, at = [], [], set(), 0
        for field_ in _TEMPLATE_FIELD.finditer(template):
            pieces.append(template[at:field_.start()])
            parts.append(re.escape(pieces[-1]))
            name = field_.group(1)
            parts.append(f"(?P={name})" if name in named else f"(?P<{name}>.+?)")
            named.add(name)
            at = field_.end()
        pieces.append(template[at:])
        parts.append(re.escape(pieces[-1]))
        try:
            found.append((re.compile("".join(parts), re.DOTALL), tuple(p for p in pieces if p), template))
        except re.error:  # a field Python names by number: not a template a message is matched with
            continue
    return tuple(found)


def course_message_words(text: str, catalogue: Catalogue) -> str | Words:
    """`text` (an exception's message the filter already read as course words) as one of the course's own `_()`
    templates and its fields, every field again course words (`HelperWords`, rendered in the reader's language);
    otherwise `text` as it is."""
    for pattern, pieces, template in _helper_templates():
        if not all(piece in text for piece in pieces):
            continue
        match = pattern.fullmatch(text)
        if match is None:
            continue
        fields = match.groupdict()
        if all(catalogue.sanitize(value) is not None for value in fields.values()):
            return HelperWords(template, tuple(fields.items()), english=text)
        return text
    return text


def _field_names(template: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(template) if name}


def contract_words(error: Mapping[str, object], catalogue: Catalogue) -> str | Words:
    """What a ContractError of the child said, as a student may read it: the probe's template and its fields
    (`Words`, rendered in the reader's language), the English message when only that reads as the course's words,
    or "" (the reason then says the contract was broken, nothing more)."""
    template, fields = error.get("template"), error.get("fields")
    if isinstance(template, str) and template in probe_templates() and isinstance(fields, dict):
        if set(fields) == _field_names(template):
            shown = {name: catalogue.sanitize(value) for name, value in fields.items()}
            if all(isinstance(value, str) for value in shown.values()):
                return phrase(template, **{name: course_message_words(str(value), catalogue)
                                           if name in MESSAGE_FIELDS else str(value) for name, value in shown.items()})
    return catalogue.sanitize(str(error.get("message", ""))) or ""
