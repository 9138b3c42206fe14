"""The main command's ground truth and spectrum parameters: ``--theta-star KIND[:key=value,...]`` and
``--spectrum-param key=value`` (repeatable), validated with one-line errors and exit code 2."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest

from fastrisk import cli, ground_truth, spectra
from fastrisk.risk import ground_truth_adversarial_risk

SMALL = ["--n", "60", "--n-lam", "6", "--json"]


def _run(argv, capsys):
    assert cli.main(argv) == 0
    return json.loads(capsys.readouterr().out.strip().splitlines()[-1])


def test_dense_theta_star_with_linf_attacks_runs_and_computes_the_ground_truth_risk(capsys):
    res = _run(["--theta-star", "dense", "--norm", "inf"] + SMALL, capsys)
    c = res["config"]
    assert c["theta_star"] == "dense:dist=sign,seed=0" and c["norm_label"] == "inf"
    p = c["p"]
    s = spectra.two_level(p, math.sqrt(60) / p, tau=2.0)
    t = ground_truth.make_theta_star("dense", s)
    want = ground_truth_adversarial_risk(t, res["eps"], norm=np.inf)  # eps^2 ||theta*||_1^2 = eps^2 p
    np.testing.assert_allclose(res["ground_truth_adversarial_risk"], want, rtol=1e-12)
    np.testing.assert_allclose(want, np.array(res["eps"]) ** 2 * p, rtol=1e-12)
    assert res["ground_truth"]["dual_norm"] == pytest.approx(math.sqrt(p))


@pytest.mark.parametrize("spec", ["e1:scale=2", "top_k:k=5", "band:start=k*,stop=2k*", "power:a=0.5",
                                  "dense:seed=3,dist=gaussian"])
def test_every_kind_runs_with_the_consistent_target(spec, capsys):
    res = _run(["--theta-star", spec, "--target", "consistent"] + SMALL, capsys)
    assert res["config"]["theta_star"] == ground_truth.parse_theta_star(spec).describe()
    assert res["ground_truth_adversarial_risk"] == [0.0, 0.0, 0.0]
    assert "no ratio" in res["summary"]["headline"]


def test_theta_star_from_a_file(tmp_path, capsys):
    v = np.zeros(465)  # p = round(60^1.5)
    v[[0, 3]] = [3.0, 4.0]
    np.save(tmp_path / "t.npy", v)
    res = _run(["--theta-star", f"file:path={tmp_path / 't.npy'},normalise=none"] + SMALL, capsys)
    assert res["ground_truth"]["norm2"] == pytest.approx(5.0)
    np.testing.assert_allclose(res["ground_truth_adversarial_risk"], 25 * np.array(res["eps"]) ** 2)


def test_spectrum_params_change_the_preset(capsys):
    res = _run(["--spectrum", "spiked", "--spectrum-param", "n_spikes=3", "--spectrum-param", "tail=0.1"]
               + SMALL, capsys)
    p = res["config"]["p"]
    assert res["config"]["spectrum_params"] == {"n_spikes": 3.0, "tail": 0.1}
    assert res["config"]["trace_sigma"] == pytest.approx(float(spectra.spiked(p, 3, tail=0.1).sum()))
    res = _run(["--spectrum-param", "tau=3"] + SMALL, capsys)
    p = res["config"]["p"]
    assert res["config"]["trace_sigma"] == pytest.approx(
        float(spectra.two_level(p, math.sqrt(60) / p, tau=3.0).sum()))


@pytest.mark.parametrize("argv, msg", [
    (["--theta-star", "dense:seed=x"], "argument --theta-star: dense: seed must be an integer >= 0, got 'x'"),
    (["--theta-star", "gauss"], "argument --theta-star: unknown kind 'gauss'"),
    (["--theta-star", "top_k"], "argument --theta-star: top_k: needs k"),
    (["--theta-star", "power:b=1"], "argument --theta-star: power: unknown parameter 'b'"),
    (["--theta-star", "top_k:k=100000"],
     "argument --theta-star: top_k: k must be in [1, p = 465], got 100000"),
    (["--theta-star", "file:path=/nonexistent.npy"], "argument --theta-star: file: path '/nonexistent.npy'"),
    (["--spectrum-param", "tau"], "argument --spectrum-param: expected key=value (e.g. tau=2), got 'tau'"),
    (["--spectrum-param", "tau=x"], "argument --spectrum-param: expected a number after tau=, got 'x'"),
    (["--spectrum-param", "n_spikes=3"], "argument --spectrum-param: --spectrum two_level takes low, tau, "
                                         "high, got 'n_spikes'"),
    (["--spectrum-param", "tau=2", "--spectrum-param", "tau=3"],
     "argument --spectrum-param: tau given twice"),
    (["--spectrum-param", "tau=-1"], "argument --spectrum-param: --spectrum two_level: tau must be"),
    (["--spectrum", "spiked", "--spectrum-param", "n_spikes=2.5"], "n_spikes must be an integer, got 2.5"),
    (["--spectrum", "spiked", "--spectrum-param", "n_spikes=1000"],
     "argument --p: --spectrum spiked has 1000 spikes and needs p >= 1000"),
])
def test_bad_values_are_one_line_and_exit_2(argv, msg, capsys):
    with pytest.raises(SystemExit) as ex:
        cli.main(argv + ["--n", "60"])
    assert ex.value.code == 2
    err = capsys.readouterr().err
    assert msg in err and err.count("\n") == 1 and "Traceback" not in err
