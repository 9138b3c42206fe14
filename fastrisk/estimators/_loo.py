"""Exact leave-one-out (and GCV) errors of ridge regression for every penalty at once.

For a linear smoother ``y_hat = H y`` from penalised least squares, the leave-one-out residual is
``e_i = r_i / (1 - H_ii)`` with ``r = y - H y`` (Allen 1974; Golub, Heath & Wahba 1979). For ridge on
the rescaled problem ``(X_w, y_w)`` of :mod:`fastrisk.estimators._base` with an unpenalised intercept
along ``v`` (``sqrt(w)``, or ones)::

    H = v v^T / W + X_w (X_w^T X_w + alpha I)^{-1} X_w^T,      W = v^T v.

Dual side (n <= p), ``K = X_w X_w^T = U diag(s) U^T``, ``G = K + alpha I``. Because ``X_w^T v = 0``,
``v`` is an eigenvector of K with eigenvalue 0 and ``I - H = alpha (G^{-1} - v v^T / (alpha W))``, so

    e_i = c_i / d_i,   c = G^{-1} y_w,   d_i = (G^{-1})_ii - (G^{-1} v)_i v_i / W

(scikit-learn's ``_RidgeGCV``, Rifkin & Lippert 2007). With ``F[j, l] = 1 / (s_j + alpha_l)`` and
``U~ = (I - v v^T / W) U`` this is, for all penalties at once,

    C = U~ (z * F),   D = (U * U~) F,   z = U^T y_w            two (n, n) x (n, L) products

(``d_i = sum_j U_ij F_j (U_ij - v_i (U^T v)_j / W)``): no loop over penalties, and the intercept
direction drops out of both products exactly instead of by the subtraction of two large numbers.
Eigenvalues under the rank tolerance count as 0 (a null direction of K still gets ``1 / alpha``).

Primal side (n > p), ``X_w^T X_w = V diag(s) V^T``, ``R = X_w V`` (n, p):

    1 - H_ii = 1 - v_i^2 / W - ((R * R) F)_i,    r = y_w - R (c * F),   c = V^T X_w^T y_w.

GCV (Golub, Heath & Wahba 1979) replaces every ``H_ii`` by ``tr(H) / N``, ``tr(H) = [intercept] +
sum_j s_j / (s_j + alpha)``: its mean of squares is ``||r||^2 / N / (1 - tr(H) / N)^2``.

Sample weights are frequency weights. The fit with weights ``w`` equals the fit on the data with
sample i repeated ``w_i`` times (integer w), and so does the criterion: sample i leaves out *one unit*
of its weight (one of its copies), or its whole weight when ``w_i < 1``: ``delta_i = min(w_i, 1)``. By
Sherman-Morrison its residual is then ``e_i = r_i / (1 - delta_i h_i)`` with ``r_i`` the residual and
``h_i = H_ii / w_i`` the leverage per unit weight (H the hat matrix of the rescaled problem), and the
criterion is ``sum_i w_i e_i^2 / N`` with ``N = sum_i w_i`` (n without weights), the mean over the
repeated data. GCV uses ``N`` in place of n, for the same reason. Without weights (and for every
``w_i = 1``) this is plain leave-one-out, exactly scikit-learn's ``RidgeCV``; with weights scikit-learn
leaves whole samples out, so the two differ, and only this one is invariant to repeating samples.

The per-sample squared errors returned are ``w_i e_i^2``; without weights they equal
``RidgeCV(store_cv_results=True).cv_results_``.
"""

from __future__ import annotations

import numpy as np

__all__ = ["residuals_dual", "residuals_primal", "squared_errors"]


def _filters(s: np.ndarray, start: int, alphas: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``F = 1 / (s_eff + alpha)`` (g, L) with null eigenvalues set to 0, and ``s_eff``."""
    s_eff = s.copy()
    s_eff[:start] = 0.0
    return 1.0 / (s_eff[:, None] + alphas[None, :]), s_eff


def residuals_dual(U: np.ndarray, s: np.ndarray, start: int, z: np.ndarray, alphas: np.ndarray,
                   v: np.ndarray | None, leverage: bool = True):
    """Residuals and ``1 - H_ii`` of the rescaled problem for every penalty, dual side.

    Parameters
    ----------
    U, s, start : eigenvectors (n, n), ascending eigenvalues (n,) of ``K = X_w X_w^T``; the first
        ``start`` eigenvalues are null.
    z : ``U^T y_w`` (n,).
    alphas : penalties (L,), all > 0.
    v : the intercept direction (n,) (``sqrt(w)`` or ones), None without an intercept.
    leverage : also compute ``1 - H_ii`` (not needed by GCV).

    Returns
    -------
    r : (n, L) residuals ``y_w - H y_w``;  one_minus_h : (n, L) or None;  df : (L,)
    """
    F, s_eff = _filters(s, start, alphas)
    Ut = U if v is None else U - np.outer(v, (v @ U) / (v @ v))
    # r = alpha G^{-1} y_w, the intercept direction projected out (I - H = alpha G^{-1} off v)
    r = Ut @ (z[:, None] * F)
    r *= alphas
    omh = None
    if leverage:
        omh = (U * Ut) @ F
        omh *= alphas
    return r, omh, s_eff @ F


def residuals_primal(R: np.ndarray, s: np.ndarray, start: int, c: np.ndarray, y_w: np.ndarray,
                     alphas: np.ndarray, v: np.ndarray | None, leverage: bool = True):
    """As :func:`residuals_dual`, primal side.

    R : ``X_w V`` (n, p), V the eigenvectors of ``X_w^T X_w`` (ascending eigenvalues ``s``, the first
    ``start`` null);  c : ``V^T X_w^T y_w`` (p,);  y_w : the rescaled targets (n,).
    """
    F, s_eff = _filters(s, start, alphas)
    F[:start] = 0.0  # null directions of X_w^T X_w are not in the column space of X_w
    r = y_w[:, None] - R @ (c[:, None] * F)
    omh = None
    if leverage:
        omh = 1.0 - (R * R) @ F
        if v is not None:
            omh -= (v * v / (v @ v))[:, None]
    return r, omh, s_eff @ F


def squared_errors(r: np.ndarray, omh: np.ndarray | None, df: np.ndarray, sw: np.ndarray | None,
                   intercept: bool) -> tuple[np.ndarray, np.ndarray]:
    """Per-sample weighted squared errors ``w_i e_i^2`` (n, L) and their criterion (L,).

    ``r``, ``omh`` from :func:`residuals_dual` / :func:`residuals_primal` (rescaled problem); ``omh``
    None means GCV.
    """
    n = r.shape[0]
    N = float(n if sw is None else sw.sum())
    if omh is None:  # GCV: sqrt(w_i) e_i = r^w_i / (1 - tr(H) / N)
        e = r / (1.0 - (df + (1.0 if intercept else 0.0)) / N)
    elif sw is None:
        e = r / omh
    else:
        # sqrt(w) e = r^w w / ((w - delta) + delta (1 - H^w_ii)),  delta = min(w, 1); 0 when w = 0
        delta = np.minimum(sw, 1.0)[:, None]
        den = (sw[:, None] - delta) + delta * omh
        e = np.divide(r * sw[:, None], den, out=np.zeros_like(r), where=sw[:, None] > 0)
    sq = e * e
    return sq, sq.sum(axis=0) / N
