"""``RidgePath``: the public face of a ridge path (validation, then the modules of this package)."""

from __future__ import annotations

from typing import Any

import numpy as np

from .._lowrank import LowRankRoute
from .._spectral import SpectralPath
from .._validation import (
    as_float_array,
    check_design_matrix,
    check_eps,
    check_nonnegative_float,
    check_norm,
    check_q,
    check_sigma_gram,
    check_target,
    check_vector,
)
from ..design import GaussianDesign, _as_design
from ..risk import _closed_form, moments_risk
from . import _build, _norms, _passes, _routes

__all__ = ["RidgePath"]

ArrayLike = Any


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

    Examples
    --------
    >>> import numpy as np
    >>> import fastrisk as fr
    >>> design = fr.GaussianDesign(fr.spectra.spiked(400, n_spikes=5), np.eye(400)[0], noise=0.5)
    >>> X, y = design.sample(100, seed=0)
    >>> path = fr.RidgePath(X, y, lam=np.logspace(-3, 2, 50))
    >>> path.standard_risk(design).shape, path.adversarial_risk(design, [0.1, 0.2]).shape
    ((50,), (50, 2))
    """

    #: Force the standard-risk route ("struct", "gram", "pass" or "lowrank"); None lets the cost model
    #: choose. "lowrank" also forces the low-rank pass for l_q norms (see :mod:`fastrisk._lowrank`).
    _route_override: str | None = None
    #: The route the last standard-risk computation took (for benchmarks and tests).
    last_route: str | None = None

    def __init__(self, X: ArrayLike, y: ArrayLike, lam: ArrayLike, *, method: str = "gram"):
        _build.build_dense(self, X, y, lam, method)

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

        Returns
        -------
        RidgePath

        Examples
        --------
        >>> import numpy as np
        >>> import fastrisk as fr
        >>> X = np.random.default_rng(0).standard_normal((20, 50)); y = X[:, 0]
        >>> path = fr.RidgePath.from_gram(X @ X.T, y, [0.0, 1.0], X=X)
        >>> np.allclose(path.coef(), fr.RidgePath(X, y, [0.0, 1.0]).coef())
        True
        """
        self = cls.__new__(cls)
        _build.build_from_gram(self, gram, rhs, lam, side, X, n_samples, n_features)
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
        design : GaussianDesign
            A design with a diagonal covariance.
        n : int
            Number of training samples (if ``n > p`` the design is small: it is sampled whole).
        lam : float or array_like (L,)
            Unnormalised penalties (see the class).
        seed : int or SeedSequence
            The path equals ``RidgePath(*design.sample(n, seed), lam)``.
        dtype : float64 or float32
            Gram and eigh in that precision, as in the constructor.
        block : int, optional
            Columns generated at once (memory only; never changes the numbers).
        risk_stats : bool
            Also fold, in the same pass, what ``standard_risk(design)`` needs for this design
            (``X Sigma theta*``, ``X theta*``, and the columns where Sigma differs from its commonest
            value, or ``X Sigma X^T`` when there are more than n of them), so that the standard and
            l2 adversarial risks cost no second pass. Exception: for a general Sigma with many
            penalties the low-rank route (one regenerating pass, ``2 n p r`` flops) is cheaper than
            folding ``X Sigma X^T`` (``n^2 p``); that second Gram is then not folded.

        Returns
        -------
        RidgePath

        Examples
        --------
        >>> import numpy as np
        >>> import fastrisk as fr
        >>> design = fr.GaussianDesign(fr.spectra.two_level(20000, 0.01), np.eye(20000)[0], noise=1.0)
        >>> path = fr.RidgePath.from_design(design, 200, np.logspace(-2, 2, 20), seed=0)
        >>> path.standard_risk(design).shape
        (20,)
        """
        return _build.build_from_design(cls, design, n, lam, seed, dtype, block, risk_stats)

    # ------------------------------------------------------------------ compatibility views
    _X = property(lambda self: self.features.X, doc="The held design matrix (None when streamed).")
    _stream = property(lambda self: self.features.stream, doc="(design, seed) of a streamed path.")

    # ------------------------------------------------------------------ coefficients
    def coef(self, index: ArrayLike | None = None) -> np.ndarray:
        """Coefficients ``theta_lam`` as columns, shape (p, k) (k = L, or the penalties in ``index``).

        This materialises a (p, k) array: ask only for the penalties you need. Norms and risks never
        call it.

        Parameters
        ----------
        index : int or array_like of int, optional
            Penalties (positions in :attr:`lam`) to return; all by default.

        Returns
        -------
        ndarray (p, k) float64
        """
        cols = None
        if index is not None:
            cols = np.atleast_1d(np.asarray(index))
            if cols.dtype.kind not in "iu" or cols.ndim != 1:
                raise TypeError("index must be an int or a 1-D array of ints")
            if cols.size and (cols.min() < -self.n_penalties or cols.max() >= self.n_penalties):
                raise ValueError(f"index out of range for {self.n_penalties} penalties")
        return _passes.coef(self, cols)

    def predict(self, X_new: ArrayLike) -> np.ndarray:
        """Predictions ``X_new @ theta_lam`` for every penalty, shape (m, L).

        Parameters
        ----------
        X_new : array_like (m, p)

        Returns
        -------
        ndarray (m, L) float64
        """
        X_new = check_design_matrix(X_new, "X_new")
        if X_new.shape[1] != self.p:
            raise ValueError(f"X_new must have p={self.p} columns, got shape {X_new.shape}")
        return _passes.project_rows(self, X_new).T @ _passes.W(self)

    # ------------------------------------------------------------------ norms
    def norm(self, q: float = 2) -> np.ndarray:
        """``||theta_lam||_q`` for every penalty, shape (L,), q in [1, inf].

        q = 2 is spectral (O(g) per penalty): ``sum_i d_i c_i^2 / (s_i + lam)^2``. Other q use one
        blocked pass over the features (BLAS slab + fused Numba reduction), never holding (p, L).

        Parameters
        ----------
        q : float in [1, inf]

        Returns
        -------
        ndarray (L,) float64
        """
        q = check_q(q)
        _norms.ensure_norms(self, [q])
        return self._norms[q].copy()

    # ------------------------------------------------------------------ risks
    def standard_risk(self, design: GaussianDesign) -> np.ndarray:
        """Excess risk ``||theta_lam - theta_star||_Sigma^2`` for every penalty, shape (L,).

        Exact given X (Sigma and theta_star from ``design``). The second Gram-sized product that a
        general Sigma needs is chosen by a cost model: none when Sigma is ``c I`` plus a low-rank
        diagonal part (isotropic, spiked, two_level), else ``X Sigma X^T`` (n^2 p) or a blocked pass
        over the features (2 n p L), whichever is cheaper.

        Accuracy: every route forms the risk in the coordinates of ``theta_lam - theta_star`` (see the
        package notes), so it keeps its relative accuracy close to theta_star (tested to 1e-6 relative
        for risks 15 orders below ``theta*^T Sigma theta*`` in float64). A float32 path computes its
        eigenvectors (and a Sigma-Gram) in float32: its risk agrees with the explicit
        ``(theta - theta*)^T Sigma (theta - theta*)`` of its own coefficients to about 1e-5 relative
        plus ``1e-5 * sqrt(R * theta*^T Sigma theta*)``.

        If you also want adversarial risks for an attack norm other than l2, call
        :meth:`adversarial_risk` first (or use :func:`ridge_path_risks`): its feature pass for the
        dual norm then yields the standard risk too, and this call returns the cached result.

        Parameters
        ----------
        design : GaussianDesign
            Population with the same p as X.

        Returns
        -------
        ndarray (L,) float64
        """
        return _routes.standard_risk(self, self._check_design(design), qs=())

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

        Returns
        -------
        ndarray (L,) float64
        """
        m = self.spec.U.shape[0]  # n (dual) or p (primal)
        KS = as_float_array(sigma_gram, "sigma_gram", ndim=2, dtype=np.float64)
        if KS.shape != (m, m):
            raise ValueError(f"sigma_gram must be ({m}, {m}), got {KS.shape}")
        check_sigma_gram(KS, "sigma_gram")
        v = check_vector(x_sigma_theta, m, "x_sigma_theta")
        tst = check_nonnegative_float(theta_sigma_theta, "theta_sigma_theta",
                                      " (theta_star^T Sigma theta_star)")
        xt = None if x_theta is None else check_vector(x_theta, m, "x_theta")
        U = self.spec.U
        zs = None if xt is None else U.T @ xt
        return _routes.risk_from_stats(self, KS, U.T @ v, tst, zs, x_theta)

    def adversarial_risk(self, design: GaussianDesign, eps: ArrayLike, norm: float = 2,
                         target: str = "clean") -> np.ndarray:
        """Exact adversarial risk for Gaussian x, shape (L, E).

        ``R_eps = a^2 + 2 sqrt(2/pi) eps a b + eps^2 b^2`` with ``a^2`` the standard risk (clean,
        consistent) or standard risk + noise^2 (noisy), and ``b = ||theta_lam||_q`` (q dual to the
        attack norm p; for ``"consistent"``, the l2 norm of theta projected off theta_star).
        Attack ball ``||delta||_p <= eps``, eps absolute.

        Parameters
        ----------
        design : GaussianDesign
        eps : float or array_like (E,)
            Absolute attack radii, >= 0.
        norm : float in [1, inf]
            The attack norm p.
        target : {"clean", "noisy", "consistent"}

        Returns
        -------
        ndarray (L, E) float64
        """
        design = self._check_design(design)
        p, q = check_norm(norm)
        target = check_target(target, p)
        eps = check_eps(eps)
        R = _routes.standard_risk(self, design, qs=(q,))
        b = _norms.dual_norm(self, design, q, target)
        return _closed_form(R, b, eps, target, design.noise)

    def _dual_norm(self, design: GaussianDesign, q: float, target: str) -> np.ndarray:
        return _norms.dual_norm(self, design, q, target)

    def empirical_adversarial_risk(self, X_test: ArrayLike, y_test: ArrayLike, eps: ArrayLike,
                                   norm: float = 2) -> np.ndarray:
        """Adversarial risk on a finite test sample with the exact inner maximum, shape (L, E).

        ``mean_j max_{||delta||_p <= eps} (y_j - (x_j + delta)^T theta)^2
        = mean_j (|y_j - x_j^T theta| + eps ||theta||_q)^2``. ``y_test`` may be the clean target
        ``X_test @ theta_star`` (the "clean" convention) or noisy labels (the "noisy" one).
        Predictions are formed one slab of test points at a time, never as an (m, L) array.

        Parameters
        ----------
        X_test : array_like (m, p)
        y_test : array_like (m,)
        eps : float or array_like (E,)
        norm : float in [1, inf]

        Returns
        -------
        ndarray (L, E) float64
        """
        X_test = check_design_matrix(X_test, "X_test")
        m = X_test.shape[0]
        if X_test.shape[1] != self.p:
            raise ValueError(f"X_test must have p={self.p} columns, got shape {X_test.shape}")
        y_test = check_vector(y_test, m, "y_test")
        _, q = check_norm(norm)
        eps = check_eps(eps)
        _norms.ensure_norms(self, [q])
        mean_sq, mean_abs = _passes.residual_moments_on(self, X_test, y_test)
        return moments_risk(mean_sq, mean_abs, self._norms[q], eps)

    def _check_design(self, design) -> GaussianDesign:
        design = _as_design(design)
        if design.p != self.p:
            raise ValueError(f"design has p={design.p} features but X has p={self.p}")
        return design

    def __repr__(self) -> str:
        return (f"RidgePath(n={self.n}, p={self.p}, side={self.side!r}, L={self.n_penalties}, "
                f"rank={self.rank}, dtype={self.dtype})")
