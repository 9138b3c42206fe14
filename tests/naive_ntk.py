"""Plain-NumPy reference twins of the NTK kernels (fastrisk/kernels/ntk.py) and of the NTK Grams.

Written for clarity, not speed: full n x n temporaries, np.arccos, explicit activation matrices.
"""

from __future__ import annotations

import numpy as np


def _clip(u, snap):
    u = np.clip(u, -1.0, 1.0)
    return np.where(u >= 1 - snap, 1.0, np.where(u <= -1 + snap, -1.0, u))


def kernel_from_linear(G, n1, n2, mode, snap=0.0):
    """K from the linear Gram G = X X2^T and the row norms (mode 0 first, 1 second, 2 both)."""
    G = np.asarray(G, dtype=np.float64)
    nn = np.outer(n1, n2)
    with np.errstate(invalid="ignore", divide="ignore"):
        u = _clip(np.where(nn > 0, G / np.where(nn > 0, nn, 1.0), 0.0), snap)
    theta = np.arccos(u)
    kw = G * (np.pi - theta) / (2 * np.pi)
    ka = nn * (np.sin(theta) + (np.pi - theta) * np.cos(theta)) / (2 * np.pi)
    out = {0: kw, 1: ka, 2: kw + ka}[mode]
    return np.where(nn > 0, out, 0.0)


def row_norms(X):
    return np.sqrt(np.sum(np.asarray(X, dtype=np.float64) ** 2, axis=1))


def ntk_gram(X, X2=None, mode=0):
    X = np.asarray(X, dtype=np.float64)
    X2 = X if X2 is None else np.asarray(X2, dtype=np.float64)
    return kernel_from_linear(X @ X2.T, row_norms(X), row_norms(X2), mode)


def finite_gram(X, X2, W, mode):
    """Empirical NTK over the rows of W (all neurons distinct, a = +-1): explicit (n, m) activations."""
    X2 = X if X2 is None else X2
    Z1, Z2 = X @ W.T, X2 @ W.T
    S1, S2 = (Z1 > 0).astype(float), (Z2 > 0).astype(float)
    A1, A2 = np.maximum(Z1, 0), np.maximum(Z2, 0)
    m = W.shape[0]
    kw = (X @ X2.T) * (S1 @ S2.T) / m
    ka = A1 @ A2.T / m
    return {0: kw, 1: ka, 2: kw + ka}[mode]


def finite_features(X, W, a, mode):
    """Parameter-gradient features Phi (n, m*d [+ m]) of f = m^-1/2 sum a_r relu(w_r x)."""
    m = W.shape[0]
    Z = X @ W.T
    S = (Z > 0).astype(float)
    parts = []
    if mode != 1:
        parts.append(((S * a)[:, :, None] * X[:, None, :]).reshape(X.shape[0], -1) / np.sqrt(m))
    if mode != 0:
        parts.append(np.maximum(Z, 0) / np.sqrt(m))
    return np.concatenate(parts, axis=1)


def grad_terms(G, zn, xn, mode, snap=0.0):
    """(K, A, B) with grad_z K(z_k, x_i) = A[k,i] x_i + B[k,i] z_k/|z_k| (K = |z||x| g(u))."""
    nn = np.outer(zn, xn)
    u = _clip(G / np.where(nn > 0, nn, 1.0), snap)
    t = np.pi - np.arccos(u)
    s = np.sqrt(1 - u**2)
    with np.errstate(divide="ignore", invalid="ignore"):
        c = np.where(s**2 > 1e-24, u / s, 0.0)
    gW, gWp = u * t / (2 * np.pi), t / (2 * np.pi) + c / (2 * np.pi)
    ga, gap = (s + t * u) / (2 * np.pi), t / (2 * np.pi)
    g = {0: gW, 1: ga, 2: gW + ga}[mode]
    gp = {0: gWp, 1: gap, 2: gWp + gap}[mode]
    K = nn * g
    A = gp
    B = xn[None, :] * (g - u * gp)  # mode 0: -u c / (2 pi); mode 1: s / (2 pi)
    zero = nn == 0
    return np.where(zero, 0, K), np.where(zero, 0, A), np.where(zero, 0, B)


def relu_split(Z):
    return np.maximum(Z, 0.0), (Z > 0).astype(float)


def finite_combine(G, D, E, scale, mode):
    return {0: G * D * scale, 1: E * scale, 2: (G * D + E) * scale}[mode]


def gather_penalty(K, A, B, beta, lidx):
    bl = beta[:, lidx].T  # (P, n)
    return (K * bl).sum(1), (B * bl).sum(1), A * bl


def mc_kernels(x, x2, n_mc, rng):
    """Monte Carlo over w ~ N(0, I): samples of 1{w x>0}1{w x2>0} and relu(w x) relu(w x2)."""
    w = rng.standard_normal((n_mc, x.shape[0]))
    z1, z2 = w @ x, w @ x2
    return (z1 > 0) * (z2 > 0) * 1.0, np.maximum(z1, 0) * np.maximum(z2, 0)


def theta_c(u):
    """``pi - arccos(u)``, written as ``arccos(-u)`` (no cancellation as u -> -1)."""
    return np.arccos(-np.asarray(u, dtype=np.float64))
