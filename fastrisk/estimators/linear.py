"""Linear estimators: the min-norm interpolator and ridge with leave-one-out over a whole penalty path.

Ridge objective (scikit-learn's ``alpha``, unnormalised), per target column ``y`` of Y::

    min_{w, b}  sum_i s_i (y_i - b - x_i^T w)^2 + alpha ||w||_2^2        (s_i: sample weights, 1 by default)

with the intercept b unpenalised (solved by centring, as scikit-learn does; see
:mod:`fastrisk.estimators._base`). ``alpha = 0`` is the minimum-norm solution (pseudo-inverse with the
rank tolerance of :class:`fastrisk.RidgePath`): the interpolator when ``n <= p``, least squares when
``n > p``. Y may be (n,) or (n, k): every target shares the one Gram and eigendecomposition.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
from sklearn.base import BaseEstimator, MultiOutputMixin, RegressorMixin

from .._validation import check_norm
from ._base import Centred, check_bool, check_choice, check_radius, validate_fit, validate_predict
from ._decompose import decompose_linear
from ._fitting import (
    coef_for,
    feature_blocks,
    outside_rows,
    smallest_alpha,
    warn_ill_conditioned,
    well_conditioned_alpha,
)
from ._loo import LeaveOneOut
from ._paths import PathHolder, svd_min_norm
from ._scoring import resolve_scoring
from ._select import cross_validate_path

__all__ = ["MinNormRegressor", "RidgePathCV"]

ArrayLike = Any

#: Default penalty grid of :class:`RidgePathCV`: ``tr(X_w^T X_w) * logspace(-7, 1, 100)``.
DEFAULT_ALPHA_DECADES = (-7.0, 1.0)
DEFAULT_N_ALPHAS = 100


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


def default_alphas(trace: float, smallest: float = 0.0) -> np.ndarray:
    """The default grid ``trace * logspace(-7, 1, 100)`` (``trace = tr(X_w^T X_w)``; 1 if it is 0),
    its lower end raised to ``smallest`` (the smallest penalty a rank-deficient design honours) when
    that is larger."""
    t = trace or 1.0
    lo, hi = DEFAULT_ALPHA_DECADES
    lo = max(lo, math.log10(smallest / t) if smallest > 0 else lo)
    return t * np.logspace(lo, max(hi, lo), DEFAULT_N_ALPHAS)


def _as_targets(y: np.ndarray) -> np.ndarray:
    return y[:, None] if y.ndim == 1 else y


class _LinearPredictor(MultiOutputMixin, RegressorMixin, BaseEstimator, PathHolder):
    """``predict(X) = X coef_^T + intercept_``; coefficients stored as scikit-learn's Ridge does."""

    def predict(self, X: ArrayLike) -> np.ndarray:
        """Predictions ``X @ coef_.T + intercept_``: (n_samples,) for 1-D y (or a single target),
        (n_samples, n_targets) for 2-D y.

        Raises NotFittedError before ``fit`` and ValueError for NaN/inf or a number of features that
        differs from the one seen in ``fit``.
        """
        X = validate_predict(self, X)
        return X @ self.coef_.T + self.intercept_

    def _store_coef(self, theta: np.ndarray, cen: Centred, y_ndim: int) -> None:
        """coef_ (p,) for 1-D y or one target, else (k, p); intercept_ float for 1-D y, else (k,)."""
        b = cen.y_off - cen.x_off @ theta if cen.fit_intercept else np.zeros(theta.shape[1])
        self.coef_ = theta[:, 0].copy() if theta.shape[1] == 1 else np.ascontiguousarray(theta.T)
        self.intercept_ = float(b[0]) if y_ndim == 1 else b


class MinNormRegressor(_LinearPredictor):
    """Minimum-norm least squares: the interpolator ``w = X^+ y`` when ``n <= p``.

    The ``alpha -> 0`` limit of ridge regression (pseudo-inverse convention of
    :class:`fastrisk.RidgePath`), from one Gram (the smaller of ``X X^T``, ``X^T X``) and one
    eigendecomposition, or from a thin SVD of the design (``method="svd"``). This is the estimator whose
    benign overfitting and adversarial fragility Hao & Zhang (2024) study.

    Parameters
    ----------
    fit_intercept : bool, default True
        Fit an unpenalised intercept by centring X and y (weighted means with ``sample_weight``).
    method : {"gram", "svd"}, default "gram"
        ``"gram"``: eigendecomposition of the Gram of the centred design, accumulated block by block
        (no centred copy of X); Gram eigenvalues at or below ``max(n, p) * eps * s_max`` count as zero.
        For X with ``cond(X) > ~1e5`` (float64) it cannot resolve the smallest singular values (it
        squares them) and warns (:class:`fastrisk.IllConditionedWarning`). ``"svd"``: thin SVD of the
        centred design (rank cut ``max(n, p) * eps * sigma_max``, as ``numpy.linalg.lstsq``), exact at
        any condition number, at its honest cost: a centred copy of X and 5-15x the time.

    Attributes
    ----------
    coef_ : ndarray (n_features,) or (n_targets, n_features)
        The minimum-l2-norm solution of ``min sum_i s_i (y_i - b - x_i^T w)^2`` per target.
    intercept_ : float (1-D y) or ndarray (n_targets,)
    rank_ : int
        Rank of the (centred, weighted) design, as counted by the rank tolerance.
    path_ : fastrisk.RidgePath
        The one-penalty path (``lam = [0]``) of the centred, ``sqrt(sample_weight)``-rescaled problem,
        for risks and norms (``path_.norm(1)``, ``path_.standard_risk(design)``, ...); built on first
        access from the fit's eigendecomposition; its predictions omit ``intercept_``. With 2-D y its
        outputs carry a trailing target axis.
    n_features_in_ : int
    feature_names_in_ : ndarray of str (only when X has string column names)

    Notes
    -----
    ``sample_weight`` is exact: fitting with integer weights equals fitting on repeated rows, zero
    weights equal removed rows. 2-D y costs the same Gram and eigendecomposition as 1-D y.

    Examples
    --------
    >>> import numpy as np
    >>> from fastrisk.estimators import MinNormRegressor
    >>> rng = np.random.default_rng(0)
    >>> X, Y = rng.standard_normal((20, 50)), rng.standard_normal((20, 3))
    >>> est = MinNormRegressor().fit(X, Y)
    >>> est.coef_.shape, bool(np.allclose(est.predict(X), Y))   # interpolates every target
    ((3, 50), True)
    """

    def __init__(self, fit_intercept: bool = True, method: str = "gram"):
        self.fit_intercept = fit_intercept
        self.method = method

    def fit(self, X: ArrayLike, y: ArrayLike, sample_weight: ArrayLike | None = None) -> MinNormRegressor:
        """Fit on X (n_samples, n_features), y (n_samples,) or (n_samples, n_targets), optional
        non-negative sample weights."""
        fit_intercept = check_bool(self.fit_intercept, "fit_intercept")
        method = check_choice(self.method, "method", ("gram", "svd"))
        X, y, sw = validate_fit(self, X, y, sample_weight)
        Y = _as_targets(y)
        cen = Centred(X, Y, sw, fit_intercept)
        lam = np.zeros(1)
        if method == "svd":
            theta, spec, c, side = svd_min_norm(X, cen)
            self._hold_path(X, cen, spec, side, c, lam, y.ndim)
        else:
            dec = decompose_linear(X, cen, leverage=False)
            warn_ill_conditioned(dec.spec, 0.0, "MinNormRegressor(method='svd') stays exact", stacklevel=3)
            theta = coef_for(dec, X, cen, np.zeros(Y.shape[1]))
            spec = dec.spec
            self._hold_path(X, cen, spec, dec.side, dec.C, lam, y.ndim)
        self._store_coef(theta, cen, y.ndim)
        self.rank_ = int(spec.rank)
        return self


class RidgePathCV(_LinearPredictor):
    """Ridge regression with the penalty chosen by exact leave-one-out (or GCV) over a whole grid.

    A drop-in for ``sklearn.linear_model.RidgeCV`` (same objective, same leave-one-out errors, same
    ``alpha_``, ``coef_``, ``intercept_``, ``best_score_``, 1-D or 2-D y, ``alpha_per_target``,
    ``scoring``) that scores every penalty and every target at once: one Gram, one eigendecomposition,
    then two (n, n) x (n, k L) products for the leave-one-out residuals of all L penalties and k targets
    (see :mod:`fastrisk.estimators._loo`), never a per-penalty loop. With ``eps`` it chooses the penalty
    that is best *under attack*: the exact leave-one-out adversarial loss.

    Parameters
    ----------
    alphas : array_like of float > 0, or None
        Penalties of ``||y - b - X w||^2 + alpha ||w||^2`` (unnormalised: scikit-learn's ``alpha``;
        ``alpha / n`` is the normalised penalty). None: 100 penalties log-spaced over
        ``tr(X_c^T X_c) * [1e-7, 10]`` (X_c the centred, weight-rescaled design), which spans
        near-interpolation to predicting the mean. Order is kept; ties go to the first. Every
        representable alpha > 0 is exact (the intercept is deflated exactly); only a design that is rank
        deficient beyond the intercept (e.g. duplicated rows with different labels) has a smallest
        penalty it can honour: a smaller one raises ValueError naming it, and the default grid starts
        there when it must.
    fit_intercept : bool, default True
        Unpenalised intercept by centring (weighted means with ``sample_weight``).
    scoring : None, str or callable, default None
        As ``RidgeCV``: None scores by the mean squared leave-one-out error; a scikit-learn scorer name
        (``"neg_mean_squared_error"``, ``"r2"``, ...) or callable ``scorer(estimator, X, y)`` is applied
        to the leave-one-out predictions (higher is better). The spellings ``"loo"`` / ``"gcv"`` of
        earlier versions still select ``criterion`` (FutureWarning).
    criterion : {"loo", "gcv"}, default "loo"
        ``"loo"``: exact leave-one-out (what ``RidgeCV`` computes); ``"gcv"``: generalised
        cross-validation, every ``H_ii`` replaced by ``tr(H) / n`` (squared error only).
    alpha_per_target : bool, default False
        With 2-D y, choose one penalty per target (as ``RidgeCV``); else one penalty for all targets.
    eps : float >= 0 or None, default None
        Attack radius. When given, the penalty minimises the exact leave-one-out adversarial loss
        ``mean_i (|e_i| + eps ||theta^(-i)||_q)^2``: ``e_i`` the leave-one-out residual and
        ``theta^(-i)`` the slope fitted without sample i, attacked by ``||delta||_norm <= eps`` (absolute,
        units of x). For ``norm=2`` every penalty comes from the same eigendecomposition (a rank-one
        downdate per sample, O(n^2 L)); other norms form each ``theta^(-i)`` (``2 n^2 p`` flops per
        penalty and target: small problems). Needs ``criterion="loo"`` and no ``scoring``.
    norm : float >= 1 or numpy.inf, default 2
        Attack norm p of ``||delta||_p <= eps`` (q, the dual exponent, measures ``theta``).
    store_cv_results : bool, default True
        Keep the per-sample arrays of ``cv_results_`` (``"squared_errors"``, ``"adversarial_loss"``,
        ``"predictions"``: n x k x L numbers). False keeps only the per-penalty means and scores and
        computes the penalties in small blocks: less memory and time for many targets.

    Attributes
    ----------
    alpha_ : float, or ndarray (n_targets,) with ``alpha_per_target`` and 2-D y
        The chosen penalty.
    best_score_ : float or ndarray (n_targets,)
        The criterion at ``alpha_``, "higher is better": minus the mean squared error (or adversarial
        loss), or the scorer's value.
    coef_ : ndarray (n_features,) or (n_targets, n_features)
    intercept_ : float (1-D y) or ndarray (n_targets,)
    cv_results_ : dict of ndarray
        Penalties on the last axis, targets before it (2-D y only): ``"alphas"`` (L,);
        ``"mean_squared_error"`` ([k,] L) the mean over samples of the squared leave-one-out (or GCV)
        errors (weights: ``sum_i s_i e_i^2 / sum_i s_i``); ``"squared_errors"`` (n, [k,] L) the
        per-sample ``s_i e_i^2``, without weights exactly ``RidgeCV(store_cv_results=True).cv_results_``;
        ``"mean_test_score"`` what the choice maximised: ([k,] L) per target with ``alpha_per_target``,
        else (L,); ``"df"`` (L,) effective degrees of freedom ``sum_j s_j / (s_j + alpha)`` (without the
        intercept). With ``eps``: ``"adversarial_loss"`` (n, [k,] L) per sample and
        ``"mean_adversarial_loss"`` ([k,] L). With ``scoring``: ``"predictions"`` (n, [k,] L), the
        leave-one-out predictions the scorer saw (``RidgeCV``'s ``cv_results_`` then). The per-sample
        arrays only with ``store_cv_results=True``.
    path_ : fastrisk.RidgePath
        The whole penalty path of the centred, ``sqrt(sample_weight)``-rescaled problem (``lam`` =
        ``cv_results_["alphas"]``), for risks and norms of every penalty (``path_.norm(np.inf)``,
        ``path_.adversarial_risk(design, eps)``); built on first access from the fit's
        eigendecomposition; its predictions omit ``intercept_``. With 2-D y its outputs carry a
        trailing target axis.
    n_features_in_ : int
    feature_names_in_ : ndarray of str (only when X has string column names)

    Notes
    -----
    Cost: the Gram (``n^2 p`` flops on the smaller side, accumulated over centred blocks of columns: no
    centred copy of X) and one ``eigh``, then ``2 n^2 (k + 1) L`` flops for the leave-one-out errors of L
    penalties and k targets on the dual side (``n <= p``), ``2 n^2 (k + 1) L`` more with ``eps``. On the
    primal side (``n > p``) the errors need ``X_w V`` (``n p^2`` more flops).

    ``sample_weight`` are frequency weights, exactly: each penalty's fit is weighted ridge, and the
    criterion leaves out one unit of a sample's weight (one of its copies), or its whole weight when it
    is below 1, so that integer weights give the same criterion, ``alpha_`` and fit as repeating the
    rows (see :mod:`fastrisk.estimators._loo`). ``RidgeCV`` leaves the whole weighted sample out: with
    weights above 1 its criterion differs; with weights all at most 1 the two agree.

    Examples
    --------
    >>> import numpy as np
    >>> from fastrisk.estimators import RidgePathCV
    >>> rng = np.random.default_rng(0)
    >>> X = rng.standard_normal((50, 200)); Y = X[:, :3] + 0.5 * rng.standard_normal((50, 3))
    >>> cv = RidgePathCV(alphas=np.logspace(-2, 3, 50), alpha_per_target=True).fit(X, Y)
    >>> cv.alpha_.shape, cv.cv_results_["squared_errors"].shape
    ((3,), (50, 3, 50))
    >>> robust = RidgePathCV(alphas=np.logspace(-2, 3, 50), eps=0.3).fit(X, Y[:, 0])
    >>> bool(robust.alpha_ >= RidgePathCV(alphas=np.logspace(-2, 3, 50)).fit(X, Y[:, 0]).alpha_)
    True
    """

    def __init__(self, alphas: ArrayLike | None = None, fit_intercept: bool = True, scoring=None,
                 criterion: str = "loo", alpha_per_target: bool = False, eps: float | None = None,
                 norm: float = 2, store_cv_results: bool = True):
        self.alphas = alphas
        self.fit_intercept = fit_intercept
        self.scoring = scoring
        self.criterion = criterion
        self.alpha_per_target = alpha_per_target
        self.eps = eps
        self.norm = norm
        self.store_cv_results = store_cv_results

    def _check_params(self):
        fit_intercept = check_bool(self.fit_intercept, "fit_intercept")
        per_target = check_bool(self.alpha_per_target, "alpha_per_target")
        criterion, scorer = resolve_scoring(self, self.scoring, self.criterion)
        eps, q = None, 2.0
        if self.eps is not None:
            eps = check_radius(self.eps)
            _, q = check_norm(self.norm)
            if scorer is not None or criterion != "loo":
                raise ValueError("eps selects the penalty by the exact leave-one-out adversarial loss: "
                                 "it needs criterion='loo' and scoring=None")
        else:
            check_norm(self.norm)
        return fit_intercept, per_target, criterion, scorer, eps, q, check_alphas(self.alphas)

    def fit(self, X: ArrayLike, y: ArrayLike, sample_weight: ArrayLike | None = None) -> RidgePathCV:
        """Fit on X (n_samples >= 2, n_features), y (n_samples,) or (n_samples, n_targets), optional
        non-negative weights."""
        fit_intercept, per_target, criterion, scorer, eps, q, alphas = self._check_params()
        X, y, sw = validate_fit(self, X, y, sample_weight, min_samples=2)
        if fit_intercept and sw is not None and sw.sum() - np.minimum(sw[sw > 0], 1.0).max() <= 0:
            raise ValueError("sample_weight leaves nothing to fit when one sample is left out (one "
                             "positive weight, at most 1): leave-one-out with an intercept needs "
                             "more than one sample's worth of weight")
        Y = _as_targets(y)
        fit_rows = None
        Xf, Yf, swf = X, Y, sw
        if sw is not None and not np.all(sw > 0):  # zero weights: not in the fit, score 0
            fit_rows = np.flatnonzero(sw > 0)
            Xf, Yf, swf = X[fit_rows], Y[fit_rows], sw[fit_rows]
        cen = Centred(Xf, Yf, swf, fit_intercept)
        dec = decompose_linear(Xf, cen, leverage=True)
        amin = smallest_alpha(dec)
        if alphas is None:
            alphas = default_alphas(dec.trace, amin)
        if float(alphas.min()) < amin:
            raise ValueError(
                f"alphas must be >= {amin:.3g} here: the centred design is rank deficient (rank "
                f"{dec.rank} of {dec.n - dec.icpt}), and below that penalty its leave-one-out errors "
                "cannot be told from the rounding of its null space; got min(alphas) = "
                f"{float(alphas.min())!r}")
        warn_ill_conditioned(dec.spec, float(alphas.min()),
                             f"use alphas >= {well_conditioned_alpha(dec.spec):.3g}", stacklevel=3)
        loo = LeaveOneOut(dec, swf)
        outside = None
        if fit_rows is not None and scorer is not None:
            Z = outside_rows(dec, Xf, cen, np.delete(X, fit_rows, axis=0))
            outside = lambda a: loo.fitted(Z, a) + cen.y_off[None, :, None]  # noqa: E731
        store = check_bool(self.store_cv_results, "store_cv_results")
        res = cross_validate_path(loo, alphas, Y, sw, gcv=criterion == "gcv", scorer=scorer, eps=eps,
                                  q=q, per_target=per_target,
                                  feature_map=feature_blocks(dec, Xf, cen), fit_rows=fit_rows,
                                  outside_pred=outside, store=store)
        k = Y.shape[1]
        best = res.best if res.per_target else np.full(k, res.best)
        theta = coef_for(dec, Xf, cen, alphas[best])
        self._store_coef(theta, cen, y.ndim)
        if res.per_target:
            self.alpha_ = alphas[best].copy()
            self.best_score_ = res.score[np.arange(k), best].copy()
        else:
            self.alpha_ = float(alphas[res.best])
            self.best_score_ = float(res.score[res.best])
            if y.ndim == 2 and per_target:  # RidgeCV: one target with alpha_per_target scores as (1,)
                self.best_score_ = np.array([self.best_score_])
        self.cv_results_ = self._results(alphas, res, y.ndim)
        self._hold_path(Xf, cen, dec.spec, dec.side, dec.C, alphas, y.ndim)
        return self

    @staticmethod
    def _results(alphas, res, y_ndim: int) -> dict:
        def per_sample(a):
            return None if a is None else (a[:, 0, :] if y_ndim == 1 else a)

        def per_target(a):
            return None if a is None else (a[0] if y_ndim == 1 else a)

        out = {"alphas": alphas, "mean_squared_error": per_target(res.mse),
               "mean_test_score": res.score, "df": res.df}
        if res.sq is not None:
            out["squared_errors"] = per_sample(res.sq)
        if res.mean_adv is not None:
            out["mean_adversarial_loss"] = per_target(res.mean_adv)
        if res.adv is not None:
            out["adversarial_loss"] = per_sample(res.adv)
        if res.pred is not None:
            out["predictions"] = per_sample(res.pred)
        return out
