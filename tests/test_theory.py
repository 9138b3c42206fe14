"""fastrisk.theory: exact identities, agreement with the naive per-penalty solver, closed forms, ranks,
bounds, frontier and bad input. Simulation checks live in tests/test_theory_simulation.py."""

import math

import numpy as np
import pytest

import fastrisk as fr
from fastrisk import theory as T
from fastrisk.theory import equivalents as E
from tests import naive_theory as nt

N, P = 300, 1500


def _presets(p=P):
    return {
        "spiked": fr.spectra.spiked(p, 10, 1.0, 0.05),
        "two_level": fr.spectra.two_level(p, 0.02, tau=2),
        "bllt_log": fr.spectra.bllt_log(p),
        "power_law": fr.spectra.power_law(p, 1.0),
    }


def _theta(p, kind="spread"):
    th = np.zeros(p)
    if kind == "spread":
        th[:10] = np.linspace(1.0, 0.1, 10)
        th[::97] += 0.05
    else:
        th[0] = 1.0
    return th


# ------------------------------------------------------------------------------ vs naive brentq
@pytest.mark.parametrize("name", ["spiked", "two_level", "bllt_log", "power_law"])
def test_equivalent_matches_brentq_loop(name):
    s = _presets()[name]
    th = _theta(P)
    lam = np.concatenate([[0.0], np.logspace(-4, 5, 25)])
    eq = T.ridge_equivalent(s, th, 0.5, N, lam)
    ref = nt.ridge_equivalent(s, th, 0.5, N, lam)
    for k in ("kappa", "bias", "variance", "risk", "norm2_sq", "norm1"):
        np.testing.assert_allclose(getattr(eq, k), ref[k], rtol=1e-10, err_msg=k)
    np.testing.assert_allclose(eq.tau2, ref["tau2"], rtol=1e-10)


def test_equivalent_unsorted_spectrum_keeps_coordinates():
    rng = np.random.default_rng(0)
    s = fr.spectra.bllt_log(800)
    th = _theta(800)
    perm = rng.permutation(800)
    lam = np.array([0.0, 1.0, 50.0])
    a = T.ridge_equivalent(s, th, 0.3, 200, lam)
    b = T.ridge_equivalent(s[perm], th[perm], 0.3, 200, lam)
    for k in ("kappa", "risk", "norm2_sq", "norm1", "norm_inf"):
        np.testing.assert_allclose(getattr(a, k), getattr(b, k), rtol=1e-10, err_msg=k)


def test_long_path_interpolated_norm_inf_close_to_exact():
    s = fr.spectra.bllt_log(P)
    th = _theta(P, "e1")
    lam = np.logspace(-3, 5, 200)
    long = T.ridge_equivalent(s, th, 0.5, N, lam)  # > LINF_ANCHORS: interpolated
    pick = np.arange(0, 200, 13)
    short = T.ridge_equivalent(s, th, 0.5, N, lam[pick])  # exact at every penalty
    np.testing.assert_allclose(long.norm_inf[pick], short.norm_inf, rtol=3e-3)
    np.testing.assert_allclose(long.norm1[pick], short.norm1, rtol=1e-12)


# ------------------------------------------------------------------------------ exact identities
def test_kappa0_solves_df1_equal_n():
    for s in _presets().values():
        eq = T.ridge_equivalent(s, _theta(P), 1.0, N, 0.0)
        k0 = eq.kappa[0]
        assert np.sum(s / (s + k0)) == pytest.approx(N, rel=1e-12)


def test_self_consistent_equation_holds_on_path():
    s = fr.spectra.bllt_log(5000)
    lam = np.concatenate([[0.0], np.logspace(-6, 6, 100)])
    kap = T.effective_regularization(s, N, lam)
    lhs = kap - lam / N
    rhs = kap / N * np.sum(s[None, :] / (s[None, :] + kap[:, None]), axis=1)
    np.testing.assert_allclose(lhs, rhs, rtol=1e-11, atol=1e-14 * kap.max())


def test_monotone_in_lam():
    s = fr.spectra.spiked(P, 10, 1.0, 0.05)
    th = _theta(P)
    lam = np.concatenate([[0.0], np.logspace(-6, 6, 400)])
    eq = T.ridge_equivalent(s, th, 0.5, N, lam)
    assert np.all(np.diff(eq.kappa) > 0)
    assert np.all(eq.kappa >= lam / N)
    assert np.all(np.diff(eq.norm2_sq) <= 1e-12 * eq.norm2_sq[:-1])
    bnum = eq.kappa**2 * np.sum(th**2 * s / (s[None, :] + eq.kappa[:, None]) ** 2, axis=1)
    assert np.all(np.diff(bnum) >= -1e-12 * bnum[1:])


def test_limits_large_lam():
    s = fr.spectra.bllt_log(P)
    th = _theta(P)
    eq = T.ridge_equivalent(s, th, 0.5, N, [1e12])
    assert eq.risk[0] == pytest.approx(np.sum(s * th**2), rel=1e-6)
    assert eq.norm2_sq[0] < 1e-12


@pytest.mark.parametrize("p,n", [(600, 300), (150, 300), (300, 300)])
def test_isotropic_closed_form_equals_general(p, n):
    lam = np.array([0.0, 1e-3, 1.0, 100.0, 1e5])
    if p < n:
        lam = np.concatenate([[-50.0, -5.0], lam])
    if p == n:
        lam = lam[1:]
    s = np.full(p, 2.0)
    th = np.zeros(p)
    th[0] = 1.0
    iso = T.isotropic_ridge(p, n, 1.0, 0.7, lam, scale=2.0)
    eq = T.ridge_equivalent(s, th, 0.7, n, lam)
    for k in ("kappa", "bias", "variance", "risk", "norm2_sq"):
        np.testing.assert_allclose(getattr(eq, k), getattr(iso, k), rtol=1e-10, atol=1e-300, err_msg=k)


@pytest.mark.parametrize("gamma,risk,norm2", [(2.0, 1.5, 1.5), (0.5, 1.0, 2.0)])
def test_hmrt_isotropic_limits(gamma, risk, norm2):
    # HMRT isotropic limits (docs/math.md section 6)
    assert T.hmrt_ridgeless_isotropic(gamma, 1.0, 1.0) == pytest.approx((risk, norm2), rel=1e-14)
    n = 200
    p = int(gamma * n)
    eq = T.ridge_equivalent(np.ones(p), np.r_[1.0, np.zeros(p - 1)], 1.0, n, 0.0)
    assert eq.risk[0] == pytest.approx(risk, rel=1e-12)
    assert eq.norm2_sq[0] == pytest.approx(norm2, rel=1e-12)
    if gamma > 1:
        assert eq.kappa[0] == pytest.approx(gamma - 1, rel=1e-12)


@pytest.mark.parametrize("name", ["spiked", "bllt_log", "power_law"])
def test_hmrt_general_ridgeless_equals_kappa_form(name):
    # HMRT general Sigma (docs/math.md 6): kappa_0 = 1 / (c_0 gamma), same B and V
    s = _presets()[name]
    th = _theta(P)
    h = T.hmrt_ridgeless(s, th, 0.5, N)
    eq = T.ridge_equivalent(s, th, 0.5, N, 0.0)
    assert h["kappa0"] == pytest.approx(eq.kappa[0], rel=1e-10)
    assert h["bias"] == pytest.approx(eq.bias[0], rel=1e-10)
    assert h["variance"] == pytest.approx(eq.variance[0], rel=1e-10)


def test_least_squares_p_below_n():
    s = fr.spectra.power_law(100, 1.0)
    eq = T.ridge_equivalent(s, _theta(100), 0.5, 300, [0.0, 1.0])
    assert eq.kappa[0] == 0.0
    assert eq.bias[0] == 0.0
    assert eq.variance[0] == pytest.approx(0.25 * 100 / 200, rel=1e-14)
    assert eq.kappa[1] > 0


def test_threshold_p_equals_n():
    s = fr.spectra.bllt_log(300)
    th = _theta(300)
    eq = T.ridge_equivalent(s, th, 0.5, 300, [0.0, 1e-8, 1.0])
    assert eq.kappa[0] == 0.0 and eq.lam_min == 0.0
    assert np.isinf(eq.variance[0]) and np.isinf(eq.risk[0]) and np.isinf(eq.norm2_sq[0])
    assert eq.bias[0] == 0.0
    assert np.isfinite(eq.risk[1]) and eq.risk[1] > 10 * eq.risk[2]
    eq0 = T.ridge_equivalent(s, th, 0.0, 300, 0.0)  # noiseless: the limit is theta* itself
    assert eq0.risk[0] == 0.0 and eq0.norm2_sq[0] == pytest.approx(th @ th)
    with pytest.raises(ValueError, match="lam must be >"):
        T.ridge_equivalent(s, th, 0.5, 300, -1e-3)


@pytest.mark.parametrize("p", [1500, 150])
def test_negative_lam(p):
    s = fr.spectra.bllt_log(p)
    th = _theta(p)
    n = N
    probe = T.ridge_equivalent(s, th, 0.5, n, -1e-9)
    lam_min = probe.lam_min
    assert lam_min < 0
    lam = np.array([0.999 * lam_min, 0.5 * lam_min, 0.0, 1.0])
    eq = T.ridge_equivalent(s, th, 0.5, n, lam)
    assert np.all(np.diff(eq.kappa) > 0)
    assert np.all(eq.df2 < 1)
    # the self-consistent equation holds and d -> 1 at the threshold
    k = eq.kappa
    np.testing.assert_allclose(k - lam / n, k / n * np.sum(s / (s + k[:, None]), axis=1), rtol=1e-9,
                               atol=1e-13)
    assert eq.df2[0] > 0.9
    with pytest.raises(ValueError, match="lam must be >"):
        T.ridge_equivalent(s, th, 0.5, n, 1.01 * lam_min)


def test_paper_check_15_values():
    # reference values: spiked, n=300, p=1500, sigma=0.5 -> R_0 ~ 0.088, E||theta||^2 ~ 1.68.
    # theta* was not recorded with them; ||theta*||^2 = 0.55 on a spike reproduces both numbers.
    s = fr.spectra.spiked(P, 10, 1.0, 0.05)
    th = np.zeros(P)
    th[0] = math.sqrt(0.55)
    eq = T.ridge_equivalent(s, th, 0.5, N, 0.0)
    assert eq.risk[0] == pytest.approx(0.088, rel=0.01)
    assert eq.norm2_sq[0] == pytest.approx(1.68, rel=0.01)


def test_paper_table_41_two_level():
    # reference values: two-level, theta* = e_1, sigma = 1; n = 100, p = 1000 -> kappa_0 0.094,
    # R_0 0.149, ||theta||^2 11.5, n / tr Sigma 8.7 (eps_n p_n = n^0.5, tau = 2)
    n, p = 100, 1000
    s = fr.spectra.two_level(p, n**0.5 / p, tau=2)
    th = np.r_[1.0, np.zeros(p - 1)]
    eq = T.ridge_equivalent(s, th, 1.0, n, 0.0)
    assert eq.kappa[0] == pytest.approx(0.094, abs=0.0015)
    assert eq.risk[0] == pytest.approx(0.149, abs=0.0015)
    assert eq.norm2_sq[0] == pytest.approx(11.5, abs=0.15)
    b = T.minnorm_adversarial_lower_bound(s, n, 1.0)
    assert b.population == pytest.approx(8.7, abs=0.05)
    assert eq.norm2_sq[0] >= b.population


# ------------------------------------------------------------------------------ adversarial
def test_adversarial_equivalent_is_closed_form_of_equivalent():
    s = fr.spectra.spiked(P, 10, 1.0, 0.05)
    th = _theta(P)
    lam = np.array([0.0, 10.0, 1000.0])
    eps = np.array([0.0, 0.1, 0.5])
    eq = T.ridge_equivalent(s, th, 0.5, N, lam)
    c = math.sqrt(2 / math.pi)
    for norm, b in ((2, np.sqrt(eq.norm2_sq)), (np.inf, eq.norm1), (1, eq.norm_inf)):
        for target, a2 in (("clean", eq.risk), ("noisy", eq.risk + 0.25)):
            got = T.adversarial_equivalent(s, th, 0.5, N, lam, eps, norm=norm, target=target)
            a = np.sqrt(a2)[:, None]
            want = a**2 + 2 * c * eps * a * b[:, None] + eps**2 * b[:, None] ** 2
            np.testing.assert_allclose(got, want, rtol=1e-12)
    cons = T.adversarial_equivalent(s, th, 0.5, N, lam, eps, norm=2, target="consistent")
    clean = T.adversarial_equivalent(s, th, 0.5, N, lam, eps, norm=2, target="clean")
    assert np.all(cons <= clean + 1e-15)
    np.testing.assert_allclose(cons[:, 0], eq.risk)
    # attack-norm ordering (docs/math.md 2): l_inf >= l_2 >= l_1
    r1, r2, ri = (T.adversarial_equivalent(s, th, 0.5, N, lam, eps, norm=q) for q in (1, 2, np.inf))
    assert np.all(ri >= r2) and np.all(r2 >= r1)


def test_adversarial_equivalent_bad_norm():
    with pytest.raises(ValueError, match="norm must be 1, 2 or inf"):
        T.adversarial_equivalent(np.ones(10), np.ones(10), 0.1, 5, 1.0, 0.1, norm=3)


# ------------------------------------------------------------------------------ ranks
def test_effective_ranks_match_naive():
    rng = np.random.default_rng(5)
    s = np.concatenate([rng.exponential(size=300), np.zeros(7)])
    r, R = T.effective_ranks(s)
    rr, RR = nt.effective_ranks(s)
    np.testing.assert_allclose(r, rr, rtol=1e-12)
    np.testing.assert_allclose(R, RR, rtol=1e-12)


@pytest.mark.parametrize("name", ["spiked", "two_level", "bllt_log", "power_law"])
def test_critical_index_matches_naive(name):
    s = _presets(3000)[name]
    for n, b in ((100, 1.0), (300, 2.0)):
        assert T.critical_index(s, n, b) == nt.critical_index(s, n, b)


def test_critical_index_examples():
    # spiked: k* = number of spikes (the tail is flat with r_k = tail count)
    assert T.critical_index(fr.spectra.spiked(1500, 10, 1.0, 0.05), 300) == 10
    assert T.critical_index(np.ones(10), 300) == 10  # none qualifies: p
    # bllt_log (a=1, beta=2): r_k ~ k ln(k+1) when the truncation is far away
    s = fr.spectra.bllt_log(2_000_000)
    k = T.critical_index(s, 300)
    assert 0.2 < k * math.log(k + 1) / 300 < 3.0


def test_benign_quantities_decrease_on_benign_presets():
    # BLLT (docs/math.md 5): on a benign sequence r0/n, k*/n, n/R_k* all decrease with n
    reps = [T.benign_report(fr.spectra.bllt_log(n * n // 4), n) for n in (100, 300, 1000)]
    for f in ("r0_over_n", "kstar_over_n", "n_over_Rkstar"):
        v = [getattr(r, f) for r in reps]
        assert v[0] > v[1] > v[2], (f, v)
    reps = [T.benign_report(fr.spectra.two_level(int(n**1.5), n**0.5 / int(n**1.5), tau=2), n)
            for n in (100, 400, 1600)]
    for f in ("r0_over_n", "kstar_over_n", "n_over_Rkstar"):
        v = [getattr(r, f) for r in reps]
        assert v[0] > v[1] > v[2], (f, v)


def test_power_law_two_not_benign():
    # lambda_k = k^-2: k*/n stays bounded away from 0
    for n in (100, 300, 1000):
        rep = T.benign_report(fr.spectra.power_law(200 * n, 2.0), n)
        assert rep.kstar is not None and rep.kstar_over_n > 0.2


def test_benign_report_formulas():
    s = fr.spectra.spiked(1500, 10, 1.0, 0.05)
    rep = T.benign_report(s, 300, noise=0.5, theta_norm=2.0, c=2.0, c1=4.0, delta=0.05)
    r, R = nt.effective_ranks(s)
    assert rep.kstar == 10
    assert rep.r0_over_n == pytest.approx(r[0] / 300)
    assert rep.n_over_Rkstar == pytest.approx(300 / R[10])
    assert rep.variance_lower_bound == pytest.approx(0.25 / 2 * (10 / 300 + 300 / R[10]))
    assert rep.variance_upper_shape == pytest.approx(2 * math.log(20) * 0.25 * (10 / 300 + 300 / R[10]))
    r0n = r[0] / 300
    assert rep.bias_upper_shape == pytest.approx(2 * 4 * 1.0 * max(math.sqrt(r0n), r0n,
                                                                   math.sqrt(math.log(20) / 300)))
    assert not rep.not_benign_regime


# ------------------------------------------------------------------------------ bounds
def test_minnorm_conditional_bounds_and_mc():
    # docs/math.md 3: E_eps ||theta||^2 - ||P theta*||^2 = sigma^2 tr((X X^T)^-1)
    #                      >= sigma^2 n^2 / tr(X X^T)
    s = fr.spectra.spiked(600, 5, 1.0, 0.05)
    th = _theta(600)
    d = fr.GaussianDesign(s, th, 0.5)
    X, _ = d.sample(100, 3)
    b = T.minnorm_adversarial_lower_bound(s, 100, 0.5, [0.1, 1.0], X=X)
    assert b.conditional_exact >= b.conditional_bound > 0
    _, n2 = nt.conditional_moments(X, s, th, 0.5, [0.0])
    P = X.T @ np.linalg.solve(X @ X.T, X @ th)
    assert n2[0] - P @ P == pytest.approx(b.conditional_exact, rel=1e-9)
    # Monte Carlo over the noise at fixed X (400 draws, 3 standard errors); RidgePath on a few draws
    rng = np.random.default_rng(0)
    Y = (X @ th)[:, None] + 0.5 * rng.standard_normal((100, 400))
    vals = np.sum((X.T @ np.linalg.solve(X @ X.T, Y)) ** 2, axis=0)
    for j in range(3):
        assert fr.RidgePath(X, Y[:, j], 0.0).norm(2)[0] ** 2 == pytest.approx(vals[j], rel=1e-8)
    assert abs(vals.mean() - n2[0]) < 3 * vals.std() / math.sqrt(vals.size)
    np.testing.assert_allclose(b.adversarial, np.array([0.01, 1.0]) * max(b.population, b.sharp,
                                                                           b.conditional_exact))


def test_minnorm_population_and_sharp():
    s = fr.spectra.bllt_log(20000)
    b = T.minnorm_adversarial_lower_bound(s, 300, 2.0, k=50, c=2.0)
    assert b.population == pytest.approx(4 * 300 / s.sum())
    assert b.sharp == pytest.approx(4 * 250 / (2 * np.sort(s)[::-1][50:].sum()))
    # the deterministic-equivalent min-norm E||theta||^2 is above the population bound
    eq = T.ridge_equivalent(s, np.r_[1.0, np.zeros(19999)], 2.0, 300, 0.0)
    assert eq.norm2_sq[0] > b.population


def test_tradeoff_product_bound_holds_on_window():
    s = fr.spectra.spiked(P, 10, 1.0, 0.05)
    th = _theta(P)
    sig = 0.5
    tb = T.tradeoff_product_bound(s, th, sig, N, signal_threshold=1.0, tail_threshold=0.05, eps=[0.3])
    lam = np.logspace(-2, 3, 200)
    eq = T.ridge_equivalent(s, th, sig, N, lam)
    inw = (eq.kappa >= tb.kappa_lo) & (eq.kappa <= tb.kappa_hi)
    assert inw.sum() > 20
    bnum = eq.kappa**2 * np.sum(th**2 * s / (s[None, :] + eq.kappa[:, None]) ** 2, axis=1)
    noise_norm = sig**2 / N * np.sum(s / (s[None, :] + eq.kappa[:, None]) ** 2, axis=1)
    assert np.all(bnum[inw] * noise_norm[inw] >= tb.product)
    adv = T.adversarial_equivalent(s, th, sig, N, lam, [0.3], equivalent=eq)[:, 0]
    assert np.all(eq.risk[inw] * (adv[inw] - eq.risk[inw]) >= tb.adversarial[0])
    assert tb.product == pytest.approx(sig**2 / (16 * N) * np.sum(th[:10] ** 2) * 1490 * 0.05)


# ------------------------------------------------------------------------------ frontier
def test_oracle_frontier_matches_naive_and_endpoints():
    s = fr.spectra.two_level(500, 0.01, tau=2)
    th = _theta(500)
    eps = np.array([0.0, 0.2, 1.0])
    o = T.oracle_frontier(s, th, eps, n_mu=64)
    R0, b = nt.oracle_path(s, th, o.mu)
    np.testing.assert_allclose(o.standard_risk, R0, rtol=1e-12, atol=1e-300)
    np.testing.assert_allclose(o.coef_norm, b, rtol=1e-12)
    assert o.standard_risk[0] == 0 and o.coef_norm[-1] == 0
    np.testing.assert_allclose(o.adversarial_risk[0], eps**2 * (th @ th), rtol=1e-12)
    assert o.pareto


def test_oracle_frontier_dominates_random_estimators():
    # every theta: its (R_0, R_eps) lies on or above the oracle envelope (l2, clean)
    rng = np.random.default_rng(7)
    s = fr.spectra.spiked(50, 5, 1.0, 0.1)
    th = _theta(50)
    o = T.oracle_frontier(s, th, [0.5], n_mu=2000)
    for _ in range(200):
        t = th * rng.uniform(0, 1.2, 50) + 0.05 * rng.standard_normal(50)
        R0 = np.sum(s * (t - th) ** 2)
        Ra = fr.risk.gaussian_adversarial_risk([R0], [np.linalg.norm(t)], [0.5])[0, 0]
        g = T.frontier_gap((np.array([R0]), np.array([[Ra]])), o)
        assert g.gap[0] >= -1e-6 * Ra


@pytest.mark.slow
def test_frontier_gap_of_simulated_ridge_path():
    s = fr.spectra.spiked(P, 10, 1.0, 0.05)
    th = _theta(P)
    eps = np.array([0.05, 0.3])
    d = fr.GaussianDesign(s, th, 0.5)
    X, y = d.sample(N, 11)
    lam = np.logspace(-2, 4, 40)
    res = fr.ridge_path_risks(X, y, lam, s, th, eps, noise=0.5)
    o = T.oracle_frontier(s, th, eps, noise=0.5)
    g = T.frontier_gap(res, o)
    assert np.all(g.gap > 0) and np.all(g.excess > 0) and np.all(g.ratio > 1)
    np.testing.assert_allclose(g.best_path, res["adversarial_risk"].min(axis=0))
    np.testing.assert_allclose(g.best_oracle, o.adversarial_risk.min(axis=0))
    # the oracle of the noisy target is the clean one shifted by the noise terms; its Pareto front is the
    # same path, so the gap is still positive
    o2 = T.oracle_frontier(s, th, eps, target="noisy", noise=0.5)
    res2 = fr.ridge_path_risks(X, y, lam, s, th, eps, target="noisy", noise=0.5)
    assert np.all(T.frontier_gap(res2, o2).gap > 0)


# ------------------------------------------------------------------------------ bad input
@pytest.mark.parametrize("kwargs,exc,match", [
    (dict(spectrum=np.array([1.0, -0.1, 0.5])), ValueError, "spectrum"),
    (dict(theta_star=np.ones(4)), ValueError, "theta_star"),
    (dict(noise=-0.1), ValueError, "noise"),
    (dict(n=0), ValueError, "n must be"),
    (dict(n=2.5), TypeError, "n must be"),
    (dict(lam=np.array([np.nan])), ValueError, "lam"),
    (dict(spectrum=np.array([1.0, np.inf, 0.5])), ValueError, "spectrum"),
])
def test_bad_input(kwargs, exc, match):
    args = dict(spectrum=np.array([1.0, 0.2, 0.5]), theta_star=np.ones(3), noise=0.1, n=2, lam=1.0)
    args.update(kwargs)
    with pytest.raises(exc, match=match):
        T.ridge_equivalent(**args)
    with pytest.raises(exc, match=match):
        T.adversarial_equivalent(**args, eps=0.1)


def test_bad_input_other_functions():
    with pytest.raises(ValueError, match="spectrum"):
        T.effective_ranks([1.0, -1.0])
    with pytest.raises(ValueError, match="n must be"):
        T.critical_index([1.0, 0.5], 0)
    with pytest.raises(ValueError, match="b must be"):
        T.critical_index([1.0, 0.5], 3, b=-1)
    with pytest.raises(ValueError, match="noise"):
        T.benign_report([1.0, 0.5], 3, noise=-1)
    with pytest.raises(ValueError, match="delta"):
        T.benign_report([1.0, 0.5], 3, delta=1.5)
    with pytest.raises(ValueError, match="eps"):
        T.oracle_frontier([1.0, 0.5], [1.0, 0.0], -0.1)
    with pytest.raises(ValueError, match="theta_star"):
        T.oracle_frontier([1.0, 0.5], [1.0], 0.1)
    with pytest.raises(ValueError, match="norm"):
        T.oracle_frontier([1.0, 0.5], [1.0, 0.0], 0.1, norm=0.5)
    with pytest.raises(ValueError, match="target"):
        T.oracle_frontier([1.0, 0.5], [1.0, 0.0], 0.1, target="bogus")
    with pytest.raises(ValueError, match="X must have n"):
        T.minnorm_adversarial_lower_bound([1.0] * 5, 3, 1.0, X=np.ones((2, 5)))
    with pytest.raises(ValueError, match="tail_threshold"):
        T.tradeoff_product_bound([1.0, 0.1], [1.0, 0.0], 1.0, 5, signal_threshold=0.1, tail_threshold=1.0)
    with pytest.raises(ValueError, match="no positive eigenvalue"):
        T.ridge_equivalent(np.zeros(3), np.ones(3), 0.1, 2, 1.0)
    with pytest.raises(TypeError, match="oracle"):
        T.frontier_gap((np.ones(2), np.ones((2, 1))), None)
    o = T.oracle_frontier([1.0, 0.5], [1.0, 0.0], [0.1, 0.2])
    with pytest.raises(ValueError, match="adversarial_risk"):
        T.frontier_gap((np.ones(2), np.ones((2, 3))), o)


def test_interpolant_accuracy_is_checked():
    # the Chebyshev interpolant of the spectral sums reaches the documented accuracy between nodes
    at = E._Atoms(fr.spectra.bllt_log(20000), _theta(20000), 300)
    it = E._LogChebyshev(at, 1e-3, 1e4)
    x = np.linspace(-1, 1, 97)
    exact = at.sums(it.kappa(x))
    np.testing.assert_allclose(it.sums(x), exact, rtol=1e-11)


@pytest.mark.parametrize("name", ["spiked", "two_level"])
def test_norm_inf_matches_naive_quadrature(name):
    # few-valued spectra: merged atoms with the signal coordinates taken out, exact quadrature
    s = _presets(400)[name]
    th = _theta(400)
    lam = np.array([0.0, 5.0, 500.0])
    eq = T.ridge_equivalent(s, th, 0.5, 100, lam)
    r = 1.0 / (s[None, :] + eq.kappa[:, None])
    mu = np.abs(s * th) * r
    sd = np.sqrt(eq.tau2)[:, None] * np.sqrt(s / 100) * r
    np.testing.assert_allclose(eq.norm_inf, nt.expected_max_abs(mu, sd, np.ones(400)), rtol=1e-7)


def test_sequence_norms_off():
    eq = T.ridge_equivalent(fr.spectra.bllt_log(500), _theta(500), 0.5, 100, [0.0, 1.0], sequence_norms=False)
    assert np.all(np.isnan(eq.norm1)) and np.all(np.isnan(eq.norm_inf)) and np.all(np.isfinite(eq.risk))


def test_degenerate_inputs():
    lam = np.logspace(-3, 3, 100)
    eq = T.ridge_equivalent(np.ones(10), np.zeros(10), 0.0, 5, lam)  # no signal, no noise
    assert np.all(eq.risk == 0) and np.all(eq.norm2_sq == 0) and np.all(eq.norm_inf == 0)
    eq = T.ridge_equivalent(np.ones(10), np.ones(10), 0.0, 10, [0.0])  # p = n, noiseless: theta*
    assert eq.risk[0] == 0 and eq.norm2_sq[0] == 10 and eq.norm1[0] == 10 and eq.norm_inf[0] == 1
    eq = T.ridge_equivalent(np.array([2.0]), np.array([1.0]), 0.5, 3, [0.0])  # p = 1 < n: OLS
    assert eq.variance[0] == pytest.approx(0.25 / 2)
    # zero eigenvalues carry no risk; their signal is invisible to the estimator
    eq = T.ridge_equivalent(np.r_[np.zeros(5), np.ones(20)], np.ones(25), 0.5, 10, [0.0, 1.0])
    ref = T.ridge_equivalent(np.ones(20), np.ones(20), 0.5, 10, [0.0, 1.0])
    np.testing.assert_allclose(eq.risk, ref.risk, rtol=1e-12)
    with pytest.raises(ValueError, match="lam must be <="):
        T.ridge_equivalent(np.ones(10), np.ones(10), 0.1, 5, 1e200)


def test_norm_inf_binned_spectrum_close_to_exact():
    # > LINF_MAX_BINS distinct eigenvalues: zero-signal coordinates are binned in log scale
    p = 20000
    s = fr.spectra.bllt_log(p)
    th = _theta(p, "e1")
    lam = np.array([0.0, 30.0, 3000.0])
    eq = T.ridge_equivalent(s, th, 0.5, 300, lam)
    r = 1.0 / (s[None, :] + eq.kappa[:, None])
    mu = np.abs(s * th) * r
    sd = np.sqrt(eq.tau2)[:, None] * np.sqrt(s / 300) * r
    np.testing.assert_allclose(eq.norm_inf, nt.expected_max_abs(mu, sd, np.ones(p)), rtol=2e-3)


# ------------------------------------------------------------------------------ review regressions
@pytest.mark.parametrize("p,n", [(50, 100), (101, 100), (300, 100), (1500, 300), (150, 300)])
def test_lam_min_round_trip_is_the_singular_threshold(p, n):
    # the documented lam_min, passed back as lam, is the threshold itself (inf variance), never rejected
    # nor solved as an ordinary (huge but finite) penalty, whatever the rounding of lam_min / n
    rng = np.random.default_rng(p + n)
    s = rng.uniform(0.5, 2.0, p)
    th = rng.normal(size=p) / math.sqrt(p)
    lam_min = T.ridge_equivalent(s, th, 0.5, n, -1e-9).lam_min
    eq = T.ridge_equivalent(s, th, 0.5, n, [lam_min, 0.5 * lam_min])
    assert np.isinf(eq.variance[0]) and np.isinf(eq.risk[0]) and np.isfinite(eq.risk[1])
    assert eq.lam_min == lam_min
    with pytest.raises(ValueError, match="lam must be >="):
        T.ridge_equivalent(s, th, 0.5, n, lam_min * (1 + 1e-9))


def test_adversarial_equivalent_rejects_mismatched_equivalent():
    s = fr.spectra.spiked(400, 5, 1.0, 0.05)
    th = _theta(400)
    lam = np.array([0.0, 1.0, 10.0])
    eq = T.ridge_equivalent(s, th, 0.5, 100, lam)
    got = T.adversarial_equivalent(s, th, 0.5, 100, lam, [0.1], np.inf, equivalent=eq)
    np.testing.assert_array_equal(got, T.adversarial_equivalent(s, th, 0.5, 100, lam, [0.1], np.inf))
    # norms switched off: an l_inf or l_1 attack would silently be inf
    eqn = T.ridge_equivalent(s, th, 0.5, 100, lam, sequence_norms=False)
    for norm in (1, np.inf):
        with pytest.raises(ValueError, match="sequence_norms"):
            T.adversarial_equivalent(s, th, 0.5, 100, lam, [0.1], norm, equivalent=eqn)
    T.adversarial_equivalent(s, th, 0.5, 100, lam, [0.1], 2, equivalent=eqn)  # l2 needs no sequence norms
    with pytest.raises(ValueError, match="equivalent"):  # same shape, other penalties
        T.adversarial_equivalent(s, th, 0.5, 100, 2 * lam, [0.1], equivalent=eq)
    with pytest.raises(ValueError, match="equivalent"):  # other noise level
        T.adversarial_equivalent(s, th, 0.0, 100, lam, [0.1], equivalent=eq)
    with pytest.raises(TypeError, match="equivalent"):
        T.adversarial_equivalent(s, th, 0.5, 100, lam, [0.1], equivalent={"lam": lam})


def test_minnorm_X_must_match_spectrum():
    X = np.random.default_rng(0).normal(size=(10, 30))
    with pytest.raises(ValueError, match="X must have"):
        T.minnorm_adversarial_lower_bound(np.ones(50), 10, 1.0, 0.1, X=X)


@pytest.mark.parametrize("bad,exc", [("x", TypeError), (None, TypeError), (True, TypeError),
                                     (np.array([1.0, 2.0]), TypeError), (-1.0, ValueError),
                                     (math.nan, ValueError)])
def test_scalar_norm_arguments_are_validated(bad, exc):
    with pytest.raises(exc, match="signal"):
        T.hmrt_ridgeless_isotropic(2.0, bad, 1.0)
    with pytest.raises(exc, match="signal"):
        T.isotropic_ridge(20, 10, bad, 1.0, 1.0)
    if bad is not None:  # None means "not given" there
        with pytest.raises(exc, match="theta_norm"):
            T.benign_report(np.linspace(1, 0.1, 20), 10, theta_norm=bad)


def test_frontier_gap_bad_path_risks():
    o = T.oracle_frontier([1.0, 0.5], [1.0, 0.0], [0.1, 0.2])
    with pytest.raises(ValueError, match="standard_risk"):
        T.frontier_gap((np.ones((2, 1)), np.ones((2, 2))), o)
    with pytest.raises(ValueError, match="empty"):
        T.frontier_gap((np.ones(0), np.ones((0, 2))), o)
    with pytest.raises(ValueError, match="standard_risk"):
        T.frontier_gap((-np.ones(2), np.ones((2, 2))), o)
    with pytest.raises(ValueError, match="adversarial_risk"):
        T.frontier_gap((np.ones(2), -np.ones((2, 2))), o)
    with pytest.raises(TypeError, match="mu"):
        T.oracle_frontier([1.0, 0.5], [1.0, 0.0], 0.1, mu=["a"])


@pytest.mark.parametrize("lam", [np.full(100, 1.0), np.zeros(60), 1.0 + 1e-15 * np.arange(60)])
def test_long_path_of_repeated_penalties(lam):
    # more than LINF_ANCHORS penalties sharing (nearly) one kappa: no interpolation over an empty range
    s = fr.spectra.bllt_log(2000)
    th = _theta(2000)
    eq = T.ridge_equivalent(s, th, 0.5, 100, lam)
    one = T.ridge_equivalent(s, th, 0.5, 100, lam[:1])
    np.testing.assert_allclose(eq.norm_inf, one.norm_inf[0], rtol=1e-12)
    np.testing.assert_allclose(eq.norm1, one.norm1[0], rtol=1e-12)
