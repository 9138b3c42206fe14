"""High-dimensional linearisation of the NTK Gram (El Karoui 2010; Liang & Rakhlin 2020; docs/math.md 10).

Write ``K(x, x') = |x||x'| g(u)``, ``g(u) = g_0 + g_1 u + g_2 u^2 + ...``. When the effective rank
``(tr Sigma)^2 / tr(Sigma^2)`` is large, ``|x_i|^2 ~ tau = tr Sigma`` and off-diagonal u -> 0, so::

    K ~ g_1 (X X^T + lam_imp I) + (g_0 tau + g_2 tr(Sigma^2) / tau) 1 1^T,
    lam_imp = tau (g(1) - g_0 - g_1) / g_1      (unnormalised implicit ridge)

first layer: lam_imp = tr Sigma; second: (1 - 2/pi) tr Sigma; both: (1 - 1/pi) tr Sigma. Kernel ridge
with penalty lam then behaves like linear ridge with ``lam_imp + lam / g_1`` (plus an intercept).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from .._validation import as_float_array
from ._common import check_inputs, check_train

__all__ = ["linearization_coefficients", "implicit_ridge", "linearized_gram"]

ArrayLike = Any

_COEF = {
    0: (0.0, 0.25, 1.0 / (2 * math.pi), 0.5),
    1: (1.0 / (2 * math.pi), 0.25, 1.0 / (4 * math.pi), 0.5),
    2: (1.0 / (2 * math.pi), 0.5, 3.0 / (4 * math.pi), 1.0),
}


def linearization_coefficients(train: str = "first") -> dict[str, float]:
    """Taylor coefficients ``g0, g1, g2`` of ``g(u)`` at 0 and ``g_one = g(1)``.

    Parameters
    ----------
    train : {"first", "second", "both"}, default "first"
        Which layers are trained (the kernel's ``g``).

    Returns
    -------
    dict
        ``g0``, ``g1``, ``g2`` and ``g_one`` (docs/math.md section 10).

    Examples
    --------
    >>> from fastrisk import ntk
    >>> {k: round(v, 4) for k, v in ntk.linearization_coefficients("first").items()}
    {'g0': 0.0, 'g1': 0.25, 'g2': 0.1592, 'g_one': 0.5}
"""
    g0, g1, g2, gone = _COEF[check_train(train)]
    return {"g0": g0, "g1": g1, "g2": g2, "g_one": gone}


def _check_trace(v, name):
    v = float(as_float_array(v, name, dtype=np.float64))
    if v <= 0:
        raise ValueError(f"{name} must be > 0, got {v!r}")
    return v


def implicit_ridge(train: str = "first", trace: float = 1.0, lam: ArrayLike = 0.0) -> np.ndarray:
    """Unnormalised linear-ridge penalty equivalent to NTK ridge ``lam``: ``lam_imp + lam / g_1``.

    Parameters
    ----------
    train : {"first", "second", "both"}, default "first"
        Which layers are trained.
    trace : float, default 1.0
        ``tr Sigma``, the mean squared input norm.
    lam : float or array_like (L,), default 0.0
        NTK penalties (unnormalised).

    Returns
    -------
    numpy.ndarray
        ``lam_imp + lam / g_1`` (the shape of ``lam``): linear ridge at this penalty behaves like NTK
        ridge at ``lam`` (docs/math.md section 10).

    Examples
    --------
    >>> from fastrisk import ntk
    >>> ntk.implicit_ridge("first", trace=100.0, lam=[0.0, 4.0]).round(3)
    array([100., 116.])
    """
    g0, g1, _, gone = _COEF[check_train(train)]
    tau = _check_trace(trace, "trace")
    lam = np.asarray(as_float_array(lam, "lam", dtype=np.float64))
    return tau * (gone - g0 - g1) / g1 + lam / g1


def linearized_gram(X: ArrayLike, train: str = "first", trace: float | None = None,
                    trace_sq: float | None = None) -> np.ndarray:
    """The linearised Gram ``g_1 (X X^T + lam_imp I) + (g_0 tau + g_2 tr(Sigma^2)/tau) 1 1^T``, (n, n).

    Parameters
    ----------
    X : array_like (n, d)
        Inputs.
    train : {"first", "second", "both"}, default "first"
        Which layers are trained.
    trace : float, optional
        ``tr Sigma``; default ``mean_i |x_i|^2``.
    trace_sq : float, optional
        ``tr Sigma^2``; default the unbiased estimate ``mean_{i != j} (x_i^T x_j)^2`` (for centred x).

    Returns
    -------
    numpy.ndarray (n, n)
        The linearised Gram, close to :func:`ntk_gram` in high dimension.

    Examples
    --------
    >>> import numpy as np
    >>> from fastrisk import ntk
    >>> X = np.random.default_rng(0).standard_normal((50, 2000)) / np.sqrt(2000)   # tr Sigma = 1
    >>> K, L = ntk.ntk_gram(X), ntk.linearized_gram(X)
    >>> bool(np.linalg.norm(K - L) < 0.05 * np.linalg.norm(K))
    True
    """
    g0, g1, g2, gone = _COEF[check_train(train)]
    X = np.asarray(check_inputs(X, "X"), dtype=np.float64)
    n = X.shape[0]
    G = X @ X.T
    diag = np.diag(G).copy()
    tau = float(diag.mean()) if trace is None else _check_trace(trace, "trace")
    if not tau > 0:
        raise ValueError("X is all zero, so the default trace (mean |x_i|^2) is 0; the linearised Gram "
                         "divides by it: pass trace= (tr Sigma > 0) or a non-zero X")
    if trace_sq is None:
        if n < 2:
            raise ValueError("trace_sq cannot be estimated from one row; pass it")
        ts = (float(np.sum(G**2)) - float(np.sum(diag**2))) / (n * (n - 1))
    else:
        ts = _check_trace(trace_sq, "trace_sq")
    lam_imp = tau * (gone - g0 - g1) / g1
    G *= g1
    G[np.diag_indices(n)] += g1 * lam_imp
    G += g0 * tau + g2 * ts / tau
    return G
