"""The Wishart route (``RidgePath.from_design(..., tail="wishart")``): a flat-tail design simulated
through the law of its tail's Gram, at a cost that does not grow with p.

The design: ``Sigma = diag(sigma_S)`` on a few coordinates S plus ``c0 I`` on the p_T others (the
tail), theta* equal to ``theta_S`` on S plus a tail part ``theta_T`` of norm t. The tail rows are
``x_T = sqrt(c0) z`` with ``z ~ N(0, I)``, whose law is invariant under rotations of the tail; with
``u = theta_T / t`` and any orthonormal completion ``Q = [u, Q_0]``::

    X_T X_T^T = c0 (g g^T + Z_0 Z_0^T),     X_T theta_T = sqrt(c0) t g,

with ``g = Z_T u ~ N(0, I_n)`` and ``Z_0 Z_0^T ~ Wishart(p_T - 1, I_n)`` independent. Every l2 quantity of
a ridge path (the Gram ``X X^T``, ``X theta*``, ``X Sigma theta*``, the columns S, hence the path, its
standard risk, ``||theta||_2``, ``theta^T theta*`` and the l2 adversarial risks for the clean, noisy
and consistent targets) is a function of ``(X_S, g, Z_0 Z_0^T)``: drawing those three from their law
gives those quantities exactly in law (docs/math.md, section 4), in O(n^2) random numbers and O(n^3)
flops whatever p is. The tail of X itself never exists, so what needs it (coefficients, predictions,
l_q norms other than l2, attacks in other norms, a test sample and its empirical attack, the explicit
remainder pass) is refused with a one-line error naming ``tail="explicit"``.

The Wishart part comes from the Bartlett decomposition: for ``d >= n``, ``W = R R^T`` with R upper
triangular, ``R_ii^2 ~ chi^2(d - n + 1 + i)`` (i = 0..n-1) and ``R_ij ~ N(0, 1)`` above the
diagonal, all independent (the row/column reversal of the lower-triangular Bartlett factor, so
``R R^T`` is the reversal of a Wishart matrix, itself Wishart); LAPACK ``dlauum`` forms ``R R^T`` in
place (n^3 / 3 flops). For ``d < n`` the (singular) Wishart matrix is ``Z_0 Z_0^T`` with Z_0 drawn.

Random stream (``ss`` the SeedSequence of ``seed``; children by spawn key, as in
:class:`fastrisk.GaussianDesign`)::

    (0, c)    the columns S, drawn exactly as design.sample draws them (so X_S equals
              design.sample(n, seed)[0][:, S] bit for bit; a compact design's leading
              coordinates are those of design.expanded())
    (1,)      the label noise, as design.sample
    (4, 0)    g: n standard normals
    (4, 1)    the Bartlett diagonal: chi-square variates with d - n + 1 + i degrees of freedom, i = 0..n-1
    (4, 2)    the Bartlett off-diagonal: row i, columns i+1..n-1, for i = 0..n-1 in order
              (d < n: Z_0, (n, d), row by row)

with ``d = p_T - 1``. The tail part of theta* is carried along one direction: that of the design the
path was drawn from, or (when it has none) of the first design asked about that has one; a design
with another tail direction, or another covariance, is refused.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import scipy.linalg.blas as sblas
import scipy.linalg.lapack as slapack

from .. import config
from .._spectral import SpectralGram
from .._validation import check_lam, check_positive_int
from ..design import _as_design, _check_float_dtype, _child, as_seed_sequence
from ._build import _warn_ill_conditioned, check_gram_scale, setup
from ._features import Features, mode_structure
from ._norms import consistent_norm, ensure_norms
from ._passes import W
from ._routes import _colwise_sumsq
from ._truth import REMAINDER_RTOL, error_weights, remainder, truth_from

__all__ = ["TAIL_KEY", "TailFeatures", "build_from_design", "check_tail", "refuse", "standard_risk",
           "dual_norm", "wishart_gram", "estimate_bytes"]

#: First spawn key of the Wishart route's own random numbers (see the module docstring).
TAIL_KEY = 4
#: From this n on the Gram is formed in place by LAPACK (``dlauum`` on the Bartlett factor, ``dsyrk``
#: for the leading columns) and eigendecomposed by SciPy's :data:`EIGH_DRIVER` with ``overwrite_a``,
#: for memory: about 3 n^2 doubles at the peak, 2.4 GB at n = 10^4 (NumPy's ``eigh`` copies its input
#: and holds about 5 n^2, 4.2 GB). Below it NumPy does both (faster there: SciPy's and NumPy's
#: OpenBLAS pools spin against each other on small calls).
LAPACK_MIN_N = 2048
#: scipy.linalg.eigh driver from :data:`LAPACK_MIN_N` on. ``"evd"`` (divide and conquer, eigenvectors
#: written over the Gram, workspace 2 n^2): measured 0.80x the time of ``"evr"`` (MRRR, workspace about
#: n^2 beside the Gram) at n = 3000 on 2 busy cores (wall and CPU time alike), for one n^2 more memory.
EIGH_DRIVER = "evd"
#: A tail part of a later design counts as along the carried direction when its component off that
#: direction is below this fraction of its norm.
DIRECTION_RTOL = 1e-12


def check_tail(tail, design) -> str:
    """``tail`` of :meth:`RidgePath.from_design`: "explicit" or "wishart" (a compact design needs the
    latter)."""
    if tail not in ("explicit", "wishart"):
        raise ValueError(f"tail must be 'explicit' or 'wishart', got {tail!r}")
    if tail == "explicit" and getattr(design, "compact", None) is not None:
        raise TypeError(f"a compact design ({design.compact!r}) needs tail='wishart': the explicit route "
                        "draws X, n x p")
    return tail


def refuse(what: str):
    """The one-line refusal of everything a tail='wishart' path cannot carry."""
    raise ValueError(f"{what} is not available on a tail='wishart' path: it needs the tail of X, which "
                     "that route never forms (it is exact in law for l2 quantities only); build the path "
                     "with RidgePath.from_design(..., tail='explicit')")


@dataclass(frozen=True)
class TailView:
    """The flat-tail structure of a design: Sigma = diag(sigma_S) on S plus c0 I on the n_tail others."""

    cov_key: bytes
    p: int
    c0: float
    S: np.ndarray  # coordinates off the tail (a compact design: its leading ones, 0..m-1)
    sigma_S: np.ndarray
    n_tail: int
    mask: np.ndarray | None  # tail coordinates of a design with length-p arrays (None: compact)


def tail_view(design) -> TailView:
    """The flat tail of a validated design, or a ValueError saying why it has none."""
    c = design.compact
    if c is not None:
        c0, S, sigma_S, mask = c.tail, np.arange(c.m), np.asarray(c.lead), None
    else:
        if not design.is_diagonal:
            raise ValueError("tail='wishart' needs a diagonal covariance with a flat tail "
                             "(Sigma = diag(leading values) + c I); this design has a full cov: use "
                             "tail='explicit'")
        cov = design.cov
        c0, S = mode_structure(cov)
        sigma_S = cov[S]
        mask = cov == c0
    n_tail = design.p - S.size
    if n_tail < 1 or 2 * n_tail < design.p:
        raise ValueError(f"tail='wishart' needs a flat tail (Sigma = diag(a few leading values) + c I on at "
                         f"least half of the coordinates): the commonest eigenvalue of this design, {c0:g}, "
                         f"covers {n_tail} of its p={design.p} coordinates; use tail='explicit'")
    return TailView(design.cov_key, design.p, float(c0), S, np.ascontiguousarray(sigma_S, dtype=np.float64),
                    int(n_tail), mask)


class TailFeatures(Features):
    """Feature source of a tail='wishart' path: the columns S held, the tail known only through its
    Gram (folded into the path) and its column ``X_T u`` along theta*'s tail direction.

    Every product with X itself is refused (:func:`refuse`); ``cols`` serves the columns S.
    """

    def __init__(self, n: int, p: int, dtype, view: TailView, XS: np.ndarray, xu: np.ndarray,
                 direction: np.ndarray | None):
        super().__init__(None, None, n, p, dtype)
        self.view = view
        self.XS = XS  # (n, |S|) float64
        self.xu = xu  # (n,) X_T u = sqrt(c0) g
        self.direction = direction  # u on the tail coordinates (designs with length-p arrays), or None
        self._carried = {}
        self._truths = {}

    available = False  # no pass over X: no low-rank route, no explicit remainder

    def need(self, what: str) -> None:
        refuse(what)

    def cols(self, S: np.ndarray, what: str) -> np.ndarray:
        pos = np.searchsorted(self.view.S, S)
        pos = np.minimum(pos, max(self.view.S.size - 1, 0))
        if self.view.S.size == 0 or not np.array_equal(self.view.S[pos], S):
            refuse(what)
        return self.XS[:, pos]

    def carried(self, design) -> tuple[np.ndarray, float]:
        """``(theta_S, a)`` of a design: theta* on S and its tail part's coefficient along the carried
        direction u (ValueError when the covariance differs or the tail part is not along u)."""
        hit = self._carried.get(design.key)
        if hit is not None:
            return hit
        v = self.view
        if design.cov_key != v.cov_key:
            raise ValueError("design must have the covariance of the design this tail='wishart' path was "
                             "drawn from (the tail Gram is a draw for that covariance); draw a path for it")
        if design.compact is not None:
            hit = (np.asarray(design.theta_lead), float(design.theta_tail_norm))
        else:
            ts = design.theta_star
            tT = ts[v.mask]
            t = float(np.linalg.norm(tT))
            a = 0.0
            if t > 0 and self.direction is None:
                self.direction = tT / t  # chosen by the caller, independent of the draw: exact in law
                a = t
            elif t > 0:
                a = float(self.direction @ tT)
                off = float(np.linalg.norm(tT - a * self.direction))
                if off > DIRECTION_RTOL * t:
                    raise ValueError(
                        "theta_star cannot be carried by this tail='wishart' path: its part on the flat "
                        f"tail has a component of norm {off:.3g} (of {t:.3g}) off the one tail direction the "
                        "path carries (that of the first design with a tail part); draw a path for this "
                        "design, or use tail='explicit'")
            hit = (np.ascontiguousarray(ts[v.S]), a)
        self._carried[design.key] = hit
        return hit


# ------------------------------------------------------------------------------------- sampling
def leading_columns(design, view: TailView, n: int, ss: np.random.SeedSequence) -> np.ndarray:
    """``X[:, S]`` (n, |S|) float64, drawn exactly as :meth:`GaussianDesign.sample` draws those columns
    (column chunks of ``config.GEN_BLOCK`` from the children ``(0, c)``)."""
    g = config.GEN_BLOCK
    S = view.S
    sd = np.sqrt(view.sigma_S)
    out = np.empty((n, S.size))
    chunk = S // g
    for c in np.unique(chunk):
        c0 = int(c) * g
        rng = np.random.Generator(np.random.PCG64(_child(ss, 0, int(c))))
        z = rng.standard_normal((n, min(c0 + g, view.p) - c0))
        sel = np.flatnonzero(chunk == c)
        zs = z[:, S[sel] - c0]
        zs *= sd[sel]
        out[:, sel] = zs
    return out


def wishart_gram(n: int, d: int, scale: float, ss: np.random.SeedSequence, *, in_place: bool) -> np.ndarray:
    """``scale * W`` with ``W ~ Wishart(d, I_n)`` (stream: children ``(TAIL_KEY, 1)``, ``(TAIL_KEY, 2)``).

    ``in_place=True``: an (n, n) Fortran-ordered array whose lower triangle holds the matrix (the
    upper one is 0), formed from the Bartlett factor in place by LAPACK ``dlauum`` (n^3 / 3 flops, one
    n x n array in all). ``in_place=False``: the full symmetric matrix by NumPy (``R @ R.T``, a
    second n x n array), for small n where that is faster.
    """
    if d == 0 or scale == 0.0:
        return np.zeros((n, n), order="F")
    off = np.random.Generator(np.random.PCG64(_child(ss, TAIL_KEY, 2)))
    if d < n:  # singular Wishart: Z_0 Z_0^T itself (n d random numbers, fewer than n^2)
        Z = off.standard_normal((n, d))
        if in_place:
            return sblas.dsyrk(scale, Z, lower=1)
        Z *= math.sqrt(scale)
        return Z @ Z.T
    R = np.zeros((n, n))  # C order: R^T is Fortran-ordered and lower triangular
    for i in range(n - 1):
        off.standard_normal(out=R[i, i + 1:])
    diag = np.random.Generator(np.random.PCG64(_child(ss, TAIL_KEY, 1))).chisquare(
        (d - n + 1) + np.arange(n, dtype=np.float64))
    R[np.diag_indices(n)] = np.sqrt(diag)
    if not in_place:
        R *= math.sqrt(scale)
        return R @ R.T
    L = R.T
    out, info = slapack.dlauum(L, lower=1, overwrite_c=1)  # L^T L = R R^T, in place
    if info != 0:  # pragma: no cover - LAPACK argument error
        raise RuntimeError(f"dlauum failed (info={info})")
    del R, L
    out *= scale
    return out


def estimate_bytes(n: int, n_penalties: int, n_lead: int, p_arrays: int = 0) -> float:
    """Upper estimate of the route's peak memory in bytes (for a sweep's up-front check): the Gram
    and the ``eigh`` (about 3 n^2 doubles with SciPy's evd from :data:`LAPACK_MIN_N` on, 6 n^2 with
    NumPy's below, plus a margin), or the eigenvectors and the (n, L) arrays of the risks afterwards,
    whichever is larger, plus the leading columns (n x n_lead, twice) and ``p_arrays`` length-p arrays
    of a design that has them (4 for a two_level design with length-p cov and theta*; 0 for a compact
    one). Measured growth of the peak RSS: 3.05 n^2 doubles at n = 10^4, L = 1000 (2.27 GiB; estimate
    2.6 GiB), 3.93 n^2 at n = 2100 (estimate 5.3 n^2)."""
    n, L = float(n), float(n_penalties)
    eig = 3.5 * n * n if n >= LAPACK_MIN_N else 6.5 * n * n
    return 8.0 * (max(eig, 1.5 * n * n + 8.0 * n * L) + 2.0 * n * n_lead + 4.0 * float(p_arrays))


# ------------------------------------------------------------------------------------- building
def build_from_design(cls, design, n, lam, seed, dtype=np.float64, block=None, risk_stats=True, *,
                      tail_gram=None, tail_column=None):
    """:meth:`RidgePath.from_design` with ``tail="wishart"`` (``block`` and ``risk_stats`` are accepted
    and change nothing: the columns S are few, and their statistics are always kept).

    ``tail_gram`` (n, n) and ``tail_column`` (n,) are a test hook: the Gram of the tail off the
    carried direction, ``X_T (I - u u^T) X_T^T``, and ``X_T u``, in place of their draws (from an
    explicit X they make the path equal the explicit route's up to rounding).
    """
    design = _as_design(design)
    view = tail_view(design)
    n = check_positive_int(n, "n")
    dtype = _check_float_dtype(dtype)
    if block is not None:
        check_positive_int(block, "block")
    check_lam(lam)
    ss = as_seed_sequence(seed)
    feat = TailFeatures(n, view.p, dtype, view, leading_columns(design, view, n, ss), np.empty(0), None)
    theta_S, a = feat.carried(design)
    large = n >= LAPACK_MIN_N
    if tail_gram is None:
        feat.xu = math.sqrt(view.c0) * np.random.Generator(
            np.random.PCG64(_child(ss, TAIL_KEY, 0))).standard_normal(n)
        K = wishart_gram(n, view.n_tail - 1, view.c0, ss, in_place=large)
    else:
        feat.xu = np.array(tail_column, dtype=np.float64).reshape(n)
        K = np.array(tail_gram, dtype=np.float64, order="F" if large else "C").reshape(n, n)
    Xe = np.column_stack([feat.XS, feat.xu])
    if large:  # + X_S X_S^T + x_u x_u^T into the lower triangle, in place
        K = sblas.dsyrk(1.0, Xe, beta=1.0, c=K, lower=1, overwrite_c=1)
    else:
        K += Xe @ Xe.T
    y = design._labels(feat.XS @ theta_S + a * feat.xu, ss)
    nonzero = bool(np.any(np.diagonal(K)))
    check_gram_scale(K, view.p, lambda: nonzero, "X X^T")
    if dtype != np.float64:
        K = K.astype(dtype, order="F" if large else "C")
    spec = SpectralGram(K, rank_dim=view.p, overwrite=True, driver=EIGH_DRIVER if large else None)
    del K
    path = cls.__new__(cls)
    setup(path, None, "dual", y, lam, X=None, n=n, p=view.p, rank_dim=view.p, spec=spec)
    path.features = path._tail = feat
    _warn_ill_conditioned(path)
    return path


# ------------------------------------------------------------------------------------- risks
def _truth(path, design):
    """theta* of a design in the path's coordinates, from ``X theta*``, ``X Sigma theta*`` built out of
    the columns S and ``X_T u`` (cached per design value)."""
    feat = path._tail
    cache = feat._truths
    hit = cache.get(design.key)
    if hit is not None:
        return hit
    theta_S, a = feat.carried(design)
    v = feat.view
    xts = feat.XS @ theta_S + a * feat.xu
    xst = feat.XS @ (v.sigma_S * theta_S) + (a * v.c0) * feat.xu
    tt = float(theta_S @ theta_S) + a * a
    tst = float(v.sigma_S @ (theta_S * theta_S)) + v.c0 * a * a
    U = path.spec.U
    tr = truth_from(path, U.T @ xst, U.T @ xts, tst, tt)
    rr = remainder(path, tr)[0]
    if tt > 0 and rr < REMAINDER_RTOL * tt:
        refuse(f"the remainder of theta* off the row space of X (its closed form {rr:.3g} is below "
               f"{REMAINDER_RTOL:g} ||theta*||^2, where only a pass over X keeps its digits)")
    cache[design.key] = (tr, theta_S, rr)
    return cache[design.key]


def standard_risk(path, design) -> np.ndarray:
    """``||theta_lam - theta*||_Sigma^2`` (L,): ``c0 ||theta - theta*||^2`` from the error coordinates plus
    ``(sigma_j - c0) (theta_j - theta*_j)^2`` on the columns S (the "struct" route, exact in law)."""
    hit = path._risk_cache.get(design.key)
    if hit is not None:
        return hit.copy()
    tr, theta_S, rr = _truth(path, design)
    v = path._tail.view
    E = error_weights(path, tr)
    risk = v.c0 * (_colwise_sumsq(E, path._dhat) + rr)
    k = np.flatnonzero(v.sigma_S != v.c0)
    if k.size:
        thS = (path.spec.U.T @ path._tail.XS[:, k]).T @ W(path)  # (k, L)
        D = thS - theta_S[k, None]
        risk = risk + (v.sigma_S[k] - v.c0) @ (D * D)
    R = np.maximum(risk, 0.0)
    path.last_route = "wishart"
    path._risk_cache = {design.key: R}
    return R.copy()


def dual_norm(path, design, p_attack: float, target: str) -> np.ndarray:
    """The norm an l2 attack sees: ``||theta||_2``, or for ``"consistent"`` theta projected off theta*."""
    if p_attack != 2.0:
        refuse(f"an attack in the l_{p_attack:g} norm (norm={p_attack:g})")
    ensure_norms(path, [2.0])
    b = path._norms[2.0].copy()
    if target != "consistent":
        return b
    tr = _truth(path, design)[0]
    if tr.tt == 0.0:
        return b
    return consistent_norm(path, tr, b)
