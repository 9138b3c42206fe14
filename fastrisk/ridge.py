"""The ridge path: one Gram + one eigendecomposition, then every penalty from the spectral form.

Objective (unnormalised, scikit-learn's ``alpha``)::

    theta_lam = argmin ||y - X theta||_2^2 + lam ||theta||_2^2

``lam = 0`` is the min-norm interpolator (pseudo-inverse; see :mod:`fastrisk._spectral` for the rank
tolerance); negative ``lam > -s_min`` (smallest Gram eigenvalue) is legal. When ``n <= p`` the Gram
is ``K = X X^T = U diag(s) U^T`` (dual side) and ``theta_lam = X^T U diag(1/(s + lam)) U^T y``; when
``n > p`` it is ``X^T X = V diag(s) V^T`` (primal side) and ``theta_lam = V diag(1/(s + lam)) V^T X^T y``.

Both sides are written ``theta_lam = B W[:, lam]`` with ``B`` (p, g) the *representation* (dual:
``X^T U``; primal: ``V``) and ``W[i, lam] = c_i / (s_i + lam)`` (dual: ``c = U^T y``; primal:
``c = V^T X^T y``). Everything below is a reduction of ``W``: ``||theta||_2^2 = sum_i d_i W_i^2``
with ``d = s`` (dual) or 1 (primal), ``theta^T v = sum_i W_i (B^T v)_i``, ``theta^T Sigma theta =
W^T (B^T Sigma B) W``, and l_q norms by a blocked pass over rows of ``B`` that never holds the
(p, L) coefficient matrix.
"""

from __future__ import annotations

import math
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
    check_norm,
    check_positive_int,
    check_q,
    check_target,
    check_vector,
)
from .design import GaussianDesign, _as_design
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

    Notes
    -----
    Cost: one SYRK (``n^2 p`` flops on the smaller side) and one ``eigh``; each further penalty is
    O(g) for the l2 norm and the cross terms, O(g^2) for ``theta^T Sigma theta`` with a general Sigma.
    Outputs are float64 arrays over penalties (axis 0) and radii (axis 1).
    """

    #: Force the standard-risk route ("struct", "gram", "pass" or "lowrank"); None lets the cost model
    #: choose. "lowrank" also forces the low-rank pass for l_q norms (see :mod:`fastrisk._lowrank`).
    _route_override: str | None = None
    #: The route the last standard-risk computation took (for benchmarks and tests).
    last_route: str | None = None

    def __init__(self, X: ArrayLike, y: ArrayLike, lam: ArrayLike):
        X = check_design_matrix(X)
        n, p = X.shape
        y = check_vector(y, n, "y")
        if n <= p:
            gram = X @ X.T
            self._setup(gram, "dual", y, lam, X=X, n=n, p=p, rank_dim=p)
        else:
            gram = X.T @ X
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
        if X is not None:
            X = check_design_matrix(X)
            want = X.shape[0] if side == "dual" else X.shape[1]
            if want != g:
                raise ValueError(f"X has shape {X.shape}, which does not match a {side} gram of size {g}")
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
        dtype = np.dtype(dtype)
        if dtype not in (np.float32, np.float64):
            raise TypeError(f"dtype must be float32 or float64, got {dtype}")
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
        XS = np.empty((n, S.size)) if risk_stats and structured else None
        # a general Sigma: fold X Sigma X^T (a second SYRK) unless the low-rank route, which regenerates
        # X once instead, is expected to be cheaper
        fold_ks = not structured and not _lowrank.expected_cheaper_than_sigma_gram(
            n, design.p, np.size(lam), regen=50.0 * n * design.p)
        KS = np.zeros((n, n), dtype=dtype) if risk_stats and fold_ks else None
        sd = np.sqrt(sigma).astype(dtype)
        g = config.GEN_BLOCK
        for j0, j1, xb in design.iter_blocks(n, ss, block=block or _block_cols(n)):
            for k0 in range(j0, j1, g):  # the summation order of sample(): bit-identical labels
                signal += xb[:, k0 - j0:k0 - j0 + g] @ ts[k0:k0 + g]
            xc = xb if dtype == np.float64 else xb.astype(dtype)
            K += xc @ xc.T
            if risk_stats:
                xst += xb @ sts[j0:j1]
                if XS is not None:
                    sel = (S >= j0) & (S < j1)
                    XS[:, sel] = xb[:, S[sel] - j0]
                elif KS is not None:
                    xs = xc * sd[j0:j1]
                    KS += xs @ xs.T
        y = design._labels(signal, ss)
        self = cls.__new__(cls)
        self._stream = (design, ss)
        self._setup(K, "dual", y, lam, X=None, n=n, p=design.p, rank_dim=design.p)
        if risk_stats:
            U = self.spec.U
            self._dproj_cache = {id(design): (design, U.T @ xst, U.T @ signal)}
            if XS is not None:
                self._cols_cache = (S, XS)
            elif KS is not None:
                self._sigma_gram_cache = (sigma, KS.astype(np.float64, copy=False))
        return self

    def _setup(self, gram, side, rhs, lam, *, X, n, p, rank_dim, user_gram=False):
        self.side = side
        self.n = n
        self.p = p
        self._X = X
        self.dtype = gram.dtype
        self.spec = SpectralGram(gram, rank_dim=rank_dim, overwrite=True)
        if user_gram:
            self.spec.check_psd("gram")
        self.lam = self.spec.check_lam(lam, "X X^T" if side == "dual" else "X^T X")
        U = self.spec.U
        self._c = U.T @ rhs  # dual: z = U^T y; primal: V^T X^T y
        self._d = self.spec.s if side == "dual" else np.ones_like(self.spec.s)
        self._W_cache: np.ndarray | None = None
        self._A_cache: np.ndarray | None = None
        self._norms: dict[float, np.ndarray] = {}
        self._risk_cache: dict[int, tuple[object, np.ndarray]] = {}
        self._dproj_cache: dict = {}
        self._cols_cache = None
        self._sigma_gram_cache = None
        if not hasattr(self, "_stream"):
            self._stream = None

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
            _, o2 = self.spec.sums(self.lam, a2=self._d * self._c**2)
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

    def _cross_terms(self, design: GaussianDesign) -> tuple[np.ndarray, float]:
        sts = design.cov_matvec(design.theta_star)
        h, _ = self._design_projections(design)
        o1, _ = self.spec.sums(self.lam, a1=self._c * h)
        return o1[0], float(design.theta_star @ sts)

    def _compute_risk(self, design: GaussianDesign, qs: list[float]) -> np.ndarray:
        L = self.n_penalties
        n, p, g = self.n, self.p, self.spec.dim
        pass_needed = any(q != 2.0 for q in qs if q not in self._norms)
        if design.is_diagonal:
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
                cost_gram = 2.0 * g**3 + 2.0 * g * g * L
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
            if route == "pass":
                acc_sig = self._ensure_norms(qs, sigma=sigma, tstar=design.theta_star)
                return np.maximum(acc_sig, 0.0)
            self._ensure_norms(qs)
            cross, tst = self._cross_terms(design)
            if route == "struct":
                quad = c0 * self.norm(2) ** 2
                if k:
                    P = self._project_cols(S)  # (g, k)
                    thS = P.T @ self._W()  # (k, L)
                    quad = quad + (sigma[S] - c0) @ (thS * thS)
            else:
                quad = self._quad_gram(sigma)
            return np.maximum(quad - 2.0 * cross + tst, 0.0)
        self.last_route = "gram"
        self._ensure_norms(qs)
        cross, tst = self._cross_terms(design)
        return np.maximum(self._quad_gram(design.cov) - 2.0 * cross + tst, 0.0)

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

    def _sigma_gram(self, cov: np.ndarray) -> np.ndarray:
        """``B^T``-side Gram of Sigma before rotation: dual ``X Sigma X^T`` (n, n), primal Sigma (p, p)."""
        if self.side == "primal":
            return np.diag(cov) if cov.ndim == 1 else cov
        if self._sigma_gram_cache is not None and self._sigma_gram_cache[0] is cov:
            return self._sigma_gram_cache[1]
        self._need_X("the standard risk")
        n, p = self.n, self.p
        K = np.zeros((n, n), dtype=self.dtype)
        if cov.ndim == 1:
            # X diag(sigma) X^T one column block at a time: never a scaled copy of the whole X.
            sd = np.sqrt(cov).astype(self.dtype)
            for j0, j1, xb in self._xblocks("the standard risk"):
                xs = xb * sd[j0:j1]
                K += xs @ xs.T
        else:
            X = self._X  # full covariances never stream (iter_blocks needs a diagonal)
            C = cov.astype(self.dtype, copy=False)
            b = max(16, config.BLOCK_BYTES // (X.itemsize * p))
            for i0 in range(0, n, b):
                K[i0:i0 + b] = (X[i0:i0 + b] @ C) @ X.T
        return K.astype(np.float64, copy=False)

    def _quad_gram(self, cov: np.ndarray) -> np.ndarray:
        return self._quad_from_sigma_gram(self._sigma_gram(cov))

    def _quad_from_sigma_gram(self, KS: np.ndarray) -> np.ndarray:
        """``theta^T Sigma theta`` per penalty given the Sigma-Gram (see :meth:`_sigma_gram`)."""
        W = self._W()
        L = W.shape[1]
        U = self.spec.U
        out = np.empty(L)
        if self.side == "dual" and L < 2 * self.spec.dim:
            A = self._A()
            with threads_for(A.size):
                colwise_dot(A, np.ascontiguousarray(KS @ A), out)
        else:
            M = U.T @ KS @ U
            with threads_for(W.size):
                colwise_dot(W, np.ascontiguousarray(M @ W), out)
        return out

    def standard_risk_from_stats(self, sigma_gram: ArrayLike, x_sigma_theta: ArrayLike,
                                 theta_sigma_theta: float) -> np.ndarray:
        """Standard risk from sufficient statistics (for streaming designs that never hold X).

        Parameters
        ----------
        sigma_gram : (g, g)
            Dual: ``X Sigma X^T``; primal: ``Sigma`` itself.
        x_sigma_theta : (g,)
            Dual: ``X Sigma theta_star``; primal: ``Sigma theta_star``.
        theta_sigma_theta : float
            ``theta_star^T Sigma theta_star``.
        """
        g = self.spec.dim
        KS = as_float_array(sigma_gram, "sigma_gram", ndim=2, dtype=np.float64)
        if KS.shape != (g, g):
            raise ValueError(f"sigma_gram must be ({g}, {g}), got {KS.shape}")
        v = check_vector(x_sigma_theta, g, "x_sigma_theta")
        tst = float(theta_sigma_theta)
        if not math.isfinite(tst) or tst < 0:
            raise ValueError(f"theta_sigma_theta must be finite and >= 0, got {theta_sigma_theta!r}")
        o1, _ = self.spec.sums(self.lam, a1=self._c * (self.spec.U.T @ v))
        return np.maximum(self._quad_from_sigma_gram(KS) - 2.0 * o1[0] + tst, 0.0)

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
        tt = float(ts @ ts)
        if tt == 0.0:
            return b
        o1, _ = self.spec.sums(self.lam, a1=self._c * self._design_projections(design)[1])
        return np.sqrt(np.maximum(b**2 - o1[0] ** 2 / tt, 0.0))

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
