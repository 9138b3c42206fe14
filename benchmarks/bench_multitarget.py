"""asv benchmarks of a ridge path with k targets (y of shape (n, k)) beside one target and its floor.

At n = 1500, p = 15000, L = 1000 penalties, k = 100 targets, E = 100 radii, float64, l2 risks
(standard + adversarial for every penalty, radius and target):

- ``MultiTarget.time_f1``: the floor F1 (Gram + eigh) on the same X;
- ``MultiTarget.time_single``: fastrisk, one target (``RidgePath(X, y, lam)``);
- ``MultiTarget.time_multi``: fastrisk, k targets (``RidgePath(X, Y, lam)``: one Gram, one eigh);
- ``MultiTarget.time_loop``: the per-column loop a user would otherwise write (one path per column),
  run for ``LOOP`` columns only (multiply by k / LOOP to extrapolate);
- ``MultiTarget.time_sklearn_ridgecv``: scikit-learn ``RidgeCV(alphas, alpha_per_target=True)``
  on the same (X, Y) (one decomposition, then leave-one-out errors for every alpha and target: a
  different output, the closest scikit-learn has to many penalties times many targets);
- ``MultiTarget.time_sklearn_ridge``: ``Ridge(alpha).fit(X, Y)`` with 2-D Y for ``SK_FITS`` alphas
  (each refactorises; multiply by L / SK_FITS);
- ``peakmem_*``: whole-process peak memory of the same calls.

Target (issue 17): on a structured Sigma (spiked), ``time_multi`` at most 1.5x ``time_single``.
``power_law`` shows a general Sigma, whose exact risk is one quadratic form per (penalty, target).
Interleaved ratios (median over repeats of per-repeat ratios) and extra peak memory::

    python -m benchmarks.bench_multitarget [--repeat 5] [--cases spiked] [--sklearn]

``FASTRISK_BENCH_SMALL=1`` shrinks the sizes for a smoke run.
"""

from __future__ import annotations

import argparse
import os
import time

import numpy as np

import fastrisk as fr
from fastrisk import spectra

from ._common import pin_blas_threads
from .ratios import peak_extra

SMALL = os.environ.get("FASTRISK_BENCH_SMALL") == "1"
N, P, L, K = (200, 2000, 200, 20) if SMALL else (1500, 15000, 1000, 100)
E = 100
LOOP = 2
SK_FITS = 2


def make(kind: str, n: int = N, p: int = P, k: int = K, seed: int = 0):
    c = spectra.spiked(p, 10, spike=1.0, tail=0.05) if kind == "spiked" else spectra.power_law(p, 1.0)
    ts = np.zeros(p)
    ts[0] = 1.0
    design = fr.GaussianDesign(c, ts, noise=1.0)
    X, y = design.sample(n, seed=seed)
    # k targets on one X: the same signal, k label-noise draws (column 0 is y itself)
    Z = np.random.default_rng(seed + 1).standard_normal((n, k - 1))
    Y = np.column_stack([y, (X @ ts)[:, None] + design.noise * Z])
    return design, X, y, Y


def penalties(n: int = N, count: int = L) -> np.ndarray:
    return np.concatenate([[0.0], n * np.logspace(-4, 2, count - 1)])


def warm_up() -> None:
    """Compile (or load) the kernels of the multi-target routes outside the timings."""
    for kind in ("spiked", "power_law"):
        d, X, y, Y = make(kind, 20, 300, 3, seed=1)
        for yy in (y, Y):
            fr.RidgePath(X, yy, penalties(20, 9)).adversarial_risk(d, np.linspace(0, 1, 3), norm=2)


class MultiTarget:
    params = ["spiked", "power_law"]
    param_names = ["spectrum"]
    timeout = 1200
    number = 1
    repeat = 3

    def setup(self, kind):
        pin_blas_threads()
        warm_up()
        self.design, self.X, self.y, self.Y = make(kind)
        self.lam = penalties()
        self.eps = np.linspace(0.0, 1.0, E)

    def time_f1(self, kind):
        np.linalg.eigh(self.X @ self.X.T)

    def _path(self, y):
        rp = fr.RidgePath(self.X, y, self.lam)
        rp.adversarial_risk(self.design, self.eps, norm=2)
        rp.standard_risk(self.design)  # cached by the call above
        return rp

    def time_single(self, kind):
        self._path(self.y)

    def time_multi(self, kind):
        self._path(self.Y)

    def time_loop(self, kind):
        for t in range(LOOP):
            self._path(self.Y[:, t])

    def time_sklearn_ridgecv(self, kind):
        from sklearn.linear_model import RidgeCV

        RidgeCV(alphas=self.lam[1:], alpha_per_target=True).fit(self.X, self.Y)

    time_sklearn_ridgecv.repeat = 1  # minutes at full size (437 s measured under load)

    def time_sklearn_ridge(self, kind):
        from sklearn.linear_model import Ridge

        for a in self.lam[1:1 + SK_FITS]:
            Ridge(alpha=a, fit_intercept=False).fit(self.X, self.Y)

    def peakmem_single(self, kind):
        self.time_single(kind)

    def peakmem_multi(self, kind):
        self.time_multi(kind)


def _timed(f) -> float:
    t = time.perf_counter()
    f()
    return time.perf_counter() - t


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--cases", default="spiked")
    ap.add_argument("--sklearn", action="store_true", help="also time RidgeCV and Ridge (slow)")
    args = ap.parse_args()
    for kind in args.cases.split(","):
        b = MultiTarget()
        b.setup(kind)
        r = {"single/F1": [], "multi/F1": [], "multi/single": [], "loop/multi": []}
        for _ in range(args.repeat):  # alternate each measurement with its floor
            f1 = _timed(lambda: b.time_f1(kind))  # noqa: B023 (called at once)
            one = _timed(lambda: b.time_single(kind))  # noqa: B023
            many = _timed(lambda: b.time_multi(kind))  # noqa: B023
            loop = _timed(lambda: b.time_loop(kind)) * K / LOOP  # noqa: B023
            r["single/F1"].append(one / f1)
            r["multi/F1"].append(many / f1)
            r["multi/single"].append(many / one)
            r["loop/multi"].append(loop / many)
            print(f"  round: F1 {f1:.2f} s, single {one:.2f} s, multi {many:.2f} s, "
                  f"loop (extrapolated) {loop:.1f} s", flush=True)
        rp = b._path(b.Y)
        mem1 = peak_extra(lambda: b.time_single(kind))  # noqa: B023
        memk = peak_extra(lambda: b.time_multi(kind))  # noqa: B023
        print(f"n={N} p={P} L={L} k={K} E={E} {kind} l2 (route {rp.last_route}): "
              + ", ".join(f"{name} {np.median(v):.2f}x" for name, v in r.items())
              + f"; extra peak memory single {mem1:.0f} MiB, multi {memk:.0f} MiB "
              f"(X is {b.X.nbytes / 2**20:.0f} MiB, the (L, E, k) output {L * E * K * 8 / 2**20:.0f} MiB)",
              flush=True)
        if args.sklearn:
            many = _timed(lambda: b.time_multi(kind))  # noqa: B023
            cv = _timed(lambda: b.time_sklearn_ridgecv(kind))  # noqa: B023
            many2 = _timed(lambda: b.time_multi(kind))  # noqa: B023
            ridge = _timed(lambda: b.time_sklearn_ridge(kind)) * (L - 1) / SK_FITS  # noqa: B023
            m = 0.5 * (many + many2)
            print(f"  scikit-learn: RidgeCV(alpha_per_target) {cv:.1f} s = {cv / m:.1f}x multi; "
                  f"Ridge with 2-D y per alpha, extrapolated to {L - 1} alphas {ridge:.0f} s = "
                  f"{ridge / m:.0f}x multi", flush=True)


if __name__ == "__main__":
    main()
