"""The course as files: where it lives, its notebooks and cells, nbgrader's configuration, release."""
