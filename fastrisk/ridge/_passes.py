"""Feature-space products of a path: ``theta_lam = B W[:, lam]`` against X, a design or new points.

The representation ``B`` is ``X^T U`` on the dual side and ``V`` on the primal side (see
:mod:`fastrisk.ridge`). Everything here is a product with ``B`` or ``B^T``: the coefficient slabs
of a blocked pass (never the whole (p, L) matrix), projections of feature-space vectors, of a few
columns, of new rows, and the two projections of a design that every risk needs.

Several targets (the k columns of Y): ``W[i, t, l] = c_it / (s_i + lam_l)`` shares the filter
``F[i, l] = 1 / (s_i + lam_l)`` across targets, so a product with W is one BLAS-3 product for all
targets while the (g, k, L) weights fit :data:`fastrisk.config.WEIGHTS_BYTES` (they are then held,
target-major: target t owns the columns ``t * L:(t + 1) * L`` of ``W.reshape(g, k * L)``), and
``F^T (c_t * P)`` target by target beyond it (the one (g, L) filter matrix shared by all of them).
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np

from .. import config
from ..kernels import filter_targets, residual_moments
from ..kernels._threads import threads_for
from ._features import block_cols
from ._targets import target_groups

__all__ = ["W", "A", "holds_weights", "weights", "filter_unit", "project", "project_cols", "project_rows",
           "design_projections", "slabs", "coef", "predict", "theta_cols", "residual_moments_on"]


def holds_weights(path, L: int | None = None) -> bool:
    """Whether the (g, k, L) weights are held: always for one target, for k targets while they fit
    :data:`fastrisk.config.WEIGHTS_BYTES`."""
    L = path.n_penalties if L is None else L
    return path.k == 1 or 8.0 * path.spec.dim * path.k * L <= config.WEIGHTS_BYTES


def weights(path, lam: np.ndarray, t0: int = 0, t1: int | None = None) -> np.ndarray:
    """``W[i, t, l] = c_it / (s_i + lam_l)`` for targets t0..t1 as (g, (t1 - t0) * L), target-major."""
    t1 = path.k if t1 is None else t1
    if t1 - t0 == 1:
        return path.spec.filter(lam, path._c[:, t0])
    sp = path.spec
    out = np.empty((sp.dim, t1 - t0, lam.shape[0]))
    with threads_for(out.size):
        filter_targets(sp.s_unit, sp.start, lam / sp.unit, np.ascontiguousarray(path._c[:, t0:t1] / sp.unit),
                       out)
    return out.reshape(sp.dim, -1)


def W(path) -> np.ndarray:
    """Spectral weights (g, k * L), cached (see :func:`holds_weights`); one target: (g, L)."""
    if path._W_cache is None:
        path._W_cache = weights(path, path.lam)
    return path._W_cache


def A(path) -> np.ndarray:
    """Dual side: ``A = U W`` (n, k * L), so that ``theta = X^T A``; cached."""
    if path._A_cache is None:
        path._A_cache = path.spec.U @ W(path)
    return path._A_cache


def filter_unit(path) -> np.ndarray:
    """``1 / (s' + lam')`` (g, L) in units of ``spec.unit`` (0 on null components), shared by all
    targets: ``W[:, t, :] = (c_t / unit) * filter_unit``; cached."""
    if path._F_cache is None:
        path._F_cache = path.spec.filter_unit(path.lam, np.ones(path.spec.dim))
    return path._F_cache


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


def _proj_key(design) -> bytes:
    return design.cov_key + design.theta_key


def design_projections(path, designs) -> tuple[np.ndarray, np.ndarray]:
    """``(B^T Sigma theta*, B^T theta*)`` as (g, u) for u designs sharing a covariance, from one pass
    over X for those not cached (cached per covariance and theta*, whatever the noise)."""
    keys = [_proj_key(d) for d in designs]
    cache = path._dproj_cache
    todo = [i for i, key in enumerate(keys) if key not in cache]
    if todo:
        V = np.empty((path.p, 2 * len(todo)))
        for j, i in enumerate(todo):
            V[:, 2 * j] = designs[i].cov_matvec(designs[i].theta_star)
            V[:, 2 * j + 1] = designs[i].theta_star
        H = project(path, V)
        for j, i in enumerate(todo):
            cache[keys[i]] = (H[:, 2 * j].copy(), H[:, 2 * j + 1].copy())
    path._dproj_cache = {key: cache[key] for key in keys}  # keep what this call uses
    return (np.stack([cache[key][0] for key in keys], axis=1),
            np.stack([cache[key][1] for key in keys], axis=1))


def _feature_rows(path, b: int) -> Iterator[tuple[int, int, np.ndarray]]:
    """Yield ``(j0, j1, P)`` with ``P = B^T`` restricted to features j0..j1, (g, j1 - j0) float64."""
    if path.side == "dual":
        U = path.spec.U
        for j0, j1, Xb in path.features.blocks("a feature-space pass", b):
            yield j0, j1, U.T @ Xb.astype(np.float64, copy=False)
    else:
        V = path.spec.U
        for j0 in range(0, path.p, b):
            j1 = min(path.p, j0 + b)
            yield j0, j1, V[j0:j1].T


def slabs(path, cols: np.ndarray | None = None) -> Iterator[tuple[int, int, int, int, np.ndarray]]:
    """Yield ``(j0, j1, t0, t1, T)``: ``T`` ((t1 - t0) * L', j1 - j0) float64 holds ``theta[j0:j1]``
    of targets t0..t1 (penalties ``cols``, L' of them) as rows, target-major (row ``(t - t0) * L' + l``).

    Held weights: one slab per feature block for all targets (``A^T X_b``, BLAS-3 over penalties and
    targets). Otherwise one per (feature block, target): ``F^T (c_t * B_b^T)`` with the shared filter F
    (the dual side first forms ``U^T X_b``: ``2 n^2 p`` more flops, small beside ``2 n p L k``).
    """
    Lc = path.n_penalties if cols is None else cols.size
    k = path.k
    dual = path.side == "dual"
    if dual:
        path.features.need("a feature-space pass")
    if holds_weights(path, Lc):
        if cols is None:
            Wm = W(path)
        elif holds_weights(path):  # the cached weights, restricted to the penalties asked for
            Wm = W(path).reshape(path.spec.dim, k, -1)[:, :, cols].reshape(path.spec.dim, -1)
        else:
            Wm = weights(path, path.lam[cols])
        # the slab is (k L', b) and, on the dual side, the X block (n, b) is converted to float64:
        # bound both by config.BLOCK_BYTES
        b = block_cols(max(k * Lc, path.n if dual else path.spec.dim))
        if dual:
            At = np.ascontiguousarray((A(path) if cols is None else path.spec.U @ Wm).T)
            for j0, j1, Xb in path.features.blocks("a feature-space pass", b):
                yield j0, j1, 0, k, At @ Xb.astype(np.float64, copy=False)
        else:
            Wt = np.ascontiguousarray(Wm.T)
            V = path.spec.U
            for j0 in range(0, path.p, b):
                j1 = min(path.p, j0 + b)
                yield j0, j1, 0, k, Wt @ V[j0:j1].T
        return
    Ft = np.ascontiguousarray((filter_unit(path) if cols is None else filter_unit(path)[:, cols]).T)
    cs = path._c / path.spec.unit
    b = block_cols(max(Lc, path.n if dual else path.spec.dim))
    for j0, j1, P in _feature_rows(path, b):
        for t in range(k):
            yield j0, j1, t, t + 1, Ft @ (cs[:, t, None] * P)


def coef(path, cols: np.ndarray | None) -> np.ndarray:
    """The coefficients ``theta[:, cols, :]`` (p, L', k), assembled from the slabs."""
    Lc = path.n_penalties if cols is None else cols.size
    if path.side == "dual":
        path.features.need("coef")
    out = np.empty((path.p, Lc, path.k))
    for j0, j1, t0, t1, T in slabs(path, cols):
        out[j0:j1, :, t0:t1] = T.reshape(t1 - t0, Lc, j1 - j0).transpose(2, 1, 0)
    return out


def predict(path, X_new: np.ndarray) -> np.ndarray:
    """``X_new @ theta`` for every penalty and target, (m, L, k)."""
    T = project_rows(path, X_new)
    m, L, k = X_new.shape[0], path.n_penalties, path.k
    if k == 1:
        return (T.T @ W(path))[:, :, None]
    if holds_weights(path):
        return np.ascontiguousarray((T.T @ W(path)).reshape(m, k, L).transpose(0, 2, 1))
    F = filter_unit(path)
    cs = path._c / path.spec.unit
    out = np.empty((m, L, k))
    for t in range(k):
        out[:, :, t] = (cs[:, t, None] * T).T @ F
    return out


def theta_cols(path, PS: np.ndarray) -> Iterator[tuple[int, int, np.ndarray]]:
    """Yield ``(t0, t1, thS)``, ``thS[s, t, l] = theta_{l, t0 + t}[S_s]`` (|S|, t1 - t0, L), from
    ``PS = B^T E_S`` (:func:`project_cols`): the coefficients of a few features, every penalty and
    target, one BLAS-3 product per group of targets."""
    S, L, k = PS.shape[1], path.n_penalties, path.k
    if holds_weights(path):
        yield 0, k, (PS.T @ W(path)).reshape(S, k, L)
        return
    F = filter_unit(path)
    cs = path._c / path.spec.unit
    g = path.spec.dim
    for t0, t1 in target_groups(k, 8.0 * S * (L + g)):
        M = (PS[:, :, None] * cs[:, None, t0:t1]).reshape(g, -1)  # (g, |S| tb)
        yield t0, t1, (M.T @ F).reshape(S, t1 - t0, L)


def residual_moments_on(path, X_test: np.ndarray, Y_test: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``(mean_j r_jlt^2, mean_j |r_jlt|)`` (L, k) for residuals ``r = Y_test[:, t] - X_test theta_lt``
    (Y_test (m, k)), one slab of test points at a time (never an (m, L) array)."""
    m = X_test.shape[0]
    L, k = path.n_penalties, path.k
    held = holds_weights(path)
    if held:
        Wt = np.ascontiguousarray(W(path).T)  # (k L, g)
    else:
        Ft = np.ascontiguousarray(filter_unit(path).T)
        cs = path._c / path.spec.unit
    Yt = np.ascontiguousarray(Y_test.T)  # (k, m): each target's labels contiguous
    acc_abs = np.zeros((k, L))
    acc_sq = np.zeros((k, L))
    mb = max(64, config.BLOCK_BYTES // (8 * max(k * L if held else L, path.spec.dim)))
    for i0 in range(0, m, mb):
        T = project_rows(path, X_test[i0:i0 + mb])
        P = np.ascontiguousarray(Wt @ T) if held else None
        for t in range(k):
            Pt = P[t * L:(t + 1) * L] if P is not None else Ft @ (cs[:, t, None] * T)
            with threads_for(Pt.size):
                residual_moments(Pt, Yt[t, i0:i0 + mb], acc_abs[t], acc_sq[t])
    return (acc_sq / m).T, (acc_abs / m).T
