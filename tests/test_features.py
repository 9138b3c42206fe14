"""The feature source of a ridge path (fastrisk.ridge._features): products with X against plain NumPy."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from fastrisk.ridge._features import Features


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@settings(deadline=None)
@given(n=st.integers(1, 30), p=st.integers(1, 400), k=st.integers(0, 3), nnz=st.integers(0, 400),
       seed=st.integers(0, 2**31))
def test_x_times_sparse_and_dense(dtype, n, p, k, nnz, seed):
    """X @ V for V with few nonzero rows (read at those columns only) or many, 1-D or 2-D."""
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, p)).astype(dtype)
    V = np.zeros((p, k) if k else p)
    rows = rng.choice(p, size=min(nnz, p), replace=False)
    V[rows] = rng.standard_normal((rows.size, k) if k else rows.size)
    got = Features(X, None, n, p, dtype).x_times(V)
    want = X.astype(np.float64) @ V
    assert got.dtype == np.float64 and got.shape == want.shape
    scale = max(1.0, float(np.abs(want).max(initial=0)))
    np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-12 * scale)
