"""A real class on a real JupyterHub: release, fetch, submit, collect, grade, return feedback, fetch it.

One JupyterHub 5 from PyPI, started as root on 127.0.0.1 from .hub-venv (the shared environment of
deploy/README.md, which `make test` makes) with deploy/jupyterhub/jupyterhub_config.py loaded as is (this test's
own config only adds ports, a scratch database, the test's API token, and where the servers find
deploy/jupyterhub/nbgrader_config.py and the exchange folder), configurable-http-proxy from npm (`make test`
installs it into .hub-node/), and three real Linux users the test creates with useradd: an instructor (with
deploy's instructor_nbgrader_config.py and bpcourse_safe_collect.py) and two students, each with their own Jupyter
server started by the hub's LocalProcessSpawner as that user. Every step goes through HTTP, as a browser would:
  * the hub's REST API (the test's service token): groups, users' servers and API tokens;
  * each user's server, with that user's own token: nbgrader's formgrader API for the instructor (generate,
    release, collect, release_feedback), nbgrader's assignment API for the students (list, fetch, submit,
    fetch_feedback), the contents API to write answers and read feedback, and the kernels API to run code in a
    user's own kernel (`bpcourse grade` for the instructor, which has no REST endpoint; the students' forged
    submissions and their attempts to read each other's work).

Skips, with the reason, unless run as root on Linux with useradd, .hub-venv and configurable-http-proxy (CI has
them all and fails when this test skipped). Everything started is stopped and every user and folder removed at
the end, also on failure. Prints the round trip's time.
"""
from __future__ import annotations

import asyncio
import csv
import json
import os
import pwd
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy" / "jupyterhub"
# The shared environment the hub and every user's server run from (deploy/README.md): `make test` makes it with
# Debian's python3, which every user can run; the test's own interpreter may lie where only root can enter.
HUB_ENV = Path(os.environ.get("BPCOURSE_HUB_ENV", ROOT / ".hub-venv"))
BIN = HUB_ENV / "bin"
COURSE_ID = "backprop-course"
ASSIGNMENT = "01_term"
# Autograded points per exercise of 01_term, and its written answer (graded by a person, 3 points).
POINTS = {
    "term_propagate_back_test": 2,
    "term_chain_forward_test": 2,
    "term_chain_backward_test": 3,
    "term_neuron_gradients_test": 2,
}
MANUAL = {"term_neuron_derivation": 3}


def _find_proxy() -> str | None:
    local = ROOT / ".hub-node" / "node_modules" / ".bin" / "configurable-http-proxy"
    return str(local) if local.exists() else shutil.which("configurable-http-proxy")


def _skip_reason() -> str | None:
    if sys.platform != "linux":
        return "needs Linux (real local users)"
    if os.geteuid() != 0:
        return "needs root: the hub starts each user's server as that user, and the test creates the users"
    for tool in ("useradd", "userdel"):
        if shutil.which(tool) is None:
            return f"{tool} is missing"
    if not (BIN / "jupyterhub-singleuser").exists() or not (BIN / "bpcourse").exists():
        return f"no hub environment with jupyterhub and the course in {HUB_ENV} (make .hub-venv/.installed)"
    if _find_proxy() is None:
        return "configurable-http-proxy is missing (make .hub-node/.installed)"
    return None


if _skip_reason():
    pytest.skip(_skip_reason(), allow_module_level=True)

import requests  # noqa: E402  (nbgrader's dependency; after the skip so the reason is what a user sees)

pytestmark = pytest.mark.slow

WAIT_HUB = 60  # seconds: the hub answers its API
WAIT_SERVER = 90  # seconds: a user's server is ready
WAIT_COMMAND = 240  # seconds: one command run in a kernel (bpcourse grade)
HTTP_TIMEOUT = 60  # seconds: one REST call (formgrader's calls run nbgrader in the request)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _run(*cmd: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(cmd, capture_output=True, text=True, timeout=60)


def _pids_of(uid: int) -> list[int]:
    pids = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if entry.stat().st_uid == uid:
                    pids.append(int(entry.name))
            except FileNotFoundError:
                pass
    return pids


def _memory_limit_of(user: str) -> int | None:
    """The memory limit of the control group the oldest process of `user` (their server) runs in."""
    pids = sorted(_pids_of(pwd.getpwnam(user).pw_uid))
    if not pids:
        return None
    for line in Path(f"/proc/{pids[0]}/cgroup").read_text().splitlines():
        _, controllers, path = line.split(":", 2)
        if "memory" in controllers.split(","):  # cgroup v1
            return int(Path(f"/sys/fs/cgroup/memory{path}/memory.limit_in_bytes").read_text())
        if controllers == "" and Path(f"/sys/fs/cgroup{path}/memory.max").exists():  # cgroup v2
            return int(Path(f"/sys/fs/cgroup{path}/memory.max").read_text())
    return None


def _kill_pid(pid: int, sig: int) -> None:
    try:
        os.kill(pid, sig)
    except ProcessLookupError:
        pass


class Hub:
    """The running hub, its users and the scratch folder; `stop()` undoes all of it."""

    def __init__(self) -> None:
        tag = secrets.token_hex(3)
        self.base = Path(tempfile.mkdtemp(prefix="bpcourse-hub-"))
        self.base.chmod(0o755)  # users must reach their homes and the exchange below it
        self.instructor, self.alice, self.bob = (f"bph{tag}{role}" for role in ("i", "a", "b"))
        self.users: list[str] = []
        self.exchange = self.base / "exchange"
        self.hub_dir = self.base / "hub"
        self.port, self.hub_port, self.proxy_port = _free_port(), _free_port(), _free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.service_token = secrets.token_hex(32)
        self.tokens: dict[str, str] = {}
        self.process: subprocess.Popen | None = None
        self.log = self.hub_dir / "hub.log"

    # ---------------------------------------------------------------------------------------------- set-up
    def create_users(self) -> None:
        (self.base / "home").mkdir(mode=0o755)
        for name in (self.instructor, self.alice, self.bob):
            home = self.base / "home" / name
            done = _run("useradd", "--create-home", "--home-dir", str(home), "--shell", "/bin/bash", name)
            assert done.returncode == 0, f"useradd {name}: {done.stderr}"
            self.users.append(name)
            home.chmod(0o700)  # deploy/README.md: homes are private (Debian's useradd leaves them 0755)

    def home(self, name: str) -> Path:
        return Path(pwd.getpwnam(name).pw_dir)

    def prepare_exchange(self) -> None:
        """As deploy/README.md says: the root 1777, the course's folder made for, and owned by, the instructor."""
        self.exchange.mkdir()
        self.exchange.chmod(0o1777)
        course = self.exchange / COURSE_ID
        course.mkdir(mode=0o755)
        entry = pwd.getpwnam(self.instructor)
        os.chown(course, entry.pw_uid, entry.pw_gid)
        # The instructor's own nbgrader config: the course root inside their home.
        jupyter_dir = self.home(self.instructor) / ".jupyter"
        jupyter_dir.mkdir()
        shutil.copyfile(DEPLOY / "instructor_nbgrader_config.py", jupyter_dir / "nbgrader_config.py")
        shutil.copyfile(DEPLOY / "bpcourse_safe_collect.py", jupyter_dir / "bpcourse_safe_collect.py")
        for path in (jupyter_dir, *jupyter_dir.iterdir()):
            os.chown(path, entry.pw_uid, entry.pw_gid)

    def write_config(self) -> Path:
        self.hub_dir.mkdir(mode=0o700)
        config = self.hub_dir / "test_config.py"
        service_role = {
            "name": "bpcourse-e2e",
            "scopes": ["admin:users", "admin:servers", "tokens", "list:groups", "read:groups", "list:users"],
            "services": ["bpcourse-e2e"],
        }
        config.write_text(
            f"""c = get_config()  # noqa: F821
load_subconfig({str(DEPLOY / "jupyterhub_config.py")!r})  # noqa: F821
c.JupyterHub.bind_url = "http://127.0.0.1:{self.port}"
c.JupyterHub.hub_bind_url = "http://127.0.0.1:{self.hub_port}"
c.ConfigurableHTTPProxy.api_url = "http://127.0.0.1:{self.proxy_port}"
c.ConfigurableHTTPProxy.command = [{_find_proxy()!r}]
c.ConfigurableHTTPProxy.pid_file = {str(self.hub_dir / "proxy.pid")!r}
c.JupyterHub.db_url = "sqlite:///{self.hub_dir}/jupyterhub.sqlite"
c.JupyterHub.cookie_secret_file = {str(self.hub_dir / "cookie_secret")!r}
c.JupyterHub.pid_file = {str(self.hub_dir / "hub.pid")!r}
c.JupyterHub.cleanup_servers = True
c.JupyterHub.services = [{{"name": "bpcourse-e2e", "api_token": {self.service_token!r}}}]
c.JupyterHub.load_roles = list(c.JupyterHub.load_roles) + [{service_role!r}]
# In production nbgrader_config.py is /etc/jupyter/nbgrader_config.py; here every server reads the deploy copy.
c.Spawner.environment = {{
    **c.Spawner.environment,
    "JUPYTER_CONFIG_PATH": {str(DEPLOY)!r},
    "BPCOURSE_EXCHANGE": {str(self.exchange)!r},
}}
""",
            encoding="utf-8",
        )
        return config

    def start(self) -> None:
        config = self.write_config()
        env = {
            **os.environ,
            "PATH": os.pathsep.join([str(BIN), str(Path(_find_proxy()).parent), os.environ.get("PATH", "")]),
            "BPCOURSE_HUB_INSTRUCTORS": self.instructor,
            "BPCOURSE_HUB_STUDENTS": f"{self.alice},{self.bob}",
        }
        with self.log.open("wb") as log:
            self.process = subprocess.Popen(
                [str(BIN / "jupyterhub"), "-f", str(config)],
                cwd=self.hub_dir,
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        deadline = time.monotonic() + WAIT_HUB
        while time.monotonic() < deadline:
            assert self.process.poll() is None, f"the hub exited ({self.process.returncode}):\n{self.log_tail()}"
            try:
                if requests.get(f"{self.url}/hub/api/", timeout=2).ok:
                    return
            except requests.RequestException:
                pass
            time.sleep(0.5)
        raise AssertionError(f"the hub did not answer within {WAIT_HUB} s:\n{self.log_tail()}")

    def log_tail(self, lines: int = 60) -> str:
        try:
            return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return "(no hub log)"

    # ----------------------------------------------------------------------------------------------- REST
    def hub_api(self, method: str, path: str, **kwargs) -> requests.Response:
        headers = {"Authorization": f"token {self.service_token}"}
        return requests.request(method, f"{self.url}/hub/api{path}", headers=headers, timeout=HTTP_TIMEOUT, **kwargs)

    def hub_json(self, method: str, path: str, **kwargs):
        done = self.hub_api(method, path, **kwargs)
        assert done.ok, f"{method} /hub/api{path}: {done.status_code} {done.text[:2000]}"
        return done.json()

    def start_server(self, name: str) -> None:
        done = self.hub_api("POST", f"/users/{name}/server")
        why = f"starting {name}'s server: {done.status_code} {done.text}\n{self.log_tail()}"
        assert done.status_code in (201, 202), why

    def wait_ready(self, name: str) -> None:
        deadline = time.monotonic() + WAIT_SERVER
        while time.monotonic() < deadline:
            model = self.hub_json("GET", f"/users/{name}")
            server = model.get("servers", {}).get("")
            if server and server.get("ready"):
                return
            if not server:  # a spawn that failed leaves no server behind
                raise AssertionError(f"{name}'s server stopped while starting:\n{self.log_tail()}")
            time.sleep(0.5)
        raise AssertionError(f"{name}'s server was not ready within {WAIT_SERVER} s:\n{self.log_tail()}")

    def user_token(self, name: str) -> str:
        done = self.hub_api("POST", f"/users/{name}/tokens", json={"note": "bpcourse e2e test", "expires_in": 900})
        assert done.status_code == 201, f"token for {name}: {done.status_code} {done.text}"
        self.tokens[name] = done.json()["token"]
        return self.tokens[name]

    def server_api(self, name: str, method: str, path: str, *, as_user: str | None = None, **kwargs):
        """A request to `name`'s own server with `as_user`'s token (default: the owner's)."""
        token = self.tokens[as_user or name]
        return requests.request(
            method,
            f"{self.url}/user/{name}/{path.lstrip('/')}",
            headers={"Authorization": f"token {token}"},
            timeout=HTTP_TIMEOUT,
            **kwargs,
        )

    def ok_json(self, name: str, method: str, path: str, **kwargs):
        done = self.server_api(name, method, path, **kwargs)
        assert done.ok, f"{method} {path} on {name}'s server: {done.status_code} {done.text[:2000]}"
        return done.json()

    def formgrader(self, action: str) -> dict:
        """POST /formgrader/api/assignment/<assignment>/<action> on the instructor's server; fails unless success."""
        result = self.ok_json(self.instructor, "POST", f"formgrader/api/assignment/{ASSIGNMENT}/{action}")
        assert result.get("success"), f"formgrader {action}: {result.get('error') or result}"
        return result

    def run_in_kernel(self, name: str, code: str, timeout: float = WAIT_COMMAND) -> str:
        """Run `code` in a new kernel of `name`'s server (kernels API + its websocket); returns what it printed."""
        kernel = self.ok_json(name, "POST", "api/kernels", json={"name": "python3"})
        try:
            return asyncio.run(self._execute(name, kernel["id"], code, timeout))
        finally:
            self.server_api(name, "DELETE", f"api/kernels/{kernel['id']}")

    async def _execute(self, name: str, kernel_id: str, code: str, timeout: float) -> str:
        from tornado.httpclient import HTTPRequest
        from tornado.websocket import websocket_connect

        request = HTTPRequest(
            f"ws://127.0.0.1:{self.port}/user/{name}/api/kernels/{kernel_id}/channels",
            headers={"Authorization": f"token {self.tokens[name]}"},
            connect_timeout=30,
            request_timeout=30,
        )
        ws = await websocket_connect(request)
        msg_id = uuid.uuid4().hex
        ws.write_message(
            json.dumps(
                {
                    "header": {
                        "msg_id": msg_id,
                        "username": name,
                        "session": uuid.uuid4().hex,
                        "msg_type": "execute_request",
                        "version": "5.3",
                    },
                    "parent_header": {},
                    "metadata": {},
                    "content": {"code": code, "silent": False, "store_history": False, "allow_stdin": False},
                    "channel": "shell",
                }
            )
        )
        out: list[str] = []
        idle = replied = False
        deadline = time.monotonic() + timeout
        while not (idle and replied):
            left = deadline - time.monotonic()
            if left <= 0:
                raise AssertionError(f"{name}'s kernel did not finish within {timeout} s:\n{''.join(out)}")
            raw = await asyncio.wait_for(ws.read_message(), left)
            assert raw is not None, f"{name}'s kernel websocket closed:\n{''.join(out)}"
            msg = json.loads(raw)
            if msg.get("parent_header", {}).get("msg_id") != msg_id:
                continue
            kind, content = msg["msg_type"], msg["content"]
            if kind == "stream":
                out.append(content["text"])
            elif kind == "error":
                out.append("\n".join(content["traceback"]))
            elif kind == "status" and content["execution_state"] == "idle":
                idle = True
            elif kind == "execute_reply":
                replied = True
                assert content["status"] == "ok", f"error in {name}'s kernel:\n{''.join(out)}"
        ws.close()
        return "".join(out)

    # ------------------------------------------------------------------------------------------ tear-down
    def stop(self) -> None:
        """Stop the servers, the hub and the proxy; remove the users and the folder. Never raises."""
        if self.process is not None and self.process.poll() is None:
            for name in self.users:
                try:
                    self.hub_api("DELETE", f"/users/{name}/server")
                except requests.RequestException:
                    pass
            self.process.send_signal(signal.SIGTERM)  # cleanup_servers: the hub stops the servers and the proxy
            try:
                self.process.wait(30)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(10)
        proxy_pid = self.hub_dir / "proxy.pid"
        if proxy_pid.exists():
            try:
                _kill_pid(int(proxy_pid.read_text().strip()), signal.SIGTERM)
            except ValueError:
                pass
        for name in self.users:  # anything still running as a test user (a kernel, a grader) ends here
            uid = pwd.getpwnam(name).pw_uid
            for sig in (signal.SIGTERM, signal.SIGKILL):
                for pid in _pids_of(uid):
                    _kill_pid(pid, sig)
                time.sleep(0.5)
        for name in self.users:
            _run("userdel", "--remove", name)
        shutil.rmtree(self.base, ignore_errors=True)


@pytest.fixture(scope="module")
def hub():
    running = Hub()
    try:
        running.create_users()
        running.prepare_exchange()
        running.start()
        yield running
    finally:
        running.stop()


# --------------------------------------------------------------------------------------------- the answers
def _solution_code() -> dict[str, str]:
    """The solution notebook's answer cells, by grade id, without nbgrader's solution markers."""
    nb = json.loads((ROOT / "solutions" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb").read_text(encoding="utf-8"))
    answers = {}
    for cell in nb["cells"]:
        meta = cell["metadata"].get("nbgrader", {})
        if cell["cell_type"] == "code" and meta.get("solution"):
            lines = "".join(cell["source"]).splitlines()
            kept = [x for x in lines if x.strip() not in ("### BEGIN SOLUTION", "### END SOLUTION")]
            answers[meta["grade_id"]] = "\n".join(kept)
    return answers


WRONG_CHAIN_BACKWARD = '''def chain_backward(cache):
    x, a, b = cache
    return np.cos(b)  # forgets the local derivatives 2a and 2 of the earlier steps
'''


def _answer(notebook: dict, right: bool) -> dict:
    """The right student answers every exercise with the solution's code; the wrong one gets the first two right,
    backpropagates wrongly through the chain and leaves the neuron's gradients unwritten."""
    solution = _solution_code()
    for cell in notebook["cells"]:
        grade_id = cell["metadata"].get("nbgrader", {}).get("grade_id")
        if grade_id not in solution:
            continue
        if right or grade_id in ("term_propagate_back", "term_chain_forward"):
            cell["source"] = solution[grade_id]
        elif grade_id == "term_chain_backward":
            cell["source"] = WRONG_CHAIN_BACKWARD
    return notebook


def _status_of(listing: dict, assignment: str = ASSIGNMENT) -> list[str]:
    """The statuses of an assignment in nbgrader's assignment list ({"success": ..., "value": [...]})."""
    assert listing.get("success"), listing
    return [a["status"] for a in listing["value"] if a["assignment_id"] == assignment and a["course_id"] == COURSE_ID]


# ------------------------------------------------------------------------------------------------ the test
def test_class_round_trip_on_a_real_hub(hub: Hub, capsys) -> None:
    t0 = time.monotonic()
    instructor, students = hub.instructor, (hub.alice, hub.bob)
    right = {hub.alice: True, hub.bob: False}

    # The class is the two groups of deploy/jupyterhub/jupyterhub_config.py.
    groups = {g["name"]: set(g["users"]) for g in hub.hub_json("GET", "/groups")}
    assert groups[f"formgrade-{COURSE_ID}"] == {instructor}
    assert groups[f"nbgrader-{COURSE_ID}"] == set(students)

    for name in (instructor, *students):
        hub.start_server(name)
    for name in (instructor, *students):
        hub.wait_ready(name)
        hub.user_token(name)
    t_servers = time.monotonic()

    # Each server runs in its own control group with the limits the hub enforces (bpcourse_hub.LimitedSpawner):
    # 2 GB and one CPU for a student by default, 8 GB for the instructor.
    for name, limit in ((hub.alice, 2 * 1024**3), (hub.bob, 2 * 1024**3), (instructor, 8 * 1024**3)):
        assert _memory_limit_of(name) == limit, (name, _memory_limit_of(name))

    # A user's token opens only that user's server.
    assert hub.server_api(hub.bob, "GET", "api/status", as_user=hub.alice).status_code == 403
    assert hub.server_api(instructor, "GET", "api/status", as_user=hub.alice).status_code == 403

    # (1) The instructor puts the solution notebook in the course's source/ (contents API), generates the
    # student version and releases it to the exchange (formgrader API).
    solution = json.loads((ROOT / "solutions" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb").read_text(encoding="utf-8"))
    for folder in ("backprop-course", "backprop-course/source", f"backprop-course/source/{ASSIGNMENT}"):
        hub.ok_json(instructor, "PUT", f"api/contents/{folder}", json={"type": "directory"})
    hub.ok_json(
        instructor,
        "PUT",
        f"api/contents/backprop-course/source/{ASSIGNMENT}/{ASSIGNMENT}.ipynb",
        json={"type": "notebook", "format": "json", "content": solution},
    )
    hub.formgrader("assign")
    hub.formgrader("release")
    released = hub.exchange / COURSE_ID / "outbound" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb"
    text = released.read_text(encoding="utf-8")
    assert "BEGIN SOLUTION" not in text and "BEGIN HIDDEN TESTS" not in text and "neuron_gradients" in text

    # (2) Each student lists the course's assignments, fetches 01_term, answers it and submits it.
    for student in students:
        listing = hub.ok_json(student, "GET", "assignments", params={"course_id": COURSE_ID})
        assert _status_of(listing) == ["released"], listing
        form = {"course_id": COURSE_ID, "assignment_id": ASSIGNMENT}
        listing = hub.ok_json(student, "POST", "assignments/fetch", data=form)
        assert _status_of(listing) == ["fetched"], listing
        path = f"api/contents/{ASSIGNMENT}/{ASSIGNMENT}.ipynb"
        notebook = hub.ok_json(student, "GET", path)["content"]
        assert "raise NotImplementedError" in json.dumps(notebook)
        hub.ok_json(
            student,
            "PUT",
            path,
            json={"type": "notebook", "format": "json", "content": _answer(notebook, right[student])},
        )
        listing = hub.ok_json(student, "POST", "assignments/submit", data=form)
        assert "submitted" in _status_of(listing), listing
    t_submitted = time.monotonic()

    # Two forgeries, newer than the genuine submissions, dropped straight into the exchange's inbound/ folder by
    # the students' own kernels: Alice submits her right answers in Bob's name, and Bob submits a link to the
    # instructor's solution notebook (collect would read it with the instructor's rights). Either one, collected,
    # would give Bob full marks below.
    inbound = hub.exchange / COURSE_ID / "inbound"
    course_root = hub.home(instructor) / "backprop-course"
    solution_path = course_root / "source" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb"
    forge = """
import datetime, os, shutil
def later(hours):
    when = datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(hours=hours)
    return when.strftime("%Y-%m-%d %H:%M:%S.%f %Z")
"""
    hub.run_in_kernel(
        hub.alice,
        forge + f"shutil.copytree({ASSIGNMENT!r}, os.path.join({str(inbound)!r}, "
        f"f'{hub.bob}+{ASSIGNMENT}+{{later(1)}}+forged'))\n",
        timeout=60,
    )
    hub.run_in_kernel(
        hub.bob,
        forge + f"folder = os.path.join({str(inbound)!r}, f'{hub.bob}+{ASSIGNMENT}+{{later(2)}}+linked')\n"
        "os.mkdir(folder)\n"
        f"os.symlink({str(solution_path)!r}, os.path.join(folder, {ASSIGNMENT + '.ipynb'!r}))\n"
        "open(os.path.join(folder, 'timestamp.txt'), 'w').write(later(2))\n",
        timeout=60,
    )

    # (3) The instructor collects the submissions (deploy's OwnedSubmissionsCollect refuses the forgeries) and
    # grades the collected submitted/ tree with bpcourse grade, in a kernel of their own server (no REST endpoint
    # runs bpcourse).
    collected = hub.formgrader("collect")
    assert f"names {hub.bob} but belongs to {hub.alice}" in collected["log"], collected["log"]
    assert f"holds a symbolic link ({ASSIGNMENT}.ipynb)" in collected["log"], collected["log"]
    for student in students:
        notebook = course_root / "submitted" / student / ASSIGNMENT / f"{ASSIGNMENT}.ipynb"
        assert notebook.is_file() and not notebook.is_symlink()
    grade_cmd = [
        "bpcourse", "grade", str(course_root / "submitted"),
        "--workspace", str(course_root), "--assignment", ASSIGNMENT,
    ]  # fmt: skip
    stamp_cmd = [str(BIN / "python"), str(DEPLOY / "stamp_feedback.py"), str(course_root), "--assignment", ASSIGNMENT]
    printed = hub.run_in_kernel(
        instructor,
        "import subprocess\n"
        f"for cmd in ({grade_cmd!r}, {stamp_cmd!r}):\n"
        "    done = subprocess.run(cmd, capture_output=True, text=True)\n"
        "    print(done.stdout, done.stderr, f'exit status {done.returncode}', sep='\\n')\n"
        "    if done.returncode:\n"
        "        break\n",
    )
    # The re-check imported the student helpers from the instructor's own private cache, never from a shared /tmp
    # that a student could have written first.
    cache = hub.home(instructor) / ".cache" / "bpcourse"
    assert cache.stat().st_mode & 0o777 == 0o700 and any(cache.glob("helpers-*"))
    grades = course_root / "class-grades.csv"
    assert printed.count("exit status 0") == 2, printed + (grades.read_text() if grades.exists() else "")
    t_graded = time.monotonic()

    with (course_root / "class-grades.csv").open(encoding="utf-8") as f:
        rows = {row["student"]: row for row in csv.DictReader(f)}
    assert set(rows) == set(students), rows
    expected = {
        hub.alice: POINTS,
        hub.bob: {**POINTS, "term_chain_backward_test": 0, "term_neuron_gradients_test": 0},
    }
    for student in students:
        row = rows[student]
        assert {k: float(row[k]) for k in POINTS} == expected[student], row
        assert float(row["total"]) == sum(expected[student].values()), row
        assert float(row["max"]) == sum(POINTS.values()) + sum(MANUAL.values()), row
        # the written answer was left as the placeholder: nothing for a person to grade, 0 (issue 29)
        assert row["term_neuron_derivation"] == "0", row
        assert row["status"] == "ok", row

    # (4) The instructor returns the feedback through the exchange (formgrader API: nbgrader release_feedback).
    hub.formgrader("release_feedback")
    released_feedback = list((hub.exchange / COURSE_ID / "feedback").glob("*.html"))
    assert len(released_feedback) == 2, released_feedback

    # (5) Each student fetches their own feedback, and cannot read the other's.
    fetched = {}
    for student in students:
        form = {"course_id": COURSE_ID, "assignment_id": ASSIGNMENT}
        hub.ok_json(student, "POST", "assignments/fetch_feedback", data=form)
        stamps = hub.ok_json(student, "GET", f"api/contents/{ASSIGNMENT}/feedback")["content"]
        assert len(stamps) == 1, stamps
        page = hub.ok_json(student, "GET", f"api/contents/{stamps[0]['path']}/{ASSIGNMENT}.html")
        fetched[student] = (hub.home(student) / stamps[0]["path"] / f"{ASSIGNMENT}.html", page["content"])
        graded = (course_root / "feedback" / student / ASSIGNMENT / f"{ASSIGNMENT}.html").read_text(encoding="utf-8")
        assert page["content"] == graded
        assert f"{ASSIGNMENT}: {student}</h1>" in page["content"]
        score = sum(expected[student].values())
        most = sum(POINTS.values()) + sum(MANUAL.values())  # the page's maximum counts the written answer too
        assert f"Autograded score: <b>{score:g} / {most:g}</b>" in page["content"]

    probe = f"""
import os
for what, path in [
    ("classmate's feedback", {str(fetched[hub.bob][0])!r}),
    ("classmate's notebook", {str(hub.home(hub.bob) / ASSIGNMENT / f"{ASSIGNMENT}.ipynb")!r}),
    ("classmate's home", {str(hub.home(hub.bob))!r}),
    ("released feedback", {str(hub.exchange / COURSE_ID / "feedback")!r}),
    ("submissions", {str(hub.exchange / COURSE_ID / "inbound")!r}),
    ("instructor's course", {str(course_root)!r}),
]:
    try:
        os.listdir(path) if os.path.isdir(path) else open(path).read()
        print("READ", what)
    except PermissionError:
        print("DENIED", what)
"""
    verdicts = hub.run_in_kernel(hub.alice, probe, timeout=60)
    assert "READ" not in verdicts and verdicts.count("DENIED") == 6, verdicts
    t_end = time.monotonic()

    with capsys.disabled():
        print(
            f"\nhub round trip: {t_end - t0:.1f} s (3 servers ready {t_servers - t0:.1f} s; release, fetch, answer, "
            f"submit {t_submitted - t_servers:.1f} s; collect + bpcourse grade {t_graded - t_submitted:.1f} s; "
            f"release and fetch feedback, isolation probe {t_end - t_graded:.1f} s)"
        )
