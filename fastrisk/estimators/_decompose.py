"""One Gram and one eigendecomposition of the rescaled problem, shared by every target and penalty.

Linear ridge on ``(X_w, Y_w)`` (:mod:`fastrisk.estimators._base`) works on the smaller Gram:

- dual side (``n <= p``): ``K = X_w X_w^T = U diag(s) U^T`` (n, n), accumulated over centred column
  blocks of X, so no centred copy of X ever exists; ``C = U^T Y_w`` (n, k);
- primal side (``n > p``): ``X_w^T X_w = V diag(s) V^T`` (p, p) over centred row blocks, with
  ``C = V^T X_w^T Y_w`` (p, k) from the same pass and, for the leave-one-out leverages,
  ``R = X_w V`` (n, p) from a second one.

Kernel ridge (:mod:`fastrisk.estimators.ntk`) is the dual side with ``K = D K_x D`` (``D = diag(sqrt w)``).

**The intercept, exactly.** With an intercept the rescaled problem lives in the orthogonal complement
of ``v`` (``sqrt(w)``, or ones): ``X_w^T v = 0``, so ``v`` is an eigenvector of K with eigenvalue 0. An
``eigh`` of K finds it only to rounding, and every later formula that divides by a tiny penalty
(``1 / (s + alpha)`` on a null component) turns that rounding into garbage (at ``alpha <= 1e-30`` the
leave-one-out errors came out ~0 and the tiniest penalty was chosen). So the dual side deflates ``v``
exactly: with the Householder reflection ``Q`` that maps ``v`` to a multiple of ``e_1``, ``Q K Q`` has
(up to the rounding of ``X_w^T v``, which is dropped) a zero first row and column; the eigenvectors of
its trailing (n-1, n-1) block, mapped back by ``Q``, are orthogonal to ``v`` to working precision, and
``v / ||v||`` itself is stored as component 0 with eigenvalue exactly 0. For a kernel Gram the same
reflection *is* the centring in feature space (``Q P K P Q = Q K Q`` off the first row and column, with
``P = I - v v^T / v^T v``), so no centred kernel is formed either.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .._spectral import SpectralGram
from ._base import Centred, _block_size

__all__ = ["Decomposition", "decompose_kernel", "decompose_linear"]


@dataclass
class Decomposition:
    """The spectral form of one rescaled problem.

    ``spec`` holds every component (dual with an intercept: component 0 is ``v / ||v||`` with
    eigenvalue 0, ``icpt = 1``); ``C`` (g, k) is the right-hand side in the eigenbasis; ``R`` (n, p)
    is ``X_w V`` on the primal side (None on the dual side); ``n_free = N0 - rank`` the residual
    degrees of freedom at ``alpha = 0`` (``N0 = n - 1`` with an intercept, else n): 0 when the
    minimum-norm fit interpolates.
    """

    side: str
    n: int
    p: int
    spec: SpectralGram
    icpt: int
    C: np.ndarray
    v: np.ndarray | None
    Y_w: np.ndarray
    R: np.ndarray | None = None
    trace: float = 0.0  # tr(X_w^T X_w) (linear) or tr(K_w) (kernel), before any deflation

    @property
    def rank(self) -> int:
        return self.spec.rank

    @property
    def n_free(self) -> int:
        return self.n - (1 if self.v is not None else 0) - self.rank

    @property
    def n_null(self) -> int:
        """Null components beyond the intercept (genuine rank deficiency on the dual side)."""
        return self.spec.start - self.icpt


def _deflated_spec(K: np.ndarray, v: np.ndarray, rank_dim: int,
                   psd_rtol: float | None = None) -> SpectralGram:
    """The eigendecomposition of K on the orthogonal complement of ``v``, and ``v / ||v||`` as an exact
    null component 0 (module notes). K (n, n) is overwritten. ``psd_rtol``: refuse a negative part
    beyond it (a kernel Gram that is not PSD)."""
    n = K.shape[0]
    u = v / np.linalg.norm(v)
    h = u.copy()
    h[0] += 1.0 if u[0] >= 0 else -1.0  # Q = I - beta h h^T maps u to -sign(u_0) e_1
    beta = 2.0 / float(h @ h)
    q = beta * (K @ h)
    w = q - (0.5 * beta * float(h @ q)) * h
    # trailing block of Q K Q = K - h w^T - w h^T (the first row and column are dropped), written
    # into a contiguous copy row block by row block (no n x n temporaries)
    h1, w1 = h[1:], w[1:]
    K2 = np.empty((n - 1, n - 1))
    rb = max(1, (4 << 20) // (8 * n))
    for i0 in range(0, n - 1, rb):
        i1 = min(n - 1, i0 + rb)
        blk = K2[i0:i1]
        np.subtract(K[1 + i0:1 + i1, 1:], h1[i0:i1, None] * w1[None, :], out=blk)
        blk -= w1[i0:i1, None] * h1[None, :]
    sub = SpectralGram(K2, rank_dim=rank_dim, overwrite=True)
    if psd_rtol is not None:
        sub.check_psd("the kernel Gram", psd_rtol)
    U2 = sub.U
    Ufull = np.empty((n, n))
    Ufull[:, 0] = u
    t = beta * (h[1:] @ U2)
    np.multiply(-h[:, None], t[None, :], out=Ufull[:, 1:])
    Ufull[1:, 1:] += U2
    s = np.concatenate([[0.0], np.maximum(sub.s, 0.0)])  # negative rounding below the tolerance: null
    return SpectralGram.from_pairs(s, Ufull, sub.tol, sub.dtype)


#: A column block's means are folded into its Gram (no centred copy) when
#: ``sum_j x_off_j^2 <= FOLD_RATIO * sum_j var_j`` over the block: the rounding of the uncentred product,
#: ``eps (sum x_off^2 + sum var)`` per entry, then stays within ``1 + FOLD_RATIO`` times that of the
#: centred one, ``eps sum var``. Blocks with larger means are centred before their product.
FOLD_RATIO = 1.0


def dual_gram(X: np.ndarray, cen: Centred) -> np.ndarray:
    """``K = X_w X_w^T`` (n, n) without a centred copy of X.

    ``X_w X_w^T = D (X_c X_c^T) D`` with ``X_c = X - 1 x_off^T``, ``D = diag(sqrt w)``. Per column block:
    where the means are small next to the spread (:data:`FOLD_RATIO`) the block enters uncentred, as a
    view of X, and its means are folded in once at the end (``X_c X_c^T = X X^T - m 1^T - 1 m^T +
    |x_off|^2 1 1^T`` with ``m = X x_off``, summed over those blocks); where they are large it is centred
    first, into a reused buffer, so that large column means never cancel (the uncentred product would
    lose ``eps (|x_off| / spread)^2`` relative: 1e-7 of the smallest eigenvalue at offsets 1e4, 1e-2 at
    1e6). Ordinary data (means of the order of the spread) thus cost one plain SYRK.
    """
    n, p = X.shape
    b = min(p, _block_size(n))
    starts = list(range(0, p, b))
    if cen.fit_intercept:
        var = np.maximum(cen.x_sq - cen.x_off ** 2, 0.0)
        fold = [float(np.sum(cen.x_off[j0:j0 + b] ** 2)) <= FOLD_RATIO * float(np.sum(var[j0:j0 + b]))
                for j0 in starts]
    else:  # no means: only the weights
        fold = [True] * len(starts)
    K = np.zeros((n, n)) if not all(fold) else None
    if K is None:
        K = X @ X.T
    else:
        G = None
        buf = None
        for j0, f in zip(starts, fold, strict=True):
            j1 = min(p, j0 + b)
            if f:
                Xb = X[:, j0:j1]
            else:
                if buf is None:
                    buf = np.empty((n, b))
                Xb = buf[:, :j1 - j0]
                np.subtract(X[:, j0:j1], cen.x_off[j0:j1], out=Xb)
            if G is None:
                G = np.empty((n, n))
            np.matmul(Xb, Xb.T, out=G)
            K += G
        del G, buf
    if any(fold) and cen.fit_intercept:
        cols = np.concatenate([np.arange(j0, min(p, j0 + b)) for j0, f in zip(starts, fold, strict=True)
                               if f])
        xo = np.zeros(p)
        xo[cols] = cen.x_off[cols]
        m = X @ xo
        c = float(xo @ xo)
        K -= m[:, None]
        K -= m[None, :]
        K += c
    if cen.sqrt_sw is not None:
        K *= cen.sqrt_sw[:, None]
        K *= cen.sqrt_sw[None, :]
    return K


def decompose_linear(X: np.ndarray, cen: Centred, *, leverage: bool = True) -> Decomposition:
    """Gram + eigh of ``X_w`` on its smaller side (module notes); ``leverage`` also forms
    ``R = X_w V`` on the primal side (needed by leave-one-out, not by a plain fit)."""
    n, p = X.shape
    Y = cen.y_w
    if n <= p:
        K = X @ X.T if cen.plain else dual_gram(X, cen)
        trace = float(np.trace(K))
        if cen.v is not None and n > 1:
            spec = _deflated_spec(K, cen.v, rank_dim=p)
            icpt = 1
        else:
            spec = SpectralGram(K, rank_dim=p, overwrite=True)
            icpt = 0
        return Decomposition("dual", n, p, spec, icpt, spec.U.T @ Y, cen.v, Y, trace=trace)
    G = np.zeros((p, p))
    XtY = np.zeros((p, Y.shape[1]))
    for i0, i1, Xb in cen.row_blocks(X):
        G += Xb.T @ Xb
        XtY += Xb.T @ Y[i0:i1]
    trace = float(np.trace(G))
    spec = SpectralGram(G, rank_dim=n, overwrite=True)
    R = cen.xw_times(X, spec.U) if leverage else None
    return Decomposition("primal", n, p, spec, 0, spec.U.T @ XtY, cen.v, Y, R, trace)


def decompose_kernel(K: np.ndarray, cen: Centred, psd_rtol: float) -> Decomposition:
    """Kernel ridge: ``K_w = D K D`` (K (n, n) is overwritten) and its decomposition, the intercept
    deflated exactly (module notes). Refuses a K with a negative part beyond ``psd_rtol``."""
    n = K.shape[0]
    if cen.sqrt_sw is not None:
        K *= cen.sqrt_sw[:, None]
        K *= cen.sqrt_sw[None, :]
    trace = float(np.trace(K))
    if cen.v is not None and n > 1:
        spec = _deflated_spec(K, cen.v, rank_dim=n, psd_rtol=psd_rtol)
        icpt = 1
    else:
        spec = SpectralGram(K, rank_dim=n, overwrite=True)
        spec.check_psd("the kernel Gram", psd_rtol)
        icpt = 0
    return Decomposition("dual", n, n, spec, icpt, spec.U.T @ cen.y_w, cen.v, cen.y_w, trace=trace)
