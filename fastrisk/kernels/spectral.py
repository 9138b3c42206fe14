"""Per-penalty spectral reductions: every penalty from one eigendecomposition.

Notation: Gram eigenvalues ``s`` (ascending, as eigh returns them); components ``i < start`` are
numerically null and contribute exactly zero (pseudo-inverse convention); the spectral filter of
penalty ``lam`` is ``f_i = 1 / (s_i + lam)``.
"""

from __future__ import annotations

import numpy as np
from numba import njit, prange

from ..config import FASTMATH


@njit(parallel=True, cache=True, fastmath=FASTMATH)
def filter_matrix(s, start, lam, coef, out):
    """``out[i, l] = coef[i] / (s[i] + lam[l])`` for ``i >= start``, 0 for null components.

    s, coef: (g,) float64; lam: (L,) float64; out: (g, L) float64, C-contiguous.
    """
    g = s.shape[0]
    L = lam.shape[0]
    for i in prange(g):
        if i < start:
            for l in range(L):
                out[i, l] = 0.0
        else:
            si = s[i]
            ci = coef[i]
            for l in range(L):
                out[i, l] = ci / (si + lam[l])


@njit(parallel=True, cache=True, fastmath=FASTMATH)
def filtered_sums(s, start, lam, a1, a2, out1, out2):
    """Per penalty, ``out1[k, l] = sum_i a1[k, i] f_i`` and ``out2[k, l] = sum_i a2[k, i] f_i**2``.

    Covers ``||theta||_2^2 = sum s_i z_i^2 f_i^2``, ``theta^T v = sum c_i h_i f_i`` and similar
    O(g) per-penalty sums, without forming the (g, L) filter matrix.
    s: (g,); lam: (L,); a1: (k1, g); a2: (k2, g); out1: (k1, L); out2: (k2, L); float64.
    """
    g = s.shape[0]
    L = lam.shape[0]
    k1 = a1.shape[0]
    k2 = a2.shape[0]
    for l in prange(L):
        lm = lam[l]
        for k in range(k1):
            out1[k, l] = 0.0
        for k in range(k2):
            out2[k, l] = 0.0
        for i in range(start, g):
            f = 1.0 / (s[i] + lm)
            for k in range(k1):
                out1[k, l] += a1[k, i] * f
            f2 = f * f
            for k in range(k2):
                out2[k, l] += a2[k, i] * f2


@njit(parallel=True, cache=True, fastmath=FASTMATH)
def colwise_dot(A, B, out):
    """``out[l] = sum_i A[i, l] * B[i, l]`` for (g, L) C-contiguous A, B (quadratic forms w^T M w
    for all penalties at once, with B = M @ W computed by BLAS)."""
    g, L = A.shape
    nchunk = min(L, 64)
    step = (L + nchunk - 1) // nchunk
    for c in prange(nchunk):
        l0 = c * step
        l1 = min(L, l0 + step)
        for l in range(l0, l1):
            out[l] = 0.0
        for i in range(g):
            for l in range(l0, l1):
                out[l] += A[i, l] * B[i, l]


# ----------------------------------------------------------------------------- several targets
# A multi-target path has one right-hand side per target: ``coef`` (g, k) instead of (g,). The
# filter ``1 / (s_i + lam_l)`` is shared, so every (penalty, target) pair costs O(1) per component.


@njit(parallel=True, cache=True, fastmath=FASTMATH)
def filter_targets(s, start, lam, coef, out):
    """``out[i, t, l] = coef[i, t] / (s[i] + lam[l])`` for ``i >= start``, 0 for null components.

    The multi-target :func:`filter_matrix` (the same expression, so each target's slice equals it);
    target-major: ``out.reshape(g, k * L)`` has the columns of target t at ``t * L:(t + 1) * L``.
    s: (g,); lam: (L,); coef: (g, k); out: (g, k, L) float64, C-contiguous.
    """
    g = s.shape[0]
    k = coef.shape[1]
    L = lam.shape[0]
    for i in prange(g):
        if i < start:
            for t in range(k):
                for l in range(L):
                    out[i, t, l] = 0.0
        else:
            si = s[i]
            for t in range(k):
                ci = coef[i, t]
                for l in range(L):
                    out[i, t, l] = ci / (si + lam[l])


#: Penalties per block of :func:`error_sums`: each row of delta and zeta (k values) is read once per
#: block instead of once per penalty (the kernel is bound by those reads, not by its flops).
_PEN_BLOCK = 16


@njit(parallel=True, cache=True, fastmath=FASTMATH)
def error_sums(s, start, lam, delta, zeta, w, v, use_v, out_sq, out_lin):
    """Per (penalty, target), sums over the error weights ``e_it = (delta[i, t] - zeta[i, t] lam)
    * f_i`` with ``f_i = 1 / (s_i + lam)`` (components ``i >= start``), never forming e:

    ``out_sq[l, t] = sum_i w[i] e_it^2`` and, when ``use_v``, ``out_lin[l, t] = sum_i v[i, t] e_it``.

    With ``zeta = 0`` and ``delta`` the right-hand side this is ``||theta||_2^2`` (w = d); with the
    error coordinates of theta* it is ``||theta - P theta*||^2`` and its cross term with the remainder.
    s, w: (g,); lam: (L,); delta, zeta, v: (g, k); out_sq, out_lin: (L, k) float64.
    """
    g = s.shape[0]
    L = lam.shape[0]
    k = delta.shape[1]
    B = _PEN_BLOCK
    for bb in prange((L + B - 1) // B):
        l0 = bb * B
        nl = min(L, l0 + B) - l0
        sq = np.zeros((B, k))
        lin = np.zeros((B, k))
        for i in range(start, g):
            d = delta[i]
            z = zeta[i]
            si = s[i]
            wi = w[i]
            for j in range(nl):
                lm = lam[l0 + j]
                f = 1.0 / (si + lm)
                wf2 = wi * f * f
                a = sq[j]
                if use_v:
                    vi = v[i]
                    c = lin[j]
                    for t in range(k):
                        q = d[t] - z[t] * lm
                        a[t] += wf2 * (q * q)
                        c[t] += vi[t] * q * f
                else:
                    for t in range(k):
                        q = d[t] - z[t] * lm
                        a[t] += wf2 * (q * q)
        for j in range(nl):
            for t in range(k):
                out_sq[l0 + j, t] = sq[j, t]
                out_lin[l0 + j, t] = lin[j, t]
