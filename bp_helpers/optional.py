"""Optional frameworks: a notebook that only compares with PyTorch imports it in the cells that compare.

Importing torch costs a few CPU seconds. A setup cell that imports it makes every run of the notebook pay for it,
a grading run included, even when only demo cells use it (grader/course/demos.py leaves those out of grading).
"""

from __future__ import annotations

from types import ModuleType

from bp_helpers.i18n import _

_said: list[bool] = []  # the missing-PyTorch line is printed once per kernel, not in every comparing cell


def optional_torch() -> ModuleType | None:
    """The torch module when PyTorch is installed; else None, after one line (once) saying how to install it."""
    try:
        import torch
    except ImportError:
        if not _said:
            _said.append(True)
            print(_('PyTorch is not installed: the comparisons with it are skipped. To add them, run `pip install -e '
                    '".[frameworks]"` in the course folder and restart the kernel.'))
        return None
    return torch
