"""``tail = "wishart"`` in sweeps: rows equal to the library's Wishart route (one multi-target path per
fold), the same law as the explicit sweep, no array of length p at p = 10^9 (in the process and through
the command), an O(n^2) size check, one-line refusals, and hashes of older specs unchanged."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
import tracemalloc
from pathlib import Path

import numpy as np
import pytest

import fastrisk as fr
import fastrisk.sweep as sw
from fastrisk import spectra, theory
from fastrisk.cli import main as cli_main
from fastrisk.ground_truth import resolve_theta_star
from fastrisk.sweep.size import SweepTooLarge, measure

ROOT = Path(__file__).resolve().parents[1]
LAM_N = [0.0, 1e-2, 1e-1, 1.0]
EPS = [0.0, 0.05, 0.2]
TRUTHS = [{"kind": "e1"}, {"kind": "dense", "seed": 4, "name": "dense"}]
SPECTRA = {"spiked": {"n_spikes": 3, "spike": 1.0, "tail": 0.05},
           "two_level": {"low": 1e-3, "tau": 2.0},
           "isotropic": {"scale": 0.5}}


def _spec(**kw) -> dict:
    spec = {"n": 24, "p": 900, "seeds": 2, "noise": [0.3, 1.0], "tail": "wishart", "theory": True,
            "noise_avg": True, "theta_star": TRUTHS,
            "spectrum": [dict(kind=k, **v) for k, v in SPECTRA.items()],
            "path": {"lam_n": LAM_N, "eps": EPS, "target": ["clean", "noisy", "consistent"]}}
    spec.update(kw)
    return spec


def _compact(kind: str, p: int) -> spectra.FlatTail:
    s = getattr(spectra, kind)(p, **SPECTRA[kind], compact=True)
    return s if s.m else spectra.FlatTail([s.tail], s.tail, p)  # isotropic: e_1 a leading coordinate


def test_wishart_rows_equal_the_library(tmp_path):
    """Every fold (2 ground truths x 2 noise levels) is RidgePath.from_design(designs, n, lam, seed,
    tail="wishart") on the compact designs; its rows and theory columns are that path's, to 1e-12."""
    spec = _spec()
    sw.run(spec, tmp_path / "o", workers=1, progress=False)
    df = sw.load(tmp_path / "o", complete=True)
    n, p = 24, 900
    lam = n * np.array(LAM_N)
    close = {"rtol": 1e-12, "atol": 1e-14}
    for kind in SPECTRA:
        s = _compact(kind, p)
        truths = [resolve_theta_star(t).build_compact(s.lead, s.tail, p, n=n) for t in TRUTHS]
        designs = [fr.GaussianDesign(s, lead, noise, theta_tail_norm=t)
                   for lead, t in truths for noise in (0.3, 1.0)]
        assert truths[1][1] > 0  # the dense truth has a tail part: carried by the fold's one tail column
        for seed in (0, 1):
            path = fr.RidgePath.from_design(designs, n, lam, seed, tail="wishart")
            R = path.standard_risk(designs)
            Rbar = path.standard_risk_noise_avg(designs)
            for k, d in enumerate(designs):
                label = TRUTHS[k // 2].get("name", TRUTHS[k // 2]["kind"])
                rows = df[(df.spectrum == kind) & (df.seed == seed) & (df.theta_star == label)
                          & (df.noise == d.noise)]
                assert len(rows) == 3 * lam.size * len(EPS)
                for target in ("clean", "noisy", "consistent"):
                    t = rows[rows.target == target]
                    adv = path.adversarial_risk(designs, EPS, norm=2, target=target)[:, :, k]
                    np.testing.assert_allclose(t["standard_risk"], np.repeat(R[:, k], len(EPS)), **close)
                    np.testing.assert_allclose(t["adversarial_risk"], adv.ravel(), **close)
                    np.testing.assert_allclose(t["standard_risk_noise_avg"], np.repeat(Rbar[:, k], len(EPS)),
                                               **close)
                    eq = theory.ridge_equivalent(s, d.theta_lead, d.noise, n, lam,
                                                 theta_tail_norm=d.theta_tail_norm)
                    th = theory.adversarial_equivalent(s, d.theta_lead, d.noise, n, lam, EPS, target=target,
                                                       theta_tail_norm=d.theta_tail_norm)
                    np.testing.assert_allclose(t["theory_standard_risk"], np.repeat(eq.risk, len(EPS)),
                                               **close)
                    np.testing.assert_allclose(t["theory_adversarial_risk"], th.ravel(), **close)
                assert rows["empirical_adversarial_risk"].isna().all()
    man = json.loads((tmp_path / "o" / "manifest.json").read_text())
    assert man["spec"]["tail"] == "wishart"
    dense = [r for r in man["theta_star"] if r["theta_star"] == "dense"]
    assert len(dense) == 3 and all(abs(r["l2_norm"] - 1.0) < 1e-12 for r in dense)


def test_wishart_sweep_matches_the_explicit_sweep_in_law(tmp_path):
    """Means over 60 independent seeds of each route (disjoint seeds: the routes draw X's leading columns
    alike) agree within 3 combined Monte Carlo standard errors, for every penalty, both ground truths
    (e_1, and a dense one with a tail part) and the l2 adversarial risk of each target (observed:
    |z| <= 1.05); so do the spreads, standard deviations within 40 % (observed within 22 %; the
    sampling error of a standard deviation from 60 draws of these skewed risks is about 10 %, and at
    3000 seeds the library's two routes agree within 2 %)."""
    base = {"n": 20, "p": 240, "noise": 0.5, "theta_star": TRUTHS,
            "spectrum": {"kind": "spiked", "n_spikes": 2, "spike": 1.0, "tail": 0.05},
            "path": {"lam_n": [0.0, 0.05, 1.0], "eps": [0.3], "target": ["clean", "noisy", "consistent"]}}
    S = 60
    sw.run(dict(base, seeds=list(range(S))), tmp_path / "e", workers=1, progress=False)
    sw.run(dict(base, seeds=list(range(1000, 1000 + S)), tail="wishart"), tmp_path / "w", workers=1,
           progress=False)
    keys = ["theta_star", "target", "lam"]
    stats = {}
    for route in ("e", "w"):
        df = sw.load(tmp_path / route, complete=True)
        stats[route] = df.groupby(keys)[["standard_risk", "adversarial_risk"]].agg(["mean", "std"])
    e, w = stats["e"], stats["w"]
    assert len(e) == len(w) == 2 * 3 * 3
    for col in ("standard_risk", "adversarial_risk"):
        se = np.sqrt((e[col]["std"] ** 2 + w[col]["std"] ** 2) / S)
        z = (w[col]["mean"] - e[col]["mean"]).abs() / se
        assert (z < 3.0).all(), z[z >= 3.0]
        assert np.all(np.abs(w[col]["std"] / e[col]["std"] - 1.0) < 0.4), (w[col]["std"] / e[col]["std"])


def test_p_1e9_allocates_nothing_of_length_p(tmp_path):
    """n = 50, p = 10^9 with theory columns and two ground truths: the whole sweep (size check, grid,
    fold, theory, manifest) peaks far below one length-p array (8 GB) under tracemalloc."""
    spec = _spec(n=50, p=10**9, spectrum={"kind": "two_level", "low": 1e-8, "tau": 2.0},
                 theta_star=[{"kind": "e1"}, {"kind": "top_k", "k": "2k*", "name": "top"}])
    tracemalloc.start()
    try:
        s = sw.run(spec, tmp_path / "o", workers=1, progress=False)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert s["computed"] == s["tasks"] == 2 * 2 * 2
    assert peak < 64 * 2**20, f"peak {peak / 2**20:.1f} MiB"
    df = sw.load(tmp_path / "o", complete=True)
    assert np.isfinite(df[["standard_risk", "adversarial_risk", "theory_standard_risk"]].to_numpy()).all()
    assert (df.p == 10**9).all()


@pytest.mark.slow
@pytest.mark.skipif(not Path("/proc/self/status").exists(), reason="reads VmHWM from /proc (Linux)")
def test_p_1e9_through_the_command(tmp_path):
    """``fastrisk sweep`` with n = 50, p = 10^9, tail = "wishart": exit 0, and the process's peak resident
    memory stays far below one length-p array."""
    spec = tmp_path / "s.toml"
    spec.write_text(textwrap.dedent("""\
        n = 50
        p = 1000000000
        seeds = 2
        noise = [0.5, 1.0]
        tail = "wishart"
        theory = true
        [[spectrum]]
        kind = "two_level"
        low = 1e-8
        tau = 2.0
        [path]
        lam_n = {start = -3, stop = 1, num = 9, zero = true}
        eps = [0.0, 0.1]
        target = ["clean", "consistent"]
        """))
    # the peak RSS of this process's own memory, VmHWM (getrusage's ru_maxrss would carry over the
    # parent's peak through fork and exec)
    code = ("import runpy, sys\n"
            "sys.argv = ['fastrisk'] + sys.argv[1:]\n"
            "try:\n    runpy.run_module('fastrisk', run_name='__main__')\n"
            "except SystemExit as e:\n    code = e.code\nelse:\n    code = 0\n"
            "hwm = [ln.split()[1] for ln in open('/proc/self/status') if ln.startswith('VmHWM:')]\n"
            "print('hwm_kib', hwm[0], file=sys.stderr)\n"
            "sys.exit(code)\n")
    r = subprocess.run([sys.executable, "-c", code, "sweep", str(spec), "--out", str(tmp_path / "o"),
                        "--workers", "1", "--json", "--no-progress"], capture_output=True, text=True,
                       timeout=300, cwd=ROOT)
    assert r.returncode == 0, r.stderr
    summary = json.loads(r.stdout.splitlines()[-1])
    assert summary["tasks"] == summary["computed"] == 4
    rss = int(r.stderr.split("hwm_kib")[-1].split()[0]) * 1024
    assert rss < 2**30, f"peak RSS {rss / 2**20:.0f} MiB"
    df = sw.load(tmp_path / "o", complete=True)
    assert len(df) == 4 * 10 * 2 * 2 and np.isfinite(df["adversarial_risk"]).all()


def test_size_is_n_squared_not_n_times_p():
    """n = 2000, p = 10^9: the Wishart route's estimate (O(n^2), the route's own) passes where the
    explicit sweep of the same grid is refused (it would stream n x p)."""
    spec = {"n": 2000, "p": 10**9, "seeds": 1, "spectrum": {"kind": "two_level", "low": 1e-9, "tau": 2.0},
            "path": {"lam_n": {"start": -3, "stop": 1, "num": 50, "zero": True}, "eps": [0.0, 0.1]}}
    size = measure(sw.parse_spec(dict(spec, tail="wishart")))
    assert size.largest.endswith("wishart") and size.task_bytes < 2**30
    size.check(max_memory=2 * 2**30)
    with pytest.raises(SweepTooLarge):
        measure(sw.parse_spec(spec)).check(max_memory=2 * 2**30)


@pytest.mark.slow
def test_n_2000_p_1e9_passes_the_check_and_runs(tmp_path):
    spec = {"n": 2000, "p": 10**9, "seeds": 1, "tail": "wishart",
            "spectrum": {"kind": "two_level", "low": 1e-9, "tau": 2.0},
            "path": {"lam_n": {"start": -3, "stop": 1, "num": 50, "zero": True}, "eps": [0.0, 0.1]}}
    s = sw.run(spec, tmp_path / "o", workers=1, progress=False)
    assert s["computed"] == 1
    df = sw.load(tmp_path / "o", complete=True)
    assert len(df) == 51 * 2 and np.isfinite(df["adversarial_risk"]).all()


@pytest.mark.parametrize("change, match", [
    ({"path": {"lam_n": [0.1], "norm": [2, "inf"]}}, r"path\.norm must be \[2\], got \"inf\""),
    ({"path": {"lam_n": [0.1], "norm": 1}}, r"path\.norm must be \[2\], got 1"),
    ({"test_size": 100}, r"test_size must be 0, got 100"),
    ({"dtype": "float32"}, r"dtype must be \"float64\", got \"float32\""),
    ({"spectrum": [{"kind": "spiked", "n_spikes": 2}, {"kind": "power_law"}]},
     r"spectrum\[1\] is kind 'power_law'"),
    ({"spectrum": {"kind": "bllt_log"}}, r"spectrum\[0\] is kind 'bllt_log'"),
    ({"model": "ntk"}, r"is available for model = \"linear\" only"),
])
def test_refusals_name_tail_wishart_in_one_line(change, match):
    spec = {"n": 10, "p": 100, "tail": "wishart", "spectrum": {"kind": "spiked", "n_spikes": 2},
            "path": {"lam_n": [0.1]}, **change}
    with pytest.raises(sw.SpecError, match=match) as exc:
        sw.parse_spec(spec)
    msg = str(exc.value)
    assert "\n" not in msg and msg.startswith("tail = \"wishart\" ")


def test_unknown_tail_is_refused():
    with pytest.raises(sw.SpecError, match=r"^tail must be one of explicit, wishart"):
        sw.parse_spec({"n": 10, "p": 100, "tail": "bartlett", "spectrum": {"kind": "isotropic"},
                       "path": {"lam_n": [0.1]}})


def test_refusal_at_expansion_and_on_the_command_line(tmp_path, capsys):
    """A two_level spectrum whose leading eigenvalues fill more than half of p has no flat tail to draw:
    refused before anything is written, in one line; the command exits 2."""
    spec = {"n": 10, "p": 60, "tail": "wishart", "spectrum": {"kind": "two_level", "low": 1e-3, "tau": 2.0},
            "path": {"lam_n": [0.1]}}
    with pytest.raises(sw.SpecError, match=r"tail = \"wishart\" needs at least half of them"):
        sw.run(spec, tmp_path / "o", workers=1, progress=False)
    assert not (tmp_path / "o" / "tasks").exists()
    f = tmp_path / "s.toml"
    f.write_text('n = 10\np = 100\ntail = "wishart"\n[[spectrum]]\nkind = "power_law"\n'
                 '[path]\nlam_n = [0.1]\n')
    assert cli_main(["sweep", str(f), "--out", str(tmp_path / "c"), "--workers", "1"]) == 2
    err = capsys.readouterr().err.strip()
    assert "\n" not in err and "tail = \"wishart\"" in err and "power_law" in err


def test_older_hashes_unchanged_and_tail_in_the_hash():
    plain = {"n": 10, "p": 100, "spectrum": {"kind": "spiked", "n_spikes": 2}, "path": {"lam_n": [0.1]}}
    s = sw.parse_spec(plain)
    assert sw.parse_spec(dict(plain, tail="explicit")).hash == s.hash
    assert "tail" not in s.to_json() and s.tail == "explicit"
    w = sw.parse_spec(dict(plain, tail="wishart"))
    assert w.hash != s.hash and w.to_json()["tail"] == "wishart"
    # a spectrum's compact flag is the sweep's to set (tail), not a spectrum parameter
    with pytest.raises(sw.SpecError, match="unknown parameter 'compact'"):
        sw.parse_spec(dict(plain, spectrum={"kind": "spiked", "n_spikes": 2, "compact": True}))


def test_a_fold_of_one_task_is_the_one_design_path(tmp_path):
    """No [[theta_star]], one noise level: theta* = signal * e_1 (any sign) on the compact isotropic
    spectrum's leading coordinate, and the path is from_design(design, ...) of that one design."""
    spec = {"n": 15, "p": 5000, "seeds": [3], "noise": 0.4, "signal": -2.0, "tail": "wishart",
            "spectrum": {"kind": "isotropic", "scale": 0.5},
            "path": {"lam": [0.0, 1.0], "eps": [0.0, 0.3], "target": ["noisy", "consistent"]}}
    sw.run(spec, tmp_path / "o", workers=1, progress=False)
    df = sw.load(tmp_path / "o", complete=True)
    s = spectra.FlatTail([0.5], 0.5, 5000)
    design = fr.GaussianDesign(s, [-2.0], 0.4)
    path = fr.RidgePath.from_design(design, 15, [0.0, 1.0], 3, tail="wishart")
    want = np.concatenate([path.adversarial_risk(design, [0.0, 0.3], norm=2, target=t).ravel()
                           for t in ("noisy", "consistent")])
    np.testing.assert_allclose(df["adversarial_risk"], want, rtol=1e-12)
    np.testing.assert_allclose(df["standard_risk"], np.tile(np.repeat(path.standard_risk(design), 2), 2),
                               rtol=1e-12)
