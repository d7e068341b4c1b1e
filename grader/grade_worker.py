"""The worker side of `bpcourse grade`: grade one submitted notebook (`grade_one`), in a process of its own.

Reads the notebook defensively, tells what the student changed in the cells nbgrader owns, runs nbgrader's
autograde preprocessors in a guarded kernel (grader/kernel_guard.py) in a scratch folder, then the trusted re-check
(grader/trusted_check.py), and returns the exercises' results with the executed notebook. It never writes the
gradebook: the parent does, alone (grader/grade_journal.py).
"""

from __future__ import annotations

import copy
import json
import logging
import os
import shutil
import tempfile
import time
from dataclasses import asdict, dataclass
from pathlib import Path

from grader.errors import CourseError
from grader.grade_results import ExerciseResult, JobResult, Settings
from grader.kernel_guard import ISOLATION_PREFIX
from grader.nbgrader_config import ensure_alembic_on_path
from grader.workspace import KERNEL_NAME, state_dir

MAX_STREAM_CHARS = 100_000


@dataclass(frozen=True)
class WorkerContext:
    workspace: str
    snapshot_db: str
    settings: Settings


_CTX: dict = {}


def init_worker(ctx: WorkerContext) -> None:
    _CTX["ctx"] = ctx
    ws = Path(ctx.workspace)
    os.environ["JUPYTER_PATH"] = os.pathsep.join(
        [str(state_dir(ws) / "jupyter"), *filter(None, [os.environ.get("JUPYTER_PATH")])]
    )
    os.environ.setdefault("PYDEVD_DISABLE_FILE_VALIDATION", "1")
    ensure_alembic_on_path()
    logging.getLogger("traitlets").setLevel(logging.CRITICAL)


def _sources(workspace: Path, assignment: str):
    from grader.grade_sources import read_source

    key = ("sources", str(workspace), assignment)
    if key not in _CTX:
        folder = workspace / "source" / assignment
        _CTX[key] = {p.stem: read_source(assignment, p) for p in sorted(folder.glob("*.ipynb"))}
    return _CTX[key]


def all_source_ids(workspace: Path) -> dict[tuple[str, str], set[str]]:
    from grader.notebooks import grade_ids

    key = ("ids", str(workspace))
    if key not in _CTX:
        import nbformat

        ids = {}
        for path in sorted((workspace / "source").glob("*/*.ipynb")):
            ids[(path.parent.name, path.stem)] = grade_ids(nbformat.read(path, as_version=4))
        _CTX[key] = ids
    return _CTX[key]


def _failure_cause(cell) -> str:
    for output in cell.get("outputs", []):
        if output.get("output_type") == "error":
            ename, evalue = output.get("ename", "Error"), str(output.get("evalue", "")).strip()
            if ename == "NotImplementedError" and not evalue:
                return "not implemented yet (the cell still raises NotImplementedError)"
            if ename in ("CellTimeoutError", "KeyboardInterrupt"):
                return "the test did not finish within the time limit (an infinite loop?)"
            return f"{ename}: {evalue}" if evalue else ename
        if output.get("output_type") == "stream" and output.get("name") == "stderr":
            return "the test wrote to stderr"
    return ""


def _inspect_changes(nb, source_nb, release_nb) -> list[str]:
    """What the student changed in the cells nbgrader owns (each a needs-review reason); locked cells are
    compared with the release version the student was given."""
    from grader.selfcheck import is_test_cell

    def meta(c):
        return c.metadata.get("nbgrader", {}) or {}

    source_cells = {meta(c)["grade_id"]: c for c in source_nb.cells if "grade_id" in meta(c)}
    released = {meta(c)["grade_id"]: c.source for c in release_nb.cells if "grade_id" in meta(c)} if release_nb else {}
    seen: dict[str, int] = {}
    reasons = []
    for cell in nb.cells:
        gid = meta(cell).get("grade_id")
        if gid is None:
            continue
        seen[gid] = seen.get(gid, 0) + 1
        original = source_cells.get(gid)
        if original is None:
            reasons.append(f"cell metadata changed: unknown grade id {gid!r} (ignored)")
            continue
        if seen[gid] == 2:
            reasons.append(f"cell {gid} duplicated (the first copy counts)")
        if seen[gid] > 1:
            continue
        given = released.get(gid, original.source)
        if meta(original).get("locked") and cell.source.strip() not in (given.strip(), original.source.strip()):
            what = "test cell" if is_test_cell(original) else "locked cell"
            reasons.append(f"{what} {gid} edited (the original was run)")
        for key in ("points", "grade", "solution", "locked"):
            if key in meta(original) and meta(cell).get(key) != meta(original).get(key):
                reasons.append(f"cell metadata of {gid} changed ({key}; the original counts)")
                break
    for gid, original in source_cells.items():
        if gid not in seen:
            if is_test_cell(original):
                reasons.append(f"test cell {gid} deleted (put back and run)")
            elif meta(original).get("solution"):
                reasons.append(f"solution cell {gid} missing (deleted, or its grade id changed)")
    return reasons


def restore_metadata(nb, source_nb) -> None:
    """Give every known graded cell its source metadata; drop nbgrader metadata with unknown grade ids."""

    def meta(c):
        return c.metadata.get("nbgrader", {}) or {}

    source_meta = {meta(c)["grade_id"]: meta(c) for c in source_nb.cells if "grade_id" in meta(c)}
    seen: set[str] = set()
    for cell in nb.cells:
        gid = meta(cell).get("grade_id")
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
    from grader.grade_sources import defined_names

    def meta(c):
        return c.metadata.get("nbgrader", {}) or {}

    cells, notes, taken = [], [], set()
    by_index = {}
    for i, cell in enumerate(nb.cells):
        gid = meta(cell).get("grade_id")
        if cell.cell_type == "code" and gid in source.solution_cells and gid not in taken:
            taken.add(gid)
            by_index[i] = (gid, cell.source)
    defined = {n for _, src in by_index.values() for n in defined_names(src)}
    for name in source.function_cell:
        if name in defined:
            continue
        for i in range(len(nb.cells) - 1, -1, -1):
            cell = nb.cells[i]
            if cell.cell_type == "code" and not meta(cell).get("locked") and name in defined_names(cell.source):
                if i not in by_index:
                    by_index[i] = (f"cell {i + 1}", cell.source)
                    notes.append(f"{name} was found outside its solution cell (cell {i + 1})")
                break
    cells = [by_index[i] for i in sorted(by_index)]
    return cells, notes


def _missing_function_reason(name: str, student_cells: list[tuple[str, str]]) -> str:
    import difflib

    from grader.grade_sources import defined_names

    defined = [n for _, code in student_cells for n in defined_names(code)]
    close = difflib.get_close_matches(name, defined, n=1, cutoff=0.6)
    hint = f" (found {close[0]}: renamed?)" if close else " (renamed or deleted?)"
    return f"function {name} is not defined by the solution cells{hint}"


def _short(err: Exception, path: Path) -> str:
    return str(err).replace(str(path), path.name).strip()


def grade_one(job: dict) -> dict:
    """Grade one submitted notebook (runs in a worker). Returns a JobResult as a dict plus the executed notebook."""
    import nbformat

    from grader.notebooks import read_notebook

    ctx: WorkerContext = _CTX["ctx"]
    workspace = Path(ctx.workspace)
    started = time.monotonic()
    student, assignment, notebook = job["student"], job["assignment"], job["notebook"]
    path = Path(job["path"])
    result = JobResult(student, assignment, notebook, job["fingerprint"])
    sources = _sources(workspace, assignment)
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
    except CourseError as err:
        return fail_all(f"unreadable notebook: {_short(err, path)}")
    except Exception as err:  # anything nbformat did not anticipate
        return fail_all(f"unreadable notebook: {type(err).__name__}: {err}")
    if raw_version is not None and raw_version != 4:
        result.review.append(f"notebook format {raw_version} (converted to 4; check the conversion)")
    from grader.notebooks import grade_ids

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

    executed, kernel_problems, violations, result.kernel_isolation = _autograde(nb, job, ctx)
    result.review.extend(kernel_problems)
    result.review.extend(f"code {v}" for v in violations)

    from grader.trusted_check import trusted_check
    from grader.trusted_specs import check_keys, object_name

    trusted = trusted_check(source, student_cells, student)
    result.not_checked = trusted.not_checked
    result.isolation = trusted.isolation
    result.review.extend(f"code {v} (re-check)" for v in trusted.violations if f"code {v}" not in result.review)
    if trusted.crash:
        result.review.append(f"the re-check of the solution cells {trusted.crash}")

    missing = sorted(
        {object_name(k) for k, why in trusted.failures.items() if "is not defined by the solution cells" in why}
    )
    for name in missing:
        result.review.append(_missing_function_reason(name, student_cells))

    tests = {}
    if executed is not None:
        from grader.selfcheck import is_test_cell

        for cell in executed.cells:
            if is_test_cell(cell):
                tests.setdefault(cell.metadata["nbgrader"]["grade_id"], cell)
    from nbgrader.utils import determine_grade

    for ex in source.exercises:
        cell = tests.get(ex.grade_id)
        nb_points = float(determine_grade(cell)[0] or 0.0) if cell is not None else 0.0
        cause = _failure_cause(cell) if cell is not None else "the test cell did not run"
        keys = check_keys(ex)
        failures = [trusted.failures[k] for k in keys if k in trusted.failures]
        checked = [k for k in keys if k in trusted.checked]
        status = "fail" if failures else ("ok" if checked else "n/a")
        points = nb_points
        if failures:
            points = 0.0
            if nb_points > 0:
                result.review.append(
                    f"{ex.grade_id}: nbgrader passed it but the trusted re-check did not: {failures[0]}"
                )
                cause = f"the trusted re-check failed: {failures[0]}"
            elif not cause:
                cause = failures[0]
        result.exercises.append(ExerciseResult(ex.grade_id, ex.points, points, "auto", nb_points, status, cause))
    for gid, pts in source.manual.items():
        result.exercises.append(ExerciseResult(gid, pts, None, "manual", None, "n/a", "awaiting manual grading"))
    result.seconds = time.monotonic() - started
    return {"result": asdict(result), "executed": nbformat.writes(executed) if executed is not None else None}


def _kernel_never_started(err: Exception) -> bool:
    """nbclient's errors for a kernel that died or hung before its first reply (before any cell ran)."""
    text = str(err)
    return isinstance(err, RuntimeError) and ("kernel_info" in text or "didn't respond" in text)


def _autograde(nb, job: dict, ctx: WorkerContext):
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

    from grader.selfcheck import is_test_cell

    workspace = Path(ctx.workspace)
    scratch_root = Path(tempfile.mkdtemp(prefix=f"{job['student']}-", dir=state_dir(workspace) / "scratch"))
    workdir = scratch_root / "work"
    source_folder = workspace / "source" / job["assignment"]
    # as in nbgrader's autograded/<student>/<assignment>/: the student's files (a notebook may read its sibling
    # notebooks, as 04b reads 04a), then the source's non-notebook files on top
    submitted_folder = Path(job["path"]).parent
    shutil.copytree(submitted_folder, workdir, ignore=shutil.ignore_patterns(".*", "__pycache__"))
    shutil.copytree(
        source_folder, workdir, ignore=shutil.ignore_patterns("*.ipynb", ".*", "__pycache__"), dirs_exist_ok=True
    )
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
        shutil.rmtree(scratch_root, ignore_errors=True)
        return None, [f"nbgrader could not prepare the notebook: {type(err).__name__}: {str(err)[:200]}"], [], ""
    executor = Execute(
        timeout=ctx.settings.cell_timeout,
        kernel_name=KERNEL_NAME,
        extra_arguments=["--HistoryManager.hist_file=:memory:", "--IPKernelApp.log_level=ERROR"],
        startup_timeout=60,
        shutdown_kernel="immediate",  # no graceful wait: the kernel holds nothing worth keeping
    )
    for attempt in (1, 2):
        run = copy.deepcopy(nb)  # Execute fills outputs in place: a second attempt starts from the clean notebook
        try:
            run, resources = executor.preprocess(run, resources)
        except DeadKernelError:
            problems.append("the kernel died while running the notebook (it ended itself or ran out of memory)")
        except Exception as err:
            if attempt == 1 and _kernel_never_started(err):
                continue  # no cell ran yet, so not the student's doing (a busy machine): start a fresh kernel once
            problems.append(f"the notebook could not be run: {type(err).__name__}: {str(err).splitlines()[0][:200]}")
        nb = run
        break
    nb, resources = LimitOutput().preprocess(nb, resources)
    log = Path(str(workdir) + ".guard.log")
    lines = log.read_text(errors="replace").splitlines() if log.exists() else []
    isolation = next((line.removeprefix(ISOLATION_PREFIX) for line in lines if line.startswith(ISOLATION_PREFIX)), "")
    violations = list(dict.fromkeys(line.strip() for line in lines if line and not line.startswith(ISOLATION_PREFIX)))
    shutil.rmtree(scratch_root, ignore_errors=True)
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
    if timed_out:
        problems.append(
            f"cell {', '.join(map(str, timed_out))} ran past the {ctx.settings.cell_timeout} s limit "
            "(an infinite loop?)"
        )
    import nbformat

    return nbformat.from_dict(nb), problems, violations, isolation
