"""Norms of the coefficients along the path and the dual norm an attack sees.

``||theta_lam||_2`` is spectral, ``sum_i d_i c_i^2 / (s_i + lam)^2`` (O(g) per penalty). Other l_q
norms take one blocked pass over the features (a BLAS slab and the fused Numba reduction
:func:`fastrisk.kernels.reduce_coef_block`), never holding the (p, L) coefficients; that pass can
fold the Sigma-weighted standard risk in as well (the "pass" route of :mod:`fastrisk.ridge._routes`).
The low-rank route (:mod:`fastrisk._lowrank`) replaces the exact pass where it is cheaper.
"""

from __future__ import annotations

import math

import numpy as np

from ..kernels import finish_norms, reduce_coef_block
from ..kernels._threads import threads_for
from ._passes import slabs
from ._truth import error_weights, remainder, truth

__all__ = ["ensure_norms", "dual_norm"]


def ensure_norms(path, qs, sigma=None, tstar=None):
    """Compute the missing norms ``qs`` into ``path._norms`` in one pass; with ``sigma`` (and
    ``tstar``) fold ``sum_j sigma_j (theta_j - theta*_j)^2`` into the same pass and return it."""
    norms = path._norms
    if 2.0 in qs and 2.0 not in norms:
        _, o2 = path.spec.sums_unit(path.lam, a2=path._dhat * path._chat**2)
        norms[2.0] = np.sqrt(np.maximum(o2[0], 0.0))
    todo = np.array(sorted({q for q in qs if q not in norms}), dtype=np.float64)
    if todo.size == 0 and sigma is None:
        return None
    if sigma is None and path._lowrank_norms(todo):
        return None
    L = path.n_penalties
    acc = np.zeros((todo.size, L))
    scale = np.zeros((todo.size, L))
    acc_sig = np.zeros(L)
    use_sig = sigma is not None
    dummy = np.zeros(0)
    for j0, j1, T in slabs(path):
        with threads_for(T.size * (todo.size + use_sig)):
            reduce_coef_block(T, sigma[j0:j1] if use_sig else dummy,
                              tstar[j0:j1] if use_sig else dummy, use_sig, todo, acc, scale, acc_sig)
    for q, v in zip(todo, finish_norms(todo, acc, scale), strict=True):
        norms[float(q)] = v
    return acc_sig if use_sig else None


def dual_norm(path, design, q: float, target: str) -> np.ndarray:
    """The norm the attack sees: ``||theta_lam||_q``, or for ``"consistent"`` the l2 norm of theta
    projected off theta*."""
    ensure_norms(path, [q])
    b = path._norms[q]
    if target != "consistent":
        return b
    ts = design.theta_star
    if not np.any(ts):
        return b
    # ||theta_perp||^2 = (|omega wedge y|^2 + ||r||^2 ||theta||^2) / ||theta*||^2 with y = P theta*,
    # r = theta* - y and omega either theta or theta - y (whichever is shorter), both in the
    # orthonormal coordinates sqrt(d) * (hat weights); one Gram-Schmidt step against y makes
    # |omega wedge y| free of the cancellation of ||theta||^2 - (theta^T u)^2.
    tr = truth(path, design)
    rr, _, _, br = remainder(path, tr)
    sq = np.sqrt(np.maximum(path._dhat, 0.0))  # null eigenvalues may be -0 or tiny negative
    st = path.spec.start
    y = np.zeros_like(sq)
    y[st:] = sq[st:] * tr.zeta[st:]
    rho = np.zeros_like(sq)
    if br is not None:  # the row-space part of an explicitly formed r moves into y
        rho[st:] = br[st:] / sq[st:]
        y += rho
        rr = max(rr - float(rho @ rho), 0.0)
    yy = float(y @ y)
    if yy == 0.0:
        return b
    u = y / math.sqrt(yy)
    Xh = sq[:, None] * path.spec.filter_unit(path.lam, path._chat)
    Om = sq[:, None] * error_weights(path, tr) - rho[:, None]
    use_err = np.einsum("il,il->l", Om, Om) < np.einsum("il,il->l", Xh, Xh)
    Om = np.where(use_err[None, :], Om, Xh)
    Om -= u[:, None] * (u @ Om)[None, :]
    perp2 = np.maximum(np.einsum("il,il->l", Om, Om) - (u @ Om) ** 2, 0.0)
    tot = yy + rr
    return np.sqrt(perp2 * (yy / tot) + b**2 * (rr / tot))
