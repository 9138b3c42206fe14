"""Each Numba kernel of fastrisk/kernels/ntk.py against its plain-NumPy twin in tests/naive_ntk.py."""

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from fastrisk.kernels import ntk as kn

from . import naive_ntk as nv

SHAPES = [(1, 1), (7, 3), (65, 11), (130, 257), (200, 40)]  # odd sizes, p >> n, n > p, tile edges


def _X(n, d, seed, dtype=np.float64):
    X = np.random.default_rng(seed).standard_normal((n, d))
    if n > 3:
        X[2] = 0.0  # a zero row: K = 0 there
        X[3] = 2.5 * X[1]  # parallel rows: u = 1
        if n > 5:
            X[5] = -X[1]  # antiparallel: u = -1
    return X.astype(dtype)


@pytest.mark.slow
@pytest.mark.parametrize("mode", [0, 1, 2])
@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_fuse_sym_matches_numpy(mode, shape, dtype):
    X = _X(*shape, seed=shape[0], dtype=dtype)
    G = X @ X.T
    nrm = np.sqrt(np.maximum(np.diag(G).astype(np.float64), 0))
    snap = 16 * np.finfo(dtype).eps
    expect = nv.kernel_from_linear(G, nrm, nrm, mode, snap)
    np.fill_diagonal(expect, np.diag(G) * (1.0 if mode == 2 else 0.5))  # the kernel sets u = 1 there
    kn.ntk_fuse_sym(G, mode, snap)
    assert G.dtype == dtype
    np.testing.assert_array_equal(G, G.T)
    # arccos is ill-conditioned at u = +-1 (error ~ sqrt(eps) |x||x'|), hence the atol
    tol = dict(rtol=1e-12, atol=1e-7 * max(1.0, np.abs(expect).max())) if dtype == np.float64 else \
        dict(rtol=1e-5, atol=1e-3 * max(1.0, np.abs(expect).max()))
    np.testing.assert_allclose(G, expect, **tol)


@pytest.mark.parametrize("mode", [0, 1, 2])
@pytest.mark.parametrize("shape", SHAPES)
def test_fuse_cross_matches_numpy(mode, shape):
    X = _X(*shape, seed=1)
    X2 = _X(shape[0] + 3, shape[1], seed=2)[::-1].copy()
    G = X @ X2.T
    n1, n2 = np.empty(X.shape[0]), np.empty(X2.shape[0])
    kn.row_norms_par(X, n1)
    kn.row_norms_par(X2, n2)
    np.testing.assert_allclose(n1, nv.row_norms(X), rtol=1e-14)
    np.testing.assert_allclose(n2, nv.row_norms(X2), rtol=1e-14)
    expect = nv.kernel_from_linear(G, n1, n2, mode, 3.5e-15)
    kn.ntk_fuse_cross(G, n1, n2, mode, 3.5e-15)
    np.testing.assert_allclose(G, expect, rtol=1e-12, atol=1e-7 * np.abs(expect).max())


def test_row_norms_float32_accumulates_in_float64():
    X = np.full((3, 100001), 0.1, dtype=np.float32)
    out = np.empty(3)
    kn.row_norms_par(X, out)
    # a float32 accumulator would be off by ~1e-4 here
    np.testing.assert_allclose(out, np.sqrt(100001 * np.float64(np.float32(0.1)) ** 2), rtol=1e-10)


@pytest.mark.parametrize("mode", [0, 1, 2])
@pytest.mark.parametrize("P,n,d", [(1, 1, 2), (9, 13, 5), (33, 70, 17)])
def test_grad_terms_match_numpy(mode, P, n, d):
    rng = np.random.default_rng(P + n)
    Z, X = rng.standard_normal((P, d)), rng.standard_normal((n, d))
    if P > 2 and n > 2:
        Z[1] = 0.0
        X[2] = 0.0
    G = Z @ X.T
    zn, xn = nv.row_norms(Z), nv.row_norms(X)
    K, A, B = nv.grad_terms(G, zn, xn, mode, 3.5e-15)
    A2, B2 = np.empty_like(G), np.empty_like(G)
    kn.ntk_grad_terms(G, zn, xn, mode, 3.5e-15, A2, B2)
    np.testing.assert_allclose(G, K, rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(A2, A, rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(B2, B, rtol=1e-12, atol=1e-14)


def test_grad_terms_parallel_point_is_finite():
    x = np.array([[1.0, 2.0, 3.0]])
    G = x @ x.T
    A, B = np.empty_like(G), np.empty_like(G)
    n = nv.row_norms(x)
    kn.ntk_grad_terms(G, n, n, 0, 3.5e-15, A, B)
    assert np.all(np.isfinite(A)) and np.all(np.isfinite(B))
    np.testing.assert_allclose(G, 0.5 * 14.0, rtol=1e-15)


@pytest.mark.parametrize("n,b", [(1, 1), (17, 5), (64, 300)])
def test_relu_split_and_step(n, b):
    Z = np.random.default_rng(n).standard_normal((n, b))
    Z[0, 0] = 0.0
    A, S = nv.relu_split(Z)
    Z1, S1 = Z.copy(), np.empty_like(Z)
    kn.relu_split(Z1, S1)
    np.testing.assert_array_equal(Z1, A)
    np.testing.assert_array_equal(S1, S)
    Z2 = Z.copy()
    kn.step_inplace(Z2)
    np.testing.assert_array_equal(Z2, S)


@pytest.mark.parametrize("mode", [0, 1, 2])
def test_finite_combine(mode):
    rng = np.random.default_rng(mode)
    G, D, E = (rng.standard_normal((11, 7)) for _ in range(3))
    expect = nv.finite_combine(G, D, E, 0.25, mode)
    kn.finite_combine(G, D, E, 0.25, mode)
    np.testing.assert_allclose(G, expect, rtol=1e-15)


def test_gather_penalty():
    rng = np.random.default_rng(3)
    P, n, L = 13, 9, 4
    K, A, B = (rng.standard_normal((P, n)) for _ in range(3))
    beta = rng.standard_normal((n, L))
    lidx = rng.integers(0, L, P).astype(np.int64)
    f0, c0, A0 = nv.gather_penalty(K, A, B, beta, lidx)
    f, c = np.empty(P), np.empty(P)
    kn.gather_penalty(K, A, B, beta, lidx, f, c)
    np.testing.assert_allclose(f, f0, rtol=1e-13)
    np.testing.assert_allclose(c, c0, rtol=1e-13)
    np.testing.assert_allclose(A, A0, rtol=1e-15)


@pytest.mark.parametrize("n", [1, 5, 64, 65, 200])
def test_mirror_lower(n):
    G = np.random.default_rng(n).standard_normal((n, n))
    expect = np.tril(G) + np.tril(G, -1).T
    kn.mirror_lower(G)
    np.testing.assert_array_equal(G, expect)


@pytest.mark.slow
@given(n=st.integers(1, 150), d=st.integers(1, 40), mode=st.integers(0, 2), seed=st.integers(0, 2**16),
       f32=st.booleans())
def test_fuse_sym_fuzz(n, d, mode, seed, f32):
    """Random shapes (tile edges, d << n and d >> n), both dtypes: symmetric, diagonal exact, off-diagonal
    equal to the cross kernel on the same linear Gram."""
    dtype = np.float32 if f32 else np.float64
    X = np.random.default_rng(seed).standard_normal((n, d)).astype(dtype)
    G = X @ X.T
    nrm = np.sqrt(np.maximum(np.diag(G).astype(np.float64), 0))
    snap = 16 * np.finfo(dtype).eps
    C = G.copy()
    kn.ntk_fuse_cross(C, nrm, nrm, mode, snap)
    kn.ntk_fuse_sym(G, mode, snap)
    np.testing.assert_array_equal(G, G.T)
    off = ~np.eye(n, dtype=bool)
    np.testing.assert_array_equal(np.tril(G, -1)[off], np.tril(C, -1)[off])
    expect = nv.kernel_from_linear(X @ X.T, nrm, nrm, mode, snap)
    tol = 1e-12 if dtype == np.float64 else 1e-5
    scale = max(1.0, float(np.abs(expect).max()))
    np.testing.assert_allclose(G[off], expect[off], rtol=tol, atol=1e-7 * scale if not f32 else 1e-3 * scale)
