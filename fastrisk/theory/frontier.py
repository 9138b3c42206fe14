"""The oracle (population) frontier of standard vs adversarial risk and the gap of a ridge path to it.

docs/math.md section 9: for Gaussian x and l2 attacks, the adversarial risk (clean or noisy target)
depends on theta only through ``a = ||theta - theta*||_Sigma`` and ``b = ||theta||_2``, increasingly in
each, so every Pareto-optimal theta for (standard risk, adversarial risk) lies on the *population* ridge
path ``theta_mu = (Sigma + mu I)^{-1} Sigma theta*``, ``mu in [0, inf]`` (mu = 0: theta* itself; mu =
inf: 0). :func:`frontier_gap` measures how far an empirical ridge frontier stays above it, the price of
benign overfitting in the sense of Hao & Zhang (2024, arXiv:2401.12236).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from .._validation import (
    as_float_array,
    check_eps,
    check_levels,
    check_noise,
    check_norm,
    check_positive_int,
    check_spectrum,
    check_target,
    check_vector,
)
from ..risk import _closed_form
from ._solver import _merged_pairs

__all__ = ["OracleFrontier", "oracle_frontier", "FrontierGap", "frontier_gap", "pareto_frontier"]

ArrayLike = Any


@dataclass(frozen=True)
class OracleFrontier:
    """The population ridge path ``theta_mu = (Sigma + mu I)^{-1} Sigma theta*``.

    Attributes
    ----------
    mu : (M,) population ridge levels (normalised scale, units of the eigenvalues), increasing, from 0
        to inf.
    standard_risk : (M,) ``||theta_mu - theta*||_Sigma^2`` (0 at mu = 0, ``||theta*||_Sigma^2`` at inf).
    coef_norm : (M,) the norm the attack sees: ``||theta_mu||_q`` (for ``"consistent"``, the l2 norm of
        theta_mu projected off theta*).
    adversarial_risk : (M, E) Gaussian closed form at each (mu, eps).
    eps : (E,) radii. norm : attack p. target : str. noise : sigma.
    pareto : bool, True when the path is the exact Pareto frontier (l2 attack, clean or noisy target).
    """

    mu: np.ndarray
    standard_risk: np.ndarray
    coef_norm: np.ndarray
    adversarial_risk: np.ndarray
    eps: np.ndarray
    norm: float
    target: str
    noise: float
    pareto: bool


def oracle_frontier(spectrum: ArrayLike, theta_star: ArrayLike, eps: ArrayLike, norm: float = 2,
                    target: str = "clean", *, noise: float = 0.0, mu: ArrayLike | None = None,
                    n_mu: int = 512) -> OracleFrontier:
    """Standard and adversarial risk along the population ridge path (the oracle frontier).

    Parameters
    ----------
    spectrum : array_like (p,)
        Diagonal of Sigma in the coordinates of ``theta_star``.
    theta_star : array_like (p,)
        The ground truth.
    eps : float or array_like (E,)
        Radii of the attack ball ``||delta||_p <= eps`` (absolute).
    norm : p in [1, inf]
        Attack norm (dual q derived). For p = 2 with target "clean" or "noisy" the path *is* the Pareto
        frontier over all theta; for other norms it is the ridge-shaped oracle only (an upper bound on
        the true frontier).
    target : {"clean", "noisy", "consistent"}
        The adversarial target (``"consistent"``: l2 only).
    noise : float
        Label-noise standard deviation (enters the "noisy" target only).
    mu : array_like (M,), optional
        Population ridge levels (>= 0, inf allowed). Default: 0, ``n_mu - 2`` log-spaced levels from
        1e-4 times the smallest to 1e4 times the largest eigenvalue carrying signal, and inf.
    n_mu : int
        Size of the default grid.

    Notes
    -----
    Only coordinates with ``theta*_i != 0`` enter (theta_mu vanishes elsewhere): O(M * nnz(theta*)).

    Returns
    -------
    OracleFrontier
        Over the levels ``mu``: standard risk, adversarial risk (M, E), the dual norm of theta_mu and the
        smallest adversarial risk per radius.

    Examples
    --------
    >>> import numpy as np
    >>> from fastrisk import spectra, theory
    >>> orc = theory.oracle_frontier(spectra.spiked(500, 5, tail=0.01), np.eye(500)[0], eps=[0.1, 0.2])
    >>> orc.adversarial_risk.min(axis=0).round(4)   # at mu = 0, theta* itself: eps^2 ||theta*||_2^2
    array([0.01, 0.04])
    """
    p_att, q = check_norm(norm)
    target = check_target(target, p_att)
    eps = check_eps(eps)
    sigma = check_noise(noise)
    s = check_spectrum(spectrum)
    ts = check_vector(theta_star, s.size, "theta_star")
    sup = np.flatnonzero((ts != 0) & (s > 0))
    ls, th = s[sup], ts[sup]
    if mu is None:
        n_mu = check_positive_int(n_mu, "n_mu", minimum=3)
        if ls.size:
            lo, hi = float(ls.min()) * 1e-4, float(ls.max()) * 1e4
        else:
            lo, hi = 1e-4, 1e4
        mu = np.concatenate([[0.0], np.geomspace(lo, hi, n_mu - 2), [np.inf]])
    else:
        mu = check_levels(mu, "mu")
    M = mu.size
    R0 = np.empty(M)
    b = np.empty(M)
    tt = float(ts @ ts)
    blk = max(1, 4_000_000 // max(1, ls.size))
    for i0 in range(0, M, blk):
        m = mu[i0:i0 + blk, None]
        with np.errstate(invalid="ignore"):
            shrink = np.where(np.isinf(m), 0.0, ls / (ls + m))  # (blk, k): theta_mu / theta*
            lost = np.where(np.isinf(m), 1.0, m / (ls + m))  # 1 - shrink, without cancellation
        theta = shrink * th
        R0[i0:i0 + blk] = np.sum(ls * th**2 * lost**2, axis=1)
        if target == "consistent":
            proj = (theta @ th) / tt if tt > 0 else np.zeros(theta.shape[0])
            # ||theta - (theta.theta*/|theta*|^2) theta*||_2^2 over the support (theta* is 0 elsewhere)
            b[i0:i0 + blk] = np.sqrt(np.maximum(np.sum(theta**2, axis=1) - proj**2 * tt, 0.0))
        else:
            b[i0:i0 + blk] = np.linalg.norm(theta, ord=np.inf if math.isinf(q) else q, axis=1) \
                if ls.size else 0.0
    adv = _closed_form(R0, b, eps, target, sigma)
    return OracleFrontier(mu=mu, standard_risk=R0, coef_norm=b, adversarial_risk=adv, eps=eps,
                          norm=p_att, target=target, noise=sigma,
                          pareto=(p_att == 2.0 and target in ("clean", "noisy")))


@dataclass(frozen=True)
class FrontierGap:
    """Distance of a ridge frontier from the oracle frontier, one number per radius (shape (E,)).

    Attributes
    ----------
    gap : ``min_lam [R_eps(lam) - A_eps(R_0(lam))]`` where ``A_eps(r)`` is the oracle's smallest
        adversarial risk among points with standard risk <= r (its lower-left envelope, linearly
        interpolated between the sampled mu). The vertical distance, in adversarial risk, between the
        best point of the path and the oracle frontier; >= 0 up to the sampling of mu when the oracle is
        the exact Pareto frontier.
    best_path : ``min_lam R_eps(lam)``.
    best_oracle : ``min_mu R_eps^oracle(mu)``.
    excess : ``best_path - best_oracle``.
    ratio : ``best_path / best_oracle`` (inf if the oracle reaches 0).
    argmin_path : index of the penalty reaching ``gap``.
    """

    gap: np.ndarray
    best_path: np.ndarray
    best_oracle: np.ndarray
    excess: np.ndarray
    ratio: np.ndarray
    argmin_path: np.ndarray


def frontier_gap(path_risks: Any, oracle: OracleFrontier) -> FrontierGap:
    """How far an (empirical or predicted) ridge frontier lies from the oracle frontier, per radius.

    Parameters
    ----------
    path_risks : dict or tuple
        Either the dict of :func:`fastrisk.ridge_path_risks` (keys ``"standard_risk"`` (L,) and
        ``"adversarial_risk"`` (L, E)), or a pair ``(standard_risk, adversarial_risk)``. The radii,
        attack norm and target must be the oracle's.
    oracle : OracleFrontier
        From :func:`oracle_frontier`.

    Returns
    -------
    FrontierGap
        ``gap``, ``best_path``, ``best_oracle``, ``excess``, ``ratio`` and ``argmin_path``, each (E,).

    Examples
    --------
    >>> import numpy as np
    >>> import fastrisk as fr
    >>> from fastrisk import spectra, theory
    >>> spec, ts = spectra.spiked(500, 5, tail=0.01), np.eye(500)[0]
    >>> X, y = fr.GaussianDesign(spec, ts, noise=1.0).sample(100, seed=0)
    >>> out = fr.ridge_path_risks(X, y, 100 * np.logspace(-3, 1, 50), spec, ts, eps=[0.1], noise=1.0)
    >>> gap = theory.frontier_gap(out, theory.oracle_frontier(spec, ts, eps=[0.1]))
    >>> bool(gap.gap[0] > 0), gap.best_path.round(3), gap.best_oracle.round(3)
    (True, array([0.176]), array([0.01]))
    """
    if not isinstance(oracle, OracleFrontier):
        raise TypeError(f"oracle must be an OracleFrontier, got {type(oracle).__name__}")
    if isinstance(path_risks, dict):
        if "standard_risk" not in path_risks or "adversarial_risk" not in path_risks:
            raise ValueError("path_risks dict needs 'standard_risk' and 'adversarial_risk'")
        if "eps" in path_risks and not np.array_equal(np.asarray(path_risks["eps"]), oracle.eps):
            raise ValueError("path_risks['eps'] differs from the oracle's radii")
        R0, Ra = path_risks["standard_risk"], path_risks["adversarial_risk"]
    else:
        try:
            R0, Ra = path_risks
        except (TypeError, ValueError):
            raise TypeError("path_risks must be a dict or a pair (standard_risk, adversarial_risk)") from None
    R0 = np.atleast_1d(as_float_array(R0, "standard_risk", dtype=np.float64))
    Ra = as_float_array(Ra, "adversarial_risk", dtype=np.float64)
    if Ra.ndim == 1:
        Ra = Ra[:, None]
    E = oracle.eps.size
    if R0.ndim != 1:
        raise ValueError(f"standard_risk must be 1-D (L,), got shape {R0.shape}")
    if R0.size == 0:
        raise ValueError("standard_risk is empty: give at least one penalty of the path")
    if Ra.shape != (R0.size, E):
        raise ValueError(f"adversarial_risk must be (L, E) = ({R0.size}, {E}), got {Ra.shape}")
    if np.any(R0 < 0):
        raise ValueError(f"standard_risk must be >= 0 (a risk), got min {float(R0.min())!r}")
    if np.any(Ra < 0):
        raise ValueError(f"adversarial_risk must be >= 0 (a risk), got min {float(Ra.min())!r}")
    order = np.argsort(oracle.standard_risk, kind="stable")
    r_or = oracle.standard_risk[order]
    env = np.minimum.accumulate(oracle.adversarial_risk[order], axis=0)  # (M, E) lower-left envelope
    gap = np.empty(E)
    arg = np.empty(E, dtype=np.int64)
    for e in range(E):
        A = np.interp(R0, r_or, env[:, e], left=np.inf, right=env[-1, e])
        d = Ra[:, e] - A
        arg[e] = int(np.argmin(d))
        gap[e] = d[arg[e]]
    best_path = Ra.min(axis=0)
    best_oracle = oracle.adversarial_risk.min(axis=0)
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = np.where(best_oracle > 0, best_path / best_oracle, np.inf)
    return FrontierGap(gap=gap, best_path=best_path, best_oracle=best_oracle,
                       excess=best_path - best_oracle, ratio=ratio, argmin_path=arg)


def _pareto_levels(ls: np.ndarray, th: np.ndarray, q: float, n_levels: int) -> np.ndarray:
    """Default Lagrange levels t: 0, log-spaced over the scales where coordinates shrink, inf."""
    a = np.abs(th)
    if math.isinf(q):  # t(c) = sum s (|theta*| - c)_+ runs from 0 (c = max) to sum s |theta*| (c = 0)
        scale = ls * a
    else:  # s (|theta*| - u) = t u^(q-1): coordinate i is halved near t = s_i |theta*_i|^(2-q) 2^(q-2)
        scale = ls * a ** (2.0 - q)
    lo, hi = (float(scale.min()) * 1e-4, float(scale.max()) * 1e4) if scale.size else (1e-4, 1e4)
    return np.concatenate([[0.0], np.geomspace(lo, hi, n_levels - 2), [np.inf]])


def _pareto_magnitudes(ls: np.ndarray, a: np.ndarray, q: float, t: np.ndarray,
                       mult: np.ndarray | None = None) -> np.ndarray:
    """``|theta_i(t)|`` (blk, k): the minimiser of ``sum s (theta - theta*)^2 / 2 + t ||theta||_q^q / q``
    (``t ||theta||_inf`` for q = inf), coordinate-wise on ``|theta*| = a``; ``mult`` counts coordinates
    sharing one (s, a) pair (only the clipping level of q = inf depends on it). No validation."""
    T = t[:, None]
    fin = np.isfinite(T)
    Tf = np.where(fin, T, 0.0)
    if q == 1.0:  # Sigma-weighted soft-thresholding
        return np.where(fin, np.maximum(a - Tf / ls, 0.0), 0.0)
    if q == 2.0:  # the population ridge path, mu = t
        return np.where(fin, ls * a / (ls + Tf), 0.0)
    if math.isinf(q):  # clipping at c(t), where sum s (a - c)_+ = t (piecewise linear, decreasing in c)
        order = np.argsort(-a)
        a_s, l_s = a[order], ls[order] * (1.0 if mult is None else mult[order])
        # at c = a_s[j] (j-th largest): t_j = sum_{i < j} s_i (a_i - a_s[j])
        cs = np.cumsum(l_s)
        csa = np.cumsum(l_s * a_s)
        tj = np.concatenate([[0.0], csa[:-1] - cs[:-1] * a_s[1:]]) if a.size else np.zeros(0)
        j = np.clip(np.searchsorted(tj, Tf[:, 0], side="right") - 1, 0, max(a.size - 1, 0))
        c = (csa[j] - Tf[:, 0]) / cs[j] if a.size else np.zeros(t.size)  # on [a_s[j+1], a_s[j]]
        c = np.where(np.isfinite(t), np.maximum(c, 0.0), 0.0)
        return np.minimum(a, c[:, None])
    # 1 < q < inf, q != 2: s (a - u) = t u^(q-1) has one root in [0, a]; bisection to the last bit
    lo = np.zeros(np.broadcast_shapes(T.shape, a.shape))
    hi = np.broadcast_to(a, lo.shape).copy()
    for _ in range(64):
        mid = 0.5 * (lo + hi)
        pos = ls * (a - mid) > Tf * mid ** (q - 1.0)
        lo = np.where(pos, mid, lo)
        hi = np.where(pos, hi, mid)
    return np.where(fin, 0.5 * (lo + hi), 0.0)


def _weighted_norm(u: np.ndarray, mult: np.ndarray, q: float) -> np.ndarray:
    """``||theta||_q`` per row of ``u`` (blk, k) when atom j stands for ``mult[j]`` equal coordinates."""
    if math.isinf(q):
        return np.max(u, axis=1)
    if q == 1.0:
        return u @ mult
    if q == 2.0:
        return np.sqrt((u * u) @ mult)
    m = np.max(u, axis=1, keepdims=True)
    m = np.where(m > 0, m, 1.0)
    return m[:, 0] * (((u / m) ** q) @ mult) ** (1.0 / q)


def pareto_frontier(spectrum: ArrayLike, theta_star: ArrayLike, eps: ArrayLike, norm: float = 2,
                    target: str = "clean", *, noise: float = 0.0, levels: ArrayLike | None = None,
                    n_levels: int = 512) -> OracleFrontier:
    """The exact Pareto frontier of (standard, adversarial) risk over all theta, for any attack norm.

    For Gaussian x and diagonal Sigma, the adversarial risk (clean or noisy target) is
    ``a^2 + 2 sqrt(2/pi) eps a b + eps^2 b^2`` (``a^2 = R`` or ``R + sigma^2``) with
    ``R = ||theta - theta*||_Sigma^2`` and ``b = ||theta||_q`` (q the dual exponent of the attack norm p):
    increasing in both. So every Pareto-optimal theta minimises ``R`` at a given ``||theta||_q``, i.e.
    solves, for some level ``t`` in [0, inf],

        min_theta  sum_i s_i (theta_i - theta*_i)^2 / 2 + t ||theta||_q^q / q          (q < inf)

    which is separable: ``theta_i = sign(theta*_i) u_i`` with ``s_i (|theta*_i| - u_i) = t u_i^(q-1)``.

    - l2 attack (q = 2): ``u = s |theta*| / (s + t)``, the population ridge path (:func:`oracle_frontier`
      with ``mu = t``);
    - l_inf attack (q = 1): ``u = (|theta*| - t / s)_+``, Sigma-weighted soft-thresholding of theta*
      (a sparse path; the ridge path is *not* Pareto-optimal here and lies above it);
    - l1 attack (q = inf): ``u = min(|theta*|, c)``, clipping at the level c with
      ``sum_i s_i (|theta*_i| - c)_+ = t``;
    - other p: the root, by bisection to the last bit.

    Parameters
    ----------
    spectrum : array_like (p,)
        Diagonal of Sigma, in the coordinates of ``theta_star`` (the attack ball is not rotation
        invariant for p != 2: Sigma must be diagonal in the basis where the attack norm is taken).
    theta_star : array_like (p,)
        The ground truth.
    eps : float or array_like (E,)
        Radii of the attack ball ``||delta||_p <= eps`` (absolute).
    norm : p in [1, inf]
        Attack norm.
    target : {"clean", "noisy", "consistent"}
        For ``"consistent"`` (l2 only) theta* itself has standard risk 0 and, its projection off theta*
        being 0, adversarial risk 0: the frontier is that single point.
    noise : float
        Label-noise standard deviation (enters the "noisy" target only).
    levels : array_like (M,), optional
        Lagrange levels t >= 0 (inf allowed): t = 0 is theta* (restricted to ``s > 0``), t = inf is 0.
        Default: 0, ``n_levels - 2`` log-spaced levels around the scales where coordinates shrink, inf.
    n_levels : int
        Size of the default grid (>= 3).

    Returns
    -------
    OracleFrontier
        With ``mu`` holding the levels t (increasing), ``coef_norm = ||theta_t||_q`` and
        ``pareto = True``; :func:`frontier_gap` measures a ridge path against it.

    Notes
    -----
    Only coordinates with ``theta*_i != 0`` and ``s_i > 0`` enter (theta_t vanishes elsewhere):
    O(M * nnz(theta*)), times 64 for the bisection when p is not 1, 2 or inf.

    Examples
    --------
    >>> import numpy as np
    >>> from fastrisk import spectra, theory
    >>> spec, ts = spectra.spiked(500, 5, tail=0.01), np.ones(500) / np.sqrt(500)
    >>> par = theory.pareto_frontier(spec, ts, eps=[0.05], norm=np.inf)     # soft-thresholding
    >>> ridge = theory.oracle_frontier(spec, ts, eps=[0.05], norm=np.inf)   # the ridge-shaped oracle
    >>> bool(par.adversarial_risk.min() < ridge.adversarial_risk.min())
    True
    """
    p_att, q = check_norm(norm)
    target = check_target(target, p_att)
    eps = check_eps(eps)
    sigma = check_noise(noise)
    s = check_spectrum(spectrum)
    ts = check_vector(theta_star, s.size, "theta_star")
    if target == "consistent":
        z = np.zeros(1)
        return OracleFrontier(mu=z, standard_risk=z, coef_norm=z.copy(),
                              adversarial_risk=_closed_form(z, z, eps, target, sigma), eps=eps,
                              norm=p_att, target=target, noise=sigma, pareto=True)
    sup = np.flatnonzero((ts != 0) & (s > 0))
    # coordinates sharing (s_i, |theta*_i|) move together along the frontier: one atom each (a dense
    # theta* on a flat tail is a handful of them)
    ls, a, mult = _merged_pairs(s[sup], np.abs(ts[sup]))
    if levels is None:
        n_levels = check_positive_int(n_levels, "n_levels", minimum=3)
        t = _pareto_levels(ls, a, q, n_levels)
    else:
        t = check_levels(levels, "levels")
    M = t.size
    R0 = np.empty(M)
    b = np.empty(M)
    blk = max(1, 1_000_000 // max(1, ls.size))
    for i0 in range(0, M, blk):
        u = _pareto_magnitudes(ls, a, q, t[i0:i0 + blk], mult) if ls.size else \
            np.zeros((t[i0:i0 + blk].size, 0))
        R0[i0:i0 + blk] = np.sum(mult * ls * (a - u) ** 2, axis=1)
        b[i0:i0 + blk] = _weighted_norm(u, mult, q) if ls.size else 0.0
    adv = _closed_form(R0, b, eps, target, sigma)
    return OracleFrontier(mu=t, standard_risk=R0, coef_norm=b, adversarial_risk=adv, eps=eps, norm=p_att,
                          target=target, noise=sigma, pareto=True)
