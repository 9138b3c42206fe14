"""asv: the exact ``method="svd"`` route of RidgePath beside the default Gram route (issue 7).

``RidgePath(X, y, lam, method="svd")`` pays a thin SVD of X instead of one SYRK + eigh; this measures
that honest cost (time and peak memory) on the same data, as a ratio within one run:
``SvdRoute.time_path`` with ``method="svd"`` over ``method="gram"``. Shrink with
``FASTRISK_BENCH_SMALL=1``.
"""

from __future__ import annotations

import os
import warnings

import numpy as np

import fastrisk as fr
from fastrisk import spectra

from ._common import pin_blas_threads

SMALL = os.environ.get("FASTRISK_BENCH_SMALL") == "1"
N, P = (200, 2000) if SMALL else (1000, 10000)


class SvdRoute:
    """Path construction + standard and l2 adversarial risk, Gram route vs SVD route."""

    params = (["gram", "svd"], ["dual", "primal"])
    param_names = ["method", "side"]
    timeout = 600
    number = 1
    repeat = 3

    def setup(self, method, side):
        pin_blas_threads()
        n, p = (N, P) if side == "dual" else (P // 4, N // 4)
        ts = np.zeros(p)
        ts[0] = 1.0
        self.design = fr.GaussianDesign(spectra.power_law(p), ts, noise=1.0)
        self.X, self.y = self.design.sample(n, seed=0)
        self.lam = np.concatenate([[0.0], n * np.logspace(-4, 2, 99)])
        self.eps = np.linspace(0.0, 1.0, 100)
        warnings.simplefilter("ignore", fr.IllConditionedWarning)

    def time_path(self, method, side):
        rp = fr.RidgePath(self.X, self.y, self.lam, method=method)
        rp.adversarial_risk(self.design, self.eps)

    def peakmem_path(self, method, side):
        self.time_path(method, side)
