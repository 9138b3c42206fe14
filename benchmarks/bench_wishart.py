"""The Wishart route (``RidgePath.from_design(..., tail="wishart")``) beside the streamed explicit route.

Both draw a two_level design (tau = 2, ``p = n^1.5``, ``low * p = n^0.5``, theta* = e_1, sigma = 1) and
give the whole l2 path: L = 1000 penalties, the standard risk and the l2 adversarial risk for the
clean, noisy and consistent targets at E = 20 radii.

- ``WishartVsStreamed`` (n = 1000, p = 31623, a size both can run): ``time_streamed`` (X drawn block by
  block and folded into the Gram, never held), ``time_streamed_floor`` (that pass and one eigh:
  the streamed route's floor), ``time_wishart`` (the tail's Gram drawn from its Wishart law: one
  n x n Bartlett draw and one eigh whatever p is) and their peak memory;
- ``WishartScale`` (n = 2000, p = 10^6 and 10^9 as compact designs): the Wishart route's time and
  peak memory do not grow with p.

``python -m benchmarks.bench_wishart --n 10000 --p 1e6 1e9`` runs each p in a fresh process and prints
the wall-clock and CPU time, the process's peak RSS (``resource.getrusage``) and the simulated
min-norm standard risk and harm ``min_lam max(R_0, R_eps - R_eps(theta*))`` (clean, l2, eps = 0.2)
beside their deterministic equivalents. ``FASTRISK_BENCH_SMALL=1`` shrinks the asv sizes by about 4.
"""

from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys
import time

import numpy as np

import fastrisk as fr
from fastrisk import spectra
from fastrisk import theory as T

from ._common import pin_blas_threads

SMALL = os.environ.get("FASTRISK_BENCH_SMALL") == "1"
N_BOTH = 250 if SMALL else 1000
N_SCALE = 500 if SMALL else 2000
L, E = 1000, 20
EPS = np.linspace(0.0, 1.0, E)
TARGETS = ("clean", "noisy", "consistent")


def design(n: int, p: int, compact: bool = False) -> fr.GaussianDesign:
    """two_level (tau = 2, low * p = n^0.5), theta* = e_1, sigma = 1."""
    s = spectra.two_level(p, n**0.5 / p, tau=2.0, compact=compact)
    if compact:
        return fr.GaussianDesign(s, np.eye(s.m)[0], noise=1.0)
    ts = np.zeros(p)
    ts[0] = 1.0
    return fr.GaussianDesign(s, ts, noise=1.0)


def penalties(n: int) -> np.ndarray:
    return np.concatenate([[0.0], n * np.logspace(-4, 3, L - 1)])


def whole_path(d: fr.GaussianDesign, n: int, tail: str, seed: int = 0):
    """The path and every l2 risk: (path, R_0 (L,), adversarial (3, L, E))."""
    path = fr.RidgePath.from_design(d, n, penalties(n), seed=seed, tail=tail)
    R = path.standard_risk(d)
    adv = np.stack([path.adversarial_risk(d, EPS, norm=2, target=t) for t in TARGETS])
    return path, R, adv


def streamed_floor(d: fr.GaussianDesign, n: int, seed: int = 0) -> None:
    K = np.zeros((n, n))
    for _, _, xb in d.iter_blocks(n, seed, block=4096):
        K += xb @ xb.T
    np.linalg.eigh(K)


def _warm() -> None:
    d = design(60, 2000)
    for tail in ("explicit", "wishart"):
        whole_path(d, 60, tail)


class WishartVsStreamed:
    timeout = 1800
    number = 1
    repeat = 1

    def setup(self):
        pin_blas_threads()
        _warm()
        self.n = N_BOTH
        self.design = design(self.n, round(self.n**1.5))

    def time_streamed_floor(self):
        streamed_floor(self.design, self.n)

    def time_streamed(self):
        whole_path(self.design, self.n, "explicit")

    def time_wishart(self):
        whole_path(self.design, self.n, "wishart")

    def peakmem_streamed(self):
        whole_path(self.design, self.n, "explicit")

    def peakmem_wishart(self):
        whole_path(self.design, self.n, "wishart")


class WishartScale:
    params = [10**6, 10**9]
    param_names = ["p"]
    timeout = 1800
    number = 1
    repeat = 1

    def setup(self, p):
        pin_blas_threads()
        _warm()
        self.design = design(N_SCALE, p, compact=True)

    def time_wishart(self, p):
        whole_path(self.design, N_SCALE, "wishart")

    def peakmem_wishart(self, p):
        whole_path(self.design, N_SCALE, "wishart")


def _one(n: int, p: int, eps: float = 0.2) -> None:
    pin_blas_threads()
    _warm()
    d = design(n, p, compact=True)
    t, c = time.perf_counter(), time.process_time()
    path, R, adv = whole_path(d, n, "wishart")
    dt, cpu = time.perf_counter() - t, time.process_time() - c
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20  # KiB -> GiB (Linux)
    lam = penalties(n)
    a = path.adversarial_risk(d, [eps])[:, 0]
    harm = float(np.min(np.maximum(R, a - eps**2)))  # ground truth: eps^2 ||e_1||^2
    s = d.compact
    eq = T.ridge_equivalent(s, d.theta_lead, 1.0, n, lam, sequence_norms=False)
    ta = T.adversarial_equivalent(s, d.theta_lead, 1.0, n, lam, [eps], equivalent=eq)[:, 0]
    harm_t = float(np.min(np.maximum(eq.risk, ta - eps**2)))
    print(f"{dt:.1f} {cpu:.1f} {rss:.2f} {R[0]:.6g} {eq.risk[0]:.6g} {harm:.6g} {harm_t:.6g}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=10_000)
    ap.add_argument("--p", type=float, nargs="+", default=[1e6, 1e9])
    ap.add_argument("--one", nargs=2, metavar=("N", "P"), help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.one:
        _one(int(args.one[0]), int(float(args.one[1])))
        return
    for p in args.p:
        with open("/proc/loadavg") as f:
            load = f.read().split()[0]
        out = subprocess.run([sys.executable, "-m", "benchmarks.bench_wishart", "--one", str(args.n),
                              str(int(p))], capture_output=True, text=True, check=True).stdout.split()
        dt, cpu, rss, r0, r0t, h, ht = map(float, out)
        print(f"n={args.n} p={int(p):.3g}: whole l2 path (L={L}, 3 targets x E={E}) {dt:.1f} s wall, "
              f"{cpu:.1f} s CPU, peak RSS {rss:.2f} GiB (load {load} at start); min-norm R_0 {r0:.4g} "
              f"(theory {r0t:.4g}), harm {h:.4g} (theory {ht:.4g})", flush=True)


if __name__ == "__main__":
    main()
