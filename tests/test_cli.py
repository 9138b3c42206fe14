"""The ``fastrisk`` command: default table, options, JSON output, argument errors."""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pytest

from fastrisk import __version__, cli


def _strict(s: str):
    def reject(c):
        raise ValueError(f"non-standard JSON constant {c}")
    return json.loads(s, parse_constant=reject)


@pytest.mark.slow
def test_small_run_table_shows_the_phenomenon(capsys):
    assert cli.main(["--n", "200", "--n-lam", "60", "--eps", "0.1", "0.2"]) == 0
    out = capsys.readouterr().out
    assert "min-norm interpolator" in out and "ground truth theta*" in out
    assert "p=2828" in out  # n^1.5
    assert "best max(R_0, R_eps - R_eps(theta*)), eps=0.2" in out  # the radius the trade-off row uses


def test_json_output_is_consistent(capsys):
    cli.main(["--n", "150", "--spectrum", "spiked", "--norm", "inf", "--target", "noisy", "--json",
              "--n-lam", "30", "--eps", "0", "0.1"])
    res = _strict(capsys.readouterr().out)
    adv = np.array(res["adversarial_risk"])
    R = np.array(res["standard_risk"])
    assert adv.shape == (30, 2)
    np.testing.assert_allclose(adv[:, 0], R + 1.0, rtol=1e-12)  # eps = 0, noisy: R + sigma^2
    # inf is encoded as null, with the label beside it; the dual exponent of inf is 1
    assert res["config"]["norm"] is None and res["config"]["norm_label"] == "inf"
    assert res["config"]["dual_exponent"] == 1.0 and res["config"]["p"] == 750


def test_json_numbers_are_numbers_and_infinities_are_null(capsys):
    # p = n: the min-norm deterministic equivalent is infinite; it used to be "inf" strings and Infinity
    assert cli.main(["--n", "50", "--p", "50", "--json", "--n-lam", "10"]) == 0
    res = _strict(capsys.readouterr().out)
    th = res["theory"]
    assert th["minnorm_standard_risk"] is None and th["minnorm_norm2"] is None
    assert th["minnorm_adversarial_risk"] is None
    assert "p = n" in res["notes"]["theory.minnorm_standard_risk"]
    assert all(isinstance(v, float) for v in res["standard_risk"])
    assert res["config"]["norm"] == 2.0 and res["config"]["norm_label"] == "2"


def test_json_norm2_is_the_library_norm2():
    args = cli.parser().parse_args(["--n", "60", "--n-lam", "8"])
    res = cli.run(args)
    # the library's convention: norm2 = ||theta||_2 (ridge_path_risks), not its square
    from fastrisk import GaussianDesign, RidgePath
    p = res["config"]["p"]
    ts = np.zeros(p)
    ts[0] = 1.0
    X, y = GaussianDesign(cli.build_spectrum("two_level", 60, p), ts, noise=1.0).sample(60, seed=0)
    np.testing.assert_allclose(res["norm2"], RidgePath(X, y, res["lam"]).norm(2), rtol=1e-10)
    assert "norm2_sq" not in res and res["ground_truth"]["norm2"] == 1.0


@pytest.mark.slow
def test_default_problem_min_norm_is_benign_but_vulnerable():
    args = cli.parser().parse_args(["--n", "300"])
    res = cli.run(args)
    R0 = res["standard_risk"][0]
    adv = res["adversarial_risk"][0, -1]
    gt = res["ground_truth_adversarial_risk"][-1]
    assert R0 < 0.25  # benign: small standard risk (sigma^2 = 1)
    assert adv > 10 * gt  # yet far from the robust ground truth
    assert res["adversarial_risk"][:, -1].min() < 0.5 * adv  # some ridge penalty does better


@pytest.mark.parametrize("argv", [["--norm", "0.5"], ["--n", "0"], ["--eps", "-1"],
                                  ["--target", "consistent", "--norm", "inf"], ["--spectrum", "nope"]])
def test_bad_arguments_exit_with_usage(argv):
    with pytest.raises(SystemExit) as e:
        cli.main(argv)
    assert e.value.code == 2


@pytest.mark.slow
def test_console_entry_point_runs():
    r = subprocess.run([sys.executable, "-m", "fastrisk", "--n", "60", "--n-lam", "5"],
                       capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr
    assert "best adversarial" in r.stdout


def test_version():
    r = subprocess.run([sys.executable, "-m", "fastrisk", "--version"], capture_output=True, text=True,
                       timeout=300)
    assert r.returncode == 0 and r.stdout.strip() == f"fastrisk {__version__}"


def test_theory_rows_agree_with_the_simulation():
    res = cli.run(cli.parser().parse_args(["--n", "300", "--n-lam", "80"]))
    th = res["theory"]
    # one seed at n = 300: the deterministic equivalent is within 15% of the simulated min-norm norm
    assert abs(th["minnorm_norm2"] ** 2 / res["norm2"][0] ** 2 - 1) < 0.15
    # clean target: the oracle frontier's envelope is the ground truth's risk, so the gap is the excess
    # of the best penalty over it
    gt = res["ground_truth_adversarial_risk"]
    orc = th["oracle"]
    np.testing.assert_allclose(orc["best_adversarial_risk"], gt, rtol=1e-12)
    np.testing.assert_allclose(orc["frontier_gap"], res["adversarial_risk"].min(axis=0) - gt, rtol=1e-9)
    assert np.all(orc["frontier_gap"] > 0)
