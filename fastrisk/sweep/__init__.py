"""Sweeps at scale: a grid spec, local and Dask executors, a crash-safe result store, theory beside rows.

::

    import fastrisk.sweep as sw
    summary = sw.run("spec.toml", "results/sweep1", workers=2)   # or a dict with the same structure
    df = sw.load("results/sweep1")       # one row per (task, lam, eps, norm, target)

A task is one (spectrum, n, p, noise, seed); its data are exactly
``GaussianDesign(spectra.<kind>(p, **params), signal * e_1, noise).sample(n, seed=seed)``, so every row
can be recomputed with the public API. Modules: :mod:`~fastrisk.sweep.spec` (parse and validate),
:mod:`~fastrisk.sweep.tasks` (expand the grid), :mod:`~fastrisk.sweep.compute` (one task -> a table),
:mod:`~fastrisk.sweep.executors` (in-process, local pool, Dask), :mod:`~fastrisk.sweep.store`
(Parquet per task, manifest, :func:`load`).
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Mapping

from .._extras import require

require("fastrisk.sweep", "sweep")  # pandas, pyarrow, tqdm: one line naming the pip install if missing

from .executors import (
    DaskExecutor,
    PoolExecutor,
    SerialExecutor,
    TaskError,
    connect,
    cpu_count,
    shutdown_workers,
)
from .spec import Spec, SpecError, parse_spec
from .store import Store, StoreError, load
from .tasks import expand

__all__ = ["run", "load", "parse_spec", "expand", "Spec", "SpecError", "StoreError", "TaskError",
           "connect", "shutdown_workers"]


def _progress_bar(total: int, initial: int, enabled: bool):
    from tqdm.auto import tqdm

    on = bool(enabled) and sys.stderr.isatty()
    return tqdm(total=total, initial=initial, disable=not on, file=sys.stderr, unit="task",
                desc="fastrisk sweep", dynamic_ncols=True)


def run(spec: Mapping | str | os.PathLike | Spec, out: str | os.PathLike, *, workers: int | None = None,
        client=None, progress: bool = True, threads: int = 1, keep_workers: bool = True) -> dict:
    """Run a sweep, writing each finished task to ``out``; resume whatever is already there.

    Parameters
    ----------
    spec : dict, path of a TOML file, or Spec
        The sweep (keys in the README, "Sweeps"). Validated whole before anything is computed or written.
    out : path-like
        Output directory: created if missing; if it holds this spec's results, the finished tasks are
        skipped; if it holds another spec's results, StoreError and nothing is touched.
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

    Returns
    -------
    dict
        ``tasks`` (in the spec), ``skipped`` (already in ``out``), ``computed``, ``rows`` (in ``out``
        now), ``theory_groups``, ``out``, ``seconds``, ``workers``, ``executor``, ``threads``,
        ``spec_hash``.

    Raises
    ------
    SpecError
        The spec is invalid (names the key).
    StoreError
        ``out`` holds another spec's results, or another sweep is running on it.
    TaskError
        A task raised (named in the message); the tasks finished before it are kept.
    """
    t0 = time.perf_counter()
    spec = parse_spec(spec)
    grid = expand(spec)
    if workers is not None and (isinstance(workers, bool) or not isinstance(workers, int) or workers < 1):
        raise ValueError(f"workers must be an integer >= 1, got {workers!r}")
    if isinstance(threads, bool) or not isinstance(threads, int) or threads < 1:
        raise ValueError(f"threads must be an integer >= 1, got {threads!r}")
    h = spec.hash
    with Store(out, spec, threads=threads) as store:
        done = store.done_tasks()
        todo = [t for t in grid.tasks if t["id"] not in done]
        theory_todo = []
        if spec.theory:
            gdone = store.done_groups()
            theory_todo = [g for g in grid.groups if g["group"] not in gdone]
        units = [dict(u, _hash=h, threads=threads) for u in theory_todo + todo]
        if client is not None:
            ex = DaskExecutor(client)
        else:
            w = max(1, cpu_count() // threads) if workers is None else workers
            w = max(1, min(w, len(units)))
            ex = (SerialExecutor(threads) if w == 1
                  else PoolExecutor(w, threads, keep=keep_workers, out=store.out))
        bar = _progress_bar(len(grid.tasks), len(done), progress)
        computed = 0
        try:
            for u, table in ex.execute(units):
                if table is not None:  # None: a local worker has written it already
                    store.write(u, table)
                if u["kind_of_unit"] == "task":
                    computed += 1
                    bar.update(1)
        finally:
            bar.close()
            ex.close()
        n_done = len(store.done_tasks())
    return {
        "tasks": len(grid.tasks),
        "skipped": len(done),
        "computed": computed,
        "rows": n_done * grid.rows_per_task,
        "theory_groups": len(grid.groups) if spec.theory else 0,
        "out": os.fspath(out),
        "seconds": time.perf_counter() - t0,
        "workers": getattr(ex, "workers", 1),
        "executor": ex.name,
        "threads": threads,
        "spec_hash": h,
    }
