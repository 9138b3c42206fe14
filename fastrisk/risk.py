"""Closed forms for linear predictors: dual norms, the exact inner maximum, Gaussian adversarial risk.

Conventions (fixed across the package):

- attack ball ``||delta||_p <= eps`` with ``p`` in [1, inf]; the dual exponent ``q`` (1/p + 1/q = 1)
  is derived, never asked for;
- standard (excess) risk ``R(theta) = ||theta - theta_star||_Sigma^2``;
- adversarial risk, ``target=``:
  ``"clean"``: ``E_x max_delta ((x + delta)^T theta - x^T theta_star)^2`` (Hao & Zhang's robust ground truth);
  ``"noisy"``: ``E_{x,y} max_delta (y - (x + delta)^T theta)^2`` (Javanmard et al.; Ribeiro & Schon);
  ``"consistent"`` (l2 only): ``delta`` restricted to the orthogonal complement of theta_star
  (Donhauser et al.).

For Gaussian x and ``a = sqrt(R)`` (clean, consistent) or ``sqrt(R + sigma^2)`` (noisy), ``b`` the
relevant dual norm of theta: ``R_eps = a^2 + 2 sqrt(2/pi) eps a b + eps^2 b^2``.
"""

from __future__ import annotations

import math
from numbers import Real

import numpy as np

from . import _alloc
from ._validation import (
    as_float_array,
    check_eps,
    check_noise,
    check_norm,
    check_q,
    check_target,
    dual_exponent,
)
from .kernels import adversarial_closed_form, adversarial_closed_form_targets
from .kernels._threads import threads_for

__all__ = [
    "SQRT_2_OVER_PI",
    "dual_exponent",
    "lq_norm",
    "optimal_perturbation",
    "gaussian_adversarial_risk",
    "ground_truth_adversarial_risk",
    "distribution_free_bounds",
]

#: ``E|Z|`` for ``Z ~ N(0, 1)``.
SQRT_2_OVER_PI = math.sqrt(2.0 / math.pi)
#: Entries per chunk of :func:`lq_norm` on long vectors.
_NORM_CHUNK = 1 << 20


def lq_norm(theta, q: float) -> float:
    """``||theta||_q`` for q in [1, inf] (q = inf is the max-abs norm), for entries of any
    representable size: computed on ``theta / max|theta|`` (an exact power-of-2 scaling), so neither
    ``|theta|**q`` overflowing (1e200) nor underflowing (1e-200) changes the answer.

    Parameters
    ----------
    theta : array_like (p,)
        The vector, finite.
    q : float
        The norm's exponent in [1, inf] (``numpy.inf`` or ``"inf"`` for the max-abs norm).

    Returns
    -------
    float
        ``||theta||_q``.

    Examples
    --------
    >>> import numpy as np
    >>> from fastrisk.risk import lq_norm
    >>> lq_norm([3.0, -4.0], 2), lq_norm([3.0, -4.0], 1), lq_norm([3.0, -4.0], np.inf)
    (5.0, 7.0, 4.0)
    >>> round(lq_norm([3e200, 4e200], 2) / 1e200, 12)  # no overflow
    5.0
    """
    q = check_q(q)
    theta = as_float_array(theta, "theta", ndim=1, dtype=np.float64)
    m = max(abs(float(theta.max())), abs(float(theta.min()))) if theta.size else 0.0
    if m == 0.0:
        return 0.0
    if math.isinf(q):
        return m
    scale = math.ldexp(1.0, math.frexp(m)[1])  # power of 2 just above max|theta|
    if theta.size <= _NORM_CHUNK:
        return float(np.linalg.norm(theta / scale, ord=q)) * scale
    # long vectors (a dense theta* at p = 10^7): chunk by chunk, no temporary of length p
    acc = 0.0
    for i in range(0, theta.size, _NORM_CHUNK):
        x = theta[i:i + _NORM_CHUNK] / scale
        if q == 1.0:
            acc += float(np.abs(x).sum())
        elif q == 2.0:
            acc += float(x @ x)
        else:
            acc += float(np.sum(np.abs(x) ** q))
    return (acc if q == 1.0 else acc ** (1.0 / q)) * scale


def optimal_perturbation(theta, eps: float, norm: float = 2, sign: float = 1.0) -> np.ndarray:
    """A maximiser ``delta*`` of ``sign * delta^T theta`` over ``||delta||_p <= eps``.

    ``delta* = eps * sign * u`` with ``||u||_p = 1`` and ``u^T theta = ||theta||_q`` (Hoelder equality):
    ``p = 2``: ``theta / ||theta||_2``; ``p = inf``: ``sign(theta)``; ``p = 1``: a signed basis vector at
    ``argmax |theta_j|``; otherwise ``u_i ∝ sign(theta_i) |theta_i|**(q - 1)``. For a residual
    ``r``, ``sign = sign(r)`` makes ``(r + delta^T theta)**2 = (|r| + eps ||theta||_q)**2``.

    Parameters
    ----------
    theta : array_like (p,)
        The coefficients being attacked.
    eps : float
        The radius, >= 0 (absolute, the units of x).
    norm : float, default 2
        The attack norm p in [1, inf].
    sign : float, default 1.0
        Only its sign is used (0 counts as +): the perturbation increases ``sign * delta^T theta``.

    Returns
    -------
    numpy.ndarray (p,)
        ``delta*``, with ``||delta*||_p = eps`` (0 when theta is 0).

    Examples
    --------
    >>> import numpy as np
    >>> from fastrisk.risk import optimal_perturbation
    >>> optimal_perturbation([3.0, -4.0], 0.5)
    array([ 0.3, -0.4])
    >>> optimal_perturbation([3.0, -4.0], 0.5, norm=np.inf, sign=-1)
    array([-0.5,  0.5])
    """
    p, q = check_norm(norm)
    eps_arr = check_eps(eps)
    if eps_arr.size != 1:
        raise ValueError("eps must be a single radius here")
    theta = as_float_array(theta, "theta", ndim=1, dtype=np.float64)
    if isinstance(sign, bool) or not isinstance(sign, Real):
        raise TypeError(f"sign must be a finite real number (its sign is used; 0 counts as +), got {sign!r}")
    if not math.isfinite(sign):
        raise ValueError(f"sign must be a finite real number (its sign is used; 0 counts as +), got {sign!r}")
    sgn = 1.0 if sign >= 0 else -1.0
    u = np.zeros_like(theta)
    if not np.any(theta):
        return u
    if p == 1.0:
        j = int(np.argmax(np.abs(theta)))
        u[j] = np.sign(theta[j])
    elif math.isinf(p):
        u = np.sign(theta)
    elif p == 2.0:
        u = theta / np.linalg.norm(theta)
    else:
        a = np.abs(theta) / np.abs(theta).max()
        u = np.sign(theta) * a ** (q - 1.0)
        u /= np.linalg.norm(u, ord=p)
    return float(eps_arr[0]) * sgn * u


def gaussian_adversarial_risk(standard_risk, coef_norm, eps, target: str = "clean",
                              noise: float = 0.0) -> np.ndarray:
    """Closed-form adversarial risk for Gaussian x, shape (L, E).

    Parameters
    ----------
    standard_risk : array_like (L,)
        ``R = ||theta - theta_star||_Sigma^2`` per estimator (>= 0).
    coef_norm : array_like (L,)
        ``b``: the dual norm ``||theta||_q`` of each estimator (for ``"consistent"``, the l2 norm of
        theta projected off theta_star).
    eps : array_like (E,)
        Attack radii (>= 0), absolute (the same units as x).
    target : {"clean", "noisy", "consistent"}
    noise : float
        Label-noise standard deviation sigma (used by ``"noisy"``).

    Returns
    -------
    numpy.ndarray (L, E)
        ``a^2 + 2 sqrt(2/pi) eps a b + eps^2 b^2`` per estimator and radius, with ``a^2 = R`` (clean,
        consistent) or ``R + noise^2`` (noisy).

    Examples
    --------
    >>> from fastrisk.risk import gaussian_adversarial_risk
    >>> gaussian_adversarial_risk([0.0, 1.0], [1.0, 2.0], eps=[0.0, 0.5]).round(4)
    array([[0.    , 0.25  ],
           [1.    , 3.5958]])
    """
    R = as_float_array(standard_risk, "standard_risk", dtype=np.float64)
    b = as_float_array(coef_norm, "coef_norm", dtype=np.float64)
    R = np.atleast_1d(R)
    b = np.atleast_1d(b)
    if R.ndim != 1 or R.shape != b.shape:
        raise ValueError(f"standard_risk and coef_norm must be 1-D of one length, got {R.shape}, {b.shape}")
    if np.any(R < 0) or np.any(b < 0):
        raise ValueError("standard_risk and coef_norm must be >= 0")
    eps = check_eps(eps)
    if not isinstance(target, str) or target not in ("clean", "noisy", "consistent"):
        raise ValueError(f"target must be one of ('clean', 'noisy', 'consistent'), got {target!r}")
    noise = check_noise(noise)
    return _closed_form(R, b, eps, target, noise)


def _closed_form(R, b, eps, target, noise):
    # Kernel call on validated float64 arrays.
    m2 = R + noise**2 if target == "noisy" else R
    return moments_risk(m2, SQRT_2_OVER_PI * np.sqrt(m2), b, eps)


def moments_risk(m2, m1, b, eps) -> np.ndarray:
    """``E (|r| + eps b)^2 = m2 + 2 eps b m1 + eps^2 b^2`` from residual moments ``m2 = E r^2``,
    ``m1 = E |r|`` (L,), dual norms ``b`` (L,) and radii ``eps`` (E,): shape (L, E). No validation."""
    m2 = np.ascontiguousarray(m2, dtype=np.float64)
    out = np.empty((m2.shape[0], eps.shape[0]))
    with threads_for(out.size):
        adversarial_closed_form(m2, np.ascontiguousarray(m1, dtype=np.float64),
                                np.ascontiguousarray(b, dtype=np.float64), eps, out)
    return out


def _closed_form_targets(R, b, eps, target, noise):
    """:func:`_closed_form` for k targets: R, b (L, k), noise (k,) per target; shape (L, E, k)."""
    m2 = R + noise[None, :] ** 2 if target == "noisy" else R
    return moments_risk_targets(m2, SQRT_2_OVER_PI * np.sqrt(m2), b, eps)


def moments_risk_targets(m2, m1, b, eps) -> np.ndarray:
    """:func:`moments_risk` for k targets: m2, m1, b (L, k), eps (E,); shape (L, E, k). No validation."""
    m2 = np.ascontiguousarray(m2, dtype=np.float64)
    out = _alloc.empty((m2.shape[0], eps.shape[0], m2.shape[1]))  # (L, E, k): often tens of MiB
    with threads_for(out.size):
        adversarial_closed_form_targets(m2, np.ascontiguousarray(m1, dtype=np.float64),
                                        np.ascontiguousarray(b, dtype=np.float64), eps, out)
    return out


def ground_truth_adversarial_risk(theta_star, eps, norm: float = 2, target: str = "clean",
                                  noise: float = 0.0) -> np.ndarray:
    """Adversarial risk of theta_star itself, shape (E,).

    clean: ``eps^2 ||theta*||_q^2``; noisy (Gaussian): ``sigma^2 + 2 sqrt(2/pi) eps sigma ||theta*||_q
    + eps^2 ||theta*||_q^2``; consistent: 0 (perturbations orthogonal to theta* cannot move it).

    Parameters
    ----------
    theta_star : array_like (p,)
        The ground truth.
    eps : array_like (E,)
        Attack radii, >= 0 (absolute).
    norm : float, default 2
        The attack norm p in [1, inf]; the risk sees ``||theta*||_q``, q its dual exponent.
    target : {"clean", "noisy", "consistent"}, default "clean"
        The adversarial target (``"consistent"``: l2 attacks only).
    noise : float, default 0.0
        Label-noise standard deviation sigma (used by ``"noisy"``).

    Returns
    -------
    numpy.ndarray (E,)
        The adversarial risk of theta* at each radius.

    Examples
    --------
    >>> import numpy as np
    >>> from fastrisk.risk import ground_truth_adversarial_risk
    >>> ground_truth_adversarial_risk([1.0, 0.0, 0.0], eps=[0.1, 0.2])
    array([0.01, 0.04])
    >>> ground_truth_adversarial_risk(np.ones(4) / 2, eps=[0.1], norm=np.inf)  # ||theta*||_1 = 2
    array([0.04])
    """
    p, q = check_norm(norm)
    target = check_target(target, p)
    noise = check_noise(noise)
    eps = check_eps(eps)
    ts = as_float_array(theta_star, "theta_star", ndim=1, dtype=np.float64)
    if ts.size == 0:
        raise ValueError("theta_star is empty: give the ground-truth coefficients, shape (p,) with p >= 1")
    b = 0.0 if target == "consistent" else lq_norm(ts, q)
    return _closed_form(np.zeros(1), np.array([b]), eps, target, noise)[0]


def distribution_free_bounds(S, b, eps) -> tuple[np.ndarray, np.ndarray]:
    """Bounds valid for any distribution: ``S + eps^2 b^2 <= R_eps <= (sqrt(S) + eps b)^2``.

    ``S`` is the standard risk (clean) or the total risk ``R + sigma^2`` (noisy), ``b = ||theta||_q``.
    Returns (lower, upper), each (L, E).

    Parameters
    ----------
    S : array_like (L,)
        The standard risk (clean target) or the total risk ``R + sigma^2`` (noisy), >= 0.
    b : array_like (L,)
        The dual norm ``||theta||_q`` of each estimator, >= 0.
    eps : array_like (E,)
        Attack radii, >= 0.

    Returns
    -------
    lower, upper : numpy.ndarray (L, E)
        ``S + eps^2 b^2`` and ``(sqrt(S) + eps b)^2``.

    Examples
    --------
    >>> from fastrisk.risk import distribution_free_bounds
    >>> lo, hi = distribution_free_bounds([1.0], [2.0], [0.5])
    >>> float(lo[0, 0]), float(hi[0, 0])
    (2.0, 4.0)
    """
    S = np.atleast_1d(as_float_array(S, "S", dtype=np.float64))
    b = np.atleast_1d(as_float_array(b, "b", dtype=np.float64))
    if S.ndim != 1 or S.shape != b.shape:
        raise ValueError(f"S and b must be 1-D of one length, got shapes {S.shape} and {b.shape}")
    if np.any(S < 0):
        raise ValueError(f"S must be >= 0 (a risk), got min {float(S.min())!r}")
    if np.any(b < 0):
        raise ValueError(f"b must be >= 0 (a dual norm), got min {float(b.min())!r}")
    eps = check_eps(eps)
    eb = eps[None, :] * b[:, None]
    return S[:, None] + eb**2, (np.sqrt(S)[:, None] + eb) ** 2


