"""Input gradients and adversarial risks of the NTK predictors (docs/math.md section 10)."""

from __future__ import annotations

import math

import numpy as np
import pytest

from fastrisk import config
from fastrisk.ntk import LinearPredictor, TwoLayerNTK, adversarial_risk
from fastrisk.risk import lq_norm

TRAINS = ["first", "second", "both"]


def _data(n=30, d=8, m=9, seed=0):
    rng = np.random.default_rng(seed)
    return rng.standard_normal((n, d)), rng.standard_normal(n), rng.standard_normal((m, d))


def _fd_grad(fit, Z, h=1e-6):
    out = np.empty((Z.shape[0], fit.L, Z.shape[1]))
    for k in range(Z.shape[1]):
        e = np.zeros(Z.shape[1])
        e[k] = h
        out[:, :, k] = (fit.predict(Z + e) - fit.predict(Z - e)) / (2 * h)
    return out


@pytest.mark.slow
@pytest.mark.parametrize("train", TRAINS)
@pytest.mark.parametrize("width,sym", [(None, True), (300, True), (151, False)])
def test_gradient_matches_finite_differences(train, width, sym):
    """Analytic (infinite width) and a.e.-exact (finite width) gradients vs central differences."""
    X, y, Z = _data()
    fit = TwoLayerNTK(width, train=train, seed=2, symmetric_init=sym).fit(X, y, [0.0, 0.5, 20.0])
    g = fit.input_gradient(Z)
    np.testing.assert_allclose(g, _fd_grad(fit, Z), rtol=0, atol=1e-6 * np.abs(g).max())
    # the per-point (one penalty per point) path equals the all-penalty path
    lidx = np.arange(Z.shape[0]) % 3
    f1, g1 = fit._eval(np.ascontiguousarray(Z), lidx)
    np.testing.assert_allclose(f1, fit.predict(Z)[np.arange(9), lidx], rtol=1e-12, atol=1e-13)
    np.testing.assert_allclose(g1, g[np.arange(9), lidx], rtol=1e-12, atol=1e-13)


def test_infinite_width_gradient_formula_of_paper():
    """grad_x K_W(x, x_i) = x_i (pi - arccos u)/(2 pi) + <x,x_i>/(2 pi sqrt(1-u^2)) grad u (math.md 10)."""
    X, _, Z = _data(n=1, m=1)
    x, xi = Z[0], X[0]
    fit = TwoLayerNTK(None).fit(X, np.array([1.0]), 0.0)
    beta = fit.beta[0, 0]
    nx, ni = np.linalg.norm(x), np.linalg.norm(xi)
    u = x @ xi / nx / ni
    gu = xi / (nx * ni) - u * x / nx**2
    expect = (xi * (math.pi - math.acos(u)) / (2 * math.pi)
              + (x @ xi) / (2 * math.pi * math.sqrt(1 - u**2)) * gu)
    np.testing.assert_allclose(fit.input_gradient(Z)[0, 0], beta * expect, rtol=1e-12)


def test_linear_predictor_all_methods_equal_closed_form():
    """For f = x^T theta: first order = FGSM = PGD = (|r| + eps |theta|_q)^2 exactly."""
    rng = np.random.default_rng(3)
    d, m = 6, 40
    theta = rng.standard_normal((d, 3))
    ts = rng.standard_normal(d)
    Z = rng.standard_normal((m, d))
    eps = np.array([0.0, 0.3, 1.0])
    pred = LinearPredictor(theta)
    for norm in (2, np.inf):
        q = 1.0 if norm == np.inf else 2.0
        r = Z @ (theta - ts[:, None])
        b = np.array([lq_norm(theta[:, l], q) for l in range(3)])
        closed = np.mean((np.abs(r)[:, :, None] + eps[None, None, :] * b[None, :, None]) ** 2, axis=0)
        for method in ("first_order", "fgsm"):
            got = adversarial_risk(pred, Z, eps, theta_star=ts, norm=norm, method=method)
            np.testing.assert_allclose(got, closed, rtol=1e-12)
        # PGD from random starts only climbs to the closed form (a start on the wrong side of the
        # residual finds the other local maximum (eps|theta|_q - |r|)^2: hence several restarts)
        got = adversarial_risk(pred, Z, eps, theta_star=ts, norm=norm, method="pgd", init="random",
                               steps=60, restarts=12, step_size=0.5, seed=0)
        np.testing.assert_allclose(got, closed, rtol=1e-9)
    # first order also for a general p (3 <-> q = 1.5)
    b = np.array([lq_norm(theta[:, l], 1.5) for l in range(3)])
    closed = np.mean((np.abs(Z @ (theta - ts[:, None]))[:, :, None] + eps * b[None, :, None]) ** 2, axis=0)
    np.testing.assert_allclose(adversarial_risk(pred, Z, eps, theta_star=ts, norm=3), closed, rtol=1e-12)
    np.testing.assert_allclose(adversarial_risk(pred, Z, eps, theta_star=ts, norm=3, method="fgsm"), closed,
                               rtol=1e-12)


@pytest.mark.slow
@pytest.mark.parametrize("width", [None, 400])
@pytest.mark.parametrize("norm", [2, np.inf])
def test_pgd_ge_fgsm_ge_clean_and_pgd_beats_fgsm_somewhere(width, norm):
    X, y, Z = _data(n=40, d=6, m=20, seed=4)
    fit = TwoLayerNTK(width, train="both", seed=1).fit(X, y, [0.0, 1.0])
    eps = np.array([0.0, 0.5, 2.0])
    ts = np.ones(6)
    clean, pc = adversarial_risk(fit, Z, eps, theta_star=ts, method="first_order", norm=norm,
                                 return_points=True)
    fg, pf = adversarial_risk(fit, Z, eps, theta_star=ts, method="fgsm", norm=norm, return_points=True)
    pg, pp = adversarial_risk(fit, Z, eps, theta_star=ts, method="pgd", norm=norm, steps=30, restarts=2,
                              seed=5, return_points=True)
    clean_pts = pc[:, :, :1]
    assert np.all(pp >= pf) and np.all(pf >= clean_pts - 1e-12)
    np.testing.assert_allclose(pg[:, 0], fit.standard_risk(Z, theta_star=ts), rtol=1e-12)  # eps = 0
    np.testing.assert_allclose(fg[:, 0], fit.standard_risk(Z, theta_star=ts), rtol=1e-12)
    assert np.any(pp[:, :, 2] > pf[:, :, 2] * (1 + 1e-6))  # at a large radius PGD finds more
    assert np.all(fg[:, 2] > fg[:, 1])


def test_small_eps_pgd_matches_first_order():
    X, y, Z = _data(n=40, d=6, m=15, seed=6)
    fit = TwoLayerNTK(None).fit(X, y, [0.0, 1.0])
    ts = np.zeros(6)
    eps = np.array([1e-3])
    fo = adversarial_risk(fit, Z, eps, theta_star=ts)
    pg = adversarial_risk(fit, Z, eps, theta_star=ts, method="pgd", steps=20, seed=0)
    clean = fit.standard_risk(Z, theta_star=ts)[:, None]
    # agreement of the excess over the clean risk to a few percent (second-order terms are O(eps^2))
    np.testing.assert_allclose(pg - clean, fo - clean, rtol=0.02)


def test_pgd_is_seeded_and_independent_of_blocking(monkeypatch):
    X, y, Z = _data(n=20, d=5, m=150, seed=7)
    fit = TwoLayerNTK(None, train="first").fit(X, y, [0.0, 1.0])
    kw = dict(f_star=np.zeros(150), method="pgd", steps=5, restarts=3, seed=11)
    r1 = adversarial_risk(fit, Z, [0.5, 1.0], **kw)
    np.testing.assert_array_equal(r1, adversarial_risk(fit, Z, [0.5, 1.0], **kw))
    monkeypatch.setattr(config, "BLOCK_BYTES", 1)  # one chunk of test points per block
    np.testing.assert_allclose(r1, adversarial_risk(fit, Z, [0.5, 1.0], **kw), rtol=1e-13)
    kw["seed"] = 12
    assert not np.allclose(r1, adversarial_risk(fit, Z, [0.5, 1.0], **kw), rtol=1e-13, atol=0)


def test_ridge_penalty_reduces_adversarial_vulnerability():
    """Trade-off sanity: the gradient norm (hence the first-order excess) shrinks with lam."""
    X, y, Z = _data(n=60, d=30, m=20, seed=8)
    fit = TwoLayerNTK(None).fit(X, y, [0.0, 10.0, 1000.0])
    gn = np.linalg.norm(fit.input_gradient(Z), axis=2).mean(axis=0)
    assert gn[0] > gn[1] > gn[2]


@pytest.mark.parametrize("kwargs,exc,match", [
    (dict(eps=-0.1), ValueError, "eps"),
    (dict(method="cw"), ValueError, "method"),
    (dict(norm=0.5), ValueError, "norm"),
    (dict(norm="l7"), TypeError, "norm"),
    (dict(method="pgd", norm=1), ValueError, "pgd"),
    (dict(method="pgd", steps=0), ValueError, "steps"),
    (dict(method="pgd", init="zero"), ValueError, "init"),
    (dict(method="pgd", step_size=-1.0), ValueError, "step_size"),
    (dict(theta_star=None), ValueError, "exactly one target"),
    (dict(theta_star=np.ones(3)), ValueError, "theta_star"),
    (dict(X_test=np.ones((4, 3))), ValueError, "X_test"),
    (dict(X_test=np.full((4, 8), np.nan)), ValueError, "NaN"),
])
def test_attack_bad_input(kwargs, exc, match):
    X, y, Z = _data()
    fit = TwoLayerNTK(None).fit(X, y, 0.0)
    args = dict(X_test=Z, eps=0.1, theta_star=np.ones(8))
    args.update(kwargs)
    Xt, eps = args.pop("X_test"), args.pop("eps")
    with pytest.raises(exc, match=match):
        adversarial_risk(fit, Xt, eps, **args)
    with pytest.raises(TypeError, match="predictor"):
        adversarial_risk(object(), Z, 0.1, theta_star=np.ones(8))


@pytest.mark.parametrize("p", [1.0, 1.5, 2.0, 3.0, math.inf])
def test_dual_direction_attains_hoelder_equality(p):
    from fastrisk._validation import dual_exponent
    from fastrisk.ntk.attacks import _dual_dir

    q = dual_exponent(p)
    g = np.random.default_rng(3).standard_normal((4, 3, 11))
    g[0, 0] = 0.0
    u = _dual_dir(g, p, q)
    nu = np.linalg.norm(u, ord=p, axis=-1)
    gq = np.linalg.norm(g, ord=q, axis=-1)
    np.testing.assert_allclose(nu[g.any(-1)], 1.0, rtol=1e-12)
    np.testing.assert_allclose(np.sum(u * g, axis=-1), gq, rtol=1e-12, atol=0)
    assert np.all(u[0, 0] == 0)


@pytest.mark.parametrize("norm", [2, np.inf, 1])
def test_linear_predictor_agrees_with_ridge_path_empirical_risk(norm):
    """The attack layer and the linear core use one convention: RidgePath coefficients attacked here
    give RidgePath.empirical_adversarial_risk (exact inner maximum) for every penalty."""
    from fastrisk import RidgePath

    rng = np.random.default_rng(9)
    X, y = rng.standard_normal((30, 50)), rng.standard_normal(30)
    Z, yt = rng.standard_normal((20, 50)), rng.standard_normal(20)
    path = RidgePath(X, y, [0.0, 1.0, 10.0])
    eps = [0.0, 0.1, 0.7]
    ours = adversarial_risk(LinearPredictor(path.coef()), Z, eps, f_star=yt, norm=norm)
    np.testing.assert_allclose(ours, path.empirical_adversarial_risk(Z, yt, eps, norm=norm), rtol=1e-10)
    ours = adversarial_risk(LinearPredictor(path.coef()), Z, eps, f_star=yt, norm=norm, method="fgsm")
    np.testing.assert_allclose(ours, path.empirical_adversarial_risk(Z, yt, eps, norm=norm), rtol=1e-10)


def test_pgd_random_starts_differ_between_spawned_seeds():
    X, y, Z = _data(n=20, d=5, m=30, seed=10)
    fit = TwoLayerNTK(None).fit(X, y, 0.0)
    kids = np.random.SeedSequence(7).spawn(2)
    kw = dict(f_star=np.zeros(30), method="pgd", init="random", steps=2, restarts=2, return_points=True)
    p0, p1 = (adversarial_risk(fit, Z, 1.0, seed=k, **kw)[1] for k in kids)
    assert np.abs(p0 - p1).max() > 1e-6


def test_pgd_step_size_accepts_numpy_scalars_and_rejects_bool():
    X, y, Z = _data(n=10, d=4, m=5, seed=11)
    fit = TwoLayerNTK(None).fit(X, y, 0.0)
    kw = dict(f_star=np.zeros(5), method="pgd", steps=3, seed=0)
    np.testing.assert_allclose(adversarial_risk(fit, Z, 0.5, step_size=np.float32(0.25), **kw),
                               adversarial_risk(fit, Z, 0.5, step_size=0.25, **kw), rtol=1e-12)
    np.testing.assert_array_equal(adversarial_risk(fit, Z, 0.5, step_size=np.int64(1), **kw),
                                  adversarial_risk(fit, Z, 0.5, step_size=1.0, **kw))
    with pytest.raises(ValueError, match="step_size"):
        adversarial_risk(fit, Z, 0.5, step_size=True, **kw)
