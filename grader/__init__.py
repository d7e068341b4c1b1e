"""Grading tooling for backprop-course: release, start, self-check, and class grading through nbgrader."""
