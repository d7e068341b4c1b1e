"""The trust boundary: the code that runs inside a process where student code runs, before and beside it.

`confinement` (limits, Landlock, seccomp, the audit hook), `runner` (the re-check's child, run as a script with
`python -I -S`), `values` (the plain-data format both sides share), `kernel_guard` (confines nbgrader's kernel
before its first cell) and `scratch_fs` (each job's capped tmpfs). These modules import only the standard library,
numpy and each other (`tests/grader/test_layout.py` checks it), so that what runs beside student code is small and
carries nothing of the grader's (no solution, no contract, no hidden test).
"""
