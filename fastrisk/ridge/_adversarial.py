"""The adversarial risks of a :class:`~fastrisk.RidgePath`: exact for Gaussian x (closed form in the
standard risk and the dual norm) and on a finite test sample (exact inner maximum); a mixin."""

from __future__ import annotations

from typing import Any

import numpy as np

from .._validation import (
    check_design_matrix,
    check_eps,
    check_norm,
    check_target,
    check_targets,
    dual_exponent,
)
from ..risk import _closed_form, _closed_form_targets, moments_risk, moments_risk_targets
from . import _norms, _passes, _routes, _wishart, _wishart_risks
from ._state import PathState

__all__ = ["AdversarialRisks"]

ArrayLike = Any
Designs = Any


class AdversarialRisks(PathState):
    """Adversarial risks of :class:`~fastrisk.RidgePath` (a mixin)."""

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

