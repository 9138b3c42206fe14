"""Lazy training (docs/math.md section 10) and bad input to the NTK layer."""

from __future__ import annotations

import math

import numpy as np
import pytest

from fastrisk.ntk import TwoLayerNTK, lazy_training_check, ntk_gram, train_gd


def _data(n=16, d=8, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, d))
    X *= math.sqrt(d) / np.linalg.norm(X, axis=1, keepdims=True)
    return X, rng.standard_normal(n), rng.standard_normal((25, d))


@pytest.mark.parametrize("train", ["first", "both"])
def test_gd_trained_network_approaches_kernel_interpolator(train):
    X, y, Xt = _data()
    r = lazy_training_check(X, y, Xt, [32, 256, 2048], train=train, seed=0, tol=1e-7)
    assert np.all(r["converged"])
    ge, gi = r["gap_empirical"], r["gap_infinite"]
    # the gap to the kernel interpolator at the same init shrinks with m (rate ~ m^-1/2: x8 in m, ~x2.8)
    assert ge[0] > ge[1] > ge[2] and ge[2] < 0.02, ge
    assert gi[0] > gi[2] and gi[2] < 0.1, gi
    # ||theta - theta_0||^2 -> (y - f0)^T K_m^-1 (y - f0) (f0 = 0: symmetric init)
    rel = np.abs(r["displacement_sq"] - r["rkhs_norm_sq"]) / r["rkhs_norm_sq"]
    assert rel[2] < 0.02 and rel[2] < rel[0], rel


def test_gd_non_symmetric_init_second_layer_only_is_exactly_kernel_regression():
    """Training only a is linear regression on fixed features: GD converges to the kernel
    interpolator of the (exact) second-layer kernel at any width, f_0 included."""
    X, y, Xt = _data(n=10, d=5, seed=1)
    res = train_gd(X, y, 301, train="second", seed=3, symmetric_init=False, tol=1e-10, max_steps=200000)
    assert res.converged
    fit = TwoLayerNTK(301, train="second", seed=3, symmetric_init=False).fit(X, y, 0.0)
    np.testing.assert_allclose(res.predict(Xt), fit.predict(Xt)[:, 0], rtol=1e-6, atol=1e-7)
    np.testing.assert_allclose(res.displacement_sq, fit.rkhs_norm_sq()[0], rtol=1e-6)
    assert np.all(res.W == res.W0)
    assert np.all(np.diff(res.losses) <= 1e-12)  # a small step decreases a convex loss monotonically


def test_bad_input_gram_and_model():
    X = np.ones((3, 2))
    with pytest.raises(ValueError, match="width"):
        ntk_gram(X, width=0)
    with pytest.raises(ValueError, match="width"):
        TwoLayerNTK(width=-3)
    with pytest.raises(ValueError, match="even"):
        TwoLayerNTK(width=7)
    with pytest.raises(TypeError, match="width"):
        ntk_gram(X, width=2.5)
    with pytest.raises(ValueError, match="train"):
        ntk_gram(X, train="last")
    with pytest.raises(ValueError, match="NaN"):
        ntk_gram(np.array([[1.0, np.inf]]))
    with pytest.raises(ValueError, match="X2"):
        ntk_gram(X, np.ones((2, 3)))
    with pytest.raises(ValueError, match="2-D"):
        ntk_gram(np.ones(3))
    with pytest.raises(ValueError, match="empty"):
        ntk_gram(np.ones((0, 3)))
    with pytest.raises(TypeError, match="seed"):
        ntk_gram(X, width=4, seed="abc")
    fit = TwoLayerNTK(None).fit(np.random.default_rng(0).standard_normal((5, 2)), np.ones(5), 0.0)
    with pytest.raises(ValueError, match="X_new"):
        fit.predict(np.ones((2, 3)))
    with pytest.raises(ValueError, match="y"):
        TwoLayerNTK(None).fit(X, np.ones(2))
    with pytest.raises(ValueError, match="lr"):
        train_gd(X, np.ones(3), 4, lr=-1.0)


def test_gd_step_and_tolerance_validation():
    """Bad tol / lr raise (naming the argument) instead of silently running max_steps; NumPy scalars
    are valid numbers."""
    X, y, _ = _data(n=5, d=3)
    for kw in (dict(tol=-1.0), dict(tol=float("nan")), dict(tol="a")):
        with pytest.raises((ValueError, TypeError), match="tol"):
            train_gd(X, y, 4, max_steps=5, **kw)
    with pytest.raises((ValueError, TypeError), match="lr"):
        train_gd(X, y, 4, max_steps=5, lr=True)
    r32 = train_gd(X, y, 4, seed=0, max_steps=5, lr=np.float32(0.01))
    r64 = train_gd(X, y, 4, seed=0, max_steps=5, lr=0.01)
    assert r32.steps == 5 and abs(r32.lr - 0.01) < 1e-8
    np.testing.assert_allclose(r32.losses, r64.losses, rtol=1e-6)
