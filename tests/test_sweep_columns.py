"""Optional columns and the summary: exact noise averages (noise_avg = true), float32 accuracy in every row
(dtype = "float32") with the flagged rows counted in the summary, and best penalties that are never an edge
of the grid reported as an optimum."""

from __future__ import annotations

import json
import warnings

import numpy as np
import pandas as pd
import pytest

import fastrisk as fr
import fastrisk.sweep as sw
from fastrisk import spectra
from fastrisk.cli import main as cli_main
from fastrisk.theory import grid_optimum

LAM_N = [0.0, 1e-3, 1e-2, 1e-1, 1.0]


def _design(kind: str, p: int, noise: float, **kw) -> fr.GaussianDesign:
    theta = np.zeros(p)
    theta[0] = 1.0
    return fr.GaussianDesign(getattr(spectra, kind)(p, **kw), theta, noise)


@pytest.mark.parametrize("stream", [False, True])
def test_noise_average_columns_equal_the_library(tmp_path, stream):
    """Two noise levels in one fold, a structured (spiked) and a general (power_law) covariance."""
    spec = {"n": 30, "p": 120, "seeds": 2, "noise": [0.0, 0.7], "noise_avg": True, "stream": stream,
            "spectrum": [{"kind": "spiked", "n_spikes": 3, "tail": 0.1}, {"kind": "power_law", "a": 1.0}],
            "path": {"lam_n": LAM_N, "eps": [0.0, 0.1], "norm": [2, "inf"], "target": ["clean"]}}
    sw.run(spec, tmp_path / "o", workers=1, progress=False)
    df = sw.load(tmp_path / "o", complete=True)
    assert list(df.columns[-2:]) == ["standard_risk_noise_avg", "norm2_sq_noise_avg"]
    lam = 30 * np.array(LAM_N)
    for kind, kw in (("spiked", {"n_spikes": 3, "tail": 0.1}), ("power_law", {"a": 1.0})):
        for noise in (0.0, 0.7):
            design = _design(kind, 120, noise, **kw)
            path = fr.RidgePath(*design.sample(30, seed=1), lam)
            sel = df[(df.spectrum == kind) & (df.noise == noise) & (df.seed == 1) & (df.norm == 2)]
            np.testing.assert_allclose(sel["standard_risk_noise_avg"],
                                       np.repeat(path.standard_risk_noise_avg(design), 2), rtol=1e-11)
            np.testing.assert_allclose(sel["norm2_sq_noise_avg"],
                                       np.repeat(path.norm2_sq_noise_avg(design), 2), rtol=1e-11)
    # noiseless labels: the average is the risk itself
    z = df[df.noise == 0.0]
    np.testing.assert_allclose(z["standard_risk_noise_avg"], z["standard_risk"], rtol=1e-10, atol=1e-15)


def test_noise_average_is_the_mean_over_noise_draws_on_one_x(tmp_path):
    """The column against a Monte Carlo average over 400 label-noise draws on the task's X (one path with 400
    right-hand sides), within 4 standard errors."""
    spec = {"n": 25, "p": 80, "seeds": [3], "noise": [0.8], "noise_avg": True,
            "spectrum": [{"kind": "power_law", "a": 1.0}], "path": {"lam_n": LAM_N}}
    sw.run(spec, tmp_path / "o", workers=1, progress=False)
    df = sw.load(tmp_path / "o")
    design = _design("power_law", 80, 0.8, a=1.0)
    X, _ = design.sample(25, seed=3)
    Z = np.random.default_rng(0).standard_normal((25, 400))
    Y = (X @ design.theta_star)[:, None] + 0.8 * Z
    mc = fr.RidgePath(X, Y, 25 * np.array(LAM_N)).standard_risk(design)  # (L, 400)
    se = mc.std(axis=1, ddof=1) / np.sqrt(400)
    assert np.all(np.abs(mc.mean(axis=1) - df["standard_risk_noise_avg"].to_numpy()) < 4 * se)


FLOAT32 = {"n": 100, "p": 1000, "seeds": 2, "noise": [0.5, 1.0], "dtype": "float32",
           "spectrum": [{"kind": "bllt_log"}, {"kind": "spiked", "n_spikes": 3, "tail": 0.05}],
           "path": {"lam_n": [0.0, 1e-4, 1e-2, 1.0], "eps": [0.0, 0.1], "norm": [2, "inf"],
                    "target": ["clean"]}}


@pytest.fixture(scope="module")
def float32_sweep(tmp_path_factory):
    out = tmp_path_factory.mktemp("f32") / "o"
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # the rows carry the flags: no Float32AccuracyWarning per task
        s = sw.run(FLOAT32, out, workers=1, progress=False)
    return out, s, sw.load(out, complete=True)


def test_float32_rows_carry_the_accuracy_bound(float32_sweep):
    _, s, df = float32_sweep
    assert list(df.columns[-2:]) == ["accuracy_bound", "accuracy_flag"] and df["accuracy_flag"].dtype == bool
    lam = 100 * np.array(FLOAT32["path"]["lam_n"])
    for kind in ("bllt_log", "spiked"):
        kw = {} if kind == "bllt_log" else {"n_spikes": 3, "tail": 0.05}
        design = _design(kind, 1000, 1.0, **kw)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", fr.Float32AccuracyWarning)
            path = fr.RidgePath(*design.sample(100, seed=1, dtype=np.float32), lam)
        sel = df[(df.spectrum == kind) & (df.noise == 1.0) & (df.seed == 1) & (df.norm == np.inf)]
        np.testing.assert_allclose(sel["accuracy_bound"], np.repeat(path.accuracy_bound(), 2), rtol=1e-12)
        np.testing.assert_array_equal(sel["accuracy_flag"], np.repeat(path.accuracy_flags(), 2))
        np.testing.assert_allclose(sel["standard_risk"], np.repeat(path.standard_risk(design), 2), rtol=1e-9)
    flagged = df[df.accuracy_flag]
    # bllt_log at n = 100 loses digits at the smallest penalties in float32; spiked does not
    assert set(flagged["spectrum"]) == {"bllt_log"} and set(flagged["lam_n"]) <= {0.0, 1e-4}
    assert (df["accuracy_flag"] == (df["accuracy_bound"] > fr.config.FLOAT32_RTOL)).all()
    assert s["flagged_rows"] == int(df["accuracy_flag"].sum()) > 0


def test_float32_summary_says_how_many_rows_are_flagged(float32_sweep, tmp_path, capsys):
    out, s, _ = float32_sweep
    f = tmp_path / "spec.toml"
    f.write_text(json_to_toml(FLOAT32))
    assert cli_main(["sweep", str(f), "--out", str(out), "--workers", "1"]) == 0  # resumes: all done
    text = capsys.readouterr().out
    assert f"float32: {s['flagged_rows']} of {s['rows']} rows flagged" in text
    assert cli_main(["sweep", str(f), "--out", str(out), "--workers", "1", "--json"]) == 0
    js = json.loads(capsys.readouterr().out.splitlines()[-1])
    assert js["flagged_rows"] == s["flagged_rows"] and js["skipped"] == s["tasks"]


def json_to_toml(spec: dict) -> str:
    from tests.test_sweep_truth import _toml

    return _toml(spec)


EDGE = {"n": 40, "p": 200, "seeds": 3, "noise": [0.5],
        "spectrum": [{"kind": "spiked", "n_spikes": 3, "tail": 0.05}],
        "path": {"lam_n": {"start": -3, "stop": 0, "num": 13}, "eps": [0.0, 2.0], "norm": [2, "inf"],
                 "target": ["noisy"]}}


def test_best_penalties_mark_grid_edges_as_bounds(tmp_path):
    out = tmp_path / "o"
    sw.run(EDGE, out, workers=1, progress=False)
    df = sw.load(out)
    b = sw.best_penalties(out)
    assert len(b) == 4 and (b["seeds"] == 3).all()
    for _, r in b.iterrows():
        cell = df[(df.norm == r["norm"]) & (df.eps == r["eps"])]
        mean = cell.groupby("lam")["adversarial_risk"].mean()
        o = grid_optimum(mean.to_numpy(), mean.index.to_numpy())
        assert (r["lam"], r["value"], r["edge"]) == (o.lam, o.value, o.edge)
    # a large l_inf radius wants a penalty above lam/n = 1: the best of this grid is its edge, a bound
    top = b[(b.norm == np.inf) & (b.eps == 2.0)].iloc[0]
    assert top["edge"] == "upper" and top["bound"] and top["lam_n"] == pytest.approx(1.0)
    assert top["best"] == "lam/n >= 1 (grid edge; value is an upper bound)"
    inner = b[(b.norm == 2) & (b.eps == 0.0)].iloc[0]
    assert inner["edge"] == "" and "grid edge" not in inner["best"]
    assert sw.best_penalties(df, "standard_risk").shape[0] == 4
    with pytest.raises(ValueError, match="column must be"):
        sw.best_penalties(df, "risk")


def test_cli_summary_reports_bounds_never_edge_optima(tmp_path, capsys):
    f = tmp_path / "spec.toml"
    f.write_text(json_to_toml(EDGE))
    assert cli_main(["sweep", str(f), "--out", str(tmp_path / "o"), "--workers", "1"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[1].startswith("best penalty per cell by the seed mean of adversarial_risk")
    cells = lines[2:6]
    assert any("norm=inf eps=2: lam/n >= 1 (grid edge; value is an upper bound)" in c for c in cells), cells
    edge_count = sum("grid edge" in c for c in cells)
    assert lines[6].startswith(f"best penalty on an edge of the grid (a bound) in {edge_count} of 4 cell(s)")
    assert "float32" not in "\n".join(lines)
    assert cli_main(["sweep", str(f), "--out", str(tmp_path / "o"), "--workers", "1", "--json"]) == 0
    js = json.loads(capsys.readouterr().out.splitlines()[-1])
    assert js["best_penalty"] == {"cells": 4, "on_edge": edge_count} and js["flagged_rows"] == 0


def test_large_store_not_summarised(tmp_path, monkeypatch):
    from fastrisk.sweep import summary

    sw.run(EDGE, tmp_path / "o", workers=1, progress=False)
    lines, counts = summary.summary_lines(tmp_path / "o", max_rows=10)
    assert counts == {} and "not summarised" in lines[0] and "best_penalties" in lines[0]
    lines, counts = summary.summary_lines(tmp_path / "o", max_cells=1)
    assert "3 more cell(s)" in lines[2] and counts["cells"] == 4
    assert pd.notna(counts["on_edge"])
