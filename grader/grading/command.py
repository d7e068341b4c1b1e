"""`bpcourse grade`'s command line (light to import: `--help` and argument errors load no grading code)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from grader.errors import CourseError
from grader.grading.records import Settings

HELP = """Grade a class: every notebook under SUBMISSIONS, with nbgrader's autograde (gradebook, autograded
notebooks, feedback) in a workspace outside the checkout, in parallel, each graded function re-checked in a
separate limited process against the solution notebook's own functions. SUBMISSIONS is an nbgrader
`<student>/<assignment>/*.ipynb` tree, a flat folder of notebooks or a .zip of them (an LMS export). In a flat
folder or zip the layout is read by rule (--layout): Canvas, Moodle and Blackboard exports by their fixed parts, an
nbgrader tree, else a flat folder, where the student id is the name up to `__`, else up to the first `_`
(`doejane_01_term.ipynb` -> `doejane`); ids are kept in the workspace across runs, and two people whose names clean
to one id are kept apart and flagged. Every file not graded is listed in intake-report.csv. Writes class-grades.csv
and feedback/<student>/<assignment>/*.html in the workspace and prints a summary. A run that was stopped keeps
every grade already made when started again. Exit status: 0 all graded, 1 some need review, 2 an error stopped
the run, 3 the grader failed on some notebooks (each flagged in the CSV, graded again by the next run), 130
interrupted (the CSV holds what was graded)."""


def add_grade_parser(subparsers) -> argparse.ArgumentParser:
    """Define `bpcourse grade` on the CLI's subparsers."""
    p = subparsers.add_parser("grade", help="(instructors) grade a class of submissions in parallel", description=HELP)
    p.add_argument("submissions", nargs="?", help="submissions: nbgrader tree, flat folder or .zip")
    p.add_argument("--workspace", help="grading workspace folder, outside the checkout (created if missing)")
    p.add_argument("--assignment", help="grade only this assignment (e.g. 01_term)")
    p.add_argument("--jobs", type=int, default=None, help="parallel workers (default: the number of cores plus one)")
    p.add_argument(
        "--demo",
        action="store_true",
        help="grade a bundled synthetic class (11 students: right, partly right, wrong, cheating, broken) in a "
        "temporary workspace and print the table; --assignment picks the assignment (default: the first; 'all')",
    )
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.add_argument(
        "--yes",
        action="store_true",
        help="grade again, without asking, the published grades that the course's change (a solution or its re-check "
        "contract edited since they were made) would move (for scripts; without it the grader asks on a terminal "
        "and, elsewhere, keeps those grades and says so)",
    )
    p.add_argument(
        "--layout",
        choices=["auto", "nbgrader", "flat", "canvas", "moodle", "blackboard"],
        default="auto",
        help="how SUBMISSIONS is laid out (default: auto, the one rule that takes every notebook; an ambiguous "
        "input is refused). Files the layout's rule does not take are listed in intake-report.csv, not graded",
    )
    p.add_argument(
        "--due",
        action="append",
        default=[],
        metavar="ASSIGNMENT=TIME",
        help="the due date of an assignment, e.g. 01_term=2026-12-01T23:59+09:00 (kept in the workspace and its "
        "gradebook; repeat for each assignment); late work is marked in the CSV, the feedback and the gradebook",
    )
    p.add_argument(
        "--scheduler",
        metavar="tls://HOST:PORT",
        help="send the jobs to this Dask distributed scheduler instead of this machine's cores; mutual TLS only "
        "(pip install 'backprop-course[cluster]'; see deploy/README.md)",
    )
    p.add_argument(
        "--cluster-keys",
        metavar="DIR",
        help="with --scheduler: the folder of the cluster's CA and the instructor's certificate "
        "(made by bpcourse cluster-keys)",
    )
    p.add_argument(
        "--lang",
        choices=["en", "ko"],
        default=None,
        help="the language the class was released in (ko: the Korean edition, course-ko/), kept in the workspace: "
        "a note on a notebook the grader could not read (a refused file, the grader's own failure) is said to the "
        "student in it (default: the one kept, else $BPCOURSE_LANG, else en); a notebook read is answered in its own "
        "language",
    )
    defaults = Settings()
    p.add_argument(
        "--cell-cpu-seconds",
        type=float,
        default=defaults.cell_cpu_seconds,
        help="CPU seconds a cell may use (default: %(default)g); a busy machine does not count against it",
    )
    p.add_argument(
        "--notebook-seconds",
        type=float,
        default=defaults.notebook_seconds,
        help="wall-clock budget of a whole notebook (default: sized from the solution's own run)",
    )
    p.add_argument(
        "--max-notebook-mb",
        type=float,
        default=defaults.max_notebook_bytes / 1024**2,
        help="a larger submitted notebook is flagged and never run (default: %(default)g)",
    )
    p.set_defaults(func=cmd_grade)
    return p


def cmd_grade(args: argparse.Namespace) -> int:
    if args.jobs is not None and args.jobs < 1:
        raise CourseError("--jobs must be at least 1.")
    if args.demo:
        from grader.grading.demo_class import run_demo

        workspace = Path(args.workspace) if args.workspace else None
        return run_demo(jobs=args.jobs, workspace=workspace, assignment=args.assignment, progress=not args.quiet)
    if not args.submissions or not args.workspace:
        raise CourseError("give SUBMISSIONS and --workspace DIR (or --demo).")
    settings = Settings(
        cell_cpu_seconds=args.cell_cpu_seconds,
        notebook_seconds=args.notebook_seconds,
        max_notebook_bytes=int(args.max_notebook_mb * 1024**2),
    )
    from grader.grading.grade import run_grade

    summary = run_grade(
        Path(args.submissions),
        Path(args.workspace),
        args.assignment,
        args.jobs,
        progress=not args.quiet,
        settings=settings,
        scheduler=args.scheduler,
        cluster_keys=args.cluster_keys,
        layout=args.layout,
        due=args.due,
        confirm=None if args.yes else ask_before_regrading,
        lang=args.lang,
    )
    return exit_status(summary)


def ask_before_regrading(lines: list[str]) -> bool:
    """Ask on a terminal whether to grade again the published grades the course's change would move (`lines`, why,
    are printed above by run_grade); elsewhere (a script, a pipe) keep them and say how to regrade (--yes)."""
    if not sys.stdin.isatty():
        print("the course changed under published grades: run again with --yes to grade them again")
        return False
    answer = input("Grade these again, replacing their published grades? [y/N] ")
    return answer.strip().lower() in ("y", "yes")


def exit_status(summary) -> int:
    """3 when the grader failed on a notebook (not recorded, or its own error: flagged, graded again on the next
    run), 1 when a notebook needs review, else 0 (2: an error stopped the run; 130: interrupted)."""
    if summary.failures:
        return 3
    return 1 if any(r.review for r in summary.results) else 0


def add_cluster_keys_parser(subparsers) -> argparse.ArgumentParser:
    """Define `bpcourse cluster-keys DIR`: the certificates of a grading cluster (grader/grading/cluster_keys.py)."""
    p = subparsers.add_parser(
        "cluster-keys",
        help="(instructors) make the TLS certificates of a Dask grading cluster",
        description="Make a certificate authority and the certificates it signs for a Dask grading cluster (mutual "
        "TLS) in DIR: ca.pem for everyone, cluster.pem/cluster-key.pem for the scheduler and workers, "
        "instructor.pem/instructor-key.pem for `bpcourse grade --cluster-keys DIR`, and ca-key.pem to keep to "
        "yourself. Never overwrites a key.",
    )
    p.add_argument("dir", help="a new folder for the keys")
    p.add_argument("--days", type=int, default=180, help="how long the certificates are valid (default: %(default)s)")
    p.add_argument("--host", default="SCHEDULER-HOST", help="the scheduler's address, for the printed commands")
    p.set_defaults(func=cmd_cluster_keys)
    return p


def cmd_cluster_keys(args: argparse.Namespace) -> int:
    from grader.grading.cluster_keys import make_keys

    if args.days < 1:
        raise CourseError("--days must be at least 1.")
    keys = make_keys(Path(args.dir), days=args.days)
    print(f"cluster keys in {keys.folder} (keep ca-key.pem to yourself; copy ca.pem, cluster.pem and cluster-key.pem")
    print("to the scheduler and every worker machine). Then:")
    for line in keys.commands(args.host):
        print(f"  {line}")
    return 0


def add_export_parser(subparsers) -> argparse.ArgumentParser:
    """Define `bpcourse export`: per-assignment totals for Canvas, Moodle or a table (grader/grading/exports.py)."""
    p = subparsers.add_parser(
        "export",
        help="(instructors) the class's grades as a file Canvas or Moodle imports, or a plain table",
        description="Per-assignment totals from the workspace's gradebook (autograded points, hand grades and "
        "overrides, late penalties), one row per student; a student who handed nothing in is marked as such, not 0.",
    )
    p.add_argument("--workspace", required=True, help="the grading workspace")
    p.add_argument("--format", choices=["canvas", "moodle", "table"], default="table", help="default: %(default)s")
    p.add_argument("--out", required=True, help="the CSV file to write")
    p.add_argument(
        "--roster",
        help="a CSV of the class with a header naming some of: student, name, email, lms_id, sis_user_id, "
        "sis_login_id, section, id_number (each line: student or lms_id); it also fills nbgrader's student table",
    )
    p.add_argument(
        "--column",
        action="append",
        default=[],
        metavar="ASSIGNMENT=NAME",
        help="the LMS's name of an assignment's column, e.g. '01_term=Step 1 (4321)' (Canvas: name and id)",
    )
    p.set_defaults(func=cmd_export)
    return p


def graded_workspace(folder: str) -> Path:
    """The workspace `bpcourse grade` wrote (it has a gradebook), or a one-line error."""
    workspace = Path(folder)
    if not (workspace / "gradebook.db").is_file():
        raise CourseError(f"{workspace}: no gradebook.db here; give the workspace `bpcourse grade` wrote.")
    return workspace


def cmd_export(args: argparse.Namespace) -> int:
    from grader.grading.exports import Format, read_roster, write_export

    workspace = graded_workspace(args.workspace)
    columns = {}
    for item in args.column:
        assignment, sep, name = item.partition("=")
        if not sep or not assignment.strip() or not name.strip():
            raise CourseError(f"--column {item!r}: write ASSIGNMENT=NAME, e.g. '01_term=Step 1 (4321)'.")
        columns[assignment.strip()] = name.strip()
    roster = read_roster(Path(args.roster)) if args.roster else None
    done = write_export(workspace, Format(args.format), Path(args.out), roster, columns)
    print(f"{done.path}: {done.rows} student(s), {args.format} format")
    if done.not_in_roster:
        print(f"graded but not in the roster (rows without LMS ids): {', '.join(done.not_in_roster)}")
    return 0


def add_review_parser(subparsers) -> argparse.ArgumentParser:
    """Define `bpcourse review`: clear needs-review flags an instructor settled (grader/grading/reviews.py)."""
    p = subparsers.add_parser(
        "review",
        help="(instructors) clear a settled 'needs review' flag, or list the flags",
        description="A flag cleared here stops making the student's status `needs review` (class-grades.csv is "
        "written again); a new reason, from a later run, flags the notebook again. Points are not changed: use "
        "formgrader for that.",
    )
    p.add_argument("--workspace", required=True, help="the grading workspace")
    p.add_argument("--clear", metavar="STUDENT/ASSIGNMENT[/NOTEBOOK]", help="the notebook(s) whose reasons you settled")
    p.add_argument("--note", default="", help="why (kept with the clearing)")
    p.set_defaults(func=cmd_review)
    return p


def cmd_review(args: argparse.Namespace) -> int:
    from grader.grading.journal import class_results
    from grader.grading.report import write_csv
    from grader.grading.reviews import clear, load_cleared, open_reasons

    workspace = graded_workspace(args.workspace)
    results = class_results(workspace, [])
    if args.clear:
        done = clear(workspace, results, args.clear, args.note)
        print(f"cleared {len(done)} notebook(s): " + ", ".join("/".join(k) for k in done))
        print(f"grades: {write_csv(workspace, results)}")
        return 0
    cleared = load_cleared(workspace)
    flagged = [(r, open_reasons(r, cleared)) for r in results]
    for r, reasons in flagged:
        for reason in reasons:
            print(f"{r.student}/{r.assignment}/{r.notebook}: {reason}")
    print(f"{sum(1 for _, reasons in flagged if reasons)} notebook(s) need review")
    return 0


def main(argv: list[str] | None = None) -> int:
    """`python -m grader.grading.command [grade] SUBMISSIONS --workspace DIR ...` (the same options as `bpcourse
    grade`)."""
    argv = list(sys.argv[1:] if argv is None else argv)
    if not argv or argv[0] != "grade":
        argv.insert(0, "grade")
    parser = argparse.ArgumentParser(prog="bpcourse")
    add_grade_parser(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(argv)
    try:
        return args.func(args)
    except CourseError as err:
        print(f"bpcourse grade: error: {err}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
