"""Expand a :class:`~fastrisk.sweep.spec.Spec` into tasks, folds and batches: plain, picklable dicts.

A *task* is one (spectrum, theta_star, n, p, noise, seed): the rows of one ridge path. A *group* is one
(spectrum, theta_star, n, p, noise), the tasks that differ only in the seed (the theory columns are
computed once per group). Order is canonical and part of the store's layout: spectrum, then theta_star,
then n, then p, then noise, then seed (innermost), numbered from 0, so task ``i`` is seed
``i % len(seeds)`` of group ``i // len(seeds)``. A spec without ``[[theta_star]]`` tables has one ground
truth (theta* = signal * e_1), so its task ids are those of fastrisk 0.1.

A *fold* is the unit of work: one (spectrum, n, p, seed), every task that shares its X. Every noise level
and every ground truth of the grid is a right-hand side of one multi-target ridge path (one X, one noise
draw z; target t has the labels ``X theta*_t + noise_t z``, exactly the labels of its task), so the Gram
and the eigendecomposition are paid once per fold, not once per task. A fold always computes all its
targets, whatever is already in the store, and emits the rows of those of its tasks that are missing:
its numbers never depend on what a crash left behind. Its task ids are ``len(seeds)`` apart (the noise
levels) and further (the ground truths); the store's footers list them and
:func:`fastrisk.sweep.load` restores the canonical order.

Only the groups are built (:func:`expand`); a task or a fold is made when it is asked for
(:meth:`Grid.task`, :meth:`Grid.fold`), so a sweep of 10^8 seeds costs nothing to describe. Everything a
unit needs travels in it (resolved spectrum parameters, the ground truths' descriptions, the
unnormalised penalties, the absolute radii), so it runs in any process of any machine without the spec.

A *batch* is the unit sent to a worker and the unit of the store (one Parquet file): several folds (or
several groups' theory) in canonical order, sized by :func:`batches` from an estimate of their cost so
that small folds share a worker call and a file while large ones travel alone.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

from .. import spectra
from ..ground_truth import GroundTruth
from ..spectra import FlatTail
from .spec import Spec, SpecError
from .tails import check_flat, compact_spectrum, compact_truth, trace_of
from .tails import norms as flat_norms

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
    """The expanded sweep: ``groups`` (one dict per group, built), ``tasks`` (a sequence of task dicts, made
    on demand) and the folds (:meth:`fold`); ``n_tasks``, ``n_folds``, ``rows_per_task``, :meth:`group_of`
    and :meth:`fold_of` describe them.

    Parameters
    ----------
    groups : list of dict
        In canonical order, ``shape = (spectra, theta_stars, (n, p) pairs, noise levels)``.
    seeds : sequence of int
    rows_per_task : int
    shape : tuple of 4 ints, optional
        The group axes (default: one ground truth, one noise level, every group its own (n, p)).
    columns : dict, optional
        Which optional columns the task table has (:func:`fastrisk.sweep.compute.task_schema`).
    resolved : list of dict, optional
        The ground truths resolved per (spectrum, theta_star, n, p) (recorded in the manifest).
    """

    def __init__(self, groups: list[dict], seeds: Sequence[int], rows_per_task: int, *,
                 shape: tuple[int, int, int, int] | None = None, columns: dict | None = None,
                 resolved: list[dict] | None = None):
        self.groups = groups
        self.seeds = seeds
        self.rows_per_task = rows_per_task
        self.shape = (1, 1, len(groups), 1) if shape is None else tuple(shape)
        if math.prod(self.shape) != len(groups):
            raise ValueError(f"shape {self.shape} does not hold {len(groups)} groups")
        self.columns = dict(columns or {})
        self.resolved = list(resolved or [])
        self.n_tasks = len(groups) * len(seeds)
        sp, _, pairs, _ = self.shape
        self.n_folds = sp * pairs * len(seeds)
        self.tasks = _Tasks(self)

    @property
    def targets_per_fold(self) -> int:
        """Tasks per fold: ground truths x noise levels."""
        return self.shape[1] * self.shape[3]

    @property
    def task_schema(self):
        from .compute import task_schema

        return task_schema(**self.columns)

    def task(self, i: int) -> dict:
        g, s = divmod(int(i), len(self.seeds))
        return dict(self.groups[g], id=int(i), seed=int(self.seeds[s]), kind_of_unit="task")

    def theory(self, g: int) -> dict:
        return dict(self.groups[g], kind_of_unit="theory")

    def group_of(self, ids):
        """Group index of task ids (int or integer array)."""
        return ids // len(self.seeds)

    def fold_of(self, ids):
        """Fold index of task ids (int or integer array)."""
        S = len(self.seeds)
        g, s = np.divmod(np.asarray(ids, dtype=np.int64), S)
        sp, _, j, _ = np.unravel_index(g, self.shape)
        out = (sp * self.shape[2] + j) * S + s
        return int(out) if np.ndim(ids) == 0 else out

    def fold_tasks(self, f: int) -> np.ndarray:
        """The task ids of fold ``f``, ground truth outer, noise inner (increasing)."""
        S = len(self.seeds)
        sp, j, s = np.unravel_index(int(f), (self.shape[0], self.shape[2], S))
        T, Z = self.shape[1], self.shape[3]
        t, z = np.divmod(np.arange(T * Z), Z)
        g = np.ravel_multi_index((np.full(T * Z, sp), t, np.full(T * Z, j), z), self.shape)
        return g * S + s

    def fold(self, f: int, done: np.ndarray | None = None) -> dict:
        """The unit of work ``f``: every task of one (spectrum, n, p, seed), as one dict. ``members`` lists
        them all (id, group, theta_star label and description, noise); ``ids`` those whose rows it emits
        (the ones ``done`` -- a mask over the task ids -- does not hold)."""
        ids = self.fold_tasks(f)
        S = len(self.seeds)
        members = []
        for i in ids:
            g = int(i) // S
            grp = self.groups[g]
            members.append({"id": int(i), "group": g, "theta_star": grp["theta_star"], "truth": grp["truth"],
                            "noise": grp["noise"]})
        emit = ids if done is None else ids[~done[ids]]
        first = self.groups[int(ids[0]) // S]
        return dict(first, fold=int(f), seed=int(self.seeds[int(f) % S]), members=members,
                    ids=[int(i) for i in emit], kind_of_unit="fold")

    def fold_seconds(self) -> np.ndarray:
        """Estimated one-thread seconds of a fold, per (spectrum, (n, p)) class (fold ``f`` is class
        ``f // len(seeds)``)."""
        sp, T, pairs, Z = self.shape
        k = T * Z
        out = np.empty(sp * pairs)
        for c in range(sp * pairs):
            a, j = divmod(c, pairs)
            g = self.groups[int(np.ravel_multi_index((a, 0, j, 0), self.shape))]
            out[c] = task_seconds(dict(g, kind_of_unit="fold", members=[None] * k))
        return out

    def todo_folds(self, done: np.ndarray) -> np.ndarray:
        """The folds with at least one task not in ``done`` (a mask over the task ids), in order."""
        return np.unique(self.fold_of(np.flatnonzero(~done)))


def _resolve_spectrum(sp, i: int, n: int, p: int,
                      tail: str = "explicit") -> tuple[dict, np.ndarray | FlatTail]:
    """The spectrum's parameters at (n, p) and the spectrum itself (compact with ``tail = "wishart"``)."""
    params = sp.resolve(n, p)
    try:
        if tail == "wishart":
            s: np.ndarray | FlatTail = compact_spectrum(sp.kind, p, params)
        else:
            s = getattr(spectra, sp.kind)(p, **params)
    except (TypeError, ValueError) as exc:
        shown = ", ".join(f"{k}={v!r}" for k, v in params.items())
        raise SpecError(f"spectrum[{i}] ({sp.kind}) is invalid at n={n}, p={p} ({shown}): {exc}") from None
    if isinstance(s, FlatTail):
        why = check_flat(s)
        if why is not None:
            raise SpecError(f"spectrum[{i}] ({sp.kind}) at n={n}, p={p}: {why} (use tail = \"explicit\" or "
                            "a larger p)")
        finite = math.isfinite(s.trace)
    else:
        finite = bool(np.all(np.isfinite(s)))
    if not finite or trace_of(s) <= 0:
        raise SpecError(f"spectrum[{i}] ({sp.kind}) at n={n}, p={p} has no positive finite mass")
    return params, s


def _resolve_truth(gt: GroundTruth | None, signal: float, j: int, sp_name: str, s: np.ndarray | FlatTail,
                   n: int) -> dict:
    """Build theta* once (validating it at this spectrum and n) and say what it resolved to (with a
    compact spectrum, compactly: no array of length p)."""
    if isinstance(s, FlatTail):
        p, first = s.p, float(s.lead[0]) if s.m else s.tail
    else:
        p, first = s.size, float(s[0])
    if gt is None:
        return {"signal": signal, "l2_norm": abs(signal), "sigma_norm": abs(signal) * math.sqrt(first)}
    try:
        if isinstance(s, FlatTail):
            lead, t = compact_truth(gt, signal, s, n)
            l2, sig = flat_norms(lead, t, s)
        else:
            theta = gt.build(s, n=n)
            l2, sig = float(np.linalg.norm(theta)), math.sqrt(float(np.sum(s * theta * theta)))
        idx = gt.indices(s, n)
    except (TypeError, ValueError) as exc:
        raise SpecError(f"theta_star[{j}] ({gt.describe()}) is invalid with spectrum {sp_name!r} at n={n}, "
                        f"p={p}: {exc}") from None
    return {"description": gt.describe(), "indices": idx, "l2_norm": l2, "sigma_norm": sig}


def expand(spec: Spec, *, check: bool = True) -> Grid:
    """The groups of ``spec`` in canonical order, its tasks and folds on demand.

    Validates the n/p-dependent values: each spectrum is built once per (n, p) and, with ``check``,
    each ground truth once per (spectrum, n, p) (a band beyond p, a file of another length are spec
    errors here), so call it after the sweep's size has been checked. ``check=False`` (reading a
    store) builds no ground truth.

    Parameters
    ----------
    spec : Spec
        A validated spec (:func:`fastrisk.sweep.parse_spec`).
    check : bool, default True
        Build and check every ground truth (False when reading a store).

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
    resolved: list[dict] = []
    columns = {"theta_star": spec.theta_stars is not None, "noise_avg": spec.noise_avg,
               "accuracy": spec.dtype == "float32"}
    truths = spec.theta_stars if spec.theta_stars is not None else (None,)
    labels = spec.truth_labels
    pairs = [(n, p) for n in spec.n for p in spec.p_values(n)]
    flat = spec.model == "linear"
    for i, sp in enumerate(spec.spectra):
        built = []
        wishart: dict[tuple[int, int], dict] = {}
        for n, p in pairs:
            params, s = _resolve_spectrum(sp, i, n, p, spec.tail)
            scale = float(n) ** spec.eps_n_power * float(p) ** spec.eps_p_power
            if spec.eps_relative:
                scale *= math.sqrt(trace_of(s))
            eps = [v * scale for v in spec.eps_values]
            if not all(math.isfinite(e) for e in eps):
                raise SpecError(f"path.eps is not finite at n={n}, p={p}")
            built.append((n, p, params, s, eps))
            # keys only a wishart task has: the tasks of other specs stay as they were
            wishart[n, p] = ({"tail": "wishart", "stream": False, "lead": s.m} if isinstance(s, FlatTail)
                             else {})
        for j, gt in enumerate(truths):
            for n, p, params, s, eps in built:
                if check:
                    resolved.append({"spectrum": sp.name, "theta_star": labels[j], "n": n, "p": p,
                                     **_resolve_truth(gt, spec.signal, j, sp.name, s, n)})
                lam = spec.lam_for(n)
                for noise in spec.noise:
                    groups.append({
                        "group": len(groups), "model": spec.model, "spectrum": sp.name, "kind": sp.kind,
                        "params": params, "n": n, "p": p, "noise": noise, "signal": spec.signal,
                        "theta_star": labels[j], "truth": None if gt is None else gt.to_dict(),
                        "lam": lam, "eps": eps, "eps_spec": list(spec.eps_values),
                        "norms": list(spec.norms), "targets": list(spec.targets),
                        "test_size": spec.test_size, "ntk": dict(spec.ntk),
                        "stream": (flat and spec.stream_min is not None and n <= p
                                   and n * p >= spec.stream_min),
                        "dtype": spec.dtype, "noise_avg": spec.noise_avg, "columns": columns,
                        **wishart[n, p],
                    })
    rows = spec.n_penalties * len(spec.eps_values) * len(spec.norms) * len(spec.targets)
    return Grid(groups, spec.seeds, rows, shape=(len(spec.spectra), len(truths), len(pairs), len(spec.noise)),
                columns=columns, resolved=resolved)


def task_seconds(unit: dict) -> float:
    """A rough one-thread cost of a task, a fold or a group's theory, in seconds (it only sizes batches,
    never enters a result; calibrated within a factor of about 3 on a 2-core x86 machine). A fold pays
    the draw, the Gram and the eigendecomposition once and the rest per target."""
    n, p, L = float(unit["n"]), float(unit["p"]), float(len(unit["lam"]))
    E, K = float(len(unit["eps"])), float(len(unit["norms"]) * len(unit["targets"]))
    lq = sum(1 for q in unit["norms"] if q != 2.0) * len(unit["targets"])
    if unit.get("kind_of_unit") == "theory":  # the sequence norms' equivalents cost most
        if unit.get("tail") == "wishart":  # compact: the leading eigenvalues and one tail value
            p = float(unit["lead"]) + 1
        return 0.02 + (0.15 if lq else 0.0) + (p * L * (4 + 20 * lq) + L * E * K * 50) / 1e9
    k = float(len(unit["members"])) if unit.get("kind_of_unit") == "fold" else 1.0
    t = float(unit["ntk"]["test_size"] if unit["model"] == "ntk" else unit["test_size"])
    if unit.get("tail") == "wishart":  # the Bartlett factor, its product and the eigh: p never enters
        m = float(unit["lead"]) + k
        return 1e-3 + (n * n * m + 5 * n**3) / 1e10 + n * n / 2e8 + k * 20 * L * E * K / 1e9
    once = (n * n * p + 4 * n**3) / 1e10 + n * p / 2e8
    each = 20 * L * E * K / 1e9 + (2 * n * p * L * lq + 2 * t * p * L * (1 + lq)) / 2e9
    if unit["model"] == "ntk":  # one kernel path per target
        each += once + (4 * t * n * p + 2 * t * p * L * (1 + len(unit["norms"]))) / 1e9
        once = 0.0
    return 1e-3 + once + k * each


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
