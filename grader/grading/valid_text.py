"""Student text made valid Unicode before anything of the grader's encodes it.

JSON can spell a lone surrogate ("\\ud800") in a pure-ASCII file; Python decodes it into a `str` that no UTF-8
encoder accepts. nbgrader's checksum, nbformat's writer, SQLite and the CSV writer all encode as UTF-8, so such a
string, let through, raises in the parent while it records a result. The worker replaces every lone surrogate
with U+FFFD (the replacement character) in the notebook it reads and in what it sends back, and says how many
strings it changed, so the result is flagged.
"""

from __future__ import annotations

import dataclasses
import re

from grader.course.words import Words, phrase

REPLACEMENT = "\ufffd"
# In a Python str a surrogate code point is always a lone one: json and UTF-8 decoding join a valid pair into one
# character outside the BMP.
_SURROGATE = re.compile("[\ud800-\udfff]")


def valid(text: str) -> str:
    """`text` with every lone surrogate replaced by U+FFFD (the same object when there is none)."""
    if text.isascii():
        return text
    return _SURROGATE.sub(REPLACEMENT, text)


def make_valid(value) -> tuple[object, int]:
    """`value` with every string in it made `valid` (dicts and lists, an nbformat NotebookNode included, and
    dataclasses are changed in place; a tuple or a str is returned anew), and how many strings were changed
    (dict keys included)."""
    if isinstance(value, str):
        fixed = valid(value)
        return fixed, int(fixed is not value)
    changed = 0
    if isinstance(value, dict):
        for key in list(value):
            item, n = make_valid(value[key])
            new_key, k = make_valid(key) if isinstance(key, str) else (key, 0)
            if k:
                del value[key]
            value[new_key] = item
            changed += n + k
    elif isinstance(value, list):
        for i, item in enumerate(value):
            value[i], n = make_valid(item)
            changed += n
    elif isinstance(value, tuple):
        items = [make_valid(item) for item in value]
        changed = sum(n for _, n in items)
        value = type(value)(item for item, _ in items) if changed else value
    elif dataclasses.is_dataclass(value) and not isinstance(value, type):
        for f in dataclasses.fields(value):
            item, n = make_valid(getattr(value, f.name))
            if n:
                object.__setattr__(value, f.name, item)  # a frozen dataclass too
            changed += n
    return value, changed


def replaced_reason(count: int) -> Words:
    """The needs-review reason for a notebook whose text had `count` strings made valid (words of the catalog: English
    for the instructor, the student's language on their page)."""
    if count == 1:
        return phrase("text that is not valid Unicode (a lone surrogate, in 1 place) was replaced with U+FFFD: read "
                      "the student's cells and written answers in the autograded copy")
    return phrase("text that is not valid Unicode (a lone surrogate, in {count} places) was replaced with U+FFFD: read "
                  "the student's cells and written answers in the autograded copy", count=str(count))
