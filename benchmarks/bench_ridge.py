"""asv benchmarks for the linear core at an overparameterized size (n=2000, p=20000, E=100 radii).

Compare within one ``asv run``:

- ``Floor.time_f1``: one Gram (SYRK) + one eigh -- the floor F1;
- ``Floor.time_f2``: F1 + one more Gram-sized SYRK (``X Sigma X^T``) -- the floor F2 for a general
  diagonal Sigma;
- ``RidgeRisks.time_path``: fastrisk, Gram + eigh + standard risk + adversarial risk for all
  (penalty, radius) pairs, by spectrum and attack norm;
- ``NumpyWay.time_path``: the plain-NumPy way (all penalties as one GEMM ``X^T U W``, which holds a
  (p, L) array);
- ``SklearnLoop.time_fit_loop``: scikit-learn ``Ridge(alpha).fit`` per penalty, run for 5 penalties
  only (each fit refactorises; multiply by L/5 to extrapolate).

Sizes can be shrunk for a smoke run with ``FASTRISK_BENCH_SMALL=1``. The ratios of these (and the other
headline ratios), measured interleaved, are the ``track_`` benchmarks of :mod:`benchmarks.ratios`.
"""

from __future__ import annotations

import os

import numpy as np
import scipy.linalg

import fastrisk as fr
from fastrisk import spectra

from ._common import make as _make
from ._common import penalties as _penalties
from ._common import pin_blas_threads, warm_up
from .ratios import numpy_way

SMALL = os.environ.get("FASTRISK_BENCH_SMALL") == "1"
N, P = (200, 2000) if SMALL else (2000, 20000)
E = 100


def make(kind: str, n: int = N, p: int = P, seed: int = 0):
    return _make(kind, n, p, seed)


def penalties(L: int, n: int = N) -> np.ndarray:
    return _penalties(L, n)


class Floor:
    """F1 = X X^T + eigh; F2 = F1 + X Sigma X^T (one more SYRK, scaled block by block)."""

    timeout = 600
    number = 1
    repeat = 3

    def setup(self):
        pin_blas_threads()
        self.design, self.X, self.y = make("power_law")

    def time_f1(self):
        K = self.X @ self.X.T
        np.linalg.eigh(K)

    def time_f1_scipy_evd(self):
        # the same floor with SciPy's eigh (its own OpenBLAS pool, see fastrisk.config.EIGH_DRIVER)
        K = self.X @ self.X.T
        scipy.linalg.eigh(K, overwrite_a=True, check_finite=False, driver="evd")

    def time_f2(self):
        K = self.X @ self.X.T
        np.linalg.eigh(K)
        sd = np.sqrt(self.design.cov)
        KS = np.zeros_like(K)
        for j0 in range(0, self.X.shape[1], 4096):
            Xb = self.X[:, j0:j0 + 4096] * sd[j0:j0 + 4096]
            KS += Xb @ Xb.T

    def peakmem_f1(self):
        self.time_f1()


class RidgeRisks:
    """fastrisk: the whole path, standard + adversarial risk for L penalties x 100 radii."""

    params = ([100, 1000], ["spiked", "power_law"], ["2", "inf"])
    param_names = ["L", "spectrum", "norm"]
    timeout = 600
    number = 1
    repeat = 3

    def setup(self, L, kind, norm):
        pin_blas_threads()
        warm_up()
        self.design, self.X, self.y = make(kind)
        self.lam = penalties(L)
        self.eps = np.linspace(0.0, 1.0, E)
        self.norm = np.inf if norm == "inf" else float(norm)

    def time_path(self, L, kind, norm):
        rp = fr.RidgePath(self.X, self.y, self.lam)
        rp.adversarial_risk(self.design, self.eps, norm=self.norm)
        rp.standard_risk(self.design)  # cached by the call above

    def peakmem_path(self, L, kind, norm):
        self.time_path(L, kind, norm)


class NumpyWay:
    """The plain NumPy way: Gram + eigh, then every coefficient at once as a (p, L) GEMM."""

    params = [100, 1000]
    param_names = ["L"]
    timeout = 600
    number = 1
    repeat = 3

    def setup(self, L):
        pin_blas_threads()
        self.design, self.X, self.y = make("power_law")
        self.lam = penalties(L)
        self.eps = np.linspace(0.0, 1.0, E)

    def time_path(self, L):
        numpy_way(self.X, self.y, self.lam, self.design, self.eps)

    def peakmem_path(self, L):
        self.time_path(L)


class SklearnLoop:
    """scikit-learn Ridge(alpha).fit, one fit per penalty: 5 penalties (extrapolate x L/5)."""

    timeout = 900
    number = 1
    repeat = 1

    def setup(self):
        pin_blas_threads()
        from sklearn.linear_model import Ridge

        self.Ridge = Ridge
        self.design, self.X, self.y = make("power_law")
        self.lam = penalties(5)[1:].tolist() + [N * 1e3]

    def time_fit_loop(self):
        for a in self.lam:
            self.Ridge(alpha=a, fit_intercept=False).fit(self.X, self.y)


class SmallPaths:
    """Many small problems, as in a Monte Carlo sweep: n=300, p=1500, L=100, E=10, l_inf risk.

    Compare ``time_path`` with ``time_floor`` (Gram + eigh): small calls are where thread pools and
    Python overhead show (see fastrisk.config.PARALLEL_MIN_WORK)."""

    number = 5
    repeat = 5

    def setup(self):
        pin_blas_threads()
        warm_up()
        self.design, self.X, self.y = make("power_law", 300, 1500)
        self.lam = penalties(100, 300)
        self.eps = np.linspace(0.0, 1.0, 10)

    def time_floor(self):
        np.linalg.eigh(self.X @ self.X.T)

    def time_path(self):
        rp = fr.RidgePath(self.X, self.y, self.lam)
        rp.adversarial_risk(self.design, self.eps, norm=np.inf)
        rp.standard_risk(self.design)


class Streaming:
    """RidgePath.from_design: the path of design.sample(n, seed) without holding X (n=500, p=200000;
    X would be 800 MB). Compare with ``time_sample_dense``, which only draws that X."""

    timeout = 600
    number = 1
    repeat = 2
    n, p = (100, 20000) if SMALL else (500, 200_000)

    def setup(self):
        pin_blas_threads()
        warm_up()
        c = spectra.spiked(self.p, 10, spike=1.0, tail=0.05)
        ts = np.zeros(self.p)
        ts[0] = 1.0
        self.design = fr.GaussianDesign(c, ts, noise=1.0)
        self.lam = penalties(1000, self.n)

    def time_from_design_risks(self):
        rp = fr.RidgePath.from_design(self.design, self.n, self.lam, seed=0)
        rp.adversarial_risk(self.design, np.linspace(0, 1, E), norm=2)

    def peakmem_from_design_risks(self):
        self.time_from_design_risks()

    def time_sample_dense(self):
        self.design.sample(self.n, seed=0)
