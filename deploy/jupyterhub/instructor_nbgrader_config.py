"""An instructor's own nbgrader settings: install as ~INSTRUCTOR/.jupyter/nbgrader_config.py (owned by them),
with bpcourse_safe_collect.py beside it in ~/.jupyter/.

The course root is also the `bpcourse grade` workspace: `nbgrader collect` writes submitted/ there,
`bpcourse grade` writes class-grades.csv, autograded/ and feedback/ there, and `nbgrader release_feedback`
sends feedback/ to the students. It must lie inside the instructor's home (their Jupyter server's root),
or the formgrader refuses to start.
"""

import os
import sys

c = get_config()  # noqa: F821

c.CourseDirectory.root = os.path.expanduser("~/backprop-course")

# Collect only what each student really submitted: a folder in the exchange owned by the student it names, copied
# without following links (see bpcourse_safe_collect.py). Used by `nbgrader collect` and the formgrader alike.
_here = os.path.dirname(os.path.abspath(__file__))  # this config file's folder, ~/.jupyter
if _here not in sys.path:
    sys.path.insert(0, _here)
from bpcourse_safe_collect import OwnedSubmissionsCollect  # noqa: E402

c.ExchangeFactory.collect = OwnedSubmissionsCollect

# Inert rendering: the formgrader and generate_feedback render a student's notebook with nothing of theirs able to
# run on the instructor's origin (grader/grading/sanitize.py; the same two settings a bpcourse workspace's
# nbgrader_config.py holds, which this server does not read: it runs in the home folder, not the course root).
c.HTMLExporter.sanitize_html = True
c.HTMLExporter.preprocessors = [
    "grader.grading.sanitize.InertNotebook",
    "grader.grading.hidden_tests.WithoutHiddenTests",  # no hidden test on a feedback page (issue 29)
]
