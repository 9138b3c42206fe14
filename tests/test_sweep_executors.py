"""Executors: identical tables for workers 1 and 2 (a spawn pool, after this process used Numba) and for a
Dask LocalCluster; an unreachable scheduler is a clear error within the timeout; the NTK model; the
command's --json summary."""

from __future__ import annotations

import json
import socket
import time

import numpy as np
import pandas as pd
import pytest

import fastrisk as fr
import fastrisk.sweep as sw
from fastrisk import ntk, spectra
from fastrisk.cli import main as cli_main

# n = 100, p = 500 is large enough that OpenBLAS's threaded SYRK rounds differently on 1 and 2 threads:
# these tables agree only because every executor computes every task on the same thread count
SPEC = {
    "n": [40, 100],
    "p": [500],
    "seeds": 3,
    "noise": [0.0, 1.0],
    "theory": True,
    "spectrum": [{"kind": "spiked", "n_spikes": 3, "tail": 0.1}],
    "path": {"lam": [0.0, 0.5, 5.0], "eps": [0.0, 0.2], "norm": [1, 2, 3.0, "inf"],
             "target": ["clean", "noisy"]},
}


@pytest.fixture(scope="module")
def serial(tmp_path_factory):
    # use the parallel Numba kernels in this process first: a fork-started pool would now be unsafe
    X = np.random.default_rng(0).standard_normal((40, 300))
    fr.RidgePath(X, X[:, 0], np.logspace(-2, 2, 50)).norm(1)
    out = tmp_path_factory.mktemp("serial") / "out"
    sw.run(SPEC, out, workers=1, progress=False)
    return sw.load(out, complete=True)


@pytest.mark.slow
def test_pool_of_two_identical(serial, tmp_path):
    from fastrisk.sweep import executors

    s = sw.run(SPEC, tmp_path / "out", workers=2, progress=False)
    assert s["executor"] == "local" and s["workers"] == 2 and s["computed"] == 12
    pd.testing.assert_frame_equal(sw.load(tmp_path / "out"), serial, check_exact=True)
    # the workers outlive the run and serve the next one (start-up paid once per session)
    pool = executors._shared_pool[2]
    pids = set(pool._processes)
    sw.run(SPEC, tmp_path / "again", workers=2, progress=False)
    assert executors._shared_pool[2] is pool and set(pool._processes) == pids
    pd.testing.assert_frame_equal(sw.load(tmp_path / "again"), serial, check_exact=True)
    sw.shutdown_workers()
    assert executors._shared_pool is None
    # theory columns are NaN only for the l_3 attack (not covered by the equivalents)
    nan = serial["theory_adversarial_risk"].isna()
    assert (nan == (serial["norm"] == 3.0)).all()


def test_resume_with_other_thread_count_refused(tmp_path):
    small = dict(SPEC, n=10, p=20, seeds=1, noise=0.0)
    sw.run(small, tmp_path / "o", workers=1, progress=False)
    with pytest.raises(sw.StoreError, match="threads=1"):
        sw.run(small, tmp_path / "o", workers=1, threads=2, progress=False)
    assert sw.run(small, tmp_path / "o", workers=1, progress=False)["skipped"] == 1


@pytest.mark.slow
def test_dask_local_cluster_identical(serial, tmp_path):
    distributed = pytest.importorskip("distributed")
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                  dashboard_address=None) as cluster, distributed.Client(cluster) as client:
        s = sw.run(SPEC, tmp_path / "out", client=client, progress=False)
        # a window smaller than the sweep: results are refilled one for one, nothing lost or repeated
        from fastrisk.sweep.cluster import DaskExecutor

        grid = sw.expand(sw.parse_spec(SPEC))
        batches = [{"kind": "task", "items": [grid.fold(f)], "_hash": "0" * 16, "threads": 1}
                   for f in range(grid.n_folds)]
        ex = DaskExecutor(client, window=3)
        got = {b["items"][0]["fold"]: t for b, t, done, error in ex.execute(batches)
               if done == 1 and error is None}
    assert s["executor"] == "dask" and s["computed"] == 12
    assert grid.n_folds == 6 and sorted(got) == list(range(6))  # (n, seed): both noise levels per fold
    for f, t in got.items():
        want = serial[serial["task"].isin(grid.fold_tasks(f))][grid.task_schema.names]
        pd.testing.assert_frame_equal(t.to_pandas(), want.reset_index(drop=True), check_exact=True)
    pd.testing.assert_frame_equal(sw.load(tmp_path / "out"), serial, check_exact=True)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.mark.slow
def test_unreachable_scheduler_is_a_clear_error(tmp_path, capsys):
    pytest.importorskip("distributed")
    addr = f"tcp://127.0.0.1:{_free_port()}"
    t0 = time.monotonic()
    with pytest.raises(ConnectionError, match="cannot reach the Dask scheduler"):
        sw.connect(addr, timeout=3)
    assert time.monotonic() - t0 < 30
    spec = tmp_path / "spec.toml"
    spec.write_text('n = 10\np = 20\n[[spectrum]]\nkind = "isotropic"\n[path]\nlam = [0.0]\n')
    rc = cli_main(["sweep", str(spec), "--out", str(tmp_path / "o"), "--scheduler", addr, "--timeout", "3"])
    err = capsys.readouterr().err
    assert rc == 2 and err.count("\n") == 1 and "cannot reach the Dask scheduler" in err
    assert not (tmp_path / "o").exists()


@pytest.mark.parametrize("address", ["notanaddress", "tcp://", "tcp://host:notaport", "foo://x:1", "",
                                     "tcp://[::1", "inproc://"])
def test_malformed_scheduler_address_is_one_line_at_once(tmp_path, capsys, address):
    pytest.importorskip("distributed")
    with pytest.raises(ValueError, match="not a Dask scheduler address|address is empty"):
        sw.connect(address, timeout=30)
    spec = tmp_path / "spec.toml"
    spec.write_text('n = 10\np = 20\n[[spectrum]]\nkind = "isotropic"\n[path]\nlam = [0.0]\n')
    t0 = time.monotonic()
    rc = cli_main(["sweep", str(spec), "--out", str(tmp_path / "o"), "--scheduler", address,
                   "--timeout", "30"])
    err = capsys.readouterr().err
    assert rc == 2 and err.count("\n") == 1 and err.startswith("fastrisk sweep: ") and "Traceback" not in err
    assert "e.g. tcp://" in err and time.monotonic() - t0 < 10  # never waits for the timeout
    assert not (tmp_path / "o").exists()


def test_cli_json_summary_and_resume(tmp_path, capsys):
    spec = tmp_path / "spec.toml"
    spec.write_text('n = [10, 12]\np = 20\nseeds = 2\n[[spectrum]]\nkind = "isotropic"\n'
                    '[path]\nlam_n = [0.0, 1.0]\neps = [0.0, 0.1]\n')
    argv = ["sweep", str(spec), "--out", str(tmp_path / "o"), "--workers", "1", "--json"]
    assert cli_main(argv) == 0
    cap = capsys.readouterr()
    first = json.loads(cap.out.strip().splitlines()[-1])
    assert {"tasks", "skipped", "computed", "rows", "out", "seconds"} <= set(first)
    assert (first["tasks"], first["computed"], first["skipped"], first["rows"]) == (4, 4, 0, 16)
    assert cap.err == ""  # no progress bar when stderr is not a terminal
    assert cli_main(argv) == 0
    again = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert (again["computed"], again["skipped"]) == (0, 4)
    spec.write_text(spec.read_text().replace("seeds = 2", "seeds = 3"))
    assert cli_main(argv) == 2
    assert "another spec" in capsys.readouterr().err


def test_ntk_rows_recomputed(tmp_path):
    spec = {"model": "ntk", "n": 20, "p": 8, "seeds": [4], "noise": 0.5,
            "spectrum": [{"kind": "isotropic"}],
            "path": {"lam": [0.0, 1.0], "eps": [0.0, 0.3], "norm": [2, "inf"], "target": ["clean", "noisy"]},
            "ntk": {"train": "both", "test_size": 30}}
    sw.run(spec, tmp_path / "o", workers=1, progress=False)
    df = sw.load(tmp_path / "o")
    assert len(df) == 2 * 2 * 2 * 2 and (df["model"] == "ntk").all()
    theta = np.zeros(8)
    theta[0] = 1.0
    design = fr.GaussianDesign(spectra.isotropic(8), theta, 0.5)
    X, y = design.sample(20, seed=4)
    Xt, yt = design.sample(30, seed=np.random.SeedSequence(4, spawn_key=(2,)))
    model = ntk.TwoLayerNTK(width=None, train="both").fit(X, y, [0.0, 1.0])
    sel = df[(df.norm == np.inf) & (df.target == "noisy")]
    np.testing.assert_allclose(sel["standard_risk"].to_numpy(),
                               np.repeat(model.standard_risk(Xt, theta_star=theta), 2), rtol=1e-12)
    adv = ntk.adversarial_risk(model, Xt, [0.0, 0.3], f_star=yt, norm=np.inf)
    np.testing.assert_allclose(sel["adversarial_risk"].to_numpy(), adv.ravel(), rtol=1e-12)
    clean0 = df[(df.target == "clean") & (df.eps == 0.0)]
    np.testing.assert_allclose(clean0["adversarial_risk"], clean0["standard_risk"], rtol=1e-10)


@pytest.mark.slow
@pytest.mark.parametrize("workers", [1, 2])
def test_failing_unit_is_named_one_line_exit_1(tmp_path, workers, capsys):
    # the deterministic equivalents refuse lam / n > 1e100; the simulation rows are fine
    spec = {"n": 10, "p": 20, "seeds": 2, "theory": True, "spectrum": [{"kind": "isotropic"}],
            "path": {"lam": [0.0, 1e102]}}
    with pytest.raises(sw.TaskError, match=r"theory of group 0 \(spectrum='isotropic', n=10, p=20"):
        sw.run(spec, tmp_path / f"o{workers}", workers=workers, progress=False)
    f = tmp_path / "spec.toml"
    f.write_text('n = 10\np = 20\ntheory = true\n[[spectrum]]\nkind = "isotropic"\n'
                 '[path]\nlam = [0.0, 1e102]\n')
    assert cli_main(["sweep", str(f), "--out", str(tmp_path / "cli"), "--workers", "1"]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "theory of group 0" in err and "lam must be" in err
