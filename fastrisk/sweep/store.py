"""The result store of a sweep: one Parquet file per finished task, a manifest, :func:`load`.

Layout of an output directory::

    manifest.json                 the normalised spec and its SHA-256 hash (written first, atomically)
    tasks/task-000123.parquet     the rows of task 123, written atomically the moment it finishes
    theory/group-000007.parquet   the theory columns of group 7 (spec ``theory = true``)
    .lock                         held (flock) while a sweep runs on the directory

Every file is written to a temporary name in its own directory, flushed to disk and renamed
(:func:`os.replace`), so a file that exists is complete: after ``kill -9`` at any moment a rerun
finds exactly the finished tasks, removes stale temporaries and computes the rest. A directory that
holds another spec's results is refused (nothing mixed, nothing overwritten).
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from .._files import atomic_write
from .compute import THEORY_SCHEMA
from .spec import Spec, parse_spec
from .tasks import Grid, expand

if TYPE_CHECKING:  # pandas is imported by load() only: pool and Dask workers never need it
    import pandas

try:  # POSIX advisory lock: two sweeps on one directory would race on its files
    import fcntl
except ImportError:  # pragma: no cover - Windows
    fcntl = None

__all__ = ["Store", "StoreError", "load", "write_unit", "MANIFEST", "STORE_FORMAT"]

MANIFEST = "manifest.json"
STORE_FORMAT = 1
TMP_PREFIX = ".tmp-"


class StoreError(ValueError):
    """An output directory that cannot take this sweep (another spec's results, a foreign directory,
    another sweep running on it)."""


def _atomic_write(path: Path, write) -> None:
    """Write via ``write(tmp_path)`` to a temporary file beside ``path``, fsync, then rename over it
    (temporary names start with :data:`TMP_PREFIX`, so a killed run's leftovers are recognised)."""
    atomic_write(path, write, prefix=TMP_PREFIX + path.name + ".", suffix="")


def _task_name(i: int) -> str:
    return f"task-{i:06d}.parquet"


def _group_name(g: int) -> str:
    return f"group-{g:06d}.parquet"


def _index_of(name: str) -> int | None:
    stem = name.split(".", 1)[0]
    _, _, num = stem.partition("-")
    return int(num) if num.isdigit() and name.endswith(".parquet") and not name.startswith(".") else None


class Store:
    """An output directory opened for one spec (see the module docstring).

    Parameters
    ----------
    out : path-like
        The directory (created if missing; an existing one must be empty or hold this spec's store).
    spec : Spec
    threads : int, default 1
        BLAS/Numba threads of every task (recorded; a resume with another count is refused).
    lock : bool, default True
        Hold an exclusive lock on ``out/.lock`` until :meth:`close` (StoreError if another run holds it).
    """

    def __init__(self, out, spec: Spec, *, threads: int = 1, lock: bool = True):
        self.out = Path(out)
        self.spec = spec
        self.tasks_dir = self.out / "tasks"
        self.theory_dir = self.out / "theory"
        self._lock_fh = None
        if self.out.exists() and not self.out.is_dir():
            raise StoreError(f"out={os.fspath(out)!r} exists and is not a directory")
        manifest = self.out / MANIFEST
        if self.out.exists() and not manifest.exists():
            foreign = [p.name for p in self.out.iterdir() if not p.name.startswith(".")]
            if foreign:
                raise StoreError(f"out={os.fspath(out)!r} is not empty and holds no sweep manifest "
                                 f"({', '.join(sorted(foreign)[:3])}...): choose a new or empty directory")
        if manifest.exists():
            have = _read_manifest(self.out)
            if have.get("spec_hash") != spec.hash:
                raise StoreError(f"out={os.fspath(out)!r} holds the results of another spec (hash "
                                 f"{str(have.get('spec_hash'))[:12]}, this spec {spec.hash[:12]}): use a "
                                 "new directory, or rerun the spec that made it")
            if have.get("threads", 1) != threads:
                raise StoreError(f"out={os.fspath(out)!r} was computed with threads={have.get('threads')}: "
                                 f"resume with threads={have.get('threads')} (the thread count changes the "
                                 "last bits of threaded sums, and one table never mixes them)")
        self.out.mkdir(parents=True, exist_ok=True)
        if lock:
            self._lock()
        self.tasks_dir.mkdir(exist_ok=True)
        self.theory_dir.mkdir(exist_ok=True)
        if not manifest.exists():
            body = {"format": STORE_FORMAT, "spec_hash": spec.hash, "threads": threads,
                    "spec": spec.to_json()}
            _atomic_write(manifest, lambda tmp: Path(tmp).write_text(json.dumps(body, indent=1) + "\n"))
        self._clean_stale()

    def _lock(self) -> None:
        if fcntl is None:  # pragma: no cover
            return
        fh = open(self.out / ".lock", "a+")  # noqa: SIM115 - held until close()
        try:
            fcntl.flock(fh.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            fh.close()
            raise StoreError(f"another sweep is running on out={os.fspath(self.out)!r}") from None
        self._lock_fh = fh

    def close(self) -> None:
        """Release the directory lock."""
        if self._lock_fh is not None:
            self._lock_fh.close()
            self._lock_fh = None

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def _clean_stale(self) -> None:
        """Remove temporaries left by a killed run (safe: the lock says no other run is writing)."""
        for d in (self.out, self.tasks_dir, self.theory_dir):
            for p in d.iterdir():
                if p.name.startswith(TMP_PREFIX):
                    p.unlink(missing_ok=True)

    # ------------------------------------------------------------------ state
    def done_tasks(self) -> set[int]:
        return {i for i in (_index_of(p.name) for p in self.tasks_dir.iterdir()) if i is not None}

    def done_groups(self) -> set[int]:
        return {i for i in (_index_of(p.name) for p in self.theory_dir.iterdir()) if i is not None}

    # ------------------------------------------------------------------ writes
    def write_task(self, task_id: int, table: pa.Table) -> None:
        _atomic_write(self.tasks_dir / _task_name(task_id), lambda tmp: pq.write_table(table, tmp))

    def write_theory(self, group_id: int, table: pa.Table) -> None:
        _atomic_write(self.theory_dir / _group_name(group_id), lambda tmp: pq.write_table(table, tmp))

    def write(self, unit: dict, table: pa.Table) -> None:
        """Write a unit's table (a task's rows or a group's theory columns)."""
        write_unit(self.out, unit, table)


def write_unit(out, unit: dict, table: pa.Table) -> None:
    """Write one unit's table into the store at ``out``, atomically (also called by local pool workers,
    which write their own results: same file system, and no large result ever crosses a pipe)."""
    if unit["kind_of_unit"] == "theory":
        path = Path(out) / "theory" / _group_name(unit["group"])
    else:
        path = Path(out) / "tasks" / _task_name(unit["id"])
    _atomic_write(path, lambda tmp: pq.write_table(table, tmp))


def _read_manifest(out: Path) -> dict:
    try:
        return json.loads((out / MANIFEST).read_text())
    except (OSError, ValueError) as exc:
        raise StoreError(f"{os.fspath(out / MANIFEST)!r} cannot be read: {exc}") from None


def load(out, *, complete: bool = False) -> pandas.DataFrame:
    """The sweep in ``out`` as one tidy pandas DataFrame, one row per (task, lam, eps, norm, target).

    Rows are in canonical order (task, then norm, target, lam, eps); with ``theory = true`` the columns
    ``theory_standard_risk`` and ``theory_adversarial_risk`` are set beside every row (NaN where a
    group's theory is not yet computed). A partial sweep loads its finished tasks.

    Parameters
    ----------
    out : path-like
        An output directory written by :func:`fastrisk.sweep.run`.
    complete : bool, default False
        Raise StoreError unless every task (and theory group) is present.
    """
    out = Path(out)
    if not (out / MANIFEST).exists():
        raise StoreError(f"out={os.fspath(out)!r} holds no sweep (no {MANIFEST})")
    man = _read_manifest(out)
    spec = parse_spec(_spec_dict(man["spec"]))
    if spec.hash != man.get("spec_hash"):
        raise StoreError(f"out={os.fspath(out)!r} was written by another version of fastrisk.sweep (its "
                         "manifest does not reproduce its spec hash)")
    grid = expand(spec)
    tdir = out / "tasks"
    present = sorted(i for i in (_index_of(p.name) for p in tdir.iterdir()) if i is not None) \
        if tdir.exists() else []
    if complete and len(present) != len(grid.tasks):
        raise StoreError(f"out={os.fspath(out)!r} holds {len(present)} of {len(grid.tasks)} tasks")
    tables = [pq.read_table(tdir / _task_name(i)) for i in present]
    if tables:
        df = pa.concat_tables(tables).to_pandas()
    else:
        from .compute import TASK_SCHEMA

        df = TASK_SCHEMA.empty_table().to_pandas()
    if spec.theory:
        _attach_theory(df, out, grid, present, complete)
    return df


def _attach_theory(df: pandas.DataFrame, out: Path, grid: Grid, present: list[int], complete: bool) -> None:
    rows = grid.rows_per_task
    gdir = out / "theory"
    cache: dict[int, pa.Table | None] = {}
    parts = {name: [] for name in THEORY_SCHEMA.names}
    for i in present:
        g = grid.tasks[i]["group"]
        if g not in cache:
            path = gdir / _group_name(g)
            cache[g] = pq.read_table(path) if path.exists() else None
            if cache[g] is None and complete:
                raise StoreError(f"out={os.fspath(out)!r} lacks the theory of group {g}")
        t = cache[g]
        for name in THEORY_SCHEMA.names:
            parts[name].append(np.full(rows, np.nan) if t is None else t.column(name).to_numpy())
    for name in THEORY_SCHEMA.names:
        df[name] = np.concatenate(parts[name]) if parts[name] else np.empty(0)


def _spec_dict(j: dict) -> dict:
    """The stored normalised spec back into the dict form :func:`parse_spec` reads."""
    d = {k: v for k, v in j.items()
         if k not in ("format", "path", "spectrum", "ntk", "p", "p_exponent", "stream_min")}
    d["stream"] = False if j["stream_min"] is None else j["stream_min"]
    if j["p"] is not None:
        d["p"] = j["p"]
    else:
        d["p_exponent"] = j["p_exponent"]
    d["spectrum"] = [dict(s["params"], kind=s["kind"], name=s["name"]) for s in j["spectrum"]]
    path = {k: v for k, v in j["path"].items() if v is not None}
    d["path"] = path
    if j["ntk"]:
        d["ntk"] = j["ntk"]
    return d
