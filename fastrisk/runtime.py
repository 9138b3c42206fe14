"""Process runtime: a fork-safe Numba threading layer, and one switch for BLAS and Numba threads.

Fork safety
-----------
Numba's parallel kernels run on a *threading layer*. Left to itself, Numba on Linux picks GNU OpenMP
when TBB cannot be loaded, and GNU OpenMP is not fork-safe: after any parallel fastrisk call, a
``multiprocessing.Pool`` with Linux's default ``fork`` start method prints ``Terminating: fork() called
from a process already using GNU OpenMP, this is unsafe.`` and hangs, and a ``ProcessPoolExecutor``
raises ``BrokenProcessPool``. At import, fastrisk therefore asks Numba for the layer named in
:data:`fastrisk.config.THREADING_LAYER` (``"tbb"`` first, ``"workqueue"`` if TBB cannot be loaded;
both fork-safe) unless the user has chosen one (the ``NUMBA_THREADING_LAYER`` environment variable, or
``numba.config.THREADING_LAYER`` set before ``import fastrisk``) or a parallel Numba function has
already run in this process (then the layer is fixed and fastrisk leaves it alone, with a warning if it
is GNU OpenMP). TBB is preferred because the layer is process-wide: the user's own Numba code shares
it, and TBB is also thread-safe (``nogil`` parallel functions called from several threads at once
abort the process under workqueue).

The ``tbb`` wheel from PyPI installs ``libtbb.so.12`` into ``<prefix>/lib``, which is not on the
loader's search path inside a virtual environment, so Numba reports TBB as unavailable. fastrisk
locates the library through the wheel's file list (``importlib.metadata``) and loads it once, before
Numba looks for it by name. :func:`thread_info` reports what was chosen.

Thread control
--------------
:func:`threads` (a context manager) and :func:`set_threads` (process-wide, for a process-pool
initializer) limit the BLAS pool (through ``threadpoolctl``) and Numba's pool together. Use one thread
per process when several processes share the cores (sweeps, pools, a loaded machine): there, a BLAS
pool of two threads on two busy cores spends its time waiting for the other thread (see docs/guide/threads.md,
"Threads and processes").

First run
---------
Kernels compile on their first call and are cached on disk; :func:`compile_notice` (from
:mod:`fastrisk.kernels._compile`) measures that and prints a notice while it takes long.
"""

from __future__ import annotations

import ctypes
import os
import sys
import warnings
from collections.abc import Iterator
from contextlib import contextmanager

import numba
from threadpoolctl import ThreadpoolController

from . import config
from ._validation import check_positive_int
from .kernels._compile import KernelSetup, compile_notice

__all__ = ["set_threads", "thread_info", "threads", "compile_notice", "KernelSetup"]

#: The shared-library names Numba's ``tbbpool`` extension asks the loader for.
_TBB_SONAME = {"linux": "libtbb.so.12", "darwin": "libtbb.12.dylib", "win32": "tbb12.dll"}
_LAYERS = ("tbb", "omp", "workqueue")

#: What :func:`select_threading_layer` did, for :func:`thread_info` ("chosen", "user", "late").
_selection: dict[str, object] = {}
#: threadpoolctl's view of the loaded thread pools, and ``len(sys.modules)`` when it was taken.
_ctl: list = [None, -1]


def _controller() -> ThreadpoolController:
    """A cached ``ThreadpoolController`` (scanning the loaded libraries costs milliseconds; a limit
    through a cached controller costs microseconds), rebuilt whenever modules were imported since, as a
    newly imported extension may have loaded another BLAS."""
    if _ctl[0] is None or _ctl[1] != len(sys.modules):
        _ctl[0] = ThreadpoolController()
        _ctl[1] = len(sys.modules)
    return _ctl[0]


def _parallel_launched() -> bool:
    """True once Numba's threading layer has been started in this process (then it cannot change)."""
    from numba.np.ufunc import parallel

    return bool(getattr(parallel, "_is_initialized", False))


def _load_tbb() -> bool:
    """Load the TBB runtime so that Numba's later load by name finds it; return whether one is loaded.

    First the library listed among the files of the installed ``tbb`` distribution (the PyPI wheel,
    fastrisk's dependency), loaded with ``RTLD_GLOBAL``; otherwise the loader's own search (conda,
    system packages, ``LD_LIBRARY_PATH``).
    """
    platform = "linux" if sys.platform.startswith("linux") else sys.platform
    name = _TBB_SONAME.get(platform)
    if name is None:
        return False
    from importlib.metadata import PackageNotFoundError, files

    try:
        listed = files("tbb") or []
    except PackageNotFoundError:
        listed = []
    for f in listed:
        if f.name == name:
            try:
                ctypes.CDLL(os.fspath(f.locate()), mode=getattr(ctypes, "RTLD_GLOBAL", 0))
                return True
            except OSError:
                break
    try:
        ctypes.CDLL(name)
        return True
    except OSError:
        return False


def _tbb_loadable() -> bool:
    """Whether Numba's TBB layer will load: the runtime found (:func:`_load_tbb`), new enough for Numba
    (``TBB_INTERFACE_VERSION >= 12060``, TBB 2021.6) and Numba's ``tbbpool`` extension importable. An
    old TBB on the system then means workqueue, not a failing first parallel call."""
    if not _load_tbb():
        return False
    try:
        lib = ctypes.CDLL(_TBB_SONAME["linux" if sys.platform.startswith("linux") else sys.platform])
        version = lib.TBB_runtime_interface_version
        version.restype = ctypes.c_int
        if version() < 12060:
            return False
        import numba.np.ufunc.tbbpool  # noqa: F401
    except (OSError, AttributeError, ImportError):
        return False
    return True


def select_threading_layer() -> str | None:
    """Ask Numba for the first available layer of :data:`fastrisk.config.THREADING_LAYER`.

    Called once by ``import fastrisk``. Leaves a user's explicit choice alone (the
    ``NUMBA_THREADING_LAYER`` environment variable, or a non-default ``numba.config.THREADING_LAYER``)
    but still makes the TBB runtime loadable for it, and does nothing once Numba's layer has been
    launched. Only sets ``numba.config.THREADING_LAYER``
    (never the environment); Numba starts the layer at the first parallel call.

    Returns
    -------
    str or None
        The layer requested, or None when fastrisk left the choice to the user or to an earlier call.
    """
    if _parallel_launched():
        _selection.update(requested=None, reason="late")
        if sys.platform.startswith("linux") and numba.threading_layer() == "omp":
            warnings.warn("Numba's GNU OpenMP threading layer was started before fastrisk was imported: "
                          "a fork-based process pool (multiprocessing's Linux default) will hang after "
                          "parallel calls. Import fastrisk first, or set NUMBA_THREADING_LAYER=tbb "
                          "(or workqueue).", RuntimeWarning, stacklevel=3)
        return None
    user = str(numba.config.THREADING_LAYER).lower()
    if "NUMBA_THREADING_LAYER" in os.environ or user != "default":
        if user not in ("omp", "workqueue"):
            _load_tbb()  # a user's "tbb", "safe", "threadsafe", "forksafe" may need it
        _selection.update(requested=None, reason="user")
        return None
    for layer in config.THREADING_LAYER:
        if layer not in _LAYERS:
            raise ValueError(f"fastrisk.config.THREADING_LAYER: unknown Numba layer {layer!r}; "
                             f"expected some of {_LAYERS}")
        if layer == "tbb" and not _tbb_loadable():
            continue
        if layer == "omp" and sys.platform.startswith("linux"):
            continue  # GNU OpenMP: not fork-safe
        numba.config.THREADING_LAYER = layer
        _selection.update(requested=layer, reason="chosen")
        return layer
    _selection.update(requested=None, reason="none available")
    return None


def thread_info() -> dict[str, object]:
    """The threading state of this process (for logs and bug reports).

    Returns
    -------
    dict
        ``layer``: Numba's threading layer if launched, else the one requested (None: Numba's default);
        ``layer_source``: ``"fastrisk"`` (chosen at import), ``"user"`` (NUMBA_THREADING_LAYER or
        numba.config), ``"late"`` (a parallel Numba call ran before ``import fastrisk``);
        ``numba_threads``: Numba's thread count in the calling thread; ``numba_max_threads``: the size
        of Numba's pool; ``blas_threads``: the thread count of each BLAS library loaded (threadpoolctl's
        ``internal_api`` -> ``num_threads``).

    Examples
    --------
    >>> import fastrisk as fr
    >>> info = fr.thread_info()
    >>> sorted(info)
    ['blas_threads', 'layer', 'layer_source', 'numba_max_threads', 'numba_threads']
    >>> with fr.threads(1):
    ...     fr.thread_info()["numba_threads"]
    1
    """
    if _parallel_launched():
        layer = numba.threading_layer()
    else:
        layer = _selection.get("requested") or str(numba.config.THREADING_LAYER)
    reason = _selection.get("reason")
    blas = {}
    for lib in _controller().info():
        if lib.get("user_api") == "blas":
            blas[f"{lib.get('internal_api')}:{lib.get('filepath')}"] = lib.get("num_threads")
    return {
        "layer": layer,
        "layer_source": "fastrisk" if reason == "chosen" else reason,
        "numba_threads": numba.get_num_threads(),
        "numba_max_threads": int(numba.config.NUMBA_NUM_THREADS),
        "blas_threads": blas,
    }


def _numba_count(n: int) -> int:
    return min(n, int(numba.config.NUMBA_NUM_THREADS))


@contextmanager
def threads(n: int) -> Iterator[None]:
    """Run the enclosed fastrisk calls on at most ``n`` BLAS threads and ``n`` Numba threads.

    Both pools are restored on exit (also on an exception). Results do not depend on the thread count
    beyond floating-point summation order (the BLAS may split a product differently).

    Parameters
    ----------
    n : int
        Threads, >= 1. Numba's count is capped at its pool size (``NUMBA_NUM_THREADS``, by default the
        number of cores); the BLAS count is set to ``n``.

    Notes
    -----
    Numba's thread count is per calling thread: the limit applies to calls made from the thread that
    entered the context. Use one thread when processes share the cores (a process pool, a Dask worker
    per core, other jobs on the machine): on a loaded 2-core machine an n = 300 Gram + eigh took 18 ms
    with one BLAS thread and 723 ms with two. On an idle machine with one large problem, leave the
    default (all cores).

    Examples
    --------
    >>> import fastrisk as fr
    >>> with fr.threads(1):
    ...     pass  # fr.RidgePath(X, y, lam).standard_risk(design) on one core
    """
    n = check_positive_int(n, "n (number of threads)")
    prev = numba.get_num_threads()
    with _controller().limit(limits=n, user_api="blas"):
        numba.set_num_threads(_numba_count(n))
        try:
            yield
        finally:
            numba.set_num_threads(prev)


def set_threads(n: int) -> None:
    """Limit BLAS and Numba to ``n`` threads from now on (e.g. in a process-pool initializer).

    Parameters
    ----------
    n : int
        Threads, >= 1 (Numba's count capped at ``NUMBA_NUM_THREADS``).

    Notes
    -----
    The BLAS limit is process-wide. Numba's thread count is per calling thread: call it in the thread
    that runs the work. ``multiprocessing.Pool(initializer=fastrisk.set_threads, initargs=(1,))`` and
    ``ProcessPoolExecutor(initializer=...)`` run initializer and tasks on the worker's main thread, so
    the limit holds for every task; in a thread pool use :func:`threads` inside the task.

    Examples
    --------
    >>> from concurrent.futures import ProcessPoolExecutor
    >>> import fastrisk as fr
    >>> pool = ProcessPoolExecutor(2, initializer=fr.set_threads, initargs=(1,))  # one thread per worker
    >>> pool.shutdown()
    """
    n = check_positive_int(n, "n (number of threads)")
    _controller().limit(limits=n, user_api="blas")
    numba.set_num_threads(_numba_count(n))


select_threading_layer()
