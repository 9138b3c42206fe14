"""Feature-space products of a path: ``theta_lam = B W[:, lam]`` against X, a design or new points.

The representation ``B`` is ``X^T U`` on the dual side and ``V`` on the primal side (see
:mod:`fastrisk.ridge`). Everything here is a product with ``B`` or ``B^T``: the coefficient slabs
of a blocked pass (never the whole (p, L) matrix), projections of feature-space vectors, of a few
columns, of new rows, and the two projections of a design that every risk needs.
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np

from .. import config
from ..kernels import residual_moments
from ..kernels._threads import threads_for
from ._features import block_cols

__all__ = ["W", "A", "project", "project_cols", "project_rows", "design_projections", "slabs", "coef",
           "residual_moments_on"]


def W(path) -> np.ndarray:
    """Spectral weights ``W[i, l] = c_i / (s_i + lam_l)`` (g, L), cached."""
    if path._W_cache is None:
        path._W_cache = path.spec.filter(path.lam, path._c)
    return path._W_cache


def A(path) -> np.ndarray:
    """Dual side: ``A = U W`` (n, L), so that ``theta = X^T A``; cached."""
    if path._A_cache is None:
        path._A_cache = path.spec.U @ W(path)
    return path._A_cache


def project(path, V: np.ndarray) -> np.ndarray:
    """``B^T V`` for feature-space vectors V (p,) or (p, k): dual ``U^T X V``, primal ``V_eig^T V``."""
    if path.side == "dual":
        return path.spec.U.T @ path.features.x_times(V)
    return path.spec.U.T @ V


def project_cols(path, S: np.ndarray) -> np.ndarray:
    """``B^T E_S`` (g, k): the representation restricted to features S."""
    if path.side == "dual":
        cached = path._cols_cache
        if path.features.X is None and cached is not None and np.array_equal(cached[0], S):
            XS = cached[1]
        else:
            XS = path.features.cols(S, "the standard risk")
        return path.spec.U.T @ XS
    return np.ascontiguousarray(path.spec.U[S].T)


def project_rows(path, X_new: np.ndarray) -> np.ndarray:
    """``B^T X_new^T`` (g, m) in float64."""
    if path.side == "dual":
        return path.spec.U.T @ path.features.times_rows(X_new)
    return path.spec.U.T @ X_new.T.astype(np.float64, copy=False)


def design_projections(path, design) -> tuple[np.ndarray, np.ndarray]:
    """``(B^T Sigma theta*, B^T theta*)`` for a design, from one pass over X, cached per design value."""
    hit = path._dproj_cache.get(design.key)
    if hit is not None:
        return hit
    V = np.stack([design.cov_matvec(design.theta_star), design.theta_star], axis=1)
    H = project(path, V)
    hit = (H[:, 0].copy(), H[:, 1].copy())
    path._dproj_cache = {design.key: hit}
    return hit


def slabs(path, cols: np.ndarray | None = None) -> Iterator[tuple[int, int, np.ndarray]]:
    """Yield ``(j0, j1, T)`` with ``T = theta[j0:j1, cols].T`` of shape (L', j1 - j0), float64."""
    Wm = W(path) if cols is None else W(path)[:, cols]
    L = Wm.shape[1]
    # the slab is (L, b) and, on the dual side, the X block (n, b) is converted to float64:
    # bound both by config.BLOCK_BYTES
    b = block_cols(max(L, path.n if path.side == "dual" else path.spec.dim))
    if path.side == "dual":
        path.features.need("a feature-space pass")
        At = np.ascontiguousarray((A(path) if cols is None else path.spec.U @ Wm).T)
        for j0, j1, Xb in path.features.blocks("a feature-space pass", b):
            yield j0, j1, At @ Xb.astype(np.float64, copy=False)
    else:
        Wt = np.ascontiguousarray(Wm.T)
        V = path.spec.U
        for j0 in range(0, path.p, b):
            j1 = min(path.p, j0 + b)
            yield j0, j1, Wt @ V[j0:j1].T


def coef(path, cols: np.ndarray | None) -> np.ndarray:
    """The coefficients ``theta[:, cols]`` (p, k), assembled from the slabs."""
    k = path.n_penalties if cols is None else cols.size
    if path.side == "dual":
        path.features.need("coef")
    out = np.empty((path.p, k))
    for j0, j1, T in slabs(path, cols):
        out[j0:j1] = T.T
    return out


def residual_moments_on(path, X_test: np.ndarray, y_test: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``(mean_j r_jl^2, mean_j |r_jl|)`` per penalty for residuals ``r = y_test - X_test theta_l``,
    one slab of test points at a time (never an (m, L) array)."""
    m = X_test.shape[0]
    L = path.n_penalties
    Wt = np.ascontiguousarray(W(path).T)
    acc_abs = np.zeros(L)
    acc_sq = np.zeros(L)
    mb = max(64, config.BLOCK_BYTES // (8 * max(L, path.spec.dim)))
    for i0 in range(0, m, mb):
        T = project_rows(path, X_test[i0:i0 + mb])
        P = np.ascontiguousarray(Wt @ T)
        with threads_for(P.size):
            residual_moments(P, y_test[i0:i0 + mb], acc_abs, acc_sq)
    return acc_sq / m, acc_abs / m
