"""Cells that run before their exercises are written say in one line which function to write first.

A student who runs a released notebook top to bottom reaches plot and "see it" cells that call functions still
raising `NotImplementedError`. Such a cell runs inside `with write_first():` and prints, instead of a traceback, one
line such as "Write `chain_forward` first: this cell runs it, and it is not written yet." The explorers
(bp_helpers.widgets) say the same in their own note; this is the plain-cell form of it.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

from bp_helpers.i18n import _
from bp_helpers.widgets._base import _raised_in

# The last function found unwritten in this kernel: a later cell that fails only because an earlier cell stopped
# early (a NameError on that cell's result) names it too, rather than the variable it never got.
_last_missing: list[str] = []


def first_line(err: NotImplementedError | NameError) -> str:
    """The one line naming the function to write first."""
    if isinstance(err, NotImplementedError):
        name = _raised_in(err) or "the exercise above"
        _last_missing[:] = [name]
    elif _last_missing:
        name = _last_missing[0]
    else:
        undefined = getattr(err, "name", None) or str(err)
        return _("`{name}` is not defined yet: run the cells above this one first (Run > Run All Above).",
                 name=undefined)
    return _("Write `{name}` first: this cell runs it, and it is not written yet. Then run this cell again.",
             name=name)


@contextlib.contextmanager
def write_first() -> Iterator[None]:
    """Run the block; if a function it calls is not written yet, print `first_line` instead of a traceback.

    Only `NotImplementedError` (the released stubs) and `NameError` (an earlier cell stopped early) are caught: any
    other error in the student's own code is theirs to see, with its traceback.
    """
    try:
        yield
    except (NotImplementedError, NameError) as err:
        print(first_line(err))
