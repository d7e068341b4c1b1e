"""The trusted re-check: a student's functions run in a confined child, judged by the parent."""
