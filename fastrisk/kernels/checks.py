"""Input scans used by the validation layer (the kernels themselves never validate)."""

from __future__ import annotations

import numpy as np
from numba import njit, prange


@njit(parallel=True, cache=True)
def count_nonfinite(a):
    """Number of NaN/inf entries of a 2-D C-contiguous array, one parallel pass, no temporaries."""
    n = a.shape[0]
    bad = 0
    for i in prange(n):
        row = a[i]
        c = 0
        for j in range(row.shape[0]):
            v = row[j]
            if not np.isfinite(v):
                c += 1
        bad += c
    return bad
