"""Model answers to the "Questions to think about": kept in `solutions/`, removed from every student version.

nbgrader hides text only in graded cells (a written answer's BEGIN/END SOLUTION region), and the questions at the
end of a notebook are not graded. So a Markdown cell holds their model answers between a line containing
`BEGIN MODEL ANSWERS` and one containing `END MODEL ANSWERS`, and `ClearModelAnswers`, an nbgrader preprocessor
that runs right after nbgrader's own ClearSolutions, drops that region (markers included) whenever nbgrader
generates the student version. Both ways of generating it use it: `bpcourse release` and `bpcourse grade` through
`use_in(config)`, and plain `nbgrader generate_assignment` in a grading workspace through its nbgrader_config.py
(grader/grading/workspace.py writes `c.GenerateAssignment.preprocessors = generate_preprocessors()` there).
"""

from __future__ import annotations

from nbgrader.converters import GenerateAssignment
from nbgrader.preprocessors import ClearSolutions, NbGraderPreprocessor

BEGIN = "BEGIN MODEL ANSWERS"
END = "END MODEL ANSWERS"

def strip_model_answers(source: str) -> tuple[str, bool]:
    """`source` without its model-answer regions; and whether there was one. Raises ValueError on an open region."""
    kept, inside, found = [], False, False
    for line in source.split("\n"):
        if BEGIN in line:
            if inside:
                raise ValueError(f"nested {BEGIN!r}: close the first region with {END!r}")
            inside, found = True, True
        elif END in line:
            inside = False
        elif not inside:
            kept.append(line)
    if inside:
        raise ValueError(f"{BEGIN!r} without {END!r}")
    return "\n".join(kept).rstrip("\n"), found


def model_answer_lines(source: str) -> list[str]:
    """The lines inside the model-answer regions of `source` (what must never reach a student)."""
    lines, inside = [], False
    for line in source.split("\n"):
        if BEGIN in line:
            inside = True
        elif END in line:
            inside = False
        elif inside:
            lines.append(line)
    return lines


class ClearModelAnswers(NbGraderPreprocessor):
    """Remove the model answers (BEGIN/END MODEL ANSWERS regions) from every Markdown cell."""

    def preprocess_cell(self, cell, resources, cell_index):
        if cell.cell_type == "markdown":
            try:
                cell.source, _ = strip_model_answers(cell.source)
            except ValueError as err:
                self.log.error("cell %d: %s", cell_index, err)
                raise RuntimeError(f"cell {cell_index}: {err}") from None
        return cell, resources


def generate_preprocessors() -> list:
    """nbgrader's GenerateAssignment preprocessors, with ClearModelAnswers right after ClearSolutions."""

    default = list(GenerateAssignment.class_traits()["preprocessors"].make_dynamic_default())
    at = default.index(ClearSolutions) + 1
    return [*default[:at], ClearModelAnswers, *default[at:]]


def use_in(config) -> None:
    """Make GenerateAssignment run with `config` strip the model answers."""
    config.GenerateAssignment.preprocessors = generate_preprocessors()
