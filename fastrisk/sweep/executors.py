"""Executors: run units of work (tasks, theory groups) and yield results as they finish.

Three ways, one contract -- ``execute(units)`` yields ``(unit, table)`` pairs in completion order and the
caller (the process that called :func:`fastrisk.sweep.run`) writes every table (local pool workers,
which share its file system, write their own and yield ``(unit, None)``):

- :class:`SerialExecutor`: in the calling process (``workers=1``), no machinery at all.
- :class:`PoolExecutor`: a local process pool started with ``spawn`` (never ``fork``: a forked child of
  a process that has used Numba's OpenMP layer or an OpenBLAS pool can hang). Workers are started once
  and kept across tasks; each holds one task at a time; each sets its BLAS and Numba threads to
  ``threads`` in its initializer (threadpoolctl and ``numba.set_num_threads``).
- :class:`DaskExecutor`: ``client.submit`` per unit on a user's ``distributed.Client``,
  collected with ``distributed.as_completed``; a cluster needs no shared file system.

Every unit is computed by the same pure function of its plain-dict argument, on the same number of
BLAS and Numba threads (``unit["threads"]``, default 1), so the tables are the same bit for bit
whatever the executor and the number of workers. The thread count itself is part of the arithmetic
(OpenBLAS's threaded SYRK and Numba's parallel reductions split sums by thread), which is why it is
fixed per sweep rather than derived from the number of workers.
"""

from __future__ import annotations

import multiprocessing
import os
import threading
from collections.abc import Iterable, Iterator
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
from contextlib import contextmanager

import pyarrow as pa

from .compute import compute_task, compute_theory

__all__ = ["compute_unit", "TaskError", "describe", "pin_threads", "SerialExecutor", "PoolExecutor",
           "DaskExecutor", "connect", "cpu_count", "shutdown_workers", "START_METHOD"]

#: Start method of the local pool (``fork`` is never used, see the module docstring).
START_METHOD = "spawn"


_pinned = threading.local()  # threads already set in this thread (Numba's setting is per thread)
_blas_limiter = None  # threadpoolctl's limiter, kept for the process lifetime (pool and Dask workers)


def pin_threads(threads: int) -> None:
    """Set BLAS (threadpoolctl) and Numba threads to ``threads`` for the rest of this process/thread.

    Used by pool and Dask workers, never in the caller's process (there :class:`SerialExecutor`
    restores the previous setting). A no-op when already set.
    """
    global _blas_limiter
    if getattr(_pinned, "threads", None) == threads:
        return
    from threadpoolctl import threadpool_limits

    _blas_limiter = threadpool_limits(limits=threads)
    import numba

    numba.set_num_threads(max(1, min(threads, numba.config.NUMBA_NUM_THREADS)))
    _pinned.threads = threads


def compute_unit(unit: dict, *, pin: bool = True) -> pa.Table:
    """Compute a task or a theory group (``unit["kind_of_unit"]``) on ``unit["threads"]`` BLAS and
    Numba threads (the thread count is part of the arithmetic: threaded SYRK and parallel reductions
    split sums differently, so every executor computes every unit on the same count)."""
    if pin:
        pin_threads(unit["threads"])
    try:
        if unit["kind_of_unit"] == "theory":
            return compute_theory(unit)
        return compute_task(unit)
    except Exception as exc:
        raise TaskError(f"{describe(unit)} failed: {type(exc).__name__}: {exc}") from exc


def compute_and_write(unit: dict, out: str) -> int:
    """Compute a unit and write its table into the store at ``out`` (a local pool worker); returns the
    number of rows. Only this small number travels back: a worker stopped mid-task can never leave a
    half-sent result in the pool's pipe (which would hang the pool's shutdown)."""
    from .store import write_unit

    table = compute_unit(unit)
    write_unit(out, unit, table)
    return table.num_rows


class TaskError(RuntimeError):
    """A task (or a group's theory) raised: the message names the task and the original error. The
    finished tasks stay in the store; fix the spec or rerun to resume."""


def describe(unit: dict) -> str:
    """``task 12 (spectrum=..., n=..., p=..., noise=..., seed=...)`` or ``theory of group 3 (...)``."""
    where = f"spectrum={unit['spectrum']!r}, n={unit['n']}, p={unit['p']}, noise={unit['noise']:g}"
    if unit["kind_of_unit"] == "theory":
        return f"theory of group {unit['group']} ({where})"
    return f"task {unit['id']} ({where}, seed={unit['seed']})"


def cpu_count() -> int:
    """Cores this process may use (the affinity mask where the OS has one)."""
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):  # pragma: no cover - macOS, Windows
        return os.cpu_count() or 1


class SerialExecutor:
    """Run every unit in the calling process, in order, on ``threads`` BLAS and Numba threads (the
    caller's settings are restored afterwards)."""

    workers = 1
    name = "serial"

    def __init__(self, threads: int = 1):
        self.threads = threads

    def execute(self, units: Iterable[dict]) -> Iterator[tuple[dict, pa.Table]]:
        import numba
        from threadpoolctl import threadpool_limits

        prev = numba.get_num_threads()
        with threadpool_limits(limits=self.threads):
            numba.set_num_threads(max(1, min(self.threads, numba.config.NUMBA_NUM_THREADS)))
            try:
                for u in units:
                    yield u, compute_unit(u, pin=False)
            finally:
                numba.set_num_threads(prev)

    def close(self) -> None:
        pass


def _exit_with_parent() -> None:
    """End this worker when the process that started the pool dies (``kill -9`` included): a pool worker
    otherwise waits forever on a queue whose write end it holds itself."""
    parent = multiprocessing.parent_process()
    if parent is None:  # pragma: no cover - not a multiprocessing child
        return

    def watch():
        from multiprocessing.connection import wait as wait_ready

        wait_ready([parent.sentinel])
        os._exit(1)

    threading.Thread(target=watch, name="fastrisk-parent-watch", daemon=True).start()


def _init_worker(threads: int) -> None:
    """Pool initializer: BLAS and Numba threads of this worker = ``threads``; exit with the parent;
    leave Ctrl-C to the parent (which stops the pool), so a terminal's SIGINT to the whole process group
    does not print a traceback per worker."""
    import signal

    signal.signal(signal.SIGINT, signal.SIG_IGN)
    if hasattr(signal, "pthread_sigmask"):  # started with SIGINT blocked (see _sigint_blocked)
        signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT})
    _exit_with_parent()
    pin_threads(threads)


_shared_pool: tuple[int, int, ProcessPoolExecutor] | None = None  # (workers, threads, pool)


@contextmanager
def _sigint_blocked():
    """Block SIGINT in this thread around a call that may start a worker (the pool starts them on
    demand, inside ``submit``): the child inherits the blocked mask, so a Ctrl-C during its start-up
    stays pending until its initializer ignores SIGINT (no traceback from it); here, a SIGINT that
    arrives meanwhile is delivered when the mask is restored, never lost."""
    import signal

    if not hasattr(signal, "pthread_sigmask"):  # pragma: no cover - Windows
        yield
        return
    old = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, old)


def _pool_for(workers: int, threads: int) -> ProcessPoolExecutor:
    """The kept-alive pool of this shape, started (``spawn``) if missing or of another shape."""
    global _shared_pool
    if _shared_pool is not None:
        w, t, pool = _shared_pool
        if (w, t) == (workers, threads) and not getattr(pool, "_broken", False):
            return pool
        shutdown_workers()
    pool = ProcessPoolExecutor(max_workers=workers, mp_context=multiprocessing.get_context(START_METHOD),
                               initializer=_init_worker, initargs=(threads,))
    _shared_pool = (workers, threads, pool)
    return pool


def shutdown_workers(*, kill: bool = False) -> None:
    """Stop the local worker processes kept alive between :func:`fastrisk.sweep.run` calls (they also
    stop when this process exits); ``kill`` terminates them mid-task (an interrupted sweep)."""
    global _shared_pool
    if _shared_pool is not None:
        pool = _shared_pool[2]
        _shared_pool = None
        if kill:
            for proc in list((getattr(pool, "_processes", None) or {}).values()):
                proc.terminate()
        pool.shutdown(wait=True, cancel_futures=True)


class PoolExecutor:
    """A ``spawn`` process pool of ``workers`` processes, kept alive across units and, with ``keep``,
    across :func:`fastrisk.sweep.run` calls (worker start-up -- an interpreter, imports, Numba cache
    loads, about a second of CPU each -- is paid once per session, not per sweep). With ``out``, each
    worker writes its own results into the store there and ``execute`` yields ``(unit, None)``.

    Parameters
    ----------
    workers : int (>= 2)
    threads : int
        BLAS and Numba threads per worker.
    keep : bool, default True
        Keep the workers for the next run (:func:`shutdown_workers` stops them).
    out : path-like, optional
        The store the workers write into (they share this machine's file system).
    """

    name = "local"

    def __init__(self, workers: int, threads: int = 1, *, keep: bool = True, out=None):
        self.workers = workers
        self.threads = threads
        self.keep = keep
        self.out = None if out is None else os.fspath(out)
        self._pool = _pool_for(workers, threads)
        self._clean = False

    def execute(self, units: Iterable[dict]) -> Iterator[tuple[dict, pa.Table]]:
        it = iter(units)
        pending = {}
        window = 2 * self.workers  # a few queued ahead so no worker waits; memory stays bounded
        try:
            while True:
                while len(pending) < window:
                    u = next(it, None)
                    if u is None:
                        break
                    if self.out is None:
                        fn, args = compute_unit, (u,)
                    else:
                        fn, args = compute_and_write, (u, self.out)
                    if len(getattr(self._pool, "_processes", None) or ()) < self.workers:
                        with _sigint_blocked():  # this submit may start a worker
                            f = self._pool.submit(fn, *args)
                    else:
                        f = self._pool.submit(fn, *args)
                    pending[f] = u
                if not pending:
                    self._clean = True
                    return
                done, _ = wait(pending, return_when=FIRST_COMPLETED)
                for f in sorted(done, key=lambda f: _order(pending[f])):
                    u = pending.pop(f)
                    r = f.result()
                    yield u, (None if self.out is not None else r)
        finally:
            for f in pending:
                f.cancel()

    def close(self) -> None:
        if not self._clean:  # a task failed or the caller was interrupted: don't wait for the others
            shutdown_workers(kill=True)
        elif not self.keep:
            shutdown_workers()


def _order(u: dict) -> tuple[int, int]:
    return (0 if u["kind_of_unit"] == "theory" else 1, u.get("id", u["group"]))


def connect(address: str, timeout: float = 20.0):
    """A ``distributed.Client`` on the scheduler at ``address``; ConnectionError within ``timeout`` s
    if it cannot be reached (never a hang)."""
    try:
        from distributed import Client
    except ImportError:  # pragma: no cover - dask extra not installed
        raise ImportError("a Dask scheduler needs the dask extra: pip install 'fastrisk[dask]'") from None
    try:
        return Client(address, timeout=f"{timeout}s")
    except (OSError, TimeoutError) as exc:
        raise ConnectionError(f"cannot reach the Dask scheduler at {address!r} within {timeout:g} s: "
                              f"{type(exc).__name__}: {exc}") from None


class DaskExecutor:
    """Submit units to a ``distributed.Client`` and collect results as they complete.

    At most ``window`` units are in flight (default: 4 per worker thread of the cluster, at least 64),
    so a sweep of 10^5 tasks never parks 10^5 argument sets on the scheduler; a new one is submitted as
    each result arrives.
    """

    name = "dask"

    def __init__(self, client, window: int | None = None):
        self.client = client
        try:
            info = client.scheduler_info().get("workers", {})
            self.workers = len(info)
            slots = sum(int(w.get("nthreads", 1)) for w in info.values())
        except Exception:  # noqa: BLE001 - only informative
            self.workers, slots = 0, 0
        self.window = window if window is not None else max(64, 4 * slots)

    def _submit(self, u: dict):
        key = f"fastrisk-sweep-{u['kind_of_unit']}-{u.get('id', u['group'])}-{u['_hash'][:16]}"
        return self.client.submit(compute_unit, u, key=key, pure=False)

    def execute(self, units: Iterable[dict]) -> Iterator[tuple[dict, pa.Table]]:
        from distributed import as_completed

        it = iter(units)
        futures = {}
        for u in it:
            futures[self._submit(u)] = u
            if len(futures) >= self.window:
                break
        if not futures:
            return
        ac = as_completed(list(futures), with_results=True)
        try:
            for f, table in ac:
                u = futures.pop(f)
                f.release()
                nxt = next(it, None)
                if nxt is not None:
                    g = self._submit(nxt)
                    futures[g] = nxt
                    ac.add(g)
                yield u, table
        finally:
            for f in futures:
                f.cancel()

    def close(self) -> None:
        pass
