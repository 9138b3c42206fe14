"""Closed forms of Hastie, Montanari, Rosset and Tibshirani (Ann. Statist. 2022), docs/math.md section 6.

Separate, independent check functions for :func:`fastrisk.theory.ridge_equivalent`: on an isotropic
spectrum (``Sigma = scale * I``) and in the ridgeless general-Sigma form (the ``c_0`` equation) they
must agree with the general solver to round-off.
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy.optimize import brentq

from .._validation import (
    check_lam,
    check_noise,
    check_nonnegative_float,
    check_positive_int,
    check_spectrum,
    check_vector,
)
from . import _scale
from .ranks import _positive_float

__all__ = ["IsotropicRidge", "isotropic_ridge", "hmrt_ridgeless_isotropic", "hmrt_ridgeless"]

ArrayLike = Any


def hmrt_ridgeless_isotropic(gamma: float, signal: float, noise: float) -> tuple[float, float]:
    """Limits of the min-norm / least-squares estimator for ``Sigma = I``, ``p/n -> gamma``.

    Parameters
    ----------
    gamma : float > 0
        Aspect ratio p / n.
    signal : float >= 0
        ``r = ||theta*||_2``.
    noise : float >= 0
        Label-noise standard deviation sigma.

    Returns
    -------
    (risk, norm2_sq)
        gamma < 1: ``sigma^2 gamma/(1-gamma)`` and ``r^2 + sigma^2 gamma/(1-gamma)``; gamma > 1:
        ``r^2 (1 - 1/gamma) + sigma^2/(gamma-1)`` and ``r^2/gamma + sigma^2/(gamma-1)``; gamma = 1: inf
        (if sigma > 0).

    Examples
    --------
    >>> from fastrisk import theory
    >>> theory.hmrt_ridgeless_isotropic(4.0, 1.0, 1.0)   # p = 4 n: bias 3/4, variance 1/3
    (1.0833333333333333, 0.5833333333333333)
    """
    g = _positive_float(gamma, "gamma")
    r = check_nonnegative_float(signal, "signal", " (||theta*||_2)")
    s2 = check_noise(noise) ** 2
    if g < 1:
        v = s2 * g / (1 - g)
        return v, r * r + v
    if g > 1:
        v = s2 / (g - 1)
        return r * r * (1 - 1 / g) + v, r * r / g + v
    if s2 > 0:
        return math.inf, math.inf
    return 0.0, r * r


@dataclass(frozen=True)
class IsotropicRidge:
    """Closed-form ridge equivalent for ``Sigma = scale * I`` (arrays over lam)."""

    lam: np.ndarray
    kappa: np.ndarray
    bias: np.ndarray
    variance: np.ndarray
    risk: np.ndarray
    norm2_sq: np.ndarray


def isotropic_ridge(p: int, n: int, signal: float, noise: float, lam: ArrayLike,
                    scale: float = 1.0) -> IsotropicRidge:
    """Ridge on ``Sigma = scale * I_p``: closed-form kappa and risks (docs/math.md section 6, HMRT 2022).

    With ``gamma = p / n``, ``l = lam / (n scale)`` (lam unnormalised, as everywhere in fastrisk) and
    ``k = kappa / scale``: ``k^2 + k (1 - gamma - l) - l = 0``, larger root
    ``k = [(gamma + l - 1) + sqrt((gamma + l - 1)^2 + 4 l)] / 2``; then ``d = gamma / (1 + k)^2``,
    ``bias = scale k^2 r^2 / (1 + k)^2 / (1 - d)``, ``variance = sigma^2 d / (1 - d)``,
    ``E||theta||^2 = (r^2 + tau^2 gamma / scale) / (1 + k)^2`` with ``tau^2 = sigma^2 + risk``. Requires the
    discriminant to be > 0 and ``d < 1`` (negative lam down to the branch threshold).

    ``signal`` is ``r = ||theta*||_2`` (only its norm matters for isotropic Sigma).

    Parameters
    ----------
    p : int
        Dimension.
    n : int
        Sample size.
    signal : float
        ``r = ||theta*||_2`` (>= 0).
    noise : float
        Label-noise standard deviation sigma (>= 0).
    lam : float or array_like (L,)
        Unnormalised penalties.
    scale : float, default 1.0
        The eigenvalue of ``Sigma = scale * I_p`` (> 0).

    Returns
    -------
    IsotropicRidge
        Arrays over ``lam``: kappa, bias, variance, risk and ``E||theta||^2``.

    Examples
    --------
    >>> from fastrisk import theory
    >>> iso = theory.isotropic_ridge(400, 100, 1.0, 1.0, lam=[0.0, 100.0])
    >>> iso.kappa.round(4), iso.risk.round(4)
    (array([3.    , 4.2361]), array([1.0833, 0.9371]))
    """
    p = check_positive_int(p, "p")
    n = check_positive_int(n, "n")
    r = check_nonnegative_float(signal, "signal", " (||theta*||_2)")
    s2 = check_noise(noise) ** 2
    sc = _positive_float(scale, "scale")
    lam = check_lam(lam)
    g = p / n
    ell = lam / (n * sc)
    disc = (g + ell - 1) ** 2 + 4 * ell
    if np.any(disc < 0):
        raise ValueError("lam is below the smallest penalty with a solution (negative discriminant)")
    bq = g + ell - 1
    sq = np.sqrt(disc)
    with np.errstate(divide="ignore", invalid="ignore"):
        # stable form of the larger root when bq < 0 (product of the roots is -l)
        k = np.where(bq >= 0, 0.5 * (bq + sq), 2.0 * ell / (sq - bq))
    if p < n:
        k = np.where(ell == 0, 0.0, k)
    d = g / (1 + k) ** 2
    if np.any(d > 1) or (p != n and np.any(d == 1)):
        raise ValueError("lam is below the monotone branch of the self-consistent equation (d >= 1)")
    with np.errstate(divide="ignore", invalid="ignore"):
        one_md = 1 - d
        bias = np.where(k == 0, 0.0, sc * k**2 * r**2 / (1 + k) ** 2 / one_md)
        var = np.where(one_md == 0, np.inf if s2 > 0 else 0.0, s2 * d / one_md)
        risk = bias + var
        norm2 = (r**2 + (s2 + risk) * g / sc) / (1 + k) ** 2
    return IsotropicRidge(lam=lam, kappa=k * sc, bias=bias, variance=var, risk=risk, norm2_sq=norm2)


def hmrt_ridgeless(spectrum: ArrayLike, theta_star: ArrayLike, noise: float, n: int) -> dict[str, float]:
    """HMRT's general-Sigma ridgeless formulas (their Theorem 2 form), p > n, via ``c_0``.

    ``gamma = p / n``, ``H = (1/p) sum delta_{lam_i}``, ``G = (1/||theta*||^2) sum theta*_i^2
    delta_{lam_i}``; ``c_0 >= 0`` solves ``1 - 1/gamma = int dH(s) / (1 + c_0 gamma s)``; then
    ``V = sigma^2 gamma c_0 int s^2/(1+c_0 gamma s)^2 dH / int s/(1+c_0 gamma s)^2 dH`` and
    ``B = ||theta*||^2 (1 + gamma c_0 int s^2/(..)^2 dH / int s/(..)^2 dH) int s/(1+c_0 gamma s)^2 dG``.
    The mapping to the effective regularisation is ``kappa_0 = 1 / (c_0 gamma)``.

    Returns a dict with ``c0``, ``kappa0``, ``bias``, ``variance``, ``risk``.

    Parameters
    ----------
    spectrum : array_like (p,)
        Diagonal of Sigma (eigenvalues >= 0), in the coordinates of ``theta_star``; p > n.
    theta_star : array_like (p,)
        Ground-truth coefficients (not all zero).
    noise : float
        Label-noise standard deviation sigma (>= 0).
    n : int
        Sample size (< p).

    Returns
    -------
    dict
        ``c0``, ``kappa0``, ``bias``, ``variance`` and ``risk = bias + variance`` of the min-norm
        interpolator.

    Examples
    --------
    >>> import numpy as np
    >>> from fastrisk import spectra, theory
    >>> out = theory.hmrt_ridgeless(spectra.isotropic(400), np.eye(400)[0], 1.0, 100)
    >>> {k: round(float(v), 4) for k, v in out.items()}
    {'c0': 0.0833, 'kappa0': 3.0, 'bias': 0.75, 'variance': 0.3333, 'risk': 1.0833}
    """
    s = check_spectrum(spectrum)
    ts = check_vector(theta_star, s.size, "theta_star")
    s2 = check_noise(noise) ** 2
    n = check_positive_int(n, "n")
    p = s.size
    if np.count_nonzero(s) <= n:
        raise ValueError(f"hmrt_ridgeless needs more than n={n} positive eigenvalues (gamma > 1)")
    g = p / n
    # unit scale (exact powers of two): c0 scales as 1/s_max, bias as s_max ||theta*||^2 (_scale.py)
    es = _scale.spectrum_exponent(s)
    eb = _scale.signal_exponent(ts, 0.0, 0)
    s = _scale.ldexp(s, -es)
    ts = _scale.ldexp(ts, -eb)

    def f(logc):
        c = math.exp(logc)
        return float(np.mean(1.0 / (1.0 + c * g * s))) - (1.0 - 1.0 / g)

    # f is decreasing in c: from 1 - (1 - 1/g) > 0 at c = 0 towards (#zeros/p) - 1 + 1/g < 0
    lo, hi = -10.0, 10.0
    while f(lo) <= 0:
        lo -= 10.0
    while f(hi) > 0:
        hi += 10.0
    c0 = math.exp(brentq(f, lo, hi, xtol=1e-15, rtol=8.9e-16, maxiter=500))
    den = 1.0 + c0 * g * s
    i2 = np.mean(s**2 / den**2)
    i1 = np.mean(s / den**2)
    tt = float(ts @ ts)
    V = s2 * g * c0 * i2 / i1
    B = ((1.0 + g * c0 * i2 / i1) * float(np.sum(ts**2 * s / den**2))) if tt > 0 else 0.0
    B = _scale.ldexp(B, es + 2 * eb)
    if math.isinf(B + V):
        raise ValueError("theta_star, noise and spectrum: the predicted risk exceeds the float64 range at "
                         "this scale (bias scales as ||theta*||^2 max(spectrum), variance as noise^2)")
    c0_out = _scale.ldexp(c0, -es)
    if math.isinf(c0_out):
        warnings.warn("hmrt_ridgeless: c0 = 1 / (gamma kappa0) exceeds the float64 range at this spectrum "
                      "scale and is reported as inf; kappa0 and the risks are exact", RuntimeWarning,
                      stacklevel=2)
    return {"c0": c0_out, "kappa0": _scale.ldexp(1.0 / (c0 * g), es), "bias": B, "variance": V,
            "risk": B + V}
