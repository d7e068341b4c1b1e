"""Grading tooling for backprop-course: release, self-check, and (later) class grading via nbgrader."""
