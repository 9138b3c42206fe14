"""What a finished sweep says at a glance: its best penalties (never an edge of the grid reported as an
optimum) and how many float32 rows carry an accuracy flag.

:func:`best_penalties` averages a risk column over the seeds and finds, per cell (spectrum, theta_star,
n, p, noise, norm, target, eps), the penalty with the smallest mean, marking it with
:func:`fastrisk.theory.grid_optimum` -- the package's one rule -- when it sits on an edge of the penalty
grid (the optimum may then lie beyond it: the penalty is a bound, the value an upper bound).
:func:`summary_lines` turns that into the few lines ``fastrisk sweep`` prints.
"""

from __future__ import annotations

import math
import os
from typing import TYPE_CHECKING

import numpy as np

from ..theory import grid_optimum

if TYPE_CHECKING:
    import pandas

__all__ = ["best_penalties", "flagged_rows", "summary_lines", "CELL_KEYS", "SUMMARY_ROWS"]

#: The keys of one cell of :func:`best_penalties` (what a best penalty is chosen for).
CELL_KEYS = ("spectrum", "theta_star", "n", "p", "noise", "norm", "target", "eps")
#: ``fastrisk sweep`` summarises best penalties of stores up to this many rows (a larger store is read
#: only when asked: :func:`best_penalties`).
SUMMARY_ROWS = 5_000_000
#: Cells listed one per line in the command's summary (the count on the edge covers them all).
SUMMARY_CELLS = 12


def best_penalties(source, column: str = "adversarial_risk") -> pandas.DataFrame:
    """The best penalty of every cell of a sweep, by the seed mean of ``column``.

    Parameters
    ----------
    source : path-like or pandas.DataFrame
        A sweep's output directory, or its :func:`fastrisk.sweep.load` table.
    column : str, default "adversarial_risk"
        The risk to minimise (``"standard_risk"``, ``"empirical_adversarial_risk"``, a noise-average or
        theory column); cells where it is all NaN are left out.

    Returns
    -------
    pandas.DataFrame
        One row per cell (:data:`CELL_KEYS`), with ``seeds`` (tasks averaged), ``lam`` and ``lam_n``
        (the best penalty of the grid), ``value`` (the smallest mean), ``edge`` (``""`` inside the grid,
        ``"lower"``/``"upper"`` on an edge: :class:`fastrisk.theory.GridOptimum`), ``bound`` (edge or
        not) and ``best`` (one phrase: ``"lam/n = 0.0316"``, ``"lam/n >= 100 (grid edge; value is an
        upper bound)"``).

    Examples
    --------
    >>> import tempfile, fastrisk.sweep as sw
    >>> out = tempfile.mkdtemp()
    >>> _ = sw.run({"n": 20, "p": 60, "seeds": 2, "spectrum": {"kind": "isotropic"},
    ...             "path": {"lam_n": [0.01, 0.1, 1.0, 10.0]}}, out, workers=1, progress=False)
    >>> b = sw.best_penalties(out)
    >>> list(b.columns[-6:]), len(b)
    (['lam', 'lam_n', 'value', 'edge', 'bound', 'best'], 1)
    """
    import pandas as pd

    from .read import load

    df = source if isinstance(source, pd.DataFrame) else load(source)
    if column not in df.columns:
        raise ValueError(f"column must be a column of the sweep's table, got {column!r}")
    keys = list(CELL_KEYS)
    mean = df.groupby(keys + ["lam"], sort=True, observed=True)[column].agg(["mean", "count"])
    out = []
    for cell, part in mean.groupby(level=list(range(len(keys))), sort=True, observed=True):
        lam = part.index.get_level_values("lam").to_numpy(dtype=np.float64)
        v = part["mean"].to_numpy(dtype=np.float64)
        if np.all(np.isnan(v)):
            continue
        o = grid_optimum(v, lam)
        n = float(dict(zip(keys, cell, strict=True))["n"])
        out.append((*cell, int(part["count"].max()), o.lam, o.lam / n, o.value, o.edge, o.bound,
                    _phrase(o, lam, n)))
    cols = keys + ["seeds", "lam", "lam_n", "value", "edge", "bound", "best"]
    return pd.DataFrame(out, columns=cols)


def _phrase(o, lam: np.ndarray, n: float) -> str:
    """:meth:`GridOptimum.describe` in lam / n; min-norm (lam = 0) best of the grid says where the optimum
    may lie: below the smallest positive penalty (or at a negative one)."""
    pos = lam[lam > 0]
    if o.edge == "lower" and o.lam == 0.0 and pos.size:
        return f"lam/n < {pos[0] / n:.3g} (grid edge: min-norm is the grid's best; value is an upper bound)"
    return o.describe(unit=n, name="lam/n")


def flagged_rows(out) -> int:
    """Rows of a float32 sweep whose ``accuracy_flag`` is set (0 for a float64 sweep): read from the one
    column, file by file's footer-verified list."""
    from .read import count_true

    return count_true(out, "accuracy_flag")


def _fmt(key: str, v) -> str:
    if key in ("spectrum", "theta_star", "target"):
        return str(v)
    if key == "norm":
        return "norm=inf" if math.isinf(float(v)) else f"norm={float(v):g}"
    return f"{key}={v:g}" if isinstance(v, float) else f"{key}={v}"


def summary_lines(out, column: str = "adversarial_risk", *, max_rows: int = SUMMARY_ROWS,
                  max_cells: int = SUMMARY_CELLS) -> tuple[list[str], dict]:
    """The best-penalty lines ``fastrisk sweep`` prints for the store at ``out``, and their counts
    (``cells``, ``on_edge``) for its JSON summary. A store larger than ``max_rows`` rows is not read
    (one line says how to ask)."""
    from .read import row_count

    rows = row_count(out)
    if rows > max_rows:
        return ([f"best penalties: not summarised ({rows:,} rows; fastrisk.sweep.best_penalties("
                 f"{os.fspath(out)!r}) computes them)"], {})
    b = best_penalties(out, column)
    if b.empty:
        return [], {"cells": 0, "on_edge": 0}
    varying = [k for k in CELL_KEYS if b[k].nunique() > 1]
    lines = [f"best penalty per cell by the seed mean of {column} (a best penalty on the edge of the grid "
             "is a bound, never an optimum):"]
    for _, r in b.head(max_cells).iterrows():
        where = " ".join(_fmt(k, r[k]) for k in varying) or "the sweep"
        lines.append(f"  {where}: {r['best']} ({column} {r['value']:.4g})")
    if len(b) > max_cells:
        lines.append(f"  ... {len(b) - max_cells} more cell(s): "
                     f"fastrisk.sweep.best_penalties({os.fspath(out)!r})")
    edge = int(b["bound"].sum())
    lines.append(f"best penalty on an edge of the grid (a bound) in {edge} of {len(b)} cell(s)"
                 + ("; widen path.lam / path.lam_n to find the optimum" if edge else ""))
    return lines, {"cells": int(len(b)), "on_edge": edge}
