"""Plain-NumPy reference twins of the scikit-learn estimators (fastrisk/estimators/).

Written for clarity, not speed: the leave-one-out errors are computed by refitting without each
sample, the fits by dense solves of the weighted normal equations with an explicit intercept column.
"""

from __future__ import annotations

import numpy as np


def ridge_fit(X, y, alpha, w=None, intercept=True):
    """``min sum_i w_i (y_i - b - x_i^T theta)^2 + alpha ||theta||^2`` by one dense solve of the
    augmented normal equations (intercept unpenalised); alpha = 0 gives the min-norm solution
    (lstsq on the augmented system, then the slope projected to the minimum norm)."""
    n, p = X.shape
    w = np.ones(n) if w is None else np.asarray(w, float)
    A = np.hstack([np.ones((n, 1)), X]) if intercept else X
    pen = np.eye(A.shape[1]) * alpha
    if intercept:
        pen[0, 0] = 0.0
    M = A.T @ (w[:, None] * A) + pen
    rhs = A.T @ (w * y)
    if alpha > 0:
        sol = np.linalg.solve(M, rhs)
    else:
        # minimum-norm slope among least-squares solutions: pinv of the weighted, centred design
        if intercept:
            xm = w @ X / w.sum()
            ym = w @ y / w.sum()
        else:
            xm, ym = np.zeros(p), 0.0
        sq = np.sqrt(w)
        Xw = sq[:, None] * (X - xm)
        # the rank tolerance of the package: singular values^2 <= max(n, p) eps s_max^2 are null
        theta = np.linalg.pinv(Xw, rtol=np.sqrt(max(n, p) * np.finfo(float).eps)) @ (sq * (y - ym))
        return theta, (ym - xm @ theta) if intercept else 0.0
    if intercept:
        return sol[1:], sol[0]
    return sol, 0.0


def loo_squared_errors(X, y, alpha, w=None, intercept=True):
    """Per-sample ``w_i e_i^2`` by refitting with one unit of sample i's weight removed (its whole
    weight when ``w_i < 1``): the frequency-weight leave-one-out of RidgePathCV."""
    n = X.shape[0]
    w = np.ones(n) if w is None else np.asarray(w, float)
    out = np.zeros(n)
    for i in range(n):
        if w[i] == 0:
            continue
        wi = w.copy()
        wi[i] -= min(w[i], 1.0)
        theta, b = ridge_fit(X, y, alpha, wi, intercept)
        out[i] = w[i] * (y[i] - b - X[i] @ theta) ** 2
    return out


def gcv_squared_errors(X, y, alpha, w=None, intercept=True):
    """``w_i (r_i / (1 - tr(H) / N))^2`` with the hat matrix H of the weighted fit formed explicitly."""
    n, p = X.shape
    w = np.ones(n) if w is None else np.asarray(w, float)
    theta, b = ridge_fit(X, y, alpha, w, intercept)
    r = y - b - X @ theta
    A = np.hstack([np.ones((n, 1)), X]) if intercept else X
    pen = np.eye(A.shape[1]) * alpha
    if intercept:
        pen[0, 0] = 0.0
    sq = np.sqrt(w)
    Aw = sq[:, None] * A
    H = Aw @ np.linalg.solve(Aw.T @ Aw + pen, Aw.T)
    N = w.sum()
    return w * (r / (1 - np.trace(H) / N)) ** 2


def kernel_ridge_fit(K, y, alpha, w=None, intercept=True):
    """``f = b + K beta`` minimising ``sum_i w_i (y_i - f_i)^2 + alpha beta^T K beta`` from the
    stationarity equations ``K W (y - b 1 - K beta) = alpha K beta``, ``1^T W (y - b 1 - K beta) = 0``,
    solved in the least-norm sense (they are consistent; K may be singular). ``alpha = 0`` with an
    intercept (K invertible): the interpolant of least RKHS norm, ``beta = K^{-1} (y - b 1)`` with
    ``b = 1^T K^{-1} y / 1^T K^{-1} 1`` (the alpha -> 0 limit; weights do not matter)."""
    n = K.shape[0]
    w = np.ones(n) if w is None else np.asarray(w, float)
    if alpha == 0 and intercept:
        Ki1, Kiy = np.linalg.solve(K, np.ones(n)), np.linalg.solve(K, y)
        b = Kiy.sum() / Ki1.sum()
        beta = Kiy - b * Ki1
        return K @ beta + b, beta, b
    Wd = np.diag(w)
    if intercept:
        top = np.hstack([K @ Wd @ K + alpha * K, (K @ w)[:, None]])
        bot = np.hstack([(w @ K)[None, :], [[w.sum()]]])
        M = np.vstack([top, bot])
        rhs = np.concatenate([K @ (w * y), [w @ y]])
        sol = np.linalg.lstsq(M, rhs, rcond=None)[0]
        beta, b = sol[:-1], sol[-1]
    else:
        beta = np.linalg.lstsq(K @ Wd @ K + alpha * K, K @ (w * y), rcond=None)[0]
        b = 0.0
    return K @ beta + b, beta, b


def dual_norm(theta, q):
    """``||theta||_q`` for q in [1, inf]."""
    if np.isinf(q):
        return np.abs(theta).max()
    return (np.abs(theta) ** q).sum() ** (1.0 / q)


def loo_adversarial_losses(X, y, alpha, eps, q, w=None, intercept=True):
    """Per-sample ``w_i (|y_i - b^(-i) - x_i^T theta^(-i)| + eps ||theta^(-i)||_q)^2`` by refitting with
    one unit of sample i's weight removed (its whole weight when ``w_i < 1``) and attacking sample i
    exactly: the worst ``||delta||_p <= eps`` shifts the prediction by ``eps ||theta||_q`` against the
    residual. ``alpha = 0``: the minimum-norm refits."""
    n = X.shape[0]
    w = np.ones(n) if w is None else np.asarray(w, float)
    out = np.zeros(n)
    for i in range(n):
        if w[i] == 0:
            continue
        wi = w.copy()
        wi[i] -= min(w[i], 1.0)
        theta, b = ridge_fit(X, y, alpha, wi, intercept)
        out[i] = w[i] * (abs(y[i] - b - X[i] @ theta) + eps * dual_norm(theta, q)) ** 2
    return out
