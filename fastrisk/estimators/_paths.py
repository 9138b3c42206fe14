"""The ``path_`` of a fitted linear estimator (a :class:`fastrisk.RidgePath` over its penalties, built on
first access from the fit's own eigendecomposition) and the SVD route of the min-norm fit."""

from __future__ import annotations

import numpy as np
from sklearn.exceptions import NotFittedError

from .._spectral import SpectralGram
from ._base import Centred

__all__ = ["PathHolder", "svd_min_norm"]


class _PathState:
    """What ``path_`` needs: the design as fitted, its offsets and weights, the eigen-pairs, the
    right-hand side in the eigenbasis and the penalties."""

    def __init__(self, X, cen: Centred, spec: SpectralGram, side: str, c: np.ndarray, lam, y_ndim: int):
        self.X = X
        self.cen = cen
        self.spec = spec
        self.side = side
        self.c = c
        self.lam = lam
        self.y_ndim = y_ndim
        self.path = None


class PathHolder:
    """Mixin: ``path_`` built lazily from ``self._path_state`` (set by ``fit``)."""

    def _hold_path(self, X, cen, spec, side, c, lam, y_ndim) -> None:
        self._path_state = _PathState(X, cen, spec, side, c, np.asarray(lam, dtype=np.float64), y_ndim)

    @property
    def path_(self):
        """The fitted problem's :class:`fastrisk.RidgePath` (centred, ``sqrt(sample_weight)``-rescaled;
        penalties as fitted); built on first access, no second eigendecomposition. Fitted on a 2-D y it
        holds every target (outputs with a trailing target axis, as ``RidgePath(X, Y, lam)``)."""
        st = self.__dict__.get("_path_state")
        if st is None:
            raise NotFittedError(f"This {type(self).__name__} instance is not fitted yet: path_ exists "
                                 "after fit")
        if st.path is None:
            st.path = _ridge_path(st)
        return st.path


def _ridge_path(st: _PathState):
    """A RidgePath on the fit's eigen-pairs whose feature source is the centred, rescaled design read
    from X itself (no centred copy, no second Gram or eigh)."""
    from ..ridge import RidgePath
    from ..ridge._build import setup
    from ..ridge._features import CentredFeatures

    X, cen = st.X, st.cen
    n, p = X.shape
    features = None if cen.plain else CentredFeatures(X, cen.x_off, cen.sqrt_sw)
    path = RidgePath.__new__(RidgePath)
    setup(path, None, st.side, None, st.lam, X=X, n=n, p=p, rank_dim=max(n, p), spec=st.spec,
          c=np.ascontiguousarray(st.c if st.y_ndim == 2 else st.c[:, 0]), features=features,
          multi=st.y_ndim == 2)
    return path


def svd_min_norm(X: np.ndarray, cen: Centred):
    """Minimum-norm slopes (p, k) from the thin SVD ``X_w = Q diag(sv) V^T`` (rank cut
    ``max(n, p) eps sv_max``, as ``numpy.linalg.lstsq``), and the eigen-pairs ``(sv^2, V)`` with the
    right-hand side ``V^T X_w^T Y_w = sv (Q^T Y_w)`` for ``path_`` (primal representation)."""
    n, p = X.shape
    Xw = cen.cols(X, 0, p) if not cen.plain else X
    with np.errstate(over="ignore", invalid="ignore"):
        Q, sv, Vt = np.linalg.svd(Xw, full_matrices=False)
    if not np.all(np.isfinite(sv)) or (sv.size and sv[0] ** 2 == np.inf):
        raise ValueError(f"X is too large for {X.dtype}: its squared singular values overflow "
                         "(rescale it, e.g. divide X by its largest entry)")
    sv = sv[::-1].copy()
    Q = Q[:, ::-1]
    V = np.ascontiguousarray(Vt[::-1].T)
    cut = max(n, p) * float(np.finfo(np.float64).eps) * (float(sv[-1]) if sv.size else 0.0)
    keep = sv > cut
    QtY = Q.T @ cen.y_w
    theta = V[:, keep] @ (QtY[keep] / sv[keep, None])
    spec = SpectralGram.from_pairs(sv * sv, V, tol=cut * cut, dtype=np.float64)
    return theta, spec, sv[:, None] * QtY, "primal"
