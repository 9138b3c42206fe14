"""What the linear estimators compute from one decomposition: the coefficients of chosen penalties,
predictions of rows left out of the fit (zero weights), the feature map of the kept components, the
conditioning checks, and the ``path_`` they expose.
"""

from __future__ import annotations

import math
import warnings

import numpy as np

from .._spectral import SpectralGram
from .._warnings import IllConditionedWarning
from ._base import Centred
from ._decompose import Decomposition

__all__ = ["coef_for", "feature_blocks", "outside_rows", "smallest_alpha", "warn_ill_conditioned"]


def coef_for(dec: Decomposition, X: np.ndarray, cen: Centred, alpha: np.ndarray) -> np.ndarray:
    """Slopes (p, k) of ``theta_t = argmin ||y_w,t - X_w theta||^2 + alpha_t ||theta||^2``, one penalty
    per target (``alpha`` (k,), 0 allowed: the minimum-norm solution), on the kept components."""
    spec = dec.spec
    st = spec.start
    F = 1.0 / (spec.s[st:, None] + alpha[None, :])
    W = dec.C[st:] * F
    if dec.side == "primal":
        return spec.U[:, st:] @ W
    return cen.xwt_times(X, spec.U[:, st:] @ W, orthogonal=dec.icpt == 1)


def feature_blocks(dec: Decomposition, X: np.ndarray, cen: Centred):
    """A callable yielding ``(j0, j1, P[j0:j1])``: the feature map of the kept components (dual
    ``X_w^T U``, over centred column blocks of X; primal the eigenvectors V), in blocks of features."""
    spec = dec.spec
    st = spec.start

    def blocks():
        if dec.side == "primal":
            V = spec.U[:, st:]
            b = max(64, (4 << 20) // (8 * max(1, V.shape[1])))
            for j0 in range(0, V.shape[0], b):
                yield j0, min(V.shape[0], j0 + b), V[j0:j0 + b]
        else:
            U = spec.U[:, st:]
            for j0, j1, Xb in cen.col_blocks(X):
                yield j0, j1, Xb.T @ U

    return blocks


def outside_rows(dec: Decomposition, X_fit: np.ndarray, cen: Centred, X_out: np.ndarray) -> np.ndarray:
    """``Z = (X_out - x_off) P`` (m, g_kept): rows outside the fit (zero weights) in the eigenbasis, so
    that their predictions are ``y_off + Z (F c)`` (:meth:`LeaveOneOut.fitted`)."""
    spec = dec.spec
    st = spec.start
    Xo = X_out - cen.x_off
    if dec.side == "primal":
        return Xo @ spec.U[:, st:]
    cross = np.zeros((Xo.shape[0], X_fit.shape[0]))
    for j0, j1, Xb in cen.col_blocks(X_fit):
        cross += Xo[:, j0:j1] @ Xb.T
    return cross @ spec.U[:, st:]


def conditioning(spec: SpectralGram, alpha_min: float) -> tuple[float, float] | None:
    """``(rel, cond)`` when the filter ``1 / (s_k + alpha)`` of the smallest kept eigenvalue is
    accurate only to ``rel > 100 sqrt(eps)`` relative at ``alpha_min`` (None when it is fine)."""
    if spec.rank == 0:
        return None
    s_k = float(spec.s[spec.start])
    eps = float(np.finfo(spec.dtype).eps)
    rel = eps * float(spec.s[-1]) / (s_k + max(alpha_min, 0.0))
    if rel > 100.0 * math.sqrt(eps):
        return rel, math.sqrt(float(spec.s[-1]) / s_k)
    return None


def warn_ill_conditioned(spec: SpectralGram, alpha_min: float, remedy: str, stacklevel: int = 3) -> None:
    """IllConditionedWarning when the Gram route cannot resolve the smallest kept eigenvalue at
    ``alpha_min`` (see :class:`fastrisk.RidgePath`), naming a ``remedy`` the caller can reach."""
    c = conditioning(spec, alpha_min)
    if c is None:
        return
    rel, cond = c
    warnings.warn(
        f"X is ill-conditioned for the Gram route (cond(X_w) ~ {cond:.2g}): at alpha = {alpha_min:.3g} "
        f"the filter of its smallest kept Gram eigenvalue is accurate only to {rel:.1e} relative, so the "
        f"fit no longer solves its equations to that accuracy; {remedy}", IllConditionedWarning,
        stacklevel=stacklevel)


def well_conditioned_alpha(spec: SpectralGram) -> float:
    """The smallest alpha at which :func:`conditioning` is fine: ``sqrt(eps) s_max / 100 - s_k``."""
    eps = float(np.finfo(spec.dtype).eps)
    return max(0.0, math.sqrt(eps) * float(spec.s[-1]) / 100.0 - float(spec.s[spec.start]))


#: Relative accuracy (against their root mean square) the leave-one-out errors keep for the penalties
#: :func:`smallest_alpha` admits.
LOO_RTOL = 1e-8


def smallest_alpha(dec: Decomposition) -> float:
    """The smallest penalty whose leave-one-out errors stay within ``LOO_RTOL`` (relative to their root
    mean square) when the rescaled design is rank deficient beyond the intercept (dual side, genuine
    null components, e.g. duplicated rows with different labels); 0 otherwise.

    In units of ``s_max``: a sample outside the null space of K picks up, from each null eigenvector,
    a rounding component of about ``gamma = eps / s_k`` (the eigenvector perturbation bound, ``s_k``
    the smallest kept eigenvalue). Its leave-one-out residual ``num_i / den_i`` has
    ``num_i = alpha c_i + O(gamma sum_null |z_j|)`` and ``den_i = alpha d_i + O(n_null gamma^2)``
    (``c = U_kept (z / s)``, ``d = (U_kept * U_kept) (1 / s)``, the ``alpha -> 0`` limits), so the
    errors are within ``LOO_RTOL`` of their root mean square ``r`` once
    ``alpha >= max(gamma sum_null |z_j| / (LOO_RTOL min_i d_i r), n_null gamma^2 / (LOO_RTOL min_i d_i))``.
    Below that the estimator refuses the penalty, naming this bound.
    """
    if dec.side != "dual" or dec.n_null == 0 or dec.rank == 0:
        return 0.0
    spec = dec.spec
    i0, n0 = dec.icpt, dec.n_null
    eps = float(np.finfo(spec.dtype).eps)
    s = spec.s_unit[i0 + n0:]
    gamma = eps / float(s[0])
    Un = spec.U[:, i0:i0 + n0]
    Uk = spec.U[:, i0 + n0:]
    out = (Un * Un).sum(axis=1) <= 1e4 * n0 * gamma * gamma  # samples outside the null space
    if not np.any(out):
        return 0.0
    d = (Uk[out] * Uk[out]) @ (1.0 / s)
    c = Uk[out] @ (dec.C[i0 + n0:] / s[:, None])  # (m, k)
    r = np.sqrt(np.mean((c / d[:, None]) ** 2, axis=0))  # (k,)
    znull = np.abs(dec.C[i0:i0 + n0]).sum(axis=0)  # (k,)
    dmin = float(d.min())
    with np.errstate(divide="ignore", invalid="ignore"):
        a1 = np.where(r > 0, gamma * znull / (LOO_RTOL * dmin * r), 0.0)
    a2 = n0 * gamma * gamma / (LOO_RTOL * dmin)
    return float(max(float(np.max(a1)), a2)) * spec.unit
