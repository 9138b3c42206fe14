"""float32 ridge paths: time against the float64 floor and the error of every output.

At n = 2000, p = 20000, L = 1000 penalties, E = 100 radii:

- ``Float32.time_f1_float64``: the float64 floor F1 (Gram + eigh) on the same data;
- ``Float32.time_path``: the whole path (standard + adversarial risk) on float32 X (Gram and eigh in
  float32, every reduction after them in float64), and the same on float64 X for comparison;
- ``Float32.peakmem_path``.

Target (issue 11): the whole spiked l2 path on float32 at most 0.6x the float64 F1. ::

    python -m benchmarks.bench_float32 [--repeat 5]

prints the interleaved ratios and the table of docs/guide/accuracy.md (largest relative error over the
penalties of each output, float32 path against the float64 path on the same float32-representable
data, so that only the arithmetic differs). ``FASTRISK_BENCH_SMALL=1`` shrinks the sizes.
"""

from __future__ import annotations

import argparse
import os

import numpy as np

import fastrisk as fr

from . import ratios
from ._common import make, penalties, pin_blas_threads

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
        self.lam = penalties(1000, N)
        self.eps = np.linspace(0.0, 1.0, E)
        self.norm = np.inf if norm == "inf" else 2.0
        path(self.X[:20, :300], self.y[:20], self.lam[:5], fr.GaussianDesign(
            self.design.cov[:300], self.design.theta_star[:300]), self.eps, self.norm)  # JIT

    def time_f1_float64(self, kind, norm, dtype):
        np.linalg.eigh(self.X64 @ self.X64.T)

    def time_path(self, kind, norm, dtype):
        path(self.X, self.y, self.lam, self.design, self.eps, self.norm)

    def peakmem_path(self, kind, norm, dtype):
        path(self.X, self.y, self.lam, self.design, self.eps, self.norm)


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


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=5, help="rounds per ratio")
    args = ap.parse_args()
    for kind in ("spiked", "power_law"):
        b = Float32()
        b.setup(kind, "2", "float32")
        d, y, lam, eps = b.design, b.y, b.lam, b.eps
        sides = {"F1": lambda: b.time_f1_float64(kind, "2", "float32"),  # noqa: B023 (called at once)
                 "float32": lambda: path(b.X32, y, lam, d, eps, 2.0),  # noqa: B023
                 "float64": lambda: path(b.X64, y, lam, d, eps, 2.0)}  # noqa: B023
        case = ratios.Case(f"{kind} l2 float32", "cost", "ridge path", "", lambda sz: None)
        res = ratios.measure(case, ratios.Bench(sides, lambda t: t["float32"] / t["F1"], "", "F1"),
                             args.repeat)
        r64 = np.median(np.array(res.times["float64"]) / np.array(res.times["F1"]))
        print(f"n={N} p={P} {kind:9s} l2 path: float32 {res.median:.2f}x float64 F1, "
              f"float64 {r64:.2f}x", flush=True)
        o32 = outputs(b.X32, y, lam, d, eps)
        o64 = outputs(b.X64, y, lam, d, eps)
        small = lam <= np.median(lam)
        for name in o32:
            lo = _rel(o32[name][small], o64[name][small])
            hi = _rel(o32[name][~small], o64[name][~small])
            print(f"| {kind} | {name} | {lo:.1e} | {hi:.1e} |", flush=True)


if __name__ == "__main__":
    main()
