"""Numba kernels of the two-layer ReLU NTK: fused elementwise passes on top of one BLAS product.

Kernel modes (``mode``): 0 = first layer trained, ``K_W = <x,x'> (pi - arccos u) / (2 pi)``;
1 = second layer only, ``K_a = |x||x'| (sqrt(1 - u^2) + (pi - arccos u) u) / (2 pi)``; 2 = both,
``K_W + K_a``; with ``u = <x,x'> / (|x||x'|)`` clipped to [-1, 1]. A zero-norm row gives K = 0.
``pi - arccos u = pi/2 + arcsin u`` is evaluated branch-free (:func:`_theta_c`: fdlibm's rational
arcsin on [0, 1/2] and the half-angle identity above it; a few ulps relative on all of [-1, 1], exact
at u = +-1), so the elementwise passes vectorise (no libm calls in the loop). Arithmetic is float64
whatever the storage type. ``snap``: u within
``snap`` of +-1 is set to +-1 (callers pass ``16 * eps`` of the Gram's dtype). Accuracy: for nearly
parallel pairs the kernel is computed to about ``sqrt(eps) |x||x'|`` (arccos is not Lipschitz at 1),
as for any method that starts from the linear Gram.

No validation here (see :mod:`fastrisk.ntk`); every kernel has a plain-NumPy twin in
``tests/naive_ntk.py``.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit, prange

from ..config import FASTMATH

_INV_2PI = 1.0 / (2.0 * math.pi)
_HALF_PI = 0.5 * math.pi
#: Side of the square tiles of the symmetric pass (the mirror write stays in cache).
TILE = 64
#: Below this, 1 - u^2 counts as 0 in the gradient coefficients (the 1/sqrt(1-u^2) term is dropped:
#: its vector factor x_i - |x_i| u z/|z| vanishes there too).
_SING = 1e-24


@njit(cache=True, fastmath=FASTMATH)
def _lower_tile(t, n):
    """Tile ``t`` of the lower block triangle, row-major: block indices ``bj <= bi`` and the row and
    column ranges ``[i0, i1) x [j0, j1)`` of a square C-contiguous (n, n) matrix in TILE blocks."""
    bi = int((math.sqrt(8.0 * t + 1.0) - 1.0) * 0.5)
    while bi * (bi + 1) // 2 > t:
        bi -= 1
    while (bi + 1) * (bi + 2) // 2 <= t:
        bi += 1
    bj = t - bi * (bi + 1) // 2
    i0 = bi * TILE
    j0 = bj * TILE
    return bi, bj, i0, min(n, i0 + TILE), j0, min(n, j0 + TILE)


@njit(cache=True, fastmath=FASTMATH)
def _clip_u(u, snap):
    """Clip to [-1, 1]; within ``snap`` of +-1, snap to +-1 (u's own rounding is ~ eps there, and
    arccos is not Lipschitz at +-1: snapping keeps duplicated rows exactly duplicated)."""
    if u >= 1.0 - snap:
        return 1.0
    if u <= -1.0 + snap:
        return -1.0
    return u


# fdlibm's e_asin.c rational approximation: asin(x) = x + x^3 R(x^2) on [0, 0.5], |error| < 1 ulp.
_PS0 = 1.66666666666666657415e-01
_PS1 = -3.25565818622400915405e-01
_PS2 = 2.01212532134862925881e-01
_PS3 = -4.00555345006794114027e-02
_PS4 = 7.91534994289814532176e-04
_PS5 = 3.47933107596021167570e-05
_QS1 = -2.40339491173441421878e00
_QS2 = 2.02094576023350569471e00
_QS3 = -6.88283971605453293030e-01
_QS4 = 7.70381505559019352791e-02


@njit(cache=True, fastmath=FASTMATH, error_model="numpy", inline="always")
def _theta_c(u):
    """``pi - arccos(u) = pi/2 + arcsin(u)`` for u in [-1, 1], branch-free (selects only, one sqrt,
    one division, no libm call), so that loops over it vectorise.

    With ``a = |u|``: for ``a <= 1/2``, ``w = a``; else ``w = sqrt((1 - a) / 2)`` and ``arcsin a =
    pi/2 - 2 arcsin w``; ``arcsin w`` (w <= 1/2) is fdlibm's rational approximation. For ``u < -1/2``
    the result is ``2 arcsin w`` directly, so it keeps full relative accuracy as ``u -> -1`` (where
    ``pi/2 + arcsin u`` would cancel). Accuracy: a few ulps relative everywhere in [-1, 1]
    (``tests/test_ntk_kernels.py`` checks 1e-14 against ``numpy.arccos`` on a dense grid).
    """
    a = abs(u)
    big = a > 0.5
    z = (1.0 - a) * 0.5 if big else a * a
    w = math.sqrt(z) if big else a
    p = z * (_PS0 + z * (_PS1 + z * (_PS2 + z * (_PS3 + z * (_PS4 + z * _PS5)))))
    q = 1.0 + z * (_QS1 + z * (_QS2 + z * (_QS3 + z * _QS4)))
    r = w + w * (p / q)  # arcsin(w)
    asin_a = _HALF_PI - 2.0 * r if big else r
    neg = _HALF_PI - asin_a if not big else 2.0 * r
    return _HALF_PI + asin_a if u >= 0.0 else neg


@njit(cache=True, fastmath=FASTMATH, error_model="numpy", inline="always")
def _kval(g, a, b, mode, snap):
    """Kernel value from the inner product g = <x,x'> and the norms a = |x|, b = |x'| (branch-free:
    vectorises inside a loop)."""
    nn = a * b
    u = g / nn
    u = min(max(u, -1.0), 1.0)
    u = 1.0 if u >= 1.0 - snap else u
    u = -1.0 if u <= -1.0 + snap else u
    t = _theta_c(u)  # pi - arccos(u)
    kw = g * t * _INV_2PI
    ka = nn * (math.sqrt((1.0 - u) * (1.0 + u)) + t * u) * _INV_2PI
    v = kw if mode == 0 else (ka if mode == 1 else kw + ka)
    return v if nn != 0.0 else 0.0


@njit(cache=True, fastmath=FASTMATH, error_model="numpy")
def _kval_row(row, j0, j1, a, nrm, mode, snap):
    """``row[j] <- K`` from ``row[j] = <x, x_j>`` for j in [j0, j1), ``a = |x|``, ``nrm[j] = |x_j|``;
    one loop per mode so that each vectorises (slices, so that indices are known non-negative and
    need no wraparound)."""
    r = row[j0:j1]
    nr = nrm[j0:j1]
    if mode == 0:
        for j in range(r.shape[0]):
            r[j] = _kval(np.float64(r[j]), a, nr[j], 0, snap)
    elif mode == 1:
        for j in range(r.shape[0]):
            r[j] = _kval(np.float64(r[j]), a, nr[j], 1, snap)
    else:
        for j in range(r.shape[0]):
            r[j] = _kval(np.float64(r[j]), a, nr[j], 2, snap)


@njit(parallel=True, cache=True, fastmath=FASTMATH)
def row_norms_par(X, out):
    """``out[i] = ||X[i]||_2`` accumulated in float64, rows in parallel.
    X: (n, d) C-contiguous; out: (n,) float64."""
    n, d = X.shape
    for i in prange(n):
        acc = 0.0
        for j in range(d):
            v = np.float64(X[i, j])
            acc += v * v
        out[i] = math.sqrt(acc)


@njit(parallel=True, cache=True, fastmath=FASTMATH)
def ntk_fuse_sym(G, mode, snap):
    """In place: the lower triangle of the linear Gram ``G = X X^T`` becomes the full NTK Gram.

    Reads only ``G[i, j]`` for ``j <= i`` (the diagonal gives the norms), writes both triangles.
    Works in square tiles (lower tile computed, then written transposed) so the mirror stays in
    cache. G: (n, n) C-contiguous float32/float64. Extra memory: O(n).
    """
    n = G.shape[0]
    nrm = np.empty(n)
    for i in range(n):
        v = np.float64(G[i, i])
        nrm[i] = math.sqrt(v) if v > 0.0 else 0.0
    nt = (n + TILE - 1) // TILE
    ntiles = nt * (nt + 1) // 2
    for t in prange(ntiles):
        bi, bj, i0, i1, j0, j1 = _lower_tile(t, n)
        for i in range(i0, i1):
            a = nrm[i]
            jend = j1 if bi != bj else i
            _kval_row(G[i], j0, jend, a, nrm, mode, snap)
            if bi == bj:  # u = 1 exactly: K(x, x) = |x|^2 / 2 (first or second), |x|^2 (both)
                G[i, i] = np.float64(G[i, i]) * (1.0 if mode == 2 else 0.5)
        for i in range(i0, i1):
            jend = j1 if bi != bj else i
            for j in range(j0, jend):
                G[j, i] = G[i, j]


@njit(parallel=True, cache=True, fastmath=FASTMATH)
def ntk_fuse_cross(G, n1, n2, mode, snap):
    """In place: ``G[i, j] = <x_i, x'_j>`` becomes ``K(x_i, x'_j)``; n1, n2 the row norms (float64)."""
    m, n = G.shape
    for i in prange(m):
        _kval_row(G[i], 0, n, n1[i], n2, mode, snap)


@njit(parallel=True, cache=True, fastmath=FASTMATH)
def ntk_grad_terms(G, zn, xn, mode, snap, A, B):
    """Values and input-gradient coefficients of ``K(z_k, x_i)`` from ``G = Z X^T`` (P, n).

    In place ``G[k, i] <- K(z_k, x_i)``; ``A[k, i]`` = coefficient of ``x_i`` and ``B[k, i]`` =
    coefficient of ``z_k / |z_k|`` in ``grad_z K(z_k, x_i) = A x_i + B z_k/|z_k|``. With ``K = |z||x|
    g(u)``: ``A = g'(u)``, ``B = |x_i| (g(u) - u g'(u))``. Mode 0: ``g' = (pi - arccos u)/(2 pi) + u /
    (2 pi sqrt(1-u^2))``, ``g - u g' = -u^2 / (2 pi sqrt(1-u^2))``; mode 1: ``g' = (pi - arccos u)/(2 pi)``,
    ``g - u g' = sqrt(1-u^2)/(2 pi)``; mode 2 the sums. A zero-norm z or x gives A = B = 0 (and K = 0);
    ``1 - u^2 < 1e-24`` drops the singular term (its vector factor vanishes with it).
    G, A, B: (P, n) C-contiguous float64; zn (P,), xn (n,) float64.
    """
    P, n = G.shape
    for k in prange(P):
        a = zn[k]
        for i in range(n):
            b = xn[i]
            g = G[k, i]
            nn = a * b
            if nn == 0.0:
                G[k, i] = 0.0
                A[k, i] = 0.0
                B[k, i] = 0.0
                continue
            u = _clip_u(g / nn, snap)
            t = _HALF_PI + math.asin(u)
            s2 = 1.0 - u * u
            s = math.sqrt(s2)
            c = u / s if s2 > _SING else 0.0  # u / sqrt(1 - u^2)
            val = 0.0
            ca = 0.0
            cb = 0.0
            if mode != 1:
                val += g * t * _INV_2PI
                ca += (t + c) * _INV_2PI
                cb -= u * c * _INV_2PI
            if mode != 0:
                val += nn * (s + t * u) * _INV_2PI
                ca += t * _INV_2PI
                cb += s * _INV_2PI
            G[k, i] = val
            A[k, i] = ca
            B[k, i] = b * cb


@njit(parallel=True, cache=True, fastmath=FASTMATH)
def step_inplace(Z):
    """``Z <- 1{Z > 0}`` (the ReLU derivative, a.e.), in place. Z: (n, b) float64."""
    n, b = Z.shape
    for i in prange(n):
        for r in range(b):
            Z[i, r] = 1.0 if Z[i, r] > 0.0 else 0.0


@njit(parallel=True, cache=True, fastmath=FASTMATH)
def relu_split(Z, S):
    """``S <- 1{Z > 0}`` and ``Z <- max(Z, 0)`` in one pass. Z, S: (n, b) float64."""
    n, b = Z.shape
    for i in prange(n):
        for r in range(b):
            v = Z[i, r]
            if v > 0.0:
                S[i, r] = 1.0
            else:
                S[i, r] = 0.0
                Z[i, r] = 0.0


@njit(parallel=True, cache=True, fastmath=FASTMATH)
def finite_combine(G, D, E, scale, mode):
    """Empirical NTK from its accumulated pieces, in place on ``G = X X2^T``.

    ``D = S S2^T`` (activation overlaps), ``E = A A2^T`` (ReLU feature products), summed over the
    ``m_eff`` distinct neurons; ``scale = 1 / m_eff``. Mode 0: ``G * D * scale``; 1: ``E * scale``;
    2: ``(G * D + E) * scale``. E (mode 0) or D (mode 1) is not read. All (n, n2) float64.
    """
    n, n2 = G.shape
    for i in prange(n):
        for j in range(n2):
            if mode == 0:
                G[i, j] = G[i, j] * D[i, j] * scale
            elif mode == 1:
                G[i, j] = E[i, j] * scale
            else:
                G[i, j] = (G[i, j] * D[i, j] + E[i, j]) * scale


@njit(parallel=True, cache=True, fastmath=FASTMATH)
def gather_penalty(K, A, B, beta, lidx, f, c):
    """Per point k with penalty ``l = lidx[k]``: ``f[k] = sum_i K[k,i] beta[i,l]``, ``c[k] = sum_i
    B[k,i] beta[i,l]`` and, in place, ``A[k, i] <- A[k, i] * beta[i, l]`` (ready for one GEMM with X).
    K, A, B: (P, n); beta: (n, L); lidx: (P,) int64; f, c: (P,). float64.
    """
    P, n = K.shape
    for k in prange(P):
        l = lidx[k]
        fk = 0.0
        ck = 0.0
        for i in range(n):
            bi = beta[i, l]
            fk += K[k, i] * bi
            ck += B[k, i] * bi
            A[k, i] = A[k, i] * bi
        f[k] = fk
        c[k] = ck


@njit(parallel=True, cache=True, fastmath=FASTMATH)
def mirror_lower(G):
    """In place: copy the lower triangle of the square C-contiguous G onto its upper triangle
    (square tiles, so the transposed writes stay in cache)."""
    n = G.shape[0]
    nt = (n + TILE - 1) // TILE
    ntiles = nt * (nt + 1) // 2
    for t in prange(ntiles):
        bi, bj, i0, i1, j0, j1 = _lower_tile(t, n)
        for i in range(i0, i1):
            jend = j1 if bi != bj else i
            for j in range(j0, jend):
                G[j, i] = G[i, j]
