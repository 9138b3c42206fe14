"""The theory layer merges equal eigenvalues, with their share of theta*, into atoms: a dense ground
truth on a flat tail costs a handful of atoms, and every number equals the unmerged plain-NumPy one."""

from __future__ import annotations

import math

import numpy as np
import pytest

from fastrisk import ground_truth as G
from fastrisk import spectra
from fastrisk import theory as T
from fastrisk.theory import equivalents as E

from . import naive_theory as nt

N = 60
LAM = N * np.array([0.0, 1e-3, 3e-2, 1.0, 30.0])


def _two_level(p=2000):
    return spectra.two_level(p, math.sqrt(N) / p, tau=2.0)


@pytest.mark.parametrize("spec", ["power:a=1", "power:a=0.5", "power:a=0", "dense:seed=2",
                                  "dense:seed=2,dist=gaussian", "top_k:k=700", "e1"])
@pytest.mark.parametrize("shuffle", [False, True])
def test_merged_atoms_equal_the_plain_sums(spec, shuffle):
    s = _two_level()
    t = G.parse_theta_star(spec).build(s, n=N)
    if shuffle:  # a non-monotone spectrum takes the sorting route
        perm = np.random.default_rng(0).permutation(s.size)
        s, t = s[perm], t[perm]
    eq = T.ridge_equivalent(s, t, 0.7, N, LAM)
    ref = nt.ridge_equivalent(s, t, 0.7, N, LAM)
    for f in ("kappa", "risk", "norm2_sq", "norm1"):
        np.testing.assert_allclose(getattr(eq, f), ref[f], rtol=1e-9, err_msg=f)
    # E||theta||_inf: the quadrature over the unmerged coordinates (the definition)
    raw = E.expected_max_sequence(s, np.abs(t), np.ones(s.size), eq.kappa, eq.tau2, N)
    np.testing.assert_allclose(eq.norm_inf, raw, rtol=1e-9)


def test_a_flat_tail_is_one_atom_whatever_theta_star():
    s = _two_level(50_000)
    distinct = np.unique(s).size
    for spec, pairs in (("power:a=0.5", distinct), ("dense:seed=1", None), ("e1", 1)):
        at = E._Atoms(s, G.parse_theta_star(spec).build(s), N)
        assert at.lam.size == distinct and at.sig_lam.size <= distinct
        if pairs is not None:
            assert at.pairs[0].size == pairs
        assert at.pairs[2].sum() == at.n_signal  # multiplicities count every signal coordinate
    # random signs: two amplitudes per distinct eigenvalue at most (+-c have one |theta|)
    at = E._Atoms(s, G.parse_theta_star("dense:seed=1").build(s), N)
    assert at.pairs[0].size == distinct

