"""Compact flat-tail spectra (``spectra.FlatTail``, ``compact=True``) and the designs built on them:
what they stand for, what refuses them, and p = 10^9 without an array of length p."""

import math
import pickle
import tracemalloc

import numpy as np
import pytest

import fastrisk as fr
from fastrisk import spectra
from fastrisk.ridge import _wishart


def test_flat_tail_value():
    s = spectra.FlatTail([3.0, 2.0], 0.5, 5)
    assert (s.m, s.tail, s.p, s.n_tail) == (2, 0.5, 5, 3)
    np.testing.assert_array_equal(s.expand(), [3.0, 2.0, 0.5, 0.5, 0.5])
    assert s.trace == 6.5
    assert s == spectra.FlatTail(np.array([3.0, 2.0]), 0.5, 5) and s != spectra.FlatTail([3.0], 0.5, 5)
    assert pickle.loads(pickle.dumps(s)) == s
    with pytest.raises(ValueError):
        s.lead[0] = 1.0  # read-only
    assert spectra.FlatTail([], 1.0, 3).m == 0
    for args, exc in ((([[1.0]], 0.5, 5), ValueError), (([-1.0], 0.5, 5), ValueError),
                      (([1.0] * 6, 0.5, 5), ValueError), (([1.0], -0.5, 5), ValueError),
                      (([1.0], 0.5, 0), ValueError), (([np.nan], 0.5, 5), ValueError),
                      (([1.0], "a", 5), TypeError)):
        with pytest.raises(exc):
            spectra.FlatTail(*args)


def test_arrays_refuse_a_compact_spectrum():
    s = spectra.two_level(10**9, 1e-7, tau=2.0, compact=True)
    with pytest.raises(TypeError, match="compact spectrum") as exc:
        np.asarray(s)
    assert "\n" not in str(exc.value)
    with pytest.raises(TypeError, match="compact spectrum"):
        fr.risk.lq_norm(s, 2)
    with pytest.raises(TypeError, match="compact spectrum"):
        fr.GaussianDesign(spectra.power_law(3), np.ones(3)).excess_risk(s)


@pytest.mark.parametrize("p", [1, 7, 1000, 31623, pytest.param(2_000_003, marks=pytest.mark.slow)])
def test_compact_presets_expand_to_the_arrays(p):
    for low, tau, high in ((p**-0.5, 2.0, 1.0), (1e-3, 3.7, 2.5), (0.0, 2.0, 1.0), (0.3, 1.0, 1.0),
                           (1e-300, 0.5, 1.0)):
        c = spectra.two_level(p, low, tau=tau, high=high, compact=True)
        np.testing.assert_array_equal(c.expand(), spectra.two_level(p, low, tau=tau, high=high))
        assert c.m == p or c.lead[-1] != low
    k = min(p, 3)
    np.testing.assert_array_equal(spectra.two_level(p, 0.1, high=2.0, k=k, compact=True).expand(),
                                  spectra.two_level(p, 0.1, high=2.0, k=k))
    np.testing.assert_array_equal(spectra.spiked(p, k, 2.0, 0.1, compact=True).expand(),
                                  spectra.spiked(p, k, 2.0, 0.1))
    np.testing.assert_array_equal(spectra.isotropic(p, 0.3, compact=True).expand(), spectra.isotropic(p, 0.3))
    with pytest.raises(TypeError, match="compact"):
        spectra.isotropic(p, compact=1)


@pytest.mark.parametrize("n,count", [(10**3, 87), (10**4, 92), (10**5, 97)])
def test_two_level_leading_count(n, count):
    # the reproduction's instance: p = n^1.5, low = n^0.5 / p, tau = 2
    p = round(n**1.5)
    low = n**0.5 / p
    s = spectra.two_level(p, low, tau=2.0, compact=True)
    assert s.m == count
    assert abs(s.m - 2.0 * (math.log(1.0 / low) + 36.7)) < 1.5  # the docstring's tau (ln(high/low) + 36.7)


def _compact_design(p=10**9, n_ref=10**4, tail=0.3, noise=1.0):
    s = spectra.two_level(p, n_ref**0.5 / p, tau=2.0, compact=True)
    lead = np.zeros(s.m)
    lead[0] = 1.0
    return fr.GaussianDesign(s, lead, noise=noise, theta_tail_norm=tail)


def test_compact_design_refuses_length_p_arrays():
    d = _compact_design()
    assert d.p == 10**9 and d.is_diagonal and d.compact.m == 106 and d.theta_tail_norm == 0.3
    assert d.trace == pytest.approx(d.compact.lead.sum() + d.compact.tail * (10**9 - 106))
    for what in ("cov", "theta_star", "spectrum"):
        with pytest.raises(TypeError, match="compact") as exc:
            getattr(d, what)
        assert "tail='wishart'" in str(exc.value) and "\n" not in str(exc.value)
    for call in (lambda: d.sample(3, 0), lambda: next(d.iter_blocks(3, 0)), lambda: d.excess_risk(np.ones(3)),
                 lambda: d.cov_matvec(np.ones(3))):
        with pytest.raises(TypeError, match="compact"):
            call()
    with pytest.raises(TypeError, match="tail='wishart'"):
        fr.RidgePath.from_design(d, 10, [1.0], seed=0)  # tail="explicit" would draw X, n x p
    path = fr.RidgePath(np.ones((2, 3)), np.ones(2), [1.0])
    with pytest.raises(ValueError, match="p=1000000000"):
        path.standard_risk(d)
    d2 = pickle.loads(pickle.dumps(d))
    assert d2.key == d.key and d2.compact == d.compact
    assert _compact_design(tail=0.4).key != d.key and _compact_design(tail=0.4).cov_key == d.cov_key


def test_compact_design_arguments():
    s = spectra.spiked(100, 3, compact=True)
    with pytest.raises(ValueError, match=r"theta_star must have shape \(3,\).*leading coordinates"):
        fr.GaussianDesign(s, np.ones(100))
    with pytest.raises(TypeError, match="theta_star is required"):
        fr.GaussianDesign(s)
    with pytest.raises(ValueError, match="theta_tail_norm"):
        fr.GaussianDesign(s, np.ones(3), theta_tail_norm=-1.0)
    with pytest.raises(TypeError, match="only for a compact spectrum"):
        fr.GaussianDesign(spectra.spiked(100, 3), np.ones(100), theta_tail_norm=1.0)
    with pytest.raises(ValueError, match="no tail coordinate"):
        fr.GaussianDesign(spectra.FlatTail([1.0, 2.0], 0.5, 2), np.ones(2), theta_tail_norm=1.0)
    e = fr.GaussianDesign(s, [1.0, 0.0, 2.0], noise=0.5, theta_tail_norm=3.0).expanded()
    np.testing.assert_array_equal(e.cov, spectra.spiked(100, 3))
    np.testing.assert_array_equal(e.theta_star[:4], [1.0, 0.0, 2.0, 3.0])
    assert not np.any(e.theta_star[4:]) and e.noise == 0.5
    assert e.expanded() is e


def test_compact_route_equals_the_expanded_explicit_route_given_its_tail_gram():
    n, p = 40, 1500
    s = spectra.two_level(p, n**0.5 / p, tau=2.0, compact=True)
    lead = np.zeros(s.m)
    lead[:3] = [1.0, 0.5, -0.2]
    design = fr.GaussianDesign(s, lead, noise=0.4, theta_tail_norm=0.7)
    ex = design.expanded()
    lam = np.concatenate([[0.0], n * np.logspace(-3, 2, 30)])
    X, _ = ex.sample(n, 8)
    XT = X[:, s.m:]
    xu = XT[:, 0]  # expanded(): theta*'s tail part on the first tail coordinate
    got = _wishart.build_from_design(fr.RidgePath, design, n, lam, 8, tail_gram=XT @ XT.T - np.outer(xu, xu),
                                     tail_column=xu)
    ref = fr.RidgePath.from_design(ex, n, lam, seed=8)
    eps = [0.0, 0.1, 1.0]
    for target in ("clean", "noisy", "consistent"):
        a, b = got.adversarial_risk(design, eps, target=target), ref.adversarial_risk(ex, eps, target=target)
        assert np.max(np.abs(a - b) / b) < 1e-10
    with pytest.raises(ValueError, match="covariance of the design"):
        got.standard_risk(ex)  # the compact path answers for compact designs of its covariance


def test_p_billion_without_a_length_p_array():
    n = 60
    design = _compact_design(p=10**9, n_ref=n)
    lam = np.concatenate([[0.0], n * np.logspace(-3, 2, 50)])
    small = _compact_design(p=2000, n_ref=n)  # compile the kernels outside the measurement
    fr.RidgePath.from_design(small, n, lam, seed=0, tail="wishart").adversarial_risk(small, [0.1])
    tracemalloc.start()
    try:
        path = fr.RidgePath.from_design(design, n, lam, seed=0, tail="wishart")
        out = [path.adversarial_risk(design, [0.0, 0.2], target=t) for t in ("clean", "noisy", "consistent")]
        R0 = path.standard_risk(design)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 8 * 2**20  # an array of length p = 10^9 would be 1 GB even as booleans
    assert path.p == 10**9 and all(np.all(np.isfinite(o)) for o in out)
    # the bulk of the Gram is the tail's: tr(X X^T) ~ n tr(Sigma); its eigenvalues cluster at low * p
    assert abs(path.eigenvalues.sum() / (n * design.trace) - 1.0) < 0.1
    assert np.all(R0 >= 0)


# ------------------------------------------------------------------------------- the theory layer

def _spread_tail(spec, t, rng):
    v = np.zeros(spec.p)
    v[spec.m:] = rng.standard_normal(spec.n_tail)
    return v * (t / np.linalg.norm(v))


@pytest.mark.parametrize("spec", [spectra.two_level(5000, 0.01, tau=2.0, compact=True),
                                  spectra.spiked(5000, 7, spike=2.0, tail=0.05, compact=True),
                                  spectra.isotropic(3000, 0.2, compact=True),
                                  spectra.FlatTail([3.0, 0.05, 1.0], 0.05, 4000)],
                         ids=["two_level", "spiked", "isotropic", "lead_equal_to_tail"])
@pytest.mark.parametrize("t", [0.0, 0.6])
def test_theory_takes_compact_spectra(spec, t):
    n, noise = 200, 0.7
    lam = np.concatenate([[0.0], n * np.logspace(-3, 2, 25)])
    lead = np.linspace(1.0, 0.1, spec.m)
    full = np.zeros(spec.p)
    full[:spec.m] = lead
    full += _spread_tail(spec, t, np.random.default_rng(0)) if t else 0.0
    s = spec.expand()
    e1 = fr.theory.ridge_equivalent(s, full, noise, n, lam)
    e2 = fr.theory.ridge_equivalent(spec, lead, noise, n, lam, theta_tail_norm=t)
    for f in ("kappa", "bias", "variance", "risk", "norm2_sq", "inner", "inner_sq", "df2"):
        np.testing.assert_allclose(getattr(e2, f), getattr(e1, f), rtol=1e-11, err_msg=f)
    if t:
        assert np.all(np.isnan(e2.norm1)) and np.all(np.isnan(e2.norm_inf))
    else:
        np.testing.assert_allclose(e2.norm1, e1.norm1, rtol=1e-11)
        np.testing.assert_allclose(e2.norm_inf, e1.norm_inf, rtol=1e-8)
    eps = [0.0, 0.1, 0.5]
    for target in ("clean", "noisy", "consistent"):
        got = fr.theory.adversarial_equivalent(spec, lead, noise, n, lam, eps, target=target,
                                               theta_tail_norm=t)
        want = fr.theory.adversarial_equivalent(s, full, noise, n, lam, eps, target=target)
        np.testing.assert_allclose(got, want, rtol=1e-11)
    if t:
        with pytest.raises(ValueError, match="spread over the tail"):
            fr.theory.adversarial_equivalent(spec, lead, noise, n, lam, eps, norm=np.inf, theta_tail_norm=t)
    else:
        got = fr.theory.adversarial_equivalent(spec, lead, noise, n, lam, eps, norm=np.inf)
        want = fr.theory.adversarial_equivalent(s, full, noise, n, lam, eps, norm=np.inf)
        np.testing.assert_allclose(got, want, rtol=1e-8)
    np.testing.assert_allclose(fr.theory.effective_regularization(spec, n, lam),
                               fr.theory.effective_regularization(s, n, lam), rtol=1e-12)


def test_theory_compact_arguments_and_p_billion():
    spec = spectra.two_level(10**9, 1e-5, tau=2.0, compact=True)
    lead = np.eye(spec.m)[0]
    with pytest.raises(ValueError, match=r"theta_star must have shape"):
        fr.theory.ridge_equivalent(spec, np.ones(3), 1.0, 100, [1.0])
    with pytest.raises(TypeError, match="only for a compact spectrum"):
        fr.theory.ridge_equivalent(spectra.isotropic(5), np.ones(5), 1.0, 10, [1.0], theta_tail_norm=1.0)
    with pytest.raises(ValueError, match="no tail coordinate"):
        fr.theory.ridge_equivalent(spectra.FlatTail([1.0], 0.5, 1), [1.0], 1.0, 10, [1.0],
                                   theta_tail_norm=1.0)
    lam = np.concatenate([[0.0], 1e4 * np.logspace(-3, 2, 100)])
    tracemalloc.start()
    try:
        eq = fr.theory.ridge_equivalent(spec, lead, 1.0, 10**4, lam, theta_tail_norm=0.5)
        adv = fr.theory.adversarial_equivalent(spec, lead, 1.0, 10**4, lam, [0.1], target="consistent",
                                               theta_tail_norm=0.5, equivalent=eq)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 8 * 2**20 and np.all(np.isfinite(eq.risk)) and np.all(np.isfinite(adv))
    # the tail's implicit ridge: kappa_0 ~ tr(Sigma) / n when the tail dominates the trace
    assert eq.kappa[0] == pytest.approx(spec.trace / 10**4, rel=0.05)


@pytest.mark.parametrize("kind", ["e1", "top_k:k=5", "band:start=3,stop=400", "power:a=0.5", "dense:seed=1"])
def test_ground_truth_vocabulary_on_compact_designs(kind):
    # fastrisk.ground_truth builds theta* for a compact spectrum as (theta_lead, tail norm): the pair a
    # compact design, the Wishart route and the theory take; l2 quantities equal the length-p form's
    from fastrisk.ground_truth import resolve_theta_star

    n, p = 100, 3000
    spec = spectra.two_level(p, n**0.5 / p, tau=2.0, compact=True)
    gt = resolve_theta_star(kind)
    lead, t = gt.build_compact(spec.lead, spec.tail, spec.p, n=n)
    full = gt.build(spec.expand(), n=n)
    lam = np.concatenate([[0.0], n * np.logspace(-3, 2, 20)])
    e1 = fr.theory.ridge_equivalent(spec.expand(), full, 1.0, n, lam, sequence_norms=False)
    e2 = fr.theory.ridge_equivalent(spec, lead, 1.0, n, lam, theta_tail_norm=t, sequence_norms=False)
    np.testing.assert_allclose(e2.risk, e1.risk, rtol=1e-10)
    np.testing.assert_allclose(e2.inner_sq, e1.inner_sq, rtol=1e-10)
    design = fr.GaussianDesign(spec, lead, noise=1.0, theta_tail_norm=t)
    path = fr.RidgePath.from_design(design, n, lam, seed=0, tail="wishart")
    assert np.all(np.isfinite(path.adversarial_risk(design, [0.1], target="consistent")))
