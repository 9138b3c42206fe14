"""Bad input gets a ValueError/TypeError that names the argument, never a silent wrong number."""

from __future__ import annotations

import math

import numpy as np
import pytest

import fastrisk as fr
from fastrisk import risk, spectra


@pytest.fixture(scope="module")
def small():
    d = fr.GaussianDesign(spectra.isotropic(12), np.ones(12) / 12, noise=0.1)
    X, y = d.sample(5, seed=0)
    return d, X, y


@pytest.mark.parametrize("bad,match", [
    (np.nan, "X contains NaN or inf"),
    (np.inf, "X contains NaN or inf"),
])
def test_nonfinite_X(small, bad, match):
    _, X, y = small
    Xb = X.copy()
    Xb[1, 2] = bad
    with pytest.raises(ValueError, match=match):
        fr.RidgePath(Xb, y, 1.0)


def test_shapes_and_types(small):
    d, X, y = small
    with pytest.raises(ValueError, match="X is empty"):
        fr.RidgePath(np.zeros((0, 3)), np.zeros(0), 1.0)
    with pytest.raises(ValueError, match="X must be 2-D"):
        fr.RidgePath(np.ones(4), np.ones(4), 1.0)
    with pytest.raises(ValueError, match=r"y must have shape \(5,\)"):
        fr.RidgePath(X, y[:4], 1.0)
    with pytest.raises(ValueError, match="y contains NaN"):
        fr.RidgePath(X, np.r_[y[:4], np.nan], 1.0)
    with pytest.raises(TypeError, match="X must be a real numeric array"):
        fr.RidgePath(X.astype(complex), y, 1.0)
    with pytest.raises(ValueError, match="lam is empty"):
        fr.RidgePath(X, y, [])
    with pytest.raises(ValueError, match="lam contains NaN"):
        fr.RidgePath(X, y, [1.0, np.nan])
    with pytest.raises(ValueError, match="lam must be a scalar or a 1-D"):
        fr.RidgePath(X, y, np.ones((2, 2)))
    rp = fr.RidgePath(X, y, [0.0, 1.0])
    with pytest.raises(ValueError, match="X_new must have p=12"):
        rp.predict(np.ones((2, 11)))
    with pytest.raises(ValueError, match="X_test must have p=12"):
        rp.empirical_adversarial_risk(np.ones((2, 11)), np.ones(2), 0.1)
    with pytest.raises(ValueError, match="y_test must have shape"):
        rp.empirical_adversarial_risk(np.ones((2, 12)), np.ones(3), 0.1)
    with pytest.raises(ValueError, match="design has p=13"):
        rp.standard_risk(fr.GaussianDesign(np.ones(13), np.ones(13)))
    with pytest.raises(TypeError, match="design must be a fastrisk.GaussianDesign"):
        rp.standard_risk("nope")
    with pytest.raises(ValueError, match="index out of range"):
        rp.coef(index=[5])


def test_attack_arguments(small):
    d, X, y = small
    rp = fr.RidgePath(X, y, [0.0, 1.0])
    with pytest.raises(ValueError, match="eps must be >= 0"):
        rp.adversarial_risk(d, [-0.1])
    with pytest.raises(ValueError, match="eps contains NaN"):
        rp.adversarial_risk(d, [np.nan])
    with pytest.raises(ValueError, match="norm must be >= 1"):
        rp.adversarial_risk(d, 0.1, norm=0.5)
    with pytest.raises(TypeError, match="norm must be a real number"):
        rp.adversarial_risk(d, 0.1, norm="l2")
    with pytest.raises(ValueError, match="target must be one of"):
        rp.adversarial_risk(d, 0.1, target="robust")
    with pytest.raises(ValueError, match="consistent.*norm=2 only"):
        rp.adversarial_risk(d, 0.1, norm=math.inf, target="consistent")
    with pytest.raises(ValueError, match="q must be >= 1"):
        rp.norm(0.3)
    with pytest.raises(ValueError, match="noise must be"):
        risk.ground_truth_adversarial_risk(np.ones(3), 0.1, target="noisy", noise=-1)


def test_penalty_below_spectrum(small):
    _, X, y = small
    smin = np.linalg.eigvalsh(X @ X.T)[0]
    with pytest.raises(ValueError, match="smallest eigenvalue of X X"):
        fr.RidgePath(X, y, [1.0, -smin])


def test_ridge_path_risks_bad_cov(small):
    d, X, y = small
    with pytest.raises(ValueError, match="cov describes p=11"):
        fr.ridge_path_risks(X, y, 1.0, np.ones(11), np.ones(11), 0.1)
    with pytest.raises(ValueError, match="positive semi-definite"):
        fr.ridge_path_risks(X, y, 1.0, -np.eye(12), np.ones(12), 0.1)
    with pytest.raises(ValueError, match="noise must be"):
        fr.ridge_path_risks(X, y, 1.0, np.ones(12), np.ones(12), 0.1, noise=-0.1)


def test_from_gram_bad_input(small):
    _, X, y = small
    with pytest.raises(ValueError, match="side must be"):
        fr.RidgePath.from_gram(X @ X.T, y, 1.0, side="left")
    with pytest.raises(ValueError, match="gram must be symmetric"):
        fr.RidgePath.from_gram(np.triu(X @ X.T) + 1.0, y, 1.0)
    with pytest.raises(ValueError, match="gram must be a non-empty square"):
        fr.RidgePath.from_gram(np.ones((3, 4)), np.ones(3), 1.0)
    with pytest.raises(ValueError, match="does not match"):
        fr.RidgePath.from_gram(X @ X.T, y, 1.0, X=X.T)


@pytest.mark.filterwarnings("ignore:overflow encountered")
def test_gram_overflow_is_an_error_not_garbage():
    X = np.full((3, 4), 1e200)
    with pytest.raises(ValueError, match="Gram matrix has inf or NaN"):
        fr.RidgePath(X, np.ones(3), 1.0)
    with pytest.raises(ValueError, match="Gram matrix has inf or NaN"):
        fr.RidgePath(np.full((3, 4), 3e19, dtype=np.float32), np.ones(3), 1.0)


def test_from_gram_refuses_an_indefinite_gram():
    G = np.array([[0.0, 1.0], [1.0, 0.0]])
    with pytest.raises(ValueError, match="gram must be positive semi-definite"):
        fr.RidgePath.from_gram(G, np.ones(2), 2.0)
    # rounding-level negative eigenvalues of a genuine Gram are fine
    X = np.random.default_rng(0).standard_normal((6, 3))
    fr.RidgePath.from_gram(X @ X.T, np.ones(6), [0.0, 1.0])
