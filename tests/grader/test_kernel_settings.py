"""Issue 24 item 7: does each job hand its kernel guard's settings to its own kernel, as a record carried by its
kernel manager, and never through the grading process's `os.environ` (shared by every job of that process)?"""

from __future__ import annotations

import asyncio
import json
import os

import pytest

from grader.grading.job_kernel import GradingKernelManager


def test_each_job_hands_its_own_guard_settings_to_its_kernel_and_not_to_os_environ(monkeypatch, tmp_path) -> None:
    monkeypatch.delenv("BPCOURSE_KERNEL_GUARD", raising=False)
    monkeypatch.setenv("JUPYTER_RUNTIME_DIR", str(tmp_path))  # the connection files
    envs = {}
    for job in ("a", "b"):
        manager = GradingKernelManager.for_job({"job": job})(kernel_name="python3")
        _, launch = asyncio.run(manager._async_pre_start_kernel())
        envs[job] = json.loads(launch["env"]["BPCOURSE_KERNEL_GUARD"])
        manager.cleanup_resources()
    assert envs == {"a": {"job": "a"}, "b": {"job": "b"}}
    assert "BPCOURSE_KERNEL_GUARD" not in os.environ


@pytest.mark.parametrize(
    "lang, expected",
    [("ko", "ko"), ("en", "en"), (None, "en"), ("KO", "en"), ("../x", "en"), (3, "en"), ("kor", "en")],
)
def test_the_kernel_writes_hints_in_the_notebooks_language(lang, expected) -> None:
    """The grading kernel's BPCOURSE_LANG is the job's language (a Korean notebook gets the helpers' Korean hints),
    and anything but two lowercase letters from the student's metadata falls back to English."""
    from grader.sandboxed.kernel_guard import clean_environment

    config = json.dumps({} if lang is None else {"lang": lang})
    assert clean_environment(config, "/tmp/job")["BPCOURSE_LANG"] == expected
