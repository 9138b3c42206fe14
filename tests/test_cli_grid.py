"""The ``fastrisk`` command as a tool's interface: every user error is one line on stderr naming the flag
with exit code 2 (never a traceback), ``--json`` is strict JSON over a whole grid of flag combinations,
the result part is reproducible and every key is documented in docs/guide/json.md."""

from __future__ import annotations

import contextlib
import io
import itertools
import json
import pathlib
import re
import subprocess
import sys

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from fastrisk import cli
from fastrisk.cli import job

# the --json schema's page of the user guide (it moved there from the README)
JSON_PAGE = pathlib.Path(__file__).resolve().parents[1] / "docs" / "guide" / "json.md"


def strict_loads(s: str):
    """json.loads that refuses Infinity, -Infinity and NaN (which Python's json accepts by default)."""
    def reject(c):
        raise ValueError(f"non-standard JSON constant {c}")
    return json.loads(s, parse_constant=reject)


def call(argv: list[str]) -> tuple[int, str, str]:
    """Run the command in-process: (exit code, stdout, stderr). Any exception but SystemExit propagates."""
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            code = cli.main(argv)
        except SystemExit as e:
            code = e.code
    return code, out.getvalue(), err.getvalue()


@pytest.mark.parametrize("argv, flag, fragment", [
    (["--n-lam", "1"], "--n-lam", "integer >= 2"),
    (["--spectrum", "spiked", "--n", "20", "--p", "5"], "--p", "p >= 10"),
    (["--seed", "-1"], "--seed", "integer >= 0"),
    (["--noise", "1e200"], "--noise", "1e+50"),
    (["--eps", "0.1", "1e200"], "--eps", "1e+50"),
    (["--n", "100000"], "--n", "TiB"),  # 23 TiB of X: refused up front with the figure
    (["--n-lam", "1.5"], "--n-lam", "'1.5'"),
    (["--norm", "two"], "--norm", "'two'"),
])
@pytest.mark.slow
def test_user_errors_are_one_line_naming_the_flag(argv, flag, fragment):
    r = subprocess.run([sys.executable, "-m", "fastrisk", *argv], capture_output=True, text=True, timeout=300)
    assert r.returncode == 2, (r.returncode, r.stderr)
    assert "Traceback" not in r.stderr and r.stdout == ""
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1, r.stderr
    assert f"argument {flag}:" in lines[0] and fragment in lines[0], lines[0]
    assert lines[0].count(f"argument {flag}") == 1 and f"{flag} must" not in lines[0]  # said once
    assert "_" + "pos_int" not in lines[0] and "_norm_arg" not in lines[0]  # no internal names


def test_memory_refusal_gives_the_figure():
    code, out, err = call(["--n", "400", "--max-memory", "0.001"])
    assert code == 2 and out == ""
    # X alone: 400 x 8000 float64 = 24.4 MiB; the estimate adds the Gram side
    assert "argument --n: this run needs about" in err and "MiB" in err and "400 x 8000" in err


def test_largest_allowed_scales_give_finite_strict_json():
    # --noise and --eps at their maximum (1e50), l_inf attack, float32 X: every number finite
    code, out, err = call(["--n", "30", "--n-lam", "4", "--noise", "1e50", "--eps", "1e50", "--norm", "inf",
                           "--float32", "--json"])
    assert code == 0, err
    res = strict_loads(out)
    assert all(v is not None for row in res["adversarial_risk"] for v in row)
    assert res["adversarial_risk"][0][0] > 1e200


def test_non_finite_risks_are_refused_naming_the_flags():
    import argparse

    import numpy as np
    args = argparse.Namespace(noise=1.0, eps=[0.1], float32=True)
    out = {"standard_risk": np.ones(3), "norm2": np.ones(3), "dual_norm": np.ones(3),
           "adversarial_risk": np.array([[1.0], [np.inf], [1.0]])}
    with pytest.raises(job.UsageError, match="argument --noise/--eps: the adversarial risk overflows"):
        job._check_finite(out, args)


SPECTRA = job.SPECTRA
NORMS = ("1", "2", "inf", "3.5")
TARGETS = ("clean", "noisy", "consistent")
GRID = list(itertools.product(SPECTRA, NORMS, TARGETS, (False, True), (False, True)))


@pytest.mark.parametrize("spectrum, norm, target, f32, as_json", GRID)
def test_every_flag_combination(spectrum, norm, target, f32, as_json):
    argv = ["--n", "12", "--n-lam", "6", "--spectrum", spectrum, "--norm", norm, "--target", target,
            "--eps", "0", "0.1"] + (["--float32"] if f32 else []) + (["--json"] if as_json else [])
    if spectrum == "spiked":
        argv += ["--p", "30"]
    code, out, err = call(argv)
    if target == "consistent" and norm != "2":
        assert code == 2 and out == "" and "argument --target:" in err and len(err.splitlines()) == 1
        return
    assert code == 0, err
    if as_json:
        res = strict_loads(out)
        assert set(res) == set(job.JSON_KEYS)
        assert len(res["adversarial_risk"]) == 6 and len(res["adversarial_risk"][0]) == 2
        assert res["config"]["dtype"] == ("float32" if f32 else "float64")
        assert all(isinstance(v, float) for v in res["standard_risk"] + res["dual_norm"])
        if norm == "3.5":  # the theory row is absent, and the reason is given
            assert res["theory"]["minnorm_adversarial_risk"] is None
            assert "attack norms 1, 2 and inf" in res["notes"]["theory.minnorm_adversarial_risk"]
    else:
        verdict = " ".join(out[out.index("verdict: "):].split())
        if target == "consistent":  # the ground truth's adversarial risk is 0: no ratio to it
            assert "no ratio" in verdict and "x the ground truth's" not in verdict
        else:  # eps = 0 gives the ground truth 0 risk (clean): the ratio uses the largest radius with > 0
            assert "at eps=0.1 is" in verdict, verdict
        if norm == "3.5":
            assert "note: theory.minnorm_adversarial_risk: not available for --norm 3.5" in out
        assert "e+29" not in out and "e+30" not in out  # no division by a zero ground-truth risk


_values = {
    "--n": st.sampled_from(["1", "2", "7", "0", "-3", "x", "1e3", "2.5"]),
    "--p": st.sampled_from(["1", "3", "9", "10", "25", "0", "-1", "nan"]),
    "--spectrum": st.sampled_from(list(SPECTRA) + ["nope", ""]),
    "--noise": st.sampled_from(["0", "1", "1e-300", "1e50", "1e51", "-1", "nan", "inf", "x"]),
    "--eps": st.sampled_from(["0", "0.1", "1e-300", "1e50", "-0.1", "inf", "nan"]),
    "--norm": st.sampled_from(["1", "1.0", "2", "inf", "Infinity", "3.5", "0.5", "nan", "-inf", "x"]),
    "--target": st.sampled_from(list(TARGETS) + ["dirty"]),
    "--n-lam": st.sampled_from(["2", "3", "1", "0", "x"]),
    "--seed": st.sampled_from(["0", "7", "-1", str(2**70), "x"]),
}


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.fixed_dictionaries({}, optional=_values), st.booleans(), st.booleans())
def test_random_flag_values_never_traceback(flags, f32, as_json):
    argv = ["--n", "9", "--n-lam", "3"]
    for k, v in flags.items():
        argv += [k, v]
    argv += (["--float32"] if f32 else []) + (["--json"] if as_json else [])
    code, out, err = call(argv)  # an exception (a traceback for a user) fails the test here
    assert code in (0, 2)
    if code == 2:
        assert out == "" and len(err.strip().splitlines()) == 1 and "argument --" in err
    elif as_json:
        strict_loads(out)


def test_result_part_is_reproducible_and_timing_apart():
    argv = ["--n", "40", "--n-lam", "12", "--norm", "inf", "--json"]
    a, b = strict_loads(call(argv)[1]), strict_loads(call(argv)[1])
    assert set(a["timing"]) == {"sample_s", "path_s", "theory_s", "compile_s"}
    a.pop("timing")
    b.pop("timing")
    assert a == b
    assert "seconds" not in a


def _schema_doc() -> str:
    text = JSON_PAGE.read_text(encoding="utf-8")
    m = re.search(r"^# JSON schema\n(.*)", text, flags=re.S | re.M)
    assert m, "docs/guide/json.md has no '# JSON schema' title"
    return m.group(1)


def test_every_json_key_is_documented_in_the_docs():
    doc = _schema_doc()
    code, out, _ = call(["--n", "20", "--n-lam", "4", "--json"])
    res = strict_loads(out)
    documented = set(re.findall(r"`([A-Za-z_0-9]+(?:\.[A-Za-z_0-9]+)*)`", doc))
    missing = [k for k in res if k not in documented]
    for section in ("config", "ground_truth", "theory", "summary", "timing"):
        missing += [f"{section}.{k}" for k in res[section] if f"{section}.{k}" not in documented]
    missing += [f"theory.benign.{k}" for k in res["theory"]["benign"]
                if f"theory.benign.{k}" not in documented]
    missing += [f"theory.oracle.{k}" for k in res["theory"]["oracle"]
                if f"theory.oracle.{k}" not in documented]
    assert not missing, f"undocumented JSON keys: {missing}"
