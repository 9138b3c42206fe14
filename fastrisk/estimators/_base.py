"""What the scikit-learn faces share: input validation, sample weights, centring, small parameter checks.

Intercept and sample weights follow scikit-learn's ``_preprocess_data(..., rescale_with_sw=True)``:
with weights ``w`` (``W = sum w``), offsets ``x_off = sum_i w_i x_i / W``, ``y_off = sum_i w_i y_i / W``
(plain means without weights; zeros without an intercept), and the problem solved is the unweighted,
intercept-free one on ``X_w = diag(sqrt w) (X - 1 x_off^T)``, ``Y_w = diag(sqrt w) (Y - 1 y_off^T)``.
Then ``intercept_ = y_off - x_off^T coef_``. This is exact: weighted least squares with a free intercept
(ridge: an unpenalised intercept) has exactly this solution.

``X_w`` is never formed whole: :meth:`Centred.blocks` hands it out block by block (columns or rows), each
block centred *before* any product, so that large column means never cancel against the spread
(centring a finished Gram ``X X^T`` afterwards loses digits: at column offsets 1e4 its smallest
eigenvalue is off by 1e-7, at 1e6 by 1e-2).

Targets: ``y`` of shape (n,) or (n, k) (several targets on one design, as scikit-learn's ``Ridge``);
internally always (n, k).
"""

from __future__ import annotations

import math
from numbers import Real

import numpy as np
from sklearn.utils.validation import _check_sample_weight, validate_data

from .. import config

__all__ = ["Centred", "check_bool", "check_choice", "validate_fit", "validate_predict"]


def check_bool(v, name: str) -> bool:
    if not isinstance(v, (bool, np.bool_)):
        raise TypeError(f"{name} must be a bool, got {v!r}")
    return bool(v)


def check_choice(v, name: str, choices: tuple[str, ...]) -> str:
    if not isinstance(v, str) or v not in choices:
        raise ValueError(f"{name} must be one of {', '.join(repr(c) for c in choices)}; got {v!r}")
    return v


def check_radius(eps, name: str = "eps") -> float:
    """An attack radius: a finite real number >= 0."""
    if isinstance(eps, (bool, np.bool_)) or not isinstance(eps, (Real, np.floating, np.integer)):
        raise TypeError(f"{name} must be a real number >= 0 (an attack radius), got {eps!r}")
    eps = float(eps)
    if not math.isfinite(eps) or eps < 0:
        raise ValueError(f"{name} must be a finite number >= 0 (an attack radius), got {eps!r}")
    return eps


def validate_fit(est, X, y, sample_weight, *, min_samples: int = 1):
    """scikit-learn validation of a regression fit: finite float64 X (n, p), y (n,) or (n, k), weights
    >= 0.

    Returns ``X, y, sw`` with ``y`` as given (1-D or 2-D) and ``sw`` None when no weights were given.
    Raises ValueError for NaN/inf, empty data, fewer than ``min_samples`` rows, a y of the wrong length,
    negative weights or weights that are all zero (scikit-learn's messages).
    """
    X, y = validate_data(est, X, y, dtype=np.float64, order="C", y_numeric=True, multi_output=True,
                         ensure_min_samples=min_samples)
    y = np.asarray(y, dtype=np.float64)
    if y.ndim == 2 and y.shape[1] == 0:
        raise ValueError("y has 0 targets (shape (n, 0)); give at least one column")
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


def _block_size(other: int) -> int:
    """Rows or columns per block so that one (other, b) float64 block stays near config.BLOCK_BYTES."""
    return max(64, config.BLOCK_BYTES // (8 * max(1, other)))


class Centred:
    """Offsets and weights of one fit, and the rescaled design ``X_w`` block by block.

    Attributes
    ----------
    x_off : (p,) column offsets (zeros without an intercept).
    y_off : (k,) target offsets.
    sqrt_sw : (n,) or None.
    v : (n,) the direction the intercept spans in the rescaled problem (``sqrt(w)``, or ones), None
        when there is no intercept.
    y_w : (n, k) the rescaled, centred targets.
    x_sq : (p,) weighted column means of ``x^2`` (with an intercept): ``x_sq - x_off^2`` is the
        column variance, which decides where the means may be folded into a Gram
        (:mod:`fastrisk.estimators._decompose`).
    """

    def __init__(self, X: np.ndarray, Y: np.ndarray, sw: np.ndarray | None, fit_intercept: bool):
        n, p = X.shape
        self.fit_intercept = bool(fit_intercept)
        self.sqrt_sw = None if sw is None else np.sqrt(sw)
        self.W = float(n if sw is None else sw.sum())
        if fit_intercept:
            if sw is None:
                self.x_off = X.mean(axis=0)
                self.y_off = Y.mean(axis=0)
                self.x_sq = np.einsum("ij,ij->j", X, X) / self.W  # column means of x^2 (one read)
            else:
                self.x_off = (sw @ X) / self.W
                self.y_off = (sw @ Y) / self.W
                self.x_sq = np.einsum("i,ij,ij->j", sw, X, X) / self.W
            self.v = np.ones(n) if sw is None else self.sqrt_sw
        else:
            self.x_off = np.zeros(p)
            self.y_off = np.zeros(Y.shape[1])
            self.v = None
        Yc = Y - self.y_off
        self.y_w = Yc if self.sqrt_sw is None else self.sqrt_sw[:, None] * Yc

    @property
    def plain(self) -> bool:
        """True when X itself is the rescaled design (no intercept, no weights)."""
        return not self.fit_intercept and self.sqrt_sw is None

    def cols(self, X: np.ndarray, j0: int, j1: int, out: np.ndarray | None = None) -> np.ndarray:
        """``X_w[:, j0:j1]``: a centred, rescaled block, written into ``out`` (n, j1 - j0) when given,
        else a new array (a view of X when there is nothing to do)."""
        Xb = X[:, j0:j1]
        if self.plain:
            return Xb
        if out is None:
            out = np.empty(Xb.shape)
        if self.fit_intercept:
            np.subtract(Xb, self.x_off[j0:j1], out=out)
        else:
            out[...] = Xb
        if self.sqrt_sw is not None:
            out *= self.sqrt_sw[:, None]
        return out

    def rows(self, X: np.ndarray, i0: int, i1: int) -> np.ndarray:
        """``X_w[i0:i1]``: a new centred, rescaled block of rows (a view when there is nothing to do)."""
        Xb = X[i0:i1]
        if self.plain:
            return Xb
        out = Xb - self.x_off if self.fit_intercept else Xb.copy()
        if self.sqrt_sw is not None:
            out *= self.sqrt_sw[i0:i1, None]
        return out

    def col_blocks(self, X: np.ndarray, b: int | None = None):
        """Yield ``(j0, j1, X_w[:, j0:j1])`` over column blocks of about ``config.BLOCK_BYTES``; the
        blocks share one buffer (use each before asking for the next)."""
        n, p = X.shape
        b = min(p, b or _block_size(n))
        buf = None if self.plain else np.empty((n, b))
        for j0 in range(0, p, b):
            j1 = min(p, j0 + b)
            out = None if buf is None else buf[:, :j1 - j0]
            yield j0, j1, self.cols(X, j0, j1, out)

    def row_blocks(self, X: np.ndarray, b: int | None = None):
        """Yield ``(i0, i1, X_w[i0:i1])`` over row blocks of about ``config.BLOCK_BYTES``."""
        n, p = X.shape
        b = b or _block_size(p)
        for i0 in range(0, n, b):
            i1 = min(n, i0 + b)
            yield i0, i1, self.rows(X, i0, i1)

    def xwt_times(self, X: np.ndarray, M: np.ndarray, orthogonal: bool = False) -> np.ndarray:
        """``X_w^T M`` (p, k) for M (n, k), over centred column blocks.

        ``orthogonal``: the columns of M are orthogonal to the intercept direction ``v`` (up to
        rounding), as every dual-side combination of the deflated eigenvectors is. Then
        ``X_w^T M = X^T (sqrt(w) M) - x_off (v^T M)`` with ``v^T M ~ 0``: one product with X itself, no
        centred blocks, and no cancellation (the correction is a rounding-sized term, the rounding of
        ``X^T (sqrt(w) M)`` the same ``eps * |x_off|`` a centred block carries)."""
        if self.plain:
            return X.T @ M
        if orthogonal and self.v is not None:
            Mw = M if self.sqrt_sw is None else self.sqrt_sw[:, None] * M
            return X.T @ Mw - np.outer(self.x_off, self.v @ M)
        out = np.empty((X.shape[1], M.shape[1]))
        for j0, j1, Xb in self.col_blocks(X):
            out[j0:j1] = Xb.T @ M
        return out

    def xw_times(self, X: np.ndarray, M: np.ndarray) -> np.ndarray:
        """``X_w M`` (n, k) for M (p, k), over centred row blocks."""
        if self.plain:
            return X @ M
        out = np.empty((X.shape[0], M.shape[1]))
        for i0, i1, Xb in self.row_blocks(X):
            out[i0:i1] = Xb @ M
        return out
