"""Kernel ridge regression on the neural tangent kernel of a two-layer ReLU network.

Model ``f(x) = b + sum_i beta_i K(x, x_i)`` with K the NTK of ``m^-1/2 sum_r a_r relu(w_r^T x)``
(:func:`fastrisk.ntk.ntk_gram`), fitted per target column y of Y by

    min_{beta, b}  sum_i s_i (y_i - f(x_i))^2 + alpha ||f - b||_K^2          (s_i: sample weights)

(unnormalised ``alpha``, as scikit-learn's ``KernelRidge``; ``alpha = 0`` is the minimum-RKHS-norm
interpolator). The unpenalised intercept b is fitted by centring in feature space: with
``D = diag(sqrt(s))``, ``v = sqrt(s)``, ``P = I - v v^T / (v^T v)``, the solution is
``beta = D gamma``, ``(P D K D P + alpha I) gamma = P D y``, and ``b`` the weighted mean of
``y - K beta``; the NTK is not translation invariant, so this is not the same as centring the inputs.
``P D K D P`` is never formed: the Householder reflection that deflates ``v`` exactly
(:mod:`fastrisk.estimators._decompose`) is the centring. :class:`NTKRidgeCV` chooses alpha by exact
leave-one-out over a whole grid from that one eigendecomposition.
"""

from __future__ import annotations

import math
from numbers import Real
from typing import Any

import numpy as np
from sklearn.base import BaseEstimator, MultiOutputMixin, RegressorMixin
from sklearn.utils.validation import check_random_state

from ..ntk._common import check_train, check_width
from ..ntk.gram import ntk_gram
from ._base import Centred, check_bool, validate_fit, validate_predict
from ._decompose import decompose_kernel
from ._loo import LeaveOneOut
from ._scoring import resolve_scoring
from ._select import cross_validate_path
from .linear import check_alphas, default_alphas

__all__ = ["NTKRidge", "NTKRidgeCV"]

ArrayLike = Any

#: A kernel Gram with an eigenvalue below ``-PSD_RTOL * max|eigenvalue|`` is refused (not PSD).
PSD_RTOL = math.sqrt(np.finfo(np.float64).eps)


def _check_alpha(alpha) -> float:
    if isinstance(alpha, (bool, np.bool_)) or not isinstance(alpha, (Real, np.floating, np.integer)):
        raise TypeError(f"alpha must be a non-negative real number, got {alpha!r}")
    alpha = float(alpha)
    if not math.isfinite(alpha) or alpha < 0:
        raise ValueError(f"alpha must be a finite number >= 0, got {alpha!r}")
    return alpha


class _NTKBase(MultiOutputMixin, RegressorMixin, BaseEstimator):
    """Kernel, decomposition and prediction shared by :class:`NTKRidge` and :class:`NTKRidgeCV`."""

    def _init_seed(self) -> int | None:
        if self.width is None:
            return None
        rs = self.random_state
        if isinstance(rs, (int, np.integer)) and not isinstance(rs, (bool, np.bool_)) and rs >= 0:
            return int(rs)
        return int(check_random_state(rs).randint(0, 2**31 - 1))

    def _decompose(self, X, y, sw, min_samples: int = 1):
        check_train(self.train)
        check_width(self.width, symmetric_init=True)
        fit_intercept = check_bool(self.fit_intercept, "fit_intercept")
        X, y, sw = validate_fit(self, X, y, sw, min_samples=min_samples)
        Y = y[:, None] if y.ndim == 1 else y
        seed = self._init_seed()
        rows = None
        Xf, Yf, swf = X, Y, sw
        if sw is not None and not np.all(sw > 0):  # zero weights: removed rows, exactly
            rows = np.flatnonzero(sw > 0)
            Xf, Yf, swf = X[rows], Y[rows], sw[rows]
        K = ntk_gram(Xf, train=self.train, width=self.width, seed=seed)
        w = np.ones(Xf.shape[0]) if swf is None else swf
        kw = K @ w  # for the intercept, before the decomposition overwrites K
        cen = Centred(Xf, Yf, swf, fit_intercept)
        dec = decompose_kernel(K, cen, PSD_RTOL)
        self.X_fit_ = Xf
        self.init_seed_ = seed
        return X, y, Y, sw, rows, swf, cen, dec, kw

    def _store(self, dec, cen, kw, alpha: np.ndarray, y_ndim: int) -> None:
        """dual_coef_ and intercept_ for one penalty per target (``alpha`` (k,))."""
        spec = dec.spec
        st = spec.start
        gamma = spec.U[:, st:] @ (dec.C[st:] / (spec.s[st:, None] + alpha[None, :]))
        beta = gamma if cen.sqrt_sw is None else cen.sqrt_sw[:, None] * gamma
        b = np.zeros(beta.shape[1])
        if cen.fit_intercept:
            b = cen.y_off - (kw @ beta) / cen.W
        self.dual_coef_ = beta[:, 0] if y_ndim == 1 else beta
        self.intercept_ = float(b[0]) if y_ndim == 1 else b

    def predict(self, X: ArrayLike) -> np.ndarray:
        """Predictions ``ntk_gram(X, X_fit_) @ dual_coef_ + intercept_``: (n_samples,) for 1-D y,
        (n_samples, n_targets) for 2-D y."""
        X = validate_predict(self, X)
        K = ntk_gram(X, self.X_fit_, train=self.train, width=self.width, seed=self.init_seed_)
        return K @ self.dual_coef_ + self.intercept_


class NTKRidge(_NTKBase):
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
    dual_coef_ : ndarray (n_samples,) or (n_samples, n_targets)
        ``beta``: predictions are ``ntk_gram(X_new, X_fit_) @ dual_coef_ + intercept_``.
    intercept_ : float (1-D y) or ndarray (n_targets,)
    X_fit_ : ndarray (n_samples, n_features), the training inputs (rows of positive weight).
    init_seed_ : int or None, the finite-width initialisation seed used (None at infinite width).
    n_features_in_ : int
    feature_names_in_ : ndarray of str (only when X has string column names)

    Notes
    -----
    Cost: one NTK Gram (one SYRK + a fused elementwise pass at infinite width) and one ``eigh``,
    whatever the number of targets; prediction one cross Gram (m, n). ``sample_weight`` is exact
    (integer weights equal repeated rows, zero weights removed rows).

    Examples
    --------
    >>> import numpy as np
    >>> from fastrisk.estimators import NTKRidge
    >>> rng = np.random.default_rng(0)
    >>> X, Y = rng.standard_normal((40, 5)), rng.standard_normal((40, 2))
    >>> NTKRidge(alpha=0.0).fit(X, Y).predict(X).shape   # interpolates both targets
    (40, 2)
    """

    def __init__(self, alpha: float = 1.0, train: str = "first", width: int | None = None,
                 fit_intercept: bool = True, random_state=None):
        self.alpha = alpha
        self.train = train
        self.width = width
        self.fit_intercept = fit_intercept
        self.random_state = random_state

    def fit(self, X: ArrayLike, y: ArrayLike, sample_weight: ArrayLike | None = None) -> NTKRidge:
        """Fit on X (n_samples, n_features), y (n_samples,) or (n_samples, n_targets), optional
        non-negative sample weights."""
        alpha = _check_alpha(self.alpha)
        X, y, Y, sw, rows, swf, cen, dec, kw = self._decompose(X, y, sample_weight)
        self._store(dec, cen, kw, np.full(Y.shape[1], alpha), y.ndim)
        return self


class NTKRidgeCV(_NTKBase):
    """NTK kernel ridge with the penalty chosen by exact leave-one-out over a whole grid.

    One NTK Gram and one eigendecomposition give the leave-one-out errors of every penalty and target
    (the formulas of :mod:`fastrisk.estimators._loo`, dual side, with the NTK Gram in place of
    ``X X^T``), instead of one fit per penalty (``GridSearchCV(NTKRidge(), {"alpha": ...})``).

    Parameters
    ----------
    alphas : array_like of float > 0, or None
        Penalties (unnormalised, as :class:`NTKRidge`'s alpha). None: 100 log-spaced over
        ``tr(K_c) * [1e-7, 10]`` (K_c the centred, weight-rescaled NTK Gram).
    train, width, fit_intercept, random_state
        As :class:`NTKRidge`.
    scoring : None, str or callable, default None
        As :class:`RidgePathCV`: None scores the mean squared leave-one-out error; a scikit-learn scorer
        is applied to the leave-one-out predictions.
    criterion : {"loo", "gcv"}, default "loo"
        Exact leave-one-out, or generalised cross-validation (squared error only).
    alpha_per_target : bool, default False
        With 2-D y, one penalty per target.
    store_cv_results : bool, default True
        Keep the per-sample arrays of ``cv_results_`` (as :class:`RidgePathCV`).

    Attributes
    ----------
    alpha_, best_score_ : as :class:`RidgePathCV`.
    dual_coef_, intercept_, X_fit_, init_seed_ : as :class:`NTKRidge` at ``alpha_``.
    cv_results_ : dict of ndarray
        As :class:`RidgePathCV` (``"alphas"``, ``"mean_squared_error"``, ``"squared_errors"``,
        ``"mean_test_score"``, ``"df"``, with a scorer ``"predictions"``).

    Notes
    -----
    Cost: the Gram and one ``eigh`` (``~9 n^3`` flops), then ``2 n^2 (k + 1) L`` flops for L penalties
    and k targets: at n = 1000 and 30 penalties about 1/30 of the per-penalty refits.

    Examples
    --------
    >>> import numpy as np
    >>> from fastrisk.estimators import NTKRidgeCV
    >>> rng = np.random.default_rng(0)
    >>> X = rng.standard_normal((60, 5)); y = np.sin(X[:, 0]) + 0.1 * rng.standard_normal(60)
    >>> cv = NTKRidgeCV(alphas=np.logspace(-3, 2, 30)).fit(X, y)
    >>> cv.cv_results_["squared_errors"].shape
    (60, 30)
    """

    def __init__(self, alphas: ArrayLike | None = None, train: str = "first", width: int | None = None,
                 fit_intercept: bool = True, random_state=None, scoring=None, criterion: str = "loo",
                 alpha_per_target: bool = False, store_cv_results: bool = True):
        self.alphas = alphas
        self.train = train
        self.width = width
        self.fit_intercept = fit_intercept
        self.random_state = random_state
        self.scoring = scoring
        self.criterion = criterion
        self.alpha_per_target = alpha_per_target
        self.store_cv_results = store_cv_results

    def fit(self, X: ArrayLike, y: ArrayLike, sample_weight: ArrayLike | None = None) -> NTKRidgeCV:
        """Fit on X (n_samples >= 2, n_features), y (n_samples,) or (n_samples, n_targets), optional
        non-negative sample weights."""
        alphas = check_alphas(self.alphas)
        per_target = check_bool(self.alpha_per_target, "alpha_per_target")
        store = check_bool(self.store_cv_results, "store_cv_results")
        criterion, scorer = resolve_scoring(self, self.scoring, self.criterion)
        X, y, Y, sw, rows, swf, cen, dec, kw = self._decompose(X, y, sample_weight, min_samples=2)
        if cen.fit_intercept and sw is not None and sw.sum() - np.minimum(sw[sw > 0], 1.0).max() <= 0:
            raise ValueError("sample_weight leaves nothing to fit when one sample is left out")
        if alphas is None:
            alphas = default_alphas(float(dec.spec.s[dec.spec.start:].sum()))
        loo = LeaveOneOut(dec, swf)
        outside = None
        if rows is not None and scorer is not None:
            Xo = np.delete(X, rows, axis=0)
            Ko = ntk_gram(Xo, self.X_fit_, train=self.train, width=self.width, seed=self.init_seed_)
            if cen.fit_intercept:
                Ko = Ko - kw[None, :] / cen.W
            if cen.sqrt_sw is not None:
                Ko *= cen.sqrt_sw[None, :]
            Z = Ko @ dec.spec.U[:, dec.spec.start:]
            outside = lambda a: loo.fitted(Z, a) + cen.y_off[None, :, None]  # noqa: E731
        res = cross_validate_path(loo, alphas, Y, sw, gcv=criterion == "gcv", scorer=scorer, eps=None,
                                  q=2.0, per_target=per_target, fit_rows=rows, outside_pred=outside,
                                  store=store)
        k = Y.shape[1]
        best = res.best if res.per_target else np.full(k, res.best)
        self._store(dec, cen, kw, alphas[best], y.ndim)
        if res.per_target:
            self.alpha_ = alphas[best].copy()
            self.best_score_ = res.score[np.arange(k), best].copy()
        else:
            self.alpha_ = float(alphas[res.best])
            self.best_score_ = float(res.score[res.best])
        self.cv_results_ = {"alphas": alphas, "mean_squared_error": res.mse[0] if y.ndim == 1 else res.mse,
                            "mean_test_score": res.score, "df": res.df}
        if res.sq is not None:
            self.cv_results_["squared_errors"] = res.sq[:, 0, :] if y.ndim == 1 else res.sq
        if res.pred is not None:
            self.cv_results_["predictions"] = res.pred[:, 0, :] if y.ndim == 1 else res.pred
        return self
