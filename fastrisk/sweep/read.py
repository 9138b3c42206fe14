"""Read a sweep's store: :func:`load` (one tidy table) and :func:`provenance` (what computed it).

:func:`load` verifies every file's footer first (a damaged file is named in a :class:`StoreError`, never
a pyarrow error), then reads the store as one ``pyarrow.dataset`` with the store's explicit schema --
threads over files, one pass -- and attaches the theory columns by group with one gather. pandas is
imported here only: pool and Dask workers never need it.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from .rows import THEORY_SCHEMA
from .spec import parse_spec
from .store import MANIFEST, Damaged, StoreError, read_manifest, scan
from .tasks import Grid, expand
from .truths import SIGNAL_LABEL

if TYPE_CHECKING:
    import pandas

__all__ = ["load", "provenance", "row_count", "count_true"]

#: ``DataFrame.attrs`` key under which :func:`load` puts :func:`provenance`.
ATTRS_KEY = "fastrisk.sweep"


def _open(out) -> tuple[Path, dict, Grid]:
    out = Path(out)
    if not (out / MANIFEST).exists():
        raise StoreError(f"out={os.fspath(out)!r} holds no sweep (no {MANIFEST})")
    man = read_manifest(out)
    try:
        spec = parse_spec(_spec_dict(man["spec"]))
    except (KeyError, TypeError, ValueError) as exc:
        raise StoreError(f"{os.fspath(out / MANIFEST)!r} does not hold a readable spec: {exc}") from None
    if spec.hash != man.get("spec_hash"):
        raise StoreError(f"out={os.fspath(out)!r} was written by another version of fastrisk.sweep (its "
                         "manifest does not reproduce its spec hash)")
    return out, man, expand(spec, check=False)


def provenance(out) -> dict:
    """What computed the sweep in ``out``: ``spec_hash``, ``threads``, ``format`` and ``runs``, one record
    per run that computed tasks (versions of fastrisk, Python, NumPy, SciPy, Numba, pyarrow and the
    BLAS, Numba's threading layer, date, host, command line; see
    :mod:`fastrisk.sweep.runinfo`). Stores written before fastrisk recorded provenance have no
    record of their first runs.

    Examples
    --------
    >>> import tempfile, fastrisk.sweep as sw
    >>> out = tempfile.mkdtemp()
    >>> _ = sw.run({"n": 8, "p": 12, "spectrum": {"kind": "isotropic"}, "path": {"lam": [1.0]}}, out,
    ...            workers=1, progress=False)
    >>> sorted(sw.provenance(out)["runs"][0])[:4]
    ['blas', 'blas_libraries', 'command', 'date']

    Parameters
    ----------
    out : path-like
        An output directory written by :func:`fastrisk.sweep.run`.

    Returns
    -------
    dict
        ``spec_hash``, ``threads``, ``format`` and ``runs`` (a list of dicts, one per run).
    """
    out = Path(out)
    if not (out / MANIFEST).exists():
        raise StoreError(f"out={os.fspath(out)!r} holds no sweep (no {MANIFEST})")
    man = read_manifest(out)
    return {"spec_hash": man.get("spec_hash"), "threads": man.get("threads", 1),
            "format": man.get("format", 1), "runs": list(man.get("runs", []))}


def _raise_damaged(path: Path, reason: str) -> None:
    raise StoreError(f"{os.fspath(path)} is damaged ({reason}): rerun the sweep on "
                     f"{os.fspath(path.parent.parent)!r} to move it aside and recompute its tasks")


def _read(files: list[Path], schema: pa.Schema) -> pa.Table:
    """The files as one table, in the given order (a dataset with the explicit schema)."""
    if not files:
        return schema.empty_table()
    import pyarrow.dataset as ds

    try:
        return ds.dataset([os.fspath(f) for f in files], schema=schema, format="parquet").to_table()
    except (pa.ArrowException, OSError):  # a page damaged behind an intact footer: find and name it
        for f in files:
            try:
                pq.read_table(f, schema=schema)
            except (pa.ArrowException, OSError) as exc:
                _raise_damaged(f, f"{type(exc).__name__}: {exc}")
        raise


def load(out, *, complete: bool = False) -> pandas.DataFrame:
    """The sweep in ``out`` as one tidy pandas DataFrame, one row per (task, lam, eps, norm, target).

    Rows are in canonical order (task, then norm, target, lam, eps); with ``theory = true`` the columns
    ``theory_standard_risk`` and ``theory_adversarial_risk`` are set beside every row (NaN where a
    group's theory is not yet computed). A partial sweep loads its finished tasks. ``df.attrs
    ["fastrisk.sweep"]`` holds :func:`provenance`.

    Parameters
    ----------
    out : path-like
        An output directory written by :func:`fastrisk.sweep.run`.
    complete : bool, default False
        Raise StoreError unless every task (and theory group) is present.

    Raises
    ------
    StoreError
        ``out`` holds no sweep, or a file of it is damaged (named; rerunning the sweep recomputes it).

    Returns
    -------
    pandas.DataFrame
        The table (columns listed in the user guide's "The table"), its provenance in ``attrs``.

    Examples
    --------
    >>> import tempfile, fastrisk.sweep as sw
    >>> out = tempfile.mkdtemp()
    >>> spec = {"n": 20, "p": 60, "seeds": 2, "spectrum": {"kind": "isotropic"},
    ...         "path": {"lam": [0.0, 10.0], "eps": [0.0, 0.1]}}
    >>> summary = sw.run(spec, out, workers=1, progress=False)
    >>> table = sw.load(out, complete=True)
    >>> len(table), sorted(set(table["seed"]))
    (8, [0, 1])
    """
    out, man, grid = _open(out)
    try:
        done, files = scan(out, "task", grid, on_damaged=_raise_damaged)
    except Damaged as exc:  # pragma: no cover - scan hands damage to _raise_damaged
        raise StoreError(str(exc)) from None
    if complete and not done.all():
        raise StoreError(f"out={os.fspath(out)!r} holds {int(done.sum())} of {grid.n_tasks} tasks")
    table = _read([f for f, _ in files], grid.task_schema)
    task = table.column("task").to_numpy()
    if task.size > 1 and np.any(task[1:] < task[:-1]):  # files out of task order: restore it, stably
        table = table.take(np.argsort(task, kind="stable"))
    df = table.to_pandas()
    if "theta_star" not in df.columns:  # theta* = signal * e_1: one ground truth, labelled as the vocabulary
        df.insert(df.columns.get_loc("spectrum") + 1, "theta_star", SIGNAL_LABEL)
    if grid.groups and man["spec"].get("theory"):
        _attach_theory(df, out, grid, complete)
    df.attrs[ATTRS_KEY] = provenance(out)
    return df


def _attach_theory(df: pandas.DataFrame, out: Path, grid: Grid, complete: bool) -> None:
    R = grid.rows_per_task
    gdone, gfiles = scan(out, "theory", grid, on_damaged=_raise_damaged)
    if complete and not gdone.all():
        missing = int(np.flatnonzero(~gdone)[0])
        raise StoreError(f"out={os.fspath(out)!r} lacks the theory of group {missing}")
    values = np.full((len(THEORY_SCHEMA.names), len(grid.groups), R), np.nan)
    for f, ids in gfiles:
        t = _read([f], THEORY_SCHEMA)
        for c, name in enumerate(THEORY_SCHEMA.names):
            values[c, ids, :] = t.column(name).to_numpy().reshape(ids.size, R)
    groups = grid.group_of(df["task"].to_numpy()[::R]) if R else np.empty(0, dtype=np.int64)
    for c, name in enumerate(THEORY_SCHEMA.names):
        df[name] = values[c][groups].reshape(-1)


def _spec_dict(j: dict) -> dict:
    """The stored normalised spec back into the dict form :func:`parse_spec` reads."""
    d = {k: v for k, v in j.items()
         if k not in ("format", "path", "spectrum", "ntk", "p", "p_exponent", "stream_min")}
    d["stream"] = False if j["stream_min"] is None else j["stream_min"]
    if j["p"] is not None:
        d["p"] = j["p"]
    else:
        d["p_exponent"] = j["p_exponent"]
    d["spectrum"] = [dict(s["params"], **s.get("options", {}), kind=s["kind"], name=s["name"])
                     for s in j["spectrum"]]
    d["path"] = {k: v for k, v in j["path"].items() if v is not None}
    if j["ntk"]:
        d["ntk"] = j["ntk"]
    return d


def row_count(out) -> int:
    """Rows of the tasks in the store at ``out`` (from the files' footers)."""
    out, _, grid = _open(out)
    done, _ = scan(out, "task", grid, on_damaged=_raise_damaged)
    return int(done.sum()) * grid.rows_per_task


def count_true(out, column: str) -> int:
    """How many rows of the store at ``out`` have the boolean ``column`` set (0 when the store has no such
    column); reads that one column."""
    out, _, grid = _open(out)
    schema = grid.task_schema
    if column not in schema.names:
        return 0
    _, files = scan(out, "task", grid, on_damaged=_raise_damaged)
    if not files:
        return 0
    import pyarrow.compute as pc
    import pyarrow.dataset as ds

    col = ds.dataset([os.fspath(f) for f, _ in files], schema=schema, format="parquet") \
        .to_table(columns=[column]).column(column)
    return int(pc.sum(col).as_py() or 0)
