"""Does grading on a Dask cluster give the local pool's grades, and does the cluster admit only holders of its keys?

One LocalCluster of two worker processes on 127.0.0.1 (one thread each, as deploy/README.md says to run them),
secured with mutual TLS by keys from `bpcourse cluster-keys`, serves every test of this module: it grades a class of
right, partly right, wrong, cheating and forging notebooks that the local pool grades too; clients without the
keys, or with another cluster's keys, try to connect; a worker answers with a pickled object.
"""

from __future__ import annotations

import csv
import io
import os
import subprocess
import sys
from pathlib import Path

import pytest

from grader.errors import CourseError
from grader.grading import demo_class
from grader.grading.cluster_keys import load_keys, local_cluster, make_keys
from grader.grading.executors import CLIENT_DESERIALIZERS, connect, from_plain
from grader.grading.grade import run_grade
from grader.grading.records import GradingJob, Settings
from grader.grading.workspace import prepare_workspace

distributed = pytest.importorskip("distributed")

STUDENTS = {k: demo_class.STUDENTS[k] for k in ("alice", "bob", "carol", "dave", "erin")}
JOB = GradingJob("alice", "01_term", "01_term", "unused", "fingerprint")


@pytest.fixture(scope="module")
def tls_cluster(tmp_path_factory: pytest.TempPathFactory):
    """(address, keys folder) of a two-worker LocalCluster that speaks only mutual TLS."""
    folder = tmp_path_factory.mktemp("cluster") / "keys"
    with local_cluster(make_keys(folder), workers=2) as cluster:
        yield cluster.scheduler_address, folder


def _rows(summary) -> dict[str, tuple]:
    with open(summary.csv, encoding="utf-8") as f:
        return {row["student"]: (row["total"], row["max"], row["status"]) for row in csv.DictReader(f)}


@pytest.mark.slow
def test_dask_over_tls_grades_as_the_local_pool(tmp_path: Path, tls_cluster) -> None:
    """With two Dask workers reached over mutual TLS, does every student get the local pool's score and status,
    from the same parent that writes the gradebook?"""
    address, keys = tls_cluster
    assert address.startswith("tls://")
    local_ws, dask_ws = tmp_path / "local", tmp_path / "dask"
    prepare_workspace(local_ws)
    submissions = demo_class.build_class(tmp_path / "class", local_ws / "release", STUDENTS, ["01_term"])
    settings = Settings(cell_timeout=60)
    local = run_grade(submissions, local_ws, "01_term", jobs=2, progress=False, settings=settings, out=io.StringIO())
    remote = run_grade(
        submissions,
        dask_ws,
        "01_term",
        progress=False,
        settings=settings,
        out=io.StringIO(),
        scheduler=address,
        cluster_keys=keys,
    )
    assert _rows(remote) == _rows(local)
    workers = {n for r in remote.results for n in r.notes if n.startswith("graded on Dask worker")}
    assert len(workers) == 2, workers  # both workers graded, none of it on this machine's pool
    # each job in a forked process of its own (job_runner: deadline, retry, its process group), never the worker's
    for r in remote.results:
        worker_pid = next(n for n in r.notes if n.startswith("graded on Dask worker")).rsplit(":", 1)[1]
        job_pids = [n for n in r.notes if n.startswith("in a grading process of its own")]
        assert len(job_pids) == 1 and f"({worker_pid})" not in job_pids[0], r.notes
    assert len(_rows(local)) == len(STUDENTS)
    assert (dask_ws / "gradebook.db").exists() and sorted((dask_ws / "feedback").rglob("*.html"))


def test_a_client_without_the_keys_cannot_connect(tls_cluster) -> None:
    """Can someone who reaches the scheduler's port, but holds no certificate of the cluster's CA, connect?"""
    address, _ = tls_cluster
    with pytest.raises((OSError, TypeError, distributed.comm.core.CommClosedError)):
        distributed.Client(address.replace("tls://", "tcp://"), timeout=5)
    with pytest.raises((OSError, TypeError)):
        distributed.Client(address, timeout=5)  # tls:// with no certificates at all


def test_another_clusters_keys_are_refused(tls_cluster, tmp_path: Path) -> None:
    """Do certificates from another CA (another `bpcourse cluster-keys` run) fail the handshake?"""
    address, _ = tls_cluster
    stranger = make_keys(tmp_path / "other")
    with pytest.raises(OSError):
        connect(address, stranger, timeout=5)


def test_the_instructors_keys_connect(tls_cluster) -> None:
    """And the instructor's own keys do connect (so the two refusals above are about the keys)."""
    address, keys = tls_cluster
    with connect(address, load_keys(keys), timeout=20) as client:
        assert client.submit(sum, [1, 2], pure=False).result() == 3


def _touch_in(marker: str, pid: int):
    """An object whose unpickling, in process `pid` only, creates `marker`: how a hostile worker would run code."""

    class Payload:
        def __reduce__(self):
            code = f"import os\nif os.getpid() == {pid}: open({marker!r}, 'w').close()"
            return (exec, (code,))

    return Payload()


def test_a_workers_pickled_answer_never_runs_here(tls_cluster, tmp_path: Path) -> None:
    """A worker that answers with a pickled object (whose unpickling would run code): is it refused by the
    instructor's client, with nothing of it run in the instructor's process?"""
    address, keys = tls_cluster
    marker = tmp_path / "ran-in-the-instructors-process"
    with connect(address, load_keys(keys), timeout=20) as client:
        future = client.submit(_touch_in, str(marker), os.getpid(), pure=False)
        with pytest.raises(TypeError):
            future.result()
    assert not marker.exists()
    # A worker that ignores the client's wish and sends a pickle anyway: the client's deserializers refuse it.
    from distributed.protocol import deserialize, serialize

    header, frames = serialize(_touch_in(str(marker), os.getpid()), serializers=("pickle",))
    with pytest.raises(TypeError):
        deserialize(header, frames, deserializers=CLIENT_DESERIALIZERS)
    assert not marker.exists()


@pytest.mark.parametrize(
    "answer",
    [
        b"{}",  # not a text
        '{"error": "RuntimeError: this worker\'s course has another version"}',
        '{"result": {"student": "bob", "assignment": "01_term", "notebook": "01_term", "fingerprint": "f"}}',
        '{"result": {"student": "alice"}}',
        "[1, 2]",
    ],
)
def test_a_workers_answer_must_be_a_result_for_the_job(answer) -> None:
    """Is a worker's answer that is not the JSON of this job's result (bytes, an error, another student's result,
    another shape) refused with a reason, never recorded?"""
    with pytest.raises(ValueError):
        from_plain(answer, JOB)


def test_a_plain_tcp_scheduler_is_refused(tmp_path: Path) -> None:
    """Is `--scheduler tcp://...` refused with a message that says why and what to do, before anything runs?"""
    with pytest.raises(CourseError, match="mutual TLS"):
        run_grade(tmp_path, tmp_path / "ws", scheduler="tcp://127.0.0.1:8786", out=io.StringIO())
    done = subprocess.run(
        [sys.executable, "-m", "grader.cli", "grade", str(tmp_path), "--workspace", str(tmp_path / "ws"),
         "--scheduler", "tcp://127.0.0.1:8786"],
        capture_output=True,
        text=True,
    )
    assert done.returncode == 2 and "tls://" in done.stderr and "cluster-keys" in done.stderr
    assert not (tmp_path / "ws").exists()


def test_a_tls_scheduler_needs_the_keys(tmp_path: Path) -> None:
    """Without --cluster-keys, or with a folder missing the instructor's certificate, is the run refused?"""
    with pytest.raises(CourseError, match="--cluster-keys"):
        run_grade(tmp_path, tmp_path / "ws", scheduler="tls://127.0.0.1:8786", out=io.StringIO())
    (tmp_path / "empty").mkdir()
    with pytest.raises(CourseError, match="instructor.pem"):
        run_grade(tmp_path, tmp_path / "ws", scheduler="tls://127.0.0.1:8786", cluster_keys=tmp_path / "empty")


def test_cluster_keys_are_never_overwritten_and_private(tmp_path: Path) -> None:
    """Does `bpcourse cluster-keys` keep private keys to their owner and refuse to overwrite existing keys?"""
    done = subprocess.run(
        [sys.executable, "-m", "grader.cli", "cluster-keys", str(tmp_path / "k")], capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr
    assert "dask worker tls://" in done.stdout
    for key in ("ca-key.pem", "cluster-key.pem", "instructor-key.pem"):
        assert (tmp_path / "k" / key).stat().st_mode & 0o077 == 0, key
    before = (tmp_path / "k" / "ca-key.pem").read_bytes()
    again = subprocess.run(
        [sys.executable, "-m", "grader.cli", "cluster-keys", str(tmp_path / "k")], capture_output=True, text=True
    )
    assert again.returncode == 2 and "never overwritten" in again.stderr
    assert (tmp_path / "k" / "ca-key.pem").read_bytes() == before
