"""``from_design(dtype=float32)`` folds the same rounded numbers as ``RidgePath`` on
``design.sample(..., dtype=float32)`` (issue 7, item 5): the risk statistics come from the rounded X
the path is built on, not from the float64 draw."""

from __future__ import annotations

import numpy as np
import pytest

import fastrisk as fr
from fastrisk import spectra


@pytest.mark.parametrize("kind", ["power", "spiked", "iso"])
@pytest.mark.parametrize("noise", [0.0, 0.5])
def test_float32_stream_matches_float32_sample(kind, noise):
    p, n = 3000, 40
    rng = np.random.default_rng(5)
    cov = {"power": spectra.power_law(p, a=0.7), "spiked": spectra.spiked(p, 5, spike=2.0, tail=0.2),
           "iso": spectra.isotropic(p)}[kind]
    D = fr.GaussianDesign(cov, rng.standard_normal(p) / np.sqrt(p), noise=noise)
    lam = np.array([0.0, 1e-2, 1.0, 30.0])
    st = fr.RidgePath.from_design(D, n, lam, seed=9, dtype=np.float32)
    X, y = D.sample(n, seed=9, dtype=np.float32)
    dense = fr.RidgePath(X, y, lam)
    r_st, r_dense = st.standard_risk(D), dense.standard_risk(D)
    d64 = fr.RidgePath(*D.sample(n, seed=9), lam).standard_risk(D)
    if kind != "power":  # Sigma = c I + a few columns: the very same numbers (3e-10 apart before)
        assert st.last_route == dense.last_route == "struct"
        np.testing.assert_allclose(r_st, r_dense, rtol=1e-12)
    # the two float32 paths differ only by float32 summation order (Gram blocks), no more than float32
    # differs from float64; folding the unrounded draw made them differ 250x more
    gap32 = np.abs(r_st - r_dense) / r_dense
    gap64 = np.abs(r_dense - d64) / d64
    assert np.all(gap32 <= 2.0 * gap64 + 1e-7), (gap32, gap64)
    np.testing.assert_allclose(st.norm(2), dense.norm(2), rtol=1e-9)
