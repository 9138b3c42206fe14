"""The theory layer at any representable scale (issue 7, item 3): the same digits for Sigma, theta*,
noise and lam rescaled by powers of two (exact in floating point) as at unit scale, or a clear error
where the answer itself leaves the float64 range."""

import math
import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import fastrisk as fr
from fastrisk import theory as T

N, P = 100, 400
FIELDS_SCALE = {  # field -> (power of the spectrum scale c, power of the signal scale a)
    "kappa": (1, 0), "bias": (1, 2), "variance": (0, 0), "risk": (1, 2), "norm2_sq": (0, 2),
    "norm1": (0, 1), "norm_inf": (0, 1), "inner": (0, 2), "inner_sq": (0, 4), "df2": (0, 0),
}


def _problem():
    s = fr.spectra.power_law(P)
    th = np.zeros(P)
    th[:3] = [1.0, -0.5, 0.25]
    th[::37] += 0.01
    lam = np.array([0.0, 0.5, 10.0, 300.0])
    return s, th, 0.7, lam


@pytest.mark.parametrize("k", [-1000, -600, -300, -2, 2, 300, 600, 1000])
def test_ridge_equivalent_spectrum_scale(k):
    # Sigma -> 2^k Sigma, lam -> 2^k lam, theta* -> 2^(-k/2) theta*: the same estimator in rescaled
    # coordinates; kappa scales by 2^k, the risks are unchanged, the norms scale by 2^(-k/2)
    s, th, sigma, lam = _problem()
    ref = T.ridge_equivalent(s, th, sigma, N, lam)
    with warnings.catch_warnings(record=True) as w:
        warnings.simplefilter("always")
        got = T.ridge_equivalent(np.ldexp(s, k), np.ldexp(th, -k // 2), sigma, N, np.ldexp(lam, k))
    for f, (pc, pa) in FIELDS_SCALE.items():
        with np.errstate(over="ignore"):
            want = np.ldexp(getattr(ref, f), pc * k - pa * (k // 2))
        np.testing.assert_allclose(getattr(got, f), want, rtol=1e-11, err_msg=f)
    # (theta^T theta*)^2 ~ 2^(-2k) leaves float64 for k = -1000: inf with a warning saying so
    assert any("inner_sq" in str(x.message) for x in w) == bool(np.isinf(got.inner_sq).any())
    assert math.isclose(got.lam_min, ref.lam_min * 2.0**k) or (math.isnan(got.lam_min)
                                                                and math.isnan(ref.lam_min))


@pytest.mark.parametrize("m", [-500, -200, 200, 500])
def test_ridge_equivalent_signal_scale(m):
    # theta* and sigma -> 2^m: the estimator scales by 2^m
    s, th, sigma, lam = _problem()
    ref = T.ridge_equivalent(s, th, sigma, N, lam)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # inner_sq ~ 2^(4m) at |m| = 500
        got = T.ridge_equivalent(s, np.ldexp(th, m), math.ldexp(sigma, m), N, lam)
    for f, (_, pa) in FIELDS_SCALE.items():
        if f == "inner_sq" and abs(4 * m) > 1000:
            assert np.all(np.isinf(got.inner_sq) | (got.inner_sq == 0))  # 2^(4m) leaves float64
            continue
        want = getattr(ref, f) * 2.0 ** (2 * m) if f == "variance" else np.ldexp(getattr(ref, f), pa * m)
        np.testing.assert_allclose(getattr(got, f), want, rtol=1e-11, err_msg=f)


def test_ridge_equivalent_theta_1e200():
    # the issue's case: NaN with warnings before; norms of ~1e200 are representable, the risk (~1e400)
    # is not -> a clear error naming the arguments
    s, th, sigma, lam = _problem()
    with pytest.raises(ValueError, match="theta_star, noise and spectrum.*exceeds the float64 range"):
        T.ridge_equivalent(s, th * 1e200, sigma, N, lam)
    # with noise and signal at 1e150 everything is representable and exact
    ref = T.ridge_equivalent(s, th, sigma, N, lam)
    with pytest.warns(RuntimeWarning, match="inner_sq .* exceeds? the float64 range"):
        got = T.ridge_equivalent(s, th * 1e150, sigma * 1e150, N, lam)
    np.testing.assert_allclose(got.risk, ref.risk * 1e300, rtol=1e-11)
    np.testing.assert_allclose(got.norm1, ref.norm1 * 1e150, rtol=1e-11)


def test_ridge_equivalent_tiny_signal_keeps_the_noise_variance():
    # theta* ~ 1e-200 beside sigma = 0.7: the bias underflows to 0 (its true value ~1e-400), the
    # variance and the norms are exact
    s, th, sigma, lam = _problem()
    ref = T.ridge_equivalent(s, np.zeros(P), sigma, N, lam)
    got = T.ridge_equivalent(s, th * 1e-200, sigma, N, lam)
    np.testing.assert_allclose(got.variance, ref.variance, rtol=1e-12)
    np.testing.assert_allclose(got.risk, ref.risk, rtol=1e-12)
    np.testing.assert_allclose(got.norm2_sq, ref.norm2_sq, rtol=1e-12)


def test_effective_regularization_on_denormals():
    # a spectrum of subnormal numbers: the exact answer for the (rounded) input, which is itself a
    # power-of-two rescaling of a normal spectrum
    s, _, _, lam = _problem()
    k = -1040
    sd, ld = np.ldexp(s, k), np.ldexp(lam, k)
    assert np.all(sd < np.finfo(np.float64).tiny)
    back_s, back_l = np.ldexp(sd, -k), np.ldexp(ld, -k)  # exact
    want = T.effective_regularization(back_s, N, back_l)
    got = T.effective_regularization(sd, N, ld)
    # kappa ~ 1e-314 is itself subnormal: ~ 2^-1074 absolute resolution
    np.testing.assert_allclose(got, np.ldexp(want, k), rtol=1e-8, atol=0)
    assert np.all(got[1:] > 0)


def test_large_spectrum_penalty_bound_is_relative():
    # lam / n up to 1e100 * max(spectrum) is accepted at any spectrum scale
    s, th, sigma, _ = _problem()
    lam = np.array([1.0, 1e20])
    ref = T.effective_regularization(s, N, lam)
    got = T.effective_regularization(np.ldexp(s, 900), N, np.ldexp(lam, 900))
    np.testing.assert_allclose(got, ref * 2.0**900, rtol=1e-11)


@pytest.mark.parametrize("k", [-1000, -996, 996, 1000])
def test_hmrt_ridgeless_any_scale(k):
    s, th, sigma, _ = _problem()
    ref = T.hmrt_ridgeless(s, th, sigma, N)
    got = T.hmrt_ridgeless(np.ldexp(s, k), np.ldexp(th, -k // 2), sigma, N)
    assert math.isclose(got["c0"], ref["c0"] * 2.0**-k, rel_tol=1e-11)
    assert math.isclose(got["kappa0"], ref["kappa0"] * 2.0**k, rel_tol=1e-11)
    for f in ("bias", "variance", "risk"):
        assert math.isclose(got[f], ref[f], rel_tol=1e-11), f
    # 1e-300 Sigma with the same theta*: exact bias 1e-300 times smaller (no overflow of c0 g s)
    got2 = T.hmrt_ridgeless(np.ldexp(s, k), th, sigma, N)
    assert math.isclose(got2["bias"], ref["bias"] * 2.0**k, rel_tol=1e-11)


def test_hmrt_ridgeless_out_of_range():
    s, th, sigma, _ = _problem()
    with pytest.warns(RuntimeWarning, match="c0 .* exceeds the float64 range"):
        out = T.hmrt_ridgeless(np.ldexp(s, -1040), th, sigma, N)
    assert out["c0"] == math.inf and math.isfinite(out["risk"])
    with pytest.raises(ValueError, match="exceeds the float64 range"):
        T.hmrt_ridgeless(s, th * 1e200, sigma, N)


@pytest.mark.parametrize("k", [-1000, 1000])
def test_ranks_and_benign_report_any_scale(k):
    s = fr.spectra.power_law(P)
    r, R = T.effective_ranks(s)
    rk, Rk = T.effective_ranks(np.ldexp(s, k))
    np.testing.assert_allclose(rk, r, rtol=1e-12)
    np.testing.assert_allclose(Rk, R, rtol=1e-12)
    assert T.critical_index(np.ldexp(s, k), N) == T.critical_index(s, N)
    ref = T.benign_report(s, n=N, theta_norm=2.0)
    got = T.benign_report(np.ldexp(s, k), n=N, theta_norm=math.ldexp(2.0, -k // 2))
    for f in ("r0_over_n", "kstar_over_n", "n_over_Rkstar", "variance_lower_bound", "variance_upper_shape",
              "bias_upper_shape"):
        assert math.isclose(getattr(got, f), getattr(ref, f), rel_tol=1e-12), f
    assert got.kstar == ref.kstar


def test_issue_cases_literal():
    # the reports as filed: a spectrum times 1e-300, theta* ~ 1e200, penalties on denormals
    s, th, sigma, lam = _problem()
    h0, h = T.hmrt_ridgeless(s, th, sigma, N), T.hmrt_ridgeless(s * 1e-300, th * 1e150, sigma, N)
    assert math.isclose(h["risk"], h0["risk"], rel_tol=1e-12)
    b0, b = T.benign_report(s, n=N), T.benign_report(s * 1e-300, n=N)
    assert math.isclose(b.n_over_Rkstar, b0.n_over_Rkstar, rel_tol=1e-12)
    assert math.isclose(b.variance_lower_bound, b0.variance_lower_bound, rel_tol=1e-12)
    with pytest.raises(ValueError, match="theta_star"):
        T.ridge_equivalent(s, th * 1e200, sigma, N, lam)
    k = T.effective_regularization(s * 1e-310, N, lam * 1e-310)
    assert np.all(np.isfinite(k)) and np.all(k[1:] > 0)


@settings(max_examples=25)
@given(k=st.integers(-1000, 1000), m=st.integers(-400, 400), preset=st.sampled_from(["power_law", "spiked",
                                                                                    "two_level", "bllt_log"]))
def test_scale_property(k, m, preset):
    # any power-of-two rescaling of Sigma (and lam) and of (theta*, sigma): kappa scales by 2^k, the risk
    # by 2^(k + 2m) after theta* -> 2^m theta*, sigma -> 2^(m + k/2) sigma
    spec = {"power_law": fr.spectra.power_law(P), "spiked": fr.spectra.spiked(P, 5, 1.0, 0.05),
            "two_level": fr.spectra.two_level(P, 0.02, tau=2), "bllt_log": fr.spectra.bllt_log(P)}[preset]
    _, th, sigma, lam = _problem()
    k -= k % 2
    ref = T.ridge_equivalent(spec, th, sigma, N, lam, sequence_norms=False)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # inner_sq may leave float64
        try:
            got = T.ridge_equivalent(np.ldexp(spec, k), np.ldexp(th, m), math.ldexp(sigma, m + k // 2), N,
                                     np.ldexp(lam, k), sequence_norms=False)
        except ValueError as e:  # only when the risk itself leaves float64
            assert "exceeds the float64 range" in str(e)
            assert not np.all(np.isfinite(np.ldexp(ref.risk, k + 2 * m)))
            return
    np.testing.assert_allclose(got.kappa, np.ldexp(ref.kappa, k), rtol=1e-11)
    want = np.ldexp(ref.risk, k + 2 * m)
    normal = want > np.finfo(np.float64).tiny  # subnormal results carry fewer digits
    np.testing.assert_allclose(got.risk[normal], want[normal], rtol=1e-11)
    np.testing.assert_allclose(got.norm2_sq, np.ldexp(ref.norm2_sq, 2 * m), rtol=1e-11)


def test_scale_ldexp_equals_numpy_ldexp_bit_for_bit():
    # the fast product by 2^e must round like ldexp, subnormal results included
    from fastrisk.theory import _scale

    rng = np.random.default_rng(0)
    x = np.concatenate([rng.standard_normal(1000) * 10.0 ** rng.uniform(-300, 300, 1000),
                        [0.0, -0.0, 5e-324, 2.2250738585072014e-308, 1.7976931348623157e308]])
    for e in [0, 1, -1, 7, -52, -600, -1022, 1023, -1074, -1100, 1100, 3000, -3000]:
        with np.errstate(over="ignore", under="ignore"):
            want = np.ldexp(x, e)
        np.testing.assert_array_equal(_scale.ldexp(x, e), want, err_msg=f"e = {e}")
    assert _scale.ldexp(x, 0) is x  # no copy at e = 0
    assert _scale.ldexp(3.0, -1) == 1.5
