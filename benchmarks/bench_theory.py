"""asv benchmarks of the theory layer: a whole deterministic-equivalent ridge path.

Headline: L = 1000 unnormalised penalties on a p = 10^6 diagonal spectrum (``bllt_log``, all eigenvalues
distinct: nothing to merge) against the obvious per-penalty ``scipy.optimize.brentq`` solve of the
self-consistent equation followed by the direct spectral sums (``_brentq_path``). The baseline is timed
on ``N_BASELINE`` penalties and scaled to L (it is linear in L); ``track_speedup_vs_brentq`` reports the
ratio measured in one process, ``track_max_rel_diff_vs_brentq`` the agreement.
"""

from __future__ import annotations

import time

import numpy as np
from scipy.optimize import brentq

from fastrisk import spectra
from fastrisk.theory import effective_ranks, oracle_frontier, ridge_equivalent

from ._common import pin_blas_threads

N = 1000
L = 1000
N_BASELINE = 10


def _problem(p: int):
    s = spectra.bllt_log(p)
    th = np.zeros(p)
    th[:10] = 1.0 / np.sqrt(10)
    lam = np.concatenate([[0.0], np.logspace(-3, 4, L - 1)]) * N / 1000
    return s, th, lam


def _brentq_path(s, th, sigma, n, lam):
    """The obvious way: one brentq per penalty, then the direct sums of docs/math.md 6."""
    out = np.empty((lam.size, 4))
    for i, lm in enumerate(lam):
        ell = lm / n
        k = brentq(lambda k, ell=ell: k - ell - k / n * np.sum(s / (s + k)), 1e-14, 1e8,
                   xtol=1e-300, rtol=8.9e-16)
        r = 1.0 / (s + k)
        d = np.sum(s**2 * r**2) / n
        bnum = k**2 * np.sum(th**2 * s * r**2)
        risk = (bnum + sigma**2 * d) / (1 - d)
        norm2 = np.sum(th**2 * s**2 * r**2) + (sigma**2 + bnum) / (1 - d) / n * np.sum(s * r**2)
        out[i] = k, risk, norm2, d
    return out


class TimeRidgeEquivalentPath:
    params = ([10**5, 10**6], [False, True])
    param_names = ["p", "sequence_norms"]
    timeout = 300

    def setup(self, p, seq):
        pin_blas_threads()
        self.s, self.th, self.lam = _problem(p)
        ridge_equivalent(self.s[:1000], self.th[:1000], 1.0, 100, self.lam[:3])  # JIT warm-up

    def time_path(self, p, seq):
        ridge_equivalent(self.s, self.th, 1.0, N, self.lam, sequence_norms=seq)

    def peakmem_path(self, p, seq):
        ridge_equivalent(self.s, self.th, 1.0, N, self.lam, sequence_norms=seq)


class TimeBrentqBaseline:
    """Per-penalty brentq loop (N_BASELINE penalties; multiply by L / N_BASELINE for a path)."""

    params = [10**5, 10**6]
    param_names = ["p"]
    timeout = 300

    def setup(self, p):
        pin_blas_threads()
        self.s, self.th, lam = _problem(p)
        self.lam = lam[:: L // N_BASELINE]

    def time_brentq_loop(self, p):
        _brentq_path(self.s, self.th, 1.0, N, self.lam)


class TrackSpeedup:
    """Ratio (brentq loop scaled to L penalties) / (fastrisk path), and the agreement, at p = 10^6."""

    timeout = 600
    unit = "ratio"

    def setup_cache(self):
        pin_blas_threads()
        s, th, lam = _problem(10**6)
        ridge_equivalent(s[:1000], th[:1000], 1.0, 100, lam[:3])
        ts = []
        for _ in range(3):
            t0 = time.perf_counter()
            eq = ridge_equivalent(s, th, 1.0, N, lam, sequence_norms=False)
            ts.append(time.perf_counter() - t0)
        sub = np.arange(0, L, L // N_BASELINE)
        t0 = time.perf_counter()
        ref = _brentq_path(s, th, 1.0, N, lam[sub])
        t_ref = (time.perf_counter() - t0) * L / sub.size
        diff = max(float(np.max(np.abs(eq.kappa[sub] / ref[:, 0] - 1))),
                   float(np.max(np.abs(eq.risk[sub] / ref[:, 1] - 1))),
                   float(np.max(np.abs(eq.norm2_sq[sub] / ref[:, 2] - 1))))
        return {"speedup": t_ref / min(ts), "diff": diff}

    def track_speedup_vs_brentq(self, cache):
        return cache["speedup"]

    def track_max_rel_diff_vs_brentq(self, cache):
        return cache["diff"]


class TimeRanksAndFrontier:
    def setup(self):
        pin_blas_threads()
        self.s = spectra.bllt_log(10**7)
        self.th = np.zeros(10**7)
        self.th[:100] = 0.1

    def time_effective_ranks_p1e7(self):
        effective_ranks(self.s)

    def time_oracle_frontier_p1e7(self):
        oracle_frontier(self.s, self.th, np.array([0.1, 0.5]), n_mu=512)
