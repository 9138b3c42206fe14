"""``design_path_risks``: the risks of a simulated ridge path, from a design and a seed (either tail)."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from .._validation import check_eps, check_norm, check_target
from ..design import GaussianDesign, _as_design
from ..risk import _closed_form, ground_truth_adversarial_risk
from . import _wishart
from ._functions import risk_dict
from .path import RidgePath

__all__ = ["design_path_risks"]

ArrayLike = Any


def design_path_risks(design: GaussianDesign, n: int, lam: ArrayLike, seed, eps: ArrayLike,
                      norm: float = 2, target: str = "clean", *, tail: str = "explicit"
                      ) -> dict[str, np.ndarray]:
    """Standard and adversarial risks of the ridge path on ``n`` samples of ``design`` drawn from ``seed``.

    The entry point of a simulation that names its sample by a seed (a sweep task): the path is
    :meth:`RidgePath.from_design` with the given ``tail``, so X is never held, and with
    ``tail="wishart"`` neither is its tail (flat-tail designs, compact ones included, any n and p;
    l2 attacks only).

    Parameters
    ----------
    design : GaussianDesign
        The population (a diagonal covariance; a compact :class:`~fastrisk.spectra.FlatTail` one
        needs ``tail="wishart"``).
    n : int
        Training samples.
    lam : array_like (L,)
        Unnormalised penalties of ``||y - X theta||^2 + lam ||theta||^2``.
    seed : int or SeedSequence
        The sample (see :meth:`RidgePath.from_design` for either tail's random stream).
    eps : array_like (E,)
        Attack radii of the ball ``||delta||_p <= eps``.
    norm : float, default 2
        The attack norm p in [1, inf] (2 with ``tail="wishart"``).
    target : {"clean", "noisy", "consistent"}, default "clean"
        The adversarial target.
    tail : {"explicit", "wishart"}, default "explicit"
        How the sample is drawn (:meth:`RidgePath.from_design`).

    Returns
    -------
    dict with the keys of :func:`fastrisk.ridge_path_risks`: ``lam`` (L,), ``eps`` (E,),
    ``standard_risk`` (L,), ``norm2`` (L,) = ``||theta||_2``, ``dual_norm`` (L,) = the norm the attack
    sees, ``adversarial_risk`` (L, E), ``ground_truth_adversarial_risk`` (E,), ``df`` (L,),
    ``accuracy_bound`` (L,).

    Examples
    --------
    >>> import numpy as np
    >>> import fastrisk as fr
    >>> s = fr.spectra.two_level(10**9, 1e-7, tau=2.0, compact=True)
    >>> design = fr.GaussianDesign(s, np.eye(s.m)[0], noise=1.0, theta_tail_norm=0.5)
    >>> out = fr.design_path_risks(design, 100, [0.0, 10.0], seed=0, eps=[0.1], tail="wishart")
    >>> out["adversarial_risk"].shape
    (2, 1)
    """
    design = _as_design(design)
    p_attack, q = check_norm(norm)
    target = check_target(target, p_attack)
    eps = check_eps(eps)
    if _wishart.check_tail(tail, design) == "wishart" and p_attack != 2.0:
        _wishart.refuse(f"an attack in the l_{p_attack:g} norm (norm={p_attack:g})")
    path = RidgePath.from_design(design, n, lam, seed, tail=tail)
    adv = path.adversarial_risk(design, eps, norm=p_attack, target=target)
    if design.compact is not None:  # ||theta*||_2 from its two parts (l2 attacks only here)
        b = 0.0 if target == "consistent" else math.hypot(float(np.linalg.norm(design.theta_lead)),
                                                           design.theta_tail_norm)
        gt = _closed_form(np.zeros(1), np.array([b]), eps, target, design.noise)[0]
    else:
        gt = ground_truth_adversarial_risk(design.theta_star, eps, norm=p_attack, target=target,
                                           noise=design.noise)
    return risk_dict(path, design, eps, q, target, adv, gt)
