"""asv benchmarks for the scikit-learn estimators at n=2000, p=20000 (``FASTRISK_BENCH_SMALL=1``: 200 x 2000).

Compare within one ``asv run``:

- ``Floor.time_gram_eigh``: one Gram (SYRK) + one eigh, the floor of any exact ridge path;
- ``RidgePathCVFit.time_fit``: ``RidgePathCV(alphas).fit`` with 1000 penalties (exact leave-one-out
  for all of them), with and without an intercept; target: within 1.3x the floor;
- ``SklearnRidgeCV.time_fit``: ``sklearn.linear_model.RidgeCV(alphas).fit`` with 10 and 50 penalties.
  Its cost is affine in the number of penalties L (one decomposition, then per penalty O(n^2) for the
  leave-one-out errors and an O(n p) product ``X^T c`` for the coefficients), so the time at L = 1000 is
  extrapolated as ``T(10) + 990 (T(50) - T(10)) / 40``; target: RidgePathCV at least 10x faster.

``python -m benchmarks.bench_estimators [--repeat 5] [--clock cpu --threads 1]`` measures the ratios in
one process, alternating every measurement with the floor, and prints medians of per-round ratios (the
only figures worth quoting on a shared machine). ``--clock cpu --threads 1`` pins BLAS to one thread
and reads the process CPU time: on an oversubscribed machine that ratio stays near the quiet one-core
ratio while wall-clock ratios drown in the other processes' noise.
"""

from __future__ import annotations

import argparse
import os
import time

import numpy as np

from ._common import pin_blas_threads

SMALL = os.environ.get("FASTRISK_BENCH_SMALL") == "1"
N, P = (200, 2000) if SMALL else (2000, 20000)
L = 1000


def make(n: int = N, p: int = P, seed: int = 0):
    """A dense Gaussian design with a sparse signal and unit noise (a typical p >> n problem)."""
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, p))
    y = X[:, :10] @ np.ones(10) + rng.standard_normal(n)
    return X, y


def alphas(k: int = L, n: int = N) -> np.ndarray:
    return n * np.logspace(-4, 3, k)


class Floor:
    """Gram + eigh: the floor."""

    timeout = 600
    number = 1
    repeat = 3

    def setup(self):
        pin_blas_threads()
        self.X, self.y = make()

    def time_gram_eigh(self):
        np.linalg.eigh(self.X @ self.X.T)

    def peakmem_gram_eigh(self):
        self.time_gram_eigh()


class RidgePathCVFit:
    """fastrisk: exact leave-one-out over 1000 penalties from one eigendecomposition."""

    params = ([True, False], ["loo", "gcv"])
    param_names = ["fit_intercept", "scoring"]
    timeout = 600
    number = 1
    repeat = 3

    def setup(self, fit_intercept, scoring):
        pin_blas_threads()
        from fastrisk.estimators import RidgePathCV

        self.est = RidgePathCV(alphas=alphas(), fit_intercept=fit_intercept, scoring=scoring)
        self.X, self.y = make()

    def time_fit(self, fit_intercept, scoring):
        self.est.fit(self.X, self.y)

    def peakmem_fit(self, fit_intercept, scoring):
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


_CLOCK = time.perf_counter


def _timed(f) -> float:
    t = _CLOCK()
    f()
    return _CLOCK() - t


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--no-sklearn", action="store_true", help="skip the RidgeCV measurements")
    ap.add_argument("--clock", choices=["wall", "cpu"], default="wall")
    ap.add_argument("--threads", type=int, default=None, help="BLAS threads (default: the asv setting)")
    ap.add_argument("--sklearn-alphas", type=int, nargs=2, default=[10, 50], metavar=("L1", "L2"))
    args = ap.parse_args()
    global _CLOCK
    _CLOCK = time.process_time if args.clock == "cpu" else time.perf_counter
    pin_blas_threads(args.threads) if args.threads else pin_blas_threads()
    from sklearn.linear_model import RidgeCV

    from fastrisk.estimators import RidgePathCV

    X, y = make()
    RidgePathCV(alphas=alphas(5, 50)).fit(*make(50, 200))  # imports and first calls outside the timings
    floor = lambda: np.linalg.eigh(X @ X.T)  # noqa: E731
    cases = {
        "RidgePathCV L=1000 intercept": lambda: RidgePathCV(alphas=alphas()).fit(X, y),
        "RidgePathCV L=1000 no intercept":
            lambda: RidgePathCV(alphas=alphas(), fit_intercept=False).fit(X, y),
        "RidgePathCV L=1000 gcv": lambda: RidgePathCV(alphas=alphas(), scoring="gcv").fit(X, y),
    }
    l1, l2 = args.sklearn_alphas
    if not args.no_sklearn:
        cases[f"RidgeCV L={l1}"] = lambda: RidgeCV(alphas=alphas(l1)).fit(X, y)
        cases[f"RidgeCV L={l2}"] = lambda: RidgeCV(alphas=alphas(l2)).fit(X, y)
    times: dict[str, list[float]] = {k: [] for k in cases}
    ratios: dict[str, list[float]] = {k: [] for k in cases}
    floors = []
    for r in range(args.repeat):
        for k, f in cases.items():
            a = _timed(floor)
            t = _timed(f)
            b = _timed(floor)
            floors += [a, b]
            times[k].append(t)
            ratios[k].append(2 * t / (a + b))
        print(f"round {r + 1}/{args.repeat} done", flush=True)
    print(f"n={X.shape[0]} p={X.shape[1]}, clock={args.clock}, BLAS threads={args.threads or 'asv'}; "
          f"floor (Gram + eigh) median {np.median(floors):.3f} s")
    for k in cases:
        print(f"{k:34s} median {np.median(times[k]):8.3f} s   ratio to floor (median of rounds) "
              f"{np.median(ratios[k]):6.3f}   rounds {np.round(ratios[k], 3).tolist()}")
    if not args.no_sklearn:
        # RidgeCV is affine in L: T(L) = T0 + L t1; ratios to the floor keep the noise out
        # per round, so that both points share that round's conditions
        r1, r2 = np.array(ratios[f"RidgeCV L={l1}"]), np.array(ratios[f"RidgeCV L={l2}"])
        r1000 = r1 + (L - l1) * (r2 - r1) / (l2 - l1)
        ours = np.array(ratios["RidgePathCV L=1000 intercept"])
        print(f"RidgeCV L=1000 (extrapolated)      ratio to floor {np.median(r1000):8.2f}   "
              f"RidgeCV / RidgePathCV at L=1000: {np.median(r1000 / ours):.1f}x")


if __name__ == "__main__":
    main()
