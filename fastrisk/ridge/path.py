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
    check_targets,
    dual_exponent,
)
from ..risk import _closed_form, _closed_form_targets, moments_risk, moments_risk_targets
from . import _accuracy, _build, _noise, _norms, _passes, _routes, _wishart, _wishart_risks
from ._targets import Targets, check_designs

__all__ = ["RidgePath"]

ArrayLike = Any
#: A design for every target: one GaussianDesign (shared), or a sequence of k sharing a covariance.
Designs = Any


class RidgePath(SpectralPath, LowRankRoute):
    """Ridge estimators for a whole path of penalties (and targets) from one eigendecomposition.

    Parameters
    ----------
    X : array_like (n, p)
        Design matrix, float32 or float64 (other real types become float64). float32 keeps the Gram
        and the eigendecomposition in float32 (about half the cost); every reduction after it is in
        float64. X is referenced, not copied.
    y : array_like (n,) or (n, k)
        Training labels; 2-D: one column per target (many responses, noise draws or ground truths
        on one design), every output then gains a trailing target axis (see Notes).
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

    Several targets (y of shape (n, k)): one Gram, one eigh, then every target from the same
    eigenbasis (``U^T Y`` is one (n, n) by (n, k) product). Outputs gain a trailing target axis:
    (L,) becomes (L, k), (L, E) becomes (L, E, k), ``coef`` (p, L) becomes (p, L, k) and ``predict``
    (m, L, k); 1-D y keeps the shapes above (a 2-D y with one column keeps its axis). Column t equals
    the path of ``y[:, t]`` alone to rounding. Risks take one design shared by every target, or a
    list of k designs (one per target: its theta* and noise) sharing one covariance. Cost after the
    eigh: on a structured Sigma (``c I`` plus a few diagonal columns S: isotropic, spiked, two_level)
    the l2 quantities cost O(g L k) (fused Numba sums over the error coordinates) plus one
    ``(|S| k, g)`` by (g, L) product; a general Sigma's exact risk is a quadratic form per (penalty,
    target), ``2 g^2 L k`` flops (6x the Gram + eigh floor at k = 100, n = 1500), so the cost model
    takes the low-rank route there when it is cheaper (one factor per target, one pass over X for all,
    ``2 n p r k + 2 p r L k`` flops, same accuracy contract); l_q norms take one pass over X for all
    targets (the exact pass: ``2 n p L k`` flops, slabs of at most ``config.BLOCK_BYTES``, never a
    (p, L k) array). The (g, k, L) spectral weights are held while they fit
    ``config.WEIGHTS_BYTES``, else each target's slab comes from the one shared (g, L) filter.

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
    >>> Y = np.stack([y, X[:, 0], X @ np.eye(400)[1]], axis=1)  # three targets, one eigh
    >>> fr.RidgePath(X, Y, np.logspace(-3, 2, 50)).adversarial_risk(design, [0.1, 0.2]).shape
    (50, 2, 3)
    """

    #: Force the standard-risk route ("struct", "gram", "pass" or "lowrank"); None lets the cost model
    #: choose. A forced route that fails its accuracy check still hands over to the next one.
    #: "lowrank" also forces the low-rank pass for l_q norms (see :mod:`fastrisk._lowrank`).
    _route_override: str | None = None
    #: The route the last standard-risk computation took (for benchmarks and tests).
    last_route: str | None = None
    #: Routes the last standard-risk computation passed over, with the reason (a failed accuracy
    #: check: an ill-conditioned X Sigma X^T, a cancelling structured form, a low-rank check).
    route_notes: dict[str, str] | None = None
    #: The feature source of a ``tail="wishart"`` path (None otherwise): see :mod:`._wishart`.
    _tail: _wishart.TailFeatures | None = None

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
        rhs : array_like (g,) or (g, k)
            ``y`` (dual) or ``X^T y`` (primal); one column per target for several targets.
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
    def from_design(cls, design: Designs, n: int, lam: ArrayLike, seed, *, dtype=np.float64,
                    block: int | None = None, risk_stats: bool = True, tail: str = "explicit") -> RidgePath:
        """The ridge path on ``design.sample(n, seed)`` without ever holding X (diagonal Sigma).

        X is generated block by block from the seed (the same numbers as :meth:`GaussianDesign.sample`
        for any ``block``), folded into the Gram and discarded: memory is O(n^2 + n * block) however
        large p is (p = 10^7 at n = 1000 needs about 40 MB beyond the Gram). Everything of
        :class:`RidgePath` works; what needs X again (``coef``, ``predict``, l_q norms with q != 2,
        empirical risks) regenerates the blocks, one pass per call.

        Several targets from one draw: pass a list of k designs sharing one covariance (e.g. one
        theta* at several noise levels, or several theta*). Target t has the labels
        ``y_t = X theta*_t + noise_t z`` with the one X and the one noise draw z of the seed, so that
        column t equals ``from_design(design[t], n, lam, seed)`` (its labels bit for bit up to
        ``GEMV_TARGETS`` = 8 distinct theta*, to rounding beyond) while the Gram and the eigh are
        paid once; pass the same list to the risks (``path.standard_risk(designs)``).

        Parameters
        ----------
        design : GaussianDesign, or a list/tuple of k of them sharing one covariance
            A design with a diagonal covariance (one per target for several targets).
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
        tail : {"explicit", "wishart"}
            ``"explicit"`` (default): X is drawn column by column as above. ``"wishart"``: for a
            flat-tail design (Sigma = a few leading values plus ``c I`` on at least half of the
            coordinates: ``two_level``, ``spiked``, ``isotropic``, or a compact
            :class:`~fastrisk.spectra.FlatTail`), only the leading columns of X are drawn (the same
            numbers as ``design.sample``); the tail enters through its Gram, drawn from its Wishart
            law (Bartlett decomposition), and one Gaussian column per direction of theta*'s tail
            parts, so the cost is one n x n draw and one ``eigh`` whatever p is (p = 10^9 included)
            and memory is O(n^2). The path, ``norm(2)``, the standard risk (and its noise average)
            and the l2 adversarial risks (clean, noisy, consistent) are exact *in law* (the draw
            differs from the explicit one); coefficients, predictions, other norms and attacks, and
            empirical risks need the tail of X and are refused with a one-line error. The random
            stream and the law are documented in :mod:`fastrisk.ridge._wishart`.

        Returns
        -------
        RidgePath

        Examples
        --------
        >>> import numpy as np
        >>> import fastrisk as fr
        >>> design = fr.GaussianDesign(fr.spectra.two_level(20000, 0.01, k=20), np.eye(20000)[0],
        ...                           noise=1.0)
        >>> path = fr.RidgePath.from_design(design, 200, np.logspace(-2, 2, 20), seed=0)
        >>> path.standard_risk(design).shape
        (20,)
        >>> noisy = [fr.GaussianDesign(design.cov, design.theta_star, noise=s) for s in (0.5, 1, 2)]
        >>> folded = fr.RidgePath.from_design(noisy, 200, np.logspace(-2, 2, 20), seed=0)
        >>> folded.adversarial_risk(noisy, [0.1], target="noisy").shape
        (20, 1, 3)
        """
        if _wishart.check_tail(tail, design) == "wishart":
            return _wishart.build_from_design(cls, design, n, lam, seed, dtype, block, risk_stats)
        return _build.build_from_design(cls, design, n, lam, seed, dtype, block, risk_stats)

    # ------------------------------------------------------------------ accuracy
    def accuracy_bound(self) -> np.ndarray:
        """Relative accuracy of every output at each penalty, shape (L,).

        ``ACCURACY_C * g * eps * (1 + s_max / (s_min + lam))`` with ``eps`` the precision of the
        eigendecomposition (float32 for a float32 path), g the Gram's size, ``s_min``/``s_max`` the
        smallest kept and the largest Gram eigenvalue and ``config.ACCURACY_C`` measured (see
        :mod:`fastrisk.ridge._accuracy`; ``method="svd"`` resolves singular values instead):
        the standard and adversarial risks, the l_q norms and the degrees of freedom of penalty ``lam``
        are within this relative distance of the exact (float64) values on the same X. O(L); nothing
        is recomputed. On a float64 path it is the part due to the eigendecomposition (the risk routes
        add at most about 1e-8 relative).

        Returns
        -------
        ndarray (L,) float64

        Examples
        --------
        >>> import numpy as np
        >>> import fastrisk as fr
        >>> X = np.random.default_rng(0).standard_normal((50, 500)).astype(np.float32)
        >>> path = fr.RidgePath(X, X[:, 0], [0.0, 1.0, 100.0])
        >>> bool(np.all(path.accuracy_bound() < fr.config.FLOAT32_RTOL))
        True
        """
        return _accuracy.accuracy_bound(self)

    def accuracy_flags(self) -> np.ndarray:
        """Penalties whose :meth:`accuracy_bound` exceeds the documented float32 accuracy
        ``config.FLOAT32_RTOL`` on a float32 path (the ones :class:`fastrisk.Float32AccuracyWarning`
        names), shape (L,) bool; all False on a float64 path.

        Returns
        -------
        ndarray (L,) bool

        Examples
        --------
        >>> import numpy as np
        >>> import fastrisk as fr
        >>> X = np.random.default_rng(0).standard_normal((50, 500))
        >>> fr.RidgePath(X, X[:, 0], [0.0, 1.0]).accuracy_flags()
        array([False, False])
        """
        return _accuracy.accuracy_flags(self)

    # ------------------------------------------------------------------ compatibility views
    _X = property(lambda self: self.features.X, doc="The held design matrix (None when streamed).")
    _stream = property(lambda self: self.features.stream, doc="(design, seed) of a streamed path.")

    @property
    def n_targets(self) -> int:
        """Number of targets k (columns of y; 1 for 1-D y)."""
        return self.k

    @property
    def multi_target(self) -> bool:
        """Whether y was 2-D: outputs then carry a trailing target axis (even when k = 1)."""
        return self._multi

    def _out(self, a: np.ndarray) -> np.ndarray:
        """An internal (..., k) result in the public shape: the target axis dropped for 1-D y."""
        return np.ascontiguousarray(a if self._multi else a[..., 0])

    def _targets(self, design: Designs) -> Targets:
        return check_designs(design, self.k, self.p)

    # ------------------------------------------------------------------ coefficients
    def coef(self, index: ArrayLike | None = None) -> np.ndarray:
        """Coefficients ``theta_lam`` as columns, shape (p, L') (L' = L, or the penalties in ``index``);
        (p, L', k) for several targets.

        This materialises a (p, L' k) array: ask only for the penalties you need. Norms and risks never
        call it.

        Parameters
        ----------
        index : int or array_like of int, optional
            Penalties (positions in :attr:`lam`) to return; all by default.

        Returns
        -------
        ndarray (p, L') or (p, L', k) float64
        """
        cols = None
        if index is not None:
            cols = np.atleast_1d(np.asarray(index))
            if cols.dtype.kind not in "iu" or cols.ndim != 1:
                raise TypeError("index must be an int or a 1-D array of ints")
            if cols.size and (cols.min() < -self.n_penalties or cols.max() >= self.n_penalties):
                raise ValueError(f"index out of range for {self.n_penalties} penalties")
            cols = cols % self.n_penalties
        if self._tail is not None:
            _wishart.refuse("coef")
        return self._out(_passes.coef(self, cols))

    def predict(self, X_new: ArrayLike) -> np.ndarray:
        """Predictions ``X_new @ theta_lam`` for every penalty, shape (m, L); (m, L, k) for several
        targets.

        Parameters
        ----------
        X_new : array_like (m, p)

        Returns
        -------
        ndarray (m, L) or (m, L, k) float64
        """
        if self._tail is not None:
            _wishart.refuse("predict")
        X_new = check_design_matrix(X_new, "X_new")
        if X_new.shape[1] != self.p:
            raise ValueError(f"X_new must have p={self.p} columns, got shape {X_new.shape}")
        return self._out(_passes.predict(self, X_new))

    # ------------------------------------------------------------------ norms
    def norm(self, q: float = 2) -> np.ndarray:
        """``||theta_lam||_q`` for every penalty, shape (L,) ((L, k) for several targets), q in [1, inf].

        q = 2 is spectral (O(g) per penalty and target): ``sum_i d_i c_i^2 / (s_i + lam)^2``. Other q
        use one blocked pass over the features for all targets (BLAS slab + fused Numba reduction),
        never holding (p, L).

        Parameters
        ----------
        q : float in [1, inf]

        Returns
        -------
        ndarray (L,) or (L, k) float64
        """
        q = check_q(q)
        if q != 2.0 and self._tail is not None:
            _wishart.refuse(f"norm(q={q:g})")
        _norms.ensure_norms(self, [q])
        return self._out(self._norms[q])

    # ------------------------------------------------------------------ risks
    def standard_risk(self, design: Designs) -> np.ndarray:
        """Excess risk ``||theta_lam - theta_star||_Sigma^2`` for every penalty, shape (L,) ((L, k) for
        several targets).

        Exact given X (Sigma and theta_star from ``design``). The second Gram-sized product that a
        general Sigma needs is chosen by a cost model: none when Sigma is ``c I`` plus a low-rank
        diagonal part (isotropic, spiked, two_level), else ``X Sigma X^T`` (n^2 p) or a blocked pass
        over the features (2 n p L), whichever is cheaper (see the class Notes for several targets).

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
        design : GaussianDesign, or a list/tuple of k of them
            Population with the same p as X: one shared by every target, or one per target (sharing
            one covariance).

        Returns
        -------
        ndarray (L,) or (L, k) float64
        """
        if self._tail is not None:
            return self._out(_wishart_risks.standard_risk(self, self._targets(design)))
        return self._out(_routes.standard_risk(self, self._targets(design), qs=()))

    def standard_risk_noise_avg(self, design: Designs) -> np.ndarray:
        """The standard risk averaged exactly over the label noise given X, shape (L,) or (L, k).

        ``E_z ||theta_lam(y) - theta*||_Sigma^2`` for ``y = X theta* + noise * z``, z ~ N(0, I_n), X
        this path's design: ``R(y = X theta*) + noise^2 sum_i M_ii / (s_i + lam)^2`` with
        ``M = U^T X Sigma X^T U`` (dual; ``s_i (V^T Sigma V)_ii`` primal). The path's own labels do
        not enter: each target uses its design's theta* and noise. It removes the label-noise part of
        the Monte Carlo error of a simulated risk. Cost: the noiseless risk by the cost model's route,
        plus the diagonal of M: ``O(n |S| g)`` for a structured Sigma (``c I`` plus ``|S|`` diagonal columns),
        one ``n^2 p`` product (the Sigma-Gram, cached) for a general one.

        Parameters
        ----------
        design : GaussianDesign, or a list/tuple of k of them (one per target)

        Returns
        -------
        ndarray (L,) or (L, k) float64

        Examples
        --------
        >>> import numpy as np
        >>> import fastrisk as fr
        >>> design = fr.GaussianDesign(fr.spectra.spiked(300, 3), np.eye(300)[0], noise=0.5)
        >>> X, y = design.sample(60, seed=0)
        >>> fr.RidgePath(X, y, [0.0, 1.0, 10.0]).standard_risk_noise_avg(design).shape
        (3,)
        """
        if self._tail is not None:
            return self._out(_wishart_risks.standard_risk_noise_avg(self, self._targets(design)))
        return self._out(_noise.standard_risk_noise_avg(self, self._targets(design)))

    def norm2_sq_noise_avg(self, design: Designs) -> np.ndarray:
        """``E_z ||theta_lam(y)||_2^2`` over the label noise given X, shape (L,) or (L, k).

        ``||theta_lam(y = X theta*)||^2 + noise^2 sum_i s_i / (s_i + lam)^2``, with theta* and the
        noise level from each target's design (see :meth:`standard_risk_noise_avg`). O(g L) after one
        projection of theta* on the path.

        Parameters
        ----------
        design : GaussianDesign, or a list/tuple of k of them (one per target)

        Returns
        -------
        ndarray (L,) or (L, k) float64
        """
        if self._tail is not None:
            return self._out(_wishart_risks.norm2_sq_noise_avg(self, self._targets(design)))
        return self._out(_noise.norm2_sq_noise_avg(self, self._targets(design)))

    def standard_risk_from_stats(self, sigma_gram: ArrayLike, x_sigma_theta: ArrayLike,
                                 theta_sigma_theta, x_theta: ArrayLike | None = None
                                 ) -> np.ndarray:
        """Standard risk from sufficient statistics (for streaming designs that never hold X).

        Parameters
        ----------
        sigma_gram : (n, n) or (p, p)
            Dual: ``X Sigma X^T``; primal (``side == "primal"``, also every ``method="svd"`` path):
            ``Sigma`` itself. Symmetric positive semi-definite.
        x_sigma_theta : (n,) or (p,); (n, k) or (p, k) for one theta* per target
            Dual: ``X Sigma theta_star``; primal: ``Sigma theta_star``.
        theta_sigma_theta : float, or array_like (k,) for one theta* per target
            ``theta_star^T Sigma theta_star``.
        x_theta : (n,) or (p,) (or with k columns), optional
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
        ndarray (L,) or (L, k) float64
        """
        m = self.spec.U.shape[0]  # n (dual) or p (primal)
        KS = as_float_array(sigma_gram, "sigma_gram", ndim=2, dtype=np.float64)
        if KS.shape != (m, m):
            raise ValueError(f"sigma_gram must be ({m}, {m}), got {KS.shape}")
        check_sigma_gram(KS, "sigma_gram")
        v = self._per_target(x_sigma_theta, m, "x_sigma_theta")
        if np.ndim(theta_sigma_theta) == 0:
            tst = np.array([check_nonnegative_float(theta_sigma_theta, "theta_sigma_theta",
                                                    " (theta_star^T Sigma theta_star)")])
        else:
            tst = as_float_array(theta_sigma_theta, "theta_sigma_theta", ndim=1, dtype=np.float64)
            if tst.shape != (self.k,) or np.any(tst < 0):
                raise ValueError(f"theta_sigma_theta must be a number >= 0 or {self.k} of them (one "
                                 f"per target), got shape {tst.shape}")
        xt = None if x_theta is None else self._per_target(x_theta, m, "x_theta")
        u = max(a.shape[1] for a in (v, tst[None], xt) if a is not None)
        idx = np.zeros(self.k, dtype=np.intp) if u == 1 else np.arange(self.k)
        v, xt = (None if a is None else np.broadcast_to(a, (m, u)) for a in (v, xt))
        tst = np.broadcast_to(tst, (u,))
        U = self.spec.U
        zs = None if xt is None else U.T @ xt
        return self._out(_routes.risk_from_stats(self, KS, U.T @ v, tst, zs, xt, idx))

    def _per_target(self, v: ArrayLike, m: int, name: str) -> np.ndarray:
        """A statistic (m,) shared by every target, or (m, k): one column per target; as (m, 1 or k)."""
        a = as_float_array(v, name, dtype=np.float64)
        if a.shape == (m,):
            return a[:, None]
        if a.shape == (m, self.k):
            return a
        raise ValueError(f"{name} must have shape ({m},)" + (f" or ({m}, {self.k})" if self.k > 1 else "")
                         + f", got {a.shape}")

    def adversarial_risk(self, design: Designs, eps: ArrayLike, norm: float = 2,
                         target: str = "clean") -> np.ndarray:
        """Exact adversarial risk for Gaussian x, shape (L, E) ((L, E, k) for several targets).

        ``R_eps = a^2 + 2 sqrt(2/pi) eps a b + eps^2 b^2`` with ``a^2`` the standard risk (clean,
        consistent) or standard risk + noise^2 (noisy), and ``b = ||theta_lam||_q`` (q dual to the
        attack norm p; for ``"consistent"``, the l2 norm of theta projected off theta_star).
        Attack ball ``||delta||_p <= eps``, eps absolute.

        Parameters
        ----------
        design : GaussianDesign, or a list/tuple of k of them (one per target: its theta* and noise)
        eps : float or array_like (E,)
            Absolute attack radii, >= 0.
        norm : float in [1, inf]
            The attack norm p.
        target : {"clean", "noisy", "consistent"}

        Returns
        -------
        ndarray (L, E) or (L, E, k) float64
        """
        targets = self._targets(design)
        p, q = check_norm(norm)
        target = check_target(target, p)
        eps = check_eps(eps)
        if self._tail is not None:
            b = _wishart_risks.dual_norm(self, targets, p, target)
            R = _wishart_risks.standard_risk(self, targets)
        else:
            R = _routes.standard_risk(self, targets, qs=(q,))
            b = _norms.dual_norm(self, targets, q, target)
        if not self._multi:
            return _closed_form(R[:, 0], b[:, 0], eps, target, float(targets.noise[0]))
        return _closed_form_targets(R, b, eps, target, targets.noise)

    def _dual_norm(self, design: Designs, q: float, target: str) -> np.ndarray:
        if self._tail is not None:
            return self._out(_wishart_risks.dual_norm(self, self._targets(design), dual_exponent(q), target))
        return self._out(_norms.dual_norm(self, self._targets(design), q, target))

    def empirical_adversarial_risk(self, X_test: ArrayLike, y_test: ArrayLike, eps: ArrayLike,
                                   norm: float = 2) -> np.ndarray:
        """Adversarial risk on a finite test sample with the exact inner maximum, shape (L, E)
        ((L, E, k) for several targets).

        ``mean_j max_{||delta||_p <= eps} (y_j - (x_j + delta)^T theta)^2
        = mean_j (|y_j - x_j^T theta| + eps ||theta||_q)^2``. ``y_test`` may be the clean target
        ``X_test @ theta_star`` (the "clean" convention) or noisy labels (the "noisy" one).
        Predictions are formed one slab of test points at a time, never as an (m, L) array.

        Parameters
        ----------
        X_test : array_like (m, p)
        y_test : array_like (m,), or (m, k): one column per target (a 1-D y_test serves every target)
        eps : float or array_like (E,)
        norm : float in [1, inf]

        Returns
        -------
        ndarray (L, E) or (L, E, k) float64
        """
        if self._tail is not None:
            _wishart.refuse("empirical_adversarial_risk (a test sample)")
        X_test = check_design_matrix(X_test, "X_test")
        m = X_test.shape[0]
        if X_test.shape[1] != self.p:
            raise ValueError(f"X_test must have p={self.p} columns, got shape {X_test.shape}")
        Y_test, multi = check_targets(y_test, m, "y_test")
        if not self._multi and multi:
            raise ValueError(f"y_test must have shape ({m},) for a path with 1-D y, got {Y_test.shape}")
        if multi and Y_test.shape[1] != self.k:
            raise ValueError(f"y_test must have shape ({m},) or ({m}, {self.k}) (one column per target), "
                             f"got {Y_test.shape}")
        _, q = check_norm(norm)
        eps = check_eps(eps)
        _norms.ensure_norms(self, [q])
        mean_sq, mean_abs = _passes.residual_moments_on(self, X_test,
                                                        np.broadcast_to(Y_test, (m, self.k)))
        if not self._multi:
            return moments_risk(mean_sq[:, 0], mean_abs[:, 0], self._norms[q][:, 0], eps)
        return moments_risk_targets(mean_sq, mean_abs, self._norms[q], eps)

    def __repr__(self) -> str:
        ks = f", k={self.k}" if self._multi else ""
        tail = "" if self._tail is None else ", tail='wishart'"
        return (f"RidgePath(n={self.n}, p={self.p}, side={self.side!r}, L={self.n_penalties}{ks}, "
                f"rank={self.rank}, dtype={self.dtype}{tail})")
