"""The records grading passes around: the settings, a job, and the result of each exercise and of each notebook.

A `GradingJob` goes to a worker; a `GradedNotebook` comes back (pickled through a pipe or by Dask). Its `JobResult` is
kept in the journal as JSON (`asdict` / `JobResult.from_dict`, grader/grading/journal.py). `Settings.key()` is part of
every job's fingerprint: a change of the settings, of the sandbox limits or of the grader's own code makes an earlier
run's grades stale.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass, field
from enum import Enum
from functools import cache
from pathlib import Path

from grader.course.words import ENGLISH, Words
from grader.recheck.limits import Limits

GRADER_VERSION = "grade-3"


@cache
def grader_code_digest() -> str:
    """A digest of the grader's code (grader/**/*.py): grades made by other code are not reused on a resumed run.
    Computed once per process (the code does not change under a running grader); course content (solutions/,
    contracts/) is not in it: each job's fingerprint covers its own notebook's source and contract."""
    digest = hashlib.sha256()
    package = Path(__file__).resolve().parents[1]
    for path in sorted(package.rglob("*.py")):
        digest.update(str(path.relative_to(package)).encode() + path.read_bytes())
    return digest.hexdigest()


@dataclass(frozen=True)
class Settings:
    cell_timeout: int = 60  # wall-clock seconds per cell in the kernel (nbgrader's Execute.timeout)
    cell_cpu_seconds: float = 10.0  # CPU seconds per cell: what judges an endless loop, busy machine or not
    notebook_cpu_seconds: int = 0  # CPU budget of a whole notebook (0: sized from the solution's own run)
    notebook_seconds: float = 0.0  # wall-clock budget of a whole notebook (0: sized from the solution's run)
    job_seconds: float = 600.0  # a job (kernel and re-check) still running then is stopped and tried once more
    kernel_memory_bytes: int = 4 * 1024**3
    kernel_file_bytes: int = 64 * 1024**2
    max_notebook_bytes: int = 20 * 1024**2  # a larger submitted notebook is flagged and never run
    # Bounds on a submitted notebook's structure, checked when the parent reads it (grader/course/notebooks.py):
    # over one, it is flagged and never run. The course's notebooks have under 100 cells, no saved output in the
    # release and about 3 KB of metadata; a student's copy with every output saved and JupyterLab's widget state
    # stays far below. tests/grader/test_grade_many_cells.py grades 10,000 extra cells: under max_cells.
    max_cells: int = 20_000
    max_outputs: int = 20_000
    max_metadata_bytes: int = 4 * 1024**2  # the notebook's and every cell's metadata, as compact JSON
    # Kernels forked by one zygote per run (grader/grading/kernel_forks.py) rather than each started as a new Python:
    # the same confinement, a second less CPU a job. False: the plain start (benchmarks compare the two).
    fork_kernels: bool = True

    recheck: Limits = field(default_factory=Limits)  # the re-check child's limits (grader/recheck/sandbox.py)

    def key(self) -> str:
        return json.dumps([GRADER_VERSION, grader_code_digest(), asdict(self)], sort_keys=True)


class Kind(str, Enum):
    """Who scores an exercise: the grader (a test cell) or a person (a written answer)."""

    AUTO = "auto"
    MANUAL = "manual"

    def __str__(self) -> str:
        return self.value


class Recheck(str, Enum):
    """What the trusted re-check said of an exercise."""

    AGREES = "ok"
    FAILED = "fail"
    NOT_CHECKED = "n/a"  # no graded function, or not re-checkable: a kernel pass is flagged for a person

    def __str__(self) -> str:
        return self.value


@dataclass(frozen=True)
class Basis:
    """What one grade was made from, each part a digest: the submitted file, each cell of the source notebook
    (grade id -> digest, regrade.OTHER_CELLS for the rest), the notebook's re-check contract, and the grader (code
    and settings). grader/grading/regrade.py says from it why a grade is made again."""

    submission: str
    source: dict[str, str] = field(default_factory=dict)
    contract: str = ""
    grader: str = ""

    def key(self) -> bytes:
        cells = "\0".join(f"{k}={v}" for k, v in sorted(self.source.items()))
        return f"{self.submission}\0{cells}\0{self.contract}\0{self.grader}".encode()


@dataclass
class ExerciseResult:
    grade_id: str
    max_points: float
    points: float | None  # None: a written answer awaiting a person
    kind: Kind
    nbgrader_points: float | None = None
    trusted: Recheck = Recheck.NOT_CHECKED
    cause: str = ""
    # a written answer: did the student write one? Decided on this, never on the cause's words (which are in the
    # student's language). None: not a written answer, or a journal record from before this field.
    answered: bool | None = None

    def __post_init__(self) -> None:  # from the journal's JSON: a value no member has raises, never passes
        self.kind = Kind(self.kind)
        self.trusted = Recheck(self.trusted)


@dataclass(frozen=True)
class GradingJob:
    """One submitted notebook to grade, as the parent hands it to a worker."""

    student: str
    assignment: str
    notebook: str  # the source notebook's stem
    path: str  # the staged copy in the workspace's submitted/ tree
    fingerprint: str  # the journal's key: an unchanged job is not graded again
    several: int = 1  # how many notebooks were submitted for it (the last one is graded)


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
    # The grader's own failure on this notebook (a job that raised or died, a comparison that raised): the result is
    # provisional, flagged, kept in the journal but never reused, so the next run grades it again.
    grader_error: str = ""
    isolation: str = ""  # how the re-check's sandbox was isolated (TrustedResult.isolation)
    kernel_isolation: str = ""  # how nbgrader's kernel was isolated (grader.sandboxed.kernel_guard's log)
    seconds: float = 0.0
    basis: Basis | None = None  # what the grade was made from (grader/grading/regrade.py); None: not recorded
    # The review reasons that are integrity flags (code the guards refused, a tampered report, a test that passed
    # in the kernel but not in the re-check): for the instructor's eyes; the student's page only says it was flagged.
    integrity: list[str] = field(default_factory=list)
    lang: str = "en"  # the notebook's language: the causes a student reads are written in it (grader/course/words.py)
    # a review reason (as `review` holds it: English, the instructor's) -> its words in the student's language, for
    # the reasons the student reads too (`bpcourse check`'s notes, the feedback page); absent: the English
    said: dict[str, str] = field(default_factory=dict)

    def add_review(self, reason: str | Words) -> None:
        """A needs-review reason: English in `review`; a `Words` one also in the student's language (`said`)."""
        english = str(reason)
        if english not in self.review:
            self.review.append(english)
        if isinstance(reason, Words) and self.lang != ENGLISH:
            self.said[english] = reason.render(self.lang)

    def for_student(self, reason: str) -> str:
        """A review reason as the student reads it."""
        return self.said.get(reason, reason)

    def flag_integrity(self, reason: str) -> None:
        """A needs-review reason the student's feedback withholds."""
        if reason not in self.review:
            self.review.append(reason)
        if reason not in self.integrity:
            self.integrity.append(reason)

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
        """Raises (TypeError, ValueError) on an entry of another shape: the caller reports it, never drops it."""
        data = dict(data)
        data["exercises"] = [ExerciseResult(**e) for e in data.get("exercises", [])]
        data["basis"] = Basis(**data["basis"]) if data.get("basis") is not None else None
        return JobResult(**data)


@dataclass
class GradedNotebook:
    """What a worker sends back: the result, the executed notebook (nbformat JSON, student outputs stripped, valid
    Unicode; None when nbgrader never ran it), written to autograded/ as it is, and its scored cells alone (grade,
    solution and task cells, as an nbformat JSON notebook) for nbgrader's SaveAutoGrades: the parent's work per
    result grows with the number of scores, not with the notebook's size."""

    result: JobResult
    executed: str | None = None
    scored: str | None = None
