"""theta* in the coordinates of a path: the error coordinates that keep risks accurate near theta*.

``theta_lam - theta* = B e_lam - r`` with ``P theta* = B zeta`` (P: projection on the span of the kept
components of B), ``e_lam = W_lam - zeta = (delta - lam zeta) / (s + lam)``, ``delta = c - s zeta``
(dual: ``U^T (y - X theta*)``; primal: ``V^T X^T (y - X theta*)``), and ``r = (I - P) theta*``,
independent of the penalty. Forming e from delta and zeta never subtracts two numbers of the size of
theta*, so the risk keeps its relative accuracy however close theta_lam comes to theta*.

Several targets: zeta, the remainder and the projections depend on theta* alone, so they are held per
*group* of targets sharing a theta* (u of them, see :mod:`fastrisk.ridge._targets`); delta, which
involves the target's right-hand side, per target (k of them); ``idx`` maps a target to its group.
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

    zeta: np.ndarray  # (g, u) P theta* = B_hat zeta (dual: root * z*/s on kept; primal: V^T theta*)
    delta: np.ndarray  # (g, k) c_hat - s' zeta on kept components, 0 on null ones
    h1: np.ndarray  # (g, u) B_hat^T Sigma theta*
    tst: np.ndarray  # (u,) theta*^T Sigma theta*
    tt: np.ndarray  # (u,) ||theta*||^2 (nan when unknown)
    idx: np.ndarray  # (k,) the group (theta*) of each target
    designs: list | None  # the u GaussianDesigns, to form the remainder explicitly when needed
    ts: np.ndarray | None = None  # (p, u) theta* itself when known without designs (primal side)
    explicit_r: np.ndarray | bool = False  # per group (u,): set by remainder() where it formed r explicitly

    def thetas(self) -> np.ndarray:
        """theta* of every group, (p, u)."""
        if self.ts is not None:
            return self.ts
        assert self.designs is not None  # theta* is known one way or the other
        return np.stack([d.theta_star for d in self.designs], axis=1)


def truth(path, targets) -> Truth:
    """theta* of every target against ``path`` (one projection pass, cached per theta*)."""
    h1, zs = design_projections(path, targets.groups)
    tst = np.array([d.sigma_norm_sq(d.theta_star) for d in targets.groups])
    tt = np.array([float(d.theta_star @ d.theta_star) for d in targets.groups])
    return truth_from(path, h1, zs, tst, tt, targets.idx, targets.groups)


def truth_from(path, h1, zs, tst, tt, idx, designs=None) -> Truth:
    """From ``h1 = B^T Sigma theta*`` and ``zs = B^T theta*`` (original units, (g, u) each)."""
    sp = path.spec
    st = sp.start
    u = zs.shape[1]
    zeta = np.zeros((sp.dim, u))
    delta = np.zeros((sp.dim, path.k))
    if path.side == "dual":  # zeta = z*/s, hat units: root * zeta
        zeta[st:] = (zs[st:] / sp.root) / sp.s_unit[st:, None]
        delta[st:] = (path._c[st:] - zs[st:][:, idx]) / sp.root
    else:  # zeta = V^T theta* on every component; the null ones are the remainder r
        zeta[:] = zs
        delta[st:] = path._chat[st:] - sp.s_unit[st:, None] * zs[st:][:, idx]
    return Truth(zeta, delta, h1 / path._nu, np.asarray(tst, dtype=np.float64),
                 np.asarray(tt, dtype=np.float64), np.asarray(idx), designs)


def error_weights(path, tr: Truth, t0: int = 0, t1: int | None = None) -> np.ndarray:
    """``E = nu * (W - zeta)`` (g, t1 - t0, L) for targets t0..t1 on the kept components, 0 on the
    null ones."""
    sp = path.spec
    st = sp.start
    t1 = path.k if t1 is None else t1
    lamu = path.lam / sp.unit
    E = np.zeros((sp.dim, t1 - t0, path.n_penalties))
    Z = tr.zeta[st:][:, tr.idx[t0:t1]]
    E[st:] = ((tr.delta[st:, t0:t1, None] - Z[:, :, None] * lamu)
              / (sp.s_unit[st:, None, None] + lamu))
    return E


def m_times(path, KSh: np.ndarray, v: np.ndarray) -> np.ndarray:
    """``M_hat v`` with ``M_hat = U^T KSh U`` (the Sigma-Gram in the eigenbasis, hat units)."""
    U = path.spec.U
    return U.T @ sigma_times(KSh, U @ v)


def remainder(path, tr: Truth, KSh: np.ndarray | None = None
              ) -> tuple[np.ndarray, np.ndarray, np.ndarray | None, np.ndarray | None]:
    """``(||r||^2, r^T Sigma r, B_hat^T Sigma r, B_hat^T r)`` per group, shapes (u,), (u,), (g, u),
    (g, u), for ``r = (I - P) theta*`` (the middle two only with ``KSh``, on the dual side; the last
    only when some r is formed explicitly (zero for the groups whose r is not), else r is orthogonal
    to B up to rounding and it is None).

    Primal: r lies on the null components, ``||r||^2 = sum zeta_null^2`` exactly. Dual: the
    closed forms ``||theta*||^2 - ||P theta*||^2`` (and its Sigma twin) lose digits when theta*
    lies almost in the row space of X; then r is formed explicitly by one pass over X.
    """
    st = path.spec.start
    u = tr.zeta.shape[1]
    nan = np.full(u, math.nan)
    if path.side == "primal" and path._complete:
        zn = tr.zeta[:st]
        return np.einsum("iu,iu->u", zn, zn), nan, None, None
    if path.side == "primal":  # V (p, g) spans part of R^p (method="svd", n < p): r explicitly, O(pg)
        tr.explicit_r = np.ones(u, dtype=bool)
        U = path.spec.U
        r = tr.thetas() - U[:, st:] @ tr.zeta[st:]
        rr = np.einsum("pu,pu->u", r, r)
        if KSh is None:
            return rr, nan, None, U.T @ r
        sr = sigma_times(KSh, r)
        return rr, np.maximum(np.einsum("pu,pu->u", r, sr), 0.0), U.T @ sr, None
    z = tr.zeta
    rr = tr.tt - path._dhat[st:] @ (z[st:] * z[st:])
    rsr, gr, br = nan, None, None
    if KSh is not None:
        Mz = m_times(path, KSh, z)
        rsr = tr.tst - 2.0 * np.einsum("iu,iu->u", z, tr.h1) + np.einsum("iu,iu->u", z, Mz)
        gr = tr.h1 - Mz
    small = rr < REMAINDER_RTOL * tr.tt
    if KSh is not None:
        small |= rsr < REMAINDER_RTOL * tr.tst
    sel = np.flatnonzero(small)
    if sel.size and tr.designs is not None and path.features.available:
        # A few passes over X, paid only when theta* lies (almost) in the row space. P theta* is
        # formed with the computed eigenvalues, so r keeps a row-space part of the size of their
        # error (eps * cond(X X^T) * ||theta*||): carry its products with B instead of assuming
        # r orthogonal to B.
        tr.explicit_r = np.isin(np.arange(u), sel)
        f = path.features
        U = path.spec.U
        ts = np.stack([tr.designs[j].theta_star for j in sel], axis=1)
        r = ts - f.xt_times(U @ z[:, sel]) / path.spec.root
        rr = rr.copy()
        rr[sel] = np.einsum("pu,pu->u", r, r)
        if KSh is not None:
            assert gr is not None  # formed above with KSh
            sr = sigma_times(tr.designs[0].cov, r)
            rsr = rsr.copy()
            rsr[sel] = np.einsum("pu,pu->u", r, sr)
            gr[:, sel] = U.T @ f.x_times(sr) / path.spec.root
        else:
            br = np.zeros_like(z)
            br[:, sel] = U.T @ f.x_times(r) / path.spec.root
    return np.maximum(rr, 0.0), np.maximum(rsr, 0.0), gr, br
