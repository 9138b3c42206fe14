"""Each Numba kernel against its plain-NumPy twin on random shapes (odd sizes, float32/float64)."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from fastrisk import kernels as K
from fastrisk.kernels.norms import finish_norms

from . import naive

dims = st.integers(min_value=1, max_value=37)


@given(g=dims, L=dims, start=st.integers(0, 5), seed=st.integers(0, 2**31))
def test_filter_matrix(g, L, start, seed):
    rng = np.random.default_rng(seed)
    s = np.sort(rng.uniform(0.1, 10, g))
    lam = rng.uniform(-0.05, 5, L)
    coef = rng.standard_normal(g)
    start = min(start, g)
    out = np.empty((g, L))
    K.filter_matrix(s, start, lam, coef, out)
    np.testing.assert_allclose(out, naive.filter_matrix(s, start, lam, coef), rtol=1e-13, atol=0)


@given(g=dims, L=dims, k1=st.integers(0, 3), k2=st.integers(0, 3), seed=st.integers(0, 2**31))
def test_filtered_sums(g, L, k1, k2, seed):
    rng = np.random.default_rng(seed)
    s = np.sort(rng.uniform(0.1, 10, g))
    lam = rng.uniform(0, 5, L)
    a1 = rng.standard_normal((k1, g))
    a2 = rng.standard_normal((k2, g))
    start = int(rng.integers(0, g + 1))
    o1 = np.empty((k1, L))
    o2 = np.empty((k2, L))
    K.filtered_sums(s, start, lam, a1, a2, o1, o2)
    r1, r2 = naive.filtered_sums(s, start, lam, a1, a2)
    np.testing.assert_allclose(o1, r1, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(o2, r2, rtol=1e-12, atol=1e-12)


@given(g=dims, L=st.integers(1, 150), seed=st.integers(0, 2**31))
def test_colwise_dot(g, L, seed):
    rng = np.random.default_rng(seed)
    A = rng.standard_normal((g, L))
    B = rng.standard_normal((g, L))
    out = np.empty(L)
    K.colwise_dot(A, B, out)
    np.testing.assert_allclose(out, naive.colwise_dot(A, B), rtol=1e-12, atol=1e-12)


@pytest.mark.slow
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@given(L=dims, b=st.integers(1, 60), nblocks=st.integers(1, 3), seed=st.integers(0, 2**31))
def test_reduce_coef_block_matches_norms(dtype, L, b, nblocks, seed):
    rng = np.random.default_rng(seed)
    qs = np.array([1.0, 1.5, 2.0, 3.0, 7.5, math.inf])
    T_full = (rng.standard_normal((L, b * nblocks)) * 10.0 ** rng.uniform(-3, 3)).astype(dtype)
    sig = rng.uniform(0, 2, b * nblocks)
    tstar = rng.standard_normal(b * nblocks)
    acc = np.zeros((qs.size, L))
    scale = np.zeros((qs.size, L))
    acc_sig = np.zeros(L)
    for k in range(nblocks):
        sl = slice(k * b, (k + 1) * b)
        K.reduce_coef_block(np.ascontiguousarray(T_full[:, sl]), sig[sl], tstar[sl], True, qs, acc,
                            scale, acc_sig)
    got = finish_norms(qs, acc, scale)
    ref_norms, ref_sig = naive.reduce_coef_block(T_full.astype(np.float64), sig, tstar, True, qs)
    tol = 1e-5 if dtype == np.float32 else 1e-12
    np.testing.assert_allclose(got, ref_norms, rtol=tol)
    np.testing.assert_allclose(acc_sig, ref_sig, rtol=tol)


def test_reduce_coef_block_large_q_no_overflow():
    T = np.array([[1e200, 1e200], [1e-200, 3e-200]])
    qs = np.array([40.0])
    acc = np.zeros((1, 2))
    scale = np.zeros((1, 2))
    K.reduce_coef_block(T, np.zeros(0), np.zeros(0), False, qs, acc, scale, np.zeros(2))
    got = finish_norms(qs, acc, scale)[0]
    np.testing.assert_allclose(got, [1e200 * 2 ** (1 / 40), 1e-200 * (1 + 3**40) ** (1 / 40)], rtol=1e-12)


@pytest.mark.slow
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@given(L=dims, m=st.integers(1, 50), seed=st.integers(0, 2**31))
def test_residual_moments(dtype, L, m, seed):
    rng = np.random.default_rng(seed)
    P = rng.standard_normal((L, m)).astype(dtype)
    y = rng.standard_normal(m)
    a = np.zeros(L)
    b = np.zeros(L)
    K.residual_moments(P, y, a, b)
    ra, rb = naive.residual_moments(P.astype(np.float64), y)
    np.testing.assert_allclose(a, ra, rtol=1e-12)
    np.testing.assert_allclose(b, rb, rtol=1e-12)


@given(L=dims, E=dims, seed=st.integers(0, 2**31))
def test_adversarial_closed_form(L, E, seed):
    rng = np.random.default_rng(seed)
    m2 = rng.uniform(0, 3, L)
    m1 = rng.uniform(0, 1, L)
    b = rng.uniform(0, 5, L)
    eps = rng.uniform(0, 2, E)
    out = np.empty((L, E))
    K.adversarial_closed_form(m2, m1, b, eps, out)
    np.testing.assert_allclose(out, naive.adversarial_closed_form(m2, m1, b, eps), rtol=1e-13)


@pytest.mark.slow
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_count_nonfinite(dtype):
    from fastrisk.kernels.checks import count_nonfinite

    rng = np.random.default_rng(3)
    for shape in [(1, 1), (7, 13), (64, 3)]:
        a = rng.standard_normal(shape).astype(dtype)
        assert count_nonfinite(a) == 0
        idx = rng.choice(a.size, size=min(3, a.size), replace=False)
        a.flat[idx] = [np.nan, np.inf, -np.inf][: idx.size]
        assert count_nonfinite(a) == int((~np.isfinite(a)).sum())


def test_validation_uses_fast_scan_on_large_inputs():
    from fastrisk._validation import as_float_array

    a = np.zeros((1024, 1024))
    as_float_array(a, "X")
    a[1000, 3] = np.nan
    with pytest.raises(ValueError, match="X contains NaN or inf"):
        as_float_array(a, "X")


def test_threads_for_small_work_is_serial_and_restores(monkeypatch):
    import numba

    from fastrisk import config
    from fastrisk.kernels._threads import threads_for

    before = numba.get_num_threads()
    with threads_for(10):
        assert numba.get_num_threads() == 1
    assert numba.get_num_threads() == before
    with threads_for(config.PARALLEL_MIN_WORK):
        assert numba.get_num_threads() == before
    # results do not depend on the thread count
    rng = np.random.default_rng(0)
    T = rng.standard_normal((50, 300))
    qs = np.array([1.0, 3.0, math.inf])
    outs = []
    for work in (0, config.PARALLEL_MIN_WORK):
        acc, scale, sig = np.zeros((3, 50)), np.zeros((3, 50)), np.zeros(50)
        with threads_for(work):
            K.reduce_coef_block(T, np.ones(300), np.zeros(300), True, qs, acc, scale, sig)
        outs.append((acc, scale, sig))
    for a, b in zip(outs[0], outs[1], strict=True):
        np.testing.assert_array_equal(a, b)


# ----------------------------------------------------------------------------- several targets
@given(g=dims, L=dims, k=st.integers(1, 9), start=st.integers(0, 5), seed=st.integers(0, 2**31))
def test_filter_targets(g, L, k, start, seed):
    rng = np.random.default_rng(seed)
    s = np.sort(rng.uniform(0.1, 10, g))
    lam = rng.uniform(-0.05, 5, L)
    coef = rng.standard_normal((g, k))
    start = min(start, g)
    out = np.empty((g, k, L))
    K.filter_targets(s, start, lam, coef, out)
    np.testing.assert_allclose(out, naive.filter_targets(s, start, lam, coef), rtol=1e-13, atol=0)
    for t in range(k):  # each target's slice is the one-target kernel's output, bit for bit
        one = np.empty((g, L))
        K.filter_matrix(s, start, lam, coef[:, t].copy(), one)
        np.testing.assert_array_equal(out[:, t], one)


@given(g=dims, L=dims, k=st.integers(1, 9), use_v=st.booleans(), seed=st.integers(0, 2**31))
def test_error_sums(g, L, k, use_v, seed):
    rng = np.random.default_rng(seed)
    s = np.sort(rng.uniform(0.1, 10, g))
    lam = rng.uniform(-0.05, 5, L)
    delta, zeta, v = (rng.standard_normal((g, k)) for _ in range(3))
    w = rng.uniform(0, 2, g)
    start = int(rng.integers(0, g + 1))
    sq = np.empty((L, k))
    lin = np.empty((L, k))
    K.error_sums(s, start, lam, delta, zeta, w, v if use_v else np.zeros((0, 0)), use_v, sq, lin)
    rsq, rlin = naive.error_sums(s, start, lam, delta, zeta, w, v if use_v else None)
    np.testing.assert_allclose(sq, rsq, rtol=1e-12, atol=1e-14 * max(1.0, np.abs(rsq).max()))
    np.testing.assert_allclose(lin, rlin, rtol=1e-12, atol=1e-12 * max(1.0, np.abs(rlin).max()))


@given(L=dims, E=dims, k=st.integers(1, 9), seed=st.integers(0, 2**31))
def test_adversarial_closed_form_targets(L, E, k, seed):
    rng = np.random.default_rng(seed)
    m2 = rng.uniform(0, 3, (L, k))
    m1 = rng.uniform(0, 1, (L, k))
    b = rng.uniform(0, 5, (L, k))
    eps = rng.uniform(0, 2, E)
    out = np.empty((L, E, k))
    K.adversarial_closed_form_targets(m2, m1, b, eps, out)
    np.testing.assert_allclose(out, naive.adversarial_closed_form_targets(m2, m1, b, eps), rtol=1e-13)
