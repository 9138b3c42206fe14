"""The low-rank filter route: every penalty of a dual ridge path from r << L feature-space columns.

On the dual side (n <= p) the ridge coefficients are ``theta_l = X^T U W[:, l]`` with
``W[i, l] = c_i / (s_i + lam_l)``. In the orthonormal basis ``V = X^T U diag(s)^-1/2`` of the row
space of X, ``theta_l = V a_l`` with ``a_l[i] = sqrt(s_i) c_i / (s_i + lam_l)``. The matrix
``F[i, l] = 1 / (s_i + lam_l)`` is a Cauchy matrix: its singular values fall off geometrically, so
once each column is scaled to unit norm (``A[:, l] = a_l / ||theta_l||_2``) A has a small numerical
rank r (about 30 for 1000 penalties at n = 2000). We factor ``A ~ Q H`` (Q: (n, r) orthonormal,
H = Q^T A), so that ::

    theta_l ~ X^T G h_l,   G = U diag(s)^-1/2 Q  (n, r),   h_l = ||theta_l||_2 H[:, l]

and a pass over the features costs ``2 n p r`` flops for ``Z^T = G^T X_b`` plus ``2 p r L`` for the
slabs ``H^T Z^T``, instead of ``2 n p L``. Each slab is folded by the same Numba reduction as the exact
pass (:func:`fastrisk.kernels.reduce_coef_block`): l_q norms, and the standard risk
``sum_j sigma_j (theta_lj - theta*_j)^2`` in the coordinates of ``theta - theta*`` (no cancellation).

Factorisation: a randomised range finder (Halko, Martinsson and Tropp, 2011, Alg. 4.2, adaptive)
seeded with the columns of the smallest and the largest penalty (the ``lam = 0`` min-norm column is
kept exact), grown by blocks of Gaussian test vectors until every column's residual
``||A[:, l] - Q H[:, l]||_2`` is below ``config.LOWRANK_RTOL * 1e-3``. The test vectors come from a
fixed seed: results are deterministic.

Accuracy contract (``config.LOWRANK_RTOL``, 1e-10): every output within that relative distance of the
exact route. Checked a posteriori in two ways, both nearly free:

1. A bound for every column. With ``e_l`` the residual and V orthonormal, the error of ``theta_l`` is
   ``delta_l = V e_l ||theta_l||_2``: ``|| ||theta_l||_q - ||theta~_l||_q || <= c_q ||delta_l||_2`` with
   ``c_q = p^max(0, 1/q - 1/2)``, and ``|sqrt(R_l) - sqrt(R~_l)| <= beta_l = sqrt(max sigma) ||delta_l||``
   so ``|R_l - R~_l| <= beta_l (2 sqrt(R~_l) + beta_l)``. Each must be at most half the tolerance.
2. Spot columns recomputed exactly in the same pass (the smallest and largest penalty and the column
   with the largest residual), compared with their low-rank values. Their exact values are returned.

If either check fails, the caller falls back to an exact route (the result is then the exact one).

Several targets (right-hand sides ``c_t``): each target has its own factor (its columns are
``diag(sqrt(s) c_t)`` times the shared Cauchy filter, so the spans differ), checked on its own; one pass
over the features serves them all (``[G_1 ... G_k]^T X_b`` is one product), so the pass costs
``2 n p r k + 2 p r L k`` flops against ``2 n p L k`` for the exact pass. A failed check on any target
sends every target to the exact route.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import numpy as np

from . import config
from ._spectral import SpectralPath
from .kernels import finish_norms, reduce_coef_block
from .kernels._threads import threads_for
from .kernels.lowrank import diff_colnorms, pivoted_mgs, scaled_filter

if TYPE_CHECKING:
    from .ridge._features import Features

#: Bytes of one (L, b') slab of the low-rank pass: the slab is formed by BLAS and reduced at once while
#: it is still in cache (a slab of config.BLOCK_BYTES went to memory and back: 25% slower at
#: n = 1500, p = 15000, L = 1000).
SLAB_BYTES = 4 * 2**20

__all__ = ["LowRankFilter", "factor", "cost", "exact_pass_cost", "expected_cheaper_than_sigma_gram",
           "norms_and_risk"]


class LowRankFilter:
    """``theta_l ~ X^T G H[:, l]`` for every penalty l, with a per-column error bound.

    Attributes
    ----------
    G : ndarray (n, r) float64, ``U diag(s)^-1/2 Q`` (null components dropped)
    H : ndarray (r, L) float64, ``Q^T A`` times ``||theta_l||_2`` per column
    err : ndarray (L,) float64, ``||theta_l - X^T G H[:, l]||_2`` up to rounding (absolute, in the
        units of theta)
    rank : int, r
    """

    def __init__(self, G: np.ndarray, H: np.ndarray, err: np.ndarray):
        self.G = G
        self.H = H
        self.err = err
        self.rank = int(G.shape[1])


def _orth_new(Q: np.ndarray, Y: np.ndarray, tol: float) -> np.ndarray:
    """Orthonormal columns spanning span(Y) up to ``tol`` (absolute), orthogonal to Q.

    Block Gram-Schmidt against Q (BLAS, twice), then column-pivoted MGS with reorthogonalisation
    (:func:`fastrisk.kernels.lowrank.pivoted_mgs`), which stops at the first remaining column of norm
    at most ``tol`` and so reveals the rank. LAPACK's QR/SVD of a tall, thin block are avoided: they
    thread poorly (tens to hundreds of ms on a busy 2-core machine, against 0.3 ms on one thread).
    The MGS works on column-major (Fortran-ordered) blocks, so that every column it sweeps is contiguous
    (5x faster than row-major at 1500 x 48).
    """
    # below this norm a projected column is rounding noise of the projection
    tol = max(tol, 64 * np.finfo(np.float64).eps * float(np.sqrt((Y * Y).sum(axis=0).max(initial=0.0))))
    for _ in range(2):
        Y = Y - Q @ (Q.T @ Y)
    Qn = np.empty(Y.shape, order="F")
    k = pivoted_mgs(np.asfortranarray(Y), tol, Qn)
    # the new columns are orthonormal among themselves; make them so against Q as well
    Y = Qn[:, :k] - Q @ (Q.T @ Qn[:, :k])
    k = pivoted_mgs(np.asfortranarray(Y), 0.5, Qn)
    return Qn[:, :k]


def factor(s: np.ndarray, start: int, U: np.ndarray, c: np.ndarray, lam: np.ndarray,
           norm2: np.ndarray, *, target: float | None = None, max_rank: int | None = None
           ) -> LowRankFilter | None:
    """Factor the scaled filter of a dual path (see the module docstring); None if no factor of
    rank at most ``max_rank`` (default ``config.LOWRANK_MAX_RANK``) meets ``target``.

    s, U: eigenpairs of ``X X^T`` (ascending, components below ``start`` null); c = U^T y;
    lam (L,); norm2 (L,) = ``||theta_l||_2``.
    """
    target = config.LOWRANK_RTOL * 1e-3 if target is None else target
    g = s.shape[0]
    m = g - start
    L = lam.shape[0]
    rmax = min(m, L, config.LOWRANK_MAX_RANK if max_rank is None else max_rank)
    inv = np.divide(1.0, norm2, out=np.zeros(L), where=norm2 > 0)
    A = np.empty((m, L))
    with threads_for(A.size):
        scaled_filter(s, start, lam, np.ascontiguousarray(c, dtype=np.float64), inv, A)
    if m == 0:
        return LowRankFilter(np.zeros((g, 0)), np.zeros((0, L)), np.zeros(L))
    seeds = np.unique([int(np.argmin(lam)), int(np.argmax(lam))])
    Q = _orth_new(np.zeros((m, 0)), A[:, seeds], 1e-3 * target)
    rng = np.random.default_rng(config.LOWRANK_SEED)
    res = np.empty(L)

    def meets_target() -> bool:  # res: every column's residual ||A - Q H||
        with threads_for(A.size):
            diff_colnorms(A, np.ascontiguousarray(Q @ H), res)
        return bool(res.max() <= target)

    while True:
        H = Q.T @ A
        r = Q.shape[1]
        # the seed columns alone rarely span A: sketch before the first check
        if (r > seeds.size or r >= rmax) and meets_target():
            break
        if r >= rmax:
            return None
        k = min(config.LOWRANK_BLOCK if r > seeds.size else config.LOWRANK_RANK_GUESS, rmax - r)
        Om = rng.standard_normal((L, k))
        # a sketch of the residual A - Q H; its directions below target / 10 cannot matter
        Qn = _orth_new(Q, A @ Om - Q @ (H @ Om), 0.1 * target)
        if Qn.shape[1] == 0:
            if r <= seeds.size and meets_target():  # the seeds did span A
                break
            return None
        Q = np.hstack([Q, Qn])
    G = U[:, start:] @ (Q / np.sqrt(s[start:])[:, None])
    return LowRankFilter(np.ascontiguousarray(G), H * norm2, res * norm2)


def cost(n: int, p: int, L: int, n_q: int, rank: int, regen: float = 0.0, k: int = 1) -> float:
    """Flops of the low-rank route for k targets: factors, one pass with ``n_q`` norms and the risk."""
    factor_cost = 8.0 * n * L * rank
    per_target = factor_cost + 2.0 * n * p * (rank + 3) + 2.0 * p * rank * L + 3.0 * p * L * (1 + n_q)
    return k * per_target + regen


def exact_pass_cost(n: int, p: int, L: int, regen: float = 0.0, k: int = 1) -> float:
    """Flops of the exact feature pass the low-rank route replaces (the cost model of ridge._routes)."""
    return k * (2.0 * n * p * L + 2.0 * n * n * L) + regen


def expected_cheaper_than_sigma_gram(n: int, p: int, L: int, regen: float = 0.0, k: int = 1) -> bool:
    """Whether the low-rank route (at the guessed rank) should beat the Sigma-Gram route for the
    standard risk of k targets with a general diagonal Sigma (folding ``X Sigma X^T``, ``n^2 p`` flops,
    then ``2 n^2 L k`` for the quadratic forms beyond the first target's): decides, in
    ``RidgePath.from_design``, whether that second Gram is folded into the generating pass."""
    gram = float(n) * n * p + 2.0 * n * n * L * (k - 1)
    return cost(n, p, L, 0, min(L, config.LOWRANK_RANK_GUESS), regen, k) < gram


def _q_factor(q: float, p: int) -> float:
    """``c_q`` with ``||V e||_q <= c_q ||e||_2`` for V with orthonormal columns of length p."""
    return float(p) ** max(0.0, (0.0 if math.isinf(q) else 1.0 / q) - 0.5)


class _QuadForm:
    """The standard risk of one target by a quadratic form on its factor (no (L, b) slab).

    With ``theta_l ~ Z^T h_l`` (``Z = G^T X``, r rows) and S the support of theta*, the risk is
    ``h_l^T M h_l + sum_{j in S} sigma_j (z_j^T h_l - theta*_j)^2`` with ``M = sum_{j not in S} sigma_j
    z_j z_j^T`` (r, r): off S theta* is 0, so nothing of the size of theta* is subtracted, and on S the
    difference is formed as in the slab. M is accumulated from products of at most ``QUAD_COLS``
    features, compensated (Kahan) across them, so that its rounding error is at most ``gamma`` times
    ``Mabs = sum sigma_j |z_j| |z_j|^T`` entrywise, ``gamma = (QUAD_COLS + 2 r + 16) u``; the form adds
    ``gamma_2r |h|^T Mabs |h|``. Both are checked against a quarter of the tolerance per penalty.
    """

    def __init__(self, r: int, S: np.ndarray):
        self.S = S
        self.M = np.zeros((r, r))
        self.comp = np.zeros((r, r))  # Kahan compensation of M
        self.Mabs = np.zeros((r, r))
        self.ZS = np.zeros((r, S.size))

    def fold(self, Zr: np.ndarray, sg: np.ndarray, j0: int) -> None:
        """Fold the block of features ``j0 .. j0 + b`` (Zr (r, b), sg its sigma)."""
        b = Zr.shape[1]
        sel = np.flatnonzero((self.S >= j0) & (self.S < j0 + b))
        if sel.size:
            self.ZS[:, sel] = Zr[:, self.S[sel] - j0]
            sg = sg.copy()
            sg[self.S[sel] - j0] = 0.0
        for s0 in range(0, b, QUAD_COLS):
            Zs = Zr[:, s0:s0 + QUAD_COLS]
            Ws = Zs * sg[s0:s0 + QUAD_COLS]
            y = Ws @ Zs.T - self.comp
            t = self.M + y
            self.comp = (t - self.M) - y
            self.M = t
            self.Mabs += np.abs(Ws) @ np.abs(Zs).T

    def risk(self, H: np.ndarray, sigma: np.ndarray, ts: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """``(risk (L,), bound on its rounding error (L,))`` for the factor's H (r, L)."""
        r = H.shape[0]
        quad = np.einsum("il,il->l", H, self.M @ H)
        Ha = np.abs(H)
        gamma = (QUAD_COLS + 2 * r + 16) * 0.5 * float(np.finfo(np.float64).eps)
        bound = gamma * np.einsum("il,il->l", Ha, self.Mabs @ Ha)
        D = self.ZS.T @ H - ts[self.S][:, None]
        exact = (sigma[self.S][:, None] * D * D).sum(axis=0)
        return np.maximum(quad, 0.0) + exact, bound


#: Features per product in :class:`_QuadForm` (bounds the rounding error of M; see there).
QUAD_COLS = 256


def norms_and_risk(path, facs: list[LowRankFilter], qs: np.ndarray, sigma: np.ndarray | None, targets,
                   quad: bool = True):
    """One low-rank pass over the features of a dual path, for all its targets (one factor each).

    ``targets`` (with ``sigma``) says which theta* each target's risk is measured against. Returns
    ``(norms (nq, L, k), risk (L, k) or None, info)``, or ``(None, None, info)`` when a check of the
    accuracy contract fails for any target (``info["status"]`` says which).

    The risk of a target whose theta* has a small support, when no l_q norm is asked for, is a
    quadratic form on its factor (:class:`_QuadForm`, ``4 p r^2`` flops instead of ``2 p r L`` and the
    (L, b) slabs; ``quad=False`` forbids it); if its rounding bound fails, ``info["status"]`` starts
    with ``"quad"`` and the caller repeats the pass with slabs.
    """
    L = path.n_penalties
    k = len(facs)
    n, p = path.n, path.p
    lam = path.lam
    use_sig = sigma is not None
    spots = [np.unique([int(np.argmin(lam)), int(np.argmax(lam)), int(np.argmax(f.err))]) for f in facs]
    # exact columns of U W at the spot penalties, and every target's factor: one product per block
    A_spots = [path.spec.U @ path.spec.filter(lam[sp], path._c[:, t]) for t, sp in enumerate(spots)]
    GT = np.ascontiguousarray(np.hstack([f.G for f in facs] + A_spots).T)  # (sum r + sum spots, n)
    roff = np.cumsum([0] + [f.rank for f in facs])
    soff = roff[-1] + np.cumsum([0] + [sp.size for sp in spots])
    HT = [np.ascontiguousarray(f.H.T) for f in facs]  # (L, r_t)
    nq = qs.shape[0]
    forms: list[_QuadForm | None] = [None] * k
    if use_sig and nq == 0 and quad:
        for t, f in enumerate(facs):
            S = np.flatnonzero(targets.theta_star(t))
            if S.size <= p // 4:
                forms[t] = _QuadForm(f.rank, S)
    acc, scale, acc_sig = np.zeros((k, nq, L)), np.zeros((k, nq, L)), np.zeros((k, L))
    acc_s = [np.zeros((nq, sp.size)) for sp in spots]
    scale_s = [np.zeros((nq, sp.size)) for sp in spots]
    sig_s = [np.zeros(sp.size) for sp in spots]
    dummy = np.zeros(0)
    b = max(256, config.BLOCK_BYTES // (8 * max(L, n, GT.shape[0])))
    bs = max(64, SLAB_BYTES // (8 * L))  # slab columns: formed and reduced while in cache
    for j0, j1, Xb in path.features.blocks("a feature-space pass", b):
        Zt = GT @ Xb.astype(np.float64, copy=False)  # (sum r + sum spots, b)
        sg = sigma[j0:j1] if sigma is not None else dummy
        for t in range(k):
            Zr = Zt[roff[t]:roff[t + 1]]
            ts = targets.theta_star(t)[j0:j1] if use_sig else dummy
            form = forms[t]
            if form is not None:
                form.fold(Zr, sg, j0)
            else:
                with threads_for(L * (j1 - j0) * (nq + use_sig)):
                    for s0 in range(0, j1 - j0, bs):
                        s1 = min(j1 - j0, s0 + bs)
                        T = HT[t] @ Zr[:, s0:s1]  # (L, s1 - s0): theta_t[j0 + s0:j0 + s1].T
                        reduce_coef_block(T, sg[s0:s1] if use_sig else dummy,
                                          ts[s0:s1] if use_sig else dummy, use_sig, qs, acc[t], scale[t],
                                          acc_sig[t])
            reduce_coef_block(np.ascontiguousarray(Zt[soff[t]:soff[t + 1]]), sg, ts, use_sig, qs,
                              acc_s[t], scale_s[t], sig_s[t])
    tol = config.LOWRANK_RTOL
    info: dict[str, Any] = {
        "rank": max(f.rank for f in facs), "max_err": max(float(f.err.max()) for f in facs),
        "spot": spots[0] if k == 1 else spots, "status": "ok",
        "risk_by": "quadratic form" if any(f is not None for f in forms) else "slabs"}
    if k > 1:
        info["ranks"] = [f.rank for f in facs]
    norms = np.empty((nq, L, k))
    risk = np.empty((L, k)) if use_sig else None
    for t, fac in enumerate(facs):
        nt = finish_norms(qs, acc[t], scale[t])
        exact = finish_norms(qs, acc_s[t], scale_s[t])
        sp = spots[t]
        where = "" if k == 1 else f" (target {t})"
        for i, q in enumerate(qs):
            if np.any(_q_factor(q, p) * fac.err > 0.5 * tol * nt[i]):
                info["status"] = f"bound failed for the l_{q:g} norm{where}"
                return None, None, info
            if np.any(np.abs(nt[i, sp] - exact[i]) > tol * exact[i]):
                info["status"] = f"spot check failed for the l_{q:g} norm{where}"
                return None, None, info
        if use_sig:
            assert sigma is not None and risk is not None
            form = forms[t]
            if form is None:
                rt = acc_sig[t]
            else:
                rt, rounding = form.risk(fac.H, sigma, targets.theta_star(t))
                if np.any(rounding > 0.25 * tol * rt):
                    info["status"] = f"quadratic form's rounding bound failed{where}"
                    return None, None, info
            beta = math.sqrt(float(sigma.max())) * fac.err
            if np.any(beta * (2.0 * np.sqrt(rt) + beta) > 0.5 * tol * rt):
                info["status"] = f"bound failed for the standard risk{where}"
                return None, None, info
            if np.any(np.abs(rt[sp] - sig_s[t]) > tol * sig_s[t]):
                info["status"] = f"spot check failed for the standard risk{where}"
                return None, None, info
            rt[sp] = sig_s[t]
            risk[:, t] = rt
        nt[:, sp] = exact
        norms[:, :, t] = nt
    return norms, risk, info


class LowRankRoute(SpectralPath):
    """What :class:`fastrisk.RidgePath` needs for the low-rank route: the cached factors (one per
    target), their cost, and the pass with its fallback flag (mixed in, so that fastrisk.ridge only
    chooses the route)."""

    # what it reads of the path it is mixed into (set by fastrisk.ridge._build.setup; see
    # fastrisk.ridge._state.PathState, the norm from RidgePath)
    side: str
    n: int | None
    p: int | None
    k: int
    features: Features
    _c: np.ndarray
    _norms: dict[float, np.ndarray]
    _route_override: str | None
    norm: Callable[[float], np.ndarray]

    _lowrank_fac: list[LowRankFilter] | None = None
    _lowrank_state: str | None = None  # None: not tried; "ok"; "failed" (never retried)
    #: Diagnostics of the last low-rank pass: rank, max_err, spot columns, status.
    lowrank_info: dict | None = None

    def _lowrank_available(self) -> bool:
        return (self.side == "dual" and self._lowrank_state != "failed" and self.p is not None
                and self.features.available)

    def _lowrank_cost(self, n_q: int) -> float:
        """Flops of the low-rank pass (factors included), ``inf`` where it does not apply."""
        if not self._lowrank_available():
            return math.inf
        assert self.n is not None and self.p is not None  # available: a dual path with its features
        rank = (max(f.rank for f in self._lowrank_fac) if self._lowrank_fac is not None
                else config.LOWRANK_RANK_GUESS)
        return cost(self.n, self.p, self.n_penalties, n_q, rank, self._regen_cost(), self.k)

    def _lowrank_route_cost(self, qs, pass_needed: bool) -> float:
        """Cost of the low-rank route for the standard risk (with the norms ``qs``), minus the exact
        norm pass it replaces when one is needed anyway (``pass_needed``), for the cost model."""
        c = self._lowrank_cost(sum(q != 2.0 for q in qs))
        return c - self._exact_pass_cost() if pass_needed and math.isfinite(c) else c

    def _exact_pass_cost(self) -> float:
        assert self.n is not None and self.p is not None  # asked only where the route is available
        return exact_pass_cost(self.n, self.p, self.n_penalties, self._regen_cost(), self.k)

    def _regen_cost(self) -> float:
        return self.features.regen_cost  # regenerating X from its seed

    def _lowrank_run(self, qs, sigma=None, targets=None):
        """Norms ``qs`` (stored in ``self._norms``, (L, k) each) and, with ``sigma`` (and ``targets``),
        the standard risk (L, k) by the low-rank pass. Returns the risk (or True without ``sigma``), or
        None when the route does not apply or a check failed (then it is never tried again on this
        path)."""
        if not self._lowrank_available():
            return None
        todo = np.array(sorted({float(q) for q in qs if q != 2.0 and q not in self._norms}))
        if sigma is None and todo.size == 0:
            return True
        if self._lowrank_fac is None:
            spec = self.spec
            norm2 = np.asarray(self.norm(2)).reshape(self.n_penalties, -1)  # (L, k)
            facs = []
            for t in range(self.k):
                fac = factor(spec.s, spec.start, spec.U, self._c[:, t], self.lam, norm2[:, t])
                if fac is None:
                    self._lowrank_state = "failed"
                    self.lowrank_info = {"status": "no factor of rank <= LOWRANK_MAX_RANK"}
                    return None
                facs.append(fac)
            self._lowrank_fac = facs
        norms, risk, info = norms_and_risk(self, self._lowrank_fac, todo, sigma, targets)
        if norms is None and info["status"].startswith("quadratic form"):  # rare: the slabs instead
            norms, risk, info = norms_and_risk(self, self._lowrank_fac, todo, sigma, targets, quad=False)
        self.lowrank_info = info
        if norms is None:
            self._lowrank_state = "failed"
            return None
        self._lowrank_state = "ok"
        for q, v in zip(todo, norms, strict=True):
            self._norms[float(q)] = np.ascontiguousarray(v)
        return risk if sigma is not None else True

    def _lowrank_norms(self, todo) -> bool:
        """The ``_ensure_norms`` hook: compute the norms ``todo`` by the low-rank pass when it is
        forced (``_route_override == "lowrank"``) or cheaper than the exact pass; False otherwise."""
        override = self._route_override
        if (override is not None and override != "lowrank") or not self._lowrank_available():
            return False
        if override is None and self._lowrank_cost(len(todo)) >= self._exact_pass_cost():
            return False
        return self._lowrank_run(todo) is not None
