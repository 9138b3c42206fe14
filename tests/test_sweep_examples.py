"""The example specs under examples/ run (or, for the large one, expand) as documented."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

import fastrisk.sweep as sw
from fastrisk.cli import main as cli_main

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"


def test_sweep_small_runs(tmp_path, capsys):
    out = tmp_path / "small"
    argv = ["sweep", str(EXAMPLES / "sweep_small.toml"), "--out", str(out), "--workers", "1", "--json"]
    assert cli_main(argv) == 0
    summary = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert summary["tasks"] == 2 * 2 * 3 and summary["computed"] == 12
    df = sw.load(out, complete=True)
    assert len(df) == summary["rows"] == 12 * 41 * 5 * 2
    assert set(df["spectrum"]) == {"spiked", "bllt_two_level"}
    # the paper's picture in miniature: the min-norm interpolator (lam = 0) is far from robust, and
    # at the largest radius some ridge penalty beats it by a wide margin, in simulation and in theory
    big = df[(df["eps"] == 0.2) & (df["norm"] == np.inf)]
    for col in ("adversarial_risk", "theory_adversarial_risk"):
        g = big.groupby(["task", "lam"])[col].mean().unstack()
        assert (g[0.0] > 2 * g.min(axis=1)).all(), col


def test_sweep_bllt_expands():
    spec = sw.parse_spec(EXAMPLES / "sweep_bllt.toml")
    grid = sw.expand(spec)
    assert len(grid.tasks) == 4 * 5
    for t in grid.tasks:
        n, p = t["n"], t["p"]
        assert p == round(n**1.5)
        assert t["params"]["low"] * p == pytest.approx(n**0.5)
        assert t["eps"][1] == pytest.approx(0.1 * n**-0.25)
        assert len(t["lam"]) == 201 and t["lam"][0] == 0.0


def test_sweep_wishart_runs(tmp_path, capsys):
    """p = 10^9 through the Wishart law of the flat tail: the harm of the min-norm interpolator at the
    largest radius, in simulation and in theory (seed means; observed ratios 1.66-2.94)."""
    out = tmp_path / "wishart"
    argv = ["sweep", str(EXAMPLES / "sweep_wishart.toml"), "--out", str(out), "--workers", "1", "--json"]
    assert cli_main(argv) == 0
    summary = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert summary["tasks"] == summary["computed"] == 2 * 2 * 4
    df = sw.load(out, complete=True)
    assert len(df) == summary["rows"] == 16 * 41 * 4 * 2 and (df["p"] == 10**9).all()
    big = df[df["eps"] == 0.2]
    for col in ("adversarial_risk", "theory_adversarial_risk"):
        g = big.groupby(["theta_star", "n", "target", "lam"])[col].mean().unstack()
        assert (g[0.0] > 1.4 * g.min(axis=1)).all(), (col, g[0.0] / g.min(axis=1))
