"""The standard risk is computed in the coordinates of ``theta - theta*`` on every route and side:
it keeps its relative accuracy however close the estimator comes to theta* (issue 7, item 1)."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import fastrisk as fr
from fastrisk import spectra

ROUTES = ("struct", "gram", "pass")


def explicit_risk(C, cov, ts):
    D = C - ts[:, None]
    S = cov[:, None] * D if cov.ndim == 1 else cov @ D
    return np.einsum("pl,pl->l", D, S)


def explicit_consistent_norm(C, ts):
    # theta - (theta^T u) u, and the same from theta - theta*: take the more accurate of the two
    u = ts / np.linalg.norm(ts)
    P1 = C - np.outer(u, u @ C)
    D = C - ts[:, None]
    P2 = D - np.outer(u, u @ D)
    return np.where(np.linalg.norm(D, axis=0) < np.linalg.norm(C, axis=0),
                    np.linalg.norm(P2, axis=0), np.linalg.norm(P1, axis=0))


def problem(n, p, seed, kind, in_rowspace, noise):
    rng = np.random.default_rng(seed)
    if kind == "power":
        cov = spectra.power_law(p, a=1.0)
    elif kind == "spiked":
        cov = spectra.spiked(p, min(3, p), spike=4.0, tail=0.5)
    elif kind == "iso":
        cov = spectra.isotropic(p)
    else:
        A = rng.standard_normal((p, p))
        cov = A @ A.T / p + 0.2 * np.eye(p)
    ts = rng.standard_normal(p)
    X, _ = fr.GaussianDesign(cov=cov, theta_star=ts).sample(n, seed=seed)
    if in_rowspace:  # theta* in the row space of X: risks can go far below theta*^T Sigma theta*
        ts = X.T @ rng.standard_normal(n) / np.sqrt(n)
    design = fr.GaussianDesign(cov=cov, theta_star=ts, noise=noise)
    y = X @ ts + noise * rng.standard_normal(n)
    return X, y, design


@settings(max_examples=80, deadline=None)
@given(n=st.integers(2, 40), p=st.integers(2, 40), seed=st.integers(0, 2**20),
       kind=st.sampled_from(["power", "spiked", "iso", "full"]), in_rowspace=st.booleans(),
       noisy=st.booleans(), loglam=st.lists(st.floats(-9, 1), min_size=1, max_size=4),
       method=st.sampled_from(["gram", "svd"]))
def test_standard_risk_equals_explicit_on_every_route(n, p, seed, kind, in_rowspace, noisy, loglam,
                                                      method):
    X, y, design = problem(n, p, seed, kind, in_rowspace, 1e-3 if noisy else 0.0)
    s = np.linalg.svd(X, compute_uv=False)
    smin = float(s[min(n, p) - 1] ** 2)
    lam = smin * 10.0 ** np.asarray(loglam)  # penalties relative to the smallest Gram eigenvalue
    ts = design.theta_star
    tst = design.sigma_norm_sq(ts)
    for route in ROUTES if design.is_diagonal else (None,):
        rp = fr.RidgePath(X, y, lam, method=method)
        rp._route_override = route
        got = rp.standard_risk(design)
        ref = explicit_risk(rp.coef(), design.cov, ts)
        np.testing.assert_allclose(got, ref, rtol=1e-6, atol=1e-22 * tst, err_msg=f"route={route}")
    b = rp.adversarial_risk(design, [0.0], target="consistent")  # noqa: F841 (validates the path)
    cons = rp._dual_norm(design, 2.0, "consistent")
    ref = explicit_consistent_norm(rp.coef(), ts)
    np.testing.assert_allclose(cons, ref, rtol=1e-6, atol=1e-11 * np.linalg.norm(ts))


@pytest.mark.parametrize("n,p", [(200, 30), (30, 80)])
@pytest.mark.parametrize("route", ROUTES)
def test_risks_fifteen_orders_below_the_signal(n, p, route):
    """The issue's example: noiseless data, tiny penalties; the old quad - 2 cross + tst returned
    1.5e-14 and 6.7e-16 (and exactly 0 for isotropic Sigma) where the truth is 1.5e-14, 1.5e-18."""
    X, y, design = problem(n, p, seed=1, kind="power", in_rowspace=n < p, noise=0.0)
    tst = design.sigma_norm_sq(design.theta_star)
    for cov in (design.cov, spectra.isotropic(p)):
        d = fr.GaussianDesign(cov=cov, theta_star=design.theta_star)
        rp = fr.RidgePath(X, y, [1e-4, 1e-6, 1e-8])
        rp._route_override = route
        ref = explicit_risk(rp.coef(), cov, d.theta_star)
        assert ref[-1] < 1e-15 * tst
        np.testing.assert_allclose(rp.standard_risk(d), ref, rtol=1e-6)


@pytest.mark.parametrize("n,p", [(60, 25), (25, 60)])
@pytest.mark.parametrize("method", ["gram", "svd"])
def test_standard_risk_from_stats_with_x_theta_is_cancellation_free(n, p, method):
    X, y, design = problem(n, p, seed=3, kind="power", in_rowspace=n < p, noise=0.0)
    ts, cov = design.theta_star, design.cov
    lam = np.array([1e-3, 1e-6, 1e-9])
    rp = fr.RidgePath(X, y, lam, method=method)
    ref = explicit_risk(rp.coef(), cov, ts)
    tst = design.sigma_norm_sq(ts)
    if rp.side == "dual":
        stats = (X @ (cov[:, None] * X.T), X @ (cov * ts), tst)
        xt = X @ ts
    else:
        stats = (np.diag(cov), cov * ts, tst)
        xt = ts
    got = rp.standard_risk_from_stats(*stats, x_theta=xt)
    assert ref[-1] < 1e-15 * tst
    if rp.side == "primal":  # theta* and Sigma known: the remainder is formed explicitly
        np.testing.assert_allclose(got, ref, rtol=1e-6, atol=1e-22 * tst)
    else:  # theta* in the row space: the closed-form remainder is exact to ~1e-16 tst
        np.testing.assert_allclose(got, ref, rtol=1e-6, atol=1e-14 * tst)
    # without x_theta: the documented quad - 2 cross + tst, right at ordinary scales
    old = rp.standard_risk_from_stats(*stats)
    np.testing.assert_allclose(old, ref, rtol=1e-6, atol=1e-12 * tst)


@pytest.mark.parametrize("n,p", [(40, 15), (15, 40), (20, 20)])
@pytest.mark.parametrize("method", ["gram", "svd"])
@pytest.mark.parametrize("kind", ["power", "spiked", "full"])
def test_rank_deficient_designs_on_every_route(n, p, method, kind):
    """Null components (rank cut) belong to the remainder r on both sides."""
    X, _, design = problem(n, p, seed=4, kind=kind, in_rowspace=False, noise=0.0)
    rng = np.random.default_rng(9)
    B = rng.standard_normal((n, 6))
    X = B @ (np.linalg.pinv(B) @ X)  # rank 6
    ts = design.theta_star
    y = X @ ts + 0.01 * rng.standard_normal(n)
    lam = np.array([0.0, 1e-6, 1e-2, 10.0])
    for route in ROUTES if design.is_diagonal else (None,):
        rp = fr.RidgePath(X, y, lam, method=method)
        assert rp.rank == 6
        rp._route_override = route
        ref = explicit_risk(rp.coef(), design.cov, ts)
        np.testing.assert_allclose(rp.standard_risk(design), ref, rtol=1e-8, err_msg=str(route))
    np.testing.assert_allclose(rp._dual_norm(design, 2.0, "consistent"),
                               explicit_consistent_norm(rp.coef(), ts), rtol=1e-8)


@pytest.mark.parametrize("n,p", [(40, 15), (15, 40)])
@pytest.mark.parametrize("method", ["gram", "svd"])
def test_float32_paths_within_the_documented_accuracy(n, p, method):
    X, y, design = problem(n, p, seed=6, kind="power", in_rowspace=n < p, noise=0.0)
    ts = design.theta_star
    tst = design.sigma_norm_sq(ts)
    lam = np.array([0.0, 1e-4, 1e-2, 1.0, 100.0])
    for route in ROUTES:
        rp = fr.RidgePath(X.astype(np.float32), y, lam, method=method)
        rp._route_override = route
        ref = explicit_risk(rp.coef(), design.cov, ts)
        got = rp.standard_risk(design)
        assert np.all(np.abs(got - ref) <= 1e-5 * ref + 1e-5 * np.sqrt(ref * tst) + 1e-12 * tst), route
