"""The ground-truth vocabulary (fastrisk.ground_truth) against plain NumPy constructions, its compact
form, its spec and command-line forms, and one test per bad input."""

from __future__ import annotations

import math

import numpy as np
import pytest

from fastrisk import config, spectra
from fastrisk import ground_truth as G
from fastrisk import theory as T

from . import naive_theory as nt


def _two_level(n=100, p=None):
    p = p or int(round(n**1.5))
    return spectra.two_level(p, math.sqrt(n) / p, tau=2.0)


def _naive_dense(seed, dist, p):
    """Plain NumPy: blocks of GEN_BLOCK entries, block c from SeedSequence(seed, spawn_key=(tag, c))."""
    g = config.GEN_BLOCK
    parts = []
    for c in range(-(-p // g)):
        rng = np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(G.DENSE_STREAM, c)))
        parts.append(np.where(rng.random(g) < 0.5, -1.0, 1.0) if dist == "sign" else rng.standard_normal(g))
    return np.concatenate(parts)[:p]


def _unit(v):
    return v / np.linalg.norm(v)


# --------------------------------------------------------------------------------- each kind
def test_e1_is_the_first_coordinate_with_the_stated_norm():
    s = _two_level()
    t = G.make_theta_star("e1", s)
    ref = np.zeros(s.size)
    ref[0] = 1.0
    np.testing.assert_array_equal(t, ref)
    np.testing.assert_array_equal(G.make_theta_star("e1", s, scale=2.5), 2.5 * ref)
    # ||theta*||_Sigma = scale: e_1 / sqrt(lambda_1)
    np.testing.assert_allclose(G.make_theta_star("e1", s, normalise="sigma"), ref / math.sqrt(s[0]),
                               rtol=1e-15)


@pytest.mark.parametrize("shuffle", [False, True])
def test_top_k_and_band_weight_the_largest_eigen_directions(shuffle):
    rng = np.random.default_rng(0)
    s = spectra.power_law(300, a=1.2)
    perm = rng.permutation(s.size) if shuffle else np.arange(s.size)
    s = s[perm]
    order = np.argsort(-s, kind="stable")  # the j-th eigen-direction
    ref = np.zeros(s.size)
    ref[order[:7]] = 1.0
    np.testing.assert_allclose(G.make_theta_star("top_k", s, k=7), _unit(ref), rtol=1e-15)
    ref = np.zeros(s.size)
    ref[order[5:12]] = 1.0
    np.testing.assert_allclose(G.make_theta_star("band", s, start=5, stop=12), _unit(ref), rtol=1e-15)
    # band:start=0,stop=k is top_k:k=k
    np.testing.assert_array_equal(G.make_theta_star("band", s, start=0, stop=7),
                                  G.make_theta_star("top_k", s, k=7))


@pytest.mark.parametrize("n", [30, 100, 400])
def test_band_relative_to_kstar_and_n(n):
    s = _two_level(n)
    ks = nt.critical_index(s, n)  # the plain twin of theory.critical_index, b = 1
    assert ks == T.critical_index(s, n)
    t = G.make_theta_star("band", s, n=n, start="k*", stop="2k*")
    ref = np.zeros(s.size)
    ref[ks:2 * ks] = 1.0
    np.testing.assert_allclose(t, _unit(ref), rtol=1e-15)
    gt = G.parse_theta_star("band:start=0.5k*,stop=0.1n")
    assert gt.indices(s, n) == {"start": math.floor(0.5 * ks + 0.5), "stop": math.floor(0.1 * n + 0.5)}
    assert G.resolve_theta_star({"kind": "top_k", "k": "2*k*"}).indices(s, n) == {"k": 2 * ks}


@pytest.mark.parametrize("a", [1.0, 0.5, 0.0, -0.5])
def test_power(a):
    s = spectra.two_level(500, 0.01, tau=2.0)
    np.testing.assert_allclose(G.make_theta_star("power", s, a=a), _unit(s**a), rtol=1e-14)
    # eigenvalues 0 carry no weight for a < 0 (and 0^0 = 1 for a = 0, as numpy)
    s0 = np.array([1.0, 0.5, 0.0])
    np.testing.assert_allclose(G.make_theta_star("power", s0, a=-1.0, normalise="none"), [1.0, 2.0, 0.0])
    assert G.resolve_theta_star("power").param("a") == 1.0  # the default


@pytest.mark.parametrize("dist", ["sign", "gaussian"])
def test_dense_matches_its_plain_numpy_stream_whatever_p(dist):
    s = spectra.isotropic(2 * config.GEN_BLOCK + 17)
    t = G.make_theta_star("dense", s, seed=3, dist=dist, normalise="none")
    np.testing.assert_array_equal(t, _naive_dense(3, dist, s.size))
    short = G.make_theta_star("dense", s[:100], seed=3, dist=dist, normalise="none")
    np.testing.assert_array_equal(short, t[:100])  # the stream does not depend on p
    other = G.make_theta_star("dense", s, seed=4, dist=dist, normalise="none")
    assert not np.array_equal(other, t)
    np.testing.assert_allclose(np.linalg.norm(G.make_theta_star("dense", s, seed=3, dist=dist)), 1.0,
                               rtol=1e-15)


def test_dense_stream_is_apart_from_the_design_streams():
    # the design draws X from SeedSequence(seed, spawn_key=(0, c)); theta* must not reuse those numbers
    s = spectra.isotropic(64)
    t = G.make_theta_star("dense", s, seed=0, dist="gaussian", normalise="none")
    x = np.random.default_rng(np.random.SeedSequence(0, spawn_key=(0, 0))).standard_normal(64)
    assert not np.allclose(t, x)


def test_file_and_array(tmp_path):
    s = spectra.power_law(50)
    v = np.random.default_rng(1).standard_normal(50)
    np.save(tmp_path / "t.npy", v)
    gt = G.resolve_theta_star({"kind": "file", "path": str(tmp_path / "t.npy")})
    np.testing.assert_allclose(gt.build(s), _unit(v), rtol=1e-15)
    raw = G.make_theta_star("file", s, path=str(tmp_path / "t.npy"), normalise="none")
    np.testing.assert_allclose(raw, v)
    assert gt.param("sha256") == G.GroundTruth.from_array(v).param("sha256")
    # an explicit array is used as given by default
    np.testing.assert_array_equal(G.make_theta_star(v, s), v)
    np.testing.assert_allclose(G.GroundTruth.from_array(v, normalise="sigma", scale=2.0).build(s),
                               2.0 * v / math.sqrt(np.sum(s * v * v)), rtol=1e-14)
    # a changed file is noticed when the described ground truth is built
    np.save(tmp_path / "t.npy", v + 1)
    with pytest.raises(ValueError, match="changed since it was described"):
        gt.build(s)
    # a pinned digest is checked at once
    with pytest.raises(ValueError, match="the spec pins"):
        G.resolve_theta_star({"kind": "file", "path": str(tmp_path / "t.npy"), "sha256": "0" * 64})


@pytest.mark.parametrize("spec", ["e1", "top_k:k=5", "band:start=2,stop=9", "power:a=0.5", "dense:seed=2",
                                  "dense:seed=2,dist=gaussian"])
@pytest.mark.parametrize("normalise, scale", [("l2", 1.0), ("l2", 3.0), ("sigma", 0.5)])
def test_normalisation_states_the_norm(spec, normalise, scale):
    s = _two_level(50)
    gt = G.resolve_theta_star(f"{spec},normalise={normalise},scale={scale}" if ":" in spec
                              else f"{spec}:normalise={normalise},scale={scale}")
    t = gt.build(s, n=50)
    got = np.linalg.norm(t) if normalise == "l2" else math.sqrt(np.sum(s * t * t))
    assert got == pytest.approx(scale, rel=1e-14)
    assert G.resolve_theta_star(spec).build(s, n=50) @ t > 0  # same direction
    z = G.resolve_theta_star({**gt.to_dict(), "scale": 0.0}).build(s, n=50)
    assert not z.any()


# ------------------------------------------------------------------------------ descriptions
def test_cli_form_table_and_keywords_give_one_description():
    a = G.parse_theta_star("band:start=k*,stop=2k*")
    b = G.resolve_theta_star({"kind": "band", "start": "k*", "stop": "2 * k*"})
    assert a == b and hash(a) == hash(b)
    assert G.parse_theta_star("dense:seed=3") == G.resolve_theta_star({"kind": "dense", "seed": 3,
                                                                       "dist": "sign"})
    assert G.parse_theta_star("top_k:k=10") == G.resolve_theta_star({"kind": "top_k", "k": 10.0})
    assert G.parse_theta_star("power:a=0.5").param("a") == 0.5
    assert len({G.parse_theta_star("e1"), G.resolve_theta_star({"kind": "e1"}),
                G.parse_theta_star("e1:scale=1.0")}) == 1
    for text in ["e1", "top_k:k=10", "band:start=k*,stop=2k*", "power:a=0.5", "dense:dist=gaussian,seed=3",
                 "e1:scale=2.0,normalise=sigma", "top_k:k=0.5n"]:
        gt = G.parse_theta_star(text)
        assert G.parse_theta_star(gt.describe()) == gt
        assert G.resolve_theta_star(gt.to_dict()) == gt
        assert G.resolve_theta_star(gt) is gt
    assert G.parse_theta_star("dense:seed=3,name=mine").label == "mine"
    assert G.parse_theta_star("dense:seed=3").label == "dense"
    with pytest.raises(AttributeError):
        G.parse_theta_star("e1").scale = 2.0  # frozen


def test_make_theta_star_takes_any_form():
    s = _two_level(40)
    ref = G.make_theta_star("band", s, n=40, start="k*", stop="2k*")
    np.testing.assert_array_equal(G.make_theta_star("band:start=k*,stop=2k*", s, n=40), ref)
    np.testing.assert_array_equal(G.make_theta_star({"kind": "band", "start": "k*", "stop": "2k*"}, s, n=40),
                                  ref)
    with pytest.raises(TypeError, match="not both"):
        G.make_theta_star("dense:seed=1", s, seed=2)


# ----------------------------------------------------------------------------------- compact
def _compact_cases():
    n = 200
    full = _two_level(n)
    m = int(np.flatnonzero(full != full[-1])[-1]) + 1  # leading eigenvalues that differ from the tail
    yield "two_level", full, full[:m], float(full[-1]), n
    sp = spectra.spiked(3000, 10, spike=1.0, tail=0.01)
    yield "spiked", sp, sp[:10], 0.01, n
    # a lead with values below the tail: the tail block sits in the middle of the decreasing order
    mixed = np.concatenate([[2.0, 0.001, 1.0, 0.05], np.full(500, 0.05)])
    yield "mixed", mixed, mixed[:4], 0.05, 20


@pytest.mark.parametrize("case", list(_compact_cases()), ids=lambda c: c[0])
@pytest.mark.parametrize("spec", ["e1", "top_k:k=5", "top_k:k=40", "band:start=3,stop=300",
                                  "band:start=k*,stop=2k*", "band:start=0.1n,stop=n", "power:a=1",
                                  "power:a=0.5",
                                  "dense:seed=1", "dense:seed=1,dist=gaussian", "e1:normalise=sigma",
                                  "power:a=0.5,normalise=sigma"])
def test_compact_form_equals_the_full_array(case, spec):
    _, full, lead, tail, n = case
    gt = G.parse_theta_star(spec)
    t = gt.build(full, n=n)
    tl, tn = gt.build_compact(lead, tail, full.size, n=n)
    m = lead.size
    np.testing.assert_allclose(tl, t[:m], rtol=1e-13, atol=1e-300)
    assert tn == pytest.approx(float(np.linalg.norm(t[m:])), rel=1e-12, abs=1e-300)


@pytest.mark.parametrize("n", [10, 100, 1000, 5000])
def test_compact_critical_index(n):
    from fastrisk.ground_truth._shapes import _kstar_compact

    full = _two_level(100, p=40_000)
    m = int(np.flatnonzero(full != full[-1])[-1]) + 1
    assert _kstar_compact(full[:m], float(full[-1]), full.size, n) == T.critical_index(full, n)


def test_one_tail_direction_carries_the_tail_exactly_for_l2_quantities():
    # rotation invariance: theta* over the leading coordinates plus its tail norm on one tail coordinate
    n = 100
    full = _two_level(n)
    m = int(np.flatnonzero(full != full[-1])[-1]) + 1
    lam = n * np.array([0.0, 1e-3, 1e-1, 10.0])
    for spec in ["power:a=0.5", "dense:seed=4,dist=gaussian"]:
        gt = G.parse_theta_star(spec)
        t = gt.build(full, n=n)
        tl, tn = gt.build_compact(full[:m], float(full[-1]), full.size)
        one = np.zeros(full.size)
        one[:m] = tl
        one[m] = tn
        a = T.ridge_equivalent(full, t, 1.0, n, lam, sequence_norms=False)
        b = T.ridge_equivalent(full, one, 1.0, n, lam, sequence_norms=False)
        for f in ("kappa", "risk", "norm2_sq", "inner", "inner_sq"):
            np.testing.assert_allclose(getattr(a, f), getattr(b, f), rtol=1e-10, err_msg=f"{spec} {f}")


# -------------------------------------------------------------------------------- bad inputs
@pytest.mark.parametrize("spec, msg", [
    ("", "empty; expected KIND"),
    ("gaussian", "unknown kind 'gaussian'"),
    ("topk:k=3", "unknown kind 'topk' (did you mean 'top_k'?)"),
    ("dense:", "nothing after ':'"),
    ("dense:seed", "expected key=value, got 'seed'"),
    ("dense:seed=", "expected key=value, got 'seed='"),
    ("dense:=3", "expected key=value"),
    ("dense:seed=1,seed=2", "seed given twice"),
    ("dense:sed=1", "unknown parameter 'sed' (did you mean 'seed'?)"),
    ("dense:seed=-1", "seed must be an integer >= 0, got '-1'"),
    ("dense:seed=1.5", "seed must be an integer >= 0, got '1.5'"),
    ("dense:dist=cauchy", "dist must be one of sign, gaussian, got 'cauchy'"),
    ("top_k", "theta_star top_k: needs k"),
    ("top_k:k=0", "k must be >= 1, got 0"),
    ("top_k:k=-2", "k must be an integer >= 0 or relative to k* or n (e.g. 'k*', '2k*', '0.5n'), got '-2'"),
    ("top_k:k=2.5", "k must be an integer >= 0 or relative to k* or n"),
    ("top_k:k=kstar", "k must be an integer >= 0 or relative to k* or n"),
    ("top_k:k=0k*", "the factor of k* must be > 0"),
    ("band:start=3", "theta_star band: needs stop"),
    ("band:start=5,stop=5", "needs start < stop, got start = 5, stop = 5"),
    ("power:a=inf", "a must be finite"),
    ("power:a=x", "a must be a real number, got 'x'"),
    ("power:b=1", "unknown parameter 'b'"),
    ("e1:scale=-1", "scale must be >= 0"),
    ("e1:scale=nan", "scale must be finite"),
    ("e1:normalise=l1", "normalise must be one of l2, sigma, none, got 'l1'"),
    ("e1:k=3", "unknown parameter 'k'; e1 takes name, scale, normalise"),
    ("file", "theta_star file: needs path"),
    ("file:path=/nonexistent/x.npy", "path '/nonexistent/x.npy' does not exist"),
])
def test_bad_cli_forms_are_one_line_errors(spec, msg):
    with pytest.raises(ValueError) as ei:
        G.parse_theta_star(spec)
    text = str(ei.value)
    assert msg in text and "\n" not in text and text.startswith("theta_star")


@pytest.mark.parametrize("spec, exc, msg", [
    ({"k": 3}, ValueError, "needs 'kind'"),
    ({"kind": 3}, ValueError, "unknown kind 3"),
    ({"kind": "top_k", "k": True}, ValueError, "k must be an integer"),
    ({"kind": "top_k", "k": -2}, ValueError, "k must be >= 0, got -2"),
    ({"kind": "dense", "seed": True}, ValueError, "seed must be an integer >= 0, got True"),
    ({"kind": "power", "a": [1]}, ValueError, "a must be a real number"),
    ({"kind": "e1", "name": 3}, ValueError, "name must be a string"),
    ({"kind": "file", "path": ""}, ValueError, "path must be the path of a .npy file"),
    (3.0, TypeError, "theta_star must be a kind string"),
    (np.array([[1.0]]), ValueError, "values must be a non-empty 1-D array"),
    (np.array([1.0, np.nan]), ValueError, "values contains NaN or inf"),
    (np.array(["a"]), ValueError, "values must hold real numbers"),
])
def test_bad_tables_and_arrays(spec, exc, msg):
    with pytest.raises(exc, match=None) as ei:
        G.resolve_theta_star(spec)
    assert msg in str(ei.value) and "\n" not in str(ei.value)


@pytest.mark.parametrize("spec, kw, msg", [
    ("top_k:k=50", {}, "k must be in [1, p = 20], got 50"),
    ("band:start=10,stop=30", {}, "needs 0 <= start < stop <= p = 20, got start = 10, stop = 30"),
    ("band:start=k*,stop=2k*", {}, "start='k*' is relative to k* and needs n"),
    ("top_k:k=n", {}, "k='n' is relative to n and needs n"),
    ("band:start=k*,stop=2k*", {"n": 10**6}, "(start = k*, stop = 2k*)"),  # k* = p: empty band
    ("e1:normalise=sigma", {"spectrum": np.r_[0.0, np.ones(19)]}, "||theta*||_Sigma of the raw shape is 0"),
    ("e1", {"spectrum": np.ones(0)}, "spectrum"),
])
def test_bad_builds(spec, kw, msg):
    s = kw.pop("spectrum", spectra.power_law(20))
    with pytest.raises(ValueError) as ei:
        G.parse_theta_star(spec).build(s, **kw)
    assert msg in str(ei.value) and "\n" not in str(ei.value)


def test_file_of_wrong_length_and_content(tmp_path):
    np.save(tmp_path / "short.npy", np.ones(3))
    with pytest.raises(ValueError, match="has 3 entries, the spectrum 20"):
        G.make_theta_star("file", spectra.power_law(20), path=str(tmp_path / "short.npy"))
    np.save(tmp_path / "bad.npy", np.array([1.0, np.inf]))
    with pytest.raises(ValueError, match="contains NaN or inf"):
        G.parse_theta_star(f"file:path={tmp_path / 'bad.npy'}")
    (tmp_path / "junk.npy").write_text("not an array")
    with pytest.raises(ValueError, match="not a readable .npy array"):
        G.parse_theta_star(f"file:path={tmp_path / 'junk.npy'}")


def test_compact_bad_inputs():
    gt = G.parse_theta_star("top_k:k=3")
    with pytest.raises(ValueError, match="more than p"):
        gt.build_compact(np.ones(5), 0.1, 4)
    with pytest.raises(ValueError, match="tail must be a finite eigenvalue"):
        gt.build_compact(np.ones(2), -1.0, 4)
    with pytest.raises(ValueError, match="lead must be >= 0"):
        gt.build_compact(np.array([-1.0]), 0.1, 4)
    with pytest.raises(ValueError, match="at least one leading eigenvalue"):
        G.parse_theta_star("e1").build_compact(np.zeros(0), 0.1, 4)


@pytest.mark.parametrize("q", [1.0, 1.5, 2.0, 3.0, np.inf])
def test_lq_norm_of_long_vectors_is_chunked_and_equal(q):
    # the ground truth's own risk needs ||theta*||_q of a dense theta* of length p: no p-length temporary
    from fastrisk.risk import _NORM_CHUNK, lq_norm

    v = np.random.default_rng(0).standard_normal(2 * _NORM_CHUNK + 123) * 1e-200
    want = 1e-200 * np.linalg.norm(v / 1e-200, ord=q)
    assert lq_norm(v, q) == pytest.approx(want, rel=1e-12)
