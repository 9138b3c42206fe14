"""Streaming l_q norms and Sigma-weighted squares of ridge coefficients, one block of features at a time.

The caller forms one slab ``T = (theta_lam[j0:j1])`` for all penalties as a BLAS product, laid out
(L, b) so each penalty's row is contiguous, and this kernel folds it into per-penalty accumulators.
The (p, L) coefficient matrix is never held.

Accumulators per exponent q (row k of ``acc``/``scale``):
- q = 1: ``acc = sum |theta|``;  q = 2: ``acc = sum theta**2``;  q = inf: ``acc = max |theta|``;
- other q: ``scale**q * acc = sum |theta|**q`` with ``scale`` the running max (LAPACK dnrm2-style
  rescaling: no overflow or underflow for large q).
Use :func:`finish_norms` to turn them into norms.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit, prange

from ..config import FASTMATH


@njit(cache=True, fastmath=FASTMATH)
def fold_row(row, m, sig, tstar, j0, use_sig, qs, acc, scale, acc_sig, l):
    """Fold ``row[:m]`` (penalty l's coefficients on features ``j0 .. j0 + m``) into column l of the
    accumulators (see :func:`reduce_coef_block`; ``sig``/``tstar`` are indexed from ``j0``).

    The sums run on four interleaved partial sums (a fixed order, no fastmath), so that the additions
    do not wait on one another."""
    m4 = m - m % 4
    if use_sig:
        a0 = a1 = a2 = a3 = 0.0
        for j in range(0, m4, 4):
            d0 = row[j] - tstar[j0 + j]
            d1 = row[j + 1] - tstar[j0 + j + 1]
            d2 = row[j + 2] - tstar[j0 + j + 2]
            d3 = row[j + 3] - tstar[j0 + j + 3]
            a0 += sig[j0 + j] * d0 * d0
            a1 += sig[j0 + j + 1] * d1 * d1
            a2 += sig[j0 + j + 2] * d2 * d2
            a3 += sig[j0 + j + 3] * d3 * d3
        for j in range(m4, m):
            d0 = row[j] - tstar[j0 + j]
            a0 += sig[j0 + j] * d0 * d0
        acc_sig[l] += (a0 + a1) + (a2 + a3)
    for k in range(qs.shape[0]):
        q = qs[k]
        if q == 1.0:
            a0 = a1 = a2 = a3 = 0.0
            for j in range(0, m4, 4):
                a0 += abs(row[j])
                a1 += abs(row[j + 1])
                a2 += abs(row[j + 2])
                a3 += abs(row[j + 3])
            for j in range(m4, m):
                a0 += abs(row[j])
            acc[k, l] += (a0 + a1) + (a2 + a3)
        elif q == 2.0:
            a0 = a1 = a2 = a3 = 0.0
            for j in range(0, m4, 4):
                a0 += row[j] * row[j]
                a1 += row[j + 1] * row[j + 1]
                a2 += row[j + 2] * row[j + 2]
                a3 += row[j + 3] * row[j + 3]
            for j in range(m4, m):
                a0 += row[j] * row[j]
            acc[k, l] += (a0 + a1) + (a2 + a3)
        elif math.isinf(q):
            mx = acc[k, l]
            for j in range(m):
                v = abs(row[j])
                if v > mx:
                    mx = v
            acc[k, l] = mx
        else:
            sc = scale[k, l]
            t = acc[k, l]
            for j in range(m):
                v = abs(row[j])
                if v == 0.0:
                    continue
                if v > sc:
                    t = 1.0 + t * (sc / v) ** q
                    sc = v
                else:
                    t += (v / sc) ** q
            scale[k, l] = sc
            acc[k, l] = t


@njit(parallel=True, cache=True, fastmath=FASTMATH)
def reduce_coef_block(T, sig, tstar, use_sig, qs, acc, scale, acc_sig):
    """Fold one slab ``T`` (L, b) into the accumulators.

    sig, tstar: (b,) float64, the diagonal of Sigma and theta_star on this block; when ``use_sig``,
    ``acc_sig[l] += sum_j sig[j] * (T[l, j] - tstar[j])**2`` (the standard risk, accumulated without
    cancellation). qs: (nq,) exponents; acc, scale: (nq, L).
    """
    L, b = T.shape
    for l in prange(L):
        fold_row(T[l], b, sig, tstar, 0, use_sig, qs, acc, scale, acc_sig, l)


def finish_norms(qs: np.ndarray, acc: np.ndarray, scale: np.ndarray) -> np.ndarray:
    """Norms (nq, L) from the accumulators of :func:`reduce_coef_block`."""
    out = np.empty_like(acc)
    for k, q in enumerate(qs):
        if q == 1.0 or math.isinf(q):
            out[k] = acc[k]
        elif q == 2.0:
            out[k] = np.sqrt(acc[k])
        else:
            out[k] = scale[k] * acc[k] ** (1.0 / q)
    return out
