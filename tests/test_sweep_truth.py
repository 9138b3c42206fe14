"""[[theta_star]] in sweep specs: ground truths as a grid axis, one canonical row order, rows recomputed
through the public API (locally and on a Dask LocalCluster), the manifest's resolved parameters, spec
errors in one line, and hashes that stay put for specs without the new keys."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

import fastrisk as fr
import fastrisk.sweep as sw
from fastrisk import spectra, theory
from fastrisk.cli import main as cli_main
from fastrisk.ground_truth import resolve_theta_star

TRUTHS = [{"kind": "band", "start": "k*", "stop": "2k*"},
          {"kind": "dense", "seed": 3, "dist": "gaussian", "scale": 2.0, "name": "dense2"}]
SPEC = {
    "n": [24, 30], "p": [90], "seeds": 2, "noise": [0.5, 1.0], "test_size": 20, "theory": True,
    "spectrum": [{"kind": "spiked", "n_spikes": 3, "tail": 0.1}],
    "theta_star": TRUTHS,
    "path": {"lam_n": {"start": -2, "stop": 1, "num": 5, "zero": True}, "eps": [0.0, 0.1, 0.3],
             "norm": [2], "target": ["clean", "noisy", "consistent"]},
}
TASKS = 2 * 2 * 2 * 2  # theta_star x n x noise x seeds


@pytest.fixture(scope="module")
def swept(tmp_path_factory):
    out = tmp_path_factory.mktemp("truth") / "out"
    s = sw.run(SPEC, out, workers=1, progress=False)
    return out, s, sw.load(out, complete=True)


def test_theta_star_column_and_canonical_order(swept):
    out, s, df = swept
    assert s["tasks"] == s["computed"] == TASKS and s["rows"] == len(df) == TASKS * 6 * 3 * 3
    assert list(df.columns[:5]) == ["task", "model", "spectrum", "theta_star", "n"]
    assert df["task"].is_monotonic_increasing
    # one canonical order whatever the unit of work: (spectrum, theta_star, n, p, noise, seed), then
    # (norm, target, lam, eps); the theta_star axis in the spec's order
    tasks = df.drop_duplicates("task")
    key = tasks[["theta_star", "n", "noise", "seed"]].assign(
        theta_star=tasks["theta_star"].map({"band": 0, "dense2": 1}))
    assert key.equals(key.sort_values(list(key.columns), kind="mergesort"))
    assert tasks["theta_star"].tolist() == ["band"] * 8 + ["dense2"] * 8
    inner = df[df["task"] == 5]
    lam_order = [list(inner["target"].unique()), sorted(inner["lam"].unique())]
    assert lam_order[0] == ["clean", "noisy", "consistent"]
    assert inner["lam"].to_numpy()[:18:3].tolist() == lam_order[1]


def _recompute(label: str, n: int, seed: int, noise: float) -> dict:
    """The public API only: the spectrum, the ground truth from the vocabulary, the sample, the path."""
    s = spectra.spiked(90, 3, tail=0.1)
    table = dict(TRUTHS[0] if label == "band" else TRUTHS[1])
    theta = resolve_theta_star(table).build(s, n=n)
    design = fr.GaussianDesign(s, theta, noise)
    X, y = design.sample(n, seed=seed)
    lam = n * np.concatenate([[0.0], np.logspace(-2, 1, 5)])
    path = fr.RidgePath(X, y, lam)
    eps = np.array([0.0, 0.1, 0.3])
    Xt, yt = design.sample(20, seed=np.random.SeedSequence(seed, spawn_key=(2,)))
    out = {"lam": lam, "theta": theta, "standard_risk": path.standard_risk(design)}
    for target in ("clean", "noisy", "consistent"):
        out[target] = path.adversarial_risk(design, eps, norm=2, target=target)
        out["theory_" + target] = theory.adversarial_equivalent(s, theta, noise, n, lam, eps, norm=2,
                                                                 target=target)
    out["emp_clean"] = path.empirical_adversarial_risk(Xt, Xt @ theta, eps, norm=2)
    out["emp_noisy"] = path.empirical_adversarial_risk(Xt, yt, eps, norm=2)
    out["theory_standard"] = theory.ridge_equivalent(s, theta, noise, n, lam).risk
    return out


def _check_row_block(df: pd.DataFrame, label: str, n: int, seed: int, noise: float) -> None:
    sel = df[(df.theta_star == label) & (df.n == n) & (df.seed == seed) & (df.noise == noise)]
    want = _recompute(label, n, seed, noise)
    assert len(sel) == 6 * 3 * 3
    scale = float(np.sum(spectra.spiked(90, 3, tail=0.1) * want["theta"] ** 2))
    close = {"rtol": 1e-12, "atol": 1e-14 * scale}
    for target in ("clean", "noisy", "consistent"):
        t = sel[sel.target == target]
        np.testing.assert_array_equal(t["lam"].to_numpy(), np.repeat(want["lam"], 3))
        np.testing.assert_allclose(t["standard_risk"], np.repeat(want["standard_risk"], 3), **close)
        np.testing.assert_allclose(t["adversarial_risk"], want[target].ravel(), **close)
        np.testing.assert_allclose(t["theory_adversarial_risk"], want["theory_" + target].ravel(), rtol=1e-12)
        np.testing.assert_allclose(t["theory_standard_risk"], np.repeat(want["theory_standard"], 3),
                                   rtol=1e-12)
        if target == "consistent":
            assert t["empirical_adversarial_risk"].isna().all()
        else:
            np.testing.assert_allclose(t["empirical_adversarial_risk"], want["emp_" + target].ravel(),
                                       **close)


@pytest.mark.parametrize("label", ["band", "dense2"])
def test_one_row_block_of_each_ground_truth_recomputed_with_the_public_api(swept, label):
    _, _, df = swept
    _check_row_block(df, label, n=30, seed=1, noise=1.0)


def test_manifest_records_the_resolved_ground_truths(swept):
    """Relative indices as the integers they resolved to at each n, and each theta*'s norms."""
    out, _, df = swept
    man = json.loads((out / "manifest.json").read_text())
    res = {(r["theta_star"], r["n"]): r for r in man["theta_star"]}
    s = spectra.spiked(90, 3, tail=0.1)
    for n in (24, 30):
        k = theory.critical_index(s, n)
        assert res[("band", n)]["indices"] == {"start": k, "stop": 2 * k}
        assert res[("band", n)]["description"] == "band:start=k*,stop=2k*"
        assert res[("dense2", n)]["l2_norm"] == pytest.approx(2.0, rel=1e-12)
        assert res[("band", n)]["l2_norm"] == pytest.approx(1.0, rel=1e-12)
        theta = resolve_theta_star(TRUTHS[1]).build(s, n=n)
        assert res[("dense2", n)]["sigma_norm"] == pytest.approx(np.sqrt(np.sum(s * theta**2)), rel=1e-12)
    assert [t["name"] for t in man["spec"]["theta_star"]] == ["band", "dense2"]
    assert "signal" not in man["spec"]
    a, b = (df[df.theta_star == t]["standard_risk"].to_numpy() for t in ("band", "dense2"))
    assert not np.allclose(a, b)


@pytest.mark.slow
def test_dask_local_cluster_gives_the_same_table(swept, tmp_path):
    distributed = pytest.importorskip("distributed")
    _, _, df = swept
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                  dashboard_address=None) as cluster, distributed.Client(cluster) as client:
        s = sw.run(SPEC, tmp_path / "dask", client=client, progress=False)
    assert s["executor"] == "dask" and s["computed"] == TASKS
    got = sw.load(tmp_path / "dask", complete=True)
    pd.testing.assert_frame_equal(got, df, check_exact=True)
    _check_row_block(got, "dense2", n=24, seed=0, noise=0.5)


def test_resolved_labels_and_equal_spellings_hash_alike():
    base = sw.parse_spec(SPEC)
    spelled = dict(SPEC, theta_star=[{"kind": "band", "start": "1k*", "stop": "2 k*", "name": "band",
                                      "normalise": "l2", "scale": 1},
                                     dict(TRUTHS[1], dist="Gaussian")])
    assert sw.parse_spec(spelled).hash == base.hash
    assert base.truth_labels == ("band", "dense2")
    assert sw.parse_spec(dict(SPEC, theta_star=TRUTHS[::-1])).hash != base.hash
    # keys at their defaults leave the canonical form (hence every older store's hash) alone
    plain = {k: v for k, v in SPEC.items() if k != "theta_star"}
    assert sw.parse_spec(dict(plain, noise_avg=False, dtype="float64")).hash == sw.parse_spec(plain).hash
    assert "theta_star" not in sw.parse_spec(plain).to_json()
    assert "noise_avg" not in sw.parse_spec(plain).to_json()
    assert sw.parse_spec(dict(plain, noise_avg=True)).hash != sw.parse_spec(plain).hash


def test_a_single_table_and_the_default_e1(tmp_path):
    spec = {"n": 10, "p": 20, "spectrum": {"kind": "isotropic"}, "path": {"lam": [0.0, 1.0]},
            "theta_star": {"kind": "e1", "scale": 3.0}}
    sw.run(spec, tmp_path / "a", workers=1, progress=False)
    sw.run({k: v for k, v in spec.items() if k != "theta_star"} | {"signal": 3.0}, tmp_path / "b", workers=1,
           progress=False)
    a, b = sw.load(tmp_path / "a"), sw.load(tmp_path / "b")
    assert (a["theta_star"] == "e1").all() and (b["theta_star"] == "e1").all()
    pd.testing.assert_frame_equal(a, b, check_exact=True)  # e1 with scale 3 is signal = 3


def test_file_ground_truth_pins_its_content(tmp_path):
    p = 20
    arr = np.linspace(1.0, 0.0, p)
    f = tmp_path / "theta.npy"
    np.save(f, arr)
    spec = {"n": 10, "p": p, "spectrum": {"kind": "power_law"}, "path": {"lam": [0.0, 1.0]},
            "theta_star": [{"kind": "file", "path": str(f), "normalise": "none", "name": "mine"}]}
    s1 = sw.parse_spec(spec)
    sw.run(spec, tmp_path / "o", workers=1, progress=False)
    df = sw.load(tmp_path / "o")
    design = fr.GaussianDesign(spectra.power_law(p), arr, 1.0)
    path = fr.RidgePath(*design.sample(10, seed=0), [0.0, 1.0])
    np.testing.assert_allclose(df["standard_risk"], path.standard_risk(design), rtol=1e-12)
    np.save(f, arr * 2)  # another array is another sweep
    assert sw.parse_spec(spec).hash != s1.hash
    with pytest.raises(sw.StoreError, match="another spec"):
        sw.run(spec, tmp_path / "o", workers=1, progress=False)
    f.unlink()  # a store stays readable without its inputs
    pd.testing.assert_frame_equal(sw.load(tmp_path / "o"), df, check_exact=True)
    with pytest.raises(sw.SpecError, match=r"theta_star\[0\] file: path .* does not exist"):
        sw.parse_spec({k: v for k, v in spec.items()})


BAD = [
    (dict(SPEC, signal=2.0), ["signal", "[[theta_star]]", "not both"]),
    (dict(SPEC, theta_star=[{"kind": "spread"}]), ["theta_star[0]", "unknown kind 'spread'"]),
    (dict(SPEC, theta_star=[{"kind": "top_k"}]), ["theta_star[0] top_k", "needs k"]),
    (dict(SPEC, theta_star=[{"kind": "top_k", "k": 2}, {"kind": "power", "b": 1}]),
     ["theta_star[1] power", "unknown parameter 'b'"]),
    (dict(SPEC, theta_star=[{"kind": "e1"}, {"kind": "e1", "scale": 2.0}]), ["theta_star names", "twice"]),
    (dict(SPEC, theta_star=[]), ["theta_star", "empty list"]),
    (dict(SPEC, theta_star=[{"kind": "e1", "scale": -1.0}]), ["theta_star[0] e1", "scale must be >= 0"]),
    # valid alone, not at this (spectrum, n, p): found when the grid is expanded, before anything is written
    (dict(SPEC, theta_star=[{"kind": "band", "start": 80, "stop": 100}]),
     ["theta_star[0]", "band:start=80,stop=100", "n=24, p=90", "stop <= p = 90"]),
    (dict(SPEC, model="ntk", noise_avg=True, theory=False, path=dict(SPEC["path"], target=["clean"])),
     ["noise_avg = true", "linear"]),
    (dict(SPEC, dtype="float16"), ["dtype must be one of float64, float32"]),
]


@pytest.mark.parametrize("spec, words", BAD, ids=[f"bad{i}" for i in range(len(BAD))])
def test_bad_ground_truth_is_a_spec_error_naming_it(tmp_path, spec, words):
    with pytest.raises(sw.SpecError) as info:
        sw.run(spec, tmp_path / "o", workers=1, progress=False)
    for w in words:
        assert w in str(info.value), (w, str(info.value))
    assert not (tmp_path / "o").exists()


@pytest.mark.parametrize("i", [0, 1, 7])
def test_cli_bad_ground_truth_one_line_exit_2(tmp_path, capsys, i):
    spec, words = BAD[i]
    f = tmp_path / "spec.toml"
    f.write_text(_toml(spec))
    assert cli_main(["sweep", str(f), "--out", str(tmp_path / "o"), "--no-progress"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("fastrisk sweep: ") and words[0] in err
    assert not (tmp_path / "o").exists()


def _toml(spec: dict) -> str:
    def val(v):
        if isinstance(v, bool):
            return "true" if v else "false"
        if isinstance(v, str):
            return json.dumps(v)
        if isinstance(v, (list, tuple)):
            return "[" + ", ".join(val(x) for x in v) + "]"
        if isinstance(v, dict):
            return "{" + ", ".join(f"{k} = {val(x)}" for k, x in v.items()) + "}"
        return repr(v)

    tables = ("spectrum", "theta_star", "path")
    lines = [f"{k} = {val(v)}" for k, v in spec.items() if k not in tables]
    for arr in ("spectrum", "theta_star"):
        for t in spec.get(arr, []):
            lines += [f"[[{arr}]]"] + [f"{k} = {val(v)}" for k, v in t.items()]
    lines += ["[path]"] + [f"{k} = {val(v)}" for k, v in spec["path"].items()]
    return "\n".join(lines) + "\n"


def test_toml_spec_with_theta_star_tables(tmp_path):
    f = tmp_path / "spec.toml"
    f.write_text(_toml(SPEC))
    assert sw.parse_spec(f).hash == sw.parse_spec(SPEC).hash
