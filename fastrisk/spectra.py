"""Covariance eigenvalue presets (diagonal Sigma), each a 1-D float64 array sorted non-increasingly.

Index convention: eigenvalue ``k`` runs over ``k = 1, ..., p`` as in Bartlett, Long, Lugosi and Tsigler
(2020). Infinite spectra are truncated at ``p``; :func:`tail_mass` reports what the truncation drops.
"""

from __future__ import annotations

import math
from numbers import Real

import numpy as np

from ._validation import check_positive_int

__all__ = ["isotropic", "power_law", "bllt_log", "two_level", "spiked", "tail_mass"]


def _real(v, name: str, what: str) -> float:
    if isinstance(v, (bool, np.bool_)) or not isinstance(v, Real):
        raise TypeError(f"{name} must be a real number {what}, got {v!r}")
    return float(v)


def _positive(v, name: str) -> float:
    v = _real(v, name, "> 0")
    if not np.isfinite(v) or v <= 0:
        raise ValueError(f"{name} must be a finite number > 0, got {v!r}")
    return v


def _nonneg(v, name: str) -> float:
    v = _real(v, name, ">= 0")
    if not np.isfinite(v) or v < 0:
        raise ValueError(f"{name} must be a finite number >= 0, got {v!r}")
    return v


def isotropic(p: int, scale: float = 1.0) -> np.ndarray:
    """``lambda_k = scale`` for all k: Sigma = scale * I_p."""
    p = check_positive_int(p, "p")
    return np.full(p, _positive(scale, "scale"))


def power_law(p: int, a: float = 1.0, scale: float = 1.0) -> np.ndarray:
    """``lambda_k = scale * k**(-a)``, k = 1..p. Not benign for a > 1 (k* grows like n)."""
    p = check_positive_int(p, "p")
    a = _nonneg(a, "a")
    k = np.arange(1, p + 1, dtype=np.float64)
    return _positive(scale, "scale") * k ** (-a)


def bllt_log(p: int, beta: float = 2.0, a: float = 1.0, scale: float = 1.0) -> np.ndarray:
    """``lambda_k = scale * k**(-a) * ln(k + 1)**(-beta)``, k = 1..p (Bartlett et al. 2020, Thm 6).

    The infinite sequence is benign iff ``a = 1`` and ``beta > 1``. Truncated at ``p``; simulations
    usually take ``p`` of order ``n**2 / 4``.
    """
    p = check_positive_int(p, "p")
    a = _nonneg(a, "a")
    beta = _nonneg(beta, "beta")
    k = np.arange(1, p + 1, dtype=np.float64)
    return _positive(scale, "scale") * k ** (-a) * np.log1p(k) ** (-beta)


def two_level(
    p: int,
    low: float,
    *,
    high: float = 1.0,
    k: int | None = None,
    tau: float | None = None,
) -> np.ndarray:
    """Two-level spectrum; give exactly one of ``k`` (flat form) or ``tau`` (decaying form).

    Flat form: ``lambda_j = high`` for ``j <= k`` and ``low`` for ``j > k``.

    Decaying form (Bartlett et al. 2020, Thm 6, second example):
    ``lambda_j = high * exp(-j / tau) + low``, j = 1..p. Benign when ``p = omega(n)`` and
    ``n exp(-o(n)) = low * p = o(n)``; the reproduction's instance is ``tau = 2``, ``p = n**1.5``,
    ``low * p = n**0.5``. In float64 only about ``2 tau ln(high / low) + 75 tau`` leading eigenvalues
    differ from ``low``, so Sigma is exactly ``low * I`` plus a low-rank diagonal part, which
    :class:`fastrisk.RidgePath` detects and exploits.
    """
    p = check_positive_int(p, "p")
    low = _nonneg(low, "low")
    high = _positive(high, "high")
    if (k is None) == (tau is None):
        raise ValueError("two_level needs exactly one of k (flat form) or tau (decaying form)")
    if k is not None:
        k = check_positive_int(k, "k", minimum=0)
        if k > p:
            raise ValueError(f"k must be <= p={p}, got {k}")
        out = np.full(p, low)
        out[:k] = high
        return out
    tau = _positive(tau, "tau")
    j = np.arange(1, p + 1, dtype=np.float64)
    return high * np.exp(-j / tau) + low


def spiked(p: int, n_spikes: int, spike: float = 1.0, tail: float = 0.05) -> np.ndarray:
    """``n_spikes`` eigenvalues equal to ``spike`` followed by ``p - n_spikes`` equal to ``tail``.

    Benign when ``n_spikes = o(n)``, ``p = omega(n)`` and ``(p - n_spikes) * tail / n << spike``; the
    implicit ridge of the min-norm interpolator is about ``(p - n_spikes) * tail / n``.
    """
    p = check_positive_int(p, "p")
    n_spikes = check_positive_int(n_spikes, "n_spikes", minimum=0)
    if n_spikes > p:
        raise ValueError(f"n_spikes must be <= p={p}, got {n_spikes}")
    out = np.full(p, _nonneg(tail, "tail"))
    out[:n_spikes] = _positive(spike, "spike")
    return out


def tail_mass(kind: str, p: int, **params) -> float:
    """Mass ``sum_{k > p} lambda_k`` that truncating an infinite preset at ``p`` drops.

    Supported kinds: ``"power_law"`` (a > 1) and ``"bllt_log"`` (a = 1, beta > 1, or a > 1), by the
    integral bound ``int_p^inf`` of the (decreasing) eigenvalue function, accurate to
    ``lambda_p / 2``.
    """
    from scipy import integrate

    allowed = {"power_law": {"a", "scale"}, "bllt_log": {"a", "beta", "scale"}}
    if not isinstance(kind, str) or kind not in allowed:
        raise ValueError(f"kind must be 'power_law' or 'bllt_log', got {kind!r}")
    unknown = set(params) - allowed[kind]
    if unknown:
        raise TypeError(f"tail_mass({kind!r}) got unexpected keyword(s) {sorted(unknown)}; it takes "
                        f"{sorted(allowed[kind])}")
    p = check_positive_int(p, "p")
    scale = _positive(params.get("scale", 1.0), "scale")
    a = _nonneg(params.get("a", 1.0), "a")
    if kind == "power_law":
        if a <= 1:
            return float("inf")
        return scale * (p + 0.5) ** (1 - a) / (a - 1)
    if kind == "bllt_log":
        beta = _nonneg(params.get("beta", 2.0), "beta")
        if a < 1 or (a == 1 and beta <= 1):
            return float("inf")

        def f(u):  # t = exp(u): int t^-a ln(1+t)^-beta dt = int e^{u(1-a)} ln(1+e^u)^-beta du
            return np.exp(u * (1.0 - a)) * np.logaddexp(0.0, u) ** (-beta)

        val, _ = integrate.quad(f, math.log(p + 0.5), np.inf, limit=500)
        return scale * float(val)
    raise ValueError(f"kind must be 'power_law' or 'bllt_log', got {kind!r}")
