"""Ill-conditioned designs (issue 7, item 7): the Gram route warns where it stops interpolating;
``method="svd"`` matches numpy.linalg.pinv / lstsq at cond(X) = 1e6 .. 1e10."""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest

import fastrisk as fr
from fastrisk import spectra

from . import naive


def conditioned(n, p, cond, seed=0):
    """X = Q diag(sv) R^T with singular values log-spaced from 1 down to 1 / cond."""
    rng = np.random.default_rng(seed)
    k = min(n, p)
    Q, _ = np.linalg.qr(rng.standard_normal((n, k)))
    R, _ = np.linalg.qr(rng.standard_normal((p, k)))
    sv = np.logspace(0, -math.log10(cond), k)
    X = (Q * sv) @ R.T
    return X, rng.standard_normal(n)


@pytest.mark.parametrize("n,p", [(30, 80), (80, 30), (40, 40)])
@pytest.mark.parametrize("cond", [1e6, 1e8, 1e10])
def test_svd_route_is_pinv(n, p, cond):
    X, y = conditioned(n, p, cond)
    ref = np.linalg.lstsq(X, y, rcond=None)[0]
    np.testing.assert_allclose(np.linalg.pinv(X, rtol=max(n, p) * np.finfo(float).eps) @ y, ref,
                               rtol=1e-5 * cond / 1e6, atol=0)  # the references agree with each other
    with warnings.catch_warnings():
        warnings.simplefilter("error", fr.IllConditionedWarning)
        rp = fr.RidgePath(X, y, [0.0, 1e-12, 1e-3], method="svd")
    C = rp.coef()
    err = np.linalg.norm(C[:, 0] - ref) / np.linalg.norm(ref)
    assert err < 1e-12, err  # as exact as lstsq itself, whatever the condition number
    k = min(n, p)
    resid = np.linalg.norm(X @ C[:, 0] - y) / np.linalg.norm(y)
    resid_ref = np.linalg.norm(X @ ref - y) / np.linalg.norm(y)
    if n <= p:  # interpolates as well as lstsq does
        assert resid < 10 * resid_ref + 1e-13, (resid, resid_ref)
    else:  # least squares: the same residual
        np.testing.assert_allclose(resid, resid_ref, rtol=1e-9)
    assert rp.rank == k
    for l, lm in enumerate(rp.lam[1:], start=1):  # ridge: the normal equations through the SVD
        Q, sv, Rt = np.linalg.svd(X, full_matrices=False)
        th = Rt.T @ (sv / (sv**2 + lm) * (Q.T @ y))
        np.testing.assert_allclose(C[:, l], th, rtol=1e-6 * max(1.0, cond * cond * 1e-16 / lm),
                                   atol=1e-12 * np.abs(th).max())
    np.testing.assert_allclose(rp.norm(2)[0], np.linalg.norm(ref), rtol=1e-12)


@pytest.mark.parametrize("n,p", [(30, 80), (80, 30)])
@pytest.mark.parametrize("cond", [1e6, 1e7, 1e10])
def test_gram_route_warns_where_it_stops_interpolating(n, p, cond):
    X, y = conditioned(n, p, cond)
    with pytest.warns(fr.IllConditionedWarning, match="method='svd'"):
        rp = fr.RidgePath(X, y, [0.0, 1.0])
    if n <= p:  # and indeed it no longer interpolates to full accuracy
        resid = np.linalg.norm(X @ rp.coef(index=0)[:, 0] - y) / np.linalg.norm(y)
        assert resid > 1e-8


def test_well_conditioned_designs_do_not_warn_and_large_penalties_silence_it():
    X, y = conditioned(30, 80, 1e3)
    Xb, yb = conditioned(30, 80, 1e8)
    D = fr.GaussianDesign(spectra.power_law(80), np.ones(80))
    Xg, yg = D.sample(30, seed=1)
    with warnings.catch_warnings():
        warnings.simplefilter("error", fr.IllConditionedWarning)
        fr.RidgePath(X, y, [0.0, 1.0])
        fr.RidgePath(Xg, yg, 0.0)
        fr.RidgePath(Xb, yb, [1e-2, 1.0])  # ridge far above the unresolved eigenvalues


@pytest.mark.parametrize("n,p", [(20, 50), (50, 20), (25, 25)])
def test_svd_route_matches_gram_route_on_ordinary_data(n, p):
    rng = np.random.default_rng(n + p)
    cov = spectra.power_law(p)
    D = fr.GaussianDesign(cov, rng.standard_normal(p) / math.sqrt(p), noise=0.3)
    X, y = D.sample(n, seed=2)
    lam = np.array([0.0, 0.1, 10.0])
    a = fr.RidgePath(X, y, lam)
    b = fr.RidgePath(X, y, lam, method="svd")
    Theta = naive.ridge_coef(X, y, lam)
    np.testing.assert_allclose(b.coef(), Theta, rtol=1e-8, atol=1e-10 * np.abs(Theta).max())
    for q in (1, 2, math.inf):
        np.testing.assert_allclose(b.norm(q), a.norm(q), rtol=1e-8)
    for route in ("struct", "gram", "pass"):
        b._route_override = route
        b._risk_cache = {}
        np.testing.assert_allclose(b.standard_risk(D), naive.excess_risk(Theta, cov, D.theta_star),
                                   rtol=1e-7)
    np.testing.assert_allclose(b.adversarial_risk(D, [0.0, 0.5], norm=math.inf),
                               a.adversarial_risk(D, [0.0, 0.5], norm=math.inf), rtol=1e-7)
    b32 = fr.RidgePath(X.astype(np.float32), y, lam, method="svd")
    np.testing.assert_allclose(b32.norm(2), a.norm(2), rtol=1e-3)


def test_method_is_validated():
    with pytest.raises(ValueError, match="method"):
        fr.RidgePath(np.ones((3, 4)), np.ones(3), 1.0, method="qr")
