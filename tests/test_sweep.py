"""fastrisk.sweep: run + load, rows recomputed with the public API, resume, theory beside the rows."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

import fastrisk as fr
import fastrisk.sweep as sw
from fastrisk import spectra, theory

SPEC = {
    "n": [12, 20],
    "p": [40],
    "seeds": 2,
    "noise": [0.5],
    "theory": True,
    "test_size": 25,
    "spectrum": [{"kind": "power_law", "a": 1.0},
                 {"kind": "two_level", "name": "bllt", "low": {"n_power": 0.5, "p_power": -1.0}, "tau": 2.0}],
    "path": {"lam_n": {"start": -2, "stop": 1, "num": 4, "zero": True},
             "eps": {"values": [0.0, 0.1], "relative": True},
             "norm": [2, "inf"], "target": ["clean", "noisy"]},
}

COLUMNS = ["task", "model", "spectrum", "theta_star", "n", "p", "seed", "noise", "lam", "lam_n", "eps",
           "eps_spec", "norm", "target", "standard_risk", "adversarial_risk", "empirical_adversarial_risk",
           "theory_standard_risk", "theory_adversarial_risk"]


@pytest.fixture(scope="module")
def swept(tmp_path_factory):
    out = tmp_path_factory.mktemp("sweep") / "out"
    summary = sw.run(SPEC, out, workers=1, progress=False)
    return out, summary, sw.load(out)


def test_summary_and_shape(swept):
    out, s, df = swept
    tasks = 2 * 2 * 1 * 2  # spectra x n x noise x seeds
    rows_per = 5 * 2 * 2 * 2  # lam x eps x norm x target
    assert s["tasks"] == tasks and s["computed"] == tasks and s["skipped"] == 0
    assert s["rows"] == tasks * rows_per == len(df)
    assert s["theory_groups"] == 4
    assert s["out"] == str(out)
    assert list(df.columns) == COLUMNS
    assert df["task"].is_monotonic_increasing
    assert set(df["norm"]) == {2.0, math.inf}
    assert set(df["spectrum"]) == {"power_law", "bllt"}
    assert set(df["theta_star"]) == {"e1"}  # theta* = signal * e_1, labelled as the vocabulary does
    assert not df[["standard_risk", "adversarial_risk", "theory_standard_risk"]].isna().any().any()


def test_row_recomputed_with_public_api(swept):
    """Any row is the public API on GaussianDesign(spectra.<kind>(p, **params), signal e_1, noise)."""
    _, _, df = swept
    sel = df[(df.spectrum == "bllt") & (df.n == 20) & (df.seed == 1) & (df.norm == np.inf)
             & (df.target == "noisy")]
    n, p = 20, 40
    s = spectra.two_level(p, low=n**0.5 / p, tau=2.0)
    theta = np.zeros(p)
    theta[0] = 1.0
    design = fr.GaussianDesign(s, theta, 0.5)
    X, y = design.sample(n, seed=1)
    lam = n * np.concatenate([[0.0], np.logspace(-2, 1, 4)])
    eps = np.array([0.0, 0.1]) * np.sqrt(s.sum())
    path = fr.RidgePath(X, y, lam)
    adv = path.adversarial_risk(design, eps, norm=np.inf, target="noisy")
    np.testing.assert_array_equal(sel["lam"].to_numpy(), np.repeat(lam, 2))
    np.testing.assert_array_equal(sel["eps"].to_numpy(), np.tile(eps, 5))
    np.testing.assert_allclose(sel["standard_risk"].to_numpy(), np.repeat(path.standard_risk(design), 2),
                               rtol=1e-12)
    np.testing.assert_allclose(sel["adversarial_risk"].to_numpy(), adv.ravel(), rtol=1e-12)
    Xt, yt = design.sample(25, seed=np.random.SeedSequence(1, spawn_key=(2,)))
    emp = path.empirical_adversarial_risk(Xt, yt, eps, norm=np.inf)
    np.testing.assert_allclose(sel["empirical_adversarial_risk"].to_numpy(), emp.ravel(), rtol=1e-12)
    th = theory.adversarial_equivalent(s, theta, 0.5, n, lam, eps, norm=np.inf, target="noisy")
    np.testing.assert_allclose(sel["theory_adversarial_risk"].to_numpy(), th.ravel(), rtol=1e-12)
    eq = theory.ridge_equivalent(s, theta, 0.5, n, lam)
    np.testing.assert_allclose(sel["theory_standard_risk"].to_numpy(), np.repeat(eq.risk, 2), rtol=1e-12)


def test_theory_same_for_every_seed(swept):
    _, _, df = swept
    g = df[(df.spectrum == "power_law") & (df.n == 12)]
    a = g[g.seed == 0][["theory_standard_risk", "theory_adversarial_risk"]].to_numpy()
    b = g[g.seed == 1][["theory_standard_risk", "theory_adversarial_risk"]].to_numpy()
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(g[g.seed == 0]["standard_risk"].to_numpy(),
                              g[g.seed == 1]["standard_risk"].to_numpy())


def test_rerun_skips_everything(swept):
    out, s, df = swept
    again = sw.run(SPEC, out, workers=1, progress=False)
    assert again["skipped"] == s["tasks"] and again["computed"] == 0 and again["rows"] == s["rows"]
    pd.testing.assert_frame_equal(sw.load(out), df, check_exact=True)


def test_same_spec_other_spelling_resumes(swept, tmp_path):
    out, s, _ = swept
    spec = dict(SPEC, seeds=[0, 1], noise=0.5)
    again = sw.run(spec, out, workers=1, progress=False)
    assert again["skipped"] == s["tasks"]


def test_other_spec_refused(swept):
    out, _, df = swept
    with pytest.raises(sw.StoreError, match="another spec"):
        sw.run(dict(SPEC, seeds=3), out, workers=1, progress=False)
    pd.testing.assert_frame_equal(sw.load(out), df, check_exact=True)


SMALL = {"n": 8, "p": 16, "seeds": 2, "spectrum": [{"kind": "isotropic"}], "path": {"lam": [0.0, 1.0]}}


def test_foreign_directory_refused_untouched(tmp_path):
    (tmp_path / "notes.txt").write_text("mine")
    with pytest.raises(sw.StoreError, match="holds no sweep manifest"):
        sw.run(SMALL, tmp_path, workers=1, progress=False)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["notes.txt"]
    with pytest.raises(sw.StoreError, match="holds no sweep"):
        sw.load(tmp_path)


def test_second_sweep_on_a_busy_directory_refused(tmp_path):
    from fastrisk.sweep.store import Store

    spec = sw.parse_spec(SMALL)
    with Store(tmp_path / "o", spec):  # a sweep holding the directory's lock
        with pytest.raises(sw.StoreError, match="another sweep is running"):
            sw.run(SMALL, tmp_path / "o", workers=1, progress=False)
    assert sw.run(SMALL, tmp_path / "o", workers=1, progress=False)["computed"] == 2


def _keep_only_task_0(out):
    """Leave ``out`` as a run killed after task 0's batch: task 1 is in no file."""
    import pyarrow as pa

    from fastrisk.sweep.compute import TASK_SCHEMA
    from fastrisk.sweep.store import write_batch

    full = sw.load(out)
    for f in (out / "tasks").iterdir():
        f.unlink()
    grid = sw.expand(sw.parse_spec(SMALL))
    t0 = pa.Table.from_pandas(full[full["task"] == 0], schema=TASK_SCHEMA, preserve_index=False)
    write_batch(out, {"kind": "task", "items": [grid.task(0)]}, t0, 1)


def test_partial_load_and_complete_flag(tmp_path):
    out = tmp_path / "o"
    sw.run(SMALL, out, workers=1, progress=False)
    ref = sw.load(out)
    _keep_only_task_0(out)
    assert sw.load(out)["task"].unique().tolist() == [0]
    with pytest.raises(sw.StoreError, match="1 of 2 tasks"):
        sw.load(out, complete=True)
    s = sw.run(SMALL, out, workers=1, progress=False)
    assert (s["skipped"], s["computed"]) == (1, 1)
    assert len(sw.load(out, complete=True)) == 2 * 2
    pd.testing.assert_frame_equal(sw.load(out), ref, check_exact=True)


def test_streamed_tasks_equal_in_memory_ones(tmp_path):
    """stream = true builds each path with RidgePath.from_design (X never held): same numbers."""
    base = {"n": [20, 30], "p": 200, "seeds": 2, "noise": 0.5, "test_size": 15,
            "spectrum": [{"kind": "power_law", "a": 1.0}],
            "path": {"lam_n": {"start": -2, "stop": 1, "num": 6, "zero": True}, "eps": [0.0, 0.1],
                     "norm": [1, 2, "inf"], "target": ["clean", "noisy"]}}
    assert all(t["stream"] for t in sw.expand(sw.parse_spec(dict(base, stream=True))).tasks)
    assert not any(t["stream"] for t in sw.expand(sw.parse_spec(dict(base, stream=False))).tasks)
    sw.run(dict(base, stream=True), tmp_path / "s", workers=1, progress=False)
    sw.run(dict(base, stream=False), tmp_path / "m", workers=1, progress=False)
    a, b = sw.load(tmp_path / "s"), sw.load(tmp_path / "m")
    num = ["standard_risk", "adversarial_risk", "empirical_adversarial_risk"]
    pd.testing.assert_frame_equal(a.drop(columns=num), b.drop(columns=num), check_exact=True)
    np.testing.assert_allclose(a[num].to_numpy(), b[num].to_numpy(), rtol=1e-9, atol=1e-14)


def test_stream_auto_threshold():
    big = sw.parse_spec({"n": [100, 1000], "p": 70_000, "spectrum": [{"kind": "isotropic"}],
                         "path": {"lam": [1.0]}})
    assert [t["stream"] for t in sw.expand(big).tasks] == [False, True]  # 7e6 < 2^26 <= 7e7 entries
    assert big.hash == sw.parse_spec({"n": [100, 1000], "p": 70_000, "stream": 2**26,
                                      "spectrum": [{"kind": "isotropic"}], "path": {"lam": [1.0]}}).hash
    ntk = sw.parse_spec({"model": "ntk", "n": 1000, "p": 70_000, "stream": True,
                         "spectrum": [{"kind": "isotropic"}], "path": {"lam": [1.0]}})
    assert not sw.expand(ntk).tasks[0]["stream"]  # the NTK Gram needs X
