"""Deterministic equivalents of ridge regression on a diagonal covariance, for a whole penalty path.

Conventions
-----------
- Public penalty ``lam``: the *unnormalised* ridge of ``||y - X theta||^2 + lam ||theta||^2``
  (fastrisk's convention). Internally the normalised penalty ``l = lam / n`` of
  ``(1/n)||y - X theta||^2 + l ||theta||^2`` is used.
- ``spectrum``: the diagonal of Sigma, in the same coordinates as ``theta_star`` (never re-sorted
  against it). Zero eigenvalues are allowed: their coordinates carry no risk and the estimator is 0
  there.
- ``noise``: the label-noise standard deviation sigma (not the variance).

The effective regularisation kappa solves (Cheng & Montanari 2022; Bach 2024; docs/math.md section 6)::

    kappa - l = (kappa / n) df_1(kappa),   df_1(kappa) = sum_i lam_i / (lam_i + kappa),

on the branch where ``df_2(kappa) = sum_i lam_i^2 / (lam_i + kappa)^2 < n``; there
``l(kappa) = kappa (1 - df_1(kappa) / n)`` is explicit and strictly increasing (its derivative is
``1 - df_2 / n``), so kappa is the unique monotone root. Then, with ``d = df_2 / n``
(docs/math.md sections 6-7)::

    bias  = kappa^2 sum theta*_i^2 lam_i / (lam_i + kappa)^2 / (1 - d)
    var   = sigma^2 d / (1 - d),  risk = bias + var,  tau^2 = sigma^2 + risk
    E||theta||_2^2 = sum theta*_i^2 lam_i^2 / (lam_i + kappa)^2 + tau^2 / n sum lam_i / (lam_i + kappa)^2

and the Gaussian sequence model ``theta_i ~ N(lam_i theta*_i / (lam_i + kappa),
tau^2 lam_i / (n (lam_i + kappa)^2))`` gives E||theta||_1 (folded-normal means) and E||theta||_inf.

Speed: every quantity is a function of kappa alone (and ``l(kappa)`` is explicit). The seven spectral
sums behind them (``df_1``, ``df_2``, ``sum lam/(lam+kappa)^2``, ``sum sqrt(lam)/(lam+kappa)`` over the
spectrum; three signal sums over the coordinates with ``theta*_i != 0``) are smooth in
``u = log(kappa - s0)`` (``s0 = 0`` for positive kappa, else between ``-min lam`` and the smallest kappa;
their poles sit at ``Im u = pi``). They are evaluated once at Chebyshev points in u, one Numba pass over
the spectrum per point, interpolated in log scale (checked against exact sums between the nodes to
1e-12, the degree raised until it passes), and every penalty of the path is solved on the interpolant
(bisection on ``l(kappa)``): the cost is O(p * nodes + L * nodes) instead of O(p * L * iterations).
Equal eigenvalues are merged first (spiked, two_level, isotropic collapse to a handful of terms); an
already strictly monotone spectrum (every preset) is used without a copy.
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass
from typing import Any

import numpy as np

from .._validation import (
    check_eps,
    check_lam,
    check_noise,
    check_norm,
    check_positive_int,
    check_spectrum,
    check_target,
    check_vector,
)
from ..risk import _closed_form
from . import _compact, _scale
from ._seqnorms import LINF_ANCHORS as LINF_ANCHORS  # the tuning constants, importable from here as before
from ._seqnorms import LINF_MAX_BINS as LINF_MAX_BINS
from ._seqnorms import _sequence_norms
from ._seqnorms import expected_max_sequence as expected_max_sequence
from ._solver import INTERP_RTOL as INTERP_RTOL
from ._solver import MAX_DEGREE as MAX_DEGREE
from ._solver import SUM_BLOCK as SUM_BLOCK
from ._solver import _Atoms as _Atoms
from ._solver import _compose, _solve
from ._solver import _LogChebyshev as _LogChebyshev

__all__ = ["RidgeEquivalent", "ridge_equivalent", "adversarial_equivalent", "effective_regularization"]

ArrayLike = Any

#: Largest normalised penalty ``lam / n`` accepted (spectral sums ~ 1/kappa^2 stay representable).
MAX_NORMALISED_LAM = 1e100


@dataclass(frozen=True)
class RidgeEquivalent:
    """Deterministic equivalent of a ridge path; every array field has the shape (L,) of ``lam``.

    Attributes
    ----------
    lam : unnormalised penalties (``||y - X theta||^2 + lam ||theta||^2``).
    kappa : effective regularisation, in the units of the eigenvalues (normalised scale).
    bias, variance, risk : excess (standard) risk ``||theta - theta*||_Sigma^2`` and its two parts.
    norm2_sq : predicted ``E ||theta||_2^2``.
    norm1, norm_inf : sequence-model predictions of ``E ||theta||_1`` and ``E ||theta||_inf`` (NaN if
        ``sequence_norms=False``). norm_inf is exact at up to ``LINF_ANCHORS`` penalties and
        interpolated (monotone cubic in log kappa) between them when the path is longer: relative
        accuracy about 1e-3 on long decaying spectra, better on few-valued ones (the sequence model
        itself is an approximation of a coarser order).
    inner : predicted ``E theta^T theta*``.
    inner_sq : predicted ``E (theta^T theta*)^2`` (for the "consistent" attack).
    df2 : ``df_2(kappa) / n`` (the ``d`` above; 1 at the interpolation threshold).
    lam_min : float, unnormalised penalty below which the self-consistent equation has no solution on
        the monotone branch (``n * kappa_c (1 - df_1(kappa_c)/n)`` with ``df_2(kappa_c) = n``); NaN when
        it was not needed (no negative penalty asked for and p != n).
    n : int, sample size.
    noise : float, sigma.

    At ``lam == lam_min`` (in practice: ``lam = 0`` with exactly ``n`` positive eigenvalues, the
    interpolation threshold p = n) the variance, risk and norms are ``inf`` (if sigma > 0 or the bias
    numerator is > 0), kappa is ``kappa_c`` and bias is 0 when ``kappa_c = 0``.
    """

    lam: np.ndarray
    kappa: np.ndarray
    bias: np.ndarray
    variance: np.ndarray
    risk: np.ndarray
    norm2_sq: np.ndarray
    norm1: np.ndarray
    norm_inf: np.ndarray
    inner: np.ndarray
    inner_sq: np.ndarray
    df2: np.ndarray
    lam_min: float
    n: int
    noise: float

    @property
    def tau2(self) -> np.ndarray:
        """``sigma^2 + risk``: the total prediction error, the noise level of the sequence model."""
        return self.noise**2 + self.risk



def _validate(spectrum, theta_star, noise, n, lam, theta_tail_norm=None):
    if _compact.is_compact(spectrum):  # a FlatTail: theta* = (theta on the leading coordinates, t)
        s, ts = _compact.validate(spectrum, theta_star, theta_tail_norm)
    elif theta_tail_norm is not None:
        raise TypeError("theta_tail_norm is only for a compact spectrum (spectra.FlatTail); with a "
                        "length-p spectrum give theta_star whole")
    else:
        s = check_spectrum(spectrum)
        ts = check_vector(theta_star, s.size, "theta_star")
    sigma = check_noise(noise)
    n = check_positive_int(n, "n")
    lam = check_lam(lam)
    return s, ts, sigma, n, lam


def ridge_equivalent(spectrum: ArrayLike, theta_star: ArrayLike, noise: float, n: int, lam: ArrayLike,
                     *, sequence_norms: bool | str = True,
                     theta_tail_norm: float | None = None) -> RidgeEquivalent:
    """Deterministic equivalent of the ridge path on a diagonal covariance (docs/math.md section 6).

    Parameters
    ----------
    spectrum : array_like (p,)
        Diagonal of Sigma (eigenvalues >= 0) in the coordinates of ``theta_star``.
    theta_star : array_like (p,)
        Ground-truth coefficients.
    noise : float
        Label-noise standard deviation sigma (>= 0).
    n : int
        Sample size (>= 1).
    lam : float or array_like (L,)
        Unnormalised penalties of ``||y - X theta||^2 + lam ||theta||^2`` (normalised internally to
        ``lam / n``). ``0`` is the min-norm interpolator (p > n: ``df_1(kappa_0) = n``; p < n: least
        squares, ``kappa = 0``, variance ``sigma^2 p / (n - p)``). Negative values are accepted down to
        ``lam_min`` (see :class:`RidgeEquivalent`); below it a ``ValueError`` is raised.
    sequence_norms : bool or {"norm1", "norm_inf"}, default True
        Compute ``norm1`` and ``norm_inf`` from the Gaussian sequence model (True), only one of them
        (its name; the other field is then NaN), or neither (False: both NaN). Their cost grows with the
        number of distinct (eigenvalue, ``|theta*_i|``) pairs of the signal (O(pairs * L)): small for a
        dense ground truth on a flat tail (merged), up to nnz for one without repeated values.
    theta_tail_norm : float, optional
        With a compact ``spectrum`` (:class:`fastrisk.spectra.FlatTail`: leading eigenvalues, a tail
        value and p; no array of length p), ``theta_star`` holds theta* on the leading coordinates and
        this the l2 norm of its part on the tail (default 0). The l2 quantities are exact for any tail
        part; ``norm1``/``norm_inf`` depend on how it is spread and are NaN when it is not 0.

    Returns
    -------
    RidgeEquivalent
        Arrays over ``lam``. Near the interpolation threshold (p close to n, ``lam`` near ``lam_min``)
        ``1 - df_2/n`` tends to 0 and the variance, risk and norms blow up; at the threshold itself
        they are ``inf``.

    Notes
    -----
    Cost: one Numba pass over the (merged) spectrum per Chebyshev node (typically 30-150 nodes,
    whatever the number of penalties), plus O(L * nodes) for the path. Accuracy: equal to a
    per-penalty ``brentq`` solve of the self-consistent equation to about 1e-12 relative, except near
    the threshold, where both lose digits as ``1 - df_2/n`` cancels.

    Examples
    --------
    >>> import numpy as np
    >>> from fastrisk import spectra, theory
    >>> s = spectra.spiked(2000, 5, tail=0.01)
    >>> eq = theory.ridge_equivalent(s, np.eye(2000)[0], 1.0, 200, lam=[0.0, 20.0, 200.0])
    >>> eq.risk.round(4), eq.norm2_sq.round(3)
    (array([0.1401, 0.0706, 0.2854]), array([11.775,  3.156,  0.333]))
    """
    if sequence_norms not in (True, False, "norm1", "norm_inf"):
        raise ValueError(f"sequence_norms must be True, False, 'norm1' or 'norm_inf', got {sequence_norms!r}")
    s, ts, sigma, n, lam = _validate(spectrum, theta_star, noise, n, lam, theta_tail_norm)
    compact = _compact.is_compact(s)
    if not np.any((_compact.short(s) if compact else s) > 0):
        raise ValueError("spectrum has no positive eigenvalue: the risk is identically 0")
    if compact and s.n_tail and ts[-1] > 0:
        sequence_norms = False  # the l1 / l_inf norms need the tail part's spread, not only its norm
    # work in units where max(spectrum) ~ 1 and max(|theta*|, sigma / sqrt(s_max)) ~ 1 (exact powers of
    # two), so that any representable scale gives the digits of an ordinary one (see _scale.py)
    es = _compact.exponent(s) if compact else _scale.spectrum_exponent(s)
    eb = _scale.signal_exponent(ts, sigma, es)
    # theta* enters only through its merged atoms: at a moderate scale they are rescaled instead of a
    # copy of theta* (the same numbers: scaling by a power of two is exact)
    defer = abs(eb) <= 64
    unit, one_md = _ridge_equivalent_unit(_compact.scaled(s, -es) if compact else _scale.ldexp(s, -es),
                                          ts if defer else _scale.ldexp(ts, -eb),
                                          _scale.ldexp(sigma, -eb - es // 2), n, lam, _scale.ldexp(lam, -es),
                                          sequence_norms, theta_exp=-eb if defer else 0)
    sc = {"kappa": es, "bias": es + 2 * eb, "risk": es + 2 * eb, "norm2_sq": 2 * eb, "norm1": eb,
          "norm_inf": eb, "inner": 2 * eb, "inner_sq": 4 * eb}
    out = {k: _scale.ldexp(getattr(unit, k), e) for k, e in sc.items()}
    # the variance is scale-free (sigma^2 d / (1 - d)): from sigma itself, not from the scaled sigma,
    # which may have underflowed beside a much larger theta*
    with np.errstate(invalid="ignore", over="ignore", divide="ignore"):
        var = np.where(one_md > 0, sigma * sigma * (unit.df2 / one_md),
                       np.where(sigma > 0, np.inf, unit.variance))  # one_md = 0: the threshold
        out["variance"] = var
        out["risk"] = np.where(np.isfinite(unit.risk), out["bias"] + var, unit.risk)
    over = [k for k, v in out.items() if np.any(np.isinf(v) & np.isfinite(getattr(unit, k)))]
    if over and set(over) <= {"inner", "inner_sq"}:
        what = {"inner": "inner (E theta^T theta*)", "inner_sq": "inner_sq (E (theta^T theta*)^2)"}
        warnings.warn(f"ridge_equivalent: {' and '.join(what[k] for k in over)} exceeds the float64 range "
                      f"at this scale and is inf; the risks and norms are exact",
                      RuntimeWarning, stacklevel=2)
    for k in over:
        if k not in ("inner", "inner_sq"):
            raise ValueError(f"theta_star, noise and spectrum: the predicted {k} exceeds the float64 range "
                             f"at this scale (bias and variance scale as theta_star^2 and noise^2 times "
                             f"the spectrum's scale, norms as theta_star and noise); rescale them")
    lam_min = _scale.ldexp(unit.lam_min, es) if math.isfinite(unit.lam_min) else unit.lam_min
    return RidgeEquivalent(lam=lam, kappa=out["kappa"], bias=out["bias"], variance=out["variance"],
                           risk=out["risk"], norm2_sq=out["norm2_sq"], norm1=out["norm1"],
                           norm_inf=out["norm_inf"], inner=out["inner"], inner_sq=out["inner_sq"],
                           df2=unit.df2, lam_min=float(lam_min), n=n, noise=sigma)


def _ridge_equivalent_unit(s, ts, sigma, n, lam, ell_lam, sequence_norms, theta_exp=0):
    """:func:`ridge_equivalent` on validated arguments already in unit scale (``ell_lam = lam`` in the
    spectrum's units; ``lam`` is only stored). Returns the equivalent and ``1 - df_2/n`` (0 at the
    threshold). ``theta_exp``: ``ts`` is unscaled, its atoms are scaled by ``2^theta_exp``."""
    at = (_compact.atoms(_Atoms, s, ts, n, theta_exp) if _compact.is_compact(s)
          else _Atoms(s, ts, n, theta_exp))
    ell = ell_lam / n
    if np.any(ell > MAX_NORMALISED_LAM):
        raise ValueError(f"lam must be <= {MAX_NORMALISED_LAM:g} * n * max(spectrum) (the sums underflow "
                         f"beyond; the estimator is 0 to double precision long before), got max "
                         f"{float(lam.max())!r}")
    sigma2 = sigma * sigma
    need_kc = bool(np.any(ell < 0))
    kappa, S, singular, ell_min, pieces = _solve(at, ell, sigma2, need_kc)
    d, one_md, bnum, bias, var, tau2 = _compose(kappa, ell, S, n, sigma2, at.p_plus)
    if np.any(singular):
        blow = singular & ((sigma2 > 0) | (bnum > 0))
        bias = np.where(singular & (bnum == 0), 0.0, np.where(blow, np.inf, bias))
        var = np.where(blow, np.inf, np.where(singular, 0.0, var))
        tau2 = np.where(blow, np.inf, np.where(singular, 0.0, tau2))
    risk = bias + var
    with np.errstate(invalid="ignore"):
        norm2_sq = S[:, 3] + tau2 * S[:, 4] / n
        inner_sq = S[:, 6] ** 2 + tau2 * S[:, 2] / n
    norm1 = np.full(lam.size, np.nan)
    norm_inf = np.full(lam.size, np.nan)
    if sequence_norms:
        which = ("norm1", "norm_inf") if sequence_norms is True else (sequence_norms,)
        norm1, norm_inf = _sequence_norms(at, kappa, tau2, S, pieces, sigma2, which)
    eq = RidgeEquivalent(lam=lam, kappa=kappa, bias=bias, variance=var, risk=risk, norm2_sq=norm2_sq,
                         norm1=norm1, norm_inf=norm_inf, inner=S[:, 6].copy(), inner_sq=inner_sq,
                         df2=d, lam_min=float(n * ell_min), n=n, noise=sigma)
    return eq, np.where(singular, 0.0, one_md)



def effective_regularization(spectrum: ArrayLike, n: int, lam: ArrayLike) -> np.ndarray:
    """kappa(lam) for unnormalised penalties ``lam`` (see :func:`ridge_equivalent`), shape (L,).

    Parameters
    ----------
    spectrum : array_like (p,)
        Diagonal of Sigma (eigenvalues >= 0).
    n : int
        Sample size (>= 1).
    lam : float or array_like (L,)
        Unnormalised penalties (``lam / n`` is the normalised one); 0 is the min-norm interpolator.

    Returns
    -------
    numpy.ndarray (L,)
        The effective regularisation kappa of each penalty (docs/math.md section 6).

    Examples
    --------
    >>> from fastrisk import spectra, theory
    >>> theory.effective_regularization(spectra.isotropic(400), 100, [0.0, 100.0]).round(4)
    array([3.    , 4.2361])
    """
    if _compact.is_compact(spectrum):
        return ridge_equivalent(spectrum, np.zeros(spectrum.m), 0.0, n, lam, sequence_norms=False).kappa
    s = check_spectrum(spectrum)
    return ridge_equivalent(s, np.zeros(s.size), 0.0, n, lam, sequence_norms=False).kappa


# --------------------------------------------------------------------------------- adversarial
def adversarial_equivalent(spectrum: ArrayLike, theta_star: ArrayLike, noise: float, n: int,
                           lam: ArrayLike, eps: ArrayLike, norm: float = 2, target: str = "clean",
                           *, equivalent: RidgeEquivalent | None = None,
                           theta_tail_norm: float | None = None) -> np.ndarray:
    """Predicted adversarial risk of the ridge path, shape (L, E) (docs/math.md sections 2, 6, 7).

    The deterministic equivalent of :func:`ridge_equivalent` plugged into the Gaussian closed form
    ``R_eps = a^2 + 2 sqrt(2/pi) eps a b + eps^2 b^2`` with ``a^2 = risk`` (``target="clean"``) or
    ``risk + sigma^2`` (``"noisy"``) and ``b`` the predicted dual norm ``||theta||_q``:
    ``sqrt(E||theta||_2^2)`` (l2 attack), ``E||theta||_1`` (l_inf attack), ``E||theta||_inf`` (l1
    attack). ``"consistent"`` (l2 only) uses ``b^2 = E||theta||^2 - E(theta^T theta*)^2 / ||theta*||^2``.

    Parameters
    ----------
    spectrum, theta_star, noise, n, lam : array_like, array_like, float, int, array_like
        As in :func:`ridge_equivalent` (lam unnormalised).
    eps : float or array_like (E,)
        Attack radii of the ball ``||delta||_p <= eps`` (absolute, units of x).
    norm : {1, 2, inf}
        Attack norm p; the dual exponent q is derived. Other p are not supported by the sequence model
        here (ValueError).
    target : {"clean", "noisy", "consistent"}
    equivalent : RidgeEquivalent, optional
        Reuse a computed equivalent (must come from the same arguments; ``lam``, ``n`` and ``noise`` are
        checked, and l1 / l_inf attacks need it computed with ``sequence_norms=True``).
    theta_tail_norm : float, optional
        With a compact spectrum (see :func:`ridge_equivalent`): the l2 norm of theta*'s tail part.
        l1 / l_inf attacks are refused when it is not 0 (their dual norms depend on its spread).

    Returns
    -------
    numpy.ndarray (L, E)
        The predicted adversarial risk per penalty and radius.

    Examples
    --------
    >>> import numpy as np
    >>> from fastrisk import spectra, theory
    >>> s = spectra.spiked(2000, 5, tail=0.01)
    >>> ts = np.eye(2000)[0]
    >>> theory.adversarial_equivalent(s, ts, 1.0, 200, lam=[0.0, 20.0], eps=[0.0, 0.1]).round(4)
    array([[0.1401, 0.4629],
           [0.0706, 0.1775]])
    """
    p, q = check_norm(norm)
    target = check_target(target, p)
    eps = check_eps(eps)
    if p not in (1.0, 2.0, math.inf):
        raise ValueError(f"norm must be 1, 2 or inf for the deterministic equivalent, got {norm!r}")
    s, ts, sigma, n, lam = _validate(spectrum, theta_star, noise, n, lam, theta_tail_norm)
    compact = _compact.is_compact(s)
    if compact and p != 2.0 and s.n_tail and ts[-1] > 0:
        raise ValueError(f"norm={norm!r}: the l1 / l_inf equivalents of a compact spectrum depend on how "
                         "theta*'s tail part (theta_tail_norm > 0) is spread over the tail; give theta_star "
                         "as a length-p array")
    eq = equivalent
    if eq is None:
        seq = False if p == 2.0 else ("norm1" if q == 1.0 else "norm_inf")
        if compact:
            ts_lead, t = (ts[:-1], float(ts[-1])) if s.n_tail else (ts, None)
            eq = ridge_equivalent(s, ts_lead, sigma, n, lam, sequence_norms=seq, theta_tail_norm=t)
        else:
            eq = ridge_equivalent(s, ts, sigma, n, lam, sequence_norms=seq)
    elif not isinstance(eq, RidgeEquivalent):
        raise TypeError(f"equivalent must be a RidgeEquivalent, got {type(eq).__name__}")
    elif not np.array_equal(eq.lam, lam) or eq.n != n or eq.noise != sigma:
        raise ValueError("equivalent does not match lam / n / noise (it must come from the same arguments)")
    if q == 2.0:
        b2 = eq.norm2_sq
        if target == "consistent":
            tt = float(ts @ ts)
            if tt > 0:
                b2 = b2 - eq.inner_sq / tt
        b = np.sqrt(np.maximum(b2, 0.0))
    elif q == 1.0:
        b = eq.norm1
    else:
        b = eq.norm_inf
    if q != 2.0 and np.all(np.isnan(b)):
        raise ValueError(f"equivalent was computed with sequence_norms=False: norm={norm!r} needs its "
                         f"{'norm1' if q == 1.0 else 'norm_inf'}")
    R = eq.risk
    out = np.empty((R.size, eps.size))
    fin = np.isfinite(R) & np.isfinite(b)
    if np.any(fin):
        out[fin] = _closed_form(np.ascontiguousarray(R[fin]), np.ascontiguousarray(b[fin]), eps, target,
                                sigma)
    out[~fin] = np.inf
    return out
