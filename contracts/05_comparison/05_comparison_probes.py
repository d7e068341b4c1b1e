"""Probes of 05_comparison's re-check contract (05_comparison.py). What a probe is, what it may use (`ContractError`,
`is_unchanged`, numpy and the frameworks imported inside) and how this file is run on both sides: see
grader/sandboxed/probe_kit.py.
"""

from __future__ import annotations


def _dual_parts(Dual, result, what: str):
    import numpy as np

    if not isinstance(result, Dual):
        raise ContractError("{what} gives a {kind}, expected a Dual", what=what, kind=type(result).__name__)
    return [np.asarray(result.val, dtype=np.float64), np.asarray(result.der, dtype=np.float64)]


def _dual_table(Dual, operations) -> dict:
    """{name: [val, der]} for each (name, thunk); an operation that raises is named."""
    table = {}
    for name, thunk in operations:
        try:
            result = thunk()
        except Exception as err:  # noqa: BLE001 - the student's class may raise anything
            raise ContractError("{name} raised {error}: {err}", name=name, error=type(err).__name__, err=err) from None
        table[name] = _dual_parts(Dual, result, name)
    return table


def dual_arithmetic(Dual, u, du, v, dv, W, dW):
    """Every arithmetic rule of the Dual class on seeded arrays (u, v > 0.5) and one (2, 3) matrix."""
    import numpy as np

    U, V, M = Dual(u, du), Dual(v, dv), Dual(W, dW)
    return _dual_table(
        Dual,
        [
            ("U + V", lambda: U + V),
            ("U - V", lambda: U - V),
            ("-U", lambda: -U),
            ("U * V", lambda: U * V),
            ("U / V", lambda: U / V),
            ("2.5 + U", lambda: 2.5 + U),
            ("U + 2.5", lambda: U + 2.5),
            ("3.0 - U", lambda: 3.0 - U),
            ("U - 3.0", lambda: U - 3.0),
            ("2.5 * U", lambda: 2.5 * U),
            ("U * array", lambda: U * v),
            ("array * U", lambda: v * U),
            ("2.0 / U", lambda: 2.0 / U),
            ("U / 4.0", lambda: U / 4.0),
            ("U ** 3", lambda: U**3),
            ("U ** 0.5", lambda: U**0.5),
            ("U ** -1", lambda: U**-1),
            ("2 M * M - 1", lambda: M * M * 2.0 - 1.0),
            ("(U V + 1) / (U - V / 4)", lambda: (U * V + 1.0) / (U - V * 0.25)),
            # the given array helpers too (a student may edit them): reductions' values and derivatives, matrix
            # products with a plain 2-D array on either side, indexing and reshaping (issue 26)
            ("M.sum()", lambda: M.sum()),
            ("M.mean()", lambda: M.mean()),
            ("U.sum()", lambda: U.sum()),
            ("M @ A", lambda: M @ np.outer(np.arange(1.0, 4.0), [0.5, -1.0])),
            ("A @ M", lambda: np.outer([1.0, -2.0, 0.5, 3.0], [2.0, 1.0]) @ M),
            ("M @ M.reshape(3, 2)", lambda: M @ M.reshape(3, 2)),
            ("M[1]", lambda: M[1]),
        ],
    )


def dual_functions(Dual, u, du):
    """exp, log, sin and tanh of a Dual (as methods and through numpy), and one composition (u > 0.3)."""
    import numpy as np

    U = Dual(u, du)
    return _dual_table(
        Dual,
        [
            ("U.exp()", lambda: U.exp()),
            ("U.log()", lambda: U.log()),
            ("U.sin()", lambda: U.sin()),
            ("U.tanh()", lambda: U.tanh()),
            ("np.tanh(U)", lambda: np.tanh(U)),
            ("np.exp(U)", lambda: np.exp(U)),
            ("log(1 + U^2) sin(U) + exp(-U) / U", lambda: np.log(1.0 + U**2) * np.sin(U) + np.exp(-U) / U),
        ],
    )
