"""``fastrisk reproduce``: experiments end to end at tiny sizes, theory overlays, the report, the CLI."""

from __future__ import annotations

import math
import sys

import numpy as np
import pandas as pd
import pytest

import fastrisk as fr
from fastrisk import reproduce as rp
from fastrisk import theory as T
from fastrisk.cli import reproduce as cli_rep
from fastrisk.reproduce import _common as C
from fastrisk.reproduce import e1_minnorm, e2_tradeoff, regime

pytest.importorskip("matplotlib")


@pytest.fixture
def tiny(monkeypatch):
    """Shrink every experiment to seconds (same code paths, smaller n)."""
    monkeypatch.setattr(e1_minnorm, "config", lambda quick: e1_minnorm.Config(ns=(40, 80), seeds=2))
    monkeypatch.setattr(e2_tradeoff, "config",
                        lambda quick: e2_tradeoff.Config(ns=(40, 80), seeds=2, n_lam=15))
    monkeypatch.setattr(regime, "config", lambda quick: regime.Config(
        theory_ns=(100, 316, 1000), sim_ns=(60,), sim_seeds=1, spectra=("two_level",),
        theta_stars=("e1", "power:a=1"), n_lam=60, sim_n_lam=20))


@pytest.mark.slow
def test_end_to_end_tiny_run_resumes_and_reports(tmp_path, tiny):
    out = tmp_path / "rep"
    figs = tmp_path / "docs"
    done = rp.run(out, only="E1,E2,regime", quick=True, workers=1, progress=False, figures_dir=figs)
    assert list(done) == ["E1", "E2", "regime"]
    report = (out / "REPORT.md").read_text()
    for s in done.values():
        assert f"## {s.title}" in report
        for f in s.figures:
            assert (out / f).stat().st_size > 1000
            if f.endswith(".png"):
                assert f"]({f})" in report
                assert (out / f).stat().st_size < 300_000
                assert (figs / f.split("/")[-1]).exists()
        for t in s.tables:
            assert (out / t).exists()
        assert s.findings and all(isinstance(x, str) and x for x in s.findings)
    e1 = pd.read_parquet(out / "E1" / "e1_minnorm.parquet")
    assert set(e1["source"]) == {"simulation", "theory"}
    assert set(e1["norm"]) == {2.0, math.inf}
    # one simulated row recomputed with the public API: the sweep's data are design.sample(n, seed)
    row = e1[(e1["source"] == "simulation") & (e1["spectrum"] == "two_level") & (e1["n"] == 80)
             & (e1["seed"] == 1) & (e1["norm"] == math.inf) & (e1["eps"] == 0.1)].iloc[0]
    s = C.spectrum_array("two_level", 80)
    design = fr.GaussianDesign(s, C.theta_star(s.size), noise=1.0)
    X, y = design.sample(80, seed=1)
    path = fr.RidgePath(X, y, [0.0])
    np.testing.assert_allclose(row["standard_risk"], path.standard_risk(design)[0], rtol=1e-9)
    np.testing.assert_allclose(row["adversarial_risk"],
                               path.adversarial_risk(design, [0.1], norm=np.inf)[0, 0], rtol=1e-9)
    e2 = pd.read_parquet(out / "E2" / "e2_tradeoff.parquet")
    assert len(e2[e2["source"] == "simulation"]) == 2 * 2 * 16 * 3  # n x seeds x penalties x radii
    # resume: a second run recomputes no simulation and gives the same tables
    before = {p: p.read_bytes() for p in (out / "E1" / "sweeps").rglob("*.parquet")}
    rp.run(out, only="E1", quick=True, workers=1, progress=False)
    after = {p: p.read_bytes() for p in (out / "E1" / "sweeps").rglob("*.parquet")}
    assert before == after
    pd.testing.assert_frame_equal(e1, pd.read_parquet(out / "E1" / "e1_minnorm.parquet"))
    # the same directory at the other size is refused
    with pytest.raises(rp.ReproduceError, match="--quick"):
        rp.run(out, only="E1", quick=False, workers=1, progress=False)


@pytest.mark.slow
def test_e2_summary_harm_is_min_over_penalties_per_seed(tmp_path, tiny):
    rp.run(tmp_path, only="E2", quick=True, workers=1, progress=False)
    tab = pd.read_csv(tmp_path / "E2" / "e2_summary.csv")
    sim = pd.read_parquet(tmp_path / "E2" / "e2_tradeoff.parquet")
    sim = sim[sim["source"] == "simulation"]
    for r in tab.itertuples():
        d = sim[(sim["n"] == r.n) & (sim["eps"] == r.eps)]
        per_seed = [np.min(np.maximum(g["standard_risk"], g["adversarial_risk"] - r.eps**2))
                    for _, g in d.groupby("seed")]
        np.testing.assert_allclose(r.harm, np.mean(per_seed), rtol=1e-12)
        assert r.oracle_best_adversarial_risk == pytest.approx(r.eps**2, rel=1e-9)  # theta* itself
        assert r.gap_to_oracle > 0


def test_e1_theory_respects_the_minnorm_lower_bound():
    cfg = e1_minnorm.Config(ns=(100, 1000), seeds=1)
    th = e1_minnorm.theory_table(cfg, ns=cfg.ns)
    # R_eps >= R_0 + eps^2 E|theta|^2 >= eps^2 sigma^2 n / tr(Sigma), also for l_inf (|theta|_1 >= |theta|_2)
    floor = th["standard_risk"] + th["eps"] ** 2 * th["norm2_sq"]
    assert np.all(th["adversarial_risk"] >= floor * (1 - 1e-12))
    assert np.all(th["eps"] ** 2 * th["norm2_sq"] >= th["lower_bound"])
    r = th[(th["spectrum"] == "two_level") & (th["n"] == 1000)].iloc[0]
    assert r["standard_risk"] == pytest.approx(0.0387, abs=5e-4)  # the main job's deterministic row
    assert r["norm2_sq"] == pytest.approx(33.4, abs=0.1)


def test_harm_matches_a_direct_evaluation_of_the_theory():
    cfg = e2_tradeoff.Config(ns=(300,), seeds=1, n_lam=50)
    th = e2_tradeoff.theory_paths(cfg)
    s = C.spectrum_array("two_level", 300)
    lam = e2_tradeoff.lam_grid(cfg, 300)
    adv = T.adversarial_equivalent(s, C.theta_star(s.size), 1.0, 300, lam, [0.2])[:, 0]
    t = th[th["eps"] == 0.2].sort_values("lam")
    np.testing.assert_allclose(t["adversarial_risk"], adv, rtol=1e-12)
    h = e2_tradeoff.harm(t["standard_risk"].to_numpy(), t["adversarial_risk"].to_numpy(), 0.04)
    direct = min(max(a, b - 0.04) for a, b in zip(t["standard_risk"], adv, strict=True))
    assert h.min() == pytest.approx(direct)


def test_sweep_specs_describe_the_benign_instances():
    from fastrisk.sweep import expand, parse_spec

    sp = C.sweep_specs("two_level", [100, 400], 2, lam=[0.0], eps=[0.1], norm=[2, math.inf])
    grid = expand(parse_spec(sp["two_level"]))
    ps = sorted({t["p"] for t in grid.tasks})
    assert ps == [1000, 8000]
    sp = C.sweep_specs("bllt_log", [100, 400], 2, lam=[0.0], eps=[0.1], norm=[2])
    assert sorted(sp) == ["bllt_log_n100", "bllt_log_n400"]
    assert sp["bllt_log_n400"]["p"] == [8000]


@pytest.mark.parametrize("argv, msg", [
    (["--only", "E1,E9"], "unknown experiment 'E9'"),
    (["--only", ","], "no experiment named"),
    (["--only", "radius"], "the radius experiment is now part of the regime map: --only regime"),
])
def test_cli_bad_experiment_names_exit_2_with_one_line(argv, msg, capsys, tmp_path):
    assert cli_rep.main(argv + ["--out", str(tmp_path / "x")]) == 2
    err = capsys.readouterr().err
    assert msg in err and "Traceback" not in err and err.count("\n") == 1
    assert not (tmp_path / "x").exists()


def test_cli_refuses_a_directory_holding_something_else(capsys, tmp_path):
    (tmp_path / "manifest.json").write_text("{}")  # e.g. a sweep's output
    assert cli_rep.main(["--out", str(tmp_path), "--only", "E1", "--no-progress"]) == 2
    err = capsys.readouterr().err
    assert "holds no fastrisk reproduce results" in err and "Traceback" not in err


def test_cli_bad_flag_is_one_line_not_the_usage_block(capsys, tmp_path):
    with pytest.raises(SystemExit) as ex:
        cli_rep.main(["--size", "huge", "--out", str(tmp_path / "x")])
    assert ex.value.code == 2
    err = capsys.readouterr().err
    assert "--size" in err and err.count("\n") == 1 and "usage:" not in err


def test_cli_figures_dir_that_is_a_file_fails_before_computing(capsys, tmp_path):
    (tmp_path / "f").write_text("")
    assert cli_rep.main(["--out", str(tmp_path / "o"), "--only", "E1", "--figures-dir",
                         str(tmp_path / "f"), "--no-progress"]) == 2
    err = capsys.readouterr().err
    assert "--figures-dir" in err and "not a directory" in err and err.count("\n") == 1
    assert not (tmp_path / "o").exists()  # refused before anything was written


def test_cli_out_under_a_file_is_a_user_error_not_a_resume_hint(capsys, tmp_path):
    (tmp_path / "f").write_text("")
    assert cli_rep.main(["--out", str(tmp_path / "f" / "sub"), "--only", "E1", "--no-progress"]) == 2
    err = capsys.readouterr().err
    assert "cannot write to --out" in err and "resume" not in err and err.count("\n") == 1


def test_cli_workers_with_scheduler_is_refused_not_ignored(capsys, tmp_path):
    assert cli_rep.main(["--out", str(tmp_path / "o"), "--workers", "2", "--scheduler",
                         "tcp://127.0.0.1:1"]) == 2
    err = capsys.readouterr().err
    assert "not both" in err and err.count("\n") == 1 and not (tmp_path / "o").exists()


def test_cli_missing_matplotlib_exits_2(monkeypatch, capsys, tmp_path):
    monkeypatch.setitem(sys.modules, "matplotlib", None)  # import matplotlib -> ImportError
    assert cli_rep.main(["--out", str(tmp_path / "y"), "--quick"]) == 2
    err = capsys.readouterr().err
    assert "pip install 'fastrisk[plot]'" in err and "Traceback" not in err
    assert not (tmp_path / "y").exists()


@pytest.mark.slow
def test_cli_runs_through_the_fastrisk_command(tiny, capsys, tmp_path):
    from fastrisk import cli

    assert cli.main(["reproduce", "--quick", "--out", str(tmp_path), "--only", "e1", "--workers", "1",
                     "--no-progress"]) == 0
    out = capsys.readouterr()
    assert "REPORT.md" in out.out and "E1: done" in out.err
    assert (tmp_path / "E1" / "e1_minnorm.pdf").exists()


@pytest.mark.slow
def test_e3_tiny_run_linearisation_and_resume(tmp_path, monkeypatch):
    from fastrisk.reproduce import e3_ntk

    cfg = e3_ntk.Config(n=40, seeds=2, widths=(64, 256), n_lam=5, test_size=200, attack_size=20, pgd_steps=4,
                        gd_max_steps=400, gd_tol=1e-3)
    monkeypatch.setattr(e3_ntk, "config", lambda quick: cfg)
    s = rp.run(tmp_path, only="E3", quick=True, workers=1, progress=False)["E3"]
    tab = pd.read_parquet(tmp_path / "E3" / "e3_ntk.parquet")
    assert set(tab["model"]) == {"ntk_infinite", "linear_implicit", "linear_minnorm", "ntk_finite",
                                 "gd_network"}
    # the implicit penalty is lam_imp + lam / g1 with lam_imp = tr(Sigma) for the first-layer NTK
    tr = float(e3_ntk.spectrum(cfg).sum())
    lin = tab[tab["model"] == "linear_implicit"]
    np.testing.assert_allclose(lin["lam_linear"], tr + lin["lam"] / 0.25, rtol=1e-12)
    # PGD never below the clean loss; first order and PGD share the standard risk at the same points
    pg = tab[(tab["model"] == "ntk_infinite") & (tab["method"] == "pgd")]
    assert np.all(pg["adversarial_risk"] >= pg["standard_risk"] * (1 - 1e-12))
    gd = tab[tab["model"] == "gd_network"]
    assert np.all(gd["gap_to_finite_kernel"] < gd["gap_to_infinite_kernel"])
    assert s.findings and (tmp_path / "E3" / "e3_ntk.png").exists()
    # the seed pieces are the resume points: a rerun reads them back unchanged
    before = (tmp_path / "E3" / "pieces" / "seed1.parquet").read_bytes()
    rp.run(tmp_path, only="E3", quick=True, workers=1, progress=False)
    assert (tmp_path / "E3" / "pieces" / "seed1.parquet").read_bytes() == before
    # another configuration in the same directory is refused
    monkeypatch.setattr(e3_ntk, "config", lambda quick: e3_ntk.Config(n=41, seeds=1, widths=(64,)))
    with pytest.raises(rp.ReproduceError, match="another configuration"):
        rp.run(tmp_path, only="E3", quick=True, workers=1, progress=False)


def test_e3_run_seed_matches_the_public_api():
    from fastrisk import ntk
    from fastrisk.reproduce import e3_ntk

    cfg = e3_ntk.Config(n=30, seeds=1, widths=(32,), n_lam=3, test_size=50, attack_size=10, pgd_steps=2,
                        gd_max_steps=50, gd_tol=1e-2)
    tab = e3_ntk.run_seed(cfg, 0)
    s = e3_ntk.spectrum(cfg)
    design = fr.GaussianDesign(s, C.theta_star(s.size), noise=1.0)
    k_train, k_test = np.random.SeedSequence([30, 0]).spawn(2)
    X, y = design.sample(30, seed=k_train)
    Xt, _ = design.sample(50, seed=k_test)
    lam = e3_ntk.lam_grid(cfg, float(s.sum()))
    R0 = ntk.TwoLayerNTK(None).fit(X, y, lam).standard_risk(Xt, theta_star=C.theta_star(s.size))
    got = tab[(tab["model"] == "ntk_infinite") & (tab["method"] == "first_order") & (tab["eps"] == 0.1)]
    np.testing.assert_allclose(got.sort_values("lam")["standard_risk"], R0, rtol=1e-12)


@pytest.mark.slow
def test_cli_unreachable_scheduler_is_a_clear_error_not_a_hang(capsys, tmp_path):
    pytest.importorskip("distributed")
    import time

    t0 = time.perf_counter()
    assert cli_rep.main(["--out", str(tmp_path / "z"), "--only", "E2", "--scheduler", "tcp://127.0.0.1:9",
                         "--no-progress"]) == 2
    assert time.perf_counter() - t0 < 60
    err = capsys.readouterr().err
    assert "cannot use --scheduler" in err and "Traceback" not in err
    assert not (tmp_path / "z").exists()


@pytest.mark.slow
def test_e2_on_a_dask_cluster_gives_the_local_table(tmp_path, tiny):
    distributed = pytest.importorskip("distributed")
    rp.run(tmp_path / "local", only="E2", quick=True, workers=1, progress=False)
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                  dashboard_address=None) as lc, distributed.Client(lc) as client:
        rp.run(tmp_path / "dask", only="E2", quick=True, client=client, progress=False)
    a = pd.read_parquet(tmp_path / "local" / "E2" / "e2_tradeoff.parquet")
    b = pd.read_parquet(tmp_path / "dask" / "E2" / "e2_tradeoff.parquet")
    pd.testing.assert_frame_equal(a, b)


_DRIVER = """
import sys
import fastrisk.sweep.tasks
fastrisk.sweep.tasks.BATCH_SECONDS = 0  # one task per file: the kill below lands mid-sweep
from fastrisk.reproduce import e2_tradeoff as E
E.config = lambda quick: E.Config(ns=(40, 80, 120), seeds=3, n_lam=15)
from fastrisk.cli.reproduce import main
if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
"""


@pytest.mark.slow
def test_sigkill_midway_then_rerun_gives_the_uninterrupted_tables(tmp_path):
    import os
    import pathlib
    import signal
    import subprocess
    import time

    driver = tmp_path / "driver.py"
    driver.write_text(_DRIVER)
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(pathlib.Path(rp.__file__).parents[2])]
                                                      + os.environ.get("PYTHONPATH", "").split(os.pathsep)))
    args = [sys.executable, str(driver), "--quick", "--only", "E2", "--workers", "1", "--no-progress"]
    ref = subprocess.run(args + ["--out", str(tmp_path / "ref")], env=env, capture_output=True, text=True,
                         timeout=600)
    assert ref.returncode == 0, ref.stderr
    out = tmp_path / "killed"
    proc = subprocess.Popen(args + ["--out", str(out)], env=env, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    tasks = out / "E2" / "sweeps" / "two_level" / "tasks"
    t0 = time.time()
    while time.time() - t0 < 300 and not (tasks.exists() and len(list(tasks.glob("*.parquet"))) >= 2):
        time.sleep(0.05)
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=60)
    n_done = len(list(tasks.glob("*.parquet")))
    assert 2 <= n_done < 9, n_done  # killed in the middle of the sweep
    assert not (out / "E2" / "summary.json").exists()
    again = subprocess.run(args + ["--out", str(out)], env=env, capture_output=True, text=True, timeout=600)
    assert again.returncode == 0, again.stderr
    a = pd.read_parquet(tmp_path / "ref" / "E2" / "e2_tradeoff.parquet")
    b = pd.read_parquet(out / "E2" / "e2_tradeoff.parquet")
    pd.testing.assert_frame_equal(a, b)
    pd.testing.assert_frame_equal(pd.read_csv(tmp_path / "ref" / "E2" / "e2_summary.csv"),
                                  pd.read_csv(out / "E2" / "e2_summary.csv"))


def test_e2_with_a_ground_truth_of_norm_2_and_the_consistent_target(tmp_path):
    # the reproduction's code path computes R_eps(theta*) for its target (consistent: 0) and its norm,
    # forms no ratio to a zero, and its simulated rows are the public API's for theta* = 2 e_1
    cfg = e2_tradeoff.Config(ns=(40, 80), seeds=2, n_lam=12, theta_star="e1:scale=2", target="consistent")
    s = e2_tradeoff.run(tmp_path, cfg=cfg, workers=1, progress=False)
    tab = pd.read_csv(tmp_path / "E2" / "e2_summary.csv")
    assert (tab["ground_truth_adversarial_risk"] == 0).all() and (tab["target"] == "consistent").all()
    sim = pd.read_parquet(tmp_path / "E2" / "e2_tradeoff.parquet")
    sim = sim[sim["source"] == "simulation"]
    for r in tab.itertuples():
        d = sim[(sim["n"] == r.n) & (sim["eps"] == r.eps)]
        per_seed = [np.min(np.maximum(g["standard_risk"], g["adversarial_risk"]))
                    for _, g in d.groupby("seed")]
        np.testing.assert_allclose(r.harm, np.mean(per_seed), rtol=1e-12)  # harm with R_eps(theta*) = 0
        assert r.oracle_best_adversarial_risk == 0.0  # theta* itself: R_0 = 0, no attack moves it
    text = " ".join(s.findings)
    assert "x the ground truth" not in text and "theta* = e1:scale=2.0" in s.setting
    row = sim[(sim["n"] == 80) & (sim["seed"] == 1) & (sim["eps"] == 0.1)].sort_values("lam").iloc[3]
    spec = C.spectrum_array("two_level", 80)
    t = np.zeros(spec.size)
    t[0] = 2.0
    design = fr.GaussianDesign(spec, t, noise=1.0)
    path = fr.RidgePath(*design.sample(80, seed=1), [row["lam"]])
    np.testing.assert_allclose(row["standard_risk"], path.standard_risk(design)[0], rtol=1e-9)
    np.testing.assert_allclose(row["adversarial_risk"],
                               path.adversarial_risk(design, [0.1], target="consistent")[0, 0], rtol=1e-9)
    # and the clean target with the same theta*: R_eps(theta*) = eps^2 ||theta*||^2 = 4 eps^2
    cfg = e2_tradeoff.Config(ns=(40,), seeds=1, n_lam=12, theta_star="e1:scale=2")
    s2 = e2_tradeoff.run(tmp_path / "clean", cfg=cfg, workers=1, progress=False)
    tab = pd.read_csv(tmp_path / "clean" / "E2" / "e2_summary.csv")
    np.testing.assert_allclose(tab["ground_truth_adversarial_risk"], 4 * tab["eps"] ** 2, rtol=1e-12)
    np.testing.assert_allclose(tab["oracle_best_adversarial_risk"], 4 * tab["eps"] ** 2, rtol=1e-9)
    assert s2.findings


def test_e2_refuses_a_ground_truth_the_sweep_cannot_carry(tmp_path):
    cfg = e2_tradeoff.Config(ns=(40,), seeds=1, n_lam=5, theta_star="dense:seed=1")
    with pytest.raises(rp.ReproduceError, match="takes theta\\* = signal \\* e_1 only"):
        e2_tradeoff.run(tmp_path, cfg=cfg, workers=1, progress=False)


def test_e3_gap_slopes_are_least_squares_fits_per_seed():
    from fastrisk.reproduce import e3_ntk, e3_text

    w = np.array([128, 256, 512, 1024])
    rows = []
    for seed, (a, b) in enumerate([(-0.7, -0.5), (-0.8, -0.45)]):
        for m in w:
            rows.append(dict(model="gd_network", method="pgd", seed=seed, width=m, eps=0.2,
                             gap_to_finite_kernel=0.3 * m**a, gap_to_infinite_kernel=2.0 * m**b))
    sl = e3_ntk.gap_slopes(pd.DataFrame(rows)).set_index(["seed", "gap"])["slope"]
    assert sl[(0, "gap_to_finite_kernel")] == pytest.approx(-0.7) and sl[(1, "gap_to_infinite_kernel")] == \
        pytest.approx(-0.45)
    assert e3_text._ms(sl.xs("gap_to_finite_kernel", level="gap")) == "-0.75 +- 0.071"
