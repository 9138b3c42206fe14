"""Kernel compilation as a user sees it: the seconds it takes, and a notice while a first run compiles.

fastrisk's kernels are compiled lazily, on their first call with a given type signature, and cached on
disk (``cache=True``: ``__pycache__`` beside the source, or ``NUMBA_CACHE_DIR``), so only the first run
on a machine pays for it (the cache is keyed by the source file, the signature and the CPU model). Numba
has no public cache-miss callback, but its event API (``numba.core.event``, present since Numba 0.53)
fires ``numba:compile`` exactly around a compilation (a cache miss) and ``numba:compiler_lock`` around
every compile-or-load; :class:`KernelSetup` sums both. :func:`compile_notice` runs a timer thread beside
the block it wraps and prints its message once the block has spent about ``delay`` seconds compiling (a
plain "has not returned after ``delay`` seconds" timer when the event API is missing).
"""

from __future__ import annotations

import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, TextIO

__all__ = ["KernelSetup", "compile_notice"]

_event: Any = None
try:  # Numba's event API: documented, marked experimental; the notice degrades to a timer without it
    from numba.core import event as _numba_event

    _event = _numba_event
except ImportError:  # pragma: no cover - every supported Numba has it
    pass


class KernelSetup:
    """Seconds a block spent compiling kernels or loading them from the on-disk cache.

    Attributes
    ----------
    compile_s : float
        Seconds compiling (cache misses), outermost compilations only (a kernel's callees compile
        inside it).
    setup_s : float
        Seconds compiling or loading compiled kernels from the cache (Numba's compiler lock held): what
        a timing should subtract to measure the computation alone.
    compiled : int
        Kernels compiled (outermost).
    notified : bool
        Whether the notice was printed.
    """

    def __init__(self) -> None:
        self.compile_s = 0.0
        self.setup_s = 0.0
        self.compiled = 0
        self.notified = False
        self._open: dict[tuple[str, int], float] = {}  # (event kind, thread) -> start of the outermost
        self._depth: dict[tuple[str, int], int] = {}
        self._lock = threading.Lock()

    def _start(self, kind: str) -> None:
        key = (kind, threading.get_ident())
        with self._lock:
            d = self._depth.get(key, 0)
            if d == 0:
                self._open[key] = time.perf_counter()
            self._depth[key] = d + 1

    def _end(self, kind: str) -> None:
        key = (kind, threading.get_ident())
        with self._lock:
            d = self._depth.get(key, 0) - 1
            self._depth[key] = max(d, 0)
            if d == 0 and key in self._open:
                dt = time.perf_counter() - self._open.pop(key)
                if kind == "numba:compile":
                    self.compile_s += dt
                    self.compiled += 1
                else:
                    self.setup_s += dt

    def compiling_for(self) -> float:
        """Seconds compiled so far, the compilation in progress included."""
        now = time.perf_counter()
        with self._lock:
            running = sum(now - t for (kind, _), t in self._open.items() if kind == "numba:compile")
            return self.compile_s + running


if _event is not None:
    class _Listener(_event.Listener):
        def __init__(self, setup: KernelSetup, kind: str):
            self.setup = setup
            self.kind = kind

        def on_start(self, event) -> None:
            self.setup._start(self.kind)

        def on_end(self, event) -> None:
            self.setup._end(self.kind)


@contextmanager
def compile_notice(message: str = "compiling kernels (first run only)...", *, delay: float = 1.0,
                   stream: TextIO | None = None, enabled: bool | None = None) -> Iterator[KernelSetup]:
    """Measure the kernel compilation of the enclosed block, and say so while it takes long.

    Parameters
    ----------
    message : str
        The line printed (once) when the block has spent ``delay`` seconds compiling kernels.
    delay : float
        Seconds of compilation before the notice; a warm run (every kernel in the on-disk cache) never
        prints it.
    stream : file, optional
        Where to print (default: ``sys.stderr`` as it is when the block starts).
    enabled : bool, optional
        Whether to print at all; default: when ``stream`` is a terminal (a log or a test capturing
        stderr sees exactly what it saw before).

    Yields
    ------
    KernelSetup
        Filled while the block runs: seconds compiling, seconds compiling or loading from the cache.

    Examples
    --------
    >>> from fastrisk.runtime import compile_notice
    >>> with compile_notice() as setup:
    ...     pass  # the first fastrisk calls of this process
    >>> setup.compile_s >= 0.0
    True
    """
    out = sys.stderr if stream is None else stream
    if enabled is None:
        try:
            enabled = bool(out.isatty())
        except (AttributeError, ValueError):
            enabled = False
    setup = KernelSetup()
    listeners = []
    if _event is not None:
        for kind in ("numba:compile", "numba:compiler_lock"):
            lis = _Listener(setup, kind)
            _event.register(kind, lis)
            listeners.append((kind, lis))
    done = threading.Event()
    t0 = time.perf_counter()

    def watch() -> None:
        while not done.wait(0.1):
            spent = setup.compiling_for() if _event is not None else time.perf_counter() - t0
            if spent > 0.0 and spent >= delay:
                if not done.is_set():
                    out.write(message + "\n")
                    out.flush()
                    setup.notified = True
                return

    thread = threading.Thread(target=watch, name="fastrisk-compile-notice", daemon=True)
    if enabled:
        thread.start()
    try:
        yield setup
    finally:
        done.set()
        if enabled:
            thread.join()
        for kind, lis in listeners:
            _event.unregister(kind, lis)
