"""The exact Pareto frontier of (standard, adversarial) risk, ``theory.pareto_frontier``: against the
population ridge path for l2 attacks, against brute-force numerical minimisation for l_inf, l1 and l_3.5
attacks on small p, and strictly below the ridge-shaped oracle for l_inf."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy.optimize import minimize

from fastrisk import theory as T
from fastrisk.risk import dual_exponent

C = math.sqrt(2.0 / math.pi)


def naive_pareto_theta(s, ts, q, t):
    """theta_t from the per-coordinate stationarity condition, solved by scipy's brentq (plain twin)."""
    from scipy.optimize import brentq
    out = np.zeros_like(ts)
    if math.isinf(q):  # clip at c with sum s (|theta*| - c)_+ = t
        a = np.abs(ts)
        f = lambda c: np.sum(s * np.maximum(a - c, 0.0)) - t  # noqa: E731
        c = 0.0 if f(0.0) <= 0 else brentq(f, 0.0, a.max(), xtol=1e-300, rtol=1e-15)
        return np.sign(ts) * np.minimum(a, c)
    for i in range(ts.size):
        a = abs(ts[i])
        if a == 0 or s[i] == 0:
            continue
        if q == 1.0:
            u = max(a - t / s[i], 0.0)
        else:
            g = lambda u: s[i] * (a - u) - t * u ** (q - 1.0)  # noqa: B023, E731
            u = a if t == 0 else brentq(g, 0.0, a, xtol=1e-300, rtol=1e-15)
        out[i] = np.sign(ts[i]) * u
    return out


def adv_of(theta, s, ts, eps, q, target="clean", sigma=0.0):
    R = float(np.sum(s * (theta - ts) ** 2))
    b = float(np.linalg.norm(theta, ord=np.inf if math.isinf(q) else q))
    a2 = R + sigma**2 if target == "noisy" else R
    return R, a2 + 2 * C * eps * math.sqrt(a2) * b + eps**2 * b**2


def _problem(seed, p=5):
    rng = np.random.default_rng(seed)
    s = np.sort(rng.uniform(0.05, 2.0, p))[::-1]
    ts = rng.standard_normal(p)
    return s, ts


@pytest.mark.parametrize("norm", [1.0, 2.0, np.inf, 3.5, 1.3])
@pytest.mark.parametrize("seed", [0, 1])
def test_points_are_the_closed_form_thetas(norm, seed):
    s, ts = _problem(seed)
    q = dual_exponent(norm)
    eps = np.array([0.0, 0.3])
    f = T.pareto_frontier(s, ts, eps, norm=norm, target="noisy", noise=0.7, n_levels=40)
    assert f.pareto and f.mu[0] == 0 and np.isinf(f.mu[-1]) and np.all(np.diff(f.mu) > 0)
    for j, t in enumerate(f.mu):
        th = naive_pareto_theta(s, ts, q, t) if np.isfinite(t) else np.zeros_like(ts)
        for e, ev in enumerate(eps):
            R, A = adv_of(th, s, ts, ev, q, "noisy", 0.7)
            np.testing.assert_allclose(f.standard_risk[j], R, rtol=1e-10, atol=1e-14)
            np.testing.assert_allclose(f.adversarial_risk[j, e], A, rtol=1e-10)
    np.testing.assert_allclose(f.standard_risk[0], 0.0, atol=1e-15)  # t = 0: theta* itself
    np.testing.assert_allclose(f.standard_risk[-1], np.sum(s * ts**2), rtol=1e-14)  # t = inf: 0


def test_l2_pareto_frontier_is_the_population_ridge_path():
    s, ts = _problem(3, p=50)
    mu = np.concatenate([[0.0], np.geomspace(1e-3, 1e3, 100), [np.inf]])
    a = T.pareto_frontier(s, ts, [0.1, 0.5], norm=2, levels=mu)
    b = T.oracle_frontier(s, ts, [0.1, 0.5], norm=2, mu=mu)
    np.testing.assert_allclose(a.standard_risk, b.standard_risk, rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(a.adversarial_risk, b.adversarial_risk, rtol=1e-12)


@pytest.mark.slow
@pytest.mark.parametrize("norm", [np.inf, 1.0, 3.5])
@pytest.mark.parametrize("target", ["clean", "noisy"])
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_no_theta_beats_the_frontier_brute_force(norm, target, seed):
    """For weights w, min_theta R_eps(theta) + w R_0(theta) is reached on the Pareto set (the objective is
    increasing in both risks); a numerical minimiser over all of R^p from many starts never beats the
    frontier, and the frontier attains what the minimiser finds."""
    p = 4
    s, ts = _problem(10 + seed, p=p)
    q = dual_exponent(norm)
    eps, sigma = 0.4, 0.5
    f = T.pareto_frontier(s, ts, [eps], norm=norm, target=target, noise=sigma, n_levels=20000)
    rng = np.random.default_rng(seed)
    for w in (0.05, 0.5, 3.0):
        def obj(theta, w=w):
            R, A = adv_of(theta, s, ts, eps, q, target, sigma)
            return A + w * R
        frontier = float(np.min(f.adversarial_risk[:, 0] + w * f.standard_risk))
        starts = [ts, np.zeros(p), 0.5 * ts] + [rng.standard_normal(p) for _ in range(6)]
        brute = math.inf
        for x0 in starts:
            r = minimize(obj, x0, method="Powell", options={"xtol": 1e-10, "ftol": 1e-13, "maxfev": 40000})
            brute = min(brute, float(r.fun))
        assert frontier <= brute * (1 + 1e-7), (w, frontier, brute)  # nothing below the frontier
        assert frontier >= brute * (1 - 2e-5), (w, frontier, brute)  # and the minimiser gets there


def test_linf_pareto_frontier_lies_below_the_ridge_oracle():
    # dense theta* over a decaying spectrum: the sparse (soft-thresholded) path beats ridge shrinkage
    p = 40
    s = 1.0 / np.arange(1, p + 1)
    ts = np.ones(p) / np.sqrt(p)
    eps = np.array([0.05, 0.2])
    par = T.pareto_frontier(s, ts, eps, norm=np.inf, n_levels=2000)
    ridge = T.oracle_frontier(s, ts, eps, norm=np.inf, n_mu=2000)
    assert not ridge.pareto and par.pareto
    # the ridge path's points against the exact frontier: never below it, clearly above somewhere
    g = T.frontier_gap((ridge.standard_risk, ridge.adversarial_risk), par)
    assert np.all(g.gap > -1e-6)
    excess = []
    order = np.argsort(par.standard_risk)
    for e in range(eps.size):
        env = np.minimum.accumulate(par.adversarial_risk[order, e])
        A = np.interp(ridge.standard_risk, par.standard_risk[order], env)
        excess.append(np.max(ridge.adversarial_risk[:, e] - A))
    assert min(excess) > 1e-2
    assert np.all(par.adversarial_risk.min(axis=0) <= ridge.adversarial_risk.min(axis=0) + 1e-12)


def test_consistent_target_frontier_is_theta_star():
    s, ts = _problem(4)
    f = T.pareto_frontier(s, ts, [0.1, 1.0], norm=2, target="consistent")
    assert f.standard_risk.tolist() == [0.0] and f.adversarial_risk.tolist() == [[0.0, 0.0]]


@pytest.mark.parametrize("kw, err", [({"norm": 0.5}, ValueError), ({"levels": [-1.0]}, ValueError),
                                     ({"levels": ["a"]}, TypeError), ({"n_levels": 2}, ValueError),
                                     ({"target": "consistent", "norm": np.inf}, ValueError)])
def test_bad_arguments(kw, err):
    s, ts = _problem(0)
    with pytest.raises(err):
        T.pareto_frontier(s, ts, [0.1], **kw)
