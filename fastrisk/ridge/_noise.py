"""Exact averages over the label noise given X: ``E_z`` of the standard risk and of ``||theta||_2^2``
for labels ``y = X theta* + sigma z``, z ~ N(0, I_n).

The coefficients are linear in y: ``theta(y) = theta(X theta*) + sigma theta(z)``, and on either side
``theta(z) = B diag(f) U^T z'`` with ``f_i = 1 / (s_i + lam)`` on the kept components. So the cross terms
vanish in expectation and ::

    E_z R         = R(y = X theta*)           + sigma^2 sum_i M_ii f_i^2,  M = U^T X Sigma X^T U
    E_z ||theta||^2 = ||theta(y = X theta*)||^2 + sigma^2 sum_i s_i f_i^2

(primal side: ``M_ii = s_i (V^T Sigma V)_ii``). The noiseless part is the risk of the path with the
right-hand side ``X theta*`` (the *signal path*: same eigen-pairs and features, its error coordinates
have delta = 0 exactly), by whichever route the cost model picks. Only the diagonal of M is needed:
``c s_i + sum_{j in S} (sigma_j - c) (U^T X)_ij^2`` for a structured Sigma (``c I`` plus a few columns
S: O(n |S| g)); the Sigma-Gram ``X Sigma X^T`` (one ``n^2 p`` product, cached per covariance, shared
with the "gram" route) then ``2 n^3`` for a general one; O(p g) on the primal side.
"""

from __future__ import annotations

import copy

import numpy as np

from ._features import mode_structure, sigma_times
from ._norms import norm2_sq
from ._passes import design_projections, project_cols
from ._routes import sigma_gram_hat, standard_risk
from ._targets import Targets

__all__ = ["signal_path", "standard_risk_noise_avg", "norm2_sq_noise_avg"]


def signal_path(path, targets):
    """The path of the noiseless labels ``X theta*``, one target per distinct theta* of ``targets``
    (sharing the eigen-pairs, the features and the caches of X of ``path``); cached."""
    key = b"".join(d.cov_key + d.theta_key for d in targets.groups)
    hit = path._signal_cache.get(key)
    if hit is not None:
        for name in ("_sigma_gram_cache", "_cols_cache"):  # products of X the path made since
            if getattr(hit, name) is None:
                setattr(hit, name, getattr(path, name))
        return hit
    sp = path.spec
    _, zs = design_projections(path, targets.groups)  # B^T theta*, (g, u)
    c = zs if path.side == "dual" else sp.s[:, None] * zs  # U^T X theta* or V^T X^T X theta*
    sib = copy.copy(path)
    sib._c = np.ascontiguousarray(c)
    sib.k = c.shape[1]
    sib._multi = True
    sib._chat = sib._c / (sp.unit / path._nu)
    sib._W_cache = sib._A_cache = None
    sib._norms, sib._risk_cache, sib._signal_cache = {}, {}, {}
    sib._dproj_cache = dict(path._dproj_cache)
    sib._lowrank_fac, sib._lowrank_state, sib.lowrank_info = None, None, None
    path._signal_cache = {key: sib}
    return sib


def _noise_weights(path, design) -> np.ndarray:
    """``a`` (g,) with ``sum_i M_ii f_i^2 = sum_i a_i f'_i^2 / unit`` (``f' = 1 / (s' + lam')``)."""
    sp = path.spec
    if path.side == "primal":
        V = sp.U
        D = (V * V).T @ design.cov if design.is_diagonal else np.einsum("pi,pi->i", V, design.cov @ V)
        return sp.s_unit * D
    if design.is_diagonal:
        c0, S = mode_structure(design.cov)
        if S.size <= path.n:  # c0 X X^T + X_S diag(sigma_S - c0) X_S^T: no Gram-sized product
            PS = project_cols(path, S)
            return c0 * sp.s_unit + ((PS * PS) @ (design.cov[S] - c0)) / sp.unit
    U = sp.U
    return np.einsum("ia,ia->a", U, sigma_times(sigma_gram_hat(path, design), U))


def _filtered(path, a: np.ndarray) -> np.ndarray:
    """``sum_i a_i f'_il^2 / unit`` (L,) over the kept components."""
    _, o2 = path.spec.sums_unit(path.lam, a2=a)
    return o2[0] / path.spec.unit


def standard_risk_noise_avg(path, targets: Targets) -> np.ndarray:
    """``E_z R`` (L, k) for every target (its theta* and noise level)."""
    N = _filtered(path, _noise_weights(path, targets.design))  # first: the path caches X Sigma X^T
    sib = signal_path(path, targets)
    R0 = standard_risk(sib, Targets(targets.groups, len(targets.groups)), ())  # (L, u)
    if path._sigma_gram_cache is None:
        path._sigma_gram_cache = sib._sigma_gram_cache
    return R0[:, targets.idx] + targets.noise[None, :] ** 2 * N[:, None]


def norm2_sq_noise_avg(path, targets: Targets) -> np.ndarray:
    """``E_z ||theta||_2^2`` (L, k) for every target."""
    sib = signal_path(path, targets)
    N = _filtered(path, path.spec.s_unit)
    return np.maximum(norm2_sq(sib), 0.0)[:, targets.idx] + targets.noise[None, :] ** 2 * N[:, None]
