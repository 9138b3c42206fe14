"""Scoring: scikit-learn scorers on leave-one-out predictions, the criterion choice, and the exact
adversarial scorer for held-out data.

:func:`adversarial_scorer` scores a fitted model that is affine in its input, ``f(x) = a^T x + b`` (a
linear model, or a Pipeline of affine steps ending in one), by the exact inner maximisation of the squared
loss over an attack ball ``||delta||_p <= eps`` on each held-out point (Hoelder: the maximiser aligns
``delta`` with ``-sign(r) a``)::

    max_{||delta||_p <= eps} (y - f(x + delta))^2 = (|y - f(x)| + eps ||a||_q)^2,    1/p + 1/q = 1.
"""

from __future__ import annotations

import math
import warnings

import numpy as np
from sklearn.base import BaseEstimator, RegressorMixin

from .._validation import check_norm
from ._base import check_radius

__all__ = ["adversarial_scorer", "resolve_scoring"]

#: Relative tolerance of the affine check of :func:`adversarial_scorer` (predictions against
#: ``X a + b`` with the probed ``a``, ``b``), in units of the largest term.
AFFINE_RTOL = 1e-8


class _IdentityRegressor(RegressorMixin, BaseEstimator):
    """Hands precomputed predictions to a scikit-learn scorer (as scikit-learn's RidgeCV does)."""

    def predict(self, y_predict):
        return y_predict

    def decision_function(self, y_predict):
        return y_predict


def resolve_scoring(est, scoring, criterion: str, *, allowed=("loo", "gcv")):
    """``(criterion, scorer or None)`` from an estimator's ``scoring`` and ``criterion``.

    ``scoring`` is None, a scikit-learn scorer name or a callable ``scorer(estimator, X, y)``, applied to
    the leave-one-out predictions as ``RidgeCV`` does. The old spelling ``scoring="loo"`` / ``"gcv"``
    still selects the criterion, with a FutureWarning.
    """
    from sklearn.metrics import check_scoring

    if not isinstance(criterion, str) or criterion not in allowed:
        raise ValueError(f"criterion must be one of {', '.join(map(repr, allowed))}; got {criterion!r}")
    if isinstance(scoring, str) and scoring in ("loo", "gcv"):
        if criterion != "loo" and criterion != scoring:
            raise ValueError(f"scoring={scoring!r} (deprecated spelling of criterion={scoring!r}) "
                             f"contradicts criterion={criterion!r}")
        warnings.warn(f"scoring={scoring!r} is deprecated and will be removed: use "
                      f"criterion={scoring!r} (scoring now takes scikit-learn scorers, as RidgeCV's)",
                      FutureWarning, stacklevel=4)
        return scoring, None
    if scoring is None:
        return criterion, None
    if criterion == "gcv":
        raise ValueError("scoring applies to the leave-one-out predictions; criterion='gcv' has none "
                         "(it replaces every leverage by their mean): use criterion='loo' with scoring")
    try:
        scorer = check_scoring(est, scoring=scoring)
    except (ValueError, TypeError) as exc:
        raise ValueError(f"scoring must be None, a scikit-learn scorer name (e.g. "
                         f"'neg_mean_squared_error', 'r2') or a callable scorer(estimator, X, y); got "
                         f"{scoring!r} ({exc})") from exc
    return "loo", scorer


def score_predictions(scorer, predictions: np.ndarray, Y: np.ndarray, per_target: bool,
                      sw: np.ndarray | None = None) -> np.ndarray:
    """Scores of leave-one-out ``predictions`` (n, k, L) against ``Y`` (n, k): (k, L) per target, or
    (L,) scoring all targets at once. Sample weights (frequency weights) go to the scorer as
    ``sample_weight``, so that integer weights score as repeated rows."""
    ident = _IdentityRegressor()
    n, k, L = predictions.shape
    kw = {} if sw is None else {"sample_weight": sw}

    def score(pred, y):
        try:
            return scorer(ident, pred, y, **kw)
        except TypeError as exc:
            if not kw:
                raise
            raise TypeError(f"with sample_weight the scorer is called as scorer(estimator, X, y, "
                            f"sample_weight=...), which {scorer!r} does not accept ({exc})") from exc

    if per_target:
        return np.array([[score(predictions[:, t, l], Y[:, t]) for l in range(L)] for t in range(k)],
                        dtype=np.float64)
    if k == 1:
        return np.array([score(predictions[:, 0, l], Y[:, 0]) for l in range(L)], dtype=np.float64)
    return np.array([score(predictions[:, :, l], Y) for l in range(L)], dtype=np.float64)


# ---------------------------------------------------------------------------------------------------
# the adversarial scorer
# ---------------------------------------------------------------------------------------------------
def _dual_norm(a: np.ndarray, q: float) -> np.ndarray:
    """``||a[:, t]||_q`` per column of a (p, k)."""
    if math.isinf(q):
        return np.abs(a).max(axis=0)
    if q == 2.0:
        return np.sqrt(np.einsum("jt,jt->t", a, a))
    if q == 1.0:
        return np.abs(a).sum(axis=0)
    return (np.abs(a) ** q).sum(axis=0) ** (1.0 / q)


def _as_2d(a) -> np.ndarray:
    a = np.asarray(a, dtype=np.float64)
    return a[:, None] if a.ndim == 1 else a


def _affine_map(estimator, X: np.ndarray, pred: np.ndarray) -> tuple[np.ndarray, str]:
    """The input gradient ``a`` (p, k) of an affine model, and how it was found.

    A linear model's ``coef_`` when its predictions are ``X coef_^T + intercept_``; otherwise probed:
    ``a_j = f(e_j) - f(0)`` in batches of unit vectors. Either way the identity ``f(X) = X a + b`` is
    then checked on the scored points, so a model that is not affine is refused, never mis-scored.
    """
    p = X.shape[1]
    coef = getattr(estimator, "coef_", None)
    how = "coef_"
    a: np.ndarray | None = None
    b: np.ndarray = np.zeros(0)
    if coef is not None and getattr(estimator, "intercept_", None) is not None:
        c = np.asarray(coef, dtype=np.float64)
        if c.ndim == 1 and c.shape[0] == p:
            a = c[:, None]
        elif c.ndim == 2 and c.shape[1] == p:
            a = c.T
        if a is not None:
            b = np.broadcast_to(np.asarray(estimator.intercept_, dtype=np.float64).ravel(), (a.shape[1],))
    if a is None or a.shape[1] != pred.shape[1]:
        how = "probe"
        f0 = _as_2d(estimator.predict(np.zeros((1, p))))[0]
        a = np.empty((p, f0.shape[0]))
        bs = max(1, (4 << 20) // (8 * p))
        for j0 in range(0, p, bs):
            j1 = min(p, j0 + bs)
            E = np.zeros((j1 - j0, p))
            E[np.arange(j1 - j0), np.arange(j0, j1)] = 1.0
            a[j0:j1] = _as_2d(estimator.predict(E)) - f0
        b = f0
    assert a is not None
    lin = X @ a
    want = lin + b
    scale = np.abs(X) @ np.abs(a) + np.abs(b) + np.abs(pred)
    bad = np.abs(pred - want) > AFFINE_RTOL * np.maximum(scale, np.finfo(float).tiny)
    if np.any(bad):
        raise ValueError(
            "adversarial_scorer needs a model affine in its input, f(x) = a^T x + b (a linear model, or a "
            "Pipeline of affine steps ending in one), where the inner maximisation is exact: this model's "
            f"predictions differ from the affine map found ({how}) by up to "
            f"{float(np.max(np.abs(pred - want))):.3g}; for a non-linear model use "
            "fastrisk.ntk.adversarial_risk (PGD)")
    return a, how


class _AdversarialScorer:
    """``scorer(estimator, X, y, sample_weight=None)``: minus the mean exact adversarial squared loss."""

    def __init__(self, eps: float, norm: float, q: float):
        self.eps = eps
        self.norm = norm
        self.q = q

    def __repr__(self) -> str:
        return f"adversarial_scorer(eps={self.eps!r}, norm={self.norm!r})"

    def __call__(self, estimator, X, y, sample_weight=None) -> float:
        X = np.asarray(X, dtype=np.float64)
        if X.ndim != 2:
            raise ValueError(f"X must be a 2-D array (n_samples, n_features), got shape {X.shape}")
        Y = _as_2d(y)
        pred = _as_2d(estimator.predict(X))
        if pred.shape != Y.shape:
            raise ValueError(f"y has shape {np.shape(y)} but the model predicts shape {pred.shape}")
        if self.eps == 0.0:
            dn = np.zeros(Y.shape[1])
        else:
            a, _ = _affine_map(estimator, X, pred)
            dn = _dual_norm(a, self.q)
        loss = (np.abs(Y - pred) + self.eps * dn[None, :]) ** 2
        per_sample = loss.mean(axis=1)
        if sample_weight is None:
            return -float(per_sample.mean())
        w = np.asarray(sample_weight, dtype=np.float64)
        return -float(w @ per_sample / w.sum())


def adversarial_scorer(eps: float, norm: float = 2):
    """A scikit-learn scorer: the exact adversarial squared loss on held-out points, negated.

    For a model affine in its input, ``f(x) = a^T x + b``, the worst perturbation of a held-out point in
    the ball ``||delta||_p <= eps`` gives the loss ``(|y - f(x)| + eps ||a||_q)^2`` (``1/p + 1/q = 1``),
    exactly. The scorer returns minus its mean over the points (and targets), following scikit-learn's
    "greater is better" convention (as ``neg_mean_squared_error``, which it equals at ``eps = 0``).
    Usable wherever scikit-learn takes ``scoring=``: ``GridSearchCV``, ``cross_val_score``,
    ``cross_validate`` (and ``RidgePathCV(scoring=...)``, though ``RidgePathCV(eps=...)`` computes the
    same criterion exactly for every penalty at once).

    Parameters
    ----------
    eps : float >= 0
        Attack radius, absolute (units of x, the raw input the model -- e.g. a whole Pipeline -- sees).
    norm : float >= 1 or numpy.inf, default 2
        The attack norm p of ``||delta||_p <= eps``; the loss uses the dual norm q of the input gradient
        (p = 2: q = 2; p = inf: q = 1; p = 1: q = inf).

    Returns
    -------
    scorer : callable ``scorer(estimator, X, y, sample_weight=None) -> float``
        Minus the mean of ``(|y_i - f(x_i)| + eps ||a||_q)^2`` over the points (weighted mean with
        ``sample_weight``).

    Notes
    -----
    The input gradient ``a`` is the model's ``coef_`` for a linear model (one per target for 2-D y);
    for any other estimator (e.g. ``make_pipeline(StandardScaler(), RidgePathCV())``, attacked in the
    raw input space) it is probed, ``a_j = f(e_j) - f(0)``, in batches of unit vectors (p predictions).
    Either way the scorer checks ``f(X) = X a + b`` on the scored points to 1e-8 relative and raises
    ValueError for a model that is not affine (e.g. ``NTKRidge``), where no closed form exists.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.model_selection import GridSearchCV
    >>> from sklearn.linear_model import Ridge
    >>> from fastrisk.estimators import adversarial_scorer
    >>> rng = np.random.default_rng(0)
    >>> X = rng.standard_normal((60, 10)); y = X[:, 0] + 0.1 * rng.standard_normal(60)
    >>> gs = GridSearchCV(Ridge(), {"alpha": [0.1, 1.0, 10.0, 100.0]},
    ...                   scoring=adversarial_scorer(eps=0.5, norm=np.inf), cv=3).fit(X, y)
    >>> gs.best_params_["alpha"] >= 1.0   # the attack favours more shrinkage than the plain error
    True
    """
    eps = check_radius(eps)
    p, q = check_norm(norm)
    return _AdversarialScorer(eps, p, q)
