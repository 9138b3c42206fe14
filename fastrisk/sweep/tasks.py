"""Expand a :class:`~fastrisk.sweep.spec.Spec` into tasks and batches of tasks: plain, picklable dicts.

A *task* is one (spectrum, n, p, noise, seed); a *group* is one (spectrum, n, p, noise), the tasks that
differ only in the seed (the theory columns are computed once per group). Order is canonical and part
of the store's layout: spectrum, then n, then p, then noise, then seed (innermost), numbered from 0, so
task ``i`` is seed ``i % len(seeds)`` of group ``i // len(seeds)``.

Only the groups are built (:func:`expand`); a task is made when it is asked for (:meth:`Grid.task`), so a
sweep of 10^8 seeds costs nothing to describe. Everything a task needs travels in it (resolved spectrum
parameters, the unnormalised penalties, the absolute radii), so it runs in any process of any machine
without the spec.

A *batch* is the unit of work sent to a worker and the unit of the store (one Parquet file): several
tasks (or several groups' theory) in canonical order, sized by :func:`batches` from an estimate of their
cost so that small tasks share a worker call and a file while large ones travel alone. Nothing requires a
batch's ids to be consecutive (a file's footer lists them and :func:`fastrisk.sweep.load` restores the
canonical order), so a unit that computes the tasks sharing one X together -- every noise level of one
(spectrum, n, p, seed), ids ``len(seeds)`` apart -- is a batch like any other.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

from .. import spectra
from .spec import Spec, SpecError

__all__ = ["expand", "Grid", "batches", "task_seconds", "BATCH_SECONDS", "BATCH_ROWS", "BATCH_ITEMS"]

#: A batch holds about this many seconds of (estimated, one-thread) work...
BATCH_SECONDS = 0.5
#: ... at most this many rows (the table of a batch is built in memory) ...
BATCH_ROWS = 2**20
#: ... and at most this many tasks.
BATCH_ITEMS = 256


class _Tasks(Sequence):
    """The tasks of a :class:`Grid`, made on demand."""

    def __init__(self, grid: Grid):
        self._grid = grid

    def __len__(self) -> int:
        return self._grid.n_tasks

    def __getitem__(self, i):
        if isinstance(i, slice):
            return [self._grid.task(j) for j in range(*i.indices(len(self)))]
        if i < 0:
            i += len(self)
        if not 0 <= i < len(self):
            raise IndexError(i)
        return self._grid.task(i)


class Grid:
    """The expanded sweep: ``groups`` (one dict per group, built) and ``tasks`` (a sequence of task dicts,
    made on demand); ``n_tasks``, ``rows_per_task`` and :meth:`group_of` describe them."""

    def __init__(self, groups: list[dict], seeds: Sequence[int], rows_per_task: int):
        self.groups = groups
        self.seeds = seeds
        self.rows_per_task = rows_per_task
        self.n_tasks = len(groups) * len(seeds)
        self.tasks = _Tasks(self)

    def task(self, i: int) -> dict:
        g, s = divmod(int(i), len(self.seeds))
        return dict(self.groups[g], id=int(i), seed=int(self.seeds[s]), kind_of_unit="task")

    def theory(self, g: int) -> dict:
        return dict(self.groups[g], kind_of_unit="theory")

    def group_of(self, ids):
        """Group index of task ids (int or integer array)."""
        return ids // len(self.seeds)


def _resolve_spectrum(sp, i: int, n: int, p: int) -> tuple[dict, np.ndarray]:
    params = sp.resolve(n, p)
    try:
        s = getattr(spectra, sp.kind)(p, **params)
    except (TypeError, ValueError) as exc:
        shown = ", ".join(f"{k}={v!r}" for k, v in params.items())
        raise SpecError(f"spectrum[{i}] ({sp.kind}) is invalid at n={n}, p={p} ({shown}): {exc}") from None
    if not np.all(np.isfinite(s)) or float(np.sum(s)) <= 0:
        raise SpecError(f"spectrum[{i}] ({sp.kind}) at n={n}, p={p} has no positive finite mass")
    return params, s


def expand(spec: Spec) -> Grid:
    """The groups of ``spec`` in canonical order, its tasks on demand (validates the n/p-dependent values:
    each spectrum is built once per (n, p), so call it after the sweep's size has been checked).

    Parameters
    ----------
    spec : Spec
        A validated spec (:func:`fastrisk.sweep.parse_spec`).

    Returns
    -------
    Grid
        ``groups`` (one per (spectrum, n, p, noise)), ``n_tasks``, ``rows_per_task`` and ``task(i)``,
        ``tasks()`` to build the tasks one at a time.

    Examples
    --------
    >>> import fastrisk.sweep as sw
    >>> spec = sw.parse_spec({"n": [20, 40], "p": 60, "seeds": 2, "spectrum": {"kind": "isotropic"},
    ...                       "path": {"lam": [0.0, 1.0], "eps": [0.0, 0.1]}})
    >>> grid = sw.expand(spec)
    >>> grid.n_tasks, grid.rows_per_task
    (4, 4)
    """
    groups: list[dict] = []
    for i, sp in enumerate(spec.spectra):
        for n in spec.n:
            for p in spec.p_values(n):
                params, s = _resolve_spectrum(sp, i, n, p)
                scale = float(n) ** spec.eps_n_power * float(p) ** spec.eps_p_power
                if spec.eps_relative:
                    scale *= math.sqrt(float(np.sum(s)))
                eps = [v * scale for v in spec.eps_values]
                if not all(math.isfinite(e) for e in eps):
                    raise SpecError(f"path.eps is not finite at n={n}, p={p}")
                lam = spec.lam_for(n)
                for noise in spec.noise:
                    groups.append({
                        "group": len(groups), "model": spec.model, "spectrum": sp.name, "kind": sp.kind,
                        "params": params, "n": n, "p": p, "noise": noise, "signal": spec.signal,
                        "lam": lam, "eps": eps, "eps_spec": list(spec.eps_values),
                        "norms": list(spec.norms), "targets": list(spec.targets),
                        "test_size": spec.test_size, "ntk": dict(spec.ntk),
                        "stream": (spec.model == "linear" and spec.stream_min is not None and n <= p
                                   and n * p >= spec.stream_min),
                    })
    rows = spec.n_penalties * len(spec.eps_values) * len(spec.norms) * len(spec.targets)
    return Grid(groups, spec.seeds, rows)


def task_seconds(unit: dict) -> float:
    """A rough one-thread cost of a task or a group's theory, in seconds (it only sizes batches, never
    enters a result; calibrated within a factor of about 3 on a 2-core x86 machine)."""
    n, p, L = float(unit["n"]), float(unit["p"]), float(len(unit["lam"]))
    E, K = float(len(unit["eps"])), float(len(unit["norms"]) * len(unit["targets"]))
    lq = sum(1 for q in unit["norms"] if q != 2.0) * len(unit["targets"])
    if unit.get("kind_of_unit") == "theory":  # the sequence norms' equivalents cost most
        return 0.02 + (0.15 if lq else 0.0) + (p * L * (4 + 20 * lq) + L * E * K * 50) / 1e9
    t = float(unit["ntk"]["test_size"] if unit["model"] == "ntk" else unit["test_size"])
    seconds = 1e-3 + (n * n * p + 4 * n**3) / 1e10 + n * p / 2e8 + 20 * L * E * K / 1e9
    seconds += (2 * n * p * L * lq + 2 * t * p * L * (1 + lq)) / 2e9
    if unit["model"] == "ntk":
        seconds += (4 * t * n * p + 2 * t * p * L * (1 + len(unit["norms"]))) / 1e9
    return seconds


def batches(ids: np.ndarray, costs: np.ndarray, rows_per_item: int, *, max_items: int = BATCH_ITEMS,
            seconds: float = BATCH_SECONDS) -> list[np.ndarray]:
    """Split ``ids`` (in canonical order) into runs of consecutive entries -- the batches -- of about
    ``seconds`` of estimated work (``costs``, seconds per id), at most :data:`BATCH_ROWS` rows and
    ``max_items`` (at most :data:`BATCH_ITEMS`) ids. Batching never changes a number, only how many
    tasks share a worker call and a file."""
    cap = max(1, min(max_items, BATCH_ITEMS, BATCH_ROWS // max(1, rows_per_item)))
    out: list[np.ndarray] = []
    start, cost = 0, 0.0
    for k in range(len(ids)):
        c = float(costs[k])
        if k > start and (k - start >= cap or cost + c > seconds):
            out.append(ids[start:k])
            start, cost = k, 0.0
        cost += c
    if len(ids) > start:
        out.append(ids[start:])
    return out
