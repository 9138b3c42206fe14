"""Covariance eigenvalue presets (diagonal Sigma), each a 1-D float64 array sorted non-increasingly.

Index convention: eigenvalue ``k`` runs over ``k = 1, ..., p`` as in Bartlett, Long, Lugosi and Tsigler
(2020). Infinite spectra are truncated at ``p``; :func:`tail_mass` reports what the truncation drops.

The flat-tail presets (:func:`isotropic`, :func:`spiked`, :func:`two_level`) also take
``compact=True`` and then return a :class:`FlatTail` (the leading eigenvalues, the tail value and p)
instead of a length-p array: that is how p = 10^9 is described without an array of length p.
"""

from __future__ import annotations

import math
from numbers import Real
from typing import Literal, overload

import numpy as np

from ._validation import check_positive_int

__all__ = ["FlatTail", "isotropic", "power_law", "bllt_log", "two_level", "spiked", "tail_mass"]


def _real(v, name: str, what: str) -> float:
    if isinstance(v, (bool, np.bool_)) or not isinstance(v, Real):
        raise TypeError(f"{name} must be a real number {what}, got {v!r}")
    return float(v)


def _positive(v, name: str) -> float:
    v = _real(v, name, "> 0")
    if not np.isfinite(v) or v <= 0:
        raise ValueError(f"{name} must be a finite number > 0, got {v!r}")
    return v


def _nonneg(v, name: str) -> float:
    v = _real(v, name, ">= 0")
    if not np.isfinite(v) or v < 0:
        raise ValueError(f"{name} must be a finite number >= 0, got {v!r}")
    return v


class FlatTail:
    """A diagonal spectrum given compactly: ``lead`` on the first m coordinates, ``tail`` on the other p - m.

    It stands for the array ``concatenate([lead, full(p - m, tail)])`` without ever forming it, so
    that p = 10^9 costs nothing. Accepted where a flat tail is all that matters:
    :class:`fastrisk.GaussianDesign` (with ``theta_star`` over the leading coordinates and, optionally,
    ``theta_tail_norm``), :meth:`fastrisk.RidgePath.from_design` with ``tail="wishart"`` and the theory
    layer (:func:`fastrisk.theory.ridge_equivalent`, :func:`fastrisk.theory.adversarial_equivalent`).
    Everything that needs the length-p array refuses it with a ``TypeError`` saying so (NumPy's
    ``asarray`` of a ``FlatTail`` raises); :meth:`expand` forms the array on purpose.

    Parameters
    ----------
    lead : array_like (m,)
        Eigenvalues of the leading coordinates 1..m (>= 0; m may be 0). They may equal ``tail``.
    tail : float
        The eigenvalue of the coordinates m+1..p (>= 0).
    p : int
        Dimension, >= m.

    Examples
    --------
    >>> from fastrisk import spectra
    >>> s = spectra.two_level(10**9, 1e-7, tau=2.0, compact=True)
    >>> s.m, s.tail, s.p
    (106, 1e-07, 1000000000)
    >>> spectra.FlatTail([3.0, 2.0], 0.5, 5).expand()
    array([3. , 2. , 0.5, 0.5, 0.5])
    """

    __slots__ = ("_lead", "_tail", "_p")

    def __init__(self, lead, tail: float, p: int):
        lead = np.array(lead, dtype=np.float64, copy=True)
        if lead.ndim != 1:
            raise ValueError(f"lead must be 1-D (the leading eigenvalues), got shape {lead.shape}")
        if not np.all(np.isfinite(lead)) or np.any(lead < 0):
            raise ValueError("lead must hold finite eigenvalues >= 0")
        lead.setflags(write=False)
        p = check_positive_int(p, "p")
        if lead.size > p:
            raise ValueError(f"lead has {lead.size} eigenvalues but p={p}")
        self._lead = lead
        self._tail = _nonneg(tail, "tail")
        self._p = p

    lead = property(lambda self: self._lead, doc="Leading eigenvalues (m,), read-only.")
    tail = property(lambda self: self._tail, doc="The eigenvalue of the p - m tail coordinates.")
    p = property(lambda self: self._p, doc="Dimension.")
    m = property(lambda self: int(self._lead.size), doc="Number of leading coordinates.")
    n_tail = property(lambda self: self._p - int(self._lead.size), doc="Number of tail coordinates.")

    @property
    def trace(self) -> float:
        """``tr(Sigma) = sum(lead) + tail * (p - m)``."""
        return float(self._lead.sum()) + self._tail * self.n_tail

    def expand(self) -> np.ndarray:
        """The length-p array this spectrum stands for (memory: 8 p bytes)."""
        out = np.full(self._p, self._tail)
        out[:self.m] = self._lead
        return out

    def __array__(self, dtype=None, copy=None):
        raise TypeError(f"{self!r} is a compact spectrum: it stands for a length-p array that is never "
                        "formed, and this function needs that array; use the preset without "
                        "compact=True, or .expand() (8 p bytes), or a function that takes compact "
                        "spectra (GaussianDesign, RidgePath.from_design(..., tail='wishart'), "
                        "theory.ridge_equivalent)")

    def __eq__(self, other) -> bool:
        if not isinstance(other, FlatTail):
            return NotImplemented
        return (self._p == other._p and self._tail == other._tail
                and np.array_equal(self._lead, other._lead))

    __hash__ = None  # type: ignore[assignment]  # a value with an array inside: compared, not hashed

    def __getstate__(self):
        return (self._lead, self._tail, self._p)

    def __setstate__(self, state):
        lead, tail, p = state
        lead = np.array(lead, dtype=np.float64)
        lead.setflags(write=False)
        self._lead, self._tail, self._p = lead, float(tail), int(p)

    def __repr__(self) -> str:
        return f"FlatTail(m={self.m}, tail={self._tail:g}, p={self._p})"


def _flag(v, name: str) -> bool:
    if not isinstance(v, (bool, np.bool_)):
        raise TypeError(f"{name} must be True or False, got {v!r}")
    return bool(v)


@overload
def isotropic(p: int, scale: float = ..., *, compact: Literal[False] = ...) -> np.ndarray: ...
@overload
def isotropic(p: int, scale: float = ..., *, compact: Literal[True]) -> FlatTail: ...
def isotropic(p: int, scale: float = 1.0, *, compact: bool = False) -> np.ndarray | FlatTail:
    """``lambda_k = scale`` for all k: Sigma = scale * I_p.

    Parameters
    ----------
    p : int
        Dimension, >= 1.
    scale : float, default 1.0
        The common eigenvalue, > 0.
    compact : bool, default False
        Return ``FlatTail([], scale, p)`` (no leading coordinate) instead of the array.

    Returns
    -------
    numpy.ndarray (p,) or FlatTail
        The eigenvalues, float64.

    Examples
    --------
    >>> from fastrisk import spectra
    >>> spectra.isotropic(3, 0.5)
    array([0.5, 0.5, 0.5])
    >>> spectra.isotropic(10**9, compact=True)
    FlatTail(m=0, tail=1, p=1000000000)
    """
    p = check_positive_int(p, "p")
    scale = _positive(scale, "scale")
    if _flag(compact, "compact"):
        return FlatTail(np.zeros(0), scale, p)
    return np.full(p, scale)


def power_law(p: int, a: float = 1.0, scale: float = 1.0) -> np.ndarray:
    """``lambda_k = scale * k**(-a)``, k = 1..p. Not benign for a > 1 (k* grows like n).

    Parameters
    ----------
    p : int
        Dimension, >= 1.
    a : float, default 1.0
        Decay exponent, >= 0 (``a = 0`` is isotropic).
    scale : float, default 1.0
        The largest eigenvalue ``lambda_1``, > 0.

    Returns
    -------
    numpy.ndarray (p,)
        The eigenvalues, float64, non-increasing.

    Examples
    --------
    >>> from fastrisk import spectra
    >>> spectra.power_law(4, a=1.0)
    array([1.        , 0.5       , 0.33333333, 0.25      ])
    """
    p = check_positive_int(p, "p")
    a = _nonneg(a, "a")
    k = np.arange(1, p + 1, dtype=np.float64)
    return _positive(scale, "scale") * k ** (-a)


def bllt_log(p: int, beta: float = 2.0, a: float = 1.0, scale: float = 1.0) -> np.ndarray:
    """``lambda_k = scale * k**(-a) * ln(k + 1)**(-beta)``, k = 1..p (Bartlett et al. 2020, Thm 6).

    The infinite sequence is benign iff ``a = 1`` and ``beta > 1``. Truncated at ``p``; simulations
    usually take ``p`` of order ``n**2 / 4``.

    Parameters
    ----------
    p : int
        Dimension (truncation point), >= 1.
    beta : float, default 2.0
        Exponent of the logarithm, >= 0.
    a : float, default 1.0
        Exponent of k, >= 0.
    scale : float, default 1.0
        Overall factor, > 0.

    Returns
    -------
    numpy.ndarray (p,)
        The eigenvalues, float64, non-increasing.

    Examples
    --------
    >>> from fastrisk import spectra
    >>> s = spectra.bllt_log(1000)
    >>> s.shape, round(float(s[0]), 4), round(float(s.sum()), 3)
    ((1000,), 2.0814, 3.243)
    """
    p = check_positive_int(p, "p")
    a = _nonneg(a, "a")
    beta = _nonneg(beta, "beta")
    k = np.arange(1, p + 1, dtype=np.float64)
    return _positive(scale, "scale") * k ** (-a) * np.log1p(k) ** (-beta)


@overload
def two_level(p: int, low: float, *, high: float = ..., k: int | None = ..., tau: float | None = ...,
              compact: Literal[False] = ...) -> np.ndarray: ...
@overload
def two_level(p: int, low: float, *, high: float = ..., k: int | None = ..., tau: float | None = ...,
              compact: Literal[True]) -> FlatTail: ...
def two_level(
    p: int,
    low: float,
    *,
    high: float = 1.0,
    k: int | None = None,
    tau: float | None = None,
    compact: bool = False,
) -> np.ndarray | FlatTail:
    """Two-level spectrum; give exactly one of ``k`` (flat form) or ``tau`` (decaying form).

    Flat form: ``lambda_j = high`` for ``j <= k`` and ``low`` for ``j > k``.

    Decaying form (Bartlett et al. 2020, Thm 6, second example):
    ``lambda_j = high * exp(-j / tau) + low``, j = 1..p. Benign when ``p = omega(n)`` and
    ``n exp(-o(n)) = low * p = o(n)``; the reproduction's instance is ``tau = 2``, ``p = n**1.5``,
    ``low * p = n**0.5``. In float64 only the leading eigenvalues with ``high exp(-j / tau)`` above
    about half an ulp of ``low`` (``2^-53 low``) differ from ``low``: about
    ``tau (ln(high / low) + 36.7)`` of them (``36.7 = 53 ln 2``), 87, 92 and 97 for the reproduction's
    instance at n = 10^3, 10^4, 10^5. So Sigma is exactly ``low * I`` plus a low-rank diagonal part,
    which :class:`fastrisk.RidgePath` detects and exploits.

    ``compact=True`` returns a :class:`FlatTail` holding just those leading eigenvalues (the values
    that differ from ``low``, computed as in the array) and ``low``: its :meth:`FlatTail.expand` is
    this function's array, bit for bit.

    Parameters
    ----------
    p : int
        Dimension, >= 1.
    low : float
        The floor (tail) eigenvalue, >= 0.
    high : float, default 1.0
        The leading level (flat form) or the amplitude of the decay (decaying form), > 0.
    k : int, optional
        Number of leading eigenvalues equal to ``high`` (flat form), 0 <= k <= p.
    tau : float, optional
        Decay length of ``high * exp(-j / tau)`` (decaying form), > 0.
    compact : bool, default False
        Return a :class:`FlatTail` instead of the length-p array.

    Returns
    -------
    numpy.ndarray (p,) or FlatTail
        The eigenvalues, float64, non-increasing.

    Examples
    --------
    >>> from fastrisk import spectra
    >>> spectra.two_level(5, 0.1, high=2.0, k=2)
    array([2. , 2. , 0.1, 0.1, 0.1])
    >>> spectra.two_level(31623, 1e-3, tau=2.0, compact=True).m
    87
    """
    p = check_positive_int(p, "p")
    low = _nonneg(low, "low")
    high = _positive(high, "high")
    compact = _flag(compact, "compact")
    if (k is None) == (tau is None):
        raise ValueError("two_level needs exactly one of k (flat form) or tau (decaying form)")
    if k is not None:
        k = check_positive_int(k, "k", minimum=0)
        if k > p:
            raise ValueError(f"k must be <= p={p}, got {k}")
        if compact:
            return FlatTail(np.full(k, high), low, p)
        out = np.full(p, low)
        out[:k] = high
        return out
    tau = _positive(tau, "tau")
    if compact:
        return FlatTail(_two_level_lead(p, low, high, tau), low, p)
    j = np.arange(1, p + 1, dtype=np.float64)
    return high * np.exp(-j / tau) + low


def _two_level_lead(p: int, low: float, high: float, tau: float) -> np.ndarray:
    """The leading eigenvalues of the decaying two-level form that differ from ``low`` in float64
    (the rest equal ``low`` exactly: ``high exp(-j / tau)`` decreases, and rounding is monotone)."""
    floor = low * 2.0**-54 if low > 0 else 5e-324  # below half an ulp of low: rounds away
    J = min(p, int(math.ceil(tau * (math.log(high) - math.log(floor) + 2.0))) + 2)
    while True:
        j = np.arange(1, J + 1, dtype=np.float64)
        v = high * np.exp(-j / tau) + low
        if J == p or v[-1] == low:
            break
        J = min(p, 2 * J)
    differ = np.flatnonzero(v != low)
    return v[:int(differ[-1]) + 1] if differ.size else np.zeros(0)


@overload
def spiked(p: int, n_spikes: int, spike: float = ..., tail: float = ..., *,
           compact: Literal[False] = ...) -> np.ndarray: ...
@overload
def spiked(p: int, n_spikes: int, spike: float = ..., tail: float = ..., *,
           compact: Literal[True]) -> FlatTail: ...
def spiked(p: int, n_spikes: int, spike: float = 1.0, tail: float = 0.05, *,
           compact: bool = False) -> np.ndarray | FlatTail:
    """``n_spikes`` eigenvalues equal to ``spike`` followed by ``p - n_spikes`` equal to ``tail``.

    Benign when ``n_spikes = o(n)``, ``p = omega(n)`` and ``(p - n_spikes) * tail / n << spike``; the
    implicit ridge of the min-norm interpolator is about ``(p - n_spikes) * tail / n``.

    Parameters
    ----------
    p : int
        Dimension, >= 1.
    n_spikes : int
        Number of spikes, 0 <= n_spikes <= p.
    spike : float, default 1.0
        The spike eigenvalue, > 0.
    tail : float, default 0.05
        The eigenvalue of the other ``p - n_spikes`` coordinates, >= 0.
    compact : bool, default False
        Return ``FlatTail([spike] * n_spikes, tail, p)`` instead of the array.

    Returns
    -------
    numpy.ndarray (p,) or FlatTail
        The eigenvalues, float64, non-increasing.

    Examples
    --------
    >>> from fastrisk import spectra
    >>> spectra.spiked(5, 2, spike=1.0, tail=0.05)
    array([1.  , 1.  , 0.05, 0.05, 0.05])
    """
    p = check_positive_int(p, "p")
    n_spikes = check_positive_int(n_spikes, "n_spikes", minimum=0)
    if n_spikes > p:
        raise ValueError(f"n_spikes must be <= p={p}, got {n_spikes}")
    tail = _nonneg(tail, "tail")
    spike = _positive(spike, "spike")
    if _flag(compact, "compact"):
        return FlatTail(np.full(n_spikes, spike), tail, p)
    out = np.full(p, tail)
    out[:n_spikes] = spike
    return out


def tail_mass(kind: str, p: int, **params) -> float:
    """Mass ``sum_{k > p} lambda_k`` that truncating an infinite preset at ``p`` drops.

    Supported kinds: ``"power_law"`` (a > 1) and ``"bllt_log"`` (a = 1, beta > 1, or a > 1), by the
    integral bound ``int_p^inf`` of the (decreasing) eigenvalue function, accurate to
    ``lambda_p / 2``.

    Parameters
    ----------
    kind : {"power_law", "bllt_log"}
        The preset.
    p : int
        Truncation point, >= 1.
    **params
        The preset's parameters: ``a``, ``scale`` (and ``beta`` for ``"bllt_log"``), as in
        :func:`power_law` and :func:`bllt_log`.

    Returns
    -------
    float
        The dropped mass; ``inf`` where the infinite sequence is not summable.

    Examples
    --------
    >>> from fastrisk import spectra
    >>> round(spectra.tail_mass("power_law", 1000, a=2.0), 6)
    0.001
    >>> spectra.tail_mass("power_law", 1000, a=1.0)
    inf
    """
    from scipy import integrate

    allowed = {"power_law": {"a", "scale"}, "bllt_log": {"a", "beta", "scale"}}
    if not isinstance(kind, str) or kind not in allowed:
        raise ValueError(f"kind must be 'power_law' or 'bllt_log', got {kind!r}")
    unknown = set(params) - allowed[kind]
    if unknown:
        raise TypeError(f"tail_mass({kind!r}) got unexpected keyword(s) {sorted(unknown)}; it takes "
                        f"{sorted(allowed[kind])}")
    p = check_positive_int(p, "p")
    scale = _positive(params.get("scale", 1.0), "scale")
    a = _nonneg(params.get("a", 1.0), "a")
    if kind == "power_law":
        if a <= 1:
            return float("inf")
        return scale * (p + 0.5) ** (1 - a) / (a - 1)
    if kind == "bllt_log":
        beta = _nonneg(params.get("beta", 2.0), "beta")
        if a < 1 or (a == 1 and beta <= 1):
            return float("inf")

        def f(u):  # t = exp(u): int t^-a ln(1+t)^-beta dt = int e^{u(1-a)} ln(1+e^u)^-beta du
            return np.exp(u * (1.0 - a)) * np.logaddexp(0.0, u) ** (-beta)

        val, _ = integrate.quad(f, math.log(p + 0.5), np.inf, limit=500)
        return scale * float(val)
    raise ValueError(f"kind must be 'power_law' or 'bllt_log', got {kind!r}")
