"""Gaussian-sequence-model norms of the ridge path: ``E||theta||_1`` (folded-normal means) and
``E||theta||_inf`` (exact quadrature at anchors, monotone cubic in log kappa between them).

Private module behind :func:`fastrisk.theory.ridge_equivalent` (``sequence_norms=True``).
"""

from __future__ import annotations

import math

import numpy as np

from ..kernels.theory import expected_max_abs, log_bins, support_norm1
from ._solver import _Atoms, _compose

#: Zero-signal eigenvalues are binned in log scale into at most this many bins for E||theta||_inf.
LINF_MAX_BINS = 2048
#: Number of kappa anchors at which E||theta||_inf is computed exactly (then interpolated).
LINF_ANCHORS = 48
_SQRT_2_OVER_PI = math.sqrt(2.0 / math.pi)


def _norm1(at: _Atoms, kappa, tau2, S):
    n = at.n
    tau = np.sqrt(tau2)
    out = _SQRT_2_OVER_PI * tau / math.sqrt(n) * S[:, 5]  # every coordinate as if theta*_i = 0
    if at.n_signal:
        sl, sa, sm = at.pairs
        fin = np.isfinite(tau)
        sup = np.full(kappa.size, np.inf)
        z = np.ascontiguousarray(np.sqrt(n * sl) * sa)
        c = np.ascontiguousarray(np.sqrt(sl / n) * sm)  # a multiplicity scales its atom's term
        part = np.empty(int(fin.sum()))
        support_norm1(sl, z, c, np.ascontiguousarray(kappa[fin]), np.ascontiguousarray(tau[fin]), part)
        sup[fin] = part
        out = out + sup
    return out


def _linf_atoms(at: _Atoms):
    """Atoms for the expected maximum: signal coordinates as they are, zero-signal ones merged (binned in
    log scale, count-weighted mean log eigenvalue per bin, when there are more than ``LINF_MAX_BINS``
    distinct values)."""
    lz = at.lam
    sl, sa, sm = at.pairs if at.n_signal else (np.zeros(0), np.zeros(0), np.zeros(0))
    if lz.size > LINF_MAX_BINS:
        lo = math.log(float(lz.min()))
        width = max((math.log(float(lz.max())) - lo) / LINF_MAX_BINS, 1e-300)
        cnt = np.zeros(LINF_MAX_BINS)
        slog = np.zeros(LINF_MAX_BINS)
        log_bins(lz, at.mult, lo, width, cnt, slog)
        if sl.size:  # take the signal coordinates out of the zero-mean bins
            log_bins(sl, -sm, lo, width, cnt, slog)
        keep = cnt > 0.5
        lz, cz = np.exp(slog[keep] / cnt[keep]), cnt[keep]
    else:
        cz = at.counts().copy()
        if sl.size:  # take the signal coordinates out of the zero-mean atoms
            idx = np.searchsorted(lz, sl) if lz[0] <= lz[-1] else lz.size - 1 - np.searchsorted(lz[::-1], sl)
            np.subtract.at(cz, idx, sm)
        keep = cz > 0
        lz, cz = lz[keep], cz[keep]
    lam = np.concatenate([lz, sl])
    amp = np.concatenate([np.zeros(lz.size), sa])
    mult = np.concatenate([cz, sm])
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
        from scipy.interpolate import PchipInterpolator  # 0.2-0.5 s to import: only where used

        out[sel] = np.exp(PchipInterpolator(xa, np.log(raw))(np.clip(xk, a, b)))
        done |= sel
    rest = fin & ~done
    if np.any(rest):  # one quadrature per distinct (kappa, tau^2): repeated penalties cost nothing
        kt, inv = np.unique(np.stack([kappa[rest], tau2[rest]], axis=1), axis=0, return_inverse=True)
        out[rest] = expected_max_sequence(lam, amp, mult, kt[:, 0], kt[:, 1], n)[inv.ravel()]
    return out


def _sequence_norms(at, kappa, tau2, S, pieces, sigma2, which=("norm1", "norm_inf")):
    """``(E||theta||_1, E||theta||_inf)`` over the path; a norm not in ``which`` is NaN (not computed)."""
    nan = np.full(kappa.size, np.nan)
    n1 = _norm1(at, kappa, tau2, S) if "norm1" in which else nan
    ni = _norm_inf(at, kappa, tau2, pieces, sigma2) if "norm_inf" in which else nan.copy()
    return n1, ni

