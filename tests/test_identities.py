"""Exact identities of the ridge path and the attacks (docs/math.md sections 1-4), stated tolerances.

Exact identities: ~1e-8 relative in float64. Monte Carlo: within 4 standard errors, fixed seeds.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

import fastrisk as fr
from fastrisk import risk, spectra


@pytest.fixture(scope="module")
def problem():
    p, n = 400, 60
    c = spectra.bllt_log(p)
    ts = np.zeros(p)
    ts[:3] = [1.0, -0.5, 0.25]
    d = fr.GaussianDesign(c, ts, noise=0.7)
    X, y = d.sample(n, seed=2024)
    return d, X, y


def test_item1_ridge_to_zero_is_min_norm_interpolator(problem):
    d, X, y = problem
    rp = fr.RidgePath(X, y, [0.0, 1e-9])
    th0, th_small = rp.coef().T
    pinv = np.linalg.pinv(X) @ y
    np.testing.assert_allclose(th0, pinv, rtol=1e-8, atol=1e-10)
    np.testing.assert_allclose(th_small, pinv, rtol=1e-6)
    np.testing.assert_allclose(X @ th0, y, rtol=1e-8, atol=1e-8 * np.abs(y).max())
    proj_null = th0 - np.linalg.pinv(X) @ (X @ th0)
    assert np.linalg.norm(proj_null) <= 1e-8 * np.linalg.norm(th0)


def test_item2_ridge_to_infinity(problem):
    d, X, y = problem
    lam = np.array([1e8, 1e10])
    rp = fr.RidgePath(X, y, lam)
    np.testing.assert_allclose(rp.norm(2) * lam, np.linalg.norm(X.T @ y), rtol=1e-3)
    tss = d.sigma_norm_sq(d.theta_star)
    np.testing.assert_allclose(rp.standard_risk(d), tss, rtol=1e-3)
    np.testing.assert_allclose(rp.adversarial_risk(d, [0.5], target="clean")[:, 0], tss, rtol=1e-3)
    np.testing.assert_allclose(rp.adversarial_risk(d, [0.5], target="noisy")[:, 0], d.noise**2 + tss,
                               rtol=1e-3)


def test_item3_parameterisations_and_solvers_agree(problem):
    d, X, y = problem
    n = X.shape[0]
    lam_norm = np.array([1e-3, 0.1, 2.0])
    dual = fr.RidgePath(X, y, n * lam_norm)
    primal = fr.RidgePath.from_gram(X.T @ X, X.T @ y, n * lam_norm, side="primal")
    U, s, Vt = np.linalg.svd(X, full_matrices=False)
    svd = np.stack([Vt.T @ (s / (s**2 + n * lm) * (U.T @ y)) for lm in lam_norm], axis=1)
    sk = pytest.importorskip("sklearn.linear_model")
    # normalised objective (1/n)||y - X theta||^2 + lam_norm ||theta||^2 == unnormalised lam = n lam_norm
    skl = np.stack([sk.Ridge(alpha=n * lm, fit_intercept=False, solver="svd").fit(X, y).coef_
                    for lm in lam_norm], axis=1)
    for other in (primal.coef(), svd, skl):
        np.testing.assert_allclose(dual.coef(), other, rtol=1e-7, atol=1e-11)


@pytest.mark.parametrize("norm", [1, 1.5, 2, 3, math.inf])
def test_item4_zero_radius_is_standard_risk(problem, norm):
    d, X, y = problem
    rp = fr.RidgePath(X, y, [0.0, 0.1, 10.0])
    R = rp.standard_risk(d)
    np.testing.assert_allclose(rp.adversarial_risk(d, [0.0], norm=norm, target="clean")[:, 0], R, rtol=1e-12)
    np.testing.assert_allclose(rp.adversarial_risk(d, [0.0], norm=norm, target="noisy")[:, 0],
                               R + d.noise**2, rtol=1e-12)


@pytest.mark.parametrize("norm", [1, 2, 3, math.inf])
def test_item5_ground_truth(norm):
    rng = np.random.default_rng(5)
    ts = rng.standard_normal(50)
    q = risk.dual_exponent(float(norm))
    b = np.linalg.norm(ts, ord=q)
    eps = np.array([0.0, 0.1, 1.0])
    np.testing.assert_allclose(risk.ground_truth_adversarial_risk(ts, eps, norm=norm), eps**2 * b**2,
                               rtol=1e-14)
    s = 0.8
    ref = s**2 + 2 * math.sqrt(2 / math.pi) * eps * s * b + eps**2 * b**2
    np.testing.assert_allclose(risk.ground_truth_adversarial_risk(ts, eps, norm=norm, target="noisy",
                                                                  noise=s), ref, rtol=1e-14)
    # Monte Carlo of the noisy ground truth: (|noise| + eps b)^2 averaged over Gaussian noise.
    z = s * rng.standard_normal(400_000)
    vals = (np.abs(z)[:, None] + eps[None, :] * b) ** 2
    mc, se = vals.mean(axis=0), vals.std(axis=0) / math.sqrt(z.size)
    assert np.all(np.abs(mc - ref) <= 4 * se + 1e-12)


@pytest.mark.parametrize("norm", [1, 1.5, 2, 4, math.inf])
def test_item6_inner_max_attained_and_never_exceeded(norm):
    rng = np.random.default_rng(6)
    p_, q = float(norm), risk.dual_exponent(float(norm))
    for _ in range(5):
        theta = rng.standard_normal(23)
        x = rng.standard_normal(23)
        r = x @ theta - rng.standard_normal()
        eps = 0.37
        delta = risk.optimal_perturbation(theta, eps, norm=norm, sign=np.sign(r))
        np.testing.assert_allclose(np.linalg.norm(delta, ord=np.inf if math.isinf(p_) else p_), eps,
                                   rtol=1e-12)
        best = (abs(r) + eps * np.linalg.norm(theta, ord=q)) ** 2
        np.testing.assert_allclose((r + delta @ theta) ** 2, best, rtol=1e-12)
        D = rng.standard_normal((5000, 23)) * rng.uniform(0.01, 3, (5000, 1))
        D *= eps / np.linalg.norm(D, ord=np.inf if math.isinf(p_) else p_, axis=1, keepdims=True)
        assert np.max((r + D @ theta) ** 2) <= best * (1 + 1e-12)


def test_item6_pgd_converges_to_exact_inner_max():
    rng = np.random.default_rng(61)
    theta = rng.standard_normal(15)
    r = 0.3
    eps = 0.5
    delta = np.zeros(15)
    for _ in range(200):  # projected gradient ascent in the l2 ball
        delta = delta + 0.05 * 2 * (r + delta @ theta) * theta
        nrm = np.linalg.norm(delta)
        if nrm > eps:
            delta *= eps / nrm
    np.testing.assert_allclose((r + delta @ theta) ** 2, (abs(r) + eps * np.linalg.norm(theta)) ** 2,
                               rtol=1e-10)


def test_item7_dual_norm_pairs_and_hoelder():
    assert risk.dual_exponent(2.0) == 2.0
    assert risk.dual_exponent(math.inf) == 1.0
    assert risk.dual_exponent(1.0) == math.inf
    np.testing.assert_allclose(risk.dual_exponent(3.0), 1.5)
    rng = np.random.default_rng(7)
    for p_ in (1.0, 1.3, 2.0, 3.0, math.inf):
        theta = rng.standard_normal(11)
        q = risk.dual_exponent(p_)
        u = risk.optimal_perturbation(theta, 1.0, norm=p_)
        np.testing.assert_allclose(u @ theta, np.linalg.norm(theta, ord=q), rtol=1e-12)


@pytest.mark.slow
def test_item8_gaussian_closed_form_matches_monte_carlo(problem):
    d, X, y = problem
    lam = np.array([0.0, 1.0, 30.0])
    rp = fr.RidgePath(X, y, lam)
    eps = np.array([0.0, 0.1, 0.3])
    m = 200_000
    Xt, yt = d.sample(m, seed=99)
    for target, labels in (("clean", Xt @ d.theta_star), ("noisy", yt)):
        for norm in (2, math.inf):
            closed = rp.adversarial_risk(d, eps, norm=norm, target=target)
            mc = rp.empirical_adversarial_risk(Xt, labels, eps, norm=norm)
            # standard error of the mean of (|r| + eps b)^2 estimated from the same sample
            Theta = rp.coef()
            q = risk.dual_exponent(float(norm))
            rr = np.abs(Xt @ Theta - labels[:, None])
            b = np.linalg.norm(Theta, ord=q, axis=0)
            se = np.stack([((rr + e * b) ** 2).std(axis=0) for e in eps], axis=1) / math.sqrt(m)
            assert np.all(np.abs(mc - closed) <= 4 * se), (target, norm)
    z = np.random.default_rng(8).standard_normal(1_000_000)
    assert abs(np.abs(z).mean() - risk.SQRT_2_OVER_PI) < 4 * np.abs(z).std() / 1000


def test_item9_distribution_free_bounds_hold_for_rademacher_designs(problem):
    d, X, y = problem
    rng = np.random.default_rng(9)
    lam = np.array([0.0, 0.5, 50.0])
    rp = fr.RidgePath(X, y, lam)
    Xt = rng.choice([-1.0, 1.0], size=(3000, X.shape[1])) * np.sqrt(d.cov)
    target = Xt @ d.theta_star
    eps = np.array([0.0, 0.05, 0.4])
    for norm in (1, 2, math.inf):
        emp = rp.empirical_adversarial_risk(Xt, target, eps, norm=norm)
        S = ((Xt @ rp.coef() - target[:, None]) ** 2).mean(axis=0)
        b = rp.norm(risk.dual_exponent(float(norm)))
        lo, hi = risk.distribution_free_bounds(S, b, eps)
        assert np.all(lo <= emp * (1 + 1e-10)) and np.all(emp <= hi * (1 + 1e-10))


def test_item10_attack_norm_ordering(problem):
    d, X, y = problem
    rp = fr.RidgePath(X, y, np.logspace(-3, 3, 13))
    eps = np.array([0.01, 0.1, 1.0])
    r1 = rp.adversarial_risk(d, eps, norm=1)
    r2 = rp.adversarial_risk(d, eps, norm=2)
    ri = rp.adversarial_risk(d, eps, norm=math.inf)
    assert np.all(ri >= r2) and np.all(r2 >= r1)
    assert np.all(rp.norm(1) <= math.sqrt(d.p) * rp.norm(2) * (1 + 1e-12))


def test_item21_rotation_invariance_l2_only():
    rng = np.random.default_rng(21)
    p, n = 30, 12
    c = spectra.power_law(p, a=0.7)
    ts = rng.standard_normal(p)
    Q, _ = np.linalg.qr(rng.standard_normal((p, p)))
    d = fr.GaussianDesign(c, ts, noise=0.3)
    X, y = d.sample(n, seed=3)
    d_rot = fr.GaussianDesign(cov=Q @ np.diag(c) @ Q.T, theta_star=Q @ ts, noise=0.3)
    lam = np.array([0.0, 1.0])
    a = fr.RidgePath(X, y, lam)
    b = fr.RidgePath(X @ Q.T, y, lam)
    np.testing.assert_allclose(b.adversarial_risk(d_rot, [0.3], norm=2), a.adversarial_risk(d, [0.3], norm=2),
                               rtol=1e-8)
    assert not np.allclose(b.adversarial_risk(d_rot, [0.3], norm=math.inf),
                           a.adversarial_risk(d, [0.3], norm=math.inf), rtol=1e-3)
    # permuting features (and Sigma, theta_star alike) changes nothing, for every norm
    perm = rng.permutation(p)
    dp = fr.GaussianDesign(c[perm], ts[perm], noise=0.3)
    cp = fr.RidgePath(X[:, perm], y, lam)
    np.testing.assert_allclose(cp.adversarial_risk(dp, [0.3], norm=math.inf),
                               a.adversarial_risk(d, [0.3], norm=math.inf), rtol=1e-8)


def test_item11_conditional_noise_expectation_of_norm():
    """E_noise ||theta_0||^2 - ||P theta*||^2 = sigma^2 tr((X X^T)^-1) >= sigma^2 n^2 / tr(X X^T)."""
    rng = np.random.default_rng(11)
    n, p, sigma = 20, 120, 0.9
    X = rng.standard_normal((n, p)) * np.sqrt(spectra.power_law(p, 0.5))
    ts = rng.standard_normal(p) / 5
    noise = sigma * rng.standard_normal((4000, n))
    norms = np.array([fr.RidgePath(X, X @ ts + e, [0.0]).norm(2)[0] ** 2 for e in noise[:400]])
    ref = np.linalg.norm(np.linalg.pinv(X) @ (X @ ts)) ** 2 + sigma**2 * np.trace(np.linalg.inv(X @ X.T))
    assert abs(norms.mean() - ref) <= 4 * norms.std() / math.sqrt(norms.size)
    assert sigma**2 * np.trace(np.linalg.inv(X @ X.T)) >= sigma**2 * n**2 / np.trace(X @ X.T)
