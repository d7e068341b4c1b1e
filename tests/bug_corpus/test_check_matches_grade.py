"""Do `bpcourse check` and `bpcourse grade` give every exercise the same verdict, over the whole bug corpus?

`check` runs the pipeline `grade` runs (grader/grading/pipeline.py) on one notebook; this test holds it to that on
every known bug and every correct variant of the corpus (test_*_bugs.py), not only on the adversarial cases.

Running each entry through both pipelines would cost hours (a kernel run each), so entries are bundled: notebook
k of a solution notebook is a right notebook (grader/grading/demo_class.right) in which the k-th bug of EVERY test
cell is appended to the solution cell it redefines (as a student's later definition would), so one kernel run
and one re-check judge several bugs at once; likewise the correct variants. Two entries that redefine the same
name, or patch the same class, never share a notebook (the later would hide the earlier). Bundle k of each
notebook is handed in by the student `bugKK` (or `okKK`), all of them graded in one `run_grade` batch, and each
notebook checked with `run_check` as the same student (the re-check's inputs are seeded by the student id), from
a copy of its assignment folder (04b_training loads the student's 04a_backprop beside it).

Cost: 409 entries in 123 notebooks. Run through both pipelines, about 20 CPU minutes (a kernel and a re-check per
run; 05_comparison's timing experiment, 04f's torch and Keras and 04e's engine are half of it): 10 minutes on a
2-core machine, the checks two at a time in forked processes while the batch is graded (three jobs). Now `check`
runs bundle 0 of each notebook only (`CHECKED`) and `grade` every bundle.

So that the comparison cannot pass vacuously, every exercise a bug is bundled for must score 0 and every exercise
a correct variant is bundled for full marks (in grade, so in check too).
"""

from __future__ import annotations

import ast
import concurrent.futures
import importlib
import io
import multiprocessing
import shutil
import time
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

import nbformat
import pytest
from harness import ROOT, bugs, entries, variants
from test_trusted_recheck import CORPUS

from grader.course.sources import (
    SourceInfo,
    assigned_names,
    catalogue_of,
    defined_names,
    read_source,
    reference_namespace,
)
from grader.grading import demo_class
from grader.grading.grade import run_grade
from grader.grading.records import Settings
from grader.grading.worker import sources_of
from grader.grading.workspace import prepare_workspace

pytestmark = pytest.mark.slow

SETTINGS = Settings(cell_timeout=30)
KINDS = {"bug": "bug", "ok": "correct"}  # student prefix -> which table
NEEDS_BESIDE = {"04b_training": "04a_backprop"}  # a notebook that loads the student's other notebook
CHECK_PROCESSES = 2
GRADE_JOBS = 3
# `check` runs bundle 0 of each notebook, bugs and variants (the first entry of EVERY test cell: every exercise of
# every notebook through both pipelines); `grade` runs every bundle, so every entry still meets the whole pipeline
# (kernel and re-check) and must score as its kind says. Checking every bundle too doubled the CPU for the same
# parity question (about 5 CPU minutes saved).
CHECKED = ("bug00", "ok00")


@dataclass
class Entry:
    test_id: str
    name: str
    source: str
    targets: set[str]  # graded names it redefines and Class.attribute it patches
    cell: str  # grade id of the solution cell it is appended to


@dataclass
class Bundle:
    student: str
    notebook: str  # path under solutions/, e.g. "04_usage/04a_backprop.ipynb"
    entries: dict[str, Entry] = field(default_factory=dict)  # test cell grade id -> entry

    @property
    def assignment(self) -> str:
        return self.notebook.split("/")[0]

    @property
    def stem(self) -> str:
        return Path(self.notebook).stem

    @property
    def key(self) -> tuple[str, str, str]:
        return (self.student, self.assignment, self.stem)


@cache
def _source(notebook: str) -> SourceInfo:
    path = ROOT / "solutions" / notebook
    return read_source(path.parent.name, path)


def _table(module, kind: str) -> list[tuple[str, str, str]]:
    table = bugs(module) if kind == "bug" else variants(module, rechecked=True)
    return sorted(entries(table, with_cause=kind == "bug"))


def _patched(source: str) -> set[str]:
    """`Class.attribute` for every top-level `Class.attribute = ...` of `source`."""
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return set()
    return {
        f"{t.value.id}.{t.attr}"
        for node in tree.body
        if isinstance(node, ast.Assign)
        for t in node.targets
        if isinstance(t, ast.Attribute) and isinstance(t.value, ast.Name)
    }


def _entry(info: SourceInfo, test_id: str, name: str, source: str) -> Entry:
    graded = {n for n in [*defined_names(source), *assigned_names(source)] if n in info.function_cell}
    patched = {p for p in _patched(source) if p.split(".")[0] in info.function_cell}
    owners = graded | {p.split(".")[0] for p in patched}
    exercise = next(e for e in info.exercises if e.grade_id == test_id)
    cells = {info.function_cell[n] for n in owners} or {
        info.function_cell[f] for f in exercise.functions if f in info.function_cell
    }
    order = list(info.solution_cells)
    tests = [e.grade_id for e in info.exercises]
    # the latest of its cells that comes before the test cell (cells and tests alternate in notebook order)
    before = [c for c in cells if order.index(c) <= tests.index(test_id)]
    cell = max(before or cells, key=order.index)
    return Entry(test_id, name, source, graded | patched, cell)


def _clash(a: Entry, b: Entry) -> bool:
    """Would one hide the other: the same name redefined, or a class redefined and patched?"""
    return any(x == y or x.startswith(y + ".") or y.startswith(x + ".") for x in a.targets for y in b.targets)


def _taken(bundle: dict[str, Entry], entry: Entry) -> bool:
    return entry.test_id in bundle or any(_clash(entry, other) for other in bundle.values())


@cache
def bundles() -> tuple[Bundle, ...]:
    """Every corpus entry in exactly one bundle: bundle k of a notebook takes each test cell's k-th entry, unless it
    clashes with one already there (then the next bundle that takes it)."""
    found = []
    for module_name, notebook in CORPUS.items():
        module = importlib.import_module(module_name)
        info = _source(notebook)
        for prefix, kind in KINDS.items():
            by_test: dict[str, list[Entry]] = {}
            for test_id, name, source in _table(module, kind):
                by_test.setdefault(test_id, []).append(_entry(info, test_id, name, source))
            packed: list[dict[str, Entry]] = []
            for test_id in (e.grade_id for e in info.exercises):
                for k, entry in enumerate(by_test.get(test_id, [])):
                    while k < len(packed) and _taken(packed[k], entry):
                        k += 1
                    if k == len(packed):
                        packed.append({})
                    packed[k][test_id] = entry
            found += [Bundle(f"{prefix}{k:02d}", notebook, chosen) for k, chosen in enumerate(packed)]
    return tuple(found)


def _bundled_notebook(bundle: Bundle, release_root: Path) -> nbformat.NotebookNode:
    path = ROOT / "solutions" / bundle.notebook
    nb = demo_class.right(demo_class.release_of(path, release_root), nbformat.read(path, as_version=4))
    cells = {c.metadata.get("nbgrader", {}).get("grade_id"): c for c in nb.cells if c.cell_type == "code"}
    for entry in bundle.entries.values():  # in test-cell order
        cells[entry.cell].source += "\n\n" + entry.source
    return nb


def _verdicts(exercises) -> list[tuple]:
    """(grade id, points, cause) per exercise, as compared."""
    return [(e.grade_id, e.points, e.cause) for e in exercises]


def _check(group: tuple[str, str, list[str], str]) -> dict[str, list[tuple]]:
    """In a process of its own: `bpcourse check` of each notebook of one student's assignment folder, from a copy of
    it. One after another: `run_check` stages a student's assignment folder in the check workspace, so two checks of
    one folder must never run at once."""
    from grader.student.check import run_check

    student, folder, notebooks, scratch = group
    copy = Path(scratch) / student / Path(folder).name
    shutil.copytree(folder, copy)
    found = {}
    try:
        for name in notebooks:
            found[name] = _verdicts(run_check(copy / name, SETTINGS, student=student).result.exercises)
    finally:
        shutil.rmtree(copy, ignore_errors=True)
    return found


@pytest.fixture(scope="module")
def graded(tmp_path_factory: pytest.TempPathFactory) -> dict:
    base = tmp_path_factory.mktemp("corpus-check")
    workspace = base / "workspace"
    prepare_workspace(workspace)
    submitted = base / "submitted"
    for bundle in bundles():
        target = submitted / bundle.student / bundle.assignment / f"{bundle.stem}.ipynb"
        demo_class.write_notebook(_bundled_notebook(bundle, workspace / "release"), target)
    for needs, beside in NEEDS_BESIDE.items():  # a right one where a student has no bundle of it
        for folder in submitted.glob(f"*/*/{needs}.ipynb"):
            other = folder.parent / f"{beside}.ipynb"
            path = next((ROOT / "solutions").glob(f"*/{beside}.ipynb"))
            if not other.exists():
                release = demo_class.release_of(path, workspace / "release")
                demo_class.write_notebook(demo_class.right(release, nbformat.read(path, as_version=4)), other)

    from grader.student.check import check_workspace

    checks = check_workspace()
    for assignment in prepare_workspace(checks):  # once, before the checks share it (each stages its own folder)
        for source in sources_of(checks, assignment).values():  # the solutions run here once, not in each process
            reference_namespace(source)
            catalogue_of(source)
    groups: dict[tuple[str, str], list[str]] = {}
    for path in sorted(submitted.glob("*/*/*.ipynb")):
        groups.setdefault((path.parent.parent.name, path.parent.name), []).append(path.name)
    tasks = [
        (s, str(submitted / s / a), names, str(base / "checks")) for (s, a), names in groups.items() if s in CHECKED
    ]
    tasks.sort(key=lambda task: -len(task[2]))  # the longest first (04_usage: up to six notebooks each)
    started = time.monotonic()
    # The checks run while the batch is graded: kernels and re-check children wait at times, so five processes on
    # two cores finish sooner than two, then two. Forked (as grade's jobs are) before run_grade starts its own.
    context = multiprocessing.get_context("fork")
    with concurrent.futures.ProcessPoolExecutor(CHECK_PROCESSES, mp_context=context) as pool:
        futures = [pool.submit(_check, task) for task in tasks]
        finished: list[float] = []
        for future in futures:
            future.add_done_callback(lambda _: finished.append(time.monotonic() - started))
        summary = run_grade(submitted, workspace, jobs=GRADE_JOBS, progress=False, settings=SETTINGS, out=io.StringIO())
        grade_seconds = time.monotonic() - started
        checked = {
            (task[0], Path(task[1]).name, name.removesuffix(".ipynb")): verdicts
            for task, future in zip(tasks, futures, strict=True)
            for name, verdicts in future.result().items()
        }
    by_key = {(r.student, r.assignment, r.notebook): r for r in summary.results}
    print(f"\n{len(by_key)} notebooks: graded in {grade_seconds:.0f} s, checked in {max(finished):.0f} s")
    return {"by_key": by_key, "checked": checked}


def checked_bundles() -> list[Bundle]:
    return [b for b in bundles() if b.student in CHECKED]


@pytest.mark.parametrize("bundle", checked_bundles(), ids=[f"{b.student}-{b.stem}" for b in checked_bundles()])
def test_check_gives_the_graders_verdicts(graded: dict, bundle: Bundle) -> None:
    """Does `bpcourse check` give every exercise of this bundle the points and the cause `bpcourse grade` gave?"""
    assert graded["checked"][bundle.key] == _verdicts(graded["by_key"][bundle.key].exercises)


def test_every_bug_costs_its_exercise(graded: dict) -> None:
    """Does every exercise a bug is bundled for score 0 (so the comparison is over failing verdicts too)?"""
    passed = []
    for bundle in bundles():
        if bundle.student.startswith("bug"):
            points = {e.grade_id: e.points for e in graded["by_key"][bundle.key].exercises}
            passed += [(bundle.key, t, e.name) for t, e in bundle.entries.items() if points[t] != 0]
    assert not passed, passed


def test_every_correct_variant_earns_full_marks(graded: dict) -> None:
    """Does every exercise a correct variant is bundled for earn full marks (passing verdicts, compared too)?"""
    lost = []
    for bundle in bundles():
        if bundle.student.startswith("ok"):
            result = {e.grade_id: e for e in graded["by_key"][bundle.key].exercises}
            lost += [
                (bundle.key, t, e.name, result[t].cause)
                for t, e in bundle.entries.items()
                if result[t].points != result[t].max_points
            ]
    assert not lost, lost


def test_every_corpus_entry_is_bundled_once() -> None:
    """Is each bug and each correct variant of the corpus in exactly one bundle, and each bundle one entry per test
    cell at most?"""
    bundled = [(b.notebook, b.student[:2], t, e.name) for b in bundles() for t, e in b.entries.items()]
    assert len(bundled) == len(set(bundled))
    expected = {
        (notebook, prefix[:2], test_id, name)
        for module_name, notebook in CORPUS.items()
        for prefix, kind in KINDS.items()
        for test_id, name, _ in _table(importlib.import_module(module_name), kind)
    }
    assert expected and set(bundled) == expected
