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


@njit(parallel=True, cache=True, fastmath=FASTMATH)
def reduce_coef_block(T, sig, tstar, use_sig, qs, acc, scale, acc_sig):
    """Fold one slab ``T`` (L, b) into the accumulators.

    sig, tstar: (b,) float64, the diagonal of Sigma and theta_star on this block; when ``use_sig``,
    ``acc_sig[l] += sum_j sig[j] * (T[l, j] - tstar[j])**2`` (the standard risk, accumulated without
    cancellation). qs: (nq,) exponents; acc, scale: (nq, L).
    """
    L, b = T.shape
    nq = qs.shape[0]
    for l in prange(L):
        row = T[l]
        if use_sig:
            a = 0.0
            for j in range(b):
                d = row[j] - tstar[j]
                a += sig[j] * d * d
            acc_sig[l] += a
        for k in range(nq):
            q = qs[k]
            if q == 1.0:
                a = 0.0
                for j in range(b):
                    a += abs(row[j])
                acc[k, l] += a
            elif q == 2.0:
                a = 0.0
                for j in range(b):
                    a += row[j] * row[j]
                acc[k, l] += a
            elif math.isinf(q):
                m = acc[k, l]
                for j in range(b):
                    v = abs(row[j])
                    if v > m:
                        m = v
                acc[k, l] = m
            else:
                sc = scale[k, l]
                t = acc[k, l]
                for j in range(b):
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
