"""NTK Grams: arc-cosine kernels and their linearisation (docs/math.md section 10), finite-width Gram."""

from __future__ import annotations

import math

import numpy as np
import pytest

from fastrisk import config
from fastrisk.ntk import TwoLayerNTK, implicit_ridge, linearization_coefficients, linearized_gram, ntk_gram
from fastrisk.ntk._common import init_rows

from . import naive_ntk as nv

TRAINS = ["first", "second", "both"]
MODE = {"first": 0, "second": 1, "both": 2}


@pytest.mark.parametrize("train", TRAINS)
def test_infinite_gram_matches_naive_sym_and_cross(train):
    rng = np.random.default_rng(0)
    X, X2 = rng.standard_normal((53, 29)), rng.standard_normal((31, 29))
    K = ntk_gram(X, train=train)
    off = ~np.eye(53, dtype=bool)
    # off the diagonal: the plain formula; on it the exact |x|^2 g(1) (np.arccos near u = 1 is not)
    np.testing.assert_allclose(K[off], nv.ntk_gram(X, mode=MODE[train])[off], rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(np.diag(K), np.sum(X**2, 1) * (1.0 if train == "both" else 0.5), rtol=1e-14)
    Kc = ntk_gram(X, X2, train=train)
    np.testing.assert_allclose(Kc, nv.ntk_gram(X, X2, mode=MODE[train]), rtol=1e-12, atol=1e-12)
    # cross Gram of X with itself equals the symmetric one away from the (ill-conditioned) diagonal
    Kxx = ntk_gram(X, X.copy(), train=train)
    np.testing.assert_allclose(Kxx[off], K[off], rtol=1e-12, atol=1e-12)


def test_monte_carlo_of_the_arc_cosine_kernels():
    """E 1{w x>0}1{w x'>0} = (pi - theta)/(2 pi), E relu relu = |x||x'|(sin + (pi - theta) cos)/(2 pi)."""
    rng = np.random.default_rng(1)
    x, x2 = rng.standard_normal(6), rng.standard_normal(6)
    s0, s1 = nv.mc_kernels(x, x2, 400_000, rng)
    u = x @ x2 / np.linalg.norm(x) / np.linalg.norm(x2)
    th = math.acos(u)
    k0 = (math.pi - th) / (2 * math.pi)
    nn = np.linalg.norm(x) * np.linalg.norm(x2)
    k1 = nn * (math.sin(th) + (math.pi - th) * math.cos(th)) / (2 * math.pi)
    assert abs(s0.mean() - k0) < 3 * s0.std() / math.sqrt(s0.size)
    assert abs(s1.mean() - k1) < 3 * s1.std() / math.sqrt(s1.size)
    # and the package kernels are exactly those expectations times <x,x'> (first) / as is (second)
    K = ntk_gram(np.stack([x, x2]), train="first")
    np.testing.assert_allclose(K[0, 1], (x @ x2) * k0, rtol=1e-12)
    Ka = ntk_gram(np.stack([x, x2]), train="second")
    np.testing.assert_allclose(Ka[0, 1], k1, rtol=1e-12)


@pytest.mark.slow
@pytest.mark.parametrize("train", ["first", "second"])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_diagonal_is_half_squared_norm(train, dtype):
    X = np.random.default_rng(2).standard_normal((40, 13)).astype(dtype)
    K = ntk_gram(X, train=train)
    sq = np.sum(X.astype(np.float64) ** 2, axis=1) / 2
    np.testing.assert_allclose(np.diag(K), sq, rtol=1e-12 if dtype == np.float64 else 1e-6)
    Kb = ntk_gram(X, train="both")
    np.testing.assert_allclose(np.diag(Kb), 2 * sq, rtol=1e-12 if dtype == np.float64 else 1e-6)


def test_orthogonal_inputs():
    X = np.array([[3.0, 0.0, 0.0], [0.0, 2.0, 0.0]])
    assert ntk_gram(X, train="first")[0, 1] == 0.0
    np.testing.assert_allclose(ntk_gram(X, train="second")[0, 1], 6.0 / (2 * math.pi), rtol=1e-15)
    np.testing.assert_allclose(ntk_gram(X, train="both")[0, 1], 6.0 / (2 * math.pi), rtol=1e-15)


def test_zero_row_gives_zero_kernel():
    X = np.random.default_rng(3).standard_normal((5, 4))
    X[1] = 0
    for train in TRAINS:
        K = ntk_gram(X, train=train)
        assert np.all(K[1] == 0) and np.all(K[:, 1] == 0)
        assert np.all(np.isfinite(K))


@pytest.mark.parametrize("train", TRAINS)
def test_homogeneity_of_kernel_and_predictor(train):
    rng = np.random.default_rng(4)
    X, Xt = rng.standard_normal((30, 8)), rng.standard_normal((6, 8))
    c = 3.7
    np.testing.assert_allclose(ntk_gram(c * Xt, X, train=train), c * ntk_gram(Xt, X, train=train), rtol=1e-12)
    fit = TwoLayerNTK(None, train=train).fit(X, rng.standard_normal(30), [0.0, 2.0])
    np.testing.assert_allclose(fit.predict(c * Xt), c * fit.predict(Xt), rtol=1e-10)


@pytest.mark.parametrize("train", TRAINS)
@pytest.mark.parametrize("sym", [True, False])
def test_finite_gram_equals_explicit_features(train, sym):
    """K_m = Phi Phi^T with the parameter-gradient features of the network (explicit, tiny m)."""
    rng = np.random.default_rng(5)
    X, X2 = rng.standard_normal((9, 4)), rng.standard_normal((5, 4))
    m = 10
    net = TwoLayerNTK(m, train=train, seed=11, symmetric_init=sym)
    W, a = net.init_params(4)
    P1, P2 = nv.finite_features(X, W, a, MODE[train]), nv.finite_features(X2, W, a, MODE[train])
    np.testing.assert_allclose(net.gram(X), P1 @ P1.T, rtol=1e-12, atol=1e-13)
    np.testing.assert_allclose(net.gram(X, X2), P1 @ P2.T, rtol=1e-12, atol=1e-13)
    Wd, _ = init_rows(net.entropy, 4, 0, net.m_eff)
    np.testing.assert_allclose(net.gram(X), nv.finite_gram(X, None, Wd, MODE[train]), rtol=1e-12, atol=1e-13)


def test_finite_gram_independent_of_block_size(monkeypatch):
    X = np.random.default_rng(6).standard_normal((20, 7))
    K1 = ntk_gram(X, train="both", width=3000, seed=4)
    monkeypatch.setattr(config, "BLOCK_BYTES", 1)  # one INIT_CHUNK of neurons per block
    K2 = ntk_gram(X, train="both", width=3000, seed=4)
    np.testing.assert_allclose(K1, K2, rtol=1e-12, atol=1e-13)
    K3 = ntk_gram(X, train="both", width=3000, seed=5)
    assert np.abs(K3 - K1).max() > 1e-3  # a different seed is a different network


def test_finite_gram_converges_at_rate_m_to_minus_half():
    """Mean |K_m - K| over seeds, m = 64 -> 4096 (x64): error shrinks by ~8 (accept 4..16)."""
    X = np.random.default_rng(7).standard_normal((12, 5))
    K = ntk_gram(X)
    errs = []
    for m in (64, 4096):
        e = [np.abs(ntk_gram(X, width=m, seed=s, symmetric_init=False) - K).mean() for s in range(8)]
        errs.append(np.mean(e))
    ratio = errs[0] / errs[1]
    assert 4.0 < ratio < 16.0, ratio


@pytest.mark.parametrize("train", TRAINS)
def test_symmetric_init_has_zero_output(train):
    X = np.random.default_rng(8).standard_normal((15, 6))
    net = TwoLayerNTK(100, train=train, seed=2)
    assert np.all(net.init_output(X) == 0)
    W, a = net.init_params(6)
    np.testing.assert_allclose(np.maximum(X @ W.T, 0) @ a / 10.0, 0.0, atol=1e-12)
    asym = TwoLayerNTK(100, train=train, seed=2, symmetric_init=False)
    W, a = asym.init_params(6)
    np.testing.assert_allclose(asym.init_output(X), np.maximum(X @ W.T, 0) @ a / 10.0, rtol=1e-12)
    assert np.abs(asym.init_output(X)).max() > 0.1


def _spiked_design(n, d, power, seed):
    lam = np.arange(1, d + 1) ** (-power)
    return np.random.default_rng(seed).standard_normal((n, d)) * np.sqrt(lam), lam


@pytest.mark.slow
@pytest.mark.parametrize("train", TRAINS)
def test_linearization_matches_exact_gram(train):
    """Linearisation (math.md 10): relative operator-norm error some percent at n=200, d=2000, lam_k = k^-0.3,
    and smaller for an isotropic design (larger effective rank)."""
    X, lam = _spiked_design(200, 2000, 0.3, 9)
    K = ntk_gram(X, train=train)
    Kl = linearized_gram(X, train=train, trace=lam.sum(), trace_sq=(lam**2).sum())
    err = np.linalg.norm(K - Kl, 2) / np.linalg.norm(K, 2)
    Xi, _ = _spiked_design(200, 2000, 0.0, 9)
    Ki = ntk_gram(Xi, train=train)
    err_iso = np.linalg.norm(Ki - linearized_gram(Xi, train=train), 2) / np.linalg.norm(Ki, 2)
    assert err < 0.05, err
    assert err_iso < err, (err_iso, err)


def test_linearization_coefficients_and_implicit_ridge():
    for train, ratio in (("first", 1.0), ("second", 1 - 2 / math.pi), ("both", 1 - 1 / math.pi)):
        np.testing.assert_allclose(implicit_ridge(train, trace=7.0), 7.0 * ratio, rtol=1e-14)
        c = linearization_coefficients(train)
        # Taylor coefficients of g: compare with finite differences of the kernel at u ~ 0
        x = np.array([[1.0, 0.0]])
        us = np.array([-1e-3, 0.0, 1e-3])
        K = ntk_gram(x, np.stack([us, np.sqrt(1 - us**2)], axis=1), train=train)[0]
        np.testing.assert_allclose(K[1], c["g0"], atol=1e-14)
        np.testing.assert_allclose((K[2] - K[0]) / 2e-3, c["g1"], rtol=1e-5)
        np.testing.assert_allclose((K[2] - 2 * K[1] + K[0]) / 1e-6 / 2, c["g2"], rtol=1e-3)
    np.testing.assert_allclose(implicit_ridge("first", 2.0, lam=[0.0, 1.0]), [2.0, 6.0])


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_both_gemm_routes_agree(monkeypatch, dtype):
    """The direct SYRK route (large n) and NumPy's X @ X.T route give the same Gram, float32 kept."""
    from fastrisk.ntk import gram as gram_mod

    X = np.random.default_rng(10).standard_normal((67, 45)).astype(dtype)
    K1 = ntk_gram(X, train="both")
    monkeypatch.setattr(gram_mod, "SYRK_MIN_ROWS", 1)
    K2 = ntk_gram(X, train="both")
    assert K1.dtype == K2.dtype == dtype and K2.flags.c_contiguous
    np.testing.assert_array_equal(K2, K2.T)
    tol = 1e-12 if dtype == np.float64 else 1e-5
    np.testing.assert_allclose(K2, K1, rtol=tol, atol=tol * np.abs(K1).max())
    Kref = nv.ntk_gram(X.astype(np.float64), mode=2)
    off = ~np.eye(67, dtype=bool)
    np.testing.assert_allclose(K2[off], Kref[off], rtol=10 * tol, atol=10 * tol * np.abs(Kref).max())


@pytest.mark.slow
def test_float32_cross_gram():
    rng = np.random.default_rng(11)
    X, X2 = rng.standard_normal((21, 9)).astype(np.float32), rng.standard_normal((8, 9)).astype(np.float32)
    K = ntk_gram(X, X2)
    assert K.dtype == np.float32
    np.testing.assert_allclose(K, nv.ntk_gram(X, X2, mode=0), rtol=1e-5, atol=1e-5)
    # mixed precision inputs fall back to float64
    assert ntk_gram(X, X2.astype(np.float64)).dtype == np.float64


def test_spawned_seed_sequences_give_different_networks():
    """One SeedSequence per experiment, spawned per trial (DESIGN.md): the children must give different
    initialisations (they share the root's entropy and differ only in spawn_key); a plain SeedSequence(s)
    stays the same network as the int s; list entropy is accepted and reproducible."""
    X = np.random.default_rng(12).standard_normal((6, 4))
    kids = np.random.SeedSequence(123).spawn(2)
    K0, K1 = (ntk_gram(X, width=64, seed=k) for k in kids)
    assert np.abs(K0 - K1).max() > 1e-3
    np.testing.assert_array_equal(K0, ntk_gram(X, width=64, seed=np.random.SeedSequence(123).spawn(1)[0]))
    np.testing.assert_array_equal(ntk_gram(X, width=64, seed=np.random.SeedSequence(5)),
                                  ntk_gram(X, width=64, seed=5))
    Kl = ntk_gram(X, width=64, seed=np.random.SeedSequence([1, 2, 3]))
    np.testing.assert_array_equal(Kl, ntk_gram(X, width=64, seed=np.random.SeedSequence([1, 2, 3])))
    nets = [TwoLayerNTK(8, seed=k) for k in kids]
    assert nets[0].entropy != nets[1].entropy
    np.testing.assert_array_equal(nets[0].gram(X), ntk_gram(X, width=8, seed=kids[0]))


@pytest.mark.parametrize("train", TRAINS)
def test_linearization_coefficients_keys_and_g_at_one(train):
    """The documented keys, and g_one = g(1) = K(x, x) / |x|^2 of the exact kernel."""
    c = linearization_coefficients(train)
    assert set(c) == {"g0", "g1", "g2", "g_one"}
    x = np.array([[0.6, -0.8, 2.0]])
    np.testing.assert_allclose(ntk_gram(x, train=train)[0, 0] / np.sum(x**2), c["g_one"], rtol=1e-14)
    assert "``g_one = g(1)``" in linearization_coefficients.__doc__


def test_init_params_validates_d():
    net = TwoLayerNTK(4, seed=0)
    for d, exc in ((0, ValueError), (-1, ValueError), (2.5, TypeError), (True, TypeError)):
        with pytest.raises(exc, match="d must"):
            net.init_params(d)
    assert net.init_params(np.int64(3))[0].shape == (4, 3)
