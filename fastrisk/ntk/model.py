"""The two-layer ReLU network in the lazy (NTK) regime and its fitted kernel predictors.

Network: ``f(x; W, a) = m^-1/2 sum_r a_r relu(w_r^T x)`` with ``w_r ~ N(0, I_d)``, ``a_r ~ Unif{+-1}``
(seeded, see :mod:`fastrisk.ntk._common`). Lazy training of the chosen layers from ``theta_0`` by
gradient descent on ``(1/2) sum_i (f(x_i) - y_i)^2`` plus ``(lam/2) |theta - theta_0|^2`` gives the
linearised predictor (Jacot et al. 2018; Chizat et al. 2019; docs/math.md section 10)::

    f_hat(x) = f_0(x) + k(x)^T (K + lam I)^{-1} (y - f_0(X)),     f_0 = f(.; theta_0)

with K the empirical NTK at ``theta_0`` (finite width) or the analytic one (``width=None``, where
``f_0 = 0``: the symmetric-initialisation convention). With ``symmetric_init=True`` (default),
``f_0 = 0`` at any width.

Input gradients: analytic for the infinite-width kernels; for finite width the linearised network's
gradient is exact almost everywhere (activation patterns are piecewise constant, so the ``dk_0/du`` term
of the infinite-width gradient is absent: docs/math.md section 10). Use PGD with a finite radius, or the
infinite-width model, when comparing with NTK theory.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from .. import config
from .._validation import check_positive_int
from ..kernels.ntk import gather_penalty, ntk_fuse_cross, ntk_grad_terms, relu_split
from ._common import check_inputs, check_train, check_width, init_rows, neuron_block, seed_entropy
from .gram import _norms, ntk_gram, snap_for
from .path import KernelRidgePath

__all__ = ["TwoLayerNTK", "NTKRegressor"]

ArrayLike = Any

_SNAP = snap_for(np.float64)

#: Cache the training activations of a finite-width predictor when they fit in this many bytes.
ACT_CACHE_BYTES = 8 * config.BLOCK_BYTES


class TwoLayerNTK:
    """Two-layer ReLU network ``f(x) = m^-1/2 sum_r a_r relu(w_r^T x)`` under lazy training.

    Parameters
    ----------
    width : int or None
        Number of neurons m; ``None`` is the infinite-width limit (analytic arc-cosine kernels).
    train : {"first", "second", "both"}
        Trained layers: first layer W (the usual lazy-training setting), second layer a, or both.
    seed : int, SeedSequence or None
        Initialisation seed (finite width); ``None`` draws fresh entropy, kept in ``self.entropy``.
    symmetric_init : bool
        Neurons in pairs ``(w, a), (w, -a)`` so that ``f(.; theta_0) = 0`` (m must be even).

    Examples
    --------
    >>> import numpy as np
    >>> from fastrisk.ntk import TwoLayerNTK
    >>> rng = np.random.default_rng(0)
    >>> X, X_test = rng.standard_normal((40, 10)), rng.standard_normal((5, 10))
    >>> y = X[:, 0]
    >>> fit = TwoLayerNTK(width=None).fit(X, y, lam=[0.0, 1.0, 10.0])   # kernel ridge path, L = 3
    >>> fit.predict(X_test).shape, fit.input_gradient(X_test).shape
    ((5, 3), (5, 3, 10))
    >>> bool(np.allclose(fit.predict(X)[:, 0], y))                     # lam = 0 interpolates
    True
    """

    def __init__(self, width: int | None = None, train: str = "first", seed=None,
                 symmetric_init: bool = True):
        self.mode = check_train(train)
        self.train = train
        self.symmetric_init = bool(symmetric_init)
        self.width = check_width(width, self.symmetric_init)
        self.entropy = None if self.width is None else seed_entropy(seed)

    @property
    def m_eff(self) -> int | None:
        """Distinct neurons (m/2 with a symmetric init, m otherwise; None at infinite width)."""
        if self.width is None:
            return None
        return self.width // 2 if self.symmetric_init else self.width

    def _finite(self) -> tuple[int, int, int]:
        """``(width, m_eff, entropy)`` of a finite-width network (callers have checked the width)."""
        if self.width is None or self.entropy is None:
            raise ValueError("a finite width is needed here (width=None is the analytic limit)")
        return self.width, self.width // 2 if self.symmetric_init else self.width, self.entropy

    def gram(self, X: ArrayLike, X2: ArrayLike | None = None) -> np.ndarray:
        """NTK Gram (n, n2) of this network (see :func:`ntk_gram`)."""
        return ntk_gram(X, X2, train=self.train, width=self.width,
                        seed=None if self.width is None else np.random.SeedSequence(self.entropy),
                        symmetric_init=self.symmetric_init)

    def init_params(self, d: int) -> tuple[np.ndarray, np.ndarray]:
        """The initial parameters of the m neurons: W (m, d) and a (m,), float64 (pairs adjacent with a
        symmetric init)."""
        if self.width is None:
            raise ValueError("init_params needs a finite width (width=None is the analytic limit)")
        d = check_positive_int(d, "d")
        _, m_eff, entropy = self._finite()
        W, a = init_rows(entropy, d, 0, m_eff)
        if self.symmetric_init:
            W = np.repeat(W, 2, axis=0)
            a = np.stack([a, -a], axis=1).reshape(-1)
        return W, a

    def init_output(self, X: ArrayLike) -> np.ndarray:
        """``f(x; theta_0)`` at the rows of X, (n,); identically 0 for width=None or symmetric_init."""
        X = check_inputs(X, "X")
        if self.width is None or self.symmetric_init:
            return np.zeros(X.shape[0])
        width, m_eff, entropy = self._finite()
        out = np.zeros(X.shape[0])
        X = np.ascontiguousarray(X, dtype=np.float64)
        b = neuron_block(m_eff, X.shape[0])
        for r0 in range(0, m_eff, b):
            Wb, ab = init_rows(entropy, X.shape[1], r0, min(m_eff, r0 + b))
            out += np.maximum(X @ Wb.T, 0.0) @ ab
        return out / math.sqrt(width)

    def fit(self, X: ArrayLike, y: ArrayLike, lam: ArrayLike = 0.0) -> NTKRegressor:
        """Lazy-training (kernel ridge) predictors for every penalty, from one Gram + one eigh.

        Parameters
        ----------
        X : array_like (n, d)
        y : array_like (n,)
        lam : float or array_like (L,)
            Unnormalised penalties (of ``(lam/2)|theta - theta_0|^2`` with loss ``(1/2) sum (f - y)^2``,
            i.e. ``(K + lam I)^{-1}``); 0 is the kernel interpolator (GD from theta_0 to convergence).
        """
        return NTKRegressor(self, X, y, lam)

    def __repr__(self) -> str:
        return (f"TwoLayerNTK(width={self.width}, train={self.train!r}, symmetric_init={self.symmetric_init},"
                f" seed={self.entropy})")


class NTKRegressor:
    """Fitted lazy-training predictors ``f_hat_l`` of a :class:`TwoLayerNTK`, one per penalty.

    Attributes
    ----------
    path : KernelRidgePath on ``y - f_0(X)``; lam : (L,) penalties; beta : (n, L) dual coefficients.
    """

    def __init__(self, model: TwoLayerNTK, X: ArrayLike, y: ArrayLike, lam: ArrayLike):
        from .._validation import check_vector

        self.model = model
        X = check_inputs(X, "X")
        self.X = np.ascontiguousarray(X, dtype=np.float64)
        self.n, self.d = self.X.shape
        y = check_vector(y, self.n, "y")
        self.f0_train = model.init_output(self.X)
        self._mode = model.mode
        self._xn = _norms(self.X)
        if model.width is not None:
            width, m_eff, entropy = model._finite()
            self._W, self._a = init_rows(entropy, self.d, 0, m_eff)
            self._inv_m = 1.0 / m_eff
            self._f0_scale = 0.0 if model.symmetric_init else 1.0 / math.sqrt(width)
        K = model.gram(self.X)
        self.path = KernelRidgePath(K, y - self.f0_train, lam, overwrite=True)
        del K
        self.lam = self.path.lam
        self.beta = np.ascontiguousarray(self.path.dual_coef())
        self.L = self.lam.shape[0]
        if model.width is not None:
            self._setup_finite()

    # ------------------------------------------------------------------ finite-width machinery
    def _setup_finite(self):
        m_eff = self.model.m_eff
        self._blocks = []
        nb = neuron_block(m_eff, self.n, 2)
        for r0 in range(0, m_eff, nb):
            self._blocks.append((r0, min(m_eff, r0 + nb)))
        per = 8 * self.n * m_eff * (1 if self._mode == 0 else 2)
        self._cache = per <= ACT_CACHE_BYTES
        self._acts = {}
        # V = A_X^T beta (m_eff, L): the second-layer term of the input gradient
        self._V = np.zeros((m_eff, self.L)) if self._mode != 0 else None
        for r0, r1 in self._blocks:
            S, A = self._train_acts(r0, r1)
            if self._V is not None:
                self._V[r0:r1] = A.T @ self.beta

    def _train_acts(self, r0, r1):
        if (r0, r1) in self._acts:
            return self._acts[(r0, r1)]
        Z = self.X @ self._W[r0:r1].T
        S = np.empty_like(Z)
        relu_split(Z, S)
        out = (S, Z)
        if self._cache:
            self._acts[(r0, r1)] = out
        return out

    def _finite_eval(self, Z, lidx, need_grad=True):
        """Values (P,) / (P, L) and gradients (P, d) / (P, L, d) of the linearised finite network."""
        P = Z.shape[0]
        mode = self._mode
        allL = lidx is None
        G = Z @ self.X.T
        D = np.zeros((P, self.n)) if mode != 1 else None
        E = np.zeros((P, self.n)) if mode != 0 else None
        f0 = np.zeros(P)
        gshape = (P, self.L, self.d) if allL else (P, self.d)
        grad = np.zeros(gshape) if need_grad else None
        g0 = np.zeros((P, self.d)) if (need_grad and self._f0_scale) else None
        for r0, r1 in self._blocks:
            Wb = self._W[r0:r1]
            SX, AX = self._train_acts(r0, r1)
            AZ = Z @ Wb.T
            SZ = np.empty_like(AZ)
            relu_split(AZ, SZ)
            if D is not None:
                D += SZ @ SX.T
            if E is not None:
                E += AZ @ AX.T
            if self._f0_scale:
                ab = self._a[r0:r1]
                f0 += AZ @ ab
                if need_grad:
                    g0 += (SZ * ab) @ Wb
            if need_grad and mode != 0:
                Vb = self._V[r0:r1]
                if allL:
                    M = (SZ[:, None, :] * Vb.T[None, :, :]).reshape(P * self.L, r1 - r0)
                    grad += (M @ Wb).reshape(P, self.L, self.d) * self._inv_m
                else:
                    grad += ((SZ * Vb[:, lidx].T) @ Wb) * self._inv_m
        if mode == 0:
            Kz = G * D
        elif mode == 1:
            Kz = E
        else:
            Kz = G * D + E
        Kz *= self._inv_m
        f0 *= self._f0_scale
        if allL:
            f = Kz @ self.beta + f0[:, None]
        else:
            f = np.einsum("ki,ik->k", Kz, self.beta[:, lidx]) + f0
        if not need_grad:
            return f, None
        if mode != 1:
            D *= self._inv_m
            if allL:
                M = (D[:, None, :] * self.beta.T[None, :, :]).reshape(P * self.L, self.n)
                grad += (M @ self.X).reshape(P, self.L, self.d)
            else:
                grad += (D * self.beta[:, lidx].T) @ self.X
        if g0 is not None:
            g0 *= self._f0_scale
            grad += g0[:, None, :] if allL else g0
        return f, grad

    # ------------------------------------------------------------------ infinite-width machinery
    def _infinite_eval(self, Z, lidx, need_grad=True):
        P = Z.shape[0]
        G = Z @ self.X.T
        zn = _norms(Z)
        if not need_grad:
            ntk_fuse_cross(G, zn, self._xn, self._mode, _SNAP)
            if lidx is None:
                return G @ self.beta, None
            return np.einsum("ki,ik->k", G, self.beta[:, lidx]), None
        A = np.empty_like(G)
        B = np.empty_like(G)
        ntk_grad_terms(G, zn, self._xn, self._mode, _SNAP, A, B)
        with np.errstate(invalid="ignore", divide="ignore"):
            zhat = np.where(zn[:, None] > 0, Z / np.where(zn > 0, zn, 1.0)[:, None], 0.0)
        if lidx is None:
            f = G @ self.beta
            C = B @ self.beta
            M = (A[:, None, :] * self.beta.T[None, :, :]).reshape(P * self.L, self.n)
            grad = (M @ self.X).reshape(P, self.L, self.d) + C[:, :, None] * zhat[:, None, :]
            return f, grad
        f = np.empty(P)
        c = np.empty(P)
        gather_penalty(G, A, B, self.beta, np.ascontiguousarray(lidx, dtype=np.int64), f, c)
        return f, A @ self.X + c[:, None] * zhat

    # ------------------------------------------------------------------ predictor protocol
    def _eval(self, Z, lidx=None, need_grad=True):
        """Internal, validated input: Z (P, d) float64 C-contiguous; lidx (P,) penalty per point or None
        (all penalties). Returns (f, grad): (P,), (P, d) or (P, L), (P, L, d)."""
        if self.model.width is None:
            return self._infinite_eval(Z, lidx, need_grad)
        return self._finite_eval(Z, lidx, need_grad)

    def _blocks_of(self, m: int, per_row: int):
        b = max(1, config.BLOCK_BYTES // max(1, 8 * per_row))
        for j0 in range(0, m, b):
            yield j0, min(m, j0 + b)

    def _check_new(self, X_new):
        X_new = check_inputs(X_new, "X_new", d=self.d)
        return np.ascontiguousarray(X_new, dtype=np.float64)

    # ------------------------------------------------------------------ public API
    def predict(self, X_new: ArrayLike) -> np.ndarray:
        """Predictions ``f_hat_l(x)`` at the rows of X_new, shape (m, L)."""
        Z = self._check_new(X_new)
        out = np.empty((Z.shape[0], self.L))
        for j0, j1 in self._blocks_of(Z.shape[0], 3 * self.n):
            out[j0:j1] = self._eval(Z[j0:j1], None, need_grad=False)[0]
        return out

    def input_gradient(self, X_new: ArrayLike) -> np.ndarray:
        """``grad_x f_hat_l(x)`` at the rows of X_new, shape (m, L, d) (a.e. for finite width; 0 at x = 0
        for the infinite-width kernels, which are not differentiable there)."""
        Z = self._check_new(X_new)
        out = np.empty((Z.shape[0], self.L, self.d))
        for j0, j1 in self._blocks_of(Z.shape[0], 4 * self.n + self.L * (self.n + 2 * self.d)):
            out[j0:j1] = self._eval(Z[j0:j1], None)[1]
        return out

    def standard_risk(self, X_test: ArrayLike, f_star: ArrayLike | None = None, *,
                      theta_star: ArrayLike | None = None) -> np.ndarray:
        """Test-sample standard risk ``mean_j (f_hat(x_j) - f_star(x_j))^2``, (L,).

        Give the target values ``f_star`` (m,) or a linear target ``theta_star`` (d,) (``f* = X theta*``).
        """
        from .attacks import _target

        Z = self._check_new(X_test)
        fs = _target(Z, f_star, theta_star)
        return np.mean((self.predict(Z) - fs[:, None]) ** 2, axis=0)

    def adversarial_risk(self, X_test: ArrayLike, eps: ArrayLike, **kwargs) -> np.ndarray:
        """Adversarial risk on a test sample, (L, E): see :func:`fastrisk.ntk.adversarial_risk`."""
        from .attacks import adversarial_risk

        return adversarial_risk(self, X_test, eps, **kwargs)

    def rkhs_norm_sq(self) -> np.ndarray:
        """``beta^T K beta`` per penalty (L,): squared displacement ``||theta - theta_0||^2``."""
        return self.path.rkhs_norm_sq()

    def __repr__(self) -> str:
        return f"NTKRegressor({self.model!r}, n={self.n}, d={self.d}, L={self.L})"
