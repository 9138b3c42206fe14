"""Lower bounds behind Hao & Zhang's (2024) two linear results, in mechanism form (docs/math.md 3, 8).

These are *mechanism* bounds, not reproductions of Hao and Zhang's theorems: the exact hypotheses,
constants and radius scalings of the paper (arXiv:2401.12236) are not reproduced. What is exact here:

- the conditional identity ``E_eps ||theta_hat||_2^2 = ||P theta*||^2 + sigma^2 tr((X X^T)^{-1})`` of the
  min-norm interpolator (n <= p, X X^T invertible) and the Cauchy-Schwarz bound
  ``tr((X X^T)^{-1}) >= n^2 / tr(X X^T)``;
- for any estimator and any law of x, ``R_eps >= R_0 + eps^2 ||theta||_2^2`` (l2 attack, clean target);
- the deterministic-equivalent product bound of section 4.2, which holds for every penalty whose kappa
  lies in the window ``[tail_threshold, signal_threshold]``.
The population version ``sigma^2 n / tr(Sigma)`` (``tr(X X^T) ~ n tr(Sigma)``) and the sharper
``sigma^2 (n - k) / (c T_k)`` carry constants of the random-matrix step that are not certified here.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from .._validation import (
    check_design_matrix,
    check_eps,
    check_noise,
    check_positive_int,
    check_spectrum,
    check_vector,
)
from .ranks import _positive_float, critical_index, tail_sums

__all__ = ["MinNormBound", "minnorm_adversarial_lower_bound", "TradeoffBound", "tradeoff_product_bound"]

ArrayLike = Any


@dataclass(frozen=True)
class MinNormBound:
    """Lower bounds on ``E ||theta_hat||_2^2`` of the min-norm interpolator and on its l2 adversarial risk.

    Attributes
    ----------
    population : ``sigma^2 n / tr(Sigma)``.
    sharp : ``sigma^2 (n - k) / (c T_k)``, ``T_k = sum_{i>k} lambda_i`` (NaN if k is None or k >= n).
    k : the k used for ``sharp`` (default: the critical index k* with b = 1).
    conditional_exact : ``sigma^2 tr((X X^T)^{-1})`` given X (NaN without X): the noise part of
        ``E_eps ||theta_hat||^2``, exact.
    conditional_bound : ``sigma^2 n^2 / tr(X X^T)`` (NaN without X); always <= conditional_exact.
    adversarial : (E,) ``eps^2 * max(population, sharp, conditional_exact)`` (NaNs ignored): a lower bound
        shape for the clean-target adversarial risk ``R_eps >= R_0 + eps^2 ||theta_hat||^2`` (the
        population and sharp terms up to their constants).
    eps : (E,) radii (empty if none given).
    """

    population: float
    sharp: float
    k: int | None
    conditional_exact: float
    conditional_bound: float
    adversarial: np.ndarray
    eps: np.ndarray


def minnorm_adversarial_lower_bound(spectrum: ArrayLike, n: int, noise: float, eps: ArrayLike | None = None,
                                    *, X: ArrayLike | None = None, k: int | None = None,
                                    c: float = 1.0) -> MinNormBound:
    """The min-norm vulnerability mechanism (docs/math.md section 8): ``||theta_hat||^2`` is at least of order
    ``sigma^2 n / tr(Sigma)``, so an l2 attack of radius eps costs at least ``eps^2`` times that.

    Parameters
    ----------
    spectrum : array_like (p,)
        Eigenvalues of Sigma (>= 0).
    n : int
        Sample size.
    noise : float
        Label-noise standard deviation sigma.
    eps : float or array_like (E,), optional
        Attack radii (l2 ball).
    X : array_like (n, p), optional
        A design; gives the conditional (exact) quantities. Needs n <= p and X X^T invertible.
    k : int, optional
        Index of the sharper bound (``0 <= k < n``); default the critical index k* (b = 1).
    c : float, default 1
        The constant of ``mu_1(A_k) <= c T_k`` (not certified; a placeholder).

    Returns
    -------
    MinNormBound
        ``population``, ``sharp``, ``k``, the conditional quantities given X (NaN without it) and
        ``adversarial`` (E,).

    Examples
    --------
    >>> from fastrisk import spectra, theory
    >>> b = theory.minnorm_adversarial_lower_bound(spectra.spiked(2000, 5, tail=0.01), 200, 1.0, eps=[0.1])
    >>> round(b.population, 4), b.adversarial.round(5)   # sigma^2 n / tr(Sigma) = 200 / 24.95
    (8.016, array([0.09774]))
    """
    s = check_spectrum(spectrum)
    n = check_positive_int(n, "n")
    sigma = check_noise(noise)
    c = _positive_float(c, "c")
    s2 = sigma * sigma
    lam, T, _ = tail_sums(s)
    if T[0] <= 0:
        raise ValueError("spectrum has no positive eigenvalue")
    population = s2 * n / float(T[0])
    if k is None:
        k = critical_index(s, n)
    elif k is not None:
        k = check_positive_int(k, "k", minimum=0)
    if k is not None and k < n and k < lam.size and T[k] > 0:
        sharp = s2 * (n - k) / (c * float(T[k]))
    else:
        sharp = math.nan
    cond_exact = math.nan
    cond_bound = math.nan
    if X is not None:
        X = check_design_matrix(X)
        if X.shape[0] != n or X.shape[1] != s.size:
            raise ValueError(f"X must have n={n} rows and p={s.size} columns (one per eigenvalue of "
                             f"spectrum), got shape {X.shape}")
        if X.shape[1] < n:
            raise ValueError(f"X must have p >= n columns for the min-norm interpolator, got {X.shape}")
        Xd = X.astype(np.float64, copy=False)
        K = Xd @ Xd.T
        w = np.linalg.eigvalsh(K)
        if w[0] <= w[-1] * n * np.finfo(np.float64).eps:
            raise ValueError("X X^T is singular: the min-norm noise term is infinite")
        cond_exact = s2 * float(np.sum(1.0 / w))
        cond_bound = s2 * n**2 / float(np.trace(K))
    eps_arr = np.zeros(0) if eps is None else check_eps(eps)
    vals = [v for v in (population, sharp, cond_exact) if not math.isnan(v)]
    adv = eps_arr**2 * max(vals)
    return MinNormBound(population=population, sharp=sharp, k=k, conditional_exact=cond_exact,
                        conditional_bound=cond_bound, adversarial=adv, eps=eps_arr)


@dataclass(frozen=True)
class TradeoffBound:
    """The "uncertainty principle" (docs/math.md section 8) in deterministic-equivalent form.

    For every penalty whose effective regularisation kappa lies in ``[kappa_lo, kappa_hi]``
    (``= [tail_threshold, signal_threshold]``)::

        B_num(kappa) * N(kappa) >= product,      R_0 * (R_eps - R_0) >= eps^2 * product,

    with ``B_num = kappa^2 sum theta*_i^2 lam_i / (lam_i + kappa)^2`` (<= the predicted bias),
    ``N = sigma^2 / n sum lam_i / (lam_i + kappa)^2`` (<= the predicted E||theta||^2) and
    ``product = sigma^2 / (16 n) * sum_{S} theta*_i^2 / lam_i * sum_{T} lam_j``,
    ``S = {lam_i >= signal_threshold}``, ``T = {lam_j <= tail_threshold}``. For kappa above the window the
    signal below kappa is lost instead (``B_num >= sum_{lam_i <= kappa} theta*_i^2 lam_i / 4``).

    Attributes
    ----------
    product : float. adversarial : (E,) ``eps^2 * product``. kappa_lo, kappa_hi : the window.
    signal_energy : ``sum_S theta*_i^2 / lam_i`` (``||theta*_S||^2_{Sigma^{-1}}``). tail_trace :
    ``sum_T lam_j``. eps : (E,).
    """

    product: float
    adversarial: np.ndarray
    kappa_lo: float
    kappa_hi: float
    signal_energy: float
    tail_trace: float
    eps: np.ndarray


def tradeoff_product_bound(spectrum: ArrayLike, theta_star: ArrayLike, noise: float, n: int, *,
                           signal_threshold: float, tail_threshold: float,
                           eps: ArrayLike | None = None) -> TradeoffBound:
    """Lower bound on bias x noise-norm (and on ``R_0 (R_eps - R_0)``) along the ridge path.

    This is the mechanism of the paper's trade-off result (ii) in deterministic-equivalent form
    (docs/math.md 8); the exact hypotheses of the paper's theorem are *not* reproduced. It holds, by two
    elementary inequalities, for every penalty whose kappa (see :func:`ridge_equivalent`) lies in
    ``[tail_threshold, signal_threshold]``; it says nothing about penalties outside that window.

    Parameters
    ----------
    spectrum, theta_star : array_like (p,)
        Diagonal of Sigma and the ground truth, same coordinates.
    noise : float
        Label-noise standard deviation sigma.
    n : int
        Sample size.
    signal_threshold : float
        ``L``: eigenvalues >= L form the signal block S.
    tail_threshold : float
        ``eps_T <= L``: eigenvalues <= eps_T form the tail T.
    eps : float or array_like (E,), optional
        l2 attack radii (clean target).

    Returns
    -------
    TradeoffBound
        ``product``, ``adversarial`` (E,) ``= eps^2 product``, the window ``kappa_lo``, ``kappa_hi``,
        ``signal_energy`` and ``tail_trace``.

    Examples
    --------
    >>> import numpy as np
    >>> from fastrisk import spectra, theory
    >>> s = spectra.spiked(2000, 5, tail=0.01)
    >>> tb = theory.tradeoff_product_bound(s, np.eye(2000)[0], 1.0, 200, signal_threshold=1.0,
    ...                                    tail_threshold=0.01, eps=[0.1])
    >>> round(tb.product, 6), round(tb.tail_trace, 2)
    (0.006234, 19.95)
    """
    s = check_spectrum(spectrum)
    ts = check_vector(theta_star, s.size, "theta_star")
    sigma = check_noise(noise)
    n = check_positive_int(n, "n")
    L = _positive_float(signal_threshold, "signal_threshold")
    eT = _positive_float(tail_threshold, "tail_threshold")
    if eT > L:
        raise ValueError(f"tail_threshold must be <= signal_threshold, got {eT!r} > {L!r}")
    S = s >= L
    T = (s <= eT) & (s > 0)
    energy = float(np.sum(ts[S] ** 2 / s[S]))
    tail = float(np.sum(s[T]))
    prod = sigma**2 / (16.0 * n) * energy * tail
    eps_arr = np.zeros(0) if eps is None else check_eps(eps)
    return TradeoffBound(product=prod, adversarial=eps_arr**2 * prod, kappa_lo=eT, kappa_hi=L,
                         signal_energy=energy, tail_trace=tail, eps=eps_arr)
