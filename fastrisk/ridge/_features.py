"""The feature source of a ridge path: X in memory, or a design regenerated block by block from its
seed (``RidgePath.from_design``), and every product that needs X itself.

Nothing here knows about penalties or eigenvectors: a :class:`Features` answers ``X v``, ``X^T v``,
``X[:, S]``, ``X Sigma X^T`` and ``X X_new^T`` in float64 (float32 X is upcast one column block at a
time, never whole), and hands out column blocks for the passes of :mod:`fastrisk.ridge._passes`.
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np

from .. import config

__all__ = ["CentredFeatures", "Features", "block_cols", "mode_structure", "sigma_times", "xtv", "xv"]


def block_cols(L: int, itemsize: int = 8, minimum: int = 256) -> int:
    """Columns per slab so that an (L, b) slab stays near ``config.BLOCK_BYTES``."""
    return max(minimum, config.BLOCK_BYTES // max(1, itemsize * L))


def xv(X: np.ndarray, v: np.ndarray) -> np.ndarray:
    """``X @ v`` in float64 without upcasting a float32 X whole (blocks of columns)."""
    if X.dtype == np.float64:
        return X @ v
    out = np.zeros((X.shape[0],) + v.shape[1:])
    b = block_cols(X.shape[0] * (1 if v.ndim == 1 else v.shape[1]))
    for j0 in range(0, X.shape[1], b):
        out += X[:, j0:j0 + b].astype(np.float64) @ v[j0:j0 + b]
    return out


def xtv(X: np.ndarray, v: np.ndarray) -> np.ndarray:
    """``X.T @ v`` in float64 without upcasting a float32 X whole (blocks of columns)."""
    if X.dtype == np.float64:
        return X.T @ v
    out = np.empty((X.shape[1],) + v.shape[1:])
    b = block_cols(X.shape[0])
    for j0 in range(0, X.shape[1], b):
        out[j0:j0 + b] = X[:, j0:j0 + b].T.astype(np.float64) @ v
    return out


def sigma_times(sigma: np.ndarray, Z: np.ndarray) -> np.ndarray:
    """``Sigma @ Z`` for a diagonal (p,) or full (p, p) Sigma and Z (p,) or (p, k)."""
    if sigma.ndim == 2:
        return sigma @ Z
    return sigma * Z if Z.ndim == 1 else sigma[:, None] * Z


def mode_structure(sigma: np.ndarray) -> tuple[float, np.ndarray]:
    """Write a diagonal Sigma as ``c I + diag(delta on S)``: returns (c, S) with c the commonest value,
    unless that value is above the smallest and held by fewer than half of the features (a few equal
    spikes over a tail of distinct values): then c is the smallest value, so that every delta is
    >= 0 and ``c ||theta - theta*||^2 + sum_S delta_j D_j^2`` never cancels."""
    vals, counts = np.unique(sigma, return_counts=True)
    i = int(np.argmax(counts))
    if i > 0 and 2 * counts[i] < sigma.size:
        i = 0
    c = float(vals[i])
    return c, np.flatnonzero(sigma != c)


class Features:
    """Where the columns of X come from: the held matrix ``X`` or a ``(design, seed)`` stream.

    Parameters
    ----------
    X : ndarray (n, p) or None
    stream : tuple (GaussianDesign, SeedSequence) or None
        A streamed design (diagonal Sigma): blocks are regenerated from the seed on every pass.
    n, p : int (p may be None for a dual path built from a Gram alone)
    dtype : the precision of the path (blocks are handed out in it)
    """

    def __init__(self, X: np.ndarray | None, stream, n: int, p: int | None, dtype):
        self.X = X
        self.stream = stream
        self.n = n
        self.p = p
        self.dtype = dtype

    @property
    def available(self) -> bool:
        """Whether X can be read (held or regenerated)."""
        return self.X is not None or self.stream is not None

    @property
    def regen_cost(self) -> float:
        """Flops of regenerating X once from its seed (0 for a held X), for the cost models."""
        if self.stream is None:
            return 0.0
        assert self.p is not None  # a streamed design has its p
        return 50.0 * self.n * self.p

    def need(self, what: str) -> None:
        if not self.available:
            raise ValueError(f"{what} needs the design matrix: this dual path was built from the Gram "
                             "alone; pass X= to RidgePath.from_gram")

    def blocks(self, what: str, b: int | None = None) -> Iterator[tuple[int, int, np.ndarray]]:
        """Yield ``(j0, j1, X[:, j0:j1])``: slices of the held X, or blocks regenerated from the seed
        of a streamed design, in the dtype of the path."""
        self.need(what)
        if self.X is not None:
            b = b or block_cols(self.n)
            assert self.p is not None  # a held X has its p
            for j0 in range(0, self.p, b):
                yield j0, min(self.p, j0 + b), self.X[:, j0:j0 + b]
        else:
            design, seed = self.stream
            for j0, j1, xb in design.iter_blocks(self.n, seed, block=b or block_cols(self.n)):
                yield j0, j1, xb if self.dtype == np.float64 else xb.astype(self.dtype)

    def x_times(self, V: np.ndarray) -> np.ndarray:
        """``X @ V`` in float64 for V (p,) or (p, k). A held X is read only at the rows of V that are
        not zero when they are few (a sparse theta* and Sigma theta*: one column of X, not all of it)."""
        if self.X is not None:
            nz = np.flatnonzero(V if V.ndim == 1 else np.any(V != 0, axis=1))
            assert self.p is not None  # a held X has its p
            if nz.size <= self.p // 8:
                return xv(self.X[:, nz], V[nz])
            return xv(self.X, V)
        out = np.zeros((self.n,) + V.shape[1:])
        for j0, j1, xb in self.blocks("this computation"):
            out += xb.astype(np.float64, copy=False) @ V[j0:j1]
        return out

    def xt_times(self, v: np.ndarray) -> np.ndarray:
        """``X.T @ v`` (p,) or (p, k) in float64 for v (n,) or (n, k), from the held X or regenerated
        blocks."""
        if self.X is not None:
            return xtv(self.X, v)
        assert self.p is not None  # a streamed design has its p
        out = np.empty((self.p,) + v.shape[1:])
        for j0, j1, xb in self.blocks("this computation"):
            out[j0:j1] = xb.T.astype(np.float64, copy=False) @ v
        return out

    def cols(self, S: np.ndarray, what: str) -> np.ndarray:
        """``X[:, S]`` (n, k) in float64."""
        if self.X is not None:
            return self.X[:, S].astype(np.float64)
        XS = np.empty((self.n, S.size))
        for j0, j1, xb in self.blocks(what):
            sel = (S >= j0) & (S < j1)
            XS[:, sel] = xb[:, S[sel] - j0]
        return XS

    def sigma_gram(self, cov: np.ndarray, root: float, unit: float) -> np.ndarray:
        """``X Sigma X^T / unit`` (n, n) float64, for a diagonal (p,) or full (p, p) Sigma; ``root``
        is ``sqrt(unit)`` (powers of 2: the scaling is exact)."""
        self.need("the standard risk")
        n, p = self.n, self.p
        K = np.zeros((n, n), dtype=self.dtype)
        if cov.ndim == 1:
            # X diag(sigma) X^T one column block at a time: never a scaled copy of the whole X.
            sd = (np.sqrt(cov) / root).astype(self.dtype)
            for j0, j1, xb in self.blocks("the standard risk"):
                xs = xb * sd[j0:j1]
                K += xs @ xs.T
        else:
            X = self.X  # full covariances never stream (iter_blocks needs a diagonal)
            assert X is not None and p is not None
            C = (cov / unit).astype(self.dtype, copy=False)
            b = max(16, config.BLOCK_BYTES // (X.itemsize * p))
            for i0 in range(0, n, b):
                K[i0:i0 + b] = (X[i0:i0 + b] @ C) @ X.T
        return K.astype(np.float64, copy=False)

    def times_rows(self, X_new: np.ndarray) -> np.ndarray:
        """``X X_new^T`` (n, m) in float64."""
        self.need("predict")
        if self.X is not None:
            X = self.X
            C = X @ X_new.T.astype(X.dtype, copy=False)
        else:
            C = np.zeros((self.n, X_new.shape[0]), dtype=self.dtype)
            for j0, j1, xb in self.blocks("predict"):
                C += xb @ X_new[:, j0:j1].T.astype(self.dtype, copy=False)
        return C.astype(np.float64, copy=False)


class CentredFeatures(Features):
    """The rescaled design ``X_w = diag(sqrt w) (X - 1 x_off^T)`` of a weighted fit with an intercept
    (:mod:`fastrisk.estimators`), read from the held X without a centred copy.

    Products linear in X (``X_w v``, ``X_w^T v``, ``X_w X_new^T``) are formed from X itself and the
    rank-one correction: their rounding is ``eps |x_off|`` per entry, the rounding a centred copy
    carries anyway. Quadratic ones (``X_w Sigma X_w^T``) and the blocks handed to the passes are
    centred block by block before any product (folding the means into a finished Gram would lose
    ``eps (|x_off| / spread)^2`` relative).

    Parameters
    ----------
    X : ndarray (n, p) float64, the design as fitted.
    x_off : ndarray (p,) column offsets (zeros without an intercept).
    sqrt_w : ndarray (n,) or None, square roots of the sample weights.
    """

    X: np.ndarray  # always held
    p: int

    def __init__(self, X: np.ndarray, x_off: np.ndarray, sqrt_w: np.ndarray | None):
        n, p = X.shape
        super().__init__(X, None, n, p, np.dtype(np.float64))
        self.x_off = np.asarray(x_off, dtype=np.float64)
        self.sqrt_w = sqrt_w

    def _rows(self, M: np.ndarray) -> np.ndarray:
        if self.sqrt_w is None:
            return M
        return self.sqrt_w[:, None] * M if M.ndim == 2 else self.sqrt_w * M

    def block(self, j0: int, j1: int, rows: slice = slice(None)) -> np.ndarray:
        """``X_w[rows, j0:j1]``, a new array."""
        out = self.X[rows, j0:j1] - self.x_off[j0:j1]
        if self.sqrt_w is not None:
            out *= self.sqrt_w[rows, None]
        return out

    def blocks(self, what: str, b: int | None = None) -> Iterator[tuple[int, int, np.ndarray]]:
        b = b or block_cols(self.n)
        for j0 in range(0, self.p, b):
            j1 = min(self.p, j0 + b)
            yield j0, j1, self.block(j0, j1)

    def x_times(self, V: np.ndarray) -> np.ndarray:
        XV = self.X @ V
        XV -= self.x_off @ V  # broadcasts over rows: 1 (x_off^T V)
        return self._rows(XV)

    def xt_times(self, v: np.ndarray) -> np.ndarray:
        vw = self._rows(v)
        if vw.ndim == 2:  # (n, k): one column per target
            return self.X.T @ vw - self.x_off[:, None] * vw.sum(axis=0)
        return self.X.T @ vw - self.x_off * float(np.sum(vw))

    def cols(self, S: np.ndarray, what: str) -> np.ndarray:
        return self._rows(self.X[:, S] - self.x_off[S])

    def sigma_gram(self, cov: np.ndarray, root: float, unit: float) -> np.ndarray:
        n, p = self.n, self.p
        K = np.zeros((n, n))
        if cov.ndim == 1:
            sd = np.sqrt(cov) / root
            for j0, j1, xb in self.blocks("the standard risk"):
                xb *= sd[j0:j1]
                K += xb @ xb.T
            return K
        C = cov / unit
        b = max(16, config.BLOCK_BYTES // (8 * p))
        for i0 in range(0, n, b):
            rows = slice(i0, min(n, i0 + b))
            K[rows] = self.x_times((self.block(0, p, rows) @ C).T).T
        return K

    def times_rows(self, X_new: np.ndarray) -> np.ndarray:
        return self.x_times(np.ascontiguousarray(X_new.T, dtype=np.float64))
