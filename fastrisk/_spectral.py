"""One symmetric eigendecomposition reused for every penalty (shared by linear and kernel ridge).

``K = U diag(s) U^T`` with ``s`` ascending. Eigenvalues at or below the rank tolerance are *null*:
they get spectral filter 0 (pseudo-inverse convention), so ``lam = 0`` is the min-norm interpolator
even for a rank-deficient Gram. A penalty is legal when ``s_min + lam > 0`` (``s_min = 0`` when some
eigenvalue is null): negative penalties above ``-s_min`` are allowed.

Scale: every per-penalty reduction works in units of ``unit``, a power of 4 near ``max(s)``
(``s' = s / unit``, ``lam' = lam / unit``, filter ``f' = 1 / (s' + lam')``). Dividing by a power of 2
is exact, so the numbers are the same as in the original units wherever those are representable,
and sums of ``f**2`` cannot overflow or underflow when the Gram itself is tiny or huge.
"""

from __future__ import annotations

import math

import numpy as np
import scipy.linalg

from . import config
from ._validation import _all_finite, check_lam
from .kernels import filter_matrix, filtered_sums
from .kernels._threads import threads_for

__all__ = ["SpectralGram", "SpectralPath"]


class SpectralGram:
    """Eigen-pairs of a symmetric PSD Gram and the spectral-filter machinery on top of them.

    Parameters
    ----------
    gram : ndarray (g, g)
        Symmetric PSD matrix, already validated (finite, square). Only its lower triangle is read.
    rank_dim : int, optional
        The larger dimension of the data behind the Gram (``max(n, p)`` for ``X X^T``), used in the
        rank tolerance ``RANK_RTOL * rank_dim * eps(dtype) * max(s)``. Defaults to ``g``.
    overwrite : bool
        Let LAPACK overwrite ``gram`` (saves one g x g copy).
    driver : str, optional
        ``"numpy"`` or a ``scipy.linalg.eigh`` driver, instead of the configured one
        (:data:`fastrisk.config.EIGH_DRIVER`): the Wishart route asks for SciPy's ``"evd"``, which
        with ``overwrite`` holds about 3 g^2 doubles (NumPy's ``eigh`` about 5 g^2).

    Attributes
    ----------
    s : ndarray (g,) float64, ascending eigenvalues (null ones kept as computed)
    U : ndarray (g, g) float64, orthonormal eigenvectors (columns)
    start : int, number of null eigenvalues (components ``i < start`` are dropped)
    rank : int, ``g - start``
    tol : float, the rank tolerance used
    unit : float, a power of 4 near ``max|s|`` (1 for a zero Gram); ``root = sqrt(unit)`` exactly
    s_unit : ndarray (g,), ``s / unit``
    """

    def __init__(self, gram: np.ndarray, *, rank_dim: int | None = None, overwrite: bool = False,
                 driver: str | None = None):
        g = gram.shape[0]
        if not _all_finite(gram):
            # finite inputs can still overflow in the Gram product; LAPACK must never see inf/NaN
            raise ValueError("the Gram matrix has inf or NaN entries: the inputs are too large for "
                             f"{gram.dtype} (rescale them, e.g. divide X by its largest entry)")
        if driver is None:
            driver = config.EIGH_DRIVER
            if gram.dtype == np.float32 and g >= config.EIGH_FLOAT32_MIN_DIM:
                driver = config.EIGH_DRIVER_FLOAT32  # numpy.linalg.eigh would compute in float64
        if driver == "numpy":
            s, U = np.linalg.eigh(gram, UPLO="L")
        else:
            s, U = scipy.linalg.eigh(gram, lower=True, overwrite_a=overwrite, check_finite=False,
                                     driver=driver)
        eps = np.finfo(s.dtype).eps
        smax = float(np.abs(s).max()) if g else 0.0
        if s.dtype == np.float32:
            self.tol = config.FLOAT32_RANK_RTOL * g * eps * smax
        else:
            self.tol = config.RANK_RTOL * (rank_dim or g) * eps * smax
        self.dtype = s.dtype
        self.s = s.astype(np.float64)
        self.U = U if U.dtype == np.float64 else U.astype(np.float64)
        self._finish(g)

    @classmethod
    def from_pairs(cls, s: np.ndarray, U: np.ndarray, tol: float, dtype) -> SpectralGram:
        """Eigen-pairs computed elsewhere (e.g. squared singular values and singular vectors of X),
        ascending ``s``, with the rank tolerance ``tol`` on ``s``."""
        self = cls.__new__(cls)
        self.tol = float(tol)
        self.dtype = np.dtype(dtype)
        self.s = np.ascontiguousarray(s, dtype=np.float64)
        self.U = np.ascontiguousarray(U, dtype=np.float64)
        self._finish(self.s.shape[0])
        return self

    def _finish(self, g: int) -> None:
        self.start = int(np.searchsorted(self.s, self.tol, side="right"))
        self.rank = g - self.start
        self.dim = g
        smax = float(np.abs(self.s).max()) if g else 0.0
        k = round(math.log2(smax) / 2) if smax > 0 else 0
        self.root = math.ldexp(1.0, k)
        self.unit = math.ldexp(1.0, 2 * k)
        self.s_unit = self.s / self.unit

    def check_psd(self, what: str, rtol: float | None = None) -> None:
        """Refuse a Gram with a negative part beyond rounding (``s_min < -rtol * max|s|``, default
        ``rtol = sqrt(eps)`` of the computing dtype): the rank cut would otherwise drop it silently."""
        if rtol is None:
            rtol = float(np.sqrt(np.finfo(self.dtype).eps))
        if self.dim and self.s[0] < -rtol * float(np.abs(self.s).max()):
            raise ValueError(f"{what} must be positive semi-definite (a Gram matrix): its smallest "
                             f"eigenvalue is {self.s[0]!r}, its largest {self.s[-1]!r}; a negative part "
                             "beyond rounding would be silently dropped")

    @property
    def s_min(self) -> float:
        """Smallest eigenvalue counted as non-null, or 0 when the Gram is rank-deficient."""
        return 0.0 if self.start > 0 else float(self.s[0])

    def check_lam(self, lam, what: str = "the Gram") -> np.ndarray:
        """Validate penalties against the spectrum: ``lam > -s_min`` (0 allowed when rank-deficient)."""
        lam = check_lam(lam)
        lo = float(lam.min())
        if lo < 0 and lo <= -self.s_min:
            if self.start > 0:
                raise ValueError(
                    f"lam must be >= 0 here: {what} is rank-deficient (rank {self.rank} of "
                    f"{self.dim}), so its smallest eigenvalue is 0; got min(lam) = {lo!r}")
            raise ValueError(
                f"lam must be > -(smallest eigenvalue of {what}) = {-self.s_min!r}; got min(lam) = "
                f"{lo!r}")
        lam.setflags(write=False)  # a path's penalties are a value: a fresh, read-only copy
        return lam

    def filter(self, lam: np.ndarray, coef: np.ndarray) -> np.ndarray:
        """``W[i, l] = coef[i] / (s[i] + lam[l])`` (0 on null components), shape (g, L)."""
        return self.filter_unit(lam, np.asarray(coef, dtype=np.float64) / self.unit)

    def filter_unit(self, lam: np.ndarray, coef: np.ndarray) -> np.ndarray:
        """``coef[i] / (s'[i] + lam'[l])`` in units of :attr:`unit` (0 on null components), (g, L)."""
        out = np.empty((self.dim, lam.shape[0]))
        with threads_for(out.size):
            filter_matrix(self.s_unit, self.start, lam / self.unit,
                          np.ascontiguousarray(coef, dtype=np.float64), out)
        return out

    def sums(self, lam: np.ndarray, a1=None, a2=None) -> tuple[np.ndarray, np.ndarray]:
        """Per-penalty ``sum_i a1[k, i] f_i`` (k1, L) and ``sum_i a2[k, i] f_i**2`` (k2, L)."""
        o1, o2 = self.sums_unit(lam, a1, a2)
        return o1 / self.unit, o2 / self.unit / self.unit

    def sums_unit(self, lam: np.ndarray, a1=None, a2=None) -> tuple[np.ndarray, np.ndarray]:
        """:meth:`sums` with the filter in units of :attr:`unit`: ``f' = 1 / (s' + lam')``."""
        a1 = np.zeros((0, self.dim)) if a1 is None else np.ascontiguousarray(np.atleast_2d(a1), np.float64)
        a2 = np.zeros((0, self.dim)) if a2 is None else np.ascontiguousarray(np.atleast_2d(a2), np.float64)
        L = lam.shape[0]
        o1 = np.empty((a1.shape[0], L))
        o2 = np.empty((a2.shape[0], L))
        with threads_for(L * self.dim * (a1.shape[0] + a2.shape[0])):
            filtered_sums(self.s_unit, self.start, lam / self.unit, a1, a2, o1, o2)
        return o1, o2

    def df(self, lam: np.ndarray) -> np.ndarray:
        """Effective degrees of freedom ``sum_i s_i / (s_i + lam)`` over non-null components."""
        o1, _ = self.sums_unit(lam, a1=self.s_unit)
        return o1[0]


class SpectralPath:
    """What every spectral path shares: penalties ``lam`` (L,) over one :class:`SpectralGram` ``spec``
    (:class:`fastrisk.RidgePath`, :class:`fastrisk.ntk.KernelRidgePath`)."""

    spec: SpectralGram
    lam: np.ndarray

    @property
    def n_penalties(self) -> int:
        return int(self.lam.shape[0])

    @property
    def eigenvalues(self) -> np.ndarray:
        """Gram eigenvalues, ascending (for a linear path: X X^T on the dual side, X^T X on the primal)."""
        return self.spec.s

    @property
    def rank(self) -> int:
        """Number of eigenvalues above the rank tolerance."""
        return self.spec.rank

    def df(self) -> np.ndarray:
        """Effective degrees of freedom ``sum_i s_i / (s_i + lam)`` over non-null components, (L,)."""
        return self.spec.df(self.lam)
