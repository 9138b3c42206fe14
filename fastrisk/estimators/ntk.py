"""Kernel ridge regression on the neural tangent kernel of a two-layer ReLU network.

Model ``f(x) = b + sum_i beta_i K(x, x_i)`` with K the NTK of ``m^-1/2 sum_r a_r relu(w_r^T x)``
(:func:`fastrisk.ntk.ntk_gram`), fitted by

    min_{beta, b}  sum_i s_i (y_i - f(x_i))^2 + alpha ||f - b||_K^2          (s_i: sample weights)

(unnormalised ``alpha``, as scikit-learn's ``KernelRidge``; ``alpha = 0`` is the minimum-RKHS-norm
interpolator). The unpenalised intercept b is fitted by centring in feature space: with
``D = diag(sqrt(s))``, ``v = sqrt(s)``, ``P = I - v v^T / (v^T v)``, the solution is
``beta = D gamma``, ``(P D K D P + alpha I) gamma = P D y``, and ``b`` the weighted mean of
``y - K beta``; the NTK is not translation invariant, so this is not the same as centring the inputs.
"""

from __future__ import annotations

import math
from numbers import Real
from typing import Any

import numpy as np
from sklearn.base import BaseEstimator, RegressorMixin
from sklearn.utils.validation import check_random_state

from ..ntk._common import check_train, check_width
from ..ntk.gram import ntk_gram
from ..ntk.path import KernelRidgePath
from ._base import validate_fit, validate_predict
from .linear import _check_bool

__all__ = ["NTKRidge"]

ArrayLike = Any


def _check_alpha(alpha) -> float:
    if isinstance(alpha, (bool, np.bool_)) or not isinstance(alpha, (Real, np.floating, np.integer)):
        raise TypeError(f"alpha must be a non-negative real number, got {alpha!r}")
    alpha = float(alpha)
    if not math.isfinite(alpha) or alpha < 0:
        raise ValueError(f"alpha must be a finite number >= 0, got {alpha!r}")
    return alpha


class NTKRidge(RegressorMixin, BaseEstimator):
    """Kernel ridge regression with the two-layer ReLU NTK (infinite or finite width).

    Parameters
    ----------
    alpha : float >= 0, default 1.0
        Unnormalised penalty (``alpha / n`` is the normalised one); 0 gives the minimum-RKHS-norm
        interpolator, which for an NTK with zero initial output is the lazily trained network.
    train : {"first", "second", "both"}, default "first"
        Which layers are trained: the first layer W (infinite-width kernel
        ``<x,x'> (pi - arccos u) / (2 pi)``), the second layer a, or both.
    width : int or None, default None
        None: the infinite-width (arc-cosine) kernel. An even int m: the empirical NTK of a seeded
        symmetric initialisation of m neurons (see ``random_state``).
    fit_intercept : bool, default True
        Fit an unpenalised intercept by centring in feature space (see the module notes). False gives
        exactly ``fastrisk.ntk.KernelRidgePath(ntk_gram(X), y, alpha)``.
    random_state : int, numpy RandomState or None, default None
        Initialisation of a finite-width kernel (ignored at infinite width). An int is the seed of
        :func:`fastrisk.ntk.ntk_gram` (same kernel for the same int); None draws fresh entropy at fit.

    Attributes
    ----------
    dual_coef_ : ndarray (n_samples,)
        ``beta``: predictions are ``ntk_gram(X_new, X_fit_) @ dual_coef_ + intercept_``.
    intercept_ : float
    X_fit_ : ndarray (n_samples, n_features), the training inputs.
    init_seed_ : int or None, the finite-width initialisation seed used (None at infinite width).
    n_features_in_ : int
    feature_names_in_ : ndarray of str (only when X has string column names)

    Notes
    -----
    Cost: one NTK Gram (one SYRK + a fused elementwise pass at infinite width) and one ``eigh``;
    prediction one cross Gram (m, n). ``sample_weight`` is exact (integer weights equal repeated
    rows, zero weights removed rows).
    """

    def __init__(self, alpha: float = 1.0, train: str = "first", width: int | None = None,
                 fit_intercept: bool = True, random_state=None):
        self.alpha = alpha
        self.train = train
        self.width = width
        self.fit_intercept = fit_intercept
        self.random_state = random_state

    def _init_seed(self) -> int | None:
        if self.width is None:
            return None
        rs = self.random_state
        if isinstance(rs, (int, np.integer)) and not isinstance(rs, (bool, np.bool_)) and rs >= 0:
            return int(rs)
        return int(check_random_state(rs).randint(0, 2**31 - 1))

    def fit(self, X: ArrayLike, y: ArrayLike, sample_weight: ArrayLike | None = None) -> NTKRidge:
        """Fit on X (n_samples, n_features), y (n_samples,), optional non-negative sample weights."""
        alpha = _check_alpha(self.alpha)
        check_train(self.train)
        check_width(self.width, symmetric_init=True)
        fit_intercept = _check_bool(self.fit_intercept, "fit_intercept")
        X, y, sw = validate_fit(self, X, y, sample_weight)
        seed = self._init_seed()
        K = ntk_gram(X, train=self.train, width=self.width, seed=seed)
        n = X.shape[0]
        d = np.ones(n) if sw is None else np.sqrt(sw)
        Kw = K if sw is None else d[:, None] * K * d[None, :]
        yw = d * y
        if fit_intercept:
            W = float(d @ d)
            kv = Kw @ d / W
            vkv = float(d @ kv) / W
            Kw = Kw - np.outer(d, kv) - np.outer(kv, d) + vkv * np.outer(d, d)
            Kw = 0.5 * (Kw + Kw.T)  # exact symmetry after the rank-one updates
            yw = yw - d * (float(d @ yw) / W)
        gamma = KernelRidgePath(Kw, yw, alpha, overwrite=True).dual_coef()[:, 0]
        beta = d * gamma
        self.dual_coef_ = beta
        self.intercept_ = 0.0
        if fit_intercept:
            resid = y - K @ beta
            self.intercept_ = float(resid.mean() if sw is None else (sw @ resid) / sw.sum())
        self.X_fit_ = X
        self.init_seed_ = seed
        return self

    def predict(self, X: ArrayLike) -> np.ndarray:
        """Predictions ``ntk_gram(X, X_fit_) @ dual_coef_ + intercept_``, shape (n_samples,)."""
        X = validate_predict(self, X)
        K = ntk_gram(X, self.X_fit_, train=self.train, width=self.width, seed=self.init_seed_)
        return K @ self.dual_coef_ + self.intercept_
