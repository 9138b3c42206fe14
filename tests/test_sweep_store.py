"""The store: damaged files are found on resume (footer only), moved aside and recomputed to the undamaged
table; load names a damaged file; provenance is recorded per run without touching the spec hash; a store
written by fastrisk 0.1 (one file per task, no provenance) still loads and resumes."""

from __future__ import annotations

import json
import shutil
import warnings
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

import fastrisk
import fastrisk.sweep as sw
from fastrisk.cli import main as cli_main

SPEC = {"n": [10, 14], "p": 30, "seeds": 4, "noise": 0.5, "theory": True,
        "spectrum": [{"kind": "power_law", "a": 1.0}],
        "path": {"lam_n": {"start": -2, "stop": 0, "num": 3, "zero": True}, "eps": [0.0, 0.1],
                 "norm": [2, "inf"], "target": ["clean"]}}
LEGACY = Path(__file__).parent / "data" / "sweep_store_v1"


@pytest.fixture(scope="module")
def reference(tmp_path_factory):
    out = tmp_path_factory.mktemp("ref") / "out"
    sw.run(SPEC, out, workers=1, progress=False)
    return sw.load(out, complete=True)


def _run_fine(out, **kw):
    """One task (and one theory group) per file, so single files can be damaged."""
    return sw.run(SPEC, out, workers=1, progress=False, batch_seconds=0, **kw)


def _parts(out, sub="tasks"):
    return sorted(p for p in (out / sub).iterdir() if p.suffix == ".parquet")


@pytest.mark.parametrize("damage", ["garbage", "truncated", "empty", "wrong_rows", "wrong_schema"])
def test_damaged_file_is_moved_aside_and_recomputed(tmp_path, reference, damage):
    out = tmp_path / "o"
    _run_fine(out)
    victim = _parts(out)[3]
    if damage == "garbage":
        victim.write_bytes(b"not a parquet file at all" * 40)
    elif damage == "truncated":
        victim.write_bytes(victim.read_bytes()[: victim.stat().st_size // 2])
    elif damage == "empty":
        victim.write_bytes(b"")
    elif damage == "wrong_rows":  # a valid Parquet file whose footer lists the task but lacks rows
        t = pq.read_table(victim)
        pq.write_table(t.slice(0, t.num_rows - 1).replace_schema_metadata(t.schema.metadata), victim)
    else:
        t = pq.read_table(victim)
        pq.write_table(t.drop_columns(["eps_spec"]), victim)
    with pytest.raises(sw.StoreError, match=rf"{victim.name} is damaged .*rerun the sweep"):
        sw.load(out)
    with pytest.warns(sw.DamagedFileWarning, match=rf"{victim.name} is damaged .*moved to .*damaged"):
        s = _run_fine(out)
    assert (s["computed"], s["skipped"]) == (1, 7)
    assert [p.name for p in (out / "damaged").iterdir()] == [f"tasks-{victim.name}"]
    pd.testing.assert_frame_equal(sw.load(out, complete=True), reference, check_exact=True)


def test_damaged_theory_file_and_page_damage_behind_a_good_footer(tmp_path, reference):
    out = tmp_path / "o"
    _run_fine(out)
    g = _parts(out, "theory")[0]
    g.write_bytes(b"\0" * 100)
    with pytest.warns(sw.DamagedFileWarning, match=g.name):
        _run_fine(out)
    pd.testing.assert_frame_equal(sw.load(out, complete=True), reference, check_exact=True)
    # a flipped data page behind an intact footer passes the footer check; load still names the file
    victim = _parts(out)[0]
    raw = bytearray(victim.read_bytes())
    n_footer = int.from_bytes(raw[-8:-4], "little") + 8
    for k in range(4, len(raw) - n_footer, 7):
        raw[k] ^= 0xFF
    victim.write_bytes(bytes(raw))
    with pytest.raises(sw.StoreError, match=rf"{victim.name} is damaged"):
        sw.load(out)


def test_cli_reports_a_damaged_file_in_one_line_and_recomputes(tmp_path, reference, capsys):
    out = tmp_path / "o"
    _run_fine(out)
    victim = _parts(out)[5]
    victim.write_bytes(b"garbage")
    f = tmp_path / "spec.toml"
    f.write_text('n = [10, 14]\np = 30\nseeds = 4\nnoise = 0.5\ntheory = true\n'
                 '[[spectrum]]\nkind = "power_law"\na = 1.0\n'
                 '[path]\nlam_n = {start = -2, stop = 0, num = 3, zero = true}\neps = [0.0, 0.1]\n'
                 'norm = [2, "inf"]\ntarget = ["clean"]\n')
    assert cli_main(["sweep", str(f), "--out", str(out), "--workers", "1", "--json"]) == 0
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("fastrisk sweep: warning: ") and victim.name in err
    pd.testing.assert_frame_equal(sw.load(out, complete=True), reference, check_exact=True)


def test_batched_files_equal_one_task_per_file(tmp_path, reference):
    s = sw.run(SPEC, tmp_path / "b", workers=1, progress=False)
    assert s["batches"] == len(_parts(tmp_path / "b")) + len(_parts(tmp_path / "b", "theory")) <= 3
    s = _run_fine(tmp_path / "f")
    assert len(_parts(tmp_path / "f")) == 8 and s["batches"] == 8 + 2
    pd.testing.assert_frame_equal(sw.load(tmp_path / "f"), reference, check_exact=True)
    footer = json.loads(pq.read_schema(_parts(tmp_path / "b")[0]).metadata[b"fastrisk.sweep"])
    assert footer["ids"] == [[0, 8]] and footer["run"] == 0


def test_provenance_recorded_and_loaded(tmp_path):
    out = tmp_path / "o"
    sw.run(SPEC, out, workers=1, progress=False)
    prov = sw.provenance(out)
    assert prov["spec_hash"] == sw.parse_spec(SPEC).hash and prov["threads"] == 1
    (run,) = prov["runs"]
    import numba
    import numpy
    import scipy

    assert run["fastrisk"] == fastrisk.__version__ and run["numpy"] == numpy.__version__
    assert run["scipy"] == scipy.__version__ and run["numba"] == numba.__version__
    assert run["pyarrow"] == pa.__version__ and run["python"].count(".") == 2
    assert run["blas"] and isinstance(run["blas_libraries"], list)
    assert run["threading_layer"] in ("tbb", "omp", "workqueue")
    assert run["date"].endswith("+00:00") and run["host"] and "command" in run
    assert sw.load(out).attrs["fastrisk.sweep"] == prov
    # a rerun with nothing to compute adds no record; the spec hash never depends on provenance
    sw.run(SPEC, out, workers=1, progress=False)
    assert len(sw.provenance(out)["runs"]) == 1
    man = json.loads((out / "manifest.json").read_text())
    assert man["spec_hash"] == sw.parse_spec(SPEC).hash


def test_resume_with_other_versions_warns_naming_them(tmp_path, reference):
    out = tmp_path / "o"
    _run_fine(out)
    man = json.loads((out / "manifest.json").read_text())
    man["runs"][0]["numpy"] = "1.0.0"
    man["runs"][0]["numba"] = "0.1"
    (out / "manifest.json").write_text(json.dumps(man))
    for p in _parts(out)[:2]:
        p.unlink()
    with pytest.warns(sw.VersionChangeWarning, match=r"numpy 1.0.0 \(now .*numba 0.1 \(now "):
        _run_fine(out)
    runs = sw.provenance(out)["runs"]
    assert len(runs) == 2 and runs[1]["numpy"] != "1.0.0"
    pd.testing.assert_frame_equal(sw.load(out, complete=True), reference, check_exact=True)
    with pytest.raises(sw.StoreError, match="another spec"):  # a different spec still refuses
        sw.run(dict(SPEC, seeds=5), out, workers=1, progress=False)


def test_store_written_by_fastrisk_0_1_loads_and_resumes(tmp_path):
    """tests/data/sweep_store_v1 was written by fastrisk 0.1 (one file per task, no provenance; task 3
    removed as if killed): it loads, resumes with a warning-free run, and equals a fresh store."""
    out = tmp_path / "v1"
    shutil.copytree(LEGACY, out)
    man = json.loads((out / "manifest.json").read_text())
    assert man["format"] == 1 and "runs" not in man
    spec = sw.parse_spec(_legacy_spec(man))
    assert spec.hash == man["spec_hash"]
    old = sw.load(out)
    assert sorted(old["task"].unique()) == [0, 1, 2]
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        s = sw.run(spec, out, workers=1, progress=False)
    assert (s["skipped"], s["computed"]) == (3, 1)
    fresh = tmp_path / "fresh"
    sw.run(spec, fresh, workers=1, progress=False)
    got, want = sw.load(out, complete=True), sw.load(fresh)
    # the task computed now equals the fresh store's bit for bit; the three written by fastrisk 0.1 were
    # rounded by another version (and BLAS) and agree to rounding (measured: 1 ulp in a few rows)
    now = got["task"] == 3
    pd.testing.assert_frame_equal(got[now], want[now], check_exact=True)
    pd.testing.assert_frame_equal(got[~now], want[~now], check_exact=False, rtol=1e-13, atol=0.0)
    assert len(sw.provenance(out)["runs"]) == 1


def _legacy_spec(man: dict) -> dict:
    from fastrisk.sweep.read import _spec_dict

    return _spec_dict(man["spec"])
