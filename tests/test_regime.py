"""The regime map: the issue's numbers from the theory, verdicts from slopes, sentences from verdicts,
simulations recomputed through the public API, ground-truth risks computed for their target and norm."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

import fastrisk as fr
from fastrisk import ground_truth as G
from fastrisk.reproduce import _common as C
from fastrisk.reproduce import regime as R
from fastrisk.reproduce import regime_text as X

pytest.importorskip("matplotlib")

CFG = R.Config(theory_ns=(100,), sim_ns=(), sim_seeds=1, spectra=("two_level",), theta_stars=("e1",))


def _cells(rows):
    return {(r["attack"], r["schedule"]): r for r in rows}


@pytest.mark.parametrize("n, clean_fixed, cons_quarter, cons_half", [
    # the issue's table (two_level, sigma = 1, theta* = e_1); tolerance 2e-3 absolute: the issue rounds
    (100, 0.224, 0.163, 0.126),
    (1000, 0.129, 0.128, 0.128),
    (10_000, 0.080, 0.125, 0.202),
])
def test_theory_reproduces_the_issue_table(n, clean_fixed, cons_quarter, cons_half):
    c = _cells(R.theory_point("two_level", "e1", n, CFG))
    assert c[("l2 clean", "fixed")]["harm"] == pytest.approx(clean_fixed, abs=2e-3)
    assert c[("l2 consistent", "gamma=+1/4")]["harm"] == pytest.approx(cons_quarter, abs=2e-3)
    assert c[("l2 consistent", "gamma=+1/2")]["harm"] == pytest.approx(cons_half, abs=2e-3)
    # l_inf, clean: ridge's best is theta = 0 (H = theta*^T Sigma theta* = lambda_1 = e^-1/2 + low), within 2%
    li = c[("linf clean", "fixed")]
    assert li["null_risk"] == pytest.approx(C.spectrum_array("two_level", n)[0], rel=1e-12)
    assert li["harm"] == pytest.approx(li["null_risk"], rel=0.02)
    for r in c.values():  # never an edge of the penalty grid reported as an optimum
        assert r["harm_edge"] == "" and r["best_adv_edge"] == ""
        assert r["harm"] <= r["null_risk"] * (1 + 1e-12)  # theta = 0 is always available


def test_theory_at_n_1e5_gives_the_done_when_numbers():
    c = _cells(R.theory_point("two_level", "e1", 100_000, CFG))
    assert c[("l2 clean", "fixed")]["harm"] < 0.06 and c[("l2 clean", "fixed")]["harm"] == pytest.approx(
        0.051, abs=2e-3)
    li = c[("linf clean", "fixed")]
    assert li["harm"] == pytest.approx(0.61, abs=0.01) and li["harm_null"]  # marked: the null estimator
    assert c[("l2 consistent", "gamma=+1/2")]["harm"] == pytest.approx(0.314, abs=3e-3)
    assert c[("l2 consistent", "gamma=+1/4")]["harm"] == pytest.approx(0.125, abs=2e-3)


def test_ground_truth_risk_is_computed_for_target_and_norm():
    # theta* of norm 2: the clean l2 risk is 4 eps^2, the l_inf one eps^2 ||theta*||_1^2, the consistent 0
    c = _cells(R.theory_point("two_level", "power:a=1,scale=2", 1000, CFG))
    s = C.spectrum_array("two_level", 1000)
    t = G.make_theta_star("power", s, a=1.0, scale=2.0)
    for sc in R.SCHEDULES:
        eps = c[("l2 clean", sc)]["eps"]
        assert c[("l2 clean", sc)]["ground_truth_adversarial_risk"] == pytest.approx(4 * eps**2, rel=1e-12)
        assert c[("linf clean", sc)]["ground_truth_adversarial_risk"] == pytest.approx(
            eps**2 * np.abs(t).sum() ** 2, rel=1e-12)
        cons = c[("l2 consistent", sc)]
        assert cons["ground_truth_adversarial_risk"] == 0.0
        assert math.isnan(cons["best_over_ground_truth"])  # no ratio to a zero
        assert cons["harm"] > 0
    assert c[("l2 clean", "fixed")]["theta_norm2"] == pytest.approx(2.0)


def test_radius_schedules():
    tr = lambda n: C.spectrum_array("two_level", n).sum()  # noqa: E731
    for sc in R.SCHEDULES:
        assert R.radius(sc, "two_level", R.N0) == pytest.approx(R.EPS0)
    assert R.radius("gamma=+1/2", "two_level", 4000) == pytest.approx(0.4)
    assert R.radius("gamma=-1/2", "spiked", 4000) == pytest.approx(0.1)
    assert R.radius("relative", "two_level", 4000) == pytest.approx(R.EPS0 * math.sqrt(tr(4000) / tr(1000)))
    with pytest.raises(C.ReproduceError, match="unknown radius schedule"):
        R.radius("gamma=2", "two_level", 100)


@pytest.mark.parametrize("slope, verdict", [(-0.5, "fades"), (-0.11, "fades"), (-0.09, "stays"),
                                            (0.0, "stays"), (0.09, "stays"), (0.11, "grows"),
                                            (math.nan, "undecided")])
def test_verdict_thresholds(slope, verdict):
    assert R.verdict_of(slope) == verdict


def _fake(a_by_cell, ns=(100, 1000, 3162, 10_000), null=1.0):
    rows = []
    for (k, t, att, sc), (a, h0) in a_by_cell.items():
        for n in ns:
            h = h0 * (n / 100) ** a
            rows.append(dict(spectrum=k, theta_star=t, attack=att, schedule=sc, n=n, harm=h,
                             harm_rel=h / null, harm_null=bool(abs(h - null) <= 0.01 * null), harm_edge="",
                             eps=0.2, null_risk=null, best_over_ground_truth=2.0, minnorm_standard_risk=0.1,
                             stopped=False))
    return pd.DataFrame(rows)


def test_verdicts_fit_the_last_decade_slope():
    th = _fake({("two_level", "e1", "l2 clean", "fixed"): (-0.2, 0.5),
                ("two_level", "e1", "l2 consistent", "gamma=+1/2"): (0.25, 0.1),
                ("two_level", "e1", "linf clean", "fixed"): (0.0, 1.0)})
    # the first decade behaves differently: only the last one counts
    th.loc[th["n"] == 100, "harm"] *= 10
    v = R.verdicts(th).set_index(["attack", "schedule"])
    assert v.loc[("l2 clean", "fixed"), "slope"] == pytest.approx(-0.2, abs=1e-12)
    assert v.loc[("l2 clean", "fixed"), "n_from"] == 1000
    assert v.loc[("l2 clean", "fixed"), "verdict"] == "fades"
    assert v.loc[("l2 consistent", "gamma=+1/2"), "verdict"] == "grows"
    assert v.loc[("linf clean", "fixed"), "verdict"] == "stays"
    assert v.loc[("linf clean", "fixed"), "null_in_last_decade"]


def test_sentences_name_only_the_cells_that_show_it():
    cells = {}
    for k in ("two_level", "spiked"):
        for t in ("e1", "top10"):
            cells[(k, t, "l2 clean", "fixed")] = (-0.2, 0.5)
            cells[(k, t, "linf clean", "fixed")] = (0.0, 1.0)
            cells[(k, t, "l2 consistent", "gamma=+1/2")] = (0.25 if t == "e1" else 0.0, 0.1)
    ver = R.verdicts(_fake(cells))
    lines = X.reading(ver)
    cons = next(x for x in lines if x.startswith("l2 consistent"))
    # grows on the e1 pairs, stays on the top10 ones: one "strict" clause with the four pairs' slopes
    assert "strict (H stays or grows, slope +0.00 to +0.25) on all 4" in cons
    clean = next(x for x in lines if x.startswith("l2 clean"))
    assert "fades" in clean and "strict" not in clean and "theta = 0" not in clean
    linf = next(x for x in lines if x.startswith("linf clean"))
    assert "ridge's best is theta = 0" in linf and "strict (" not in linf
    summary = X._claim_summary(ver)
    assert "in 4 of 12 cells: l2 consistent with eps ~ n^(1/2) (4/4)" in summary
    assert "It fades (slope below -0.1) in 4 cells: l2 clean with eps = 0.2 fixed (4/4)" in summary
    # the table: one row per cell, no ratio where the ground truth's risk is 0
    ver.loc[0, "best_over_ground_truth_at_nmax"] = math.nan
    tab = X.table(ver)
    assert tab.count("\n") == len(ver) + 1 and "no ratio (R_eps(theta*) = 0)" in tab


@pytest.mark.parametrize("sim_tail", ["explicit", "wishart"])
def test_a_simulated_cell_is_recomputed_by_the_public_api(sim_tail):
    # l2 attacks through cfg.sim_tail, l_inf always through the explicit draw: each cell equals what the
    # public API gives on the same draw
    cfg = R.Config(theory_ns=(60,), sim_ns=(60,), sim_seeds=1, spectra=("two_level",),
                   theta_stars=("power:a=1",), sim_n_lam=12, sim_tail=sim_tail)
    rows = _cells(R.sim_point("two_level", "power:a=1", 60, 0, cfg))
    assert {r["route"] for (att, _), r in rows.items() if att.startswith("l2")} == {sim_tail}
    assert {r["route"] for (att, _), r in rows.items() if att.startswith("linf")} == {"explicit"}
    s = C.spectrum_array("two_level", 60)
    t = fr.make_theta_star("power", s, a=1.0)
    design = fr.GaussianDesign(s, t, noise=1.0)
    lam = 60 * np.concatenate([[0.0], np.logspace(cfg.sim_lam_n[0], cfg.sim_lam_n[1], cfg.sim_n_lam)])
    paths = {"explicit": fr.RidgePath(*design.sample(60, seed=0), lam)}
    if sim_tail == "wishart":
        paths["wishart"] = fr.RidgePath.from_design(design, 60, lam, seed=0, tail="wishart")
    for (att, _), r in rows.items():
        norm, target = R.ATTACKS[att]
        path = paths[r["route"]]
        R0 = path.standard_risk(design)
        adv = path.adversarial_risk(design, [r["eps"]], norm=norm, target=target)[:, 0]
        gt = fr.risk.ground_truth_adversarial_risk(t, [r["eps"]], norm=norm, target=target)[0]
        null = float(s @ (t * t))
        want = min(float(np.min(np.maximum(R0, adv - gt))), null)  # theta = 0 is an end point
        assert r["harm"] == pytest.approx(want, rel=1e-9)
        assert r["minnorm_standard_risk"] == pytest.approx(R0[0], rel=1e-9)
    if sim_tail == "wishart":  # the two draws differ: the l2 cells are not the explicit ones
        assert rows[("l2 clean", "fixed")]["minnorm_standard_risk"] != pytest.approx(
            paths["explicit"].standard_risk(design)[0], rel=1e-6)


def test_linf_is_simulated_only_up_to_its_limit():
    cfg = R.Config(theory_ns=(60,), sim_ns=(60,), sim_seeds=1, spectra=("two_level",), theta_stars=("e1",),
                   sim_n_lam=12, sim_linf_max_n=50)
    rows = R.sim_point("two_level", "e1", 60, 0, cfg)
    assert {r["attack"] for r in rows} == {"l2 clean", "l2 consistent"}


def test_simulation_agrees_with_the_theory_at_moderate_n():
    # n = 400 (p = 8000), two seeds: the simulated harm is within 20% of the deterministic equivalent
    cfg = R.Config(theory_ns=(400,), sim_ns=(400,), sim_seeds=2, spectra=("two_level",), theta_stars=("e1",),
                   sim_n_lam=60)
    th = _cells(R.theory_point("two_level", "e1", 400, cfg))
    sims = [_cells(R.sim_point("two_level", "e1", 400, seed, cfg)) for seed in range(2)]
    for key in [("l2 clean", "fixed"), ("l2 consistent", "gamma=+1/2"), ("linf clean", "fixed")]:
        h = np.mean([s[key]["harm"] for s in sims])
        assert h == pytest.approx(th[key]["harm"], rel=0.2), key


def test_tiny_run_resumes_refuses_another_setting_and_reports(tmp_path):
    from fastrisk import reproduce as rp

    cfg = R.Config(theory_ns=(100, 316, 1000), sim_ns=(60,), sim_seeds=1, spectra=("two_level", "spiked"),
                   theta_stars=("e1", "top_k:k=3,name=top3"), n_lam=60, sim_n_lam=15)
    s = R.run(tmp_path, cfg=cfg, progress=False)
    d = tmp_path / "regime"
    ver = pd.read_parquet(d / "regime_verdicts.parquet")
    assert len(ver) == 2 * 2 * 15 and set(ver["verdict"]) <= {"fades", "stays", "grows"}
    tab = pd.read_parquet(d / "regime.parquet")
    assert set(tab["source"]) == {"theory", "simulation"}
    assert set(tab[tab["source"] == "simulation"]["n"]) == {60}
    assert s.sections and s.sections[0].count("\n") >= len(ver) + 1  # the table, one row per cell
    assert len(s.captions) == 2 and all((tmp_path / f).stat().st_size > 1000 for f in s.figures)
    before = {p.name: p.read_bytes() for p in (d / "pieces").glob("*.parquet")}
    R.run(tmp_path, cfg=cfg, progress=False)  # resumes: pieces unchanged
    assert {p.name: p.read_bytes() for p in (d / "pieces").glob("*.parquet")} == before
    with pytest.raises(rp.ReproduceError, match="another configuration"):
        R.run(tmp_path, cfg=R.Config(theory_ns=(100,), sim_ns=(), sim_seeds=1), progress=False)
    # the report embeds the table and the figures with their captions
    from fastrisk.reproduce.report import write_report

    text = write_report(tmp_path, size="quick").read_text()
    assert "| spectrum | theta* | attack | radius |" in text and "Reading of claim (ii)" in text
    assert "![" in text and "*Each cell: the slope" in text


def test_a_row_past_its_time_budget_stops_at_the_largest_n_reached():
    cfg = R.Config(theory_ns=(100, 200, 400), sim_ns=(), sim_seeds=1, spectra=("two_level",),
                   theta_stars=("dense:seed=1,dist=gaussian",), time_budget=0.0)
    th = R.theory_table(cfg)
    assert set(th["n"]) == {100} and bool(th["stopped"].all())
    assert th.attrs["stopped_at"] == {("two_level", "dense"): 100}
    v = R.verdicts(th)
    assert set(v["verdict"]) == {"undecided"} and v["stopped"].all()
    assert "stopped at n = 100" in X.table(v)
