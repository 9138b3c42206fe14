"""Exact rescaling by powers of two, so that the theory layer works at any representable scale.

The formulas of the theory layer are homogeneous: with ``Sigma -> 2^a Sigma`` and ``lam -> 2^a lam``
the effective regularisation scales by ``2^a``, and with ``theta* -> 2^b theta*``, ``sigma -> 2^b
sigma`` the estimator scales by ``2^b``. Multiplying by a power of two is exact in floating point
(barring under/overflow), so computing in units where the largest eigenvalue and the largest of
``|theta*|`` and ``sigma / sqrt(s_max)`` are about 1, then scaling back with ``ldexp``, gives the same
digits as the unscaled computation wherever that one neither overflows nor underflows.
"""

from __future__ import annotations

import math

import numpy as np


def exponent(x: float) -> int:
    """``e`` with ``2^(e-1) <= |x| < 2^e`` (``math.frexp``'s exponent); 0 for x == 0."""
    return math.frexp(float(x))[1] if x != 0 else 0


def spectrum_exponent(spectrum: np.ndarray) -> int:
    """An even exponent ``e`` putting ``max(spectrum) * 2^-e`` in [1/4, 1) (0 for an all-zero spectrum).

    Even, so that ``sqrt(2^e)`` is itself a power of two (noise is scaled by ``2^(-e/2)``)."""
    top = float(spectrum.max()) if spectrum.size else 0.0
    e = exponent(top) if top > 0 else 0
    return e + (e % 2)


def signal_exponent(theta_star: np.ndarray, sigma: float, e_spec: int) -> int:
    """Exponent ``b``: ``max|theta*|`` and ``sigma / sqrt(2^e_spec)`` times ``2^-b`` <= 1, one about 1."""
    t = max(abs(float(theta_star.max())), abs(float(theta_star.min()))) if theta_star.size else 0.0
    cands = []
    if t > 0:
        cands.append(exponent(t))
    if sigma > 0:
        cands.append(exponent(sigma) - e_spec // 2)
    return max(cands) if cands else 0


def ldexp(x, e: int):
    """``x * 2^e`` without an intermediate overflow (arrays or floats; an array is never modified).

    ``e == 0`` returns ``x`` itself (as float64); for ``2^e`` representable the product by it (exact,
    correctly rounded like NumPy's ``ldexp`` where the result is subnormal, and several times faster on
    long arrays); beyond, NumPy ``ldexp``."""
    e = int(np.clip(e, -4000, 4000))
    a = np.asarray(x, dtype=np.float64)
    if e == 0:
        out = a
    elif -1022 <= e <= 1023:
        with np.errstate(over="ignore", under="ignore"):  # callers check for inf where it is an error
            out = a * math.ldexp(1.0, e)
    else:
        with np.errstate(over="ignore"):
            out = np.ldexp(a, e)
    return float(out) if np.ndim(out) == 0 else out
