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
from .._validation import as_float_array, check_design_matrix, check_lam, check_positive_int, check_targets
from .._warnings import IllConditionedWarning
from ..design import _as_design, _check_float_dtype, as_seed_sequence
from . import _accuracy
from ._features import Features, block_cols, mode_structure, xtv, xv
from ._targets import Targets

__all__ = ["build_dense", "build_from_gram", "build_from_design", "setup"]


def check_gram_matches_X(gram: np.ndarray, X: np.ndarray, side: str) -> None:
    """A Gram passed beside X must be its Gram: one random probe ``gram v`` against ``X (X^T v)``
    (O(n p), not a second Gram), to the rounding of the Gram's dtype."""
    v = np.random.default_rng(0).standard_normal(int(gram.shape[0]))
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


def _cols(f, M: np.ndarray) -> np.ndarray:
    """``f(M)`` for an (m, k) matrix, as ``f`` of its only column when k = 1 (the numbers of the
    one-target path, bit for bit: a matrix-vector product is not rounded like a matrix product)."""
    return f(M[:, 0])[:, None] if M.shape[1] == 1 else f(M)


def build_dense(path, X, y, lam, method: str) -> None:
    """``RidgePath(X, y, lam, method=...)`` with y (n,) or (n, k)."""
    if method not in ("gram", "svd"):
        raise ValueError(f"method must be 'gram' or 'svd', got {method!r}")
    X = check_design_matrix(X)
    n, p = X.shape
    Y, multi = check_targets(y, n, "y")
    if method == "svd":
        _build_svd(path, X, Y, lam, multi)
    elif n <= p:
        with np.errstate(over="ignore", invalid="ignore"):  # overflow: a clear error below
            gram = X @ X.T
        check_gram_scale(gram, p, lambda: bool(np.any(X)), "X X^T")
        setup(path, gram, "dual", Y, lam, X=X, n=n, p=p, rank_dim=p, multi=multi)
    else:
        with np.errstate(over="ignore", invalid="ignore"):
            gram = X.T @ X
        check_gram_scale(gram, n, lambda: bool(np.any(X)), "X^T X")
        setup(path, gram, "primal", _cols(lambda v: xtv(X, v), Y), lam, X=X, n=n, p=p, rank_dim=n,
              multi=multi)


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
    rhs, multi = check_targets(rhs, g, "rhs")
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
          rank_dim=max(g, (p if side == "dual" else n) or g), user_gram=True, multi=multi)


#: Up to this many distinct theta*, ``from_design`` forms each one's labels with the matrix-vector
#: products of :meth:`GaussianDesign.sample` (the same numbers, bit for bit); beyond it, one matrix product
#: per block for all of them (the same to rounding, about 1e-16 relative).
GEMV_TARGETS = 8


def _design_list(design) -> tuple[list, bool]:
    """``design`` of ``from_design``: one GaussianDesign, or a list/tuple of them sharing a covariance."""
    if not isinstance(design, (list, tuple)):
        return [_as_design(design)], False
    if not design:
        raise ValueError("design is an empty sequence: give a GaussianDesign, or one per target")
    designs = [_as_design(d) for d in design]
    for j, d in enumerate(designs):
        if d.p != designs[0].p or d.cov_key != designs[0].cov_key:
            raise ValueError(f"the designs of one path must share one covariance (X is one draw): "
                             f"design[{j}] has another covariance than design[0]")
    return designs, True


def _fold_signals(sig: np.ndarray, xb: np.ndarray, j0: int, j1: int, TS: np.ndarray) -> None:
    """``sig[u] += X[:, j0:j1] @ TS[u, j0:j1]`` in the summation order of :meth:`GaussianDesign.sample`
    (one product per ``GEN_BLOCK`` columns): the labels are the sampled ones."""
    g = config.GEN_BLOCK
    for c0 in range(j0, j1, g):
        xc = xb[:, c0 - j0:c0 - j0 + g]
        if TS.shape[0] <= GEMV_TARGETS:
            for u in range(TS.shape[0]):
                sig[u] += xc @ TS[u, c0:c0 + g]
        else:
            sig += (xc @ TS[:, c0:c0 + g].T).T


def build_from_design(cls, design, n, lam, seed, dtype, block, risk_stats):
    """:meth:`RidgePath.from_design`: returns the path (a dense one when ``n > p``)."""
    designs, multi = _design_list(design)
    design = designs[0]
    if not design.is_diagonal:
        raise ValueError("from_design needs a diagonal covariance (spectrum=...); a full cov mixes "
                         "all columns, so sample X with design.sample and use RidgePath(X, y, lam)")
    n = check_positive_int(n, "n")
    dtype = _check_float_dtype(dtype)
    if block is not None:
        block = check_positive_int(block, "block")
    check_lam(lam)
    ss = as_seed_sequence(seed)
    targets = Targets(designs, len(designs))
    TS = np.stack([d.theta_star for d in targets.groups])  # (u, p): one row per distinct theta*
    u = TS.shape[0]

    def labels(sig):  # y_t = X theta*_t + noise_t z, z the one noise draw of the seed
        Y = np.stack([d._labels(sig[targets.idx[t]], ss) for t, d in enumerate(designs)], axis=1)
        return Y if multi else Y[:, 0]

    if n > design.p:
        X, y = design.sample(n, ss, dtype=dtype)
        if not multi:
            return cls(X, y, lam)
        sig = np.zeros((u, n))
        for j0, j1, xb in design.iter_blocks(n, ss, block=block):
            _fold_signals(sig, xb, j0, j1, TS)
        return cls(X, labels(sig), lam)
    sigma = design.cov
    STS = sigma * TS
    _, S = mode_structure(sigma)
    structured = S.size <= n
    K = np.zeros((n, n), dtype=dtype)
    sig = np.zeros((u, n))
    xst = np.zeros((u, n))
    xts = np.zeros((u, n)) if dtype != np.float64 else sig
    XS = np.empty((n, S.size)) if risk_stats and structured else None
    # a general Sigma: fold X Sigma X^T (a second SYRK) unless the low-rank route, which regenerates
    # X once instead, is expected to be cheaper, or the path is float32 (a float32 Sigma-Gram cannot
    # meet the float32 contract: the route refuses it, see ridge._routes)
    fold_ks = dtype == np.float64 and not structured and not _lowrank.expected_cheaper_than_sigma_gram(
        n, design.p, np.size(lam), regen=50.0 * n * design.p, k=len(designs))
    KS = np.zeros((n, n), dtype=dtype) if risk_stats and fold_ks else None
    # X Sigma X^T / unit0 with unit0 a power of 4 near tr(Sigma): representable at any scale
    k0 = round(math.log2(max(float(sigma.sum()), 1e-300)) / 2)
    root0 = math.ldexp(1.0, k0)
    sd = (np.sqrt(sigma) / root0).astype(dtype)
    for j0, j1, xb in design.iter_blocks(n, ss, block=block or block_cols(n)):
        _fold_signals(sig, xb, j0, j1, TS)  # the summation order of sample(): bit-identical labels
        xc = xb if dtype == np.float64 else xb.astype(dtype)
        K += xc @ xc.T
        if risk_stats:
            # the risk statistics see the rounded X the path is built on (as RidgePath(X, y)
            # on design.sample(..., dtype) does); only the labels come from the float64 draw
            xr = xb if dtype == np.float64 else xc.astype(np.float64)
            if u == 1:
                xst[0] += xr @ STS[0, j0:j1]
                if xts is not sig:
                    xts[0] += xr @ TS[0, j0:j1]
            else:
                xst += (xr @ STS[:, j0:j1].T).T
                if xts is not sig:
                    xts += (xr @ TS[:, j0:j1].T).T
            if XS is not None:
                sel = (S >= j0) & (S < j1)
                XS[:, sel] = xr[:, S[sel] - j0]
            elif KS is not None:
                xs = xc * sd[j0:j1]
                KS += xs @ xs.T
    Y = labels(sig)
    path = cls.__new__(cls)
    check_gram_scale(K, design.p, lambda: bool(np.any(sigma)), "X X^T")
    setup(path, K, "dual", Y if multi else Y[:, None], lam, X=None, n=n, p=design.p, rank_dim=design.p,
          stream=(design, ss), multi=multi)
    if risk_stats:
        U = path.spec.U
        path._dproj_cache = {d.cov_key + d.theta_key: (U.T @ xst[j], U.T @ xts[j])
                             for j, d in enumerate(targets.groups)}
        if XS is not None:
            path._cols_cache = (S, XS)
        elif KS is not None:
            path._sigma_gram_cache = (design.cov_key, KS.astype(np.float64, copy=False),
                                      math.ldexp(1.0, 2 * k0))
    return path


def _build_svd(path, X: np.ndarray, Y: np.ndarray, lam, multi: bool) -> None:
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
    Qt = Q[:, ::-1].T.astype(np.float64)
    c = sv[:, None] * _cols(lambda v: Qt @ v, Y)
    setup(path, None, "primal", None, lam, X=X, n=n, p=p, rank_dim=max(n, p), spec=spec, c=c,
          multi=multi, method="svd")


def setup(path, gram, side, rhs, lam, *, X, n, p, rank_dim, user_gram=False, spec=None, c=None,
          stream=None, features=None, multi=False, method="gram") -> None:
    """Eigendecompose ``gram`` (unless ``spec`` is given) and set the path's state. The right-hand
    sides: ``rhs`` (g, k) before rotation, or ``c`` (g, k) or (g,) in the eigenbasis (``multi``: whether
    the targets came as a 2-D array). ``features``: a ready feature source (e.g. a
    :class:`~fastrisk.ridge._features.CentredFeatures`) instead of X; ``method``: "gram" or "svd" (the
    per-penalty accuracy bound differs)."""
    path.side = side
    path.method = method
    path.n = n
    path.p = p
    path.dtype = gram.dtype if spec is None else spec.dtype
    path.features = Features(X, stream, n, p, path.dtype) if features is None else features
    path.spec = SpectralGram(gram, rank_dim=rank_dim, overwrite=True) if spec is None else spec
    if user_gram:
        path.spec.check_psd("gram")
    path.lam = path.spec.check_lam(lam, "X X^T" if side == "dual" else "X^T X")
    if path.spec.dtype == np.float32:  # the float32 contract, per penalty (it covers the next one)
        _accuracy.warn_float32(path)
    elif spec is None:
        _warn_ill_conditioned(path)
    U = path.spec.U
    if c is None:
        c = _cols(lambda v: U.T @ v, rhs)
    path._c = c[:, None] if c.ndim == 1 else c  # dual: U^T Y; primal: V^T X^T Y (g, k)
    path.k = int(path._c.shape[1])
    path._multi = bool(multi)
    # Units (see _spectral): B = nu * B_hat with B_hat of order 1 (dual B = X^T U, nu = sqrt(unit);
    # primal B = V, nu = 1). "Hat" weights nu * W are in the units of theta, so that every
    # quadratic form is of the order of ||theta||^2 or the risk itself, never of s**2.
    path._complete = path.spec.U.shape[0] == path.spec.dim  # primal: V spans all of R^p
    path._nu = path.spec.root if side == "dual" else 1.0
    path._dhat = path.spec.s_unit if side == "dual" else np.ones_like(path.spec.s)  # d / nu^2
    path._chat = path._c / (path.spec.unit / path._nu)
    path._W_cache = None
    path._A_cache = None
    path._F_cache = None
    path._signal_cache = {}
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
