"""`nbgrader collect` for a shared exchange, refusing what a student can forge in its `inbound/` folder.

Every user may create folders in `inbound/` (its mode is 2733), and nbgrader trusts what they are called and what
they hold:
  * the folder's name says whose submission it is (`<student>+<assignment>+<timestamp>+<random>`): a student can
    drop a newer "submission" under a classmate's name, and nbgrader's collect takes it with a warning in the log;
  * collect copies the folder with the instructor's rights and follows symbolic links: a link to a file only the
    instructor can read (the solution notebook) is collected, and graded, as the student's work.

`OwnedSubmissionsCollect` collects only folders owned by the student they name and holding only that student's
files and folders, no links (so a student's newest genuine submission is collected), and copies them without ever
following a link: each folder is opened relative to its already-open parent, each file with O_NOFOLLOW, and must
be a regular file of that student, so swapping a file for a link while collect runs does not help either.
Refused submissions are logged as errors.

Each collected file's modification time is set to the submission's last change as the kernel saw it: the latest
status-change time (ctime) of the inbound folder and everything in it. A student can set a file's mtime but never
move a ctime back (every write, chmod or utime sets it to now), so `bpcourse grade` reads lateness from a time the
student cannot make earlier (grader/grading/lateness.py).

Installed with the instructor's ~/.jupyter/nbgrader_config.py (see instructor_nbgrader_config.py).
"""

from __future__ import annotations

import fnmatch
import glob
import os
import pwd
import stat

from nbgrader.exchange.default.collect import ExchangeCollect

_DIR_FLAGS = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW
_FILE_FLAGS = os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK  # O_NONBLOCK: a FIFO must not hang collect


def _owner(uid: int) -> str:
    try:
        return pwd.getpwuid(uid).pw_name
    except KeyError:
        return f"uid {uid}"


def last_change(folder: str) -> float:
    """The latest ctime of `folder` and everything in it (links not followed): when the submission last changed."""
    latest = os.lstat(folder).st_ctime
    for where, dirs, files in os.walk(folder):
        for name in dirs + files:
            latest = max(latest, os.lstat(os.path.join(where, name)).st_ctime)
    return latest


def stamp_times(folder: str, when: float) -> None:
    """Set the modification time of every regular file collected into `folder` to `when`."""
    for where, _, files in os.walk(folder):
        for name in files:
            path = os.path.join(where, name)
            if stat.S_ISREG(os.lstat(path).st_mode):
                os.utime(path, (when, when), follow_symlinks=False)


class OwnedSubmissionsCollect(ExchangeCollect):
    """nbgrader's ExchangeCollect: only submissions owned by the student they name, copied without links."""

    def _refusal(self, record: dict) -> str | None:
        """Why the inbound folder of `record` is not collected, or None."""
        try:
            info = os.lstat(os.path.join(self.inbound_path, record["filename"]))
        except OSError as err:
            return f"cannot be read ({err.strerror})"
        if not stat.S_ISDIR(info.st_mode):
            return "is not a folder"
        if _owner(info.st_uid) != record["username"]:
            return f"names {record['username']} but belongs to {_owner(info.st_uid)}"
        for folder, dirs, files in os.walk(os.path.join(self.inbound_path, record["filename"])):
            for name in dirs + files:
                item = os.lstat(os.path.join(folder, name))
                if stat.S_ISLNK(item.st_mode):
                    return f"holds a symbolic link ({name})"
                if not (stat.S_ISDIR(item.st_mode) or stat.S_ISREG(item.st_mode)) or item.st_uid != info.st_uid:
                    return f"holds {name}, not a file or folder of {record['username']}"
        return None

    def _sort_by_timestamp(self, records):
        # nbgrader collects the first record of each student: put their genuine ones first, newest first.
        ordered = super()._sort_by_timestamp(records)
        return [r for r in ordered if not self._refusal(r)] + [r for r in ordered if self._refusal(r)]

    def init_src(self):
        super().init_src()
        student_id = self.coursedir.student_id or "*"
        pattern = os.path.join(self.inbound_path, f"{student_id}+{self.coursedir.assignment_id}+*")
        for path in sorted(glob.glob(pattern)):  # tell the instructor about every forgery, collected or not
            record = self._path_to_record(path)
            why = self._refusal(record)
            if why:
                self.log.error("Not collected: %s %s", record["filename"], why)
        self.src_records = [r for r in self.src_records if not self._refusal(r)]

    def do_copy(self, src, dest, log=None):
        owner_uid = os.lstat(src).st_uid
        budget = [1000 * self.coursedir.max_dir_size]
        fd = os.open(src, _DIR_FLAGS)
        try:
            self._copy_dir(fd, src, dest, owner_uid, budget)
        finally:
            os.close(fd)
        stamp_times(dest, last_change(src))

    def _ignored(self, name: str) -> bool:
        return any(fnmatch.fnmatch(name, pattern) for pattern in self.coursedir.ignore)

    def _copy_dir(self, dir_fd: int, shown: str, dest: str, owner_uid: int, budget: list[int]) -> None:
        os.makedirs(dest, exist_ok=True)
        for entry in os.scandir(dir_fd):
            where = os.path.join(shown, entry.name)
            if self._ignored(entry.name):
                continue
            if entry.is_symlink():
                self.log.error("Not collected: %s is a symbolic link", where)
            elif entry.is_dir(follow_symlinks=False):
                try:
                    child = os.open(entry.name, _DIR_FLAGS, dir_fd=dir_fd)
                except OSError as err:
                    self.log.error("Not collected: %s (%s)", where, err.strerror)
                    continue
                try:
                    self._copy_dir(child, where, os.path.join(dest, entry.name), owner_uid, budget)
                finally:
                    os.close(child)
            else:
                self._copy_file(dir_fd, entry.name, where, os.path.join(dest, entry.name), owner_uid, budget)

    def _copy_file(self, dir_fd: int, name: str, where: str, dest: str, owner_uid: int, budget: list[int]) -> None:
        try:
            fd = os.open(name, _FILE_FLAGS, dir_fd=dir_fd)
        except OSError as err:  # ELOOP: it became a link after the listing
            self.log.error("Not collected: %s (%s)", where, err.strerror)
            return
        with os.fdopen(fd, "rb") as src:
            info = os.fstat(src.fileno())
            if not stat.S_ISREG(info.st_mode) or info.st_uid != owner_uid:
                self.log.error("Not collected: %s is not a regular file of %s", where, _owner(owner_uid))
                return
            if info.st_size > 1000 * self.coursedir.max_file_size:
                self.log.warning("Not collected: %s is larger than %s kB", where, self.coursedir.max_file_size)
                return
            budget[0] -= info.st_size
            if budget[0] < 0:
                raise RuntimeError(f"the submission is larger than {self.coursedir.max_dir_size} kB: {where}")
            with open(dest, "wb") as out:
                while chunk := src.read(1 << 20):
                    out.write(chunk)
