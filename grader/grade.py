"""`bpcourse grade`: grade a class with real nbgrader, in parallel, re-checked outside the students' kernels.

Pipeline, per submitted notebook (one job):
  1. a worker process reads the notebook defensively, tells which assignment it belongs to and what the student
     changed in locked cells (deleted, duplicated, edited tests; changed points or grade ids), then runs nbgrader's
     own autograde preprocessors on it (ClearOutput, DeduplicateIds, OverwriteKernelspec, OverwriteCells with
     missing cells added back, CheckCellMetadata, Execute, LimitOutput) in a scratch folder, in a guarded kernel
     (`grader.kernel_guard`); test cells that never ran get an error; stderr-only output of a test cell that
     raised nothing (a numpy warning) is moved to stdout;
  2. the same worker runs the trusted re-check (`grader.trusted_check`) on the student's solution cells;
  3. the parent, alone, writes the grades into the one nbgrader gradebook (SaveAutoGrades on the executed
     notebook, then the re-check's overrides: an exercise nbgrader passed but the re-check failed scores 0 and is
     marked `needs_manual_grade`), the autograded notebook, the feedback HTML and a journal entry.

The journal (`.bpcourse/results/<assignment>/<student>/<notebook>.json`, written last and atomically) makes a killed run
resumable: a job whose submission, source and grader settings are unchanged is not graded again.
"""

from __future__ import annotations

import argparse
import concurrent.futures
import copy
import hashlib
import json
import logging
import os
import shutil
import sys
import tempfile
import time
import warnings
from dataclasses import asdict, dataclass, field
from pathlib import Path

from grader.errors import CourseError
from grader.intake import Submission, collect
from grader.nbgrader_config import COURSE_ID, ensure_alembic_on_path

GRADER_VERSION = "grade-1"
KERNEL_NAME = "bpcourse-guarded"
STATE_DIRNAME = ".bpcourse"
MAX_STREAM_CHARS = 100_000


@dataclass(frozen=True)
class Settings:
    cell_timeout: int = 10  # seconds per cell in the kernel (nbgrader's Execute.timeout)
    kernel_memory_bytes: int = 4 * 1024**3
    kernel_file_bytes: int = 64 * 1024**2

    def key(self) -> str:
        from grader.sandbox import Limits

        return json.dumps([GRADER_VERSION, asdict(self), asdict(Limits())], sort_keys=True)


@dataclass
class ExerciseResult:
    grade_id: str
    max_points: float
    points: float | None  # None: a written answer awaiting a person
    kind: str  # "auto" or "manual"
    nbgrader_points: float | None = None
    trusted: str = "n/a"  # "ok", "fail" or "n/a" (no graded function, or not re-checkable)
    cause: str = ""


@dataclass
class JobResult:
    student: str
    assignment: str
    notebook: str
    fingerprint: str
    exercises: list[ExerciseResult] = field(default_factory=list)
    review: list[str] = field(default_factory=list)  # needs-review reasons
    notes: list[str] = field(default_factory=list)  # for the instructor, not a problem
    not_checked: dict[str, str] = field(default_factory=dict)
    seconds: float = 0.0

    @property
    def score(self) -> float:
        return sum(e.points or 0.0 for e in self.exercises)

    @property
    def max_score(self) -> float:
        return sum(e.max_points for e in self.exercises)

    @property
    def auto_max(self) -> float:
        return sum(e.max_points for e in self.exercises if e.kind == "auto")

    @staticmethod
    def from_dict(data: dict) -> JobResult:
        data = dict(data)
        data["exercises"] = [ExerciseResult(**e) for e in data.get("exercises", [])]
        return JobResult(**data)


# --------------------------------------------------------------------------------------------- workspace


def state_dir(workspace: Path) -> Path:
    return workspace / STATE_DIRNAME


def _tree_digest(folder: Path) -> str:
    h = hashlib.sha256()
    for path in sorted(p for p in folder.rglob("*") if p.is_file() and "__pycache__" not in p.parts):
        h.update(str(path.relative_to(folder)).encode())
        h.update(path.read_bytes())
    return h.hexdigest()


def prepare_workspace(workspace: Path) -> list[str]:
    """Create or refresh the grading workspace; run generate_assignment only for changed sources (in-process)."""
    from grader.paths import assignments, repo_root, solutions_dir
    from grader.workspace import CONFIG_TEMPLATE

    workspace = workspace.resolve()
    if workspace == repo_root() or repo_root() in workspace.parents:
        raise CourseError(
            f"{workspace} is inside the course checkout: name a workspace folder outside it, so that "
            "student work and grades are never committed."
        )
    state = state_dir(workspace)
    state.mkdir(parents=True, exist_ok=True)
    config_text = CONFIG_TEMPLATE.format(course_id=COURSE_ID, root=str(workspace))
    config_file = workspace / "nbgrader_config.py"
    if not config_file.exists() or config_file.read_text(encoding="utf-8") != config_text:
        config_file.write_text(config_text, encoding="utf-8")
    ids = assignments(solutions_dir())
    if not ids:
        raise CourseError(f"no assignments under {solutions_dir()}: nothing to grade against.")
    for assignment in ids:
        digest = _tree_digest(solutions_dir() / assignment)
        stamp = state / f"source-{assignment}.sha256"
        if stamp.exists() and stamp.read_text() == digest and (workspace / "release" / assignment).is_dir():
            continue
        target = workspace / "source" / assignment
        if target.exists():
            shutil.rmtree(target)
        shutil.copytree(solutions_dir() / assignment, target, ignore=shutil.ignore_patterns(".*", "__pycache__"))
        _generate(workspace, assignment)
        stamp.write_text(digest)
    _write_kernelspec(workspace)
    return ids


def _nbgrader_config(workspace: Path):
    from traitlets.config import Config

    ensure_alembic_on_path()
    config = Config()
    config.CourseDirectory.course_id = COURSE_ID
    config.CourseDirectory.root = str(workspace)
    config.CourseDirectory.source_directory = "source"
    config.CourseDirectory.release_directory = "release"
    config.CourseDirectory.db_url = db_url(workspace)
    return config


def db_url(workspace: Path) -> str:
    return f"sqlite:///{workspace / 'gradebook.db'}"


def _generate(workspace: Path, assignment: str) -> None:
    from grader.release import generate_assignment

    config = _nbgrader_config(workspace)
    config.GenerateAssignment.force = True
    try:
        generate_assignment(config, assignment)
    except CourseError as err:
        raise CourseError(f"nbgrader generate_assignment {assignment} failed: {err}") from None


def _write_kernelspec(workspace: Path, extra_deny: list[str] | None = None) -> None:
    """The guarded kernel, and a matplotlib config folder whose font cache is built once, outside any kernel.

    `extra_deny`: more folders the kernel may not read (where this run's submissions came from: a student must
    not read a classmate's notebook)."""
    from grader.paths import repo_root, solutions_dir

    state = state_dir(workspace)
    mpl = state / "mplconfig"
    mpl.mkdir(exist_ok=True)
    spec_dir = state / "jupyter" / "kernels" / KERNEL_NAME
    spec_dir.mkdir(parents=True, exist_ok=True)
    guard = {
        "deny_read": [
            str(solutions_dir()),
            str(workspace),
            str(repo_root() / "tests"),  # the bug corpus holds right implementations
            str(repo_root() / ".git"),  # history holds the solutions too
            *(extra_deny or []),
        ],
        "allow_write": [str(mpl)],
        "memory_bytes": Settings().kernel_memory_bytes,
        "file_bytes": Settings().kernel_file_bytes,
    }
    spec = {
        "argv": [sys.executable, "-m", "grader.kernel_guard", "-f", "{connection_file}"],
        "display_name": "Python 3 (bpcourse grading)",
        "language": "python",
        "env": {
            "BPCOURSE_KERNEL_GUARD": json.dumps(guard),
            "MPLCONFIGDIR": str(mpl),
            "MPLBACKEND": "module://matplotlib_inline.backend_inline",
            "OPENBLAS_NUM_THREADS": "1",
            "OMP_NUM_THREADS": "1",
            "MKL_NUM_THREADS": "1",
            "PYDEVD_DISABLE_FILE_VALIDATION": "1",
        },
    }
    text = json.dumps(spec, indent=1)
    path = spec_dir / "kernel.json"
    if not path.exists() or path.read_text() != text:
        path.write_text(text)
    if not any(mpl.glob("fontlist*.json")):
        import subprocess

        env = dict(os.environ, MPLCONFIGDIR=str(mpl), MPLBACKEND="Agg")
        subprocess.run([sys.executable, "-c", "import matplotlib.pyplot"], env=env, capture_output=True, check=False)


# --------------------------------------------------------------------------------------------- worker side


@dataclass(frozen=True)
class WorkerContext:
    workspace: str
    snapshot_db: str
    settings: Settings


_CTX: dict = {}


def _init_worker(ctx: WorkerContext) -> None:
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


def _all_source_ids(workspace: Path) -> dict[tuple[str, str], set[str]]:
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


def _restore_metadata(nb, source_nb) -> None:
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


def _student_solution_cells(nb, source) -> tuple[list[tuple[str, str]], list[str]]:
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
    overlaps = {key: len(ids & src_ids) for key, src_ids in _all_source_ids(workspace).items()}
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
    _restore_metadata(nb, source_nb)
    student_cells, cell_notes = _student_solution_cells(nb, source)
    result.review.extend(cell_notes)

    executed, kernel_problems, violations = _autograde(nb, job, ctx)
    result.review.extend(kernel_problems)
    result.review.extend(f"code {v}" for v in violations)

    from grader.trusted_check import trusted_check
    from grader.trusted_specs import check_keys, object_name

    trusted = trusted_check(source, student_cells, student)
    result.not_checked = trusted.not_checked
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


def _autograde(nb, job: dict, ctx: WorkerContext):
    """nbgrader's sanitize and autograde preprocessors in a scratch folder. Returns (executed nb, problems,
    violations); the executed notebook is None when nbgrader could not run it."""
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
        return None, [f"nbgrader could not prepare the notebook: {type(err).__name__}: {str(err)[:200]}"], []
    executor = Execute(
        timeout=ctx.settings.cell_timeout,
        kernel_name=KERNEL_NAME,
        extra_arguments=["--HistoryManager.hist_file=:memory:", "--IPKernelApp.log_level=ERROR"],
        startup_timeout=60,
        shutdown_kernel="immediate",  # no graceful wait: the kernel holds nothing worth keeping
    )
    try:
        nb, resources = executor.preprocess(nb, resources)
    except DeadKernelError:
        problems.append("the kernel died while running the notebook (it ended itself or ran out of memory)")
    except Exception as err:
        problems.append(f"the notebook could not be run: {type(err).__name__}: {str(err).splitlines()[0][:200]}")
    nb, resources = LimitOutput().preprocess(nb, resources)
    log = Path(str(workdir) + ".guard.log")
    violations = []
    if log.exists():
        violations = list(dict.fromkeys(line.strip() for line in log.read_text(errors="replace").splitlines() if line))
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

    return nbformat.from_dict(nb), problems, violations


# --------------------------------------------------------------------------------------------- parent side


def _fingerprint(sub: Submission, workspace: Path, settings: Settings) -> str:
    h = hashlib.sha256()
    h.update(settings.key().encode())
    h.update(f"{sub.student}\0{sub.assignment}\0{sub.notebook}".encode())
    h.update(sub.path.read_bytes() if sub.path.is_file() else b"<missing>")
    source = workspace / "source" / str(sub.assignment) / f"{sub.notebook}.ipynb"
    h.update(source.read_bytes() if source.exists() else b"")
    return h.hexdigest()


def journal_path(workspace: Path, assignment: str, student: str, notebook: str) -> Path:
    return state_dir(workspace) / "results" / assignment / student / f"{notebook}.json"


def _write_json_atomic(path: Path, data) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(data, indent=1), encoding="utf-8")
    os.replace(tmp, path)


def _record(workspace: Path, result: JobResult, executed_text: str | None) -> None:
    """Write one result into the gradebook (serially, parent only), autograded/, feedback/ and the journal."""
    from grader.report import write_feedback

    url = db_url(workspace)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # SQLAlchemy's autoflush warnings from inside nbgrader
        _record_grades(workspace, url, result, executed_text)
    write_feedback(workspace, result)
    _write_json_atomic(journal_path(workspace, result.assignment, result.student, result.notebook), asdict(result))


def _record_grades(workspace: Path, url: str, result: JobResult, executed_text: str | None) -> None:
    import nbformat
    from nbgrader.api import Gradebook
    from nbgrader.preprocessors import SaveAutoGrades

    with Gradebook(url, COURSE_ID) as gb:
        gb.update_or_create_student(result.student)
        gb.update_or_create_submission(result.assignment, result.student)
    if executed_text is not None:
        executed = nbformat.reads(executed_text, as_version=4)
        resources = {
            "nbgrader": {
                "db_url": url,
                "assignment": result.assignment,
                "notebook": result.notebook,
                "student": result.student,
            }
        }
        SaveAutoGrades().preprocess(executed, resources)
        out = workspace / "autograded" / result.student / result.assignment / f"{result.notebook}.ipynb"
        out.parent.mkdir(parents=True, exist_ok=True)
        nbformat.write(executed, out)
    with Gradebook(url, COURSE_ID) as gb:
        for ex in result.exercises:
            grade = gb.find_grade(ex.grade_id, result.notebook, result.assignment, result.student)
            if ex.kind == "auto":
                disagreement = ex.nbgrader_points is not None and ex.nbgrader_points != ex.points
                grade.auto_score = ex.points
                grade.needs_manual_grade = bool(disagreement or executed_text is None)
            elif executed_text is None:
                grade.auto_score = 0.0
                grade.needs_manual_grade = True
        gb.db.commit()


def _problem_result(sub: Submission, workspace: Path, fingerprint: str) -> JobResult | None:
    """A result for a submission that cannot be handed to a worker at all (no matching notebook, etc.)."""
    if sub.assignment is None:
        return JobResult(sub.student, "?", sub.path.stem, fingerprint, review=[f"{sub.path.name}: {sub.problem}"])
    from grader.grade_sources import read_source

    folder = workspace / "source" / sub.assignment
    notebooks = sorted(folder.glob("*.ipynb"))
    source = read_source(sub.assignment, notebooks[0])
    result = JobResult(sub.student, sub.assignment, source.name, fingerprint, review=[str(sub.problem)])
    for ex in source.exercises:
        result.exercises.append(ExerciseResult(ex.grade_id, ex.points, 0.0, "auto", None, "n/a", str(sub.problem)))
    for gid, pts in source.manual.items():
        result.exercises.append(ExerciseResult(gid, pts, 0.0, "manual", None, "n/a", str(sub.problem)))
    return result


def _class_results(workspace: Path, current: list[JobResult]) -> list[JobResult]:
    """Every graded notebook of the class: this run's results, and earlier runs' journals (other assignments)."""
    merged = {(r.student, r.assignment, r.notebook): r for r in current}
    for path in sorted((state_dir(workspace) / "results").glob("*/*/*.json")):
        key = (path.parent.name, path.parent.parent.name, path.stem)
        if key in merged:
            continue
        try:
            merged[key] = JobResult.from_dict(json.loads(path.read_text(encoding="utf-8")))
        except Exception:
            continue
    return sorted(merged.values(), key=lambda r: (r.student, r.assignment, r.notebook))


def _stage(sub: Submission, workspace: Path) -> Path:
    """Copy a submission into `submitted/<student>/<assignment>/<notebook>.ipynb` (nbgrader's layout)."""
    target = workspace / "submitted" / sub.student / str(sub.assignment) / f"{sub.notebook}.ipynb"
    if sub.path.resolve() != target.resolve():
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(sub.path, target)
    return target


def _run_pool(todo, ctx: WorkerContext, workers: int, finish) -> None:
    """Grade `todo` in `workers` processes; a job whose worker dies is retried once in a fresh pool, then
    reported as failed (the batch never stops)."""
    import multiprocessing

    # fork: workers inherit the imported modules (no re-import of __main__, which may be stdin or -c)
    method = "fork" if "fork" in multiprocessing.get_all_start_methods() else "spawn"
    pending = [job for _, job in todo]
    attempts: dict[int, int] = {}
    while pending:
        broken: list[dict] = []
        with concurrent.futures.ProcessPoolExecutor(
            workers, mp_context=multiprocessing.get_context(method), initializer=_init_worker, initargs=(ctx,)
        ) as pool:
            futures = {pool.submit(grade_one, job): job for job in pending}
            for future in concurrent.futures.as_completed(futures):
                job = futures[future]
                try:
                    payload = future.result()
                except concurrent.futures.process.BrokenProcessPool as err:
                    attempts[id(job)] = attempts.get(id(job), 0) + 1
                    if attempts[id(job)] < 2:
                        broken.append(job)
                    else:
                        finish(job, None, f"its grading process died twice: {err}")
                    continue
                except Exception as err:
                    finish(job, None, f"{type(err).__name__}: {err}")
                    continue
                finish(job, payload, None)
        pending = broken


def run_grade(
    submissions: Path,
    workspace: Path,
    assignment: str | None = None,
    jobs: int | None = None,
    *,
    progress: bool = True,
    settings: Settings | None = None,
    out=None,
) -> dict:
    """Grade every submission under `submissions` into `workspace`; return a summary dict.

    The summary holds `results` (JobResult per graded notebook), `csv` (path), `seconds`, `reused` (jobs kept
    from an earlier, interrupted run) and `graded`.
    """
    from tqdm.auto import tqdm

    from grader.report import print_summary, write_csv

    out = out or sys.stdout
    settings = settings or Settings()
    started = time.monotonic()
    workspace = Path(workspace).resolve()
    if not Path(submissions).exists():
        raise CourseError(f"{submissions}: no such file or folder; give the submissions folder or zip.")
    known = prepare_workspace(workspace)
    _init_worker(WorkerContext(str(workspace), "", settings))  # the parent reads sources too
    source_ids = _all_source_ids(workspace)
    found = collect(Path(submissions), known, source_ids, assignment)
    origins = {str(Path(submissions).resolve())} | {str(sub.path.resolve().parent) for sub in found}
    _write_kernelspec(workspace, sorted(origins))

    latest: dict[tuple[str, str, str], Submission] = {}
    duplicates: dict[tuple[str, str, str], int] = {}
    for sub in found:
        key = (sub.student, str(sub.assignment), str(sub.notebook or sub.path.stem))
        duplicates[key] = duplicates.get(key, 0) + 1
        latest[key] = sub  # sorted input: the last file name wins

    results: list[JobResult] = []
    todo: list[tuple[Submission, dict]] = []
    reused = 0
    for key, sub in sorted(latest.items()):
        fingerprint = _fingerprint(sub, workspace, settings)
        if sub.problem or sub.assignment is None:
            result = _problem_result(sub, workspace, fingerprint)
            if result.assignment != "?":
                _record(workspace, result, None)
            results.append(result)
            continue
        journal = journal_path(workspace, sub.assignment, sub.student, str(sub.notebook))
        if journal.exists():
            try:
                previous = JobResult.from_dict(json.loads(journal.read_text(encoding="utf-8")))
            except Exception:
                previous = None
            if previous is not None and previous.fingerprint == fingerprint:
                results.append(previous)
                reused += 1
                continue
        staged = _stage(sub, workspace)
        job = {
            "student": sub.student,
            "assignment": sub.assignment,
            "notebook": sub.notebook,
            "path": str(staged),
            "fingerprint": fingerprint,
            "several": duplicates[key],
        }
        todo.append((sub, job))

    (state_dir(workspace) / "scratch").mkdir(parents=True, exist_ok=True)
    snapshot = state_dir(workspace) / "gradebook-snapshot.db"
    shutil.copyfile(workspace / "gradebook.db", snapshot)
    ctx = WorkerContext(str(workspace), str(snapshot), settings)
    workers = max(1, min(jobs or os.cpu_count() or 1, len(todo) or 1))
    bar = tqdm(total=len(todo), desc="grading", unit="nb", disable=not progress, file=sys.stderr)

    def finish(job: dict, payload: dict | None, error: str | None) -> None:
        if payload is None:
            sub = next(s for s, j in todo if j is job)
            sub.problem = f"the grader failed on this notebook ({error})"
            result, executed = _problem_result(sub, workspace, job["fingerprint"]), None
        else:
            result, executed = JobResult.from_dict(payload["result"]), payload["executed"]
        if job.get("several", 1) > 1:
            result.notes.append(
                f"{job['several']} notebooks submitted for {job['assignment']}: the last one was graded"
            )
        _record(workspace, result, executed)
        results.append(result)
        bar.update(1)

    try:
        if workers == 1:
            _init_worker(ctx)
            for _, job in todo:
                try:
                    payload, error = grade_one(job), None
                except Exception as err:  # never stop the batch
                    payload, error = None, f"{type(err).__name__}: {err}"
                finish(job, payload, error)
        else:
            _run_pool(todo, ctx, workers, finish)
    finally:
        bar.close()
        from grader.intake import cleanup

        cleanup()  # an unpacked zip: every notebook was copied into submitted/ first
    results.sort(key=lambda r: (r.student, r.assignment, r.notebook))
    csv_path = write_csv(workspace, _class_results(workspace, results))
    summary = {
        "results": results,
        "csv": csv_path,
        "seconds": time.monotonic() - started,
        "reused": reused,
        "graded": len(todo),
        "workers": workers,
    }
    print_summary(summary, out)
    return summary


# --------------------------------------------------------------------------------------------- command line

HELP = """Grade a class: every notebook under SUBMISSIONS, with nbgrader's autograde (gradebook, autograded
notebooks, feedback) in a workspace outside the checkout, in parallel, each graded function re-checked in a
separate limited process against the solution notebook's own functions. SUBMISSIONS is an nbgrader
`<student>/<assignment>/*.ipynb` tree, a flat folder of notebooks or a .zip of them; in a flat folder or zip the
student id is the file name up to `__` if it has one, else up to the first `_` (`doejane_01_term.ipynb` ->
`doejane`). Writes class-grades.csv and feedback/<student>/<assignment>/*.html in the workspace and prints a summary.
A run that was stopped keeps every grade already made when started again."""


def add_grade_parser(subparsers) -> argparse.ArgumentParser:
    """Define `bpcourse grade` on the CLI's subparsers."""
    p = subparsers.add_parser("grade", help="(instructors) grade a class of submissions in parallel", description=HELP)
    p.add_argument("submissions", nargs="?", help="submissions: nbgrader tree, flat folder or .zip")
    p.add_argument("--workspace", help="grading workspace folder, outside the checkout (created if missing)")
    p.add_argument("--assignment", help="grade only this assignment (e.g. 01_term)")
    p.add_argument("--jobs", type=int, default=None, help="parallel workers (default: the number of cores)")
    p.add_argument(
        "--demo",
        action="store_true",
        help="grade a bundled synthetic class (11 students: right, partly right, wrong, cheating, broken) in a "
        "temporary workspace and print the table; --assignment picks the assignment (default: the first; 'all')",
    )
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.set_defaults(func=cmd_grade)
    return p


def cmd_grade(args: argparse.Namespace) -> int:
    if args.jobs is not None and args.jobs < 1:
        raise CourseError("--jobs must be at least 1.")
    if args.demo:
        from grader.demo_class import run_demo

        return run_demo(
            jobs=args.jobs, workspace=Path(args.workspace) if args.workspace else None, assignment=args.assignment
        )
    if not args.submissions or not args.workspace:
        raise CourseError("give SUBMISSIONS and --workspace DIR (or --demo).")
    summary = run_grade(
        Path(args.submissions), Path(args.workspace), args.assignment, args.jobs, progress=not args.quiet
    )
    return 1 if any(r.review for r in summary["results"]) else 0


def main(argv: list[str] | None = None) -> int:
    """`python -m grader.grade [grade] SUBMISSIONS --workspace DIR ...` (the same options as `bpcourse grade`)."""
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
