"""Numba kernels of the theory layer against their plain twins in tests/naive_theory.py.

The kernels use fastmath flags (reassociation, FMA, reciprocal); these tests are the proof required by
DESIGN.md that the results are unchanged within tolerance (1e-13 relative for the sums).
"""

import math

import numpy as np
import pytest

from fastrisk.kernels.theory import (
    bulk_sums,
    df_sums,
    expected_max_abs,
    log_bins,
    non_increasing,
    signal_sums,
    strictly_monotone,
    support_norm1,
    tail_ranks,
)
from tests import naive_theory as nt


@pytest.mark.parametrize("m,K,block,ones", [(1, 1, 7, False), (5, 3, 2, True), (1001, 17, 64, False),
                                            (4099, 5, 2048, True)])
def test_bulk_sums_match_naive(m, K, block, ones):
    rng = np.random.default_rng(m + K)
    lam = np.exp(rng.uniform(-8, 1, m))
    mult = np.zeros(0) if ones else rng.integers(1, 5, m).astype(float)
    kappa = np.concatenate([[-0.5 * lam.min()], np.exp(rng.uniform(-6, 3, K - 1))])
    out = np.empty((K, 4))
    bulk_sums(lam, np.sqrt(lam), mult, kappa, block, out)
    np.testing.assert_allclose(out, nt.bulk_sums(lam, np.sqrt(lam), mult, kappa), rtol=1e-13, atol=0)


def test_bulk_sums_independent_of_block():
    rng = np.random.default_rng(1)
    lam = np.exp(rng.uniform(-5, 0, 3000))
    args = (lam, np.sqrt(lam), np.ones(3000), np.array([0.01, 1.0]))
    a = np.empty((2, 4))
    b = np.empty((2, 4))
    bulk_sums(*args, 128, a)
    bulk_sums(*args, 1000, b)
    np.testing.assert_allclose(a, b, rtol=1e-13)


@pytest.mark.parametrize("m", [1, 37])
def test_signal_sums_match_naive(m):
    rng = np.random.default_rng(m)
    lam = np.exp(rng.uniform(-6, 1, m))
    t = rng.standard_normal(m) ** 2
    kappa = np.array([-0.3 * lam.min(), 1e-3, 2.0])
    out = np.empty((3, 3))
    signal_sums(lam, t, kappa, out)
    np.testing.assert_allclose(out, nt.signal_sums(lam, t, kappa), rtol=1e-13)


@pytest.mark.parametrize("ones", [False, True])
def test_df_sums_match_naive(ones):
    rng = np.random.default_rng(2)
    lam = np.exp(rng.uniform(-6, 1, 777))
    mult = np.zeros(0) if ones else rng.integers(1, 9, 777).astype(float)
    o1, o2 = np.empty(1), np.empty(1)
    df_sums(lam, mult, 0.037, 100, o1, o2)
    ref = nt.bulk_sums(lam, np.sqrt(lam), mult, [0.037])[0]
    np.testing.assert_allclose([o1[0], o2[0]], ref[:2], rtol=1e-13)


def test_strictly_monotone():
    assert strictly_monotone(np.array([3.0, 2.0, 1.0]))
    assert strictly_monotone(np.array([1.0, 2.0]))
    assert strictly_monotone(np.array([1.0]))
    assert not strictly_monotone(np.array([3.0, 2.0, 2.0]))
    assert not strictly_monotone(np.array([1.0, 2.0, 1.5]))


def test_support_norm1_match_naive():
    rng = np.random.default_rng(3)
    lam = np.exp(rng.uniform(-4, 0, 50))
    z = np.abs(rng.standard_normal(50)) * 3
    z[:5] = 0.0
    c = np.sqrt(lam / 300)
    kappa = np.array([0.01, 0.3, 5.0])
    tau = np.array([0.0, 0.7, 2.0])
    out = np.empty(3)
    support_norm1(lam, z, c, kappa, tau, out)
    np.testing.assert_allclose(out, nt.support_norm1(lam, z, c, kappa, tau), rtol=1e-13)


@pytest.mark.parametrize("case", ["noise_only", "signal", "multiplicity"])
def test_expected_max_abs_match_quadrature(case):
    rng = np.random.default_rng(4)
    m = 40
    s = np.exp(rng.uniform(-3, 0, (2, m)))
    mu = np.zeros((2, m))
    mult = np.ones(m)
    if case == "signal":
        mu[:, :3] = [[2.0, 0.5, 0.1], [0.3, 0.2, 0.0]]
        s[:, :3] *= 0.05
    if case == "multiplicity":
        mult = rng.integers(1, 1000, m).astype(float)
    gx, gw = np.polynomial.legendre.leggauss(16)
    out = np.empty(2)
    expected_max_abs(mu, s, mult, gx, gw, 8, out)
    np.testing.assert_allclose(out, nt.expected_max_abs(mu, s, mult), rtol=1e-7)


def test_expected_max_abs_single_gaussian():
    # E|s g| = s sqrt(2/pi)
    gx, gw = np.polynomial.legendre.leggauss(16)
    out = np.empty(1)
    expected_max_abs(np.zeros((1, 1)), np.full((1, 1), 0.3), np.ones(1), gx, gw, 8, out)
    assert out[0] == pytest.approx(0.3 * np.sqrt(2 / np.pi), rel=1e-10)


def test_tail_ranks_match_naive():
    rng = np.random.default_rng(9)
    lam = np.concatenate([np.sort(rng.exponential(size=501))[::-1], np.zeros(4)])
    T_, r, R = (np.empty(lam.size) for _ in range(3))
    tail_ranks(lam, T_, r, R)
    rr, RR = nt.effective_ranks(lam)
    np.testing.assert_allclose(r, rr, rtol=1e-12)
    np.testing.assert_allclose(R, RR, rtol=1e-12)
    np.testing.assert_allclose(T_, [lam[k:].sum() for k in range(lam.size)], rtol=1e-12)


def test_non_increasing():
    assert non_increasing(np.array([3.0, 3.0, 1.0, 0.0]))
    assert non_increasing(np.array([1.0]))
    assert not non_increasing(np.array([3.0, 1.0, 2.0]))


@pytest.mark.parametrize("ones", [False, True])
def test_log_bins_match_naive(ones):
    rng = np.random.default_rng(11)
    lam = np.exp(rng.uniform(-9, 2, 5000))
    mult = np.zeros(0) if ones else rng.integers(1, 4, 5000).astype(float)
    lo, width = math.log(lam.min()), (math.log(lam.max()) - math.log(lam.min())) / 64
    cnt, slog = np.zeros(64), np.zeros(64)
    log_bins(lam, mult, lo, width, cnt, slog)
    rc, rs = nt.log_bins(lam, mult, lo, width, 64)
    np.testing.assert_allclose(cnt, rc, rtol=1e-13)
    np.testing.assert_allclose(slog, rs, rtol=1e-11)
