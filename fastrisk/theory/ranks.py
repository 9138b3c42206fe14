"""Effective ranks, the critical index and the benign-overfitting quantities of Bartlett, Long, Lugosi and
Tsigler (PNAS 2020), docs/math.md section 5.

Index convention (as in the paper): eigenvalues sorted non-increasingly, ``lambda_1 >= lambda_2 >= ...``;
``k`` runs over ``0, ..., p - 1`` and ``r_k`` uses the tail ``i > k`` (``lambda_{k+1}, ...``)::

    r_k = sum_{i>k} lambda_i / lambda_{k+1},     R_k = (sum_{i>k} lambda_i)^2 / sum_{i>k} lambda_i^2.

The spectrum is sorted internally (these are spectral quantities; no coordinates are involved).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from .._validation import check_noise, check_nonnegative_float, check_positive_int, check_spectrum
from ..kernels.theory import non_increasing, tail_ranks
from . import _scale

__all__ = ["effective_ranks", "critical_index", "benign_report", "BenignReport", "tail_sums"]

ArrayLike = Any


def _positive_float(v, name: str) -> float:
    if isinstance(v, bool):
        raise TypeError(f"{name} must be a real number > 0, got {v!r}")
    try:
        f = float(v)
    except (TypeError, ValueError):
        raise TypeError(f"{name} must be a real number > 0, got {v!r}") from None
    if not math.isfinite(f) or f <= 0:
        raise ValueError(f"{name} must be a finite number > 0, got {v!r}")
    return f


def _sorted(spectrum: ArrayLike) -> np.ndarray:
    lam = check_spectrum(spectrum)
    if lam.size > 1 and not non_increasing(lam):  # presets are already non-increasing
        lam = np.ascontiguousarray(np.sort(lam)[::-1])
    return lam


def tail_sums(spectrum: ArrayLike) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Sorted eigenvalues and their tail sums ``T_k = sum_{i>k} lambda_i``, ``Q_k = sum_{i>k} lambda_i^2``.

    Returns ``(lam_sorted, T, Q)``, each (p,), k = 0..p-1 (``T_0 = tr Sigma``). Accumulated from the
    smallest eigenvalue up (accurate for long, decaying spectra). A non-increasing input is used as is;
    anything else is sorted (O(p log p)).

    Parameters
    ----------
    spectrum : array_like (p,)
        Eigenvalues of Sigma (>= 0), any order.

    Returns
    -------
    lam_sorted, T, Q : numpy.ndarray (p,)
        The eigenvalues sorted non-increasingly and the tail sums ``T_k``, ``Q_k`` for k = 0..p-1.

    Examples
    --------
    >>> from fastrisk import theory
    >>> lam, T, Q = theory.tail_sums([1.0, 3.0, 2.0])
    >>> lam, T, Q
    (array([3., 2., 1.]), array([6., 3., 1.]), array([14.,  5.,  1.]))
    """
    lam = _sorted(spectrum)
    T = np.cumsum(lam[::-1])[::-1]
    Q = np.cumsum((lam**2)[::-1])[::-1]
    return lam, T, Q


def effective_ranks(spectrum: ArrayLike) -> tuple[np.ndarray, np.ndarray]:
    """Effective ranks ``r_k`` and ``R_k`` for every ``k = 0, ..., p - 1`` (one O(p) pass; a sort first
    if the spectrum is not already non-increasing).

    Parameters
    ----------
    spectrum : array_like (p,)
        Eigenvalues of Sigma (>= 0), any order.

    Returns
    -------
    r, R : ndarray (p,)
        ``r[k] = sum_{i>k} lambda_i / lambda_{k+1}`` and ``R[k] = (sum_{i>k} lambda_i)^2 /
        sum_{i>k} lambda_i^2`` (sorted non-increasingly, 1-based lambda). Where the tail is all zero
        (``lambda_{k+1} = 0``) both are 0.

    Examples
    --------
    >>> from fastrisk import spectra, theory
    >>> r, R = theory.effective_ranks(spectra.spiked(1000, 2, tail=0.01))
    >>> r[:3].round(2), R[:3].round(2)
    (array([ 11.98,  10.98, 998.  ]), array([ 68.35, 109.62, 998.  ]))
    """
    lam = _unit(_sorted(spectrum))
    T = np.empty(lam.size)
    r = np.empty(lam.size)
    R = np.empty(lam.size)
    tail_ranks(lam, T, r, R)
    return r, R


def _unit(lam: np.ndarray) -> np.ndarray:
    """The spectrum times the power of two that brings its maximum to [1/4, 1): the ranks are scale-free,
    and their sums of squares neither underflow (spectrum ~ 1e-300) nor overflow (~ 1e300) there."""
    es = _scale.spectrum_exponent(lam)
    return lam if es == 0 else _scale.ldexp(lam, -es)


def critical_index(spectrum: ArrayLike, n: int, b: float = 1.0) -> int:
    """``k* = min{k >= 0 : r_k(Sigma) >= b n}`` (Bartlett et al. 2020).

    Returns ``p = len(spectrum)`` when no ``k < p`` qualifies: the paper's ``min of the empty set =
    infinity`` on a spectrum truncated at p (every valid index is below p, so this is unambiguous;
    :func:`benign_report` reports that case as ``kstar=None``).

    ``b`` is the paper's universal constant (b > 1 there, depending on the sub-Gaussian norm of x); it is
    exposed as a parameter because its value is not specified. Default 1.

    Parameters
    ----------
    spectrum : array_like (p,)
        Eigenvalues of Sigma (>= 0), any order.
    n : int
        Sample size (>= 1).
    b : float, default 1.0
        The constant of the threshold ``r_k >= b n`` (> 0).

    Returns
    -------
    int
        k*, in 0..p (p: no index below p qualifies).

    Examples
    --------
    >>> from fastrisk import spectra, theory
    >>> theory.critical_index(spectra.spiked(20_000, 5, tail=0.01), n=300)  # the 5 spikes
    5
    >>> theory.critical_index(spectra.isotropic(50), n=100)  # r_k < n for every k < p
    50
    """
    n = check_positive_int(n, "n")
    b = _positive_float(b, "b")
    r, _ = effective_ranks(spectrum)
    hit = np.flatnonzero(r >= b * n)
    return int(hit[0]) if hit.size else int(r.size)


@dataclass(frozen=True)
class BenignReport:
    """The benign-overfitting quantities of Bartlett et al. (2020), docs/math.md section 5.

    Attributes
    ----------
    n : sample size.
    kstar : critical index k* (None if no k has ``r_k >= b n``).
    r0_over_n : ``r_0(Sigma) / n``.
    kstar_over_n : ``k* / n`` (inf when k* is None).
    n_over_Rkstar : ``n / R_{k*}(Sigma)`` (inf when k* is None).
    variance_lower_bound : ``(sigma^2 / c) (k*/n + n / R_{k*})``: the lower bound on ``E R(theta_hat)``
        (valid when ``k* < n / c1``); when ``k* >= n / c1`` the bound is ``sigma^2 / c``.
    variance_upper_shape : ``c log(1/delta) sigma^2 (k*/n + n / R_{k*})``: the variance part of the
        high-probability upper bound (sub-Gaussian noise proxy taken equal to sigma^2).
    bias_upper_shape : ``c ||theta*||^2 ||Sigma|| max{sqrt(r_0/n), r_0/n, sqrt(log(1/delta)/n)}``
        (NaN when ``theta_norm`` was not given).
    not_benign_regime : ``k* >= n / c1`` (or k* is None): the lower bound ``sigma^2 / c`` applies.
    b, c, c1, delta : the constants used. The paper proves the theorem for *some* universal constants
        depending on the sub-Gaussian norm; the values here are placeholders chosen by the caller, so
        the bounds are shapes (rates), not certified numbers.
    """

    n: int
    kstar: int | None
    r0_over_n: float
    kstar_over_n: float
    n_over_Rkstar: float
    variance_lower_bound: float
    variance_upper_shape: float
    bias_upper_shape: float
    not_benign_regime: bool
    b: float
    c: float
    c1: float
    delta: float


def benign_report(spectrum: ArrayLike, n: int, *, noise: float = 1.0, theta_norm: float | None = None,
                  b: float = 1.0, c: float = 1.0, c1: float = 1.0, delta: float = 0.1) -> BenignReport:
    """Benign quantities ``r_0/n``, ``k*/n``, ``n/R_{k*}`` and the shapes of the BLLT bounds.

    Parameters
    ----------
    spectrum : array_like (p,)
        Eigenvalues of Sigma (>= 0).
    n : int
        Sample size.
    noise : float, default 1.0
        Label-noise standard deviation sigma (bounds are in units of sigma^2; 1 gives per-unit-variance
        values).
    theta_norm : float, optional
        ``||theta*||_2`` for the bias shape.
    b, c, c1 : float, default 1.0
        The universal constants of Bartlett et al. (2020), Theorem 4 (b for k*, c for the bounds, c1 for
        the regime). They are not specified by the paper; pass your own.
    delta : float, default 0.1
        Failure probability of the high-probability upper bound (``0 < delta < 1``).

    Returns
    -------
    BenignReport
        ``r0_over_n``, ``kstar``, ``kstar_over_n``, ``n_over_Rkstar``, the variance and bias shapes of
        the bounds of Bartlett et al. (2020), and whether the regime of their Theorem 4 holds.

    Examples
    --------
    >>> from fastrisk import spectra, theory
    >>> rep = theory.benign_report(spectra.spiked(20_000, 5, tail=0.01), n=200)
    >>> rep.kstar, round(rep.kstar_over_n + rep.n_over_Rkstar, 4)
    (0, 0.0333)
    """
    n = check_positive_int(n, "n")
    sigma = check_noise(noise)
    b = _positive_float(b, "b")
    c = _positive_float(c, "c")
    c1 = _positive_float(c1, "c1")
    delta = _positive_float(delta, "delta")
    if delta >= 1:
        raise ValueError(f"delta must be in (0, 1), got {delta!r}")
    lam0 = _sorted(spectrum)
    if lam0[0] <= 0:
        raise ValueError("spectrum has no positive eigenvalue")
    lam, T, Q = tail_sums(_unit(lam0))  # the ratios below are scale-free: unit scale
    r0 = float(T[0] / lam[0])
    r = np.where(lam > 0, T / np.where(lam > 0, lam, 1.0), 0.0)
    hit = np.flatnonzero(r >= b * n)
    kstar = int(hit[0]) if hit.size else None
    if kstar is None:
        kn = math.inf
        nR = math.inf
    else:
        kn = kstar / n
        nR = float(n * Q[kstar] / T[kstar] ** 2)
    s2 = sigma * sigma
    not_benign = kstar is None or kstar >= n / c1
    lower = s2 / c if not_benign else s2 / c * (kn + nR)
    log1d = math.log(1.0 / delta)
    upper_var = c * log1d * s2 * (kn + nR)
    if theta_norm is None:
        bias = math.nan
    else:
        tn = check_nonnegative_float(theta_norm, "theta_norm")
        # (tn sqrt(||Sigma||))^2: no intermediate overflow of tn^2 when the product is representable
        bias = c * (tn * math.sqrt(float(lam0[0]))) ** 2 * max(math.sqrt(r0 / n), r0 / n,
                                                               math.sqrt(log1d / n))
    return BenignReport(n=n, kstar=kstar, r0_over_n=r0 / n, kstar_over_n=kn, n_over_Rkstar=nR,
                        variance_lower_bound=lower, variance_upper_shape=upper_var, bias_upper_shape=bias,
                        not_benign_regime=not_benign, b=b, c=c, c1=c1, delta=delta)
