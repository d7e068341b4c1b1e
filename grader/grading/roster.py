"""The roster of a workspace: who each student id is, kept across runs (`.bpcourse/intake.json`).

A person is keyed by what the input's own layout says identifies them (grader/grading/submissions.py): the LMS user
id (`canvas:12345`, `moodle:12345`), Blackboard's user name, the nbgrader tree's folder, or the flat name. A key
keeps the id it was first given, in every later run. A new person whose name cleans to an id someone already holds
(in this run or an earlier one: two Canvas users both `doejane`) is never merged into it nor overwrites it: the
newcomer gets the id plus a digest of its key, and both are flagged `needs review`, in this run and every later one.
"""

from __future__ import annotations

import json
import os
import re
from dataclasses import asdict, dataclass, field
from pathlib import Path

from grader.course.words import Words, phrase
from grader.grading.names import digest, shown
from grader.grading.submissions import Submission

ROSTER_VERSION = 2
NAMESAKES = "student id {base!r} came from "  # how the namesake note begins (it names every person of the id)
# What the student's feedback page says instead: the note names classmates and their LMS keys, the instructor's only.
NAMESAKE_FOR_STUDENT = phrase("another person's submission came with the same student id as yours: your instructor "
                              "keeps the two apart and checks who is who")


def for_student(reason: str) -> Words | None:
    """What a student reads of a roster note that names other people (None: the note is the student's own)."""
    return NAMESAKE_FOR_STUDENT if re.match(r"student id '.*' came from \d+ different people", reason) else None


@dataclass
class Person:
    """One person of the roster: `key` (see the module docstring), `id` the student id given once, `base` the id
    the name cleaned to, `names` the names as submitted (cleaned for reading), `review` needs-review reasons that
    stay, `submitted` per assignment: {"at": ISO time or None, "late": bool, "late_by": seconds or None}."""

    key: str
    id: str
    base: str
    names: list[str] = field(default_factory=list)
    review: list[str] = field(default_factory=list)
    submitted: dict[str, dict] = field(default_factory=dict)


@dataclass
class Roster:
    people: dict[str, Person] = field(default_factory=dict)

    def by_id(self, student: str) -> Person | None:
        return next((p for p in self.people.values() if p.id == student), None)

    def assign(self, found: list[Submission]) -> None:
        """Give every submission its person's id (a new person's id decided here), and its person's reasons."""
        new: dict[str, list[Submission]] = {}
        for sub in found:
            if sub.key not in self.people:
                new.setdefault(sub.key, []).append(sub)
        by_base: dict[str, list[str]] = {}
        for key in sorted(new):
            by_base.setdefault(new[key][0].student.casefold(), []).append(key)
        for base_cf, keys in sorted(by_base.items()):
            self._admit(base_cf, keys, new)
        for sub in found:
            person = self.people[sub.key]
            if sub.submitted_as and sub.submitted_as not in person.names:
                person.names.append(sub.submitted_as)
            # an odd name: kept flagged (the roster keeps the English words: the instructor's)
            person.review.extend(str(r) for r in sub.review if str(r) not in person.review)
            sub.student = person.id
            sub.review.extend(r for r in person.review if r not in {str(s) for s in sub.review})

    def _admit(self, base_cf: str, keys: list[str], new: dict[str, list[Submission]]) -> None:
        holders = [p for p in self.people.values() if base_cf in (p.base.casefold(), p.id.casefold())]
        base = new[keys[0]][0].student
        taken = {p.id.casefold() for p in self.people.values()}
        for key in keys:
            person = Person(key, base, base, [new[key][0].submitted_as])
            if holders or len(keys) > 1:
                person.id = f"{base}-{digest(key)}"
                n = 6
                while person.id.casefold() in taken:  # a digest clash: longer, never shared
                    n += 2
                    person.id = f"{base}-{digest(key, n)}"
            taken.add(person.id.casefold())
            self.people[key] = person
        if not holders and len(keys) == 1:
            return
        everyone = holders + [self.people[k] for k in keys]
        listed = ", ".join(f"'{shown(p.names[0] if p.names else p.key)}' ({shown(p.key)})" for p in everyone)
        for person in everyone:
            later = " (some in an earlier run)" if holders else ""
            reason = (
                NAMESAKES.format(base=base) + f"{len(everyone)} different people{later}: {listed}; kept apart, "
                f"this one ('{shown(person.names[0] if person.names else person.key)}') as {person.id!r}; "
                "check who is who"
            )
            person.review = [r for r in person.review if not r.startswith(NAMESAKES.format(base=base))]
            person.review.append(reason)

    def note_submitted(self, chosen: list[Submission]) -> None:
        """Keep each graded submission's time and lateness (read by the CSV and the feedback)."""
        for sub in chosen:
            if sub.assignment is None or sub.key not in self.people:
                continue
            self.people[sub.key].submitted[sub.assignment] = {
                "at": sub.submitted_at.isoformat(timespec="seconds") if sub.submitted_at else None,
                "late": sub.late,
                "late_by": sub.late_by,
            }


def roster_path(state: Path) -> Path:
    return state / "intake.json"


def load_roster(state: Path | None) -> Roster:
    """The workspace's roster (empty when there is none, or it is damaged or of an older version)."""
    if state is None:
        return Roster()
    try:
        data = json.loads(roster_path(state).read_text(encoding="utf-8"))
        if data.get("version") != ROSTER_VERSION:
            return Roster()
        return Roster({key: Person(**person) for key, person in data["people"].items()})
    except (OSError, ValueError, TypeError, KeyError, AttributeError):
        return Roster()


def save_roster(state: Path, roster: Roster) -> None:
    path = roster_path(state)
    path.parent.mkdir(parents=True, exist_ok=True)
    data = {"version": ROSTER_VERSION, "people": {k: asdict(p) for k, p in sorted(roster.people.items())}}
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(data, indent=1, ensure_ascii=True), encoding="utf-8")
    os.replace(tmp, path)
