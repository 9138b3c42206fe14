"""Adversarial risk of a (possibly nonlinear) predictor on a test sample: first order, FGSM, PGD.

Convention (the package's ``target="clean"``): for test points x_j with clean targets ``f*(x_j)``
(given values, or ``x_j^T theta*``), ``R_eps = mean_j max_{|delta|_p <= eps} (f(x_j + delta) - f*(x_j))^2``,
per penalty of the fitted path, shape (L, E). Methods:

- ``"first_order"``: ``(|f(x) - f*(x)| + eps |grad_x f(x)|_q)^2`` with q the dual exponent of p (any
  p >= 1). Exact for a linear f; a small-eps approximation otherwise (neither bound in general).
- ``"fgsm"``: one step to the boundary, ``delta = eps sign(f - f*) u`` with ``|u|_p = 1`` and
  ``u^T grad f = |grad f|_q`` (the Hoelder direction); the value is ``max`` of the loss at ``delta`` and
  at ``delta = 0``, per point, so it is a valid lower bound of the true maximum and >= the clean loss.
- ``"pgd"``: projected gradient ascent of the loss in the l2 or l_inf ball (``norm`` 2 or inf), ``steps``
  steps of size ``step_size`` (default ``2.5 eps / steps``; normalised gradient for l2, its sign for
  l_inf), ``restarts`` starts: the FGSM point (``init="fgsm"``, first start) and uniform random points of
  the ball (seeded from a SeedSequence, per chunk of :data:`PGD_CHUNK` test points, so results do not
  depend on blocking). The value is the best loss seen over all iterates and starts, so PGD >= FGSM.

Every evaluation runs for all penalties and radii at once: the points ``x_j + delta_{j,l,e,s}`` form one
batch whose cost per step is one (batch x n) GEMM with the training inputs plus one (batch x n) x (n x d)
GEMM for the gradient.
"""

from __future__ import annotations

import math
from numbers import Real
from typing import Any

import numpy as np

from .. import config
from .._validation import as_float_array, check_eps, check_norm, check_positive_int, check_vector
from ._common import check_inputs, seed_entropy

__all__ = ["adversarial_risk", "LinearPredictor", "METHODS", "PGD_CHUNK"]

ArrayLike = Any
METHODS = ("first_order", "fgsm", "pgd")
#: Test points per random-start chunk of PGD (part of the definition of the random starts).
PGD_CHUNK: int = 64


class LinearPredictor:
    """Linear predictors ``f_l(x) = x^T theta_l`` with the predictor protocol of :class:`NTKRegressor`
    (for checking the attacks against the closed forms, and for RidgePath coefficients).

    theta : array_like (d,) or (d, L).
    """

    def __init__(self, theta: ArrayLike):
        th = as_float_array(theta, "theta", dtype=np.float64)
        if th.ndim == 1:
            th = th[:, None]
        if th.ndim != 2 or th.shape[0] == 0 or th.shape[1] == 0:
            raise ValueError(f"theta must be (d,) or (d, L), got shape {np.shape(theta)}")
        self.theta = np.ascontiguousarray(th)
        self.d, self.L = th.shape

    def _eval(self, Z, lidx=None, need_grad=True):
        if lidx is None:
            f = Z @ self.theta
            g = np.broadcast_to(self.theta.T[None], (Z.shape[0], self.L, self.d)) if need_grad else None
            return f, g
        f = np.einsum("kd,dk->k", Z, self.theta[:, lidx])
        return f, (self.theta[:, lidx].T if need_grad else None)

    def predict(self, X_new: ArrayLike) -> np.ndarray:
        return check_inputs(X_new, "X_new", d=self.d) @ self.theta


def _target(Z: np.ndarray, f_star, theta_star) -> np.ndarray:
    if (f_star is None) == (theta_star is None):
        raise ValueError("give exactly one target: f_star (target values at the test points) or "
                         "theta_star (linear target f*(x) = x^T theta_star)")
    if theta_star is not None:
        ts = check_vector(theta_star, Z.shape[1], "theta_star")
        return Z @ ts
    return check_vector(f_star, Z.shape[0], "f_star")


def _dual_dir(g: np.ndarray, p: float, q: float) -> np.ndarray:
    """Unit-p-norm directions u (along the last axis) with ``u^T g = |g|_q``; 0 where g = 0."""
    if p == 2.0:
        nrm = np.linalg.norm(g, axis=-1, keepdims=True)
        return np.divide(g, nrm, out=np.zeros_like(g), where=nrm > 0)
    if math.isinf(p):
        return np.sign(g)
    if p == 1.0:
        u = np.zeros_like(g)
        j = np.argmax(np.abs(g), axis=-1)
        np.put_along_axis(u, j[..., None], np.sign(np.take_along_axis(g, j[..., None], axis=-1)), axis=-1)
        return u
    a = np.abs(g)
    mx = a.max(axis=-1, keepdims=True)
    a = np.divide(a, mx, out=np.zeros_like(a), where=mx > 0)
    u = np.sign(g) * a ** (q - 1.0)
    nrm = np.linalg.norm(u, ord=p, axis=-1, keepdims=True)
    return np.divide(u, nrm, out=np.zeros_like(u), where=nrm > 0)


def _qnorm(g: np.ndarray, q: float) -> np.ndarray:
    return np.linalg.norm(g, ord=np.inf if math.isinf(q) else q, axis=-1)


def adversarial_risk(predictor, X_test: ArrayLike, eps: ArrayLike, *, f_star: ArrayLike | None = None,
                     theta_star: ArrayLike | None = None, norm: float = 2, method: str = "first_order",
                     steps: int = 50, restarts: int = 1, step_size: float | None = None, seed=None,
                     init: str = "fgsm", return_points: bool = False):
    """Adversarial risk of every penalty's predictor on a test sample, shape (L, E).

    Parameters
    ----------
    predictor : NTKRegressor or LinearPredictor
        A fitted path (``TwoLayerNTK(...).fit(X, y, lam)``), L predictors.
    X_test : array_like (m, d)
        Clean test inputs.
    eps : float or array_like (E,)
        Attack radii (>= 0), absolute, in the units of x; ball ``|delta|_p <= eps``.
    f_star : array_like (m,), optional
        Clean target values at ``X_test``; give exactly one of ``f_star`` and ``theta_star``.
    theta_star : array_like (d,), optional
        A linear target, ``f*(x) = x^T theta*``.
    norm : float
        Attack norm p >= 1 (``np.inf`` allowed); PGD supports 2 and inf.
    method : {"first_order", "fgsm", "pgd"}
        ``"first_order"``: ``(|f - f*| + eps ||grad f||_q)^2`` (exact for a linear predictor);
        ``"fgsm"``: one signed-gradient step (a lower bound); ``"pgd"``: projected gradient ascent.
    steps : int
        PGD iterations per start (>= 1).
    restarts : int
        Number of PGD starts (>= 1).
    step_size : float, optional
        PGD step as a fraction of eps (default ``2.5 / steps``).
    seed : int, SeedSequence or None
        Seed of the PGD random starts.
    init : {"fgsm", "random"}
        First PGD start: the FGSM point (default, so PGD >= FGSM) or a random point like the others.
    return_points : bool
        Also return the per-test-point values, (m, L, E).

    Returns
    -------
    risk : ndarray (L, E) float64 (and per-point (m, L, E) if ``return_points``)
        The mean over the test points of the attacked squared error, per penalty and radius.

    Examples
    --------
    >>> import numpy as np
    >>> from fastrisk import ntk
    >>> rng = np.random.default_rng(0)
    >>> X, X_test = rng.standard_normal((40, 10)), rng.standard_normal((20, 10))
    >>> theta_star = np.eye(10)[0]
    >>> fit = ntk.TwoLayerNTK().fit(X, X @ theta_star, lam=[0.0, 10.0])
    >>> first = ntk.adversarial_risk(fit, X_test, [0.0, 0.5], theta_star=theta_star)
    >>> pgd = ntk.adversarial_risk(fit, X_test, [0.0, 0.5], theta_star=theta_star, method="pgd",
    ...                            steps=10, seed=0)
    >>> first.shape, bool(np.all(pgd[:, 1] > pgd[:, 0]))
    ((2, 2), True)
    """
    if not hasattr(predictor, "_eval"):
        raise TypeError("predictor must be a fitted NTKRegressor (TwoLayerNTK(...).fit(...)) "
                        "or a LinearPredictor")
    if not isinstance(method, str) or method not in METHODS:
        raise ValueError(f"method must be one of {METHODS}, got {method!r}")
    p, q = check_norm(norm)
    eps = check_eps(eps)
    Z = check_inputs(X_test, "X_test", d=predictor.d)
    Z = np.ascontiguousarray(Z, dtype=np.float64)
    fs = _target(Z, f_star, theta_star)
    m, d = Z.shape
    L, E = predictor.L, eps.shape[0]
    n = int(predictor.n if hasattr(predictor, "n") else d)
    entropy: int | None = None  # the PGD random starts' seed
    if method == "pgd":
        if p not in (2.0, math.inf):
            raise ValueError(f"method='pgd' supports norm=2 or norm=inf, got norm={norm!r}")
        steps = check_positive_int(steps, "steps")
        restarts = check_positive_int(restarts, "restarts")
        if init not in ("fgsm", "random"):
            raise ValueError(f"init must be 'fgsm' or 'random', got {init!r}")
        if step_size is None:
            step_size = 2.5 / steps
        if isinstance(step_size, bool) or not isinstance(step_size, Real) or not (
                math.isfinite(step_size) and step_size > 0):
            raise ValueError(f"step_size must be a finite number > 0 (a fraction of eps), got {step_size!r}")
        step_size = float(step_size)
        entropy = seed_entropy(seed)
    per_pt = np.empty((m, L, E))
    width = 4 * n + 3 * int(d)
    if method == "first_order":
        per_row = L * width
    elif method == "fgsm":
        per_row = L * (width + E * width)
    else:
        per_row = L * (width + E * restarts * width)
    b = max(1, config.BLOCK_BYTES // (8 * per_row))
    b = max(PGD_CHUNK, (b // PGD_CHUNK) * PGD_CHUNK)
    for j0 in range(0, m, b):
        j1 = min(m, j0 + b)
        Zb, fb = Z[j0:j1], fs[j0:j1]
        f, g = predictor._eval(Zb, None)  # (P, L), (P, L, d)
        r = f - fb[:, None]
        if method == "first_order":
            gn = _qnorm(g, q)
            per_pt[j0:j1] = (np.abs(r)[:, :, None] + eps[None, None, :] * gn[:, :, None]) ** 2
            continue
        P = j1 - j0
        clean = r**2
        u = _dual_dir(np.asarray(g), p, q) * np.where(r >= 0, 1.0, -1.0)[:, :, None]  # (P, L, d)
        delta = eps[None, None, :, None] * u[:, :, None, :]  # (P, L, E, d)
        lidx = np.broadcast_to(np.arange(L)[None, :, None], (P, L, E)).reshape(-1)
        tgt = np.broadcast_to(fb[:, None, None], (P, L, E)).reshape(-1)
        pts = (Zb[:, None, None, :] + delta).reshape(-1, d)
        fv, _ = predictor._eval(pts, lidx, need_grad=False)
        fgsm = np.maximum(((fv - tgt) ** 2).reshape(P, L, E), clean[:, :, None])
        if method == "fgsm":
            per_pt[j0:j1] = fgsm
            continue
        per_pt[j0:j1] = np.maximum(fgsm if init == "fgsm" else clean[:, :, None],
                                   _pgd(predictor, Zb, fb, eps, p, delta, steps, restarts, step_size,
                                        entropy, j0, init))
    risk = per_pt.mean(axis=0)
    return (risk, per_pt) if return_points else risk


def _random_starts(entropy, j0, j1, shape_tail, p, eps):
    """Uniform points of the ball for test points j0..j1 (chunk-aligned j0), shape (P, L, E, S, d)."""
    out = []
    for c in range(j0 // PGD_CHUNK, (j1 - 1) // PGD_CHUNK + 1):
        c0 = c * PGD_CHUNK
        c1 = min(j1, c0 + PGD_CHUNK)
        rng = np.random.Generator(np.random.PCG64(np.random.SeedSequence(entropy, spawn_key=(c,))))
        out.append(_ball(rng, (c1 - c0,) + shape_tail, p))
    return np.concatenate(out) * eps[None, None, :, None, None]


def _ball(rng, shape, p):
    d = shape[-1]
    if math.isinf(p):
        return rng.uniform(-1.0, 1.0, size=shape)
    g = rng.standard_normal(shape)
    g /= np.maximum(np.linalg.norm(g, axis=-1, keepdims=True), 1e-300)
    return g * rng.random(shape[:-1] + (1,)) ** (1.0 / d)


def _project(delta, eps_b, p):
    if math.isinf(p):
        return np.clip(delta, -eps_b, eps_b)
    nrm = np.linalg.norm(delta, axis=-1, keepdims=True)
    scale = np.minimum(1.0, np.divide(eps_b, nrm, out=np.ones_like(nrm), where=nrm > 0))
    return delta * scale


def _pgd(predictor, Zb, fb, eps, p, delta_fgsm, steps, restarts, step_size, entropy, j0, init):
    """Best loss over PGD iterates, (P, L, E)."""
    P, d = Zb.shape
    L, E, S = predictor.L, eps.shape[0], restarts
    n_rand = S - 1 if init == "fgsm" else S
    starts = []
    if init == "fgsm":
        starts.append(delta_fgsm[:, :, :, None, :])
    if n_rand:
        R = _random_starts(entropy, j0, j0 + P, (L, E, S, d), p, eps)
        starts.append(R[:, :, :, S - n_rand:, :])  # the same random point for start s whatever init is
    delta = np.concatenate(starts, axis=3).reshape(-1, d)  # (P*L*E*S, d)
    shape = (P, L, E, S)
    lidx = np.broadcast_to(np.arange(L)[None, :, None, None], shape).reshape(-1)
    tgt = np.broadcast_to(fb[:, None, None, None], shape).reshape(-1)
    eps_b = np.broadcast_to(eps[None, None, :, None], shape).reshape(-1, 1)
    alpha = step_size * eps_b
    base = np.broadcast_to(Zb[:, None, None, None, :], shape + (d,)).reshape(-1, d)
    best = np.zeros(delta.shape[0])
    for _ in range(steps):
        f, g = predictor._eval(np.ascontiguousarray(base + delta), lidx)
        r = f - tgt
        np.maximum(best, r**2, out=best)
        g = g * np.where(r >= 0, 1.0, -1.0)[:, None]
        if math.isinf(p):
            delta = delta + alpha * np.sign(g)
        else:
            gn = np.linalg.norm(g, axis=1, keepdims=True)
            delta = delta + alpha * np.divide(g, gn, out=np.zeros_like(g), where=gn > 0)
        delta = _project(delta, eps_b, p)
    f, _ = predictor._eval(np.ascontiguousarray(base + delta), lidx, need_grad=False)
    np.maximum(best, (f - tgt) ** 2, out=best)
    return best.reshape(shape).max(axis=3)
