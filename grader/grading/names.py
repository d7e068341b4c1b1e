"""Student-supplied names, cleaned once at intake and rendered by one function everywhere a person reads them.

A name reaches the grader as a file or folder name (`os.scandir` gives undecodable bytes as lone surrogates, by
`surrogateescape`: a Korean name in CP949, as `unzip` writes a Windows zip) or a zip entry's name. `clean_name` makes
it valid NFC Unicode with no control, format or surrogate character (each replaced by a visible escape or U+FFFD)
and says what it replaced; `shown` is the one rendering of such a name (or any text carrying one) for the CSV, the
feedback, the summary and the terminal; `safe_id` turns it into a student id of bounded length.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from dataclasses import dataclass

MAX_ID_CHARS = 64  # a longer id becomes a readable prefix plus a digest (a path component stays far under 255)
MAX_SHOWN_CHARS = 120
REPLACEMENT = "\ufffd"


@dataclass(frozen=True)
class CleanName:
    """`text`: valid NFC Unicode, printable (controls as `\\xNN`, undecodable bytes as U+FFFD); `flags`: what was
    replaced ("undecodable bytes", "lone surrogates", "control characters"), empty for an ordinary name."""

    text: str
    flags: tuple[str, ...] = ()


def _escape(char: str) -> str:
    code = ord(char)
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def clean_name(raw: str) -> CleanName:
    """The name as a person may read it, and what had to be replaced (see the module docstring)."""
    flags: list[str] = []
    chars = []
    for char in raw:
        code = ord(char)
        if 0xDC80 <= code <= 0xDCFF:  # a byte that was not UTF-8, kept by surrogateescape
            chars.append(REPLACEMENT)
            flags.append("undecodable bytes")
        elif 0xD800 <= code <= 0xDFFF:
            chars.append(REPLACEMENT)
            flags.append("lone surrogates")
        else:
            chars.append(char)
    text = unicodedata.normalize("NFC", "".join(chars))
    out = []
    for char in text:
        # Cc: ESC, BEL, newline...; Cf: bidi overrides and zero-width marks that disguise a name; Co/Cn: no glyph
        if unicodedata.category(char) in ("Cc", "Cf", "Co", "Cn") or char in "\u2028\u2029":
            out.append(_escape(char))
            flags.append("control characters")
        else:
            out.append(char)
    return CleanName("".join(out), tuple(dict.fromkeys(flags)))


def shown(text: str, limit: int | None = MAX_SHOWN_CHARS) -> str:
    """THE rendering of student-supplied text (a name, or a message quoting one) for the CSV, feedback, summary and
    terminal: cleaned (no escape sequence, no surrogate, NFC) and cut to `limit` characters (None: no cut)."""
    text = clean_name(text).text
    if limit is not None and len(text) > limit:
        text = text[: limit - 1] + "\u2026"
    return text


def digest(text: str, chars: int = 6) -> str:
    """A short stable digest of `text` (surrogates included, as their bytes)."""
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()[:chars]


def ascii_id(raw: str) -> str:
    """Letters, digits, `.`, `_` and `-` of `raw` (runs of anything else become `-`); may be empty."""
    return re.sub(r"[^A-Za-z0-9._-]+", "-", clean_name(raw).text.strip()).strip("-._")


def safe_id(raw: str) -> str:
    """The id made of `raw`: ASCII letters, digits, `.`, `_` and `-`, at most MAX_ID_CHARS (a longer one is cut to
    a readable prefix plus a digest of the whole name); `id-<digest>` when nothing is left (a Korean name)."""
    cleaned = ascii_id(raw)
    if not cleaned:
        return f"id-{digest(raw)}"
    if len(cleaned) > MAX_ID_CHARS:
        return f"{cleaned[: MAX_ID_CHARS - 9].rstrip('-._')}-{digest(raw, 8)}"
    return cleaned


def id_problems(raw: str) -> list[str]:
    """Why a submitted name cannot become an id as it is; empty when it is fine."""
    reasons = list(clean_name(raw).flags)
    if "/" in raw or "\\" in raw:
        reasons.append("a path separator")
    if ".." in raw:
        reasons.append("'..'")
    cleaned = ascii_id(raw)
    if not cleaned:
        reasons.append("nothing left after cleaning")
    elif len(cleaned) > MAX_ID_CHARS:
        reasons.append(f"more than {MAX_ID_CHARS} characters")
    return reasons
