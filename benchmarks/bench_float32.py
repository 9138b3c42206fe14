"""float32 ridge paths: time against the float64 floor and the error of every output.

At n = 2000, p = 20000, L = 1000 penalties, E = 100 radii:

- ``Float32.time_f1_float64``: the float64 floor F1 (Gram + eigh) on the same data;
- ``Float32.time_path``: the whole path (standard + adversarial risk) on float32 X (Gram and eigh in
  float32, every reduction after them in float64), and the same on float64 X for comparison;
- ``Float32.peakmem_path``.

Target (issue 11): the whole spiked l2 path on float32 at most 0.6x the float64 F1. ``Float32Ratio``
tracks that ratio at n = 1500, p = 15000 (issue 14: the float32 accuracy check, per penalty, must not
cost it): each round times the float64 F1, the float32 floor (Gram + eigh in float32) and the whole
float32 path (construction with its accuracy check, standard + l2 adversarial risk, L = 1000,
E = 100) back to back; the result is the median over rounds of the per-round ratios. ::

    python -m benchmarks.bench_float32 [--repeat 3] [--ratio]

prints the interleaved ratios and the accuracy table of the README (largest relative error over the
penalties of each output, float32 path against the float64 path on the same float32-representable
data, so that only the arithmetic differs). ``FASTRISK_BENCH_SMALL=1`` shrinks the sizes.
"""

from __future__ import annotations

import argparse
import os
import time

import numpy as np

import fastrisk as fr
from fastrisk._spectral import SpectralGram

from ._common import pin_blas_threads
from .bench_lowrank import L, make, penalties

SMALL = os.environ.get("FASTRISK_BENCH_SMALL") == "1"
N, P = (200, 2000) if SMALL else (2000, 20000)
E = 100


def _data(kind):
    design, X, y = make(kind, N, P)
    X32 = X.astype(np.float32)
    return design, X32.astype(np.float64), X32, y


class Float32:
    params = (["spiked", "power_law"], ["2", "inf"], ["float32", "float64"])
    param_names = ["spectrum", "norm", "dtype"]
    timeout = 900
    number = 1
    repeat = 3

    def setup(self, kind, norm, dtype):
        pin_blas_threads()
        self.design, self.X64, self.X32, self.y = _data(kind)
        self.X = self.X32 if dtype == "float32" else self.X64
        self.lam = penalties(N)
        self.eps = np.linspace(0.0, 1.0, E)
        self.norm = np.inf if norm == "inf" else 2.0
        path(np.ascontiguousarray(self.X[:20, :300]), self.y[:20], self.lam[:5], fr.GaussianDesign(
            self.design.cov[:300], self.design.theta_star[:300]), self.eps, self.norm)  # JIT

    def time_f1_float64(self, kind, norm, dtype):
        np.linalg.eigh(self.X64 @ self.X64.T)

    def time_path(self, kind, norm, dtype):
        path(self.X, self.y, self.lam, self.design, self.eps, self.norm)

    def peakmem_path(self, kind, norm, dtype):
        path(self.X, self.y, self.lam, self.design, self.eps, self.norm)


class Float32Ratio:
    """float32 spiked l2 path / float64 F1 at n = 1500, p = 15000, interleaved (median of rounds)."""

    timeout = 1800
    unit = "ratio"
    n, p, rounds = (200, 2000, 3) if SMALL else (1500, 15000, 5)

    def setup_cache(self):
        pin_blas_threads()
        return ratios(self.n, self.p, self.rounds)

    def track_path32_vs_f1_float64(self, cache):
        return cache["path32"]

    def track_f1_float32_vs_f1_float64(self, cache):
        return cache["f1_32"]


def ratios(n: int, p: int, rounds: int) -> dict[str, float]:
    """Median over ``rounds`` of (float32 path / float64 F1) and (float32 F1 / float64 F1), timed back
    to back in each round on the same (float32-representable) X."""
    design, X, y = make("spiked", n, p)
    X32 = X.astype(np.float32)
    X64 = X32.astype(np.float64)
    del X
    lam, eps = penalties(n), np.linspace(0.0, 1.0, E)
    # JIT, on a C-contiguous float32 X like the timed one (a slice would compile another layout)
    path(np.ascontiguousarray(X32[:20, :300]), y[:20], lam[:5],
         fr.GaussianDesign(design.cov[:300], design.theta_star[:300]), eps, 2.0)
    r_path, r_f1 = [], []
    for _ in range(rounds):
        f1 = _timed(lambda: np.linalg.eigh(X64 @ X64.T))
        t32 = _timed(lambda: path(X32, y, lam, design, eps, 2.0))
        f32 = _timed(lambda: SpectralGram(X32 @ X32.T, overwrite=True))  # the float32 floor
        r_path.append(t32 / f1)
        r_f1.append(f32 / f1)
    return {"path32": float(np.median(r_path)), "f1_32": float(np.median(r_f1)),
            "rounds_path32": r_path, "rounds_f1_32": r_f1}


def path(X, y, lam, design, eps, norm):
    rp = fr.RidgePath(X, y, lam)
    adv = rp.adversarial_risk(design, eps, norm=norm)
    return rp, adv


def outputs(X, y, lam, design, eps):
    """Every output of the path, float64 arrays by name."""
    rp, adv2 = path(X, y, lam, design, eps, 2.0)
    adv_inf = rp.adversarial_risk(design, eps, norm=np.inf)
    return {"standard_risk": rp.standard_risk(design), "norm 2": rp.norm(2), "norm 1": rp.norm(1),
            "norm inf": rp.norm(np.inf), "adversarial l2": adv2, "adversarial l_inf": adv_inf,
            "df": rp.df()}


def _rel(a, b):
    return float(np.max(np.abs(a - b) / np.maximum(np.abs(b), 1e-300)))


def _timed(f) -> float:
    t = time.perf_counter()
    f()
    return time.perf_counter() - t


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--ratio", action="store_true", help="only the Float32Ratio measurement")
    args = ap.parse_args()
    if args.ratio:
        pin_blas_threads()
        b = Float32Ratio()
        r = ratios(b.n, b.p, max(args.repeat, b.rounds))
        print(f"n={b.n} p={b.p} spiked l2, L={L} E={E}: float32 path {r['path32']:.2f}x the float64 F1 "
              f"(rounds {', '.join(f'{v:.2f}' for v in r['rounds_path32'])}); float32 F1 "
              f"{r['f1_32']:.2f}x (rounds {', '.join(f'{v:.2f}' for v in r['rounds_f1_32'])})")
        return
    for kind in ("spiked", "power_law"):
        b = Float32()
        b.setup(kind, "2", "float32")
        r32, r64 = [], []
        f1, d, y, lam, eps = b.time_f1_float64, b.design, b.y, b.lam, b.eps
        for _ in range(args.repeat):
            a = _timed(lambda: f1(kind, "2", "float32"))  # noqa: B023 (called at once)
            r32.append(_timed(lambda: path(b.X32, y, lam, d, eps, 2.0)) / a)  # noqa: B023
            r64.append(_timed(lambda: path(b.X64, y, lam, d, eps, 2.0)) / a)  # noqa: B023
        print(f"n={N} p={P} {kind:9s} l2 path: float32 {np.median(r32):.2f}x float64 F1, "
              f"float64 {np.median(r64):.2f}x", flush=True)
        o32 = outputs(b.X32, y, lam, d, eps)
        o64 = outputs(b.X64, y, lam, d, eps)
        small = lam <= np.median(lam)
        for name in o32:
            lo = _rel(o32[name][small], o64[name][small])
            hi = _rel(o32[name][~small], o64[name][~small])
            print(f"| {kind} | {name} | {lo:.1e} | {hi:.1e} |", flush=True)


if __name__ == "__main__":
    main()
