"""Any representable scale (issue 7, item 3): ridge on ``c X`` with penalties ``c^2 lam`` has
coefficients ``theta / c``; against the design ``(c^2 Sigma, theta* / c)`` and radii ``c eps`` every
risk is the same number. Beyond the representable range: a clear error, never a silent 0, inf or NaN."""

from __future__ import annotations

import math

import numpy as np
import pytest

import fastrisk as fr
from fastrisk import spectra
from fastrisk.ntk import ntk_gram

CS = [1e-100, 1e-60, 1e-20, 1.0, 1e20, 1e60, 1e100]


def _problem(n, p, kind="power"):
    rng = np.random.default_rng(n * 7 + p)
    cov = spectra.power_law(p) if kind == "power" else spectra.spiked(p, 2, spike=3.0, tail=0.5)
    ts = rng.standard_normal(p) / math.sqrt(p)
    D = fr.GaussianDesign(cov, ts, noise=0.3)
    X, y = D.sample(n, seed=3)
    return X, y, D


def _scaled(D, c):
    return fr.GaussianDesign(cov=D.cov * c * c, theta_star=D.theta_star / c, noise=D.noise)


@pytest.mark.parametrize("n,p", [(20, 50), (50, 20)])
@pytest.mark.parametrize("kind", ["power", "spiked"])
def test_same_numbers_for_c_times_X(n, p, kind):
    X, y, D = _problem(n, p, kind)
    lam = np.array([0.0, 1e-3, 0.5, 20.0])
    eps = np.array([0.0, 0.1, 1.0])
    base = fr.RidgePath(X, y, lam)
    ref = {
        "coef": base.coef(),
        "norms": [base.norm(q) for q in (1, 2, 3, math.inf)],
        "risk": base.standard_risk(D),
        "adv2": base.adversarial_risk(D, eps),
        "advinf": base.adversarial_risk(D, eps, norm=math.inf),
        "cons": base.adversarial_risk(D, eps, target="consistent"),
        "df": base.df(),
    }
    Xn = np.random.default_rng(0).standard_normal((5, p))
    pred = base.predict(Xn)
    yn = Xn @ D.theta_star
    emp = base.empirical_adversarial_risk(Xn, yn, eps, norm=math.inf)
    for c in CS:
        Dc = _scaled(D, c)
        rp = fr.RidgePath(c * X, y, c * c * lam)
        msg = f"c={c:g}"
        np.testing.assert_allclose(rp.coef() * c, ref["coef"], rtol=1e-9, atol=1e-12, err_msg=msg)
        for q, r in zip((1, 2, 3, math.inf), ref["norms"], strict=True):
            np.testing.assert_allclose(rp.norm(q) * c, r, rtol=1e-9, err_msg=msg)
        np.testing.assert_allclose(rp.df(), ref["df"], rtol=1e-12, err_msg=msg)
        np.testing.assert_allclose(rp.predict(c * Xn), pred, rtol=1e-9, atol=1e-12, err_msg=msg)
        np.testing.assert_allclose(rp.empirical_adversarial_risk(c * Xn, yn, c * eps, norm=math.inf), emp,
                                   rtol=1e-9, err_msg=msg)
        for route in ("struct", "gram", "pass"):
            rp._route_override = route
            rp._risk_cache = {}
            np.testing.assert_allclose(rp.standard_risk(Dc), ref["risk"], rtol=1e-9, err_msg=msg + route)
        rp._route_override = None
        np.testing.assert_allclose(rp.adversarial_risk(Dc, c * eps), ref["adv2"], rtol=1e-9, err_msg=msg)
        np.testing.assert_allclose(rp.adversarial_risk(Dc, c * eps, norm=math.inf), ref["advinf"],
                                   rtol=1e-9, err_msg=msg)
        np.testing.assert_allclose(rp.adversarial_risk(Dc, c * eps, target="consistent"), ref["cons"],
                                   rtol=1e-9, err_msg=msg)


@pytest.mark.parametrize("c", [1e-100, 1e100])
def test_full_covariance_and_streaming_at_extreme_scales(c):
    rng = np.random.default_rng(2)
    p, n = 30, 12
    A = rng.standard_normal((p, p))
    cov = A @ A.T / p + 0.1 * np.eye(p)
    ts = rng.standard_normal(p)
    D = fr.GaussianDesign(cov=cov, theta_star=ts, noise=0.2)
    X, y = D.sample(n, seed=1)
    lam = np.array([0.0, 0.3])
    ref = fr.RidgePath(X, y, lam).standard_risk(D)
    got = fr.RidgePath(c * X, y, c * c * lam).standard_risk(_scaled(D, c))
    np.testing.assert_allclose(got, ref, rtol=1e-9)
    # a streamed path folds X Sigma X^T in its own units
    Dd = fr.GaussianDesign(spectra.power_law(3000, a=0.5), rng.standard_normal(3000) / 50, noise=0.1)
    ref = fr.RidgePath.from_design(Dd, 40, lam, seed=4).standard_risk(Dd)
    Ddc = _scaled(Dd, c)
    st = fr.RidgePath.from_design(Ddc, 40, c * c * lam, seed=4)
    st._route_override = "gram"
    np.testing.assert_allclose(st.standard_risk(Ddc), ref, rtol=1e-8)


@pytest.mark.parametrize("c", [1e-160, 1e-200])
def test_underflowing_gram_is_a_clear_error(c):
    X, y, _ = _problem(20, 50)
    with pytest.raises(ValueError, match="too small"):
        fr.RidgePath(c * X, y, 0.0)
    with pytest.raises(ValueError, match="too small"):
        fr.RidgePath((c * X).T.copy(), np.ones(50), 0.0)  # primal side


def test_overflowing_gram_is_a_clear_error():
    X, y, _ = _problem(20, 50)
    with pytest.raises(ValueError, match="inf or NaN"):
        fr.RidgePath(1e160 * X, y, 0.0)


def test_zero_design_is_still_rank_zero():
    rp = fr.RidgePath(np.zeros((5, 8)), np.ones(5), [0.0, 1.0])
    assert rp.rank == 0
    np.testing.assert_array_equal(rp.norm(2), 0.0)


@pytest.mark.parametrize("c", [1e-12, 1e-6, 1e6, 1e12])
def test_float32_scales(c):
    X, y, D = _problem(20, 50)
    lam = np.array([1e-2, 1.0])
    X32 = X.astype(np.float32)
    base = fr.RidgePath(X32, y, lam)
    rp = fr.RidgePath((X32 * np.float32(c)), y, c * c * lam)
    np.testing.assert_allclose(rp.norm(2) * c, base.norm(2), rtol=1e-4)
    np.testing.assert_allclose(rp.standard_risk(_scaled(D, c)), base.standard_risk(D), rtol=1e-4)


@pytest.mark.parametrize("c", [1e-23, 1e-30])
def test_float32_underflow_is_a_clear_error(c):
    X, y, _ = _problem(20, 50)
    with pytest.raises(ValueError, match="too small for float32"):
        fr.RidgePath((X * c).astype(np.float32), y, 1.0)


@pytest.mark.parametrize("train", ["first", "both"])
def test_ntk_gram_never_returns_inf_or_nan(train):
    X = np.random.default_rng(0).standard_normal((6, 4))
    with pytest.raises(ValueError, match="overflows"):
        ntk_gram(1e160 * X, train=train)
    with pytest.raises(ValueError, match="overflows"):
        ntk_gram(1e160 * X, 1e160 * X, train=train)
    with pytest.raises(ValueError, match="overflows"):
        ntk_gram(1e160 * X, train=train, width=8, seed=0)
    K = ntk_gram(1e100 * X, train=train)
    np.testing.assert_allclose(K / 1e200, ntk_gram(X, train=train), rtol=1e-12)


@pytest.mark.parametrize("c", [1e-100, 1e100])
def test_kernel_ridge_path_summaries_at_any_scale(c):
    rng = np.random.default_rng(1)
    X, y = rng.standard_normal((15, 4)), rng.standard_normal(15)
    K = ntk_gram(X)
    lam = np.array([0.0, 0.1, 3.0])
    base = fr.ntk.KernelRidgePath(K, y, lam)
    kp = fr.ntk.KernelRidgePath(c * c * K, y, c * c * lam)
    np.testing.assert_allclose(kp.rkhs_norm_sq() * c * c, base.rkhs_norm_sq(), rtol=1e-9)
    np.testing.assert_allclose(kp.training_error(), base.training_error(), rtol=1e-9, atol=1e-20)
    np.testing.assert_allclose(kp.df(), base.df(), rtol=1e-12)
