"""nbgrader settings for every user of the hub: install as /etc/jupyter/nbgrader_config.py (see deploy/README.md).

Every Jupyter server on the machine reads it (instructors' and students'): the course id, where the shared
exchange folder is, and that course membership comes from the hub's groups (`formgrade-backprop-course` for
instructors, `nbgrader-backprop-course` for students; see jupyterhub_config.py). An instructor adds the course
root (where source/, release/, submitted/, feedback/ and the gradebook live) in ~/.jupyter/nbgrader_config.py:
see instructor_nbgrader_config.py beside this file.
"""

import os

c = get_config()  # noqa: F821

c.CourseDirectory.course_id = "backprop-course"

# The shared exchange: mode 1777 (nbgrader requires rwx for everyone; the sticky bit keeps users from removing
# each other's folders), with <root>/backprop-course created in advance and owned by the instructor.
c.Exchange.root = os.environ.get("BPCOURSE_EXCHANGE", "/srv/nbgrader/exchange")
# Students fetch into ~/01_term/, not ~/backprop-course/01_term/.
c.Exchange.path_includes_course = False

# Which courses a user belongs to: their JupyterHub groups nbgrader-<course> / formgrade-<course>. A user in
# neither group cannot list, fetch or submit this course's assignments.
c.Authenticator.plugin_class = "nbgrader.auth.JupyterHubAuthPlugin"
