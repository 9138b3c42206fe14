"""The main job tells the truth and can draw it: the printed verdict follows from the numbers (benign or
not at this n, no ratio to a zero risk, grid-edge warnings, the exact l_inf frontier offered) and
``--plot FILE`` writes the trade-off figure (matplotlib optional: a one-line error without it)."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import numpy as np
import pytest

from fastrisk import cli
from fastrisk import theory as T
from fastrisk.cli import job


def _run(*argv):
    return cli.run(cli.parser().parse_args(list(argv)))


def test_benign_design_gets_the_benign_headline():
    res = _run("--n", "300", "--n-lam", "60")
    assert res["summary"]["benign"] is True and res["theory"]["benign"]["variance_shape"] < 0.25
    assert "min-norm interpolator: benign at this n" in res["summary"]["headline"]


def test_bllt_log_is_not_called_benign_and_ridge_beats_min_norm():
    res = _run("--n", "100", "--spectrum", "bllt_log", "--n-lam", "80")
    s, th = res["summary"], res["theory"]
    rep = T.benign_report(job.build_spectrum("bllt_log", 100, 2000), 100)
    np.testing.assert_allclose(th["benign"]["variance_shape"], rep.kstar_over_n + rep.n_over_Rkstar)
    assert th["benign"]["variance_shape"] >= 0.25 and s["benign"] is False
    assert "NOT benign at this n" in s["headline"] and ": benign at this n" not in s["headline"]
    # the penalty the verdict names really beats min-norm on both risks, at every radius
    assert "beats it on both risks" in s["headline"]
    lam_n = float(s["headline"].split("Ridge at lam/n=")[1].split()[0])
    i = int(np.argmin(np.abs(res["lam"] / 100 - lam_n)))
    R, adv = res["standard_risk"], res["adversarial_risk"]
    assert R[i] < R[0] and np.all(adv[i] < adv[0])


@pytest.mark.parametrize("argv", [["--target", "consistent"], ["--eps", "0"]])
def test_no_ratio_to_a_zero_ground_truth_risk(argv):
    res = _run("--n", "60", "--n-lam", "20", *argv)
    assert np.all(res["ground_truth_adversarial_risk"] == 0)
    h = res["summary"]["headline"]
    assert "no ratio" in h and "x the ground truth's" not in h and "e+2" not in h and "e+3" not in h


def test_linf_grid_edge_is_warned_and_the_exact_frontier_offered():
    res = _run("--n", "100", "--norm", "inf", "--n-lam", "40")
    L = len(res["lam"])
    s = res["summary"]
    assert s["best_adversarial_index"][-1] == L - 1  # theta -> 0 is ridge's best against l_inf
    assert any("sits on the largest penalty" in w and "eps=0.2" in w for w in s["warnings"])
    assert any("soft-thresholding" in w for w in s["warnings"])
    orc = res["theory"]["oracle"]
    assert orc["path"] == "soft_threshold" and orc["exact_pareto"]
    p = res["config"]["p"]
    ts = np.zeros(p)
    ts[0] = 1.0
    par = T.pareto_frontier(job.build_spectrum("two_level", 100, p), ts, res["eps"], norm=np.inf)
    np.testing.assert_allclose(orc["best_adversarial_risk"], par.adversarial_risk.min(axis=0), rtol=1e-12)
    table = cli.format_table(res)
    assert "warning: 'best adversarial (eps=0.2)' sits on the largest penalty" in table


def test_no_edge_warning_when_the_best_is_inside_the_grid():
    res = _run("--n", "200", "--n-lam", "60")
    assert res["summary"]["warnings"] == []
    assert max(res["summary"]["best_adversarial_index"]) < len(res["lam"]) - 1


def test_tradeoff_row_names_its_radius():
    res = _run("--n", "60", "--n-lam", "20", "--eps", "0.3", "0.1")
    assert res["summary"]["tradeoff_eps"] == 0.1  # the last radius given
    assert "best max(R_0, R_eps - R_eps(theta*)), eps=0.1" in cli.format_table(res)


def test_figure_axes_say_what_they_show():
    pytest.importorskip("matplotlib")
    from fastrisk.cli.plot import trade_off_figure
    res = _run("--n", "100", "--n-lam", "40")
    fig = trade_off_figure(res)
    ax, bx = fig.axes[:2]
    assert "standard risk" in ax.get_xlabel() and "adversarial risk" in ax.get_ylabel()
    assert "l_2 ball" in ax.get_ylabel() and "lam / n" in bx.get_xlabel()
    assert bx.get_xscale() == "log" and ax.get_yscale() == "log"  # risks span decades (gt 0.0025..)
    legends = ax.findobj(lambda o: type(o).__name__ == "Legend")
    labels = [t.get_text() for lg in legends for t in lg.get_texts()]
    assert any("oracle Pareto frontier" in t for t in labels) and any("min-norm" in t for t in labels)
    assert any("ground truth" in t for t in labels) and any("eps = 0.2" in t for t in labels)


def test_plot_writes_the_figure_beside_the_json(tmp_path, capsys):
    pytest.importorskip("matplotlib")
    f = tmp_path / "tradeoff.png"
    assert cli.main(["--n", "60", "--n-lam", "20", "--json", "--plot", str(f)]) == 0
    json.loads(capsys.readouterr().out)  # stdout stays pure JSON
    data = f.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) > 20_000
    assert [x.name for x in tmp_path.iterdir()] == ["tradeoff.png"]  # no temporary left behind


@pytest.mark.slow
@pytest.mark.parametrize("target, fragment", [("nowhere/x.png", "does not exist"), ("x.nope", "format")])
def test_bad_plot_target_is_refused_before_computing(tmp_path, target, fragment):
    pytest.importorskip("matplotlib")
    r = subprocess.run([sys.executable, "-m", "fastrisk", "--n", "20", "--plot", str(tmp_path / target)],
                       capture_output=True, text=True, timeout=300)
    assert r.returncode == 2 and r.stdout == "" and "Traceback" not in r.stderr
    assert len(r.stderr.strip().splitlines()) == 1 and "argument --plot:" in r.stderr and fragment in r.stderr


def test_missing_matplotlib_is_one_line_and_exit_2(tmp_path):
    # a real interpreter in which `import matplotlib` fails, as on a machine without the [plot] extra
    fake = tmp_path / "shadow" / "matplotlib"
    fake.mkdir(parents=True)
    (fake / "__init__.py").write_text("raise ImportError('No module named matplotlib')\n")
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(fake.parent), os.getcwd()]))
    r = subprocess.run([sys.executable, "-m", "fastrisk", "--n", "20", "--plot", str(tmp_path / "f.png")],
                       capture_output=True, text=True, timeout=300, env=env)
    assert r.returncode == 2 and r.stdout == "" and "Traceback" not in r.stderr, r.stderr
    assert r.stderr.count("\n") == 1 and 'pip install "fastrisk[plot]"' in r.stderr
