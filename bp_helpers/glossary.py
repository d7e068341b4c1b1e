"""The course's one bilingual glossary (용어집): every Korean term a notebook uses comes from `glossary.csv`.

Each row of the CSV is one English term with the Korean term the course uses for it (`korean`), other Korean
names the course also accepts (`also`, e.g. the seed's own words), renderings the course does not use (`avoid`,
the variants that once made the notebooks disagree), and a one-line definition. Multiple values are separated by
`;`. `tests/notebooks/test_glossary_terms.py` fails when a notebook uses an avoided rendering, or puts a Korean
term in parentheses after an English word that the glossary does not hold.
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


def _split(cell: str) -> tuple[str, ...]:
    return tuple(part.strip() for part in cell.split(";") if part.strip())


@cache
def terms() -> tuple[Term, ...]:
    """Every row of glossary.csv, in file order."""
    with GLOSSARY_CSV.open(encoding="utf-8", newline="") as handle:
        return tuple(
            Term(row["english"].strip(), row["korean"].strip(), _split(row["also"]), _split(row["avoid"]),
                 row["definition"].strip())
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
    """Each avoided rendering -> the term whose glossary rendering replaces it."""
    return {variant: term for term in terms() for variant in term.avoid}


def markdown_table() -> str:
    """The glossary as a Markdown table: English, Korean (with accepted alternatives), meaning."""
    rows = ["| English | Korean | meaning |", "|---|---|---|"]
    for term in terms():
        names = ", ".join((term.korean, *term.also))
        rows.append(f"| {term.english} | {names} | {term.definition} |")
    return "\n".join(rows)


def show() -> None:
    """Display the glossary table in a notebook."""
    from IPython.display import Markdown, display

    display(Markdown(markdown_table()))
