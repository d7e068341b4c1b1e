"""Make the feedback `bpcourse grade` wrote releasable with `nbgrader release_feedback`.

nbgrader names a student's feedback in the exchange after a secret that `nbgrader collect` stored beside each
submission (`submitted/<student>/<assignment>/submission_secret.txt`, with `timestamp.txt`); `release_feedback`
reads both from `feedback/<student>/<assignment>/`. `bpcourse grade` writes the feedback HTML there but not those
two files, so this copies them over, for every feedback folder of the assignment.

    python3 stamp_feedback.py COURSE_ROOT --assignment 01_term [--submitted DIR]

COURSE_ROOT holds feedback/ (the `--workspace` of `bpcourse grade`); DIR is the collected submitted/ tree
(default COURSE_ROOT/submitted). Exit status 1 when a feedback folder has no collected submission to pair with
(such a notebook did not come through the exchange, and nbgrader cannot send its feedback).
"""

from __future__ import annotations

import argparse
import shutil
import sys
from pathlib import Path

STAMPS = ("timestamp.txt", "submission_secret.txt")


def stamp(root: Path, assignment: str, submitted: Path | None = None) -> tuple[list[str], list[str]]:
    """Copy the stamps; returns (students stamped, problems)."""
    submitted = submitted or root / "submitted"
    done, problems = [], []
    for folder in sorted((root / "feedback").glob(f"*/{assignment}")):
        if not any(folder.glob("*.html")):
            continue
        student = folder.parent.name
        missing = [name for name in STAMPS if not (submitted / student / assignment / name).is_file()]
        if missing:
            problems.append(f"{student}: no {' or '.join(missing)} in {submitted / student / assignment}")
            continue
        for name in STAMPS:
            shutil.copyfile(submitted / student / assignment / name, folder / name)
        done.append(student)
    return done, problems


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("root", type=Path, help="the course root / bpcourse workspace that holds feedback/")
    parser.add_argument("--assignment", required=True)
    parser.add_argument("--submitted", type=Path, help="the collected submitted/ tree (default ROOT/submitted)")
    args = parser.parse_args(argv)
    done, problems = stamp(args.root, args.assignment, args.submitted)
    print(f"feedback ready to release for {len(done)} student(s): {', '.join(done) or '-'}")
    for problem in problems:
        print(f"not releasable: {problem}", file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
