"""The course's one bilingual glossary (용어집): every Korean term a notebook uses comes from `glossary.csv`.

Each row of the CSV is one English term with the Korean term the course uses for it (`korean`), other Korean
names the course also accepts (`also`, e.g. the seed's own words), renderings the course does not use (`avoid`,
the variants that once made the notebooks disagree), a one-line definition, and renderings widely used in Korean
books and papers that the course does not write but shows to students so that they recognise them (`seen`, the
last column: "also seen", e.g. 우도 for likelihood). Multiple values are separated by `;`; a row may stop after its
definition (no `seen`). `tests/notebooks/test_glossary_terms.py` fails when a notebook uses an avoided or an
"also seen" rendering, pairs an English glossary term with another term's Korean, or puts a Korean term in
parentheses after an English word that the glossary does not hold.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from functools import cache
from pathlib import Path

GLOSSARY_CSV = Path(__file__).with_name("glossary.csv")


@dataclass(frozen=True)
class Term:
    """One glossary row: the English term, its Korean term, accepted and avoided variants, a definition."""

    english: str
    korean: str
    also: tuple[str, ...]
    avoid: tuple[str, ...]
    definition: str
    seen: tuple[str, ...] = ()  # widely used elsewhere, shown to students, never written by the course


def _split(cell: str | None) -> tuple[str, ...]:
    return tuple(part.strip() for part in (cell or "").split(";") if part.strip())


@cache
def terms() -> tuple[Term, ...]:
    """Every row of glossary.csv, in file order."""
    with GLOSSARY_CSV.open(encoding="utf-8", newline="") as handle:
        return tuple(
            Term(row["english"].strip(), row["korean"].strip(), _split(row["also"]), _split(row["avoid"]),
                 row["definition"].strip(), _split(row.get("seen")))
            for row in csv.DictReader(handle)
        )


def korean(english: str) -> str:
    """The Korean term for `english` (exactly as in the glossary's English column); KeyError if absent."""
    for term in terms():
        if term.english == english:
            return term.korean
    raise KeyError(f"{english!r} is not in the glossary ({GLOSSARY_CSV.name}): add a row for it.")


def korean_terms() -> set[str]:
    """Every Korean rendering the course uses: the `korean` and `also` columns."""
    return {name for term in terms() for name in (term.korean, *term.also)}


def avoided() -> dict[str, Term]:
    """Each rendering the course does not write (avoided or only "also seen") -> the term whose glossary rendering
    replaces it."""
    return {variant: term for term in terms() for variant in (*term.avoid, *term.seen)}


def markdown_table() -> str:
    """The glossary as a Markdown table: English, Korean (with accepted alternatives), also seen elsewhere, meaning."""
    rows = ["| English | Korean | also seen elsewhere | meaning |", "|---|---|---|---|"]
    for term in terms():
        names = ", ".join((term.korean, *term.also))
        rows.append(f"| {term.english} | {names} | {', '.join(term.seen)} | {term.definition} |")
    return "\n".join(rows)


def show() -> None:
    """Display the glossary table in a notebook."""
    from IPython.display import Markdown, display

    display(Markdown(markdown_table()))
