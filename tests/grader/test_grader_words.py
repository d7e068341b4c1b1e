"""Issue 25 item 3: does the grader speak to a Korean student in Korean?

Fast: every `say(lang, "...")` of grader/ is in the Korean catalog (grader/locale/ko/LC_MESSAGES/grader.po) with a
translation holding the same fields, the .mo is fresh, and the re-check's reasons, the kernel's causes and the
report's frame come out in the language asked for, English unchanged. Slow: `bpcourse check` on the Korean release
notebook, untouched, prints its verdicts in Korean.
"""

from __future__ import annotations

import io
import re
import shutil
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po
from conftest import ROOT

from bp_helpers.i18n import compiled
from grader.course import words
from grader.recheck.reasons import Failure, Why

FIELD = re.compile(r"\{(\w+)[^}]*\}")
PO = ROOT / "grader" / "locale" / "ko" / "LC_MESSAGES" / "grader.po"
HANGUL = re.compile("[가-힣]")


def test_every_grader_message_is_extracted_and_translated() -> None:
    in_code = {m for _, _, m, _, _ in extract_from_dir(ROOT / "grader", method_map=[("**.py", "python")],
                                                         keywords=words.KEYWORDS)}
    with PO.open("rb") as fh:
        messages = {m.id: m for m in read_po(fh) if m.id}
    assert len(in_code) > 40 and in_code <= set(messages), sorted(in_code - set(messages))
    for text in in_code:
        message = messages[text]
        has_words = re.search("[A-Za-z]", FIELD.sub("", text))  # "{where}[{index}]" is punctuation alone
        assert message.string and not message.fuzzy and (HANGUL.search(message.string) or not has_words), text
        assert sorted(FIELD.findall(message.string)) == sorted(FIELD.findall(text)), text


def test_the_compiled_catalog_is_fresh() -> None:
    assert PO.with_suffix(".mo").read_bytes() == compiled(PO)


@pytest.mark.parametrize("kind", list(Why))
def test_every_reason_renders_in_korean_and_english_is_unchanged(kind: Why) -> None:
    failure = Failure(kind, "relu_forward(array(4, 3))", "detail words")
    assert failure.render("en") == str(failure)
    if kind not in (Why.WRONG_ON_INVALID, Why.WRONG_VALUE, Why.CONTRACT):  # the call and a sentence of its own
        assert HANGUL.search(failure.render("ko")), failure.render("ko")


def test_a_reasons_details_render_in_korean() -> None:
    """Issue 25: is the detail inside a reason (the comparison's sentence with its path into the result, how the
    re-check's child stopped, what an invalid input did) Korean for a Korean notebook, nothing of its English left
    but names and numbers, and the English rendering the instructor reads unchanged?"""
    import numpy as np

    from grader.recheck.compare import compare
    from grader.recheck.limits import Limits
    from grader.recheck.sandbox import _describe_exit

    call = "relu_forward(array(4, 3))"
    where = words.phrase("{call}'s result", call=call)
    failures = [
        Failure(Why.WRONG_VALUE, call, compare({"W1": [np.zeros(3)]}, {"W1": [np.ones(3)]}, 1e-6, where)),
        Failure(Why.WRONG_VALUE, call, compare(np.zeros((2, 2), np.float32), np.zeros((2, 2)), 1e-6, where)),
        Failure(Why.WRONG_VALUE, call, compare([1.0], [1.0, 2.0], 1e-6, where)),
        Failure(Why.NO_ANSWER, call, _describe_exit(-11, Limits())),
        Failure(Why.NO_ANSWER, call, _describe_exit(None, Limits())),
        Failure(Why.WRONG_ON_INVALID, call, words.phrase(
            "returned a value; on this invalid input it must raise {want}", want="ValueError")),
    ]
    english = re.compile(r"\b(?:differs|expected|result|items|dtype has|stopped|killed|finish|returned|must)\b")
    for failure in failures:
        korean = failure.render("ko")
        assert HANGUL.search(korean) and not english.search(korean), korean
        assert failure.render("en") == str(failure) and english.search(str(failure)), str(failure)
    assert "['W1'][0]" in failures[0].render("ko"), failures[0].render("ko")


def test_an_unknown_language_falls_back_to_english() -> None:
    assert words.say("xx", "the test wrote to stderr") == "the test wrote to stderr"


@pytest.mark.slow  # one `bpcourse check` of a notebook: about 5 s
def test_check_speaks_korean_to_a_korean_notebook(tmp_path: Path) -> None:
    from grader.student.check import print_report, run_check

    notebook = tmp_path / "01_term.ipynb"
    shutil.copyfile(ROOT / "course-ko" / "01_term" / "01_term.ipynb", notebook)
    report = run_check(notebook)
    out = io.StringIO()
    print_report(report, out)
    text = out.getvalue()
    assert report.result.lang == "ko" and report.failed
    assert "자동 채점:" in text and "아직 구현되지 않았습니다" in text, text
    assert "not implemented yet" not in text and "autograded:" not in text, text
    assert "아직 답하지 않았습니다" in text and "not answered yet" not in text, text  # the written answer's line


def test_a_delay_is_said_in_the_students_language() -> None:
    """Issue 25: the feedback page's delay (`late_by`) is Korean for a Korean notebook; the CSV's stays English."""
    from grader.grading.lateness import late_by_text

    delay = 2 * 86400 + 3 * 3600 + 12 * 60
    assert late_by_text(True, delay) == "2 d 3 h 12 min"
    assert late_by_text(True, delay, "ko") == "2일 3시간 12분"
    assert late_by_text(True, 30, "ko") == "1분" and late_by_text(True, 0) == "0 min"
    assert late_by_text(True, None, "ko") == "기한 초과 (LMS 표시)" and late_by_text(False, None, "ko") == ""


def test_a_review_note_is_english_for_the_instructor_and_korean_for_the_student() -> None:
    """Issue 25: a note a student reads too (a cell stopped at its CPU limit, a dead kernel, the re-check's child)
    stays English in `review` (the instructor's summary, CSV and the review tool match on it) and is kept in the
    student's language beside it, through the journal's JSON."""
    import json
    from dataclasses import asdict

    import nbformat

    from grader.grading.job_kernel import Watchdog
    from grader.grading.records import JobResult
    from grader.grading.verdicts import cell_place

    cells = [nbformat.v4.new_markdown_cell("## Exercise 1"), nbformat.v4.new_code_cell("while True:\n    pass")]
    watchdog = Watchdog(10.0, None)  # type: ignore[arg-type]
    watchdog.label = lambda index: cell_place(cells, index)
    watchdog.interrupted.append(1)
    result = JobResult("ann", "01_term", "01_term", "", lang="ko")
    for note in [*watchdog.cpu_reports(), "notebook format 3 (converted to 4; check the conversion)"]:
        result.add_review(note)
    english = ('the cell under "Exercise 1" that starts "while True:" ran past its CPU-time limit of 10 s '
               "(an infinite loop?)")
    assert result.review == [english, "notebook format 3 (converted to 4; check the conversion)"]
    korean = result.for_student(english)
    assert HANGUL.search(korean) and "10" in korean and "while True:" in korean, korean
    assert result.for_student(result.review[1]) == result.review[1]  # a plain note: as it is
    again = JobResult.from_dict(json.loads(json.dumps(asdict(result))))
    assert again.for_student(english) == korean
    assert JobResult("bob", "01_term", "01_term", "", lang="en").for_student(english) == english


def test_the_remaining_review_notes_are_words_english_unchanged_korean_for_the_student() -> None:
    """Issue 25: the notebook's budget (Watchdog.why_dead), what it left in its folder (JobFolders.scratch_report) and
    the changed-cells notes reach a Korean student in Korean, and the instructor's English is what it always was
    (the summary, CSV and `bpcourse review` match on it)."""
    import nbformat

    from grader.grading import changes
    from grader.grading.job_kernel import MAX_RUNNING_FILES, MAX_SCRATCH_BYTES, Budget, JobFolders, Watchdog
    from grader.grading.records import JobResult

    watchdog = Watchdog(10.0, Budget(wall_seconds=60, cpu_seconds=30))
    watchdog.over_budget, watchdog.over_budget_at = "wall", 2
    notes = [watchdog.why_dead()]
    watchdog.over_budget, watchdog.over_budget_at = "cpu", None
    notes.append(watchdog.why_dead())
    watchdog.over_budget = "disk"
    notes.append(watchdog.why_dead())
    class FullFolders(JobFolders):  # a folder past both limits, without making one
        def usage(self) -> tuple[int, int]:
            return MAX_RUNNING_FILES + 1, MAX_SCRATCH_BYTES + 1

    notes.append(FullFolders.__new__(FullFolders).scratch_report())

    def test_cell(gid: str, source: str) -> nbformat.NotebookNode:
        cell = nbformat.v4.new_code_cell(source)
        cell.metadata["nbgrader"] = {"grade_id": gid, "grade": True, "solution": False, "locked": True, "points": 1}
        return cell

    source = nbformat.v4.new_notebook(cells=[test_cell("a_test", "assert f(1) == 1"), test_cell("b_test", "pass")])
    student = nbformat.v4.new_notebook(cells=[test_cell("a_test", "pass")])
    notes += changes.inspect_changes(student, source, None)

    english = [
        "the notebook ran past its time budget of 60 s at cell 3 (stopped)",
        "the notebook used up its CPU budget of 30 s (stopped)",
        f"the notebook wrote more than {MAX_SCRATCH_BYTES // 1024**2} MB or {MAX_RUNNING_FILES} files into its "
        "folder (stopped)",
        f"the notebook left {MAX_RUNNING_FILES + 1} files ({MAX_SCRATCH_BYTES // 1024**2} MB) in its folder (limits: ",
        "test cell a_test edited (the original was run)",
        "test cell b_test deleted (put back and run)",
    ]
    result = JobResult("ann", "01_term", "01_term", "", lang="ko")
    for note, text in zip(notes, english, strict=True):
        assert isinstance(note, words.Words) and str(note).startswith(text), str(note)
        result.add_review(note)
        korean = result.for_student(str(note))
        assert HANGUL.search(korean) and not re.search(r"\b(?:notebook|cell|stopped|edited|deleted)\b", korean), korean
    assert result.review == [str(n) for n in notes]


def test_checks_first_line_follows_the_notebooks_language(monkeypatch: pytest.MonkeyPatch) -> None:
    """Issue 25: `bpcourse check`'s first line is in the notebook's language, as the report after it, whatever
    BPCOURSE_LANG says; the course's language only for a file that is no notebook."""
    from grader.student.check import header_line

    korean = ROOT / "course-ko" / "01_term" / "01_term.ipynb"
    english = ROOT / "course" / "01_term" / "01_term.ipynb"
    monkeypatch.setenv("BPCOURSE_LANG", "en")
    assert HANGUL.search(header_line(korean)) and "checking" not in header_line(korean), header_line(korean)
    monkeypatch.setenv("BPCOURSE_LANG", "ko")
    assert header_line(english).startswith(f"checking {english} with every test"), header_line(english)
    assert HANGUL.search(header_line(ROOT / "no-such.ipynb")), header_line(ROOT / "no-such.ipynb")


def test_a_probes_contract_error_reaches_a_korean_student_in_korean() -> None:
    """Issue 25: a probe's ContractError, raised in the re-check's child, is sent as its template and fields and
    rendered in the student's language by the parent, English unchanged for the instructor; a template no probe raises
    or a field that is not the course's words is not rendered (the filter's guarantee: no student text shown)."""
    from grader.course.sources import catalogue_of, read_source
    from grader.recheck.contract_words import contract_words
    from grader.sandboxed.probe_kit import ContractError
    from grader.sandboxed.runner import _describe

    notebook = ROOT / "solutions" / "04_usage" / "04b_training.ipynb"
    catalogue = catalogue_of(read_source("04_usage", notebook))
    template = "train returned a {kind}, expected a tuple (params, history)"
    sent = _describe(ContractError(template, kind="list"))
    english = "train returned a list, expected a tuple (params, history)"
    assert sent["message"] == english and sent["template"] == template and sent["fields"] == {"kind": "list"}
    failure = Failure(Why.CONTRACT, "train(X, y, params)", contract_words(sent, catalogue))
    assert str(failure) == f"train(X, y, params): {english}"
    korean = failure.render("ko")
    assert HANGUL.search(korean) and "list" in korean and not re.search(r"returned|expected", korean), korean

    forged = {**sent, "template": "train returned a {kind}, and the answer is {kind}"}  # no probe raises it
    assert contract_words(forged, catalogue) == english  # the English message, through the filter as before
    smuggled = {**sent, "fields": {"kind": "list; the hidden test draws rng(4701)"}}
    smuggled["message"] = template.format(**smuggled["fields"])
    assert contract_words(smuggled, catalogue) == ""  # neither the Korean nor the English carries it


def test_every_probe_sentence_is_translated() -> None:
    """Each template a probe raises ContractError with is in the grader's Korean catalog with the same fields."""
    from grader.recheck.contract_words import probe_templates

    with PO.open("rb") as fh:
        messages = {m.id: m for m in read_po(fh) if m.id}
    assert len(probe_templates()) > 15
    for template in probe_templates():
        message = messages.get(template)
        assert message is not None and message.string and not message.fuzzy and HANGUL.search(message.string), template
        assert sorted(FIELD.findall(message.string)) == sorted(FIELD.findall(template)), template


def test_a_notebook_of_another_assignment_is_said_in_the_students_language(monkeypatch: pytest.MonkeyPatch) -> None:
    """Issue 25: the reason a notebook is not graded at all (it belongs to another assignment) is English in the
    review list and Korean on the Korean student's page."""
    from types import SimpleNamespace

    import nbformat

    from grader.grading import pipeline
    from grader.grading.records import JobResult

    cell = nbformat.v4.new_code_cell("pass")
    cell.metadata["nbgrader"] = {"grade_id": "ff_dense", "solution": True, "grade": False, "locked": False}
    sources = {("01_term", "01_term"): {"term_chain"}, ("02_definition", "02a_feedforward"): {"ff_dense"}}
    monkeypatch.setattr(pipeline, "all_source_ids", lambda workspace: sources)
    result = JobResult("ann", "01_term", "01_term", "", lang="ko")
    g = SimpleNamespace(job=SimpleNamespace(assignment="01_term", notebook="01_term"),
                        context=SimpleNamespace(workspace=None), result=result)
    with pytest.raises(pipeline.Stopped) as stop:
        pipeline.identify(g, nbformat.v4.new_notebook(cells=[cell]))  # type: ignore[arg-type]
    result.add_review(stop.value.reason)
    english = "this is a notebook of 02_definition (02a_feedforward), not of 01_term"
    assert result.review == [english]
    korean = result.for_student(english)
    assert HANGUL.search(korean) and "02a_feedforward" in korean and "notebook of" not in korean, korean


def test_several_files_for_one_notebook_are_said_in_the_students_language(tmp_path: Path) -> None:
    """Issue 25: intake's note on a notebook handed in more than once (which file was graded, which were not and why)
    is English in the review list, the roster and the CSV, as it always was, and Korean on the Korean student's
    page; the roster keeps only English text across runs."""
    from datetime import UTC, datetime

    from grader.grading import intake
    from grader.grading.grade import _with_intake_flags
    from grader.grading.records import JobResult
    from grader.grading.roster import Roster, load_roster, save_roster
    from grader.grading.submissions import Found, Identity, Layout, Submission

    def handed_in(name: str, order: int, late: bool) -> tuple[Submission, Found]:
        sub = Submission("ann", "01_term", tmp_path / name, "01_term", key="canvas:1", origin=name, late=late,
                         order=(not late, order), submitted_at=datetime(2026, 3, order, tzinfo=UTC))
        return sub, Found(tmp_path / name, Identity("canvas:1", "ann", "ann", Layout.CANVAS, "01_term"))

    items = [handed_in("ann_1_01_term.ipynb", 1, False), handed_in("ann_2_01_term.ipynb", 2, False),
             handed_in("ann_LATE_3_01_term.ipynb", 3, True)]
    (kept,), left = intake._one_each(items)
    assert kept.origin == "ann_2_01_term.ipynb" and len(left) == 2
    english = ("3 files for 01_term/01_term: graded 'ann_2_01_term.ipynb' (the latest on-time one; late only when "
               "none is on time); not graded: 'ann_1_01_term.ipynb' (a later file counts); "
               "'ann_LATE_3_01_term.ipynb' (late, and an on-time file counts)")
    assert [str(r) for r in kept.review] == [english]
    result = _with_intake_flags(JobResult("ann", "01_term", "01_term", "", lang="ko", review=["later"]), kept)
    assert result.review == [english, "later"]
    korean = result.for_student(english)
    assert HANGUL.search(korean) and "ann_LATE_3_01_term.ipynb" in korean, korean
    assert not re.search(r"\b(?:files for|graded|late|counts)\b", korean), korean
    roster = Roster()
    roster.assign([kept])  # a later run copies the person's reasons back: English text, as JSON keeps it
    save_roster(tmp_path, roster)
    assert load_roster(tmp_path).people["canvas:1"].review == [english]


def test_an_unreadable_notebook_is_said_in_the_students_language(tmp_path: Path,
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    """Issue 25: why a notebook cannot be read is Korean for a Korean student (the language of the file's metadata
    when it is JSON, else the course's), English in the review list as before."""
    import json
    from types import SimpleNamespace

    from grader.grading import pipeline
    from grader.grading.records import JobResult

    def read(text: str) -> JobResult:
        path = tmp_path / "ann.ipynb"
        path.write_text(text, encoding="utf-8")
        result = JobResult("ann", "01_term", "01_term", "")
        g = SimpleNamespace(job=SimpleNamespace(path=str(path)), result=result)
        with pytest.raises(pipeline.Stopped) as stop:
            pipeline.read(g)  # type: ignore[arg-type]
        result.add_review(stop.value.reason)
        return result

    monkeypatch.delenv("BPCOURSE_LANG", raising=False)
    korean_json = read(json.dumps({"metadata": {"bpcourse": {"lang": "ko"}}, "nbformat": 4}))
    english = "unreadable notebook: the file is JSON but not a Jupyter notebook"
    assert korean_json.review == [english] and korean_json.lang == "ko"
    said = korean_json.for_student(english)
    assert HANGUL.search(said) and "unreadable" not in said and "JSON" in said, said
    empty = read("")
    assert empty.review == ["unreadable notebook: the file is empty"] and empty.for_student(empty.review[0]) == \
        empty.review[0]
    monkeypatch.setenv("BPCOURSE_LANG", "ko")  # a file that is no JSON at all: the course's language
    damaged = read('{"cells": [')
    assert damaged.review == ["unreadable notebook: the file is not valid JSON (damaged or cut off)"]
    assert HANGUL.search(damaged.for_student(damaged.review[0])), damaged.for_student(damaged.review[0])


def test_a_result_not_recorded_or_not_penalised_is_said_in_the_students_language(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Issue 25: grade.py's "its result could not be recorded (...)" and "its late penalty could not be applied
    (...)" are English for the instructor, as before, and Korean for a Korean student."""
    import errno

    from grader.grading import grade
    from grader.grading.records import JobResult

    def full_disk(*args: object) -> None:
        raise OSError(errno.ENOSPC, "No space left on device", str(tmp_path / "secret"))

    monkeypatch.setattr(grade, "record", full_disk)
    monkeypatch.setattr(grade.lateness, "apply_late_penalty", full_disk)
    result = JobResult("ann", "01_term", "01_term", "", lang="ko")
    assert not grade._Recorder(tmp_path).record(result, None)
    grade._late_penalty(tmp_path, result)
    assert result.review == [
        "its result could not be recorded (ENOSPC: No space left on device): it is graded again on the next run",
        "its late penalty could not be applied (ENOSPC: No space left on device)",
    ]
    for english in result.review:
        korean = result.for_student(english)
        assert HANGUL.search(korean) and "ENOSPC" in korean and not re.search(r"could not|graded", korean), korean


def test_the_unicode_replacement_note_is_said_in_the_students_language() -> None:
    """Issue 25: the note that text not valid Unicode was replaced with U+FFFD reaches a Korean student in Korean,
    the instructor's English unchanged (one place, or several)."""
    from grader.grading.pipeline import _graded
    from grader.grading.records import JobResult
    from grader.grading.valid_text import replaced_reason

    result = JobResult("ann", "01_term", "01_term", "", lang="ko", notes=["\ud800"])
    _graded(result, None)
    english = ("text that is not valid Unicode (a lone surrogate, in 1 place) was replaced with U+FFFD: read the "
               "student's cells and written answers in the autograded copy")
    assert result.review == [english]
    korean = result.for_student(english)
    assert HANGUL.search(korean) and "U+FFFD" in korean and not re.search(r"\b(?:replaced|read)\b", korean), korean
    assert str(replaced_reason(3)).startswith("text that is not valid Unicode (a lone surrogate, in 3 places) was")
    assert "3" in replaced_reason(3).render("ko") and HANGUL.search(replaced_reason(3).render("ko"))


def test_a_checks_label_is_said_in_the_students_language() -> None:
    """Issue 25: the label of a check made through a probe (`probe="train_alone"`: the check "train alone") is
    Korean in a Korean student's reason, the English unchanged; every contract's label is translated."""
    from grader.course.words import check_labels
    from grader.recheck.compare import signature
    from grader.recheck.specs import contract_for

    call = signature("train", (), contract_for("04_usage", "04b_training")["train"])
    assert str(call) == 'train\'s check "train alone"'
    korean = Failure(Why.CONTRACT, call, "").render("ko")
    assert HANGUL.search(korean) and "alone" not in korean and "check" not in korean, korean
    with PO.open("rb") as fh:
        messages = {m.id: m for m in read_po(fh) if m.id}
    assert "train alone" in check_labels() and len(check_labels()) > 15
    for label in check_labels():
        message = messages.get(label)
        assert message is not None and message.string and not message.fuzzy and HANGUL.search(message.string), label


def test_why_a_function_was_not_rechecked_is_said_in_the_students_language(monkeypatch: pytest.MonkeyPatch) -> None:
    """Issue 25: the re-check's reasons for not checking a function (no spec, not in the solution, ...) are Words:
    the "not re-checked" note is Korean through and through for a Korean student, English as before for the
    instructor (and in the result's `not_checked`)."""
    import nbformat

    from grader.course.sources import catalogue_of, read_source
    from grader.grading.records import JobResult
    from grader.grading.verdicts import verdict
    from grader.recheck import trusted_check

    source = read_source("04_usage", ROOT / "solutions" / "04_usage" / "04b_training.ipynb")
    monkeypatch.setattr(trusted_check, "contract_for", lambda assignment, notebook: {})
    trusted = trusted_check.TrustedResult()
    trusted_check._plan(source, "ann", trusted)
    assert trusted.not_checked and all(isinstance(why, words.Words) for why in trusted.not_checked.values())
    exercise = next(ex for ex in source.exercises if ex.functions)
    cell = nbformat.v4.new_code_cell("pass")  # the kernel passed it
    cell.metadata["nbgrader"] = {"grade": True, "solution": False, "locked": True, "points": exercise.points,
                                 "grade_id": exercise.grade_id}
    result = JobResult("ann", "04_usage", "04b_training", "", lang="ko")
    verdict(exercise, list(exercise.functions), cell, trusted, catalogue_of(source), {}, result)
    (english,) = result.review
    assert english == (f"{exercise.grade_id}: not re-checked (no trusted input spec "
                       "(contracts/04_usage/04b_training.py)); its points are the kernel's alone"), english
    korean = result.for_student(english)
    assert HANGUL.search(korean) and not re.search(r"\b(?:trusted|spec|points)\b", korean), korean


def test_an_exception_a_probe_names_is_said_in_korean_when_it_is_the_courses_own_template() -> None:
    """Issue 25: 05's "{name} raised {error}: {err}": the `err` the student's code raised is rendered in Korean when
    its text is one of the course's own `_()` templates with every field the course's words; a library's words stay
    as the filter let them through; a student's own text is never shown, in either language."""
    from grader.course.sources import catalogue_of, read_source
    from grader.recheck.contract_words import HelperWords, contract_words
    from grader.sandboxed.probe_kit import ContractError
    from grader.sandboxed.runner import _describe

    catalogue = catalogue_of(read_source("05_comparison", ROOT / "solutions" / "05_comparison" /
                                         "05_comparison.ipynb"))
    template = "{name} raised {error}: {err}"

    def said(err: str) -> str | words.Words:
        return contract_words(_describe(ContractError(template, name="U * V", error="TypeError", err=err)), catalogue)

    ours = said("U * V is a list, expected a numpy array.")
    english = "U * V raised TypeError: U * V is a list, expected a numpy array."
    assert isinstance(ours, words.Words) and isinstance(dict(ours.fields)["err"], HelperWords)
    assert str(ours) == english and Failure(Why.CONTRACT, "Dual", ours).render("en") == f"Dual: {english}"
    korean = ours.render("ko")
    assert HANGUL.search(korean) and "list" in korean and not re.search(r"raised|expected|numpy array", korean), korean
    library = said("operands could not be broadcast together with shapes (3,) (4,)")
    assert "operands could not be broadcast" in words.Words.render(library, "ko")  # type: ignore[arg-type]
    assert said("U * V is a list, expected a numpy array. the hidden test draws rng(4701)") == ""
    assert said("U * V is a smuggled hidden answer, expected a numpy array.") == ""  # a field: not the course's words


def test_the_graders_own_comparison_error_is_said_in_the_students_language(monkeypatch: pytest.MonkeyPatch) -> None:
    """Issue 25: when the grader fails to compare an answer (its own bug), the note "...: it is graded again on the
    next run" is Korean for a Korean student, English as before for the instructor and in `grader_error`."""
    from concurrent.futures import Future
    from types import SimpleNamespace

    from grader.grading import pipeline
    from grader.grading.records import JobResult
    from grader.recheck import trusted_check
    from grader.recheck.specs import contract_for

    def broken(*args: object) -> None:
        raise TypeError("len() of unsized object")

    monkeypatch.setattr(trusted_check, "_judge", broken)
    trusted = trusted_check.TrustedResult()
    want = trusted_check._Expected(([2.0, 3.0],), [1.0, 3.0, 6.0])
    spec = contract_for("01_term", "01_term")["propagate_back"]
    trusted_check._judge_safely("propagate_back", spec, want, {}, None, trusted)  # type: ignore[arg-type]
    pending: Future[trusted_check.TrustedResult] = Future()
    pending.set_result(trusted)
    result = JobResult("ann", "01_term", "01_term", "", lang="ko")
    pipeline.recheck(SimpleNamespace(result=result), pending)  # type: ignore[arg-type]
    english = ("propagate_back([2 values]): the grader could not compare its result (TypeError): it is graded again "
               "on the next run")
    assert result.review == [english] and result.grader_error == english.removesuffix(
        ": it is graded again on the next run")
    korean = result.for_student(english)
    assert HANGUL.search(korean) and not re.search(r"grader|graded|compare", korean), korean


def test_an_odd_submitted_name_is_said_in_the_students_language() -> None:
    """Issue 25: intake's note on a submitted name that cannot be an id as it is (a path separator, control
    characters, ...) is English in the review list and the roster as before, Korean on the Korean student's page;
    the name itself as names.shown renders it, in both."""
    from grader.grading.grade import _with_intake_flags
    from grader.grading.records import JobResult
    from grader.grading.submissions import Identity, Layout, make_submission

    who = Identity("flat:ann/lee", "ann/lee\x07", "ann/lee\x07", Layout.FLAT, "01_term")
    sub = make_submission(who, "01_term", Path("ann.ipynb"), "01_term")
    (note,) = sub.review
    english = str(note)
    assert english.startswith("the submitted name 'ann/lee\\x07' holds control characters and a path separator: "
                              "graded as "), english
    assert english.endswith("; check who this is"), english
    result = _with_intake_flags(JobResult(sub.student, "01_term", "01_term", "", lang="ko"), sub)
    assert result.review == [english]
    korean = result.for_student(english)
    assert HANGUL.search(korean) and "ann/lee\\x07" in korean, korean
    assert not re.search(r"\b(?:holds|graded|check|control|separator)\b", korean), korean


def _class_of(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, lang: str) -> Path:
    """A workspace of a class released in `lang` (recorded as `bpcourse grade --lang` records it), whose notebook
    01_term has one graded exercise and one written answer (no nbgrader: its sources are stand-ins)."""
    from types import SimpleNamespace

    from grader.grading import grade, journal, workspace

    monkeypatch.delenv("BPCOURSE_LANG", raising=False)
    workspace.state_dir(tmp_path).mkdir(parents=True, exist_ok=True)
    assert workspace.record_edition(tmp_path, lang) == lang == workspace.edition_lang(tmp_path)
    source = SimpleNamespace(name="01_term", exercises=[SimpleNamespace(grade_id="ex1", points=2.0)],
                             manual={"written1": 1.0})
    monkeypatch.setattr(journal, "sources_of", lambda ws, assignment: {"01_term": source})
    monkeypatch.setattr(grade, "sources_of", lambda ws, assignment: {"01_term": source})
    return tmp_path


def _said_in_korean(result, english: str, kept: str = "") -> None:
    """`english` is the result's review note as the instructor reads it, and the student reads it in Korean (as the
    note and as every exercise's cause), with `kept` (a name or an error's words) in it."""
    assert result.lang == "ko" and result.review[0] == english, (result.review, english)
    for korean in [result.for_student(english)] + [ex.cause for ex in result.exercises]:
        assert HANGUL.search(korean) and kept in korean, korean
        assert not re.search(r"\b(?:not|graded|refused|could|grader|notebook|link|over)\b", korean), korean


def test_why_a_submission_cannot_be_graded_is_said_in_the_class_edition(tmp_path: Path,
                                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    """Issue 25: a submission that cannot be graded at all (a hard link, an oversized notebook, no known assignment,
    a notebook over a structure bound, a refused zip entry) is never read, so its reason is said in the language the
    class was released in (`.bpcourse/edition`), as every exercise's cause and as the note; English for the
    instructor exactly as before, and for a class released in English."""
    import zipfile

    from grader.course.notebooks import Structure
    from grader.course.words import english
    from grader.grading import grade, intake, safe_files, zips
    from grader.grading.journal import problem_result
    from grader.grading.records import Settings
    from grader.grading.submissions import Submission

    workspace = _class_of(tmp_path, monkeypatch, "ko")
    oversized = Submission("ann", "01_term", tmp_path / "ann.ipynb", "01_term", size=3 * 1024**2)
    intake.flag_oversized([oversized], 2 * 1024**2)
    settings = Settings(max_cells=10)
    cases = [
        (safe_files.HARD_LINK, "a hard link (one of several names of one file), not a notebook: refused, never read "
                               "(copy the file)", ""),
        (oversized.problem, "the notebook is 3.0 MB, over the 2 MB limit: not run (check it by hand, or raise "
                            "max_notebook_bytes)", "3.0 MB"),
        (grade.structure_problem(Structure(11, 0, 0), settings),
         "the notebook has more than 10 cells (Settings.max_cells): not run (check it by hand, or raise the bound)",
         "Settings.max_cells"),
        (intake.LINKED_FOLDER, "a link, not a folder of notebooks: refused, never read (copy the folder itself)", ""),
        (zips._entry_refusal(zipfile.ZipInfo("../x.ipynb"), "../x.ipynb"),
         "zip entry '../x.ipynb' points outside the export (absolute path or '..'): refused", "'../x.ipynb'"),
    ]
    for problem, text, kept in cases:
        assert problem == text  # the English text, as intake's report, the CSV and the tests compare it
        sub = Submission("ann", "01_term", tmp_path / "ann.ipynb", "01_term", problem=problem)
        _said_in_korean(problem_result(sub, workspace, ""), text, kept)
    nowhere = Submission("bo", None, tmp_path / "bo.ipynb", None, problem=english(
        "'{origin}' belongs to no known assignment (unreadable?): give --assignment to grade it as one",
        origin="bo.ipynb"))
    unknown = problem_result(nowhere, workspace, "")
    english = ("bo.ipynb: 'bo.ipynb' belongs to no known assignment (unreadable?): give --assignment to grade it as "
               "one")
    assert unknown.assignment == "?" and unknown.review == [english] and unknown.lang == "ko"
    assert HANGUL.search(unknown.for_student(english)), unknown.for_student(english)

    english_class = _class_of(tmp_path / "en", monkeypatch, "en")
    sub = Submission("ann", "01_term", tmp_path / "ann.ipynb", "01_term", problem=safe_files.HARD_LINK)
    result = problem_result(sub, english_class, "")
    assert result.lang == "en" and result.review == [str(safe_files.HARD_LINK)] and not result.said
    assert {ex.cause for ex in result.exercises} == {str(safe_files.HARD_LINK)}


def test_the_graders_own_failures_are_said_in_the_class_edition(tmp_path: Path,
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    """Issue 25: a result the grader could not make (its result unreadable, an environment that cannot grade the
    notebook, the grader failing on it, a run interrupted before it) is said in the class's edition: English in the
    review list exactly as before, Korean as the note and every cause on a Korean class's feedback page; the error's
    words (failure_words, printable) kept as they were."""
    import errno
    from types import SimpleNamespace

    from grader.grading import grade
    from grader.grading.records import GradingJob
    from grader.grading.submissions import Submission

    workspace = _class_of(tmp_path, monkeypatch, "ko")
    monkeypatch.setattr(grade, "record", lambda *args: None)
    sub = Submission("ann", "01_term", tmp_path / "ann.ipynb", "01_term")
    job = GradingJob("ann", "01_term", "01_term", str(sub.path), "f")
    recorder = grade._Recorder(workspace)

    class Unreadable:
        @property
        def result(self):
            raise OSError(errno.ENOSPC, "No space left on device", str(tmp_path / "secret"))

    results: list = []
    grade._finisher(recorder, [(sub, job)], results, SimpleNamespace(update=lambda n: None), {})(job, Unreadable(),
                                                                                              None)
    _said_in_korean(results[0], "its result could not be read (ENOSPC: No space left on device): it is graded again "
                                "on the next run", "ENOSPC: No space left on device")
    assert "secret" not in str(results[0].review)

    failed = grade._grader_failed(sub, workspace, job, "TimeoutError")
    _said_in_korean(failed, "the grader failed on this notebook (TimeoutError): it is graded again on the next run",
                    "TimeoutError")

    monkeypatch.setattr(grade, "solution_failures", lambda source: ["ImportError: No module named 'torch'"])
    monkeypatch.setattr(grade, "unfit_checks", lambda source: {})
    plan = grade._Plan(recorder)
    plan.todo = [(sub, job)]
    grade._hold_back(plan, workspace)
    assert not plan.todo and len(plan.results) == 1
    _said_in_korean(plan.results[0], "grader environment: 01_term cannot be graded here (ImportError: No module "
                    "named 'torch'); install what it needs on the grading machine (for 04f: pip install -c "
                    "constraints.txt -e '.[frameworks]') and grade again", "ImportError: No module named 'torch'")

    def disk_full(*args: object) -> None:
        raise OSError(errno.ENOSPC, "No space left on device", str(tmp_path / "secret"))

    monkeypatch.setattr(grade, "_plan_one", disk_full)
    (unprepared,) = grade._plan([sub], workspace, grade.Settings(), recorder).results
    _said_in_korean(unprepared, "it could not be prepared for grading (ENOSPC: No space left on device): grade it "
                                "again", "ENOSPC")

    (interrupted,) = grade._not_graded([(sub, job)], grade._Recorder(workspace), workspace)
    _said_in_korean(interrupted, "not graded: the run was interrupted before this notebook was graded; grade again")
    assert interrupted.grader_error == grade.INTERRUPTED


def test_the_class_edition_is_recorded_once_in_the_workspace(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Issue 25: the workspace keeps the language the class was released in (`bpcourse grade --lang`, else the
    course's BPCOURSE_LANG the first time): a later run without either keeps it; an unknown value reads as the
    course's language."""
    from grader.grading import workspace

    workspace.state_dir(tmp_path).mkdir()
    monkeypatch.setenv("BPCOURSE_LANG", "ko")
    assert workspace.edition_lang(tmp_path) == "ko"  # nothing recorded yet: the course's
    assert workspace.record_edition(tmp_path) == "ko"
    monkeypatch.delenv("BPCOURSE_LANG")
    assert workspace.record_edition(tmp_path) == "ko" == workspace.edition_lang(tmp_path)  # recorded once, kept
    assert workspace.record_edition(tmp_path, "en") == "en" == workspace.edition_lang(tmp_path)
    with pytest.raises(workspace.CourseError):
        workspace.record_edition(tmp_path, "fr")
    (workspace.state_dir(tmp_path) / workspace.EDITION_FILE).write_text("fr\n")
    assert workspace.edition_lang(tmp_path) == "en"


def test_why_the_runner_gave_up_on_a_notebook_is_said_in_the_class_edition(tmp_path: Path,
                                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    """Issue 25: the runner's own reason inside "the grader failed on this notebook (...)" (a deadline passed, the
    grading process died, how many times) is Korean for a Korean class; `grader_error` and the review note English
    exactly as before; a worker's error text is kept as it is."""
    from collections import deque

    from grader.grading import grade, job_runner
    from grader.grading.records import GradingJob
    from grader.grading.submissions import Submission

    workspace = _class_of(tmp_path, monkeypatch, "ko")
    sub = Submission("ann", "01_term", tmp_path / "ann.ipynb", "01_term")
    job = GradingJob("ann", "01_term", "01_term", str(sub.path), "f")
    errors: list = []
    why = job_runner.english("its grading did not finish within {seconds} s and was stopped", seconds="8")
    job_runner._retry(job, why, deque(), {id(job): 1}, 2, lambda job, graded, error: errors.append(error))
    (error,) = errors
    assert error == "its grading did not finish within 8 s and was stopped (2 times)"
    failed = grade._grader_failed(sub, workspace, job, error)
    assert failed.grader_error == error
    english = f"the grader failed on this notebook ({error}): it is graded again on the next run"
    _said_in_korean(failed, english, "8")
    assert not re.search(r"did not|finish|stopped|times", failed.for_student(english)), failed.for_student(english)

    raised = grade._grader_failed(sub, workspace, job, "TypeError: len() of unsized object")
    assert "TypeError: len() of unsized object" in raised.for_student(raised.review[0])


def test_a_field_may_be_called_message_or_lang() -> None:
    """`say`'s own parameters are positional-only: a phrase whose field is called `message` (the re-check's "the spec
    does not fit the solution ({error}: {message})") or `lang` renders instead of raising TypeError (CI caught it in
    `bpcourse grade`'s environment check)."""
    from grader.course.words import phrase

    words = phrase("the spec does not fit the solution ({error}: {message})", error="ValueError", message="bad shape")
    assert str(words) == "the spec does not fit the solution (ValueError: bad shape)"
    assert "bad shape" in words.render("ko")
    assert phrase("{lang} {message}", lang="a", message="b").render("en") == "a b"
