"""Do the hidden tests' bug-naming messages survive the grader's message filter (grader/course/messages.py) whole?

The grader shows a message that came out of nbgrader's kernel only when it reads as the course's own words, since
student code in that kernel can raise anything. Every message the corpus's known bugs produce must pass, naming
its bug as before; a message a student wrote must not.
"""

from __future__ import annotations

import re

import pytest
from harness import ROOT, bugs, entries, run_test_cell
from test_trusted_recheck import CORPUS, _module

from grader.course.sources import catalogue_of, read_source


def _bug_cases() -> list:
    found = []
    for module_name, notebook in CORPUS.items():
        module = _module(module_name)
        table = bugs(module)
        for test_id, name, (source, cause) in entries_with_cause(table):
            marks = [pytest.mark.slow] if "frameworks" in notebook else []
            found.append(pytest.param(notebook, test_id, source, cause, id=f"{test_id}-{name}", marks=marks))
    return found


def entries_with_cause(table: dict):
    """(test id, name, (source, cause)) for every bug of a corpus table."""
    for test_id, name, source in entries(table, with_cause=True):
        yield test_id, name, (source, _cause_of(table, test_id, name))


def _cause_of(table: dict, test_id: str, name: str) -> str:
    for key, value in table.items():
        if isinstance(value, dict) and key == test_id and name in value:
            return value[name][1]
        if isinstance(key, tuple) and key == (test_id, name):
            return value[1]
        if key == name and not isinstance(value, dict):
            return value[-1]
    raise KeyError((test_id, name))


def _catalogue(notebook: str):
    path = ROOT / "solutions" / notebook
    return catalogue_of(read_source(path.parent.name, path))


@pytest.mark.parametrize(("notebook", "test_id", "source", "cause"), _bug_cases())
def test_bug_message_passes_the_filter(
    notebook: str, test_id: str, source: str, cause: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Does the message naming this bug read as the course's words, and still name the bug after the filter?"""
    monkeypatch.chdir(ROOT / "solutions" / notebook.split("/")[0])  # 04b reads 04a beside it
    with pytest.raises(AssertionError) as raised:
        run_test_cell(notebook, test_id, source)
    message = str(raised.value).strip()
    shown = _catalogue(notebook).sanitize(message)
    assert shown is not None, message
    assert cause in shown or _matches(cause, shown), (cause, shown)


def _matches(pattern: str, text: str) -> bool:
    """Some corpus files give the cause as a regular expression, others as plain words."""
    try:
        return re.search(pattern, text) is not None
    except re.error:
        return False


@pytest.mark.parametrize(
    "forged",
    [
        "LEAK:eJxLzE3NTU1RKEstKs7Mz1OwUjDkAgBR5gb+",
        "rng = np.random.default_rng(20)",
        "all tests passed, 12/12, well done",
        "\x1b[2J good 12/12 all ok",
        " ".join(str(i) for i in range(40)),
    ],
)
def test_student_text_does_not_pass_the_filter(forged: str) -> None:
    """Is text a student could raise (encoded test source, hidden-test code, a forged verdict, terminal escapes,
    a run of numbers) refused by the filter?"""
    assert _catalogue("01_term/01_term.ipynb").sanitize(forged) is None
