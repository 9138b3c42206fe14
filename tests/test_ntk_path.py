"""KernelRidgePath against direct solves; interpolation, norms, risks, bad Grams."""

from __future__ import annotations

import numpy as np
import pytest

from fastrisk.ntk import KernelRidgePath, TwoLayerNTK, ntk_gram


def _data(n=40, d=12, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, d))
    return X, rng.standard_normal(n), rng.standard_normal((17, d))


@pytest.mark.parametrize("train", ["first", "second", "both"])
def test_path_matches_direct_solves(train):
    X, y, Xt = _data()
    K = ntk_gram(X, train=train)
    lam = np.array([0.0, 1e-2, 1.0, 30.0])
    path = KernelRidgePath(K, y, lam)
    B = path.dual_coef()
    Kt = ntk_gram(Xt, X, train=train)
    for l, lm in enumerate(lam):
        beta = np.linalg.solve(K + lm * np.eye(len(y)), y)
        np.testing.assert_allclose(B[:, l], beta, rtol=1e-7, atol=1e-9 * np.abs(beta).max())
        np.testing.assert_allclose(path.predict(Kt)[:, l], Kt @ beta, rtol=1e-7, atol=1e-9)
        np.testing.assert_allclose(path.rkhs_norm_sq()[l], beta @ K @ beta, rtol=1e-8)
        np.testing.assert_allclose(path.training_error()[l], np.mean((y - K @ beta) ** 2), atol=1e-12,
                                   rtol=1e-6)
        np.testing.assert_allclose(path.fitted()[:, l], K @ beta, rtol=1e-8, atol=1e-10)
    # interpolation at lam = 0 (full-rank NTK Gram for distinct, non-parallel inputs)
    np.testing.assert_allclose(path.fitted()[:, 0], y, rtol=0, atol=1e-7)
    f_star = Xt @ np.ones(12)
    np.testing.assert_allclose(path.standard_risk(Kt, f_star),
                               np.mean((path.predict(Kt) - f_star[:, None]) ** 2, axis=0), rtol=1e-14)
    np.testing.assert_allclose(path.df(), [np.trace(K @ np.linalg.inv(K + lm * np.eye(40))) for lm in lam],
                               rtol=1e-8)


def test_rank_deficient_gram_gives_min_norm_interpolant():
    """Duplicated inputs: the Gram is singular; lam = 0 is the pseudo-inverse solution."""
    X, _, _ = _data(20, 6)
    X = np.vstack([X, X[:5]])
    y = np.random.default_rng(1).standard_normal(25)
    y[20:] = y[:5]  # consistent labels on duplicates
    K = ntk_gram(X)
    path = KernelRidgePath(K, y, [0.0, 1.0])
    assert path.rank == 20
    np.testing.assert_allclose(path.dual_coef()[:, 0], np.linalg.pinv(K, rcond=1e-10) @ y, rtol=1e-7,
                               atol=1e-9)
    np.testing.assert_allclose(path.fitted()[:, 0], y, atol=1e-8)
    with pytest.raises(ValueError, match="rank-deficient"):
        KernelRidgePath(K, y, -1e-3)


def test_negative_penalty_above_smallest_eigenvalue():
    X, y, _ = _data()
    K = ntk_gram(X)
    smin = np.linalg.eigvalsh(K)[0]
    path = KernelRidgePath(K, y, -0.5 * smin)
    expect = np.linalg.solve(K - 0.5 * smin * np.eye(40), y)
    np.testing.assert_allclose(path.dual_coef()[:, 0], expect, rtol=1e-6)
    with pytest.raises(ValueError, match="smallest eigenvalue"):
        KernelRidgePath(K, y, -2 * smin)


def test_input_not_modified_unless_overwrite():
    X, y, _ = _data()
    K = ntk_gram(X)
    K0 = K.copy()
    KernelRidgePath(K, y, 1.0)
    np.testing.assert_array_equal(K, K0)


def test_regressor_subtracts_initial_output():
    """Non-symmetric finite init: f_hat = f_0 + k^T (K + lam)^-1 (y - f_0(X)), interpolating at lam=0."""
    X, y, Xt = _data(30, 5)
    net = TwoLayerNTK(200, seed=3, symmetric_init=False, train="both")
    fit = net.fit(X, y, [0.0, 3.0])
    f0, f0t = net.init_output(X), net.init_output(Xt)
    K, Kt = net.gram(X), net.gram(Xt, X)
    beta = np.linalg.solve(K + 3.0 * np.eye(30), y - f0)
    np.testing.assert_allclose(fit.predict(Xt)[:, 1], f0t + Kt @ beta, rtol=1e-8, atol=1e-10)
    np.testing.assert_allclose(fit.predict(X)[:, 0], y, atol=1e-7)
    ts = np.ones(5)
    np.testing.assert_allclose(fit.standard_risk(Xt, theta_star=ts),
                               np.mean((fit.predict(Xt) - (Xt @ ts)[:, None]) ** 2, axis=0), rtol=1e-14)


@pytest.mark.parametrize("K,match", [
    (np.ones((3, 4)), "square"),
    (np.array([[1.0, 2.0], [0.0, 1.0]]), "symmetric"),
    (np.array([[1.0, np.nan], [np.nan, 1.0]]), "NaN"),
    (np.zeros((0, 0)), "square"),
])
def test_bad_gram(K, match):
    with pytest.raises(ValueError, match=match):
        KernelRidgePath(K, np.ones(K.shape[0]), 0.0)


def test_bad_labels_and_kernel_columns():
    X, y, _ = _data()
    K = ntk_gram(X)
    with pytest.raises(ValueError, match="y"):
        KernelRidgePath(K, y[:-1], 0.0)
    with pytest.raises(ValueError, match="K_new"):
        KernelRidgePath(K, y, 0.0).predict(np.ones((3, 39)))
    with pytest.raises(ValueError, match="lam"):
        KernelRidgePath(K, y, np.nan)


@pytest.mark.slow
def test_indefinite_gram_is_rejected_not_silently_truncated():
    """A Gram with a clearly negative eigenvalue is not a kernel matrix: dropping that component (the
    rank-tolerance rule) would give wrong dual coefficients for every lam (here (K + 2I)^-1 y = [0, 1])."""
    K = np.array([[0.0, 1.0], [1.0, 0.0]])
    with pytest.raises(ValueError, match="positive semi-definite"):
        KernelRidgePath(K, np.array([1.0, 2.0]), [0.0, 2.0])
    X, y, _ = _data()
    K = ntk_gram(X)
    with pytest.raises(ValueError, match="K must be positive semi-definite"):
        s = np.linalg.eigvalsh(K)
        KernelRidgePath(K - (s[0] + 1e-6 * s[-1]) * np.eye(40), y, 1.0)
    # rounding-level negative eigenvalues of genuine NTK Grams (float32 ones included) are accepted
    X2 = np.random.default_rng(5).standard_normal((800, 2))
    for Kg in (ntk_gram(X2.astype(np.float32)), ntk_gram(np.vstack([X2[:50], X2[:50]]))):
        path = KernelRidgePath(Kg, np.ones(Kg.shape[0]), [0.0, 1.0])
        assert np.all(np.isfinite(path.dual_coef()))
