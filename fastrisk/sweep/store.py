"""The result store of a sweep: Parquet files of finished batches, a manifest, verification on resume.

Layout of an output directory::

    manifest.json                 the normalised spec, its SHA-256 hash, the thread count, what each
                                  ground truth resolved to per (spectrum, n, p) (``theta_star``: relative
                                  indices as integers, its l2 and Sigma norms), and one provenance
                                  record per run that computed tasks (``runs``)
    tasks/part-000000120.parquet  the rows of a batch of folds (tasks 120, 121, ..., in task order),
                                  written atomically the moment the batch finishes; its footer lists
                                  the task ids it holds
    theory/part-000000007.parquet the theory columns of a batch of groups (spec ``theory = true``)
    damaged/                      files found damaged on resume, moved aside (their tasks recomputed)
    .lock                         held (flock) while a sweep runs on the directory

Every file is written to a temporary name in its own directory, flushed to disk and renamed
(:func:`fastrisk._files.atomic_write`), so a file that exists was complete when written: after
``kill -9`` at any moment a rerun finds exactly the finished batches, removes stale temporaries and
computes the rest. A file counts as done only if its footer opens as Parquet with the store's schema
and the row count of the tasks it lists (:func:`inspect_file`: the footer only, a few kilobytes);
otherwise a resume moves it into ``damaged/`` with a :class:`DamagedFileWarning` and recomputes its
tasks, and :func:`~fastrisk.sweep.load` names it in a :class:`StoreError`. Stores written by fastrisk
0.1 (one ``task-000123.parquet`` per task, no provenance) are read and resumed as they are. A directory
that holds another spec's results is refused (nothing mixed, nothing overwritten).
"""

from __future__ import annotations

import json
import os
import warnings
from pathlib import Path
from typing import IO

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from .._files import atomic_write
from . import runinfo
from .compute import unit_ids
from .rows import TASK_SCHEMA, THEORY_SCHEMA
from .spec import Spec
from .tasks import Grid

try:  # POSIX advisory lock: two sweeps on one directory would race on its files
    import fcntl
except ImportError:  # pragma: no cover - Windows
    fcntl = None  # type: ignore[assignment]

__all__ = ["Store", "StoreError", "DamagedFileWarning", "write_batch", "inspect_file", "read_manifest",
           "MANIFEST", "STORE_FORMAT"]

MANIFEST = "manifest.json"
#: 2: batches of tasks per file, listed in each footer; provenance. 1 (read too): one file per task.
STORE_FORMAT = 2
TMP_PREFIX = ".tmp-"
DAMAGED = "damaged"
#: Key of the footer metadata listing a file's task (or group) ids.
META_KEY = b"fastrisk.sweep"
KINDS = {"task": ("tasks", "task", TASK_SCHEMA), "theory": ("theory", "group", THEORY_SCHEMA)}


class StoreError(ValueError):
    """An output directory that cannot take this sweep (another spec's results, a foreign directory,
    another sweep running on it), or a store that cannot be read (a damaged file, named)."""


class DamagedFileWarning(UserWarning):
    """A result file of a store was damaged (not Parquet, truncated, wrong schema or row count): it was
    moved into ``damaged/`` and its tasks are recomputed."""


class Damaged(Exception):
    """Why a file does not count (internal)."""


# ----------------------------------------------------------------------------- files
def _ranges(ids) -> list[list[int]]:
    """Ids as sorted ``[[start, stop), ...]`` runs (a footer's compact list)."""
    out: list[list[int]] = []
    for i in sorted(ids):
        if out and out[-1][1] == i:
            out[-1][1] = i + 1
        else:
            out.append([i, i + 1])
    return out


def _part_name(first: int) -> str:
    return f"part-{first:09d}.parquet"


def _legacy_id(name: str, kind: str) -> int | None:
    """The id of a fastrisk 0.1 file (``task-000123.parquet``, ``group-000007.parquet``)."""
    stem, _, ext = name.partition(".")
    prefix, _, num = stem.partition("-")
    return int(num) if ext == "parquet" and prefix == KINDS[kind][1] and num.isdigit() else None


def _is_result(name: str) -> bool:
    return name.endswith(".parquet") and not name.startswith(".")


def _schema_difference(have: pa.Schema, want: pa.Schema) -> str:
    if have.names != want.names:
        return f"columns {', '.join(have.names)}, expected {', '.join(want.names)}"
    bad = [f"{f.name} is {f.type}, expected {want.field(f.name).type}" for f in have
           if not f.type.equals(want.field(f.name).type)]
    return "; ".join(bad) or "nullability differs"


def schema_of(kind: str, grid: Grid) -> pa.Schema:
    """The schema of a store's ``kind`` files (the task table's optional columns follow the spec)."""
    return grid.task_schema if kind == "task" else THEORY_SCHEMA


def inspect_file(path: Path, kind: str, grid: Grid) -> np.ndarray:
    """The ids a result file holds, from its footer only; raises ``Damaged`` (with the reason) unless it
    opens as Parquet with the store's schema and exactly the rows of those ids."""
    schema = schema_of(kind, grid)
    limit = grid.n_tasks if kind == "task" else len(grid.groups)
    try:
        pf = pq.ParquetFile(path)
    except Exception as exc:  # noqa: BLE001 - any failure to open means damaged
        raise Damaged(f"not a readable Parquet file ({type(exc).__name__}: {exc})") from None
    try:
        have = pf.schema_arrow
        rows = pf.metadata.num_rows
    except Exception as exc:  # noqa: BLE001
        raise Damaged(f"its footer cannot be read ({type(exc).__name__}: {exc})") from None
    finally:
        pf.close()
    if not have.remove_metadata().equals(schema):
        raise Damaged(f"its columns are not the store's: {_schema_difference(have, schema)}")
    meta = (have.metadata or {}).get(META_KEY)
    if meta is not None:
        try:
            ids = np.concatenate([np.arange(a, b, dtype=np.int64) for a, b in json.loads(meta)["ids"]])
        except (ValueError, KeyError, TypeError) as exc:
            raise Damaged(f"its footer's id list is unreadable ({exc})") from None
    else:
        legacy = _legacy_id(path.name, kind)
        if legacy is None:
            raise Damaged("it lists no ids and its name is not a fastrisk 0.1 file name")
        ids = np.array([legacy], dtype=np.int64)
    if ids.size == 0 or ids.min() < 0 or ids.max() >= limit:
        raise Damaged(f"it holds ids outside this spec's 0..{limit - 1}")
    if rows != ids.size * grid.rows_per_task:
        raise Damaged(f"it has {rows} rows where its {ids.size} {KINDS[kind][1]}(s) need "
                      f"{ids.size * grid.rows_per_task}")
    return ids


def scan(out: Path, kind: str, grid: Grid, *, on_damaged) -> tuple[np.ndarray, list[tuple[Path, np.ndarray]]]:
    """Verify every result file of ``kind``: a done-mask over the ids and the good files (by first id).
    ``on_damaged(path, reason)`` handles a file that does not count (move it aside, or raise); a file
    whose ids another file already holds counts as damaged too."""
    directory = out / KINDS[kind][0]
    n = grid.n_tasks if kind == "task" else len(grid.groups)
    done = np.zeros(n, dtype=bool)
    files: list[tuple[Path, np.ndarray]] = []
    if not directory.is_dir():
        return done, files
    with os.scandir(directory) as it:
        names = sorted(e.name for e in it if _is_result(e.name))
    for name in names:
        path = directory / name
        try:
            ids = inspect_file(path, kind, grid)
            if done[ids].any():
                raise Damaged("its ids are also in another file of the store")
        except Damaged as exc:
            on_damaged(path, str(exc))
            continue
        done[ids] = True
        files.append((path, ids))
    files.sort(key=lambda f: int(f[1][0]))
    return done, files


def write_batch(out, batch: dict, table: pa.Table, done: int) -> Path:
    """Write the rows of the first ``done`` units of ``batch`` into the store at ``out``, atomically,
    listing their ids in the footer (also called by local pool workers, which write their own results:
    same file system, and no large result ever crosses a pipe)."""
    kind = batch["kind"]
    ids = sorted(i for u in batch["items"][:done] for i in unit_ids(u))
    meta = json.dumps({"ids": _ranges(ids), "run": batch.get("run")}).encode()
    table = table.replace_schema_metadata({META_KEY: meta})
    path = Path(out) / KINDS[kind][0] / _part_name(ids[0])
    atomic_write(path, lambda tmp: pq.write_table(table, tmp), prefix=TMP_PREFIX + path.name + ".", suffix="")
    return path


def read_manifest(out: Path) -> dict:
    try:
        return json.loads((out / MANIFEST).read_text())
    except (OSError, ValueError) as exc:
        raise StoreError(f"{os.fspath(out / MANIFEST)!r} cannot be read: {exc}") from None


# ----------------------------------------------------------------------------- the store
class Store:
    """An output directory opened for one spec (see the module docstring).

    Parameters
    ----------
    out : path-like
        The directory (created if missing; an existing one must be empty or hold this spec's store).
    spec : Spec
    grid : Grid
        ``expand(spec)``.
    threads : int, default 1
        BLAS/Numba threads of every task (recorded; a resume with another count is refused).
    lock : bool, default True
        Hold an exclusive lock on ``out/.lock`` until :meth:`close` (StoreError if another run holds it).

    Attributes
    ----------
    done, done_groups : numpy.ndarray of bool
        Which tasks (theory groups) are in the store, verified (:meth:`scan`).
    """

    def __init__(self, out, spec: Spec, grid: Grid | None = None, *, threads: int = 1, lock: bool = True):
        from .tasks import expand

        self.out = Path(out)
        self.spec = spec
        self.grid = expand(spec) if grid is None else grid
        self.threads = threads
        self._lock_fh: IO[str] | None = None
        if self.out.exists() and not self.out.is_dir():
            raise StoreError(f"out={os.fspath(out)!r} exists and is not a directory")
        manifest = self.out / MANIFEST
        if self.out.exists() and not manifest.exists():
            foreign = [p.name for p in self.out.iterdir() if not p.name.startswith(".")]
            if foreign:
                raise StoreError(f"out={os.fspath(out)!r} is not empty and holds no sweep manifest "
                                 f"({', '.join(sorted(foreign)[:3])}...): choose a new or empty directory")
        have = read_manifest(self.out) if manifest.exists() else None
        if have is not None:
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
        for kind in KINDS.values():
            (self.out / kind[0]).mkdir(exist_ok=True)
        self.manifest: dict = have if have is not None else {
            "format": STORE_FORMAT, "spec_hash": spec.hash, "threads": threads,
            "spec": spec.to_json(compact=True), "runs": []}
        if have is None and self.grid.resolved:  # what each ground truth resolved to, per (n, p)
            self.manifest["theta_star"] = self.grid.resolved
        if have is None:
            self._write_manifest()
        self._clean_stale()
        self.scan()

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

    def _write_manifest(self) -> None:
        body = json.dumps(self.manifest, indent=1) + "\n"
        atomic_write(self.out / MANIFEST, lambda tmp: Path(tmp).write_text(body),
                     prefix=TMP_PREFIX + MANIFEST + ".", suffix="")

    def _clean_stale(self) -> None:
        """Remove temporaries left by a killed run (safe: the lock says no other run is writing)."""
        for d in (self.out, *(self.out / k[0] for k in KINDS.values())):
            for p in d.iterdir():
                if p.name.startswith(TMP_PREFIX):
                    p.unlink(missing_ok=True)

    def _move_aside(self, path: Path, reason: str) -> None:
        dest_dir = self.out / DAMAGED
        dest_dir.mkdir(exist_ok=True)
        dest = dest_dir / f"{path.parent.name}-{path.name}"
        k = 1
        while dest.exists():
            dest = dest_dir / f"{path.parent.name}-{path.name}.{k}"
            k += 1
        os.replace(path, dest)
        warnings.warn(f"{os.fspath(path)} is damaged ({reason}): moved to {os.fspath(dest)}; its tasks are "
                      "recomputed", DamagedFileWarning, stacklevel=4)

    # ------------------------------------------------------------------ state
    def scan(self) -> None:
        """Verify the result files (footers only), moving damaged ones aside; sets :attr:`done`."""
        self.done, _ = scan(self.out, "task", self.grid, on_damaged=self._move_aside)
        self.done_groups, _ = scan(self.out, "theory", self.grid, on_damaged=self._move_aside)

    def done_tasks(self) -> set[int]:
        return set(np.flatnonzero(self.done).tolist())

    @property
    def runs(self) -> list[dict]:
        return self.manifest.get("runs", [])

    def record_run(self, record: dict) -> int:
        """Append a provenance record (warning if its versions differ from earlier runs'); returns the
        run's index (kept in the footer of every file it writes)."""
        runinfo.warn_if_changed(os.fspath(self.out), self.runs, record)
        self.manifest.setdefault("runs", []).append(record)
        self.manifest["format"] = max(int(self.manifest.get("format", 1)), STORE_FORMAT)
        self._write_manifest()
        return len(self.manifest["runs"]) - 1

    # ------------------------------------------------------------------ writes
    def write(self, batch: dict, table: pa.Table, done: int | None = None) -> None:
        """Write a batch's table (its first ``done`` units; all by default) and mark them done."""
        done = len(batch["items"]) if done is None else done
        write_batch(self.out, batch, table, done)
        self.mark(batch, done)

    def mark(self, batch: dict, done: int | None = None) -> None:
        """Mark the first ``done`` units of a batch as in the store (a worker wrote them)."""
        items = batch["items"][: len(batch["items"]) if done is None else done]
        ids = [i for u in items for i in unit_ids(u)]
        if batch["kind"] == "task":
            self.done[ids] = True
        else:
            self.done_groups[ids] = True
