"""The re-check contract of solutions/04_usage/04g_layers.ipynb:
which inputs each graded name is called on and how its result is compared.

Loaded by grader/recheck/specs.py (`contract_for`); keys are the graded names of this notebook's test cells
("name", or "name:grade_id" for a class tested by several cells). See grader/recheck/specs.py for `Spec`.
"""

from grader.recheck import cases  # noqa: F401 - the input generators shared by the course
from grader.recheck.cases import Invalid  # noqa: F401
from grader.recheck.specs import Spec
from grader.sandboxed.values import TestFunction  # noqa: F401

SPECS: dict[str, Spec] = {
    "batchnorm_forward": Spec(cases.batchnorm_forward_cases, probe="batchnorm_train_then_test"),
    "batchnorm_backward": Spec(cases.batchnorm_backward_cases),
    "batchnorm_backward_alt": Spec(cases.batchnorm_backward_cases),
    "dropout_forward": Spec(cases.dropout_forward_cases),
    "dropout_backward": Spec(cases.dropout_backward_cases),
    "sgd_momentum": Spec(cases.momentum_cases),
    "rmsprop": Spec(cases.rmsprop_cases),
    "adam": Spec(cases.adam_cases),
    "rnn_step_forward": Spec(cases.rnn_step_forward_cases),
    "rnn_step_backward": Spec(cases.rnn_step_backward_cases),
    "rnn_forward": Spec(cases.rnn_forward_cases),
    "rnn_backward": Spec(cases.rnn_backward_cases),
    "clip_grad_norm": Spec(cases.clip_cases),
    "conv2d_forward": Spec(cases.conv_forward_cases),
    "conv2d_backward": Spec(cases.conv_backward_cases),
    "maxpool_forward": Spec(cases.maxpool_forward_cases),
    "maxpool_backward": Spec(cases.maxpool_backward_cases),
}
