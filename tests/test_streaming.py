"""RidgePath.from_design: the path of design.sample(n, seed) without holding X, equal to the dense one."""

from __future__ import annotations

import math

import numpy as np
import pytest

import fastrisk as fr
from fastrisk import config, spectra


def _design(kind, p, noise=0.7):
    c = {"spiked": spectra.spiked(p, 4, 2.0, 0.1), "power": spectra.power_law(p, 0.8),
         "two_level": spectra.two_level(p, 0.02, tau=2.0)}[kind]
    ts = np.zeros(p)
    ts[:3] = [1.0, -0.5, 0.2]
    return fr.GaussianDesign(c, ts, noise=noise)


@pytest.mark.slow
@pytest.mark.parametrize("kind", ["spiked", "power", "two_level"])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_streamed_path_equals_dense_path(kind, dtype):
    p, n = 2 * config.GEN_BLOCK + 123, 37
    d = _design(kind, p)
    lam = np.array([0.0, 0.3, 30.0]) if dtype == np.float64 else np.array([0.3, 30.0])
    X, y = d.sample(n, seed=8, dtype=dtype)
    dense = fr.RidgePath(X, y, lam)
    st = fr.RidgePath.from_design(d, n, lam, seed=8, dtype=dtype, block=1000)
    assert st._X is None
    rtol = 1e-8 if dtype == np.float64 else 1e-4
    np.testing.assert_allclose(st.standard_risk(d), dense.standard_risk(d), rtol=rtol)
    for q in (1.0, 2.0, 3.0, math.inf):
        np.testing.assert_allclose(st.norm(q), dense.norm(q), rtol=rtol)
    eps = np.array([0.0, 0.2])
    for target in ("clean", "noisy", "consistent"):
        np.testing.assert_allclose(st.adversarial_risk(d, eps, target=target),
                                   dense.adversarial_risk(d, eps, target=target), rtol=rtol)
    Xt, yt = d.sample(50, seed=9)
    np.testing.assert_allclose(st.predict(Xt), dense.predict(Xt), rtol=rtol, atol=rtol * np.abs(yt).max())
    np.testing.assert_allclose(st.empirical_adversarial_risk(Xt, yt, eps, norm=math.inf),
                               dense.empirical_adversarial_risk(Xt, yt, eps, norm=math.inf), rtol=rtol)
    np.testing.assert_allclose(st.coef(index=[1]), dense.coef(index=[1]), rtol=rtol,
                               atol=rtol * np.abs(dense.coef(index=[1])).max())


def test_streamed_risk_against_another_design_regenerates():
    p, n = 3000, 25
    d = _design("power", p)
    other = fr.GaussianDesign(spectra.bllt_log(p), d.theta_star[::-1].copy(), noise=0.1)
    lam = np.array([0.0, 5.0])
    X, y = d.sample(n, seed=1)
    st = fr.RidgePath.from_design(d, n, lam, seed=1, risk_stats=False)
    dense = fr.RidgePath(X, y, lam)
    for route in ("gram", "pass", "struct"):
        st._route_override = dense._route_override = route
        st._risk_cache = {}
        dense._risk_cache = {}
        np.testing.assert_allclose(st.standard_risk(other), dense.standard_risk(other), rtol=1e-8)


def test_from_design_small_p_samples_whole_and_bad_input():
    d = _design("spiked", 10)
    st = fr.RidgePath.from_design(d, 40, [0.0, 1.0], seed=3)
    X, y = d.sample(40, seed=3)
    np.testing.assert_allclose(st.coef(), fr.RidgePath(X, y, [0.0, 1.0]).coef(), rtol=1e-10)
    full = fr.GaussianDesign(cov=np.eye(10), theta_star=np.ones(10))
    with pytest.raises(ValueError, match="diagonal covariance"):
        fr.RidgePath.from_design(full, 5, 1.0, seed=0)
    with pytest.raises(ValueError, match="n must be >= 1"):
        fr.RidgePath.from_design(d, 0, 1.0, seed=0)
    with pytest.raises(ValueError, match="lam contains NaN"):
        fr.RidgePath.from_design(d, 5, np.nan, seed=0)
