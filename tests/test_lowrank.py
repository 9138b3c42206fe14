"""The low-rank filter route: kernels against their twins, the factor's contract, and every output of
the route against the exact routes (random shapes, float32, streamed designs, rank-deficient X,
negative penalties), with the fallback when the a-posteriori check fails."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import fastrisk as fr
from fastrisk import _lowrank, config, spectra
from fastrisk.kernels.lowrank import diff_colnorms, pivoted_mgs, scaled_filter

from . import naive, naive_lowrank

RTOL = config.LOWRANK_RTOL


# ----------------------------------------------------------------------------- kernels
@pytest.mark.slow
@given(g=st.integers(1, 40), L=st.integers(1, 40), seed=st.integers(0, 2**31))
def test_scaled_filter(g, L, seed):
    rng = np.random.default_rng(seed)
    s = np.sort(rng.uniform(0.01, 10, g))
    start = int(rng.integers(0, g + 1))
    lam = rng.uniform(-0.005, 5, L)
    coef = rng.standard_normal(g)
    inv = rng.uniform(0, 2, L)
    out = np.empty((g - start, L))
    scaled_filter(s, start, lam, coef, inv, out)
    np.testing.assert_allclose(out, naive_lowrank.scaled_filter(s, start, lam, coef, inv), rtol=1e-14,
                               atol=0)


@given(m=st.integers(1, 50), L=st.integers(1, 150), seed=st.integers(0, 2**31))
def test_diff_colnorms(m, L, seed):
    rng = np.random.default_rng(seed)
    A, B = rng.standard_normal((2, m, L))
    out = np.empty(L)
    diff_colnorms(A, B, out)
    np.testing.assert_allclose(out, naive_lowrank.diff_colnorms(A, B), rtol=1e-13, atol=0)


@pytest.mark.parametrize("order", ["C", "F"])  # the route passes column-major blocks
@given(m=st.integers(1, 60), k=st.integers(1, 12), rank=st.integers(0, 12), seed=st.integers(0, 2**31))
def test_pivoted_mgs_spans_and_is_orthonormal(order, m, k, rank, seed):
    rng = np.random.default_rng(seed)
    rank = min(rank, m, k)
    Y = rng.standard_normal((m, rank)) @ rng.standard_normal((rank, k)) * 10.0 ** rng.uniform(-3, 3)
    Q = np.empty((m, k), order=order)
    count = pivoted_mgs(np.array(Y, order=order), 1e-9 * max(1.0, np.abs(Y).max()), Q)
    Q = Q[:, :count]
    assert count == rank  # exact-rank input: the pivoting reveals it
    np.testing.assert_allclose(Q.T @ Q, np.eye(count), atol=1e-13)
    assert naive_lowrank.span_residual(Q, Y) <= 1e-8 * max(1.0, np.abs(Y).max())


# ----------------------------------------------------------------------------- the factor
def _dual_filter(n=300, p=2000, L=400, seed=0):
    rng = np.random.default_rng(seed)
    c = spectra.power_law(p, 1.0)
    X = rng.standard_normal((n, p)) * np.sqrt(c)
    y = X[:, 0] + 0.5 * rng.standard_normal(n)
    s, U = np.linalg.eigh(X @ X.T)
    lam = np.concatenate([[0.0], n * np.logspace(-4, 2, L - 1)])
    cz = U.T @ y
    W = cz[:, None] / (s[:, None] + lam[None, :])
    norm2 = np.sqrt((s[:, None] * W**2).sum(axis=0))
    return X, s, U, cz, lam, W, norm2


@pytest.mark.slow
def test_factor_meets_its_residual_and_is_small():
    X, s, U, cz, lam, W, norm2 = _dual_filter()
    fac = _lowrank.factor(s, 0, U, cz, lam, norm2)
    assert fac is not None and fac.rank < 60  # Cauchy-like: tens of columns for 400 penalties
    Theta = X.T @ (U @ W)  # exact (p, L)
    approx = X.T @ (fac.G @ fac.H)
    err = np.linalg.norm(Theta - approx, axis=0)
    # the reported per-column error is the real one (up to rounding of the products)
    assert np.all(err <= fac.err + 1e-12 * norm2)
    assert np.all(fac.err <= 1e-3 * RTOL * norm2 * 1.01)
    # the min-norm column is in the basis
    assert err[0] <= 1e-13 * norm2[0]


def test_factor_gives_up_beyond_max_rank():
    X, s, U, cz, lam, W, norm2 = _dual_filter()
    assert _lowrank.factor(s, 0, U, cz, lam, norm2, max_rank=5) is None


# ----------------------------------------------------------------------------- the route
def _problem(n, p, seed, kind="power", dtype=np.float64, noise=0.5, rank=None):
    rng = np.random.default_rng(seed)
    c = {"power": spectra.power_law(p, 1.0), "bllt": spectra.bllt_log(p, 2.0)}[kind]
    ts = rng.standard_normal(p) / math.sqrt(p)
    d = fr.GaussianDesign(c, ts, noise=noise)
    X, y = d.sample(n, seed=seed)
    if rank is not None:
        B = rng.standard_normal((n, rank))
        X = B @ (np.linalg.pinv(B) @ X)
        y = X @ ts + noise * rng.standard_normal(n)
    return X.astype(dtype), y, d


def _lams(n, L, negative=0.0):
    return np.concatenate([[negative], n * np.logspace(-4, 2, L - 1)])


def _both(X, y, lam, d, qs=(1.0, 1.5, 3.0, math.inf)):
    out = {}
    for route in ("pass", "lowrank"):
        rp = fr.RidgePath(X, y, lam)
        rp._route_override = route
        R = rp.standard_risk(d)
        out[route] = (rp, R, {q: rp.norm(q) for q in qs})
    return out


@pytest.mark.slow
@pytest.mark.parametrize("n,p,kind", [(40, 400, "power"), (97, 1300, "bllt"), (60, 61, "power"),
                                      (1, 9, "power")])
def test_route_matches_exact_pass(n, p, kind):
    X, y, d = _problem(n, p, seed=n + p, kind=kind)
    lam = _lams(n, 120)
    out = _both(X, y, lam, d)
    rp, R, N = out["lowrank"]
    assert rp.last_route == "lowrank", rp.lowrank_info
    _, R0, N0 = out["pass"]
    np.testing.assert_allclose(R, R0, rtol=RTOL, atol=0)
    for q in N:
        np.testing.assert_allclose(N[q], N0[q], rtol=RTOL, atol=0)
    # and against the plain solves
    Theta = naive.ridge_coef(X, y, lam)
    np.testing.assert_allclose(R, naive.excess_risk(Theta, d.cov, d.theta_star), rtol=1e-7)
    np.testing.assert_allclose(N[1.0], naive.lq_norms(Theta, 1.0), rtol=1e-7)


@pytest.mark.slow
@settings(max_examples=15, deadline=None)
@given(n=st.integers(2, 50), extra=st.integers(1, 400), L=st.integers(2, 80), seed=st.integers(0, 2**31),
       neg=st.booleans())
def test_fuzz_route_matches_exact_pass(n, extra, L, seed, neg):
    X, y, d = _problem(n, n + extra, seed)
    smin = np.linalg.eigvalsh(X @ X.T)[0]
    lam = _lams(n, L, negative=-0.5 * smin if neg else 0.0)
    out = _both(X, y, lam, d, qs=(1.0, math.inf))
    rp, R, N = out["lowrank"]
    _, R0, N0 = out["pass"]
    # either the route held its contract or it fell back to the exact one
    np.testing.assert_allclose(R, R0, rtol=RTOL, atol=0)
    for q in N:
        np.testing.assert_allclose(N[q], N0[q], rtol=RTOL, atol=0)


@settings(deadline=None)
@given(r=st.integers(1, 12), L=st.integers(1, 60), b=st.integers(1, 700), nblocks=st.integers(1, 3),
       nnz=st.integers(0, 5), seed=st.integers(0, 2**31))
def test_quad_form_matches_the_formed_coefficients(r, L, b, nblocks, nnz, seed):
    """The quadratic-form risk, folded over blocks (wider than QUAD_COLS or not), against the
    coefficients formed whole (tests/naive_lowrank.py), and its rounding bound is tiny here."""
    rng = np.random.default_rng(seed)
    p = b * nblocks
    Z = rng.standard_normal((r, p)) * 10.0 ** rng.uniform(-2, 2)
    H = rng.standard_normal((r, L))
    sigma = rng.uniform(0, 2, p)
    ts = np.zeros(p)
    S = rng.choice(p, size=min(nnz, p), replace=False)
    ts[S] = rng.standard_normal(S.size) * 10.0 ** rng.uniform(-2, 2)
    form = _lowrank._QuadForm(r, np.flatnonzero(ts))
    for k in range(nblocks):
        form.fold(Z[:, k * b:(k + 1) * b], sigma[k * b:(k + 1) * b], k * b)
    risk, bound = form.risk(H, sigma, ts)
    ref = naive_lowrank.quad_risk(Z, H, sigma, ts)
    np.testing.assert_allclose(risk, ref, rtol=1e-11, atol=1e-13 * float(np.abs(ref).max(initial=0.0)))
    assert np.all(bound >= 0) and np.all(bound <= 1e-12 * np.maximum(
        naive_lowrank.quad_risk(np.abs(Z), np.abs(H), sigma, np.zeros(p)), 1e-300))


def _sparse_problem(n, p, seed, kind="power", nnz=3):
    """theta* on a few coordinates (the quadratic form's case), or none (nnz = 0)."""
    rng = np.random.default_rng(seed)
    c = {"power": spectra.power_law(p, 1.0), "bllt": spectra.bllt_log(p, 2.0)}[kind]
    ts = np.zeros(p)
    ts[rng.choice(p, size=nnz, replace=False)] = rng.standard_normal(nnz)
    d = fr.GaussianDesign(c, ts, noise=0.5)
    X, y = d.sample(n, seed=seed)
    return X, y, d


@pytest.mark.parametrize("n,p,kind,nnz", [(40, 400, "power", 1), (97, 1300, "bllt", 3), (60, 61, "power", 5),
                                          (30, 900, "bllt", 0), (300, 3000, "power", 1)])
def test_quadratic_form_route_matches_exact_pass(n, p, kind, nnz):
    X, y, d = _sparse_problem(n, p, seed=n + p, kind=kind, nnz=nnz)
    lam = _lams(n, 200)
    out = _both(X, y, lam, d, qs=())
    rp, R, _ = out["lowrank"]
    assert rp.last_route == "lowrank" and rp.lowrank_info["risk_by"] == "quadratic form", rp.lowrank_info
    np.testing.assert_allclose(R, out["pass"][1], rtol=RTOL, atol=0)
    Theta = naive.ridge_coef(X, y, lam)
    np.testing.assert_allclose(R, naive.excess_risk(Theta, d.cov, d.theta_star), rtol=1e-7)
    # a dense theta* (or an l_q norm in the same pass) keeps the slabs
    X, y, d = _problem(n, p, seed=n + p, kind=kind)
    out = _both(X, y, lam, d, qs=())
    assert out["lowrank"][0].lowrank_info["risk_by"] == "slabs"
    np.testing.assert_allclose(out["lowrank"][1], out["pass"][1], rtol=RTOL, atol=0)


def test_quadratic_form_falls_back_to_slabs(monkeypatch):
    """A rounding bound that cannot hold sends the pass back to the slabs, with the exact result."""
    X, y, d = _sparse_problem(80, 900, seed=5)
    lam = _lams(80, 150)
    ref = fr.RidgePath(X, y, lam)
    ref._route_override = "pass"
    monkeypatch.setattr(_lowrank, "QUAD_COLS", 10**16)  # gamma ~ 1: every bound fails
    rp = fr.RidgePath(X, y, lam)
    rp._route_override = "lowrank"
    np.testing.assert_allclose(rp.standard_risk(d), ref.standard_risk(d), rtol=RTOL, atol=0)
    assert rp.last_route == "lowrank" and rp.lowrank_info["status"] == "ok"
    assert rp.lowrank_info["risk_by"] == "slabs"


def test_quadratic_form_with_several_targets():
    """k targets with their own theta* (one sparse, one dense, one zero): each target's risk by its own
    route (form or slabs) in one pass, against the exact pass target by target."""
    X, y, d = _sparse_problem(70, 800, seed=9, nnz=2)
    rng = np.random.default_rng(9)
    dense = fr.GaussianDesign(d.cov, rng.standard_normal(800) / 30, noise=0.5)
    zero = fr.GaussianDesign(d.cov, np.zeros(800), noise=0.5)
    designs = [d, dense, zero]
    Y = np.column_stack([y, X @ dense.theta_star + 0.5 * rng.standard_normal(70), rng.standard_normal(70)])
    lam = _lams(70, 120)
    rp = fr.RidgePath(X, Y, lam)
    rp._route_override = "lowrank"
    R = rp.standard_risk(designs)
    assert rp.last_route == "lowrank" and rp.lowrank_info["risk_by"] == "quadratic form"
    for t in range(3):
        one = fr.RidgePath(X, Y[:, t], lam)
        one._route_override = "pass"
        np.testing.assert_allclose(R[:, t], one.standard_risk(designs[t]), rtol=RTOL, atol=0)


def test_rank_deficient_and_float32():
    X, y, d = _problem(30, 300, 5, rank=12)
    lam = _lams(30, 50)
    out = _both(X, y, lam, d)
    assert out["lowrank"][0].last_route == "lowrank"
    np.testing.assert_allclose(out["lowrank"][1], out["pass"][1], rtol=RTOL)
    X, y, d = _problem(30, 300, 6, dtype=np.float32)
    out = _both(X, y, lam, d)
    assert out["lowrank"][0].last_route == "lowrank"
    np.testing.assert_allclose(out["lowrank"][1], out["pass"][1], rtol=RTOL)
    for q in out["pass"][2]:
        np.testing.assert_allclose(out["lowrank"][2][q], out["pass"][2][q], rtol=RTOL)


def test_streamed_design_and_adversarial_risk():
    p, n = 2 * config.GEN_BLOCK + 77, 45
    c = spectra.power_law(p, 1.0)
    ts = np.zeros(p)
    ts[:3] = [1.0, -0.5, 0.2]
    d = fr.GaussianDesign(c, ts, noise=0.7)
    lam = _lams(n, 90)
    eps = np.array([0.0, 0.1, 1.0])
    ref = fr.RidgePath.from_design(d, n, lam, seed=3, risk_stats=False)
    ref._route_override = "pass"
    st_ = fr.RidgePath.from_design(d, n, lam, seed=3, risk_stats=False)
    st_._route_override = "lowrank"
    for norm in (2, np.inf):
        np.testing.assert_allclose(st_.adversarial_risk(d, eps, norm=norm),
                                   ref.adversarial_risk(d, eps, norm=norm), rtol=RTOL)
    assert st_.last_route == "lowrank"


def test_fallback_when_the_check_fails(monkeypatch):
    X, y, d = _problem(40, 400, 11)
    lam = _lams(40, 100)
    ref = fr.RidgePath(X, y, lam)
    ref._route_override = "pass"
    R0, N0 = ref.standard_risk(d), ref.norm(1)
    # a factor that stops far too early: the per-column bound must catch it
    real = _lowrank.factor
    monkeypatch.setattr(_lowrank, "factor", lambda *a, **k: real(*a, **{**k, "target": 1e-3}))
    rp = fr.RidgePath(X, y, lam)
    rp._route_override = "lowrank"
    np.testing.assert_allclose(rp.standard_risk(d), R0, rtol=1e-12)
    np.testing.assert_allclose(rp.norm(1), N0, rtol=1e-12)
    assert rp.last_route in ("gram", "pass") and "failed" in rp.lowrank_info["status"]
    assert rp._lowrank_state == "failed"


def test_spot_check_catches_a_wrong_factor(monkeypatch):
    X, y, d = _problem(40, 400, 12)
    lam = _lams(40, 100)
    real = _lowrank.factor

    def lying(*a, **k):  # a wrong factor that claims to be exact
        fac = real(*a, **k)
        fac.H = fac.H * (1 + 1e-6)
        fac.err[:] = 0.0
        return fac

    monkeypatch.setattr(_lowrank, "factor", lying)
    rp = fr.RidgePath(X, y, lam)
    rp._route_override = "lowrank"
    R = rp.standard_risk(d)
    assert rp.lowrank_info["status"].startswith("spot check failed")
    ref = fr.RidgePath(X, y, lam)
    ref._route_override = "pass"
    np.testing.assert_allclose(R, ref.standard_risk(d), rtol=1e-12)


@pytest.mark.slow
def test_cost_model_picks_lowrank_for_general_spectra_only():
    n, p, L = 120, 3000, 1000
    X, y, d = _problem(n, p, 3, kind="bllt")
    rp = fr.RidgePath(X, y, _lams(n, L))
    rp.adversarial_risk(d, np.array([0.1]), norm=np.inf)
    assert rp.last_route == "lowrank"
    c = spectra.spiked(p, 5, 1.0, 0.05)
    ds = fr.GaussianDesign(c, d.theta_star, noise=0.5)
    rp = fr.RidgePath(X, y, _lams(n, L))
    rp.standard_risk(ds)
    assert rp.last_route == "struct"
    small = fr.RidgePath(X, y, _lams(n, 4))
    small.standard_risk(d)
    assert small.last_route != "lowrank"


def test_float32_eigh_driver_keeps_float32(monkeypatch):
    """The float32 Gram goes to SciPy's ssyevd (config.EIGH_DRIVER_FLOAT32) from the size threshold
    on: same path as float64 up to float32 accuracy, and the eigendecomposition really is float32."""
    X, y, d = _problem(60, 500, 21, dtype=np.float32)
    lam = _lams(60, 20)
    ref = fr.RidgePath(X.astype(np.float64), y, lam)
    monkeypatch.setattr(config, "EIGH_FLOAT32_MIN_DIM", 1)
    import scipy.linalg

    seen = []
    real = scipy.linalg.eigh

    def spy(a, *args, **kw):  # records the call, then runs the real solver
        seen.append((a.dtype, kw.get("driver")))
        return real(a, *args, **kw)

    monkeypatch.setattr(scipy.linalg, "eigh", spy)
    rp = fr.RidgePath(X, y, lam)
    assert seen == [(np.float32, config.EIGH_DRIVER_FLOAT32)]
    assert rp.spec.dtype == np.float32
    np.testing.assert_allclose(rp.eigenvalues, ref.eigenvalues, rtol=1e-4, atol=1e-5 * ref.eigenvalues.max())
    np.testing.assert_allclose(rp.standard_risk(d), ref.standard_risk(d), rtol=1e-3)
    np.testing.assert_allclose(rp.norm(1), ref.norm(1), rtol=1e-3)


@pytest.mark.slow
def test_from_design_skips_the_sigma_gram_when_lowrank_is_cheaper():
    """A streamed general-Sigma path with many penalties does not fold X Sigma X^T (a second SYRK);
    its standard risk then comes from the low-rank route, regenerating X once, equal to the dense."""
    p, n = 3 * config.GEN_BLOCK + 5, 300
    c = spectra.power_law(p, 1.0)
    ts = np.zeros(p)
    ts[:2] = [1.0, 0.3]
    d = fr.GaussianDesign(c, ts, noise=0.5)
    lam = _lams(n, 100)
    st_ = fr.RidgePath.from_design(d, n, lam, seed=4)
    assert st_._sigma_gram_cache is None
    R = st_.standard_risk(d)
    assert st_.last_route == "lowrank"
    X, y = d.sample(n, seed=4)
    ref = fr.RidgePath(X, y, lam)
    ref._route_override = "pass"
    np.testing.assert_allclose(R, ref.standard_risk(d), rtol=RTOL)
    # small n, many penalties: the (p, r, L) slab products outweigh a 40 x 40 SYRK: folded
    small = fr.RidgePath.from_design(d, 40, _lams(40, 400), seed=4)
    assert small._sigma_gram_cache is not None
    X, y = d.sample(40, seed=4)
    np.testing.assert_allclose(small.standard_risk(d),
                               fr.RidgePath(X, y, _lams(40, 400)).standard_risk(d), rtol=1e-8)
