"""Probes of 04g_layers's re-check contract (04g_layers.py): grader-written code that exercises a graded
class or framework object the way the hidden test does and returns plain data to compare.

Run on both sides from this one text (grader/sandboxed/probe_kit.py `probe_namespace`): in the grader's process on
the solution's object (the expected value) and in the sandbox child on the student's. So it imports nothing from
grader/ (the child cannot) and imports numpy, torch and keras inside the probes. A probe raises `ContractError`
(matched by name) when the object breaks its contract in a way that has no value to compare; the grade names its
message.
"""

from __future__ import annotations


def batchnorm_train_then_test(batchnorm_forward, x, gamma, beta, bn_param: dict, x_test):
    """A train step, then test mode on another batch with the running averages the train step stored in bn_param
    (updated in place, so a plain call's result cannot show them): every output, cache and running average."""
    out, cache = batchnorm_forward(x, gamma, beta, bn_param)
    running = {"running_mean": bn_param.get("running_mean"), "running_var": bn_param.get("running_var")}
    test_param = dict(bn_param, mode="test")
    test_out, test_cache = batchnorm_forward(x_test, gamma, beta, test_param)
    return {"out": out, "cache": cache, **running, "test_out": test_out, "test_cache": test_cache}
