"""Fixes of issue 17: leave-one-out at every representable penalty (the intercept deflated exactly), no
centred copy of X, centring that survives large column offsets, warnings that name a remedy the
estimator can reach, the SVD route of MinNormRegressor, and path_ from the fit's own decomposition."""

from __future__ import annotations

import tracemalloc
import warnings

import numpy as np
import pytest

from fastrisk import IllConditionedWarning, RidgePath
from fastrisk.estimators import MinNormRegressor, NTKRidgeCV, RidgePathCV

from . import naive_estimators as naive

TINY = np.array([5e-324, 1e-310, 1e-300, 1e-200, 1e-100, 1e-30])


def _data(n, p, seed=0, offset=3.0, scale=1.0):
    rng = np.random.default_rng(seed)
    X = scale * rng.standard_normal((n, p)) + offset * rng.standard_normal(p)
    y = X[:, 0] / scale - 0.5 * X[:, 1] / scale + rng.standard_normal(n) + 5.0
    return X, y


@pytest.mark.parametrize("n,p", [(30, 80), (30, 29), (25, 25)])  # n < p, interpolation with n > p, n = p
@pytest.mark.parametrize("weighted", [False, True])
def test_loo_is_right_at_every_representable_alpha(n, p, weighted):
    # with an intercept and n - 1 <= p the fit interpolates as alpha -> 0; the leave-one-out errors
    # tend to those of the min-norm refits (alpha = 0, brute force), never to 0
    X, y = _data(n, p, seed=n + p)
    w = np.random.default_rng(n).choice([0.5, 1.0, 2.0, 3.0], n) if weighted else None
    N = n if w is None else w.sum()
    alphas = np.concatenate([TINY, [1.0, 1e300]])
    est = RidgePathCV(alphas=alphas).fit(X, y, sample_weight=w)
    mse = est.cv_results_["mean_squared_error"]
    ref0 = naive.loo_squared_errors(X, y, 0.0, w)
    for l in range(TINY.size):
        np.testing.assert_allclose(est.cv_results_["squared_errors"][:, l], ref0, rtol=1e-8,
                                   atol=1e-12 * ref0.max())
    assert mse[0] == pytest.approx(ref0.sum() / N, rel=1e-8) and mse[0] > 0.1
    ref1 = naive.loo_squared_errors(X, y, 1.0, w)
    assert mse[-2] == pytest.approx(ref1.sum() / N, rel=1e-7)
    # alpha -> inf: theta -> 0, each left-out sample is predicted by the (weighted) mean of the rest
    ww = np.ones(n) if w is None else w
    d = np.minimum(ww, 1.0)
    loo_mean = (ww @ y - d * y) / (ww.sum() - d)
    assert mse[-1] == pytest.approx(ww @ (y - loo_mean) ** 2 / N, rel=1e-8)
    assert est.alpha_ in (1.0, 1e300) or mse[list(alphas).index(est.alpha_)] == mse.min()


def test_tiny_alpha_is_not_chosen_for_its_rounding():
    # the defect: alpha <= 1e-30 used to score ~1e-28 and win; now it scores the interpolator's LOO error
    rng = np.random.default_rng(1)
    X = rng.standard_normal((30, 80)) + 3 * rng.standard_normal(80)
    y = X[:, 0] + rng.standard_normal(30) + 5
    est = RidgePathCV(alphas=[1e-300, 1e-30, 10.0, 100.0]).fit(X, y)
    assert est.alpha_ >= 10.0
    mse = est.cv_results_["mean_squared_error"]
    assert mse[0] == pytest.approx(naive.loo_squared_errors(X, y, 0.0).mean(), rel=1e-8) and mse[0] > 1.0


@pytest.mark.parametrize("fit_intercept", [True, False])
def test_ntk_ridge_cv_tiny_alpha(fit_intercept):
    rng = np.random.default_rng(2)
    X, y = rng.standard_normal((25, 4)), rng.standard_normal(25) + 1.0
    est = NTKRidgeCV(alphas=np.concatenate([TINY, [1e-10]]), fit_intercept=fit_intercept).fit(X, y)
    sq = est.cv_results_["squared_errors"]
    for l in range(1, TINY.size):
        np.testing.assert_allclose(sq[:, l], sq[:, -1], rtol=1e-4)  # alpha -> 0 limit, smooth
        np.testing.assert_allclose(sq[:, l], sq[:, 0], rtol=1e-12)
    assert sq.mean(axis=0).min() > 1e-3


def test_rank_deficient_design_names_the_smallest_alpha_it_can_honour():
    X, y = _data(20, 50, seed=4)
    X[5] = X[7] = X[4]  # duplicated rows, different labels: null directions beyond the intercept
    amin = None
    with pytest.raises(ValueError, match=r"alphas must be >= ([0-9.e+-]+) here") as info:
        RidgePathCV(alphas=[1e-300, 1.0]).fit(X, y)
    amin = float(info.value.args[0].split(">= ")[1].split(" ")[0])
    assert 0 < amin < 1e-3
    alphas = np.array([10 * amin, 1e-3, 1.0])
    est = RidgePathCV(alphas=alphas).fit(X, y)
    sq = est.cv_results_["squared_errors"]
    for l in (1, 2):
        ref = naive.loo_squared_errors(X, y, alphas[l])
        np.testing.assert_allclose(sq[:, l], ref, rtol=1e-8, atol=1e-12 * ref.max())
    # near the smallest honoured penalty the errors are still right (the naive refits lose ~1e-8 to
    # their own conditioning there), and they approach the alpha -> 0 limit of the min-norm refits
    ref = naive.loo_squared_errors(X, y, alphas[0])
    np.testing.assert_allclose(sq[:, 0], ref, rtol=1e-6, atol=1e-10 * ref.max())
    ref0 = naive.loo_squared_errors(X, y, 0.0)
    np.testing.assert_allclose(sq[:, 0], ref0, rtol=1e-2)


@pytest.mark.parametrize("offset", [1e4, 1e6])
@pytest.mark.parametrize("n,p", [(30, 90), (90, 30)])
def test_centring_block_by_block_survives_large_column_offsets(offset, n, p):
    # translation invariance: folding the means into the finished Gram would lose 1e-7 (1e4) to 1e-2
    # (1e6) of the smallest eigenvalue; centring each block before its product keeps them
    X, y = _data(n, p, seed=2, offset=0.0)
    shift = offset * (1.0 + np.random.default_rng(2).random(p))
    alphas = np.logspace(-2, 2, 9)
    a = RidgePathCV(alphas=alphas).fit(X, y)
    b = RidgePathCV(alphas=alphas).fit(X + shift, y)
    tol = 1e-9 * offset  # the input itself carries eps * offset of rounding
    np.testing.assert_allclose(b.path_.eigenvalues[-10:], a.path_.eigenvalues[-10:], rtol=tol)
    np.testing.assert_allclose(b.cv_results_["squared_errors"], a.cv_results_["squared_errors"], rtol=tol)
    np.testing.assert_allclose(b.coef_, a.coef_, rtol=tol, atol=tol * np.abs(a.coef_).max())
    np.testing.assert_allclose(b.predict(X + shift), a.predict(X), rtol=tol)
    m0, m1 = MinNormRegressor().fit(X, y), MinNormRegressor().fit(X + shift, y)
    np.testing.assert_allclose(m1.coef_, m0.coef_, rtol=tol, atol=tol * np.abs(m0.coef_).max())


def test_no_centred_copy_of_X():
    # the intercept costs one block of columns, not a copy of X (X is 80 MB here, a block 32 MB)
    rng = np.random.default_rng(3)
    X = rng.standard_normal((200, 50_000)) + 1.0
    y = X[:, 0] + rng.standard_normal(200)
    RidgePathCV(alphas=[1.0, 2.0]).fit(X[:20, :100], y[:20])
    tracemalloc.start()
    base = tracemalloc.get_traced_memory()[0]
    est = RidgePathCV(alphas=np.logspace(0, 4, 50)).fit(X, y)
    peak = tracemalloc.get_traced_memory()[1] - base
    tracemalloc.stop()
    assert peak < 0.5 * X.nbytes, (peak / 2**20, X.nbytes / 2**20)
    Xc = X - X.mean(axis=0)
    theta = Xc.T @ np.linalg.solve(Xc @ Xc.T + est.alpha_ * np.eye(200), y - y.mean())
    np.testing.assert_allclose(est.coef_, theta, rtol=1e-8, atol=1e-12 * np.abs(theta).max())


def test_min_norm_ill_conditioned_warns_with_a_reachable_remedy_and_svd_is_exact():
    rng = np.random.default_rng(5)
    n, p = 30, 60
    Q1, _ = np.linalg.qr(rng.standard_normal((n, n)))
    Q2, _ = np.linalg.qr(rng.standard_normal((p, n)))
    X = (Q1 * np.logspace(0, -7, n)) @ Q2.T  # cond(X) = 1e7
    y = rng.standard_normal(n)
    with pytest.warns(IllConditionedWarning, match=r"MinNormRegressor\(method='svd'\)"):
        MinNormRegressor(fit_intercept=False).fit(X, y)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        est = MinNormRegressor(fit_intercept=False, method="svd").fit(X, y)
    want = np.linalg.lstsq(X, y, rcond=None)[0]
    np.testing.assert_allclose(est.coef_, want, rtol=1e-6)
    np.testing.assert_allclose(est.predict(X), y, rtol=1e-7, atol=1e-8)  # interpolates
    assert est.rank_ == n
    # with an intercept: the pseudo-inverse of the centred design
    est = MinNormRegressor(method="svd").fit(X + 2.0, y)
    Xc = X - X.mean(axis=0)
    want = np.linalg.lstsq(Xc, y - y.mean(), rcond=None)[0]
    np.testing.assert_allclose(est.coef_, want, rtol=1e-5, atol=1e-8 * np.abs(want).max())
    np.testing.assert_allclose(est.predict(X + 2.0), y, rtol=1e-7, atol=1e-8)
    assert est.path_.lam.tolist() == [0.0]
    np.testing.assert_allclose(est.path_.coef()[:, 0], est.coef_, rtol=1e-10, atol=1e-14 * np.abs(want).max())


def test_ridge_path_cv_warning_names_alphas_that_silence_it():
    rng = np.random.default_rng(6)
    n, p = 30, 60
    Q1, _ = np.linalg.qr(rng.standard_normal((n, n)))
    Q2, _ = np.linalg.qr(rng.standard_normal((p, n)))
    X = (Q1 * np.logspace(0, -6, n)) @ Q2.T  # cond(X) = 1e6: full rank, but beyond the Gram route
    y = rng.standard_normal(n)
    with pytest.warns(IllConditionedWarning, match=r"use alphas >= ([0-9.e+-]+)") as rec:
        RidgePathCV(alphas=[1e-20, 1.0], fit_intercept=False).fit(X, y)
    msg = str(rec[0].message)
    a = float(msg.split("use alphas >= ")[1].split()[0].rstrip(";,."))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        RidgePathCV(alphas=[1.01 * a, 1.0], fit_intercept=False).fit(X, y)


@pytest.mark.parametrize("n,p", [(25, 70), (70, 25)])
@pytest.mark.parametrize("weighted", [False, True])
def test_path_is_the_fitted_problem_without_a_second_eigh(n, p, weighted):
    X, y = _data(n, p, seed=n)
    w = np.random.default_rng(p).uniform(0.5, 2.0, n) if weighted else None
    alphas = np.logspace(-1, 3, 12)
    est = RidgePathCV(alphas=alphas).fit(X, y, sample_weight=w)
    ww = np.ones(n) if w is None else w
    xm, ym = ww @ X / ww.sum(), ww @ y / ww.sum()
    Xw, yw = np.sqrt(ww)[:, None] * (X - xm), np.sqrt(ww) * (y - ym)
    ref = RidgePath(Xw, yw, alphas)
    path = est.path_
    assert path is est.path_  # built once
    np.testing.assert_allclose(path.lam, alphas)
    best = int(np.flatnonzero(alphas == est.alpha_)[0])
    np.testing.assert_allclose(path.coef([best])[:, 0], est.coef_, rtol=1e-10, atol=1e-13)
    np.testing.assert_allclose(path.coef(), ref.coef(), rtol=1e-8, atol=1e-11 * np.abs(ref.coef()).max())
    np.testing.assert_allclose(path.norm(1), ref.norm(1), rtol=1e-8)
    np.testing.assert_allclose(path.norm(2), ref.norm(2), rtol=1e-8)
    np.testing.assert_allclose(path.df(), est.cv_results_["df"], rtol=1e-10)
    Xt = np.random.default_rng(0).standard_normal((5, p))
    np.testing.assert_allclose(path.predict(Xt - xm), ref.predict(Xt - xm), rtol=1e-8, atol=1e-10)


def test_path_of_2d_y_carries_the_target_axis():
    # (path_ of a 2-D fit against one-column fits: tests/test_estimators_multi.py)
    X, y = _data(20, 40, seed=1)
    est = RidgePathCV(alphas=[1.0, 10.0]).fit(X, np.stack([y, -y], axis=1))
    assert est.path_.norm(2).shape == (2, 2)
    np.testing.assert_allclose(est.path_.norm(1)[:, 0], est.path_.norm(1)[:, 1], rtol=1e-12)
    assert not hasattr(RidgePathCV(), "path_")


@pytest.mark.parametrize("n,p", [(30, 120), (120, 30)])
@pytest.mark.parametrize("full_cov", [False, True])
def test_path_risks_equal_those_of_an_explicitly_centred_copy(n, p, full_cov):
    # path_ reads X through a centred feature source; every risk and pass must equal a RidgePath
    # built on the centred, rescaled copy
    import fastrisk as fr
    from fastrisk.ridge._features import CentredFeatures

    rng = np.random.default_rng(n)
    X = rng.standard_normal((n, p)) + 50.0 * rng.standard_normal(p)
    y = X[:, 0] - X[:, 1] + rng.standard_normal(n)
    w = rng.uniform(0.5, 2.0, n)
    theta_star = np.zeros(p)
    theta_star[:2] = [1.0, -1.0]
    if full_cov:
        A = rng.standard_normal((p, p)) / np.sqrt(p)
        design = fr.GaussianDesign(cov=A @ A.T + 0.5 * np.eye(p), theta_star=theta_star, noise=1.0)
    else:
        design = fr.GaussianDesign(np.linspace(0.2, 2.0, p), theta_star, noise=1.0)
    alphas = np.logspace(-1, 3, 7)
    est = RidgePathCV(alphas=alphas).fit(X, y, sample_weight=w)
    xm, ym = w @ X / w.sum(), w @ y / w.sum()
    Xw, yw = np.sqrt(w)[:, None] * (X - xm), np.sqrt(w) * (y - ym)
    ref = RidgePath(Xw, yw, alphas)
    path = est.path_
    np.testing.assert_allclose(path.standard_risk(design), ref.standard_risk(design), rtol=1e-7)
    for norm in (2, np.inf):
        np.testing.assert_allclose(path.adversarial_risk(design, [0.1, 0.5], norm=norm),
                                   ref.adversarial_risk(design, [0.1, 0.5], norm=norm), rtol=1e-7)
    np.testing.assert_allclose(path.norm(1), ref.norm(1), rtol=1e-8)
    Xt = rng.standard_normal((9, p))
    yt = Xt @ theta_star
    np.testing.assert_allclose(path.empirical_adversarial_risk(Xt, yt, [0.2], norm=np.inf),
                               ref.empirical_adversarial_risk(Xt, yt, [0.2], norm=np.inf), rtol=1e-7)
    # the feature source's products against the explicit copy (its plain-NumPy twin)
    f = CentredFeatures(X, xm, np.sqrt(w))
    V = rng.standard_normal((p, 3))
    v = rng.standard_normal(n)
    np.testing.assert_allclose(f.x_times(V), Xw @ V, rtol=1e-9, atol=1e-9 * np.abs(Xw @ V).max())
    np.testing.assert_allclose(f.xt_times(v), Xw.T @ v, rtol=1e-9, atol=1e-9 * np.abs(Xw.T @ v).max())
    np.testing.assert_allclose(f.cols(np.array([3, 0, 7]), ""), Xw[:, [3, 0, 7]], rtol=1e-12)
    np.testing.assert_allclose(f.times_rows(Xt), Xw @ Xt.T, rtol=1e-9, atol=1e-9 * np.abs(Xw @ Xt.T).max())
    cov = design.cov
    want = Xw @ (cov @ Xw.T if cov.ndim == 2 else cov[:, None] * Xw.T)
    np.testing.assert_allclose(f.sigma_gram(cov, 1.0, 1.0), want, rtol=1e-9, atol=1e-10 * np.abs(want).max())
    blocks = np.hstack([b for _, _, b in f.blocks("", 7)])
    np.testing.assert_allclose(blocks, Xw, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("weighted", [False, True])
def test_gram_folds_small_means_and_centres_large_ones(monkeypatch, weighted):
    # blocks of 64 columns: ordinary blocks are folded (one uncentred product, means folded in at
    # the end), the block with offsets 1e6 is centred before its product; both against the explicit
    # centred Gram, and the smallest eigenvalues against the offset-free design
    from fastrisk import config
    from fastrisk.estimators import _decompose
    from fastrisk.estimators._base import Centred

    n, p = 30, 300
    monkeypatch.setattr(config, "BLOCK_BYTES", 8 * n * 64)
    rng = np.random.default_rng(7)
    X0 = rng.standard_normal((n, p))
    shift = np.zeros(p)
    shift[64:128] = 1e6 * (1.0 + rng.random(64))
    shift[200:] = rng.standard_normal(100)  # means of the order of the spread: folded
    X = X0 + shift
    y = X0[:, 0] + rng.standard_normal(n)
    w = rng.uniform(0.5, 2.0, n) if weighted else None
    cen = Centred(X, y[:, None], w, True)
    ww = np.ones(n) if w is None else w
    Xw = np.sqrt(ww)[:, None] * (X - cen.x_off)
    calls = []
    real = np.matmul
    monkeypatch.setattr(_decompose.np, "matmul", lambda a, b, **kw: calls.append(a.shape) or real(a, b, **kw))
    K = _decompose.dual_gram(X, cen)
    assert len(calls) == 5  # one product per block, 64 columns each (the last 44)
    want = Xw @ Xw.T
    np.testing.assert_allclose(K, want, rtol=0, atol=1e-9 * np.abs(want).max())
    cen0 = Centred(X0, y[:, None], w, True)
    K0 = _decompose.dual_gram(X0, cen0)
    s, s0 = np.linalg.eigvalsh(K), np.linalg.eigvalsh(K0)
    np.testing.assert_allclose(s[1:], s0[1:], rtol=1e-8)  # s[0] is the intercept's zero
    # folding the 1e6 block too would lose the small eigenvalues
    monkeypatch.setattr(_decompose, "FOLD_RATIO", 1e30)
    bad = np.linalg.eigvalsh(_decompose.dual_gram(X, cen))
    assert np.abs(bad[1:5] - s0[1:5]).max() > 1e-3 * s0[1]
