"""``ridge_path_risks``: standard and adversarial risks of a whole ridge path, plain arrays in and out."""

from __future__ import annotations

from typing import Any

import numpy as np

from .._validation import check_design_matrix, check_eps, check_norm, check_target
from ..design import GaussianDesign
from ..risk import ground_truth_adversarial_risk
from .path import RidgePath

__all__ = ["ridge_path_risks"]

ArrayLike = Any


def ridge_path_risks(X: ArrayLike, y: ArrayLike, lam: ArrayLike, cov: ArrayLike,
                     theta_star: ArrayLike, eps: ArrayLike, norm: float = 2,
                     target: str = "clean", noise: float = 0.0) -> dict[str, np.ndarray]:
    """Standard and adversarial risk of a whole ridge path, plain arrays in and out.

    Parameters
    ----------
    X, y : the training data, (n, p) and (n,).
    lam : (L,) unnormalised penalties of ``||y - X theta||^2 + lam ||theta||^2``.
    cov : (p,) diagonal or (p, p) covariance of x ~ N(0, Sigma).
    theta_star : (p,) ground truth.
    eps : (E,) attack radii of the ball ``||delta||_p <= eps``.
    norm : p in [1, inf].
    target : {"clean", "noisy", "consistent"}.
    noise : label-noise standard deviation (used by ``"noisy"``).

    Returns
    -------
    dict with ``lam`` (L,), ``eps`` (E,), ``standard_risk`` (L,), ``norm2`` (L,) = ||theta||_2,
    ``dual_norm`` (L,) = the norm the attack sees, ``adversarial_risk`` (L, E),
    ``ground_truth_adversarial_risk`` (E,), ``df`` (L,) effective degrees of freedom.
    """
    X = check_design_matrix(X)
    p_attack, q = check_norm(norm)
    target = check_target(target, p_attack)
    eps = check_eps(eps)
    design = GaussianDesign(cov=cov, theta_star=theta_star, noise=noise)
    if design.p != X.shape[1]:
        raise ValueError(f"cov describes p={design.p} features but X has {X.shape[1]} columns")
    path = RidgePath(X, y, lam)
    adv = path.adversarial_risk(design, eps, norm=p_attack, target=target)
    return {
        "lam": path.lam.copy(),
        "eps": eps,
        "standard_risk": path.standard_risk(design),
        "norm2": path.norm(2),
        "dual_norm": path._dual_norm(design, q, target),
        "adversarial_risk": adv,
        "ground_truth_adversarial_risk": ground_truth_adversarial_risk(
            design.theta_star, eps, norm=p_attack, target=target, noise=design.noise),
        "df": path.df(),
    }
