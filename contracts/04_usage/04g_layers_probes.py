"""Probes of 04g_layers's re-check contract (04g_layers.py). What a probe is, what it may use (`ContractError`,
`is_unchanged`, numpy and the frameworks imported inside) and how this file is run on both sides: see
grader/sandboxed/probe_kit.py.
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


def step_then_default_twice(optimizer, w, dw, config):
    """optimizer(w, dw, config), compared as a plain call's result, then two steps from the same w, dw with the default
    config: equal unless state is kept between calls outside the config (a shared default dict, a global)."""
    import numpy as np

    step = optimizer(w, dw, config)
    first, second = optimizer(w.copy(), dw.copy())[0], optimizer(w.copy(), dw.copy())[0]
    if not np.allclose(first, second, rtol=1e-12, atol=0.0):
        raise ContractError(
            "{optimizer}(w, dw) called twice with the default config gave two different steps: state is kept between "
            "calls outside the config (a shared default dict, a global?)", optimizer=optimizer.__name__
        )
    return {"step": step, "default step": first}
