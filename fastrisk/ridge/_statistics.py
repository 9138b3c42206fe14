"""Quantities of a :class:`~fastrisk.RidgePath` beyond its risks against a design: exact averages over
the label noise given X, the standard risk from sufficient statistics, and the per-penalty accuracy
bound (a mixin; the arithmetic lives in :mod:`._noise`, :mod:`._routes` and :mod:`._accuracy`)."""

from __future__ import annotations

from typing import Any

import numpy as np

from .._validation import as_float_array, check_nonnegative_float, check_sigma_gram
from . import _accuracy, _noise, _routes, _wishart_risks
from ._state import PathState

__all__ = ["PathStatistics"]

ArrayLike = Any
Designs = Any


class PathStatistics(PathState):
    """Noise averages, risks from statistics and accuracy bounds of :class:`~fastrisk.RidgePath`."""

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

    # ------------------------------------------------------------------ noise averages, statistics
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
        v = np.broadcast_to(v, (m, u))
        xt = None if xt is None else np.broadcast_to(xt, (m, u))
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

