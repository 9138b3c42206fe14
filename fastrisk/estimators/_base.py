"""What the scikit-learn faces share: input validation, sample weights, centring, centred Grams.

Intercept and sample weights follow scikit-learn's ``_preprocess_data(..., rescale_with_sw=True)``:
with weights ``w`` (``W = sum w``), offsets ``x_off = sum_i w_i x_i / W``, ``y_off = sum_i w_i y_i / W``
(plain means without weights; zeros without an intercept), and the problem solved is the unweighted,
intercept-free one on ``X_w = diag(sqrt w) (X - 1 x_off^T)``, ``y_w = sqrt(w) * (y - y_off)``. Then
``intercept_ = y_off - x_off^T coef_``. This is exact: weighted least squares with a free intercept
(ridge: an unpenalised intercept) has exactly this solution.
"""

from __future__ import annotations

import numpy as np
from sklearn.utils.validation import _check_sample_weight, validate_data

from .. import config

__all__ = ["Centred", "validate_fit", "validate_predict", "centred_gram"]


def validate_fit(est, X, y, sample_weight, *, min_samples: int = 1):
    """scikit-learn validation of a regression fit (finite float64 X (n, p), y (n,), weights >= 0).

    Returns ``X, y, sw`` with ``sw`` None when no weights were given. Raises ValueError for NaN/inf,
    empty data, fewer than ``min_samples`` rows, a y of the wrong length, negative weights or weights
    that are all zero (scikit-learn's messages).
    """
    X, y = validate_data(est, X, y, dtype=np.float64, order="C", y_numeric=True,
                         ensure_min_samples=min_samples)
    y = np.asarray(y, dtype=np.float64)
    sw = None
    if sample_weight is not None:
        sw = _check_sample_weight(sample_weight, X, dtype=np.float64, ensure_non_negative=True)
        if not np.any(sw > 0):  # older scikit-learn lets all-zero weights through
            raise ValueError("Sample weights must contain at least one non-zero number.")
    return X, y, sw


def validate_predict(est, X) -> np.ndarray:
    """Fitted check (NotFittedError) + finite float64 X with the number of features seen in fit."""
    from sklearn.utils.validation import check_is_fitted

    check_is_fitted(est)
    return validate_data(est, X, dtype=np.float64, order="C", reset=False)


class Centred:
    """Offsets and weights of one fit: ``x_off`` (p,), ``y_off`` float, ``sqrt_sw`` (n,) or None.

    ``v`` is the direction the intercept spans in the rescaled problem (``sqrt(w)``, or ones), None
    when there is no intercept; ``X_w`` and ``y_w`` of the module docstring are built on request.
    """

    def __init__(self, X: np.ndarray, y: np.ndarray, sw: np.ndarray | None, fit_intercept: bool):
        n, p = X.shape
        self.fit_intercept = bool(fit_intercept)
        self.sqrt_sw = None if sw is None else np.sqrt(sw)
        if fit_intercept:
            if sw is None:
                self.x_off = X.mean(axis=0)
                self.y_off = float(y.mean())
            else:
                W = float(sw.sum())
                self.x_off = (sw @ X) / W
                self.y_off = float(sw @ y) / W
            self.v = np.ones(n) if sw is None else self.sqrt_sw
        else:
            self.x_off = np.zeros(p)
            self.y_off = 0.0
            self.v = None
        self._small: bool | None = None
        yc = y - self.y_off
        self.y_w = yc if self.sqrt_sw is None else self.sqrt_sw * yc

    def small_means(self, X: np.ndarray) -> bool:
        """Column means small next to the spread: ``n ||x_off||^2 <= tr(X_c X_c^T)``, i.e.
        ``||X||_F^2 <= 2 ||X_c||_F^2`` (unweighted). Products with X itself followed by a rank-one
        correction for the means then lose at most about a factor 2 in accuracy against products with
        the centred X; otherwise the centring must come first. Computed once (one pass over X)."""
        if self._small is None:
            mean_energy = X.shape[0] * float(self.x_off @ self.x_off)
            self._small = mean_energy <= float(np.vdot(X, X)) - mean_energy
        return self._small

    @property
    def plain(self) -> bool:
        """True when X itself is the rescaled design (no intercept, no weights)."""
        return not self.fit_intercept and self.sqrt_sw is None

    def rows(self, Xb: np.ndarray, cols: slice = slice(None), rows: slice = slice(None)) -> np.ndarray:
        """The rescaled design on a block: ``sqrt(w)[rows] * (Xb - x_off[cols])`` (a new array)."""
        out = Xb - self.x_off[cols]
        if self.sqrt_sw is not None:
            out *= self.sqrt_sw[rows, None]
        return out

    def X_w(self, X: np.ndarray) -> np.ndarray:
        """The whole rescaled design ``X_w`` (n, p): X itself when there is nothing to do, else a copy."""
        return X if self.plain else self.rows(X)


def _block(n_rows: int) -> int:
    """Columns (or rows) of X per block, so that a float64 block stays near ``config.BLOCK_BYTES``
    (and at least 512: the Gram product of a block must stay a large BLAS call)."""
    return max(512, config.BLOCK_BYTES // (8 * max(1, n_rows)))


def centred_gram(X: np.ndarray, c: Centred, side: str) -> np.ndarray:
    """``X_w X_w^T`` (``side="dual"``, (n, n)) or ``X_w^T X_w`` (``"primal"``, (p, p)), float64.

    Without weights on the dual side, when the column means are small next to the spread
    (:meth:`Centred.small_means`), the Gram of X itself is centred afterwards,
    ``K_c = K - r 1^T - 1 r^T + mean(r) 1 1^T`` with ``r = K 1 / n`` (one SYRK, O(n^2) more; the
    rounding of K is then at most about twice that of ``X_c X_c^T``). Otherwise the centring is
    applied to blocks of X (columns for the dual side, rows for the primal side) before their product,
    never to a Gram whose entries are dominated by the means (that would cancel catastrophically), and
    without a centred copy of X: memory is the Gram plus one block of ``config.BLOCK_BYTES``.
    """
    n, p = X.shape
    if c.plain:
        return X @ X.T if side == "dual" else X.T @ X
    if side == "dual":
        if c.sqrt_sw is None and c.small_means(X):
            K = X @ X.T
            r = K.mean(axis=1)
            K -= r[:, None]
            K -= r[None, :]
            K += r.mean()
            return K
        b = _block(n)
        if b >= p:
            Xb = c.rows(X)
            return Xb @ Xb.T
        K = np.zeros((n, n))
        for j0 in range(0, p, b):
            Xb = c.rows(X[:, j0:j0 + b], slice(j0, j0 + b))
            K += Xb @ Xb.T
        return K
    b = _block(p)
    if b >= n:
        Xb = c.rows(X)
        return Xb.T @ Xb
    K = np.zeros((p, p))
    for i0 in range(0, n, b):
        Xb = c.rows(X[i0:i0 + b], rows=slice(i0, i0 + b))
        K += Xb.T @ Xb
    return K
