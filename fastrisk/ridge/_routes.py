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

from ..kernels import colwise_dot
from ..kernels._threads import threads_for
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


def _costs(path, design, qs, pass_needed: bool) -> tuple[tuple[float, str], float, float, np.ndarray]:
    """Flop estimates: ``((cost, name) of the cheapest exact route, low-rank cost, c0, S)``."""
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
        cost_pass = math.inf
    exact = min((cost_struct, "struct"), (cost_gram, "gram"), (cost_pass, "pass"))
    return exact, path._lowrank_route_cost(qs, pass_needed), c0, S


def _compute(path, design, qs: list[float]) -> np.ndarray:
    pass_needed = any(q != 2.0 for q in qs if q not in path._norms)
    if not design.is_diagonal:
        path.last_route = "gram"
        ensure_norms(path, qs)
        return _risk_gram(path, design, truth(path, design))
    sigma = design.cov
    exact, cost_low, c0, S = _costs(path, design, qs, pass_needed)
    route = min(exact, (cost_low, "lowrank"))[1]
    if path._route_override is not None:  # tests compare the routes with each other
        route = path._route_override
    if route == "lowrank":
        R = path._lowrank_run(qs, sigma=sigma, tstar=design.theta_star)
        if R is not None:
            path.last_route = "lowrank"
            return R
        route = exact[1]  # the check failed (or the route does not apply): exact route
    path.last_route = route
    if route == "pass":  # sum_j sigma_j (theta_j - theta*_j)^2 feature by feature: no cancellation
        acc_sig = ensure_norms(path, qs, sigma=sigma, tstar=design.theta_star)
        return np.maximum(acc_sig, 0.0)
    ensure_norms(path, qs)
    tr = truth(path, design)
    if route == "gram":
        return _risk_gram(path, design, tr)
    return _risk_struct(path, design, tr, c0, S)


def _risk_struct(path, design, tr: Truth, c0: float, S: np.ndarray) -> np.ndarray:
    """Sigma = c0 I + diag(sigma_S - c0) on S: c0 ||theta - theta*||^2 from the error coordinates
    (||B e||^2 + ||r||^2, r orthogonal to B), the few columns S feature by feature."""
    E = error_weights(path, tr)
    rr, _, _, br = remainder(path, tr)
    d2 = _colwise_sumsq(E, path._dhat) + rr  # ||theta - theta*||^2
    if br is not None:
        d2 = d2 - 2.0 * (br @ E)
    risk = c0 * d2
    if S.size:
        thS = project_cols(path, S).T @ W(path)  # (k, L)
        D = thS - design.theta_star[S, None]
        risk = risk + (design.cov[S] - c0) @ (D * D)
    return np.maximum(risk, 0.0)


def _risk_gram(path, design, tr: Truth) -> np.ndarray:
    """``(B e - r)^T Sigma (B e - r)`` per penalty from the Sigma-Gram."""
    KSh = sigma_gram_hat(path, design)
    E = error_weights(path, tr)
    if path.side == "primal" and path._complete:  # r = V_null zeta_null: one quadratic form
        st = path.spec.start
        E[:st] = -tr.zeta[:st, None]
        return np.maximum(quad_from_sigma_gram(path, KSh, E), 0.0)
    _, rsr, gr, _ = remainder(path, tr, KSh)  # gr = B_hat^T Sigma r
    risk = quad_from_sigma_gram(path, KSh, E) - 2.0 * (gr @ E) + rsr
    return np.maximum(risk, 0.0)


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
