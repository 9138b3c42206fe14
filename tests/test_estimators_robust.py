"""Robust model selection: the exact leave-one-out adversarial loss of RidgePathCV(eps=) against
refitting without each sample and attacking it; the adversarial scorer in scikit-learn's model
selection; NTKRidgeCV's leave-one-out against refits."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.linear_model import Ridge
from sklearn.model_selection import GridSearchCV, KFold, LeaveOneOut, cross_val_score
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from fastrisk.estimators import MinNormRegressor, NTKRidge, NTKRidgeCV, RidgePathCV, adversarial_scorer
from fastrisk.ntk import ntk_gram

from . import naive_estimators as naive
from . import naive_ntk

NORMS = [(2, 2.0), (np.inf, 1.0), (1, np.inf), (3, 1.5)]  # attack norm p, dual q


def _data(n, p, seed=0, offset=2.0):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, p)) + offset * rng.standard_normal(p)
    y = X[:, 0] - 0.5 * X[:, 1] + rng.standard_normal(n) + 3.0
    return X, y


@pytest.mark.parametrize("n,p", [(15, 40), (40, 12), (20, 20)])
@pytest.mark.parametrize("fit_intercept", [True, False])
@pytest.mark.parametrize("norm,q", NORMS)
def test_loo_adversarial_loss_equals_brute_force(n, p, fit_intercept, norm, q):
    X, y = _data(n, p, seed=3 * n + p)
    alphas = np.array([1e-2, 0.3, 5.0, 100.0])
    eps = 0.3
    est = RidgePathCV(alphas=alphas, fit_intercept=fit_intercept, eps=eps, norm=norm).fit(X, y)
    adv = est.cv_results_["adversarial_loss"]
    assert adv.shape == (n, alphas.size)
    for l, a in enumerate(alphas):
        ref = naive.loo_adversarial_losses(X, y, a, eps, q, None, fit_intercept)
        np.testing.assert_allclose(adv[:, l], ref, rtol=1e-8, atol=1e-12 * ref.max())
    mean = est.cv_results_["mean_adversarial_loss"]
    np.testing.assert_allclose(mean, adv.mean(axis=0), rtol=1e-12)
    best = int(np.argmin(mean))
    assert est.alpha_ == alphas[best] and est.best_score_ == -mean[best]
    np.testing.assert_array_equal(est.cv_results_["mean_test_score"], -mean)
    theta, b = naive.ridge_fit(X, y, est.alpha_, None, fit_intercept)
    np.testing.assert_allclose(est.coef_, theta, rtol=1e-8, atol=1e-11)


@pytest.mark.parametrize("n,p", [(14, 30), (30, 9)])
@pytest.mark.parametrize("norm,q", [(2, 2.0), (np.inf, 1.0)])
def test_loo_adversarial_loss_with_weights_equals_brute_force(n, p, norm, q):
    X, y = _data(n, p, seed=n)
    w = np.random.default_rng(p).choice([0.0, 0.4, 1.0, 2.0, 3.5], n)
    w[:2] = [1.0, 2.0]
    alphas = np.array([0.05, 1.0, 30.0])
    est = RidgePathCV(alphas=alphas, eps=0.2, norm=norm).fit(X, y, sample_weight=w)
    for l, a in enumerate(alphas):
        ref = naive.loo_adversarial_losses(X, y, a, 0.2, q, w)
        np.testing.assert_allclose(est.cv_results_["adversarial_loss"][:, l], ref, rtol=1e-8,
                                   atol=1e-12 * ref.max())
        assert est.cv_results_["mean_adversarial_loss"][l] == pytest.approx(ref.sum() / w.sum(), rel=1e-8)


def test_loo_adversarial_loss_equals_sklearn_leave_one_out_with_the_scorer():
    # independent of our twins: scikit-learn refits Ridge without each sample, the scorer attacks it
    X, y = _data(25, 60, seed=4)
    alphas = np.array([0.1, 3.0, 50.0])
    for norm in (2, np.inf):
        est = RidgePathCV(alphas=alphas, eps=0.25, norm=norm).fit(X, y)
        for l, a in enumerate(alphas):
            s = cross_val_score(Ridge(alpha=a), X, y, cv=LeaveOneOut(),
                                scoring=adversarial_scorer(0.25, norm=norm))
            assert -s.mean() == pytest.approx(est.cv_results_["mean_adversarial_loss"][l], rel=1e-8)


def test_eps_zero_is_the_plain_criterion_and_2d_y_is_per_column():
    X, Y = _data(30, 70, seed=5)[0], np.random.default_rng(5).standard_normal((30, 3))
    Y[:, 0] += X[:, 0]
    alphas = np.logspace(-2, 3, 25)
    a = RidgePathCV(alphas=alphas, eps=0.0).fit(X, Y[:, 0])
    b = RidgePathCV(alphas=alphas).fit(X, Y[:, 0])
    np.testing.assert_allclose(a.cv_results_["adversarial_loss"], b.cv_results_["squared_errors"], rtol=1e-12)
    assert a.alpha_ == b.alpha_
    multi = RidgePathCV(alphas=alphas, eps=0.4, alpha_per_target=True).fit(X, Y)
    assert multi.cv_results_["adversarial_loss"].shape == (30, 3, 25)
    for t in range(3):
        one = RidgePathCV(alphas=alphas, eps=0.4).fit(X, Y[:, t])
        assert multi.alpha_[t] == one.alpha_
        np.testing.assert_allclose(multi.cv_results_["adversarial_loss"][:, t],
                                   one.cv_results_["adversarial_loss"], rtol=1e-10)


def test_attack_pushes_the_choice_to_more_shrinkage():
    # the adversarial loss adds eps ||theta||: the chosen penalty grows with eps (fixed seed, checked)
    rng = np.random.default_rng(11)
    X = rng.standard_normal((60, 300))
    y = X[:, :5] @ np.ones(5) + rng.standard_normal(60)
    alphas = np.logspace(-1, 4, 60)
    chosen = [RidgePathCV(alphas=alphas, eps=e).fit(X, y).alpha_ for e in (0.0, 0.1, 0.3, 1.0)]
    assert chosen == sorted(chosen) and chosen[-1] > 5 * chosen[0]


# ---------------------------------------------------------------------------------------------------
# adversarial_scorer
# ---------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("norm,q", NORMS)
def test_adversarial_scorer_is_the_exact_inner_max(norm, q):
    X, y = _data(50, 8, seed=6)
    Xt, yt = _data(20, 8, seed=7)
    est = Ridge(alpha=2.0).fit(X, y)
    r = yt - est.predict(Xt)
    want = np.mean((np.abs(r) + 0.3 * naive.dual_norm(est.coef_, q)) ** 2)
    assert adversarial_scorer(0.3, norm=norm)(est, Xt, yt) == pytest.approx(-want, rel=1e-12)
    # brute force on each point: a vertex / direction of the ball is the worst perturbation
    theta = est.coef_
    worst = []
    for x, yy in zip(Xt, yt, strict=True):
        res = yy - est.predict(x[None])[0]
        if norm == 2:
            d = -np.sign(res) * theta / np.linalg.norm(theta)
        elif np.isinf(norm):
            d = -np.sign(res) * np.sign(theta)
        elif norm == 1:
            d = np.zeros_like(theta)
            j = int(np.argmax(np.abs(theta)))
            d[j] = -np.sign(res) * np.sign(theta[j])
        else:  # Hoelder's equality case for ||.||_p
            d = -np.sign(res) * np.sign(theta) * np.abs(theta) ** (q - 1)
            d /= np.sum(np.abs(d) ** norm) ** (1 / norm)
        worst.append((yy - est.predict((x + 0.3 * d)[None])[0]) ** 2)
    assert np.mean(worst) == pytest.approx(want, rel=1e-10)


def test_adversarial_scorer_zero_radius_is_neg_mse_and_weights():
    X, y = _data(40, 6, seed=8)
    est = Ridge().fit(X, y)
    from sklearn.metrics import get_scorer

    mse = get_scorer("neg_mean_squared_error")(est, X, y)
    assert adversarial_scorer(0.0)(est, X, y) == pytest.approx(mse)
    w = np.random.default_rng(0).integers(1, 4, 40)
    s = adversarial_scorer(0.5, norm=np.inf)
    assert s(est, X, y, sample_weight=w) == pytest.approx(s(est, X.repeat(w, axis=0), y.repeat(w)), rel=1e-12)


def test_adversarial_scorer_probes_pipelines_in_the_raw_input_space():
    X, y = _data(60, 12, seed=9, offset=5.0)
    X *= np.random.default_rng(9).uniform(0.1, 10.0, 12)
    pipe = make_pipeline(StandardScaler(), RidgePathCV(alphas=np.logspace(-2, 2, 10))).fit(X, y)
    sc = pipe[0]
    a = pipe[-1].coef_ / sc.scale_  # the input gradient of the whole pipeline
    r = y - pipe.predict(X)
    want = np.mean((np.abs(r) + 0.2 * np.abs(a).sum()) ** 2)
    assert adversarial_scorer(0.2, norm=np.inf)(pipe, X, y) == pytest.approx(-want, rel=1e-9)
    # 2-D y: one gradient per target, the loss averaged over points and targets
    Y = np.stack([y, -2 * y + X[:, 3]], axis=1)
    m = MinNormRegressor().fit(X[:, :5], Y)
    R = Y - m.predict(X[:, :5])
    want = np.mean((np.abs(R) + 0.2 * np.linalg.norm(m.coef_, axis=1)[None, :]) ** 2)
    assert adversarial_scorer(0.2)(m, X[:, :5], Y) == pytest.approx(-want, rel=1e-12)


def test_adversarial_scorer_in_grid_search_and_refuses_non_affine_models():
    X, y = _data(80, 10, seed=10)
    scorer = adversarial_scorer(0.5, norm=np.inf)
    grid = {"alpha": [0.01, 1.0, 30.0, 300.0, 3000.0]}
    gs = GridSearchCV(Ridge(), grid, scoring=scorer, cv=KFold(4)).fit(X, y)
    manual = [cross_val_score(Ridge(alpha=a), X, y, scoring=scorer, cv=KFold(4)).mean()
              for a in grid["alpha"]]
    assert gs.best_params_["alpha"] == grid["alpha"][int(np.argmax(manual))]
    np.testing.assert_allclose(gs.cv_results_["mean_test_score"], manual, rtol=1e-12)
    plain = GridSearchCV(Ridge(), grid, cv=KFold(4), scoring="neg_mean_squared_error").fit(X, y)
    assert gs.best_params_["alpha"] >= plain.best_params_["alpha"]
    with pytest.raises(ValueError, match="affine"):
        scorer(NTKRidge().fit(X, y), X, y)
    with pytest.raises(ValueError, match="eps"):
        adversarial_scorer(-1.0)
    with pytest.raises(ValueError, match="norm"):
        adversarial_scorer(0.1, norm=0.5)
    assert "adversarial_scorer(eps=0.5" in repr(scorer)


# ---------------------------------------------------------------------------------------------------
# NTKRidgeCV: exact leave-one-out from one eigendecomposition of the NTK Gram
# ---------------------------------------------------------------------------------------------------
def _kernel_ridge_pd(K, y, alpha, w, intercept):
    """Kernel ridge for a positive definite K: the stationarity equations divided by K,
    ``(W K + alpha I) beta + b W 1 = W y``, ``1^T W K beta + b 1^T W 1 = 1^T W y`` (no squared
    conditioning, unlike the general least-squares twin)."""
    n = K.shape[0]
    WK = w[:, None] * K + alpha * np.eye(n)
    if not intercept:
        return np.linalg.solve(WK, w * y), 0.0
    M = np.block([[WK, w[:, None]], [(w @ K)[None, :], np.array([[w.sum()]])]])
    sol = np.linalg.solve(M, np.concatenate([w * y, [w @ y]]))
    return sol[:-1], sol[-1]


@pytest.mark.parametrize("train,mode", [("first", 0), ("both", 2)])
@pytest.mark.parametrize("fit_intercept", [True, False])
@pytest.mark.parametrize("weighted", [False, True])
def test_ntk_ridge_cv_equals_refitting(train, mode, fit_intercept, weighted):
    rng = np.random.default_rng(mode + 3)
    X, y = rng.standard_normal((18, 5)), rng.standard_normal(18) + 1.5
    w = rng.choice([0.0, 0.5, 1.0, 2.0], 18) if weighted else None
    if weighted:
        w[:2] = [1.0, 2.0]
    alphas = np.array([1e-2, 0.3, 5.0])
    est = NTKRidgeCV(alphas=alphas, train=train, fit_intercept=fit_intercept).fit(X, y, sample_weight=w)
    K = ntk_gram(X, train=train)  # the kernel has its own twin (test_ntk_gram); this checks the LOO
    assert np.abs(K - naive_ntk.ntk_gram(X, mode=mode)).max() < 1e-7 * np.abs(K).max()
    ww = np.ones(18) if w is None else w
    for l, a in enumerate(alphas):
        ref = np.zeros(18)
        for i in range(18):
            if ww[i] == 0:
                continue
            wi = ww.copy()
            wi[i] -= min(ww[i], 1.0)
            beta, b = _kernel_ridge_pd(K, y, a, wi, fit_intercept)
            ref[i] = ww[i] * (y[i] - K[i] @ beta - b) ** 2
        np.testing.assert_allclose(est.cv_results_["squared_errors"][:, l], ref, rtol=1e-9, atol=1e-13)
    one = NTKRidge(alpha=est.alpha_, train=train, fit_intercept=fit_intercept).fit(X, y, sample_weight=w)
    np.testing.assert_allclose(est.predict(X), one.predict(X), rtol=1e-10, atol=1e-12)


def test_ntk_ridge_cv_equals_grid_search_over_refits():
    rng = np.random.default_rng(12)
    X = rng.standard_normal((30, 4))
    y = np.sin(2 * X[:, 0]) + 0.2 * rng.standard_normal(30)
    alphas = np.logspace(-3, 1, 9)
    cv = NTKRidgeCV(alphas=alphas).fit(X, y)
    gs = GridSearchCV(NTKRidge(), {"alpha": list(alphas)}, cv=LeaveOneOut(),
                      scoring="neg_mean_squared_error").fit(X, y)
    assert cv.alpha_ == gs.best_params_["alpha"]
    np.testing.assert_allclose(cv.cv_results_["mean_test_score"], gs.cv_results_["mean_test_score"],
                               rtol=1e-8)
