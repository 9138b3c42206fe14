"""The risks of a tail='wishart' path (:mod:`fastrisk.ridge._wishart`), every one exact in law.

theta* of a target enters only through ``X theta* = X_S theta_S + G a`` and
``X Sigma theta* = X_S (sigma_S theta_S) + c0 G a`` (``G = X_T [u_1 .. u_r]``, ``a`` the tail part's
coefficients on the carried directions), ``||theta*||^2 = ||theta_S||^2 + ||a||^2`` and
``theta*^T Sigma theta* = sum sigma_S theta_S^2 + c0 ||a||^2``: with the projections ``U^T X_S`` and
``U^T G`` (one product each, cached on the path's feature source) the error coordinates of
:mod:`fastrisk.ridge._truth` follow, and the standard risk is the structured form
``c0 ||theta - theta*||^2 + sum_{j in S} (sigma_j - c0) (theta_j - theta*_j)^2``. Outputs are (L, k),
one column per target, as everywhere in :mod:`fastrisk.ridge`.
"""

from __future__ import annotations

import copy

import numpy as np

from ._noise import _filtered
from ._norms import consistent_norm, ensure_norms, error_sum_terms, norm2_sq
from ._passes import theta_cols
from ._targets import Targets
from ._truth import REMAINDER_RTOL, remainder, truth_from
from ._wishart import refuse

__all__ = ["standard_risk", "dual_norm", "standard_risk_noise_avg", "norm2_sq_noise_avg"]


def _projections(path) -> tuple[np.ndarray, np.ndarray]:
    """``(U^T X_S, U^T G)``: (g, |S|) and (g, r), cached (the eigenvectors are the path's for good)."""
    feat = path._tail
    if feat.proj is None:
        U = path.spec.U
        feat.proj = (U.T @ feat.XS, U.T @ feat.G)
    return feat.proj


def _groups(path, targets):
    """Per distinct theta* (u of them): theta_S (|S|, u), ``U^T X theta*`` and ``U^T X Sigma theta*``
    (g, u), ``theta*^T Sigma theta*`` and ``||theta*||^2`` (u,)."""
    feat = path._tail
    v = feat.view
    TS, A = (np.stack(x, axis=1) for x in zip(*(feat.carried(d) for d in targets.groups), strict=True))
    PS, PG = _projections(path)
    zs = PS @ TS + PG @ A
    h1 = PS @ (v.sigma_S[:, None] * TS) + v.c0 * (PG @ A)
    aa = np.einsum("ru,ru->u", A, A)
    tt = np.einsum("su,su->u", TS, TS) + aa
    tst = v.sigma_S @ (TS * TS) + v.c0 * aa
    return TS, zs, h1, tst, tt


def _truth(path, targets):
    """theta* of every target in the path's coordinates and the closed-form remainder ``||r||^2`` (u,);
    refused where the closed form cannot be trusted (the explicit remainder needs a pass over X)."""
    TS, zs, h1, tst, tt = _groups(path, targets)
    tr = truth_from(path, h1, zs, tst, tt, targets.idx)
    rr = remainder(path, tr)[0]
    small = (tt > 0) & (rr < REMAINDER_RTOL * tt)
    if np.any(small):
        refuse(f"the remainder of theta* off the row space of X (its closed form "
               f"{float(rr[small][0]):.3g} is below {REMAINDER_RTOL:g} ||theta*||^2, where only a pass over "
               "X keeps its digits)")
    return tr, TS, rr


def standard_risk(path, targets) -> np.ndarray:
    """``||theta_lt - theta*_t||_Sigma^2`` (L, k); cached per covariance and theta* of every target."""
    hit = path._risk_cache.get(targets.key)
    if hit is not None:
        return hit.copy()
    tr, TS, rr = _truth(path, targets)
    v = path._tail.view
    idx = tr.idx
    d2, _ = error_sum_terms(path, tr.delta, tr.zeta[:, idx], path._dhat, None)
    risk = v.c0 * (d2 + rr[idx])  # c0 ||theta - theta*||^2: r orthogonal to B (closed form)
    kS = np.flatnonzero(v.sigma_S != v.c0)
    if kS.size:
        w = v.sigma_S[kS] - v.c0
        for t0, t1, thS in theta_cols(path, _projections(path)[0][:, kS]):  # (|kS|, tb, L)
            D = thS - TS[kS][:, idx[t0:t1], None]
            risk[:, t0:t1] += np.tensordot(w, D * D, axes=(0, 0)).T
    R = np.maximum(risk, 0.0)
    path.last_route = "wishart"
    path._risk_cache = {targets.key: R}
    return R.copy()


def dual_norm(path, targets, p_attack: float, target: str) -> np.ndarray:
    """The norm an l2 attack sees, (L, k): ``||theta||_2``, or for ``"consistent"`` theta projected off
    each target's theta*; other attack norms are refused."""
    if p_attack != 2.0:
        refuse(f"an attack in the l_{p_attack:g} norm (norm={p_attack:g})")
    ensure_norms(path, [2.0])
    b = path._norms[2.0]
    if target != "consistent":
        return b
    return consistent_norm(path, _truth(path, targets)[0], b)


def _signal_path(path, zs: np.ndarray):
    """The path of the noiseless labels ``X theta*`` (one target per distinct theta*: ``c = zs``),
    sharing the eigen-pairs and the feature source (as :func:`fastrisk.ridge._noise.signal_path`)."""
    sib = copy.copy(path)
    sib._c = np.ascontiguousarray(zs)
    sib.k = zs.shape[1]
    sib._multi = True
    sib._chat = sib._c / (path.spec.unit / path._nu)
    sib._W_cache = sib._A_cache = None
    sib._norms, sib._risk_cache, sib._signal_cache = {}, {}, {}
    return sib


def standard_risk_noise_avg(path, targets) -> np.ndarray:
    """``E_z R`` (L, k) over the label noise given X: the signal path's risk plus
    ``noise^2 sum_i M_ii f_i^2`` with ``M_ii = c0 s_i + sum_{j in S} (sigma_j - c0) (U^T X_S)_ij^2``."""
    v = path._tail.view
    sp = path.spec
    PS = _projections(path)[0]
    N = _filtered(path, v.c0 * sp.s_unit + ((PS * PS) @ (v.sigma_S - v.c0)) / sp.unit)
    zs = _groups(path, targets)[1]
    R0 = standard_risk(_signal_path(path, zs), Targets(targets.groups, len(targets.groups)))
    return R0[:, targets.idx] + targets.noise[None, :] ** 2 * N[:, None]


def norm2_sq_noise_avg(path, targets) -> np.ndarray:
    """``E_z ||theta||_2^2`` (L, k) over the label noise given X."""
    zs = _groups(path, targets)[1]
    N = _filtered(path, path.spec.s_unit)
    sib = _signal_path(path, zs)
    return np.maximum(norm2_sq(sib), 0.0)[:, targets.idx] + targets.noise[None, :] ** 2 * N[:, None]
