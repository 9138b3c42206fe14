"""asv benchmarks of the NTK layer (fastrisk.ntk).

Headline ratios (measured in one run, same machine):
- infinite-width NTK Gram vs the plain linear Gram ``X @ X.T`` (target <= 1.1x) and vs the plain NumPy
  composition (GEMM + separate elementwise calls);
- kernel ridge path over 1000 penalties vs Gram + ``eigh`` alone (target <= 1.3x);
- PGD cost vs steps and test points (linear in both).
Peak memory (``peakmem_``) of the Gram: the output plus O(n) beyond X.
"""

from __future__ import annotations

import numpy as np
import scipy.linalg

from fastrisk.ntk import KernelRidgePath, TwoLayerNTK, adversarial_risk, ntk_gram
from fastrisk.ntk.gram import linear_to_ntk

try:
    from ._common import pin_blas_threads
except ImportError:  # pragma: no cover - run as a script
    from _common import pin_blas_threads


def numpy_ntk_gram(X):
    """The plain NumPy way: GEMM, then separate elementwise calls (several n x n temporaries)."""
    G = X @ X.T
    nrm = np.sqrt(np.diag(G))
    u = np.clip(G / np.outer(nrm, nrm), -1.0, 1.0)
    return G * (np.pi - np.arccos(u)) / (2 * np.pi)


class NTKGram:
    params = [1000, 4000]
    param_names = ["n_eq_d"]
    timeout = 300

    def setup(self, n):
        pin_blas_threads()
        self.X = np.random.default_rng(0).standard_normal((n, n))
        ntk_gram(self.X[:8])  # JIT warm-up

    def time_linear_gram(self, n):
        self.X @ self.X.T

    def time_ntk_gram(self, n):
        ntk_gram(self.X)

    def time_ntk_gram_both(self, n):
        ntk_gram(self.X, train="both")

    def time_numpy_composition(self, n):
        numpy_ntk_gram(self.X)

    def peakmem_linear_gram(self, n):
        self.X @ self.X.T

    def peakmem_ntk_gram(self, n):
        ntk_gram(self.X)

    def peakmem_numpy_composition(self, n):
        numpy_ntk_gram(self.X)


class NTKGramSmallD:
    """Small input dimension, where the elementwise pass is most of the work (issue 11 targets:
    n = 4000, d = 100 at most 1.5x ``X @ X.T``; n = d = 3000 at most 1.1x, see :class:`NTKGram`).
    ``time_fused_pass`` times the elementwise pass alone on a precomputed linear Gram."""

    params = ([2000, 4000], [100])
    param_names = ["n", "d"]
    timeout = 300

    def setup(self, n, d):
        pin_blas_threads()
        self.X = np.random.default_rng(0).standard_normal((n, d))
        self.G = self.X @ self.X.T
        ntk_gram(self.X[:8])

    def time_linear_gram(self, n, d):
        self.X @ self.X.T

    def time_ntk_gram(self, n, d):
        ntk_gram(self.X)

    def time_ntk_gram_both(self, n, d):
        ntk_gram(self.X, train="both")

    def time_fused_pass(self, n, d):
        linear_to_ntk(self.G.copy(), 0)

    def time_copy(self, n, d):  # subtract from time_fused_pass
        self.G.copy()


class FiniteWidthGram:
    params = [1024, 8192]
    param_names = ["width"]
    timeout = 300

    def setup(self, m):
        pin_blas_threads()
        self.X = np.random.default_rng(0).standard_normal((1000, 200))
        ntk_gram(self.X[:8], width=2, seed=0)

    def time_finite_gram(self, m):
        ntk_gram(self.X, width=m, seed=0)

    def peakmem_finite_gram(self, m):
        ntk_gram(self.X, width=m, seed=0)


class KernelRidgePathBench:
    params = [1000, 2000]
    param_names = ["n"]
    timeout = 600

    def setup(self, n):
        pin_blas_threads()
        rng = np.random.default_rng(1)
        self.X = rng.standard_normal((n, n))
        self.y = rng.standard_normal(n)
        self.lam = np.concatenate([[0.0], np.logspace(-3, 3, 999)])
        ntk_gram(self.X[:8])

    def time_gram_eigh_floor(self, n):
        scipy.linalg.eigh(ntk_gram(self.X), lower=True, overwrite_a=True, check_finite=False, driver="evd")

    def time_path(self, n):
        path = KernelRidgePath(ntk_gram(self.X), self.y, self.lam, overwrite=True)
        path.rkhs_norm_sq()
        path.training_error()
        path.df()

    def time_path_with_dual_coef(self, n):
        KernelRidgePath(ntk_gram(self.X), self.y, self.lam, overwrite=True).dual_coef()


def _attack_setup(m_test, n=1000, d=100):
    pin_blas_threads()
    rng = np.random.default_rng(2)
    X = rng.standard_normal((n, d))
    fit = TwoLayerNTK(None).fit(X, rng.standard_normal(n), [0.0, 1.0, 10.0])
    Z = rng.standard_normal((m_test, d))
    adversarial_risk(fit, Z[:2], 0.5, f_star=np.zeros(2), method="pgd", steps=1, seed=0)  # JIT
    return fit, Z


class PGD:
    """PGD time: linear in steps, restarts and test points (3 penalties x 2 radii per point)."""

    params = ([10, 40], [1, 4], [50, 200])
    param_names = ["steps", "restarts", "m_test"]
    timeout = 300

    def setup(self, steps, restarts, m_test):
        self.fit, self.Z = _attack_setup(m_test)

    def time_pgd(self, steps, restarts, m_test):
        adversarial_risk(self.fit, self.Z, [0.5, 1.0], f_star=np.zeros(len(self.Z)), method="pgd",
                         steps=steps, restarts=restarts, seed=0)


class FirstOrderAndFGSM:
    params = [50, 200]
    param_names = ["m_test"]

    def setup(self, m_test):
        self.fit, self.Z = _attack_setup(m_test)

    def time_first_order(self, m_test):
        adversarial_risk(self.fit, self.Z, [0.5, 1.0], f_star=np.zeros(len(self.Z)))

    def time_fgsm(self, m_test):
        adversarial_risk(self.fit, self.Z, [0.5, 1.0], f_star=np.zeros(len(self.Z)), method="fgsm")
