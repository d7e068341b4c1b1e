"""Messages a person reads, drawn only from the course's own words.

A process that ran student code can say anything: nbgrader's kernel runs the hidden tests beside the student's
code, so the text of an AssertionError that reaches the grader may have been written by the student (a forged
verdict, or the hidden test's source smuggled out through the feedback). So such a text is shown only when it
reads, whole, as the course's own words: a sequence of fragments of the string literals of the code that could
have produced it (the notebook's test cells, bp_helpers/testing.py, the re-check's probes) and, between them,
only numbers, shapes, dtypes, names the course gives (graded functions, their arguments, exception types) and
punctuation. Anything else is replaced by a neutral sentence the grader writes itself.

What remains possible: a student who can make their own test fail can choose which course sentence it shows and
a few numbers and names in it (MAX_TOKENS bounds them: a few dozen bytes per failed exercise).
"""

from __future__ import annotations

import ast
import builtins
import re
from collections.abc import Set
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from grader.course.cells import parse
from grader.course.paths import contracts_dir
from grader.sandboxed.confinement import CHANGE_EVENTS, PROCESS_PREFIXES, READ_EVENTS

MAX_CHARS = 600
# Caps on what a message may hold: together they bound what a forged message can carry (a few dozen bytes).
MAX_TOKENS = {"fragment": 16, "name": 16, "number": 32, "punct": 80}
MIN_FRAGMENT = 2  # shorter literal pieces ("x", ", ") are not words of the catalogue; punctuation is a token
# What numpy and Python say of a failed operation: hidden tests quote it ("hits a floating-point error (...)").
LIBRARY_FRAGMENTS = (
    "overflow encountered in",
    "underflow encountered in",
    "invalid value encountered in",
    "divide by zero encountered in",
    "operands could not be broadcast together with shapes",
    "matmul: Input operand",
    "has a mismatch in its core dimension",
    "with gufunc signature (n?,k),(k,m?)->(n?,m?)",
    "(size",
    "is different from",
    "shapes",
    "not aligned:",
    "(dim",
    "cannot reshape array of size",
    "into shape",
    "is out of bounds for axis",
    "with size",
    "setting an array element with a sequence",
    "float division by zero",
    "division by zero",
    "math domain error",
    "unsupported operand type(s) for",
    "object is not callable",
    "object is not subscriptable",
    "object has no attribute",
    "positional argument",
    "positional arguments but",
    "were given",
    "required positional argument",
    "index out of range",
    "non-broadcastable output operand with shape",
    "doesn't match the broadcast shape",
    "mat1 and mat2 shapes cannot be multiplied",
    "is not compatible with provided weight shape",
    "weight shape",
    "Layer",
)
LIBRARY_NAMES = {
    "exp",
    "log",
    "divide",
    "multiply",
    "add",
    "subtract",
    "power",
    "matmul",
    "true_divide",
    "sqrt",
    "tanh",
    "reciprocal",
    "scalar",
    "square",
    "negative",
    "list",
    "tuple",
    "dict",
    "int",
    "float",
    "str",
    "NoneType",
    "ndarray",
    "numpy",
    "takes",
    "but",
    "missing",
    "index",
    "size",
    "and",
    "True",  # Python's constants are values, as numbers are ("nonlin=False")
    "False",
    "None",
}
_PARAMETER_KEY = re.compile(
    r"[Wb]\d{1,2}|(?:sequential|dense|functional|input_layer)(?:_\d{1,4})?|\d{1,5}(?:x\d{1,5}){1,3}"
)
_NUMBER = re.compile(r"[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?|[-+]?(?:nan|inf)\b")
_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,39}")
_EXCEPTIONS = frozenset(
    name for name, obj in vars(builtins).items() if isinstance(obj, type) and issubclass(obj, BaseException)
) | {"ContractError", "LinAlgError", "AxisError"}
_PUNCT = set("()[]{},.:;=+-*/<>|'\"`!?#%&^~@ \t\n")
_DTYPES = {"float64", "float32", "float16", "int64", "int32", "int16", "int8", "uint8", "bool", "object", "complex128"}
PLAIN_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,39}")


def _nodes(source: str):
    """Every node of Python `source` (none when it does not parse)."""
    tree = parse(source)
    return ast.walk(tree) if tree is not None else iter(())


_FIELD = re.compile(r"\{\w*(?:[:!][^{}]*)?\}")  # a str.format field: "{what}", "{err:.1e}"


def template_pieces(text: str) -> set[str]:
    """The constant pieces of a message template ("{what} is wrong: {cause}" -> " is wrong: "), long enough."""
    return {p for p in _FIELD.split(text) if len(p.strip()) >= MIN_FRAGMENT}


def string_fragments(source: str) -> set[str]:
    """The constant pieces of every string literal and f-string in Python `source` (a literal that is a gettext
    template, `_("{what} is wrong: {cause}", ...)`, gives its pieces between the fields too)."""
    pieces = {n.value for n in _nodes(source) if isinstance(n, ast.Constant) and isinstance(n.value, str)}
    pieces |= {part for p in pieces if "{" in p for part in template_pieces(p)}
    return {p for p in pieces if len(p.strip()) >= MIN_FRAGMENT}


def code_names(source: str) -> set[str]:
    """Functions, classes and their parameters defined in `source`: names a message may carry."""
    names: set[str] = set()
    for node in _nodes(source):
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and PLAIN_IDENTIFIER.fullmatch(node.value):
            names.add(node.value)  # dict keys and labels: "W1", "relu"
        if isinstance(node, ast.FunctionDef | ast.ClassDef):
            names.add(node.name)
        if isinstance(node, ast.FunctionDef):
            names.update(a.arg for a in [*node.args.posonlyargs, *node.args.args, *node.args.kwonlyargs])
    return names


@dataclass(frozen=True)
class Catalogue:
    """The words one notebook's checks may use: literal fragments and names."""

    fragments: tuple[str, ...]  # longest first
    names: frozenset[str]

    @staticmethod
    def build(sources: list[str], names: Set[str] = frozenset()) -> Catalogue:
        fragments: set[str] = set()
        names = set(names)
        for source in [*sources, *_shared_sources()]:
            fragments |= string_fragments(source)
            names |= code_names(source)
        fragments |= _translated_fragments()  # the same sentences in every language the helpers speak
        # a fragment may stand with its surrounding white space trimmed (f-strings split at their fields)
        fragments |= {f.strip() for f in fragments if len(f.strip()) >= MIN_FRAGMENT}
        fragments |= set(LIBRARY_FRAGMENTS)
        names |= LIBRARY_NAMES | _DTYPES
        return Catalogue(tuple(sorted(fragments, key=len, reverse=True)), frozenset(names))

    def sanitize(self, text: str) -> str | None:
        """`text` with its numbers re-formatted if it reads whole as catalogue words, else None."""
        if not isinstance(text, str) or len(text) > MAX_CHARS:
            return None
        pieces = self._segment(text)
        if pieces is None:
            return None
        for kind, cap in MAX_TOKENS.items():
            if sum(1 for k, p in pieces if k == kind and not p.isspace()) > cap:
                return None
        return "".join(_format_number(p) if kind == "number" else p for kind, p in pieces)

    def _segment(self, text: str) -> list[tuple[str, str]] | None:
        """Split `text` into (kind, piece) with kind fragment/number/name/punct; None when it cannot be.
        Dynamic programming over positions: linear in the text times the catalogue, no backtracking blow-up."""
        n = len(text)
        best: list[list[tuple[str, str]] | None] = [None] * (n + 1)
        best[0] = []
        for i in range(n):
            if best[i] is None:
                continue
            for kind, piece in self._candidates(text, i):
                j = i + len(piece)
                here, there = best[i], best[j]
                assert here is not None
                if there is None or len(there) > len(here) + 1:
                    best[j] = [*here, (kind, piece)]
        return best[n]

    def _candidates(self, text: str, i: int):
        if text[i] in _PUNCT:
            yield "punct", text[i]
        rest = text[i:]
        for fragment in self.fragments:
            if rest.startswith(fragment):
                yield "fragment", fragment
        boundary = i == 0 or not _continues_word(text, i - 1)
        if not boundary:
            return
        number = _NUMBER.match(text, i)
        if number and not _continues_word(text, number.end()):
            yield "number", number.group()
        name = _NAME.match(text, i)
        if name and not _continues_word(text, name.end()):
            word = name.group()
            if word in self.names or word in _EXCEPTIONS or _PARAMETER_KEY.fullmatch(word):
                yield "name", word
        key = _PARAMETER_KEY.match(text, i)
        if key and not _continues_word(text, key.end()) and (not name or key.group() != name.group()):
            yield "name", key.group()


def _continues_word(text: str, end: int) -> bool:
    """Whether an ASCII word goes on at `end` (Hangul does not continue it: a Korean particle follows a name)."""
    return end < len(text) and text[end].isascii() and (text[end].isalnum() or text[end] == "_")


def _format_number(text: str) -> str:
    """A long number cut to 4 significant digits, so a number carries little beyond its value."""
    if len(text) <= 7:
        return text
    try:
        value = float(text)
    except ValueError:
        return text
    if value == int(value) and abs(value) < 1e6 and "e" not in text.lower() and "." not in text:
        return str(int(value))
    return f"{value:.4g}"


@cache
def _shared_sources() -> tuple[str, ...]:
    """The course-wide code whose messages may reach a person: the test helpers and the re-check's probes (the kit's
    and every notebook's probe file in contracts/)."""
    package = Path(__file__).resolve().parents[2]
    files = [package / "bp_helpers" / "testing.py", package / "bp_helpers" / "gradcheck.py"]
    files += [package / "grader" / "sandboxed" / "probe_kit.py", *sorted(contracts_dir().glob("*/*_probes.py"))]
    return tuple(p.read_text(encoding="utf-8") for p in files if p.exists())


@cache
def _translated_fragments() -> frozenset[str]:
    """The pieces of every translation in the helpers' message catalogs (bp_helpers/locale/*/bp_helpers.po) and the
    test cells' (tests.po): a Korean hint is the course's own words exactly as its English original is."""
    from babel.messages.pofile import read_po

    package = Path(__file__).resolve().parents[2]
    pieces: set[str] = set()
    locale = package / "bp_helpers" / "locale"
    for po in sorted([*locale.glob("*/LC_MESSAGES/bp_helpers.po"), *locale.glob("*/LC_MESSAGES/tests.po")]):
        with po.open("rb") as fh:
            pieces |= {part for m in read_po(fh) if m.id and m.string and not m.fuzzy
                       for part in template_pieces(str(m.string))}
    return frozenset(pieces | {p.strip() for p in pieces if len(p.strip()) >= MIN_FRAGMENT})


def safe_identifier(text: object, fallback: str = "an object") -> str:
    """A student-chosen name (an exception type, a class name) if it is a plain identifier, else `fallback`."""
    return text if isinstance(text, str) and PLAIN_IDENTIFIER.fullmatch(text) else fallback


_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f\x80-\x9f\u200b-\u200f\u202a-\u202e\u2066-\u2069]")


def printable(text: str, limit: int = 300) -> str:
    """`text` without control characters (terminal escapes, bidi overrides), cut to `limit` characters."""
    return _CONTROL.sub("?", str(text))[:limit]


_REFUSALS = [  # how each kind of refusal the audit guards log begins (grader/sandboxed/runner.py names the events)
    (("reads ", *READ_EVENTS), "tried to read files outside its folder (refused)"),
    (("writes ", *CHANGE_EVENTS), "tried to change files outside its folder (refused)"),
    (tuple(f"calls {p}" for p in (*PROCESS_PREFIXES, "os.system", "os.forkpty")), "tried to start a process (refused)"),
    (("calls socket.",), "tried to open a network connection (refused)"),
    (("calls ctypes.",), "tried to call C functions through ctypes (refused)"),
    (("calls os.kill",), "tried to signal another process (refused)"),
]


def describe_refusal(what: str) -> str:
    """The grader's sentence for one refusal a guard logged: its kind, never the student-chosen path."""
    text = str(what).strip()
    for prefixes, sentence in _REFUSALS:
        if any(text.startswith(p) for p in prefixes):
            return sentence
    return "did something the grader refuses (refused)"
