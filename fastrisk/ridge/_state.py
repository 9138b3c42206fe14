"""The state of a :class:`~fastrisk.RidgePath`, declared once for the class and its mixins.

:func:`._build.setup` sets every attribute below (the Wishart and estimator builders go through it);
the mixins (:mod:`._adversarial`, :mod:`._statistics`) inherit this class so that what they read is
declared, with its type, in one place. Nothing here runs at construction: the annotations carry no
values.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from .._spectral import SpectralPath
from ._features import Features
from ._targets import Targets, check_designs

if TYPE_CHECKING:
    from ._wishart import TailFeatures

__all__ = ["PathState"]

#: A design for every target: one GaussianDesign (shared), or a sequence of k sharing a covariance.
Designs = Any


class PathState(SpectralPath):
    """What every module of a ridge path reads: sizes, the eigenbasis (``spec``, ``lam`` from
    :class:`~fastrisk._spectral.SpectralPath`), the right-hand sides in it, the feature source and the
    caches; plus the two helpers that shape the public outputs."""

    side: str  # "dual" (eigenbasis of X X^T) or "primal" (of X^T X; every method="svd" path)
    method: str  # "gram" or "svd"
    n: int | None  # None only for a primal path from a Gram without X or n_samples
    p: int | None  # None only for a dual path from a Gram without X or n_features
    k: int  # number of targets (columns of y)
    dtype: np.dtype  # the precision of the Gram and its eigendecomposition
    features: Features  # the columns of X: held, streamed, centred or (tail="wishart") partly drawn
    _multi: bool  # whether y was 2-D (outputs keep the target axis)
    _c: np.ndarray  # (g, k) right-hand sides in the eigenbasis (dual U^T Y, primal V^T X^T Y)
    _chat: np.ndarray  # (g, k) the same in hat units
    _nu: float  # B = nu * B_hat (dual: sqrt(unit); primal: 1)
    _dhat: np.ndarray  # (g,) d / nu^2
    _complete: bool  # spec.U is square (primal: V spans all of R^p)
    _tail: TailFeatures | None  # the feature source of a tail="wishart" path (default None)
    # caches, emptied by setup
    _W_cache: np.ndarray | None  # (g, k L) spectral weights (ridge._passes.W)
    _A_cache: np.ndarray | None  # U @ W
    _F_cache: np.ndarray | None  # (g, L) the filter in units of spec.unit
    _norms: dict[float, np.ndarray]  # q -> (L, k) l_q norms of the coefficients
    _risk_cache: dict[bytes, np.ndarray]  # Targets.key -> (L, k) standard risk
    _signal_cache: dict[bytes, PathState]  # the path of the noiseless labels, per set of theta*
    _dproj_cache: dict[bytes, tuple[np.ndarray, np.ndarray]]  # (B^T Sigma theta*, B^T theta*)
    _cols_cache: tuple[np.ndarray, np.ndarray] | None  # (S, X[:, S])
    _sigma_gram_cache: tuple[bytes, np.ndarray, float] | None  # (cov key, X Sigma X^T / unit, unit)

    def _out(self, a: np.ndarray) -> np.ndarray:
        """An internal (..., k) result in the public shape: the target axis dropped for 1-D y."""
        return np.ascontiguousarray(a if self._multi else a[..., 0])

    def _targets(self, design: Designs) -> Targets:
        return check_designs(design, self.k, self.p)
