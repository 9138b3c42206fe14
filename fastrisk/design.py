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
    check_nonnegative_float,
    check_positive_int,
    check_vector,
)
from .spectra import FlatTail

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
    theta_tail_norm : float, optional
        Only with a compact spectrum (:class:`fastrisk.spectra.FlatTail`, e.g.
        ``spectra.two_level(p, low, tau=2, compact=True)``): then ``theta_star`` has the length m of
        its leading coordinates and this is the l2 norm of theta*'s part on the flat tail (default 0).
        Every l2 quantity depends on that part only through its norm (the tail is rotation
        invariant), so one number stands for any tail part, dense or sparse.

    Attributes
    ----------
    p : int
    cov : ndarray, (p,) for diagonal Sigma, (p, p) otherwise (read-only)
    theta_star : ndarray (p,) (read-only)
    noise : float
    is_diagonal : bool

    Compact designs (a :class:`~fastrisk.spectra.FlatTail` spectrum) never hold a length-p array:
    ``cov``, ``theta_star``, ``spectrum``, ``sample`` and everything built on them refuse with a
    ``TypeError`` that says so; ``compact``, ``theta_lead``, ``theta_tail_norm``, ``p``, ``trace`` and
    ``noise`` describe them, :meth:`RidgePath.from_design` with ``tail="wishart"`` simulates them, and
    :meth:`expanded` gives the equivalent design with length-p arrays (theta*'s tail part on the
    first tail coordinate) where p is small enough.

    Notes
    -----
    A design is a value: it keeps read-only copies of ``spectrum``/``cov`` and ``theta_star``, so
    changing the caller's arrays afterwards changes nothing, and its attributes cannot be reassigned
    (make a new design instead). Paths may therefore cache what they computed for a design.

    Examples
    --------
    >>> import numpy as np
    >>> import fastrisk as fr
    >>> from fastrisk import spectra
    >>> spec = spectra.spiked(200, 5, spike=1.0, tail=0.05)
    >>> design = fr.GaussianDesign(spec, np.eye(200)[0], noise=0.5)
    >>> X, y = design.sample(50, seed=0)
    >>> X.shape, y.shape, round(design.trace, 2)
    ((50, 200), (50,), 14.75)
    >>> float(design.excess_risk(np.zeros(200)))  # ||0 - theta*||_Sigma^2 = Sigma_11
    1.0
    """

    __slots__ = ("_cov", "_p", "_theta_star", "_noise", "_is_diagonal", "_factor", "_cov_key", "_key",
                 "_theta_key", "_compact", "_theta_tail")
    _cov: np.ndarray
    _cov_key: bytes
    _theta_key: bytes
    _key: bytes
    _compact: FlatTail | None
    _theta_tail: float

    def __init__(self, spectrum=None, theta_star=None, noise: float = 0.0, *, cov=None,
                 theta_tail_norm: float | None = None):
        if (spectrum is None) == (cov is None):
            raise TypeError("GaussianDesign needs exactly one of spectrum= or cov=")
        self._compact = None
        self._theta_tail = 0.0
        given = spectrum if cov is None else cov
        if isinstance(given, FlatTail):
            self._init_compact(given, theta_star, noise, theta_tail_norm)
            return
        if theta_tail_norm is not None:
            raise TypeError("theta_tail_norm is only for a compact spectrum (spectra.FlatTail, e.g. "
                            "compact=True); with a length-p spectrum give theta_star whole")
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

    def _init_compact(self, spec: FlatTail, theta_star, noise, theta_tail_norm) -> None:
        if theta_star is None:
            raise TypeError(f"theta_star is required: with a compact spectrum, the ground truth on its "
                            f"{spec.m} leading coordinates, shape ({spec.m},)")
        ts = as_float_vector(theta_star, spec.m, "theta_star", f" (the leading coordinates of {spec!r})")
        t = 0.0 if theta_tail_norm is None else check_nonnegative_float(
            theta_tail_norm, "theta_tail_norm", " (the l2 norm of theta*'s tail part)")
        if t > 0 and spec.n_tail == 0:
            raise ValueError(f"theta_tail_norm must be 0: {spec!r} has no tail coordinate")
        self._compact = spec
        self._cov = np.zeros(0)  # never read: cov refuses a compact design
        self._p = spec.p
        self._theta_star = _frozen(ts)
        self._theta_tail = t
        self._noise = check_noise(noise)
        self._is_diagonal = True
        self._factor = None
        self._hash()

    def _hash(self) -> None:
        # a design is a value: paths cache what they computed for it under these keys, hashed once
        if self._compact is not None:
            c = self._compact
            self._cov_key = b"flat" + _digest(c.lead, np.array([c.tail, float(c.p)]))
            self._theta_key = _digest(self._theta_star, np.array([self._theta_tail]))
            self._key = self._cov_key + _digest(self._theta_star,
                                                np.array([self._theta_tail, self._noise]))
            return
        self._cov_key = _digest(self._cov)
        self._theta_key = _digest(self._theta_star)
        self._key = self._cov_key + _digest(self._theta_star, np.array([self._noise]))

    def __getstate__(self):
        if self._compact is not None:
            return {"compact": self._compact, "theta_star": self._theta_star, "noise": self._noise,
                    "theta_tail_norm": self._theta_tail}
        return {"cov": self._cov, "theta_star": self._theta_star, "noise": self._noise}

    def __setstate__(self, state):
        self._compact = None
        self._theta_tail = 0.0
        if "compact" in state:
            self._init_compact(state["compact"], state["theta_star"], state["noise"],
                               state["theta_tail_norm"])
            return
        # unpickled arrays come back writeable: freeze them again (already validated once)
        self._cov = _frozen(state["cov"])
        self._p = self._cov.shape[0]
        self._theta_star = _frozen(state["theta_star"])
        self._noise = float(state["noise"])
        self._is_diagonal = self._cov.ndim == 1
        self._factor = None
        self._hash()

    @property
    def cov(self):  # untyped, as the attribute it replaced: callers pass it on as they please
        """Covariance: (p,) diagonal or (p, p), read-only (refused for a compact design)."""
        if self._compact is not None:
            self._refuse("cov (a length-p array)")
        return self._cov

    @property
    def theta_star(self):
        """Ground truth (p,), read-only (refused for a compact design: see :attr:`theta_lead`)."""
        if self._compact is not None:
            self._refuse("theta_star (a length-p array; theta_lead and theta_tail_norm describe it)")
        return self._theta_star

    compact = property(lambda self: self._compact,
                       doc="The compact spectrum (:class:`~fastrisk.spectra.FlatTail`), or None.")
    theta_lead = property(lambda self: self._theta_star if self._compact is not None else None,
                          doc="Compact designs: theta* on the leading coordinates (m,); else None.")
    theta_tail_norm = property(lambda self: self._theta_tail,
                               doc="Compact designs: the l2 norm of theta*'s tail part (0 otherwise).")

    def _refuse(self, what: str):
        raise TypeError(f"{what} is not available: this design's spectrum is compact ({self._compact!r}) "
                        "and no length-p array is ever formed; use RidgePath.from_design(design, n, lam, "
                        "seed, tail='wishart') and l2 risks, or design.expanded() where p is small")

    def expanded(self) -> GaussianDesign:
        """The same population with length-p arrays (a compact design: theta*'s tail part on the first
        tail coordinate; by rotation invariance every l2 quantity is the same for any tail direction).
        A design that is not compact is returned as it is."""
        if self._compact is None:
            return self
        c = self._compact
        ts = np.zeros(c.p)
        ts[:c.m] = self._theta_star
        if c.n_tail:
            ts[c.m] = self._theta_tail
        return GaussianDesign(c.expand(), ts, self._noise)
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
        if self._compact is not None:
            self._refuse("spectrum (a length-p array)")
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
        if self._compact is not None:
            self._refuse("excess_risk (of a length-p vector)")
        d = check_vector(theta, self.p, "theta") - self.theta_star
        return self.sigma_norm_sq(d)

    @property
    def trace(self) -> float:
        """``tr(Sigma) = E ||x||_2^2``."""
        if self._compact is not None:
            return self._compact.trace
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
        if self._compact is not None:
            self._refuse("iter_blocks (columns of X, n x p)")
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
        if self._compact is not None:
            self._refuse("sample (X is n x p)")
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
        if self._compact is not None:
            return f"GaussianDesign(p={self.p}, cov={self._compact!r}, noise={self.noise:g})"
        kind = "diagonal" if self.is_diagonal else "full"
        return f"GaussianDesign(p={self.p}, cov={kind}, noise={self.noise:g})"


def as_float_vector(v, length: int, name: str, what: str) -> np.ndarray:
    """:func:`check_vector` with a word on what the length is."""
    try:
        return check_vector(v, length, name)
    except ValueError as exc:
        raise ValueError(f"{exc}{what}") from None


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

