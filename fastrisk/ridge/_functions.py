"""``ridge_path_risks``: standard and adversarial risks of a whole ridge path, plain arrays in and out."""

from __future__ import annotations

from typing import Any

import numpy as np

from .._validation import (
    as_float_array,
    check_design_matrix,
    check_eps,
    check_norm,
    check_target,
    check_targets,
)
from ..design import GaussianDesign
from ..risk import ground_truth_adversarial_risk
from .path import RidgePath

__all__ = ["ridge_path_risks"]

ArrayLike = Any


def ridge_path_risks(X: ArrayLike, y: ArrayLike, lam: ArrayLike, cov: ArrayLike,
                     theta_star: ArrayLike, eps: ArrayLike, norm: float = 2,
                     target: str = "clean", noise: ArrayLike = 0.0) -> dict[str, np.ndarray]:
    """Standard and adversarial risk of a whole ridge path, plain arrays in and out.

    Parameters
    ----------
    X : array_like (n, p)
        The training design.
    y : array_like (n,) or (n, k)
        Training labels, or one column per target (one Gram and one eigh for all).
    lam : array_like (L,)
        Unnormalised penalties of ``||y - X theta||^2 + lam ||theta||^2``.
    cov : array_like (p,) or (p, p)
        Diagonal or full covariance of x ~ N(0, Sigma).
    theta_star : array_like (p,) or (p, k)
        Ground truth shared by every target, or one per target (2-D y only).
    eps : array_like (E,)
        Attack radii of the ball ``||delta||_p <= eps``.
    norm : float, default 2
        The attack norm p in [1, inf].
    target : {"clean", "noisy", "consistent"}, default "clean"
        The adversarial target.
    noise : float or array_like (k,), default 0.0
        Label-noise standard deviation (used by ``"noisy"``); (k,) for one per target.

    Returns
    -------
    dict with ``lam`` (L,), ``eps`` (E,), ``standard_risk`` (L,), ``norm2`` (L,) = ||theta||_2,
    ``dual_norm`` (L,) = the norm the attack sees, ``adversarial_risk`` (L, E),
    ``ground_truth_adversarial_risk`` (E,), ``df`` (L,) effective degrees of freedom,
    ``accuracy_bound`` (L,) the relative accuracy of every output (:meth:`RidgePath.accuracy_bound`;
    a float32 X warns with :class:`fastrisk.Float32AccuracyWarning` where it exceeds
    ``config.FLOAT32_RTOL``). With 2-D y every entry but ``lam``, ``eps``, ``df`` and
    ``accuracy_bound`` gains a trailing target axis: (L, k), (L, E, k), (E, k).

    Examples
    --------
    >>> import numpy as np
    >>> import fastrisk as fr
    >>> rng = np.random.default_rng(0)
    >>> X = rng.standard_normal((30, 80)); ts = np.eye(80)[:, :2]
    >>> Y = X @ ts + 0.1 * rng.standard_normal((30, 2))
    >>> out = fr.ridge_path_risks(X, Y, [0.1, 1.0], np.ones(80), ts, [0.0, 0.5], noise=0.1)
    >>> out["adversarial_risk"].shape, out["ground_truth_adversarial_risk"].shape
    ((2, 2, 2), (2, 2))
    """
    X = check_design_matrix(X)
    p_attack, q = check_norm(norm)
    target = check_target(target, p_attack)
    eps = check_eps(eps)
    Y, multi = check_targets(y, X.shape[0], "y")
    k = Y.shape[1]
    ts = as_float_array(theta_star, "theta_star", dtype=np.float64)
    if ts.ndim == 2 and not multi:
        raise ValueError(f"theta_star must be 1-D (p,) for 1-D y (one target), got shape {ts.shape}")
    if ts.ndim not in (1, 2) or (ts.ndim == 2 and ts.shape[1] != k):
        raise ValueError(f"theta_star must have shape (p,) or (p, {k}) (one column per target of y), "
                         f"got {ts.shape}")
    per_target = ts.ndim == 2 or np.ndim(noise) > 0  # one design per target, else one shared
    if np.ndim(noise) > 0:
        noise = as_float_array(noise, "noise", ndim=1, dtype=np.float64)
        if not multi or noise.shape != (k,):
            raise ValueError(f"noise must be a number or (for 2-D y) {k} of them, one per target; got "
                             f"shape {noise.shape}")
    m = k if per_target else 1
    cols = [ts[:, t] if ts.ndim == 2 else ts for t in range(m)]
    noises = [noise[t] if np.ndim(noise) else noise for t in range(m)]
    designs = [GaussianDesign(cov=cov, theta_star=c, noise=s) for c, s in zip(cols, noises, strict=True)]
    design = designs[0] if len(designs) == 1 else designs
    if designs[0].p != X.shape[1]:
        raise ValueError(f"cov describes p={designs[0].p} features but X has {X.shape[1]} columns")
    path = RidgePath(X, y, lam)
    adv = path.adversarial_risk(design, eps, norm=p_attack, target=target)
    gt = np.stack([ground_truth_adversarial_risk(d.theta_star, eps, norm=p_attack, target=target,
                                                 noise=d.noise) for d in designs], axis=1)
    if multi:
        gt = np.ascontiguousarray(np.broadcast_to(gt, (eps.size, k)))
    else:
        gt = gt[:, 0]
    return risk_dict(path, design, eps, q, target, adv, gt)


def risk_dict(path: RidgePath, design, eps: np.ndarray, q: float, target: str, adv: np.ndarray,
              gt: np.ndarray) -> dict[str, np.ndarray]:
    """The dict of :func:`ridge_path_risks` (and :func:`fastrisk.design_path_risks`) for a built path:
    its adversarial risk ``adv`` and the ground truth's ``gt`` given, the rest read from the path."""
    return {
        "lam": path.lam.copy(),
        "eps": eps,
        "standard_risk": path.standard_risk(design),
        "norm2": path.norm(2),
        "dual_norm": path._dual_norm(design, q, target),
        "adversarial_risk": adv,
        "ground_truth_adversarial_risk": gt,
        "df": path.df(),
        "accuracy_bound": path.accuracy_bound(),
    }
