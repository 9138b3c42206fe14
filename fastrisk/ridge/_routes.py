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
from ._norms import ensure_norms
from ._passes import W, project_cols
from ._truth import Truth, error_weights, m_times, remainder, truth, truth_from

__all__ = ["standard_risk", "risk_from_stats", "quad_from_sigma_gram", "sigma_gram_hat"]


def _colwise_sumsq(E: np.ndarray, w: np.ndarray) -> np.ndarray:
    """``sum_i w_i E[i, l]^2`` per column, without forming ``E**2`` in extreme units."""
    return np.einsum("il,il->l", E, E * w[:, None])


def standard_risk(path, design, qs) -> np.ndarray:
    """Standard risk (L,) against a validated design, computing the norms in ``qs`` in the same
    feature pass when one is needed; cached per design value."""
    hit = path._risk_cache.get(design.key)
    if hit is not None:
        ensure_norms(path, qs)
        return hit.copy()
    R = _compute(path, design, [float(q) for q in qs])
    path._risk_cache = {design.key: R}
    return R.copy()


def _costs(path, design, qs, pass_needed: bool) -> tuple[list[tuple[float, str]], float, np.ndarray]:
    """Flop estimates ``[(cost, route)]`` of every route for a diagonal Sigma (``inf`` where a route
    does not apply or is a last resort), and the structure ``(c0, S)`` of Sigma."""
    n, p, g, L = path.n, path.p, path.spec.dim, path.n_penalties
    c0, S = mode_structure(design.cov)
    k = S.size
    cost_struct = 2.0 * n * k * (g + L) if path.side == "dual" else 2.0 * g * k * L
    if path.side == "dual":
        cached = path._sigma_gram_cache is not None and path._sigma_gram_cache[0] == design.cov_key
        cost_gram = (0.0 if cached else n * n * p) + min(4.0 * n * n * L, 4.0 * n**3 + 2.0 * n * n * L)
        cost_pass = (3.0 * p * L if pass_needed
                     else 2.0 * n * p * L + 2.0 * n * n * L + path.features.regen_cost)
    else:
        cost_gram = 2.0 * p * g * g + 2.0 * g * g * L  # V^T Sigma V with V (p, g)
        # theta - theta* feature by feature loses the relative accuracy close to theta* that the
        # error coordinates keep (n > p, noiseless labels): a last resort on the primal side
        cost_pass = math.inf
    costs = [(cost_struct, "struct"), (cost_gram, "gram"), (cost_pass, "pass"),
             (path._lowrank_route_cost(qs, pass_needed), "lowrank")]
    return costs, c0, S


def _compute(path, design, qs: list[float]) -> np.ndarray:
    """Try the routes cheapest first (a forced one first of all); a route whose accuracy check fails
    hands over to the next (the feature pass, which cannot cancel, is always the last resort)."""
    pass_needed = any(q != 2.0 for q in qs if q not in path._norms)
    path.route_notes = {}
    if not design.is_diagonal:  # a full Sigma: the Sigma-Gram is the only route
        path.last_route = "gram"
        ensure_norms(path, qs)
        R, bound = _risk_gram(path, design, truth(path, design))
        bad = bound > _gram_rtol(path) * R
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
        R = _try_route(path, design, route, qs, c0, S)
        if R is not None:
            path.last_route = route
            return R
    raise AssertionError("the feature pass never refuses")  # pragma: no cover


def _try_route(path, design, route: str, qs, c0: float, S: np.ndarray) -> np.ndarray | None:
    """The risk by ``route``, or None (reason in ``path.route_notes``) when it does not apply or its
    accuracy check fails."""
    sigma = design.cov
    if route == "lowrank":
        R = path._lowrank_run(qs, sigma=sigma, tstar=design.theta_star)
        if R is None:
            path.route_notes["lowrank"] = (path.lowrank_info or {}).get("status", "does not apply")
        return R
    if route == "pass":  # sum_j sigma_j (theta_j - theta*_j)^2 feature by feature: no cancellation
        acc_sig = ensure_norms(path, qs, sigma=sigma, tstar=design.theta_star)
        return np.maximum(acc_sig, 0.0)
    tr = truth(path, design)
    if route == "gram":
        why = _gram_cannot_pass(path, design, tr)
        if why is not None:  # decided before the Sigma-Gram is formed
            path.route_notes["gram"] = why
            return None
        ensure_norms(path, qs)
        R, bound = _risk_gram(path, design, tr)
        rtol = _gram_rtol(path)
        if np.any(bound > rtol * R):
            path.route_notes["gram"] = (f"X Sigma X^T too ill-conditioned: error bound up to "
                                        f"{float(np.max(bound / np.maximum(R, 1e-300))):.1e} relative")
            return None
        return R
    ensure_norms(path, qs)
    R, cancel = _risk_struct(path, design, tr, c0, S)
    if float(np.max(cancel, initial=0.0)) > config.STRUCT_MAX_CANCEL:
        path.route_notes["struct"] = (f"c0 ||theta - theta*||^2 and the corrections on S cancel "
                                      f"(up to {float(np.max(cancel)):.1e} times the risk)")
        return None
    return R


def _risk_struct(path, design, tr: Truth, c0: float, S: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Sigma = c0 I + diag(sigma_S - c0) on S: c0 ||theta - theta*||^2 from the error coordinates
    (||B e||^2 + ||r||^2, r orthogonal to B), the few columns S feature by feature. Returns the risk
    and, per penalty, the sum of the magnitudes of its terms over the risk (1 when every
    ``sigma_S >= c0``; large when ``c0`` exceeds Sigma where the error lies, and the sum cancels)."""
    E = error_weights(path, tr)
    rr, _, _, br = remainder(path, tr)
    d2 = _colwise_sumsq(E, path._dhat) + rr  # ||theta - theta*||^2
    if br is not None:
        d2 = d2 - 2.0 * (br @ E)
    risk = c0 * d2
    mag = np.abs(risk)
    if S.size:
        thS = project_cols(path, S).T @ W(path)  # (k, L)
        D = thS - design.theta_star[S, None]
        corr = (design.cov[S] - c0)[:, None] * (D * D)
        risk = risk + corr.sum(axis=0)
        mag = mag + np.abs(corr).sum(axis=0)
    risk = np.maximum(risk, 0.0)
    with np.errstate(divide="ignore", invalid="ignore"):
        cancel = np.where(mag > 0, mag / risk, 1.0)
    return risk, cancel


def _gram_rtol(path) -> np.ndarray:
    """Relative error the Sigma-Gram route may add, per penalty: ``config.GRAM_ROUTE_RTOL``, or a tenth
    of the path's own accuracy bound where that is coarser (float32)."""
    return np.maximum(config.GRAM_ROUTE_RTOL, 0.1 * _accuracy.accuracy_bound(path))


def _gram_bound(path, tr: Truth, E: np.ndarray, T: float, eps: float, Z: float) -> np.ndarray:
    """Error bound of ``(B e - r)^T Sigma (B e - r)`` from a rounded Sigma-Gram, per penalty:
    ``C eps (sqrt(T) ||e|| + Z)^2``.

    Each entry of ``X Sigma X^T`` (or ``V^T Sigma V``) carries a rounding error of about
    ``eps sum_j |x_ij| sigma_j |x_kj|``, so a quadratic form ``a^T (.) a`` errs by about
    ``eps sum_j sigma_j (|x_j|^T |a|)^2 <= eps tr(X Sigma X^T) ||a||^2`` (Cauchy-Schwarz): ``T`` is
    that trace in hat units and ``||a|| = ||e||``. The terms of theta* add ``Z``: ``sqrt(T) ||zeta|| +
    sqrt(theta*^T Sigma theta*)`` for the closed-form remainder, ``sqrt(r^T Sigma r)`` for an explicit
    one, 0 on a complete primal side. This is the normal-equations loss: the route squares the
    conditioning of X, while the feature pass forms ``theta_j - theta*_j`` itself."""
    en = np.sqrt(_colwise_sumsq(E, np.ones(E.shape[0])))
    return config.GRAM_ROUTE_C * eps * (math.sqrt(T) * en + Z) ** 2


def _gram_cannot_pass(path, design, tr: Truth) -> str | None:
    """Why the Sigma-Gram route would certainly fail its check, decided before forming it (the risk is
    at most ``max(sigma) ||theta - theta*||^2``), or None."""
    if path.side != "dual":
        return None
    sp = path.spec
    smax = float(np.max(design.cov))
    T = smax * float(np.sum(np.maximum(sp.s_unit[sp.start:], 0.0)))  # >= tr(X Sigma X^T) / unit
    E = error_weights(path, tr)
    rr, _, _, br = remainder(path, tr)
    d2 = _colwise_sumsq(E, path._dhat) + rr
    if br is not None:
        d2 = d2 - 2.0 * (br @ E)
    Z = math.sqrt(T) * float(np.linalg.norm(tr.zeta)) + math.sqrt(tr.tst)
    eps = float(np.finfo(path.dtype).eps)
    bound = _gram_bound(path, tr, E, T, eps, Z)
    top = smax * np.maximum(d2, 0.0)
    if np.any(bound > _gram_rtol(path) * top):
        return (f"X Sigma X^T too ill-conditioned for this path (error bound above "
                f"{float(np.max(bound / np.maximum(top, 1e-300))):.1e} relative for a risk at its largest)")
    return None


def _risk_gram(path, design, tr: Truth) -> tuple[np.ndarray, np.ndarray]:
    """``(B e - r)^T Sigma (B e - r)`` per penalty from the Sigma-Gram, and its error bound."""
    KSh = sigma_gram_hat(path, design)
    E = error_weights(path, tr)
    if path.side == "primal":
        T = float(np.trace(KSh)) if KSh.ndim == 2 else float(np.sum(KSh))  # tr(V^T Sigma V) <= tr Sigma
        eps = float(np.finfo(np.float64).eps)
    else:
        T = float(np.trace(KSh))
        eps = float(np.finfo(path.dtype).eps)  # the Sigma-Gram is formed in the path's precision
    if path.side == "primal" and path._complete:  # r = V_null zeta_null: one quadratic form
        st = path.spec.start
        E[:st] = -tr.zeta[:st, None]
        R = np.maximum(quad_from_sigma_gram(path, KSh, E), 0.0)
        return R, _gram_bound(path, tr, E, T, eps, 0.0)
    _, rsr, gr, _ = remainder(path, tr, KSh)  # gr = B_hat^T Sigma r
    risk = quad_from_sigma_gram(path, KSh, E) - 2.0 * (gr @ E) + rsr
    Z = (math.sqrt(rsr) if tr.explicit_r
         else math.sqrt(T) * float(np.linalg.norm(tr.zeta)) + math.sqrt(tr.tst))
    return np.maximum(risk, 0.0), _gram_bound(path, tr, E, T, eps, Z)


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


def quad_from_sigma_gram(path, KSh: np.ndarray, F: np.ndarray) -> np.ndarray:
    """``f^T M_hat f`` per column of F (g, L), ``M_hat = U^T KSh U`` (see :func:`sigma_gram_hat`)."""
    L = F.shape[1]
    U = path.spec.U
    out = np.empty(L)
    if path.side == "dual" and L < 2 * path.spec.dim:
        A = U @ F
        with threads_for(A.size):
            colwise_dot(A, np.ascontiguousarray(KSh @ A), out)
    else:
        M = U.T @ sigma_times(KSh, U)
        with threads_for(F.size):
            colwise_dot(np.ascontiguousarray(F), np.ascontiguousarray(M @ F), out)
    return out


def risk_from_stats(path, KS: np.ndarray, h1: np.ndarray, tst: float, zs: np.ndarray | None,
                    ts: np.ndarray | None) -> np.ndarray:
    """:meth:`RidgePath.standard_risk_from_stats` once validated: ``KS`` the Sigma-Gram (dual) or
    Sigma (primal), ``h1 = B^T (X) Sigma theta*``, ``zs = B^T theta*`` (None: theta* unknown) and
    ``ts`` the raw ``x_theta`` argument."""
    g = path.spec.dim
    if zs is None:  # theta* unknown: zeta = 0, so E = nu W and the "remainder" is theta*
        tr = Truth(np.zeros(g), np.where(np.arange(g) >= path.spec.start, path._chat, 0.0),
                   h1 / path._nu, tst, math.nan, None)
    else:
        tr = truth_from(path, h1, zs, tst, math.nan)
    KSh = KS / path.spec.unit if path.side == "dual" else KS
    E = error_weights(path, tr)
    if path.side == "primal" and not path._complete and zs is not None:
        tr.ts = np.asarray(ts, dtype=np.float64)
        _, rsr, gr, _ = remainder(path, tr, KSh)
        return np.maximum(quad_from_sigma_gram(path, KSh, E) - 2.0 * (gr @ E) + rsr, 0.0)
    if path.side == "primal" and zs is not None:
        st = path.spec.start
        E[:st] = -tr.zeta[:st, None]
        return np.maximum(quad_from_sigma_gram(path, KSh, E), 0.0)
    Mz = m_times(path, KSh, tr.zeta)
    rsr = max(tr.tst - 2.0 * float(tr.zeta @ tr.h1) + float(tr.zeta @ Mz), 0.0)
    quad = quad_from_sigma_gram(path, KSh, E)
    if float(np.min(quad, initial=0.0)) < -1e-8 * max(float(np.max(np.abs(quad))), 1e-300):
        raise ValueError("sigma_gram must be positive semi-definite (X Sigma X^T or Sigma): a "
                         "quadratic form on it came out negative")
    return np.maximum(quad - 2.0 * ((tr.h1 - Mz) @ E) + rsr, 0.0)
