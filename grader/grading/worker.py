"""A grading worker's context: the workspace it grades in, and the sources it reads once per process.

The parent reads every source and executes every solution once before it forks (grader/grading/grade.py), so the
job processes inherit them through these caches; a Dask worker (grader/grading/executors.py) and `bpcourse check`
fill them on first use.
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import nbformat

from grader.course.nbgrader_config import ensure_alembic_on_path
from grader.course.notebooks import grade_ids
from grader.course.sources import SourceInfo, read_source
from grader.grading.records import Settings
from grader.grading.workspace import state_dir


@dataclass(frozen=True)
class WorkerContext:
    """Where and how a worker grades."""

    workspace: Path
    snapshot_db: Path  # a copy of the gradebook nbgrader's preprocessors may read (the parent alone writes it)
    settings: Settings
    deny: tuple[str, ...] = ()  # folders no grant of the kernel may cover (solutions, workspace, submissions)


def init_worker(ctx: WorkerContext) -> None:
    """Set up a process that runs grading jobs (never the parent of `bpcourse grade`, whose environment stays its
    own): jupyter_client finds the guarded kernelspec through JUPYTER_PATH, nbgrader runs alembic from PATH."""
    os.environ["JUPYTER_PATH"] = os.pathsep.join(
        [str(state_dir(ctx.workspace) / "jupyter"), *filter(None, [os.environ.get("JUPYTER_PATH")])]
    )
    os.environ.setdefault("PYDEVD_DISABLE_FILE_VALIDATION", "1")
    ensure_alembic_on_path()
    logging.getLogger("traitlets").setLevel(logging.CRITICAL)


def _stamps(workspace: Path, assignment: str = "*") -> tuple[str, ...]:
    """The digests prepare_workspace stamped on the sources it copied (`assignment`, or all): part of the caches'
    keys, so a process that lives across runs (a Dask worker, a test) never grades against an edited source's
    stale reading."""
    stamps = sorted(state_dir(workspace).glob(f"source-{assignment}.sha256"))
    return tuple(f"{p.name}={p.read_text(encoding='utf-8')}" for p in stamps)


def sources_of(workspace: Path, assignment: str) -> dict[str, SourceInfo]:
    """The source notebooks of `assignment` in `workspace`, by stem (read once per version of the source)."""
    return _sources_of(workspace, assignment, _stamps(workspace, assignment))


@cache
def _sources_of(workspace: Path, assignment: str, _stamps: tuple[str, ...]) -> dict[str, SourceInfo]:
    folder = workspace / "source" / assignment
    return {p.stem: read_source(assignment, p) for p in sorted(folder.glob("*.ipynb"))}


def all_source_ids(workspace: Path) -> dict[tuple[str, str], frozenset[str]]:
    """The grade ids of every source notebook, by (assignment, notebook): how a notebook is identified."""
    return _all_source_ids(workspace, _stamps(workspace))


@cache
def _all_source_ids(workspace: Path, _stamps: tuple[str, ...]) -> dict[tuple[str, str], frozenset[str]]:
    return {
        (path.parent.name, path.stem): frozenset(grade_ids(nbformat.read(path, as_version=4)))
        for path in sorted((workspace / "source").glob("*/*.ipynb"))
    }
