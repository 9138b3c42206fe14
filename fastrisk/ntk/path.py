"""Kernel ridge regression for a whole path of penalties from one eigendecomposition.

For a PSD Gram ``K = U diag(s) U^T`` and labels y, the dual coefficients of penalty lam are
``beta_lam = (K + lam I)^{-1} y = U diag(1/(s + lam)) U^T y`` (unnormalised penalty, the objective
``||y - K beta||^2 + lam beta^T K beta``). ``lam = 0`` is the minimum-RKHS-norm interpolator
(pseudo-inverse: eigenvalues under the rank tolerance of :class:`fastrisk._spectral.SpectralGram`
are dropped); negative ``lam > -s_min`` is legal. For the NTK with ``f_0 = 0`` the RKHS norm
``beta^T K beta`` equals the squared parameter displacement ``||theta - theta_0||_2^2`` of the
linearised network trained to that solution.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from .._spectral import SpectralGram, SpectralPath
from .._validation import as_float_array, check_vector

__all__ = ["KernelRidgePath", "check_gram"]

ArrayLike = Any


def check_gram(K: ArrayLike, name: str = "K", *, symmetric: bool = True) -> np.ndarray:
    """A finite, non-empty square (and, by default, symmetric to 1e-10 relative) float64 Gram."""
    K = as_float_array(K, name, ndim=2, dtype=np.float64)
    if K.shape[0] == 0 or K.shape[0] != K.shape[1]:
        raise ValueError(f"{name} must be a non-empty square Gram matrix, got shape {K.shape}")
    if symmetric:
        scale = max(float(K.max()), -float(K.min())) or 1.0  # no n x n temporary
        # blocked check: no n x n temporary
        n = K.shape[0]
        b = max(1, (4 << 20) // (8 * n))
        for i0 in range(0, n, b):
            blk = K[i0:i0 + b]
            if np.abs(blk - K[:, i0:i0 + b].T).max() > 1e-10 * scale:
                raise ValueError(f"{name} must be symmetric (a Gram matrix K(x_i, x_j)); "
                                 f"max |K - K^T| exceeds 1e-10 * max|K|")
    return K


class KernelRidgePath(SpectralPath):
    """Kernel ridge (and ridgeless) regression for many penalties from one ``eigh`` of the Gram.

    Parameters
    ----------
    K : array_like (n, n)
        Symmetric PSD Gram ``K(x_i, x_j)`` of the training inputs (e.g. :func:`ntk_gram`), finite.
        Copied unless ``overwrite=True`` (then LAPACK may destroy it). An eigenvalue below
        ``-sqrt(eps) * max|eigenvalue|`` (eps of K's dtype) raises ValueError (not a kernel Gram).
    y : array_like (n,)
        Training targets (for an NTK with non-zero initial output, pass ``y - f_0(X)``).
    lam : float or array_like (L,)
        Unnormalised penalties of ``(K + lam I)^{-1} y``; 0 is the min-RKHS-norm interpolator;
        negative values above ``-(smallest eigenvalue)`` are legal.
    overwrite : bool
        Let the eigensolver overwrite ``K`` (saves one n x n copy; K must be float64 C- or F-ordered).

    Notes
    -----
    Cost: one ``eigh`` (O(n^3)), then O(n) per penalty for norms and fitted-value summaries and one
    (n x n) x (n x L) product for the dual coefficients. All outputs float64, penalties on the last axis
    (predictions) or the only axis (per-penalty summaries).

    Examples
    --------
    >>> import numpy as np
    >>> from fastrisk import ntk
    >>> X = np.random.default_rng(0).standard_normal((30, 8))
    >>> y = X[:, 0]
    >>> kpath = ntk.KernelRidgePath(ntk.ntk_gram(X), y, lam=[0.0, 1.0, 10.0])
    >>> kpath.dual_coef().shape, kpath.training_error().round(4)
    ((30, 3), array([0.    , 0.0122, 0.2247]))
    """

    def __init__(self, K: ArrayLike, y: ArrayLike, lam: ArrayLike, *, overwrite: bool = False):
        # PSD tolerance: sqrt(eps) of the dtype K came in (rounding of a float32 Gram reaches ~1e-5 s_max)
        in_dtype = np.float32 if getattr(K, "dtype", None) == np.float32 else np.float64
        psd_rtol = math.sqrt(np.finfo(in_dtype).eps)
        K = check_gram(K)
        n = K.shape[0]
        y = check_vector(y, n, "y")
        if not overwrite:
            K = np.array(K, dtype=np.float64, copy=True)
        self.n = n
        self.spec = SpectralGram(K, overwrite=True)
        self.spec.check_psd("K", psd_rtol)
        self.lam = self.spec.check_lam(lam, "the kernel Gram K")
        self.y = y
        self._z = self.spec.U.T @ y
        self._beta: np.ndarray | None = None

    def dual_coef(self) -> np.ndarray:
        """``beta[:, l] = (K + lam_l I)^+ y``, shape (n, L) (cached)."""
        if self._beta is None:
            self._beta = self.spec.U @ self.spec.filter(self.lam, self._z)
        return self._beta

    def predict(self, K_new: ArrayLike) -> np.ndarray:
        """Predictions ``K_new @ beta`` at new points, shape (m, L).

        K_new : array_like (m, n), ``K_new[j, i] = K(x_new_j, x_i)`` (e.g. ``ntk_gram(X_new, X)``).
        """
        K_new = as_float_array(K_new, "K_new", ndim=2)
        if K_new.shape[1] != self.n:
            raise ValueError(f"K_new must have {self.n} columns (one per training point), got {K_new.shape}")
        return K_new @ self.dual_coef()

    def fitted(self) -> np.ndarray:
        """Fitted values ``K beta`` at the training points, shape (n, L)."""
        s = np.where(np.arange(self.n) >= self.spec.start, self.spec.s, 0.0)
        return self.spec.U @ (s[:, None] * self.spec.filter(self.lam, self._z))

    def rkhs_norm_sq(self) -> np.ndarray:
        """``beta^T K beta = sum_i s_i z_i^2 / (s_i + lam)^2`` per penalty, (L,); for the NTK with
        ``f_0 = 0`` this is the squared parameter displacement ``||theta - theta_0||^2``."""
        _, o2 = self.spec.sums_unit(self.lam, a2=self.spec.s_unit * self._z**2)  # any scale of K
        return o2[0] / self.spec.unit

    displacement_norm_sq = rkhs_norm_sq

    def training_error(self) -> np.ndarray:
        """Mean squared training residual ``|y - K beta|^2 / n`` per penalty, (L,) (0 at lam = 0 on a
        full-rank Gram)."""
        # residual in the eigenbasis: z_i lam / (s_i + lam) on kept components, z_i on null ones
        st = self.spec.start
        _, o2 = self.spec.sums_unit(self.lam, a2=self._z**2)
        null = float(np.sum(self._z[:st] ** 2))
        lamu = self.lam / self.spec.unit
        return (lamu**2 * o2[0] + null) / self.n

    def standard_risk(self, K_test: ArrayLike, f_star: ArrayLike) -> np.ndarray:
        """Test-sample standard risk ``mean_j (f_hat(x_j) - f_star(x_j))^2`` per penalty, (L,).

        K_test : array_like (m, n) = ``K(x_test_j, x_i)``; f_star : array_like (m,), the target
        function at the test points (e.g. ``X_test @ theta_star``; noiseless).
        """
        P = self.predict(K_test)
        f_star = check_vector(f_star, P.shape[0], "f_star")
        return np.mean((P - f_star[:, None]) ** 2, axis=0)

    def __repr__(self) -> str:
        return f"KernelRidgePath(n={self.n}, L={self.n_penalties}, rank={self.rank})"
