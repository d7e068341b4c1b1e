"""bp_helpers.first: a cell run before its exercise is written prints one line naming the function, no traceback."""

from __future__ import annotations

import pytest

from bp_helpers import first
from bp_helpers.first import write_first


class Engine:
    def backward(self):
        raise NotImplementedError()


def chain_forward(x):
    raise NotImplementedError()


@pytest.fixture(autouse=True)
def fresh_kernel():
    first._last_missing.clear()  # each test is a kernel of its own


def test_names_the_unwritten_function(capsys) -> None:
    with write_first():
        chain_forward(0.3)
    assert capsys.readouterr().out == (
        "Write `chain_forward` first: this cell runs it, and it is not written yet. Then run this cell again.\n")


def test_names_the_method_with_its_class(capsys) -> None:
    with write_first():
        Engine().backward()
    assert capsys.readouterr().out.startswith("Write `Engine.backward` first: ")


def test_a_later_cell_missing_a_result_names_the_same_function(capsys) -> None:
    with write_first():
        chain_forward(0.3)
    with write_first():
        print(y0)  # noqa: F821 (never assigned: the cell above stopped early)
    assert capsys.readouterr().out.splitlines()[1].startswith("Write `chain_forward` first: ")


def test_a_name_error_alone_says_to_run_the_cells_above(capsys) -> None:
    with write_first():
        print(undefined_here)  # noqa: F821
    assert capsys.readouterr().out.startswith("`undefined_here` is not defined yet: run the cells above")


def test_other_errors_are_the_students_to_see() -> None:
    with pytest.raises(ZeroDivisionError), write_first():
        print(1 / 0)
