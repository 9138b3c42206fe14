"""Resume after a real ``kill -9``: a sweep subprocess is killed mid-way (some but not all task files
written), rerun; the final table equals an uninterrupted run's bit for bit."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest

import fastrisk.sweep as sw

ROOT = Path(__file__).resolve().parents[1]

SPEC_TOML = """
n = [40, 60]
p = [600]
seeds = 40
noise = [0.5]
theory = true

[[spectrum]]
kind = "power_law"
a = 1.0

[path]
lam_n = {start = -3, stop = 1, num = 20, zero = true}
eps = [0.0, 0.05, 0.1]
norm = [2, "inf"]
target = ["clean", "noisy"]
"""


def _canonical(df: pd.DataFrame) -> pd.DataFrame:
    keys = ["task", "norm", "target", "lam", "eps"]
    return df.sort_values(keys, kind="mergesort").reset_index(drop=True)


@pytest.fixture(scope="module")
def reference(tmp_path_factory):
    d = tmp_path_factory.mktemp("resume")
    spec = d / "spec.toml"
    spec.write_text(SPEC_TOML)
    sw.run(spec, d / "uninterrupted", workers=1, progress=False)
    return spec, sw.load(d / "uninterrupted", complete=True)


@pytest.mark.parametrize("workers", [1, 2])
def test_kill_9_then_resume_is_bit_identical(tmp_path, workers, reference):
    spec, ref = reference
    total = len(sw.expand(sw.parse_spec(spec)).tasks)
    out = tmp_path / "killed"
    proc = subprocess.Popen([sys.executable, "-m", "fastrisk", "sweep", str(spec), "--out", str(out),
                             "--workers", str(workers), "--no-progress"], cwd=ROOT,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, start_new_session=True)
    tasks_dir = out / "tasks"
    deadline = time.monotonic() + 240
    n_done = 0
    try:
        while time.monotonic() < deadline and proc.poll() is None:
            if tasks_dir.is_dir():
                n_done = sum(1 for f in os.listdir(tasks_dir) if f.endswith(".parquet") and f[0] != ".")
                if n_done >= 3:
                    break
            time.sleep(0.002)
        assert proc.poll() is None, f"the sweep ended before it could be killed: {proc.stderr.read()!r}"
        os.killpg(proc.pid, signal.SIGKILL)  # the sweep and its pool workers, as an OOM killer would
    finally:
        proc.wait(timeout=60)
        proc.stderr.close()
    assert proc.returncode == -signal.SIGKILL
    done = sw.load(out)
    assert 0 < done["task"].nunique() < total
    # a temporary file a killed run could leave behind is cleaned up, never read
    (tasks_dir / ".tmp-task-000999.parquet.abc123").write_bytes(b"partial")

    summary = sw.run(spec, out, workers=1, progress=False)
    assert summary["skipped"] >= 3 and summary["skipped"] + summary["computed"] == total
    assert not [f for f in os.listdir(tasks_dir) if f.startswith(".tmp-")]
    resumed = sw.load(out, complete=True)
    pd.testing.assert_frame_equal(_canonical(resumed), _canonical(ref), check_exact=True)
    pd.testing.assert_frame_equal(resumed, ref, check_exact=True)  # load's order is canonical already
    assert len(ref) == total * 21 * 3 * 2 * 2
    assert not ref.duplicated(["task", "norm", "target", "lam", "eps"]).any()


def test_ctrl_c_stops_cleanly_and_keeps_finished_tasks(tmp_path, reference):
    spec, ref = reference
    out = tmp_path / "interrupted"
    proc = subprocess.Popen([sys.executable, "-m", "fastrisk", "sweep", str(spec), "--out", str(out),
                             "--workers", "2", "--no-progress"], cwd=ROOT, stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE, text=True, start_new_session=True)
    deadline = time.monotonic() + 240
    try:
        while time.monotonic() < deadline and proc.poll() is None:
            if (out / "tasks").is_dir() and len(os.listdir(out / "tasks")) >= 2:
                break
            time.sleep(0.002)
        assert proc.poll() is None, "the sweep ended before it could be interrupted"
        os.killpg(proc.pid, signal.SIGINT)  # what Ctrl-C in a terminal sends: the whole process group
        for _ in range(60):  # a user presses again if nothing happens (one full-suite run lost the first)
            try:
                _, err = proc.communicate(timeout=2)
                break
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGINT)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
    assert "Traceback" not in err
    assert proc.returncode in (0, 130), err
    sw.run(spec, out, workers=1, progress=False)
    pd.testing.assert_frame_equal(sw.load(out, complete=True), ref, check_exact=True)
    if proc.returncode == 0:  # seen only inside the full suite: the sweep never saw the SIGINTs
        pytest.xfail("known issue: the SIGINT was not delivered to the sweep (it ran to completion)")
    assert err.count("\n") == 1 and "interrupted" in err
