"""Numba kernels of the theory layer (deterministic equivalents on a diagonal spectrum).

No validation, no Python objects: plain contiguous float64 arrays in and out. Every kernel has a
plain-NumPy twin in ``tests/naive_theory.py``.

The spectrum is handed over as *atoms* ``j``: an eigenvalue ``lam[j] > 0`` carrying a multiplicity
``mult[j]`` (how many coordinates share it; an empty ``mult`` means all ones, which saves a pass and a
copy at p = 10^7), and separately the signal coordinates (``theta_star_i != 0``) with their eigenvalue
and ``theta_star_i**2``.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit, prange

from ..config import THEORY_FASTMATH as FASTMATH

_SQRT2 = math.sqrt(2.0)
_SQRT_2_OVER_PI = math.sqrt(2.0 / math.pi)
#: Signal atoms (largest means) whose sharp step in the CDF of the maximum gets its own panel breaks.
MAX_BREAK_ATOMS = 16


@njit(parallel=True, cache=True, fastmath=FASTMATH)
def bulk_sums(lam, sq, mult, kappa, block, out):
    """Four sums over the whole (positive) spectrum at every ``kappa[k]`` (``lam + kappa > 0``).

    With ``r = 1 / (lam + kappa)`` and ``w = mult`` (all ones when ``mult`` has length 0)::

        out[k, 0] = sum w lam r            (df_1)
        out[k, 1] = sum w lam^2 r^2        (df_2)
        out[k, 2] = sum w lam r^2          (noise part of ||theta||_2^2, times n / tau^2)
        out[k, 3] = sum w sq r             (sq = sqrt(lam): noise part of ||theta||_1, times sqrt(n)/tau)

    Atoms are processed in blocks of ``block`` (cache reuse across the K values of kappa); the partial
    sums of the blocks are added at the end in block order, so the result does not depend on the thread
    count. lam, sq: (m,); mult: (m,) or (0,); kappa: (K,); out: (K, 4).
    """
    m = lam.shape[0]
    K = kappa.shape[0]
    ones = mult.shape[0] == 0
    nb = (m + block - 1) // block
    part = np.empty((nb, K, 4))  # every entry written below (np.zeros would compile a parfor of its own)
    for b in prange(nb):
        j0 = b * block
        j1 = min(m, j0 + block)
        for k in range(K):
            kp = kappa[k]
            s0 = 0.0
            s1 = 0.0
            s2 = 0.0
            s3 = 0.0
            if ones:
                for j in range(j0, j1):
                    lj = lam[j]
                    r = 1.0 / (lj + kp)
                    a = lj * r
                    s0 += a
                    s1 += a * a
                    s2 += a * r
                    s3 += sq[j] * r
            else:
                for j in range(j0, j1):
                    lj = lam[j]
                    w = mult[j]
                    r = 1.0 / (lj + kp)
                    a = lj * r
                    s0 += w * a
                    s1 += w * a * a
                    s2 += w * a * r
                    s3 += w * sq[j] * r
            part[b, k, 0] = s0
            part[b, k, 1] = s1
            part[b, k, 2] = s2
            part[b, k, 3] = s3
    for k in range(K):
        for c in range(4):
            acc = 0.0
            for b in range(nb):
                acc += part[b, k, c]
            out[k, c] = acc


@njit(parallel=True, cache=True, fastmath=FASTMATH)
def signal_sums(lam, t, kappa, out):
    """Three sums over the signal coordinates (``t = theta*^2 > 0``) at every ``kappa[k]``::

        out[k, 0] = sum t lam r^2          (B_num / kappa^2)
        out[k, 1] = sum t lam^2 r^2        (||E theta||_2^2 of the sequence model)
        out[k, 2] = sum t lam r            (E theta^T theta* of the sequence model)

    lam, t: (s,); kappa: (K,); out: (K, 3).
    """
    K = kappa.shape[0]
    m = lam.shape[0]
    for k in prange(K):
        kp = kappa[k]
        s0 = 0.0
        s1 = 0.0
        s2 = 0.0
        for j in range(m):
            r = 1.0 / (lam[j] + kp)
            a = lam[j] * r
            s0 += t[j] * a * r
            s1 += t[j] * a * a
            s2 += t[j] * a
        out[k, 0] = s0
        out[k, 1] = s1
        out[k, 2] = s2


@njit(cache=True, fastmath=FASTMATH)
def df_sums(lam, mult, kappa, block, out1, out2):
    """``out1 = sum w lam / (lam + kappa)`` and ``out2 = sum w lam^2 / (lam + kappa)^2`` (w = mult, or 1).

    One scalar ``kappa``; out1, out2: (1,) arrays. Used by the scalar root solves (serial: a parallel
    launch costs more than the pass on a busy 2-core machine).
    """
    m = lam.shape[0]
    ones = mult.shape[0] == 0
    nb = (m + block - 1) // block
    p1 = np.zeros(nb)
    p2 = np.zeros(nb)
    for b in range(nb):
        j0 = b * block
        j1 = min(m, j0 + block)
        a1 = 0.0
        a2 = 0.0
        if ones:
            for j in range(j0, j1):
                a = lam[j] / (lam[j] + kappa)
                a1 += a
                a2 += a * a
        else:
            for j in range(j0, j1):
                a = lam[j] / (lam[j] + kappa)
                a1 += mult[j] * a
                a2 += mult[j] * a * a
        p1[b] = a1
        p2[b] = a2
    s1 = 0.0
    s2 = 0.0
    for b in range(nb):
        s1 += p1[b]
        s2 += p2[b]
    out1[0] = s1
    out2[0] = s2


@njit(cache=True)
def strictly_monotone(a):
    """True when ``a`` is strictly increasing or strictly decreasing (all values distinct)."""
    m = a.shape[0]
    if m < 2:
        return True
    inc = a[1] > a[0]
    for j in range(1, m):
        if inc:
            if not a[j] > a[j - 1]:
                return False
        elif not a[j] < a[j - 1]:
            return False
    return True


@njit(cache=True, fastmath=FASTMATH)
def _abs_mean(z, tau):
    """``E |z + tau g|`` for ``g ~ N(0, 1)``, ``z >= 0``, ``tau >= 0`` (folded-normal mean)."""
    if tau <= 0.0:
        return z
    r = z / tau
    return tau * _SQRT_2_OVER_PI * math.exp(-0.5 * r * r) + z * math.erf(r / _SQRT2)


@njit(parallel=True, cache=True, fastmath=FASTMATH)
def support_norm1(lam, z, c, kappa, tau, out):
    """``out[l] = sum_j c[j] / (lam[j] + kappa[l]) * (E|z[j] + tau[l] g| - tau[l] sqrt(2/pi))``.

    The signal correction of the sequence-model ``E ||theta||_1``: with ``z_j = sqrt(n lam_j)
    |theta*_j|`` and ``c_j = sqrt(lam_j / n)``, coordinate j is ``N(mu_j, s_j^2)`` with ``|mu_j| = c_j z_j /
    (lam_j + kappa)`` and ``s_j = c_j tau / (lam_j + kappa)``; the noise-only value ``s_j sqrt(2/pi)`` of
    every coordinate is summed elsewhere (a smooth spectral sum), this adds what the signal changes
    (each term >= 0). lam, z, c: (m,); kappa, tau, out: (L,).
    """
    L = kappa.shape[0]
    m = lam.shape[0]
    for l in prange(L):
        acc = 0.0
        kp = kappa[l]
        tl = tau[l]
        base = tl * _SQRT_2_OVER_PI
        for j in range(m):
            acc += c[j] / (lam[j] + kp) * (_abs_mean(z[j], tl) - base)
        out[l] = acc


@njit(cache=True, fastmath=FASTMATH)
def _log_cdf_max(tt, mu, s, mult):
    """``log P(max_j |mu_j + s_j g_j| <= tt)`` over atoms (independent coordinates, multiplicities)."""
    acc = 0.0
    for j in range(mu.shape[0]):
        if s[j] <= 0.0:
            if mu[j] > tt:
                return -np.inf
            continue
        a = (tt - mu[j]) / (s[j] * _SQRT2)
        b = (tt + mu[j]) / (s[j] * _SQRT2)
        tail = 0.5 * (math.erfc(a) + math.erfc(b))  # P(|X_j| > tt)
        if tail >= 1.0:
            return -np.inf
        if tail < 0.5:
            acc += mult[j] * math.log1p(-tail)
        else:
            acc += mult[j] * math.log(1.0 - tail)
    return acc


@njit(parallel=True, cache=True, fastmath=FASTMATH)
def expected_max_abs(mu, s, mult, gl_x, gl_w, n_panels, out):
    """``out[k] = E max_j |mu[k, j] + s[k, j] g_j|`` (independent standard normal g, multiplicities).

    ``E M = int_0^inf (1 - F(t)) dt`` with ``F(t) = prod_j P(|mu_j + s_j g| <= t)^mult_j``. Below
    ``t_lo`` (``log F <= -40``) the integrand is 1 to double precision; above ``t_hi``
    (``1 - F <= 1e-17``) it is 0; in between, composite Gauss-Legendre (nodes ``gl_x``, weights ``gl_w``
    of [-1, 1]) on ``n_panels`` uniform panels, refined at ``mu_j`` and ``mu_j +- 5 s_j`` for the (up to
    ``MAX_BREAK_ATOMS``) largest-mean atoms whose step is sharp. Atoms that exceed ``t_lo`` with
    probability below 1e-23 are dropped. mu (>= 0), s (>= 0): (K, m); mult: (m,).
    """
    K = mu.shape[0]
    m = mu.shape[1]
    total = 0.0
    for j in range(m):
        total += mult[j]
    zq = math.sqrt(2.0 * math.log(2.0 * total + 2.0)) + 9.0
    for k in prange(K):
        mk = mu[k]
        sk = s[k]
        lo = 0.0
        hi = 0.0
        for j in range(m):
            lo = max(lo, mk[j] - 8.5 * sk[j])
            hi = max(hi, mk[j] + zq * sk[j])
        if hi <= 0.0:
            out[k] = 0.0
            continue
        # t_lo: largest point (to bisection precision) with log F <= -40
        a = lo
        b = hi
        if _log_cdf_max(a, mk, sk, mult) <= -40.0:
            for _ in range(40):
                c = 0.5 * (a + b)
                if _log_cdf_max(c, mk, sk, mult) <= -40.0:
                    a = c
                else:
                    b = c
        t_lo = a
        # atoms that cannot exceed t_lo except with probability < 1e-23 are dropped
        keep = np.empty(m, dtype=np.int64)
        nk = 0
        for j in range(m):
            if mk[j] + 10.0 * sk[j] > t_lo:
                keep[nk] = j
                nk += 1
        mu2 = mk[keep[:nk]]
        s2 = sk[keep[:nk]]
        w2 = mult[keep[:nk]]
        # t_hi: smallest point with 1 - F <= 1e-17
        a = t_lo
        b = hi
        for _ in range(50):
            c = 0.5 * (a + b)
            if -_log_cdf_max(c, mu2, s2, w2) <= 1e-17:
                b = c
            else:
                a = c
        t_hi = b
        # panel breaks: a uniform grid plus the steps of up to MAX_BREAK_ATOMS sharp signal atoms
        span = t_hi - t_lo
        nb = 0
        brk = np.empty(n_panels + 1 + 3 * MAX_BREAK_ATOMS)
        for pnl in range(n_panels + 1):
            brk[nb] = t_lo + span * pnl / n_panels
            nb += 1
        order = np.argsort(-mu2)
        used = 0
        for jj in range(order.shape[0]):
            j = order[jj]
            if used >= MAX_BREAK_ATOMS or mu2[j] <= t_lo:
                break
            if 20.0 * s2[j] < span:
                for off in (-5.0, 0.0, 5.0):
                    v = mu2[j] + off * s2[j]
                    if t_lo < v < t_hi:
                        brk[nb] = v
                        nb += 1
                used += 1
        brk = np.sort(brk[:nb])
        acc = t_lo
        for pnl in range(nb - 1):
            a = brk[pnl]
            width = brk[pnl + 1] - a
            if width <= 0.0:
                continue
            c0 = a + 0.5 * width
            for g in range(gl_x.shape[0]):
                tt = c0 + 0.5 * width * gl_x[g]
                acc += 0.5 * width * gl_w[g] * (-math.expm1(_log_cdf_max(tt, mu2, s2, w2)))
        out[k] = acc


@njit(cache=True)
def tail_ranks(lam, T, r, R):
    """One backward pass over a non-increasing spectrum ``lam`` (p,): tail sums and effective ranks.

    ``T[k] = sum_{i>=k} lam_i`` (0-based, i.e. the tail beyond the k-th largest, 1-based ``i > k``),
    ``r[k] = T[k] / lam[k]``, ``R[k] = T[k]^2 / sum_{i>=k} lam_i^2``; 0 where ``lam[k] = 0``.
    Accumulated from the smallest eigenvalue up, in order (no fastmath: the order is the accuracy).
    """
    p = lam.shape[0]
    s1 = 0.0
    s2 = 0.0
    for k in range(p - 1, -1, -1):
        v = lam[k]
        s1 += v
        s2 += v * v
        T[k] = s1
        if v > 0.0:
            r[k] = s1 / v
            R[k] = s1 * s1 / s2
        else:
            r[k] = 0.0
            R[k] = 0.0


@njit(cache=True)
def non_increasing(a):
    """True when ``a[0] >= a[1] >= ...``."""
    for j in range(1, a.shape[0]):
        if a[j] > a[j - 1]:
            return False
    return True


@njit(cache=True)
def log_bins(lam, mult, lo, width, cnt, slog):
    """Histogram of ``log(lam)`` in bins ``[lo + b width, lo + (b + 1) width)`` (last bin closed):
    ``cnt[b] += w``, ``slog[b] += w log(lam)`` with ``w = mult`` (all ones when ``mult`` is empty).

    ``cnt``, ``slog``: (nbins,) accumulators. No temporaries, one pass (used at p = 10^7).
    """
    nb = cnt.shape[0]
    ones = mult.shape[0] == 0
    for j in range(lam.shape[0]):
        lg = math.log(lam[j])
        b = int((lg - lo) / width)
        if b < 0:
            b = 0
        elif b >= nb:
            b = nb - 1
        w = 1.0 if ones else mult[j]
        cnt[b] += w
        slog[b] += w * lg
