"""`bpcourse`: the course's command line (start, check, explore, release, grade). Every subcommand has `--help`."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from grader.errors import CourseError

DEFAULT_STUDENT_DIR = "my-backprop-course"


def _cmd_release(args: argparse.Namespace) -> int:
    from grader.release import release

    written = release()
    print(f"released {len(written)} notebook(s) into course/:")
    for path in written:
        print(f"  {path.parent.name}/{path.name}")
    return 0


def _cmd_start(args: argparse.Namespace) -> int:
    from grader.lab import open_lab
    from grader.paths import course_dir
    from grader.student_copy import copy_course

    dest = Path(args.dir).resolve()
    report = copy_course(course_dir(), dest)
    print(f"your course folder: {dest}")
    for line in report.lines():
        print(f"  {line}")
    if args.no_lab:
        return 0
    print("opening JupyterLab (stop it with Ctrl+C) ...")
    return open_lab(dest, no_browser=args.no_browser)


def _cmd_check(args: argparse.Namespace) -> int:
    from grader.selfcheck import execute, prepare
    from grader.selfcheck import verdicts as verdicts_of
    from grader.trusted_selfcheck import apply_trusted_check

    path = Path(args.notebook)
    source, merged = prepare(path)
    print(f"checking {path} ({source.assignment}/{source.path.name}) with every test, hidden ones included ...")
    verdicts = verdicts_of(execute(merged, path.resolve().parent, show_progress=not args.quiet))
    # The same trusted re-check `bpcourse grade` runs, so a self-learner's verdict equals the grader's.
    verdicts = apply_trusted_check(path, verdicts)
    width = max(len(v.exercise) for v in verdicts)
    for v in verdicts:
        label = {"pass": "PASS", "fail": "FAIL", "manual": "TODO"}[v.status]
        line = f"  {label}  {v.exercise:<{width}}  {v.points:g}/{v.max_points:g}"
        print(f"{line}  {v.reason}" if v.reason else line)
    auto = [v for v in verdicts if v.status != "manual"]
    score = sum(v.points for v in auto)
    total = sum(v.max_points for v in auto)
    failed = [v for v in auto if v.status == "fail"]
    manual = [v for v in verdicts if v.status == "manual"]
    print(f"autograded: {score:g}/{total:g} points, {len(auto) - len(failed)}/{len(auto)} exercises pass")
    if manual:
        print(f"written answers: {len(manual)} (worth {sum(v.max_points for v in manual):g} points) await a person")
    return 1 if failed else 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="bpcourse",
        description="Backpropagation in five steps: open the course, check your work, release it (instructors).",
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    p = sub.add_parser(
        "start",
        help="copy the student notebooks into a folder and open JupyterLab there",
        description="Copy the student notebooks into DIR and open JupyterLab there. A notebook that already "
        "exists is never overwritten: a newer course version arrives beside it as "
        "NAME.course-update-XXXXXXXX.ipynb.",
    )
    p.add_argument(
        "dir", nargs="?", default=DEFAULT_STUDENT_DIR, help=f"your course folder (default: ./{DEFAULT_STUDENT_DIR})"
    )
    p.add_argument("--no-lab", action="store_true", help="copy the notebooks only; do not open JupyterLab")
    p.add_argument("--no-browser", action="store_true", help="start JupyterLab without opening a browser")
    p.set_defaults(func=_cmd_start)

    p = sub.add_parser(
        "check",
        help="run a notebook with all its tests and print a verdict per exercise",
        description="Run NOTEBOOK in a fresh kernel with every test of its assignment, hidden ones included, "
        "and print a verdict per exercise. Exit status 1 when an exercise fails.",
    )
    p.add_argument("notebook", help="path of your .ipynb notebook")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.set_defaults(func=_cmd_check)

    p = sub.add_parser(
        "release",
        help="(instructors) regenerate course/ from solutions/ with nbgrader",
        description="Regenerate the student notebooks in course/ from the instructor notebooks in solutions/ "
        "through nbgrader's generate_assignment: solutions and hidden tests removed, outputs stripped. "
        "Two runs give identical files.",
    )
    p.set_defaults(func=_cmd_release)

    from grader.explore import add_explore_parser
    from grader.grade import add_grade_parser

    add_grade_parser(sub)
    add_explore_parser(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.func(args)
    except CourseError as err:
        print(f"bpcourse {args.command}: error: {err}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(f"bpcourse {args.command}: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
