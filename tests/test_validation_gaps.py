"""Every validation gap of issue 7, item 6: each bad input is a TypeError/ValueError naming the
argument, never a wrong answer, a bare error or a division by zero."""

from __future__ import annotations

import math

import numpy as np
import pytest

import fastrisk as fr
from fastrisk import _validation, risk, spectra
from fastrisk.ntk import linearize, ntk_gram
from fastrisk.ntk.lazy import lazy_training_check, train_gd


@pytest.fixture
def small():
    rng = np.random.default_rng(0)
    D = fr.GaussianDesign(spectra.power_law(30), rng.standard_normal(30), noise=0.2)
    X, y = D.sample(12, seed=1)
    return D, X, y


def test_iter_blocks_and_sample_refuse_non_float_dtypes(small):
    D, _, _ = small
    with pytest.raises(TypeError, match="dtype"):
        next(D.iter_blocks(5, 0, dtype=int))
    with pytest.raises(TypeError, match="dtype"):
        next(D.iter_blocks(5, 0, dtype="not a dtype"))
    with pytest.raises(TypeError, match="dtype"):
        D.sample(5, 0, dtype=np.int64)


def test_block_zero_is_an_error_not_the_default(small):
    D, _, _ = small
    big = fr.GaussianDesign(spectra.isotropic(50), np.ones(50))
    with pytest.raises(ValueError, match="block"):
        fr.RidgePath.from_design(big, 10, 1.0, seed=0, block=0)
    with pytest.raises(ValueError, match="block"):
        D.sample(5, 0, block=0)
    with pytest.raises(TypeError, match="block"):
        fr.RidgePath.from_design(big, 10, 1.0, seed=0, block=2.5)


def test_standard_risk_from_stats_checks_sigma_gram_and_tst(small):
    D, X, y = small
    rp = fr.RidgePath(X, y, [0.0, 1.0])
    KS = X @ (D.cov[:, None] * X.T)
    v = X @ (D.cov * D.theta_star)
    tst = D.sigma_norm_sq(D.theta_star)
    with pytest.raises(ValueError, match="sigma_gram.*semi-definite"):
        rp.standard_risk_from_stats(-KS, v, tst)
    bad = KS.copy()
    bad[0, 1] += 1.0
    with pytest.raises(ValueError, match="sigma_gram must be symmetric"):
        rp.standard_risk_from_stats(bad, v, tst)
    ind = KS.copy()
    ind[0, 1] = ind[1, 0] = 2 * math.sqrt(KS[0, 0] * KS[1, 1])
    with pytest.raises(ValueError, match="sigma_gram.*semi-definite"):
        rp.standard_risk_from_stats(ind, v, tst)
    with pytest.raises(TypeError, match="theta_sigma_theta"):
        rp.standard_risk_from_stats(KS, v, "1.0")
    with pytest.raises(ValueError, match="theta_sigma_theta"):
        rp.standard_risk_from_stats(KS, v, -1.0)
    with pytest.raises(TypeError, match="sigma_gram"):
        rp.standard_risk_from_stats("abc", v, tst)
    np.testing.assert_allclose(rp.standard_risk_from_stats(KS, v, tst), rp.standard_risk(D), rtol=1e-9)


def test_from_gram_checks(small):
    _, X, y = small
    K = X @ X.T
    rp = fr.RidgePath.from_gram(K, y, [0.0, 1.0])
    with pytest.raises(ValueError, match="coef needs the design matrix"):
        rp.coef()
    for bad in (-3, 0):
        with pytest.raises(ValueError, match="n_features"):
            fr.RidgePath.from_gram(K, y, 1.0, n_features=bad)
    with pytest.raises(TypeError, match="n_features"):
        fr.RidgePath.from_gram(K, y, 1.0, n_features=2.5)
    with pytest.raises(TypeError, match="n_samples"):
        fr.RidgePath.from_gram(X.T @ X, X.T @ y, 1.0, side="primal", n_samples=True)
    with pytest.raises(ValueError, match="not X X\\^T"):
        fr.RidgePath.from_gram(K * 1.01, y, 1.0, X=X)
    Xo = X.copy()
    Xo[0, 0] += 1.0
    with pytest.raises(ValueError, match="not X X\\^T"):
        fr.RidgePath.from_gram(K, y, 1.0, X=Xo)
    with pytest.raises(ValueError, match="not X\\^T X"):
        fr.RidgePath.from_gram(X.T @ X + np.eye(30), X.T @ y, 1.0, side="primal", X=X)
    with pytest.raises(ValueError, match="n_features"):
        fr.RidgePath.from_gram(K, y, 1.0, X=X, n_features=7)
    ok = fr.RidgePath.from_gram(K, y, [0.0, 1.0], X=X)  # the real Gram passes
    np.testing.assert_allclose(ok.coef(), fr.RidgePath(X, y, [0.0, 1.0]).coef(), rtol=1e-8, atol=1e-12)
    ok32 = fr.RidgePath.from_gram(X.astype(np.float32) @ X.astype(np.float32).T, y, 1.0,
                                  X=X.astype(np.float32))
    assert ok32.rank == 12


@pytest.mark.parametrize("c", [1e200, 1e-200, 1.0])
@pytest.mark.parametrize("q", [1, 1.5, 2, 3, math.inf])
def test_lq_norm_at_any_scale(c, q):
    v = np.array([3.0, -4.0, 0.5, 0.0])
    ref = np.linalg.norm(v, ord=q)
    np.testing.assert_allclose(risk.lq_norm(c * v, q), c * ref, rtol=1e-14)
    assert risk.lq_norm(np.zeros(3), q) == 0.0


def test_risk_module_arguments():
    with pytest.raises(ValueError, match="S must be >= 0"):
        risk.distribution_free_bounds([-1.0], [1.0], [0.1])
    with pytest.raises(ValueError, match="b must be >= 0"):
        risk.distribution_free_bounds([1.0], [-1.0], [0.1])
    with pytest.raises(ValueError, match="one length"):
        risk.distribution_free_bounds([1.0, 2.0], [1.0], [0.1])
    for bad in (math.nan, math.inf):
        with pytest.raises(ValueError, match="sign"):
            risk.optimal_perturbation(np.ones(3), 0.1, sign=bad)
    with pytest.raises(TypeError, match="sign"):
        risk.optimal_perturbation(np.ones(3), 0.1, sign="-")
    assert np.all(risk.optimal_perturbation(np.ones(3), 0.1, sign=-2.0) < 0)
    with pytest.raises(ValueError, match="theta_star is empty"):
        risk.ground_truth_adversarial_risk([], [0.1])
    np.testing.assert_allclose(risk.ground_truth_adversarial_risk([1e200, 1e200], [1e-200]),
                               [2.0], rtol=1e-14)


def test_width_minus_infinity_is_not_infinite_width():
    X = np.ones((3, 2))
    with pytest.raises((TypeError, ValueError), match="width"):
        ntk_gram(X, width=-math.inf)
    np.testing.assert_array_equal(ntk_gram(X, width=math.inf), ntk_gram(X))


@pytest.mark.parametrize("f", [spectra.isotropic, spectra.power_law, spectra.bllt_log])
def test_spectra_name_the_bad_argument(f):
    with pytest.raises(TypeError, match="scale"):
        f(5, scale="a")
    with pytest.raises(TypeError, match="scale"):
        f(5, scale=True)
    with pytest.raises(ValueError, match="scale"):
        f(5, scale=-1.0)


def test_tail_mass_checks_its_keywords():
    with pytest.raises(TypeError, match="unexpected keyword"):
        spectra.tail_mass("power_law", 10, a=2.0, bta=1.0)
    with pytest.raises(TypeError, match="unexpected keyword"):
        spectra.tail_mass("power_law", 10, beta=2.0)
    with pytest.raises(ValueError, match="a must"):
        spectra.tail_mass("power_law", 10, a=math.nan)
    with pytest.raises(ValueError, match="scale"):
        spectra.tail_mass("bllt_log", 10, scale=-1.0)
    with pytest.raises(ValueError, match="kind"):
        spectra.tail_mass("power", 10)
    np.testing.assert_allclose(spectra.tail_mass("power_law", 10, a=2.0), 1 / 10.5, rtol=1e-12)


def test_ntk_helpers_on_all_zero_X():
    X = np.zeros((4, 3))
    with pytest.raises(ValueError, match="all zero"):
        train_gd(X, np.ones(4), 8, seed=0)
    with pytest.raises(ValueError, match="all zero"):
        linearize.linearized_gram(X)
    G = linearize.linearized_gram(X, trace=1.0, trace_sq=1.0)
    assert np.all(np.isfinite(G))


def test_lazy_training_check_names_widths():
    rng = np.random.default_rng(0)
    X, y = rng.standard_normal((4, 3)), rng.standard_normal(4)
    with pytest.raises(TypeError, match="widths"):
        lazy_training_check(X, y, X, widths=8)
    with pytest.raises(ValueError, match="widths"):
        lazy_training_check(X, y, X, widths=[])
    with pytest.raises(ValueError, match="widths"):
        lazy_training_check(X, y, X, widths=[8, -2])


@pytest.mark.parametrize("call, shown", [
    (lambda: _validation.check_eps(np.array([-1.0, 0.5])), "got min -1.0"),
    (lambda: _validation.check_norm(np.float64(0.5)), "got 0.5"),
    (lambda: _validation.check_nonnegative_float(np.float64(-1.0), "noise"), "got -1.0"),
])
def test_numpy_scalars_are_shown_as_numbers_in_messages(call, shown):
    with pytest.raises(ValueError) as exc:
        call()
    assert str(exc.value).endswith(shown) and "np.float64" not in str(exc.value)
