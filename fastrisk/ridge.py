"""The ridge path: one Gram + one eigendecomposition, then every penalty from the spectral form.

Objective (unnormalised, scikit-learn's ``alpha``)::

    theta_lam = argmin ||y - X theta||_2^2 + lam ||theta||_2^2

``lam = 0`` is the min-norm interpolator (pseudo-inverse; see :mod:`fastrisk._spectral` for the rank
tolerance); negative ``lam > -s_min`` (smallest Gram eigenvalue) is legal. When ``n <= p`` the Gram
is ``K = X X^T = U diag(s) U^T`` (dual side) and ``theta_lam = X^T U diag(1/(s + lam)) U^T y``; when
``n > p`` it is ``X^T X = V diag(s) V^T`` (primal side) and ``theta_lam = V diag(1/(s + lam)) V^T X^T y``.

``method="svd"`` takes the eigen-pairs from the thin SVD ``X = Q diag(sv) V^T`` instead (no Gram) and
always uses the primal representation with ``V`` (p, min(n, p)); a remainder of theta* outside the span
of V is then formed explicitly.

Both sides are written ``theta_lam = B W[:, lam]`` with ``B`` (p, g) the *representation* (dual:
``X^T U``; primal: ``V``) and ``W[i, lam] = c_i / (s_i + lam)`` (dual: ``c = U^T y``; primal:
``c = V^T X^T y``). Everything below is a reduction of ``W``: ``||theta||_2^2 = sum_i d_i W_i^2``
with ``d = s`` (dual) or 1 (primal), ``theta^T v = sum_i W_i (B^T v)_i``, ``theta^T Sigma theta =
W^T (B^T Sigma B) W``, and l_q norms by a blocked pass over rows of ``B`` that never holds the
(p, L) coefficient matrix.

The standard risk is never ``quad - 2 cross + theta*^T Sigma theta*`` (which loses every digit close to
theta*): with ``P theta* = B zeta`` (the part of theta* in the span of the kept components) and the
remainder ``r = theta* - B zeta``, ``theta_lam - theta* = B e_lam - r`` where
``e_lam = (delta - lam zeta) / (s + lam)`` and ``delta = c - s zeta`` is penalty-independent (noiseless
labels: rounding only, so ``e_lam = -lam zeta / (s + lam)``). The risk is a quadratic form in
``(e_lam, r)``; r is exact on the primal side (null components) and on the dual side is formed by a pass
over X only when theta* lies almost in the row space of X.
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass
from typing import Any

import numpy as np

from . import _lowrank, config
from ._lowrank import LowRankRoute
from ._spectral import SpectralGram, SpectralPath
from ._validation import (
    as_float_array,
    check_design_matrix,
    check_eps,
    check_lam,
    check_nonnegative_float,
    check_norm,
    check_positive_int,
    check_q,
    check_sigma_gram,
    check_target,
    check_vector,
)
from ._warnings import IllConditionedWarning
from .design import GaussianDesign, _as_design, _check_float_dtype
from .kernels import colwise_dot, finish_norms, reduce_coef_block, residual_moments
from .kernels._threads import threads_for
from .risk import _closed_form, ground_truth_adversarial_risk, moments_risk

__all__ = ["RidgePath", "ridge_path_risks"]

ArrayLike = Any


def _block_cols(L: int, itemsize: int = 8, minimum: int = 256) -> int:
    """Columns per slab so that an (L, b) slab stays near ``config.BLOCK_BYTES``."""
    return max(minimum, config.BLOCK_BYTES // max(1, itemsize * L))


def _xv(X: np.ndarray, v: np.ndarray) -> np.ndarray:
    """``X @ v`` in float64 without upcasting a float32 X whole (blocks of columns)."""
    if X.dtype == np.float64:
        return X @ v
    out = np.zeros((X.shape[0],) + v.shape[1:])
    b = _block_cols(X.shape[0] * (1 if v.ndim == 1 else v.shape[1]))
    for j0 in range(0, X.shape[1], b):
        out += X[:, j0:j0 + b].astype(np.float64) @ v[j0:j0 + b]
    return out


def _xtv(X: np.ndarray, v: np.ndarray) -> np.ndarray:
    """``X.T @ v`` in float64 without upcasting a float32 X whole (blocks of columns)."""
    if X.dtype == np.float64:
        return X.T @ v
    out = np.empty((X.shape[1],) + v.shape[1:])
    b = _block_cols(X.shape[0])
    for j0 in range(0, X.shape[1], b):
        out[j0:j0 + b] = X[:, j0:j0 + b].T.astype(np.float64) @ v
    return out


#: On the dual side, the remainder ``r = (I - P) theta*`` is formed explicitly (one pass over X)
#: when its closed form ``||theta*||^2 - ||P theta*||^2`` falls below this fraction of ``||theta*||^2``
#: (the closed form's absolute error is about ``1e-16 ||theta*||^2``).
_REMAINDER_RTOL = 1e-6


@dataclass
class _Truth:
    """theta* in the coordinates of a path (hat units, see ``RidgePath._setup``)."""

    zeta: np.ndarray  # (g,) P theta* = B_hat zeta (dual: root * z*/s on kept; primal: V^T theta*)
    delta: np.ndarray  # (g,) c_hat - s' zeta on kept components, 0 on null ones
    h1: np.ndarray  # (g,) B_hat^T Sigma theta*
    tst: float  # theta*^T Sigma theta*
    tt: float  # ||theta*||^2 (nan when unknown)
    design: GaussianDesign | None  # to form the remainder explicitly when needed
    ts: np.ndarray | None = None  # theta* itself when known (primal side)


def _sigma_times(sigma: np.ndarray, Z: np.ndarray) -> np.ndarray:
    """``Sigma @ Z`` for a diagonal (p,) or full (p, p) Sigma and Z (p,) or (p, k)."""
    if sigma.ndim == 2:
        return sigma @ Z
    return sigma * Z if Z.ndim == 1 else sigma[:, None] * Z


def _colwise_sumsq(E: np.ndarray, w: np.ndarray) -> np.ndarray:
    """``sum_i w_i E[i, l]^2`` per column, without forming ``E**2`` in extreme units."""
    return np.einsum("il,il->l", E, E * w[:, None])


def _check_gram_matches_X(gram: np.ndarray, X: np.ndarray, side: str) -> None:
    """A Gram passed beside X must be its Gram: one random probe ``gram v`` against ``X (X^T v)``
    (O(n p), not a second Gram), to the rounding of the Gram's dtype."""
    v = np.random.default_rng(0).standard_normal(gram.shape[0])
    Xf = X
    if side == "dual":
        want = _xv(Xf, _xtv(Xf, v))
    else:
        want = _xtv(Xf, _xv(Xf, v))
    got = gram.astype(np.float64, copy=False) @ v
    tol = (1e-3 if np.float32 in (gram.dtype, X.dtype) else 1e-9) * max(
        float(np.linalg.norm(want)), float(np.abs(gram).max()) * float(np.linalg.norm(v)))
    if not float(np.linalg.norm(got - want)) <= tol:
        what = "X X^T" if side == "dual" else "X^T X"
        raise ValueError(f"gram is not {what} for the X passed beside it (a random probe differs by "
                         f"{float(np.linalg.norm(got - want)):.3g}, tolerance {tol:.3g})")


def _check_gram_scale(gram: np.ndarray, summed: int, nonzero, what: str) -> None:
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


def _mode_structure(sigma: np.ndarray) -> tuple[float, np.ndarray]:
    """Write a diagonal Sigma as ``c I + diag(delta on S)``: returns (c, S) with c the commonest value."""
    vals, counts = np.unique(sigma, return_counts=True)
    c = float(vals[np.argmax(counts)])
    return c, np.flatnonzero(sigma != c)


class RidgePath(SpectralPath, LowRankRoute):
    """Ridge estimators for a whole path of penalties from one eigendecomposition.

    Parameters
    ----------
    X : array_like (n, p)
        Design matrix, float32 or float64 (other real types become float64). float32 keeps the Gram
        and the eigendecomposition in float32 (about half the cost); every reduction after it is in
        float64. X is referenced, not copied.
    y : array_like (n,)
        Training labels.
    lam : float or array_like (L,)
        Unnormalised penalties of ``||y - X theta||^2 + lam ||theta||^2`` (``lam = n * lam_normalised``),
        any order; 0 is the min-norm interpolator; negative values above ``-s_min`` are legal.
    method : {"gram", "svd"}
        ``"gram"`` (default): eigendecomposition of the Gram ``X X^T`` (or ``X^T X``). ``"svd"``: thin
        SVD of X itself, for ill-conditioned X (see Notes), at its honest cost: about 4x the Gram
        route's flops (LAPACK gesdd, measured 5-15x its time), one more array the size of X while it
        runs, and a (p, min(n, p)) basis kept for the path's lifetime.

    Notes
    -----
    Cost: one SYRK (``n^2 p`` flops on the smaller side) and one ``eigh``; each further penalty is
    O(g) for the l2 norm and the cross terms, O(g^2) for ``theta^T Sigma theta`` with a general Sigma.
    Outputs are float64 arrays over penalties (axis 0) and radii (axis 1).

    Ill-conditioned X: the Gram route squares the singular values, so ``eigh`` resolves a Gram
    eigenvalue ``s_i = sigma_i^2`` only to about ``eps * s_max``: the filter ``1 / (s_i + lam)`` is
    accurate to ``eps * s_max / (s_i + lam)`` relative, and eigenvalues below the rank tolerance
    ``max(n, p) * eps * s_max`` are dropped although ``numpy.linalg.pinv`` keeps singular values down to
    ``eps * sigma_max``. In float64 the min-norm interpolator (lam = 0) therefore leaves a relative
    training residual of about ``1e-16 * cond(X)^2``: 1e-6 at cond(X) = 1e5, 1e-4 at 1e6, and it stops
    interpolating altogether near 1e7-1e8. When the filter of the smallest kept eigenvalue at the
    smallest non-negative penalty is worse than ``100 sqrt(eps)`` relative (float64: cond(X) beyond
    about 1e5 at lam = 0), the constructor warns with :class:`fastrisk.IllConditionedWarning`;
    ``method="svd"`` works on the singular values themselves (rank cut ``max(n, p) * eps * sigma_max``,
    as ``numpy.linalg.lstsq``) and matches ``pinv``/``lstsq`` at any condition number.
    """

    #: Force the standard-risk route ("struct", "gram", "pass" or "lowrank"); None lets the cost model
    #: choose. "lowrank" also forces the low-rank pass for l_q norms (see :mod:`fastrisk._lowrank`).
    _route_override: str | None = None
    #: The route the last standard-risk computation took (for benchmarks and tests).
    last_route: str | None = None

    def __init__(self, X: ArrayLike, y: ArrayLike, lam: ArrayLike, *, method: str = "gram"):
        if method not in ("gram", "svd"):
            raise ValueError(f"method must be 'gram' or 'svd', got {method!r}")
        X = check_design_matrix(X)
        n, p = X.shape
        y = check_vector(y, n, "y")
        if method == "svd":
            self._setup_svd(X, y, lam)
        elif n <= p:
            with np.errstate(over="ignore", invalid="ignore"):  # overflow: a clear error below
                gram = X @ X.T
            _check_gram_scale(gram, p, lambda: bool(np.any(X)), "X X^T")
            self._setup(gram, "dual", y, lam, X=X, n=n, p=p, rank_dim=p)
        else:
            with np.errstate(over="ignore", invalid="ignore"):
                gram = X.T @ X
            _check_gram_scale(gram, n, lambda: bool(np.any(X)), "X^T X")
            self._setup(gram, "primal", _xtv(X, y), lam, X=X, n=n, p=p, rank_dim=n)

    @classmethod
    def from_gram(cls, gram: ArrayLike, rhs: ArrayLike, lam: ArrayLike, *, side: str = "dual",
                  X: ArrayLike | None = None, n_samples: int | None = None,
                  n_features: int | None = None) -> RidgePath:
        """Build the path from sufficient statistics, without the design matrix.

        Parameters
        ----------
        gram : array_like (g, g)
            ``X X^T`` (``side="dual"``, g = n) or ``X^T X`` (``side="primal"``, g = p).
        rhs : array_like (g,)
            ``y`` (dual) or ``X^T y`` (primal).
        lam : float or array_like (L,)
            Unnormalised penalties, as in the constructor.
        side : {"dual", "primal"}
        X : array_like (n, p), optional
            The design, if available: a dual path needs it for anything in feature space (``coef``,
            ``predict``, ``norm(q != 2)``, risks against a design). Without it, a dual path still
            gives ``norm(2)``, :meth:`df` and :meth:`standard_risk_from_stats`.
        n_samples, n_features : int, optional
            Recorded for reporting (a primal path takes ``n_features`` from the Gram).
        """
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
            _check_gram_matches_X(gram, X, side)
        self = cls.__new__(cls)
        if side == "dual":
            n = g
            p = X.shape[1] if X is not None else n_features
        else:
            p = g
            n = X.shape[0] if X is not None else n_samples
        self._setup(np.array(gram, copy=True), side, rhs, lam, X=X, n=n, p=p,
                    rank_dim=max(g, (p if side == "dual" else n) or g), user_gram=True)
        return self

    @classmethod
    def from_design(cls, design: GaussianDesign, n: int, lam: ArrayLike, seed, *, dtype=np.float64,
                    block: int | None = None, risk_stats: bool = True) -> RidgePath:
        """The ridge path on ``design.sample(n, seed)`` without ever holding X (diagonal Sigma).

        X is generated block by block from the seed (the same numbers as :meth:`GaussianDesign.sample`
        for any ``block``), folded into the Gram and discarded: memory is O(n^2 + n * block) however
        large p is (p = 10^7 at n = 1000 needs about 40 MB beyond the Gram). Everything of
        :class:`RidgePath` works; what needs X again (``coef``, ``predict``, l_q norms with q != 2,
        empirical risks) regenerates the blocks, one pass per call.

        Parameters
        ----------
        design : GaussianDesign with a diagonal covariance.
        n : int, number of training samples (if ``n > p`` the design is small: it is sampled whole).
        lam : unnormalised penalties (see the class).
        seed : int or SeedSequence; the path equals ``RidgePath(*design.sample(n, seed), lam)``.
        dtype : float64 or float32 (Gram and eigh in that precision, as in the constructor).
        block : columns generated at once (memory only; never changes the numbers).
        risk_stats : also fold, in the same pass, what ``standard_risk(design)`` needs for this
            design (``X Sigma theta*``, ``X theta*``, and the columns where Sigma differs from its
            commonest value, or ``X Sigma X^T`` when there are more than n of them), so that the
            standard and l2 adversarial risks cost no second pass. Exception: for a general Sigma
            with many penalties the low-rank route (one regenerating pass, ``2 n p r`` flops) is
            cheaper than folding ``X Sigma X^T`` (``n^2 p``); that second Gram is then not folded.
        """
        from .design import as_seed_sequence

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
        c0, S = _mode_structure(sigma)
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
        for j0, j1, xb in design.iter_blocks(n, ss, block=block or _block_cols(n)):
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
        self = cls.__new__(cls)
        self._stream = (design, ss)
        _check_gram_scale(K, design.p, lambda: bool(np.any(sigma)), "X X^T")
        self._setup(K, "dual", y, lam, X=None, n=n, p=design.p, rank_dim=design.p)
        if risk_stats:
            U = self.spec.U
            self._dproj_cache = {id(design): (design, U.T @ xst, U.T @ xts)}
            if XS is not None:
                self._cols_cache = (S, XS)
            elif KS is not None:
                self._sigma_gram_cache = (sigma, KS.astype(np.float64, copy=False),
                                          math.ldexp(1.0, 2 * k0))
        return self

    def _setup_svd(self, X: np.ndarray, y: np.ndarray, lam) -> None:
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
        self._setup(None, "primal", None, lam, X=X, n=n, p=p, rank_dim=max(n, p), spec=spec, c=c)

    def _setup(self, gram, side, rhs, lam, *, X, n, p, rank_dim, user_gram=False, spec=None, c=None):
        self.side = side
        self.n = n
        self.p = p
        self._X = X
        self.dtype = gram.dtype if spec is None else spec.dtype
        self.spec = SpectralGram(gram, rank_dim=rank_dim, overwrite=True) if spec is None else spec
        if user_gram:
            self.spec.check_psd("gram")
        self.lam = self.spec.check_lam(lam, "X X^T" if side == "dual" else "X^T X")
        if spec is None:
            self._warn_ill_conditioned()
        U = self.spec.U
        self._c = U.T @ rhs if c is None else c  # dual: z = U^T y; primal: V^T X^T y
        # Units (see _spectral): B = nu * B_hat with B_hat of order 1 (dual B = X^T U, nu = sqrt(unit);
        # primal B = V, nu = 1). "Hat" weights nu * W are in the units of theta, so that every
        # quadratic form below is of the order of ||theta||^2 or the risk itself, never of s**2.
        self._complete = self.spec.U.shape[0] == self.spec.dim  # primal: V spans all of R^p
        self._nu = self.spec.root if side == "dual" else 1.0
        self._dhat = self.spec.s_unit if side == "dual" else np.ones_like(self.spec.s)  # d / nu^2
        self._chat = self._c / (self.spec.unit / self._nu)
        self._W_cache: np.ndarray | None = None
        self._A_cache: np.ndarray | None = None
        self._norms: dict[float, np.ndarray] = {}
        self._risk_cache: dict[int, tuple[object, np.ndarray]] = {}
        self._dproj_cache: dict = {}
        self._cols_cache = None
        self._sigma_gram_cache = None
        if not hasattr(self, "_stream"):
            self._stream = None

    def _warn_ill_conditioned(self) -> None:
        sp = self.spec
        if sp.rank == 0:
            return
        lam0 = max(float(self.lam.min()), 0.0)
        s_k = float(sp.s[sp.start])
        eps = float(np.finfo(sp.dtype).eps)
        rel = eps * float(sp.s[-1]) / (s_k + lam0)
        if rel > 100.0 * math.sqrt(eps):
            warnings.warn(
                f"X is ill-conditioned for the Gram route (cond(X) ~ {math.sqrt(sp.s[-1] / s_k):.2g}): at "
                f"lam = {lam0:.3g} the filter of its smallest kept Gram eigenvalue is accurate only to "
                f"{rel:.1e} relative, so the estimator no longer solves its equations to that accuracy "
                "(at lam = 0 it stops interpolating); RidgePath(X, y, lam, method='svd') stays exact",
                IllConditionedWarning, stacklevel=4)

    # ------------------------------------------------------------------ spectral filter
    def _W(self) -> np.ndarray:
        if self._W_cache is None:
            self._W_cache = self.spec.filter(self.lam, self._c)
        return self._W_cache

    def _need_X(self, what: str) -> None:
        if self._X is None and self._stream is None:
            raise ValueError(f"{what} needs the design matrix: this dual path was built from the Gram "
                             "alone; pass X= to RidgePath.from_gram")

    def _xblocks(self, what: str, b: int | None = None):
        """Yield ``(j0, j1, X[:, j0:j1])``: slices of the held X, or blocks regenerated from the seed
        of a streamed design (:meth:`from_design`), in the dtype of the path."""
        self._need_X(what)
        if self._X is not None:
            b = b or _block_cols(self.n)
            for j0 in range(0, self.p, b):
                yield j0, min(self.p, j0 + b), self._X[:, j0:j0 + b]
        else:
            design, seed = self._stream
            for j0, j1, xb in design.iter_blocks(self.n, seed, block=b or _block_cols(self.n)):
                yield j0, j1, xb if self.dtype == np.float64 else xb.astype(self.dtype)

    def _x_times(self, V: np.ndarray) -> np.ndarray:
        """``X @ V`` in float64 for V (p,) or (p, k)."""
        if self._X is not None:
            return _xv(self._X, V)
        out = np.zeros((self.n,) + V.shape[1:])
        for j0, j1, xb in self._xblocks("this computation"):
            out += xb.astype(np.float64, copy=False) @ V[j0:j1]
        return out

    def _A(self) -> np.ndarray:
        """Dual side: ``A = U W`` (n, L), so that ``theta = X^T A``."""
        if self._A_cache is None:
            self._A_cache = self.spec.U @ self._W()
        return self._A_cache

    def _project(self, V: np.ndarray) -> np.ndarray:
        """``B^T V`` for feature-space vectors V (p,) or (p, k): dual ``U^T X V``, primal ``V_eig^T V``."""
        if self.side == "dual":
            return self.spec.U.T @ self._x_times(V)
        return self.spec.U.T @ V

    def _design_projections(self, design: GaussianDesign) -> tuple[np.ndarray, np.ndarray]:
        """``(B^T Sigma theta*, B^T theta*)`` for a design, from one pass over X, cached per design."""
        hit = self._dproj_cache.get(id(design))
        if hit is not None and hit[0] is design:
            return hit[1], hit[2]
        V = np.stack([design.cov_matvec(design.theta_star), design.theta_star], axis=1)
        H = self._project(V)
        self._dproj_cache = {id(design): (design, H[:, 0].copy(), H[:, 1].copy())}
        return H[:, 0], H[:, 1]

    def _slabs(self, cols: np.ndarray | None = None):
        """Yield ``(j0, j1, T)`` with ``T = theta[j0:j1, cols].T`` of shape (L', j1 - j0), float64."""
        W = self._W() if cols is None else self._W()[:, cols]
        L = W.shape[1]
        # the slab is (L, b) and, on the dual side, the X block (n, b) is converted to float64:
        # bound both by config.BLOCK_BYTES
        b = _block_cols(max(L, self.n if self.side == "dual" else self.spec.dim))
        if self.side == "dual":
            self._need_X("a feature-space pass")
            At = np.ascontiguousarray((self._A() if cols is None else self.spec.U @ W).T)
            for j0, j1, Xb in self._xblocks("a feature-space pass", b):
                yield j0, j1, At @ Xb.astype(np.float64, copy=False)
        else:
            Wt = np.ascontiguousarray(W.T)
            V = self.spec.U
            for j0 in range(0, self.p, b):
                j1 = min(self.p, j0 + b)
                yield j0, j1, Wt @ V[j0:j1].T

    # ------------------------------------------------------------------ coefficients
    def coef(self, index: ArrayLike | None = None) -> np.ndarray:
        """Coefficients ``theta_lam`` as columns, shape (p, k) (k = L, or the penalties in ``index``).

        This materialises a (p, k) array: ask only for the penalties you need. Norms and risks never
        call it.
        """
        cols = None
        if index is not None:
            cols = np.atleast_1d(np.asarray(index))
            if cols.dtype.kind not in "iu" or cols.ndim != 1:
                raise TypeError("index must be an int or a 1-D array of ints")
            if cols.size and (cols.min() < -self.n_penalties or cols.max() >= self.n_penalties):
                raise ValueError(f"index out of range for {self.n_penalties} penalties")
        k = self.n_penalties if cols is None else cols.size
        if self.side == "dual":
            self._need_X("coef")
        out = np.empty((self.p, k))
        for j0, j1, T in self._slabs(cols):
            out[j0:j1] = T.T
        return out

    def predict(self, X_new: ArrayLike) -> np.ndarray:
        """Predictions ``X_new @ theta_lam`` for every penalty, shape (m, L)."""
        X_new = check_design_matrix(X_new, "X_new")
        if X_new.shape[1] != self.p:
            raise ValueError(f"X_new must have p={self.p} columns, got shape {X_new.shape}")
        return self._project_rows(X_new).T @ self._W()

    def _project_rows(self, X_new: np.ndarray) -> np.ndarray:
        """``B^T X_new^T`` (g, m) in float64."""
        if self.side == "dual":
            self._need_X("predict")
            if self._X is not None:
                X = self._X
                C = X @ X_new.T.astype(X.dtype, copy=False)
            else:
                C = np.zeros((self.n, X_new.shape[0]), dtype=self.dtype)
                for j0, j1, xb in self._xblocks("predict"):
                    C += xb @ X_new[:, j0:j1].T.astype(self.dtype, copy=False)
            return self.spec.U.T @ C.astype(np.float64, copy=False)
        return self.spec.U.T @ X_new.T.astype(np.float64, copy=False)

    # ------------------------------------------------------------------ norms
    def norm(self, q: float = 2) -> np.ndarray:
        """``||theta_lam||_q`` for every penalty, shape (L,), q in [1, inf].

        q = 2 is spectral (O(g) per penalty): ``sum_i d_i c_i^2 / (s_i + lam)^2``. Other q use one
        blocked pass over the features (BLAS slab + fused Numba reduction), never holding (p, L).
        """
        q = check_q(q)
        self._ensure_norms([q])
        return self._norms[q].copy()

    def _ensure_norms(self, qs, sigma=None, tstar=None):
        """Compute the missing norms in one pass; fold the Sigma-weighted risk into it if asked."""
        if 2.0 in qs and 2.0 not in self._norms:
            _, o2 = self.spec.sums_unit(self.lam, a2=self._dhat * self._chat**2)
            self._norms[2.0] = np.sqrt(np.maximum(o2[0], 0.0))
        todo = np.array(sorted({q for q in qs if q not in self._norms}), dtype=np.float64)
        if todo.size == 0 and sigma is None:
            return None
        if sigma is None and self._lowrank_norms(todo):
            return None
        L = self.n_penalties
        acc = np.zeros((todo.size, L))
        scale = np.zeros((todo.size, L))
        acc_sig = np.zeros(L)
        use_sig = sigma is not None
        dummy = np.zeros(0)
        for j0, j1, T in self._slabs():
            with threads_for(T.size * (todo.size + use_sig)):
                    reduce_coef_block(T, sigma[j0:j1] if use_sig else dummy,
                                  tstar[j0:j1] if use_sig else dummy, use_sig, todo, acc, scale, acc_sig)
        for q, v in zip(todo, finish_norms(todo, acc, scale), strict=True):
            self._norms[float(q)] = v
        return acc_sig if use_sig else None

    # ------------------------------------------------------------------ standard risk
    def standard_risk(self, design: GaussianDesign) -> np.ndarray:
        """Excess risk ``||theta_lam - theta_star||_Sigma^2`` for every penalty, shape (L,).

        Exact given X (Sigma and theta_star from ``design``). The second Gram-sized product that a
        general Sigma needs is chosen by a cost model: none when Sigma is ``c I`` plus a low-rank
        diagonal part (isotropic, spiked, two_level), else ``X Sigma X^T`` (n^2 p) or a blocked pass
        over the features (2 n p L), whichever is cheaper.

        Accuracy: every route forms the risk in the coordinates of ``theta_lam - theta_star`` (see the
        module notes), so it keeps its relative accuracy close to theta_star (tested to 1e-6 relative
        for risks 15 orders below ``theta*^T Sigma theta*`` in float64). A float32 path computes its
        eigenvectors (and a Sigma-Gram) in float32: its risk agrees with the explicit
        ``(theta - theta*)^T Sigma (theta - theta*)`` of its own coefficients to about 1e-5 relative
        plus ``1e-5 * sqrt(R * theta*^T Sigma theta*)``.

        If you also want adversarial risks for an attack norm other than l2, call
        :meth:`adversarial_risk` first (or use :func:`ridge_path_risks`): its feature pass for the
        dual norm then yields the standard risk too, and this call returns the cached result.
        """
        design = self._check_design(design)
        return self._standard_risk(design, qs=())

    def _check_design(self, design) -> GaussianDesign:
        design = _as_design(design)
        if design.p != self.p:
            raise ValueError(f"design has p={design.p} features but X has p={self.p}")
        return design

    def _standard_risk(self, design: GaussianDesign, qs) -> np.ndarray:
        """Standard risk, computing the norms in ``qs`` in the same feature pass when one is needed."""
        key = id(design)
        hit = self._risk_cache.get(key)
        if hit is not None and hit[0] is design:
            self._ensure_norms(qs)
            return hit[1].copy()
        R = self._compute_risk(design, [float(q) for q in qs])
        self._risk_cache = {key: (design, R)}
        return R.copy()

    def _compute_risk(self, design: GaussianDesign, qs: list[float]) -> np.ndarray:
        L = self.n_penalties
        n, p, g = self.n, self.p, self.spec.dim
        pass_needed = any(q != 2.0 for q in qs if q not in self._norms)
        if not design.is_diagonal:
            self.last_route = "gram"
            self._ensure_norms(qs)
            return self._risk_gram(design.cov, self._truth(design))
        sigma = design.cov
        c0, S = _mode_structure(sigma)
        k = S.size
        cost_struct = 2.0 * n * k * (g + L) if self.side == "dual" else 2.0 * g * k * L
        if self.side == "dual":
            cached = self._sigma_gram_cache is not None and self._sigma_gram_cache[0] is sigma
            cost_gram = (0.0 if cached else n * n * p) + min(4.0 * n * n * L,
                                                             4.0 * n**3 + 2.0 * n * n * L)
            regen = 0.0 if self._stream is None else 50.0 * n * p  # regenerating X from its seed
            cost_pass = 3.0 * p * L if pass_needed else 2.0 * n * p * L + 2.0 * n * n * L + regen
        else:
            cost_gram = 2.0 * p * g * g + 2.0 * g * g * L  # V^T Sigma V with V (p, g)
            cost_pass = math.inf
        exact = min((cost_struct, "struct"), (cost_gram, "gram"), (cost_pass, "pass"))
        cost_low = self._lowrank_route_cost(qs, pass_needed)
        route = min(exact, (cost_low, "lowrank"))[1]
        if self._route_override is not None:  # tests compare the routes with each other
            route = self._route_override
        if route == "lowrank":
            R = self._lowrank_run(qs, sigma=sigma, tstar=design.theta_star)
            if R is not None:
                self.last_route = "lowrank"
                return R
            route = exact[1]  # the check failed (or the route does not apply): exact route
        self.last_route = route
        if route == "pass":  # sum_j sigma_j (theta_j - theta*_j)^2 feature by feature: no cancellation
            acc_sig = self._ensure_norms(qs, sigma=sigma, tstar=design.theta_star)
            return np.maximum(acc_sig, 0.0)
        self._ensure_norms(qs)
        tr = self._truth(design)
        if route == "gram":
            return self._risk_gram(sigma, tr)
        # Sigma = c0 I + diag(sigma_S - c0) on S: c0 ||theta - theta*||^2 from the error coordinates
        # (||B e||^2 + ||r||^2, r orthogonal to B), the few columns S feature by feature.
        E = self._error_weights(tr)
        rr, _, _, br = self._remainder(tr)
        d2 = _colwise_sumsq(E, self._dhat) + rr  # ||theta - theta*||^2
        if br is not None:
            d2 = d2 - 2.0 * (br @ E)
        risk = c0 * d2
        if k:
            thS = self._project_cols(S).T @ self._W()  # (k, L)
            D = thS - design.theta_star[S, None]
            risk = risk + (sigma[S] - c0) @ (D * D)
        return np.maximum(risk, 0.0)

    # ------------------------------------------------------------------ error coordinates
    # theta_lam - theta* = B_k e_lam - r with P theta* = B_k zeta (P: projection on the span of the kept
    # components of B), e_lam = W_lam - zeta = (delta - lam zeta) / (s + lam), delta = c - s zeta
    # (dual: U^T (y - X theta*); primal: V^T X^T (y - X theta*)), and r = (I - P) theta*, independent
    # of the penalty. Forming e from delta and zeta never subtracts two numbers of the size of theta*,
    # so the risk keeps its relative accuracy however close theta_lam comes to theta*.
    def _truth(self, design: GaussianDesign) -> _Truth:
        h1, zs = self._design_projections(design)
        ts = design.theta_star
        return self._truth_from(h1, zs, design.sigma_norm_sq(ts), float(ts @ ts), design)

    def _truth_from(self, h1, zs, tst, tt, design=None) -> _Truth:
        sp = self.spec
        st = sp.start
        zeta = np.zeros(sp.dim)
        delta = np.zeros(sp.dim)
        if self.side == "dual":  # zeta = z*/s, hat units: root * zeta
            zeta[st:] = (zs[st:] / sp.root) / sp.s_unit[st:]
            delta[st:] = (self._c[st:] - zs[st:]) / sp.root
        else:  # zeta = V^T theta* on every component; the null ones are the remainder r
            zeta[:] = zs
            delta[st:] = self._chat[st:] - sp.s_unit[st:] * zs[st:]
        return _Truth(zeta, delta, h1 / self._nu, float(tst), float(tt), design,
                      None if design is None else design.theta_star)

    def _error_weights(self, tr: _Truth) -> np.ndarray:
        """``E = nu * (W - zeta)`` (g, L) on the kept components, 0 on the null ones."""
        sp = self.spec
        st = sp.start
        lamu = self.lam / sp.unit
        E = np.zeros((sp.dim, self.n_penalties))
        E[st:] = (tr.delta[st:, None] - tr.zeta[st:, None] * lamu) / (sp.s_unit[st:, None] + lamu)
        return E

    def _remainder(self, tr: _Truth, KSh: np.ndarray | None = None
                   ) -> tuple[float, float, np.ndarray | None, np.ndarray | None]:
        """``(||r||^2, r^T Sigma r, B_hat^T Sigma r, B_hat^T r)`` for ``r = (I - P) theta*`` (the
        middle two only with ``KSh``, on the dual side; the last only when r is formed explicitly,
        else r is orthogonal to B up to rounding and it is None).

        Primal: r lies on the null components, ``||r||^2 = sum zeta_null^2`` exactly. Dual: the
        closed forms ``||theta*||^2 - ||P theta*||^2`` (and its Sigma twin) lose digits when theta*
        lies almost in the row space of X; then r is formed explicitly by one pass over X.
        """
        st = self.spec.start
        if self.side == "primal" and self._complete:
            return float(tr.zeta[:st] @ tr.zeta[:st]), math.nan, None, None
        if self.side == "primal":  # V (p, g) spans part of R^p (method="svd", n < p): r explicitly, O(pg)
            U = self.spec.U
            r = tr.ts - U[:, st:] @ tr.zeta[st:]
            if KSh is None:
                return float(r @ r), math.nan, None, U.T @ r
            sr = _sigma_times(KSh, r)
            return float(r @ r), max(float(r @ sr), 0.0), U.T @ sr, None
        z = tr.zeta
        rr = tr.tt - float(self._dhat[st:] @ (z[st:] * z[st:]))
        rsr, gr, br = math.nan, None, None
        if KSh is not None:
            Mz = self._m_times(KSh, z)
            rsr = tr.tst - 2.0 * float(z @ tr.h1) + float(z @ Mz)
            gr = tr.h1 - Mz
        small = rr < _REMAINDER_RTOL * tr.tt or (KSh is not None and rsr < _REMAINDER_RTOL * tr.tst)
        if small and tr.design is not None and (self._X is not None or self._stream is not None):
            # A few passes over X, paid only when theta* lies (almost) in the row space. P theta* is
            # formed with the computed eigenvalues, so r keeps a row-space part of the size of their
            # error (eps * cond(X X^T) * ||theta*||): carry its products with B instead of assuming
            # r orthogonal to B.
            r = tr.design.theta_star - self._xt_times(self.spec.U @ z) / self.spec.root
            rr = float(r @ r)
            if KSh is not None:
                sr = tr.design.cov_matvec(r)
                rsr = float(r @ sr)
                gr = self.spec.U.T @ self._x_times(sr) / self.spec.root
            else:
                br = self.spec.U.T @ self._x_times(r) / self.spec.root
        return max(rr, 0.0), max(rsr, 0.0), gr, br

    def _m_times(self, KSh: np.ndarray, v: np.ndarray) -> np.ndarray:
        """``M_hat v`` with ``M_hat = U^T KSh U`` (the Sigma-Gram in the eigenbasis, hat units)."""
        U = self.spec.U
        return U.T @ _sigma_times(KSh, U @ v)

    def _risk_gram(self, cov: np.ndarray, tr: _Truth) -> np.ndarray:
        """``(B e - r)^T Sigma (B e - r)`` per penalty from the Sigma-Gram."""
        KSh = self._sigma_gram_hat(cov)
        E = self._error_weights(tr)
        if self.side == "primal" and self._complete:  # r = V_null zeta_null: one quadratic form
            st = self.spec.start
            E[:st] = -tr.zeta[:st, None]
            return np.maximum(self._quad_from_sigma_gram(KSh, E), 0.0)
        _, rsr, gr, _ = self._remainder(tr, KSh)  # gr = B_hat^T Sigma r
        risk = self._quad_from_sigma_gram(KSh, E) - 2.0 * (gr @ E) + rsr
        return np.maximum(risk, 0.0)

    def _xt_times(self, v: np.ndarray) -> np.ndarray:
        """``X.T @ v`` (p,) in float64, from the held X or regenerated blocks."""
        if self._X is not None:
            return _xtv(self._X, v)
        out = np.empty(self.p)
        for j0, j1, xb in self._xblocks("this computation"):
            out[j0:j1] = xb.T.astype(np.float64, copy=False) @ v
        return out

    def _project_cols(self, S: np.ndarray) -> np.ndarray:
        """``B^T E_S`` (g, k): the representation restricted to features S."""
        if self.side == "dual":
            if self._X is not None:
                XS = self._X[:, S].astype(np.float64)
            elif self._cols_cache is not None and np.array_equal(self._cols_cache[0], S):
                XS = self._cols_cache[1]
            else:
                XS = np.empty((self.n, S.size))
                for j0, j1, xb in self._xblocks("the standard risk"):
                    sel = (S >= j0) & (S < j1)
                    XS[:, sel] = xb[:, S[sel] - j0]
            return self.spec.U.T @ XS
        return np.ascontiguousarray(self.spec.U[S].T)

    def _sigma_gram_hat(self, cov: np.ndarray) -> np.ndarray:
        """The Sigma-Gram before rotation, in hat units: dual ``X Sigma X^T / unit`` (n, n), primal
        Sigma (p, p). Scaling by the power of 4 ``unit`` keeps it representable for X of any scale."""
        if self.side == "primal":
            return cov  # (p,) diagonal or (p, p): see _sigma_times
        root, unit = self.spec.root, self.spec.unit
        if self._sigma_gram_cache is not None and self._sigma_gram_cache[0] is cov:
            KS0, unit0 = self._sigma_gram_cache[1], self._sigma_gram_cache[2]
            return KS0 * (unit0 / unit)
        self._need_X("the standard risk")
        n, p = self.n, self.p
        K = np.zeros((n, n), dtype=self.dtype)
        if cov.ndim == 1:
            # X diag(sigma) X^T one column block at a time: never a scaled copy of the whole X.
            sd = (np.sqrt(cov) / root).astype(self.dtype)
            for j0, j1, xb in self._xblocks("the standard risk"):
                xs = xb * sd[j0:j1]
                K += xs @ xs.T
        else:
            X = self._X  # full covariances never stream (iter_blocks needs a diagonal)
            C = (cov / unit).astype(self.dtype, copy=False)
            b = max(16, config.BLOCK_BYTES // (X.itemsize * p))
            for i0 in range(0, n, b):
                K[i0:i0 + b] = (X[i0:i0 + b] @ C) @ X.T
        return K.astype(np.float64, copy=False)

    def _quad_from_sigma_gram(self, KSh: np.ndarray, F: np.ndarray) -> np.ndarray:
        """``f^T M_hat f`` per column of F (g, L), ``M_hat = U^T KSh U`` (see :meth:`_sigma_gram_hat`)."""
        L = F.shape[1]
        U = self.spec.U
        out = np.empty(L)
        if self.side == "dual" and L < 2 * self.spec.dim:
            A = U @ F
            with threads_for(A.size):
                colwise_dot(A, np.ascontiguousarray(KSh @ A), out)
        else:
            M = U.T @ _sigma_times(KSh, U)
            with threads_for(F.size):
                colwise_dot(np.ascontiguousarray(F), np.ascontiguousarray(M @ F), out)
        return out

    def standard_risk_from_stats(self, sigma_gram: ArrayLike, x_sigma_theta: ArrayLike,
                                 theta_sigma_theta: float, x_theta: ArrayLike | None = None
                                 ) -> np.ndarray:
        """Standard risk from sufficient statistics (for streaming designs that never hold X).

        Parameters
        ----------
        sigma_gram : (n, n) or (p, p)
            Dual: ``X Sigma X^T``; primal (``side == "primal"``, also every ``method="svd"`` path):
            ``Sigma`` itself. Symmetric positive semi-definite.
        x_sigma_theta : (n,) or (p,)
            Dual: ``X Sigma theta_star``; primal: ``Sigma theta_star``.
        theta_sigma_theta : float
            ``theta_star^T Sigma theta_star``.
        x_theta : (n,) or (p,), optional
            Dual: ``X theta_star``; primal: ``theta_star``. With it the risk is formed in the
            coordinates of ``theta_lam - theta_star`` and keeps its relative accuracy close to
            theta_star (small penalties, noiseless labels); without it the risk is
            ``quad - 2 cross + theta_sigma_theta``, whose absolute error is about
            ``1e-16 * theta_sigma_theta``. On the dual side, the part of theta_star outside the row
            space of X enters through ``theta_sigma_theta`` minus its row-space part: when theta_star
            lies within about 1e-3 of that row space, only :meth:`standard_risk` against the
            design (which can form it explicitly) keeps full relative accuracy.
        """
        g = self.spec.dim
        m = self.spec.U.shape[0]  # n (dual) or p (primal)
        KS = as_float_array(sigma_gram, "sigma_gram", ndim=2, dtype=np.float64)
        if KS.shape != (m, m):
            raise ValueError(f"sigma_gram must be ({m}, {m}), got {KS.shape}")
        check_sigma_gram(KS, "sigma_gram")
        v = check_vector(x_sigma_theta, m, "x_sigma_theta")
        tst = check_nonnegative_float(theta_sigma_theta, "theta_sigma_theta",
                                      " (theta_star^T Sigma theta_star)")
        U = self.spec.U
        h1 = U.T @ v
        if x_theta is None:  # theta* unknown: zeta = 0, so E = nu W and the "remainder" is theta*
            tr = _Truth(np.zeros(g), np.where(np.arange(g) >= self.spec.start, self._chat, 0.0),
                        h1 / self._nu, tst, math.nan, None)
        else:
            tr = self._truth_from(h1, U.T @ check_vector(x_theta, m, "x_theta"), tst, math.nan)
        KSh = KS / self.spec.unit if self.side == "dual" else KS
        E = self._error_weights(tr)
        if self.side == "primal" and not self._complete and x_theta is not None:
            tr.ts = np.asarray(x_theta, dtype=np.float64)
            _, rsr, gr, _ = self._remainder(tr, KSh)
            return np.maximum(self._quad_from_sigma_gram(KSh, E) - 2.0 * (gr @ E) + rsr, 0.0)
        if self.side == "primal" and x_theta is not None:
            st = self.spec.start
            E[:st] = -tr.zeta[:st, None]
            return np.maximum(self._quad_from_sigma_gram(KSh, E), 0.0)
        Mz = self._m_times(KSh, tr.zeta)
        rsr = max(tr.tst - 2.0 * float(tr.zeta @ tr.h1) + float(tr.zeta @ Mz), 0.0)
        quad = self._quad_from_sigma_gram(KSh, E)
        if float(np.min(quad, initial=0.0)) < -1e-8 * max(float(np.max(np.abs(quad))), 1e-300):
            raise ValueError("sigma_gram must be positive semi-definite (X Sigma X^T or Sigma): a "
                             "quadratic form on it came out negative")
        return np.maximum(quad - 2.0 * ((tr.h1 - Mz) @ E) + rsr, 0.0)

    # ------------------------------------------------------------------ adversarial risk
    def adversarial_risk(self, design: GaussianDesign, eps: ArrayLike, norm: float = 2,
                         target: str = "clean") -> np.ndarray:
        """Exact adversarial risk for Gaussian x, shape (L, E).

        ``R_eps = a^2 + 2 sqrt(2/pi) eps a b + eps^2 b^2`` with ``a^2`` the standard risk (clean,
        consistent) or standard risk + noise^2 (noisy), and ``b = ||theta_lam||_q`` (q dual to the
        attack norm p; for ``"consistent"``, the l2 norm of theta projected off theta_star).
        Attack ball ``||delta||_p <= eps``, eps absolute.
        """
        design = self._check_design(design)
        p, q = check_norm(norm)
        target = check_target(target, p)
        eps = check_eps(eps)
        R = self._standard_risk(design, qs=(q,))
        b = self._dual_norm(design, q, target)
        return _closed_form(R, b, eps, target, design.noise)

    def _dual_norm(self, design: GaussianDesign, q: float, target: str) -> np.ndarray:
        self._ensure_norms([q])
        b = self._norms[q]
        if target != "consistent":
            return b
        ts = design.theta_star
        if not np.any(ts):
            return b
        # ||theta_perp||^2 = (|omega wedge y|^2 + ||r||^2 ||theta||^2) / ||theta*||^2 with y = P theta*,
        # r = theta* - y and omega either theta or theta - y (whichever is shorter), both in the
        # orthonormal coordinates sqrt(d) * (hat weights); one Gram-Schmidt step against y makes
        # |omega wedge y| free of the cancellation of ||theta||^2 - (theta^T u)^2.
        tr = self._truth(design)
        rr, _, _, br = self._remainder(tr)
        sq = np.sqrt(np.maximum(self._dhat, 0.0))  # null eigenvalues may be -0 or tiny negative
        st = self.spec.start
        y = np.zeros_like(sq)
        y[st:] = sq[st:] * tr.zeta[st:]
        rho = np.zeros_like(sq)
        if br is not None:  # the row-space part of an explicitly formed r moves into y
            rho[st:] = br[st:] / sq[st:]
            y += rho
            rr = max(rr - float(rho @ rho), 0.0)
        yy = float(y @ y)
        if yy == 0.0:
            return b
        u = y / math.sqrt(yy)
        Xh = sq[:, None] * self.spec.filter_unit(self.lam, self._chat)
        Om = sq[:, None] * self._error_weights(tr) - rho[:, None]
        use_err = np.einsum("il,il->l", Om, Om) < np.einsum("il,il->l", Xh, Xh)
        Om = np.where(use_err[None, :], Om, Xh)
        Om -= u[:, None] * (u @ Om)[None, :]
        perp2 = np.maximum(np.einsum("il,il->l", Om, Om) - (u @ Om) ** 2, 0.0)
        tot = yy + rr
        return np.sqrt(perp2 * (yy / tot) + b**2 * (rr / tot))

    def empirical_adversarial_risk(self, X_test: ArrayLike, y_test: ArrayLike, eps: ArrayLike,
                                   norm: float = 2) -> np.ndarray:
        """Adversarial risk on a finite test sample with the exact inner maximum, shape (L, E).

        ``mean_j max_{||delta||_p <= eps} (y_j - (x_j + delta)^T theta)^2
        = mean_j (|y_j - x_j^T theta| + eps ||theta||_q)^2``. ``y_test`` may be the clean target
        ``X_test @ theta_star`` (the "clean" convention) or noisy labels (the "noisy" one).
        Predictions are formed one slab of test points at a time, never as an (m, L) array.
        """
        X_test = check_design_matrix(X_test, "X_test")
        m = X_test.shape[0]
        if X_test.shape[1] != self.p:
            raise ValueError(f"X_test must have p={self.p} columns, got shape {X_test.shape}")
        y_test = check_vector(y_test, m, "y_test")
        _, q = check_norm(norm)
        eps = check_eps(eps)
        self._ensure_norms([q])
        L = self.n_penalties
        Wt = np.ascontiguousarray(self._W().T)
        acc_abs = np.zeros(L)
        acc_sq = np.zeros(L)
        mb = max(64, config.BLOCK_BYTES // (8 * max(L, self.spec.dim)))
        for i0 in range(0, m, mb):
            T = self._project_rows(X_test[i0:i0 + mb])
            P = np.ascontiguousarray(Wt @ T)
            with threads_for(P.size):
                residual_moments(P, y_test[i0:i0 + mb], acc_abs, acc_sq)
        return moments_risk(acc_sq / m, acc_abs / m, self._norms[q], eps)

    def __repr__(self) -> str:
        return (f"RidgePath(n={self.n}, p={self.p}, side={self.side!r}, L={self.n_penalties}, "
                f"rank={self.rank}, dtype={self.dtype})")


def ridge_path_risks(X: ArrayLike, y: ArrayLike, lam: ArrayLike, cov: ArrayLike,
                     theta_star: ArrayLike, eps: ArrayLike, norm: float = 2,
                     target: str = "clean", noise: float = 0.0) -> dict[str, np.ndarray]:
    """Standard and adversarial risk of a whole ridge path, plain arrays in and out.

    Parameters
    ----------
    X, y : the training data, (n, p) and (n,).
    lam : (L,) unnormalised penalties of ``||y - X theta||^2 + lam ||theta||^2``.
    cov : (p,) diagonal or (p, p) covariance of x ~ N(0, Sigma).
    theta_star : (p,) ground truth.
    eps : (E,) attack radii of the ball ``||delta||_p <= eps``.
    norm : p in [1, inf].
    target : {"clean", "noisy", "consistent"}.
    noise : label-noise standard deviation (used by ``"noisy"``).

    Returns
    -------
    dict with ``lam`` (L,), ``eps`` (E,), ``standard_risk`` (L,), ``norm2`` (L,) = ||theta||_2,
    ``dual_norm`` (L,) = the norm the attack sees, ``adversarial_risk`` (L, E),
    ``ground_truth_adversarial_risk`` (E,), ``df`` (L,) effective degrees of freedom.
    """
    X = check_design_matrix(X)
    p_attack, q = check_norm(norm)
    target = check_target(target, p_attack)
    eps = check_eps(eps)
    design = GaussianDesign(cov=cov, theta_star=theta_star, noise=noise)
    if design.p != X.shape[1]:
        raise ValueError(f"cov describes p={design.p} features but X has {X.shape[1]} columns")
    path = RidgePath(X, y, lam)
    adv = path.adversarial_risk(design, eps, norm=p_attack, target=target)
    return {
        "lam": path.lam.copy(),
        "eps": eps,
        "standard_risk": path.standard_risk(design),
        "norm2": path.norm(2),
        "dual_norm": path._dual_norm(design, q, target),
        "adversarial_risk": adv,
        "ground_truth_adversarial_risk": ground_truth_adversarial_risk(
            design.theta_star, eps, norm=p_attack, target=target, noise=design.noise),
        "df": path.df(),
    }
