"""A probe's ContractError in the student's language (issue 25).

A probe (contracts/<assignment>/<notebook>_probes.py) runs inside the re-check's child and raises
`ContractError(template, **fields)` with a literal English template. The child sends the template, its fields as text
and the English message (grader/sandboxed/runner.py). The child's report is untrusted: the student's code ran in that
process. So the parent renders the sentence in the reader's language only when the template is, to the character,
one a probe file raises and every field reads as the course's words (grader/course/messages.py). Otherwise the
English message goes through the same filter, and failing that the reason says only that the contract was broken.
The templates are in the grader's catalog (`python -m grader.course.words extract ko` collects them).
"""

from __future__ import annotations

import ast
import string
from collections.abc import Mapping
from functools import cache

from grader.course.messages import Catalogue
from grader.course.paths import contracts_dir
from grader.course.words import Words, phrase

RAISED_BY_PROBES = "ContractError"


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
                return phrase(template, **{name: str(value) for name, value in shown.items()})
    return catalogue.sanitize(str(error.get("message", ""))) or ""
