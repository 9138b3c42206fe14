"""Adversarial-risk reductions for linear predictors (exact inner max, Hoelder equality).

For a linear model the inner maximum over ``||delta||_p <= eps`` of ``(r + delta^T theta)**2`` is
``(|r| + eps * ||theta||_q)**2``, so every (penalty, radius) pair needs only per-penalty moments.
"""

from __future__ import annotations

from numba import njit, prange

from ..config import FASTMATH


@njit(parallel=True, cache=True, fastmath=FASTMATH)
def residual_moments(P, y, acc_abs, acc_sq):
    """Fold a slab of predictions ``P`` (L, m) against targets ``y`` (m,):
    ``acc_abs[l] += sum_j |P[l, j] - y[j]|`` and ``acc_sq[l] += sum_j (P[l, j] - y[j])**2``."""
    L, m = P.shape
    for l in prange(L):
        a = 0.0
        b = 0.0
        row = P[l]
        for j in range(m):
            r = abs(row[j] - y[j])
            a += r
            b += r * r
        acc_abs[l] += a
        acc_sq[l] += b


@njit(parallel=True, cache=True, fastmath=FASTMATH)
def adversarial_closed_form(m2, m1, b, eps, out):
    """``out[l, e] = m2[l] + 2 eps[e] b[l] m1[l] + eps[e]**2 b[l]**2``.

    With ``m2 = E r**2`` and ``m1 = E |r|`` this is ``E (|r| + eps * b)**2``: the exact adversarial
    risk on a sample (m1, m2 empirical means) or, for Gaussian residuals with ``E r**2 = a**2``, the
    closed form ``a**2 + 2 sqrt(2/pi) eps a b + eps**2 b**2`` (``m1 = sqrt(2/pi) a``).
    m2, m1, b: (L,); eps: (E,); out: (L, E).
    """
    L = m2.shape[0]
    E = eps.shape[0]
    for l in prange(L):
        for e in range(E):
            eb = eps[e] * b[l]
            out[l, e] = m2[l] + 2.0 * eb * m1[l] + eb * eb


@njit(parallel=True, cache=True, fastmath=FASTMATH)
def adversarial_closed_form_targets(m2, m1, b, eps, out):
    """The multi-target :func:`adversarial_closed_form`:
    ``out[l, e, t] = m2[l, t] + 2 eps[e] b[l, t] m1[l, t] + eps[e]**2 b[l, t]**2``.

    m2, m1, b: (L, k); eps: (E,); out: (L, E, k) float64, written in place (no transposed copy).
    """
    L, k = m2.shape
    E = eps.shape[0]
    for l in prange(L):
        for e in range(E):
            ep = eps[e]
            for t in range(k):
                eb = ep * b[l, t]
                out[l, e, t] = m2[l, t] + 2.0 * eb * m1[l, t] + eb * eb
