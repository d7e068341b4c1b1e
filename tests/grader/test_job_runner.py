"""Does the batch always finish: a job that hangs, dies or raises is stopped, retried once and reported alone?"""

from __future__ import annotations

import os
import time

from grader.grading.job_runner import run_jobs


def _work(job: str) -> str:
    if job == "hangs":
        time.sleep(3600)
    if job == "dies":
        os._exit(3)
    if job == "raises":
        raise ValueError("grader bug")
    return job.upper()


def test_every_other_job_finishes() -> None:
    """Do the good jobs get their results while a hanging, a dying and a raising job are each reported?"""
    finished: dict[str, tuple] = {}
    run_jobs(
        ["a", "hangs", "b", "dies", "raises", "c"],
        _work,
        lambda job, result, why: finished.setdefault(job, (result, why)),
        workers=2,
        deadline=2.0,
    )
    assert {k: v[0] for k, v in finished.items() if v[1] is None} == {"a": "A", "b": "B", "c": "C"}
    assert "did not finish within 2 s" in finished["hangs"][1] and "2 times" in finished["hangs"][1]
    assert "died" in finished["dies"][1] and "2 times" in finished["dies"][1]
    assert finished["raises"][1] == "ValueError: grader bug"  # a grader bug is not retried


def test_a_freed_worker_starts_its_next_job_before_the_result_is_recorded() -> None:
    """With one worker, is the second job's process started (`prepare` is called just before its fork) before the
    first job's result is recorded (`finish`)? Recording (the gradebook, the feedback) takes this process a while;
    the worker must not wait for it."""
    prepared: list[str] = []
    seen_at_finish: dict[str, list[str]] = {}
    run_jobs(
        ["a", "b"],
        _work,
        lambda job, result, why: seen_at_finish.setdefault(job, list(prepared)),
        workers=1,
        deadline=30.0,
        prepare=prepared.append,
    )
    assert seen_at_finish["a"] == ["a", "b"], seen_at_finish
