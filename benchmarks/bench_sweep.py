"""asv benchmarks for sweeps: 192 tasks of n = 400, p = 2000, 101 penalties, 20 radii, l2 and l_inf; and
loading a store of 10^5 tasks.

Compare within one ``asv run``:

- ``PlainLoop.time_loop``: the loop a user writes (``GaussianDesign.sample`` + ``RidgePath`` + standard and
  adversarial risks for both norms), one process on one thread (BLAS and Numba), results in memory;
- ``Sweep.time_run`` with ``workers = 1``: :func:`fastrisk.sweep.run` in the calling process on one thread,
  small tasks batched into a few Parquet files (target: at most 1.15x the loop);
- ``Sweep.time_run`` with ``workers = 2``: a spawn pool of 2 workers with 1 thread each, already started
  by an earlier sweep of the session (target: at least 1.5x the loop's throughput);
- ``SweepCold.time_run_cold``: the same with worker start-up (interpreter, imports, Numba cache loads, about
  a second of CPU per worker) included, as the first sweep of a session pays it;
- ``Load.time_load``: :func:`fastrisk.sweep.load` of a store of 10^5 tasks (12 rows each, theory columns
  attached; target: under 10 s), and its peak memory;
- ``SweepFold.time_run``: spiked, l2, n = 1000, p = 6000, 100 penalties, 3 radii, 8 seeds at 1 and at 4
  noise levels (the 4 noise levels of a seed share X: one fold, one eigh), ``workers = 1``, one thread;
  their ratio is the case ``sweep fold`` of ``benchmarks/ratios.py`` (asv ``ratios``; target: at most
  1.6; it was 2.3-2.7 when every noise level paid its own eigh).

``python benchmarks/bench_sweep.py [--repeat 3] [--tasks 192]`` measures the loop and the sweeps in one
process, interleaved, and prints medians of per-repeat ratios (the machines are shared; ratios of
neighbours are what survive the noise); ``--load`` times the 10^5-task load instead, ``--fold`` the
four-noise-level sweep against the one-level one.
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

TASKS, N, P, L, E = 192, 400, 2000, 101, 20
LOAD_TASKS = 100_000


def spec(tasks: int = TASKS, n: int = N, p: int = P) -> dict:
    return {
        "n": n, "p": p, "seeds": tasks, "noise": 1.0,
        "spectrum": [{"kind": "spiked", "n_spikes": 10, "spike": 1.0, "tail": 0.05}],
        "path": {"lam_n": {"start": -4, "stop": 2, "num": L - 1, "zero": True},
                 "eps": np.linspace(0.0, 0.2, E).tolist(), "norm": [2, "inf"], "target": ["clean"]},
    }


def plain_loop(tasks: int = TASKS, n: int = N, p: int = P) -> list:
    """What a user writes by hand: one process, results in memory (run under :func:`fastrisk.threads`)."""
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
    with fr.threads(1):
        plain_loop(2, 40, 200)
    d = tempfile.mkdtemp(prefix="fastrisk-bench-")
    try:
        sw.run(spec(2 * workers, 40, 200), d, workers=workers, progress=False)
    finally:
        shutil.rmtree(d, ignore_errors=True)


class PlainLoop:
    number = 1
    repeat = 3
    timeout = 900

    def setup(self):
        warm_up()

    def time_loop(self):
        with fr.threads(1):
            plain_loop()


class Sweep:
    params = [1, 2]
    param_names = ["workers"]
    number = 1
    repeat = 3
    timeout = 900

    def setup(self, workers):
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
    timeout = 900

    def setup(self):
        warm_up()
        sw.shutdown_workers()
        self.tmp = tempfile.mkdtemp(prefix="fastrisk-bench-")

    def teardown(self):
        sw.shutdown_workers()
        shutil.rmtree(self.tmp, ignore_errors=True)

    def time_run_cold(self):
        sw.run(spec(), tempfile.mkdtemp(dir=self.tmp), workers=2, progress=False)


# ----------------------------------------------------------------------------- noise levels folded
FOLD_N, FOLD_P, FOLD_L, FOLD_E, FOLD_SEEDS = 1000, 6000, 100, 3, 8
NOISE_LEVELS = {1: [1.0], 4: [0.25, 0.5, 1.0, 2.0]}


def fold_spec(levels: int, n: int = FOLD_N, p: int = FOLD_P, seeds: int = FOLD_SEEDS) -> dict:
    return {
        "n": n, "p": p, "seeds": seeds, "noise": NOISE_LEVELS[levels],
        "spectrum": [{"kind": "spiked", "n_spikes": 10, "spike": 1.0, "tail": 0.05}],
        "path": {"lam_n": {"start": -4, "stop": 2, "num": FOLD_L}, "eps": [0.0, 0.1, 0.2], "norm": [2],
                 "target": ["clean"]},
    }


def fold_ratio(rounds: int, n: int = FOLD_N, p: int = FOLD_P, seeds: int = FOLD_SEEDS) -> tuple[float, list]:
    """Median over ``rounds`` of (4 noise levels) / (1 noise level), the two sweeps timed back to back."""
    tmp = tempfile.mkdtemp(prefix="fastrisk-bench-")
    out = []
    try:
        for _ in range(rounds):
            t = []
            for levels in (1, 4):
                t0 = time.perf_counter()
                sw.run(fold_spec(levels, n, p, seeds), tempfile.mkdtemp(dir=tmp), workers=1, progress=False)
                t.append(time.perf_counter() - t0)
            out.append((t[0], t[1], t[1] / t[0]))
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return float(np.median([r[2] for r in out])), out


class SweepFold:
    params = [1, 4]
    param_names = ["noise_levels"]
    number = 1
    repeat = 3
    timeout = 900

    def setup(self, levels):
        warm_up()
        self.tmp = tempfile.mkdtemp(prefix="fastrisk-bench-")

    def teardown(self, levels):
        shutil.rmtree(self.tmp, ignore_errors=True)

    def time_run(self, levels):
        sw.run(fold_spec(levels), tempfile.mkdtemp(dir=self.tmp), workers=1, progress=False)

    def peakmem_run(self, levels):
        sw.run(fold_spec(levels), tempfile.mkdtemp(dir=self.tmp), workers=1, progress=False)


# ----------------------------------------------------------------------------- a store of 10^5 tasks
def load_spec(tasks: int = LOAD_TASKS) -> dict:
    return {"n": 10, "p": 20, "seeds": tasks, "theory": True, "spectrum": [{"kind": "isotropic"}],
            "path": {"lam": [0.0, 1.0, 10.0], "eps": [0.0, 0.1], "norm": [2, "inf"], "target": ["clean"]}}


def make_store(out, tasks: int = LOAD_TASKS) -> None:
    """A store of ``tasks`` tasks laid out exactly as ``run`` lays it (batches of 256 tasks per file,
    ids in the footers, one theory file) with random numbers in the risk columns: computing 10^5 real
    tasks would take minutes and the load does not look at the values."""
    import pyarrow as pa

    from fastrisk.sweep.compute import TASK_SCHEMA, THEORY_SCHEMA
    from fastrisk.sweep.store import Store
    from fastrisk.sweep.tasks import BATCH_ITEMS

    s = sw.parse_spec(load_spec(tasks))
    grid = sw.expand(s)
    g = grid.groups[0]
    R = grid.rows_per_task
    lam, eps = np.asarray(g["lam"]), np.asarray(g["eps"])
    B = len(g["norms"])
    per = {"lam": np.tile(np.repeat(lam, eps.size), B), "eps": np.tile(eps, B * lam.size),
           "norm": np.repeat(np.array(g["norms"]), lam.size * eps.size)}
    rng = np.random.default_rng(0)
    with Store(out, s, grid) as store:
        theory = pa.table({c: rng.random(R) for c in THEORY_SCHEMA.names}, schema=THEORY_SCHEMA)
        store.write({"kind": "theory", "items": [grid.theory(0)]}, theory)
        for a in range(0, tasks, BATCH_ITEMS):
            ids = np.arange(a, min(tasks, a + BATCH_ITEMS))
            k = ids.size * R
            cols = {
                "task": np.repeat(ids, R), "model": ["linear"] * k, "spectrum": ["isotropic"] * k,
                "n": np.full(k, 10), "p": np.full(k, 20), "seed": np.repeat(ids, R), "noise": np.ones(k),
                "lam": np.tile(per["lam"], ids.size), "lam_n": np.tile(per["lam"], ids.size) / 10,
                "eps": np.tile(per["eps"], ids.size), "eps_spec": np.tile(per["eps"], ids.size),
                "norm": np.tile(per["norm"], ids.size), "target": ["clean"] * k,
                "standard_risk": rng.random(k), "adversarial_risk": rng.random(k),
                "empirical_adversarial_risk": np.full(k, np.nan),
            }
            store.write({"kind": "task", "items": [{"id": int(i)} for i in ids]},
                        pa.table(cols, schema=TASK_SCHEMA))


class Load:
    number = 1
    repeat = 3
    timeout = 900

    def setup_cache(self):
        out = os.path.abspath("fastrisk-bench-load-store")
        shutil.rmtree(out, ignore_errors=True)
        make_store(out)
        return out

    def time_load(self, out):
        sw.load(out)

    def peakmem_load(self, out):
        sw.load(out)


def main() -> None:
    import argparse

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--tasks", type=int, default=TASKS)
    ap.add_argument("--load", action="store_true", help="time the load of a 10^5-task store instead")
    ap.add_argument("--fold", action="store_true", help="time 4 noise levels against 1 (folded) instead")
    args = ap.parse_args()
    if args.fold:
        warm_up()
        ratio, rounds = fold_ratio(args.repeat)  # workers=1: every task on one thread (run's default)
        for one, four, r in rounds:
            print(f"1 noise level {one:.2f} s, 4 noise levels {four:.2f} s: {r:.3f}x", flush=True)
        print(f"spiked l2, n={FOLD_N}, p={FOLD_P}, {FOLD_L} penalties, 3 radii, {FOLD_SEEDS} seeds, "
              f"workers=1, one thread: 4 noise levels / 1 = {ratio:.3f} (median of {args.repeat}; "
              "target <= 1.6)")
        return
    tmp = tempfile.mkdtemp(prefix="fastrisk-bench-")

    def timed(f) -> float:
        t = time.perf_counter()
        f()
        return time.perf_counter() - t

    def cpu(f) -> float:  # this process's CPU time: the one-thread runs' cost, robust to a loaded machine
        t = time.process_time()
        f()
        return time.process_time() - t

    if args.load:
        try:
            t = timed(lambda: make_store(os.path.join(tmp, "store")))
            files = len(os.listdir(os.path.join(tmp, "store", "tasks")))
            print(f"wrote {LOAD_TASKS} tasks in {files} files in {t:.1f} s", flush=True)
            times = [timed(lambda: sw.load(os.path.join(tmp, "store"))) for _ in range(args.repeat)]
            df = sw.load(os.path.join(tmp, "store"))
            print(f"load of {LOAD_TASKS} tasks ({len(df)} rows, {df.shape[1]} columns): median "
                  f"{np.median(times):.2f} s of {args.repeat} (target < 10 s)")
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
        return

    warm_up()
    rows = []

    def sweep(workers):
        return lambda: sw.run(spec(args.tasks), tempfile.mkdtemp(dir=tmp), workers=workers, progress=False)

    def loop():
        with fr.threads(1):
            plain_loop(args.tasks)

    try:
        for _ in range(args.repeat):
            sw.shutdown_workers()
            c0 = time.process_time()
            t_loop = timed(loop)
            c1 = time.process_time()
            w1 = timed(sweep(1))
            c2 = time.process_time()
            cold = timed(sweep(2))  # starts the workers
            warm = timed(sweep(2))  # reuses them
            rows.append((t_loop, w1 / t_loop, t_loop / warm, t_loop / cold, (c2 - c1) / (c1 - c0)))
            print(f"loop {t_loop:.2f} s  workers=1 {w1:.2f} s  workers=2 warm {warm:.2f} s  "
                  f"cold {cold:.2f} s; CPU time workers=1 / loop {rows[-1][4]:.3f}", flush=True)
    finally:
        sw.shutdown_workers()
        shutil.rmtree(tmp, ignore_errors=True)
    med = np.median(np.array(rows), axis=0)
    print(f"{args.tasks} tasks, n={N}, p={P}, L={L}, E={E}, l2 + l_inf, one thread each; medians of "
          f"per-repeat ratios: plain loop {med[0]:.2f} s; workers=1 time / loop = {med[1]:.3f} "
          f"(target <= 1.15; in CPU time {med[4]:.3f}); workers=2 throughput / loop = {med[2]:.2f}x warm "
          f"(target >= 1.5), {med[3]:.2f}x with worker start-up")


if __name__ == "__main__":
    main()
