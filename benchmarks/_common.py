"""Helpers shared by the asv benchmarks: BLAS thread pinning, the ridge test problems, JIT warm-up."""

from __future__ import annotations

import os

import numpy as np

#: BLAS threads for every benchmark (the project's machines have 2 cores).
BLAS_THREADS = int(os.environ.get("FASTRISK_BENCH_THREADS", "2"))

_limiter = None


def pin_blas_threads(n: int = BLAS_THREADS) -> None:
    """Pin every BLAS pool in the process (NumPy's and SciPy's OpenBLAS) to ``n`` threads."""
    global _limiter
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:  # pragma: no cover
        return
    _limiter = threadpool_limits(limits=n, user_api="blas")


def spectrum(kind: str, p: int) -> np.ndarray:
    """The covariance diagonals of the ridge benchmarks: spiked (10 spikes of 1 over a 0.05 floor),
    isotropic, power_law (a = 1) or bllt_log (beta = 2)."""
    from fastrisk import spectra

    if kind == "spiked":
        return spectra.spiked(p, 10, spike=1.0, tail=0.05)
    if kind == "isotropic":
        return spectra.isotropic(p)
    if kind == "bllt_log":
        return spectra.bllt_log(p, beta=2.0)
    if kind == "power_law":
        return spectra.power_law(p, a=1.0)
    raise ValueError(f"unknown spectrum {kind!r}")


def make(kind: str, n: int, p: int, seed: int = 0):
    """``(design, X, y)``: a Gaussian design of that spectrum, theta* = e_1, unit noise, n samples."""
    import fastrisk as fr

    ts = np.zeros(p)
    ts[0] = 1.0
    design = fr.GaussianDesign(spectrum(kind, p), ts, noise=1.0)
    X, y = design.sample(n, seed=seed)
    return design, X, y


def penalties(L: int, n: int) -> np.ndarray:
    """L unnormalised penalties: the min-norm interpolator and ``n * logspace(-4, 2, L - 1)``."""
    return np.concatenate([[0.0], n * np.logspace(-4, 2, L - 1)])


def warm_up() -> None:
    """Compile (or load from Numba's cache) the kernels of every ridge route outside the timings."""
    import fastrisk as fr

    for kind in ("spiked", "power_law"):
        d, X, y = make(kind, 20, 300, seed=1)
        for route in (None, "struct", "gram", "pass", "lowrank"):
            rp = fr.RidgePath(X, y, penalties(9, 20))
            rp._route_override = route
            for norm in (2, np.inf):
                rp.adversarial_risk(d, np.linspace(0, 1, 3), norm=norm)
