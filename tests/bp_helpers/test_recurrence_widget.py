"""Does the recurrent-gradient explorer of 04g_layers draw what section 4 teaches: ||dL/dh_0|| growing or shrinking
as s^T with the spectral norm s of W_h, and vanishing once tanh saturates?"""

from __future__ import annotations

import numpy as np
import pytest

from bp_helpers.widgets.recurrence import recurrent_gradient_explorer
from grader.course.reference import load_solution_functions


@pytest.fixture(scope="module")
def hidden_gradient_norms():
    """The notebook's measurement, running the solution's rnn_forward and rnn_backward."""
    return load_solution_functions("04_usage/04g_layers.ipynb")["hidden_gradient_norms"]


def _move(explorer, name: str, value) -> dict:
    before, renders = explorer.image.value, explorer.renders
    explorer.controls[name].value = value
    assert explorer.error is None, f"moving {name} to {value!r} failed: {explorer.error!r}"
    assert explorer.renders > renders and explorer.image.value != before, f"moving {name} drew nothing new"
    return explorer.frame.numbers


def test_every_control_redraws(hidden_gradient_norms) -> None:
    """Does moving each of the four sliders draw a new figure?"""
    e = recurrent_gradient_explorer(hidden_gradient_norms)
    assert e.error is None and e.frame is not None
    assert _move(e, "steps", 20)["norms"].shape == (20,)
    _move(e, "scale", 0.8)
    _move(e, "input_scale", 1.0)
    assert _move(e, "max_norm", 1.0)["clipped at T"] <= 1.0


def test_the_gradient_follows_the_spectral_norm_in_the_linear_range(hidden_gradient_norms) -> None:
    """With small inputs, is the factor per step s (vanishing below 1, exploding above), and does saturation make
    it vanish even for s > 1?"""
    view = recurrent_gradient_explorer(hidden_gradient_norms).view
    for scale in (0.7, 1.3):
        numbers = view.render(steps=25, scale=scale, input_scale=1e-6, max_norm=10.0).numbers
        assert numbers["factor per step"] == pytest.approx(scale, rel=1e-3)
    saturated = view.render(steps=25, scale=1.3, input_scale=10.0, max_norm=10.0).numbers
    assert saturated["factor per step"] < 1.0
    assert np.all(np.isfinite(saturated["norms"]))


def test_it_needs_the_measurement_function() -> None:
    """Does the explorer say what to pass when it is called without the notebook's function?"""
    with pytest.raises(ValueError, match="hidden_gradient_norms"):
        recurrent_gradient_explorer(None)


def test_bpcourse_explore_builds_it() -> None:
    """Does `bpcourse explore`'s notebook bring it up, drawn with the solution's functions?"""
    from grader.student.explore import EXPLORERS, build

    assert "recurrent gradients" in EXPLORERS
    explorer = build("recurrent gradients")
    assert explorer.error is None and explorer.frame is not None
