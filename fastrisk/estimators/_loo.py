"""Exact leave-one-out (and GCV) errors, and leave-one-out coefficient norms, for every penalty and
every target at once, from one :class:`~fastrisk.estimators._decompose.Decomposition` (docs/math.md,
section 4).

For a linear smoother ``y_hat = H y`` from penalised least squares the leave-one-out residual is
``e_i = r_i / (1 - H_ii)`` with ``r = y - H y`` (Allen 1974; Golub, Heath & Wahba 1979). For ridge on the
rescaled problem ``(X_w, Y_w)`` with an unpenalised intercept along ``v`` (``sqrt(w)``, or ones)::

    H = v v^T / W + X_w (X_w^T X_w + alpha I)^{-1} X_w^T,      W = v^T v.

**Dual side** (n <= p). In the eigenbasis ``[v / ||v||, U]`` of ``K = X_w X_w^T`` (the intercept
deflated exactly, :mod:`fastrisk.estimators._decompose`), ``I - H = U diag(alpha / (s + alpha)) U^T``,
so with ``F[j, l] = 1 / (s_j + alpha_l)`` (``1 / alpha_l`` on null components) and ``z = U^T y_w``::

    e_i = num_i / den_i,   num = U (z * F),   den = (U * U) F               two (n, n) x (n, L) products

(``alpha`` cancels between ``r = alpha num`` and ``1 - H_ii = alpha den``). Every column may be scaled by
any ``kappa_l > 0``: with genuine null components (rank deficiency beyond the intercept) ``kappa = alpha``
(null filters 1, the others ``alpha / (s + alpha)``), else ``kappa = max(1, alpha)`` in units of
``max(s)``; no filter then overflows or underflows at any representable alpha, and the intercept never
enters a sum, so that the errors are right down to ``alpha = 5e-324``.

**Primal side** (n > p), ``X_w^T X_w = V diag(s) V^T``, ``R = X_w V`` (n, p), ``c = V^T X_w^T y_w``. With
the least-squares residual ``r0 = y_w - R (c / s)`` and ``1 - h0 = 1 - v^2 / W - (R * R) (1 / s)``::

    r = r0 + alpha R (c F / s),     1 - H_ii = (1 - h0_i) + alpha ((R * R) (F / s))_i

(kept components only). When the minimum-norm fit interpolates (``n_free = 0``: ``r0 = 0``,
``1 - h0 = 0`` exactly) both are divided by alpha, as on the dual side; otherwise no term cancels.

GCV (Golub, Heath & Wahba 1979) replaces every ``H_ii`` by ``tr(H) / N``, with
``N - tr(H) = (N - [intercept] - rank) + alpha sum_kept F``.

**Sample weights** are frequency weights: sample i leaves out *one unit* of its weight (one of its
copies), or its whole weight when ``w_i < 1``: ``delta_i = min(w_i, 1)``. By Sherman-Morrison
``sqrt(w_i) e_i = r^w_i w_i / ((w_i - delta_i) + delta_i (1 - H^w_ii))`` (H the hat matrix of the rescaled
problem), and the criterion is ``sum_i w_i e_i^2 / N``, ``N = sum_i w_i`` (n without weights). Without
weights (and for every ``w_i = 1``) this is plain leave-one-out, exactly scikit-learn's ``RidgeCV``; with
weights scikit-learn leaves whole samples out, so the two differ, and only this one is invariant to
repeating samples. Every array ``e`` below is ``sqrt(w) * e_true`` (``e_true`` without weights), so that
``e**2`` is the per-sample weighted squared error ``w_i e_i^2`` (``RidgeCV``'s ``cv_results_``).

**Leave-one-out coefficients.** Ridge with sample i's unit removed is ridge on all samples with ``y_i``
replaced so that its residual shrinks by ``Delta_i = delta_i e_true,i / sqrt(w_i)`` in rescaled units (the
objective is quadratic, so the two stationary points agree). The solution is linear in y, so
``theta^(-i) = theta - Delta_i X_w^T G^{-1} e_i`` and, in the eigenbasis (``d = s`` and ``B = U`` dual,
``d = 1`` and ``B = R`` primal; kept components)::

    ||theta^(-i)||_2^2 = sum_j d_j F_j^2 (c_j - Delta_i B_ij)^2
                       = ||theta||^2 - 2 Delta_i (B (d F^2 c))_i + Delta_i^2 ((B * B) (d F^2))_i

two more (n, g) x (g, L) products for every penalty (a rank-one downdate per sample): the exact
leave-one-out l2 adversarial loss ``(|e_i| + eps ||theta^(-i)||_2)^2`` of every penalty is O(n^2 L) after
the eigendecomposition. Other norms need ``theta^(-i)`` itself: :func:`loo_coef_norms` forms it block by
block (``2 n g p`` flops per penalty and target).
"""

from __future__ import annotations

import math

import numpy as np

from .. import config
from ._decompose import Decomposition

__all__ = ["LeaveOneOut"]


class LeaveOneOut:
    """Leave-one-out machinery of one decomposition (see the module notes).

    Parameters
    ----------
    dec : the decomposition of the rescaled problem.
    sw : (n,) positive sample weights or None (zero-weight rows are left out of the decomposition).
    """

    def __init__(self, dec: Decomposition, sw: np.ndarray | None):
        spec = dec.spec
        self.dec = dec
        self.n = dec.n
        self.k = dec.C.shape[1]
        self.unit = spec.unit
        self.sw = sw
        self.N = float(dec.n if sw is None else sw.sum())
        self.c0 = self.N - (1 if dec.v is not None else 0) - dec.rank  # N - trH at alpha = 0
        if sw is not None:
            self.delta = np.minimum(sw, 1.0)
            self.w_minus = sw - self.delta
        if dec.side == "dual":
            i0 = dec.icpt
            self.n0 = dec.n_null
            self.B = spec.U[:, i0:]  # null components first, then the kept ones
            self.c = dec.C[i0:]
            self.s = spec.s_unit[i0:]
            self.kept = slice(self.n0, None)
            self.d = self.s
            self.interp = False
        else:
            st = spec.start
            root = spec.root
            self.n0 = 0
            assert dec.R is not None, "the primal side needs R = X_w V (decompose_linear(leverage=True))"
            self.B = dec.R[:, st:] / root
            self.c = dec.C[st:] / root
            self.s = spec.s_unit[st:]
            self.kept = slice(0, None)
            self.d = np.ones_like(self.s)
            self.interp = dec.n_free == 0
            if not self.interp:
                self.r0 = dec.Y_w - self.B @ (self.c / self.s[:, None])
                self.omh0 = 1.0 - (self.B * self.B) @ (1.0 / self.s)
                if dec.v is not None:
                    self.omh0 -= dec.v * dec.v / float(dec.v @ dec.v)
        self._B2_cache: np.ndarray | None = None

    def _B2(self) -> np.ndarray:
        """``B * B`` (n, g), formed once."""
        if self._B2_cache is None:
            self._B2_cache = self.B * self.B
        return self._B2_cache

    def block_size(self, extra: int = 1) -> int:
        """Penalties per block so that a few (n, k, Lb) arrays stay near 8 x config.BLOCK_BYTES."""
        return max(1, (8 * config.BLOCK_BYTES) // (8 * self.n * self.k * extra))

    # ------------------------------------------------------------------ one block of penalties
    def errors(self, alphas: np.ndarray, gcv: bool = False) -> tuple[np.ndarray, np.ndarray]:
        """``e`` (n, k, Lb) (``sqrt(w) e_true``, module notes) and ``df`` (Lb,) for penalties ``alphas``."""
        a = alphas / self.unit
        s = self.s
        F = np.add.outer(s, a)  # (g, Lb), kept and null alike (null: s = 0)
        np.reciprocal(F, out=F)
        df = s[self.kept] @ F[self.kept]
        if self.dec.side == "dual":
            if self.n0 > 0:
                kappa = a.copy()
                Fs = F
                Fs *= a[None, :]
                Fs[:self.n0] = 1.0
            else:
                kappa = np.maximum(a, 1.0)
                Fs = F
                Fs *= kappa[None, :]
            num = self._gemm(self.B, self.c, Fs)
            gsum = Fs[self.kept].sum(axis=0)
            den = None if gcv else self._B2() @ Fs
        else:
            Fd = F / s[:, None]
            if self.interp:
                kappa = np.ones_like(a)
                num = self._gemm(self.B, self.c, Fd)
                den = None if gcv else self._B2() @ Fd
                gsum = F.sum(axis=0)
            else:
                kappa = a.copy()
                num = self._gemm(self.B, self.c, Fd * a[None, :])
                num += self.r0[:, :, None]
                den = None if gcv else self.omh0[:, None] + self._B2() @ (Fd * a[None, :])
                gsum = a * F.sum(axis=0)
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            koa = kappa / a  # kappa / alpha in units; inf only when alpha underflowed to 0 in units
        if gcv:
            lead = self.c0 * koa if self.c0 != 0 else np.zeros_like(a)
            num *= (self.N / (lead + gsum))[None, None, :]
            return num, df
        assert den is not None
        if self.sw is None:
            num /= den[:, None, :]
            return num, df
        # weights are positive here (the estimators leave zero-weight rows out of the decomposition)
        with np.errstate(invalid="ignore"):
            lead = np.where(self.w_minus[:, None] > 0, self.w_minus[:, None] * koa[None, :], 0.0)
        den = lead + self.delta[:, None] * den
        num *= self.sw[:, None, None]
        num /= den[:, None, :]
        return num, df

    def _gemm(self, B: np.ndarray, c: np.ndarray, Fs: np.ndarray) -> np.ndarray:
        """``out[i, t, l] = sum_j B[i, j] c[j, t] Fs[j, l]`` as one GEMM, (n, k, Lb)."""
        g, k = c.shape
        Lb = Fs.shape[1]
        M = c[:, 0, None] * Fs if k == 1 else (c[:, :, None] * Fs[:, None, :]).reshape(g, k * Lb)
        return (B @ M).reshape(B.shape[0], k, Lb)

    def shift(self, e: np.ndarray) -> np.ndarray:
        """``Delta`` (n, k, Lb): how far sample i's leave-one-out fit moves its rescaled residual."""
        if self.sw is None:
            return e
        with np.errstate(divide="ignore", invalid="ignore"):
            f = np.where(self.sw > 0, self.delta / self.sw, 0.0)
        return e * f[:, None, None]

    def coef_norms2(self, alphas: np.ndarray, e: np.ndarray) -> np.ndarray:
        """``||theta^(-i)||_2^2`` (n, k, Lb) of the leave-one-out fits, original units (module notes)."""
        a = alphas / self.unit
        kp = self.kept
        B = self.B[:, kp]
        F = 1.0 / (self.s[kp, None] + a[None, :])
        dF2 = self.d[kp, None] * F * F  # (g, Lb)
        c = self.c[kp]
        T0 = np.einsum("jt,jl->tl", c * c, dF2)  # (k, Lb)
        T1 = self._gemm(B, c, dF2)
        T2 = (B * B) @ dF2
        D = self.shift(e)
        out = T0[None] - 2.0 * D * T1 + (D * D) * T2[:, None, :]
        np.maximum(out, 0.0, out=out)
        out /= self.unit
        return out

    @property
    def theta_scale(self) -> float:
        """theta = P (F' c) * theta_scale in original units, with F' the filter in units, c = self.c and
        P the feature map of the kept components (dual ``X_w^T U``, primal ``V``)."""
        return 1.0 / self.unit if self.dec.side == "dual" else self.dec.spec.root / self.unit

    def fitted(self, Z: np.ndarray, alphas: np.ndarray) -> np.ndarray:
        """``Z theta_l`` (m, k, Lb) for rows Z (m, g_kept) already mapped to the eigenbasis
        (``Z = Xz_c P``): predictions of points outside the fit (without the intercept)."""
        kp = self.kept
        F = 1.0 / (self.s[kp, None] + (alphas / self.unit)[None, :])
        return self._gemm(Z, self.c[kp], F) * self.theta_scale


def loo_coef_norms(loo: LeaveOneOut, alphas: np.ndarray, e: np.ndarray, q: float,
                   feature_map) -> np.ndarray:
    """``||theta^(-i)||_q`` (n, k, Lb) of the leave-one-out fits, formed block of features by block.

    ``theta^(-i) = P diag(F) (c - Delta_i B_i.)`` with ``P`` (p, g) the feature map of the kept
    components (dual: ``X_w^T U``, primal: ``V``), in original units; ``feature_map()`` yields
    ``(j0, j1, P[j0:j1])``. Cost ``2 n g p`` flops per penalty and target.
    """
    kp = loo.kept
    B = loo.B[:, kp]
    c = loo.c[kp]
    n, k, L = e.shape
    D = loo.shift(e)
    scale = loo.theta_scale
    acc = np.zeros((n, k, L))
    for _, _, P in feature_map():
        for l in range(L):
            Fl = scale / (loo.s[kp] + alphas[l] / loo.unit)
            for t in range(k):
                M = Fl[:, None] * (c[:, t][:, None] - B.T * D[None, :, t, l])  # (g, n)
                T = P @ M  # (b, n): column i is theta^(-i) on this block of features
                if math.isinf(q):
                    np.maximum(acc[:, t, l], np.abs(T).max(axis=0), out=acc[:, t, l])
                else:
                    acc[:, t, l] += (np.abs(T) ** q).sum(axis=0)
    return acc if math.isinf(q) else acc ** (1.0 / q)
