"""The Wishart route (``RidgePath.from_design(..., tail="wishart")``): exact given its tail Gram, its
random stream, and everything it refuses.

Given the same tail Gram (injected through the builder's test hook, computed from an explicit X of
``design.sample``) the route must give the explicit route's numbers to 1e-10: the two share the
leading columns and the label noise bit for bit, so only rounding differs. The in-law tests (new
draws) are in ``test_wishart_law.py``.
"""

import numpy as np
import pytest

import fastrisk as fr
from fastrisk import spectra
from fastrisk.ridge import _wishart
from fastrisk.ridge._features import mode_structure

EPS = np.array([0.0, 0.05, 0.3, 1.0])
TARGETS = ("clean", "noisy", "consistent")


def _lam(n, L=40):
    return np.concatenate([[0.0], n * np.logspace(-4, 2, L - 1)])


def _theta(kind, cov, rng):
    p = cov.size
    ts = np.zeros(p)
    if kind == "e1":
        ts[0] = 1.0
    elif kind == "top_k":
        ts[:5] = 1.0 / np.sqrt(5)
    elif kind == "tail_sparse":  # leading plus two tail coordinates
        ts[0], ts[p // 2], ts[p - 3] = 1.0, 0.4, -0.25
    elif kind == "dense":
        ts = rng.choice([-1.0, 1.0], p) / np.sqrt(p)
    elif kind == "power":
        ts = cov**0.5 / np.linalg.norm(cov**0.5)
    elif kind == "zero":
        pass
    return ts


def _injected(design, n, lam, seed, **kw):
    """The Wishart path built on the tail Gram and tail column of the explicit X of ``design.sample``."""
    X, _ = design.sample(n, seed)
    c0, S = mode_structure(design.cov)
    mask = design.cov == c0
    XT = X[:, mask]
    tT = design.theta_star[mask]
    t = np.linalg.norm(tT)
    u = tT / t if t > 0 else np.eye(XT.shape[1])[0]
    xu = XT @ u
    G0 = XT @ XT.T - np.outer(xu, xu)
    return _wishart.build_from_design(fr.RidgePath, design, n, lam, seed, tail_gram=G0, tail_column=xu, **kw)


def _rel(a, b):
    return float(np.max(np.abs(a - b) / np.maximum(np.abs(b), 1e-300)))


CASES = [
    ("two_level", lambda p, n: spectra.two_level(p, n**0.5 / p, tau=2.0), "e1", 0.5),
    ("two_level", lambda p, n: spectra.two_level(p, n**0.5 / p, tau=2.0), "tail_sparse", 1.0),
    ("two_level", lambda p, n: spectra.two_level(p, n**0.5 / p, tau=2.0), "dense", 0.3),
    ("two_level_flat", lambda p, n: spectra.two_level(p, 0.02, high=3.0, k=7), "power", 0.0),
    ("spiked", lambda p, n: spectra.spiked(p, 10, spike=1.0, tail=0.05), "top_k", 1.0),
    ("spiked", lambda p, n: spectra.spiked(p, 10, spike=1.0, tail=0.05), "zero", 1.0),
    ("isotropic", lambda p, n: spectra.isotropic(p, 0.7), "e1", 0.2),
]


@pytest.mark.parametrize("name,make,kind,noise", CASES, ids=[f"{c[0]}-{c[2]}" for c in CASES])
@pytest.mark.parametrize("n,p", [(37, 900), pytest.param(120, 251, marks=pytest.mark.slow)])
def test_injected_tail_gram_equals_explicit(name, make, kind, noise, n, p):
    cov = make(p, n)
    design = fr.GaussianDesign(cov, _theta(kind, cov, np.random.default_rng(1)), noise=noise)
    lam = _lam(n)
    ref = fr.RidgePath.from_design(design, n, lam, seed=5)
    got = _injected(design, n, lam, 5)
    assert got._tail is not None and ref._tail is None
    np.testing.assert_allclose(got.eigenvalues, ref.eigenvalues, rtol=1e-10,
                               atol=1e-12 * ref.eigenvalues.max())
    assert _rel(got.norm(2), ref.norm(2)) < 1e-10
    assert _rel(got.df(), ref.df()) < 1e-10
    assert _rel(got.standard_risk(design), ref.standard_risk(design)) < 1e-10
    assert got.last_route == "wishart"
    for target in TARGETS:
        a = got.adversarial_risk(design, EPS, norm=2, target=target)
        b = ref.adversarial_risk(design, EPS, norm=2, target=target)
        assert _rel(a, b) < 1e-10, target
    # the plain-arrays function on the explicit X agrees too
    X, y = design.sample(n, 5)
    out = fr.ridge_path_risks(X, y, lam, design.cov, design.theta_star, EPS, target="consistent", noise=noise)
    assert _rel(got.adversarial_risk(design, EPS, target="consistent"), out["adversarial_risk"]) < 1e-10


def test_injected_lapack_route_equals_explicit(monkeypatch):
    # the in-place LAPACK assembly (dlauum, dsyrk, SciPy evr) used from LAPACK_MIN_N on, at a small n
    monkeypatch.setattr(_wishart, "LAPACK_MIN_N", 1)
    n, p = 64, 2000
    cov = spectra.two_level(p, n**0.5 / p, tau=2.0)
    design = fr.GaussianDesign(cov, _theta("tail_sparse", cov, None), noise=0.5)
    lam = _lam(n)
    ref = fr.RidgePath.from_design(design, n, lam, seed=2)
    got = _injected(design, n, lam, 2)
    for target in TARGETS:
        assert _rel(got.adversarial_risk(design, EPS, target=target),
                    ref.adversarial_risk(design, EPS, target=target)) < 1e-10
    # and a fresh draw through it equals the NumPy assembly's draw up to rounding
    a = fr.RidgePath.from_design(design, n, lam, seed=9, tail="wishart")
    monkeypatch.setattr(_wishart, "LAPACK_MIN_N", 10**9)
    b = fr.RidgePath.from_design(design, n, lam, seed=9, tail="wishart")
    assert _rel(a.standard_risk(design), b.standard_risk(design)) < 1e-10
    assert _rel(a.eigenvalues, b.eigenvalues) < 1e-10


def test_stream_shares_leading_columns_and_noise():
    n, p = 50, 5000
    cov = spectra.spiked(p, 3, spike=2.0, tail=0.01)
    ts = np.zeros(p)
    ts[:3] = [1.0, -0.5, 0.25]
    design = fr.GaussianDesign(cov, ts, noise=0.7)
    X, y = design.sample(n, 11)
    path = fr.RidgePath.from_design(design, n, [0.0, 1.0], seed=11, tail="wishart")
    np.testing.assert_array_equal(path._tail.XS, X[:, :3])  # bit for bit: the same child streams
    # the labels differ from the explicit ones only through the tail's contribution (theta* has none)
    z = (y - X @ ts) / 0.7
    zw = (path.spec.U @ path._c[:, 0] - X[:, :3] @ ts[:3]) / 0.7
    np.testing.assert_allclose(zw, z, atol=1e-10)
    # a seed is a seed: int and SeedSequence agree, block changes nothing
    a = fr.RidgePath.from_design(design, n, [0.0, 1.0], seed=np.random.SeedSequence(11), tail="wishart",
                                 block=7)
    np.testing.assert_array_equal(a.eigenvalues, path.eigenvalues)
    # a different seed gives a different draw
    b = fr.RidgePath.from_design(design, n, [0.0, 1.0], seed=12, tail="wishart")
    assert not np.allclose(b.eigenvalues, path.eigenvalues)


def test_leading_columns_beyond_the_first_chunk():
    # leading coordinates scattered over several generation chunks are drawn as design.sample draws them
    n, p = 20, 5000
    cov = np.full(p, 0.1)
    S = np.array([3, 1500, 1501, 4999])
    cov[S] = [1.0, 2.0, 3.0, 4.0]
    ts = np.zeros(p)
    ts[S] = 1.0
    design = fr.GaussianDesign(cov, ts, noise=0.0)
    X, _ = design.sample(n, 4)
    path = fr.RidgePath.from_design(design, n, [0.0], seed=4, tail="wishart")
    np.testing.assert_array_equal(path._tail.XS, X[:, S])


def test_float32_wishart_path():
    n, p = 80, 4000
    cov = spectra.two_level(p, n**0.5 / p, tau=2.0)
    design = fr.GaussianDesign(cov, _theta("e1", cov, None), noise=1.0)
    lam = _lam(n)
    a = fr.RidgePath.from_design(design, n, lam, seed=1, tail="wishart")
    b = fr.RidgePath.from_design(design, n, lam, seed=1, tail="wishart", dtype=np.float32)
    assert b.dtype == np.float32
    assert _rel(b.standard_risk(design), a.standard_risk(design)) < 1e-4
    assert _rel(b.adversarial_risk(design, EPS, target="consistent"),
                a.adversarial_risk(design, EPS, target="consistent")) < 1e-4


def test_other_designs_on_one_path():
    n, p = 40, 1000
    cov = spectra.two_level(p, 0.03, tau=2.0)
    lam = _lam(n)
    ts1 = np.zeros(p)
    ts1[0] = 1.0
    ts1[500:] = 0.01  # tail part along (1, ..., 1) on coordinates 500..999
    d1 = fr.GaussianDesign(cov, ts1, noise=0.5)
    path = _injected(d1, n, lam, 3)
    ref = fr.RidgePath.from_design(d1, n, lam, seed=3)
    # the same covariance, another leading part and a tail part along the same direction: carried
    ts2 = ts1 * 0.0
    ts2[1] = 0.3
    ts2[500:] = -0.05
    d2 = fr.GaussianDesign(cov, ts2, noise=0.1)
    assert _rel(path.adversarial_risk(d2, EPS, target="consistent"),
                ref.adversarial_risk(d2, EPS, target="consistent")) < 1e-10
    # a tail part along another direction: refused
    ts3 = ts1.copy()
    ts3[600] += 0.5
    with pytest.raises(ValueError, match="tail direction"):
        path.standard_risk(fr.GaussianDesign(cov, ts3, noise=0.5))
    # another covariance: refused
    with pytest.raises(ValueError, match="covariance of the design"):
        path.standard_risk(fr.GaussianDesign(spectra.two_level(p, 0.05, tau=2.0), ts1))


def test_first_tail_direction_fixes_the_carried_one():
    n, p = 30, 600
    cov = spectra.spiked(p, 4, tail=0.1)
    e = np.zeros(p)
    e[0] = 1.0
    path = fr.RidgePath.from_design(fr.GaussianDesign(cov, e), n, [0.0, 10.0], seed=0, tail="wishart")
    t2 = e.copy()
    t2[100] = 1.0
    path.standard_risk(fr.GaussianDesign(cov, t2))  # the first tail part: its direction is carried
    path.standard_risk(fr.GaussianDesign(cov, 2.0 * t2))
    t3 = e.copy()
    t3[101] = 1.0
    with pytest.raises(ValueError, match="cannot be carried"):
        path.standard_risk(fr.GaussianDesign(cov, t3))


def _one_line(exc):
    msg = str(exc.value)
    assert "\n" not in msg
    return msg


def test_refusals_name_the_explicit_tail():
    n, p = 30, 800
    cov = spectra.two_level(p, 0.02, tau=2.0)
    design = fr.GaussianDesign(cov, _theta("e1", cov, None), noise=1.0)
    path = fr.RidgePath.from_design(design, n, _lam(n), seed=0, tail="wishart")
    X, y = design.sample(10, 1)
    calls = {
        "coef": lambda: path.coef(),
        "predict": lambda: path.predict(X),
        "norm(q=1)": lambda: path.norm(1),
        "norm(q=inf)": lambda: path.norm(np.inf),
        "l_inf": lambda: path.adversarial_risk(design, EPS, norm=np.inf),
        "l_1": lambda: path.adversarial_risk(design, EPS, norm=1),
        "l_3": lambda: path.adversarial_risk(design, EPS, norm=3),
        "empirical": lambda: path.empirical_adversarial_risk(X, y, EPS),
    }
    for what, call in calls.items():
        with pytest.raises(ValueError) as exc:
            call()
        msg = _one_line(exc)
        assert "tail='explicit'" in msg and "tail='wishart'" in msg, what
    # what it can carry still works after the refusals
    assert path.norm(2).shape == (40,)
    assert np.all(np.isfinite(path.adversarial_risk(design, EPS, norm=2.0, target="noisy")))


def test_designs_without_a_flat_tail_are_refused():
    p = 500
    ts = np.zeros(p)
    ts[0] = 1.0
    three = np.repeat([1.0, 0.5, 0.1], [200, 200, 100])  # the commonest value covers 200 of 500
    for cov in (spectra.power_law(p), spectra.bllt_log(p), three):
        with pytest.raises(ValueError, match="flat tail") as exc:
            fr.RidgePath.from_design(fr.GaussianDesign(cov, ts), 20, [1.0], seed=0, tail="wishart")
        assert "tail='explicit'" in _one_line(exc)
    full = np.diag(spectra.spiked(p, 2))
    with pytest.raises(ValueError, match="diagonal covariance"):
        fr.RidgePath.from_design(fr.GaussianDesign(cov=full, theta_star=ts), 20, [1.0], seed=0,
                                 tail="wishart")
    with pytest.raises(ValueError, match="tail must be 'explicit' or 'wishart'"):
        fr.RidgePath.from_design(fr.GaussianDesign(spectra.isotropic(p), ts), 20, [1.0], seed=0,
                                 tail="bartlett")


@pytest.mark.filterwarnings("ignore::fastrisk.IllConditionedWarning")  # cond(X) ~ 1e6 by design
def test_theta_in_the_row_space_is_refused():
    # a huge spike puts theta* = e_1 within 1e-3 of the row space: its remainder needs a pass over X
    p, n = 400, 50
    design = fr.GaussianDesign(spectra.spiked(p, 1, spike=1e12, tail=1.0), np.eye(p)[0], noise=0.0)
    path = fr.RidgePath.from_design(design, n, [0.0, 1.0], seed=0, tail="wishart")
    with pytest.raises(ValueError, match="remainder") as exc:
        path.standard_risk(design)
    assert "tail='explicit'" in _one_line(exc)


def test_bad_arguments_are_named():
    p = 300
    design = fr.GaussianDesign(spectra.isotropic(p), np.eye(p)[0])
    for kw, match in (({"n": 0}, "n"), ({"lam": [-1.0, np.nan]}, "lam"), ({"dtype": np.int32}, "dtype"),
                      ({"seed": -1}, "seed"), ({"block": 0}, "block")):
        args = {"n": 10, "lam": [1.0], "seed": 0} | kw
        with pytest.raises((ValueError, TypeError), match=match):
            fr.RidgePath.from_design(design, args.pop("n"), args.pop("lam"), args.pop("seed"),
                                     tail="wishart", **args)
    with pytest.raises(TypeError, match="GaussianDesign"):
        fr.RidgePath.from_design(np.ones(3), 10, [1.0], 0, tail="wishart")


def test_design_path_risks_entry_point():
    n, p = 40, 900
    cov = spectra.two_level(p, n**0.5 / p, tau=2.0)
    ts = _theta("tail_sparse", cov, None)
    design = fr.GaussianDesign(cov, ts, noise=0.5)
    lam = _lam(n)
    # explicit tail: the same numbers as ridge_path_risks on design.sample
    X, y = design.sample(n, 4)
    for norm, target in ((2, "clean"), (np.inf, "noisy"), (2, "consistent")):
        got = fr.design_path_risks(design, n, lam, 4, EPS, norm=norm, target=target)
        want = fr.ridge_path_risks(X, y, lam, cov, ts, EPS, norm=norm, target=target, noise=0.5)
        assert set(got) == set(want)
        for k in want:
            np.testing.assert_allclose(got[k], want[k], rtol=1e-9, atol=1e-300, err_msg=k)
    # wishart tail: the path's own numbers, the ground truth from ||theta*||_2
    for target in TARGETS:
        got = fr.design_path_risks(design, n, lam, 4, EPS, target=target, tail="wishart")
        path = fr.RidgePath.from_design(design, n, lam, seed=4, tail="wishart")
        want = path.adversarial_risk(design, EPS, target=target)
        np.testing.assert_array_equal(got["adversarial_risk"], want)
        np.testing.assert_array_equal(got["standard_risk"], path.standard_risk(design))
        np.testing.assert_array_equal(got["df"], path.df())
        np.testing.assert_allclose(got["ground_truth_adversarial_risk"],
                                   fr.risk.ground_truth_adversarial_risk(ts, EPS, target=target, noise=0.5))
    # a compact design: the ground truth from its two parts
    s = spectra.two_level(10**8, 1e-6, tau=2.0, compact=True)
    lead = np.zeros(s.m)
    lead[0] = 0.6
    cd = fr.GaussianDesign(s, lead, noise=0.5, theta_tail_norm=0.8)  # ||theta*||_2 = 1
    for target, gt in (("clean", EPS**2), ("consistent", 0.0 * EPS)):
        out = fr.design_path_risks(cd, n, lam, 0, EPS, target=target, tail="wishart")
        np.testing.assert_allclose(out["ground_truth_adversarial_risk"], gt, atol=1e-15)
        assert out["adversarial_risk"].shape == (40, EPS.size) and out["dual_norm"].shape == (40,)
    with pytest.raises(ValueError, match="tail='explicit'"):
        fr.design_path_risks(design, n, lam, 0, EPS, norm=np.inf, tail="wishart")
    with pytest.raises(TypeError, match="tail='wishart'"):
        fr.design_path_risks(cd, n, lam, 0, EPS)


@pytest.mark.slow
@pytest.mark.parametrize("n", [300, 2100])  # both sides of LAPACK_MIN_N
def test_memory_estimate_bounds_the_traced_peak(n):
    import tracemalloc

    s = spectra.two_level(10**9, n**0.5 / 10**9, tau=2.0, compact=True)
    design = fr.GaussianDesign(s, np.eye(s.m)[0], noise=1.0, theta_tail_norm=0.3)
    lam = _lam(n, 1000)
    fr.RidgePath.from_design(design, 50, lam, seed=0, tail="wishart").adversarial_risk(design, EPS)  # compile
    tracemalloc.start()
    try:
        path = fr.RidgePath.from_design(design, n, lam, seed=0, tail="wishart")
        for target in TARGETS:
            path.adversarial_risk(design, EPS, target=target)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    est = _wishart.estimate_bytes(n, lam.size, s.m)
    assert 0.5 * est < peak <= est  # an upper estimate, and not a wild one


def _injected_multi(designs, n, lam, seed):
    """The Wishart path of several designs on the tail Gram and columns of the explicit X."""
    X, _ = designs[0].sample(n, seed)
    c0, _ = mode_structure(designs[0].cov)
    mask = designs[0].cov == c0
    XT = X[:, mask]
    Q = _wishart._tail_basis([d.theta_star[mask] for d in designs])
    if Q.shape[1] == 0:
        Q = np.eye(XT.shape[1])[:, :1]
    G = XT @ Q
    return _wishart.build_from_design(fr.RidgePath, designs, n, lam, seed, tail_gram=XT @ XT.T - G @ G.T,
                                      tail_column=G)


def test_several_targets_equal_the_explicit_route_given_the_tail_gram():
    n, p = 36, 800
    cov = spectra.two_level(p, n**0.5 / p, tau=2.0)
    t1 = _theta("tail_sparse", cov, None)
    t2 = _theta("dense", cov, np.random.default_rng(3))  # another tail direction: r = 2
    designs = [fr.GaussianDesign(cov, t1, noise=0.5), fr.GaussianDesign(cov, t1, noise=2.0),
               fr.GaussianDesign(cov, t2, noise=1.0)]
    lam = _lam(n)
    ref = fr.RidgePath.from_design(designs, n, lam, seed=6)
    got = _injected_multi(designs, n, lam, 6)
    assert got._tail.r == 2 and got.n_targets == 3 and got.multi_target
    for target in TARGETS:
        a = got.adversarial_risk(designs, EPS, target=target)
        assert a.shape == (40, EPS.size, 3)
        assert _rel(a, ref.adversarial_risk(designs, EPS, target=target)) < 1e-10, target
    assert _rel(got.standard_risk(designs), ref.standard_risk(designs)) < 1e-10
    assert _rel(got.standard_risk_noise_avg(designs), ref.standard_risk_noise_avg(designs)) < 1e-10
    assert _rel(got.norm2_sq_noise_avg(designs), ref.norm2_sq_noise_avg(designs)) < 1e-10
    assert _rel(got.norm(2), ref.norm(2)) < 1e-10
    # one design, noise averages too
    one = _injected(designs[0], n, lam, 6)
    ref1 = fr.RidgePath.from_design(designs[0], n, lam, seed=6)
    assert _rel(one.standard_risk_noise_avg(designs[0]), ref1.standard_risk_noise_avg(designs[0])) < 1e-10
    assert _rel(one.norm2_sq_noise_avg(designs[0]), ref1.norm2_sq_noise_avg(designs[0])) < 1e-10


def test_noise_levels_fold_onto_one_wishart_draw():
    n = 50
    s = spectra.two_level(10**8, 1e-6, tau=2.0, compact=True)
    lead = np.eye(s.m)[0]
    designs = [fr.GaussianDesign(s, lead, noise=sd, theta_tail_norm=0.4) for sd in (0.0, 0.5, 2.0)]
    lam = _lam(n)
    folded = fr.RidgePath.from_design(designs, n, lam, seed=2, tail="wishart")
    for t, d in enumerate(designs):  # column t is the one-design path of designs[t] on the same draw
        one = fr.RidgePath.from_design(d, n, lam, seed=2, tail="wishart")
        for target in TARGETS:
            assert _rel(folded.adversarial_risk(designs, EPS, target=target)[:, :, t],
                        one.adversarial_risk(d, EPS, target=target)) < 1e-10
    # another compact tail norm rides on the same direction; a design of another covariance does not
    other = fr.GaussianDesign(s, 0.5 * lead, noise=1.0, theta_tail_norm=3.0)
    assert folded.standard_risk([other] * 3).shape == (40, 3)
    with pytest.raises(ValueError, match="share one covariance"):
        fr.RidgePath.from_design([designs[0], fr.GaussianDesign(spectra.spiked(10**8, 2, compact=True),
                                                                 np.ones(2))], n, lam, seed=0, tail="wishart")
