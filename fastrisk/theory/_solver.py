"""The solver behind :mod:`.equivalents`: the spectrum as atoms, the effective regularisation kappa of
every penalty of a path, and the Chebyshev interpolants of the spectral sums that make it cheap.

Private module: :func:`fastrisk.theory.ridge_equivalent` is the public face. See the docstring of
:mod:`.equivalents` for the equations and the speed argument.
"""

from __future__ import annotations

import math
import warnings

import numpy as np
from numpy.polynomial import chebyshev as C
from scipy import fft as sfft
from scipy.optimize import brentq

from ..kernels.theory import bulk_sums, df_sums, non_increasing, signal_sums, strictly_monotone

#: Relative accuracy (in log scale) that the Chebyshev interpolants of the spectral sums must reach at
#: the check points between nodes before they are used.
INTERP_RTOL = 1e-12
#: Largest Chebyshev degree tried before giving up on the accuracy check (with a warning).
MAX_DEGREE = 4096
#: Atoms per block of the Numba spectral pass.
SUM_BLOCK = 2048
N_SUMS = 7
_TINY = np.finfo(np.float64).tiny


# ----------------------------------------------------------------------------------------- atoms
class _Atoms:
    """The spectrum as atoms (positive eigenvalues, equal values merged) and its signal.

    Equal eigenvalues merge into one atom with a multiplicity, and so does the signal: the l2 sums see
    theta* only through its squared mass per distinct eigenvalue (``sig_lam``, ``sig_t``: exact), and
    the sequence-model norms through the distinct (eigenvalue, |theta*_i|) pairs with multiplicities
    (:attr:`pairs`, built on first use). A dense theta* on a flat tail (a power law, random signs) is
    then a handful of atoms whatever p is.
    """

    def __init__(self, spectrum: np.ndarray, theta_star: np.ndarray, n: int, theta_exp: int = 0):
        """``theta_exp``: theta* is given unscaled and the merged signal is scaled by ``2^theta_exp`` (exact:
        a power of two), so that no rescaled copy of a long theta* is made."""
        pos = spectrum > 0
        lp = spectrum if bool(pos.all()) else spectrum[pos]
        if strictly_monotone(lp):  # presets: already distinct, no sort and no copy
            self.lam = np.ascontiguousarray(lp)
            self.mult = np.zeros(0)
        else:
            self.lam, self.mult = _runs(lp)
        self.sq = np.sqrt(self.lam)
        sup = theta_star != 0.0
        if lp is not spectrum:
            sup &= pos
        if bool(sup.all()):  # a dense ground truth: views, no index arrays or copies of length p
            self._sup_lam = spectrum
            self._sup_val = theta_star
        else:
            self._sup_lam = np.ascontiguousarray(spectrum[sup])
            self._sup_val = np.ascontiguousarray(theta_star[sup])
        self.sig_lam, self.sig_t = _merged_mass(self._sup_lam, self._sup_val)
        self._exp = int(theta_exp)
        if self._exp:
            self.sig_t = np.ldexp(self.sig_t, 2 * self._exp)
        self._pairs: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None
        self.n_signal = int(self._sup_lam.size)
        self.p_plus = int(lp.size)
        self.lam_min = float(self.lam.min()) if lp.size else 0.0
        self.trace = float(lp.sum())
        self.n = n
        has_sig = self.n_signal > 0
        self.has = np.array([True, True, has_sig, has_sig, True, True, has_sig])

    @property
    def pairs(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Distinct (eigenvalue, |theta*_i|) of the signal coordinates and their multiplicities."""
        if self._pairs is None:
            lam, amp, mult = _signal_pairs(self._sup_lam, self._sup_val)
            self._pairs = (lam, np.ldexp(amp, self._exp) if self._exp else amp, mult)
        return self._pairs

    def counts(self) -> np.ndarray:
        return np.ones(self.lam.size) if self.mult.size == 0 else self.mult

    def sums(self, kappa: np.ndarray) -> np.ndarray:
        """(K, 7): df_1, df_2, sum t lam r^2, sum t lam^2 r^2, sum lam r^2, sum sqrt(lam) r, sum t lam r."""
        kappa = np.ascontiguousarray(np.atleast_1d(kappa), dtype=np.float64)
        b = np.empty((kappa.size, 4))
        bulk_sums(self.lam, self.sq, self.mult, kappa, SUM_BLOCK, b)
        g = np.zeros((kappa.size, 3))
        if self.sig_lam.size:
            signal_sums(self.sig_lam, self.sig_t, kappa, g)
        return np.stack([b[:, 0], b[:, 1], g[:, 0], g[:, 1], b[:, 2], b[:, 3], g[:, 2]], axis=1)

    def df(self, kappa: float) -> tuple[float, float]:
        o1 = np.empty(1)
        o2 = np.empty(1)
        df_sums(self.lam, self.mult, float(kappa), SUM_BLOCK, o1, o2)
        return float(o1[0]), float(o2[0])


def _monotone(a: np.ndarray) -> bool:
    return a.size < 2 or non_increasing(a) or non_increasing(a[::-1])


def _runs(lp: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Distinct values and their counts: runs of equal values when ``lp`` is monotone (O(p), the order
    kept: a flat tail costs one pass), else sorted by ``numpy.unique``."""
    if _monotone(lp):
        starts = np.concatenate([[0], np.flatnonzero(lp[1:] != lp[:-1]) + 1])
        return np.ascontiguousarray(lp[starts]), np.diff(np.append(starts, lp.size)).astype(np.float64)
    u, c = np.unique(lp, return_counts=True)
    return u, c.astype(np.float64)


def _merged_mass(lam: np.ndarray, val: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per distinct eigenvalue, the squared mass ``sum theta*_i^2`` of the signal coordinates on it
    (``val`` = theta* there). A monotone spectrum with few runs (a flat tail) sums each run by a dot
    product: no temporary of length p."""
    if lam.size < 2:
        return lam, val * val
    if _monotone(lam):
        starts = np.concatenate([[0], np.flatnonzero(lam[1:] != lam[:-1]) + 1])
        if starts.size == lam.size:
            return lam, val * val
        if starts.size <= 4096:
            ends = np.append(starts[1:], lam.size)
            mass = np.array([float(val[a:b] @ val[a:b]) for a, b in zip(starts, ends, strict=True)])
            return np.ascontiguousarray(lam[starts]), mass
        return np.ascontiguousarray(lam[starts]), np.add.reduceat(val * val, starts)
    u, inv = np.unique(lam, return_inverse=True)
    return u, np.bincount(inv.ravel(), weights=val * val, minlength=u.size)


def _merged_pairs(lam: np.ndarray, amp: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Distinct (eigenvalue, amplitude) pairs with multiplicities (runs when ``lam`` is monotone)."""
    if lam.size < 2:
        return lam, amp, np.ones(lam.size)
    if not _monotone(lam):
        order = np.lexsort((amp, lam))
        lam, amp = lam[order], amp[order]
    starts = np.concatenate([[0], np.flatnonzero((lam[1:] != lam[:-1]) | (amp[1:] != amp[:-1])) + 1])
    mult = np.diff(np.append(starts, lam.size)).astype(np.float64)
    return np.ascontiguousarray(lam[starts]), np.ascontiguousarray(amp[starts]), mult


def _abs_range(v: np.ndarray, chunk: int = 1 << 20) -> tuple[float, float]:
    """``(min |v|, max |v|)`` chunk by chunk (no temporary of the length of v)."""
    lo, hi = math.inf, 0.0
    for i in range(0, v.size, chunk):
        a = np.abs(v[i:i + chunk])
        lo, hi = min(lo, float(a.min())), max(hi, float(a.max()))
    return lo, hi


def _signal_pairs(lam: np.ndarray, val: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Distinct (eigenvalue, |theta*_i|) pairs with multiplicities from the signed signal ``val``; a
    monotone spectrum with few runs is handled run by run (a run whose |theta*| is constant -- a power
    law or random signs on a flat tail -- is one pair, found without a copy of the run)."""
    if lam.size >= 2 and _monotone(lam):
        starts = np.concatenate([[0], np.flatnonzero(lam[1:] != lam[:-1]) + 1])
        if starts.size <= 4096:
            ends = np.append(starts[1:], lam.size)
            out_l, out_a, out_m = [], [], []
            for a, b in zip(starts, ends, strict=True):
                lo, hi = _abs_range(val[a:b])
                if lo == hi:
                    out_l.append(np.array([lam[a]]))
                    out_a.append(np.array([hi]))
                    out_m.append(np.array([float(b - a)]))
                else:
                    u, c = np.unique(np.abs(val[a:b]), return_counts=True)
                    out_l.append(np.full(u.size, lam[a]))
                    out_a.append(u)
                    out_m.append(c.astype(np.float64))
            return np.concatenate(out_l), np.concatenate(out_a), np.concatenate(out_m)
    return _merged_pairs(lam, np.abs(val))


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
    at_min = (np.abs(ell - ell_min) <= 4.0 * np.finfo(np.float64).eps * abs(ell_min)) if need_kc else \
        np.zeros(L, dtype=bool)
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

