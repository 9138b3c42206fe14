"""Plain-NumPy twins of the low-rank route's kernels (fastrisk.kernels.lowrank)."""

from __future__ import annotations

import numpy as np


def scaled_filter(s, start, lam, coef, inv):
    a = np.sqrt(s[start:]) * coef[start:]
    return a[:, None] / (s[start:, None] + lam[None, :]) * inv[None, :]


def diff_colnorms(A, B):
    return np.linalg.norm(A - B, axis=0)


def span_residual(Q, Y):
    """Largest column norm of Y left after projecting onto span(Q) (via a Householder QR of Q)."""
    if Q.shape[1] == 0:
        return np.linalg.norm(Y, axis=0).max(initial=0.0)
    Qh, _ = np.linalg.qr(Q)
    return np.linalg.norm(Y - Qh @ (Qh.T @ Y), axis=0).max(initial=0.0)


def quad_risk(Z, H, sigma, tstar):
    """``sum_j sigma_j (theta_lj - theta*_j)^2`` per column of H with ``theta_l = Z^T h_l`` formed whole."""
    T = Z.T @ H
    return (sigma[:, None] * (T - tstar[:, None]) ** 2).sum(axis=0)
