"""`bpcourse`: the course's command line (start, check, explore, release, grade). Every subcommand has `--help`."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from grader.course.words import english, error_words, say
from grader.errors import CourseError
from grader.grading.command import add_cluster_keys_parser, add_export_parser, add_grade_parser, add_review_parser
from grader.student.explore import add_explore_parser

if TYPE_CHECKING:
    from tqdm import tqdm

DEFAULT_STUDENT_DIR = "my-backprop-course"


def _cmd_release(args: argparse.Namespace) -> int:
    if args.public:
        from grader.course.paths import repo_root
        from grader.course.public_copy import write_public_copy

        copied = write_public_copy(repo_root(), Path(args.public))
        print(f"public copy in {args.public}: {len(copied)} notebook(s), the helpers and the README; no solutions")
        return 0
    from grader.course.release import release

    written = release()
    print(f"released {len(written)} notebook(s):")
    for path in written:
        print(f"  {path.parent.parent.name}/{path.parent.name}/{path.name}")
    return 0


def _student_dir(args: argparse.Namespace) -> Path:
    """DIR as given; else the course folder that holds the --fresh notebook; else ./my-backprop-course."""
    if args.dir:
        return Path(args.dir).resolve()
    if args.fresh and Path(args.fresh).is_file():
        from grader.course.paths import course_dir

        notebook = Path(args.fresh).resolve()
        if (course_dir() / notebook.parent.name).is_dir():  # DIR/01_term/01_term.ipynb
            return notebook.parent.parent
    return Path(DEFAULT_STUDENT_DIR).resolve()


def _cmd_start(args: argparse.Namespace) -> int:
    from grader.course.paths import course_dir, edition_dir
    from grader.student.lab import open_lab
    from grader.student.start import copy_course, fresh_copy

    edition = edition_dir(args.lang) if args.lang != "en" else None
    # The student's kernels read it: the helpers' hints, widgets and plot labels in the course's language.
    os.environ["BPCOURSE_LANG"] = args.lang
    dest = _student_dir(args)
    if dest.exists() and not dest.is_dir():
        raise CourseError(english("{dest} is a file: name a folder for your copy of the course (or omit it).",
                                  dest=str(dest)))
    if args.fresh:
        fresh = fresh_copy(course_dir(), dest, args.fresh, edition)
        print(say(args.lang, "fresh copy: {notebook}", notebook=fresh.notebook))
        if fresh.kept_as:
            print("  " + say(args.lang, "your old file is kept beside it as {name}", name=fresh.kept_as.name))
    report = copy_course(course_dir(), dest, edition)
    print(say(args.lang, "your course folder: {folder}", folder=dest))
    if edition is not None:
        from grader.course.i18n import released

        translated = released(course_dir().parent, args.lang)
        untranslated = sorted(p.stem for p in course_dir().glob("*/*.ipynb") if p.stem not in translated)
        if untranslated:
            names = ", ".join(untranslated)  # not a literal inside the call: Babel's extractor took it for the message
            print("  " + say(args.lang, "in English until translated: {names}", names=names))
    for line in report.lines(args.lang):
        print(f"  {line}")
    if args.no_lab:
        return 0
    print(say(args.lang, "opening JupyterLab (stop it with Ctrl+C) ..."))
    return open_lab(dest, no_browser=args.no_browser)


def _said_lang(args: argparse.Namespace) -> str:
    """The language a command answers a person in: its --lang (`start`), else the course's (BPCOURSE_LANG)."""
    from bp_helpers.i18n import LANGUAGES, course_lang

    lang = getattr(args, "lang", None)
    return lang if lang in LANGUAGES else course_lang()


def not_a_notebook(path: Path) -> str | None:
    """Why `path` cannot be a notebook, judged by its name before anything reads it; None if it may be one."""
    if not path.is_file() or path.suffix.lower() == ".ipynb":
        return None  # a missing file or a folder: the notebook reader names those
    if path.suffix.lower() == ".py":
        return english(
            "{path} is a Python file, not a notebook: give the .ipynb notebook you work in "
            "(e.g. {example}); a script has no graded cells to check.",
            path=str(path), example=f"{DEFAULT_STUDENT_DIR}/01_term/01_term.ipynb")
    return english("{path} is not a notebook (a notebook's name ends in .ipynb): give the .ipynb file you work in.",
                   path=str(path))


def _cmd_check(args: argparse.Namespace) -> int:
    path = Path(args.notebook)
    problem = not_a_notebook(path)
    if problem:
        raise CourseError(problem)

    from grader.student import check_server

    bar = _CellBar(disabled=args.quiet)
    try:
        # the user's warm server when it can be reached or started; else in this process (the same words). With
        # -v or --debug, here: the grader's log goes to this terminal, not to the server's log
        logged = args.verbose or args.debug
        served = check_server.ask(path, bar.update, print) if check_server.enabled() and not logged else None
        if served is not None:
            print(served.out, end="")
            return served.status
        from grader.student.check import header_line, print_report, run_check

        print(header_line(path))
        report = run_check(path, progress=bar.update)
    finally:
        bar.close()
    print_report(report)
    return 1 if report.failed else 0


class _CellBar:
    """tqdm's bar on stderr for the cells of the notebook being checked, with the running cell's seconds beside it,
    refreshed twice a second by a thread of its own (a stuck cell shows its seconds going up). Nothing is drawn
    before the first cell starts (a file refused at once leaves its one-line error alone)."""

    def __init__(self, disabled: bool) -> None:
        import threading
        import time

        self.disabled, self.since = disabled, time.monotonic()
        self.bar: tqdm | None = None
        self._stop = threading.Event()
        self._thread = None if disabled else threading.Thread(target=self._tick, daemon=True)
        if self._thread:
            self._thread.start()

    def update(self, index: int, count: int) -> None:
        import time

        from tqdm import tqdm

        if self.disabled:
            return
        if self.bar is None:
            self.bar = tqdm(total=count, desc="running cells", unit="cell", file=sys.stderr, leave=False)
        self.bar.total, self.bar.n, self.since = count, index, time.monotonic()  # the cells before it are done
        self.bar.refresh()

    def _tick(self) -> None:
        import time

        while not self._stop.wait(0.5):
            bar = self.bar
            if bar is not None:
                bar.set_postfix_str(f"cell {bar.n + 1}: {time.monotonic() - self.since:.0f} s")

    def close(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join()  # a tick after the bar closed would leave the terminal mid-line (issue 26)
        if self.bar is not None:
            self.bar.close()


def build_parser() -> argparse.ArgumentParser:
    """The `bpcourse` parser. Each command's module is imported only when it runs, and the modules the parser needs
    (grader.grading.command, grader.student.explore) stay light, which keeps help and argument errors well under
    0.5 s (benchmarks/bench_cli.py, tests/grader/test_cli.py)."""
    parser = argparse.ArgumentParser(
        prog="bpcourse",
        description="Backpropagation in five steps: open the course, check your work, release it (instructors).",
    )
    parser.add_argument("-v", "--verbose", action="store_true", help="say what the grader does (logging at INFO)")
    parser.add_argument(
        "--debug", action="store_true", help="diagnostics for instructors: the kernels' guards, the re-check's output"
    )
    parser.add_argument(
        "--course",
        metavar="DIR",
        help="the course's checkout (solutions/, contracts/, course/): needed when bpcourse is installed from a wheel "
        "rather than from the checkout (default: $BPCOURSE_ROOT, else the checkout bpcourse is installed from)",
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    _add_start_parser(sub)
    _add_check_parser(sub)
    _add_release_parser(sub)
    add_grade_parser(sub)
    add_cluster_keys_parser(sub)
    add_export_parser(sub)
    add_review_parser(sub)
    add_explore_parser(sub)
    return parser


def _subcommand(sub, name: str, func, **texts: str) -> argparse.ArgumentParser:
    """A subcommand `name` that runs `func(args)`; `texts`: its help and description."""
    parser = sub.add_parser(name, **texts)
    parser.set_defaults(func=func)
    return parser


def _add_start_parser(sub) -> None:
    p = _subcommand(
        sub,
        "start",
        _cmd_start,
        help="copy the student notebooks into a folder and open JupyterLab there",
        description="Copy the student notebooks into DIR and open JupyterLab there. A notebook that already "
        "exists is never overwritten: a newer course version arrives beside it as "
        "NAME.course-update-XXXXXXXX.ipynb. To start a notebook over (emptied or damaged), use --fresh NOTEBOOK: "
        "the course's copy takes its place and your old file stays beside it as "
        "NAME.before-fresh-DATE-TIME.ipynb.",
    )
    p.add_argument(
        "dir",
        nargs="?",
        default=None,
        help=f"your course folder (default: ./{DEFAULT_STUDENT_DIR}, or the one that holds the --fresh notebook)",
    )
    fresh = "replace NOTEBOOK (its path, or a name such as 01_term.ipynb) with a fresh copy of the course's; the old"
    p.add_argument("--fresh", metavar="NOTEBOOK", help=f"{fresh} file is kept beside it, never deleted")
    p.add_argument("--no-lab", action="store_true", help="copy the notebooks only; do not open JupyterLab")
    p.add_argument("--no-browser", action="store_true", help="start JupyterLab without opening a browser")
    p.add_argument(
        "--lang",
        choices=["en", "ko"],
        default=os.environ.get("BPCOURSE_LANG", "en") if os.environ.get("BPCOURSE_LANG") in ("en", "ko") else "en",
        help="the course's language: ko gives the Korean edition (course-ko/) of every notebook translated so far, "
        "English for the others (default: $BPCOURSE_LANG, else en)",
    )


def _add_check_parser(sub) -> None:
    p = _subcommand(
        sub,
        "check",
        _cmd_check,
        help="run a notebook with all its tests and print a verdict per exercise",
        description="Run NOTEBOOK in a fresh kernel with every test of its assignment, hidden ones included, "
        "and print a verdict per exercise. Exit status 1 when an exercise fails.",
    )
    p.add_argument("notebook", help="path of your .ipynb notebook")
    p.add_argument("--quiet", action="store_true", help="no progress bar")


def _add_release_parser(sub) -> None:
    _subcommand(
        sub,
        "release",
        _cmd_release,
        help="(instructors) regenerate course/ from solutions/ with nbgrader",
        description="Regenerate the student notebooks in course/ from the instructor notebooks in solutions/ "
        "through nbgrader's generate_assignment: solutions and hidden tests removed, outputs stripped. "
        "Two runs give identical files.",
    ).add_argument(
        "--public",
        metavar="DIR",
        help="instead, write a copy for students into the new folder DIR: course/, course-ko/, bp_helpers and the "
        "bpcourse command (make start; pip install DIR), without solutions/, contracts/, tests or the re-check's "
        "inputs",
    )


def _configure_logging(args: argparse.Namespace) -> None:
    """Diagnostics go to stderr through `logging` (the report a person reads is printed): the grader's own loggers at
    INFO with -v, at DEBUG with --debug; other libraries' stay at WARNING."""
    if not (args.verbose or args.debug):
        return
    import logging

    logging.basicConfig(stream=sys.stderr, format="%(levelname)s %(name)s: %(message)s")
    logging.getLogger("grader").setLevel(logging.DEBUG if args.debug else logging.INFO)


def main(argv: list[str] | None = None) -> int:
    # jsonschema imports rfc3987_syntax, when installed (jupyter-events wants it), to check the "iri" format, and
    # that builds a grammar on import: 0.9 s of every `bpcourse check`. No schema the grader validates uses it.
    sys.modules.setdefault("rfc3987_syntax", None)  # type: ignore[arg-type]  # None: "not importable", by design
    argv = list(sys.argv[1:] if argv is None else argv)
    args = build_parser().parse_args(argv)
    _configure_logging(args)
    try:
        if args.course:
            from grader.course.paths import use_course

            use_course(Path(args.course))
        return args.func(args)
    except CourseError as err:
        lang = _said_lang(args)
        word = say(lang, "error")
        print(f"bpcourse {args.command}: {word}: {error_words(err, lang)}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        word = say(_said_lang(args), "interrupted")
        print(f"bpcourse {args.command}: {word}", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
