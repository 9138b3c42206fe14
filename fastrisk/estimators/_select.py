"""Choosing the penalty over a whole path: the mean leave-one-out (or GCV) squared error, a scikit-learn
scorer on the leave-one-out predictions (as ``RidgeCV(scoring=...)``), or the exact leave-one-out
adversarial loss ``(|e_i| + eps ||theta^(-i)||_q)^2``; one penalty for all targets or one per target
(``alpha_per_target``, as ``RidgeCV``).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from ._loo import LeaveOneOut, loo_coef_norms
from ._scoring import score_predictions

__all__ = ["PathCV", "cross_validate_path"]


@dataclass
class PathCV:
    """Per-sample arrays are (n, k, L), per-target means (k, L); ``score`` is what the choice maximises:
    (k, L) per target, else (L,); ``best`` (k,) per target, else an int."""

    sq: np.ndarray
    mse: np.ndarray
    df: np.ndarray
    score: np.ndarray
    best: np.ndarray | int
    per_target: bool
    adv: np.ndarray | None = None
    mean_adv: np.ndarray | None = None
    pred: np.ndarray | None = None


def cross_validate_path(loo: LeaveOneOut, alphas: np.ndarray, Y: np.ndarray, sw: np.ndarray | None, *,
                        gcv: bool, scorer, eps: float | None, q: float, per_target: bool,
                        feature_map=None, fit_rows: np.ndarray | None = None,
                        outside_pred=None) -> PathCV:
    """Leave-one-out over ``alphas`` (L,) for the targets ``Y`` (n_all, k) (original scale).

    ``fit_rows``: the rows the decomposition was built on (the positive weights) when some weights are 0;
    the others get squared errors and losses 0 (weight 0) and, for a scorer, the full fit's predictions
    from ``outside_pred(alphas_block) -> (m0, k, Lb)``. ``feature_map``: the blocks of ``P`` for an
    adversarial criterion with ``q != 2`` (see :func:`fastrisk.estimators._loo.loo_coef_norms`).
    """
    n_all, k = Y.shape
    L = alphas.shape[0]
    rows = slice(None) if fit_rows is None else fit_rows
    swf = None if sw is None else sw[rows]
    Yf = Y[rows]
    sq = np.zeros((n_all, k, L))
    adv = np.zeros((n_all, k, L)) if eps is not None else None
    pred = np.empty((n_all, k, L)) if scorer is not None else None
    df = np.empty(L)
    rt = None if swf is None else np.sqrt(swf)
    other = None
    if fit_rows is not None:
        other = np.setdiff1d(np.arange(n_all), fit_rows)
    Lb = loo.block_size(extra=4 if eps is not None else 2)
    for l0 in range(0, L, Lb):
        l1 = min(L, l0 + Lb)
        a = alphas[l0:l1]
        e, df[l0:l1] = loo.errors(a, gcv=gcv)
        sq[rows, :, l0:l1] = e * e
        if eps is not None:
            if q == 2.0:
                norm = np.sqrt(loo.coef_norms2(a, e))
            else:
                norm = loo_coef_norms(loo, a, e, q, feature_map)
            if rt is not None:
                norm *= rt[:, None, None]
            adv[rows, :, l0:l1] = (np.abs(e) + eps * norm) ** 2
        if pred is not None:
            et = e if rt is None else e / rt[:, None, None]
            pred[rows, :, l0:l1] = Yf[:, :, None] - et
            if other is not None:
                pred[other, :, l0:l1] = outside_pred(a)
    N = float(n_all if sw is None else sw.sum())
    mse = sq.sum(axis=0) / N
    mean_adv = None if adv is None else adv.sum(axis=0) / N
    per_target = bool(per_target and k > 1)
    if scorer is not None:
        score = score_predictions(scorer, pred, Y, per_target, sw)
    else:
        loss = mse if mean_adv is None else mean_adv
        score = -loss if per_target else -loss.mean(axis=0)
    if per_target:
        best = np.array([_first_best(score[t]) for t in range(k)])
    else:
        best = _first_best(score)
    return PathCV(sq, mse, df, score, best, per_target, adv, mean_adv, pred)


def _first_best(score: np.ndarray) -> int:
    """Index of the first largest score (ties to the first, as RidgeCV); NaN scores never win."""
    s = np.where(np.isnan(score), -math.inf, score)
    return int(np.argmax(s))
