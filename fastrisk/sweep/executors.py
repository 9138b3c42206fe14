"""Executors: run units of work (tasks, theory groups) and yield results as they finish.

Three ways, one contract -- ``execute(batches)`` takes batches of units (several folds -- the tasks
sharing one X -- or several groups' theory: :func:`fastrisk.sweep.tasks.batches`) and yields ``(batch,
table, done, error)`` in completion order: the rows of the batch's first ``done`` units and, if a unit
raised, the error naming it. The caller (the process that called :func:`fastrisk.sweep.run`) writes every
table; local pool workers, which share its file system, write their own (``table`` is then None) and
raise :class:`TaskError` after writing what they finished:

- :class:`SerialExecutor`: in the calling process (``workers=1``), no machinery at all.
- :class:`PoolExecutor`: a local process pool started with ``spawn`` (never ``fork``: a forked child of
  a process that has used Numba's OpenMP layer or an OpenBLAS pool can hang). Workers are all started
  at once and kept across batches; each holds one batch at a time; each sets its BLAS and Numba threads
  to ``threads`` in its initializer (threadpoolctl and ``numba.set_num_threads``) and exits when the
  process that started the pool dies, ``kill -9`` included (:func:`_exit_with_parent`).
- :class:`~fastrisk.sweep.cluster.DaskExecutor` (in :mod:`fastrisk.sweep.cluster`, with the scheduler
  address check and ``connect``): ``client.submit`` per batch on a user's ``distributed.Client``,
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
import sys
import threading
from collections.abc import Iterable, Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from contextlib import contextmanager

import pyarrow as pa

from .compute import compute_batch, describe, unit_key

__all__ = ["compute_unit", "TaskError", "describe", "pin_threads", "SerialExecutor", "PoolExecutor",
           "cpu_count", "shutdown_workers", "START_METHOD", "Result", "first_unit"]

#: What an executor yields per batch: the batch, the rows of its first ``done`` units (None when a pool
#: worker wrote them itself), ``done``, and the error of the unit that raised (None if none did).
Result = tuple[dict, "pa.Table | None", int, "str | None"]

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


def compute_unit(batch: dict, *, pin: bool = True) -> tuple[pa.Table | None, int, str | None]:
    """Compute a batch (:func:`~fastrisk.sweep.compute.compute_batch`) on ``batch["threads"]`` BLAS and
    Numba threads (the thread count is part of the arithmetic: threaded SYRK and parallel reductions
    split sums differently, so every executor computes every unit on the same count)."""
    if pin:
        pin_threads(batch["threads"])
    return compute_batch(batch)


def compute_and_write(batch: dict, out: str) -> int:
    """Compute a batch and write its table into the store at ``out`` (a local pool worker); returns the
    number of units done. Only this small number travels back: a worker stopped mid-batch can never
    leave a half-sent result in the pool's pipe (which would hang the pool's shutdown). A unit that
    raised is a :class:`TaskError`, raised after the units before it are written."""
    from .store import write_batch

    table, done, error = compute_unit(batch)
    if table is not None:
        write_batch(out, batch, table, done)
    if error is not None:
        raise TaskError(error)
    return done


class TaskError(RuntimeError):
    """A task (or a group's theory) raised: the message names the task and the original error. The
    finished tasks stay in the store; fix the spec or rerun to resume."""


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

    def execute(self, batches: Iterable[dict]) -> Iterator[Result]:
        import numba
        from threadpoolctl import threadpool_limits

        prev = numba.get_num_threads()
        with threadpool_limits(limits=self.threads):
            numba.set_num_threads(max(1, min(self.threads, numba.config.NUMBA_NUM_THREADS)))
            try:
                for b in batches:
                    yield (b, *compute_unit(b, pin=False))
            finally:
                numba.set_num_threads(prev)

    def close(self) -> None:
        pass


#: Seconds between two looks of a worker's watchdog at its parent.
WATCH_INTERVAL = 0.5


def _exit_with_parent(parent_pid: int, death_signal: bool) -> None:
    """End this worker when the process that started the pool dies (``kill -9`` included): a pool worker
    otherwise waits forever on a queue whose write end it holds itself, or finishes its batch for nobody.

    A watchdog thread waits on the parent's sentinel and polls the parent pid (``os.getppid()`` changes
    when the parent dies): portable, but it needs the GIL, which a long Numba kernel holds until it
    returns. Where the parent says so (``death_signal``: the pool was started by its main thread, which
    lives as long as the process), Linux's ``PR_SET_PDEATHSIG`` also kills the worker at once; it fires
    when the *thread* that created the child exits, so it is never used for pools started by other
    threads."""
    if death_signal and sys.platform.startswith("linux"):
        import ctypes
        import signal

        try:
            libc = ctypes.CDLL(None, use_errno=True)
            libc.prctl(1, int(signal.SIGKILL), 0, 0, 0)  # PR_SET_PDEATHSIG = 1
        except (OSError, AttributeError):  # pragma: no cover - no prctl
            pass
    if os.getppid() != parent_pid:  # died before the watch began
        os._exit(1)
    parent = multiprocessing.parent_process()
    sentinel = None if parent is None else parent.sentinel

    def watch():
        from multiprocessing.connection import wait as wait_ready

        while True:
            if sentinel is not None:
                if wait_ready([sentinel], timeout=WATCH_INTERVAL):
                    os._exit(1)
            else:  # pragma: no cover - not a multiprocessing child
                threading.Event().wait(WATCH_INTERVAL)
            if os.getppid() != parent_pid:
                os._exit(1)

    threading.Thread(target=watch, name="fastrisk-parent-watch", daemon=True).start()


def _init_worker(threads: int, parent_pid: int | None = None, death_signal: bool = False) -> None:
    """Pool initializer: BLAS and Numba threads of this worker = ``threads``; exit with the parent;
    leave Ctrl-C to the parent (which stops the pool), so a terminal's SIGINT to the whole process group
    does not print a traceback per worker."""
    import signal

    signal.signal(signal.SIGINT, signal.SIG_IGN)
    if hasattr(signal, "pthread_sigmask"):  # started with SIGINT blocked (see _sigint_blocked)
        signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT})
    _exit_with_parent(os.getppid() if parent_pid is None else parent_pid, death_signal)
    pin_threads(threads)


def _ready() -> int:
    return os.getpid()


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
    """The kept-alive pool of this shape, started (``spawn``) if missing or of another shape. All its
    workers are started here, by this thread, and are up when it returns."""
    global _shared_pool
    if _shared_pool is not None:
        w, t, pool = _shared_pool
        if (w, t) == (workers, threads) and not getattr(pool, "_broken", False):
            return pool
        shutdown_workers()
    main = threading.current_thread() is threading.main_thread()
    pool = ProcessPoolExecutor(max_workers=workers, mp_context=multiprocessing.get_context(START_METHOD),
                               initializer=_init_worker, initargs=(threads, os.getpid(), main))
    _shared_pool = (workers, threads, pool)
    with _sigint_blocked():  # the workers start now, immune to a Ctrl-C meant for this process
        ready = [pool.submit(_ready) for _ in range(workers)]
        spawn = getattr(pool, "_spawn_process", None)  # on-demand spawning may have started fewer
        while spawn is not None and len(getattr(pool, "_processes", None) or ()) < workers:
            spawn()
    wait(ready)
    return pool


def shutdown_workers(*, kill: bool = False) -> None:
    """Stop the local worker processes kept alive between :func:`fastrisk.sweep.run` calls (they also
    stop when this process exits); ``kill`` terminates them mid-task (an interrupted sweep).

    Parameters
    ----------
    kill : bool, default False
        Terminate the workers at once (a task in progress is lost; its sweep resumes it later).

    Examples
    --------
    >>> import fastrisk.sweep as sw
    >>> sw.shutdown_workers()      # nothing to stop: a no-op
    """
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

    def execute(self, batches: Iterable[dict]) -> Iterator[Result]:
        it = iter(batches)
        pending: dict[Future, dict] = {}
        window = 2 * self.workers  # a few queued ahead so no worker waits; memory stays bounded
        try:
            while True:
                while len(pending) < window:
                    b = next(it, None)
                    if b is None:
                        break
                    f: Future = (self._pool.submit(compute_unit, b) if self.out is None
                                 else self._pool.submit(compute_and_write, b, self.out))
                    pending[f] = b
                if not pending:
                    self._clean = True
                    return
                done, _ = wait(pending, return_when=FIRST_COMPLETED)
                for g in sorted(done, key=lambda g: _order(pending[g])):
                    b = pending.pop(g)
                    r = g.result()
                    if self.out is None:
                        yield (b, *r)
                    else:  # the worker wrote the rows and returned how many units
                        yield (b, None, r, None)
        finally:
            for f in pending:
                f.cancel()

    def close(self) -> None:
        if not self._clean:  # a task failed or the caller was interrupted: don't wait for the others
            shutdown_workers(kill=True)
        elif not self.keep:
            shutdown_workers()


def _order(b: dict) -> tuple[int, int]:
    return (0 if b["kind"] == "theory" else 1, first_unit(b))


def first_unit(b: dict) -> int:
    return unit_key(b["items"][0])
