"""asv benchmarks for the scikit-learn estimators (``FASTRISK_BENCH_SMALL=1``: tiny sizes, seconds).

One target, n = 2000, p = 20000, 1000 penalties (compare within one ``asv run``):

- ``Floor.time_gram_eigh``: one Gram (SYRK) + one eigh, the floor F1 of any exact ridge path;
- ``RidgePathCVFit.time_fit``: ``RidgePathCV(alphas).fit`` with 1000 penalties (exact leave-one-out
  for all of them), with and without an intercept (the intercept centres X block by block inside the
  Gram loop: no centred copy), LOO or GCV; target: within 1.3x the floor;
- ``InterceptOffsets.time_fit``: the intercept with column means 0.5 and 1e4 times the spread;
- ``RobustFit.time_fit``: the same with ``eps=0.1`` (the exact leave-one-out l2 adversarial loss);
- ``SklearnRidgeCV.time_fit``: ``sklearn.linear_model.RidgeCV(alphas).fit`` with 10 and 50 penalties.
  Its cost is affine in the number of penalties L, so the time at L = 1000 is extrapolated as
  ``T(10) + 990 (T(50) - T(10)) / 40``.

k = 100 targets, 100 penalties, n = 1000, p = 10000 (``alpha_per_target=True``, intercept):

- ``FloorMulti.time_gram_eigh``: F1 at that size;
- ``MultiTarget.time_fit``: ``RidgePathCV(alpha_per_target=True).fit(X, Y)``, one Gram and one eigh
  (``MultiTargetMeansOnly``: the same with ``store_cv_results=False``);
- ``SklearnMultiTarget.time_fit``: ``RidgeCV(alpha_per_target=True).fit(X, Y)``;
- ``PerColumnLoop.time_fit``: ``RidgePathCV().fit(X, Y[:, t])`` for every column t (an eigh each).

``python -m benchmarks.bench_estimators [--repeat 3] [--clock cpu --threads 1]`` measures the ratios in
one process, alternating every measurement with its floor, and prints medians of per-round ratios (the
only figures worth quoting on a shared machine); ``--loop-columns m`` times the per-column loop on m
columns and scales it to k (each column is the same work). ``--clock cpu --threads 1`` pins BLAS to one
thread and reads the process CPU time: on an oversubscribed machine that ratio stays near the quiet
one-core ratio while wall-clock ratios drown in the other processes' noise.
"""

from __future__ import annotations

import argparse
import os
import time
import tracemalloc

import numpy as np

from ._common import pin_blas_threads

SMALL = os.environ.get("FASTRISK_BENCH_SMALL") == "1"
N, P = (200, 2000) if SMALL else (2000, 20000)
L = 1000
N2, P2 = (100, 1000) if SMALL else (1000, 10000)
K2, L2 = 100, 100


def make(n: int = N, p: int = P, seed: int = 0, k: int | None = None, offset: float = 0.5):
    """A dense Gaussian design (unit spread, column means ``offset`` times a uniform(1, 2) draw, so that
    the intercept matters) with a sparse signal and unit noise; ``k`` targets (2-D y) or one (1-D y).
    Means of the order of the spread are folded into the Gram; means like 1e4 make every column block
    be centred before its product (:func:`fastrisk.estimators._decompose.dual_gram`)."""
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, p)) + offset * (1.0 + rng.random(p))
    if k is None:
        return X, X[:, :10] @ np.ones(10) + rng.standard_normal(n)
    B = rng.standard_normal((10, k))
    return X, X[:, :10] @ B + rng.standard_normal((n, k))


def alphas(k: int = L, n: int = N) -> np.ndarray:
    return n * np.logspace(-4, 3, k)


def floor(X) -> None:
    np.linalg.eigh(X @ X.T)


class Floor:
    """Gram + eigh: the floor."""

    timeout = 600
    number = 1
    repeat = 3

    def setup(self):
        pin_blas_threads()
        self.X, self.y = make()

    def time_gram_eigh(self):
        floor(self.X)

    def peakmem_gram_eigh(self):
        floor(self.X)


class RidgePathCVFit:
    """fastrisk: exact leave-one-out over 1000 penalties from one eigendecomposition."""

    params = ([True, False], ["loo", "gcv"])
    param_names = ["fit_intercept", "criterion"]
    timeout = 600
    number = 1
    repeat = 3

    def setup(self, fit_intercept, criterion):
        pin_blas_threads()
        from fastrisk.estimators import RidgePathCV

        self.est = RidgePathCV(alphas=alphas(), fit_intercept=fit_intercept, criterion=criterion)
        self.X, self.y = make()

    def time_fit(self, fit_intercept, criterion):
        self.est.fit(self.X, self.y)

    def peakmem_fit(self, fit_intercept, criterion):
        self.est.fit(self.X, self.y)


class InterceptOffsets:
    """RidgePathCV(fit_intercept=True) with column means of the order of the spread (folded into the
    Gram) and 1e4 times it (every block centred before its product)."""

    params = [0.5, 1e4]
    param_names = ["offset"]
    timeout = 600
    number = 1
    repeat = 3

    def setup(self, offset):
        pin_blas_threads()
        from fastrisk.estimators import RidgePathCV

        self.est = RidgePathCV(alphas=alphas())
        self.X, self.y = make(offset=offset)

    def time_fit(self, offset):
        self.est.fit(self.X, self.y)

    def peakmem_fit(self, offset):
        self.est.fit(self.X, self.y)


class RobustFit:
    """fastrisk: the exact leave-one-out l2 adversarial loss over 1000 penalties."""

    timeout = 600
    number = 1
    repeat = 3

    def setup(self):
        pin_blas_threads()
        from fastrisk.estimators import RidgePathCV

        self.est = RidgePathCV(alphas=alphas(), eps=0.1)
        self.X, self.y = make()

    def time_fit(self):
        self.est.fit(self.X, self.y)


class SklearnRidgeCV:
    """scikit-learn RidgeCV (leave-one-out, penalty by penalty) at 10 and 50 penalties (extrapolate)."""

    params = [10, 50]
    param_names = ["n_alphas"]
    timeout = 900
    number = 1
    repeat = 2

    def setup(self, n_alphas):
        pin_blas_threads()
        from sklearn.linear_model import RidgeCV

        self.est = RidgeCV(alphas=alphas(n_alphas))
        self.X, self.y = make()

    def time_fit(self, n_alphas):
        self.est.fit(self.X, self.y)


class FloorMulti:
    """Gram + eigh at the multi-target size."""

    timeout = 600
    number = 1
    repeat = 3

    def setup(self):
        pin_blas_threads()
        self.X, self.Y = make(N2, P2, k=K2)

    def time_gram_eigh(self):
        floor(self.X)


class MultiTarget:
    """fastrisk: 100 targets x 100 penalties, one Gram and one eigh, a penalty per target."""

    timeout = 600
    number = 1
    repeat = 3

    def setup(self):
        pin_blas_threads()
        from fastrisk.estimators import RidgePathCV

        self.est = RidgePathCV(alphas=alphas(L2, N2), alpha_per_target=True)
        self.X, self.Y = make(N2, P2, k=K2)

    def time_fit(self):
        self.est.fit(self.X, self.Y)

    def peakmem_fit(self):
        self.est.fit(self.X, self.Y)


class MultiTargetMeansOnly:
    """As MultiTarget without the per-sample (n, k, L) arrays (``store_cv_results=False``)."""

    timeout = 600
    number = 1
    repeat = 3

    def setup(self):
        pin_blas_threads()
        from fastrisk.estimators import RidgePathCV

        self.est = RidgePathCV(alphas=alphas(L2, N2), alpha_per_target=True, store_cv_results=False)
        self.X, self.Y = make(N2, P2, k=K2)

    def time_fit(self):
        self.est.fit(self.X, self.Y)

    def peakmem_fit(self):
        self.est.fit(self.X, self.Y)


class SklearnMultiTarget:
    """scikit-learn RidgeCV(alpha_per_target=True) on the same 100 targets x 100 penalties."""

    timeout = 900
    number = 1
    repeat = 2

    def setup(self):
        pin_blas_threads()
        from sklearn.linear_model import RidgeCV

        self.est = RidgeCV(alphas=alphas(L2, N2), alpha_per_target=True)
        self.X, self.Y = make(N2, P2, k=K2)

    def time_fit(self):
        self.est.fit(self.X, self.Y)


class PerColumnLoop:
    """The loop a user writes without 2-D y: one RidgePathCV (one Gram + eigh) per target."""

    timeout = 1800
    number = 1
    repeat = 1

    def setup(self):
        pin_blas_threads()
        self.X, self.Y = make(N2, P2, k=K2)

    def time_fit(self):
        loop(self.X, self.Y, K2)


class NTKPath:
    """NTKRidgeCV over 100 penalties (one NTK Gram + one eigh) against one NTKRidge fit per penalty
    (``GridSearchCV``'s inner work without the refits on folds), n = 1500, d = 300."""

    params = ["path", "per_alpha_x10"]
    param_names = ["how"]
    timeout = 900
    number = 1
    repeat = 2

    def setup(self, how):
        pin_blas_threads()
        rng = np.random.default_rng(0)
        n, d = (200, 50) if SMALL else (1500, 300)
        self.X = rng.standard_normal((n, d))
        self.y = np.sin(self.X[:, 0]) + 0.1 * rng.standard_normal(n)
        self.alphas = np.logspace(-3, 3, 100)

    def time_fit(self, how):
        from fastrisk.estimators import NTKRidge, NTKRidgeCV

        if how == "path":
            NTKRidgeCV(alphas=self.alphas).fit(self.X, self.y)
        else:  # 10 of the 100 single fits: x10 for the loop
            for a in self.alphas[::10]:
                NTKRidge(alpha=a).fit(self.X, self.y)


def loop(X, Y, m: int) -> None:
    from fastrisk.estimators import RidgePathCV

    for t in range(m):
        RidgePathCV(alphas=alphas(L2, N2)).fit(X, Y[:, t])


_CLOCK = time.perf_counter


def _timed(f) -> float:
    t = _CLOCK()
    f()
    return _CLOCK() - t


def _peak_extra(f) -> float:
    """Peak MiB that NumPy allocated while f ran, beyond what existed before (tracemalloc)."""
    tracemalloc.start()
    base = tracemalloc.get_traced_memory()[0]
    f()
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return (peak - base) / 2**20


def _rounds(cases: dict, fl, repeat: int, label: str) -> dict:
    """Each case between two floor measurements, ``repeat`` rounds; returns per-round ratios."""
    ratios: dict[str, list[float]] = {k: [] for k in cases}
    floors = []
    for r in range(repeat):
        for k, (f, scale) in cases.items():
            a = _timed(fl)
            t = _timed(f) * scale
            b = _timed(fl)
            floors += [a, b]
            ratios[k].append(2 * t / (a + b))
        print(f"{label}: round {r + 1}/{repeat} done", flush=True)
    print(f"{label}: floor (Gram + eigh) median {np.median(floors):.3f} s")
    for k in cases:
        print(f"  {k:44s} ratio to floor (median of rounds) {np.median(ratios[k]):7.3f}   rounds "
              f"{np.round(ratios[k], 3).tolist()}")
    return {k: np.array(v) for k, v in ratios.items()}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--no-sklearn", action="store_true", help="skip the RidgeCV measurements")
    ap.add_argument("--only", choices=["single", "multi"], default=None)
    ap.add_argument("--clock", choices=["wall", "cpu"], default="wall")
    ap.add_argument("--threads", type=int, default=None, help="BLAS threads (default: the asv setting)")
    ap.add_argument("--sklearn-alphas", type=int, nargs=2, default=[10, 50], metavar=("L1", "L2"))
    ap.add_argument("--loop-columns", type=int, default=10, help="columns timed for the per-column loop")
    args = ap.parse_args()
    global _CLOCK
    _CLOCK = time.process_time if args.clock == "cpu" else time.perf_counter
    pin_blas_threads(args.threads) if args.threads else pin_blas_threads()
    from sklearn.linear_model import RidgeCV

    from fastrisk.estimators import RidgePathCV

    RidgePathCV(alphas=alphas(5, 50)).fit(*make(50, 200))  # imports and first calls outside the timings
    print(f"clock={args.clock}, BLAS threads={args.threads or 'asv'}")
    if args.only in (None, "single"):
        X, y = make()
        Xo, yo = make(offset=1e4)
        cases = {
            "RidgePathCV L=1000 intercept": (lambda: RidgePathCV(alphas=alphas()).fit(X, y), 1.0),
            "RidgePathCV L=1000 intercept, means 1e4":
                (lambda: RidgePathCV(alphas=alphas()).fit(Xo, yo), 1.0),
            "RidgePathCV L=1000 no intercept":
                (lambda: RidgePathCV(alphas=alphas(), fit_intercept=False).fit(X, y), 1.0),
            "RidgePathCV L=1000 gcv": (lambda: RidgePathCV(alphas=alphas(), criterion="gcv").fit(X, y), 1.0),
            "RidgePathCV L=1000 eps=0.1 (LOO adversarial)":
                (lambda: RidgePathCV(alphas=alphas(), eps=0.1).fit(X, y), 1.0),
        }
        l1, l2 = args.sklearn_alphas
        if not args.no_sklearn:
            cases[f"RidgeCV L={l1}"] = (lambda: RidgeCV(alphas=alphas(l1)).fit(X, y), 1.0)
            cases[f"RidgeCV L={l2}"] = (lambda: RidgeCV(alphas=alphas(l2)).fit(X, y), 1.0)
        print(f"n={X.shape[0]} p={X.shape[1]}, one target")
        r = _rounds(cases, lambda: floor(X), args.repeat, "single")
        mem = _peak_extra(lambda: RidgePathCV(alphas=alphas()).fit(X, y))
        print(f"  peak extra memory of RidgePathCV(intercept).fit: {mem:.0f} MiB (X is "
              f"{X.nbytes / 2**20:.0f} MiB)")
        if not args.no_sklearn:
            r1, r2 = r[f"RidgeCV L={l1}"], r[f"RidgeCV L={l2}"]
            r1000 = r1 + (L - l1) * (r2 - r1) / (l2 - l1)
            ours = r["RidgePathCV L=1000 intercept"]
            print(f"  RidgeCV L=1000 (extrapolated) ratio to floor {np.median(r1000):8.2f}   "
                  f"RidgeCV / RidgePathCV at L=1000: {np.median(r1000 / ours):.1f}x")
        del X, y, Xo, yo
    if args.only in (None, "multi"):
        X, Y = make(N2, P2, k=K2)
        m = min(args.loop_columns, K2)
        cases = {
            f"RidgePathCV k={K2} L={L2} alpha_per_target":
                (lambda: RidgePathCV(alphas=alphas(L2, N2), alpha_per_target=True).fit(X, Y), 1.0),
            f"RidgePathCV k={K2} L={L2} alpha_per_target, store_cv_results=False":
                (lambda: RidgePathCV(alphas=alphas(L2, N2), alpha_per_target=True,
                                     store_cv_results=False).fit(X, Y), 1.0),
            f"per-column RidgePathCV loop ({m} of {K2} columns, scaled)": (lambda: loop(X, Y, m), K2 / m),
        }
        if not args.no_sklearn:
            cases[f"RidgeCV(alpha_per_target=True) k={K2} L={L2}"] = (
                lambda: RidgeCV(alphas=alphas(L2, N2), alpha_per_target=True).fit(X, Y), 1.0)
        print(f"n={X.shape[0]} p={X.shape[1]}, {K2} targets, {L2} penalties, intercept")
        r = _rounds(cases, lambda: floor(X), args.repeat, "multi")
        ours = r[f"RidgePathCV k={K2} L={L2} alpha_per_target"]
        loop_r = r[f"per-column RidgePathCV loop ({m} of {K2} columns, scaled)"]
        print(f"  per-column loop / RidgePathCV(Y): {np.median(loop_r / ours):.1f}x")
        if not args.no_sklearn:
            sk = r[f"RidgeCV(alpha_per_target=True) k={K2} L={L2}"]
            print(f"  RidgeCV(alpha_per_target) / RidgePathCV(Y): {np.median(sk / ours):.2f}x")


if __name__ == "__main__":
    main()
