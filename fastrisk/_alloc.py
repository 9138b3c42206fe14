"""Large result arrays allocated without NumPy's transparent-huge-page advice.

NumPy advises the kernel to back every array above 4 MiB with huge pages (``madvise(MADV_HUGEPAGE)``).
Where the kernel's ``transparent_hugepage/defrag`` is ``madvise`` (a common default), the first touch of
such a fresh array may stall in direct compaction: measured on the project's machine, a fresh
(1000, 100, 100) float64 result took 0.06-1.5 s to fill where the same array without the advice takes
0.04-0.12 s. A result that is written once and handed to the user gains nothing from huge pages, so
:func:`empty` allocates it without the advice (the setting is NumPy's own, the one its
``NUMPY_MADVISE_HUGEPAGE`` environment variable sets, and is restored at once). Other arrays are left to
NumPy's default.
"""

from __future__ import annotations

import importlib
import threading
from collections.abc import Callable

import numpy as np

__all__ = ["empty"]

def _setter() -> Callable[[bool], bool] | None:
    """NumPy's switch of the huge-page advice (``numpy._core.multiarray`` in NumPy 2, ``numpy.core`` in
    1.x; private, hence looked up, and None where a build lacks it)."""
    for name in ("numpy._core.multiarray", "numpy.core.multiarray"):
        try:
            mod = importlib.import_module(name)
        except ImportError:
            continue
        f = getattr(mod, "_set_madvise_hugepage", None)
        if callable(f):
            return f
    return None


_set_madvise_hugepage = _setter()

#: Results at or above this many bytes are allocated without the huge-page advice.
MIN_BYTES = 4 << 20
_lock = threading.Lock()


def empty(shape, dtype=np.float64) -> np.ndarray:
    """``numpy.empty(shape, dtype)``; at or above :data:`MIN_BYTES` without the huge-page advice."""
    nbytes = int(np.prod(shape, dtype=np.int64)) * np.dtype(dtype).itemsize
    if _set_madvise_hugepage is None or nbytes < MIN_BYTES:
        return np.empty(shape, dtype=dtype)
    with _lock:
        prev = _set_madvise_hugepage(False)
        try:
            return np.empty(shape, dtype=dtype)
        finally:
            _set_madvise_hugepage(prev)
