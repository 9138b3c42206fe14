"""Estimators with 2-D y (several targets, one eigendecomposition): equal to scikit-learn's RidgeCV
(``alpha_per_target``, ``scoring``) and to per-column fits; scorers and the criterion= spelling."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from sklearn.linear_model import Ridge, RidgeCV
from sklearn.metrics import make_scorer, mean_absolute_error

from fastrisk.estimators import MinNormRegressor, NTKRidge, NTKRidgeCV, RidgePathCV

from . import naive_estimators as naive

SHAPES = [(30, 80), (80, 30), (40, 40), (17, 9)]


def _data(n, p, k, seed=0, offset=3.0):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, p)) + offset * rng.standard_normal(p)
    B = rng.standard_normal((3, k))
    Y = X[:, :3] @ B + rng.standard_normal((n, k)) * rng.uniform(0.2, 3.0, k) + rng.normal(5.0, 2.0, k)
    return X, Y


def _rel(a, b):
    return float(np.abs(a - b).max() / np.abs(b).max())


@pytest.mark.parametrize("n,p", SHAPES)
@pytest.mark.parametrize("fit_intercept", [True, False])
@pytest.mark.parametrize("alpha_per_target", [True, False])
def test_2d_y_equals_ridgecv(n, p, fit_intercept, alpha_per_target):
    X, Y = _data(n, p, 5, seed=n + p)
    alphas = np.logspace(-2, 3, 30) * (n if n > p else 1.0)
    ours = RidgePathCV(alphas=alphas, fit_intercept=fit_intercept,
                       alpha_per_target=alpha_per_target).fit(X, Y)
    ref = RidgeCV(alphas=alphas, fit_intercept=fit_intercept, alpha_per_target=alpha_per_target,
                  store_cv_results=True).fit(X, Y)
    sq = ours.cv_results_["squared_errors"]
    assert sq.shape == ref.cv_results_.shape == (n, 5, alphas.size)
    assert _rel(sq, ref.cv_results_) < 1e-8
    np.testing.assert_array_equal(ours.alpha_, ref.alpha_)
    assert np.shape(ours.alpha_) == np.shape(ref.alpha_)
    np.testing.assert_allclose(ours.best_score_, ref.best_score_, rtol=1e-8)
    assert ours.coef_.shape == ref.coef_.shape == (5, p)
    assert _rel(ours.coef_, ref.coef_) < 1e-8
    np.testing.assert_allclose(ours.intercept_, ref.intercept_, rtol=1e-8, atol=1e-10)
    Xt, _ = _data(11, p, 5, seed=99)
    assert _rel(ours.predict(Xt), ref.predict(Xt)) < 1e-8
    mse = ours.cv_results_["mean_squared_error"]
    assert mse.shape == (5, alphas.size)
    np.testing.assert_allclose(mse, ref.cv_results_.mean(axis=0), rtol=1e-8)
    want = (5, alphas.size) if alpha_per_target else (alphas.size,)
    assert ours.cv_results_["mean_test_score"].shape == want


@pytest.mark.parametrize("n,p", [(30, 80), (80, 30)])
@pytest.mark.parametrize("alpha_per_target", [True, False])
@pytest.mark.parametrize("scoring", ["neg_mean_squared_error", "r2",
                                     make_scorer(mean_absolute_error, greater_is_better=False)])
def test_scoring_equals_ridgecv(n, p, alpha_per_target, scoring):
    X, Y = _data(n, p, 4, seed=3 * n + p)
    alphas = np.logspace(-2, 3, 25) * (n if n > p else 1.0)
    kw = dict(alphas=alphas, alpha_per_target=alpha_per_target, scoring=scoring)
    ours = RidgePathCV(**kw).fit(X, Y)
    ref = RidgeCV(**kw, store_cv_results=True).fit(X, Y)
    # with a scorer RidgeCV stores the leave-one-out predictions
    assert _rel(ours.cv_results_["predictions"], ref.cv_results_) < 1e-8
    np.testing.assert_array_equal(ours.alpha_, ref.alpha_)
    np.testing.assert_allclose(ours.best_score_, ref.best_score_, rtol=1e-8)
    assert _rel(ours.coef_, ref.coef_) < 1e-8
    # and 1-D y (RidgeCV 1.9 fails on 1-D y with alpha_per_target and a scorer: compare without)
    kw["alpha_per_target"] = False
    o1 = RidgePathCV(**kw).fit(X, Y[:, 1])
    r1 = RidgeCV(**kw, store_cv_results=True).fit(X, Y[:, 1])
    assert o1.alpha_ == r1.alpha_ and isinstance(o1.alpha_, float)
    assert o1.best_score_ == pytest.approx(r1.best_score_, rel=1e-8)
    assert _rel(o1.cv_results_["predictions"], r1.cv_results_) < 1e-8


def test_neg_mse_scoring_chooses_as_the_default_criterion():
    X, Y = _data(40, 90, 3, seed=5)
    a = RidgePathCV(scoring="neg_mean_squared_error", alpha_per_target=True).fit(X, Y)
    b = RidgePathCV(alpha_per_target=True).fit(X, Y)
    np.testing.assert_array_equal(a.alpha_, b.alpha_)
    np.testing.assert_allclose(a.best_score_, b.best_score_, rtol=1e-10)


@pytest.mark.parametrize("n,p", [(25, 60), (60, 25)])
@pytest.mark.parametrize("criterion", ["loo", "gcv"])
@pytest.mark.parametrize("weighted", [False, True])
def test_2d_y_equals_per_column_fits(n, p, criterion, weighted):
    X, Y = _data(n, p, 4, seed=n * p)
    w = np.random.default_rng(n).choice([0.0, 0.5, 1.0, 2.0, 3.0], n) if weighted else None
    if weighted:
        w[:2] = [1.0, 2.0]
    alphas = np.logspace(-2, 3, 20)
    multi = RidgePathCV(alphas=alphas, criterion=criterion, alpha_per_target=True).fit(X, Y, sample_weight=w)
    for t in range(4):
        one = RidgePathCV(alphas=alphas, criterion=criterion).fit(X, Y[:, t], sample_weight=w)
        assert multi.alpha_[t] == one.alpha_
        sq1 = one.cv_results_["squared_errors"]
        np.testing.assert_allclose(multi.cv_results_["squared_errors"][:, t], sq1, rtol=1e-9,
                                   atol=1e-13 * sq1.max())
        np.testing.assert_allclose(multi.coef_[t], one.coef_, rtol=1e-9, atol=1e-12 * np.abs(one.coef_).max())
        assert multi.intercept_[t] == pytest.approx(one.intercept_, rel=1e-9, abs=1e-12)
    # one penalty for all targets: the smallest mean over targets of the per-target criterion
    shared = RidgePathCV(alphas=alphas, criterion=criterion).fit(X, Y, sample_weight=w)
    mean = multi.cv_results_["mean_squared_error"].mean(axis=0)
    assert shared.alpha_ == alphas[int(np.argmin(mean))]


def test_single_column_y_shapes_follow_ridgecv():
    X, Y = _data(20, 40, 1, seed=1)
    alphas = np.logspace(-1, 2, 10)
    for apt in (False, True):
        ours = RidgePathCV(alphas=alphas, alpha_per_target=apt).fit(X, Y)
        ref = RidgeCV(alphas=alphas, alpha_per_target=apt, store_cv_results=True).fit(X, Y)
        assert np.shape(ours.alpha_) == np.shape(ref.alpha_)
        assert np.shape(ours.best_score_) == np.shape(ref.best_score_)
        assert ours.coef_.shape == ref.coef_.shape and np.shape(ours.intercept_) == np.shape(ref.intercept_)
        assert ours.cv_results_["squared_errors"].shape == ref.cv_results_.shape
        assert ours.predict(X).shape == ref.predict(X).shape
    m = MinNormRegressor().fit(X, Y)
    r = Ridge(alpha=1e-12).fit(X, Y)
    assert m.coef_.shape == r.coef_.shape and m.predict(X).shape == r.predict(X).shape


@pytest.mark.parametrize("n,p", [(20, 50), (50, 20), (30, 30)])
@pytest.mark.parametrize("method", ["gram", "svd"])
def test_min_norm_2d_y_equals_per_column(n, p, method):
    X, Y = _data(n, p, 3, seed=n)
    w = np.random.default_rng(n).uniform(0.5, 2.0, n)
    for sw in (None, w):
        est = MinNormRegressor(method=method).fit(X, Y, sample_weight=sw)
        assert est.coef_.shape == (3, p) and est.intercept_.shape == (3,)
        for t in range(3):
            theta, b = naive.ridge_fit(X, Y[:, t], 0.0, sw)
            np.testing.assert_allclose(est.coef_[t], theta, rtol=1e-7, atol=1e-9 * np.abs(theta).max())
            assert est.intercept_[t] == pytest.approx(b, rel=1e-7, abs=1e-9)
        assert est.predict(X).shape == (n, 3)


@pytest.mark.parametrize("fit_intercept", [True, False])
def test_ntk_ridge_2d_y_equals_per_column(fit_intercept):
    rng = np.random.default_rng(4)
    X, Y = rng.standard_normal((30, 6)), rng.standard_normal((30, 3)) + 2.0
    w = rng.uniform(0.3, 3.0, 30)
    Xt = rng.standard_normal((9, 6))
    for alpha in (0.0, 0.5):
        multi = NTKRidge(alpha=alpha, fit_intercept=fit_intercept).fit(X, Y, sample_weight=w)
        assert multi.dual_coef_.shape == (30, 3) and multi.predict(Xt).shape == (9, 3)
        for t in range(3):
            one = NTKRidge(alpha=alpha, fit_intercept=fit_intercept).fit(X, Y[:, t], sample_weight=w)
            np.testing.assert_allclose(multi.predict(Xt)[:, t], one.predict(Xt), rtol=1e-10, atol=1e-12)


def test_ntk_ridge_cv_2d_y_per_target():
    rng = np.random.default_rng(6)
    X = rng.standard_normal((40, 5))
    Y = np.stack([np.sin(X[:, 0]), X[:, 1] ** 2, rng.standard_normal(40)], axis=1)
    alphas = np.logspace(-3, 2, 20)
    multi = NTKRidgeCV(alphas=alphas, alpha_per_target=True).fit(X, Y)
    for t in range(3):
        one = NTKRidgeCV(alphas=alphas).fit(X, Y[:, t])
        assert multi.alpha_[t] == one.alpha_
        np.testing.assert_allclose(multi.cv_results_["squared_errors"][:, t],
                                   one.cv_results_["squared_errors"], rtol=1e-10)
        np.testing.assert_allclose(multi.predict(X)[:, t], one.predict(X), rtol=1e-10, atol=1e-12)


def test_old_scoring_spelling_warns_and_still_works():
    X, Y = _data(30, 60, 2, seed=8)
    alphas = np.logspace(-1, 3, 15)
    for old in ("loo", "gcv"):
        with pytest.warns(FutureWarning, match=f"criterion='{old}'"):
            a = RidgePathCV(alphas=alphas, scoring=old).fit(X, Y[:, 0])
        b = RidgePathCV(alphas=alphas, criterion=old).fit(X, Y[:, 0])
        assert a.alpha_ == b.alpha_
        np.testing.assert_array_equal(a.cv_results_["squared_errors"], b.cv_results_["squared_errors"])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        RidgePathCV(alphas=alphas, criterion="gcv").fit(X, Y)  # the new spelling: no warning
    with pytest.warns(FutureWarning, match="deprecated"):
        NTKRidgeCV(alphas=alphas, scoring="gcv").fit(X[:, :5], Y)


def test_scorer_sees_sample_weights_as_repetitions():
    # frequency weights: integer weights equal repeated rows for a scorer too
    X, Y = _data(20, 45, 2, seed=10)
    w = np.random.default_rng(10).integers(1, 4, 20)
    alphas = np.logspace(-2, 3, 20)
    for scoring in ("r2", "neg_mean_absolute_error"):
        a = RidgePathCV(alphas=alphas, scoring=scoring, alpha_per_target=True).fit(X, Y, sample_weight=w)
        b = RidgePathCV(alphas=alphas, scoring=scoring, alpha_per_target=True).fit(
            X.repeat(w, axis=0), Y.repeat(w, axis=0))
        np.testing.assert_array_equal(a.alpha_, b.alpha_)
        np.testing.assert_allclose(a.best_score_, b.best_score_, rtol=1e-8)


@pytest.mark.parametrize("kw", [{}, {"scoring": "r2"}, {"eps": 0.3}, {"eps": 0.3, "norm": np.inf},
                                {"criterion": "gcv"}])
@pytest.mark.parametrize("weighted", [False, True])
def test_store_cv_results_false_keeps_the_means_and_the_choice(monkeypatch, kw, weighted):
    from fastrisk import config

    X, Y = _data(30, 70, 6, seed=12)
    w = np.random.default_rng(1).choice([0.0, 1.0, 2.0], 30) if weighted else None
    if weighted:
        w[:2] = [1.0, 2.0]
    alphas = np.logspace(-2, 3, 23)
    a = RidgePathCV(alphas=alphas, alpha_per_target=True, **kw).fit(X, Y, sample_weight=w)
    monkeypatch.setattr(config, "BLOCK_BYTES", 1)  # one penalty per block
    b = RidgePathCV(alphas=alphas, alpha_per_target=True, store_cv_results=False, **kw).fit(
        X, Y, sample_weight=w)
    assert "squared_errors" not in b.cv_results_ and "predictions" not in b.cv_results_
    assert "adversarial_loss" not in b.cv_results_
    for key in ("mean_squared_error", "mean_test_score", "mean_adversarial_loss", "df"):
        if key in a.cv_results_:
            np.testing.assert_allclose(b.cv_results_[key], a.cv_results_[key], rtol=1e-12)
    np.testing.assert_array_equal(a.alpha_, b.alpha_)
    np.testing.assert_allclose(a.coef_, b.coef_, rtol=1e-10, atol=1e-12 * np.abs(a.coef_).max())
    n = NTKRidgeCV(alphas=alphas, store_cv_results=False).fit(X[:, :4], Y[:, 0])
    assert set(n.cv_results_) == {"alphas", "mean_squared_error", "mean_test_score", "df"}


@pytest.mark.parametrize("n,p", [(30, 80), (80, 30)])
@pytest.mark.parametrize("fit_intercept", [True, False])
@pytest.mark.parametrize("est", ["cv", "minnorm-gram", "minnorm-svd"])
def test_path_of_a_2d_fit_holds_every_target(n, p, fit_intercept, est):
    # path_ of a 2-D fit: every output gains the target axis, and column t is the path_ of the fit on
    # y[:, t] alone (same eigendecomposition, no second one)
    import fastrisk as fr

    X, Y = _data(n, p, 3, seed=7 * n + p)
    make = {"cv": lambda: RidgePathCV(alphas=np.logspace(-2, 2, 9), fit_intercept=fit_intercept),
            "minnorm-gram": lambda: MinNormRegressor(fit_intercept=fit_intercept),
            "minnorm-svd": lambda: MinNormRegressor(fit_intercept=fit_intercept, method="svd")}[est]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", fr.IllConditionedWarning)
        both = make().fit(X, Y).path_
        ones = [make().fit(X, Y[:, t]).path_ for t in range(3)]
    design = fr.GaussianDesign(np.linspace(2.0, 0.5, p), np.eye(p)[0], noise=0.5)
    L = both.n_penalties
    assert both.multi_target and both.norm(2).shape == (L, 3)
    assert both.adversarial_risk(design, [0.1, 0.3], norm=np.inf).shape == (L, 2, 3)
    for t, one in enumerate(ones):
        np.testing.assert_allclose(both.norm(1)[:, t], one.norm(1), rtol=1e-9)
        np.testing.assert_allclose(both.standard_risk(design)[:, t], one.standard_risk(design), rtol=1e-8)
        np.testing.assert_allclose(both.coef()[..., t], one.coef(), rtol=1e-8, atol=1e-12)
