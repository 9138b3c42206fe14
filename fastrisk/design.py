"""Gaussian population designs: x ~ N(0, Sigma), y = x^T theta_star + noise * N(0, 1).

Randomness: one :class:`numpy.random.SeedSequence` per call, with fixed child keys
(``(0, c)`` for column chunk ``c`` of X, ``(1,)`` for the label noise), so that any block can be
regenerated on its own and the data never depend on the block size the caller uses.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator

import numpy as np

from . import config
from ._validation import (
    check_cov,
    check_noise,
    check_positive_int,
    check_vector,
)

__all__ = ["GaussianDesign", "as_seed_sequence"]


def as_seed_sequence(seed) -> np.random.SeedSequence:
    """An int, a SeedSequence or None (fresh OS entropy) as a SeedSequence."""
    if isinstance(seed, np.random.SeedSequence):
        return seed
    if isinstance(seed, (bool, np.bool_)):
        raise TypeError(f"seed must be an int, a numpy.random.SeedSequence or None, got {seed!r}")
    if seed is None or isinstance(seed, (int, np.integer)):
        if seed is not None and seed < 0:
            raise ValueError(f"seed must be a non-negative integer, got {seed!r}")
        return np.random.SeedSequence(None if seed is None else int(seed))
    raise TypeError(f"seed must be an int, a numpy.random.SeedSequence or None, got {seed!r}")


def _frozen(a: np.ndarray) -> np.ndarray:
    """A read-only C-contiguous float64 copy (never a view of the caller's array)."""
    out = np.array(a, dtype=np.float64, order="C", copy=True)
    out.setflags(write=False)
    return out


def _digest(*arrays: np.ndarray) -> bytes:
    """A digest of arrays' shapes and bytes: the value key of a design (computed once, when built)."""
    h = hashlib.blake2b(digest_size=16)
    for a in arrays:
        h.update(repr(a.shape).encode())
        h.update(a.tobytes())
    return h.digest()


def _child(ss: np.random.SeedSequence, *key: int) -> np.random.SeedSequence:
    # Deterministic children (SeedSequence.spawn would depend on how often it was called before).
    return np.random.SeedSequence(ss.entropy, spawn_key=tuple(ss.spawn_key) + key)


class GaussianDesign:
    """Population ``x ~ N(0, Sigma)``, ``y = x^T theta_star + noise * z`` with ``z ~ N(0, 1)``.

    Parameters
    ----------
    spectrum : array_like, shape (p,), optional
        Eigenvalues of a diagonal Sigma (e.g. from :mod:`fastrisk.spectra`). Give this or ``cov``.
    theta_star : array_like, shape (p,)
        Ground-truth coefficients (required).
    noise : float, default 0.0
        Standard deviation sigma of the additive label noise (not the variance).
    cov : array_like, shape (p,) or (p, p), optional
        Covariance: 1-D means diagonal (same as ``spectrum``); 2-D must be symmetric PSD.

    Attributes
    ----------
    p : int
    cov : ndarray, (p,) for diagonal Sigma, (p, p) otherwise (read-only)
    theta_star : ndarray (p,) (read-only)
    noise : float
    is_diagonal : bool

    Notes
    -----
    A design is a value: it keeps read-only copies of ``spectrum``/``cov`` and ``theta_star``, so
    changing the caller's arrays afterwards changes nothing, and its attributes cannot be reassigned
    (make a new design instead). Paths may therefore cache what they computed for a design.
    """

    __slots__ = ("_cov", "_p", "_theta_star", "_noise", "_is_diagonal", "_factor", "_cov_key", "_key",
                 "_theta_key")

    def __init__(self, spectrum=None, theta_star=None, noise: float = 0.0, *, cov=None):
        if (spectrum is None) == (cov is None):
            raise TypeError("GaussianDesign needs exactly one of spectrum= or cov=")
        c = check_cov(spectrum if cov is None else cov, name="spectrum" if cov is None else "cov")
        p = c.shape[0]
        if theta_star is None:
            raise TypeError("theta_star is required: the ground-truth coefficients, shape (p,)")
        self._cov = _frozen(c)
        self._p = p
        self._theta_star = _frozen(check_vector(theta_star, p, "theta_star"))
        self._noise = check_noise(noise)
        self._is_diagonal = c.ndim == 1
        self._factor: np.ndarray | None = None
        self._hash()

    def _hash(self) -> None:
        # a design is a value: paths cache what they computed for it under these keys, hashed once
        self._cov_key = _digest(self._cov)
        self._theta_key = _digest(self._theta_star)
        self._key = self._cov_key + _digest(self._theta_star, np.array([self._noise]))

    def __getstate__(self):
        return {"cov": self._cov, "theta_star": self._theta_star, "noise": self._noise}

    def __setstate__(self, state):
        # unpickled arrays come back writeable: freeze them again (already validated once)
        self._cov = _frozen(state["cov"])
        self._p = self._cov.shape[0]
        self._theta_star = _frozen(state["theta_star"])
        self._noise = float(state["noise"])
        self._is_diagonal = self._cov.ndim == 1
        self._factor = None
        self._hash()

    cov = property(lambda self: self._cov, doc="Covariance: (p,) diagonal or (p, p), read-only.")
    theta_star = property(lambda self: self._theta_star, doc="Ground truth (p,), read-only.")
    p = property(lambda self: self._p, doc="Number of features.")
    noise = property(lambda self: self._noise, doc="Label-noise standard deviation.")
    is_diagonal = property(lambda self: self._is_diagonal, doc="Whether Sigma is diagonal.")
    cov_key = property(lambda self: self._cov_key,
                       doc="Digest of the covariance (equal covariances, equal keys): a cache key.")
    theta_key = property(lambda self: self._theta_key,
                         doc="Digest of theta_star alone (designs that differ only in noise share it).")
    key = property(lambda self: self._key,
                   doc="Digest of the whole design (covariance, theta_star, noise): a cache key.")

    # ----------------------------------------------------------------------------- population
    @property
    def spectrum(self) -> np.ndarray:
        """Eigenvalues of Sigma, non-increasing."""
        if self.is_diagonal:
            return np.sort(self.cov)[::-1]
        return np.linalg.eigvalsh(self.cov)[::-1].clip(min=0.0)

    def cov_matvec(self, v: np.ndarray) -> np.ndarray:
        """Sigma @ v."""
        return self.cov * v if self.is_diagonal else self.cov @ v

    def sigma_norm_sq(self, v: np.ndarray) -> float:
        """``v^T Sigma v``."""
        return float(v @ self.cov_matvec(v))

    def excess_risk(self, theta) -> float:
        """Standard (excess) risk ``(theta - theta_star)^T Sigma (theta - theta_star)`` of one vector."""
        d = check_vector(theta, self.p, "theta") - self.theta_star
        return self.sigma_norm_sq(d)

    @property
    def trace(self) -> float:
        """``tr(Sigma) = E ||x||_2^2``."""
        return float(self.cov.sum() if self.is_diagonal else np.trace(self.cov))

    # ----------------------------------------------------------------------------- sampling
    def _sqrt_factor(self) -> np.ndarray:
        # Sigma = Q diag(w) Q^T, F = diag(sqrt w) Q^T so that x = F^T z has covariance Sigma.
        if self._factor is None:
            w, Q = np.linalg.eigh(self.cov)
            self._factor = np.ascontiguousarray(np.sqrt(w.clip(min=0.0))[:, None] * Q.T)
        return self._factor

    def iter_blocks(self, n: int, seed, block: int | None = None, dtype=np.float64
                    ) -> Iterator[tuple[int, int, np.ndarray]]:
        """Yield ``(start, stop, X[:, start:stop])`` column blocks of the design (diagonal Sigma only).

        ``block`` is rounded up to a multiple of :data:`fastrisk.config.GEN_BLOCK`; the blocks are
        the same numbers as the columns of :meth:`sample` for the same ``n`` and ``seed``, so a
        streaming reduction can regenerate any block instead of holding X.
        """
        if not self.is_diagonal:
            raise ValueError("iter_blocks needs a diagonal covariance; a 2-D cov mixes all columns")
        n = check_positive_int(n, "n")
        dtype = _check_float_dtype(dtype)
        ss = as_seed_sequence(seed)
        g = config.GEN_BLOCK
        step = g if block is None else g * max(1, -(-check_positive_int(block, "block") // g))
        sd = np.sqrt(self.cov)
        for start in range(0, self.p, step):
            stop = min(start + step, self.p)
            out = np.empty((n, stop - start), dtype=dtype)
            for c0 in range(start, stop, g):
                c1 = min(c0 + g, stop)
                rng = np.random.Generator(np.random.PCG64(_child(ss, 0, c0 // g)))
                z = rng.standard_normal((n, c1 - c0))
                z *= sd[c0:c1]
                out[:, c0 - start:c1 - start] = z
            yield start, stop, out

    def sample(self, n: int, seed=None, *, block: int | None = None, dtype=np.float64
               ) -> tuple[np.ndarray, np.ndarray]:
        """Draw ``n`` i.i.d. pairs.

        Parameters
        ----------
        n : int
            Sample size (>= 1).
        seed : int, numpy.random.SeedSequence or None
            The same seed gives the same (X, y) whatever ``block``; rows are nested (the first
            ``n1`` rows for ``n > n1`` equal the sample of size ``n1``).
        block : int, optional
            Columns generated at once (memory only; never changes the numbers).
        dtype : numpy dtype, default float64
            float32 returns the float64 draw rounded to float32.

        Returns
        -------
        X : ndarray (n, p), C-contiguous
        y : ndarray (n,), float64, ``X @ theta_star + noise * z`` computed in float64
        """
        n = check_positive_int(n, "n")
        dtype = _check_float_dtype(dtype)
        if block is not None:
            check_positive_int(block, "block")
        ss = as_seed_sequence(seed)
        X = np.empty((n, self.p), dtype=dtype)
        signal = np.zeros(n)
        if self.is_diagonal:
            g = config.GEN_BLOCK
            for start, stop, xb in self.iter_blocks(n, ss, block=block, dtype=np.float64):
                X[:, start:stop] = xb
                for c0 in range(start, stop, g):  # fixed summation order: y independent of block
                    signal += xb[:, c0 - start:c0 - start + g] @ self.theta_star[c0:c0 + g]
        else:
            F = self._sqrt_factor()
            X[...] = 0.0
            acc = X if dtype == np.float64 else np.zeros((n, self.p))  # float64 accumulation
            g = config.GEN_BLOCK
            for c0 in range(0, self.p, g):
                c1 = min(c0 + g, self.p)
                rng = np.random.Generator(np.random.PCG64(_child(ss, 0, c0 // g)))
                acc += rng.standard_normal((n, c1 - c0)) @ F[c0:c1]
            if acc is not X:
                X[...] = acc
            signal = acc @ self.theta_star
        return X, self._labels(signal, ss)

    def _labels(self, signal: np.ndarray, ss: np.random.SeedSequence) -> np.ndarray:
        """``y = signal + noise * z`` with z from the noise child of ``ss``."""
        if self.noise == 0:
            return signal
        rng = np.random.Generator(np.random.PCG64(_child(ss, 1)))
        return signal + self.noise * rng.standard_normal(signal.shape[0])

    def __repr__(self) -> str:
        kind = "diagonal" if self.is_diagonal else "full"
        return f"GaussianDesign(p={self.p}, cov={kind}, noise={self.noise:g})"


def _check_float_dtype(dtype) -> np.dtype:
    """float32 or float64 (the dtypes a design can be drawn in), else TypeError naming ``dtype``."""
    try:
        dt = np.dtype(dtype)
    except TypeError as exc:
        raise TypeError(f"dtype must be float32 or float64, got {dtype!r}") from exc
    if dt not in (np.float32, np.float64):
        raise TypeError(f"dtype must be float32 or float64, got {dt}")
    return dt


def _as_design(design) -> GaussianDesign:
    if not isinstance(design, GaussianDesign):
        raise TypeError(f"design must be a fastrisk.GaussianDesign, got {type(design).__name__}")
    return design

