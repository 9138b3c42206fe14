"""scikit-learn estimators: scikit-learn's own checks, agreement with RidgeCV, leave-one-out against
refitting, sample weights as repetitions, the NTK kernel ridge against a direct solve, bad input."""

from __future__ import annotations

import json
import os
import pathlib
import subprocess
import sys

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.exceptions import NotFittedError
from sklearn.linear_model import RidgeCV
from sklearn.model_selection import GridSearchCV, cross_val_score
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from fastrisk.estimators import MinNormRegressor, NTKRidge, NTKRidgeCV, RidgePathCV
from fastrisk.ntk import KernelRidgePath, ntk_gram

from . import naive_estimators as naive
from . import naive_ntk

ROOT = pathlib.Path(__file__).resolve().parents[1]
SHAPES = [(30, 80), (80, 30), (40, 40)]  # n < p, n > p, n = p


def _data(n, p, seed=0, offset=3.0):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, p)) + offset * rng.standard_normal(p)
    y = X[:, 0] - 0.5 * X[:, 1] + rng.standard_normal(n) + 5.0
    return X, y


def _rel(a, b):
    return float(np.abs(a - b).max() / np.abs(b).max())


# ---------------------------------------------------------------------------------------------------
# scikit-learn's own estimator checks, every one, none skipped
# ---------------------------------------------------------------------------------------------------
_CHECK_SCRIPT = """
import json, sys, warnings
from sklearn.utils.estimator_checks import check_estimator
from fastrisk.estimators import MinNormRegressor, NTKRidge, NTKRidgeCV, RidgePathCV
est = eval(sys.argv[1])
with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    res = check_estimator(est, on_fail=None)
print(json.dumps([[r["check_name"], r["status"], str(r["exception"])[:400]] for r in res]))
"""


@pytest.mark.parametrize("est", [
    "MinNormRegressor()", "MinNormRegressor(fit_intercept=False)", "MinNormRegressor(method='svd')",
    "RidgePathCV()", "RidgePathCV(criterion='gcv', fit_intercept=False)",
    "RidgePathCV(alpha_per_target=True, scoring='neg_mean_squared_error')",
    "RidgePathCV(eps=0.1, alpha_per_target=True)", "RidgePathCV(eps=0.1, norm=float('inf'))",
    "RidgePathCV(store_cv_results=False, alpha_per_target=True)",
    "NTKRidge()", "NTKRidge(train='both', width=64, random_state=0)",
    "NTKRidgeCV()", "NTKRidgeCV(scoring='r2', alpha_per_target=True, fit_intercept=False)",
])
@pytest.mark.slow
def test_check_estimator_all_checks_pass(est):
    # In a subprocess with SCIPY_ARRAY_API=1 (it must be set before SciPy is imported), so that
    # scikit-learn's array-API check runs instead of being skipped.
    env = dict(os.environ, SCIPY_ARRAY_API="1",
               PYTHONPATH=os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")]))
    out = subprocess.run([sys.executable, "-c", _CHECK_SCRIPT, est], capture_output=True, text=True,
                         env=env, cwd=ROOT, timeout=900)
    assert out.returncode == 0, out.stderr[-3000:]
    res = json.loads(out.stdout.strip().splitlines()[-1])
    bad = [r for r in res if r[1] != "passed"]
    assert len(res) >= 50
    assert not bad, bad


# ---------------------------------------------------------------------------------------------------
# agreement with scikit-learn's RidgeCV
# ---------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("n,p", SHAPES)
@pytest.mark.parametrize("fit_intercept", [True, False])
@pytest.mark.parametrize("offset", [0.3, 3.0])  # column means small / large
def test_ridgepathcv_equals_ridgecv(n, p, fit_intercept, offset):
    X, y = _data(n, p, seed=n + p, offset=offset)
    alphas = np.logspace(-2, 3, 40) * (n if n > p else 1.0)
    ours = RidgePathCV(alphas=alphas, fit_intercept=fit_intercept).fit(X, y)
    ref = RidgeCV(alphas=alphas, fit_intercept=fit_intercept, store_cv_results=True).fit(X, y)
    sq = ours.cv_results_["squared_errors"]
    assert sq.shape == ref.cv_results_.shape == (n, alphas.size)
    assert _rel(sq, ref.cv_results_) < 1e-8
    np.testing.assert_allclose(ours.cv_results_["mean_squared_error"], ref.cv_results_.mean(axis=0),
                               rtol=1e-8)
    assert ours.alpha_ == ref.alpha_
    assert ours.best_score_ == pytest.approx(ref.best_score_, rel=1e-8)
    np.testing.assert_allclose(ours.coef_, ref.coef_, rtol=1e-8, atol=1e-10 * np.abs(ref.coef_).max())
    assert ours.intercept_ == pytest.approx(ref.intercept_, rel=1e-8, abs=1e-10)
    Xt, _ = _data(25, p, seed=99)
    np.testing.assert_allclose(ours.predict(Xt), ref.predict(Xt), rtol=1e-8, atol=1e-10)


@pytest.mark.parametrize("n,p", [(30, 80), (80, 20)])
@pytest.mark.parametrize("fit_intercept", [True, False])
def test_ridgepathcv_equals_ridgecv_rank_deficient(n, p, fit_intercept):
    # duplicated rows and columns: null directions of the Gram still get 1 / alpha in G^{-1}
    X, y = _data(n, p, seed=21, offset=0.0)
    X[5] = X[7] = X[4]
    X[:, 3] = X[:, 2]
    alphas = np.logspace(-3, 3, 30)
    ours = RidgePathCV(alphas=alphas, fit_intercept=fit_intercept).fit(X, y)
    ref = RidgeCV(alphas=alphas, fit_intercept=fit_intercept, store_cv_results=True).fit(X, y)
    assert _rel(ours.cv_results_["squared_errors"], ref.cv_results_) < 1e-8
    assert ours.alpha_ == ref.alpha_
    np.testing.assert_allclose(ours.predict(X), ref.predict(X), rtol=1e-8, atol=1e-10)


def test_ridgepathcv_weights_at_most_one_equal_ridgecv():
    # w_i <= 1: each sample's whole weight is left out, as RidgeCV does
    X, y = _data(30, 60, seed=3)
    w = np.random.default_rng(3).uniform(0.1, 1.0, 30)
    alphas = np.logspace(-2, 3, 30)
    ours = RidgePathCV(alphas=alphas).fit(X, y, sample_weight=w)
    ref = RidgeCV(alphas=alphas, store_cv_results=True).fit(X, y, sample_weight=w)
    assert _rel(ours.cv_results_["squared_errors"], ref.cv_results_) < 1e-8
    np.testing.assert_allclose(ours.coef_, ref.coef_, rtol=1e-8, atol=1e-12)


# ---------------------------------------------------------------------------------------------------
# leave-one-out and GCV against refitting (plain NumPy)
# ---------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("n,p", [(12, 25), (25, 8), (15, 15)])
@pytest.mark.parametrize("fit_intercept", [True, False])
@pytest.mark.parametrize("weighted", [False, True])
def test_loo_equals_refitting_without_each_sample(n, p, fit_intercept, weighted):
    X, y = _data(n, p, seed=7 * n + p)
    w = np.random.default_rng(n).choice([0.0, 0.4, 1.0, 2.0, 3.5], n) if weighted else None
    if weighted:
        w[0] = 1.0
    alphas = np.array([1e-2, 0.3, 5.0, 100.0])
    est = RidgePathCV(alphas=alphas, fit_intercept=fit_intercept).fit(X, y, sample_weight=w)
    for l, a in enumerate(alphas):
        ref = naive.loo_squared_errors(X, y, a, w, fit_intercept)
        np.testing.assert_allclose(est.cv_results_["squared_errors"][:, l], ref, rtol=1e-8,
                                   atol=1e-12 * ref.max())
        N = n if w is None else w.sum()
        assert est.cv_results_["mean_squared_error"][l] == pytest.approx(ref.sum() / N, rel=1e-8)
    theta, b = naive.ridge_fit(X, y, est.alpha_, w, fit_intercept)
    np.testing.assert_allclose(est.coef_, theta, rtol=1e-8, atol=1e-11)
    assert est.intercept_ == pytest.approx(b, rel=1e-8, abs=1e-11)


@settings(max_examples=25)
@given(n=st.integers(2, 12), p=st.integers(1, 18), fit_intercept=st.booleans(),
       weights=st.sampled_from([None, "int", "mixed"]), seed=st.integers(0, 2**16))
def test_loo_random_shapes_equal_refitting(n, p, fit_intercept, weights, seed):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, p)) + rng.standard_normal(p)
    y = rng.standard_normal(n)
    w = None
    if weights == "int":
        w = rng.integers(1, 4, n).astype(float)
    elif weights == "mixed":
        w = rng.choice([0.0, 0.5, 1.0, 2.5], n)
        w[:2] = [1.0, 2.0]
    alphas = np.array([0.05, 1.0, 30.0])
    est = RidgePathCV(alphas=alphas, fit_intercept=fit_intercept).fit(X, y, sample_weight=w)
    for l, a in enumerate(alphas):
        ref = naive.loo_squared_errors(X, y, a, w, fit_intercept)
        np.testing.assert_allclose(est.cv_results_["squared_errors"][:, l], ref, rtol=1e-7,
                                   atol=1e-10 * max(ref.max(), 1.0))


@pytest.mark.parametrize("n,p", [(12, 25), (25, 8)])
@pytest.mark.parametrize("fit_intercept", [True, False])
@pytest.mark.parametrize("weighted", [False, True])
def test_gcv_equals_explicit_hat_matrix(n, p, fit_intercept, weighted):
    X, y = _data(n, p, seed=n * p)
    w = np.random.default_rng(p).uniform(0.2, 3.0, n) if weighted else None
    alphas = np.array([1e-2, 0.3, 5.0, 100.0])
    est = RidgePathCV(alphas=alphas, fit_intercept=fit_intercept, criterion="gcv").fit(X, y, sample_weight=w)
    for l, a in enumerate(alphas):
        ref = naive.gcv_squared_errors(X, y, a, w, fit_intercept)
        np.testing.assert_allclose(est.cv_results_["squared_errors"][:, l], ref, rtol=1e-8,
                                   atol=1e-12 * ref.max())


def test_integer_weights_equal_repeated_samples():
    X, y = _data(20, 50, seed=11)
    w = np.random.default_rng(11).integers(0, 4, 20)
    w[0] = 2
    Xr, yr = X.repeat(w, axis=0), y.repeat(w)
    for criterion in ("loo", "gcv"):
        a = RidgePathCV(criterion=criterion).fit(X, y, sample_weight=w)
        b = RidgePathCV(criterion=criterion).fit(Xr, yr)
        np.testing.assert_allclose(a.cv_results_["alphas"], b.cv_results_["alphas"], rtol=1e-10)
        np.testing.assert_allclose(a.cv_results_["mean_squared_error"],
                                   b.cv_results_["mean_squared_error"], rtol=1e-7)
        assert a.alpha_ == pytest.approx(b.alpha_, rel=1e-10)
        np.testing.assert_allclose(a.coef_, b.coef_, rtol=1e-7, atol=1e-10)
    m1 = MinNormRegressor().fit(X, y, sample_weight=w)
    m2 = MinNormRegressor().fit(Xr, yr)
    np.testing.assert_allclose(m1.coef_, m2.coef_, rtol=1e-7, atol=1e-10)
    assert m1.intercept_ == pytest.approx(m2.intercept_, rel=1e-7)


def test_default_grid_and_attributes():
    X, y = _data(40, 100, seed=5)
    est = RidgePathCV().fit(X, y)
    Xc = X - X.mean(axis=0)
    alphas = est.cv_results_["alphas"]
    np.testing.assert_allclose(alphas, np.sum(Xc**2) * np.logspace(-7, 1, 100), rtol=1e-10)
    assert set(est.cv_results_) == {"alphas", "mean_squared_error", "mean_test_score", "squared_errors", "df"}
    best = int(np.argmin(est.cv_results_["mean_squared_error"]))
    assert est.alpha_ == alphas[best] and est.best_score_ == -est.cv_results_["mean_squared_error"][best]
    # the path is the centred problem's: its coefficients are coef_, its lam the grid
    np.testing.assert_allclose(est.path_.lam, alphas)
    np.testing.assert_allclose(est.path_.coef([best])[:, 0], est.coef_, rtol=1e-12)
    theta, _ = naive.ridge_fit(X, y, alphas[60])
    np.testing.assert_allclose(est.path_.coef([60])[:, 0], theta, rtol=1e-8, atol=1e-12)
    np.testing.assert_allclose(est.path_.norm(1)[60], np.abs(theta).sum(), rtol=1e-7)
    s = np.linalg.svd(Xc, compute_uv=False) ** 2
    np.testing.assert_allclose(est.cv_results_["df"], (s[:, None] / (s[:, None] + alphas)).sum(0),
                               rtol=1e-8)


def test_centring_survives_large_column_means():
    # an intercept model is translation invariant; centring the Gram afterwards would lose ~8 digits here
    X, y = _data(30, 90, seed=2, offset=0.0)
    shift = 1e4 * np.random.default_rng(2).standard_normal(90)
    alphas = np.logspace(-1, 2, 7)
    a = RidgePathCV(alphas=alphas).fit(X, y)
    b = RidgePathCV(alphas=alphas).fit(X + shift, y)
    np.testing.assert_allclose(b.cv_results_["squared_errors"], a.cv_results_["squared_errors"],
                               rtol=1e-6)
    np.testing.assert_allclose(b.coef_, a.coef_, rtol=1e-6, atol=1e-9)
    np.testing.assert_allclose(b.predict(X + shift), a.predict(X), rtol=1e-6)


# ---------------------------------------------------------------------------------------------------
# MinNormRegressor
# ---------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("n,p", SHAPES)
@pytest.mark.parametrize("fit_intercept", [True, False])
def test_min_norm_equals_pseudo_inverse(n, p, fit_intercept):
    X, y = _data(n, p, seed=n)
    w = np.random.default_rng(n).uniform(0.5, 2.0, n)
    for sw in (None, w):
        est = MinNormRegressor(fit_intercept=fit_intercept).fit(X, y, sample_weight=sw)
        theta, b = naive.ridge_fit(X, y, 0.0, sw, fit_intercept)
        np.testing.assert_allclose(est.coef_, theta, rtol=1e-7, atol=1e-9 * np.abs(theta).max())
        assert est.intercept_ == pytest.approx(b, rel=1e-7, abs=1e-9)
        rank = min(n - fit_intercept, p)
        assert est.rank_ == rank
        if n - fit_intercept <= p:  # interpolates
            np.testing.assert_allclose(est.predict(X), y, rtol=1e-7)


def test_min_norm_is_ridge_limit_and_rank_deficient():
    X, y = _data(20, 60, seed=4)
    X[:, 30:] = X[:, :30]  # rank-deficient columns
    X[5] = X[4]  # duplicated rows with different labels: no interpolation possible
    est = MinNormRegressor().fit(X, y)
    theta, b = naive.ridge_fit(X, y, 0.0)
    np.testing.assert_allclose(est.coef_, theta, rtol=1e-7, atol=1e-10)
    near = naive.ridge_fit(X, y, 1e-7)[0]  # ridge -> min-norm as alpha -> 0
    np.testing.assert_allclose(est.coef_, near, rtol=1e-4, atol=1e-6)
    assert est.rank_ == 18
    assert est.path_.lam.tolist() == [0.0]


# ---------------------------------------------------------------------------------------------------
# NTKRidge
# ---------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("train,mode", [("first", 0), ("second", 1), ("both", 2)])
@pytest.mark.parametrize("fit_intercept", [True, False])
@pytest.mark.parametrize("weighted", [False, True])
def test_ntk_ridge_equals_direct_solve(train, mode, fit_intercept, weighted):
    rng = np.random.default_rng(mode)
    X, y = rng.standard_normal((30, 6)), rng.standard_normal(30) + 2.0
    Xt = rng.standard_normal((11, 6))
    w = rng.uniform(0.3, 3.0, 30) if weighted else None
    for alpha in (0.0, 0.5, 20.0):
        est = NTKRidge(alpha=alpha, train=train, fit_intercept=fit_intercept).fit(X, y, sample_weight=w)
        K = naive_ntk.ntk_gram(X, mode=mode)
        fitted, beta, b = naive.kernel_ridge_fit(K, y, alpha, w, fit_intercept)
        np.testing.assert_allclose(est.predict(X), fitted, rtol=1e-7, atol=1e-8)
        Kt = naive_ntk.ntk_gram(Xt, X, mode=mode)
        np.testing.assert_allclose(est.predict(Xt), Kt @ beta + b, rtol=1e-6, atol=1e-7)


def test_ntk_ridge_without_intercept_is_kernel_ridge_path_and_finite_width_seeded():
    rng = np.random.default_rng(1)
    X, y, Xt = rng.standard_normal((25, 5)), rng.standard_normal(25), rng.standard_normal((7, 5))
    est = NTKRidge(alpha=0.3, fit_intercept=False).fit(X, y)
    path = KernelRidgePath(ntk_gram(X), y, 0.3)
    np.testing.assert_allclose(est.predict(Xt), path.predict(ntk_gram(Xt, X))[:, 0], rtol=1e-10)
    a = NTKRidge(alpha=0.3, width=200, random_state=7, fit_intercept=False).fit(X, y)
    path = KernelRidgePath(ntk_gram(X, width=200, seed=7), y, 0.3)
    np.testing.assert_allclose(a.predict(Xt), path.predict(ntk_gram(Xt, X, width=200, seed=7))[:, 0],
                               rtol=1e-10)
    b = NTKRidge(alpha=0.3, width=200, random_state=8, fit_intercept=False).fit(X, y)
    assert not np.allclose(a.predict(Xt), b.predict(Xt))
    assert a.init_seed_ == 7 and est.init_seed_ is None


def test_ntk_ridge_integer_weights_equal_repeated_samples():
    rng = np.random.default_rng(3)
    X, y = rng.standard_normal((15, 4)), rng.standard_normal(15)
    w = rng.integers(0, 4, 15)
    a = NTKRidge(alpha=0.7).fit(X, y, sample_weight=w)
    b = NTKRidge(alpha=0.7).fit(X.repeat(w, axis=0), y.repeat(w))
    np.testing.assert_allclose(a.predict(X), b.predict(X), rtol=1e-8)


# ---------------------------------------------------------------------------------------------------
# scikit-learn machinery
# ---------------------------------------------------------------------------------------------------
def test_pipeline_grid_search_cross_val_score():
    rng = np.random.default_rng(8)
    X = rng.standard_normal((60, 20)) + 2.0
    y = X @ rng.standard_normal(20) + 0.3 * rng.standard_normal(60)
    alphas = np.logspace(-2, 3, 20)
    pipe = make_pipeline(StandardScaler(), RidgePathCV(alphas=alphas))
    scores = cross_val_score(pipe, X, y, cv=3)
    ref = cross_val_score(make_pipeline(StandardScaler(), RidgeCV(alphas=alphas)), X, y, cv=3)
    np.testing.assert_allclose(scores, ref, rtol=1e-10)
    assert np.all(scores > 0.9)
    gs = GridSearchCV(NTKRidge(), {"alpha": [0.1, 1.0, 10.0], "train": ["first", "both"]}, cv=3).fit(X, y)
    assert gs.best_params_["alpha"] in (0.1, 1.0, 10.0) and gs.best_score_ > 0.5
    assert np.all(cross_val_score(MinNormRegressor(), X, y, cv=3) > 0.9)


# ---------------------------------------------------------------------------------------------------
# bad input
# ---------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("cls", [MinNormRegressor, RidgePathCV, NTKRidge, NTKRidgeCV])
def test_bad_data(cls):
    X, y = _data(10, 4, seed=0)
    est = cls()
    with pytest.raises(NotFittedError):
        est.predict(X)
    Xn = X.copy()
    Xn[2, 1] = np.nan
    with pytest.raises(ValueError, match="NaN"):
        cls().fit(Xn, y)
    Xi = X.copy()
    Xi[0, 0] = np.inf
    with pytest.raises(ValueError, match="infinity"):
        cls().fit(Xi, y)
    with pytest.raises(ValueError, match="NaN"):
        cls().fit(X, np.where(np.arange(10) == 3, np.nan, y))
    with pytest.raises(ValueError, match="inconsistent numbers of samples"):
        cls().fit(X, y[:-1])
    with pytest.raises(ValueError, match="2D array"):
        cls().fit(X[:, 0], y)
    with pytest.raises(ValueError, match="0 sample"):
        cls().fit(X[:0], y[:0])
    with pytest.raises(ValueError, match="0 feature"):
        cls().fit(X[:, :0], y)
    with pytest.raises(ValueError, match="[Nn]egative"):
        cls().fit(X, y, sample_weight=-np.ones(10))
    with pytest.raises(ValueError, match="zero"):
        cls().fit(X, y, sample_weight=np.zeros(10))
    est = cls().fit(X, y)
    with pytest.raises(ValueError, match="4 features"):
        est.predict(X[:, :3])
    with pytest.raises(ValueError, match="NaN"):
        est.predict(Xn)


def test_bad_parameters():
    X, y = _data(10, 4, seed=0)
    with pytest.raises(ValueError, match="1 sample"):
        RidgePathCV().fit(X[:1], y[:1])
    for bad in ([-1.0, 1.0], [0.0], [np.nan], [np.inf, 1.0], []):
        with pytest.raises(ValueError, match="alphas"):
            RidgePathCV(alphas=bad).fit(X, y)
    with pytest.raises(ValueError, match=r"got min\(alphas\) = -1\.0$"):  # a number, not np.float64(..)
        RidgePathCV(alphas=np.array([-1.0, 1.0])).fit(X, y)
    with pytest.raises(ValueError, match="alphas"):
        RidgePathCV(alphas=np.ones((2, 2))).fit(X, y)
    with pytest.raises(TypeError, match="alphas"):
        RidgePathCV(alphas="auto").fit(X, y)
    with pytest.raises(ValueError, match="scoring"):
        RidgePathCV(scoring="not_a_scorer").fit(X, y)
    with pytest.raises(ValueError, match="criterion"):
        RidgePathCV(criterion="kfold").fit(X, y)
    with pytest.raises(ValueError, match="criterion='gcv'"):
        RidgePathCV(criterion="gcv", scoring="r2").fit(X, y)
    with pytest.raises(ValueError, match="contradicts"):
        RidgePathCV(scoring="loo", criterion="gcv").fit(X, y)
    with pytest.raises(ValueError, match="eps"):
        RidgePathCV(eps=0.1, criterion="gcv").fit(X, y)
    with pytest.raises(ValueError, match="eps"):
        RidgePathCV(eps=0.1, scoring="r2").fit(X, y)
    for bad in (-0.1, np.nan, np.inf):
        with pytest.raises(ValueError, match="eps"):
            RidgePathCV(eps=bad).fit(X, y)
    with pytest.raises(TypeError, match="eps"):
        RidgePathCV(eps="0.1").fit(X, y)
    with pytest.raises(ValueError, match="norm"):
        RidgePathCV(eps=0.1, norm=0.5).fit(X, y)
    with pytest.raises(TypeError, match="alpha_per_target"):
        RidgePathCV(alpha_per_target="yes").fit(X, y)
    with pytest.raises(ValueError, match="method"):
        MinNormRegressor(method="qr").fit(X, y)
    with pytest.raises(ValueError, match="sample_weight leaves nothing"):
        RidgePathCV().fit(X, y, sample_weight=np.eye(10)[3])
    RidgePathCV(fit_intercept=False).fit(X, y, sample_weight=np.eye(10)[3])  # defined without it
    for cls in (MinNormRegressor, RidgePathCV, NTKRidge):
        with pytest.raises(TypeError, match="fit_intercept"):
            cls(fit_intercept="yes").fit(X, y)
    for bad in (-1.0, np.nan, np.inf):
        with pytest.raises(ValueError, match="alpha"):
            NTKRidge(alpha=bad).fit(X, y)
    with pytest.raises(TypeError, match="alpha"):
        NTKRidge(alpha="1").fit(X, y)
    with pytest.raises(ValueError, match="train"):
        NTKRidge(train="third").fit(X, y)
    with pytest.raises(ValueError, match="width"):
        NTKRidge(width=3).fit(X, y)
    # a single sample is fine where the estimator is defined
    assert MinNormRegressor().fit(X[:1], y[:1]).predict(X[:2]) == pytest.approx([y[0]] * 2)


# ---------------------------------------------------------------------------------------------------
# scikit-learn stays optional
# ---------------------------------------------------------------------------------------------------
def _run(code: str) -> subprocess.CompletedProcess:
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")]))
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, cwd=ROOT,
                          timeout=300)


def test_import_fastrisk_does_not_import_sklearn():
    out = _run("import sys, fastrisk; print('sklearn' in sys.modules)")
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "False"


@pytest.mark.slow
def test_estimators_without_sklearn_name_the_extra():
    out = _run("import sys; sys.modules['sklearn'] = None\n"
               "try:\n    import fastrisk.estimators\nexcept ImportError as e:\n    print('ERR', e)\n")
    assert out.returncode == 0, out.stderr
    assert "ERR" in out.stdout and "fastrisk[sklearn]" in out.stdout


def test_docstring_examples_run():
    import doctest

    import fastrisk.estimators._scoring as scoring
    import fastrisk.estimators.linear as linear
    import fastrisk.estimators.ntk as ntk

    for mod in (linear, ntk, scoring):
        res = doctest.testmod(mod, optionflags=doctest.ELLIPSIS)
        assert res.attempted > 0 and res.failed == 0, (mod.__name__, res)
