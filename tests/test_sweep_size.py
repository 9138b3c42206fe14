"""Sweeps refuse up front what they cannot finish: too many tasks, more memory than allowed (per task times
the workers), a store larger than the disk, a grid that cannot be held -- in well under a second, with one
line and exit 2 from the command, a ValueError from the library, and nothing written. The memory estimate
is an upper bound of a real task's peak."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

import pytest

import fastrisk.sweep as sw
from fastrisk.cli import main as cli_main
from fastrisk.sweep import size as size_mod

ROOT = Path(__file__).resolve().parents[1]
BASE = 'n = 100\np = 400\n[[spectrum]]\nkind = "isotropic"\n[path]\nlam = [0.0, 1.0]\n'


def _cli(tmp_path, toml: str, *flags: str) -> tuple[int, str, float]:
    f = tmp_path / "spec.toml"
    f.write_text(toml)
    t0 = time.perf_counter()
    try:
        rc = cli_main(["sweep", str(f), "--out", str(tmp_path / "out"), "--no-progress", *flags])
    except SystemExit as exc:
        rc = exc.code
    return rc, "", time.perf_counter() - t0


@pytest.mark.parametrize("toml, words", [
    ("seeds = 100000000\n" + BASE, ["100,000,000 tasks", "1,000,000 allowed", "--allow-large"]),
    (BASE.replace("lam = [0.0, 1.0]", "lam = {start = -3, stop = 1, num = 1000000000}"),
     ["path.lam.num = 1000000000 penalties cannot be held"]),
    (BASE.replace("n = 100\np = 400", "n = 100000\np = 100000000"),
     ["needs about", "n=100000, p=100000000, streamed", "the memory available now"]),
    (BASE.replace("n = 100\np = 400", "n = 1000000000000\np_exponent = 1.5"), ["needs about"]),
])
def test_refused_in_one_line_under_a_second_nothing_written(tmp_path, capsys, toml, words):
    rc, _, seconds = _cli(tmp_path, toml)
    err = capsys.readouterr().err
    assert rc == 2 and err.count("\n") == 1 and err.startswith("fastrisk sweep: ") and "Traceback" not in err
    for w in words:
        assert w in err, (w, err)
    assert seconds < 1.0
    assert not (tmp_path / "out").exists()


@pytest.mark.slow
def test_refused_as_a_subprocess_too(tmp_path):
    f = tmp_path / "spec.toml"
    f.write_text("seeds = 100000000\n" + BASE)
    r = subprocess.run([sys.executable, "-m", "fastrisk", "sweep", str(f), "--out", str(tmp_path / "o")],
                       cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert r.returncode == 2 and r.stderr.count("\n") == 1 and "100,000,000 tasks" in r.stderr
    assert not (tmp_path / "o").exists()


def test_library_refuses_with_a_value_error(tmp_path):
    spec = {"n": 100_000, "p": 100_000_000, "spectrum": [{"kind": "isotropic"}], "path": {"lam": [1.0]}}
    t0 = time.perf_counter()
    with pytest.raises(sw.SweepTooLarge) as info:
        sw.run(spec, tmp_path / "o", workers=1, progress=False)
    assert isinstance(info.value, ValueError) and "allow_large=True" in str(info.value)
    with pytest.raises(ValueError, match="tasks"):
        sw.run(dict(spec, n=10, p=20, seeds=10**7), tmp_path / "o", workers=1, progress=False)
    assert time.perf_counter() - t0 < 1.0
    assert not (tmp_path / "o").exists()
    with pytest.raises(ValueError, match="max_memory must be"):
        sw.run(spec, tmp_path / "o", workers=1, max_memory=-1)


def test_memory_counts_every_worker_and_allow_large_confirms(tmp_path, capsys):
    spec = sw.parse_spec({"n": 2000, "p": 20000, "seeds": 8, "spectrum": [{"kind": "isotropic"}],
                          "path": {"lam": [1.0]}})
    s = sw.measure(spec)
    one = s.memory(1, new_processes=True)
    limit = 1.5 * one
    s.check(processes=1, new_processes=True, max_memory=limit)
    with pytest.raises(sw.SweepTooLarge, match=r"2 worker\(s\) x"):
        s.check(processes=2, new_processes=True, max_memory=limit)
    s.check(processes=2, new_processes=True, max_memory=limit, allow_large=True)
    rc, _, _ = _cli(tmp_path, BASE, "--workers", "1", "--max-memory", "0.001")
    assert rc == 2 and "max_memory / --max-memory" in capsys.readouterr().err
    assert not (tmp_path / "out").exists()
    rc, _, _ = _cli(tmp_path, BASE, "--workers", "1", "--max-memory", "0.001", "--allow-large", "--json")
    assert rc == 0 and json.loads(capsys.readouterr().out.splitlines()[-1])["computed"] == 1


def test_store_larger_than_the_disk_is_refused(tmp_path, monkeypatch):
    monkeypatch.setattr(size_mod, "_disk_room", lambda out: (1000.0, 0.0))
    with pytest.raises(sw.SweepTooLarge, match="store needs about"):
        sw.run({"n": 10, "p": 20, "seeds": 100, "spectrum": [{"kind": "isotropic"}], "path": {"lam": [1.0]}},
               tmp_path / "o", workers=1, progress=False)
    assert not (tmp_path / "o").exists()


def test_counts_without_expanding():
    s = sw.measure(sw.parse_spec({"n": [10, 20], "p_exponent": [1.0, 1.5], "seeds": 10**8, "noise": [0, 1, 2],
                                  "spectrum": [{"kind": "isotropic"}, {"kind": "power_law", "name": "b"}],
                                  "path": {"lam": [0.0, 1.0, 2.0], "eps": [0.0, 0.1], "norm": [2, "inf"]}}))
    assert (s.groups, s.tasks, s.rows_per_task) == (2 * 2 * 2 * 3, 24 * 10**8, 3 * 2 * 2)


PEAK = """
import json, resource, sys
import fastrisk.sweep as sw
from fastrisk.sweep.compute import compute_task
spec = sw.parse_spec(json.loads(sys.argv[1]))
task = sw.expand(spec).task(0)
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
compute_task(task)
after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
print(json.dumps({"peak": after - before, "estimate": sw.measure(spec).task_bytes}))
"""


@pytest.mark.slow
@pytest.mark.skipif(sys.platform != "linux", reason="ru_maxrss in KiB is Linux's unit")
@pytest.mark.parametrize("spec", [
    {"n": 600, "p": 12000, "test_size": 300, "spectrum": [{"kind": "spiked", "n_spikes": 5}],
     "path": {"lam_n": {"start": -3, "stop": 1, "num": 100}, "eps": [0.0, 0.1], "norm": [2, "inf"]}},
    {"n": 600, "p": 12000, "stream": True, "spectrum": [{"kind": "power_law"}],
     "path": {"lam_n": {"start": -3, "stop": 1, "num": 100}, "eps": [0.0, 0.1], "norm": [2, "inf", 1]}},
    {"model": "ntk", "n": 300, "p": 1500, "spectrum": [{"kind": "power_law"}],
     "path": {"lam_n": {"start": -3, "stop": 1, "num": 60}, "eps": [0.0, 0.1], "norm": [2, "inf"]}},
], ids=["held", "streamed", "ntk"])
def test_memory_estimate_bounds_a_real_task(spec):
    r = subprocess.run([sys.executable, "-c", PEAK, json.dumps(spec)], cwd=ROOT, capture_output=True,
                       text=True, timeout=600)
    assert r.returncode == 0, r.stderr
    got = json.loads(r.stdout.splitlines()[-1])
    assert got["peak"] <= got["estimate"] <= 12 * max(got["peak"], 64 * 2**20), got
