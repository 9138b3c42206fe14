"""The branch-free arcsin of the NTK passes (kernels.ntk._theta_c) against NumPy's arccos, on a dense
grid and near u = +-1, and the fused passes built on it against their plain twins there."""

from __future__ import annotations

import numpy as np
import pytest
from numba import njit

from fastrisk.kernels import ntk as kn

from . import naive_ntk as nv


@njit(cache=False)
def _theta_many(u, out):
    for i in range(u.shape[0]):
        out[i] = kn._theta_c(u[i])


def _grid():
    d = np.logspace(-17, 0, 3000)
    u = np.concatenate([np.linspace(-1.0, 1.0, 400_001), 1.0 - d, -1.0 + d, [0.5, -0.5, 0.0, -0.0]])
    u = np.concatenate([u, np.nextafter(u, 2.0), np.nextafter(u, -2.0)])
    return np.clip(u, -1.0, 1.0)


def test_theta_relative_accuracy_everywhere():
    u = _grid()
    out = np.empty_like(u)
    _theta_many(u, out)
    ref = nv.theta_c(u)
    pos = ref > 0
    rel = np.abs(out[pos] - ref[pos]) / ref[pos]
    assert rel.max() <= 4 * np.finfo(np.float64).eps  # documented: a few ulps, 1e-13 promised
    assert out[~pos].max(initial=0.0) == 0.0  # u = -1 gives exactly 0
    assert out[u == 1.0].min() == np.pi


@pytest.mark.slow
@pytest.mark.parametrize("mode", [0, 1, 2])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_fused_cross_near_parallel_pairs(mode, dtype):
    rng = np.random.default_rng(mode)
    u = _grid()[::7]
    a = rng.uniform(0.5, 2.0, 1)
    b = rng.uniform(0.5, 2.0, u.size)
    G = (u * a[0] * b)[None, :].astype(dtype)
    snap = 16 * float(np.finfo(dtype).eps)
    expect = nv.kernel_from_linear(G, a, b, mode, snap)
    kn.ntk_fuse_cross(G, a, b, mode, snap)
    nn = a[0] * b
    # relative 1e-13 of the scale |x||x'| (float64); float32 storage rounds the output
    tol = 1e-13 if dtype == np.float64 else 2e-7
    assert np.all(np.abs(G[0] - expect[0]) <= tol * nn)
    big = np.abs(expect[0]) > 1e-3 * nn
    np.testing.assert_allclose(G[0][big], expect[0][big], rtol=1e-13 if dtype == np.float64 else 2e-7)
