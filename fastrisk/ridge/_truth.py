"""theta* in the coordinates of a path: the error coordinates that keep risks accurate near theta*.

``theta_lam - theta* = B e_lam - r`` with ``P theta* = B zeta`` (P: projection on the span of the kept
components of B), ``e_lam = W_lam - zeta = (delta - lam zeta) / (s + lam)``, ``delta = c - s zeta``
(dual: ``U^T (y - X theta*)``; primal: ``V^T X^T (y - X theta*)``), and ``r = (I - P) theta*``,
independent of the penalty. Forming e from delta and zeta never subtracts two numbers of the size of
theta*, so the risk keeps its relative accuracy however close theta_lam comes to theta*.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from ._features import sigma_times
from ._passes import design_projections

__all__ = ["Truth", "truth", "truth_from", "error_weights", "remainder", "m_times", "REMAINDER_RTOL"]

#: On the dual side, the remainder ``r = (I - P) theta*`` is formed explicitly (one pass over X)
#: when its closed form ``||theta*||^2 - ||P theta*||^2`` falls below this fraction of ``||theta*||^2``
#: (the closed form's absolute error is about ``1e-16 ||theta*||^2``).
REMAINDER_RTOL = 1e-6


@dataclass
class Truth:
    """theta* in the coordinates of a path (hat units, see :mod:`fastrisk.ridge._build`)."""

    zeta: np.ndarray  # (g,) P theta* = B_hat zeta (dual: root * z*/s on kept; primal: V^T theta*)
    delta: np.ndarray  # (g,) c_hat - s' zeta on kept components, 0 on null ones
    h1: np.ndarray  # (g,) B_hat^T Sigma theta*
    tst: float  # theta*^T Sigma theta*
    tt: float  # ||theta*||^2 (nan when unknown)
    design: object | None  # the GaussianDesign, to form the remainder explicitly when needed
    ts: np.ndarray | None = None  # theta* itself when known (primal side)


def truth(path, design) -> Truth:
    """theta* of ``design`` against ``path`` (one projection pass, cached per design)."""
    h1, zs = design_projections(path, design)
    ts = design.theta_star
    return truth_from(path, h1, zs, design.sigma_norm_sq(ts), float(ts @ ts), design)


def truth_from(path, h1, zs, tst, tt, design=None) -> Truth:
    """From ``h1 = B^T Sigma theta*`` and ``zs = B^T theta*`` (original units)."""
    sp = path.spec
    st = sp.start
    zeta = np.zeros(sp.dim)
    delta = np.zeros(sp.dim)
    if path.side == "dual":  # zeta = z*/s, hat units: root * zeta
        zeta[st:] = (zs[st:] / sp.root) / sp.s_unit[st:]
        delta[st:] = (path._c[st:] - zs[st:]) / sp.root
    else:  # zeta = V^T theta* on every component; the null ones are the remainder r
        zeta[:] = zs
        delta[st:] = path._chat[st:] - sp.s_unit[st:] * zs[st:]
    return Truth(zeta, delta, h1 / path._nu, float(tst), float(tt), design,
                 None if design is None else design.theta_star)


def error_weights(path, tr: Truth) -> np.ndarray:
    """``E = nu * (W - zeta)`` (g, L) on the kept components, 0 on the null ones."""
    sp = path.spec
    st = sp.start
    lamu = path.lam / sp.unit
    E = np.zeros((sp.dim, path.n_penalties))
    E[st:] = (tr.delta[st:, None] - tr.zeta[st:, None] * lamu) / (sp.s_unit[st:, None] + lamu)
    return E


def m_times(path, KSh: np.ndarray, v: np.ndarray) -> np.ndarray:
    """``M_hat v`` with ``M_hat = U^T KSh U`` (the Sigma-Gram in the eigenbasis, hat units)."""
    U = path.spec.U
    return U.T @ sigma_times(KSh, U @ v)


def remainder(path, tr: Truth, KSh: np.ndarray | None = None
              ) -> tuple[float, float, np.ndarray | None, np.ndarray | None]:
    """``(||r||^2, r^T Sigma r, B_hat^T Sigma r, B_hat^T r)`` for ``r = (I - P) theta*`` (the
    middle two only with ``KSh``, on the dual side; the last only when r is formed explicitly,
    else r is orthogonal to B up to rounding and it is None).

    Primal: r lies on the null components, ``||r||^2 = sum zeta_null^2`` exactly. Dual: the
    closed forms ``||theta*||^2 - ||P theta*||^2`` (and its Sigma twin) lose digits when theta*
    lies almost in the row space of X; then r is formed explicitly by one pass over X.
    """
    st = path.spec.start
    if path.side == "primal" and path._complete:
        return float(tr.zeta[:st] @ tr.zeta[:st]), math.nan, None, None
    if path.side == "primal":  # V (p, g) spans part of R^p (method="svd", n < p): r explicitly, O(pg)
        U = path.spec.U
        r = tr.ts - U[:, st:] @ tr.zeta[st:]
        if KSh is None:
            return float(r @ r), math.nan, None, U.T @ r
        sr = sigma_times(KSh, r)
        return float(r @ r), max(float(r @ sr), 0.0), U.T @ sr, None
    z = tr.zeta
    rr = tr.tt - float(path._dhat[st:] @ (z[st:] * z[st:]))
    rsr, gr, br = math.nan, None, None
    if KSh is not None:
        Mz = m_times(path, KSh, z)
        rsr = tr.tst - 2.0 * float(z @ tr.h1) + float(z @ Mz)
        gr = tr.h1 - Mz
    small = rr < REMAINDER_RTOL * tr.tt or (KSh is not None and rsr < REMAINDER_RTOL * tr.tst)
    if small and tr.design is not None and path.features.available:
        # A few passes over X, paid only when theta* lies (almost) in the row space. P theta* is
        # formed with the computed eigenvalues, so r keeps a row-space part of the size of their
        # error (eps * cond(X X^T) * ||theta*||): carry its products with B instead of assuming
        # r orthogonal to B.
        f = path.features
        r = tr.design.theta_star - f.xt_times(path.spec.U @ z) / path.spec.root
        rr = float(r @ r)
        if KSh is not None:
            sr = tr.design.cov_matvec(r)
            rsr = float(r @ sr)
            gr = path.spec.U.T @ f.x_times(sr) / path.spec.root
        else:
            br = path.spec.U.T @ f.x_times(r) / path.spec.root
    return max(rr, 0.0), max(rsr, 0.0), gr, br
