"""The hub's course-specific parts (deploy/README.md): who is in the class, and per-user limits that are enforced.

Imported by jupyterhub_config.py (the hub runs as root).

* **The class from Linux groups**: members of `bpcourse-instructors` and `bpcourse-students` (made by
  deploy/enrol.py from a roster) may log in, and are the nbgrader groups `formgrade-<course>` / `nbgrader-<course>`.
  A new account in the group can log in at once; enrol.py also adds it to the hub's group through the hub's REST
  API, so nobody restarts the hub for an enrolment change.
* **Limits**: `LimitedSpawner` is JupyterHub's LocalProcessSpawner whose servers run in a control group of their
  own (`bpcourse/<user>`), with the memory (`Spawner.mem_limit`), CPU (`Spawner.cpu_limit`) and process-count
  (`PIDS_MAX`) limits the kernel enforces; everything a server starts (kernels, `bpcourse check`) stays in it. On a
  server run by systemd, jupyterhub-systemdspawner's SystemdSpawner does the same with systemd's own units (see the
  guide); this spawner is for hosts where systemd is not the init (containers, this project's CI).
"""

from __future__ import annotations

import grp
from pathlib import Path

from jupyterhub.spawner import LocalProcessSpawner

INSTRUCTOR_GROUP = "bpcourse-instructors"
STUDENT_GROUP = "bpcourse-students"
CGROUP_ROOT = Path("/sys/fs/cgroup")
CGROUP_NAME = "bpcourse"
PIDS_MAX = 512  # processes and threads of one user's server: a fork bomb stops there, torch's threads fit


def linux_group_members(name: str) -> list[str]:
    """The members of Linux group `name` ([] when it does not exist)."""
    try:
        return list(grp.getgrnam(name).gr_mem)
    except KeyError:
        return []


def _v2() -> bool:
    controllers = CGROUP_ROOT / "cgroup.controllers"
    return controllers.is_file() and "memory" in controllers.read_text().split()


def _limit_files(user: str, mem_bytes: int | None, cpu: float | None) -> dict[Path, str]:
    """The control files to write for one user's group, and their values (cgroup v2, or v1's controllers)."""
    files: dict[Path, str] = {}
    if _v2():
        folder = CGROUP_ROOT / CGROUP_NAME / user
        files[folder / "pids.max"] = str(PIDS_MAX)
        if mem_bytes:
            files[folder / "memory.max"] = str(mem_bytes)
        if cpu:
            files[folder / "cpu.max"] = f"{int(cpu * 100_000)} 100000"
        return files
    files[CGROUP_ROOT / "pids" / CGROUP_NAME / user / "pids.max"] = str(PIDS_MAX)
    if mem_bytes:
        files[CGROUP_ROOT / "memory" / CGROUP_NAME / user / "memory.limit_in_bytes"] = str(mem_bytes)
    if cpu:
        files[CGROUP_ROOT / "cpu" / CGROUP_NAME / user / "cpu.cfs_period_us"] = "100000"
        files[CGROUP_ROOT / "cpu" / CGROUP_NAME / user / "cpu.cfs_quota_us"] = str(int(cpu * 100_000))
    return files


def confine(user: str, pid: int, mem_bytes: int | None, cpu: float | None) -> list[Path]:
    """Put process `pid` (a user's server) into that user's control group with its limits; return the groups."""
    if _v2():  # the controllers must be handed down to bpcourse/ and to its user groups
        for parent in (CGROUP_ROOT, CGROUP_ROOT / CGROUP_NAME):
            parent.mkdir(exist_ok=True)
            (parent / "cgroup.subtree_control").write_text("+memory +pids +cpu")
    folders = []
    for path, value in _limit_files(user, mem_bytes, cpu).items():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(value)
        if path.parent not in folders:
            folders.append(path.parent)
    for folder in folders:
        (folder / "cgroup.procs").write_text(str(pid))
    return folders


class LimitedSpawner(LocalProcessSpawner):
    """LocalProcessSpawner whose servers run under enforced memory, CPU and process limits (`confine`)."""

    async def start(self):
        ip_port = await super().start()
        try:
            confine(self.user.name, self.pid, self.mem_limit, self.cpu_limit)
        except OSError as err:  # no control groups here: refuse to run an unlimited server silently
            self.log.error("limits for %s could not be applied (%s): stopping the server", self.user.name, err)
            await self.stop(now=True)
            raise
        return ip_port

    async def stop(self, now=False):
        await super().stop(now=now)
        for path in _limit_files(self.user.name, 1, 1.0):  # its groups, empty once the server is gone
            try:
                path.parent.rmdir()
            except OSError:
                pass


def class_lists(instructors: list[str], students: list[str]) -> tuple[list[str], list[str]]:
    """The class: the names given (the config's lists) and the members of the two Linux groups."""
    add_instructors = [u for u in linux_group_members(INSTRUCTOR_GROUP) if u not in instructors]
    add_students = [u for u in linux_group_members(STUDENT_GROUP) if u not in students]
    return instructors + add_instructors, students + add_students
