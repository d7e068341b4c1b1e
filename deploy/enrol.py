"""Enrol a class on the course's JupyterHub server from a roster (as root): accounts, groups, first passwords.

    python3 deploy/enrol.py roster.csv [--instructors NAME,...] [--passwords FILE] [--drop]
                                       [--hub-api http://127.0.0.1:8081/hub/api --token-file FILE] [--dry-run]

The roster is the CSV `bpcourse export --roster` reads (a header with `student`; other columns are ignored here):
each `student` is a Linux user name. A new one gets an account (a private home, 0700) in the group
`bpcourse-students` and a random first password, written to `--passwords` (created 0600, for the instructor to hand
out; PAM asks for a new one at first log-in); an existing account is added to the group. `--instructors` go into
`bpcourse-instructors`. `--drop` takes the group's members missing from the roster out of the class (their accounts
and files stay). With `--hub-api` and a token of a hub service allowed to manage groups, the hub's nbgrader groups are
updated at once: no restart for an enrolment change. `--dry-run` prints the commands and changes nothing.
"""

from __future__ import annotations

import argparse
import csv
import grp
import json
import pwd
import re
import secrets
import subprocess
import sys
import urllib.request
from pathlib import Path

COURSE_ID = "backprop-course"
STUDENT_GROUP, INSTRUCTOR_GROUP = "bpcourse-students", "bpcourse-instructors"
HUB_GROUPS = {STUDENT_GROUP: f"nbgrader-{COURSE_ID}", INSTRUCTOR_GROUP: f"formgrade-{COURSE_ID}"}
USER_NAME = re.compile(r"[a-z_][a-z0-9_-]{0,31}")  # what useradd accepts on Debian, without its dollar sign


def roster_names(path: Path) -> list[str]:
    """The `student` column of the roster; exits with the line of the first name Linux cannot take."""
    with path.open(encoding="utf-8-sig", newline="") as f:
        rows = list(csv.DictReader(f))
    if not rows or "student" not in rows[0]:
        sys.exit(f"{path}: a roster needs a header with a `student` column (Linux user names)")
    names = []
    for line, row in enumerate(rows, start=2):
        name = (row.get("student") or "").strip()
        if not USER_NAME.fullmatch(name):
            sys.exit(f"{path}, line {line}: {name!r} is not a Linux user name (lower case, digits, _ and -)")
        names.append(name)
    return names


def _known(lookup, name: str) -> bool:
    """Whether `lookup` (pwd.getpwnam, grp.getgrnam) knows `name`."""
    try:
        lookup(name)
        return True
    except KeyError:
        return False


def _exists(name: str) -> bool:
    return _known(pwd.getpwnam, name)


def _group_exists(group: str) -> bool:
    return _known(grp.getgrnam, group)


def _members(group: str) -> list[str]:
    try:
        return list(grp.getgrnam(group).gr_mem)
    except KeyError:
        return []


def plan(students: list[str], instructors: list[str], drop: bool) -> tuple[list[list[str]], list[str], list[str]]:
    """The commands to run, the new accounts (who get a first password) and the students taken out of the class."""
    commands: list[list[str]] = []
    for group in (STUDENT_GROUP, INSTRUCTOR_GROUP):
        if not _group_exists(group):
            commands.append(["groupadd", group])
    new = []
    for names, group in ((students, STUDENT_GROUP), (instructors, INSTRUCTOR_GROUP)):
        for name in names:
            if _exists(name):
                if name not in _members(group):
                    commands.append(["usermod", "--append", "--groups", group, name])
            else:
                commands.append(["useradd", "--create-home", "--shell", "/bin/bash", "--groups", group, name])
                commands.append(["chmod", "0700", f"~{name}"])
                new.append(name)
    dropped = [u for u in _members(STUDENT_GROUP) if u not in students] if drop else []
    commands += [["gpasswd", "--delete", name, STUDENT_GROUP] for name in dropped]
    return commands, new, dropped


def _run(command: list[str]) -> None:
    if command[0] == "chmod":  # a new home's path, once useradd made it (Debian's default is 0755)
        command = ["chmod", command[1], pwd.getpwnam(command[2][1:]).pw_dir]
    subprocess.run(command, check=True)


def _hub(api: str, token: str, method: str, path: str, users: list[str]) -> None:
    request = urllib.request.Request(
        f"{api.rstrip('/')}{path}", data=json.dumps({"users": users}).encode(), method=method,
        headers={"Authorization": f"token {token}", "Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=30) as answer:
        answer.read()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("roster", type=Path)
    parser.add_argument("--instructors", default="", help="comma-separated Linux user names")
    parser.add_argument("--passwords", type=Path, help="where to write the new accounts' first passwords (0600)")
    parser.add_argument("--drop", action="store_true", help="take students missing from the roster out of the class")
    parser.add_argument("--hub-api", help="the hub's REST API, e.g. http://127.0.0.1:8081/hub/api")
    parser.add_argument("--token-file", type=Path, help="a file holding a hub token allowed to manage groups")
    parser.add_argument("--dry-run", action="store_true", help="print the commands; change nothing")
    args = parser.parse_args(argv)
    students = roster_names(args.roster)
    instructors = [n.strip() for n in args.instructors.split(",") if n.strip()]
    bad = [n for n in instructors if not USER_NAME.fullmatch(n)]
    if bad:
        sys.exit(f"--instructors: {bad} are not Linux user names")
    commands, new, dropped = plan(students, instructors, args.drop)
    for command in commands:
        print(" ".join(command))
    if new and not args.passwords:
        sys.exit("new accounts need first passwords: give --passwords FILE")
    if args.dry_run:
        print(f"(dry run) {len(new)} new account(s), {len(dropped)} taken out of the class")
        return 0
    for command in commands:
        _run(command)
    if new:
        passwords = {name: secrets.token_urlsafe(12) for name in new}
        subprocess.run(["chpasswd"], input="".join(f"{n}:{p}\n" for n, p in passwords.items()), text=True, check=True)
        for name in new:  # a new password at first log-in
            subprocess.run(["passwd", "--expire", name], check=True, capture_output=True)
        args.passwords.touch(mode=0o600)
        with args.passwords.open("a", encoding="utf-8") as f:
            f.writelines(f"{name},{password}\n" for name, password in passwords.items())
    if args.hub_api and args.token_file:
        token = args.token_file.read_text(encoding="utf-8").strip()
        for names, group in ((students, STUDENT_GROUP), (instructors, INSTRUCTOR_GROUP)):
            if names:
                _hub(args.hub_api, token, "POST", f"/groups/{HUB_GROUPS[group]}/users", names)
        if dropped:
            _hub(args.hub_api, token, "DELETE", f"/groups/{HUB_GROUPS[STUDENT_GROUP]}/users", dropped)
    print(f"{len(students)} student(s) enrolled ({len(new)} new), {len(dropped)} taken out of the class")
    return 0


if __name__ == "__main__":
    sys.exit(main())
