"""Folds: the tasks that share X (every noise level and ground truth of one (spectrum, n, p, seed)) come from
one eigendecomposition, with the table each task computed alone would give (to 1e-12 relative), the same
bits for any batching and after a resume that finds a fold half done."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow.parquet as pq
import pytest

import fastrisk.sweep as sw
from fastrisk._spectral import SpectralGram
from fastrisk.sweep.compute import compute_task
from fastrisk.sweep.store import write_batch

NUM = ["standard_risk", "adversarial_risk", "empirical_adversarial_risk"]


def _spec(noise, seeds=8, **kw) -> dict:
    spec = {"n": 40, "p": 160, "seeds": seeds, "noise": noise,
            "spectrum": [{"kind": "spiked", "n_spikes": 4, "tail": 0.05}],
            "path": {"lam_n": {"start": -3, "stop": 1, "num": 12, "zero": True}, "eps": [0.0, 0.1, 0.2],
                     "norm": [2], "target": ["clean"]}}
    spec.update(kw)
    return spec


@pytest.fixture
def eighs(monkeypatch):
    """Count the eigendecompositions of Gram matrices (SpectralGram constructions) in this process."""
    count = [0]
    init = SpectralGram.__init__

    def counting(self, *a, **k):
        count[0] += 1
        init(self, *a, **k)

    monkeypatch.setattr(SpectralGram, "__init__", counting)
    return count


@pytest.mark.parametrize("truths", [None, [{"kind": "e1"}, {"kind": "dense", "seed": 1}]])
def test_four_noise_levels_by_eight_seeds_cost_eight_eighs(tmp_path, eighs, truths):
    extra = {} if truths is None else {"theta_star": truths}
    s = sw.run(_spec([0.25, 0.5, 1.0, 2.0], **extra), tmp_path / "four", workers=1, progress=False)
    assert s["computed"] == 32 * (1 if truths is None else 2)
    assert eighs[0] == 8  # not 32 (or 64): one per (spectrum, n, p, seed)
    eighs[0] = 0
    sw.run(_spec([1.0]), tmp_path / "one", workers=1, progress=False)
    assert eighs[0] == 8


CASES = {
    "held": {"test_size": 15},
    "streamed": {"stream": True, "test_size": 15},
    "lq": {"path": {"lam_n": {"start": -3, "stop": 1, "num": 12, "zero": True}, "eps": [0.0, 0.1],
                    "norm": [1, 2, "inf"], "target": ["clean", "noisy"]}, "test_size": 15},
    "ntk": {"model": "ntk", "p": 12, "path": {"lam": [0.0, 1.0, 10.0], "eps": [0.0, 0.1], "norm": [2, "inf"],
                                               "target": ["clean", "noisy"]}, "ntk": {"test_size": 20}},
}


@pytest.mark.parametrize("case", list(CASES))
def test_fold_equals_each_task_computed_alone(tmp_path, case):
    """Three noise levels (0 among them) x two ground truths of one X: every task's rows equal the one-task
    path (its own sample, its own eigh) to 1e-12 relative."""
    spec = _spec([0.0, 0.5, 2.0], seeds=2, theta_star=[{"kind": "e1"}, {"kind": "power", "a": 0.5}],
                 **CASES[case])
    if case == "ntk":
        spec["n"] = 20
    sw.run(spec, tmp_path / "o", workers=1, progress=False)
    df = sw.load(tmp_path / "o", complete=True)
    grid = sw.expand(sw.parse_spec(spec))
    assert grid.targets_per_fold == 6 and grid.n_folds == 2
    alone = pd.concat([compute_task(grid.task(i)).to_pandas() for i in range(grid.n_tasks)],
                      ignore_index=True)
    keys = [c for c in alone.columns if c not in NUM]
    pd.testing.assert_frame_equal(df[keys], alone[keys], check_exact=True)
    scale = df.groupby("task")["standard_risk"].transform("max").to_numpy()
    for c in NUM:
        np.testing.assert_allclose(df[c].to_numpy(), alone[c].to_numpy(), rtol=1e-12,
                                   atol=1e-14 * float(scale.max()), equal_nan=True, err_msg=c)


def test_batching_never_changes_a_bit(tmp_path):
    spec = _spec([0.5, 1.0, 2.0], seeds=6, test_size=10)
    sw.run(spec, tmp_path / "a", workers=1, progress=False)
    s = sw.run(spec, tmp_path / "b", workers=1, progress=False, batch_seconds=0)
    assert s["batches"] == 6 and len(list((tmp_path / "b" / "tasks").iterdir())) == 6  # one fold per file
    pd.testing.assert_frame_equal(sw.load(tmp_path / "a"), sw.load(tmp_path / "b"), check_exact=True)
    footer = pq.read_schema(tmp_path / "b" / "tasks" / "part-000000000.parquet").metadata[b"fastrisk.sweep"]
    assert b'"ids": [[0, 1], [6, 7], [12, 13]]' in footer  # fold 0: seed 0 at the three noise levels


def test_resume_of_a_half_done_fold_is_bit_identical(tmp_path):
    """A store where a fold's tasks are split (a fastrisk 0.1 store has one file per task): the fold is
    computed whole again and only its missing tasks are written, so the table is the uninterrupted one."""
    spec = _spec([0.5, 1.0, 2.0], seeds=2, theta_star=[{"kind": "e1"}, {"kind": "top_k", "k": 3}])
    out = tmp_path / "o"
    sw.run(spec, out, workers=1, progress=False, batch_seconds=0)
    ref = sw.load(out, complete=True)
    grid = sw.expand(sw.parse_spec(spec))
    ids = grid.fold_tasks(1)
    keep = ids[::2]  # half the fold's tasks survive, in a file of their own
    (f,) = [f for f in (out / "tasks").iterdir()
            if set(pq.read_table(f, columns=["task"]).column("task").to_numpy()) & set(ids)]
    t = pq.read_table(f)
    f.unlink()
    rows = t.filter(np.isin(t.column("task").to_numpy(), keep))
    write_batch(out, {"kind": "task", "items": [{"kind_of_unit": "task", "id": int(i)} for i in keep]},
                rows.replace_schema_metadata(None), len(keep))
    assert sorted(sw.load(out)["task"].unique()) == sorted(set(range(grid.n_tasks)) - set(ids) | set(keep))
    s = sw.run(spec, out, workers=1, progress=False)
    assert (s["computed"], s["skipped"]) == (ids.size - keep.size, grid.n_tasks - ids.size + keep.size)
    pd.testing.assert_frame_equal(sw.load(out, complete=True), ref, check_exact=True)


def test_size_estimate_counts_the_fold():
    one = sw.measure(sw.parse_spec(_spec([1.0], n=1000, p=6000)))
    four = sw.measure(sw.parse_spec(_spec([0.25, 0.5, 1.0, 2.0], n=1000, p=6000)))
    assert (one.folds, four.folds, four.tasks) == (8, 8, 32)
    assert one.task_bytes < four.task_bytes < 1.5 * one.task_bytes  # one X, four label vectors and tables
