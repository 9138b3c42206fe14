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

    sq: np.ndarray | None
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
                        outside_pred=None, store: bool = True) -> PathCV:
    """Leave-one-out over ``alphas`` (L,) for the targets ``Y`` (n_all, k) (original scale).

    ``fit_rows``: the rows the decomposition was built on (the positive weights) when some weights are 0;
    the others get squared errors and losses 0 (weight 0) and, for a scorer, the full fit's predictions
    from ``outside_pred(alphas_block) -> (m0, k, Lb)``. ``feature_map``: the blocks of ``P`` for an
    adversarial criterion with ``q != 2`` (see :func:`fastrisk.estimators._loo.loo_coef_norms`).
    ``store``: keep the per-sample (n, k, L) arrays; without them the penalties go in small blocks and
    only the per-target means (and scores) are kept (memory O(n k) per penalty of a block).
    """
    n_all, k = Y.shape
    L = alphas.shape[0]
    rows = slice(None) if fit_rows is None else fit_rows
    swf = None if sw is None else sw[rows]
    Yf = Y[rows]
    rt = None if swf is None else np.sqrt(swf)
    other = None if fit_rows is None else np.setdiff1d(np.arange(n_all), fit_rows)
    N = float(n_all if sw is None else sw.sum())
    per_target = bool(per_target and k > 1)
    Lb = loo.block_size(extra=4 if eps is not None else 2) if store else loo.block_size(extra=32)
    whole = store and fit_rows is None and Lb >= L  # one block over all rows: keep its arrays as they are
    sq: np.ndarray | None = None
    adv: np.ndarray | None = None
    pred: np.ndarray | None = None
    if store and not whole:  # (n, k, L) arrays filled block by block; rows out of the fit weigh 0
        sq = np.empty((n_all, k, L))
        adv = np.empty((n_all, k, L)) if eps is not None else None
        if other is not None:
            sq[other] = 0.0
            if adv is not None:
                adv[other] = 0.0
    if store and scorer is not None:
        pred = np.empty((n_all, k, L))
    mse = np.empty((k, L))
    mean_adv = np.empty((k, L))
    score = np.empty((k, L)) if per_target else np.empty(L)
    df = np.empty(L)
    for l0 in range(0, L, Lb):
        l1 = min(L, l0 + Lb)
        blk = slice(l0, l1)
        a = alphas[blk]
        e, df[blk] = loo.errors(a, gcv=gcv)
        if eps is not None:
            if q == 2.0:
                loss = loo.coef_norms2(a, e)
                np.sqrt(loss, out=loss)
            else:
                loss = loo_coef_norms(loo, a, e, q, feature_map)
            if rt is not None:
                loss *= rt[:, None, None]
            loss *= eps
            loss += np.abs(e)
            loss *= loss  # (|e| + eps sqrt(w) ||theta^(-i)||_q)^2
            mean_adv[:, blk] = loss.sum(axis=0) / N
            if whole:
                adv = loss
            elif adv is not None:
                adv[rows, :, blk] = loss
        if scorer is not None:
            et = e if rt is None else e / rt[:, None, None]
            if other is None:
                pb = pred[:, :, blk] if pred is not None else np.empty((n_all, k, l1 - l0))
                np.subtract(Yf[:, :, None], et, out=pb)
            else:
                pb = np.empty((n_all, k, l1 - l0))
                pb[rows] = Yf[:, :, None] - et
                pb[other] = outside_pred(a)
                if pred is not None:
                    pred[:, :, blk] = pb
            score[..., blk] = score_predictions(scorer, pb, Y, per_target, sw)
        e *= e
        mse[:, blk] = e.sum(axis=0) / N
        if whole:
            sq = e
        elif sq is not None:
            sq[rows, :, blk] = e
    if scorer is None:
        loss = mse if eps is None else mean_adv
        score = -loss if per_target else -loss.mean(axis=0)
    best: np.ndarray | int
    if per_target:
        best = np.array([_first_best(score[t]) for t in range(k)])
    else:
        best = _first_best(score)
    return PathCV(sq, mse, df, score, best, per_target, adv, mean_adv if eps is not None else None, pred)


def _first_best(score: np.ndarray) -> int:
    """Index of the first largest score (ties to the first, as RidgeCV); NaN scores never win."""
    s = np.where(np.isnan(score), -math.inf, score)
    return int(np.argmax(s))
