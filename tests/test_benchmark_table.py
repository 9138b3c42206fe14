"""The ratio suite (benchmarks/ratios.py) and the generator of the docs' benchmark page (benchmarks/table.py).

The measurements themselves are speed figures and live in asv, never in tests; here: the interleaving and
the median of per-round ratios, the asv classes, the rendering of an asv results file, and one run of the
generator at the quick sizes (every case built and measured once, end to end, in a subprocess)."""

from __future__ import annotations

import json
import math
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks import ratios, table  # noqa: E402


def test_measure_rotates_the_order_and_takes_the_median_of_per_round_ratios(monkeypatch):
    # a fake clock that each side advances by its own duration (and round by round a little more), so
    # the ratios are known exactly on however busy a machine
    calls = []
    now = [0.0]
    monkeypatch.setattr(ratios, "CLOCK", lambda: now[0])

    def side(name, dt):
        def f():
            calls.append(name)
            now[0] += dt * (1 + 0.1 * sum(c == name for c in calls))
        return f

    bench = ratios.Bench({"floor": side("floor", 0.002), "fastrisk": side("fastrisk", 0.006)},
                         lambda t: t["fastrisk"] / t["floor"], "tiny", "floor")
    case = ratios.Case("fake", "cost", "ridge path", "a fake case", lambda sz: bench)
    res = ratios.measure(case, bench, rounds=5)
    assert calls[:2] == ["floor", "fastrisk"]  # one untimed warm-up call each
    rounds = [calls[i:i + 2] for i in range(2, 12, 2)]
    assert rounds == [["floor", "fastrisk"], ["fastrisk", "floor"]] * 2 + [["floor", "fastrisk"]]
    assert len(res.ratios) == 5 and all(len(v) == 5 for v in res.times.values())
    for r, a, b in zip(res.ratios, res.times["fastrisk"], res.times["floor"], strict=True):
        assert r == pytest.approx(a / b)
    assert res.median == pytest.approx(sorted(res.ratios)[2])
    assert res.median == pytest.approx(3.0)  # 6 ms over 2 ms, each stretched alike round by round


def test_asv_classes_track_every_case_as_a_ratio():
    cost = [c.name for c in ratios.CASES.values() if c.kind == "cost"]
    speed = [c.name for c in ratios.CASES.values() if c.kind == "speedup"]
    assert ratios.RatioToFloor.params == cost and ratios.Speedup.params == speed
    assert ratios.RatioToFloor.unit == ratios.Speedup.unit == "ratio"
    assert set(cost) | set(speed) == set(ratios.CASES)
    # the headline comparisons the issue names: F1, the plain NumPy way, scikit-learn
    assert {"power_law l2", "bllt_log l2", "power_law l_inf", "spiked l2", "NumPy way",
            "scikit-learn Ridge", "scikit-learn RidgeCV"} <= set(ratios.CASES)


def test_select_takes_exact_names_and_substrings():
    assert [c.name for c in ratios.select(["power_law l2"])] == ["power_law l2"]
    names = [c.name for c in ratios.select(["bllt_log"])]
    assert names == ["bllt_log l2", "bllt_log l_inf"]
    assert len(ratios.select(None)) == len(ratios.CASES)


def test_render_an_asv_results_file(tmp_path):
    """The layout asv 0.6 writes for track benchmarks (result values in the order of the params)."""
    cost, fast = ratios.RatioToFloor.params, ratios.Speedup.params
    res = {
        "commit_hash": "0123456789abcdef", "date": 1_700_000_000_000, "python": "3.11",
        "params": {"cpu": "Test CPU", "num_cpu": "2"}, "requirements": {"numpy": ""},
        "result_columns": ["result", "params", "version", "started_at", "duration"],
        "results": {"ratios.RatioToFloor.track_ratio": [[1.0 + i / 100 for i in range(len(cost))],
                                                        [[repr(c) for c in cost]], "v", 0, 1.0],
                    "ratios.Speedup.track_speedup": [[None] * len(fast), [[repr(c) for c in fast]],
                                                     "v", 0, 1.0]},
        "version": 2}
    (tmp_path / "machine.json").write_text(json.dumps({"cpu": "Test CPU", "num_cpu": "2", "os": "Linux"}))
    f = tmp_path / "0123-env.json"
    f.write_text(json.dumps(res))
    out = tmp_path / "page.md"
    table.main(["--asv-results", str(f), "--out", str(out)])
    page = out.read_text()
    assert "Test CPU, 2 logical cores" in page and "commit 012345678" in page
    rows = [ln for ln in page.splitlines() if ln.startswith("| ") and "x** |" in ln]
    assert len(rows) == len(cost)  # failed (None) results are left out
    assert f"| {ratios.CASES[cost[0]].what} | **1x** |" in page
    assert "Speedup over" not in page


@pytest.mark.slow
def test_generator_runs_at_the_quick_size(tmp_path):
    out, raw = tmp_path / "docs" / "benchmarks.md", tmp_path / "run.json"
    proc = subprocess.run([sys.executable, "-m", "benchmarks.table", "--quick", "--rounds", "2", "--out",
                           str(out), "--json", str(raw)], cwd=ROOT, capture_output=True, text=True,
                          timeout=600)
    assert proc.returncode == 0, proc.stderr[-3000:]
    page = out.read_text()
    for key in ("| machine |", "| date |", "| threads |", "| versions |", "numpy", "scipy", "numba",
                "| BLAS | openblas", "| load average (1 min) |", "quick (a smoke run"):
        assert key in page, key
    for case in ratios.CASES.values():
        assert f"| {case.what} |" in page, case.name
    saved = json.loads(raw.read_text())
    assert {r["case"] for r in saved["results"]} == set(ratios.CASES)
    for r in saved["results"]:
        assert len(r["ratios"]) == 2 and all(math.isfinite(x) for x in r["ratios"])
        assert r["median"] == pytest.approx(sum(r["ratios"]) / 2)
    # re-rendering the saved run gives the same page
    again = tmp_path / "again.md"
    table.main(["--from-json", str(raw), "--out", str(again)])
    assert again.read_text() == page
