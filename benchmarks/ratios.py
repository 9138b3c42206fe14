"""The headline speed ratios of fastrisk: one registry of cases, measured the same way by asv and by scripts.

A case is a few *sides* (zero-argument callables: fastrisk's call, its floor, a peer) and the ratio of
their times. :func:`measure` runs every side once untimed (JIT, page faults), then ``rounds`` rounds
(at least 5 to quote a figure: single runs vary by +-0.1x on a shared 2-core machine); within a round
each side runs once, in an order that rotates from round to round, and the round's ratio is formed at
once. The figure is the median of the per-round ratios, so a noisy phase of the machine hits both sides
of a ratio instead of one figure. Ratios, unlike absolute times, stay comparable across machines (not
identical: a memory-bound pass and a compute-bound Gram scale differently).

Two kinds of case:

- ``cost``: fastrisk's time over its floor or the obvious reference, lower is better. The floor of a
  ridge path is F1 = one Gram ``X X^T`` + one ``numpy.linalg.eigh``, which any exact path pays;
- ``speedup``: a peer's time (the plain-NumPy way, scikit-learn, a per-penalty root finder) over
  fastrisk's, higher is better.

asv: ``RatioToFloor.track_ratio`` and ``Speedup.track_speedup`` (``unit = "ratio"``) take the case
name as their parameter, so ``asv publish`` shows every ratio over commits. Rounds:
``FASTRISK_BENCH_ROUNDS`` (default 5); sizes: ``FASTRISK_BENCH_SMALL=1`` for the quick ones. ::

    python -m benchmarks.ratios [--quick] [--rounds 5] [--only power_law ...] [--list]

prints each case as it finishes; ``python -m benchmarks.table --out docs/benchmarks.md`` writes the
docs' table from one such run, with the machine, date, threads and versions beside it.
"""

from __future__ import annotations

import argparse
import gc
import os
import subprocess
import sys
import time
import tracemalloc
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

if __package__ in (None, ""):  # run as a file: python benchmarks/ratios.py
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    __package__ = "benchmarks"

from ._common import make, penalties, pin_blas_threads, warm_up  # noqa: E402

#: Rounds per ratio (median of per-round ratios).
ROUNDS = int(os.environ.get("FASTRISK_BENCH_ROUNDS", "5"))


@dataclass(frozen=True)
class Sizes:
    """Problem sizes of the suite (``FULL`` for quoted figures, ``QUICK`` for smoke runs and tests)."""

    name: str
    n: int  # ridge paths: n samples, p features, L penalties, E radii
    p: int
    L: int
    E: int
    small: tuple[int, int, int, int]  # a sweep-sized path: (n, p, L, E)
    stream: tuple[int, int]  # RidgePath.from_design: (n, p)
    ntk_small_d: tuple[int, int]  # NTK Gram with a small input dimension: (n, d)
    ntk_square: int  # NTK Gram with n = d
    krr: int  # kernel ridge path: n = d
    theory_p: int  # deterministic equivalent: spectrum length
    sk_fits: int  # scikit-learn Ridge fits timed (extrapolated to L)
    cv_alphas: tuple[int, int]  # RidgeCV penalty counts timed (extrapolated to L, affine in L)
    sweep: tuple[int, int, int]  # fastrisk.sweep.run against the hand-written loop: (tasks, n, p)
    multi: tuple[int, int, int, int]  # RidgePathCV with 2-D y: (n, p, targets, penalties)
    targets: tuple[int, int, int, int]  # RidgePath with k targets: (n, p, L, k)
    fold: tuple[int, int, int] = (1000, 6000, 8)  # a sweep of 4 noise levels against 1: (n, p, seeds)
    wishart: tuple[int, int] = (2000, 10**6)  # the Wishart route (two_level): (n, p)


FULL = Sizes("full", n=1500, p=15000, L=1000, E=100, small=(300, 1500, 100, 10), stream=(500, 200_000),
             ntk_small_d=(4000, 100), ntk_square=3000, krr=2000, theory_p=10**6, sk_fits=2,
             cv_alphas=(10, 50), sweep=(192, 400, 2000), multi=(1000, 10000, 100, 100),
             targets=(1500, 15000, 1000, 100))
QUICK = Sizes("quick", n=120, p=1200, L=100, E=10, small=(60, 300, 20, 5), stream=(60, 6000),
              ntk_small_d=(400, 20), ntk_square=300, krr=200, theory_p=10**4, sk_fits=2,
              cv_alphas=(5, 10), sweep=(4, 40, 200), multi=(60, 600, 5, 10),
              targets=(120, 1200, 50, 5), fold=(60, 300, 2), wishart=(100, 10**4))


def default_sizes() -> Sizes:
    return QUICK if os.environ.get("FASTRISK_BENCH_SMALL") == "1" else FULL


@dataclass
class Bench:
    """A built case: its sides, the ratio of one round's times, and what to report beside it."""

    sides: dict[str, Callable[[], object]]
    ratio: Callable[[dict[str, float]], float]
    size: str
    reference: str  # the side the other times are compared with (its time is reported)
    info: Callable[[], str] = lambda: ""
    memory: tuple[str, ...] = ()  # sides whose extra peak memory the script reports
    cleanup: Callable[[], object] = lambda: None  # called once the case is measured
    wall_clock: bool = False  # always timed by the wall clock (work in other, long-lived processes)


@dataclass(frozen=True)
class Case:
    name: str
    kind: str  # "cost" (lower is better) or "speedup" (higher is better)
    group: str
    what: str
    build: Callable[[Sizes], Bench]
    target: float | None = None


@dataclass
class Result:
    case: Case
    size: str
    ratios: list[float]
    times: dict[str, list[float]]
    reference: str
    load: tuple[float, float]  # 1-minute load average before and after the rounds
    memory: dict[str, float] = field(default_factory=dict)  # MiB beyond what existed before
    info: str = ""

    @property
    def median(self) -> float:
        return float(np.median(self.ratios))

    def as_dict(self) -> dict:
        return {"case": self.case.name, "kind": self.case.kind, "group": self.case.group,
                "what": self.case.what, "target": self.case.target, "size": self.size,
                "median": self.median, "ratios": self.ratios, "times": self.times,
                "reference": self.reference, "load": list(self.load), "memory": self.memory,
                "info": self.info}


# ---------------------------------------------------------------------------------------- measuring
def cpu_clock() -> float:
    """CPU seconds of this process and its finished children. On an oversubscribed machine a ratio of
    CPU times at one thread stays near the quiet one-core ratio, where wall-clock ratios drown in the
    other processes' noise; it says nothing about how well a call uses several cores."""
    t = os.times()
    return time.process_time() + t.children_user + t.children_system


#: The clock of :func:`timed`: wall clock (``time.perf_counter``) or :func:`cpu_clock` (``--clock cpu``).
CLOCK: Callable[[], float] = time.perf_counter


def timed(f: Callable[[], object], clock: Callable[[], float] | None = None) -> float:
    clock = clock or CLOCK
    gc.collect()
    t = clock()
    f()
    return clock() - t


def peak_extra(f: Callable[[], object]) -> float:
    """Peak MiB that NumPy allocated while ``f`` ran, beyond what existed before (tracemalloc)."""
    gc.collect()
    tracemalloc.start()
    tracemalloc.reset_peak()
    base = tracemalloc.get_traced_memory()[0]
    f()
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return (peak - base) / 2**20


def measure(case: Case, bench: Bench, rounds: int = ROUNDS, memory: bool = False) -> Result:
    """Run one case: each side once untimed, then ``rounds`` rotating rounds (see the module notes)."""
    names = list(bench.sides)
    for name in names:
        bench.sides[name]()
    load0 = os.getloadavg()[0]
    times: dict[str, list[float]] = {name: [] for name in names}
    ratios = []
    clock = time.perf_counter if bench.wall_clock else CLOCK
    for r in range(rounds):
        k = r % len(names)
        t = {name: timed(bench.sides[name], clock) for name in names[k:] + names[:k]}
        for name in names:
            times[name].append(t[name])
        ratios.append(float(bench.ratio(t)))
    load1 = os.getloadavg()[0]
    mem = {name: peak_extra(bench.sides[name]) for name in bench.memory} if memory else {}
    bench.cleanup()
    info = "; ".join(x for x in (bench.info(), "wall clock" if bench.wall_clock and CLOCK is not
                                  time.perf_counter else "") if x)
    return Result(case, bench.size, ratios, times, bench.reference, (load0, load1), mem, info)


# ---------------------------------------------------------------------------------------- the cases
def f1(X: np.ndarray) -> None:
    """The floor F1: one Gram and one eigh."""
    np.linalg.eigh(X @ X.T)


def numpy_way(X, y, lam, design, eps) -> np.ndarray:
    """The plain NumPy way: Gram + eigh, then every coefficient at once as one (p, L) GEMM, the
    standard risk and the l1 norm from it, and the l_inf adversarial risk."""
    s, U = np.linalg.eigh(X @ X.T)
    z = U.T @ y
    W = z[:, None] / (s[:, None] + lam[None, :])
    Theta = X.T @ (U @ W)  # (p, L)
    D = Theta - design.theta_star[:, None]
    R = np.einsum("pl,pl->l", D, design.cov[:, None] * D)
    b = np.abs(Theta).sum(axis=0)
    a = np.sqrt(R)
    return R[:, None] + 2 * np.sqrt(2 / np.pi) * eps * (a * b)[:, None] + (eps * b[:, None]) ** 2


def _norm(norm: str) -> float:
    return np.inf if norm == "inf" else 2.0


def _ridge_path(X, y, lam, design, eps, norm, route=None):
    import fastrisk as fr

    rp = fr.RidgePath(X, y, lam)
    rp._route_override = route
    rp.adversarial_risk(design, eps, norm=norm)
    rp.standard_risk(design)  # cached by the call above
    return rp


def _route_info(state: dict) -> Callable[[], str]:
    def info() -> str:
        rp = state.get("rp")
        if rp is None:
            return ""
        rank = (rp.lowrank_info or {}).get("rank") if rp.last_route == "lowrank" else None
        return f"route {rp.last_route}" + (f", rank {rank}" if rank is not None else "")
    return info


def ridge_case(kind: str, norm: str, L: int | None = None, route: str | None = None,
               dtype=np.float64) -> Callable[[Sizes], Bench]:
    """fastrisk's whole path (standard + adversarial risk, every penalty and radius) / F1 on the
    same X (float64 F1 also for a float32 X)."""
    def build(sz: Sizes) -> Bench:
        design, X, y = make(kind, sz.n, sz.p)
        Xp = X.astype(np.float32) if dtype == np.float32 else X
        Lc = L or sz.L
        lam, eps = penalties(Lc, sz.n), np.linspace(0.0, 1.0, sz.E)
        state: dict = {}

        def path():
            state["rp"] = _ridge_path(Xp, y, lam, design, eps, _norm(norm), route)

        return Bench({"F1": lambda: f1(X), "fastrisk": path}, lambda t: t["fastrisk"] / t["F1"],
                     f"n={sz.n} p={sz.p} L={Lc} E={sz.E}", "F1", _route_info(state), ("F1", "fastrisk"))
    return build


def small_path_case(sz: Sizes) -> Bench:
    """A sweep-sized l_inf path / its F1: where thread pools and Python overhead show."""
    n, p, L, E = sz.small
    design, X, y = make("power_law", n, p)
    lam, eps = penalties(L, n), np.linspace(0.0, 1.0, E)

    def path():
        _ridge_path(X, y, lam, design, eps, np.inf)

    return Bench({"F1": lambda: f1(X), "fastrisk": path}, lambda t: t["fastrisk"] / t["F1"],
                 f"n={n} p={p} L={L} E={E}", "F1")


def streaming_case(sz: Sizes) -> Bench:
    """``RidgePath.from_design`` (X never held) with l2 risks / drawing that X densely."""
    import fastrisk as fr
    from fastrisk import spectra

    n, p = sz.stream
    ts = np.zeros(p)
    ts[0] = 1.0
    design = fr.GaussianDesign(spectra.spiked(p, 10, spike=1.0, tail=0.05), ts, noise=1.0)
    lam, eps = penalties(sz.L, n), np.linspace(0.0, 1.0, sz.E)

    def path():
        fr.RidgePath.from_design(design, n, lam, seed=0).adversarial_risk(design, eps, norm=2)

    return Bench({"draw X": lambda: design.sample(n, seed=0), "fastrisk": path},
                 lambda t: t["fastrisk"] / t["draw X"], f"n={n} p={p} L={sz.L} E={sz.E}", "draw X",
                 memory=("fastrisk",))


def _cv_data(sz: Sizes):
    """The estimators' benchmark data (``benchmarks/bench_estimators.py``): a sparse signal, unit noise,
    column means of the order of the spread (the intercept matters)."""
    from .bench_estimators import make as cv_make

    return cv_make(sz.n, sz.p)


def _alphas(k: int, n: int) -> np.ndarray:
    from .bench_estimators import alphas

    return alphas(k, n)


def cv_case(fit_intercept: bool) -> Callable[[Sizes], Bench]:
    """``RidgePathCV(alphas).fit`` (exact leave-one-out for every penalty) / F1."""
    def build(sz: Sizes) -> Bench:
        from fastrisk.estimators import RidgePathCV

        X, y = _cv_data(sz)
        est = RidgePathCV(alphas=_alphas(sz.L, sz.n), fit_intercept=fit_intercept)
        return Bench({"F1": lambda: f1(X), "fastrisk": lambda: est.fit(X, y)},
                     lambda t: t["fastrisk"] / t["F1"], f"n={sz.n} p={sz.p} L={sz.L}", "F1")
    return build


def ntk_gram_case(small_d: bool) -> Callable[[Sizes], Bench]:
    """``ntk_gram(X)`` (infinite width) / the linear Gram ``X X^T``."""
    def build(sz: Sizes) -> Bench:
        from fastrisk.ntk import ntk_gram

        n, d = sz.ntk_small_d if small_d else (sz.ntk_square, sz.ntk_square)
        X = np.random.default_rng(0).standard_normal((n, d))
        return Bench({"X X^T": lambda: X @ X.T, "fastrisk": lambda: ntk_gram(X)},
                     lambda t: t["fastrisk"] / t["X X^T"], f"n={n} d={d}", "X X^T")
    return build


def krr_case(sz: Sizes) -> Bench:
    """``KernelRidgePath`` on the NTK Gram (RKHS norms, training error, df for L penalties) / NTK Gram
    + one eigh."""
    import scipy.linalg

    from fastrisk.ntk import KernelRidgePath, ntk_gram

    rng = np.random.default_rng(1)
    X = rng.standard_normal((sz.krr, sz.krr))
    y = rng.standard_normal(sz.krr)
    lam = np.concatenate([[0.0], np.logspace(-3, 3, sz.L - 1)])

    def floor():
        scipy.linalg.eigh(ntk_gram(X), lower=True, overwrite_a=True, check_finite=False, driver="evd")

    def path():
        kp = KernelRidgePath(ntk_gram(X), y, lam, overwrite=True)
        kp.rkhs_norm_sq()
        kp.training_error()
        kp.df()

    return Bench({"Gram + eigh": floor, "fastrisk": path}, lambda t: t["fastrisk"] / t["Gram + eigh"],
                 f"n=d={sz.krr} L={sz.L}", "Gram + eigh")


def import_case(sz: Sizes) -> Bench:
    """``import fastrisk`` / ``import numpy, scipy.linalg, numba`` (which the core needs anyway), each
    in a fresh interpreter."""
    def run(code: str) -> Callable[[], object]:
        return lambda: subprocess.run([sys.executable, "-c", code], check=True)

    return Bench({"floor": run("import numpy, scipy.linalg, numba"), "fastrisk": run("import fastrisk")},
                 lambda t: t["fastrisk"] / t["floor"], "fresh interpreter", "floor")


def numpy_way_case(sz: Sizes) -> Bench:
    """The plain NumPy way (a (p, L) GEMM) / fastrisk, power-law Sigma, l_inf attack."""
    design, X, y = make("power_law", sz.n, sz.p)
    lam, eps = penalties(sz.L, sz.n), np.linspace(0.0, 1.0, sz.E)
    return Bench({"fastrisk": lambda: _ridge_path(X, y, lam, design, eps, np.inf),
                  "NumPy": lambda: numpy_way(X, y, lam, design, eps)},
                 lambda t: t["NumPy"] / t["fastrisk"], f"n={sz.n} p={sz.p} L={sz.L} E={sz.E}",
                 "fastrisk", memory=("NumPy", "fastrisk"))


def sklearn_ridge_case(sz: Sizes) -> Bench:
    """scikit-learn ``Ridge(alpha).fit`` per penalty (``sk_fits`` fits timed, scaled to L) / fastrisk's
    whole power-law l2 path."""
    from sklearn.linear_model import Ridge

    design, X, y = make("power_law", sz.n, sz.p)
    lam, eps = penalties(sz.L, sz.n), np.linspace(0.0, 1.0, sz.E)
    alphas = lam[np.linspace(1, sz.L - 1, sz.sk_fits).astype(int)]

    def loop():
        for a in alphas:
            Ridge(alpha=a, fit_intercept=False).fit(X, y)

    return Bench({"fastrisk": lambda: _ridge_path(X, y, lam, design, eps, 2.0), "scikit-learn": loop},
                 lambda t: t["scikit-learn"] * (sz.L / sz.sk_fits) / t["fastrisk"],
                 f"n={sz.n} p={sz.p} L={sz.L} ({sz.sk_fits} fits, scaled)", "fastrisk")


def ridgecv_case(sz: Sizes) -> Bench:
    """scikit-learn ``RidgeCV(alphas).fit`` (leave-one-out) / ``RidgePathCV``: RidgeCV's cost is affine in
    the number of penalties, so it is timed at two counts and extrapolated to L within each round."""
    from sklearn.linear_model import RidgeCV

    from fastrisk.estimators import RidgePathCV

    X, y = _cv_data(sz)
    k1, k2 = sz.cv_alphas
    ours = RidgePathCV(alphas=_alphas(sz.L, sz.n))

    def ratio(t):
        t_L = t["RidgeCV a"] + (sz.L - k1) * (t["RidgeCV b"] - t["RidgeCV a"]) / (k2 - k1)
        return t_L / t["fastrisk"]

    return Bench({"fastrisk": lambda: ours.fit(X, y),
                  "RidgeCV a": lambda: RidgeCV(alphas=_alphas(k1, sz.n)).fit(X, y),
                  "RidgeCV b": lambda: RidgeCV(alphas=_alphas(k2, sz.n)).fit(X, y)},
                 ratio, f"n={sz.n} p={sz.p} L={sz.L} (RidgeCV at {k1}, {k2}, extrapolated)", "fastrisk")


def multitarget_case(sz: Sizes) -> Bench:
    """scikit-learn ``RidgeCV(alpha_per_target=True)`` / ``RidgePathCV(alpha_per_target=True)`` on a 2-D y
    (one Gram and one eigh for every target)."""
    from sklearn.linear_model import RidgeCV

    from fastrisk.estimators import RidgePathCV

    from .bench_estimators import make as cv_make

    n, p, k, L = sz.multi
    X, Y = cv_make(n, p, k=k)
    a = _alphas(L, n)
    return Bench({"fastrisk": lambda: RidgePathCV(alphas=a, alpha_per_target=True).fit(X, Y),
                  "scikit-learn": lambda: RidgeCV(alphas=a, alpha_per_target=True).fit(X, Y)},
                 lambda t: t["scikit-learn"] / t["fastrisk"], f"n={n} p={p} {k} targets L={L}", "fastrisk")


def targets_case(what: str) -> Callable[[Sizes], Bench]:
    """``RidgePath(X, Y, lam)`` with k targets (one X, k label-noise draws; spiked Sigma, l2 risks) against
    one target (``"single"``), against F1 (``"F1"``), or the per-column loop (2 columns timed, scaled to
    k) against it (``"loop"``, a speedup); ``benchmarks/bench_multitarget.py``'s problem."""
    def build(sz: Sizes) -> Bench:
        from .bench_multitarget import make as mt_make

        n, p, L, k = sz.targets
        design, X, y, Y = mt_make("spiked", n, p, k)
        lam, eps = penalties(L, n), np.linspace(0.0, 1.0, sz.E)

        def path(yy):
            return lambda: _ridge_path(X, yy, lam, design, eps, 2.0)

        size = f"n={n} p={p} L={L} E={sz.E} k={k}"
        if what == "single":
            return Bench({"single": path(y), "fastrisk": path(Y)}, lambda t: t["fastrisk"] / t["single"],
                         size, "single", memory=("single", "fastrisk"))
        if what == "F1":
            return Bench({"F1": lambda: f1(X), "fastrisk": path(Y)}, lambda t: t["fastrisk"] / t["F1"],
                         size, "F1")

        def loop():
            for t in range(2):
                path(Y[:, t])()

        return Bench({"fastrisk": path(Y), "loop": loop}, lambda t: t["loop"] * (k / 2) / t["fastrisk"],
                     size + " (loop: 2 columns, scaled)", "fastrisk")
    return build


def ntk_numpy_case(sz: Sizes) -> Bench:
    """The plain NumPy NTK Gram (GEMM, then separate elementwise calls) / ``ntk_gram``."""
    from fastrisk.ntk import ntk_gram

    from .bench_ntk import numpy_ntk_gram

    n, d = sz.ntk_small_d
    X = np.random.default_rng(0).standard_normal((n, d))
    return Bench({"fastrisk": lambda: ntk_gram(X), "NumPy": lambda: numpy_ntk_gram(X)},
                 lambda t: t["NumPy"] / t["fastrisk"], f"n={n} d={d}", "fastrisk")


def brentq_case(sz: Sizes) -> Bench:
    """A per-penalty ``scipy.optimize.brentq`` solve of the deterministic equivalent (10 penalties
    timed, scaled to L) / ``ridge_equivalent`` over all L."""
    from fastrisk.theory import ridge_equivalent

    from .bench_theory import _brentq_path

    p, L, n = sz.theory_p, sz.L, 1000
    from fastrisk import spectra

    s = spectra.bllt_log(p)
    th = np.zeros(p)
    th[:10] = 1.0 / np.sqrt(10)
    lam = np.concatenate([[0.0], np.logspace(-3, 4, L - 1)]) * n / 1000
    sub = lam[:: max(1, L // 10)]
    return Bench({"fastrisk": lambda: ridge_equivalent(s, th, 1.0, n, lam, sequence_norms=False),
                  "brentq": lambda: _brentq_path(s, th, 1.0, n, sub)},
                 lambda t: t["brentq"] * (L / sub.size) / t["fastrisk"],
                 f"p={p} n={n} L={L} ({sub.size} brentq solves, scaled)", "fastrisk")


def sweep_case(workers: int) -> Callable[[Sizes], Bench]:
    """``fastrisk.sweep.run`` (tasks, a Parquet store, ``workers`` processes on one thread each, a pool
    kept from an earlier sweep) against the same loop written by hand on one thread
    (``benchmarks/bench_sweep.py``). workers = 1: the sweep's time over the loop's (cost);
    workers = 2: the loop's time over the sweep's, i.e. throughput (speedup)."""
    def build(sz: Sizes) -> Bench:
        import shutil
        import tempfile

        import fastrisk as fr
        import fastrisk.sweep as sw

        from . import bench_sweep as bs

        tasks, n, p = sz.sweep
        bs.warm_up(workers)
        root = tempfile.mkdtemp(prefix="fastrisk-bench-ratios-")

        def loop():
            with fr.threads(1):
                bs.plain_loop(tasks, n, p)

        def sweep():
            sw.run(bs.spec(tasks, n, p), tempfile.mkdtemp(dir=root), workers=workers, progress=False)

        ratio = ((lambda t: t["sweep"] / t["loop"]) if workers == 1 else (lambda t: t["loop"] / t["sweep"]))
        return Bench({"loop": loop, "sweep": sweep}, ratio, f"{tasks} tasks n={n} p={p}, workers={workers}",
                     "loop", cleanup=lambda: shutil.rmtree(root, ignore_errors=True), wall_clock=workers > 1)
    return build


def fold_case(sz: Sizes) -> Bench:
    """A sweep with 4 noise levels against the same sweep with 1 (``benchmarks/bench_sweep.py``): the
    noise levels of one seed share X, so they are one fold and one eigh (cost; was 2.3-2.7x when every
    noise level paid its own)."""
    import shutil
    import tempfile

    import fastrisk.sweep as sw

    from . import bench_sweep as bs

    n, p, seeds = sz.fold
    bs.warm_up(1)
    root = tempfile.mkdtemp(prefix="fastrisk-bench-ratios-")

    def run(levels: int):
        sw.run(bs.fold_spec(levels, n, p, seeds), tempfile.mkdtemp(dir=root), workers=1, progress=False)

    return Bench({"one level": lambda: run(1), "four levels": lambda: run(4)},
                 lambda t: t["four levels"] / t["one level"],
                 f"n={n} p={p} {seeds} seeds, L={bs.FOLD_L} E={bs.FOLD_E}, workers=1", "one level",
                 cleanup=lambda: shutil.rmtree(root, ignore_errors=True))


def _wishart_design(n: int, p: int):
    import fastrisk as fr
    from fastrisk import spectra

    s = spectra.two_level(p, p ** (1 / 3) / p, tau=2.0, compact=True)  # low p = p^(1/3) (p = n^1.5)
    return fr.GaussianDesign(s, np.eye(s.m)[0], noise=1.0)


def wishart_case(sz: Sizes) -> Bench:
    """The Wishart route (two_level, compact spectrum: the tail's Gram drawn from its law, 1000
    penalties, l2 standard and adversarial risks, 20 radii) against one ``eigh`` of an n x n matrix,
    the floor of any exact path at that n (cost: the draw and the risks over the eigh)."""
    import fastrisk as fr

    n, p = sz.wishart
    design = _wishart_design(n, p)
    lam, eps = penalties(1000, n), np.linspace(0.0, 1.0, 20)
    A = np.random.default_rng(0).standard_normal((n, n))
    A = A @ A.T

    def path():
        rp = fr.RidgePath.from_design(design, n, lam, seed=0, tail="wishart")
        rp.adversarial_risk(design, eps, norm=2)
        rp.adversarial_risk(design, eps, norm=2, target="consistent")

    return Bench({"eigh": lambda: np.linalg.eigh(A), "fastrisk": path}, lambda t: t["fastrisk"] / t["eigh"],
                 f"n={n} p={p:.0e} L=1000 E=20", "eigh", memory=("fastrisk",))


def wishart_streamed_case(sz: Sizes) -> Bench:
    """The streamed explicit route (X drawn block by block, ``RidgePath.from_design``) over the Wishart
    route on the same two_level design, at a size both can run (speedup; same law, different draws)."""
    import fastrisk as fr

    n, p = sz.stream
    full = _wishart_design(n, p).expanded()  # the same design with length-p arrays
    lam, eps = penalties(1000, n), np.linspace(0.0, 1.0, 20)

    def run(tail: str):
        rp = fr.RidgePath.from_design(full, n, lam, seed=0, tail=tail)
        rp.adversarial_risk(full, eps, norm=2)

    return Bench({"streamed": lambda: run("explicit"), "wishart": lambda: run("wishart")},
                 lambda t: t["streamed"] / t["wishart"], f"n={n} p={p} L=1000 E=20", "wishart",
                 memory=("streamed", "wishart"))


_R = "ridge path"
CASES: dict[str, Case] = {c.name: c for c in [
    Case("spiked l2", "cost", _R, "spiked Sigma, l2 attack", ridge_case("spiked", "2"), 1.15),
    Case("spiked l_inf", "cost", _R, "spiked Sigma, l_inf attack", ridge_case("spiked", "inf")),
    Case("power_law l2", "cost", _R, "power-law Sigma, l2 attack", ridge_case("power_law", "2"), 1.15),
    Case("power_law l_inf", "cost", _R, "power-law Sigma, l_inf attack", ridge_case("power_law", "inf"),
         1.15),
    Case("bllt_log l2", "cost", _R, "bllt_log Sigma, l2 attack", ridge_case("bllt_log", "2"), 1.15),
    Case("bllt_log l_inf", "cost", _R, "bllt_log Sigma, l_inf attack", ridge_case("bllt_log", "inf")),
    Case("spiked l2 L=100", "cost", _R, "spiked Sigma, l2 attack, 100 penalties",
         ridge_case("spiked", "2", L=100)),
    Case("power_law l2 exact", "cost", _R, "power-law Sigma, l2, exact route (X Sigma X^T)",
         ridge_case("power_law", "2", route="gram")),
    Case("power_law l_inf exact", "cost", _R, "power-law Sigma, l_inf, exact feature pass",
         ridge_case("power_law", "inf", route="pass")),
    Case("spiked l2 float32", "cost", _R, "spiked Sigma, l2, float32 X (float64 F1)",
         ridge_case("spiked", "2", dtype=np.float32), 0.6),
    Case("power_law l2 float32", "cost", _R, "power-law Sigma, l2, float32 X (float64 F1)",
         ridge_case("power_law", "2", dtype=np.float32)),
    Case("k targets / one", "cost", _R, "k targets / one target, spiked Sigma, l2", targets_case("single"),
         1.5),
    Case("k targets / F1", "cost", _R, "k targets / F1, spiked Sigma, l2", targets_case("F1")),
    Case("small l_inf", "cost", _R, "sweep-sized path, power-law Sigma, l_inf", small_path_case),
    Case("wishart", "cost", _R, "RidgePath.from_design(tail='wishart'), two_level, l2 / one n x n eigh",
         wishart_case),
    Case("from_design", "cost", _R, "RidgePath.from_design, spiked, l2 (X never held) / drawing X",
         streaming_case, 1.0),
    Case("RidgePathCV", "cost", "estimators", "RidgePathCV.fit, leave-one-out, intercept",
         cv_case(True), 1.3),
    Case("RidgePathCV no intercept", "cost", "estimators", "RidgePathCV.fit, leave-one-out",
         cv_case(False), 1.3),
    Case("ntk_gram small d", "cost", "NTK", "ntk_gram / X X^T, small input dimension",
         ntk_gram_case(True), 1.5),
    Case("ntk_gram n=d", "cost", "NTK", "ntk_gram / X X^T, n = d", ntk_gram_case(False), 1.1),
    Case("KernelRidgePath", "cost", "NTK", "KernelRidgePath on the NTK Gram / Gram + eigh", krr_case,
         1.3),
    Case("import", "cost", "start-up", "import fastrisk / import numpy, scipy.linalg, numba",
         import_case),
    Case("sweep workers=1", "cost", "sweep", "fastrisk.sweep.run, 1 worker / the same loop by hand",
         sweep_case(1), 1.15),
    Case("NumPy way", "speedup", "peers", "plain NumPy (p, L) GEMM / fastrisk, power-law, l_inf",
         numpy_way_case),
    Case("scikit-learn Ridge", "speedup", "peers", "scikit-learn Ridge.fit loop / fastrisk, power-law, l2",
         sklearn_ridge_case),
    Case("scikit-learn RidgeCV", "speedup", "peers", "scikit-learn RidgeCV / RidgePathCV", ridgecv_case,
         10.0),
    Case("per-column loop", "speedup", "peers", "one path per target / RidgePath(X, Y), k targets",
         targets_case("loop")),
    Case("scikit-learn RidgeCV 2-D y", "speedup", "peers",
         "scikit-learn RidgeCV / RidgePathCV, a penalty per target", multitarget_case),
    Case("NumPy NTK Gram", "speedup", "peers", "plain NumPy NTK Gram / ntk_gram", ntk_numpy_case),
    Case("brentq", "speedup", "peers", "per-penalty brentq / ridge_equivalent (theory)", brentq_case),
    Case("sweep fold", "cost", "sweep", "fastrisk.sweep.run, 4 noise levels / 1 noise level (one X per seed)",
         fold_case, 1.6),
    Case("streamed / wishart", "speedup", "peers", "RidgePath.from_design streamed / tail='wishart', "
         "two_level, l2", wishart_streamed_case),
    Case("sweep workers=2", "speedup", "sweep", "the loop by hand / fastrisk.sweep.run with 2 workers "
         "(throughput)", sweep_case(2), 1.5),
]}


def set_clock(name: str) -> None:
    """``"wall"`` or ``"cpu"`` (see :func:`cpu_clock`)."""
    global CLOCK
    CLOCK = cpu_clock if name == "cpu" else time.perf_counter


def select(only: list[str] | None = None) -> list[Case]:
    """The cases named in ``only``, or whose name contains one of its entries that names no case
    (all when empty), in the registry's order."""
    if not only:
        return list(CASES.values())
    return [c for c in CASES.values() if c.name in only or any(s not in CASES and s in c.name for s in only)]


def run_suite(cases: list[Case], sizes: Sizes, rounds: int = ROUNDS, memory: bool = True,
              report: Callable[[Result], None] | None = None, threads: int | None = None) -> list[Result]:
    """Measure ``cases`` one after the other. ``threads``: BLAS and Numba threads (default: BLAS pinned
    to ``FASTRISK_BENCH_THREADS``, Numba untouched; the quick sizes run on one thread, which on a
    loaded machine is far steadier for tiny problems)."""
    if threads is None and sizes is QUICK:
        threads = 1
    if threads is None:
        pin_blas_threads()
    else:
        import fastrisk as fr

        fr.set_threads(threads)
    warm_up()
    out = []
    for case in cases:
        res = measure(case, case.build(sizes), rounds, memory)
        out.append(res)
        if report is not None:
            report(res)
        gc.collect()
    return out


def format_line(res: Result) -> str:
    c = res.case
    sign = "<=" if c.kind == "cost" else ">="
    target = f", target {sign} {c.target:g}" if c.target is not None else ""
    mem = ", ".join(f"{k} +{v:.0f} MiB" for k, v in res.memory.items())
    extra = "; ".join(s for s in (res.info, mem) if s)
    return (f"{c.name:26s} {res.median:8.3f}x  [{min(res.ratios):.3f}, {max(res.ratios):.3f}] "
            f"({c.what}; {res.size}{target}; {res.reference} {np.median(res.times[res.reference]):.3f} s; "
            f"load {res.load[0]:.1f}-{res.load[1]:.1f}" + (f"; {extra})" if extra else ")"))


# ---------------------------------------------------------------------------------------- asv
class _Track:
    unit = "ratio"
    timeout = 1800
    number = 1
    repeat = 1
    kind = ""

    def setup(self, name):
        pin_blas_threads()
        warm_up()
        self.case = CASES[name]
        self.bench = self.case.build(default_sizes())

    def teardown(self, name):
        self.bench.cleanup()

    def _run(self, name) -> float:
        return measure(self.case, self.bench, ROUNDS).median


class RatioToFloor(_Track):
    """fastrisk's time over its floor (``cost`` cases), median of per-round ratios; lower is better."""

    params = [c.name for c in CASES.values() if c.kind == "cost"]
    param_names = ["case"]

    def track_ratio(self, name):
        return self._run(name)


class Speedup(_Track):
    """A peer's time over fastrisk's (``speedup`` cases), median of per-round ratios; higher is better."""

    params = [c.name for c in CASES.values() if c.kind == "speedup"]
    param_names = ["case"]

    def track_speedup(self, name):
        return self._run(name)


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description="The headline speed ratios, interleaved, medians of rounds.")
    ap.add_argument("--quick", action="store_true", help="tiny sizes (a smoke run, not a figure to quote)")
    ap.add_argument("--rounds", type=int, default=ROUNDS, help="rounds per ratio (default %(default)s)")
    ap.add_argument("--only", nargs="+", metavar="SUBSTR", help="cases whose name contains one of these")
    ap.add_argument("--no-memory", action="store_true", help="skip the peak-memory runs")
    ap.add_argument("--threads", type=int, help="BLAS and Numba threads (default: BLAS "
                    "FASTRISK_BENCH_THREADS, Numba all; --quick: 1)")
    ap.add_argument("--clock", choices=["wall", "cpu"], default="wall",
                    help="cpu: process CPU time (use with --threads 1 on a loaded machine)")
    ap.add_argument("--list", action="store_true", help="list the cases and exit")
    args = ap.parse_args(argv)
    set_clock(args.clock)
    cases = select(args.only)
    if args.list:
        for c in cases:
            print(f"{c.name:26s} {c.kind:8s} {c.what}")
        return
    sizes = QUICK if args.quick else default_sizes()
    print(f"{sizes.name} sizes, {args.rounds} rounds, {args.clock} clock, load {os.getloadavg()[0]:.1f}",
          flush=True)
    run_suite(cases, sizes, args.rounds, not args.no_memory, lambda r: print(format_line(r), flush=True),
              args.threads)


if __name__ == "__main__":
    main()
