"""A gradient-descent-trained network as a predictor: predict, exact input gradients, real attacks."""

from __future__ import annotations

import math

import numpy as np
import pytest

from fastrisk.ntk import LinearPredictor, adversarial_risk, train_gd


def _data(n=20, d=6, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, d))
    theta = np.zeros(d)
    theta[0] = 1.0
    return X, X @ theta + 0.3 * rng.standard_normal(n), rng.standard_normal((30, d)), theta


def _naive_forward(x, W, a):
    m = W.shape[0]
    return sum(a[r] * max(0.0, float(W[r] @ x)) for r in range(m)) / math.sqrt(m)


def _naive_grad(x, W, a):
    m = W.shape[0]
    g = np.zeros_like(x)
    for r in range(m):
        if W[r] @ x > 0:
            g += a[r] * W[r]
    return g / math.sqrt(m)


@pytest.mark.parametrize("train", ["first", "both"])
def test_predict_and_gradient_match_the_plain_network(train):
    X, y, Xt, _ = _data()
    res = train_gd(X, y, 64, train=train, seed=1, max_steps=300, tol=1e-3)
    assert res.L == 1 and res.d == X.shape[1] and res.width == 64
    f = res.predict(Xt)
    g = res.input_gradient(Xt)
    assert f.shape == (30,) and g.shape == (30, X.shape[1])
    for j in range(Xt.shape[0]):
        assert f[j] == pytest.approx(_naive_forward(Xt[j], res.W, res.a), rel=1e-12, abs=1e-12)
        np.testing.assert_allclose(g[j], _naive_grad(Xt[j], res.W, res.a), rtol=1e-12, atol=1e-12)
    # the gradient is exact almost everywhere: central differences inside the activation region
    h = 1e-6
    for j in range(5):
        fd = np.array([(_naive_forward(Xt[j] + h * e, res.W, res.a)
                        - _naive_forward(Xt[j] - h * e, res.W, res.a)) / (2 * h) for e in np.eye(X.shape[1])])
        np.testing.assert_allclose(g[j], fd, rtol=1e-6, atol=1e-8)


def test_attacks_reach_the_trained_network_and_are_ordered():
    X, y, Xt, theta = _data(seed=2)
    res = train_gd(X, y, 128, seed=0, max_steps=400, tol=1e-3)
    eps = [0.0, 0.1, 0.5]
    clean = np.mean((res.predict(Xt) - Xt @ theta) ** 2)
    fo = adversarial_risk(res, Xt, eps, theta_star=theta, method="first_order")
    fg = adversarial_risk(res, Xt, eps, theta_star=theta, method="fgsm")
    pg = adversarial_risk(res, Xt, eps, theta_star=theta, method="pgd", steps=30, restarts=2, seed=0)
    assert fo.shape == fg.shape == pg.shape == (1, 3)
    np.testing.assert_allclose([fo[0, 0], fg[0, 0], pg[0, 0]], clean, rtol=1e-12)  # eps = 0: clean risk
    assert np.all(pg >= fg - 1e-12) and np.all(fg >= clean - 1e-12)
    assert pg[0, 2] > pg[0, 1] > clean
    # l_inf attacks too
    pi = adversarial_risk(res, Xt, [0.05], theta_star=theta, norm=np.inf, method="pgd", steps=20, seed=0)
    assert pi[0, 0] > clean


def test_tiny_radius_pgd_equals_the_first_order_value_of_the_piecewise_linear_net():
    """Within a ball that crosses no activation boundary the ReLU net is linear, so the exact inner max is
    (|r| + eps |grad f|_2)^2 and PGD must reach it."""
    X, y, Xt, theta = _data(seed=3)
    res = train_gd(X, y, 64, seed=0, max_steps=200, tol=1e-3)
    eps = [1e-7]
    fo = adversarial_risk(res, Xt, eps, theta_star=theta, method="first_order")
    pg = adversarial_risk(res, Xt, eps, theta_star=theta, method="pgd", steps=10, seed=0)
    np.testing.assert_allclose(pg, fo, rtol=1e-9)


def test_linear_predictor_and_gd_result_share_one_protocol():
    X, y, Xt, theta = _data()
    res = train_gd(X, y, 32, seed=0, max_steps=50, tol=1e-2)
    lin = LinearPredictor(theta)
    for p in (res, lin):
        f, g = p._eval(np.ascontiguousarray(Xt), None)
        assert f.shape == (Xt.shape[0], 1) and g.shape == (Xt.shape[0], 1, Xt.shape[1])
