"""Sweep specs: every bad spec is a SpecError naming the key, the CLI exits 2 with one line, nothing is
written; the scaled forms (n-/p-dependent spectrum parameters and radii) resolve as documented."""

from __future__ import annotations

import copy
import math
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import fastrisk.sweep as sw
from fastrisk.cli import main as cli_main
from fastrisk.sweep.spec import parse_spec

ROOT = Path(__file__).resolve().parents[1]

GOOD = {
    "n": [10, 16],
    "p": [30],
    "seeds": 2,
    "spectrum": [{"kind": "isotropic"}],
    "path": {"lam": [0.0, 1.0], "eps": [0.0, 0.1], "norm": [2], "target": ["clean"]},
}


def _with(change: dict, drop: tuple = ()) -> dict:
    spec = copy.deepcopy(GOOD)
    for k in drop:
        if "." in k:
            a, b = k.split(".")
            del spec[a][b]
        else:
            del spec[k]
    for k, v in change.items():
        if "." in k:
            a, b = k.split(".")
            spec[a][b] = v
        else:
            spec[k] = v
    return spec


BAD = [
    # (spec, words the message must contain)
    (_with({"sedes": 3}), ["'sedes'", "did you mean 'seeds'", "known keys"]),
    (_with({"path.lamda": [1.0]}), ["'lamda'", "[path]"]),
    (_with({"spectrum": [{"kind": "powerlaw"}]}), ["spectrum[0].kind", "power_law"]),
    (_with({"spectrum": [{"kind": "power_law", "alpha": 1.0}]}), ["'alpha'", "power_law", "a, scale"]),
    (_with({"spectrum": [{"kind": "two_level"}]}), ["needs parameter", "low"]),
    (_with({"spectrum": [{"kind": "two_level", "low": 0.1}]}), ["spectrum[0]", "exactly one of k"]),
    (_with({"spectrum": [{"kind": "power_law", "a": -1.0}]}), ["spectrum[0]", "a must be"]),
    (_with({"spectrum": [{"kind": "spiked", "n_spikes": {"n_power": 0.5}}]}), ["spectrum[0]", "n_spikes"]),
    (_with({"spectrum": [{"kind": "power_law", "a": {"n_pow": 1}}]}), ["'n_pow'", "n_power"]),
    (_with({"spectrum": []}), ["spectrum", "empty"]),
    (_with({"spectrum": [{"kind": "isotropic"}, {"kind": "isotropic"}]}), ["twice", "name"]),
    (_with({"n": 0}), ["n must be >= 1"]),
    (_with({"n": [10, 0]}), ["n must be >= 1"]),
    (_with({"n": 2.5}), ["n must be an integer"]),
    (_with({"p": 0}), ["p must be >= 1"]),
    (_with({"n": []}), ["n is an empty list"]),
    (_with({"p": []}), ["p is an empty list"]),
    (_with({"seeds": []}), ["seeds is an empty list"]),
    (_with({"seeds": 0}), ["seeds", ">= 1"]),
    (_with({"seeds": [0, -1]}), ["seeds must be >= 0"]),
    (_with({"seeds": [1, 1]}), ["seeds lists 1 twice"]),
    (_with({"noise": []}), ["noise is an empty list"]),
    (_with({"noise": -0.5}), ["noise must be >= 0"]),
    (_with({"noise": float("nan")}), ["noise must be a finite number"]),
    (_with({"path.eps": []}), ["path.eps is an empty list"]),
    (_with({"path.eps": [0.1, -0.1]}), ["path.eps must be >= 0"]),
    (_with({"path.eps": {"values": [-1.0], "n_power": 0.5}}), ["path.eps.values must be >= 0"]),
    (_with({"path.eps": {"n_power": 0.5}}), ["path.eps", "values"]),
    (_with({"path.norm": [0.5]}), ["path.norm must be >= 1"]),
    (_with({"path.norm": ["l2"]}), ["path.norm", "inf"]),
    (_with({"path.norm": []}), ["path.norm is an empty list"]),
    (_with({"path.target": ["robust"]}), ["path.target", "clean, noisy, consistent"]),
    (_with({"path.target": []}), ["path.target is an empty list"]),
    (_with({"path.target": ["consistent"], "path.norm": [2, "inf"]}), ["consistent", "norm"]),
    (_with({"model": "cnn"}), ["model must be one of linear, ntk"]),
    (_with({"path.lam_n": [0.1]}), ["exactly one of path.lam", "both"]),
    (_with({}, drop=("path.lam",)), ["exactly one of path.lam", "neither"]),
    (_with({"path.lam": []}), ["path.lam is an empty list"]),
    (_with({"path.lam": [-1.0]}), ["path.lam must be >= 0"]),
    (_with({"path.lam": {"start": 0, "num": 3}}), ["path.lam", "'stop'"]),
    (_with({"path.lam_n": {"start": 0, "stop": 1, "num": 0}}, drop=("path.lam",)), ["path.lam_n.num"]),
    (_with({"p_exponent": 1.5}), ["exactly one of p", "both"]),
    (_with({}, drop=("p",)), ["exactly one of p", "neither"]),
    (_with({"p_exponent": -1.0}, drop=("p",)), ["p_exponent must be > 0"]),
    (_with({"theory": "yes"}), ["theory must be true or false"]),
    (_with({"model": "ntk", "theory": True}), ["theory", "linear"]),
    (_with({"ntk": {"train": "first"}}), ["[ntk] table needs model"]),
    (_with({"model": "ntk", "ntk": {"method": "cw"}}), ["ntk.method"]),
    (_with({"model": "ntk", "ntk": {"trian": "first"}}), ["'trian'", "[ntk]"]),
    (_with({"test_size": -1}), ["test_size"]),
    (_with({}, drop=("n",)), ["n is required"]),
    (_with({}, drop=("spectrum",)), ["spectrum is required"]),
    (_with({"stream": "yes"}), ["stream must be"]),
    (_with({"stream": 0}), ["stream must be"]),
]


@pytest.mark.parametrize("spec,words", BAD, ids=[f"bad{i}" for i in range(len(BAD))])
def test_bad_spec_names_the_key_and_writes_nothing(spec, words, tmp_path):
    out = tmp_path / "out"
    with pytest.raises(sw.SpecError) as info:
        sw.run(spec, out, workers=1, progress=False)
    msg = str(info.value)
    for w in words:
        assert w in msg, (w, msg)
    assert not out.exists()


def _toml(spec: dict) -> str:
    """A tiny TOML writer for the flat specs of these tests."""
    def val(v):
        if isinstance(v, bool):
            return "true" if v else "false"
        if isinstance(v, str):
            return f'"{v}"'
        if isinstance(v, float) and math.isinf(v):
            return "inf"
        if isinstance(v, (list, tuple)):
            return "[" + ", ".join(val(x) for x in v) + "]"
        if isinstance(v, dict):
            return "{" + ", ".join(f"{k} = {val(x)}" for k, x in v.items()) + "}"
        return repr(v)

    lines = [f"{k} = {val(v)}" for k, v in spec.items() if k not in ("spectrum", "path", "ntk")]
    for s in spec.get("spectrum", []):
        lines += ["[[spectrum]]"] + [f"{k} = {val(v)}" for k, v in s.items()]
    for tab in ("path", "ntk"):
        if tab in spec:
            lines += [f"[{tab}]"] + [f"{k} = {val(v)}" for k, v in spec[tab].items()]
    return "\n".join(lines) + "\n"


@pytest.mark.parametrize("i", [0, 2, 12, 22, 28, 31, 34, 35, 42])
def test_cli_bad_spec_one_line_exit_2(i, tmp_path, capsys):
    spec, words = BAD[i]
    f = tmp_path / "spec.toml"
    f.write_text(_toml(spec))
    out = tmp_path / "out"
    assert cli_main(["sweep", str(f), "--out", str(out), "--no-progress"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("fastrisk sweep: ") and "Traceback" not in err
    assert words[0] in err
    assert not out.exists()


def _cli(argv: list[str]) -> int:
    try:
        return cli_main(argv)
    except SystemExit as exc:  # argparse's own errors
        return exc.code


def test_cli_usage_errors_one_line(tmp_path, capsys):
    spec = tmp_path / "spec.toml"
    spec.write_text(_toml(GOOD))
    o = str(tmp_path / "o")
    for argv in (["sweep"], ["sweep", str(spec)], ["sweep", str(spec), "--out", o, "--workers", "two"],
                 ["sweep", str(tmp_path / "missing.toml"), "--out", o],
                 ["sweep", str(spec), "--out", o, "--workers", "0"],
                 ["sweep", str(spec), "--out", o, "--workers", "2", "--scheduler", "tcp://x:1"]):
        assert _cli(argv) == 2, argv
        err = capsys.readouterr().err
        assert err.count("\n") == 1 and err.startswith("fastrisk sweep: ") and "Traceback" not in err, err
    assert not (tmp_path / "o").exists()


def test_cli_not_toml(tmp_path, capsys):
    f = tmp_path / "spec.toml"
    f.write_text("n = [1, \n")
    assert cli_main(["sweep", str(f), "--out", str(tmp_path / "o")]) == 2
    assert "not valid TOML" in capsys.readouterr().err


@pytest.mark.slow
def test_cli_subprocess_bad_spec_no_traceback(tmp_path):
    f = tmp_path / "spec.toml"
    f.write_text(_toml(BAD[0][0]))
    r = subprocess.run([sys.executable, "-m", "fastrisk", "sweep", str(f), "--out", str(tmp_path / "o")],
                       cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert r.returncode == 2
    assert r.stderr.count("\n") == 1 and "sedes" in r.stderr and "Traceback" not in r.stderr
    assert r.stdout == ""


def test_equal_spellings_equal_hash():
    a = parse_spec(GOOD)
    b = parse_spec(_with({"seeds": [0, 1], "path.norm": 2.0, "path.target": "clean", "noise": 1.0,
                          "model": "linear", "signal": 1.0, "theory": False}))
    assert a.hash == b.hash
    assert parse_spec(_with({"seeds": 3})).hash != a.hash
    assert parse_spec(_with({"path.norm": ["inf"]})).norms == (math.inf,)


def test_toml_file_equals_dict(tmp_path):
    f = tmp_path / "spec.toml"
    f.write_text(_toml(GOOD))
    assert parse_spec(f).hash == parse_spec(GOOD).hash == parse_spec(str(f)).hash


def test_scaled_values_resolve():
    """BLLT instance: p = n^1.5, low * p = n^0.5; eps = c n^-0.5 and eps_rel sqrt(tr Sigma)."""
    spec = parse_spec({
        "n": [16, 64], "p_exponent": 1.5, "seeds": 1,
        "spectrum": [{"kind": "two_level", "low": {"n_power": 0.5, "p_power": -1}, "tau": 2.0},
                     {"kind": "spiked", "n_spikes": {"n_power": 0.5, "round": True}}],
        "path": {"lam_n": {"start": -1, "stop": 0, "num": 2}, "eps": {"values": [0.5], "n_power": -0.5}},
    })
    grid = sw.expand(spec)
    assert [(t["n"], t["p"]) for t in grid.tasks] == [(16, 64), (64, 512)] * 2
    t = grid.tasks[1]
    assert t["params"]["low"] == pytest.approx(64**0.5 / 512)
    assert t["eps"] == [pytest.approx(0.5 / 8)] and t["eps_spec"] == [0.5]
    assert t["lam"] == [pytest.approx(64 * 0.1), pytest.approx(64.0)]
    assert grid.tasks[3]["params"]["n_spikes"] == 8 and isinstance(grid.tasks[3]["params"]["n_spikes"], int)
    rel = parse_spec(_with({"path.eps": {"values": [0.0, 0.2], "relative": True}}))
    assert sw.expand(rel).tasks[0]["eps"] == [0.0, pytest.approx(0.2 * np.sqrt(30.0))]


def test_seed_int_means_range():
    assert parse_spec(_with({"seeds": 3})).seeds == range(3)  # never expanded by parsing
    assert tuple(parse_spec(_with({"seeds": 3})).seeds) == (0, 1, 2)
    assert parse_spec(_with({"seeds": [5, 2]})).seeds == (5, 2)
