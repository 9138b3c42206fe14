"""Thread control for the parallel kernels: small calls run on one thread (the user-facing switch is
:func:`fastrisk.threads`; this one only lowers the count, never raises it).

On these 2-core machines a Numba parallel region and the OpenBLAS pool around it spin against each
other; for small calls the pool costs more than it saves (n=300, p=1500, 100 penalties, l_inf risk:
16 ms with the default threads, 8 ms with Numba on one thread, against a 6.4 ms Gram + eigh floor).
"""

from __future__ import annotations

from contextlib import contextmanager

import numba

from .. import config


@contextmanager
def threads_for(work: float):
    """Run the enclosed kernel calls on one Numba thread when ``work`` (element operations) is below
    :data:`fastrisk.config.PARALLEL_MIN_WORK`; otherwise leave the thread count alone."""
    if work >= config.PARALLEL_MIN_WORK:
        yield
        return
    prev = numba.get_num_threads()
    if prev == 1:
        yield
        return
    numba.set_num_threads(1)
    try:
        yield
    finally:
        numba.set_num_threads(prev)
