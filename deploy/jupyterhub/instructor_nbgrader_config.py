"""An instructor's own nbgrader settings: install as ~INSTRUCTOR/.jupyter/nbgrader_config.py (owned by them).

The course root is also the `bpcourse grade` workspace: `nbgrader collect` writes submitted/ there,
`bpcourse grade` writes class-grades.csv, autograded/ and feedback/ there, and `nbgrader release_feedback`
sends feedback/ to the students. It must lie inside the instructor's home (their Jupyter server's root),
or the formgrader refuses to start.
"""

import os

c = get_config()  # noqa: F821

c.CourseDirectory.root = os.path.expanduser("~/backprop-course")
