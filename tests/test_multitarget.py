"""RidgePath with k targets (y of shape (n, k)) against k one-column paths, on every output.

Contract: on an exact route every output of column t equals the path of ``y[:, t]`` alone to 1e-12
relative (or 1e-14 theta*^T Sigma theta* absolute for a risk near zero; coefficients, predictions and
norms to 1e-12 of their column's largest entry), on both sides, float32 and float64, dense, streamed
and ``method="svd"``, with one design shared by all targets or one per target; the low-rank route to
its own contract (``config.LOWRANK_RTOL`` relative to the exact route).
"""

from __future__ import annotations

import math

import numpy as np
import pytest

import fastrisk as fr
from fastrisk import config, spectra

from . import naive

RTOL = 1e-12
EPS = np.array([0.0, 0.05, 0.3, 1.0])
ATTACKS = [(1.0, "clean"), (2.0, "clean"), (math.inf, "clean"), (3.0, "clean"), (2.0, "noisy"),
           (math.inf, "noisy"), (2.0, "consistent")]


def _cov(kind: str, p: int, rng) -> np.ndarray:
    if kind == "spiked":
        return spectra.spiked(p, min(4, p), spike=2.0, tail=0.3)
    if kind == "power":
        return spectra.power_law(p, a=1.0)
    A = rng.standard_normal((p, p))
    return A @ A.T / p + 0.1 * np.eye(p)


def _designs(kind: str, p: int, k: int, seed: int, shared: bool):
    """One shared design, or k designs (distinct theta*, noise levels) sharing one covariance."""
    rng = np.random.default_rng(seed)
    c = _cov(kind, p, rng)
    if shared:
        return fr.GaussianDesign(cov=c, theta_star=rng.standard_normal(p) / math.sqrt(p), noise=0.5)
    ts = rng.standard_normal((p, k)) / math.sqrt(p)
    ts[:, 1 % k] = ts[:, 0]  # two targets share a theta* (one group), at another noise level
    noise = np.linspace(0.0, 1.5, k)
    return [fr.GaussianDesign(cov=c, theta_star=ts[:, t], noise=noise[t]) for t in range(k)]


def _per_target(designs, k):
    return list(designs) if isinstance(designs, list) else [designs] * k


def _labels(X, designs, k, seed):
    rng = np.random.default_rng(seed + 1)
    ds = _per_target(designs, k)
    Xf = X.astype(np.float64)
    return np.stack([Xf @ d.theta_star + d.noise * rng.standard_normal(X.shape[0]) for d in ds], axis=1)


def _lams(n):
    return np.array([0.0, 1e-3, 0.1, 1.0, 10.0, 1e4]) * max(1, n) / 10


def _outputs(path, designs, X_test, Y_test, *, attacks=ATTACKS, lq=True):
    """Every output of ``path`` (risks against ``designs``) by name."""
    out = {"standard_risk": path.standard_risk(designs), "norm2": path.norm(2), "df": path.df()}
    if lq:
        for q in (1.0, 1.5, 3.0, math.inf):
            out[f"norm{q:g}"] = path.norm(q)
    for norm, target in attacks:
        out[f"adv_{norm:g}_{target}"] = path.adversarial_risk(designs, EPS, norm=norm, target=target)
    if path.features.available and lq:
        out["coef"] = path.coef()
        out["coef_idx"] = path.coef(index=[0, -1])
        out["predict"] = path.predict(X_test)
        out["emp_2"] = path.empirical_adversarial_risk(X_test, Y_test, EPS, norm=2)
        out["emp_inf"] = path.empirical_adversarial_risk(X_test, Y_test, EPS, norm=math.inf)
    out["risk_noise_avg"] = path.standard_risk_noise_avg(designs)
    out["norm2_sq_noise_avg"] = path.norm2_sq_noise_avg(designs)
    return out


def _scale(designs, k) -> float:
    return max(d.sigma_norm_sq(d.theta_star) + d.noise**2 for d in _per_target(designs, k))


def _compare(multi: dict, singles: list[dict], scale: float, rtol: float = RTOL, what: str = ""):
    k = len(singles)
    for name, got in multi.items():
        if name == "df":
            for one in singles:
                np.testing.assert_allclose(got, one[name], rtol=rtol, err_msg=what + name)
            continue
        want = np.stack([one[name] for one in singles], axis=-1)
        assert got.shape == want.shape, (name, got.shape, want.shape)
        assert got.shape[-1] == k
        if name.startswith(("coef", "predict", "norm")) and "avg" not in name:
            atol = rtol * np.abs(want).max(axis=tuple(range(want.ndim - 1)), keepdims=True)
        else:
            atol = 1e-14 * scale
        err = np.abs(got - want) - rtol * np.abs(want) - atol
        assert np.all(err <= 0), f"{what}{name}: worst excess {err.max():.3g}"


def _check_dense(X, designs, k, lam, *, route=None, method="gram", seed=0, attacks=ATTACKS, lq=True,
                 rtol=RTOL):
    Y = _labels(X, designs, k, seed)
    rng = np.random.default_rng(seed + 2)
    X_test = rng.standard_normal((9, X.shape[1]))
    Y_test = rng.standard_normal((9, k))
    multi = fr.RidgePath(X, Y, lam, method=method)
    if route is None:  # the route the cost model picks for k targets, forced on the k single paths
        multi.standard_risk(designs)
        route = multi.last_route if multi.last_route != "lowrank" else None
    multi._route_override = route
    got = _outputs(multi, designs, X_test, Y_test, attacks=attacks, lq=lq)
    ds = _per_target(designs, k)
    singles = []
    for t in range(k):
        one = fr.RidgePath(X, Y[:, t], lam, method=method)
        one._route_override = route
        singles.append(_outputs(one, ds[t], X_test, Y_test[:, t], attacks=attacks, lq=lq))
    _compare(got, singles, _scale(designs, k), rtol, what=f"[{route}, {method}] ")
    return multi


# ----------------------------------------------------------------------------- k = 100, every output
@pytest.mark.parametrize("n,p,kind,route", [(24, 70, "spiked", "struct"), (24, 70, "power", "gram"),
                                            (24, 70, "power", "pass"), (70, 18, "spiked", "struct"),
                                            (70, 18, "power", "gram")])
def test_hundred_targets_equal_hundred_paths(n, p, kind, route):
    """The issue's check: k = 100 targets (shared theta*, and one theta* per target) equal 100
    one-column paths on every output, both sides, every exact route."""
    k = 100
    for shared in (True, False):
        designs = _designs(kind, p, k, seed=n + p, shared=shared)
        X, _ = _per_target(designs, k)[0].sample(n, seed=3)
        multi = _check_dense(X, designs, k, _lams(n), route=route, attacks=ATTACKS[:3] + ATTACKS[-2:])
        assert multi.last_route == route


@pytest.mark.parametrize("n,p", [(15, 40), (40, 13), (20, 20), (1, 6), (6, 1)])
@pytest.mark.parametrize("kind", ["spiked", "power", "full"])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_every_shape_covariance_and_dtype(n, p, kind, dtype):
    k = 5
    for shared in (True, False):
        designs = _designs(kind, p, k, seed=7 * n + p, shared=shared)
        X, _ = _per_target(designs, k)[0].sample(n, seed=5)
        _check_dense(X.astype(dtype), designs, k, _lams(n), seed=n)


@pytest.mark.parametrize("n,p", [(15, 40), (40, 13)])
def test_svd_method(n, p):
    k = 6
    for shared in (True, False):
        designs = _designs("power", p, k, seed=n * p, shared=shared)
        X, _ = _per_target(designs, k)[0].sample(n, seed=2)
        multi = _check_dense(X, designs, k, _lams(n), method="svd")
        assert multi.side == "primal"


def test_weights_beyond_the_budget_go_target_by_target(monkeypatch):
    """With the (g, k, L) weights over config.WEIGHTS_BYTES, slabs, predictions, the few-column
    products, quadratic forms and the consistent dual norm run per target or per group of targets:
    the same numbers."""
    monkeypatch.setattr(config, "WEIGHTS_BYTES", 1)
    k = 4
    for n, p, kind, route in [(15, 40, "spiked", "struct"), (15, 40, "power", "gram"),
                              (15, 40, "power", "pass"), (40, 13, "power", "gram")]:
        designs = _designs(kind, p, k, seed=n + p, shared=False)
        X, _ = designs[0].sample(n, seed=1)
        _check_dense(X, designs, k, _lams(n), route=route)


def test_coef_of_a_few_penalties_holds_only_their_weights(monkeypatch):
    n, p, k = 12, 30, 3
    designs = _designs("power", p, k, seed=2, shared=False)
    X, _ = designs[0].sample(n, seed=2)
    Y = _labels(X, designs, k, 2)
    lam = _lams(n)
    want = fr.RidgePath(X, Y, lam).coef()
    monkeypatch.setattr(config, "WEIGHTS_BYTES", 8 * n * k * 2)  # the weights of two penalties
    path = fr.RidgePath(X, Y, lam)
    np.testing.assert_allclose(path.coef(index=[0, -1]), want[:, [0, -1]], rtol=1e-12, atol=1e-14)
    assert path._W_cache is None  # the whole (g, k, L) weights were never formed


def test_lowrank_route_across_targets():
    """General Sigma, many penalties: the low-rank route (one factor per target, one pass for all)
    holds its contract against the exact pass, target by target."""
    n, p, L, k = 60, 900, 200, 6
    designs = _designs("power", p, k, seed=11, shared=False)
    X, _ = designs[0].sample(n, seed=4)
    Y = _labels(X, designs, k, 4)
    lam = np.concatenate([[0.0], n * np.logspace(-4, 2, L - 1)])
    low = fr.RidgePath(X, Y, lam)
    low._route_override = "lowrank"
    R = low.standard_risk(designs)
    assert low.last_route == "lowrank", low.lowrank_info
    assert len(low.lowrank_info["ranks"]) == k
    N = {q: low.norm(q) for q in (1.0, 3.0, math.inf)}
    ex = fr.RidgePath(X, Y, lam)
    ex._route_override = "pass"
    np.testing.assert_allclose(R, ex.standard_risk(designs), rtol=config.LOWRANK_RTOL, atol=0)
    for q in N:
        np.testing.assert_allclose(N[q], ex.norm(q), rtol=config.LOWRANK_RTOL, atol=0)
    for t in (0, k - 1):  # and one column alone by its own low-rank route
        one = fr.RidgePath(X, Y[:, t], lam)
        one._route_override = "lowrank"
        np.testing.assert_allclose(R[:, t], one.standard_risk(designs[t]), rtol=config.LOWRANK_RTOL)


def test_cost_model_routes_with_targets():
    """A general Sigma's exact risk is one quadratic form per (penalty, target), 2 g^2 L k flops: where
    the low-rank route is cheaper the cost model takes it for all targets (and keeps its contract); a
    structured Sigma stays on the struct route."""
    n, p, L, k = 600, 1200, 1000, 3
    rng = np.random.default_rng(0)
    d = fr.GaussianDesign(spectra.power_law(p, 1.0), rng.standard_normal(p) / math.sqrt(p), noise=0.5)
    X, _ = d.sample(n, seed=1)
    Y = X @ rng.standard_normal((p, k)) / math.sqrt(p) + 0.5 * rng.standard_normal((n, k))
    lam = n * np.logspace(-3, 2, L)
    many = fr.RidgePath(X, Y, lam)
    R = many.standard_risk(d)
    assert many.last_route == "lowrank", many.lowrank_info
    ref = fr.RidgePath(X, Y, lam)
    ref._route_override = "gram"
    np.testing.assert_allclose(R, ref.standard_risk(d), rtol=config.LOWRANK_RTOL)
    many.standard_risk(fr.GaussianDesign(spectra.spiked(p, 5), d.theta_star))
    assert many.last_route == "struct"


# ----------------------------------------------------------------------------- one draw, many targets
@pytest.mark.parametrize("kind", ["spiked", "power"])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_from_design_folds_noise_levels_and_ground_truths(kind, dtype):
    """from_design(designs): y_t = X theta*_t + noise_t z from one X and one z; column t equals
    from_design(designs[t]) (labels bit for bit), streamed, against the dense path too."""
    p, n, k = 2 * config.GEN_BLOCK + 37, 30, 5
    designs = _designs(kind, p, k, seed=3, shared=False)
    lam = _lams(n)
    multi = fr.RidgePath.from_design(designs, n, lam, seed=9, dtype=dtype)
    assert multi.multi_target and multi.n_targets == k
    rng = np.random.default_rng(0)
    X_test = rng.standard_normal((7, p))
    Y_test = rng.standard_normal((7, k))
    got = _outputs(multi, designs, X_test, Y_test)
    singles = []
    for t in range(k):
        one = fr.RidgePath.from_design(designs[t], n, lam, seed=9, dtype=dtype)
        singles.append(_outputs(one, designs[t], X_test, Y_test[:, t]))
    _compare(got, singles, _scale(designs, k))
    X, _ = designs[0].sample(n, seed=9, dtype=dtype)
    Y = np.stack([d.sample(n, seed=9)[1] for d in designs], axis=1)
    dense = fr.RidgePath(X, Y, lam)
    np.testing.assert_allclose(multi.standard_risk(designs), dense.standard_risk(designs), rtol=1e-10)
    # noise folded onto one theta*: shared-theta* designs form one group
    noisy = [fr.GaussianDesign(designs[0].cov, designs[0].theta_star, noise=s) for s in (0.0, 0.5, 2.0)]
    folded = fr.RidgePath.from_design(noisy, n, lam, seed=9, dtype=dtype)
    for t, d in enumerate(noisy):
        one = fr.RidgePath.from_design(d, n, lam, seed=9, dtype=dtype)
        for norm, target in ATTACKS:
            np.testing.assert_allclose(folded.adversarial_risk(noisy, EPS, norm, target)[..., t],
                                       one.adversarial_risk(d, EPS, norm, target), rtol=RTOL,
                                       atol=1e-14 * _scale(noisy, 3))


def test_from_design_many_ground_truths_uses_one_product():
    """Beyond GEMV_TARGETS distinct theta* the labels come from one matrix product per block: the
    same to rounding."""
    from fastrisk.ridge import _build

    p, n, k = config.GEN_BLOCK + 5, 25, _build.GEMV_TARGETS + 3
    designs = _designs("spiked", p, k, seed=8, shared=False)
    lam = _lams(n)
    multi = fr.RidgePath.from_design(designs, n, lam, seed=2)
    bare = fr.RidgePath.from_design(designs, n, lam, seed=2, risk_stats=False)  # regenerates X instead
    np.testing.assert_allclose(bare.standard_risk(designs), multi.standard_risk(designs), rtol=1e-11,
                               atol=1e-14 * _scale(designs, k))
    for t in (0, k - 1):
        one = fr.RidgePath.from_design(designs[t], n, lam, seed=2)
        np.testing.assert_allclose(multi.standard_risk(designs)[:, t], one.standard_risk(designs[t]),
                                   rtol=1e-11, atol=1e-14 * _scale(designs, k))
    small = fr.RidgePath.from_design(designs, p + 10, lam, seed=2)  # n > p: sampled whole
    assert small.side == "primal" and small.n_targets == k
    one = fr.RidgePath.from_design(designs[-1], p + 10, lam, seed=2)
    np.testing.assert_allclose(small.standard_risk(designs)[:, -1], one.standard_risk(designs[-1]),
                               rtol=1e-11)


def test_from_gram_and_risk_from_stats():
    n, p, k = 20, 60, 4
    designs = _designs("power", p, k, seed=1, shared=False)
    X, _ = designs[0].sample(n, seed=1)
    Y = _labels(X, designs, k, 1)
    lam = _lams(n)
    ref = fr.RidgePath(X, Y, lam)
    dual = fr.RidgePath.from_gram(X @ X.T, Y, lam, X=X)
    primal = fr.RidgePath.from_gram(X.T @ X, X.T @ Y, lam, side="primal", X=X)
    for path in (dual, primal):
        np.testing.assert_allclose(path.coef(), ref.coef(), rtol=1e-9, atol=1e-12)
        np.testing.assert_allclose(path.norm(2), ref.norm(2), rtol=1e-10)
    c = designs[0].cov
    TS = np.stack([d.theta_star for d in designs], axis=1)
    KS = (X * c) @ X.T
    R = dual.standard_risk_from_stats(KS, X @ (c[:, None] * TS), np.einsum("pt,p,pt->t", TS, c, TS), X @ TS)
    np.testing.assert_allclose(R, ref.standard_risk(designs), rtol=1e-9, atol=1e-14)
    # one theta* for all: 1-D statistics serve every target
    d0 = fr.GaussianDesign(c, TS[:, 0])
    R1 = dual.standard_risk_from_stats(KS, X @ (c * TS[:, 0]), d0.sigma_norm_sq(TS[:, 0]))
    np.testing.assert_allclose(R1, ref.standard_risk(d0), rtol=1e-9)
    R2 = primal.standard_risk_from_stats(np.diag(c), c[:, None] * TS, np.einsum("pt,p,pt->t", TS, c, TS), TS)
    np.testing.assert_allclose(R2, ref.standard_risk(designs), rtol=1e-9, atol=1e-14)


def test_one_column_keeps_its_axis_and_1d_keeps_todays_shapes():
    d = _designs("spiked", 30, 1, seed=0, shared=True)
    X, y = d.sample(12, seed=0)
    lam = _lams(12)
    one = fr.RidgePath(X, y, lam)
    col = fr.RidgePath(X, y[:, None], lam)
    assert not one.multi_target and col.multi_target and col.n_targets == one.n_targets == 1
    assert one.standard_risk(d).shape == (6,) and col.standard_risk(d).shape == (6, 1)
    assert one.adversarial_risk(d, EPS).shape == (6, 4) and col.adversarial_risk(d, EPS).shape == (6, 4, 1)
    assert one.coef().shape == (30, 6) and col.coef().shape == (30, 6, 1)
    assert one.predict(X).shape == (12, 6) and col.predict(X).shape == (12, 6, 1)
    np.testing.assert_array_equal(col.standard_risk(d)[:, 0], one.standard_risk(d))
    np.testing.assert_array_equal(col.norm(1)[:, 0], one.norm(1))
    np.testing.assert_array_equal(col.coef()[..., 0], one.coef())
    assert ", k=1," in repr(col) and ", k=" not in repr(one)


def test_ridge_path_risks_with_targets():
    n, p, k = 15, 40, 3
    designs = _designs("spiked", p, k, seed=4, shared=False)
    X, _ = designs[0].sample(n, seed=4)
    Y = _labels(X, designs, k, 4)
    TS = np.stack([d.theta_star for d in designs], axis=1)
    noise = np.array([d.noise for d in designs])
    lam = _lams(n)
    out = fr.ridge_path_risks(X, Y, lam, designs[0].cov, TS, EPS, norm=math.inf, target="noisy", noise=noise)
    assert out["adversarial_risk"].shape == (6, 4, k) and out["ground_truth_adversarial_risk"].shape == (4, k)
    for t in range(k):
        one = fr.ridge_path_risks(X, Y[:, t], lam, designs[0].cov, TS[:, t], EPS, norm=math.inf,
                                  target="noisy", noise=noise[t])
        for key, v in one.items():
            got = out[key] if key in ("lam", "eps", "df") else out[key][..., t]
            np.testing.assert_allclose(got, v, rtol=RTOL, atol=1e-14, err_msg=key)
    shared = fr.ridge_path_risks(X, Y, lam, designs[0].cov, TS[:, 0], EPS)
    assert shared["standard_risk"].shape == (6, k)


# ----------------------------------------------------------------------------- exact noise averages
@pytest.mark.parametrize("n,p,kind", [(20, 60, "spiked"), (20, 60, "power"), (20, 60, "full"),
                                      (50, 14, "power"), (50, 14, "spiked"), (30, 30, "full")])
def test_noise_averages_match_plain_numpy(n, p, kind):
    rng = np.random.default_rng(n + p)
    c = _cov(kind, p, rng)
    d = fr.GaussianDesign(cov=c, theta_star=rng.standard_normal(p) / math.sqrt(p), noise=0.7)
    X, y = d.sample(n, seed=3)
    lam = _lams(n)
    R, N2 = naive.noise_averages(X, d.cov, d.theta_star, d.noise, lam)
    for method in ("gram", "svd"):
        path = fr.RidgePath(X, y, lam, method=method)
        np.testing.assert_allclose(path.standard_risk_noise_avg(d), R, rtol=1e-9)
        np.testing.assert_allclose(path.norm2_sq_noise_avg(d), N2, rtol=1e-9)


def test_noise_averages_match_the_mean_over_noise_draws():
    """On one X, the mean of the standard risk and of ||theta||^2 over N = 4000 label-noise draws
    (one multi-target path, one column per draw) lies within 4 standard errors of the exact average,
    at every penalty (fixed seeds); the noise part is what the draws average out."""
    n, p, N = 40, 160, 4000
    rng = np.random.default_rng(2024)
    d = fr.GaussianDesign(spectra.spiked(p, 3, spike=2.0, tail=0.2), rng.standard_normal(p) / math.sqrt(p),
                          noise=0.8)
    X, _ = d.sample(n, seed=5)
    Z = np.random.default_rng(6).standard_normal((n, N))
    Y = (X @ d.theta_star)[:, None] + d.noise * Z
    lam = np.array([0.0, 0.5, 5.0, 50.0])
    path = fr.RidgePath(X, Y, lam)
    for draws, exact in ((path.standard_risk(d), path.standard_risk_noise_avg(d)[:, 0]),
                         (path.norm(2) ** 2, path.norm2_sq_noise_avg(d)[:, 0])):
        se = draws.std(axis=1, ddof=1) / math.sqrt(N)
        assert np.all(np.abs(draws.mean(axis=1) - exact) <= 4.0 * se), (draws.mean(axis=1), exact, se)
    # the noise part is not small here: without it the average would be far outside the band
    noiseless = fr.RidgePath(X, X @ d.theta_star, lam).standard_risk(d)
    se = path.standard_risk(d).std(axis=1, ddof=1) / math.sqrt(N)
    assert np.all(path.standard_risk_noise_avg(d)[:, 0] - noiseless > 20 * se)


def test_noise_averages_per_target_and_streamed():
    p, n, k = config.GEN_BLOCK + 3, 30, 4
    designs = _designs("power", p, k, seed=12, shared=False)
    lam = _lams(n)
    st = fr.RidgePath.from_design(designs, n, lam, seed=1)
    X, _ = designs[0].sample(n, seed=1)
    for t in range(k):
        R, N2 = naive.noise_averages(X, designs[t].cov, designs[t].theta_star, designs[t].noise, lam)
        np.testing.assert_allclose(st.standard_risk_noise_avg(designs)[:, t], R, rtol=1e-9)
        np.testing.assert_allclose(st.norm2_sq_noise_avg(designs)[:, t], N2, rtol=1e-9)


# ----------------------------------------------------------------------------- bad input
def test_bad_targets_and_designs():
    n, p, k = 10, 25, 3
    designs = _designs("spiked", p, k, seed=0, shared=False)
    X, _ = designs[0].sample(n, seed=0)
    Y = _labels(X, designs, k, 0)
    lam = [0.0, 1.0]
    with pytest.raises(ValueError, match=r"y must have shape \(10,\) or \(10, k\)"):
        fr.RidgePath(X, Y[:9], lam)
    with pytest.raises(ValueError, match="y must be 1-D .* or 2-D"):
        fr.RidgePath(X, Y[:, :, None], lam)
    with pytest.raises(ValueError, match="y has no columns"):
        fr.RidgePath(X, Y[:, :0], lam)
    bad = Y.copy()
    bad[3, 2] = np.nan
    with pytest.raises(ValueError, match="y contains NaN"):
        fr.RidgePath(X, bad, lam)
    with pytest.raises(ValueError, match="rhs must have shape"):
        fr.RidgePath.from_gram(X @ X.T, Y[:5], lam)
    path = fr.RidgePath(X, Y, lam)
    with pytest.raises(ValueError, match="a sequence of 2"):
        path.standard_risk(designs[:2])
    with pytest.raises(ValueError, match="share one covariance"):
        path.adversarial_risk([designs[0], designs[1], fr.GaussianDesign(np.ones(p), np.zeros(p))], 0.1)
    with pytest.raises(ValueError, match=r"design\[1\] has p=24"):
        path.standard_risk([designs[0], fr.GaussianDesign(np.ones(p - 1), np.zeros(p - 1)), designs[2]])
    with pytest.raises(TypeError, match="design must be a fastrisk.GaussianDesign"):
        path.standard_risk([designs[0], "x", designs[2]])
    with pytest.raises(ValueError, match=r"y_test must have shape \(4,\) or \(4, 3\)"):
        path.empirical_adversarial_risk(X[:4], np.ones((4, 2)), 0.1)
    with pytest.raises(ValueError, match=r"y_test must have shape \(4,\) for a path with 1-D y"):
        fr.RidgePath(X, Y[:, 0], lam).empirical_adversarial_risk(X[:4], np.ones((4, 3)), 0.1)
    with pytest.raises(ValueError, match=r"x_sigma_theta must have shape \(10,\) or \(10, 3\)"):
        path.standard_risk_from_stats(X @ X.T, np.ones((10, 2)), 1.0)
    with pytest.raises(ValueError, match="theta_sigma_theta must be a number >= 0 or 3"):
        path.standard_risk_from_stats(X @ X.T, np.ones(10), [1.0, 2.0])
    TS = np.stack([d.theta_star for d in designs], axis=1)
    with pytest.raises(ValueError, match=r"theta_star must have shape \(p,\) or \(p, 3\)"):
        fr.ridge_path_risks(X, Y, lam, designs[0].cov, TS[:, :2], 0.1)
    with pytest.raises(ValueError, match="theta_star must be 1-D"):
        fr.ridge_path_risks(X, Y[:, 0], lam, designs[0].cov, TS, 0.1)
    with pytest.raises(ValueError, match="noise must be a number or"):
        fr.ridge_path_risks(X, Y, lam, designs[0].cov, TS, 0.1, noise=[0.1, 0.2])
    with pytest.raises(ValueError, match="empty sequence"):
        fr.RidgePath.from_design([], n, lam, seed=0)
    with pytest.raises(ValueError, match="share one covariance"):
        fr.RidgePath.from_design([designs[0], fr.GaussianDesign(np.ones(p), np.zeros(p))], n, lam, seed=0)


def test_centred_features_take_several_columns():
    """The estimators' centred feature source answers X_w^T V for V (n, k) as column by column (the
    remainder of several theta* is formed in one product)."""
    from fastrisk.ridge._features import CentredFeatures

    rng = np.random.default_rng(0)
    X = rng.standard_normal((9, 14)) + 3.0
    off, sw = X.mean(axis=0), np.sqrt(rng.uniform(0.5, 2.0, 9))
    f = CentredFeatures(X, off, sw)
    V = rng.standard_normal((9, 3))
    Xw = sw[:, None] * (X - off)
    np.testing.assert_allclose(f.xt_times(V), Xw.T @ V, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(f.xt_times(V[:, 0]), Xw.T @ V[:, 0], rtol=1e-12, atol=1e-12)
    W = rng.standard_normal((14, 3))
    np.testing.assert_allclose(f.x_times(W), Xw @ W, rtol=1e-12, atol=1e-12)
