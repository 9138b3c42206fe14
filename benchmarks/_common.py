"""Helpers shared by the asv benchmarks: BLAS thread pinning and JIT warm-up."""

from __future__ import annotations

import os

#: BLAS threads for every benchmark (the project's machines have 2 cores).
BLAS_THREADS = int(os.environ.get("FASTRISK_BENCH_THREADS", "2"))

_limiter = None


def pin_blas_threads(n: int = BLAS_THREADS) -> None:
    """Pin every BLAS pool in the process (NumPy's and SciPy's OpenBLAS) to ``n`` threads."""
    global _limiter
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:  # pragma: no cover
        return
    _limiter = threadpool_limits(limits=n, user_api="blas")
