"""Linear estimators: the min-norm interpolator and ridge with leave-one-out over a whole penalty path.

Ridge objective (scikit-learn's ``alpha``, unnormalised)::

    min_{w, b}  sum_i s_i (y_i - b - x_i^T w)^2 + alpha ||w||_2^2        (s_i: sample weights, 1 by default)

with the intercept b unpenalised (solved by centring, as scikit-learn does; see
:mod:`fastrisk.estimators._base`). ``alpha = 0`` is the minimum-norm solution (pseudo-inverse with the
rank tolerance of :class:`fastrisk.RidgePath`): the interpolator when ``n <= p``, least squares when
``n > p``.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from sklearn.base import BaseEstimator, RegressorMixin

from ..ridge import RidgePath
from ._base import Centred, validate_fit, validate_predict
from ._loo import residuals_dual, residuals_primal, squared_errors

__all__ = ["MinNormRegressor", "RidgePathCV"]

ArrayLike = Any

#: Default penalty grid of :class:`RidgePathCV`: ``tr(X_w^T X_w) * logspace(-7, 1, 100)``.
DEFAULT_ALPHA_DECADES = (-7.0, 1.0)
DEFAULT_N_ALPHAS = 100


def _check_bool(v, name: str) -> bool:
    if not isinstance(v, (bool, np.bool_)):
        raise TypeError(f"{name} must be a bool, got {v!r}")
    return bool(v)


def check_alphas(alphas) -> np.ndarray | None:
    """``alphas``: None, a positive finite number or a non-empty 1-D array of them -> float64 (L,)."""
    if alphas is None:
        return None
    if isinstance(alphas, (bool, np.bool_)) or isinstance(alphas, str):
        raise TypeError(f"alphas must be a positive number or a 1-D array of them, got {alphas!r}")
    arr = np.asarray(alphas)
    if arr.dtype == object or arr.dtype.kind not in "iuf":
        raise TypeError(f"alphas must be a positive number or a 1-D array of them, got dtype {arr.dtype}")
    arr = np.atleast_1d(arr.astype(np.float64))
    if arr.ndim != 1 or arr.size == 0:
        raise ValueError(f"alphas must be a non-empty 1-D array, got shape {np.shape(alphas)}")
    if not np.all(np.isfinite(arr)):
        raise ValueError("alphas must be finite (no NaN or inf)")
    if np.any(arr <= 0):
        raise ValueError(f"alphas must be > 0 (leave-one-out is defined for a positive penalty; "
                         f"use MinNormRegressor for alpha = 0), got min(alphas) = {float(arr.min())!r}")
    return np.ascontiguousarray(arr)


def default_alphas(trace: float) -> np.ndarray:
    """The default grid ``trace * logspace(-7, 1, 100)`` (``trace = tr(X_w^T X_w)``; 1 if it is 0)."""
    return (trace or 1.0) * np.logspace(*DEFAULT_ALPHA_DECADES, DEFAULT_N_ALPHAS)


def _linear_path(X: np.ndarray, c: Centred, lam: np.ndarray | None):
    """The ridge path of the rescaled problem and the design it holds, from one Gram + one eigh
    (``lam=None``: the default grid of the Gram's trace). Returns ``(path, Xp, z)`` with ``Xp`` the
    design the path holds and ``z = U^T rhs`` the right-hand side in the eigenbasis (``rhs = y_w`` on
    the dual side, ``X_w^T y_w`` on the primal side).

    The path holds the rescaled design ``X_w`` (X itself without intercept and weights, else a
    centred, ``sqrt(w)``-scaled copy: the centring comes before the Gram product, never after it,
    where it would cancel catastrophically when the column means are large next to the spread).
    """
    n, p = X.shape
    side = "dual" if n <= p else "primal"
    Xp = c.X_w(X)
    gram = Xp @ Xp.T if side == "dual" else Xp.T @ Xp
    rhs = c.y_w if side == "dual" else Xp.T @ c.y_w
    if lam is None:
        lam = default_alphas(float(np.trace(gram)))
    path = RidgePath.from_gram(gram, rhs, lam, side=side, X=Xp)
    return path, Xp, path.spec.U.T @ rhs


def _coef(path: RidgePath, Xp: np.ndarray, z: np.ndarray, alpha: float) -> np.ndarray:
    """The slope of one penalty, ``theta = B (z / (s + alpha))`` on the kept eigen-components
    (dual: ``B = X_w^T U``; primal: ``B = V``), without forming the path's (p, L) coefficients."""
    spec = path.spec
    k = spec.start
    w = z[k:] / (spec.s[k:] + alpha)
    if path.side == "primal":
        return spec.U[:, k:] @ w
    return Xp.T @ (spec.U[:, k:] @ w)


def _intercept(c: Centred, coef: np.ndarray) -> float:
    return float(c.y_off - c.x_off @ coef) if c.fit_intercept else 0.0


class _LinearPredictor(RegressorMixin, BaseEstimator):
    """``predict(X) = X coef_ + intercept_``."""

    def predict(self, X: ArrayLike) -> np.ndarray:
        """Predictions ``X @ coef_ + intercept_``, shape (n_samples,).

        Raises NotFittedError before ``fit`` and ValueError for NaN/inf or a number of features that
        differs from the one seen in ``fit``.
        """
        X = validate_predict(self, X)
        return X @ self.coef_ + self.intercept_


class MinNormRegressor(_LinearPredictor):
    """Minimum-norm least squares: the interpolator ``w = X^+ y`` when ``n <= p``.

    The ``alpha -> 0`` limit of ridge regression (pseudo-inverse convention of
    :class:`fastrisk.RidgePath`: Gram eigenvalues at or below ``max(n, p) * eps * s_max`` count as
    zero), from one Gram (the smaller of ``X X^T``, ``X^T X``) and one eigendecomposition. This is the
    estimator whose benign overfitting and adversarial fragility Hao & Zhang (2024) study.

    Parameters
    ----------
    fit_intercept : bool, default True
        Fit an unpenalised intercept by centring X and y (weighted means with ``sample_weight``).

    Attributes
    ----------
    coef_ : ndarray (n_features,)
        The minimum-l2-norm solution of ``min sum_i s_i (y_i - b - x_i^T w)^2``.
    intercept_ : float
    rank_ : int
        Rank of the (centred, weighted) design, as counted by the rank tolerance.
    path_ : fastrisk.RidgePath
        The one-penalty path (``lam = [0]``) of the centred, ``sqrt(sample_weight)``-rescaled problem,
        for risks and norms (``path_.norm(1)``, ``path_.standard_risk(design)``, ...); its predictions
        omit ``intercept_``.
    n_features_in_ : int
    feature_names_in_ : ndarray of str (only when X has string column names)

    Notes
    -----
    ``sample_weight`` is exact: fitting with integer weights equals fitting on repeated rows, zero
    weights equal removed rows.
    """

    def __init__(self, fit_intercept: bool = True):
        self.fit_intercept = fit_intercept

    def fit(self, X: ArrayLike, y: ArrayLike, sample_weight: ArrayLike | None = None) -> MinNormRegressor:
        """Fit on X (n_samples, n_features), y (n_samples,), optional non-negative sample weights."""
        fit_intercept = _check_bool(self.fit_intercept, "fit_intercept")
        X, y, sw = validate_fit(self, X, y, sample_weight)
        c = Centred(X, y, sw, fit_intercept)
        path, Xp, z = _linear_path(X, c, np.zeros(1))
        self.path_ = path
        self.coef_ = _coef(path, Xp, z, 0.0)
        self.intercept_ = _intercept(c, self.coef_)
        self.rank_ = int(path.rank)
        return self


class RidgePathCV(_LinearPredictor):
    """Ridge regression with the penalty chosen by exact leave-one-out (or GCV) over a whole grid.

    A drop-in for ``sklearn.linear_model.RidgeCV`` (same objective, same leave-one-out errors, same
    ``alpha_``, ``coef_``, ``intercept_``, ``best_score_``) that scores every penalty at once: one
    Gram, one eigendecomposition, then two (n, n) x (n, L) products for the leave-one-out residuals
    ``e_i = r_i / (1 - H_ii)`` of all L penalties (see :mod:`fastrisk.estimators._loo`), never a
    per-penalty loop.

    Parameters
    ----------
    alphas : array_like of float > 0, or None
        Penalties of ``||y - b - X w||^2 + alpha ||w||^2`` (unnormalised: scikit-learn's ``alpha``;
        ``alpha / n`` is the normalised penalty). None: 100 penalties log-spaced over
        ``tr(X_c^T X_c) * [1e-7, 10]`` (X_c the centred, weight-rescaled design), which spans
        near-interpolation to predicting the mean. Order is kept; ties go to the first.
    fit_intercept : bool, default True
        Unpenalised intercept by centring (weighted means with ``sample_weight``).
    scoring : {"loo", "gcv"}, default "loo"
        ``"loo"``: exact leave-one-out squared error (what ``RidgeCV(scoring=None)`` computes);
        ``"gcv"``: generalised cross-validation, ``H_ii`` replaced by ``tr(H) / n``.

    Attributes
    ----------
    alpha_ : float
        The penalty with the smallest mean cross-validated squared error.
    best_score_ : float
        Minus that mean squared error (scikit-learn's "higher is better").
    coef_ : ndarray (n_features,)
    intercept_ : float
    cv_results_ : dict of ndarray
        ``"alphas"`` (L,) the grid used; ``"mean_squared_error"`` (L,) the mean over samples of the
        squared leave-one-out (or GCV) errors (with weights ``sum_i s_i e_i^2 / sum_i s_i``);
        ``"mean_test_score"`` (L,) its negative; ``"squared_errors"`` (n_samples, L) the per-sample
        ``s_i e_i^2``, without weights exactly ``RidgeCV(store_cv_results=True).cv_results_``;
        ``"df"`` (L,) effective degrees of freedom ``sum_j s_j / (s_j + alpha)`` (without the
        intercept; ``s_j`` the Gram eigenvalues).
    path_ : fastrisk.RidgePath
        The whole penalty path of the centred, ``sqrt(sample_weight)``-rescaled problem (``lam`` =
        ``cv_results_["alphas"]``), for risks and norms of every penalty (``path_.norm(np.inf)``,
        ``path_.adversarial_risk(design, eps)``); its predictions omit ``intercept_``.
    n_features_in_ : int
    feature_names_in_ : ndarray of str (only when X has string column names)

    Notes
    -----
    Cost: the Gram (``n^2 p`` flops on the smaller side) and one ``eigh``, then ``4 n^2 L`` flops for the
    leave-one-out errors of L penalties on the dual side (``n <= p``). On the primal side (``n > p``)
    the errors need ``X_w V`` (``n p^2`` more flops). Memory: a centred (and weight-rescaled) copy of X
    when there is an intercept or weights, the Gram, its eigenvectors and a few (n, L) arrays.

    ``sample_weight`` are frequency weights, exactly: each penalty's fit is weighted ridge, and the
    criterion leaves out one unit of a sample's weight (one of its copies), or its whole weight when it
    is below 1, so that integer weights give the same criterion, ``alpha_`` and fit as repeating the
    rows (see :mod:`fastrisk.estimators._loo`). ``RidgeCV`` leaves the whole weighted sample out: with
    weights above 1 its criterion differs; with weights all at most 1 the two agree.
    """

    def __init__(self, alphas: ArrayLike | None = None, fit_intercept: bool = True, scoring: str = "loo"):
        self.alphas = alphas
        self.fit_intercept = fit_intercept
        self.scoring = scoring

    def fit(self, X: ArrayLike, y: ArrayLike, sample_weight: ArrayLike | None = None) -> RidgePathCV:
        """Fit on X (n_samples >= 2, n_features), y (n_samples,), optional non-negative weights."""
        fit_intercept = _check_bool(self.fit_intercept, "fit_intercept")
        if self.scoring not in ("loo", "gcv"):
            raise ValueError(f"scoring must be 'loo' or 'gcv', got {self.scoring!r}")
        alphas = check_alphas(self.alphas)
        X, y, sw = validate_fit(self, X, y, sample_weight, min_samples=2)
        if fit_intercept and sw is not None and sw.sum() - np.minimum(sw[sw > 0], 1.0).max() <= 0:
            raise ValueError("sample_weight leaves nothing to fit when one sample is left out (one "
                             "positive weight, at most 1): leave-one-out with an intercept needs "
                             "more than one sample's worth of weight")
        c = Centred(X, y, sw, fit_intercept)
        gcv = self.scoring == "gcv"
        path, Xp, z = _linear_path(X, c, alphas)
        alphas = path.lam
        spec = path.spec
        if path.side == "dual":
            r, omh, df = residuals_dual(spec.U, spec.s, spec.start, z, alphas, c.v, not gcv)
        else:
            r, omh, df = residuals_primal(Xp @ spec.U, spec.s, spec.start, z, c.y_w, alphas, c.v,
                                          not gcv)
        sq, mse = squared_errors(r, omh, df, sw, fit_intercept)
        best = int(np.argmin(mse))  # first of equals, as RidgeCV
        self.path_ = path
        self.alpha_ = float(alphas[best])
        self.best_score_ = -float(mse[best])
        self.coef_ = _coef(path, Xp, z, self.alpha_)
        self.intercept_ = _intercept(c, self.coef_)
        self.cv_results_ = {"alphas": alphas, "mean_squared_error": mse, "mean_test_score": -mse,
                            "squared_errors": sq, "df": df}
        return self

