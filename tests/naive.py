"""Plain-NumPy reference twins of the linear core's kernels and public functions.

Written the obvious way (direct solves, materialised coefficient matrices, explicit loops where that
is clearest) and slow on purpose: they define what the fast code must return.
"""

from __future__ import annotations

import math

import numpy as np

SQRT_2_OVER_PI = math.sqrt(2.0 / math.pi)


# ----------------------------------------------------------------------------- kernel twins
def filter_matrix(s, start, lam, coef):
    f = coef[:, None] / (s[:, None] + lam[None, :])
    f[:start] = 0.0
    return f


def filtered_sums(s, start, lam, a1, a2):
    f = 1.0 / (s[:, None] + lam[None, :])
    f[:start] = 0.0
    return a1 @ f, a2 @ f**2


def colwise_dot(A, B):
    return np.einsum("il,il->l", A, B)


def reduce_coef_block(T, sig, tstar, use_sig, qs):
    """Returns (norm-accumulator-equivalent norms over this block, sigma-weighted sums)."""
    norms = []
    for q in qs:
        norms.append(np.linalg.norm(T, ord=np.inf if math.isinf(q) else q, axis=1))
    sig_sum = ((T - tstar[None, :]) ** 2 * sig[None, :]).sum(axis=1) if use_sig else None
    return np.array(norms), sig_sum


def residual_moments(P, y):
    r = np.abs(P - y[None, :])
    return r.sum(axis=1), (r**2).sum(axis=1)


def adversarial_closed_form(m2, m1, b, eps):
    eb = b[:, None] * eps[None, :]
    return m2[:, None] + 2 * eb * m1[:, None] + eb**2


# ----------------------------------------------------------------------------- estimators
def ridge_coef(X, y, lam):
    """theta_lam for each penalty, (p, L): dual solve when n <= p, primal otherwise; pinv at lam = 0."""
    X = np.asarray(X, dtype=np.float64)
    n, p = X.shape
    out = np.empty((p, len(lam)))
    for l, lm in enumerate(lam):
        if lm == 0:
            out[:, l] = np.linalg.pinv(X) @ y
        elif n <= p:
            out[:, l] = X.T @ np.linalg.solve(X @ X.T + lm * np.eye(n), y)
        else:
            out[:, l] = np.linalg.solve(X.T @ X + lm * np.eye(p), X.T @ y)
    return out


def excess_risk(Theta, cov, theta_star):
    D = Theta - theta_star[:, None]
    S = cov[:, None] * D if cov.ndim == 1 else cov @ D
    return np.einsum("pl,pl->l", D, S)


def lq_norms(Theta, q):
    return np.linalg.norm(Theta, ord=np.inf if math.isinf(q) else q, axis=0)


def gaussian_adversarial(R, b, eps, target="clean", noise=0.0):
    a2 = R + noise**2 if target == "noisy" else R
    a = np.sqrt(a2)
    return (a2[:, None] + 2 * SQRT_2_OVER_PI * eps[None, :] * (a * b)[:, None]
            + (eps[None, :] * b[:, None]) ** 2)


def empirical_adversarial(Theta, X_test, y_test, eps, q):
    """Mean over test points of (|x^T theta - y| + eps ||theta||_q)^2, by an explicit loop over eps."""
    r = np.abs(X_test @ Theta - y_test[:, None])  # (m, L)
    b = lq_norms(Theta, q)
    return np.stack([((r + e * b[None, :]) ** 2).mean(axis=0) for e in eps], axis=1)


# ----------------------------------------------------------------------------- several targets
def filter_targets(s, start, lam, coef):
    """(g, k, L): coef[i, t] / (s_i + lam_l), 0 on null components."""
    out = coef[:, :, None] / (s[:, None, None] + lam[None, None, :])
    out[:start] = 0.0
    return out


def error_sums(s, start, lam, delta, zeta, w, v):
    """(sum_i w_i e_ilt^2, sum_i v_it e_ilt), (L, k) each, with
    e_ilt = (delta_it - zeta_it lam_l) / (s_i + lam_l)."""
    E = (delta[:, None, :] - zeta[:, None, :] * lam[None, :, None]) / (s[:, None, None] + lam[None, :, None])
    E[:start] = 0.0
    lin = np.zeros(E.shape[1:]) if v is None else np.einsum("it,ilt->lt", v, E)
    return np.einsum("i,ilt->lt", w, E * E), lin


def adversarial_closed_form_targets(m2, m1, b, eps):
    """(L, E, k) by an explicit loop over targets."""
    return np.stack([adversarial_closed_form(m2[:, t], m1[:, t], b[:, t], eps) for t in range(m2.shape[1])],
                    axis=2)


def solution_operator(X, lam):
    """The (p, n) matrix mapping labels to ridge coefficients at one penalty (pinv at lam = 0)."""
    X = np.asarray(X, dtype=np.float64)
    n, p = X.shape
    if lam == 0:
        return np.linalg.pinv(X)
    if n <= p:
        return X.T @ np.linalg.inv(X @ X.T + lam * np.eye(n))
    return np.linalg.solve(X.T @ X + lam * np.eye(p), X.T)


def noise_averages(X, cov, theta_star, noise, lam):
    """Exact ``E_z`` of the standard risk and of ``||theta||^2`` for ``y = X theta* + noise z``:
    noiseless coefficients plus the trace of the noise covariance ``noise^2 A A^T`` of theta = A y."""
    Sig = np.diag(cov) if cov.ndim == 1 else cov
    R, N2 = [], []
    for lm in lam:
        A = solution_operator(X, lm)
        th = A @ (X.astype(np.float64) @ theta_star)
        d = th - theta_star
        R.append(d @ Sig @ d + noise**2 * np.trace(A.T @ Sig @ A))
        N2.append(th @ th + noise**2 * np.sum(A * A))
    return np.array(R), np.array(N2)
