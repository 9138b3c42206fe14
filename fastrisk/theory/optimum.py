"""The best penalty of a path, never an edge of its grid reported as an optimum.

A "best" penalty (smallest adversarial risk, smallest harm ``max(R_0, R_eps - R_eps(theta*))``, ...)
found on a finite grid of penalties is an optimum only when it lies inside the grid. On the largest
penalty the optimum may lie beyond (the grid's minimum is then only an upper bound on the optimum, and
the best penalty a lower bound); on the smallest positive penalty (or on ``lam = 0``, the min-norm
interpolator, when the next penalty is worse) it may lie below. Two tools:

- :func:`grid_optimum` marks where the minimum of one fixed grid sits (for simulations, sweep summaries
  and the main command: a marked value is reported as a bound);
- :func:`optimise_on_grid` extends the grid, for a cheap objective (the deterministic equivalents), until
  every objective's minimum is inside it or the extension limits are reached; ``lam = inf`` (theta = 0,
  the null estimator, whose risks are known exactly) may be given as a true end point.

Penalties are the unnormalised ``lam`` of ``||y - X theta||^2 + lam ||theta||^2`` (any positive unit
works: nothing here depends on it).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

__all__ = ["GridOptimum", "grid_optimum", "optimise_on_grid"]


@dataclass(frozen=True)
class GridOptimum:
    """Where the minimum of an objective over a penalty grid sits.

    Attributes
    ----------
    index : int
        Index of the smallest value in the grid (the first one on ties).
    lam : float
        The penalty there: 0 is the min-norm interpolator, ``inf`` the null estimator theta = 0.
    value : float
        The smallest value.
    edge : {"", "lower", "upper"}
        ``""``: the minimum is inside the grid (or on an end point the grid resolves: ``lam = 0`` or
        ``inf`` with the neighbouring penalties as close as asked); ``"upper"``: on the largest penalty
        (or on ``inf`` next to it): the optimum may lie at a larger penalty, ``value`` is an upper bound
        of the optimum and ``lam`` a lower bound of the best penalty; ``"lower"``: likewise below the
        smallest positive penalty.

    Examples
    --------
    >>> import numpy as np
    >>> from fastrisk.theory import grid_optimum
    >>> lam = np.array([0.0, 1.0, 10.0, 100.0])
    >>> grid_optimum(np.array([3.0, 2.0, 1.0, 4.0]), lam)
    GridOptimum(index=2, lam=10.0, value=1.0, edge='')
    >>> grid_optimum(np.array([3.0, 2.0, 1.5, 1.0]), lam).describe()
    'lam >= 100 (grid edge; value is an upper bound)'
    """

    index: int
    lam: float
    value: float
    edge: str = ""

    @property
    def bound(self) -> bool:
        """True when the minimum sits on an edge of the grid (``value`` and ``lam`` are bounds)."""
        return bool(self.edge)

    def describe(self, unit: float = 1.0, name: str = "lam") -> str:
        """One phrase: ``"lam = 3.2"``, ``"lam >= 1e+03 (grid edge; ...)"``, ``"lam = inf (theta = 0)"``
        (``unit`` divides the penalty, e.g. ``n`` to print ``lam / n``)."""
        v = self.lam / unit
        if self.edge == "upper":
            return f"{name} >= {v:.3g} (grid edge; value is an upper bound)"
        if self.edge == "lower":
            return f"{name} <= {v:.3g} (grid edge; value is an upper bound)"
        if math.isinf(v):
            return f"{name} = inf (theta = 0)"
        if v == 0:
            return f"{name} = 0 (min-norm)"
        return f"{name} = {v:.3g}"


def _check_grid(lam) -> np.ndarray:
    lam = np.asarray(lam, dtype=np.float64)
    if lam.ndim != 1 or lam.size == 0:
        raise ValueError(f"lam must be a non-empty 1-D grid, got shape {lam.shape}")
    if np.any(np.isnan(lam)) or np.any(lam < 0):
        raise ValueError("lam must hold penalties >= 0 (inf allowed: theta = 0), without NaN")
    if lam.size > 1 and np.any(np.diff(lam) <= 0):
        raise ValueError("lam must be strictly increasing")
    return lam


def grid_optimum(values, lam, *, resolved_below: float = 0.0,
                 resolved_above: float = math.inf) -> GridOptimum:
    """The minimum of ``values`` over the penalty grid ``lam`` and whether it sits on an edge.

    Parameters
    ----------
    values : array_like (L,)
        The objective at each penalty (NaN counts as missing; +inf is allowed).
    lam : array_like (L,)
        Strictly increasing penalties >= 0; ``0`` (min-norm) and ``inf`` (theta = 0) may be end points.
    resolved_below, resolved_above : float
        An optimum on the smallest positive penalty (or on 0 next to it) counts as resolved, not as an
        edge, when that penalty is <= ``resolved_below``; likewise on the largest finite penalty (or
        on inf next to it) when it is >= ``resolved_above``.

    Returns
    -------
    GridOptimum

    Examples
    --------
    >>> import numpy as np
    >>> from fastrisk.theory import grid_optimum
    >>> lam = np.array([0.0, 1.0, 10.0, np.inf])
    >>> grid_optimum(np.array([2.0, 1.0, 0.5, 0.4]), lam).edge     # theta = 0 best, next to lam = 10
    'upper'
    >>> grid_optimum(np.array([2.0, 1.0, 0.5, 0.4]), lam, resolved_above=10.0).describe()
    'lam = inf (theta = 0)'
    """
    lam = _check_grid(lam)
    v = np.asarray(values, dtype=np.float64)
    if v.shape != lam.shape:
        raise ValueError(f"values must have the shape of lam {lam.shape}, got {v.shape}")
    if np.all(np.isnan(v)) or np.any(v == -np.inf):
        raise ValueError("values must hold at least one number and no -inf")
    i = int(np.nanargmin(v))
    pos = np.flatnonzero((lam > 0) & np.isfinite(lam))
    edge = ""
    if pos.size:
        lo, hi = int(pos[0]), int(pos[-1])
        low = (i == lo or lam[i] == 0) and lam[lo] > resolved_below
        up = (i == hi or math.isinf(lam[i])) and lam[hi] < resolved_above
        edge = "upper" if up else ("lower" if low else "")
    return GridOptimum(index=i, lam=float(lam[i]), value=float(v[i]), edge=edge)


def _per_decade(lam: np.ndarray) -> float:
    f = lam[(lam > 0) & np.isfinite(lam)]
    if f.size < 2:
        return 10.0
    return max(2.0, (f.size - 1) / max(math.log10(f[-1] / f[0]), 1e-12))


def optimise_on_grid(evaluate: Callable[[np.ndarray], np.ndarray], lam, *, lower: float, upper: float,
                     at_infinity=None, step_decades: float = 3.0, max_rounds: int = 12):
    """Evaluate objectives on a penalty grid, extending it until every minimum is inside it.

    Parameters
    ----------
    evaluate : callable
        ``evaluate(lam) -> (L, K)`` (or (L,)) values of K objectives at the finite penalties ``lam``
        (strictly increasing, >= 0).
    lam : array_like (L,)
        The starting grid (finite, >= 0, strictly increasing; may start at 0).
    lower, upper : float
        Extension limits: the grid is extended down to ``lower`` and up to ``upper`` at most (both
        > 0). An optimum still on an edge there is marked (``GridOptimum.edge``), unless the edge lies
        next to a true end point: ``lam = 0`` in the grid below ``lower``, ``at_infinity`` above
        ``upper`` (choose ``upper`` where theta is 0 to the accuracy wanted).
    at_infinity : array_like (K,), optional
        The objectives at ``lam = inf`` (theta = 0), appended as a true end point.
    step_decades : float, default 3.0
        Decades added per round at an edge (at the grid's density).
    max_rounds : int, default 12
        Rounds of extension at most; an optimum still on an edge after them is marked.

    Returns
    -------
    (lam, values, optima)
        The final grid (with ``inf`` last when ``at_infinity`` is given), the values (L', K) and one
        :class:`GridOptimum` per objective.

    Examples
    --------
    >>> import numpy as np
    >>> from fastrisk.theory import optimise_on_grid
    >>> f = lambda lam: (np.log(lam / 1e6)) ** 2          # minimum at lam = 1e6, far above the grid
    >>> lam, v, (o,) = optimise_on_grid(f, np.logspace(-2, 2, 41), lower=1e-8, upper=1e12)
    >>> o.edge, round(float(o.lam))
    ('', 1000000)
    """
    lam = _check_grid(lam)
    if np.any(np.isinf(lam)):
        raise ValueError("lam must be finite (give the theta = 0 end point as at_infinity)")
    if not (lower > 0 and upper > 0 and lower < upper):
        raise ValueError(f"need 0 < lower < upper, got lower = {lower!r}, upper = {upper!r}")
    inf_row = None if at_infinity is None else np.atleast_1d(np.asarray(at_infinity, dtype=np.float64))
    dens = _per_decade(lam)

    def full(lam_f, vals):
        vals = vals.reshape(lam_f.size, -1)
        if inf_row is None:
            return lam_f, vals
        return np.append(lam_f, np.inf), np.vstack([vals, inf_row.reshape(1, -1)])

    # an optimum at a limit is resolved only next to a true end point: lam = 0 (the min-norm interpolator,
    # when the grid holds it) below, theta = 0 (``at_infinity``) above; otherwise it stays a bound
    rb = lower if lam[0] == 0.0 else 0.0
    ra = upper if inf_row is not None else math.inf
    vals = np.asarray(evaluate(lam), dtype=np.float64)
    for _ in range(max_rounds):
        grid, V = full(lam, vals)
        opts = [grid_optimum(V[:, k], grid, resolved_below=rb, resolved_above=ra) for k in range(V.shape[1])]
        pos = lam[lam > 0]
        add = []
        if any(o.edge == "lower" for o in opts) and pos.size and pos[0] > lower:
            lo = max(lower, pos[0] * 10.0 ** (-step_decades))
            k = max(2, int(round(math.log10(pos[0] / lo) * dens)) + 1)
            add.append(np.geomspace(lo, pos[0], k)[:-1])
        if any(o.edge == "upper" for o in opts) and pos.size and pos[-1] < upper:
            hi = min(upper, pos[-1] * 10.0**step_decades)
            k = max(2, int(round(math.log10(hi / pos[-1]) * dens)) + 1)
            add.append(np.geomspace(pos[-1], hi, k)[1:])
        if not add:
            return grid, V, opts
        new = np.concatenate(add)
        lam = np.unique(np.concatenate([lam, new]))
        vals = np.asarray(evaluate(lam), dtype=np.float64)
    grid, V = full(lam, vals)
    return grid, V, [grid_optimum(V[:, k], grid, resolved_below=rb, resolved_above=ra)
                     for k in range(V.shape[1])]
