"""The worker side of `bpcourse grade`: grade one submitted notebook (`grade_one`), in a process of its own.

Reads the notebook defensively, tells what the student changed in the cells nbgrader owns, runs nbgrader's
autograde preprocessors in a guarded kernel (grader/grading/kernel_guard.py) in a scratch folder, then the trusted re-check
(grader/recheck/trusted_check.py), and returns the exercises' results with the executed notebook. It never writes the
gradebook: the parent does, alone (grader/grading/journal.py).
"""

from __future__ import annotations

import copy
import json
import logging
import os
import re
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import nbformat

from grader.course.cells import is_test_cell, nbgrader_meta
from grader.course.nbgrader_config import ensure_alembic_on_path
from grader.grading.job_kernel import (
    GradingKernelManager,
    GuardChannel,
    JobFolders,
    Watchdog,
    copy_regular_files,
    kernel_config,
    notebook_budget,
)
from grader.grading.kernel_guard import ISOLATION_PREFIX
from grader.grading.messages import Catalogue, describe_refusal, printable, safe_identifier
from grader.grading.records import ExerciseResult, JobResult, Settings
from grader.grading.sources import catalogue_of, reference_time
from grader.grading.workspace import KERNEL_NAME, state_dir
from grader.recheck.specs import check_keys, object_name
from grader.recheck.trusted_check import NOT_DEFINED, trusted_check

MAX_STREAM_CHARS = 100_000
log = logging.getLogger(__name__)


@dataclass(frozen=True)
class WorkerContext:
    workspace: str
    snapshot_db: str
    settings: Settings
    deny: tuple[str, ...] = ()  # folders no grant of the kernel may cover (solutions, workspace, submissions)


_CTX: dict = {}
_PROGRESS: list = [None]  # bpcourse check's callback(cell index, cell count), called as each cell starts


def set_progress(callback) -> None:
    _PROGRESS[0] = callback


def init_worker(ctx: WorkerContext) -> None:
    _CTX["ctx"] = ctx
    ws = Path(ctx.workspace)
    os.environ["JUPYTER_PATH"] = os.pathsep.join(
        [str(state_dir(ws) / "jupyter"), *filter(None, [os.environ.get("JUPYTER_PATH")])]
    )
    os.environ.setdefault("PYDEVD_DISABLE_FILE_VALIDATION", "1")
    ensure_alembic_on_path()
    logging.getLogger("traitlets").setLevel(logging.CRITICAL)


def sources_of(workspace: Path, assignment: str):
    from grader.grading.sources import read_source

    key = ("sources", str(workspace), assignment)
    if key not in _CTX:
        folder = workspace / "source" / assignment
        _CTX[key] = {p.stem: read_source(assignment, p) for p in sorted(folder.glob("*.ipynb"))}
    return _CTX[key]


def all_source_ids(workspace: Path) -> dict[tuple[str, str], set[str]]:
    from grader.course.notebooks import grade_ids

    key = ("ids", str(workspace))
    if key not in _CTX:
        import nbformat

        ids = {}
        for path in sorted((workspace / "source").glob("*/*.ipynb")):
            ids[(path.parent.name, path.stem)] = grade_ids(nbformat.read(path, as_version=4))
        _CTX[key] = ids
    return _CTX[key]


_CELL_FRAME = re.compile(r"Cell In\[(\d+)\], line (\d+)")
_ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")


def _student_location(output: dict, test_count: int | None, counts: dict[int, int]) -> str:
    """Where in the student's cells an exception was raised, as " (cell N, line M)": the deepest traceback frame in
    a cell other than the test cell. Only the two numbers are taken from the traceback."""
    frames = []
    for line in output.get("traceback") or []:
        frames += _CELL_FRAME.findall(_ANSI.sub("", str(line)))
    for count, line in reversed(frames):
        if int(count) != test_count and int(count) in counts:
            return f" (cell {counts[int(count)] + 1}, line {int(line)})"
    return ""


def _failure_cause(cell, catalogue: Catalogue, counts: dict[int, int]) -> str:
    """Why a test cell failed in nbgrader's kernel, in words the grader vouches for: a hidden test's message only
    if it reads as the course's own (grader/grading/messages.py), any other exception by its type and the student's line."""
    for output in cell.get("outputs", []):
        if output.get("output_type") == "error":
            ename = safe_identifier(output.get("ename"), "an exception")
            evalue = str(output.get("evalue", "")).strip()
            if ename == "NotImplementedError" and not evalue:
                return "not implemented yet (the cell still raises NotImplementedError)"
            if ename in ("CellTimeoutError", "KeyboardInterrupt"):
                return "the test did not finish within the time limit (an infinite loop?)"
            if ename == "NotRun":
                return evalue  # the grader's own words (see _autograde)
            if ename == "AssertionError":
                said = catalogue.sanitize(evalue) if evalue else None
                if said:
                    return f"AssertionError: {said}"
                if evalue:
                    log.debug("a failed check's message is not in the catalogue: %r", printable(evalue))
                return "AssertionError: a check failed (its message is not one of the course's, so it is not shown)"
            where = _student_location(output, cell.get("execution_count"), counts)
            return f"{ename} raised{where or ' while the test ran'}"
        if output.get("output_type") == "stream" and output.get("name") == "stderr":
            return "the test wrote to stderr"
    return ""


def _unreadable(err: Exception) -> str:
    """The grader's words for a notebook nbformat cannot read (never the file's own text)."""
    text = str(err)
    for words, reason in (
        ("is empty", "the file is empty"),
        ("not valid JSON", "the file is not valid JSON (damaged or cut off)"),
        ("not UTF-8", "the file is not UTF-8 text"),
        ("no 'cells'", "the file is JSON but not a Jupyter notebook"),
    ):
        if words in text:
            return f"unreadable notebook: {reason}"
    return "unreadable notebook: nbformat cannot read or validate it"


def strip_student_outputs(nb) -> None:
    """Keep no output of the student's code in the notebook the workspace stores (nbgrader's feedback is made
    from it): any output may carry what the kernel saw, hidden tests included. A failed test cell keeps one error
    output whose text is the grader's (its cause), so nbgrader still scores it 0."""
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        errors = [o for o in cell.get("outputs", []) if o.get("output_type") == "error"]
        cell.outputs = []
        if is_test_cell(cell) and errors:
            cause = cell.metadata.get("bpcourse_cause", "the test failed")
            cell.outputs = [nbformat.v4.new_output("error", ename="TestFailed", evalue=cause, traceback=[cause])]
        cell.metadata.pop("bpcourse_cause", None)


def _inspect_changes(nb, source_nb, release_nb) -> list[str]:
    """What the student changed in the cells nbgrader owns (each a needs-review reason); locked cells are
    compared with the release version the student was given."""
    source_cells = {nbgrader_meta(c)["grade_id"]: c for c in source_nb.cells if "grade_id" in nbgrader_meta(c)}
    released = (
        {nbgrader_meta(c)["grade_id"]: c.source for c in release_nb.cells if "grade_id" in nbgrader_meta(c)}
        if release_nb
        else {}
    )
    seen: dict[str, int] = {}
    reasons = []
    for cell in nb.cells:
        gid = nbgrader_meta(cell).get("grade_id")
        if gid is None:
            continue
        seen[gid] = seen.get(gid, 0) + 1
        original = source_cells.get(gid)
        if original is None:
            unknown = safe_identifier(gid, "(not a plain name)")
            reasons.append(f"cell metadata changed: unknown grade id {unknown!r} (ignored)")
            continue
        if seen[gid] == 2:
            reasons.append(f"cell {gid} duplicated (the first copy counts)")
        if seen[gid] > 1:
            continue
        given = released.get(gid, original.source)
        if nbgrader_meta(original).get("locked") and cell.source.strip() not in (
            given.strip(),
            original.source.strip(),
        ):
            what = "test cell" if is_test_cell(original) else "locked cell"
            reasons.append(f"{what} {gid} edited (the original was run)")
        for key in ("points", "grade", "solution", "locked"):
            if key in nbgrader_meta(original) and nbgrader_meta(cell).get(key) != nbgrader_meta(original).get(key):
                reasons.append(f"cell metadata of {gid} changed ({key}; the original counts)")
                break
    for gid, original in source_cells.items():
        if gid not in seen:
            if is_test_cell(original):
                reasons.append(f"test cell {gid} deleted (put back and run)")
            elif nbgrader_meta(original).get("solution"):
                reasons.append(f"solution cell {gid} missing (deleted, or its grade id changed)")
    return reasons


def restore_metadata(nb, source_nb) -> None:
    """Give every known graded cell its source metadata; drop nbgrader metadata with unknown grade ids."""

    source_meta = {
        nbgrader_meta(c)["grade_id"]: nbgrader_meta(c) for c in source_nb.cells if "grade_id" in nbgrader_meta(c)
    }
    seen: set[str] = set()
    for cell in nb.cells:
        gid = nbgrader_meta(cell).get("grade_id")
        if "nbgrader" in cell.metadata and (gid not in source_meta or gid in seen):
            del cell.metadata["nbgrader"]  # unknown, or a later copy of a duplicated cell: runs, not graded
            continue
        seen.add(gid)
        if gid in source_meta:
            cell.metadata["nbgrader"] = copy.deepcopy(source_meta[gid])
            if cell.cell_type != source_meta[gid].get("cell_type", cell.cell_type):
                del cell.metadata["nbgrader"]


def student_solution_cells(nb, source) -> tuple[list[tuple[str, str]], list[str]]:
    """The student's code to re-check: their solution cells by grade id, plus any other cell that is now the only
    definition of a graded function (a solution cell whose grade id was changed). Returns (cells, notes)."""
    from grader.grading.sources import defined_names

    cells, notes, taken = [], [], set()
    by_index = {}
    for i, cell in enumerate(nb.cells):
        gid = nbgrader_meta(cell).get("grade_id")
        if cell.cell_type == "code" and gid in source.solution_cells and gid not in taken:
            taken.add(gid)
            by_index[i] = (gid, cell.source)
    defined = {n for _, src in by_index.values() for n in defined_names(src)}
    for name in source.function_cell:
        if name in defined:
            continue
        for i in range(len(nb.cells) - 1, -1, -1):
            cell = nb.cells[i]
            if (
                cell.cell_type == "code"
                and not nbgrader_meta(cell).get("locked")
                and name in defined_names(cell.source)
            ):
                if i not in by_index:
                    by_index[i] = (f"cell {i + 1}", cell.source)
                    notes.append(f"{name} was found outside its solution cell (cell {i + 1})")
                break
    cells = [by_index[i] for i in sorted(by_index)]
    return cells, notes


def _missing_function_reason(name: str, student_cells: list[tuple[str, str]]) -> str:
    import difflib

    from grader.grading.sources import defined_names

    defined = [n for _, code in student_cells for n in defined_names(code)]
    close = difflib.get_close_matches(name, defined, n=1, cutoff=0.6)
    hint = f" (found {close[0]}: renamed?)" if close else " (renamed or deleted?)"
    return f"function {name} is not defined by the solution cells{hint}"


def grade_one(job: dict) -> dict:
    """Grade one submitted notebook (runs in a worker). Returns a JobResult as a dict plus the executed notebook."""
    import nbformat

    from grader.course.notebooks import read_notebook

    ctx: WorkerContext = _CTX["ctx"]
    workspace = Path(ctx.workspace)
    started = time.monotonic()
    student, assignment, notebook = job["student"], job["assignment"], job["notebook"]
    path = Path(job["path"])
    result = JobResult(student, assignment, notebook, job["fingerprint"])
    sources = sources_of(workspace, assignment)
    source = sources[notebook]
    source_nb = nbformat.read(source.path, as_version=4)

    def fail_all(reason: str) -> dict:
        result.review.append(reason)
        for ex in source.exercises:
            result.exercises.append(ExerciseResult(ex.grade_id, ex.points, 0.0, "auto", None, "n/a", reason))
        for gid, pts in source.manual.items():
            result.exercises.append(ExerciseResult(gid, pts, 0.0, "manual", None, "n/a", reason))
        result.seconds = time.monotonic() - started
        return {"result": asdict(result), "executed": None}

    try:
        raw_version = json.loads(path.read_text(encoding="utf-8")).get("nbformat")
    except Exception:
        raw_version = None
    try:
        if raw_version == 3:  # read_notebook wants nbformat 4's 'cells'; nbformat converts a 3 itself
            nb = nbformat.reads(path.read_text(encoding="utf-8"), as_version=4)
            nbformat.validate(nb)
        else:
            nb = read_notebook(path)
    except Exception as err:  # CourseError, or anything nbformat did not anticipate
        return fail_all(_unreadable(err))
    if raw_version is not None and raw_version != 4:
        result.review.append(f"notebook format {raw_version} (converted to 4; check the conversion)")
    from grader.course.notebooks import grade_ids

    ids = grade_ids(nb)
    overlaps = {key: len(ids & src_ids) for key, src_ids in all_source_ids(workspace).items()}
    own = overlaps.get((assignment, notebook), 0)
    best_key, best = max(overlaps.items(), key=lambda kv: kv[1], default=(None, 0))
    if own == 0 and best > 0:
        return fail_all(f"this is a notebook of {best_key[0]} ({best_key[1]}), not of {assignment}")
    if own == 0:
        return fail_all(
            f"no graded cell of {assignment} in it (not a course notebook, or its cell metadata was removed)"
        )
    if best_key and best > own and best_key[0] != assignment:
        return fail_all(f"this is mostly a notebook of {best_key[0]}, not of {assignment}")

    release_path = workspace / "release" / assignment / f"{notebook}.ipynb"
    release_nb = nbformat.read(release_path, as_version=4) if release_path.exists() else None
    result.review.extend(_inspect_changes(nb, source_nb, release_nb))
    restore_metadata(nb, source_nb)
    student_cells, cell_notes = student_solution_cells(nb, source)
    result.review.extend(cell_notes)

    reference_seconds = reference_time(source)
    executed, kernel_problems, violations, result.kernel_isolation = _autograde(nb, job, ctx, reference_seconds)
    result.review.extend(kernel_problems)
    result.review.extend(f"code {v}" for v in violations)

    trusted = trusted_check(source, student_cells, student)
    result.not_checked = trusted.not_checked
    result.isolation = trusted.isolation
    result.review.extend(f"code {v} (re-check)" for v in trusted.violations if f"code {v}" not in result.review)
    if trusted.crash:
        result.review.append(f"the re-check of the solution cells {trusted.crash}")

    if trusted.protocol:
        result.review.append(trusted.protocol)
    missing = sorted({object_name(k) for k, why in trusted.failures.items() if NOT_DEFINED in why})
    broken = _syntax_errors(executed) if executed is not None else {}
    for name in missing:
        if source.function_cell.get(name) not in broken:  # a cell that does not parse is named in its exercise
            result.review.append(_missing_function_reason(name, student_cells))

    tests, counts = {}, {}
    if executed is not None:
        for i, cell in enumerate(executed.cells):
            if cell.cell_type == "code" and isinstance(cell.get("execution_count"), int):
                counts[cell.execution_count] = i
            if is_test_cell(cell):
                tests.setdefault(cell.metadata["nbgrader"]["grade_id"], cell)
    catalogue = catalogue_of(source)
    for ex in source.exercises:
        cell = tests.get(ex.grade_id)
        exercise = _verdict(ex, cell, trusted, catalogue, counts, result.review)
        unparsed = [broken[source.function_cell.get(f)] for f in ex.functions if source.function_cell.get(f) in broken]
        if unparsed and (exercise.points or 0.0) < exercise.max_points:
            exercise.cause = f"{unparsed[0]}: the cell never ran, so its functions are not defined; fix it first"
        if cell is not None and exercise.nbgrader_points == 0:
            cell.metadata["bpcourse_cause"] = exercise.cause
        result.exercises.append(exercise)
    answered = _written_answers(nb)
    for gid, pts in source.manual.items():
        cause = (
            "awaiting manual grading"
            if answered.get(gid)
            else "not answered yet (the cell still says YOUR ANSWER HERE)"
        )
        result.exercises.append(ExerciseResult(gid, pts, None, "manual", None, "n/a", cause))
    if executed is not None:
        strip_student_outputs(executed)
    result.seconds = time.monotonic() - started
    return {"result": asdict(result), "executed": nbformat.writes(executed) if executed is not None else None}


def _syntax_errors(executed) -> dict[str, str]:
    """Per solution-cell grade id: "SyntaxError in cell N, line M" when the student's cell does not parse."""
    found = {}
    for i, cell in enumerate(executed.cells):
        gid = nbgrader_meta(cell).get("grade_id")
        for output in cell.get("outputs", []) if cell.cell_type == "code" and gid else []:
            if output.get("output_type") == "error" and output.get("ename") in ("SyntaxError", "IndentationError"):
                frames = _CELL_FRAME.findall(_ANSI.sub("", "\n".join(map(str, output.get("traceback") or []))))
                line = f", line {int(frames[-1][1])}" if frames else ""
                found[gid] = f"{output['ename']} in cell {i + 1}{line}"
    return found


def _written_answers(nb) -> dict[str, bool]:
    """Per written-answer grade id: whether the student wrote something in place of nbgrader's placeholder."""
    answers = {}
    for cell in nb.cells:
        gid = nbgrader_meta(cell).get("grade_id")
        if gid and cell.cell_type == "markdown" and gid not in answers:
            text = cell.source.replace("YOUR ANSWER HERE", "").strip()
            answers[gid] = bool(text)
    return answers


def _verdict(ex, cell, trusted, catalogue: Catalogue, counts: dict[int, int], review: list[str]) -> ExerciseResult:
    """One exercise's points: the kernel's result counts only where the trusted re-check agrees, since the kernel
    ran student code and can be made to pass anything. An exercise the re-check could not judge keeps the kernel's
    points and is flagged for a person."""
    from nbgrader.utils import determine_grade

    nb_points = float(determine_grade(cell)[0] or 0.0) if cell is not None else 0.0
    cause = _failure_cause(cell, catalogue, counts) if cell is not None else "the test cell did not run"
    keys = check_keys(ex)
    failures = [trusted.failures[k] for k in keys if k in trusted.failures]
    unchecked = [k for k in keys if k in trusted.not_checked or k not in trusted.checked]
    if failures:
        if nb_points > 0:
            review.append(f"{ex.grade_id}: nbgrader passed it but the trusted re-check did not: {failures[0]}")
            cause = f"the trusted re-check failed: {failures[0]}"
        return ExerciseResult(ex.grade_id, ex.points, 0.0, "auto", nb_points, "fail", cause or failures[0])
    if keys and not unchecked:
        return ExerciseResult(ex.grade_id, ex.points, nb_points, "auto", nb_points, "ok", cause)
    if nb_points > 0:
        why = trusted.not_checked.get(unchecked[0], "no re-check") if unchecked else "no graded function"
        review.append(f"{ex.grade_id}: not re-checked ({why}); its points are the kernel's alone")
    return ExerciseResult(ex.grade_id, ex.points, nb_points, "auto", nb_points, "n/a", cause)


def _kernel_never_started(err: Exception) -> bool:
    """nbclient's errors for a kernel that died or hung before its first reply (before any cell ran)."""
    text = str(err)
    return isinstance(err, RuntimeError) and ("kernel_info" in text or "didn't respond" in text)


def _on_cell(watchdog: Watchdog, count: int):
    def started(cell=None, cell_index: int | None = None, **_) -> None:
        watchdog.cell_started(cell=cell, cell_index=cell_index)
        if _PROGRESS[0] is not None and cell_index is not None:
            _PROGRESS[0](cell_index, count)

    return started


def bp_helpers_dir() -> Path:
    """The course's student helpers, the one part of the checkout the kernel may read."""
    import bp_helpers

    return Path(bp_helpers.__file__).resolve().parent


def _autograde(nb, job: dict, ctx: WorkerContext, reference_seconds: float):
    """nbgrader's sanitize and autograde preprocessors in a scratch folder. Returns (executed nb, problems,
    violations, how the kernel was isolated); the executed notebook is None when nbgrader could not run it."""
    from nbclient.exceptions import DeadKernelError
    from nbgrader.preprocessors import (
        CheckCellMetadata,
        ClearOutput,
        DeduplicateIds,
        Execute,
        LimitOutput,
        OverwriteCells,
        OverwriteKernelspec,
    )

    workspace = Path(ctx.workspace)
    folders = JobFolders.create(state_dir(workspace) / "scratch", job["student"], state_dir(workspace) / "mplconfig")
    workdir = folders.work
    source_folder = workspace / "source" / job["assignment"]
    # as in nbgrader's autograded/<student>/<assignment>/: the student's files (a notebook may read its sibling
    # notebooks, as 04b reads 04a), then the source's non-notebook files on top; regular files only, no links
    copy_regular_files(Path(job["path"]).parent, workdir, skip_notebooks=False)
    copy_regular_files(source_folder, workdir, skip_notebooks=True)
    resources = {
        "nbgrader": {
            "db_url": f"sqlite:///{ctx.snapshot_db}",
            "assignment": job["assignment"],
            "notebook": job["notebook"],
            "student": job["student"],
        },
        "metadata": {"path": str(workdir)},
    }
    problems: list[str] = []
    try:
        for pp in (
            ClearOutput(),
            DeduplicateIds(),
            OverwriteKernelspec(),
            OverwriteCells(add_missing_cells=True),
            CheckCellMetadata(),
        ):
            nb, resources = pp.preprocess(nb, resources)
    except Exception as err:
        folders.remove()
        return None, [f"nbgrader could not prepare the notebook ({type(err).__name__})"], [], ""
    budget = notebook_budget(ctx.settings, reference_seconds)
    config = kernel_config(ctx.settings, folders, [str(bp_helpers_dir())], ctx.deny)
    os.environ["BPCOURSE_KERNEL_GUARD"] = json.dumps(config)  # jupyter_client hands os.environ to the launcher
    channel = GuardChannel(folders.private / "channel")
    watchdog = Watchdog(ctx.settings.cell_cpu_seconds, budget)
    executor = Execute(
        timeout=ctx.settings.cell_timeout,
        kernel_name=KERNEL_NAME,
        extra_arguments=["--HistoryManager.hist_file=:memory:", "--IPKernelApp.log_level=ERROR"],
        startup_timeout=60,
        shutdown_kernel="immediate",  # no graceful wait: the kernel holds nothing worth keeping
        kernel_manager_class=GradingKernelManager,
        on_cell_execute=_on_cell(watchdog, len(nb.cells)),
        on_notebook_start=watchdog.attach,
        on_notebook_complete=channel.notebook_finished,
    )
    watchdog.executor = executor
    for attempt in (1, 2):
        run = copy.deepcopy(nb)  # Execute fills outputs in place: a second attempt starts from the clean notebook
        try:
            run, resources = executor.preprocess(run, resources)
        except DeadKernelError:
            problems.append(
                watchdog.why_dead()
                or "the kernel died while running the notebook (it ended itself or ran out of memory)"
            )
        except Exception as err:
            if attempt == 1 and _kernel_never_started(err):
                continue  # no cell ran yet, so not the student's doing (a busy machine): start a fresh kernel once
            problems.append(watchdog.why_dead() or f"the notebook could not be run ({type(err).__name__})")
        nb = run
        break
    watchdog.stop()
    problems.extend(watchdog.cpu_reports())
    nb, resources = LimitOutput().preprocess(nb, resources)
    lines, closed_early = channel.close()
    if closed_early and not problems:
        problems.append("the notebook's code closed the grader's guard channel")
    scratch = folders.scratch_report()
    if scratch:
        problems.append(scratch)
    isolation = next((line.removeprefix(ISOLATION_PREFIX) for line in lines if line.startswith(ISOLATION_PREFIX)), "")
    refused = [describe_refusal(line) for line in lines if line and not line.startswith(ISOLATION_PREFIX)]
    for line in lines:
        log.debug("kernel guard of %s: %s", job["student"], printable(line))
    violations = list(dict.fromkeys(refused))
    folders.remove()
    timed_out, out_of_memory, truncated = [], [], []
    for i, cell in enumerate(nb.cells):
        if cell.cell_type != "code":
            continue
        for output in cell.outputs:  # LimitOutput counts lines; one huge line is cut here
            if output.get("output_type") == "stream" and len(output.get("text", "")) > MAX_STREAM_CHARS:
                output["text"] = output["text"][:MAX_STREAM_CHARS] + "\n... output truncated by the grader ..."
                truncated.append(i + 1)
        errors = [o for o in cell.outputs if o.get("output_type") == "error"]
        if any(o.get("ename") == "MemoryError" for o in errors):
            out_of_memory.append(i + 1)
        if any(o.get("ename") in ("CellTimeoutError", "KeyboardInterrupt") for o in errors):
            timed_out.append(i + 1)
        if not is_test_cell(cell):
            continue
        if cell.get("execution_count") is None and not cell.outputs:
            cell.outputs.append(
                {
                    "output_type": "error",
                    "ename": "NotRun",
                    "evalue": "the test did not run: an earlier cell stopped the kernel",
                    "traceback": [],
                }
            )
        elif not errors:
            for output in cell.outputs:  # a warning on stderr must not cost a correct answer its points
                if output.get("output_type") == "stream" and output.get("name") == "stderr":
                    output["name"] = "stdout"
    if out_of_memory:
        problems.append(f"cell {', '.join(map(str, out_of_memory))} ran out of memory (MemoryError)")
    if timed_out and not any("CPU" in p for p in problems):
        problems.append(
            f"cell {', '.join(map(str, timed_out))} ran past the {ctx.settings.cell_timeout} s limit "
            "(an infinite loop?)"
        )
    import nbformat

    return nbformat.from_dict(nb), problems, violations, isolation
