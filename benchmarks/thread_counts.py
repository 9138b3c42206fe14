"""One thread vs all threads for sweep-sized problems, alternating, medians of ratios.

    python benchmarks/thread_counts.py [--repeat 30]

Times an n = 300 Gram + eigh (p = 1500) and a sweep-sized l_inf ridge path (n = 300, p = 1500,
L = 100, E = 100) under ``fastrisk.threads(1)`` and ``fastrisk.threads(2)`` in alternation, and prints
the median of each and the median of per-repeat ratios (2 threads / 1 thread). On a machine whose cores
are busy with other processes the ratio is far above 1: that is when to use ``threads(1)``.
"""

from __future__ import annotations

import argparse
import os
import sys
import time

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path[:0] = [os.path.dirname(HERE), HERE]

from bench_threads import make_workload  # noqa: E402

import fastrisk as fr  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeat", type=int, default=30)
    args = ap.parse_args()
    X = np.random.default_rng(0).standard_normal((300, 1500))
    cases = {"gram_eigh_n300": lambda: np.linalg.eigh(X @ X.T),
             "small_linf_path": make_workload("small_linf")}
    for f in cases.values():
        f()
    print(f"{'case':<18}{'1 thread':>12}{'2 threads':>12}{'median ratio 2/1':>20}   ({args.repeat} repeats)")
    for name, f in cases.items():
        t = {1: [], 2: []}
        for r in range(args.repeat):
            for n in ((1, 2) if r % 2 == 0 else (2, 1)):
                with fr.threads(n):
                    t0 = time.perf_counter()
                    f()
                    t[n].append(time.perf_counter() - t0)
        ratio = np.median(np.array(t[2]) / np.array(t[1]))
        print(f"{name:<18}{np.median(t[1]) * 1e3:>9.1f} ms{np.median(t[2]) * 1e3:>9.1f} ms{ratio:>19.2f}x")


if __name__ == "__main__":
    main()
