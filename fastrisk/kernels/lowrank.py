"""Kernels of the low-rank filter route (:mod:`fastrisk._lowrank`).

Notation as in :mod:`fastrisk.kernels.spectral`: Gram eigenvalues ``s`` ascending, components
``i < start`` null, penalties ``lam``. The *scaled filter* of a dual ridge path is the (g - start, L)
matrix ``A[i - start, l] = sqrt(s_i) c_i / (s_i + lam_l) * inv[l]``: column l is the coefficient vector
``theta_l`` written in the orthonormal basis ``V = X^T U diag(s)^-1/2`` of the row space of X, divided
by ``||theta_l||_2`` (``inv[l] = 1 / ||theta_l||_2``, or 0 for a zero column), so every column has unit
norm and an error ``e`` in a column is an error ``||theta_l||_2 * ||e||`` in ``theta_l``.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit, prange

from ..config import FASTMATH


@njit(parallel=True, cache=True, fastmath=FASTMATH)
def scaled_filter(s, start, lam, coef, inv, out):
    """``out[i - start, l] = sqrt(s_i) * coef[i] / (s_i + lam[l]) * inv[l]`` for ``i >= start``.

    s, coef: (g,) float64; lam, inv: (L,) float64; out: (g - start, L) float64, C-contiguous.
    """
    g = s.shape[0]
    L = lam.shape[0]
    for i in prange(start, g):
        si = s[i]
        a = math.sqrt(si) * coef[i]
        for l in range(L):
            out[i - start, l] = a / (si + lam[l]) * inv[l]


@njit(parallel=True, cache=True, fastmath=FASTMATH)
def diff_colnorms(A, B, out):
    """``out[l] = ||A[:, l] - B[:, l]||_2`` for (m, L) C-contiguous A, B (float64), without forming
    ``A - B``. Scaled like LAPACK's dnrm2 is not needed here: entries are O(1) by construction.
    Eight bands of columns (one per task), each swept row by row at unit stride into a local sum."""
    m, L = A.shape
    nchunk = min(L, 8)
    step = (L + nchunk - 1) // nchunk
    for c in prange(nchunk):
        l0 = c * step
        l1 = min(L, l0 + step)
        acc = np.zeros(max(0, l1 - l0))
        for i in range(m):
            a = A[i, l0:l1]
            b = B[i, l0:l1]
            for l in range(l1 - l0):
                d = a[l] - b[l]
                acc[l] += d * d
        for l in range(l1 - l0):
            out[l0 + l] = math.sqrt(acc[l])


@njit(cache=True, fastmath=FASTMATH)
def pivoted_mgs(Y, tol, Q):
    """Column-pivoted modified Gram-Schmidt with reorthogonalisation ("twice is enough").

    Repeatedly takes the column of ``Y`` with the largest remaining norm, stops when that norm is at
    most ``tol`` (absolute), normalises it into the next column of ``Q`` and removes its direction
    from the remaining columns. Y: (m, k) float64, overwritten; Q: (m, k) float64 output.
    Returns the number of columns written; ``Q[:, :count]`` is orthonormal to working precision and
    spans the columns of Y up to ``tol``. Single-threaded: k is small (tens), m up to a few thousand.
    """
    m, k = Y.shape
    used = np.zeros(k, dtype=np.bool_)
    count = 0
    for _ in range(k):
        best = -1.0
        jb = -1
        for j in range(k):
            if used[j]:
                continue
            a = 0.0
            for i in range(m):
                a += Y[i, j] * Y[i, j]
            if a > best:
                best = a
                jb = j
        if jb < 0 or math.sqrt(best) <= tol:
            break
        used[jb] = True
        for i in range(m):
            Q[i, count] = Y[i, jb]
        for _pass in range(2):
            for c in range(count):
                d = 0.0
                for i in range(m):
                    d += Q[i, c] * Q[i, count]
                for i in range(m):
                    Q[i, count] -= d * Q[i, c]
            nrm = 0.0
            for i in range(m):
                nrm += Q[i, count] * Q[i, count]
            nrm = math.sqrt(nrm)
            if nrm == 0.0:
                break
            for i in range(m):
                Q[i, count] /= nrm
        if nrm == 0.0:
            continue
        for j in range(k):
            if used[j]:
                continue
            d = 0.0
            for i in range(m):
                d += Q[i, count] * Y[i, j]
            for i in range(m):
                Y[i, j] -= d * Q[i, count]
        count += 1
    return count

