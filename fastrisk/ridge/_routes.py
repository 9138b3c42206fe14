"""The standard risk ``||theta_lam - theta*||_Sigma^2`` of every penalty, and the route that computes it.

Routes (each exact given X; chosen by a flop-count cost model, or forced through
``RidgePath._route_override`` in tests and benchmarks):

- ``"struct"``: Sigma = ``c I + diag(delta on S)`` with few columns S (isotropic, spiked, two_level):
  ``c ||theta - theta*||^2`` from the error coordinates plus the columns S feature by feature.
- ``"gram"``: the Sigma-Gram ``X Sigma X^T`` (dual) or Sigma (primal), rotated into the eigenbasis:
  one quadratic form per penalty.
- ``"pass"``: ``sum_j sigma_j (theta_j - theta*_j)^2`` feature by feature, folded into the l_q norm
  pass (no cancellation at all).
- ``"lowrank"``: the same pass on a low-rank factor of the filter (:mod:`fastrisk._lowrank`), checked
  against its accuracy contract; it falls back to an exact route when a check fails.

Routes are tried cheapest first, and each carries an accuracy check: the Sigma-Gram route an error
bound (it squares the conditioning of X), the structured route a cancellation check; a route that
fails hands over to the next (``path.route_notes`` says why), the feature pass being the last resort.

Cost model with k targets (g = min(n, p), L penalties, |S| the columns where Sigma differs from its
commonest value), after the Gram and eigh: struct ``2 n |S| (g + L k)`` plus ``O(g L k)``; gram
``n^2 p`` (the Sigma-Gram, once) plus ``2 g^2 L k`` (one quadratic form per penalty and target: 6x the
Gram + eigh floor for k = 100 at n = 1500); pass ``2 n p L k``; lowrank ``2 n p r k + 2 p r L k``
(r about 30). Every risk is (L, k).
"""

from __future__ import annotations

import math

import numpy as np

from .. import config
from .._warnings import IllConditionedWarning, warn
from ..kernels import colwise_dot
from ..kernels._threads import threads_for
from . import _accuracy
from ._features import mode_structure, sigma_times
from ._norms import ensure_norms, error_sum_terms
from ._passes import project_cols, theta_cols
from ._targets import target_groups
from ._truth import Truth, error_weights, m_times, remainder, truth, truth_from

__all__ = ["standard_risk", "risk_from_stats", "quad_from_sigma_gram", "sigma_gram_hat"]


def standard_risk(path, targets, qs) -> np.ndarray:
    """Standard risk (L, k) against validated targets, computing the norms in ``qs`` in the same
    feature pass when one is needed; cached per covariance and theta* of every target."""
    hit = path._risk_cache.get(targets.key)
    if hit is not None:
        ensure_norms(path, qs)
        return hit.copy()
    R = _compute(path, targets, [float(q) for q in qs])
    path._risk_cache = {targets.key: R}
    return R.copy()


def _costs(path, design, qs, pass_needed: bool) -> tuple[list[tuple[float, str]], float, np.ndarray]:
    """Flop estimates ``[(cost, route)]`` of every route for a diagonal Sigma (``inf`` where a route
    does not apply or is a last resort), and the structure ``(c0, S)`` of Sigma."""
    n, p, g, L, k = path.n, path.p, path.spec.dim, path.n_penalties, path.k
    c0, S = mode_structure(design.cov)
    m = S.size
    cost_struct = 2.0 * n * m * (g + L * k) if path.side == "dual" else 2.0 * g * m * L * k
    if path.side == "dual":
        cached = path._sigma_gram_cache is not None and path._sigma_gram_cache[0] == design.cov_key
        cost_gram = (0.0 if cached else n * n * p) + min(4.0 * n * n * L * k,
                                                         4.0 * n**3 + 2.0 * n * n * L * k)
        cost_pass = (3.0 * p * L * k if pass_needed
                     else 2.0 * n * p * L * k + 2.0 * n * n * L * k + path.features.regen_cost)
    else:
        cost_gram = 2.0 * p * g * g + 2.0 * g * g * L * k  # V^T Sigma V with V (p, g)
        # theta - theta* feature by feature loses the relative accuracy close to theta* that the
        # error coordinates keep (n > p, noiseless labels): a last resort on the primal side
        cost_pass = math.inf
    costs = [(cost_struct, "struct"), (cost_gram, "gram"), (cost_pass, "pass"),
             (path._lowrank_route_cost(qs, pass_needed), "lowrank")]
    return costs, c0, S


def _compute(path, targets, qs: list[float]) -> np.ndarray:
    """Try the routes cheapest first (a forced one first of all); a route whose accuracy check fails
    hands over to the next (the feature pass, which cannot cancel, is always the last resort)."""
    design = targets.design
    pass_needed = any(q != 2.0 for q in qs if q not in path._norms)
    path.route_notes = {}
    if not design.is_diagonal:  # a full Sigma: the Sigma-Gram is the only route
        path.last_route = "gram"
        ensure_norms(path, qs)
        R, bound = _risk_gram(path, targets, truth(path, targets))
        # float32: the Sigma-Gram is formed in float32 too; say so only past the float32 contract
        tol = config.FLOAT32_RTOL if path.dtype == np.float32 else _gram_rtol(path)[:, None]
        bad = bound > tol * R
        if np.any(bad):
            warn(f"the standard risk of {int(bad.sum())} of {bad.size} penalties may be off by up to "
                 f"{float(np.max(bound[bad] / np.maximum(R[bad], 1e-300))):.1e} relative: X Sigma X^T is "
                 "too ill-conditioned for them, and a full covariance has no other route (use a "
                 "diagonal one, or method='svd')", IllConditionedWarning)
        return R
    costs, c0, S = _costs(path, design, qs, pass_needed)
    order = [r for c, r in sorted(costs) if math.isfinite(c)]
    order += [] if "pass" in order else ["pass"]  # the last resort (primal side)
    if path._route_override is not None:  # tests compare the routes with each other
        order = [path._route_override] + [r for r in order if r != path._route_override]
    for route in order:
        risk = _try_route(path, targets, route, qs, c0, S)
        if risk is not None:
            path.last_route = route
            return risk
    raise AssertionError("the feature pass never refuses")  # pragma: no cover


def _try_route(path, targets, route: str, qs, c0: float, S: np.ndarray) -> np.ndarray | None:
    """The risk (L, k) by ``route``, or None (reason in ``path.route_notes``) when it does not apply
    or its accuracy check fails."""
    sigma = targets.design.cov
    if route == "lowrank":
        R = path._lowrank_run(qs, sigma=sigma, targets=targets)
        if R is None:
            path.route_notes["lowrank"] = (path.lowrank_info or {}).get("status", "does not apply")
        return R
    if route == "pass":  # sum_j sigma_j (theta_j - theta*_j)^2 feature by feature: no cancellation
        acc_sig = ensure_norms(path, qs, sigma=sigma, targets=targets)
        return np.maximum(acc_sig, 0.0)
    tr = truth(path, targets)
    if route == "gram":
        why = _gram_cannot_pass(path, targets, tr)
        if why is not None:  # decided before the Sigma-Gram is formed
            path.route_notes["gram"] = why
            return None
        ensure_norms(path, qs)
        R, bound = _risk_gram(path, targets, tr)
        if np.any(bound > _gram_rtol(path)[:, None] * R):
            path.route_notes["gram"] = (f"X Sigma X^T too ill-conditioned: error bound up to "
                                        f"{float(np.max(bound / np.maximum(R, 1e-300))):.1e} relative")
            return None
        return R
    ensure_norms(path, qs)
    R, cancel = _risk_struct(path, targets, tr, c0, S)
    if float(np.max(cancel, initial=0.0)) > config.STRUCT_MAX_CANCEL:
        path.route_notes["struct"] = (f"c0 ||theta - theta*||^2 and the corrections on S cancel "
                                      f"(up to {float(np.max(cancel)):.1e} times the risk)")
        return None
    return R


def _risk_struct(path, targets, tr: Truth, c0: float, S: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Sigma = c0 I + diag(sigma_S - c0) on S: c0 ||theta - theta*||^2 from the error coordinates
    (||B e||^2 + ||r||^2, r orthogonal to B), the few columns S feature by feature. Returns the risk
    (L, k) and the sum of the magnitudes of its terms over the risk (1 when every ``sigma_S >= c0``;
    large when ``c0`` exceeds Sigma where the error lies, and the sum cancels)."""
    rr, _, _, br = remainder(path, tr)
    idx = tr.idx
    d2, lin = error_sum_terms(path, tr.delta, tr.zeta[:, idx], path._dhat,
                              None if br is None else br[:, idx])
    d2 += rr[idx]  # ||theta - theta*||^2
    if br is not None:
        d2 -= 2.0 * lin
    risk = c0 * d2
    mag = np.abs(risk)
    if S.size:
        w = targets.design.cov[S] - c0
        tsS = targets.theta_stars(S)  # (|S|, u)
        for t0, t1, thS in theta_cols(path, project_cols(path, S)):  # (|S|, tb, L)
            D = thS - tsS[:, idx[t0:t1], None]
            DD = D * D
            risk[:, t0:t1] += np.tensordot(w, DD, axes=(0, 0)).T
            mag[:, t0:t1] += np.tensordot(np.abs(w), DD, axes=(0, 0)).T
    risk = np.maximum(risk, 0.0)
    with np.errstate(divide="ignore", invalid="ignore"):
        cancel = np.where(mag > 0, mag / risk, 1.0)
    return risk, cancel


def _gram_rtol(path) -> np.ndarray:
    """Relative error the Sigma-Gram route may add, per penalty (L,): ``config.GRAM_ROUTE_RTOL``, or a
    tenth of the path's own accuracy bound where that is coarser (float32)."""
    return np.maximum(config.GRAM_ROUTE_RTOL, 0.1 * _accuracy.accuracy_bound(path))


def _gram_bound(en: np.ndarray, T: float, eps: float, Z) -> np.ndarray:
    """Error bound of ``(B e - r)^T Sigma (B e - r)`` from a rounded Sigma-Gram:
    ``C eps (sqrt(T) ||e|| + Z)^2`` for ``en = ||e||`` (any shape) and ``Z`` broadcasting with it.

    Each entry of ``X Sigma X^T`` (or ``V^T Sigma V``) carries a rounding error of about
    ``eps sum_j |x_ij| sigma_j |x_kj|``, so a quadratic form ``a^T (.) a`` errs by about
    ``eps sum_j sigma_j (|x_j|^T |a|)^2 <= eps tr(X Sigma X^T) ||a||^2`` (Cauchy-Schwarz): ``T`` is
    that trace in hat units and ``||a|| = ||e||``. The terms of theta* add ``Z``: ``sqrt(T) ||zeta|| +
    sqrt(theta*^T Sigma theta*)`` for the closed-form remainder, ``sqrt(r^T Sigma r)`` for an explicit
    one, 0 on a complete primal side. This is the normal-equations loss: the route squares the
    conditioning of X, while the feature pass forms ``theta_j - theta*_j`` itself."""
    return config.GRAM_ROUTE_C * eps * (math.sqrt(T) * en + Z) ** 2


def _closed_form_z(T: float, tr: Truth) -> np.ndarray:
    """``Z`` of :func:`_gram_bound` per target (k,) for the closed-form remainder."""
    zn = np.sqrt(np.einsum("iu,iu->u", tr.zeta, tr.zeta))
    return (math.sqrt(T) * zn + np.sqrt(np.maximum(tr.tst, 0.0)))[tr.idx]


def _gram_cannot_pass(path, targets, tr: Truth) -> str | None:
    """Why the Sigma-Gram route would certainly fail its check, decided before forming it (the risk is
    at most ``max(sigma) ||theta - theta*||^2``), or None."""
    if path.side != "dual":
        return None
    sp = path.spec
    smax = float(np.max(targets.design.cov))
    T = smax * float(np.sum(np.maximum(sp.s_unit[sp.start:], 0.0)))  # >= tr(X Sigma X^T) / unit
    rr, _, _, br = remainder(path, tr)
    idx = tr.idx
    zi = tr.zeta[:, idx]
    d2, lin = error_sum_terms(path, tr.delta, zi, path._dhat, None if br is None else br[:, idx])
    d2 += rr[idx]
    if br is not None:
        d2 -= 2.0 * lin
    en2, _ = error_sum_terms(path, tr.delta, zi, np.ones(sp.dim), None)
    eps = float(np.finfo(path.dtype).eps)
    bound = _gram_bound(np.sqrt(np.maximum(en2, 0.0)), T, eps, _closed_form_z(T, tr)[None, :])
    top = smax * np.maximum(d2, 0.0)
    if np.any(bound > _gram_rtol(path)[:, None] * top):
        return (f"X Sigma X^T too ill-conditioned for this path (error bound above "
                f"{float(np.max(bound / np.maximum(top, 1e-300))):.1e} relative for a risk at its largest)")
    return None


class _Quad:
    """``f^T M_hat f`` per column (``M_hat = U^T KSh U``, see :func:`sigma_gram_hat`) for ``cols``
    columns in all, in groups: either through ``U f`` (dual, few columns) or through M_hat, formed
    once."""

    def __init__(self, path, KSh: np.ndarray, cols: int):
        self.path, self.KSh = path, KSh
        self.M = None
        if not (path.side == "dual" and cols < 2 * path.spec.dim):
            U = path.spec.U
            self.M = U.T @ sigma_times(KSh, U)

    def __call__(self, F: np.ndarray) -> np.ndarray:
        return quad_from_sigma_gram(self.path, self.KSh, F, self.M)


def _risk_gram(path, targets, tr: Truth) -> tuple[np.ndarray, np.ndarray]:
    """``(B e - r)^T Sigma (B e - r)`` per penalty and target from the Sigma-Gram (L, k), and its error
    bound (L, k)."""
    KSh = sigma_gram_hat(path, targets.design)
    g, L, k = path.spec.dim, path.n_penalties, path.k
    if path.side == "primal":
        T = float(np.trace(KSh)) if KSh.ndim == 2 else float(np.sum(KSh))  # tr(V^T Sigma V) <= tr Sigma
        eps = float(np.finfo(np.float64).eps)
    else:
        T = float(np.trace(KSh))
        eps = float(np.finfo(path.dtype).eps)  # the Sigma-Gram is formed in the path's precision
    quad = _Quad(path, KSh, L * k)
    idx = tr.idx
    st = path.spec.start
    risk = np.empty((L, k))
    bound = np.empty((L, k))
    complete = path.side == "primal" and path._complete  # r = V_null zeta_null: one quadratic form
    if complete:
        Z = np.zeros(k)
    else:
        _, rsr, gr, _ = remainder(path, tr, KSh)  # gr = B_hat^T Sigma r
        explicit = np.broadcast_to(np.asarray(tr.explicit_r), rsr.shape)[idx]
        Z = np.where(explicit, np.sqrt(rsr)[idx], _closed_form_z(T, tr))
    for t0, t1 in target_groups(k, 8.0 * 3 * g * L):
        E = error_weights(path, tr, t0, t1)
        if complete:
            E[:st] = -tr.zeta[:st][:, idx[t0:t1], None]
            risk[:, t0:t1] = quad(E.reshape(g, -1)).reshape(t1 - t0, L).T
        else:
            assert gr is not None  # remainder forms it with KSh
            q = quad(E.reshape(g, -1)).reshape(t1 - t0, L)
            q -= 2.0 * np.einsum("it,itl->tl", gr[:, idx[t0:t1]], E)
            risk[:, t0:t1] = (q + rsr[idx[t0:t1], None]).T
        en = np.sqrt(np.einsum("itl,itl->tl", E, E))
        bound[:, t0:t1] = _gram_bound(en, T, eps, Z[t0:t1, None]).T
    return np.maximum(risk, 0.0), bound


def sigma_gram_hat(path, design) -> np.ndarray:
    """The Sigma-Gram before rotation, in hat units: dual ``X Sigma X^T / unit`` (n, n), primal
    Sigma (p, p). Scaling by the power of 4 ``unit`` keeps it representable for X of any scale.
    Cached per covariance value (several ground truths on one X share it)."""
    cov = design.cov
    if path.side == "primal":
        return cov  # (p,) diagonal or (p, p): see sigma_times
    unit = path.spec.unit
    hit = path._sigma_gram_cache
    if hit is not None and hit[0] == design.cov_key:
        return hit[1] * (hit[2] / unit)
    KS = path.features.sigma_gram(cov, path.spec.root, unit)
    path._sigma_gram_cache = (design.cov_key, KS, unit)
    return KS


def quad_from_sigma_gram(path, KSh: np.ndarray, F: np.ndarray, M: np.ndarray | None = None) -> np.ndarray:
    """``f^T M_hat f`` per column of F (g, C), ``M_hat = U^T KSh U`` (see :func:`sigma_gram_hat`;
    pass it as ``M`` when already formed)."""
    C = F.shape[1]
    U = path.spec.U
    out = np.empty(C)
    if M is None and path.side == "dual" and C < 2 * path.spec.dim:
        A = U @ F
        with threads_for(A.size):
            colwise_dot(A, np.ascontiguousarray(KSh @ A), out)
    else:
        if M is None:
            M = U.T @ sigma_times(KSh, U)
        with threads_for(F.size):
            colwise_dot(np.ascontiguousarray(F), np.ascontiguousarray(M @ F), out)
    return out


def risk_from_stats(path, KS: np.ndarray, h1: np.ndarray, tst: np.ndarray, zs: np.ndarray | None,
                    ts: np.ndarray | None, idx: np.ndarray) -> np.ndarray:
    """:meth:`RidgePath.standard_risk_from_stats` once validated: ``KS`` the Sigma-Gram (dual) or
    Sigma (primal), per group of targets (u columns, ``idx`` (k,) maps targets to them)
    ``h1 = B^T (X) Sigma theta*`` (g, u), ``tst`` (u,), ``zs = B^T theta*`` (g, u; None: theta*
    unknown) and ``ts`` the raw ``x_theta`` argument (m, u). Returns (L, k)."""
    g, L, k = path.spec.dim, path.n_penalties, path.k
    st = path.spec.start
    u = h1.shape[1]
    if zs is None:  # theta* unknown: zeta = 0, so E = nu W and the "remainder" is theta*
        delta = np.where((np.arange(g) >= st)[:, None], path._chat, 0.0)
        tr = Truth(np.zeros((g, u)), delta, h1 / path._nu, tst, np.full(u, math.nan), idx, None)
    else:
        tr = truth_from(path, h1, zs, tst, np.full(u, math.nan), idx)
    KSh = KS / path.spec.unit if path.side == "dual" else KS
    quad = _Quad(path, KSh, L * k)
    risk = np.empty((L, k))
    groups = list(target_groups(k, 8.0 * 3 * g * L))
    if path.side == "primal" and zs is not None:
        if not path._complete:
            tr.ts = np.asarray(ts, dtype=np.float64)
            _, rsr, gr, _ = remainder(path, tr, KSh)
        for t0, t1 in groups:
            E = error_weights(path, tr, t0, t1)
            ids = idx[t0:t1]
            if path._complete:
                E[:st] = -tr.zeta[:st][:, ids, None]
                risk[:, t0:t1] = quad(E.reshape(g, -1)).reshape(t1 - t0, L).T
            else:
                assert gr is not None  # remainder forms it with KSh
                q = quad(E.reshape(g, -1)).reshape(t1 - t0, L)
                q -= 2.0 * np.einsum("it,itl->tl", gr[:, ids], E)
                risk[:, t0:t1] = (q + rsr[ids, None]).T
        return np.maximum(risk, 0.0)
    Mz = m_times(path, KSh, tr.zeta)
    rsr = np.maximum(tr.tst - 2.0 * np.einsum("iu,iu->u", tr.zeta, tr.h1)
                     + np.einsum("iu,iu->u", tr.zeta, Mz), 0.0)
    hm = tr.h1 - Mz
    for t0, t1 in groups:
        E = error_weights(path, tr, t0, t1)
        ids = idx[t0:t1]
        q = quad(E.reshape(g, -1)).reshape(t1 - t0, L)
        if float(np.min(q, initial=0.0)) < -1e-8 * max(float(np.max(np.abs(q))), 1e-300):
            raise ValueError("sigma_gram must be positive semi-definite (X Sigma X^T or Sigma): a "
                             "quadratic form on it came out negative")
        risk[:, t0:t1] = (q - 2.0 * np.einsum("it,itl->tl", hm[:, ids], E) + rsr[ids, None]).T
    return np.maximum(risk, 0.0)
