"""Building a ridge path: from X (Gram or SVD), from a Gram, or from a streamed design.

Each builder validates its own inputs, forms the eigen-pairs (:class:`fastrisk._spectral.SpectralGram`)
and hands :func:`setup` the right-hand side in the eigenbasis; :func:`setup` sets the state every
other module reads: ``side``, ``spec``, ``lam``, ``_c`` and its hat-unit twins, ``features`` and the
caches.
"""

from __future__ import annotations

import math
import warnings

import numpy as np

from .. import _lowrank, config
from .._spectral import SpectralGram
from .._validation import as_float_array, check_design_matrix, check_lam, check_positive_int, check_vector
from .._warnings import IllConditionedWarning
from ..design import _as_design, _check_float_dtype, as_seed_sequence
from ._features import Features, block_cols, mode_structure, xtv, xv

__all__ = ["build_dense", "build_from_gram", "build_from_design", "setup"]


def check_gram_matches_X(gram: np.ndarray, X: np.ndarray, side: str) -> None:
    """A Gram passed beside X must be its Gram: one random probe ``gram v`` against ``X (X^T v)``
    (O(n p), not a second Gram), to the rounding of the Gram's dtype."""
    v = np.random.default_rng(0).standard_normal(gram.shape[0])
    if side == "dual":
        want = xv(X, xtv(X, v))
    else:
        want = xtv(X, xv(X, v))
    got = gram.astype(np.float64, copy=False) @ v
    tol = (1e-3 if np.float32 in (gram.dtype, X.dtype) else 1e-9) * max(
        float(np.linalg.norm(want)), float(np.abs(gram).max()) * float(np.linalg.norm(v)))
    if not float(np.linalg.norm(got - want)) <= tol:
        what = "X X^T" if side == "dual" else "X^T X"
        raise ValueError(f"gram is not {what} for the X passed beside it (a random probe differs by "
                         f"{float(np.linalg.norm(got - want)):.3g}, tolerance {tol:.3g})")


def check_gram_scale(gram: np.ndarray, summed: int, nonzero, what: str) -> None:
    """Refuse a Gram whose entries underflowed (a clear error, as for overflow, never a silent
    zero or NaN estimator). Its diagonal holds the squared row norms; once the largest is below
    ``summed * tiny / eps`` the products of entries fall among the subnormal numbers and the Gram
    loses relative accuracy (all of it when it is 0). ``nonzero()`` tells a genuinely zero design
    (rank 0: theta = 0 for every penalty) from an underflowed one; it is only called then."""
    fi = np.finfo(gram.dtype)
    dmax = float(np.max(np.diagonal(gram))) if gram.size else 0.0
    limit = summed * float(fi.tiny) / float(fi.eps)
    if dmax < limit and nonzero():
        raise ValueError(
            f"X is too small for {gram.dtype}: the largest diagonal entry of {what} is {dmax!r}, below "
            f"{limit:.3g}, where the products of its entries underflow; rescale X (e.g. divide it by "
            "its largest entry: ridge on c X with penalties c^2 lam has coefficients theta / c)")


def build_dense(path, X, y, lam, method: str) -> None:
    """``RidgePath(X, y, lam, method=...)``."""
    if method not in ("gram", "svd"):
        raise ValueError(f"method must be 'gram' or 'svd', got {method!r}")
    X = check_design_matrix(X)
    n, p = X.shape
    y = check_vector(y, n, "y")
    if method == "svd":
        _build_svd(path, X, y, lam)
    elif n <= p:
        with np.errstate(over="ignore", invalid="ignore"):  # overflow: a clear error below
            gram = X @ X.T
        check_gram_scale(gram, p, lambda: bool(np.any(X)), "X X^T")
        setup(path, gram, "dual", y, lam, X=X, n=n, p=p, rank_dim=p)
    else:
        with np.errstate(over="ignore", invalid="ignore"):
            gram = X.T @ X
        check_gram_scale(gram, n, lambda: bool(np.any(X)), "X^T X")
        setup(path, gram, "primal", xtv(X, y), lam, X=X, n=n, p=p, rank_dim=n)


def build_from_gram(path, gram, rhs, lam, side, X, n_samples, n_features) -> None:
    """:meth:`RidgePath.from_gram`."""
    if side not in ("dual", "primal"):
        raise ValueError(f"side must be 'dual' or 'primal', got {side!r}")
    gram = as_float_array(gram, "gram", ndim=2)
    g = gram.shape[0]
    if g == 0 or gram.shape[1] != g:
        raise ValueError(f"gram must be a non-empty square matrix, got shape {gram.shape}")
    scale = float(np.abs(gram).max()) or 1.0
    if not np.allclose(gram, gram.T, rtol=0, atol=1e-6 * scale if gram.dtype == np.float32
                       else 1e-10 * scale):
        raise ValueError("gram must be symmetric (X X^T or X^T X)")
    rhs = check_vector(rhs, g, "rhs")
    if n_samples is not None:
        n_samples = check_positive_int(n_samples, "n_samples")
    if n_features is not None:
        n_features = check_positive_int(n_features, "n_features")
    if X is not None:
        X = check_design_matrix(X)
        want = X.shape[0] if side == "dual" else X.shape[1]
        if want != g:
            raise ValueError(f"X has shape {X.shape}, which does not match a {side} gram of size {g}")
        for name, given, real in (("n_samples", n_samples, X.shape[0]),
                                  ("n_features", n_features, X.shape[1])):
            if given is not None and given != real:
                raise ValueError(f"{name}={given} contradicts X of shape {X.shape}")
        check_gram_matches_X(gram, X, side)
    if side == "dual":
        n = g
        p = X.shape[1] if X is not None else n_features
    else:
        p = g
        n = X.shape[0] if X is not None else n_samples
    setup(path, np.array(gram, copy=True), side, rhs, lam, X=X, n=n, p=p,
          rank_dim=max(g, (p if side == "dual" else n) or g), user_gram=True)


def build_from_design(cls, design, n, lam, seed, dtype, block, risk_stats):
    """:meth:`RidgePath.from_design`: returns the path (a dense one when ``n > p``)."""
    design = _as_design(design)
    if not design.is_diagonal:
        raise ValueError("from_design needs a diagonal covariance (spectrum=...); a full cov mixes "
                         "all columns, so sample X with design.sample and use RidgePath(X, y, lam)")
    n = check_positive_int(n, "n")
    dtype = _check_float_dtype(dtype)
    if block is not None:
        block = check_positive_int(block, "block")
    check_lam(lam)
    ss = as_seed_sequence(seed)
    if n > design.p:
        X, y = design.sample(n, ss, dtype=dtype)
        return cls(X, y, lam)
    sigma, ts = design.cov, design.theta_star
    sts = sigma * ts
    _, S = mode_structure(sigma)
    structured = S.size <= n
    K = np.zeros((n, n), dtype=dtype)
    signal = np.zeros(n)
    xst = np.zeros(n)
    xts = np.zeros(n) if dtype != np.float64 else signal
    XS = np.empty((n, S.size)) if risk_stats and structured else None
    # a general Sigma: fold X Sigma X^T (a second SYRK) unless the low-rank route, which regenerates
    # X once instead, is expected to be cheaper
    fold_ks = not structured and not _lowrank.expected_cheaper_than_sigma_gram(
        n, design.p, np.size(lam), regen=50.0 * n * design.p)
    KS = np.zeros((n, n), dtype=dtype) if risk_stats and fold_ks else None
    # X Sigma X^T / unit0 with unit0 a power of 4 near tr(Sigma): representable at any scale
    k0 = round(math.log2(max(float(sigma.sum()), 1e-300)) / 2)
    root0 = math.ldexp(1.0, k0)
    sd = (np.sqrt(sigma) / root0).astype(dtype)
    g = config.GEN_BLOCK
    for j0, j1, xb in design.iter_blocks(n, ss, block=block or block_cols(n)):
        for c0 in range(j0, j1, g):  # the summation order of sample(): bit-identical labels
            signal += xb[:, c0 - j0:c0 - j0 + g] @ ts[c0:c0 + g]
        xc = xb if dtype == np.float64 else xb.astype(dtype)
        K += xc @ xc.T
        if risk_stats:
            # the risk statistics see the rounded X the path is built on (as RidgePath(X, y)
            # on design.sample(..., dtype) does); only the labels come from the float64 draw
            xr = xb if dtype == np.float64 else xc.astype(np.float64)
            xst += xr @ sts[j0:j1]
            if xts is not signal:
                xts += xr @ ts[j0:j1]
            if XS is not None:
                sel = (S >= j0) & (S < j1)
                XS[:, sel] = xr[:, S[sel] - j0]
            elif KS is not None:
                xs = xc * sd[j0:j1]
                KS += xs @ xs.T
    y = design._labels(signal, ss)
    path = cls.__new__(cls)
    check_gram_scale(K, design.p, lambda: bool(np.any(sigma)), "X X^T")
    setup(path, K, "dual", y, lam, X=None, n=n, p=design.p, rank_dim=design.p, stream=(design, ss))
    if risk_stats:
        U = path.spec.U
        path._dproj_cache = {design.key: (U.T @ xst, U.T @ xts)}
        if XS is not None:
            path._cols_cache = (S, XS)
        elif KS is not None:
            path._sigma_gram_cache = (design.cov_key, KS.astype(np.float64, copy=False),
                                      math.ldexp(1.0, 2 * k0))
    return path


def _build_svd(path, X: np.ndarray, y: np.ndarray, lam) -> None:
    """``method="svd"``: eigen-pairs from the thin SVD ``X = Q diag(sv) R^T`` (no Gram)."""
    n, p = X.shape
    with np.errstate(over="ignore", invalid="ignore"):
        Q, sv, Rt = np.linalg.svd(X, full_matrices=False)
    sv = sv[::-1].astype(np.float64)  # ascending, as the Gram route's eigenvalues
    if not np.all(np.isfinite(sv)) or (sv.size and sv[-1] ** 2 == math.inf):
        raise ValueError(f"X is too large for {X.dtype}: its squared singular values overflow "
                         "(rescale it, e.g. divide X by its largest entry)")
    if sv[-1] > 0 and sv[-1] ** 2 < float(np.finfo(np.float64).tiny) / float(np.finfo(np.float64).eps):
        raise ValueError("X is too small for float64: its squared singular values underflow "
                         "(rescale it, e.g. divide X by its largest entry)")
    cut = max(n, p) * float(np.finfo(X.dtype).eps) * (float(sv[-1]) if sv.size else 0.0)
    # The representation is always the feature basis V (primal side): theta = V W exactly, where
    # the dual X^T U W would bring back an error of eps * cond(X) relative per component.
    V = Rt[::-1].T
    spec = SpectralGram.from_pairs(sv * sv, V, tol=cut * cut if cut > 0 else 0.0, dtype=X.dtype)
    # rhs in the eigenbasis: V^T X^T y = sv * (Q^T y), without forming X^T y
    c = sv * (Q[:, ::-1].T.astype(np.float64) @ y)
    setup(path, None, "primal", None, lam, X=X, n=n, p=p, rank_dim=max(n, p), spec=spec, c=c)


def setup(path, gram, side, rhs, lam, *, X, n, p, rank_dim, user_gram=False, spec=None, c=None,
          stream=None, features=None) -> None:
    """Eigendecompose ``gram`` (unless ``spec`` is given) and set the path's state. ``features``: a
    ready feature source (e.g. a :class:`~fastrisk.ridge._features.CentredFeatures`) instead of X."""
    path.side = side
    path.n = n
    path.p = p
    path.dtype = gram.dtype if spec is None else spec.dtype
    path.features = Features(X, stream, n, p, path.dtype) if features is None else features
    path.spec = SpectralGram(gram, rank_dim=rank_dim, overwrite=True) if spec is None else spec
    if user_gram:
        path.spec.check_psd("gram")
    path.lam = path.spec.check_lam(lam, "X X^T" if side == "dual" else "X^T X")
    if spec is None:
        _warn_ill_conditioned(path)
    U = path.spec.U
    path._c = U.T @ rhs if c is None else c  # dual: z = U^T y; primal: V^T X^T y
    # Units (see _spectral): B = nu * B_hat with B_hat of order 1 (dual B = X^T U, nu = sqrt(unit);
    # primal B = V, nu = 1). "Hat" weights nu * W are in the units of theta, so that every
    # quadratic form is of the order of ||theta||^2 or the risk itself, never of s**2.
    path._complete = path.spec.U.shape[0] == path.spec.dim  # primal: V spans all of R^p
    path._nu = path.spec.root if side == "dual" else 1.0
    path._dhat = path.spec.s_unit if side == "dual" else np.ones_like(path.spec.s)  # d / nu^2
    path._chat = path._c / (path.spec.unit / path._nu)
    path._W_cache = None
    path._A_cache = None
    path._norms = {}
    path._risk_cache = {}
    path._dproj_cache = {}
    path._cols_cache = None
    path._sigma_gram_cache = None


def _warn_ill_conditioned(path) -> None:
    sp = path.spec
    if sp.rank == 0:
        return
    lam0 = max(float(path.lam.min()), 0.0)
    s_k = float(sp.s[sp.start])
    eps = float(np.finfo(sp.dtype).eps)
    rel = eps * float(sp.s[-1]) / (s_k + lam0)
    if rel > 100.0 * math.sqrt(eps):
        warnings.warn(
            f"X is ill-conditioned for the Gram route (cond(X) ~ {math.sqrt(sp.s[-1] / s_k):.2g}): at "
            f"lam = {lam0:.3g} the filter of its smallest kept Gram eigenvalue is accurate only to "
            f"{rel:.1e} relative, so the estimator no longer solves its equations to that accuracy "
            "(at lam = 0 it stops interpolating); RidgePath(X, y, lam, method='svd') stays exact",
            IllConditionedWarning, stacklevel=5)
