"""``RidgePath``: the public face of a ridge path (validation, then the modules of this package)."""

from __future__ import annotations

from typing import Any

import numpy as np

from .._lowrank import LowRankRoute
from .._validation import (
    check_design_matrix,
    check_q,
)
from . import _build, _norms, _passes, _routes, _wishart, _wishart_risks
from ._adversarial import AdversarialRisks
from ._constructors import PathConstructors
from ._state import PathState
from ._statistics import PathStatistics

__all__ = ["RidgePath"]

ArrayLike = Any
#: A design for every target: one GaussianDesign (shared), or a sequence of k sharing a covariance.
Designs = Any


class RidgePath(PathConstructors, AdversarialRisks, PathStatistics, LowRankRoute, PathState):
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

    def __repr__(self) -> str:
        ks = f", k={self.k}" if self._multi else ""
        tail = "" if self._tail is None else ", tail='wishart'"
        return (f"RidgePath(n={self.n}, p={self.p}, side={self.side!r}, L={self.n_penalties}{ks}, "
                f"rank={self.rank}, dtype={self.dtype}{tail})")
