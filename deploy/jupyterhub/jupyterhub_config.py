"""JupyterHub for one backprop-course class on one Linux server (see deploy/README.md).

Every user is a real Linux account: the hub (run as root) logs them in with PAM and starts each one's own
Jupyter server as that user (LocalProcessSpawner), so the operating system keeps students apart. nbgrader's
exchange folder carries assignments, submissions and feedback between them (deploy/jupyterhub/nbgrader_config.py).

Who is in the class is two JupyterHub groups, read by nbgrader's JupyterHubAuthPlugin:
  * `formgrade-backprop-course`: the instructors (they release, collect, grade and return feedback);
  * `nbgrader-backprop-course`: the students (they see, fetch and submit this course's assignments).
Edit INSTRUCTORS and STUDENTS below, or set BPCOURSE_HUB_INSTRUCTORS / BPCOURSE_HUB_STUDENTS (comma-separated
Linux user names) in the hub's environment, then restart the hub.

Start it as root: `jupyterhub -f /etc/jupyterhub/jupyterhub_config.py` (working directory /srv/jupyterhub:
the hub's database and cookie secret are written there).
"""

import os
import pwd
import sys

c = get_config()  # noqa: F821

COURSE_ID = "backprop-course"  # must equal CourseDirectory.course_id in nbgrader_config.py


def _names(variable: str, default: list[str]) -> list[str]:
    raw = os.environ.get(variable)
    if raw is None:
        return default
    return [name.strip() for name in raw.split(",") if name.strip()]


sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))  # bpcourse_hub.py is installed beside this file
import bpcourse_hub  # noqa: E402

# The class: the names listed here (or in the environment) and the members of the Linux groups
# bpcourse-instructors / bpcourse-students that deploy/enrol.py fills from a roster.
INSTRUCTORS, STUDENTS = bpcourse_hub.class_lists(
    _names("BPCOURSE_HUB_INSTRUCTORS", ["instructor"]), _names("BPCOURSE_HUB_STUDENTS", [])
)

# Listen on the loopback interface only; put a TLS reverse proxy (nginx, caddy) in front for students.
c.JupyterHub.bind_url = os.environ.get("BPCOURSE_HUB_URL", "http://127.0.0.1:8000")
c.JupyterHub.hub_ip = "127.0.0.1"

# Log in with the server's Linux accounts; only the class may log in, and nobody is a hub admin by default
# (an instructor does not need it: nbgrader works through the exchange folder, not through the hub).
c.JupyterHub.authenticator_class = "pam"
c.Authenticator.allowed_users = set(INSTRUCTORS) | set(STUDENTS)
# a member of either Linux group may log in as soon as enrol.py made the account, without a restart of the hub
c.PAMAuthenticator.allowed_groups = {bpcourse_hub.INSTRUCTOR_GROUP, bpcourse_hub.STUDENT_GROUP}
c.Authenticator.admin_users = set()

# Each user's own server, as that Linux user, in their home folder, bound to 127.0.0.1 (the proxy reaches it).
# Each server runs in a control group of its own with enforced limits (bpcourse_hub.LimitedSpawner; on a systemd
# host SystemdSpawner does the same, see deploy/README.md). Sizing: a student's server with numpy and matplotlib
# uses 200-400 MB; the frameworks notebook (04f, PyTorch and Keras) about 1.5 GB while it trains.
c.JupyterHub.spawner_class = (
    "jupyterhub.spawner.LocalProcessSpawner" if os.environ.get("BPCOURSE_HUB_LIMITS") == "off"
    else bpcourse_hub.LimitedSpawner
)
c.Spawner.mem_limit = os.environ.get("BPCOURSE_HUB_MEMORY", "2G")
c.Spawner.cpu_limit = float(os.environ.get("BPCOURSE_HUB_CPUS", "1"))


def _instructor_limits(spawner) -> None:
    """An instructor grades the class in their own server (`bpcourse grade`, one kernel per core): more memory and
    every core."""
    if spawner.user.name in INSTRUCTORS or spawner.user.name in bpcourse_hub.linux_group_members(
        bpcourse_hub.INSTRUCTOR_GROUP
    ):
        spawner.mem_limit = os.environ.get("BPCOURSE_HUB_INSTRUCTOR_MEMORY", "8G")
        spawner.cpu_limit = None


c.Spawner.pre_spawn_hook = _instructor_limits
c.Spawner.ip = "127.0.0.1"
c.Spawner.notebook_dir = "~"
c.Spawner.default_url = "/lab"
c.Spawner.http_timeout = 60
c.Spawner.start_timeout = 60


def _private_tmp(spawner) -> str:
    return os.path.join(pwd.getpwnam(spawner.user.name).pw_dir, ".tmp")


# Every server (and what it runs: kernels, nbgrader, `bpcourse grade`) uses the hub's own environment, and a
# temporary folder of its own: on a shared machine /tmp is everyone's, and a student could plant files under a
# name a grader will use there (bpcourse grade keeps its own copies in ~/.cache/bpcourse, private to its user).
c.Spawner.environment = {
    "PATH": os.pathsep.join([os.path.dirname(sys.executable), "/usr/local/bin", "/usr/bin", "/bin"]),
    "TMPDIR": _private_tmp,
}
c.Spawner.cmd = ["/bin/sh", "-c", 'mkdir -p -m 0700 "$TMPDIR" && exec jupyterhub-singleuser "$@"', "singleuser"]

c.JupyterHub.load_groups = {
    f"formgrade-{COURSE_ID}": {"users": INSTRUCTORS},
    f"nbgrader-{COURSE_ID}": {"users": STUDENTS},
}

c.JupyterHub.load_roles = [
    {
        # The token each user's server holds (JUPYTERHUB_API_TOKEN). JupyterHub's default lets it post activity
        # and reach its own server; nbgrader's JupyterHubAuthPlugin also reads the user's own groups (GET
        # /hub/api/users/<self>) to know which courses the user belongs to. Nothing about other users.
        "name": "server",
        "scopes": [
            "users:activity!user",
            "access:servers!server",
            "read:users:name!user",
            "read:users:groups!user",
        ],
    },
]
