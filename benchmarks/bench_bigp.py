"""p = 10^6 at n = 2000 through ``RidgePath.from_design``: X (16 GB in float64) is never held.

- ``BigP.time_floor``: the floor of a streamed path: draw every column block, fold it into the Gram
  ``K += X_b X_b^T``, then one ``eigh`` (what any method that starts from the Gram must do);
- ``BigP.time_path``: ``from_design`` (same pass, also folding what the standard risk needs) plus the
  standard and l2 adversarial risk for L = 1000 penalties and E = 100 radii;
- ``BigP.peakmem_path``: whole-process peak memory, which must stay O(n^2 + n * block), the same at
  p = 10^5 and 10^6.

Spiked Sigma (10 spikes): the standard risk needs only the spike columns, folded in the same pass.
``python -m benchmarks.bench_bigp`` runs each case in a fresh process and prints time / floor and the
process's peak RSS (``resource.getrusage``). ``FASTRISK_BENCH_SMALL=1`` shrinks n and p by 10.
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

from ._common import pin_blas_threads

SMALL = os.environ.get("FASTRISK_BENCH_SMALL") == "1"
N = 200 if SMALL else 2000
PS = [10_000, 100_000] if SMALL else [100_000, 1_000_000]
L, E = 1000, 100


def design(p: int) -> fr.GaussianDesign:
    ts = np.zeros(p)
    ts[0] = 1.0
    return fr.GaussianDesign(spectra.spiked(p, 10, spike=1.0, tail=0.05), ts, noise=1.0)


def penalties() -> np.ndarray:
    return np.concatenate([[0.0], N * np.logspace(-4, 2, L - 1)])


def floor(d: fr.GaussianDesign, seed: int = 0) -> None:
    K = np.zeros((N, N))
    for _, _, xb in d.iter_blocks(N, seed, block=4096):
        K += xb @ xb.T
    np.linalg.eigh(K)


def path(d: fr.GaussianDesign, seed: int = 0) -> np.ndarray:
    rp = fr.RidgePath.from_design(d, N, penalties(), seed=seed)
    return rp.adversarial_risk(d, np.linspace(0.0, 1.0, E), norm=2)


class BigP:
    params = PS
    param_names = ["p"]
    timeout = 3600
    number = 1
    repeat = 1

    def setup(self, p):
        pin_blas_threads()
        self.design = design(p)
        path(design(3000))  # JIT warm-up

    def time_floor(self, p):
        floor(self.design)

    def time_path(self, p):
        path(self.design)

    def peakmem_path(self, p):
        path(self.design)


def _one(what: str, p: int) -> None:
    pin_blas_threads()
    d = design(p)
    path(design(3000)) if what == "path" else floor(design(3000))
    t = time.perf_counter()
    path(d) if what == "path" else floor(d)
    dt = time.perf_counter() - t
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**10  # KiB -> MiB (Linux)
    print(f"{dt:.3f} {rss:.1f}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--one", nargs=2, metavar=("WHAT", "P"), help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.one:
        _one(args.one[0], int(args.one[1]))
        return
    for p in PS:
        res = {}
        for what in ("floor", "path"):  # each in a fresh process: peak RSS of that call alone
            out = subprocess.run([sys.executable, "-m", "benchmarks.bench_bigp", "--one", what, str(p)],
                                 capture_output=True, text=True, check=True).stdout.split()
            res[what] = (float(out[0]), float(out[1]))
        (tf, mf), (tp, mp) = res["floor"], res["path"]
        print(f"n={N} p={p}: floor {tf:.1f} s (peak RSS {mf:.0f} MiB), path {tp:.1f} s = {tp / tf:.2f}x "
              f"floor (peak RSS {mp:.0f} MiB)", flush=True)


if __name__ == "__main__":
    main()
