"""Headline ratios measured in one process, alternating each measurement with its floor.

    python benchmarks/ratios.py [--small] [--repeat 3]

Prints, for n=2000, p=20000, E=100 radii: F1 (Gram + eigh), F2 (F1 + one more SYRK), fastrisk for
each (L, spectrum, norm) case as a ratio to its floor (median over repeats of per-repeat ratios, as
these noisy shared machines need), the plain-NumPy way, the
scikit-learn loop (per fit, extrapolated to L), and the extra peak memory (tracemalloc: NumPy
allocations beyond X) of fastrisk and of the NumPy way.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
import tracemalloc

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from benchmarks import bench_ridge as B  # noqa: E402
from benchmarks._common import pin_blas_threads  # noqa: E402


def timed(f) -> float:
    t = time.perf_counter()
    f()
    return time.perf_counter() - t


def peak_extra(f) -> float:
    """Peak MiB allocated (NumPy reports to tracemalloc) while f runs, beyond what existed before."""
    tracemalloc.start()
    tracemalloc.reset_peak()
    base = tracemalloc.get_traced_memory()[0]
    f()
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return (peak - base) / 2**20


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--sklearn-fits", type=int, default=2)
    args = ap.parse_args()
    pin_blas_threads()
    B.warm_up()
    floor = B.Floor()
    floor.setup()
    X = floor.X
    print(f"n={X.shape[0]} p={X.shape[1]} E={B.E}; X = {X.nbytes / 2**20:.0f} MiB; "
          f"4 n^2 doubles = {4 * X.shape[0] ** 2 * 8 / 2**20:.0f} MiB")
    f1 = [timed(floor.time_f1) for _ in range(args.repeat)]
    f2 = [timed(floor.time_f2) for _ in range(args.repeat)]
    print(f"F1 (Gram + eigh)       median {np.median(f1):.3f} s")
    print(f"F2 (F1 + one SYRK)     median {np.median(f2):.3f} s")
    for L in (100, 1000):
        for kind in ("spiked", "power_law"):
            for norm in ("2", "inf"):
                rr = B.RidgeRisks()
                rr.setup(L, kind, norm)
                ratios1, ratios2, ts = [], [], []
                for _ in range(args.repeat):
                    a = timed(floor.time_f1)
                    t = timed(lambda rr=rr, L=L, kind=kind, norm=norm: rr.time_path(L, kind, norm))
                    b = timed(floor.time_f2)
                    ratios1.append(t / a)
                    ratios2.append(t / b)
                    ts.append(t)
                mem = peak_extra(lambda rr=rr, L=L, kind=kind, norm=norm: rr.time_path(L, kind, norm))
                rp = B.fr.RidgePath(rr.X, rr.y, rr.lam)
                rp.adversarial_risk(rr.design, rr.eps, norm=rr.norm)
                print(f"fastrisk L={L:5d} {kind:9s} l_{norm:3s}: {np.median(ts):.3f} s = "
                      f"{np.median(ratios1):.2f}x F1 = {np.median(ratios2):.2f}x F2; extra peak "
                      f"{mem:.0f} MiB; route={rp.last_route}")
        nw = B.NumpyWay()
        nw.setup(L)
        r = []
        for _ in range(args.repeat):
            a = timed(floor.time_f2)
            r.append(timed(lambda nw=nw, L=L: nw.time_path(L)) / a)
        mem = peak_extra(lambda nw=nw, L=L: nw.time_path(L))
        print(f"NumPy way (p, L) GEMM  L={L:5d}: {np.median(r):.2f}x F2; extra peak {mem:.0f} MiB")
    if args.sklearn_fits > 0:
        from sklearn.linear_model import Ridge

        X, y = floor.X, floor.y
        t = timed(lambda: [Ridge(alpha=a, fit_intercept=False).fit(X, y)
                           for a in np.logspace(0, 3, args.sklearn_fits)])
        per_fit = t / args.sklearn_fits
        print(f"scikit-learn Ridge.fit: {per_fit:.2f} s per penalty -> L=1000 extrapolated "
              f"{1000 * per_fit:.0f} s = {1000 * per_fit / np.median(f1):.0f}x F1")


if __name__ == "__main__":
    main()
