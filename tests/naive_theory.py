"""Plain NumPy/SciPy twins of the theory layer (fastrisk.theory and fastrisk.kernels.theory).

Written the obvious way: one ``brentq`` per penalty, direct sums over the full spectrum, loops over k.
Slow on purpose; the tests compare the fast code with these.
"""

from __future__ import annotations

import math

import numpy as np
from scipy import integrate, special
from scipy.optimize import brentq


# ----------------------------------------------------------------------------- kernels
def bulk_sums(lam, sq, mult, kappa):
    mult = np.ones(lam.size) if len(mult) == 0 else mult
    r = 1.0 / (lam[None, :] + np.asarray(kappa)[:, None])
    a = lam * r
    return np.stack([(mult * a).sum(1), (mult * a**2).sum(1), (mult * a * r).sum(1), (mult * sq * r).sum(1)],
                    axis=1)


def signal_sums(lam, t, kappa):
    r = 1.0 / (lam[None, :] + np.asarray(kappa)[:, None])
    a = lam * r
    return np.stack([(t * a * r).sum(1), (t * a**2).sum(1), (t * a).sum(1)], axis=1)


def abs_mean(z, tau):
    """E|z + tau g| (folded normal)."""
    z = np.asarray(z, dtype=float)
    if tau == 0:
        return np.abs(z)
    return (tau * math.sqrt(2 / math.pi) * np.exp(-z**2 / (2 * tau**2))
            + z * special.erf(z / (tau * math.sqrt(2))))


def support_norm1(lam, z, c, kappa, tau):
    return np.array([np.sum(c / (lam + k) * (abs_mean(z, tt) - tt * math.sqrt(2 / math.pi)))
                     for k, tt in zip(kappa, tau, strict=True)])


def expected_max_abs(mu, s, mult):
    """E max_j |mu_j + s_j g_j| by adaptive quadrature of 1 - F(t), one row per kappa."""
    out = []
    for mk, sk in zip(mu, s, strict=True):
        def F(t, mk=mk, sk=sk):
            cdf = special.ndtr((t - mk) / sk) - special.ndtr((-t - mk) / sk)
            with np.errstate(divide="ignore"):
                return math.exp(float(np.sum(mult * np.log(cdf))))
        hi = float(np.max(mk + sk * (math.sqrt(2 * math.log(2 * mult.sum() + 2)) + 9)))
        val, _ = integrate.quad(lambda t, F=F: 1.0 - F(t), 0.0, hi, limit=400, epsabs=1e-13, epsrel=1e-11)
        out.append(val)
    return np.array(out)


# ----------------------------------------------------------------------------- equivalents
def kappa_brentq(spectrum, n, lam):
    """kappa for each unnormalised penalty: the obvious per-penalty brentq (docs/math.md 6)."""
    s = np.asarray(spectrum, dtype=float)
    out = []
    for lm in np.atleast_1d(lam):
        ell = lm / n
        if ell == 0 and np.count_nonzero(s) < n:
            out.append(0.0)
            continue

        def f(k, ell=ell):
            return k - ell - k / n * np.sum(s / (s + k))

        out.append(brentq(f, 1e-14, 1e8, xtol=1e-300, rtol=8.9e-16, maxiter=1000))
    return np.array(out)


def ridge_equivalent(spectrum, theta_star, noise, n, lam):
    """Direct formulas of docs/math.md 6-7 at the brentq kappa (lam >= 0)."""
    s = np.asarray(spectrum, dtype=float)
    th = np.asarray(theta_star, dtype=float)
    pos = s > 0
    s, th = s[pos], th[pos]
    kap = kappa_brentq(s, n, lam)
    sig2 = noise**2
    res = {k: [] for k in ("kappa", "bias", "variance", "risk", "norm2_sq", "norm1", "tau2")}
    for k in kap:
        r = 1.0 / (s + k)
        d = np.sum(s**2 * r**2) / n
        bnum = k**2 * np.sum(th**2 * s * r**2)
        bias = bnum / (1 - d)
        var = sig2 * d / (1 - d)
        tau2 = (sig2 + bnum) / (1 - d)
        n2 = np.sum(th**2 * s**2 * r**2) + tau2 / n * np.sum(s * r**2)
        mu = s * th * r
        sd = math.sqrt(tau2) * np.sqrt(s / n) * r
        n1 = np.sum(sd * math.sqrt(2 / math.pi) * np.exp(-mu**2 / (2 * sd**2))
                    + np.abs(mu) * special.erf(np.abs(mu) / (sd * math.sqrt(2))))
        for key, v in zip(res, (k, bias, var, bias + var, n2, n1, tau2), strict=True):
            res[key].append(v)
    return {k: np.array(v) for k, v in res.items()}


# ----------------------------------------------------------------------------- ranks
def effective_ranks(spectrum):
    lam = np.sort(np.asarray(spectrum, dtype=float))[::-1]
    p = lam.size
    r = np.zeros(p)
    R = np.zeros(p)
    for k in range(p):
        tail = lam[k:]
        if lam[k] > 0:
            r[k] = tail.sum() / lam[k]
            R[k] = tail.sum() ** 2 / np.sum(tail**2)
    return r, R


def critical_index(spectrum, n, b=1.0):
    r, _ = effective_ranks(spectrum)
    for k in range(r.size):
        if r[k] >= b * n:
            return k
    return r.size


# ----------------------------------------------------------------------------- oracle
def oracle_path(spectrum, theta_star, mu):
    s = np.asarray(spectrum, dtype=float)
    th = np.asarray(theta_star, dtype=float)
    R0, b2 = [], []
    for m in mu:
        if np.isinf(m):
            t = np.zeros_like(th)
            r = -th
        else:
            t = s * th / (s + m)
            r = -m * th / (s + m)  # t - th without cancellation
        R0.append(np.sum(s * r**2))
        b2.append(np.sum(t**2))
    return np.array(R0), np.sqrt(np.array(b2))


# ----------------------------------------------------------------------------- conditional on X
def conditional_moments(X, spectrum, theta_star, noise, lam):
    """Exact E_eps R_0 and E_eps ||theta_hat||_2^2 given X (docs/math.md 3), unnormalised lam >= 0, n <= p.

    theta_hat = X^T (X X^T + lam I)^{-1} y;
    E_eps R_0 = ||(I - S) theta*||_Sigma^2 + sigma^2 tr(M X Sigma X^T M),
    E_eps ||theta||^2 = ||S theta*||^2 + sigma^2 sum_j s_j / (s_j + lam)^2 (pseudo-inverse at lam = 0).
    """
    s = np.asarray(spectrum, dtype=float)
    th = np.asarray(theta_star, dtype=float)
    K = X @ X.T
    w, U = np.linalg.eigh(K)
    A = U.T @ X
    z = A @ th
    dS = np.einsum("ij,ij->i", A * s, A)
    R, N = [], []
    for lm in np.atleast_1d(lam):
        f = 1.0 / (w + lm)
        theta = A.T @ (f * z)
        r = theta - th
        R.append(r @ (s * r) + noise**2 * np.sum(dS * f**2))
        N.append(theta @ theta + noise**2 * np.sum(w * f**2))
    return np.array(R), np.array(N)


def log_bins(lam, mult, lo, width, nbins):
    w = np.ones(lam.size) if len(mult) == 0 else mult
    lg = np.log(lam)
    b = np.clip(np.floor((lg - lo) / width).astype(int), 0, nbins - 1)
    return np.bincount(b, weights=w, minlength=nbins), np.bincount(b, weights=w * lg, minlength=nbins)
