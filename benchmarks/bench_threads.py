"""asv benchmarks of the runtime: Numba threading layers and thread counts (fastrisk.runtime).

- ``ThreadingLayer``: the parallel kernels' workloads under each Numba layer. The layer is fixed per
  process, and asv runs each benchmark in its own process, so ``setup`` picks it (skipped when Numba
  has already launched another one or the layer cannot be loaded). The decision recorded in
  ``fastrisk.config.THREADING_LAYER`` rests on ``benchmarks/layers.py``, which interleaves the layers
  in alternating subprocesses and reports medians of ratios.
- ``Threads``: the small-problem floor (n = 300 Gram + eigh) and a sweep-sized path at 1 and 2 threads
  under ``fastrisk.threads(n)``: one thread per process wins when other processes load the cores.
"""

from __future__ import annotations

import numba
import numpy as np

import fastrisk as fr
from fastrisk import spectra
from fastrisk.ntk import ntk_gram

try:
    from ._common import pin_blas_threads
except ImportError:  # pragma: no cover - run as a script
    from _common import pin_blas_threads

#: Workloads that run the parallel kernels: a spiked-Sigma path with l_inf risks (n=500, p=5000,
#: L=1000, E=100; the blocked norm pass), a power-law path with l2 risks (the Sigma-weighted filter),
#: the infinite-width NTK Gram (n=1500, d=300) and a sweep-sized l_inf path (n=300, p=1500, L=100).
WORKLOADS = ("linf_path", "power_law_risk", "ntk_gram", "small_linf")


def make_workload(name: str):
    """Return a zero-argument callable running one workload (data drawn once, here)."""
    if name == "ntk_gram":
        X = np.random.default_rng(0).standard_normal((1500, 300))
        return lambda: ntk_gram(X)
    n, p, L = (300, 1500, 100) if name == "small_linf" else (500, 5000, 1000)
    spec = spectra.power_law(p) if name == "power_law_risk" else spectra.spiked(p, 10, spike=1.0, tail=0.05)
    ts = np.zeros(p)
    ts[0] = 1.0
    design = fr.GaussianDesign(spec, ts, noise=1.0)
    X, y = design.sample(n, seed=0)
    lam = n * np.logspace(-4, 2, L)
    eps = np.linspace(0.0, 1.0, 100)
    if name == "power_law_risk":
        return lambda: fr.RidgePath(X, y, lam).adversarial_risk(design, eps, norm=2)
    return lambda: fr.RidgePath(X, y, lam).adversarial_risk(design, eps, norm=np.inf)


def _launched() -> bool:
    from numba.np.ufunc import parallel

    return bool(parallel._is_initialized)


class ThreadingLayer:
    params = (["tbb", "omp", "workqueue"], list(WORKLOADS))
    param_names = ["layer", "workload"]
    timeout = 300

    def setup(self, layer, workload):
        if _launched() and numba.threading_layer() != layer:
            raise NotImplementedError("another Numba threading layer already runs in this process")
        numba.config.THREADING_LAYER = layer
        try:
            numba.get_num_threads()  # launches the layer
        except ValueError as e:  # layer not loadable here
            raise NotImplementedError(str(e)) from e
        pin_blas_threads()
        self.run = make_workload(workload)
        self.run()  # JIT warm-up

    def time_workload(self, layer, workload):
        self.run()


class Threads:
    params = [1, 2]
    param_names = ["threads"]
    timeout = 120

    def setup(self, t):
        rng = np.random.default_rng(0)
        self.X = rng.standard_normal((300, 1500))
        self.small = make_workload("small_linf")
        self.small()

    def time_gram_eigh_n300(self, t):
        with fr.threads(t):
            np.linalg.eigh(self.X @ self.X.T)

    def time_small_linf_path(self, t):
        with fr.threads(t):
            self.small()
