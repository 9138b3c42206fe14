"""The ``fastrisk`` command as a whole: every subcommand listed and helped, the main job the default, one
error style (``fastrisk[ CMD]: error: ...``, one line, exit 2) across commands, negative numbers read as
values, and a missing optional dependency named with its ``pip install``."""

from __future__ import annotations

import contextlib
import io
import json
import os
import pathlib
import re
import subprocess
import sys

import pytest

from fastrisk import cli

ROOT = pathlib.Path(__file__).resolve().parents[1]
ERROR_LINE = re.compile(r"^fastrisk(?: (?:run|sweep|reproduce|help))?: error: \S.*\n\Z")


def call(argv: list[str]) -> tuple[int, str, str]:
    """Run ``fastrisk argv`` in-process: (exit code, stdout, stderr)."""
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            code = cli.main(argv)
        except SystemExit as e:
            code = e.code
    return code, out.getvalue(), err.getvalue()


def fastrisk(*argv: str, env: dict | None = None) -> subprocess.CompletedProcess:
    """``python -m fastrisk argv`` in a real interpreter."""
    return subprocess.run([sys.executable, "-m", "fastrisk", *argv], capture_output=True, text=True,
                          timeout=300, cwd=ROOT, env=env)


@pytest.mark.parametrize("argv", [["--help"], ["-h"], ["help"], ["help", "help"]])
def test_top_level_help_lists_every_command(argv):
    code, out, err = call(argv)
    assert code == 0 and err == ""
    assert out.startswith("usage: fastrisk ")
    listed = re.findall(r"^    (\w+)", out, flags=re.M)
    assert listed == ["run", "sweep", "reproduce", "help"]
    assert "fastrisk help COMMAND" in out and "'fastrisk [options]' is 'fastrisk run [options]'" in " ".join(
        out.split())


@pytest.mark.parametrize("command, flags", [("run", ["--n", "--spectrum", "--norm", "--json", "--plot"]),
                                            ("sweep", ["--out", "--workers", "--scheduler"]),
                                            ("reproduce", ["--quick", "--only", "--figures-dir"])])
def test_help_of_each_command_is_its_own(command, flags):
    code, out, err = call(["help", command])
    assert code == 0 and err == ""
    assert out.startswith(f"usage: fastrisk {command} ")
    assert all(f in out for f in flags)
    # `fastrisk help CMD` is `fastrisk CMD --help`
    code2, out2, _ = call([command, "--help"])
    assert code2 == 0 and out2 == out


def test_bare_flags_and_run_are_the_same_job():
    argv = ["--n", "30", "--n-lam", "5", "--norm", "inf", "--json"]
    a, b = call(argv), call(["run", *argv])
    assert a[0] == b[0] == 0
    ra, rb = json.loads(a[1]), json.loads(b[1])
    ra.pop("timing")
    rb.pop("timing")
    assert ra == rb and ra["config"]["norm_label"] == "inf"


def test_version():
    code, out, _ = call(["--version"])
    assert code == 0 and out.strip() == f"fastrisk {cli.__version__}"


@pytest.mark.parametrize("argv, prog, fragment", [
    (["swep"], "fastrisk", "invalid choice: 'swep'"),
    (["help", "nope"], "fastrisk help", "invalid choice: 'nope'"),
    (["--n", "0"], "fastrisk run", "argument --n: expected an integer >= 1, got 0"),
    (["run", "--bogus"], "fastrisk run", "unrecognized arguments: --bogus"),
    (["sweep"], "fastrisk sweep", "the following arguments are required: spec, --out"),
    (["sweep", "s.toml", "--out", "o", "--workers", "2", "--scheduler", "tcp://x:1"], "fastrisk sweep",
     "not both"),
    (["reproduce", "--only", "E9"], "fastrisk reproduce", "E9"),
    (["reproduce", "--workers", "0"], "fastrisk reproduce", "argument --workers"),
])
def test_one_error_style_across_commands(argv, prog, fragment, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # nothing may be written, but if it were, not into the repository
    code, out, err = call(argv)
    assert code == 2 and out == ""
    assert ERROR_LINE.match(err), err
    assert err.startswith(f"{prog}: error: ") and fragment in err
    assert "usage:" not in err and "Traceback" not in err
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("argv", [["--norm", "-inf"], ["--norm=-inf"], ["--norm", "-Infinity"],
                                  ["--norm", "-1e3"], ["--norm", "-.5"], ["--norm", "-nan"]])
def test_negative_norm_is_a_value_refused_by_name(argv):
    r = fastrisk("--n", "20", *argv)
    assert r.returncode == 2 and r.stdout == "" and "Traceback" not in r.stderr
    assert r.stderr.count("\n") == 1, r.stderr
    assert "argument --norm: expected a number >= 1 or 'inf', got -" in r.stderr
    assert "expected one argument" not in r.stderr


@pytest.mark.parametrize("argv, fragment", [(["--eps", "0.1", "-0.2"], "argument --eps: expected a finite "
                                             "radius >= 0, got -0.2"),
                                            (["--eps", "-1e-3"], "got -1e-3"),
                                            (["--noise", "-inf"], "argument --noise: expected a finite "
                                             "number >= 0, got -inf")])
def test_negative_numbers_after_any_flag_are_values(argv, fragment):
    code, out, err = call(["--n", "20", *argv])
    assert code == 2 and out == "" and fragment in err and err.count("\n") == 1


def _blocked(*modules: str) -> str:
    return "import sys\n" + "".join(f"sys.modules[{m!r}] = None\n" for m in modules)


@pytest.mark.parametrize("argv, missing, extra", [
    (["sweep", "spec.toml", "--out", "o"], "pyarrow", "sweep"),
    (["sweep", "spec.toml", "--out", "o"], "pandas", "sweep"),
    (["reproduce", "--quick", "--out", "o"], "tqdm", "sweep"),
])
def test_missing_extra_is_one_line_naming_the_pip_install(argv, missing, extra, tmp_path):
    code = (_blocked(missing) + "from fastrisk.cli import main\n"
            f"raise SystemExit(main({argv!r}))\n")
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")]))
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300,
                       cwd=tmp_path, env=env)
    assert r.returncode == 2 and r.stdout == "" and "Traceback" not in r.stderr, r.stderr
    assert r.stderr.count("\n") == 1
    assert r.stderr.startswith(f"fastrisk {argv[0]}: error: fastrisk.{argv[0]} needs ")
    assert missing in r.stderr and f'pip install "fastrisk[{extra}]"' in r.stderr
    assert list(tmp_path.iterdir()) == []  # refused before anything is written


def test_help_needs_no_extra():
    code = _blocked("pandas", "pyarrow", "tqdm", "matplotlib", "sklearn") + (
        "from fastrisk.cli import main\n"
        "for cmd in ('run', 'sweep', 'reproduce'):\n"
        "    try:\n        main(['help', cmd])\n    except SystemExit:\n        raise\n")
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300, cwd=ROOT)
    assert r.returncode == 0, r.stderr
    assert r.stdout.count("usage: fastrisk ") == 3
