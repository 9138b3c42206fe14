"""Spectra presets and GaussianDesign sampling: values, reproducibility, block independence, moments."""

from __future__ import annotations

import math

import numpy as np
import pytest

import fastrisk as fr
from fastrisk import config, spectra


def test_presets_values():
    np.testing.assert_array_equal(spectra.isotropic(3, 2.0), [2.0, 2.0, 2.0])
    np.testing.assert_allclose(spectra.power_law(4, a=2.0), [1, 1 / 4, 1 / 9, 1 / 16])
    ref = [1 / math.log(2) ** 2, 1 / (2 * math.log(3) ** 2), 1 / (3 * math.log(4) ** 2)]
    np.testing.assert_allclose(spectra.bllt_log(3, beta=2.0), ref)
    np.testing.assert_array_equal(spectra.spiked(5, 2, 3.0, 0.1), [3, 3, 0.1, 0.1, 0.1])
    np.testing.assert_array_equal(spectra.two_level(4, 0.5, high=2.0, k=1), [2, 0.5, 0.5, 0.5])
    tl = spectra.two_level(1000, 0.01, tau=2.0)
    np.testing.assert_allclose(tl[:2], [math.exp(-0.5) + 0.01, math.exp(-1.0) + 0.01])
    # two-level reference: n = 100, p = 1000, n / tr(Sigma) = 8.7
    assert abs(100 / tl.sum() - 8.67) < 0.01
    for s in (spectra.power_law(50), spectra.bllt_log(50), tl):
        assert np.all(np.diff(s) <= 0)


def test_preset_bad_input():
    with pytest.raises(ValueError, match="exactly one of k"):
        spectra.two_level(10, 0.1)
    with pytest.raises(ValueError, match="n_spikes"):
        spectra.spiked(3, 5)
    with pytest.raises(ValueError, match="p must be >= 1"):
        spectra.isotropic(0)
    with pytest.raises(ValueError, match="scale"):
        spectra.power_law(5, scale=-1.0)


def test_tail_mass():
    p = 1000
    exact = sum(k**-2.0 for k in range(p + 1, 2_000_000))
    assert abs(spectra.tail_mass("power_law", p, a=2.0) - exact) < 1e-6
    assert spectra.tail_mass("bllt_log", p, beta=0.5) == math.inf
    assert 0 < spectra.tail_mass("bllt_log", p, beta=2.0) < 1.0


@pytest.mark.parametrize("block", [None, 1, 1024, 3000, 10**6])
def test_sample_independent_of_block_size(block):
    p = 2 * config.GEN_BLOCK + 37
    d = fr.GaussianDesign(spectra.power_law(p, 0.5), np.ones(p) / p, noise=0.3)
    X0, y0 = d.sample(17, seed=5)
    X, y = d.sample(17, seed=5, block=block)
    np.testing.assert_array_equal(X, X0)
    np.testing.assert_array_equal(y, y0)


def test_sample_reproducible_nested_and_seeded():
    d = fr.GaussianDesign(spectra.isotropic(50), np.zeros(50), noise=1.0)
    Xa, ya = d.sample(30, seed=1)
    Xb, _ = d.sample(30, seed=np.random.SeedSequence(1))
    Xc, _ = d.sample(30, seed=2)
    Xs, _ = d.sample(10, seed=1)
    np.testing.assert_array_equal(Xa, Xb)
    assert not np.allclose(Xa, Xc)
    np.testing.assert_array_equal(Xa[:10], Xs)
    X32, y32 = d.sample(30, seed=1, dtype=np.float32)
    assert X32.dtype == np.float32
    np.testing.assert_array_equal(X32, Xa.astype(np.float32))
    blocks = list(d.iter_blocks(30, seed=1, block=20))
    np.testing.assert_array_equal(np.concatenate([b for *_, b in blocks], axis=1), Xa)


def test_sample_moments_diagonal_and_full():
    rng = np.random.default_rng(0)
    p, n = 6, 200_000
    c = spectra.power_law(p, 1.0)
    ts = rng.standard_normal(p)
    d = fr.GaussianDesign(c, ts, noise=0.5)
    X, y = d.sample(n, seed=3)
    emp = X.T @ X / n
    se = np.sqrt((np.outer(c, c) + np.diag(c**2)) / n)  # sd of the empirical second moments
    assert np.all(np.abs(emp - np.diag(c)) <= 5 * se)
    resid = y - X @ ts
    assert abs(resid.var() - 0.25) < 5 * 0.25 * math.sqrt(2 / n)
    A = rng.standard_normal((p, p))
    S = A @ A.T / p
    df = fr.GaussianDesign(cov=S, theta_star=ts)
    Xf, yf = df.sample(n, seed=4)
    tol = 5 * np.sqrt(np.outer(np.diag(S), np.diag(S)) * 2 / n).max()
    np.testing.assert_allclose(Xf.T @ Xf / n, S, atol=tol)
    np.testing.assert_allclose(yf, Xf @ ts, rtol=1e-12)


def test_design_population_helpers():
    c = spectra.spiked(10, 2, 4.0, 0.5)
    ts = np.arange(10.0)
    d = fr.GaussianDesign(c, ts)
    assert d.trace == pytest.approx(c.sum())
    assert d.excess_risk(np.zeros(10)) == pytest.approx(float(c @ ts**2))
    np.testing.assert_allclose(d.spectrum, np.sort(c)[::-1])
    assert "p=10" in repr(d)


def test_design_bad_input():
    with pytest.raises(TypeError, match="exactly one of spectrum= or cov="):
        fr.GaussianDesign(np.ones(3), np.ones(3), cov=np.ones(3))
    with pytest.raises(TypeError, match="theta_star is required"):
        fr.GaussianDesign(np.ones(3))
    with pytest.raises(ValueError, match="theta_star must have shape"):
        fr.GaussianDesign(np.ones(3), np.ones(4))
    with pytest.raises(ValueError, match="noise must be"):
        fr.GaussianDesign(np.ones(3), np.ones(3), noise=-1.0)
    with pytest.raises(ValueError, match="non-negative"):
        fr.GaussianDesign(np.array([1.0, -1.0]), np.ones(2))
    with pytest.raises(ValueError, match="positive semi-definite"):
        fr.GaussianDesign(cov=np.array([[1.0, 2.0], [2.0, 1.0]]), theta_star=np.ones(2))
    with pytest.raises(ValueError, match="symmetric"):
        fr.GaussianDesign(cov=np.array([[1.0, 0.5], [0.0, 1.0]]), theta_star=np.ones(2))
    with pytest.raises(ValueError, match="NaN or inf"):
        fr.GaussianDesign(np.array([1.0, np.nan]), np.ones(2))
    d = fr.GaussianDesign(np.ones(3), np.ones(3))
    with pytest.raises(ValueError, match="n must be >= 1"):
        d.sample(0, seed=1)
    with pytest.raises(TypeError, match="seed"):
        d.sample(3, seed="x")
    with pytest.raises(ValueError, match="seed"):
        d.sample(3, seed=-4)
