"""asv benchmarks for sweeps: 48 tasks of n = 400, p = 2000, 101 penalties, 20 radii, l2 and l_inf.

Compare within one ``asv run``:

- ``PlainLoop.time_loop``: the loop a user writes (``GaussianDesign.sample`` + ``RidgePath`` + standard and
  adversarial risks for both norms, one process, 2 BLAS threads), results kept in memory;
- ``Sweep.time_run`` with ``workers = 1``: :func:`fastrisk.sweep.run` in the calling process, a Parquet
  file per task (target: within 1.15x of the loop);
- ``Sweep.time_run`` with ``workers = 2``: a spawn pool of 2 workers with 1 thread each, already started
  by an earlier sweep of the session (target: at least 1.5x the loop's throughput);
- ``Sweep.time_run_cold``: the same with worker start-up (interpreter, imports, Numba cache loads, about
  a second of CPU per worker) included, as the first sweep of a session pays it.

``python benchmarks/bench_sweep.py [--repeat 3] [--tasks 48]`` measures the same three in one process,
interleaved, and prints medians of per-repeat ratios (the machines are shared; ratios of neighbours are
what survive the noise).
"""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
import time

import numpy as np

if __name__ == "__main__":  # run as a script: import this checkout's fastrisk and benchmarks
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import fastrisk as fr
import fastrisk.sweep as sw
from fastrisk import spectra

try:
    from ._common import pin_blas_threads
except ImportError:  # run as a script
    from benchmarks._common import pin_blas_threads

TASKS, N, P, L, E = 48, 400, 2000, 101, 20


def spec(tasks: int = TASKS, n: int = N, p: int = P) -> dict:
    return {
        "n": n, "p": p, "seeds": tasks, "noise": 1.0,
        "spectrum": [{"kind": "spiked", "n_spikes": 10, "spike": 1.0, "tail": 0.05}],
        "path": {"lam_n": {"start": -4, "stop": 2, "num": L - 1, "zero": True},
                 "eps": np.linspace(0.0, 0.2, E).tolist(), "norm": [2, "inf"], "target": ["clean"]},
    }


def plain_loop(tasks: int = TASKS, n: int = N, p: int = P) -> list:
    """What a user writes by hand: one process, results in memory."""
    theta = np.zeros(p)
    theta[0] = 1.0
    design = fr.GaussianDesign(spectra.spiked(p, 10, spike=1.0, tail=0.05), theta, 1.0)
    lam = n * np.concatenate([[0.0], np.logspace(-4, 2, L - 1)])
    eps = np.linspace(0.0, 0.2, E)
    out = []
    for seed in range(tasks):
        X, y = design.sample(n, seed=seed)
        path = fr.RidgePath(X, y, lam)
        out.append((path.standard_risk(design), path.adversarial_risk(design, eps, norm=2),
                    path.adversarial_risk(design, eps, norm=np.inf)))
    return out


def warm_up(workers: int = 1) -> None:
    """Load the JIT caches here (and start ``workers`` local workers, kept for the timed runs)."""
    plain_loop(2, 40, 200)
    d = tempfile.mkdtemp(prefix="fastrisk-bench-")
    try:
        sw.run(spec(2 * workers, 40, 200), d, workers=workers, progress=False)
    finally:
        shutil.rmtree(d, ignore_errors=True)


class PlainLoop:
    number = 1
    repeat = 3
    timeout = 600

    def setup(self):
        pin_blas_threads(2)
        warm_up()

    def time_loop(self):
        plain_loop()


class Sweep:
    params = [1, 2]
    param_names = ["workers"]
    number = 1
    repeat = 3
    timeout = 600

    def setup(self, workers):
        pin_blas_threads(2)
        warm_up(workers)
        self.tmp = tempfile.mkdtemp(prefix="fastrisk-bench-")

    def teardown(self, workers):
        shutil.rmtree(self.tmp, ignore_errors=True)

    def time_run(self, workers):
        sw.run(spec(), tempfile.mkdtemp(dir=self.tmp), workers=workers, progress=False)

    def peakmem_run(self, workers):
        sw.run(spec(), tempfile.mkdtemp(dir=self.tmp), workers=workers, progress=False)


class SweepCold:
    number = 1
    repeat = 3
    timeout = 600

    def setup(self):
        pin_blas_threads(2)
        warm_up()
        sw.shutdown_workers()
        self.tmp = tempfile.mkdtemp(prefix="fastrisk-bench-")

    def teardown(self):
        sw.shutdown_workers()
        shutil.rmtree(self.tmp, ignore_errors=True)

    def time_run_cold(self):
        sw.run(spec(), tempfile.mkdtemp(dir=self.tmp), workers=2, progress=False)


def main() -> None:
    import argparse

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--tasks", type=int, default=TASKS)
    args = ap.parse_args()
    pin_blas_threads(2)
    warm_up()
    tmp = tempfile.mkdtemp(prefix="fastrisk-bench-")
    rows = []

    def timed(f) -> float:
        t = time.perf_counter()
        f()
        return time.perf_counter() - t

    def sweep(workers):
        return lambda: sw.run(spec(args.tasks), tempfile.mkdtemp(dir=tmp), workers=workers, progress=False)

    try:
        for _ in range(args.repeat):
            sw.shutdown_workers()
            loop = timed(lambda: plain_loop(args.tasks))
            w1 = timed(sweep(1))
            cold = timed(sweep(2))  # starts the workers
            warm = timed(sweep(2))  # reuses them
            rows.append((loop, w1 / loop, loop / warm, loop / cold))
            print(f"loop {loop:.2f} s  workers=1 {w1:.2f} s  workers=2 warm {warm:.2f} s  cold {cold:.2f} s",
                  flush=True)
    finally:
        sw.shutdown_workers()
        shutil.rmtree(tmp, ignore_errors=True)
    med = np.median(np.array(rows), axis=0)
    print(f"{args.tasks} tasks, n={N}, p={P}, L={L}, E={E}, l2 + l_inf; medians of per-repeat ratios: plain "
          f"loop {med[0]:.2f} s; workers=1 time / loop = {med[1]:.3f} (target <= 1.15); workers=2 "
          f"throughput / loop = {med[2]:.2f}x warm (target >= 1.5), {med[3]:.2f}x with worker start-up")


if __name__ == "__main__":
    main()
