"""Sweeps at scale: a grid spec, local and Dask executors, a crash-safe verified store, theory beside rows.

::

    import fastrisk.sweep as sw
    summary = sw.run("spec.toml", "results/sweep1", workers=2)   # or a dict with the same structure
    df = sw.load("results/sweep1")       # one row per (task, lam, eps, norm, target)

A task is one (spectrum, n, p, noise, seed); its data are exactly
``GaussianDesign(spectra.<kind>(p, **params), signal * e_1, noise).sample(n, seed=seed)``, so every row
can be recomputed with the public API (with ``tail = "wishart"``: the compact design and
``RidgePath.from_design(..., tail="wishart")``, :mod:`~fastrisk.sweep.tails`). Modules:
:mod:`~fastrisk.sweep.spec` (parse and validate; the keys are declared once in
:mod:`~fastrisk.sweep.keys`, which also yields ``spec.schema.json``),
:mod:`~fastrisk.sweep.size` (count and refuse before anything is expanded), :mod:`~fastrisk.sweep.tasks`
(expand the grid, batch the work), :mod:`~fastrisk.sweep.compute` (a batch -> a table),
:mod:`~fastrisk.sweep.executors` (in-process, local pool, Dask), :mod:`~fastrisk.sweep.store` (Parquet
per batch, verified on resume, manifest with provenance), :mod:`~fastrisk.sweep.read` (:func:`load`,
:func:`provenance`).
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Mapping

import numpy as np

from .._extras import require

require("fastrisk.sweep", "sweep")  # pandas, pyarrow, tqdm: one line naming the pip install if missing

from . import runinfo as _prov  # noqa: E402 - after the extra's check
from . import tasks as _tasks  # noqa: E402
from .cluster import DaskExecutor, check_address, connect
from .compute import unit_ids
from .executors import PoolExecutor, SerialExecutor, TaskError, cpu_count, shutdown_workers
from .read import count_true, load, provenance
from .runinfo import VersionChangeWarning
from .size import MAX_TASKS, SweepTooLarge, measure
from .spec import Spec, SpecError, json_schema, parse_spec
from .store import DamagedFileWarning, Store, StoreError
from .summary import best_penalties
from .tasks import batches, expand, task_seconds

__all__ = ["run", "load", "provenance", "best_penalties", "parse_spec", "expand", "measure", "json_schema",
           "Spec", "SpecError", "StoreError", "TaskError", "SweepTooLarge", "DamagedFileWarning",
           "VersionChangeWarning", "MAX_TASKS", "connect", "check_address", "shutdown_workers"]


def _progress_bar(total: int, initial: int, enabled: bool):
    from tqdm.auto import tqdm

    on = bool(enabled) and sys.stderr.isatty()
    return tqdm(total=total, initial=initial, disable=not on, file=sys.stderr, unit="task",
                desc="fastrisk sweep", dynamic_ncols=True)


def _dask_memory_limit(client) -> float | None:
    """The smallest memory limit of the cluster's workers, in bytes (None when none is set)."""
    try:
        limits = [float(w.get("memory_limit") or 0) for w in client.scheduler_info()["workers"].values()]
    except Exception:  # noqa: BLE001 - only informative
        return None
    limits = [v for v in limits if v > 0]
    return min(limits) if limits else None


def _check_run_args(workers, threads, max_memory, batch_seconds) -> None:
    if workers is not None and (isinstance(workers, bool) or not isinstance(workers, int) or workers < 1):
        raise ValueError(f"workers must be an integer >= 1, got {workers!r}")
    if isinstance(threads, bool) or not isinstance(threads, int) or threads < 1:
        raise ValueError(f"threads must be an integer >= 1, got {threads!r}")
    if not (isinstance(batch_seconds, (int, float)) and not isinstance(batch_seconds, bool)
            and np.isfinite(batch_seconds) and batch_seconds >= 0):
        raise ValueError(f"batch_seconds must be a number >= 0, got {batch_seconds!r}")
    if max_memory is not None and (isinstance(max_memory, bool) or not isinstance(max_memory, (int, float))
                                   or not np.isfinite(max_memory) or max_memory <= 0):
        raise ValueError(f"max_memory must be a number of GiB > 0, got {max_memory!r}")


def _theory_batches(grid, gids: np.ndarray, workers: int, extra: dict, seconds: float):
    """The batches of theory groups ``gids``, each a plain dict, made as they are needed."""
    if gids.size == 0:
        return [], iter(())
    cost = np.array([task_seconds(dict(g, kind_of_unit="theory")) for g in grid.groups])[gids]
    parts = batches(gids, cost, grid.rows_per_task, max_items=_cap(gids.size, workers), seconds=seconds)
    return parts, ({"kind": "theory", "items": [grid.theory(i) for i in part], **extra} for part in parts)


def _task_batches(grid, done: np.ndarray, workers: int, extra: dict, seconds: float):
    """The batches of the folds holding a task not in ``done``, each a plain dict, made as needed."""
    folds = grid.todo_folds(done)
    if folds.size == 0:
        return [], iter(())
    cost = grid.fold_seconds()[folds // len(grid.seeds)]
    rows = grid.rows_per_task * grid.targets_per_fold
    parts = batches(folds, cost, rows, max_items=_cap(folds.size, workers), seconds=seconds)
    return parts, ({"kind": "task", "items": [grid.fold(f, done) for f in part], **extra} for part in parts)


def _cap(units: int, workers: int) -> int:
    per_worker = 4 if workers > 1 else 1  # several batches per worker keep a pool balanced
    return max(1, -(-units // (per_worker * workers)))


def run(spec: Mapping | str | os.PathLike | Spec, out: str | os.PathLike, *, workers: int | None = None,
        client=None, progress: bool = True, threads: int = 1, keep_workers: bool = True,
        max_memory: float | None = None, allow_large: bool = False,
        batch_seconds: float | None = None) -> dict:
    """Run a sweep, writing each finished batch of tasks to ``out``; resume whatever is already there.

    Parameters
    ----------
    spec : dict, path of a TOML file, or Spec
        The sweep (keys in docs/guide/sweeps.md). Validated whole before anything is computed or written.
    out : path-like
        Output directory: created if missing; if it holds this spec's results, the finished tasks are
        skipped (each file verified: a damaged one is moved into ``out/damaged`` with a
        :class:`DamagedFileWarning` and recomputed); if it holds another spec's results, StoreError and
        nothing is touched.
    workers : int, optional
        Local processes (default: the machine's cores // ``threads``). ``1`` computes in the calling
        process. Ignored when ``client`` is given.
    client : distributed.Client, optional
        Submit the tasks to this Dask cluster instead; results are written by this process.
    progress : bool, default True
        A tqdm bar with ETA on stderr (only when stderr is a terminal).
    threads : int, default 1
        BLAS and Numba threads every task is computed on, whatever the executor (pool and Dask workers
        keep this setting). The tables are identical for any ``workers`` and executor at one
        ``threads``; another count may change the last bits (threaded sums split differently), so
        the store records it and a resume with another count is refused. Raise it for sweeps of a
        few large tasks, where one task at a time with all cores beats one task per core.
    keep_workers : bool, default True
        Keep the local worker processes alive for the next call (same ``workers`` and ``threads``), so
        a session of sweeps pays their start-up once; :func:`shutdown_workers` stops them.
    max_memory : float, optional
        GiB the sweep may use at once (estimated per task, times the local workers, plus each worker
        process's own); default: the memory available now (on a Dask cluster: its workers' memory
        limit). A sweep needing more is refused before anything is written.
    allow_large : bool, default False
        Run a sweep that exceeds ``max_memory``, has more than :data:`MAX_TASKS` tasks or a store
        larger than the free disk (refused otherwise, with a :class:`SweepTooLarge`).
    batch_seconds : float, optional
        Estimated seconds of work per batch (default :data:`fastrisk.sweep.tasks.BATCH_SECONDS`, 0.5):
        consecutive small tasks share a worker call and a file up to this much (a large task travels
        alone; 0: one task per file). Smaller means finer progress and less work lost to a crash,
        larger means fewer files; the table is the same.

    Returns
    -------
    dict
        ``tasks`` (in the spec), ``skipped`` (already in ``out``), ``computed``, ``rows`` (in ``out``
        now), ``theory_groups``, ``out``, ``seconds``, ``workers``, ``executor``, ``threads``,
        ``spec_hash``, ``batches`` (worker calls and files this run), ``flagged_rows`` (rows of a
        ``dtype = "float32"`` sweep whose ``accuracy_flag`` is set, in ``out`` now; 0 in float64).

    Raises
    ------
    SpecError
        The spec is invalid (names the key).
    SweepTooLarge
        The sweep exceeds a limit above (a ``ValueError``; nothing is written).
    StoreError
        ``out`` holds another spec's results, or another sweep is running on it.
    TaskError
        A task raised (named in the message); the tasks finished before it are kept.

    Examples
    --------
    >>> import tempfile, fastrisk.sweep as sw
    >>> spec = {"n": 10, "p": 30, "seeds": 2, "spectrum": {"kind": "isotropic"},
    ...         "path": {"lam_n": [0.0, 0.1], "eps": [0.0, 0.1]}}
    >>> s = sw.run(spec, tempfile.mkdtemp(), workers=1, progress=False)
    >>> s["tasks"], s["rows"]
    (2, 8)
    """
    t0 = time.perf_counter()
    spec = parse_spec(spec)
    if batch_seconds is None:
        batch_seconds = _tasks.BATCH_SECONDS
    _check_run_args(workers, threads, max_memory, batch_seconds)
    size = measure(spec)  # counts and estimates from the spec's lists: nothing expanded yet
    limit = None if max_memory is None else float(max_memory) * 2**30
    if client is not None:
        procs, new = 1, False
        if limit is None:
            limit = _dask_memory_limit(client) or float("inf")
    else:
        w = max(1, cpu_count() // threads) if workers is None else workers
        procs = max(1, min(w, size.folds + (size.groups if spec.theory else 0)))
        new = procs > 1
    size.check(processes=procs, new_processes=new, max_memory=limit, out=out, allow_large=allow_large)
    grid = expand(spec)
    h = spec.hash
    with Store(out, spec, grid, threads=threads) as store:
        skipped = int(store.done.sum())
        todo = grid.todo_folds(store.done)
        gtodo = np.flatnonzero(~store.done_groups) if spec.theory else np.empty(0, dtype=np.int64)
        ex: DaskExecutor | SerialExecutor | PoolExecutor
        if client is not None:
            ex = DaskExecutor(client)
        else:
            units = todo.size + gtodo.size
            w = max(1, min(procs, units))
            ex = (SerialExecutor(threads) if w == 1
                  else PoolExecutor(w, threads, keep=keep_workers, out=store.out))
        extra = {"_hash": h, "threads": threads}
        if todo.size or gtodo.size:
            record = _prov.collect()
            if client is not None:
                record["dask_workers"] = _dask_versions(client)
            extra["run"] = store.record_run(record)
        nw = max(1, getattr(ex, "workers", 1) or 1)
        gparts, gbatches = _theory_batches(grid, gtodo, nw, extra, batch_seconds)
        tparts, tbatches = _task_batches(grid, store.done.copy(), nw, extra, batch_seconds)
        bar = _progress_bar(grid.n_tasks, skipped, progress)
        computed = 0
        try:
            for b, table, done, error in ex.execute(_chain(gbatches, tbatches)):
                if table is not None and done:  # None: a local worker has written it already
                    store.write(b, table, done)
                elif done:
                    store.mark(b, done)
                if b["kind"] == "task":
                    tasks = sum(len(unit_ids(u)) for u in b["items"][:done])
                    computed += tasks
                    bar.update(tasks)
                if error is not None:
                    raise TaskError(error)
        finally:
            bar.close()
            ex.close()
        n_done = int(store.done.sum())
    flagged = count_true(out, "accuracy_flag") if grid.columns.get("accuracy") else 0
    return {
        "tasks": grid.n_tasks,
        "skipped": skipped,
        "computed": computed,
        "rows": n_done * grid.rows_per_task,
        "theory_groups": len(grid.groups) if spec.theory else 0,
        "out": os.fspath(out),
        "seconds": time.perf_counter() - t0,
        "workers": getattr(ex, "workers", 1),
        "executor": ex.name,
        "threads": threads,
        "spec_hash": h,
        "batches": len(gparts) + len(tparts),
        "flagged_rows": flagged,
    }


def _chain(*its):
    for it in its:
        yield from it


def _dask_versions(client) -> dict:
    """The versions each Dask worker reports (they compute the numbers; they may differ from here)."""
    try:
        return client.run(_prov.versions)
    except Exception as exc:  # noqa: BLE001 - provenance never stops a sweep
        return {"error": f"{type(exc).__name__}: {exc}"}
