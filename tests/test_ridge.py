"""RidgePath against direct solves on random shapes: p >> n, n > p, n = p, odd sizes, rank-deficient,
float32 and float64, every standard-risk route, full and diagonal covariances."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import fastrisk as fr
from fastrisk import spectra

from . import naive

SHAPES = [(7, 31), (30, 200), (40, 41), (25, 25), (53, 12), (120, 9), (1, 5), (5, 1)]
QS = [1.0, 1.5, 2.0, 3.0, math.inf]


def make_problem(n, p, seed, *, cov="power", rank=None, dtype=np.float64, noise=0.5):
    rng = np.random.default_rng(seed)
    if cov == "power":
        c = spectra.power_law(p, a=1.0)
    elif cov == "spiked":
        c = spectra.spiked(p, min(3, p), spike=2.0, tail=0.3)
    else:
        A = rng.standard_normal((p, p))
        c = A @ A.T / p + 0.1 * np.eye(p)
    ts = rng.standard_normal(p) / math.sqrt(p)
    design = fr.GaussianDesign(cov=c, theta_star=ts, noise=noise)
    X, y = design.sample(n, seed=seed)
    if rank is not None:
        B = rng.standard_normal((n, rank))
        X = B @ (np.linalg.pinv(B) @ X)  # rank-`rank` design
        y = X @ ts + noise * rng.standard_normal(n)
    return X.astype(dtype), y, design


def lam_grid(n, p):
    return np.array([0.0, 1e-3, 0.1, 1.0, 10.0, 1e4])


@pytest.mark.parametrize("n,p", SHAPES)
def test_coef_predict_norms_match_direct(n, p):
    X, y, design = make_problem(n, p, seed=n * 1000 + p)
    lam = lam_grid(n, p)
    rp = fr.RidgePath(X, y, lam)
    Theta = naive.ridge_coef(X, y, lam)
    np.testing.assert_allclose(rp.coef(), Theta, rtol=1e-8, atol=1e-10 * np.abs(Theta).max())
    np.testing.assert_allclose(rp.coef(index=[1, 3]), Theta[:, [1, 3]], rtol=1e-8,
                               atol=1e-10 * np.abs(Theta).max())
    Xn = np.random.default_rng(1).standard_normal((9, p))
    np.testing.assert_allclose(rp.predict(Xn), Xn @ Theta, rtol=1e-8, atol=1e-9 * np.abs(Xn @ Theta).max())
    for q in QS:
        np.testing.assert_allclose(rp.norm(q), naive.lq_norms(Theta, q), rtol=1e-8)


@pytest.mark.parametrize("n,p", SHAPES)
@pytest.mark.parametrize("route", [None, "struct", "gram", "pass"])
def test_standard_risk_routes_match_direct(n, p, route):
    X, y, design = make_problem(n, p, seed=7 * n + p)
    lam = lam_grid(n, p)
    rp = fr.RidgePath(X, y, lam)
    rp._route_override = route
    Theta = naive.ridge_coef(X, y, lam)
    ref = naive.excess_risk(Theta, design.cov, design.theta_star)
    np.testing.assert_allclose(rp.standard_risk(design), ref, rtol=1e-7, atol=1e-12)
    if route is not None:  # taken, or refused by its accuracy check (n ~ p: X Sigma X^T ill-conditioned)
        assert rp.last_route == route or (route == "gram" and "ill-conditioned" in rp.route_notes[route])
    if route == "gram" and (n, p) == (53, 12):
        assert rp.last_route == "gram"  # a well-conditioned design keeps the Sigma-Gram route


@pytest.mark.parametrize("n,p", [(20, 60), (60, 20), (30, 30)])
def test_full_covariance(n, p):
    X, y, design = make_problem(n, p, seed=3, cov="full")
    lam = lam_grid(n, p)
    rp = fr.RidgePath(X, y, lam)
    Theta = naive.ridge_coef(X, y, lam)
    ref = naive.excess_risk(Theta, design.cov, design.theta_star)
    np.testing.assert_allclose(rp.standard_risk(design), ref, rtol=1e-7)
    adv = rp.adversarial_risk(design, [0.0, 0.3], norm=np.inf)
    b = naive.lq_norms(Theta, 1)
    np.testing.assert_allclose(adv, naive.gaussian_adversarial(ref, b, np.array([0, 0.3])), rtol=1e-7)


@given(n=st.integers(1, 40), p=st.integers(1, 60), seed=st.integers(0, 2**20),
       logl=st.floats(-4, 3), E=st.integers(1, 4))
def test_fuzz_adversarial_risk_matches_direct(n, p, seed, logl, E):
    X, y, design = make_problem(n, p, seed, cov="spiked")
    lam = np.array([10.0**logl, 0.0])
    eps = np.linspace(0, 1, E)
    rp = fr.RidgePath(X, y, lam)
    Theta = naive.ridge_coef(X, y, lam)
    R = naive.excess_risk(Theta, design.cov, design.theta_star)
    for norm in (1, 2, 4.0, math.inf):
        q = fr.risk.dual_exponent(float(norm))
        got = rp.adversarial_risk(design, eps, norm=norm, target="noisy")
        ref = naive.gaussian_adversarial(R, naive.lq_norms(Theta, q), eps, "noisy", design.noise)
        np.testing.assert_allclose(got, ref, rtol=1e-6, atol=1e-10)


def test_consistent_target_projects_off_theta_star():
    X, y, design = make_problem(30, 90, seed=5)
    lam = np.array([0.0, 0.5, 5.0])
    rp = fr.RidgePath(X, y, lam)
    Theta = naive.ridge_coef(X, y, lam)
    ts = design.theta_star
    P = Theta - np.outer(ts, ts @ Theta) / (ts @ ts)
    R = naive.excess_risk(Theta, design.cov, ts)
    eps = np.array([0.0, 0.2, 1.0])
    np.testing.assert_allclose(rp.adversarial_risk(design, eps, target="consistent"),
                               naive.gaussian_adversarial(R, np.linalg.norm(P, axis=0), eps), rtol=1e-8)


@pytest.mark.parametrize("n,p", [(25, 80), (80, 25)])
@pytest.mark.parametrize("norm", [1, 2, 3, math.inf])
def test_empirical_adversarial_risk_matches_direct(n, p, norm):
    X, y, design = make_problem(n, p, seed=11)
    Xt, yt = design.sample(301, seed=12)
    lam = np.array([0.0, 0.01, 1.0, 100.0])
    eps = np.array([0.0, 0.05, 0.5])
    rp = fr.RidgePath(X, y, lam)
    Theta = naive.ridge_coef(X, y, lam)
    q = fr.risk.dual_exponent(float(norm))
    got = rp.empirical_adversarial_risk(Xt, yt, eps, norm=norm)
    np.testing.assert_allclose(got, naive.empirical_adversarial(Theta, Xt, yt, eps, q), rtol=1e-8)


@pytest.mark.parametrize("n,p", [(20, 70), (70, 20)])
def test_rank_deficient_min_norm_is_pinv(n, p):
    X, y, design = make_problem(n, p, seed=2, rank=8)
    rp = fr.RidgePath(X, y, [0.0, 1.0])
    assert rp.rank == 8
    theta = rp.coef()[:, 0]
    np.testing.assert_allclose(theta, np.linalg.pinv(X) @ y, rtol=1e-7, atol=1e-9)
    np.testing.assert_allclose(rp.coef()[:, 1], naive.ridge_coef(X, y, [1.0])[:, 0], rtol=1e-8)
    with pytest.raises(ValueError, match="rank-deficient"):
        fr.RidgePath(X, y, [-1e-6])


def test_negative_penalty_is_legal_above_minus_smallest_eigenvalue():
    X, y, _ = make_problem(20, 200, seed=4)
    smin = np.linalg.eigvalsh(X @ X.T)[0]
    lam = np.array([-0.5 * smin, -0.99 * smin])
    rp = fr.RidgePath(X, y, lam)
    ref = np.stack([X.T @ np.linalg.solve(X @ X.T + lm * np.eye(20), y) for lm in lam], axis=1)
    np.testing.assert_allclose(rp.coef(), ref, rtol=1e-7)
    with pytest.raises(ValueError, match="lam must be >"):
        fr.RidgePath(X, y, [-1.0001 * smin])


@pytest.mark.parametrize("n,p", [(30, 300), (200, 40)])
def test_float32_close_to_float64(n, p):
    X, y, design = make_problem(n, p, seed=9)
    lam = np.array([0.01, 1.0, 10.0]) * n
    r64 = fr.RidgePath(X, y, lam)
    r32 = fr.RidgePath(X.astype(np.float32), y, lam)
    assert r32.dtype == np.float32
    np.testing.assert_allclose(r32.standard_risk(design), r64.standard_risk(design), rtol=2e-3)
    for q in (1.0, 2.0, math.inf):
        np.testing.assert_allclose(r32.norm(q), r64.norm(q), rtol=2e-3)
    np.testing.assert_allclose(r32.coef(), r64.coef(), rtol=5e-3, atol=5e-4 * np.abs(r64.coef()).max())


def test_matches_scikit_learn_ridge():
    sklearn = pytest.importorskip("sklearn.linear_model")
    for n, p in [(40, 15), (15, 40)]:
        X, y, _ = make_problem(n, p, seed=21)
        lam = np.array([0.1, 1.0, 10.0])
        rp = fr.RidgePath(X, y, lam)
        for l, a in enumerate(lam):
            m = sklearn.Ridge(alpha=a, fit_intercept=False, solver="svd").fit(X, y)
            np.testing.assert_allclose(rp.coef(index=l)[:, 0], m.coef_, rtol=1e-8, atol=1e-12)


@pytest.mark.parametrize("n,p", [(25, 70), (70, 25)])
def test_from_gram_matches_constructor(n, p):
    X, y, design = make_problem(n, p, seed=31)
    lam = np.array([0.0, 0.3, 3.0])
    rp = fr.RidgePath(X, y, lam)
    if n <= p:
        rg = fr.RidgePath.from_gram(X @ X.T, y, lam, side="dual", X=X)
        bare = fr.RidgePath.from_gram(X @ X.T, y, lam, side="dual")
        np.testing.assert_allclose(bare.norm(2), rp.norm(2), rtol=1e-9)
        with pytest.raises(ValueError, match="needs the design matrix"):
            bare.norm(1)
        sts = design.cov * design.theta_star
        R = bare.standard_risk_from_stats((X * design.cov) @ X.T, X @ sts, design.theta_star @ sts)
    else:
        rg = fr.RidgePath.from_gram(X.T @ X, X.T @ y, lam, side="primal")
        sts = design.cov * design.theta_star
        R = rg.standard_risk_from_stats(np.diag(design.cov), sts, design.theta_star @ sts)
    np.testing.assert_allclose(R, rp.standard_risk(design), rtol=1e-8)
    np.testing.assert_allclose(rg.coef(), rp.coef(), rtol=1e-8, atol=1e-12)
    np.testing.assert_allclose(rg.adversarial_risk(design, [0.1], norm=1),
                               rp.adversarial_risk(design, [0.1], norm=1), rtol=1e-8)


def test_ridge_path_risks_dict():
    X, y, design = make_problem(30, 120, seed=41)
    lam = np.array([0.0, 1.0])
    out = fr.ridge_path_risks(X, y, lam, design.cov, design.theta_star, [0.0, 0.1], norm=np.inf,
                              target="clean", noise=design.noise)
    Theta = naive.ridge_coef(X, y, lam)
    R = naive.excess_risk(Theta, design.cov, design.theta_star)
    np.testing.assert_allclose(out["standard_risk"], R, rtol=1e-8)
    np.testing.assert_allclose(out["dual_norm"], naive.lq_norms(Theta, 1), rtol=1e-8)
    np.testing.assert_allclose(out["norm2"], naive.lq_norms(Theta, 2), rtol=1e-8)
    np.testing.assert_allclose(out["adversarial_risk"][:, 0], R, rtol=1e-8)
    np.testing.assert_allclose(out["ground_truth_adversarial_risk"],
                               np.array([0.0, 0.01]) * np.abs(design.theta_star).sum() ** 2, rtol=1e-12)
    np.testing.assert_allclose(out["df"], [np.linalg.matrix_rank(X),
                                           np.trace(X @ np.linalg.solve(X.T @ X + np.eye(120), X.T))],
                               rtol=1e-8)


def test_structure_detection_on_presets():
    n = 40
    for c, route in [(spectra.spiked(4000, 5, 1.0, 0.01), "struct"),
                     (spectra.isotropic(4000), "struct"),
                     (spectra.two_level(4000, 0.001, tau=2.0), "struct")]:
        ts = np.zeros(c.size)
        ts[0] = 1.0
        d = fr.GaussianDesign(c, ts, 1.0)
        X, y = d.sample(n, seed=1)
        rp = fr.RidgePath(X, y, np.logspace(-2, 2, 200))
        R = rp.standard_risk(d)
        assert rp.last_route == route
        rp2 = fr.RidgePath(X, y, rp.lam)
        rp2._route_override = "gram"
        np.testing.assert_allclose(R, rp2.standard_risk(d), rtol=1e-9)
