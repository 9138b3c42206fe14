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
    (4, 0)    g_1, ..., g_r: r blocks of n standard normals
    (4, 1)    the Bartlett diagonal: chi-square variates with d - n + 1 + i degrees of freedom, i = 0..n-1
    (4, 2)    the Bartlett off-diagonal: row i, columns i+1..n-1, for i = 0..n-1 in order
              (d < n: Z_0, (n, d), row by row)

with ``d = p_T - r`` (r = 1 for one design). Several targets (a list of designs sharing the
covariance, as for the explicit route) whose theta* have tail parts spanning r directions draw r such
columns ``g_1..g_r`` (the first n numbers of ``(4, 0)`` are ``g_1``, the next n ``g_2``, ...) and
``Z_0 Z_0^T ~ Wishart(p_T - r, I_n)``. The carried directions are those of the designs the path was
drawn from (an orthonormal basis of their tail parts; a compact design's tail part lies on one fixed
direction); a later design whose tail part leaves their span is refused, except that a path drawn
with no tail part at all carries the first one it is asked about (chosen independently of the draw,
so still exact in law). A design with another covariance is refused. The risks are in
:mod:`fastrisk.ridge._wishart_risks`.
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
from ..design import _check_float_dtype, _child, as_seed_sequence
from ._build import _design_list, _warn_ill_conditioned, check_gram_scale, setup
from ._features import Features, mode_structure
from ._targets import Targets

__all__ = ["TAIL_KEY", "TailFeatures", "build_from_design", "check_tail", "refuse", "wishart_gram",
           "estimate_bytes"]

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
    for d in design if isinstance(design, (list, tuple)) else [design]:
        if tail == "explicit" and getattr(d, "compact", None) is not None:
            raise TypeError(f"a compact design ({d.compact!r}) needs tail='wishart': the explicit route "
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
    Gram (folded into the path) and its columns ``G = X_T [u_1 .. u_r]`` along the carried directions
    of theta*'s tail parts.

    Every product with X itself is refused (:func:`refuse`); ``cols`` serves the columns S.
    """

    def __init__(self, n: int, p: int, dtype, view: TailView, XS: np.ndarray, r: int,
                 basis: np.ndarray | None):
        super().__init__(None, None, n, p, dtype)
        self.view = view
        self.XS = XS  # (n, |S|) float64
        self.r = r  # columns of G (directions the path can carry)
        self.G = np.zeros((n, r))  # (n, r): X_T u_j = sqrt(c0) g_j
        self.basis = basis  # (n_tail, r_set) orthonormal tail directions (length-p designs) or None
        self._carried: dict[bytes, tuple[np.ndarray, np.ndarray]] = {}
        self.proj: tuple[np.ndarray, np.ndarray] | None = None  # (U^T X_S, U^T G), set on first use

    available = False  # no pass over X: no low-rank route, no explicit remainder

    def need(self, what: str) -> None:
        refuse(what)

    def cols(self, S: np.ndarray, what: str) -> np.ndarray:
        pos = np.searchsorted(self.view.S, S)
        pos = np.minimum(pos, max(self.view.S.size - 1, 0))
        if self.view.S.size == 0 or not np.array_equal(self.view.S[pos], S):
            refuse(what)
        return self.XS[:, pos]

    def carried(self, design) -> tuple[np.ndarray, np.ndarray]:
        """``(theta_S, a)`` of a design: theta* on S and the coefficients (r,) of its tail part on the
        carried directions (ValueError when the covariance differs or the tail part leaves them)."""
        v = self.view
        if design.cov_key != v.cov_key:
            raise ValueError("design must have the covariance of the design this tail='wishart' path was "
                             "drawn from (the tail Gram is a draw for that covariance); draw a path for it")
        hit = self._carried.get(design.theta_key)
        if hit is not None:
            return hit
        a = np.zeros(self.r)
        if design.compact is not None:  # a compact design's tail part lies on the first direction
            a[0] = design.theta_tail_norm
            hit = (np.asarray(design.theta_lead), a)
        else:
            ts = design.theta_star
            coef = _extend_basis(self, ts[v.mask])
            a[:coef.size] = coef
            hit = (np.ascontiguousarray(ts[v.S]), a)
        self._carried[design.theta_key] = hit
        return hit


def _extend_basis(feat: TailFeatures, tT: np.ndarray) -> np.ndarray:
    """Coefficients of the tail part ``tT`` on the carried basis, adding its new direction while the
    path has a column to spare (chosen by the caller, independent of the draw: exact in law)."""
    B = feat.basis if feat.basis is not None else np.zeros((tT.size, 0))
    t = float(np.linalg.norm(tT))
    coef = B.T @ tT
    res = tT - B @ coef
    off = float(np.linalg.norm(res))
    if off > DIRECTION_RTOL * t:
        if B.shape[1] >= feat.r:
            raise ValueError(
                "theta_star cannot be carried by this tail='wishart' path: its part on the flat tail has "
                f"a component of norm {off:.3g} (of {t:.3g}) off the {B.shape[1]} tail direction(s) the path "
                "carries (those of the designs it was drawn from); draw a path for this design (or pass "
                "every design to from_design), or use tail='explicit'")
        feat.basis = np.column_stack([B, res / off])
        coef = np.append(coef, off)
    return coef


# ------------------------------------------------------------------------------------- sampling
def leading_columns(view: TailView, n: int, ss: np.random.SeedSequence) -> np.ndarray:
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
    nf, L = float(n), float(n_penalties)
    eig = 3.5 * nf * nf if nf >= LAPACK_MIN_N else 6.5 * nf * nf
    return 8.0 * (max(eig, 1.5 * nf * nf + 8.0 * nf * L) + 2.0 * nf * n_lead + 4.0 * float(p_arrays))


# ------------------------------------------------------------------------------------- building
def build_from_design(cls, design, n, lam, seed, dtype=np.float64, block=None, risk_stats=True, *,
                      tail_gram=None, tail_column=None):
    """:meth:`RidgePath.from_design` with ``tail="wishart"`` (``block`` and ``risk_stats`` are accepted
    and change nothing: the columns S are few, and their statistics are always kept).

    ``tail_gram`` (n, n) and ``tail_column`` (n,) or (n, r) are a test hook: the Gram of the tail off
    the carried directions, ``X_T (I - Q Q^T) X_T^T``, and ``X_T Q`` (Q the carried basis), in place of
    their draws (from an explicit X they make the path equal the explicit route's up to rounding).
    """
    designs, multi = _design_list(design)
    view = tail_view(designs[0])
    n = check_positive_int(n, "n")
    dtype = _check_float_dtype(dtype)
    if block is not None:
        check_positive_int(block, "block")
    check_lam(lam)
    ss = as_seed_sequence(seed)
    targets = Targets(designs, len(designs))
    basis, r = None, 1
    if designs[0].compact is None:  # the directions of the tail parts: an orthonormal basis of their span
        basis = _tail_basis([d.theta_star[view.mask] for d in targets.groups])
        r = max(1, basis.shape[1])
    if view.n_tail < r:
        raise ValueError(f"the theta* of these designs have tail parts along {r} directions, more than the "
                         f"{view.n_tail} tail coordinates: use tail='explicit'")
    feat = TailFeatures(n, view.p, dtype, view, leading_columns(view, n, ss), r, basis)
    TS, A = zip(*(feat.carried(d) for d in targets.groups), strict=True)
    large = n >= LAPACK_MIN_N
    if tail_gram is None:
        rng = np.random.Generator(np.random.PCG64(_child(ss, TAIL_KEY, 0)))
        feat.G = math.sqrt(view.c0) * rng.standard_normal((r, n)).T
        K = wishart_gram(n, view.n_tail - r, view.c0, ss, in_place=large)
    else:
        feat.G = np.array(tail_column, dtype=np.float64).reshape(n, r)
        K = np.array(tail_gram, dtype=np.float64, order="F" if large else "C").reshape(n, n)
    Xe = np.column_stack([feat.XS, feat.G])
    if large:  # + X_S X_S^T + G G^T into the lower triangle, in place
        K = sblas.dsyrk(1.0, Xe, beta=1.0, c=K, lower=1, overwrite_c=1)
    else:
        K += Xe @ Xe.T
    sig = [feat.XS @ ts + feat.G @ a for ts, a in zip(TS, A, strict=True)]  # X theta* per group
    Y = np.stack([d._labels(sig[targets.idx[t]], ss) for t, d in enumerate(designs)], axis=1)
    nonzero = bool(np.any(np.diagonal(K)))
    check_gram_scale(K, view.p, lambda: nonzero, "X X^T")
    if dtype != np.float64:
        K = K.astype(dtype, order="F" if large else "C")
    spec = SpectralGram(K, rank_dim=view.p, overwrite=True, driver=EIGH_DRIVER if large else None)
    del K
    path = cls.__new__(cls)
    setup(path, None, "dual", Y, lam, X=None, n=n, p=view.p, rank_dim=view.p, spec=spec, features=feat,
          multi=multi)
    path._tail = feat
    if spec.dtype == np.float64:  # setup warns for a float32 path only when handed the eigen-pairs
        _warn_ill_conditioned(path)
    return path


def _tail_basis(tails: list[np.ndarray]) -> np.ndarray:
    """An orthonormal basis (n_tail, r) of the span of the tail parts (Gram-Schmidt, twice; a part
    within ``DIRECTION_RTOL`` of the span so far adds nothing)."""
    B = np.zeros((tails[0].size, 0))
    for tT in tails:
        t = float(np.linalg.norm(tT))
        res = tT - B @ (B.T @ tT)
        res -= B @ (B.T @ res)
        off = float(np.linalg.norm(res))
        if off > DIRECTION_RTOL * t:
            B = np.column_stack([B, res / off])
    return B
