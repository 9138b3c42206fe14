"""Deterministic equivalents of ridge regression on a diagonal covariance, for a whole penalty path.

Conventions
-----------
- Public penalty ``lam``: the *unnormalised* ridge of ``||y - X theta||^2 + lam ||theta||^2``
  (fastrisk's convention). Internally the normalised penalty ``l = lam / n`` of
  ``(1/n)||y - X theta||^2 + l ||theta||^2`` is used.
- ``spectrum``: the diagonal of Sigma, in the same coordinates as ``theta_star`` (never re-sorted
  against it). Zero eigenvalues are allowed: their coordinates carry no risk and the estimator is 0
  there.
- ``noise``: the label-noise standard deviation sigma (not the variance).

The effective regularisation kappa solves (Cheng & Montanari 2022; Bach 2024; docs/math.md section 6)::

    kappa - l = (kappa / n) df_1(kappa),   df_1(kappa) = sum_i lam_i / (lam_i + kappa),

on the branch where ``df_2(kappa) = sum_i lam_i^2 / (lam_i + kappa)^2 < n``; there
``l(kappa) = kappa (1 - df_1(kappa) / n)`` is explicit and strictly increasing (its derivative is
``1 - df_2 / n``), so kappa is the unique monotone root. Then, with ``d = df_2 / n``
(docs/math.md sections 6-7)::

    bias  = kappa^2 sum theta*_i^2 lam_i / (lam_i + kappa)^2 / (1 - d)
    var   = sigma^2 d / (1 - d),  risk = bias + var,  tau^2 = sigma^2 + risk
    E||theta||_2^2 = sum theta*_i^2 lam_i^2 / (lam_i + kappa)^2 + tau^2 / n sum lam_i / (lam_i + kappa)^2

and the Gaussian sequence model ``theta_i ~ N(lam_i theta*_i / (lam_i + kappa),
tau^2 lam_i / (n (lam_i + kappa)^2))`` gives E||theta||_1 (folded-normal means) and E||theta||_inf.

Speed: every quantity is a function of kappa alone (and ``l(kappa)`` is explicit). The seven spectral
sums behind them (``df_1``, ``df_2``, ``sum lam/(lam+kappa)^2``, ``sum sqrt(lam)/(lam+kappa)`` over the
spectrum; three signal sums over the coordinates with ``theta*_i != 0``) are smooth in
``u = log(kappa - s0)`` (``s0 = 0`` for positive kappa, else between ``-min lam`` and the smallest kappa;
their poles sit at ``Im u = pi``). They are evaluated once at Chebyshev points in u, one Numba pass over
the spectrum per point, interpolated in log scale (checked against exact sums between the nodes to
1e-12, the degree raised until it passes), and every penalty of the path is solved on the interpolant
(bisection on ``l(kappa)``): the cost is O(p * nodes + L * nodes) instead of O(p * L * iterations).
Equal eigenvalues are merged first (spiked, two_level, isotropic collapse to a handful of terms); an
already strictly monotone spectrum (every preset) is used without a copy.
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.polynomial import chebyshev as C
from scipy import fft as sfft
from scipy.interpolate import PchipInterpolator
from scipy.optimize import brentq

from .._validation import (
    check_eps,
    check_lam,
    check_noise,
    check_norm,
    check_positive_int,
    check_spectrum,
    check_target,
    check_vector,
)
from ..kernels.theory import (
    bulk_sums,
    df_sums,
    expected_max_abs,
    log_bins,
    signal_sums,
    strictly_monotone,
    support_norm1,
)
from ..risk import _closed_form
from . import _compact, _scale

__all__ = ["RidgeEquivalent", "ridge_equivalent", "adversarial_equivalent", "effective_regularization"]

ArrayLike = Any

#: Relative accuracy (in log scale) that the Chebyshev interpolants of the spectral sums must reach at
#: the check points between nodes before they are used.
INTERP_RTOL = 1e-12
#: Largest Chebyshev degree tried before giving up on the accuracy check (with a warning).
MAX_DEGREE = 4096
#: Largest normalised penalty ``lam / n`` accepted (spectral sums ~ 1/kappa^2 stay representable).
MAX_NORMALISED_LAM = 1e100
#: Atoms per block of the Numba spectral pass.
SUM_BLOCK = 2048
#: Zero-signal eigenvalues are binned in log scale into at most this many bins for E||theta||_inf.
LINF_MAX_BINS = 2048
#: Number of kappa anchors at which E||theta||_inf is computed exactly (then interpolated).
LINF_ANCHORS = 48
_SQRT_2_OVER_PI = math.sqrt(2.0 / math.pi)
N_SUMS = 7
_TINY = np.finfo(np.float64).tiny


@dataclass(frozen=True)
class RidgeEquivalent:
    """Deterministic equivalent of a ridge path; every array field has the shape (L,) of ``lam``.

    Attributes
    ----------
    lam : unnormalised penalties (``||y - X theta||^2 + lam ||theta||^2``).
    kappa : effective regularisation, in the units of the eigenvalues (normalised scale).
    bias, variance, risk : excess (standard) risk ``||theta - theta*||_Sigma^2`` and its two parts.
    norm2_sq : predicted ``E ||theta||_2^2``.
    norm1, norm_inf : sequence-model predictions of ``E ||theta||_1`` and ``E ||theta||_inf`` (NaN if
        ``sequence_norms=False``). norm_inf is exact at up to ``LINF_ANCHORS`` penalties and
        interpolated (monotone cubic in log kappa) between them when the path is longer: relative
        accuracy about 1e-3 on long decaying spectra, better on few-valued ones (the sequence model
        itself is an approximation of a coarser order).
    inner : predicted ``E theta^T theta*``.
    inner_sq : predicted ``E (theta^T theta*)^2`` (for the "consistent" attack).
    df2 : ``df_2(kappa) / n`` (the ``d`` above; 1 at the interpolation threshold).
    lam_min : float, unnormalised penalty below which the self-consistent equation has no solution on
        the monotone branch (``n * kappa_c (1 - df_1(kappa_c)/n)`` with ``df_2(kappa_c) = n``); NaN when
        it was not needed (no negative penalty asked for and p != n).
    n : int, sample size.
    noise : float, sigma.

    At ``lam == lam_min`` (in practice: ``lam = 0`` with exactly ``n`` positive eigenvalues, the
    interpolation threshold p = n) the variance, risk and norms are ``inf`` (if sigma > 0 or the bias
    numerator is > 0), kappa is ``kappa_c`` and bias is 0 when ``kappa_c = 0``.
    """

    lam: np.ndarray
    kappa: np.ndarray
    bias: np.ndarray
    variance: np.ndarray
    risk: np.ndarray
    norm2_sq: np.ndarray
    norm1: np.ndarray
    norm_inf: np.ndarray
    inner: np.ndarray
    inner_sq: np.ndarray
    df2: np.ndarray
    lam_min: float
    n: int
    noise: float

    @property
    def tau2(self) -> np.ndarray:
        """``sigma^2 + risk``: the total prediction error, the noise level of the sequence model."""
        return self.noise**2 + self.risk


# ----------------------------------------------------------------------------------------- atoms
class _Atoms:
    """The spectrum as atoms (positive eigenvalues, equal values merged) and its signal coordinates."""

    def __init__(self, spectrum: np.ndarray, theta_star: np.ndarray, n: int):
        pos = spectrum > 0
        lp = spectrum if bool(pos.all()) else spectrum[pos]
        if strictly_monotone(lp):  # presets: already distinct, no sort and no copy
            self.lam = np.ascontiguousarray(lp)
            self.mult = np.zeros(0)
        else:
            u, c = np.unique(lp, return_counts=True)
            self.lam = u
            self.mult = c.astype(np.float64)
        self.sq = np.sqrt(self.lam)
        sup = np.flatnonzero((theta_star != 0.0) & pos)
        self.sup_lam = np.ascontiguousarray(spectrum[sup])
        self.sup_abs = np.ascontiguousarray(np.abs(theta_star[sup]))
        self.sup_t = self.sup_abs**2
        self.p_plus = int(lp.size)
        self.lam_min = float(self.lam.min()) if lp.size else 0.0
        self.trace = float(lp.sum())
        self.n = n
        self.has = np.array([True, True, sup.size > 0, sup.size > 0, True, True, sup.size > 0])

    def counts(self) -> np.ndarray:
        return np.ones(self.lam.size) if self.mult.size == 0 else self.mult

    def sums(self, kappa: np.ndarray) -> np.ndarray:
        """(K, 7): df_1, df_2, sum t lam r^2, sum t lam^2 r^2, sum lam r^2, sum sqrt(lam) r, sum t lam r."""
        kappa = np.ascontiguousarray(np.atleast_1d(kappa), dtype=np.float64)
        b = np.empty((kappa.size, 4))
        bulk_sums(self.lam, self.sq, self.mult, kappa, SUM_BLOCK, b)
        g = np.zeros((kappa.size, 3))
        if self.sup_lam.size:
            signal_sums(self.sup_lam, self.sup_t, kappa, g)
        return np.stack([b[:, 0], b[:, 1], g[:, 0], g[:, 1], b[:, 2], b[:, 3], g[:, 2]], axis=1)

    def df(self, kappa: float) -> tuple[float, float]:
        o1 = np.empty(1)
        o2 = np.empty(1)
        df_sums(self.lam, self.mult, float(kappa), SUM_BLOCK, o1, o2)
        return float(o1[0]), float(o2[0])


def _root_decreasing(f, lo: float, hi: float) -> float:
    """Root of a decreasing f on the log scale of (lo, hi) with ``f(lo) > 0 >= f(hi)`` after widening."""
    k = 0
    while f(lo) <= 0.0:
        lo *= 1e-3
        k += 1
        if k > 200:
            raise RuntimeError("could not bracket the root (spectrum too degenerate)")
    if f(hi) > 0.0:
        return hi
    v = brentq(lambda v: f(math.exp(v)), math.log(lo), math.log(hi), xtol=1e-15, rtol=8.9e-16,
               maxiter=500)
    return math.exp(v)


def _kappa0(at: _Atoms) -> float:
    """Ridgeless effective regularisation: ``df_1(kappa_0) = n`` (p_+ > n), else 0."""
    n = at.n
    if at.p_plus <= n:
        return 0.0
    hi = at.trace / n
    return _root_decreasing(lambda k: at.df(k)[0] - n, hi * 1e-3, hi)


def _kappa_c(at: _Atoms) -> float:
    """Threshold of the monotone branch: ``df_2(kappa_c) = n`` on ``(-lam_min, inf)``."""
    n = at.n
    if at.p_plus == n:
        return 0.0
    if at.p_plus > n:
        hi = math.sqrt(float(np.sum(at.counts() * at.lam**2)) / n)
        return _root_decreasing(lambda k: at.df(k)[1] - n, hi * 1e-3, hi)
    lm = at.lam_min
    # kappa = -lam_min + e, e in (0, lam_min]: df_2 decreasing in e
    e = _root_decreasing(lambda e: at.df(-lm + e)[1] - n, lm * 0.5 / math.sqrt(n), lm)
    return -lm + e


# ------------------------------------------------------------------------------------ interpolant
class _LogChebyshev:
    """Chebyshev interpolants of ``log f_c(kappa(x))``, ``kappa(x) = s0 + exp(um + uh x)``, x in [-1, 1]."""

    def __init__(self, at: _Atoms, kappa_lo: float, kappa_hi: float):
        self.at = at
        # s0 = 0 keeps small positive kappa exact; otherwise halfway between -lam_min and kappa_lo
        s0 = 0.0 if kappa_lo > 0 else 0.5 * (min(kappa_lo, 0.0) - at.lam_min)
        u_lo = math.log(kappa_lo - s0)
        u_hi = math.log(max(kappa_hi, kappa_lo) - s0)
        if u_hi - u_lo < 1e-2:
            u_hi = u_lo + 1e-2
        self.s0 = s0
        self.um = 0.5 * (u_lo + u_hi)
        self.uh = 0.5 * (u_hi - u_lo)
        # geometric convergence for functions analytic in the strip |Im u| < pi (poles of the sums);
        # zeros of the squared-denominator sums can sit closer, which the accuracy check catches
        N = int(math.ceil(30.0 / math.asinh(math.pi / self.uh))) + 4
        N = min(max(N, 8), MAX_DEGREE)
        while True:
            ok, err = self._build(N)
            if ok:
                break
            if N >= MAX_DEGREE:
                warnings.warn(f"spectral-sum interpolant reached only {err:.1e} log accuracy at degree {N}",
                              RuntimeWarning, stacklevel=3)
                break
            N = min(MAX_DEGREE, (3 * N) // 2)
        self.degree = N

    def kappa(self, x):
        return self.s0 + np.exp(self.um + self.uh * np.asarray(x))

    def _build(self, N: int) -> tuple[bool, float]:
        x = np.cos(np.pi * np.arange(N + 1) / N)
        vals = self.at.sums(self.kappa(x))
        has = self.at.has
        logs = np.zeros_like(vals)
        logs[:, has] = np.log(np.maximum(vals[:, has], _TINY))  # underflow only for kappa > ~1e150
        c = sfft.dct(logs, type=1, axis=0) / N
        c[0] *= 0.5
        c[-1] *= 0.5
        self.coef = c
        js = np.unique(np.clip(np.array([0, 1, N // 4, N // 2, (3 * N) // 4, N - 2, N - 1]), 0, N - 1))
        xc = np.cos(np.pi * (js + 0.5) / N)
        exact = self.at.sums(self.kappa(xc))
        approx = C.chebval(xc, c).T  # (len(xc), 7)
        err = float(np.max(np.abs(approx[:, has] - np.log(np.maximum(exact[:, has], _TINY)))))
        return err <= INTERP_RTOL, err

    def sums(self, x) -> np.ndarray:
        """(len(x), 7) interpolated sums (exact zeros where a sum vanishes identically); columns as
        :meth:`_Atoms.sums`."""
        v = np.exp(C.chebval(np.asarray(x), self.coef).T)
        v[:, ~self.at.has] = 0.0
        return v

    def ell(self, x) -> np.ndarray:
        """Normalised penalty ``l(kappa) = kappa (1 - df_1/n)`` at x."""
        k = self.kappa(x)
        return k * (1.0 - np.exp(C.chebval(np.asarray(x), self.coef[:, 0])) / self.at.n)

    def solve(self, ell: np.ndarray) -> np.ndarray:
        """x with ``l(kappa(x)) = ell`` (monotone increasing), by table look-up then bisection."""
        N = self.coef.shape[0] - 1
        xs = np.linspace(-1.0, 1.0, 8 * N + 1)
        gs = np.maximum.accumulate(self.ell(xs))
        idx = np.clip(np.searchsorted(gs, ell), 1, xs.size - 1)
        lo = xs[idx - 1].copy()
        hi = xs[idx].copy()
        c1 = self.coef[:, 0]
        n = self.at.n
        for _ in range(48):
            mid = 0.5 * (lo + hi)
            g = (self.s0 + np.exp(self.um + self.uh * mid)) * (1.0 - np.exp(C.chebval(mid, c1)) / n)
            up = g >= ell
            hi = np.where(up, mid, hi)
            lo = np.where(up, lo, mid)
        return 0.5 * (lo + hi)


# ------------------------------------------------------------------------------------ composition
def _compose(kappa, ell, S, n, sigma2, p_plus):
    """Risk, norms and the sequence-model noise level from kappa and the seven sums (arrays)."""
    df2 = S[:, 1]
    d = df2 / n
    with np.errstate(divide="ignore", invalid="ignore"):
        # 1 - d = l/kappa + kappa * sum lam/(lam+kappa)^2 / n on the root: no cancellation for l >= 0.
        one_md = np.where((kappa != 0.0) & (ell >= 0.0), ell / kappa + kappa * S[:, 4] / n, 1.0 - d)
        one_md = np.where(kappa == 0.0, 1.0 - p_plus / n, one_md)
        bnum = (kappa * np.sqrt(S[:, 2])) ** 2  # no overflow of kappa^2 at huge penalties
        bias = bnum / one_md
        var = sigma2 * d / one_md
        tau2 = (sigma2 + bnum) / one_md
    return d, one_md, bnum, bias, var, tau2


def _solve(at: _Atoms, ell: np.ndarray, sigma2: float, need_kc: bool):
    """kappa, sums and the threshold for every normalised penalty (singular ones flagged)."""
    n = at.n
    L = ell.size
    k0 = _kappa0(at)
    kc = _kappa_c(at) if need_kc else math.nan
    ell_min = kc * (1.0 - at.df(kc)[0] / n) if need_kc else math.nan
    if at.p_plus == n:
        kc, ell_min = 0.0, 0.0
    # lam == lam_min (the reported n * ell_min, passed back) is the threshold itself: compare with a few
    # ulps of slack so that the rounding of (n * ell_min) / n neither rejects it nor solves it as regular
    at_min = (np.abs(ell - ell_min) <= 4.0 * np.finfo(np.float64).eps * abs(ell_min)) if need_kc else None
    if need_kc:
        bad = (ell < ell_min) & ~at_min
        if np.any(bad):
            raise ValueError(
                f"lam must be >= {n * ell_min!r} (n times the smallest normalised penalty "
                f"{ell_min!r} for which the self-consistent equation has a solution on the monotone "
                f"branch; spectrum with {at.p_plus} positive eigenvalues, n={n}); got min "
                f"{n * float(ell.min())!r}")
    singular = at_min if need_kc else np.zeros(L, dtype=bool)
    if at.p_plus == n:
        singular |= ell == 0.0
    # least squares (p < n, lam = 0): kappa = 0 exactly, evaluated directly below
    ols = (ell == 0.0) & (at.p_plus < n)
    reg = ~singular & ~ols
    kappa = np.full(L, kc if need_kc else 0.0)
    S = np.full((L, N_SUMS), np.nan)
    pieces = []
    if np.any(reg):
        # p_+ <= n: kappa changes sign with lam; one interpolant per sign keeps small kappa exact
        if at.p_plus <= n and np.any(reg & (ell < 0)) and np.any(reg & (ell > 0)):
            masks = [reg & (ell < 0), reg & (ell > 0)]
        else:
            masks = [reg]
        for m in masks:
            er = ell[m]
            la, lb = float(er.min()), float(er.max())
            klo = kc if la < 0 else la + k0
            if lb <= 0:
                khi = k0
            else:
                khi = lb + at.trace / n
                if at.p_plus != n:
                    d0 = at.df(k0)[1] / n
                    khi = min(khi, k0 + lb / (1.0 - d0))
            interp = _LogChebyshev(at, klo, khi)
            x = interp.solve(er)
            kappa[m] = interp.kappa(x)
            S[m] = interp.sums(x)
            pieces.append((m, interp))
    if np.any(ols):
        kappa[ols] = 0.0
        S[ols] = at.sums(np.zeros(1))[0]
    if np.any(singular):
        S[singular] = at.sums(kappa[singular])
    return kappa, S, singular, ell_min, pieces


def _validate(spectrum, theta_star, noise, n, lam, theta_tail_norm=None):
    if _compact.is_compact(spectrum):  # a FlatTail: theta* = (theta on the leading coordinates, t)
        s, ts = _compact.validate(spectrum, theta_star, theta_tail_norm)
    elif theta_tail_norm is not None:
        raise TypeError("theta_tail_norm is only for a compact spectrum (spectra.FlatTail); with a "
                        "length-p spectrum give theta_star whole")
    else:
        s = check_spectrum(spectrum)
        ts = check_vector(theta_star, s.size, "theta_star")
    sigma = check_noise(noise)
    n = check_positive_int(n, "n")
    lam = check_lam(lam)
    return s, ts, sigma, n, lam


def ridge_equivalent(spectrum: ArrayLike, theta_star: ArrayLike, noise: float, n: int, lam: ArrayLike,
                     *, sequence_norms: bool = True, theta_tail_norm: float | None = None) -> RidgeEquivalent:
    """Deterministic equivalent of the ridge path on a diagonal covariance (docs/math.md section 6).

    Parameters
    ----------
    spectrum : array_like (p,)
        Diagonal of Sigma (eigenvalues >= 0) in the coordinates of ``theta_star``.
    theta_star : array_like (p,)
        Ground-truth coefficients.
    noise : float
        Label-noise standard deviation sigma (>= 0).
    n : int
        Sample size (>= 1).
    lam : float or array_like (L,)
        Unnormalised penalties of ``||y - X theta||^2 + lam ||theta||^2`` (normalised internally to
        ``lam / n``). ``0`` is the min-norm interpolator (p > n: ``df_1(kappa_0) = n``; p < n: least
        squares, ``kappa = 0``, variance ``sigma^2 p / (n - p)``). Negative values are accepted down to
        ``lam_min`` (see :class:`RidgeEquivalent`); below it a ``ValueError`` is raised.
    sequence_norms : bool, default True
        Compute ``norm1`` and ``norm_inf`` from the Gaussian sequence model. Their cost grows with the
        number of nonzero entries of ``theta_star`` (O(nnz * L)); set False for dense ``theta_star``
        at very large p (the fields are then NaN).
    theta_tail_norm : float, optional
        With a compact ``spectrum`` (:class:`fastrisk.spectra.FlatTail`: leading eigenvalues, a tail
        value and p; no array of length p), ``theta_star`` holds theta* on the leading coordinates and
        this the l2 norm of its part on the tail (default 0). The l2 quantities are exact for any tail
        part; ``norm1``/``norm_inf`` depend on how it is spread and are NaN when it is not 0.

    Returns
    -------
    RidgeEquivalent
        Arrays over ``lam``. Near the interpolation threshold (p close to n, ``lam`` near ``lam_min``)
        ``1 - df_2/n`` tends to 0 and the variance, risk and norms blow up; at the threshold itself
        they are ``inf``.

    Notes
    -----
    Cost: one Numba pass over the (merged) spectrum per Chebyshev node (typically 30-150 nodes,
    whatever the number of penalties), plus O(L * nodes) for the path. Accuracy: equal to a
    per-penalty ``brentq`` solve of the self-consistent equation to about 1e-12 relative, except near
    the threshold, where both lose digits as ``1 - df_2/n`` cancels.
    """
    s, ts, sigma, n, lam = _validate(spectrum, theta_star, noise, n, lam, theta_tail_norm)
    compact = _compact.is_compact(s)
    if not np.any((_compact.short(s) if compact else s) > 0):
        raise ValueError("spectrum has no positive eigenvalue: the risk is identically 0")
    if compact and s.n_tail and ts[-1] > 0:
        sequence_norms = False  # the l1 / l_inf norms need the tail part's spread, not only its norm
    # work in units where max(spectrum) ~ 1 and max(|theta*|, sigma / sqrt(s_max)) ~ 1 (exact powers of
    # two), so that any representable scale gives the digits of an ordinary one (see _scale.py)
    es = _compact.exponent(s) if compact else _scale.spectrum_exponent(s)
    eb = _scale.signal_exponent(ts, sigma, es)
    unit, one_md = _ridge_equivalent_unit(_compact.scaled(s, -es) if compact else _scale.ldexp(s, -es),
                                          _scale.ldexp(ts, -eb),
                                  _scale.ldexp(sigma, -eb - es // 2), n, lam, _scale.ldexp(lam, -es),
                                  sequence_norms)
    sc = {"kappa": es, "bias": es + 2 * eb, "risk": es + 2 * eb, "norm2_sq": 2 * eb, "norm1": eb,
          "norm_inf": eb, "inner": 2 * eb, "inner_sq": 4 * eb}
    out = {k: _scale.ldexp(getattr(unit, k), e) for k, e in sc.items()}
    # the variance is scale-free (sigma^2 d / (1 - d)): from sigma itself, not from the scaled sigma,
    # which may have underflowed beside a much larger theta*
    with np.errstate(invalid="ignore", over="ignore", divide="ignore"):
        var = np.where(one_md > 0, sigma * sigma * (unit.df2 / one_md),
                       np.where(sigma > 0, np.inf, unit.variance))  # one_md = 0: the threshold
        out["variance"] = var
        out["risk"] = np.where(np.isfinite(unit.risk), out["bias"] + var, unit.risk)
    over = [k for k, v in out.items() if np.any(np.isinf(v) & np.isfinite(getattr(unit, k)))]
    if over and set(over) <= {"inner", "inner_sq"}:
        what = {"inner": "inner (E theta^T theta*)", "inner_sq": "inner_sq (E (theta^T theta*)^2)"}
        warnings.warn(f"ridge_equivalent: {' and '.join(what[k] for k in over)} exceeds the float64 range "
                      f"at this scale and is inf; the risks and norms are exact",
                      RuntimeWarning, stacklevel=2)
    for k in over:
        if k not in ("inner", "inner_sq"):
            raise ValueError(f"theta_star, noise and spectrum: the predicted {k} exceeds the float64 range "
                             f"at this scale (bias and variance scale as theta_star^2 and noise^2 times "
                             f"the spectrum's scale, norms as theta_star and noise); rescale them")
    lam_min = _scale.ldexp(unit.lam_min, es) if math.isfinite(unit.lam_min) else unit.lam_min
    return RidgeEquivalent(lam=lam, kappa=out["kappa"], bias=out["bias"], variance=out["variance"],
                           risk=out["risk"], norm2_sq=out["norm2_sq"], norm1=out["norm1"],
                           norm_inf=out["norm_inf"], inner=out["inner"], inner_sq=out["inner_sq"],
                           df2=unit.df2, lam_min=float(lam_min), n=n, noise=sigma)


def _ridge_equivalent_unit(s, ts, sigma, n, lam, ell_lam, sequence_norms):
    """:func:`ridge_equivalent` on validated arguments already in unit scale (``ell_lam = lam`` in the
    spectrum's units; ``lam`` is only stored). Returns the equivalent and ``1 - df_2/n`` (0 at the
    threshold)."""
    at = _compact.atoms(_Atoms, s, ts, n) if _compact.is_compact(s) else _Atoms(s, ts, n)
    ell = ell_lam / n
    if np.any(ell > MAX_NORMALISED_LAM):
        raise ValueError(f"lam must be <= {MAX_NORMALISED_LAM:g} * n * max(spectrum) (the sums underflow "
                         f"beyond; the estimator is 0 to double precision long before), got max "
                         f"{float(lam.max())!r}")
    sigma2 = sigma * sigma
    need_kc = bool(np.any(ell < 0))
    kappa, S, singular, ell_min, pieces = _solve(at, ell, sigma2, need_kc)
    d, one_md, bnum, bias, var, tau2 = _compose(kappa, ell, S, n, sigma2, at.p_plus)
    if np.any(singular):
        blow = singular & ((sigma2 > 0) | (bnum > 0))
        bias = np.where(singular & (bnum == 0), 0.0, np.where(blow, np.inf, bias))
        var = np.where(blow, np.inf, np.where(singular, 0.0, var))
        tau2 = np.where(blow, np.inf, np.where(singular, 0.0, tau2))
    risk = bias + var
    with np.errstate(invalid="ignore"):
        norm2_sq = S[:, 3] + tau2 * S[:, 4] / n
        inner_sq = S[:, 6] ** 2 + tau2 * S[:, 2] / n
    norm1 = np.full(lam.size, np.nan)
    norm_inf = np.full(lam.size, np.nan)
    if sequence_norms:
        norm1, norm_inf = _sequence_norms(at, kappa, tau2, S, pieces, sigma2)
    eq = RidgeEquivalent(lam=lam, kappa=kappa, bias=bias, variance=var, risk=risk, norm2_sq=norm2_sq,
                         norm1=norm1, norm_inf=norm_inf, inner=S[:, 6].copy(), inner_sq=inner_sq,
                         df2=d, lam_min=float(n * ell_min), n=n, noise=sigma)
    return eq, np.where(singular, 0.0, one_md)


# ---------------------------------------------------------------------------- sequence-model norms
def _norm1(at: _Atoms, kappa, tau2, S):
    n = at.n
    tau = np.sqrt(tau2)
    out = _SQRT_2_OVER_PI * tau / math.sqrt(n) * S[:, 5]  # every coordinate as if theta*_i = 0
    if at.sup_lam.size:
        fin = np.isfinite(tau)
        sup = np.full(kappa.size, np.inf)
        z = np.ascontiguousarray(np.sqrt(n * at.sup_lam) * at.sup_abs)
        c = np.ascontiguousarray(np.sqrt(at.sup_lam / n))
        part = np.empty(int(fin.sum()))
        support_norm1(at.sup_lam, z, c, np.ascontiguousarray(kappa[fin]), np.ascontiguousarray(tau[fin]),
                      part)
        sup[fin] = part
        out = out + sup
    return out


def _linf_atoms(at: _Atoms):
    """Atoms for the expected maximum: signal coordinates as they are, zero-signal ones merged (binned in
    log scale, count-weighted mean log eigenvalue per bin, when there are more than ``LINF_MAX_BINS``
    distinct values)."""
    lz = at.lam
    if lz.size > LINF_MAX_BINS:
        lo = math.log(float(lz.min()))
        width = max((math.log(float(lz.max())) - lo) / LINF_MAX_BINS, 1e-300)
        cnt = np.zeros(LINF_MAX_BINS)
        slog = np.zeros(LINF_MAX_BINS)
        log_bins(lz, at.mult, lo, width, cnt, slog)
        if at.sup_lam.size:  # take the signal coordinates out of the zero-mean bins
            log_bins(at.sup_lam, -np.ones(at.sup_lam.size), lo, width, cnt, slog)
        keep = cnt > 0.5
        lz, cz = np.exp(slog[keep] / cnt[keep]), cnt[keep]
    else:
        cz = at.counts().copy()
        if at.sup_lam.size:  # take the signal coordinates out of the zero-mean atoms
            idx = np.searchsorted(lz, at.sup_lam) if lz[0] <= lz[-1] else \
                lz.size - 1 - np.searchsorted(lz[::-1], at.sup_lam)
            np.subtract.at(cz, idx, 1.0)
        keep = cz > 0
        lz, cz = lz[keep], cz[keep]
    lam = np.concatenate([lz, at.sup_lam])
    amp = np.concatenate([np.zeros(lz.size), at.sup_abs])
    mult = np.concatenate([cz, np.ones(at.sup_lam.size)])
    return lam, amp, mult


def expected_max_sequence(lam, amp, mult, kappa, tau2, n) -> np.ndarray:
    """``E max_i |theta_i|`` of the sequence model at each (kappa, tau^2), exactly (quadrature)."""
    kappa = np.atleast_1d(np.asarray(kappa, dtype=np.float64))
    tau2 = np.atleast_1d(np.asarray(tau2, dtype=np.float64))
    r = 1.0 / (lam[None, :] + kappa[:, None])
    mu = np.ascontiguousarray(lam * amp * r)
    sd = np.ascontiguousarray(np.sqrt(tau2)[:, None] * np.sqrt(lam / n) * r)
    gx, gw = np.polynomial.legendre.leggauss(16)
    out = np.empty(kappa.size)
    expected_max_abs(mu, sd, np.ascontiguousarray(mult, dtype=np.float64), gx, gw, 8, out)
    return out


def _norm_inf(at: _Atoms, kappa, tau2, pieces, sigma2):
    lam, amp, mult = _linf_atoms(at)
    n = at.n
    out = np.full(kappa.size, np.inf)
    fin = np.isfinite(tau2)
    done = np.zeros(kappa.size, dtype=bool)
    for m, interp in pieces:
        sel = m & fin
        if sel.sum() <= LINF_ANCHORS:
            continue
        # anchors uniform in x over the solved range; log(E max) is interpolated by a monotone cubic
        xk = (np.log(kappa[sel] - interp.s0) - interp.um) / interp.uh
        a, b = float(xk.min()), float(xk.max())
        xa = np.linspace(a, b, LINF_ANCHORS)
        if not np.all(np.diff(xa) > 0):  # (nearly) one kappa repeated: exact on the distinct values below
            continue
        ka = interp.kappa(xa)
        _, _, _, _, _, ta = _compose(ka, interp.ell(xa), interp.sums(xa), n, sigma2, at.p_plus)
        raw = expected_max_sequence(lam, amp, mult, ka, ta, n)
        if not np.all(raw > 0):  # degenerate (no noise, no signal): compute every penalty exactly
            continue
        out[sel] = np.exp(PchipInterpolator(xa, np.log(raw))(np.clip(xk, a, b)))
        done |= sel
    rest = fin & ~done
    if np.any(rest):  # one quadrature per distinct (kappa, tau^2): repeated penalties cost nothing
        kt, inv = np.unique(np.stack([kappa[rest], tau2[rest]], axis=1), axis=0, return_inverse=True)
        out[rest] = expected_max_sequence(lam, amp, mult, kt[:, 0], kt[:, 1], n)[inv.ravel()]
    return out


def _sequence_norms(at, kappa, tau2, S, pieces, sigma2):
    return _norm1(at, kappa, tau2, S), _norm_inf(at, kappa, tau2, pieces, sigma2)


def effective_regularization(spectrum: ArrayLike, n: int, lam: ArrayLike) -> np.ndarray:
    """kappa(lam) for unnormalised penalties ``lam`` (see :func:`ridge_equivalent`), shape (L,)."""
    s = spectrum if _compact.is_compact(spectrum) else check_spectrum(spectrum)
    m = s.m if _compact.is_compact(s) else s.size
    return ridge_equivalent(s, np.zeros(m), 0.0, n, lam, sequence_norms=False).kappa


# --------------------------------------------------------------------------------- adversarial
def adversarial_equivalent(spectrum: ArrayLike, theta_star: ArrayLike, noise: float, n: int,
                           lam: ArrayLike, eps: ArrayLike, norm: float = 2, target: str = "clean",
                           *, equivalent: RidgeEquivalent | None = None,
                           theta_tail_norm: float | None = None) -> np.ndarray:
    """Predicted adversarial risk of the ridge path, shape (L, E) (docs/math.md sections 2, 6, 7).

    The deterministic equivalent of :func:`ridge_equivalent` plugged into the Gaussian closed form
    ``R_eps = a^2 + 2 sqrt(2/pi) eps a b + eps^2 b^2`` with ``a^2 = risk`` (``target="clean"``) or
    ``risk + sigma^2`` (``"noisy"``) and ``b`` the predicted dual norm ``||theta||_q``:
    ``sqrt(E||theta||_2^2)`` (l2 attack), ``E||theta||_1`` (l_inf attack), ``E||theta||_inf`` (l1
    attack). ``"consistent"`` (l2 only) uses ``b^2 = E||theta||^2 - E(theta^T theta*)^2 / ||theta*||^2``.

    Parameters
    ----------
    spectrum, theta_star, noise, n, lam : as in :func:`ridge_equivalent` (lam unnormalised).
    eps : float or array_like (E,)
        Attack radii of the ball ``||delta||_p <= eps`` (absolute, units of x).
    norm : {1, 2, inf}
        Attack norm p; the dual exponent q is derived. Other p are not supported by the sequence model
        here (ValueError).
    target : {"clean", "noisy", "consistent"}
    equivalent : RidgeEquivalent, optional
        Reuse a computed equivalent (must come from the same arguments; ``lam``, ``n`` and ``noise`` are
        checked, and l1 / l_inf attacks need it computed with ``sequence_norms=True``).
    theta_tail_norm : float, optional
        With a compact spectrum (see :func:`ridge_equivalent`): the l2 norm of theta*'s tail part.
        l1 / l_inf attacks are refused when it is not 0 (their dual norms depend on its spread).
    """
    p, q = check_norm(norm)
    target = check_target(target, p)
    eps = check_eps(eps)
    if p not in (1.0, 2.0, math.inf):
        raise ValueError(f"norm must be 1, 2 or inf for the deterministic equivalent, got {norm!r}")
    s, ts, sigma, n, lam = _validate(spectrum, theta_star, noise, n, lam, theta_tail_norm)
    compact = _compact.is_compact(s)
    if compact and p != 2.0 and s.n_tail and ts[-1] > 0:
        raise ValueError(f"norm={norm!r}: the l1 / l_inf equivalents of a compact spectrum depend on how "
                         "theta*'s tail part (theta_tail_norm > 0) is spread over the tail; give theta_star "
                         "as a length-p array")
    eq = equivalent
    if eq is None:
        if compact:
            ts_lead, t = (ts[:-1], float(ts[-1])) if s.n_tail else (ts, None)
            eq = ridge_equivalent(s, ts_lead, sigma, n, lam, sequence_norms=p != 2.0, theta_tail_norm=t)
        else:
            eq = ridge_equivalent(s, ts, sigma, n, lam, sequence_norms=p != 2.0)
    elif not isinstance(eq, RidgeEquivalent):
        raise TypeError(f"equivalent must be a RidgeEquivalent, got {type(eq).__name__}")
    elif not np.array_equal(eq.lam, lam) or eq.n != n or eq.noise != sigma:
        raise ValueError("equivalent does not match lam / n / noise (it must come from the same arguments)")
    if q == 2.0:
        b2 = eq.norm2_sq
        if target == "consistent":
            tt = float(ts @ ts)
            if tt > 0:
                b2 = b2 - eq.inner_sq / tt
        b = np.sqrt(np.maximum(b2, 0.0))
    elif q == 1.0:
        b = eq.norm1
    else:
        b = eq.norm_inf
    if q != 2.0 and np.all(np.isnan(b)):
        raise ValueError(f"equivalent was computed with sequence_norms=False: norm={norm!r} needs its "
                         f"{'norm1' if q == 1.0 else 'norm_inf'}")
    R = eq.risk
    out = np.empty((R.size, eps.size))
    fin = np.isfinite(R) & np.isfinite(b)
    if np.any(fin):
        out[fin] = _closed_form(np.ascontiguousarray(R[fin]), np.ascontiguousarray(b[fin]), eps, target,
                                sigma)
    out[~fin] = np.inf
    return out
