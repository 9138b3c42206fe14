"""Norms of the coefficients along the path and the dual norm an attack sees.

``||theta_lam||_2`` is spectral, ``sum_i d_i c_i^2 / (s_i + lam)^2`` (O(g) per penalty and target,
:func:`fastrisk.kernels.error_sums`). Other l_q norms take one blocked pass over the features (a BLAS
slab and the fused Numba reduction :func:`fastrisk.kernels.reduce_coef_block`), never holding the
(p, L) coefficients; that pass can fold the Sigma-weighted standard risk in as well (the "pass" route
of :mod:`fastrisk.ridge._routes`). The low-rank route (:mod:`fastrisk._lowrank`) replaces the exact
pass where it is cheaper. Every result is (L, k): one column per target.
"""

from __future__ import annotations

import numpy as np

from ..kernels import error_sums, filter_targets, finish_norms, reduce_coef_block
from ..kernels._threads import threads_for
from ._passes import filter_unit, slabs
from ._targets import target_groups
from ._truth import error_weights, remainder, truth

__all__ = ["ensure_norms", "dual_norm", "error_sum_terms", "norm2_sq"]

_NONE = np.zeros((0, 0))


def error_sum_terms(path, delta: np.ndarray, zeta: np.ndarray, w: np.ndarray, v: np.ndarray | None
                    ) -> tuple[np.ndarray, np.ndarray]:
    """``(sum_i w_i e_ilt^2, sum_i v_it e_ilt)`` (L, k) for ``e = (delta - zeta lam') / (s' + lam')``
    in hat units (delta, zeta, v: (g, k)); the second is zero without v.

    One target: e as a (g, L) array and two NumPy reductions (no kernel for a one-target path to
    compile on its first run); k targets: the fused kernel, never an (g, L, k) array."""
    sp = path.spec
    L, k = path.n_penalties, delta.shape[1]
    if k == 1:
        st = sp.start
        lamu = path.lam / sp.unit
        E = np.zeros((sp.dim, L))
        E[st:] = (delta[st:, :1] - zeta[st:, :1] * lamu) / (sp.s_unit[st:, None] + lamu)
        lin = np.zeros((L, 1)) if v is None else (v[:, 0] @ E)[:, None]
        return np.einsum("il,il->l", E, E * w[:, None])[:, None], lin
    out_sq = np.empty((L, k))
    out_lin = np.zeros((L, k))
    with threads_for(L * sp.dim * k):
        error_sums(sp.s_unit, sp.start, path.lam / sp.unit, np.ascontiguousarray(delta),
                   np.ascontiguousarray(zeta), np.ascontiguousarray(w, dtype=np.float64),
                   _NONE if v is None else np.ascontiguousarray(v), v is not None, out_sq, out_lin)
    return out_sq, out_lin


def norm2_sq(path) -> np.ndarray:
    """``||theta_lt||_2^2`` (L, k): ``sum_i d_i c_it^2 / (s_i + lam_l)^2`` in hat units. A sum of
    non-negative terms: for several targets one (L, g) by (g, k) product with the squared filter."""
    a2 = path._dhat[:, None] * path._chat**2  # (g, k)
    if path.k == 1:
        return path.spec.sums_unit(path.lam, a2=a2[:, 0])[1].T
    F = filter_unit(path)
    return (F * F).T @ a2


def ensure_norms(path, qs, sigma=None, targets=None):
    """Compute the missing norms ``qs`` into ``path._norms`` ((L, k) each) in one pass; with ``sigma``
    (and ``targets``, whose theta* each target is measured against) fold
    ``sum_j sigma_j (theta_jt - theta*_jt)^2`` into the same pass and return it, (L, k)."""
    norms = path._norms
    if 2.0 in qs and 2.0 not in norms:
        norms[2.0] = np.sqrt(np.maximum(norm2_sq(path), 0.0))
    todo = np.array(sorted({q for q in qs if q not in norms}), dtype=np.float64)
    if todo.size == 0 and sigma is None:
        return None
    if sigma is None and path._lowrank_norms(todo):
        return None
    L, k = path.n_penalties, path.k
    acc = np.zeros((k, todo.size, L))
    scale = np.zeros((k, todo.size, L))
    acc_sig = np.zeros((k, L))
    use_sig = sigma is not None
    dummy = np.zeros(0)
    for j0, j1, t0, t1, T in slabs(path):
        sg = sigma[j0:j1] if use_sig else dummy
        for t in range(t0, t1):
            Tt = T[(t - t0) * L:(t - t0 + 1) * L]
            ts = targets.theta_star(t)[j0:j1] if use_sig else dummy
            with threads_for(Tt.size * (todo.size + use_sig)):
                reduce_coef_block(Tt, sg, ts, use_sig, todo, acc[t], scale[t], acc_sig[t])
    if todo.size:
        done = np.stack([finish_norms(todo, acc[t], scale[t]) for t in range(k)], axis=2)  # (nq, L, k)
        for q, v in zip(todo, done, strict=True):
            norms[float(q)] = np.ascontiguousarray(v)
    return np.ascontiguousarray(acc_sig.T) if use_sig else None


def dual_norm(path, targets, q: float, target: str) -> np.ndarray:
    """The norm the attack sees, (L, k): ``||theta_lam||_q``, or for ``"consistent"`` the l2 norm of
    theta projected off each target's theta*."""
    ensure_norms(path, [q])
    b = path._norms[q]
    if target != "consistent":
        return b
    # ||theta_perp||^2 = (|omega wedge y|^2 + ||r||^2 ||theta||^2) / ||theta*||^2 with y = P theta*,
    # r = theta* - y and omega either theta or theta - y (whichever is shorter), both in the
    # orthonormal coordinates sqrt(d) * (hat weights); one Gram-Schmidt step against y makes
    # |omega wedge y| free of the cancellation of ||theta||^2 - (theta^T u)^2.
    tr = truth(path, targets)
    rr, _, _, br = remainder(path, tr)
    sp = path.spec
    sq = np.sqrt(np.maximum(path._dhat, 0.0))  # null eigenvalues may be -0 or tiny negative
    st = sp.start
    Y = np.zeros_like(tr.zeta)
    Y[st:] = sq[st:, None] * tr.zeta[st:]
    rho = np.zeros_like(tr.zeta)
    if br is not None:  # the row-space part of an explicitly formed r moves into y
        rho[st:] = br[st:] / sq[st:, None]
        Y += rho
        rr = np.maximum(rr - np.einsum("iu,iu->u", rho, rho), 0.0)
    yy = np.einsum("iu,iu->u", Y, Y)
    out = b.copy()
    lamu = path.lam / sp.unit
    L = path.n_penalties
    for t0, t1 in target_groups(path.k, 8.0 * 4 * sp.dim * L):
        ids = tr.idx[t0:t1]
        on = yy[ids] > 0.0  # theta* = 0, or no part of it in the row space: the l2 norm itself
        if not np.any(on):
            continue
        u = Y[:, ids] / np.sqrt(np.where(on, yy[ids], 1.0))  # (g, tb)
        if t1 - t0 == 1:
            Xh = sp.filter_unit(path.lam, path._chat[:, t0])[:, None, :]
        else:
            Xh = np.empty((sp.dim, t1 - t0, L))
            with threads_for(Xh.size):
                filter_targets(sp.s_unit, st, lamu, np.ascontiguousarray(path._chat[:, t0:t1]), Xh)
        Xh *= sq[:, None, None]
        Om = sq[:, None, None] * error_weights(path, tr, t0, t1) - rho[:, ids, None]
        use_err = np.einsum("itl,itl->tl", Om, Om) < np.einsum("itl,itl->tl", Xh, Xh)
        Om = np.where(use_err[None], Om, Xh)
        Om -= u[:, :, None] * np.einsum("it,itl->tl", u, Om)[None]
        perp2 = np.maximum(np.einsum("itl,itl->tl", Om, Om) - np.einsum("it,itl->tl", u, Om) ** 2, 0.0)
        tot = (yy + rr)[ids]
        frac_y = np.where(on, yy[ids] / np.where(on, tot, 1.0), 0.0)
        frac_r = np.where(on, rr[ids] / np.where(on, tot, 1.0), 1.0)
        out[:, t0:t1] = np.sqrt(perp2.T * frac_y + b[:, t0:t1] ** 2 * frac_r)
    return out
