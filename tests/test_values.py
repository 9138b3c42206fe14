"""Value semantics (issue 7, item 2): small inputs are copied, so a caller reusing or changing its
buffers afterwards changes nothing; designs are immutable, so caches per design stay right."""

from __future__ import annotations

import numpy as np
import pytest

import fastrisk as fr
from fastrisk import spectra


def _path():
    rng = np.random.default_rng(0)
    ts = rng.standard_normal(40)
    spec = spectra.power_law(40)
    D = fr.GaussianDesign(spec, ts, noise=0.1)
    X, y = D.sample(20, seed=1)
    return rng, ts, spec, D, X, y


def test_changing_theta_star_in_place_does_not_change_the_design_or_its_risks():
    _, ts, spec, D, X, y = _path()
    rp = fr.RidgePath(X, y, [0.0, 1.0])
    before = rp.standard_risk(D)
    ts[:] = 0.0
    spec[:] = 5.0
    np.testing.assert_array_equal(rp.standard_risk(D), before)
    assert np.any(D.theta_star != 0) and np.all(D.cov != 5.0)
    fresh = fr.RidgePath(X, y, [0.0, 1.0])
    np.testing.assert_allclose(fresh.standard_risk(D), before, rtol=1e-12)


def test_design_is_immutable():
    _, _, _, D, _, _ = _path()
    with pytest.raises(ValueError):
        D.theta_star[0] = 1.0
    with pytest.raises(ValueError):
        D.cov[0] = 1.0
    with pytest.raises(AttributeError):
        D.theta_star = np.zeros(40)
    with pytest.raises(AttributeError):
        D.noise = 3.0


def test_reusing_the_lam_buffer_does_not_change_the_path():
    _, _, _, D, X, y = _path()
    lam = np.array([0.5, 1.0, 2.0])
    rp = fr.RidgePath(X, y, lam)
    n1 = rp.norm(1)
    lam[:] = -1e6
    np.testing.assert_array_equal(rp.lam, [0.5, 1.0, 2.0])
    np.testing.assert_array_equal(rp.norm(1), n1)
    with pytest.raises(ValueError):
        rp.lam[0] = -1e6  # read-only: validation cannot be bypassed


def test_eps_is_copied():
    _, ts, spec, D, X, y = _path()
    eps = np.array([0.0, 0.5])
    out = fr.ridge_path_risks(X, y, [1.0], spec, ts, eps)
    eps[:] = 9.0
    np.testing.assert_array_equal(out["eps"], [0.0, 0.5])


@pytest.mark.parametrize("bad", [True, np.bool_(True), [True, False]])
def test_booleans_are_not_numbers(bad):
    _, _, _, D, X, y = _path()
    with pytest.raises(TypeError, match="lam"):
        fr.RidgePath(X, y, bad)
    with pytest.raises(TypeError, match="eps"):
        fr.RidgePath(X, y, 1.0).adversarial_risk(D, bad)
    with pytest.raises(TypeError, match="seed"):
        D.sample(5, seed=True)


def test_a_pickled_design_stays_a_value():
    import copy
    import pickle

    _, ts, _, D, X, y = _path()
    for E in (pickle.loads(pickle.dumps(D)), copy.deepcopy(D), copy.copy(D)):
        np.testing.assert_array_equal(E.theta_star, D.theta_star)
        np.testing.assert_array_equal(E.cov, D.cov)
        assert E.noise == D.noise and E.p == D.p and E.is_diagonal
        with pytest.raises(ValueError):
            E.theta_star[0] = 1.0
        np.testing.assert_allclose(fr.RidgePath(X, y, 1.0).standard_risk(E),
                                   fr.RidgePath(X, y, 1.0).standard_risk(D), rtol=1e-14)
