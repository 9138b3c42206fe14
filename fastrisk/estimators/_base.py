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

__all__ = ["Centred", "validate_fit", "validate_predict"]


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
        yc = y - self.y_off
        self.y_w = yc if self.sqrt_sw is None else self.sqrt_sw * yc

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

