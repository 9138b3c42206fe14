"""NTK Gram matrices of the two-layer ReLU network ``f(x) = m^-1/2 sum_r a_r relu(w_r^T x)``.

Infinite width (arc-cosine forms, Cho & Saul 2009), ``u = <x,x'>/(|x||x'|)``:

- ``train="first"`` (W trained): ``K_W = <x,x'> (pi - arccos u) / (2 pi)``;
- ``train="second"`` (a trained): ``K_a = |x||x'| (sqrt(1 - u^2) + (pi - arccos u) u) / (2 pi)``;
- ``train="both"``: ``K_W + K_a``.

``K(x, x) = |x|^2 / 2`` for the first two; both are positively 1-homogeneous in each argument; a
zero row gives ``K = 0``. The Gram is one BLAS product ``X X^T`` followed by one fused Numba pass
(norms from the diagonal, clip, arcsin, the formula; one triangle computed and mirrored in place).

Finite width ``m`` (``w_r ~ N(0, I_d)``, ``a_r ~ Unif{+-1}``, seeded; see :mod:`fastrisk.ntk._common`):
``K_m = (X X^T) * (S S^T) / m_eff`` (+ ``A A^T / m_eff`` when a is trained) with ``S = 1{X W^T > 0}``,
``A = relu(X W^T)`` over the ``m_eff`` distinct neurons, accumulated over blocks of neurons so that no
activation block exceeds ``config.BLOCK_BYTES``.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import scipy.linalg.blas as _blas

from .._validation import _all_finite
from ..kernels.ntk import (
    finite_combine,
    mirror_lower,
    ntk_fuse_cross,
    ntk_fuse_sym,
    relu_split,
    row_norms_par,
    step_inplace,
)
from ._common import check_inputs, check_train, check_width, init_rows, neuron_block, seed_entropy

__all__ = ["ntk_gram", "linear_to_ntk"]

ArrayLike = Any


def ntk_gram(X: ArrayLike, X2: ArrayLike | None = None, train: str = "first", width: int | None = None,
             seed=None, *, symmetric_init: bool = True) -> np.ndarray:
    """NTK Gram ``K[i, j] = K(x_i, x2_j)`` of the two-layer ReLU network, shape (n, n2).

    Parameters
    ----------
    X : array_like (n, d)
        Inputs (rows). float32 is kept for the infinite-width GEMM (the elementwise pass is float64
        internally); finite width works in float64.
    X2 : array_like (n2, d), optional
        Second set of inputs; ``None`` gives the symmetric (n, n) Gram of X (half the work).
    train : {"first", "second", "both"}
        Which layers are trained: first layer W (the usual setting), second layer a, or both.
    width : int or None
        ``None``: infinite-width analytic kernel. An int m: the empirical NTK at a seeded init.
    seed : int, SeedSequence or None
        Initialisation seed (finite width only); ``None`` draws fresh entropy.
    symmetric_init : bool
        Finite width: neurons in pairs ``(w, a), (w, -a)`` (m must be even; the kernel then averages
        over the m/2 distinct rows). Use the same value as the :class:`TwoLayerNTK` it should match.

    Returns
    -------
    K : ndarray (n, n2)
        C-contiguous; float64 (float32 only for an infinite-width Gram of float32 inputs).

    Notes
    -----
    Memory: infinite width, the output plus O(n) beyond X (the GEMM writes the output, the fused pass
    works in place). Finite width: the output plus one (first or second layer) or two (both) n x n2
    accumulators and one activation block of ``config.BLOCK_BYTES`` (symmetric Grams accumulate with
    SYRK, half the flops of a GEMM).

    Accuracy: entries are exact to rounding except for nearly parallel (or antiparallel) pairs, where
    arccos is not Lipschitz and any method that starts from ``<x, x'>`` loses about
    ``sqrt(eps) |x||x'|`` (~1e-8 relative in float64). The diagonal of a symmetric Gram is exact
    (``u = 1``), and ``u`` within 16 ulps of +-1 is snapped to +-1, so duplicated rows stay duplicated
    (the Gram is then exactly rank-deficient, as it should be).

    Examples
    --------
    >>> import numpy as np
    >>> from fastrisk import ntk
    >>> X = np.random.default_rng(0).standard_normal((6, 4))
    >>> K = ntk.ntk_gram(X)
    >>> K.shape, bool(np.allclose(K, K.T)), bool(np.all(np.linalg.eigvalsh(K) > 0))
    ((6, 6), True, True)
    """
    mode = check_train(train)
    m = check_width(width, symmetric_init)
    X = check_inputs(X, "X")
    if X2 is not None:
        X2 = check_inputs(X2, "X2", d=X.shape[1])
        if X2.dtype != X.dtype:
            X, X2 = X.astype(np.float64, copy=False), X2.astype(np.float64, copy=False)
    with np.errstate(over="ignore", invalid="ignore"):  # overflow: a clear error below
        if m is None:
            G = _infinite_gram(X, X2, mode)
        else:
            m_eff = m // 2 if symmetric_init else m
            G = _finite_gram(X, X2, mode, m_eff, seed_entropy(seed))
    if not _all_finite(G):
        raise ValueError(f"the NTK Gram overflows {G.dtype}: X {'and X2 are' if X2 is not None else 'is'} "
                         "too large (the Gram of c X is c^2 times that of X: divide X by its largest "
                         "entry)")
    return G


def linear_to_ntk(G: np.ndarray, mode: int, norms1: np.ndarray | None = None,
                  norms2: np.ndarray | None = None) -> np.ndarray:
    """In place: a linear Gram (``X X^T`` if norms are None, else ``X X2^T``) becomes the NTK Gram."""
    if norms1 is None:
        ntk_fuse_sym(G, mode, snap_for(G.dtype))
    else:
        ntk_fuse_cross(G, norms1, norms2, mode, snap_for(G.dtype))
    return G


def snap_for(dtype) -> float:
    """``u`` within this of +-1 is snapped to +-1 (16 ulps of the Gram's dtype; see kernels.ntk)."""
    return 16.0 * float(np.finfo(dtype).eps)


def _norms(X: np.ndarray) -> np.ndarray:
    """Row norms in float64 (float32 rows accumulated in float64 by a Numba kernel)."""
    if X.dtype == np.float64:
        return np.sqrt(np.einsum("ij,ij->i", X, X))
    out = np.empty(X.shape[0])
    row_norms_par(X, out)
    return out


def _infinite_gram(X, X2, mode):
    if X2 is None:
        G = _syrk_lower(X)
        ntk_fuse_sym(G, mode, snap_for(G.dtype))
        return G
    G = X @ X2.T
    ntk_fuse_cross(G, _norms(X), _norms(X2), mode, snap_for(G.dtype))
    return G


#: From this many rows on, the symmetric Gram calls SciPy's SYRK directly (lower triangle only, no
#: mirror pass: the fused NTK pass mirrors); below it NumPy's ``X @ X.T`` (also SYRK, plus a mirror)
#: measured faster on the project's 2-core machines.
SYRK_MIN_ROWS: int = 2048


def _syrk_lower(X: np.ndarray) -> np.ndarray:
    """``X X^T`` (n, n) C-contiguous with (at least) the lower triangle written.
    X: C-contiguous float32/float64."""
    if X.shape[0] < SYRK_MIN_ROWS:
        return X @ X.T
    syrk = _blas.dsyrk if X.dtype == np.float64 else _blas.ssyrk
    # X.T is Fortran-contiguous (no copy); trans=1 gives (X.T)^T X.T = X X^T, upper triangle in
    # Fortran order, i.e. the lower triangle of the C-ordered transpose.
    return syrk(1.0, X.T, trans=1).T


def _acc(P: np.ndarray, Q: np.ndarray, CT: np.ndarray | None) -> np.ndarray:
    """``C += P Q^T`` for C-contiguous float64 P (np, b), Q (nq, b), with C kept as its transpose
    ``CT`` (nq, np) in Fortran order (so ``CT.T`` is the C-contiguous C); no temporaries."""
    if CT is None:
        return _blas.dgemm(1.0, Q.T, P.T, trans_a=1)
    return _blas.dgemm(1.0, Q.T, P.T, beta=1.0, c=CT, trans_a=1, overwrite_c=1)


def _acc_sym(P: np.ndarray, CF: np.ndarray | None) -> np.ndarray:
    """``C += P P^T`` by SYRK (half a GEMM): ``CF`` is C in Fortran order with its upper triangle
    written, i.e. ``CF.T`` is C-contiguous with the lower triangle valid (the rest is 0)."""
    if CF is None:
        return _blas.dsyrk(1.0, P.T, trans=1)
    return _blas.dsyrk(1.0, P.T, trans=1, beta=1.0, c=CF, overwrite_c=1)


def _finite_gram(X, X2, mode, m_eff, entropy):
    X = np.ascontiguousarray(X, dtype=np.float64)
    sym = X2 is None
    X2 = X if sym else np.ascontiguousarray(X2, dtype=np.float64)
    n, d = X.shape
    n2 = X2.shape[0]
    acc = (lambda P, Q, C: _acc_sym(P, C)) if sym else _acc
    GT = acc(X, X2, None)  # (n2, n) F-order: G = GT.T = X X2^T (lower triangle only when sym)
    DT = ET = None
    dummy = np.zeros((1, 1))
    b = neuron_block(m_eff, n + (0 if sym else n2), 1 if mode != 2 else 2)
    for r0 in range(0, m_eff, b):
        r1 = min(m_eff, r0 + b)
        Wb, _ = init_rows(entropy, d, r0, r1)
        Z = X @ Wb.T
        Z2 = Z if sym else X2 @ Wb.T
        if mode == 0:
            step_inplace(Z)
            if not sym:
                step_inplace(Z2)
            DT = acc(Z, Z2, DT)
        elif mode == 1:
            Z = np.maximum(Z, 0.0, out=Z)
            if not sym:
                Z2 = np.maximum(Z2, 0.0, out=Z2)
            ET = acc(Z, Z2, ET)
        else:
            S = np.empty_like(Z)
            relu_split(Z, S)
            if sym:
                S2 = S
            else:
                S2 = np.empty_like(Z2)
                relu_split(Z2, S2)
            DT = acc(S, S2, DT)
            ET = acc(Z, Z2, ET)
    G = GT.T
    finite_combine(G, dummy if DT is None else DT.T, dummy if ET is None else ET.T, 1.0 / m_eff, mode)
    if sym:
        mirror_lower(G)
    return G if G.flags.c_contiguous else np.ascontiguousarray(G)
